"""申请退出协办: an assisting unit (协办) asks to be taken off a ticket (不属于本单位职责) and the office decides,
through the API and the pages; who may ask and decide; the timeline, the office's work page and the unit's inbox."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from test_notices import inbox_of
from test_responsibility import carriers, rectify, rectify_part, shared_pole  # noqa: F401 (fixtures)

from inspect_app.common.errors import Conflict
from inspect_app.extensions import db
from inspect_app.tickets import parts
from inspect_app.tickets.models import Ticket, TicketUnit

REASON = "该杆线上没有本公司的线缆，属联通线路"


def ask(api, user, ticket, reason=REASON):
    return api.post(f"/api/v1/tickets/{ticket.id}/withdraw_request", user, json={"reason": reason})


def decide(api, user, ticket, unit_id, approved, note=None):
    body = {"unit_id": unit_id, "approved": approved}
    if note is not None:
        body["note"] = note
    return api.post(f"/api/v1/tickets/{ticket.id}/decide_withdraw", user, json=body)


def units_of(body) -> dict:
    return {u["id"]: u for u in body["units"]}


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def fresh_part(ticket_id, unit_id) -> TicketUnit | None:
    db.session.expire_all()
    return db.session.scalar(select(TicketUnit).where(TicketUnit.ticket_id == ticket_id,
                                                      TicketUnit.unit_id == unit_id))


# ----------------------------------------------------------------------------- the API

def test_an_assisting_unit_asks_once_and_its_part_stays_open_meanwhile(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, unicom, _), (mobile_user, unicom_user, _) = carriers
    before = units_of(api.get(f"/api/v1/tickets/{shared_pole.id}", city.admin).get_json())[mobile.id]

    response = ask(api, mobile_user, shared_pole)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    part = units_of(body)[mobile.id]
    assert (part["role"], part["status"], part["deadline"]) == ("assist", "open", before["deadline"])
    assert before["withdraw_request"] is None
    assert part["withdraw_request"]["reason"] == REASON and part["withdraw_request"]["requested_at"]
    listed = api.get("/api/v1/tickets", city.admin).get_json()["items"]
    assert units_of(next(t for t in listed if t["id"] == shared_pole.id))[mobile.id] == part
    event = body["events"][-1]
    assert (event["action"], event["note"], event["data"]["unit_id"], event["from"], event["to"]) == \
        ("withdraw_request", REASON, mobile.id, "assigned", "assigned")
    assert body["status"] == "assigned"

    again = ask(api, mobile_user, shared_pole, "再次申请")
    assert again.status_code == 409 and error_code(again) == "withdraw_pending"

    empty = ask(api, unicom_user, shared_pole, "   ")
    assert empty.status_code == 400 and error_code(empty) == "reason_required"
    assert "理由" in empty.get_json()["error"]["message"]
    too_long = ask(api, unicom_user, shared_pole, "长" * 2001)
    assert too_long.status_code == 400
    assert fresh_part(shared_pole.id, unicom.id).withdraw_requested_at is None


def test_only_the_assisting_unit_itself_may_ask(api, city, carriers, shared_pole):  # noqa: F811
    _, (_, _, telecom_user) = carriers
    lead = ask(api, telecom_user, shared_pole)  # the lead unit: 退单 is its way
    assert lead.status_code == 403 and error_code(lead) == "not_assisting_unit"
    assert "申请退单" in lead.get_json()["error"]["message"]
    for user in (city.inspector, city.admin, city.leader):
        assert ask(api, user, shared_pole).status_code == 403
    assert ask(api, city.unit_b, shared_pole).status_code == 404  # not on the ticket: it cannot see it
    assert not [e for e in shared_pole.events if e.action == "withdraw_request"]


def test_approval_takes_the_unit_off_the_ticket(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, unicom, _), (mobile_user, _, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    for user in (mobile_user, city.inspector):  # only the office decides
        assert decide(api, user, shared_pole, mobile.id, True).status_code == 403

    response = decide(api, city.admin, shared_pole, mobile.id, True)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert mobile.id not in units_of(body) and unicom.id in units_of(body)
    event = body["events"][-1]
    assert (event["action"], event["data"]["unit_id"], event["data"]["approved"]) == ("decide_withdraw", mobile.id,
                                                                                       True)
    assert api.get(f"/api/v1/tickets/{shared_pole.id}", mobile_user).status_code == 404
    assert ask(api, mobile_user, shared_pole).status_code == 404

    # nothing left to decide: the unit is no longer on the ticket; another assisting unit never asked
    assert decide(api, city.admin, shared_pole, mobile.id, True).status_code == 422
    none = decide(api, city.admin, shared_pole, unicom.id, True)
    assert none.status_code == 409 and error_code(none) == "no_withdraw_request"


def test_refusal_keeps_the_part_and_a_second_ask_is_turned_down(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, _, _), (mobile_user, unicom_user, telecom_user) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200

    not_bool = decide(api, city.admin, shared_pole, mobile.id, "yes")
    assert not_bool.status_code == 400 and error_code(not_bool) == "invalid_approved"
    no_note = decide(api, city.admin, shared_pole, mobile.id, False)
    assert no_note.status_code == 400 and error_code(no_note) == "note_required"
    assert no_note.get_json()["error"]["message"] == "不同意退出协办时，请填写理由。"
    assert decide(api, city.admin, shared_pole, mobile.id, False, "  ").status_code == 400

    response = decide(api, city.admin, shared_pole, mobile.id, False, "经核实该杆有移动光缆，请整理")
    assert response.status_code == 200, response.get_json()
    assert units_of(response.get_json())[mobile.id]["status"] == "open"
    assert units_of(response.get_json())[mobile.id]["withdraw_request"] is None  # heard back: in the events
    part = fresh_part(shared_pole.id, mobile.id)
    assert part.withdraw_status == "refused" and part.withdraw_note == "经核实该杆有移动光缆，请整理"

    again = ask(api, mobile_user, shared_pole, "确实不是本公司的")
    assert again.status_code == 409 and error_code(again) == "withdraw_turned_down"
    twice = decide(api, city.admin, shared_pole, mobile.id, True)
    assert twice.status_code == 409 and error_code(twice) == "no_withdraw_request"

    # the part is owed as before: the lead reports the whole once both assisting units have reported theirs
    assert rectify(api, telecom_user, shared_pole).status_code == 409
    assert rectify_part(api, mobile_user, shared_pole).status_code == 200
    assert rectify_part(api, unicom_user, shared_pole).status_code == 200
    assert rectify(api, telecom_user, shared_pole).status_code == 200


def test_two_decisions_at_once_do_not_both_count(app, api, city, carriers, shared_pole, now):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    db.session.expire_all()
    ticket = db.session.get(Ticket, shared_pole.id)
    part = ticket.part_of(mobile.id)
    assert part.withdraw_status == "open"
    # another office clerk's decision lands between this one's reading and its writing
    db.session.execute(update(TicketUnit).where(TicketUnit.id == part.id)
                       .values(withdraw_decided_at=now, withdraw_note="另一人已处理")
                       .execution_options(synchronize_session=False))
    try:
        parts.decide_withdraw(city.admin, ticket, now, mobile.id, True, "")
    except Conflict as problem:
        assert problem.code == "withdraw_decided"
    else:
        raise AssertionError("a decision on a request decided meanwhile must conflict")
    db.session.rollback()


def test_reporting_its_part_drops_an_open_request(api, city, carriers, shared_pole, browser):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    assert rectify_part(api, mobile_user, shared_pole).status_code == 200
    part = fresh_part(shared_pole.id, mobile.id)
    assert part.withdraw_status is None and part.status == "rectified"
    work = browser(city.admin).get("/office/work").get_data(as_text=True)
    assert "没有待处理的退出协办申请。" in work and shared_pole.number not in work


# ----------------------------------------------------------------------------- the pages

def test_the_pages_ask_list_refuse_and_show_the_timeline_in_chinese(browser, city, carriers, shared_pole):  # noqa: F811
    (mobile, _, _), (mobile_user, unicom_user, telecom_user) = carriers
    page = f"/tickets/{shared_pole.id}"
    action = f"/tickets/{shared_pole.id}/withdraw_request"
    unit = browser(mobile_user)

    html = unit.get(page).get_data(as_text=True)
    assert 'id="rectify_part"' in html and '<details id="withdraw_request">' in html and "申请退出协办" in html
    lead_page = browser(telecom_user).get(page).get_data(as_text=True)
    assert 'id="withdraw_request"' not in lead_page  # the lead has 退单

    refused = unit.submit(page, action, {"reason": ""})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert '<details id="withdraw_request" open>' in text and "请填写申请退出协办的理由。" in text

    assert unit.submit(page, action, {"reason": REASON}).status_code == 303
    html = unit.get(page).get_data(as_text=True)
    assert 'id="withdraw-waiting"' in html and "等待文明办处理" in html and 'id="withdraw_request"' not in html
    assert 'id="rectify_part"' in html  # it may still report its part

    office = browser(city.admin)
    work = office.get("/office/work").get_data(as_text=True)
    assert 'id="withdrawals"' in work and shared_pole.number in work and mobile.name in work and REASON in work
    assert f'href="/tickets/{shared_pole.id}#withdraw-{mobile.id}"' in work
    html = office.get(page).get_data(as_text=True)
    assert f'id="withdraw-{mobile.id}"' in html and REASON in html and "同意退出协办" in html
    assert 'action="/tickets/%d/decide_withdraw"' % shared_pole.id in html

    decide_url = f"/tickets/{shared_pole.id}/decide_withdraw"
    no_note = office.submit(page, decide_url, {"unit_id": str(mobile.id), "approved": "0", "note": ""})
    assert no_note.status_code == 400 and "不同意退出协办时，请填写理由。" in no_note.get_data(as_text=True)
    assert office.submit(page, decide_url, {"unit_id": str(mobile.id), "approved": "0",
                                            "note": "该杆有移动光缆，请整理"}).status_code == 303

    html = unit.get(page).get_data(as_text=True)
    assert 'id="withdraw-refused"' in html and "该杆有移动光缆，请整理" in html and 'id="withdraw_request"' not in html
    assert f'#withdraw-{mobile.id}"' not in office.get("/office/work").get_data(as_text=True)  # decided
    timeline = office.get(page).get_data(as_text=True).split("处理记录", 1)[1]
    assert "<b>申请退出协办</b>" in timeline and "<b>审核退出协办申请</b>" in timeline
    assert f"不同意{mobile.name}退出协办" in timeline and REASON in timeline

    # the other assisting unit asks and the office grants it from its work page
    other = browser(unicom_user)
    assert other.submit(page, action, {"reason": "本公司线路已迁改"}).status_code == 303
    unicom_id = carriers[0][1].id
    granted = office.submit("/office/work", decide_url, {"unit_id": str(unicom_id), "approved": "1", "note": "",
                                                         "next": "/office/work#withdrawals"})
    assert granted.status_code == 303 and granted.location.endswith("/office/work#withdrawals")
    assert other.get(page).status_code == 404
    timeline = office.get(page).get_data(as_text=True).split("处理记录", 1)[1]
    assert f"同意{carriers[0][1].name}退出协办，该单位已移出本问题" in timeline


# ----------------------------------------------------------------------------- the unit's inbox

def test_the_unit_is_told_the_offices_decision(app, api, city, carriers, shared_pole):  # noqa: F811
    from inspect_app.common.timeutil import utcnow

    (mobile, unicom, _), (mobile_user, unicom_user, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    assert ask(api, unicom_user, shared_pole).status_code == 200
    assert decide(api, city.admin, shared_pole, mobile.id, False, "请整理本公司线缆").status_code == 200
    assert decide(api, city.admin, shared_pole, unicom.id, True).status_code == 200
    db.session.expire_all()
    later = utcnow() + timedelta(minutes=1)  # the API acts at the request's own clock
    refused = [i for i in inbox_of(app, mobile_user, later) if i[0] == "withdraw"]
    assert [i[1] for i in refused] == ["退出协办申请未同意：蜘蛛网"]
    assert shared_pole.number in refused[0][2] and "请整理本公司线缆" in refused[0][2]
    granted = [i for i in inbox_of(app, unicom_user, later) if i[0] == "withdraw"]
    assert [i[1] for i in granted] == ["已同意退出协办：蜘蛛网"]

    from inspect_app.notices.services import decisions, news_text, unread_count
    assert unread_count(unicom_user, later) >= 1
    told = news_text(mobile, [], [], [], decisions(mobile.id, mobile, later - timedelta(days=1), later))
    assert "退出协办申请未同意（请整理本公司线缆）" in told and told.startswith("【整改提醒】")
    # a decision on another unit's request is not this unit's news
    assert not [i for i in inbox_of(app, city.unit_b, later) if i[0] == "withdraw"]


def test_the_flow_binds_no_value_against_a_partial_index(app, api, city, carriers, shared_pole, browser):  # noqa: F811
    """The open requests and the decisions are read through partial indexes (tests/sql_guard.py)."""
    from sql_guard import watching

    from inspect_app.common.timeutil import utcnow
    from inspect_app.notices.services import unread_count

    (mobile, unicom, _), (mobile_user, unicom_user, _) = carriers
    with watching(db.engine, db.metadata) as seen:
        assert ask(api, mobile_user, shared_pole).status_code == 200
        assert ask(api, unicom_user, shared_pole).status_code == 200
        office = browser(city.admin)
        assert office.get("/office/work").status_code == 200
        assert office.get(f"/tickets/{shared_pole.id}").status_code == 200
        assert decide(api, city.admin, shared_pole, mobile.id, False, "请整理").status_code == 200
        assert decide(api, city.admin, shared_pole, unicom.id, True).status_code == 200
        assert browser(mobile_user).get(f"/tickets/{shared_pole.id}").status_code == 200
        unread_count(unicom_user, utcnow())
    assert seen == []
