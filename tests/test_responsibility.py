"""Two layers of responsibility and several units on one ticket (issue 15): 包抓 and 属地, each category's rule,
产权 units picked at filing, 主办 and 协办 parts with their own state, deadlines and photos, who sees what."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import BEFORE_PHOTO, PASSWORD, City, file_tuple, migrated, processed
from sqlalchemy import event, select

from inspect_app.auth.services import create_user
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.tickets import parts, services
from inspect_app.tickets.models import Ticket, TicketUnit
from inspect_app.units.models import Unit

CARRIERS = ("中国移动临江分公司", "中国联通临江分公司", "中国电信临江分公司")


@pytest.fixture
def carriers(city, now):
    """Three carriers with a clerk each; 蜘蛛网 goes to the 产权 units the inspector picks, from these."""
    units = [Unit(code=f"QY0{i}", name=name, kind="企业") for i, name in enumerate(CARRIERS, start=1)]
    db.session.add_all(units)
    db.session.flush()
    users = [create_user(f"qy0{i}", "unit", PASSWORD, now, unit=unit) for i, unit in enumerate(units, start=1)]
    city.spider.route = "owner"
    city.spider.owner_choices = units
    db.session.commit()
    return units, users


@pytest.fixture
def shared_pole(api, city, carriers):
    """A 蜘蛛网 ticket on a pole the three carriers share: 电信 leads, 移动 and 联通 assist (filed through the API)."""
    (mobile, unicom, telecom), _ = carriers
    response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data", data={
        "category": "spider_web", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
        "owner_unit_ids": f"{telecom.id},{mobile.id},{unicom.id}", "photos": [file_tuple(BEFORE_PHOTO)]})
    assert response.status_code == 201, response.get_json()
    return db.session.get(Ticket, response.get_json()["id"])


def rectify_part(api, user, ticket, note="已整理本公司线缆"):
    return api.post(f"/api/v1/tickets/{ticket.id}/rectify_part", user, content_type="multipart/form-data",
                    data={"note": note, "photos": [file_tuple()]})


def rectify(api, user, ticket):
    return api.post(f"/api/v1/tickets/{ticket.id}/rectify", user, content_type="multipart/form-data",
                    data={"note": "整体整改完成", "photos": [file_tuple()]})


# ----------------------------------------------------------------------------- whom a category goes to

def test_adopting_unit_answers_for_its_segment_else_the_street(city, make_ticket):
    parks = Unit(code="SZ06", name="市园林绿化局", kind="市直单位")
    db.session.add(parks)
    city.seg_a.adopting_unit = parks
    city.niupixuan.route = "adopting"
    db.session.commit()
    adopted = make_ticket(point=City.ON_A)
    assert adopted.unit_id == parks.id  # seg_a is adopted: its 包抓 department
    assert make_ticket(point=City.ON_B).unit_id == city.street_b.id  # seg_b is not: its 属地 street office
    parks.active = False
    db.session.commit()
    later = make_ticket(point=City.ON_A)
    assert later.unit_id == city.street_a.id  # a retired department gets nothing
    # each problem keeps the 包抓 unit of when it was filed (红黑榜, the lists' 负责单位): none once it is retired
    assert (adopted.adopting_unit_id, later.adopting_unit_id) == (parks.id, None)


def test_the_api_names_each_segments_adopting_unit_and_each_categorys_rule(api, city, make_ticket):
    """A client can tell where a report will go: the category's rule (`route`) and the segment's 包抓 unit."""
    parks = Unit(code="SZ06", name="市园林绿化局", kind="市直单位")
    db.session.add(parks)
    city.seg_a.adopting_unit = parks
    city.niupixuan.route = "adopting"
    db.session.commit()
    segments = {s["id"]: s for s in api.get("/api/v1/segments", city.inspector).get_json()}
    assert segments[city.seg_a.id]["adopting_unit_id"] == parks.id
    assert segments[city.seg_a.id]["adopting_unit"] == {"id": parks.id, "name": "市园林绿化局"}
    assert segments[city.seg_b.id]["adopting_unit_id"] is None and segments[city.seg_b.id]["adopting_unit"] is None
    near = api.get(f"/api/v1/segments?lat={City.ON_A[0]}&lon={City.ON_A[1]}", city.inspector).get_json()
    assert near[0]["id"] == city.seg_a.id and near[0]["adopting_unit"]["name"] == "市园林绿化局"
    assert "distance_m" in near[0] and near[1]["adopting_unit"] is None
    categories = {c["code"]: c for c in api.get("/api/v1/categories", city.inspector).get_json()}
    assert categories["niupixuan"]["route"] == "adopting"
    assert make_ticket(point=City.ON_A).unit_id == segments[city.seg_a.id]["adopting_unit_id"]
    parks.active = False  # retired: not named, and the 属地 unit (unit_id) gets the problem
    db.session.commit()
    segment = next(s for s in api.get("/api/v1/segments", city.inspector).get_json() if s["id"] == city.seg_a.id)
    assert segment["adopting_unit"] is None and segment["adopting_unit_id"] is None
    assert make_ticket(point=City.ON_A).unit_id == segment["unit_id"]


@pytest.fixture
def market(city, now):
    """东风农贸市场: street A's, under the market regulator (市场监管局, its 行业主管), run by a market company."""
    from inspect_app.sites.models import Site, SiteKind

    regulator = Unit(code="SJ", name="市市场监督管理局", kind="市直单位")
    operator = Unit(code="QY10", name="东风市场管理有限公司", kind="企业")
    site = Site(code="NM-1", name="东风农贸市场", kind=SiteKind(name="农贸市场"), district="江城区",
                lat=City.ON_A[0], lon=City.ON_A[1], active=True, territorial_unit=city.street_a, sector_unit=regulator,
                operator_unit=operator, created_at=now)
    db.session.add_all([regulator, operator, site])
    db.session.commit()
    return site


def dispatched_how(ticket) -> str:
    return next(e.note for e in ticket.events if e.action == "dispatch")


def test_a_sector_category_at_a_site_goes_to_the_sites_regulator(city, make_ticket, market):
    """行业主管部门（点位的主管部门）: a problem filed at a market goes to the market's 行业主管; elsewhere to the
    category's own unit, else the road's 属地 street office."""
    city.spider.route = "sector"
    db.session.commit()
    at_market = make_ticket(category="spider_web", site_id=market.id)
    assert at_market.unit_id == market.sector_unit_id and dispatched_how(at_market) == "按点位的行业主管部门自动派遣"
    on_the_road = make_ticket(category="spider_web")
    assert on_the_road.unit_id == city.street_a.id and dispatched_how(on_the_road) == "按责任路段的属地单位自动派遣"
    city.spider.owner_unit = city.roads
    market.sector_unit.active = False  # a retired regulator gets nothing: the category's own unit
    db.session.commit()
    assert make_ticket(category="spider_web", site_id=market.id).unit_id == city.roads.id
    assert make_ticket(category="spider_web").unit_id == city.roads.id
    market.active = False  # a retired site's units are not asked
    market.sector_unit.active = True
    db.session.commit()
    assert make_ticket(category="spider_web", site_id=market.id).unit_id == city.roads.id


def test_a_problem_at_a_site_with_no_road_near_goes_to_the_sites_street_office(city, make_ticket, market):
    """Inside a park or a market no road segment is near: the site's registered 属地 unit answers, rather than the
    office dispatching by hand; a site-less problem there still waits for the office."""
    inside = make_ticket(point=City.FAR, site_id=market.id)
    assert inside.status == "assigned" and inside.unit_id == city.street_a.id
    assert dispatched_how(inside) == "按点位的属地单位自动派遣"
    assert make_ticket(point=City.FAR).status == "pending"
    near_road = make_ticket(point=City.ON_B, site_id=market.id)  # the road's street office comes first
    assert near_road.unit_id == city.street_b.id and dispatched_how(near_road) == "按责任路段的属地单位自动派遣"


def test_a_category_made_with_its_own_unit_keeps_going_to_it(city, make_ticket):
    assert city.parking.route == "own"  # made in conftest without a rule: API.md's rule holds
    assert make_ticket(category="illegal_parking", segment=city.seg_a).unit_id == city.police.id


def test_carriers_picked_at_filing_become_lead_and_assisting_units(api, city, carriers, shared_pole):
    (mobile, unicom, telecom), _ = carriers
    body = api.get(f"/api/v1/tickets/{shared_pole.id}", city.inspector).get_json()
    assert body["unit"] == {"id": telecom.id, "name": telecom.name}
    assert [(u["id"], u["role"]) for u in body["units"]] == [(telecom.id, "lead"), (mobile.id, "assist"),
                                                              (unicom.id, "assist")]
    assert {u["name"] for u in body["units"]} == set(CARRIERS)
    assert all(u["status"] == "open" and u["deadline"] for u in body["units"])
    assert [e["action"] for e in body["events"]] == ["create", "dispatch", "add_unit", "add_unit"]


def test_an_inspector_cannot_name_units_where_the_rule_decides(api, city, carriers):
    (mobile, _, _), _ = carriers
    for category, ids in (("niupixuan", str(mobile.id)),         # a rule category: no picking
                          ("spider_web", str(city.street_b.id)),  # not one of 蜘蛛网's carriers
                          ("spider_web", "999999")):              # no such unit
        response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data", data={
            "category": category, "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "owner_unit_ids": ids,
            "photos": [file_tuple()]})
        assert response.status_code == 422, response.get_json()
    assert db.session.scalar(select(Ticket.id)) is None


def test_the_filing_page_offers_the_carriers_and_takes_lead_and_assists(browser, city, carriers):
    (mobile, unicom, telecom), _ = carriers
    inspector = browser(city.inspector)
    page = inspector.get("/tickets/new").get_data(as_text=True)
    assert 'data-resp-for="spider_web"' in page and all(name in page for name in CARRIERS)
    response = inspector.submit("/tickets/new", "/tickets/new", {
        "category": "spider_web", "lat": str(City.ON_B[0]), "lon": str(City.ON_B[1]), "owner_lead": str(unicom.id),
        "owner_assist": [str(mobile.id), str(telecom.id)], "photos": [file_tuple(BEFORE_PHOTO)]}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert [(p.unit_id, p.role) for p in ticket.parts] == [(unicom.id, "lead"), (mobile.id, "assist"),
                                                           (telecom.id, "assist")]


# ----------------------------------------------------------------------------- several units on one ticket

def test_shared_pole_each_carrier_its_part_the_lead_the_whole(api, browser, city, carriers, shared_pole, uploads):
    (mobile, unicom, telecom), (mobile_user, unicom_user, telecom_user) = carriers
    ticket = shared_pole
    files_before = len(list(uploads.rglob("*.jpg")))

    # An assisting unit sees the ticket, in its list too...
    assert api.get(f"/api/v1/tickets/{ticket.id}", mobile_user).status_code == 200
    assert [t["id"] for t in api.get("/api/v1/tickets", mobile_user).get_json()["items"]] == [ticket.id]
    # ...but cannot move the whole ticket: 403, before its photos are read.
    for action, kwargs in (("rectify", {"content_type": "multipart/form-data",
                                        "data": {"photos": [file_tuple()]}}),
                           ("dispute", {"json": {"reason": "不是我们的线"}}),
                           ("request_extension", {"json": {"workdays": 3, "reason": "需协调"}})):
        response = api.post(f"/api/v1/tickets/{ticket.id}/{action}", mobile_user, **kwargs)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_lead_unit", action
    assert len(list(uploads.rglob("*.jpg"))) == files_before
    # A unit with no part in it: 404 everywhere.
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.unit_a).status_code == 404
    assert api.get("/api/v1/tickets", city.unit_a).get_json()["items"] == []
    assert rectify_part(api, city.unit_a, ticket).status_code == 404

    # The lead cannot report the whole while a carrier's part is open; nor report a 协办 part.
    response = rectify(api, telecom_user, ticket)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "assist_parts_open"
    assert "中国移动" in response.get_json()["error"]["message"]
    assert rectify_part(api, telecom_user, ticket).status_code == 403
    # ...and its page says so instead of offering a form that would be refused
    rectify_form = f'action="/tickets/{ticket.id}/rectify"'
    page = browser(telecom_user).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert 'class="muted assist-wait"' in page and rectify_form not in page

    # Each carrier reports its own part with its own photos; the ticket stays with the units.
    body = rectify_part(api, mobile_user, ticket).get_json()
    assert body["status"] == "assigned"
    assert {u["id"]: u["status"] for u in body["units"]} == {telecom.id: "open", mobile.id: "rectified",
                                                             unicom.id: "open"}
    assert rectify_part(api, mobile_user, ticket).status_code == 409  # once
    assert rectify_part(api, unicom_user, ticket).status_code == 200
    mobile_part = db.session.scalar(select(TicketUnit).where(TicketUnit.unit_id == mobile.id))
    assert len(mobile_part.photos) == 1 and mobile_part.photos[0].kind == "after"
    assert mobile_part.note == "已整理本公司线缆"

    # Now the lead reports the whole: the only way to rectified.
    page = browser(telecom_user).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert rectify_form in page and "assist-wait" not in page
    body = rectify(api, telecom_user, ticket).get_json()
    assert body["status"] == "rectified" and {u["status"] for u in body["units"]} == {"rectified"}

    # The inspector sends it back, and the 移动 part with it; 联通's stays done.
    response = api.post(f"/api/v1/tickets/{ticket.id}/reject", city.inspector,
                        json={"note": "移动的线缆仍未捆扎", "reopen_units": [mobile.id]})
    body = response.get_json()
    assert body["status"] == "assigned"
    assert {u["id"]: u["status"] for u in body["units"]} == {telecom.id: "open", mobile.id: "open",
                                                             unicom.id: "rectified"}
    assert rectify(api, telecom_user, ticket).status_code == 409
    assert rectify_part(api, mobile_user, ticket).status_code == 200
    assert rectify(api, telecom_user, ticket).status_code == 200
    body = api.post(f"/api/v1/tickets/{ticket.id}/approve", city.inspector, json={"note": "整改到位"}).get_json()
    assert body["status"] == "closed" and {u["status"] for u in body["units"]} == {"closed"}
    actions = [e["action"] for e in body["events"]]
    assert actions.count("rectify_part") == 3 and actions.count("rectify") == 2


def test_the_ticket_page_shows_each_unit_and_the_assisting_units_form(browser, city, carriers, shared_pole):
    (mobile, _, _), (mobile_user, _, telecom_user) = carriers
    page = browser(mobile_user).get(f"/tickets/{shared_pole.id}").get_data(as_text=True)
    assert "协办整改反馈" in page and "提交本单位整改情况" in page
    assert "提交整改反馈" not in page and "申请退单" not in page  # the lead's forms are not offered
    lead_page = browser(telecom_user).get(f"/tickets/{shared_pole.id}").get_data(as_text=True)
    assert "尚未反馈本单位负责部分" in lead_page and "才能在这里提交整体整改反馈" in lead_page
    assert "提交整改反馈</button>" not in lead_page  # not before the assisting units have reported
    assert "提交本单位整改情况" not in lead_page


def test_unit_list_tabs_follow_the_units_own_part(api, browser, city, carriers, shared_pole):
    (_, _, _), (mobile_user, _, telecom_user) = carriers
    clerk = browser(mobile_user)
    assert shared_pole.number in clerk.get("/unit/tickets?tab=todo").get_data(as_text=True)
    rectify_part(api, mobile_user, shared_pole)
    assert shared_pole.number not in clerk.get("/unit/tickets?tab=todo").get_data(as_text=True)
    assert shared_pole.number in clerk.get("/unit/tickets?tab=feedback").get_data(as_text=True)
    # the lead still has it to do
    assert shared_pole.number in browser(telecom_user).get("/unit/tickets?tab=todo").get_data(as_text=True)


def test_the_office_adds_and_removes_an_assisting_unit(browser, city, make_ticket, api):
    ticket = make_ticket(point=City.ON_B)
    office = browser(city.admin)
    page = f"/tickets/{ticket.id}"
    assert "增加协办单位" in office.get(page).get_data(as_text=True)
    assert api.get(page.replace("/tickets", "/api/v1/tickets"), city.unit_police).status_code == 404
    response = office.submit(page, f"/tickets/{ticket.id}/add_unit", {"unit_id": str(city.police.id),
                                                                       "note": "涉及占道停车"})
    assert response.status_code == 303
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.unit_police).status_code == 200
    again = office.submit(page, f"/tickets/{ticket.id}/add_unit", {"unit_id": str(city.police.id)})
    assert again.status_code == 303 and "已是本问题的责任单位" in office.get(page).get_data(as_text=True)
    response = office.submit(page, f"/tickets/{ticket.id}/remove_unit", {"unit_id": str(city.police.id)})
    assert response.status_code == 303
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.unit_police).status_code == 404
    actions = [e.action for e in db.session.get(Ticket, ticket.id).events]
    assert actions[-2:] == ["add_unit", "remove_unit"]
    # the lead cannot be removed as if it assisted, nor can a unit clerk change who assists
    assert api.post(f"/api/v1/tickets/{ticket.id}/remove_unit", city.admin,
                    json={"unit_id": city.street_b.id}).status_code == 422
    assert api.post(f"/api/v1/tickets/{ticket.id}/add_unit", city.unit_b,
                    json={"unit_id": city.police.id}).status_code == 403



def test_an_assisting_unit_added_late_moves_the_leads_deadline_to_its_own(browser, city, make_ticket):
    """The lead reports the whole only after its assisting units: one added near the end of the lead's time got the
    category's full time, its deadline after the lead's, and the lead went overdue waiting for it. The lead's
    deadline moves to the assisting unit's, and the ticket's history says so; an overdue lead's does not."""
    ticket = make_ticket(point=City.ON_B)  # 24 hours
    original = ticket.deadline
    later = original - timedelta(hours=2)
    part = parts.add_assist(ticket, city.police, later, city.admin, note="涉及占道停车")
    db.session.commit()
    ticket = db.session.get(Ticket, ticket.id)
    assert part.deadline == later + timedelta(hours=24) == ticket.deadline == ticket.lead_part.deadline
    text = browser(city.admin).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "主办单位整改期限随之延至" in text
    late = make_ticket(point=City.ON_B)
    kept = late.deadline
    parts.add_assist(late, city.police, kept + timedelta(hours=1), city.admin)
    db.session.commit()
    assert db.session.get(Ticket, late.id).deadline == kept


def test_reassigning_to_an_assisting_unit_makes_it_the_lead(api, city, carriers, shared_pole):
    (mobile, unicom, telecom), (_, _, telecom_user) = carriers
    response = api.post(f"/api/v1/tickets/{shared_pole.id}/reassign", city.admin,
                        json={"unit_id": mobile.id, "note": "移动为杆线产权人"})
    body = response.get_json()
    assert body["unit"]["id"] == mobile.id
    assert [(u["id"], u["role"]) for u in body["units"]] == [(mobile.id, "lead"), (unicom.id, "assist")]
    assert api.get(f"/api/v1/tickets/{shared_pole.id}", telecom_user).status_code == 404  # no part any more


def test_overdue_parts_are_listed_by_unit(api, city, carriers, shared_pole, now):
    (mobile, unicom, telecom), (mobile_user, _, _) = carriers
    later = now + timedelta(days=30)  # past every part's ten working days
    assert {p.unit_id for p in parts.overdue_parts(later)} == {telecom.id, mobile.id, unicom.id}
    rectify_part(api, mobile_user, shared_pole)
    by_unit = parts.overdue_parts_by_unit(later)
    assert set(by_unit) == {telecom.id, unicom.id}
    assert [p.role for p in parts.overdue_parts(later, role="assist")] == ["assist"]
    assert parts.overdue_parts(now) == []
    body = api.get(f"/api/v1/tickets/{shared_pole.id}", city.admin).get_json()
    assert not any(u["overdue"] for u in body["units"])


def test_an_extension_moves_the_lead_part_deadline(api, city, make_ticket):
    ticket = make_ticket(category="spider_web", point=City.ON_B)
    assert api.post(f"/api/v1/tickets/{ticket.id}/request_extension", city.unit_b,
                    json={"workdays": 5, "reason": "需协调"}).status_code == 200
    api.post(f"/api/v1/tickets/{ticket.id}/decide_extension", city.admin, json={"approved": True})
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.lead_part.deadline == ticket.deadline and ticket.extension_count == 1


def test_lists_load_the_units_of_a_page_in_one_query(app, api, city, carriers, make_ticket, now):
    (mobile, unicom, telecom), _ = carriers

    def queries_for(url) -> int:
        statements = []
        api.get("/api/v1/auth/me", city.admin)  # the token freshly cached (its cache lasts 30 s; filing can be slow)

        def count(*_args):
            statements.append(1)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert api.get(url, city.admin).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    def shared_pole():
        services.create_ticket(city.inspector, services.NewReport(
            category="spider_web", photos=[processed(BEFORE_PHOTO)], lat=City.ON_A[0], lon=City.ON_A[1],
            unit_ids=[telecom.id, mobile.id, unicom.id]), now)
        db.session.commit()

    for _ in range(2):
        make_ticket(point=City.ON_B)
    lead_only = queries_for("/api/v1/tickets")
    shared_pole()  # a lead and two assisting units
    three = queries_for("/api/v1/tickets")
    for _ in range(5):
        shared_pole()
    eight = queries_for("/api/v1/tickets")
    assert eight == three == lead_only + 1  # the assisting units of the whole page in one query; none when none
    body = api.get("/api/v1/tickets", city.admin).get_json()
    assert sum(len(t["units"]) for t in body["items"]) == 2 + 6 * 3


# ----------------------------------------------------------------------------- migration

def test_the_migration_makes_each_existing_tickets_unit_its_lead_part(empty_db, now):
    from flask_migrate import downgrade

    from inspect_app.cli import init_schema

    migrated()
    city = City(now)
    ticket, _ = services.create_ticket(city.inspector, services.NewReport(
        category="niupixuan", photos=[processed(BEFORE_PHOTO)], lat=City.ON_A[0], lon=City.ON_A[1]), now)
    services.rectify(city.unit_a, ticket, now + timedelta(hours=2), "已清理", [processed()])
    pending, _ = services.create_ticket(city.inspector, services.NewReport(
        category="niupixuan", photos=[processed()], lat=City.FAR[0], lon=City.FAR[1]), now)
    ids, deadline, street_a = (ticket.id, pending.id), ticket.deadline, city.street_a.id
    db.session.commit()
    db.session.remove()
    downgrade(revision="0020")  # the schema before parts existed, with its tickets
    assert init_schema() == "upgraded"
    rows = list(db.session.scalars(select(TicketUnit)))
    assert [(r.ticket_id, r.unit_id, r.role, r.status) for r in rows] == [(ids[0], street_a, "lead",
                                                                            "rectified")]
    assert rows[0].deadline == deadline and rows[0].rectified_at == now + timedelta(hours=2)
    after = db.session.scalar(select(Photo).where(Photo.kind == "after"))
    assert after.part_id == rows[0].id
    assert db.session.get(Ticket, ids[1]).parts == []  # never dispatched: no part
    assert db.session.scalar(select(Unit).where(Unit.code == "JJ")) is not None
