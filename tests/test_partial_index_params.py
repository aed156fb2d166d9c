"""No statement compares a parameter with a column that a partial index filters on (tests/sql_guard.py says why:
SQLite would prepare it again on every run). The guard is checked first, then the main flows run under it:
filing, the lifecycle, assisting units, extensions, the API's list and detail, the office's pages and menu
counts, the escalation sweep and the rankings' counts."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from inspect_app.common.sql import const
from inspect_app.escalation.jobs import run_sweep
from inspect_app.extensions import db
from inspect_app.rankings import counts, periods
from inspect_app.tickets import services
from inspect_app.tickets.models import ExtensionRequest, Ticket, TicketUnit

from sql_guard import bound_comparisons, partial_index_columns, watching
from test_api_rows import _varied_tickets


def test_the_guard_knows_the_partial_indexes_and_sees_a_bound_value(app):
    guarded = partial_index_columns(db.metadata)
    assert {("ticket_units", "role"), ("extension_requests", "status")} <= guarded
    assert bound_comparisons(select(TicketUnit.id).where(TicketUnit.role == "lead"), guarded) == ["ticket_units.role"]
    assert bound_comparisons(select(TicketUnit.id).where(TicketUnit.role.in_(["lead", "assist"])), guarded) \
        == ["ticket_units.role"]
    assert bound_comparisons(select(Ticket.id).where(Ticket.parts.any(TicketUnit.role == "assist")), guarded) \
        == ["ticket_units.role"]
    assert bound_comparisons(select(ExtensionRequest.id).where(ExtensionRequest.status == "open"), guarded) \
        == ["extension_requests.status"]
    assert bound_comparisons(select(TicketUnit.id).where(TicketUnit.role == const("lead")), guarded) == []
    assert bound_comparisons(select(TicketUnit.id).where(TicketUnit.status == "open"), guarded) == []


def test_const_takes_plain_words_only():
    assert str(const("assist")) == "'assist'"
    for bad in ("it's", "a b", "", "x'; drop table tickets; --"):
        try:
            const(bad)
        except ValueError:
            continue
        raise AssertionError(f"const accepted {bad!r}")


def test_the_main_flows_bind_no_value_against_a_partial_index(app, city, make_ticket, now, api, browser):
    with watching(db.engine, db.metadata) as seen:
        tickets = _varied_tickets(city, make_ticket, now)  # the lead of tickets[1] has asked for more time
        assigned = db.session.get(Ticket, tickets[1].id)
        for decided in (False, True):  # the API's reads join the open request (extension_request) and then none
            for user in (city.admin, city.unit_a, city.unit_b, city.inspector):
                assert api.get("/api/v1/tickets?per_page=100", user).status_code == 200
                for ticket in tickets:
                    assert api.get(f"/api/v1/tickets/{ticket.id}", user).status_code in (200, 404)
            if not decided:
                services.decide_extension(city.admin, db.session.get(Ticket, assigned.id), now + timedelta(hours=32),
                                          True, "同意")
                db.session.commit()
        office = browser(city.admin)
        for page in ("/", "/tickets", f"/tickets/{assigned.id}"):
            assert office.get(page, follow_redirects=True).status_code == 200, page
        assert browser(city.unit_a).get("/", follow_redirects=True).status_code == 200
        run_sweep(now + timedelta(days=30))
        db.session.commit()
        counts.unit_counts(periods.containing(now, "month"), now + timedelta(days=30))
    assert seen == []
