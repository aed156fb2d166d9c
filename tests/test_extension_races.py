"""Extension requests raced (issue 11 item 4): 20 parallel requests for one ticket left 2-3 open requests, and
parallel approve/reject of one request all answered 200, moved the deadline more than once and logged a decision
each. Now: one open request per ticket (a partial unique index, and the ticket's version makes a second request
sent at once a 409), and a decision counts only if the request is still open when it is written.

Sent through the API, each call from its own test client and thread (its own app context, session and connection),
released together. The check for an open request takes 0.2 s (as on a busy server), so every side has made it before
any writes: the race is there on every run, on SQLite as on PostgreSQL. Uses nothing newer than the API, so it also runs, unchanged, on the code before the fix
(8f8bd92), where both tests fail; tests/prefix_check runs them there.
"""
from __future__ import annotations

import threading
import time

import pytest
from conftest import PASSWORD
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.tickets.models import ExtensionRequest, Ticket, TicketEvent


@pytest.fixture(autouse=True)
def slow_checks(monkeypatch):
    """Looking up a ticket's open request takes 0.2 s (patched where the operations call it, in both versions)."""
    from inspect_app.tickets import services

    real = services.open_extension

    def slow(ticket):
        found = real(ticket)
        time.sleep(0.2)
        return found
    monkeypatch.setattr(services, "open_extension", slow)


def bearer(app, username: str) -> dict[str, str]:
    token = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}
                                   ).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def at_once(app, calls: list[tuple[str, dict, dict]]) -> list[int]:
    """POST each (url, json, headers) from its own thread and test client at the same instant; the statuses."""
    barrier = threading.Barrier(len(calls), timeout=30)
    statuses = [0] * len(calls)

    def one(i: int) -> None:
        url, body, headers = calls[i]
        client = app.test_client()
        barrier.wait()
        statuses[i] = client.post(url, json=body, headers=headers).status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    return statuses


def extension_rows(ticket_id: int) -> list:
    db.session.expire_all()
    return list(db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket_id)))


def actions_of(ticket_id: int) -> list[str]:
    db.session.expire_all()
    return [e.action for e in db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))]


def test_parallel_extension_requests_leave_one_open_request(app, city, make_ticket):
    unit = bearer(app, "unit_a")
    for _ in range(2):
        ticket_id = make_ticket(category="spider_web").id
        url = f"/api/v1/tickets/{ticket_id}/request_extension"
        statuses = at_once(app, [(url, {"until": "2027-01-30", "reason": f"线路迁改{i}"}, unit) for i in range(20)])
        assert sorted(statuses) == [200] + [409] * 19, statuses
        assert [r.status for r in extension_rows(ticket_id)] == ["open"]
        assert actions_of(ticket_id).count("request_extension") == 1


def test_parallel_decisions_on_one_request_count_once(app, city, make_ticket):
    office = bearer(app, "admin")
    for _ in range(3):
        ticket = make_ticket(category="spider_web")
        ticket_id, deadline = ticket.id, ticket.deadline
        url = f"/api/v1/tickets/{ticket_id}"
        assert app.test_client().post(f"{url}/request_extension", json={"until": "2027-01-30", "reason": "线路迁改"},
                                      headers=bearer(app, "unit_a")).status_code == 200
        decisions = [{"approved": True, "note": "同意"}, {"approved": False, "note": "不同意"}] * 2
        statuses = at_once(app, [(f"{url}/decide_extension", body, office) for body in decisions])
        assert sorted(statuses) == [200, 409, 409, 409], statuses
        won = decisions[statuses.index(200)]["approved"]
        [request] = extension_rows(ticket_id)
        assert request.status == ("approved" if won else "rejected")
        assert actions_of(ticket_id).count("decide_extension") == 1
        fresh = db.session.get(Ticket, ticket_id)
        assert fresh.extension_count == (1 if won else 0)
        assert fresh.deadline == (request.until if won else deadline)
