"""common.prepared: a fixed SELECT run on the driver's cursor gives what SQLAlchemy gives for the same statement,
parameters and results converted by the dialect's types (a datetime parameter, a boolean column), on SQLite and
PostgreSQL alike; statements whose SQL depends on the values are refused; a driver error goes through SQLAlchemy."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError

from inspect_app.common.prepared import PreparedSelect
from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket


def _statement():
    return (select(Ticket.id, Ticket.number, Ticket.lat, (Ticket.deadline < bindparam("now")).label("late"),
                   Ticket.reported_at)
            .where(Ticket.reported_at <= bindparam("now"), Ticket.id >= bindparam("from_id"))
            .order_by(Ticket.id))


def test_rows_equal_sqlalchemy_rows(app, city, make_ticket, now):
    made = [make_ticket(), make_ticket(point=city.ON_B), make_ticket(point=city.FAR)]
    db.session.commit()
    prepared = PreparedSelect(_statement())
    with app.app_context():
        connection = db.session.connection()
        for when in (now - timedelta(days=1), now + timedelta(hours=1), now + timedelta(days=30)):
            params = {"now": when, "from_id": made[1].id}
            expected = [tuple(row) for row in connection.execute(prepared.statement, params)]
            rows = prepared.all(connection, params)
            assert [tuple(row) for row in rows] == expected
            assert all(isinstance(row.late, bool) for row in rows if row.id != made[2].id)  # SQLite's 0/1 made a bool
            first = prepared.first(connection, params)
            assert (tuple(first) if first else None) == (expected[0] if expected else None)
        late = prepared.all(connection, {"now": now + timedelta(days=30), "from_id": 0})
        assert [row.id for row in late] == [t.id for t in made]
        assert [row.late for row in late] == [True, True, None]  # the pending one has no deadline
        assert prepared.first(connection, {"now": now - timedelta(days=1), "from_id": 0}) is None


def test_statements_whose_sql_depends_on_values_are_refused(app):
    expanding = select(Ticket.id).where(Ticket.id.in_(bindparam("ids", expanding=True)))
    with app.app_context():
        with pytest.raises(ValueError):
            PreparedSelect(expanding).all(db.session.connection(), {"ids": [1]})
        with pytest.raises(ValueError):
            PreparedSelect(expanding, dynamic="ignore")


def test_a_statement_whose_sql_depends_on_values_may_go_through_sqlalchemy(app, make_ticket):
    made = [make_ticket(), make_ticket(), make_ticket()]
    db.session.commit()
    ids = [made[0].id, made[2].id]
    expanding = PreparedSelect(select(Ticket.id, Ticket.number).where(Ticket.id.in_(bindparam("ids", expanding=True)))
                               .order_by(Ticket.id), dynamic="sqlalchemy")
    fixed = PreparedSelect(select(Ticket.id).where(Ticket.id >= bindparam("from_id")).order_by(Ticket.id),
                           dynamic="sqlalchemy")
    with app.app_context():
        connection = db.session.connection()
        for _ in range(2):  # the first run decides, the second uses the decision
            assert [tuple(row) for row in expanding.all(connection, {"ids": ids})] == [
                (made[0].id, made[0].number), (made[2].id, made[2].number)]
            assert expanding.first(connection, {"ids": ids[1:]}).number == made[2].number
            assert expanding.scalars(connection, {"ids": ids}) == ids
            assert expanding.scalar(connection, {"ids": [0]}) is None
            assert fixed.scalars(connection, {"from_id": made[1].id}) == [made[1].id, made[2].id]
            assert fixed.scalar(connection, {"from_id": made[1].id}) == made[1].id
        assert list(expanding._compiled.values()) == [None]  # through SQLAlchemy
        assert list(fixed._compiled.values()) != [None]  # on the driver's cursor


def test_a_driver_error_is_sqlalchemys(app, city, make_ticket, now):
    """The SQL given to the driver fails: the statement is run through SQLAlchemy instead, whose answer (SQLite,
    where a failed read leaves the transaction usable) or wrapped error (PostgreSQL, where it does not) stands."""
    ticket = make_ticket()
    db.session.commit()
    prepared = PreparedSelect(_statement())
    with app.app_context():
        connection = db.session.connection()
        params = {"now": now + timedelta(days=1), "from_id": 0}
        assert [row.id for row in prepared.all(connection, params)] == [ticket.id]
        compiled = next(iter(prepared._compiled.values()))
        compiled.sql = compiled.sql.replace("FROM tickets", "FROM no_such_table")
        if connection.dialect.name == "sqlite":
            assert [row.id for row in prepared.all(connection, params)] == [ticket.id]
        else:
            with pytest.raises(DBAPIError):
                prepared.all(connection, params)
        db.session.rollback()


def test_cursor_events_see_the_statement(app, make_ticket, now):
    """Whatever watches the SQL sent (conftest.sql_sent, the benchmarks' floors) sees a prepared statement too, with
    the parameters the driver gets; a listener that rewrites the statement (retval=True) is obeyed."""
    from sqlalchemy import event

    from conftest import sql_sent
    ticket = make_ticket()
    db.session.commit()
    prepared = PreparedSelect(_statement())
    with app.app_context():
        connection = db.session.connection()
        params = {"now": now + timedelta(days=1), "from_id": ticket.id}
        with sql_sent() as sent:
            rows = prepared.all(connection, params)
        assert [row.id for row in rows] == [ticket.id]
        [(sql, bound)] = sent
        assert sql == next(iter(prepared._compiled.values())).sql and ticket.id in (
            bound.values() if isinstance(bound, dict) else bound)
        assert [raw[0] for raw in connection.exec_driver_sql(sql, bound).fetchall()] == [ticket.id]  # replayable

        def nothing(conn, cursor, statement, parameters, context, executemany):
            return statement.replace("tickets.id >=", "tickets.id <"), parameters
        event.listen(db.engine, "before_cursor_execute", nothing, retval=True)
        try:
            assert prepared.all(connection, params) == []
        finally:
            event.remove(db.engine, "before_cursor_execute", nothing)


def test_rows_by_ids_one_statement_per_size(app, city, make_ticket):
    """ByIds reads the rows of up to a hundred ids by one statement of fixed SQL per size: the ids padded with the
    last one, each row once, the statement's own order (and its datetimes converted as SQLAlchemy does)."""
    from sqlalchemy import event

    from inspect_app.common.prepared import ByIds

    made = [make_ticket() for _ in range(7)]
    db.session.commit()
    by_ids = ByIds(select(Ticket.id, Ticket.reported_at).order_by(Ticket.id.desc()), Ticket.id)
    sent = []

    def log(conn, cursor, statement, parameters, *args):
        sent.append(statement)
    with app.app_context():
        reported = {t.id: db.session.get(Ticket, t.id).reported_at for t in made}
        connection = db.session.connection()
        event.listen(connection, "before_cursor_execute", log)
        ids = list(reported)
        for wanted in (ids[:1], ids[:2], ids[2:7], ids[:6], ids[::-1]):
            rows = by_ids.all(connection, wanted)
            assert [row.id for row in rows] == sorted(wanted, reverse=True)
            assert [row.reported_at for row in rows] == [reported[i] for i in sorted(wanted, reverse=True)]
        assert by_ids.all(connection, []) == []
        event.remove(connection, "before_cursor_execute", log)
    assert [len(re.findall(r"\?|%\(id_\d+\)s", statement)) for statement in sent] == [1, 5, 5, 10, 10]
    assert len(set(sent)) == 3  # sizes 1, 5 and 10
