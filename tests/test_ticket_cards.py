"""List cards (tickets/cards.py): the plain lists read their cards as rows, not as Ticket objects. Whatever the
viewer, filter and order, a list must show the same cards, in the same order, with the same total, as the tickets
themselves say (TicketCard.of, what the office's work list renders), field by field."""
from __future__ import annotations

import re
from datetime import timedelta

from conftest import City, processed
from sqlalchemy import select
from test_responsibility import carriers, shared_pole  # noqa: F401 (fixtures: 电信 leads, 移动 and 联通 assist)

from inspect_app.extensions import db
from inspect_app.tickets import queries, services
from inspect_app.tickets.cards import NO_ADDRESS, TicketCard, list_cards
from inspect_app.tickets.models import Ticket


def _a_varied_city(city, make_ticket, now, shared_pole):  # noqa: F811
    """Tickets showing every part of a card: late (with an address), extension asked, escalated and reworked, on a
    road without an address, not dispatched yet (nowhere), rectified, with several units, filed by someone with a
    display name."""
    city.inspector2.display_name = "王巡查"
    db.session.commit()
    late = make_ticket(at_time=now - timedelta(hours=50), address="人民路东段12号门前")
    extended = make_ticket(reporter=city.inspector2)
    services.request_extension(city.unit_a, extended, now, until=(now + timedelta(days=20)).date().isoformat(),
                               reason="需协调")
    escalated = make_ticket(at_time=now - timedelta(hours=30))
    escalated.escalation_level, escalated.rework_count = 1, 2  # as the escalation sweep and two rejections leave it
    make_ticket(point=None, segment=city.seg_a, address="")
    make_ticket(point=City.FAR)  # no road near: waits for the office
    done = make_ticket()
    services.rectify(city.unit_a, done, now, "已清理", [processed()])
    db.session.commit()
    return late, extended, escalated


def _as_tickets(user, flt, now, overdue_first):
    tickets, total = queries.list_tickets(user, flt, now, overdue_first=overdue_first)
    return [TicketCard.of(t, user) for t in tickets], total


def test_cards_read_as_rows_are_the_tickets_cards(app, city, make_ticket, now, shared_pole, carriers):  # noqa: F811
    _a_varied_city(city, make_ticket, now, shared_pole)
    (mobile_user, _, telecom_user) = carriers[1]
    lists = [(city.unit_a, dict(status="assigned", my_part="open"), True),
             (city.unit_a, dict(), True),
             (city.unit_a, dict(my_part="rectified"), True),
             (mobile_user, dict(status="assigned", my_part="open"), True),   # assisting: 协办
             (telecom_user, dict(), True),                                  # leading
             (city.admin, dict(), False),
             (city.admin, dict(status="open", per_page=3, page=2), False),
             (city.inspector, dict(reporter_id=city.inspector.id), False),
             (city.leader, dict(q="2"), False)]
    shown: list[TicketCard] = []
    for user, filters, overdue_first in lists:
        flt = queries.TicketFilter(**filters)
        expected, expected_total = _as_tickets(user, flt, now, overdue_first)
        cards, total = list_cards(user, queries.TicketFilter(**filters), now, overdue_first=overdue_first)
        assert (cards, total) == (expected, expected_total), (user.username, filters)
        shown += cards
    # The lists above did show every kind of card.
    assert any(c.assisting for c in shown) and any(not c.assisting and c.unit_id for c in shown)
    assert any(c.extension_until for c in shown) and any(c.escalation_level and c.rework_count for c in shown)
    assert any(c.place == "人民路东段" for c in shown) and any(c.unit_name is None for c in shown)
    assert any(c.parts == 3 for c in shown) and any(c.reporter_name == "王巡查" for c in shown)
    assert all(c.photo_id for c in shown) and any(c.is_overdue(now) for c in shown)
    assert {"人民路东段12号门前", "人民路东段", NO_ADDRESS} <= {c.place for c in shown}  # address, road, neither


def test_without_parts_a_unit_list_skips_counting_them(app, city, make_ticket, now):
    make_ticket()
    cards, total = list_cards(city.unit_a, queries.TicketFilter(), now, with_parts=False)
    assert total == 1 and cards[0].parts == 0
    cards, _ = list_cards(city.unit_a, queries.TicketFilter(), now)
    assert cards[0].parts == 1


def test_the_unit_list_page_shows_each_card_as_before(browser, city, make_ticket, now, shared_pole,  # noqa: F811
                                                      carriers):  # noqa: F811
    late, extended, escalated = _a_varied_city(city, make_ticket, now, shared_pole)
    page = browser(city.unit_a).get("/unit/tickets").get_data(as_text=True)
    cards = {int(m.group(1)): m.group(0) for m in re.finditer(r'<li class="tcard[^"]*">\s*<a href="/tickets/(\d+)">'
                                                               r'.*?</li>', page, re.S)}
    assert set(cards) >= {late.id, extended.id, escalated.id}
    first_photo = db.session.scalar(select(Ticket).where(Ticket.id == late.id)).photos_of("before")[0]
    assert f'src="/tickets/photos/{first_photo.id}/thumb"' in cards[late.id] and "is-late" in cards[late.id]
    assert "延期申请待审批：至" in cards[extended.id] and "延期申请" not in cards[late.id]
    assert '<span class="badge esc">' in cards[escalated.id] and "返工2次" in cards[escalated.id]
    assert "role-assist" not in page  # unit_a leads every ticket it has
    assert "badge src-" not in cards[late.id]  # 日常督查: no source named
    late.source = "superior"  # an item of the assessors' feedback list: the unit sees where it came from
    db.session.commit()
    page = browser(city.unit_a).get("/unit/tickets").get_data(as_text=True)
    assert page.count('<span class="badge src-superior">上级测评反馈</span>') == 1
    # A unit answering as 协办 sees the badge; the lead does not.
    mobile_user, _, telecom_user = carriers[1]
    assisting = browser(mobile_user).get("/unit/tickets").get_data(as_text=True)
    leading = browser(telecom_user).get("/unit/tickets").get_data(as_text=True)
    assert shared_pole.number in assisting and 'class="badge role-assist">协办' in assisting
    assert shared_pole.number in leading and "role-assist" not in leading
    # The office's list names the lead unit and how many answer.
    office = browser(city.admin).get("/tickets").get_data(as_text=True)
    assert "中国电信临江分公司 等3家" in office


def test_a_category_in_one_status_is_read_from_its_index(app, city, make_ticket, now):
    """The dashboard's 在办 and 超期 of a category link to these lists: counted and paged from
    ix_tickets_category_status, not by walking every ticket of the category (SQLite's plan without statistics,
    as the app runs it, is the same for any number of rows)."""
    import pytest
    from conftest import sql_sent

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    make_ticket(point=City.FAR)
    for flt in (queries.TicketFilter(category="niupixuan", status="pending"),
                queries.TicketFilter(category="niupixuan", status="open"),
                queries.TicketFilter(category="niupixuan", overdue=True)):
        with sql_sent() as sent:
            list_cards(city.admin, flt, now)
        counted = [(s, p) for s, p in sent if s.startswith("SELECT count(*)") and "category_id" in s]
        assert len(counted) == 1, sent
        for statement, parameters in counted + [(s, p) for s, p in sent if "ORDER BY tickets.id DESC" in s
                                                and flt.status == "pending"]:
            plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            assert any("ix_tickets_category_status" in str(row) for row in plan), (flt, statement, plan)
