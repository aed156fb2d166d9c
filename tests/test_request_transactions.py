"""How a request's transaction ends (boundary.register): on PostgreSQL a request that only read ends with COMMIT, so
psycopg keeps the connection's prepared statements (it forgets them all on a ROLLBACK); anything that failed still
rolls back."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from conftest import file_tuple

from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket


@pytest.fixture
def endings(app):
    """The COMMITs and ROLLBACKs the app's engine sends, in order."""
    seen: list[str] = []
    engine = db.engine
    listeners = (("commit", lambda conn: seen.append("commit")), ("rollback", lambda conn: seen.append("rollback")))
    for name, fn in listeners:
        event.listen(engine, name, fn)
    yield seen
    for name, fn in listeners:
        event.remove(engine, name, fn)


def test_a_request_that_only_read_ends_with_a_commit_on_postgresql(api, city, make_ticket, endings):
    """PostgreSQL: COMMIT, which keeps psycopg's prepared statements. SQLite keeps nothing over a commit: the read
    ends with the session's close (a ROLLBACK), without the commit's bookkeeping."""
    ticket = make_ticket()
    api.token(city.admin.username)  # signing in writes the token: not part of what is watched
    db.session.commit()
    endings.clear()
    response = api.get(f"/api/v1/tickets/{ticket.id}", city.admin)
    assert response.status_code == 200
    # Before the request, the test client commits the test's own session.
    if db.engine.dialect.name == "postgresql":
        assert "rollback" not in endings
        assert endings and endings[-1] == "commit"
    else:
        assert endings == ["commit", "rollback"]


def test_a_request_that_failed_rolls_back(api, city, endings):
    api.token(city.admin.username)
    db.session.commit()
    endings.clear()
    assert api.get("/api/v1/tickets/999999", city.admin).status_code == 404
    assert endings and endings[-1] == "rollback"


def test_a_refused_write_ends_with_a_rollback(api, city, endings):
    api.token(city.inspector.username)
    db.session.commit()
    count = db.session.query(Ticket).count()
    endings.clear()
    response = api.post("/api/v1/tickets", city.inspector, json={"category": "no-such-category"})
    assert 400 <= response.status_code < 500
    assert endings and endings[-1] == "rollback"  # a commit before it: the test client commits the test's session first
    assert db.session.query(Ticket).count() == count


def test_postgresql_keeps_prepared_statements_over_a_commit(app):
    """The premise: psycopg prepares a statement run 5 times on a connection, and drops every prepared statement
    at a ROLLBACK, not at a COMMIT. If this changes, _end_read's reason goes with it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    prepared = text("SELECT count(*) FROM pg_prepared_statements")
    with db.engine.connect() as conn:
        for _ in range(6):
            conn.execute(text("SELECT id FROM categories WHERE id = :id"), {"id": 1}).all()
            conn.commit()
        assert conn.execute(prepared).scalar() >= 1
        conn.rollback()
        assert conn.execute(prepared).scalar() == 0
        conn.commit()


def test_the_prepare_threshold_reaches_psycopg(tmp_path):
    """DATABASE_PREPARE_THRESHOLD sets psycopg's prepare_threshold on PostgreSQL ("off": never prepare), and leaves
    SQLite's engine options alone."""
    from inspect_app import create_app

    def connect_args(url, **config):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path), "SECRET_KEY": "t",
                          "SCHEDULER_ENABLED": False, **config})
        return app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})

    pg = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # no connection is made: the engine connects lazily
    assert connect_args(pg)["prepare_threshold"] == 5
    assert connect_args(pg, DATABASE_PREPARE_THRESHOLD="off")["prepare_threshold"] is None
    assert connect_args(pg, DATABASE_PREPARE_THRESHOLD="2",
                        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-cx=1"}}) == {
        "options": "-cx=1", "prepare_threshold": 2}
    assert "prepare_threshold" not in connect_args(f"sqlite:///{tmp_path / 'x.db'}")


class DriverError(Exception):
    """A driver's error with PostgreSQL's SQLSTATE (psycopg's errors carry it as `sqlstate`)."""

    def __init__(self, message: str, sqlstate: str):
        super().__init__(message)
        self.sqlstate = sqlstate


DEADLOCK = DriverError("deadlock detected", "40P01")


@pytest.mark.parametrize("error, status, code", [("integrity", 409, "concurrent_update"),
                                                  ("operational", 503, "database_busy"),
                                                  ("deadlock", 409, "concurrent_update"),
                                                  ("disk", 503, "storage_failed")])
def test_a_commit_that_fails_at_the_end_of_a_request_answers_with_an_error(api, city, error, status, code):
    """The request's own commit (after its view) fails: the answer is an error (not a 500), and nothing is kept."""
    from flask import has_request_context
    from sqlalchemy.exc import IntegrityError, OperationalError

    api.token(city.inspector.username)
    db.session.commit()
    count = db.session.query(Ticket).count()
    errors = {"integrity": IntegrityError("INSERT", {}, Exception("duplicate key")),
              "operational": OperationalError("COMMIT", {}, Exception("database is locked")),
              "deadlock": OperationalError("UPDATE tickets", {}, DEADLOCK),
              "disk": OSError(28, "No space left on device")}

    def refuse(session):
        if has_request_context():
            raise errors[error]
    event.listen(db.session, "before_commit", refuse)
    try:
        response = api.post("/api/v1/tickets", city.inspector, data={
            "category": "niupixuan", "lat": "31.2304", "lon": "121.4737", "description": "提交时失败",
            "photos": [file_tuple()]}, content_type="multipart/form-data")
    finally:
        event.remove(db.session, "before_commit", refuse)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    db.session.rollback()
    assert db.session.query(Ticket).count() == count


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_request_that_loses_a_deadlock_is_told_to_try_again(browser, api, city, make_ticket, monkeypatch, sqlstate):
    """QA: a 签发 that PostgreSQL chose as a deadlock's victim was told 数据库暂时无法访问 (503), as if the database
    were down. A deadlock or a serialization failure is a conflict with someone's change at the same moment: 409,
    try again; the page's form comes back with the message, the API says concurrent_update."""
    from sqlalchemy.exc import OperationalError

    from inspect_app.tickets import lifecycle

    ticket_id = make_ticket().id

    def lose(*_args, **_kwargs):
        raise OperationalError("UPDATE tickets SET ...", {}, DriverError("deadlock detected", sqlstate))

    monkeypatch.setattr(lifecycle, "transition", lose)
    answer = api.post(f"/api/v1/tickets/{ticket_id}/cancel", city.admin, json={"reason": "重复上报"})
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["error"] == {"code": "concurrent_update",
                                          "message": "其他人正在同时处理相同的数据，本次操作没有保存，请刷新后重试。"}
    office = browser(city.admin)
    page = office.submit(f"/tickets/{ticket_id}", f"/tickets/{ticket_id}/cancel", {"reason": "重复上报"})
    assert page.status_code == 303
    shown = office.get(page.headers["Location"]).get_data(as_text=True)
    assert "其他人正在同时处理相同的数据" in shown and "数据库暂时无法访问" not in shown
    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).status == "assigned"


def test_a_savepoint_released_does_not_end_the_transactions_bookkeeping(app, city, tmp_path):
    """SQLAlchemy calls before_commit and after_commit when a savepoint is released too: the boundary took that for
    the transaction's end, forgot that it had written (a request whose writes came before an optional_write was not
    committed: a 签发 writing its PDF in a savepoint was lost on SQLite) and the files to remove on a rollback."""
    from inspect_app.boundary import delete_on_rollback, optional_write, wrote

    city.street_a.contact_person = "王五"
    db.session.flush()
    written = tmp_path / "letter.pdf"
    written.write_bytes(b"%PDF")
    delete_on_rollback(written)
    with optional_write("the inbox marked seen"):
        pass
    with db.session.begin_nested():
        pass
    assert wrote()
    db.session.rollback()
    assert not written.exists()


def test_a_lost_version_check_is_told_by_what_it_was_about():
    """A StaleDataError reaching the error page said 该问题刚被其他人处理过 whatever lost the race: a 督办函's 销号
    racing another, a draft saved twice. The table the version check was on names it; anything else is 数据."""
    from sqlalchemy.orm.exc import StaleDataError

    from inspect_app.errors import stale_message

    def lost(table: str) -> str:
        return stale_message(StaleDataError(f"UPDATE statement on table '{table}' expected to update 1 row(s); "
                                            "0 were matched."))

    assert lost("tickets") == "该问题刚被其他人处理过，请刷新后再试。"
    assert lost("letters") == "该督办函刚被其他人修改或处理过，请刷新后再试。"
    assert lost("key_tasks") == stale_message(StaleDataError("")) == "数据刚被其他人修改过，请刷新后再试。"
