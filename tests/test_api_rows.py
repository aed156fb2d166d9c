"""The API's list and detail come from Core rows (tickets/rows.py) and must say exactly what serialize.ticket_dict
says from the ORM objects: every status, with and without unit, segment, reporter, photos, events with photos and
data, and whatever fields ticket_dict gains later (a field added to one side only fails here)."""
from __future__ import annotations

from datetime import timedelta

from inspect_app.common.timeutil import utcnow
from inspect_app.extensions import db
from inspect_app.tickets import queries, services
from inspect_app.tickets.models import Ticket
from inspect_app.tickets.serialize import ticket_dict

from conftest import processed


def _expected(app, user, ticket_id, now, detail):
    with app.test_request_context():
        ticket = queries.get_ticket(user, ticket_id, detail=detail)
        return ticket_dict(ticket, now, detail=detail)


def _varied_tickets(city, make_ticket, now):
    """Tickets in every status and shape the API shows."""
    pending = make_ticket(point=city.FAR)                       # no segment, no unit: pending
    assigned = make_ticket(point=city.ON_A)                     # street A
    parking = make_ticket("illegal_parking", point=city.ON_B)    # the category's own unit (police)
    rectified = make_ticket(point=city.ON_B)
    closed = make_ticket(point=city.ON_A)
    disputed = make_ticket(point=city.ON_A, source="undercover", description="多行\n描述", address="人民路 1 号")
    cancelled = make_ticket(point=city.ON_B)
    later = now + timedelta(hours=30)
    services.rectify(city.unit_b, db.session.get(Ticket, rectified.id), later, "已清理", [processed("Canon_40D.jpg")])
    services.rectify(city.unit_a, db.session.get(Ticket, closed.id), later, "已清理", [processed("Canon_40D.jpg")])
    services.approve(city.inspector, db.session.get(Ticket, closed.id), later, "合格")
    services.dispute(city.unit_a, db.session.get(Ticket, disputed.id), later, "不属于本单位")
    services.cancel(city.admin, db.session.get(Ticket, cancelled.id), later, "重复上报")
    from inspect_app.tickets import parts
    parts.add_assist(db.session.get(Ticket, assigned.id), city.street_b, later, city.admin)  # 主办 and 协办
    db.session.commit()
    # Open requests: the lead's for more time (the ticket's), the assisting unit's for more time and to be taken off.
    asking = later + timedelta(hours=1)
    services.request_extension(city.unit_a, db.session.get(Ticket, assigned.id), asking, workdays=2, reason="需采购")
    parts.request_part_extension(city.unit_b, db.session.get(Ticket, assigned.id), asking, workdays=3,
                                 reason="等待审批")
    parts.request_withdraw(city.unit_b, db.session.get(Ticket, assigned.id), asking, "不属于本单位职责")
    db.session.commit()
    return [pending, assigned, parking, rectified, closed, disputed, cancelled]


def test_list_rows_equal_orm_dicts(app, city, make_ticket, now, api):
    tickets = _varied_tickets(city, make_ticket, now)
    late = now + timedelta(days=3)  # some are overdue by then
    for user in (city.admin, city.unit_a, city.unit_b, city.unit_police, city.leader, city.inspector):
        response = api.get("/api/v1/tickets?per_page=100", user)
        assert response.status_code == 200
        body = response.get_json()
        with app.test_request_context():
            items, total = queries.list_tickets(user, queries.TicketFilter(per_page=100), late)
            from inspect_app.tickets import rows
            fast, fast_total = rows.list_page(user, queries.TicketFilter(per_page=100), late)
            assert fast == [ticket_dict(t, late) for t in items]
            assert fast_total == total
        assert body["total"] == len(body["items"])
        assisted = {tickets[1].id} if user.unit_id == city.street_b.id else set()  # street B assists on it
        assert [item["id"] for item in body["items"]] == sorted(
            (t.id for t in tickets if user.role != "unit" or t.unit_id == user.unit_id or t.id in assisted),
            reverse=True)
    # The filters are the list's own: one unit, a status ("open": not closed or cancelled), a page.
    response = api.get(f"/api/v1/tickets?unit_id={city.street_a.id}&status=open&page=1&per_page=1", city.admin)
    body = response.get_json()
    assert body["page"] == 1 and body["per_page"] == 1 and len(body["items"]) == 1
    assert body["items"][0]["unit"]["id"] == city.street_a.id and body["total"] == 2  # assigned, disputed


def test_list_pages_equal_orm_pages(app, city, make_ticket, now):
    """Every page of a filter (the last one short, one past the end empty) and its total are the ORM list's, with
    the open statuses written into the SQL (common.sql.consts) rather than sent as an expanding parameter."""
    _varied_tickets(city, make_ticket, now)
    late = now + timedelta(days=3)
    from inspect_app.tickets import rows
    with app.test_request_context():
        for overdue, status in ((False, None), (True, None), (False, "open"), (False, "closed")):
            seen = []
            for page in (1, 2, 3, 4, 5):
                flt = queries.TicketFilter(overdue=overdue, status=status, page=page, per_page=2)
                items, total = queries.list_tickets(city.admin, flt, late)
                fast, fast_total = rows.list_page(city.admin, flt, late)
                assert fast == [ticket_dict(t, late) for t in items] and fast_total == total
                seen += [item["id"] for item in fast]
            assert seen == sorted(seen, reverse=True) and len(seen) == total
    assert total == 1  # the one closed ticket; pages 2 to 5 were empty


def test_list_pages_of_every_size_and_a_campaigns_districts(app, city, make_ticket, now):
    """A page's rows are read by a statement of fixed size (prepared.ByIds.SIZES, the last id repeated to fill it):
    every page size gives the ORM's page once each. A campaign narrowed to districts sends them as an expanding
    parameter, so its count and ids are run through SQLAlchemy: still the ORM's list."""
    from inspect_app.tickets import rows
    from inspect_app.tickets.campaigns import Campaign
    made = [make_ticket(point=city.ON_A if n % 2 else city.ON_B) for n in range(12)]
    campaign = Campaign(name="专项", start_date=(now - timedelta(days=2)).date(),
                        end_date=(now + timedelta(days=2)).date(), districts=["江城区"])
    campaign.categories = [city.niupixuan]
    db.session.add(campaign)
    db.session.commit()
    with app.test_request_context():
        for per_page in (1, 4, 5, 6, 11, 12, 20, 21, 100):
            flt = queries.TicketFilter(per_page=per_page, page=2)
            items, total = queries.list_tickets(city.admin, flt, now)
            fast, fast_total = rows.list_page(city.admin, flt, now)
            assert fast == [ticket_dict(t, now) for t in items] and fast_total == total == len(made)
            assert len({item["id"] for item in fast}) == len(fast) == max(0, min(per_page, len(made) - per_page))
        flt = queries.TicketFilter(campaign_id=campaign.id, per_page=3)
        items, total = queries.list_tickets(city.admin, flt, now)
        fast, fast_total = rows.list_page(city.admin, flt, now)
        assert fast == [ticket_dict(t, now) for t in items] and fast_total == total
        assert 0 < total < len(made)  # the district's tickets only


def test_detail_rows_equal_orm_dicts(app, city, make_ticket, now, api):
    tickets = _varied_tickets(city, make_ticket, now)
    for ticket in tickets:
        body = api.get(f"/api/v1/tickets/{ticket.id}", city.admin).get_json()
        assert body == _expected(app, city.admin, ticket.id, utcnow(), detail=True)  # the request's clock
        with app.test_request_context():
            from inspect_app.tickets import rows
            for at in (now, now + timedelta(days=3)):
                assert rows.detail(city.admin, ticket.id, at) == _expected(app, city.admin, ticket.id, at, True)
    closed = tickets[4]
    body = api.get(f"/api/v1/tickets/{closed.id}", city.admin).get_json()
    assert [p["kind"] for p in body["photos"]] == ["before", "after"]
    assert any(e["photo_ids"] for e in body["events"]) and body["events"][0]["actor"] == "inspector"
    units = api.get(f"/api/v1/tickets/{tickets[1].id}", city.admin).get_json()["units"]
    assert [(u["id"], u["role"]) for u in units] == [(city.street_a.id, "lead"), (city.street_b.id, "assist")]
    lead, assist = units
    assert lead["extension_request"]["reason"] == "需采购" and lead["withdraw_request"] is None
    assert lead["extension_request"]["until"] > lead["deadline"]
    assert assist["extension_request"]["reason"] == "等待审批"
    assert assist["extension_request"]["until"] > assist["deadline"]
    assert assist["withdraw_request"]["reason"] == "不属于本单位职责"
    assert assist["withdraw_request"]["requested_at"].endswith("+08:00")
    others = api.get(f"/api/v1/tickets/{tickets[3].id}", city.admin).get_json()["units"]
    assert others and all(u["extension_request"] is None and u["withdraw_request"] is None for u in others)


def test_detail_hides_other_units_tickets(city, make_ticket, api):
    on_a = make_ticket(point=city.ON_A)
    assert api.get(f"/api/v1/tickets/{on_a.id}", city.unit_a).status_code == 200
    response = api.get(f"/api/v1/tickets/{on_a.id}", city.unit_b)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/tickets/999999", city.admin).status_code == 404


def test_times_formatted_by_the_database_read_as_timeutil_says(app):
    """shanghai_iso (the API reads' times, written by SQLite or PostgreSQL) gives timeutil.isoformat's text: cut,
    never rounded, to the second, across midnight and the year's end; a time of Shanghai's 1986-91 summers keeps
    its instant at +08:00."""
    from datetime import datetime, timezone

    from sqlalchemy import literal, select

    from inspect_app.common.sql import shanghai_iso
    from inspect_app.common.timeutil import isoformat, parse_iso
    from inspect_app.common.types import UTCDateTime

    def formatted(value):
        return db.session.scalar(select(shanghai_iso(literal(value, UTCDateTime()))))

    for value in (datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc),
                  datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=timezone.utc),
                  datetime(2026, 12, 31, 16, 0, 0, 500000, tzinfo=timezone.utc),
                  datetime(2028, 2, 28, 20, 30, 1, tzinfo=timezone.utc),
                  datetime(1991, 12, 31, 16, 0, tzinfo=timezone.utc)):
        assert formatted(value) == isoformat(value), value
    summer = datetime(1988, 7, 1, 3, 4, 5, tzinfo=timezone.utc)
    assert formatted(summer) == "1988-07-01T11:04:05+08:00" and parse_iso(formatted(summer)) == summer
    assert formatted(None) is None


def test_filing_and_action_answers_equal_the_orm_dicts(app, city, api, now):
    from conftest import file_tuple

    response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data",
                        data={"category": "niupixuan", "lat": str(city.ON_A[0]), "lon": str(city.ON_A[1]),
                              "description": "照片上报", "photos": [file_tuple("gps_DSCN0010.jpg")]})
    assert response.status_code == 201
    filed = response.get_json()
    expected = _expected(app, city.admin, filed["id"], utcnow(), True)
    assert filed == expected
    assert filed["photos"] and filed["events"][0]["photo_ids"] == [filed["photos"][0]["id"]]
    moved = api.post(f"/api/v1/tickets/{filed['id']}/rectify", city.unit_a, content_type="multipart/form-data",
                     data={"note": "已清除", "photos": [file_tuple()]})
    assert moved.status_code == 200
    body = moved.get_json()
    assert body == _expected(app, city.admin, filed["id"], utcnow(), True)
    assert body["status"] == "rectified" and len(body["photos"]) == 2
