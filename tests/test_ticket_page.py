"""A ticket's page reads its ticket with statements built once (tickets/queries.py page_ticket): a fixed number of
statements whatever the ticket holds, the same relationships get_ticket's loader options load, the same people
see it. (How a read-only request ends, which lets PostgreSQL keep prepared statements: test_request_transactions.)"""
from __future__ import annotations

from contextlib import contextmanager

from conftest import sign_in
from sqlalchemy import event
from test_responsibility import carriers, rectify, rectify_part, shared_pole  # noqa: F401 (fixtures)

from inspect_app.auth.models import User
from inspect_app.extensions import db
from inspect_app.tickets import queries


@contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def page_statements(client, ticket_id: int) -> int:
    client.get(f"/tickets/{ticket_id}")  # the login's own first-request work out of the way
    with counted() as statements:
        response = client.get(f"/tickets/{ticket_id}")
    assert response.status_code == 200
    return len(statements)


def test_the_ticket_page_reads_a_fixed_number_of_statements(app, api, client, city, carriers, shared_pole):  # noqa: F811
    (_mobile, _unicom, _telecom), (mobile_user, unicom_user, telecom_user) = carriers
    sign_in(client, city.admin)
    # Assigned, one photo, one event, three parts: the session's user, the ticket, its parts, events and photos,
    # the open extension (asked for on an assigned ticket only), the office's menu counts (one statement), the
    # 回潮 links, the units the office may add or dispatch to, the sites near it (关联点位: one statement, the
    # ticket has a position) and the same category's open problems near it (疑似重复: one statement).
    assigned = page_statements(client, shared_pole.id)
    assert assigned == 11
    assert rectify_part(api, mobile_user, shared_pole).status_code == 200
    assert rectify_part(api, unicom_user, shared_pole).status_code == 200
    assert rectify(api, telecom_user, shared_pole).status_code == 200
    # Three events more, with photos of the parts and of the whole: not one statement more; rectified, the ticket
    # has no extension to ask for and no units to add or dispatch to (the two statements fewer).
    assert page_statements(client, shared_pole.id) == assigned - 2 == 9


def test_the_page_loads_what_get_ticket_loads_and_reads_nothing_more(app, api, city, carriers, shared_pole):  # noqa: F811
    (_mobile, _unicom, _telecom), (mobile_user, unicom_user, telecom_user) = carriers
    for user in (mobile_user, unicom_user):
        assert rectify_part(api, user, shared_pole).status_code == 200
    assert rectify(api, telecom_user, shared_pole).status_code == 200
    ticket_id = shared_pole.id

    def shape(ticket):
        return {"parts": [(p.id, p.unit.name, [ph.id for ph in p.photos], p.is_overdue(ticket.reported_at))
                          for p in ticket.parts],
                "events": [(e.id, e.action, e.actor.name if e.actor else None, [ph.id for ph in e.photos])
                           for e in ticket.events],
                "photos": [(p.id, p.kind) for p in ticket.photos],
                "names": (ticket.category.name, ticket.unit.name, ticket.segment.name if ticket.segment else None,
                          ticket.reporter.name)}

    admin_id = city.admin.id
    expected = shape(queries.get_ticket(city.admin, ticket_id, detail=True))
    db.session.expunge_all()  # nothing loaded left for page_ticket to find
    ticket = queries.page_ticket(db.session.get(User, admin_id), ticket_id)
    with counted() as statements:
        got = shape(ticket)
    assert got == expected
    assert len(got["parts"]) == 3 and len(got["photos"]) == 4  # the report's photo and one per rectification
    assert sorted(action for _id, action, _actor, photos in got["events"] if photos and action != "create") == \
        ["rectify", "rectify_part", "rectify_part"]
    assert all(part[2] for part in got["parts"])  # each unit's part with its rectification photos
    assert statements == []  # everything the page reads was loaded


def test_the_page_keeps_to_who_may_see_the_ticket(browser, city, carriers, shared_pole):  # noqa: F811
    (_mobile, _unicom, _telecom), (mobile_user, _unicom_user, _telecom_user) = carriers
    assert browser(mobile_user).get(f"/tickets/{shared_pole.id}").status_code == 200  # assisting: its part
    assert browser(city.unit_a).get(f"/tickets/{shared_pole.id}").status_code == 404  # no part: hidden
    assert browser(city.admin).get("/tickets/999999").status_code == 404

