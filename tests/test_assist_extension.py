"""协办申请延期: an assisting unit (协办) asks for more time on its own part and the office grants or refuses it,
through the API and the pages; who may ask and decide; only that part's deadline moves, and nothing later undoes
it; the part is no longer overdue; the timeline, the office's work page and the unit's inbox."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from test_notices import inbox_of
from test_escalation_parts import shared  # noqa: F401 (fixture)
from test_responsibility import carriers, rectify_part, shared_pole  # noqa: F401 (fixtures)

from inspect_app.common.errors import Conflict
from inspect_app.common.timeutil import isoformat, local, utcnow
from inspect_app.extensions import db
from inspect_app.tickets import parts
from inspect_app.tickets.models import Ticket, TicketUnit
from inspect_app.workdays.calendar import add_workdays

REASON = "迁改线缆需办理占道施工许可，审批约需两周"


def ask(api, user, ticket, reason=REASON, **body):
    if not body:
        body = {"workdays": 5}
    return api.post(f"/api/v1/tickets/{ticket.id}/request_part_extension", user, json={"reason": reason, **body})


def decide(api, user, ticket, unit_id, approved, note=None):
    body = {"unit_id": unit_id, "approved": approved}
    if note is not None:
        body["note"] = note
    return api.post(f"/api/v1/tickets/{ticket.id}/decide_part_extension", user, json=body)


def units_of(body) -> dict:
    return {u["id"]: u for u in body["units"]}


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def fresh_part(ticket_id, unit_id) -> TicketUnit | None:
    db.session.expire_all()
    return db.session.scalar(select(TicketUnit).where(TicketUnit.ticket_id == ticket_id,
                                                      TicketUnit.unit_id == unit_id))


def day_after(moment, days: int) -> str:
    return (local(moment).date() + timedelta(days=days)).isoformat()


# ----------------------------------------------------------------------------- the API

def test_an_assisting_unit_asks_and_its_deadline_stands_meanwhile(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, unicom, _), (mobile_user, unicom_user, _) = carriers
    before = fresh_part(shared_pole.id, mobile.id).deadline

    response = ask(api, mobile_user, shared_pole, workdays=3)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    part = units_of(body)[mobile.id]
    assert (part["role"], part["status"]) == ("assist", "open")
    event = body["events"][-1]
    assert (event["action"], event["note"], event["data"]["unit_id"], event["from"], event["to"]) == \
        ("request_part_extension", REASON, mobile.id, "assigned", "assigned")
    asked = add_workdays(before, 3)  # working days from the part's own deadline (the holiday calendar's)
    assert event["data"]["until"] == isoformat(asked)  # Shanghai time, as every time of the API
    stored = fresh_part(shared_pole.id, mobile.id)
    assert stored.deadline == before and stored.extension_status == "open" and stored.extension_until == asked
    assert stored.extension_reason == REASON

    again = ask(api, mobile_user, shared_pole, "再次申请")
    assert again.status_code == 409 and error_code(again) == "extension_pending"
    # another assisting unit's request is its own: both may be open at once (and the lead's too)
    assert ask(api, unicom_user, shared_pole, until=day_after(before, 20)).status_code == 200
    assert fresh_part(shared_pole.id, unicom.id).extension_status == "open"


def test_bad_bodies_answer_as_the_leads_request_does(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    deadline = fresh_part(shared_pole.id, mobile.id).deadline

    no_reason = ask(api, mobile_user, shared_pole, "  ")
    assert no_reason.status_code == 400 and error_code(no_reason) == "reason_required"
    neither = api.post(f"/api/v1/tickets/{shared_pole.id}/request_part_extension", mobile_user,
                       json={"reason": REASON})
    assert neither.status_code == 400 and error_code(neither) == "until_required"
    garbled = ask(api, mobile_user, shared_pole, until="下周五")
    assert garbled.status_code == 400 and error_code(garbled) == "invalid_until"
    trailing = ask(api, mobile_user, shared_pole, until=f"{day_after(deadline, 3)} 就行")  # read as its first 10
    assert trailing.status_code == 400 and error_code(trailing) == "invalid_until"
    number = ask(api, mobile_user, shared_pole, until=int(day_after(deadline, 3).replace("-", "")))
    assert number.status_code == 400 and error_code(number) == "invalid_text"
    past = ask(api, mobile_user, shared_pole, until=day_after(utcnow(), -3))
    assert past.status_code == 422 and error_code(past) == "invalid_until"
    not_later = ask(api, mobile_user, shared_pole, until=day_after(deadline, -1))  # earlier than its own deadline
    assert not_later.status_code == 422 and error_code(not_later) == "invalid_until"
    assert "晚于当前期限" in not_later.get_json()["error"]["message"]
    same_day = ask(api, mobile_user, shared_pole, until=local(deadline).date().isoformat())  # its deadline's own end
    assert same_day.status_code == 422 and error_code(same_day) == "invalid_until"
    for days in ("三", 0, 61):
        bad = ask(api, mobile_user, shared_pole, workdays=days)
        assert bad.status_code in (400, 422) and error_code(bad) == "invalid_workdays"
    assert fresh_part(shared_pole.id, mobile.id).extension_status is None


def test_only_the_assisting_unit_itself_may_ask(api, city, carriers, shared_pole):  # noqa: F811
    _, (_, _, telecom_user) = carriers
    lead = ask(api, telecom_user, shared_pole)  # the lead asks for the whole ticket (request_extension)
    assert lead.status_code == 403 and error_code(lead) == "not_assisting_unit"
    for user in (city.inspector, city.admin, city.leader):
        assert ask(api, user, shared_pole).status_code == 403
    assert ask(api, city.unit_b, shared_pole).status_code == 404  # not on the ticket: it cannot see it
    assert not [e for e in shared_pole.events if e.action == "request_part_extension"]
    (_, _, _), (mobile_user, _, _) = carriers  # an assisting unit trying the lead's request is shown its own way
    whole = api.post(f"/api/v1/tickets/{shared_pole.id}/request_extension", mobile_user,
                     json={"workdays": 3, "reason": REASON})
    assert whole.status_code == 403 and error_code(whole) == "not_lead_unit"
    assert "申请延期（本单位负责的部分）" in whole.get_json()["error"]["message"]


def test_approval_moves_that_parts_deadline_only(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, unicom, _), (mobile_user, unicom_user, telecom_user) = carriers
    before = {p["id"]: p["deadline"] for p in api.get(f"/api/v1/tickets/{shared_pole.id}",
                                                       city.admin).get_json()["units"]}
    ticket_deadline = fresh_part(shared_pole.id, shared_pole.unit_id).ticket.deadline
    assert ask(api, mobile_user, shared_pole, until=day_after(fresh_part(shared_pole.id, mobile.id).deadline,
                                                              14)).status_code == 200
    asked = fresh_part(shared_pole.id, mobile.id).extension_until
    for user in (mobile_user, telecom_user, city.inspector, city.leader):  # only the office decides
        assert decide(api, user, shared_pole, mobile.id, True).status_code == 403
    assert decide(api, unicom_user, shared_pole, mobile.id, True).status_code == 403

    response = decide(api, city.admin, shared_pole, mobile.id, True, "同意，请抓紧办理许可")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    after = {p["id"]: p["deadline"] for p in body["units"]}
    assert after[mobile.id] != before[mobile.id]
    assert {k: v for k, v in after.items() if k != mobile.id} == {k: v for k, v in before.items() if k != mobile.id}
    assert body["deadline"] == before[shared_pole.unit_id]
    event = body["events"][-1]
    assert (event["action"], event["data"]["unit_id"], event["data"]["approved"], event["data"]["until"]) == \
        ("decide_part_extension", mobile.id, True, isoformat(asked))
    part = fresh_part(shared_pole.id, mobile.id)
    assert part.deadline == asked and part.extension_status == "approved" and part.status == "open"
    assert part.ticket.deadline == ticket_deadline and part.ticket.extension_count in (0, None)

    # nothing left to decide, for it or for a unit that never asked
    twice = decide(api, city.admin, shared_pole, mobile.id, True)
    assert twice.status_code == 409 and error_code(twice) == "no_extension_request"
    none = decide(api, city.admin, shared_pole, unicom.id, False)
    assert none.status_code == 409 and error_code(none) == "no_extension_request"
    not_on = decide(api, city.admin, shared_pole, city.unit_b.unit_id, True)
    assert not_on.status_code == 422 and error_code(not_on) == "invalid_unit"
    # decided, it may ask again
    assert ask(api, mobile_user, shared_pole, workdays=2).status_code == 200


def test_a_later_change_of_the_leads_deadline_keeps_the_granted_one(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, _, _), (mobile_user, _, telecom_user) = carriers
    assert ask(api, mobile_user, shared_pole, workdays=20).status_code == 200
    assert decide(api, city.admin, shared_pole, mobile.id, True).status_code == 200
    granted = fresh_part(shared_pole.id, mobile.id).deadline

    # the lead asks for the whole ticket, for less, and gets it: the ticket's and the lead's deadline move alone
    lead_asks = api.post(f"/api/v1/tickets/{shared_pole.id}/request_extension", telecom_user,
                         json={"workdays": 2, "reason": "协调电力部门停电"})
    assert lead_asks.status_code == 200, lead_asks.get_json()
    lead_got = api.post(f"/api/v1/tickets/{shared_pole.id}/decide_extension", city.admin, json={"approved": True})
    assert lead_got.status_code == 200, lead_got.get_json()
    part = fresh_part(shared_pole.id, mobile.id)
    assert part.ticket.deadline < granted and part.ticket.lead_part.deadline == part.ticket.deadline
    assert part.deadline == granted


def test_refusal_keeps_the_deadline_and_the_note(api, city, carriers, shared_pole):  # noqa: F811
    (mobile, _, _), (mobile_user, _, telecom_user) = carriers
    before = fresh_part(shared_pole.id, mobile.id).deadline
    assert ask(api, mobile_user, shared_pole).status_code == 200

    for flag in ("yes", None, 1):
        not_bool = decide(api, city.admin, shared_pole, mobile.id, flag)
        assert not_bool.status_code == 400 and error_code(not_bool) == "invalid_approved"
    for note in (None, "  "):  # a refusal says why
        bare = decide(api, city.admin, shared_pole, mobile.id, False, note)
        assert bare.status_code == 400 and error_code(bare) == "note_required"
    assert fresh_part(shared_pole.id, mobile.id).extension_status == "open"

    response = decide(api, city.admin, shared_pole, mobile.id, False, "许可可并行办理，请按原期限整改")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["events"][-1]["data"]["approved"] is False
    part = fresh_part(shared_pole.id, mobile.id)
    assert part.deadline == before and part.extension_status == "refused"
    assert part.extension_note == "许可可并行办理，请按原期限整改"
    again = decide(api, city.admin, shared_pole, mobile.id, True)
    assert again.status_code == 409 and error_code(again) == "no_extension_request"


def test_two_decisions_at_once_do_not_both_count(app, api, city, carriers, shared_pole, now):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    db.session.expire_all()
    ticket = db.session.get(Ticket, shared_pole.id)
    part = ticket.part_of(mobile.id)
    before = part.deadline
    assert part.extension_status == "open"
    # another office clerk's refusal lands between this one's reading and its writing
    db.session.execute(update(TicketUnit).where(TicketUnit.id == part.id)
                       .values(extension_decided_at=now, extension_approved=False, extension_note="另一人已处理")
                       .execution_options(synchronize_session=False))
    try:
        parts.decide_part_extension(city.admin, ticket, now, mobile.id, True, "")
    except Conflict as problem:
        assert problem.code == "extension_decided"
    else:
        raise AssertionError("a decision on a request decided meanwhile must conflict")
    assert part.deadline == before
    db.session.rollback()


def test_reporting_its_part_drops_an_open_request(api, city, carriers, shared_pole, browser):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    response = rectify_part(api, mobile_user, shared_pole)
    assert response.status_code == 200
    assert response.get_json()["events"][-1]["data"]["extension_dropped"] is True
    part = fresh_part(shared_pole.id, mobile.id)
    assert part.extension_status is None and part.status == "rectified"
    work = browser(city.admin).get("/office/work").get_data(as_text=True)
    assert "没有待审批的协办单位延期申请。" in work and f"#part-extension-{mobile.id}" not in work
    gone = decide(api, city.admin, shared_pole, mobile.id, True)
    assert gone.status_code == 409 and error_code(gone) == "no_extension_request"


# ----------------------------------------------------------------------------- overdue and escalation

def test_a_part_granted_more_time_is_no_longer_overdue(api, city, carriers, shared_pole, browser):  # noqa: F811
    (mobile, unicom, _), (mobile_user, _, _) = carriers
    past = utcnow() - timedelta(days=2)
    for unit in (mobile, unicom):  # both assisting parts ran out two days ago
        db.session.execute(update(TicketUnit).where(TicketUnit.ticket_id == shared_pole.id,
                                                    TicketUnit.unit_id == unit.id).values(deadline=past))
    db.session.commit()
    overdue = {(p.ticket_id, p.unit_id) for p in parts.overdue_parts(utcnow())}
    assert {(shared_pole.id, mobile.id), (shared_pole.id, unicom.id)} <= overdue
    unit_page = browser(mobile_user)
    assert shared_pole.number in unit_page.get("/unit/tickets?overdue=1").get_data(as_text=True)

    response = ask(api, mobile_user, shared_pole, workdays=3)  # past its deadline: counted from today
    assert response.status_code == 200, response.get_json()
    assert fresh_part(shared_pole.id, mobile.id).extension_until >= add_workdays(utcnow(), 3) - timedelta(minutes=1)
    assert (shared_pole.id, mobile.id) in {(p.ticket_id, p.unit_id) for p in parts.overdue_parts(utcnow())}
    assert decide(api, city.admin, shared_pole, mobile.id, True).status_code == 200

    db.session.expire_all()
    overdue = {(p.ticket_id, p.unit_id) for p in parts.overdue_parts(utcnow())}
    assert (shared_pole.id, mobile.id) not in overdue and (shared_pole.id, unicom.id) in overdue
    assert shared_pole.number not in unit_page.get("/unit/tickets?overdue=1").get_data(as_text=True)
    part = fresh_part(shared_pole.id, mobile.id)
    assert not part.is_overdue(utcnow())

    # the 督办 sweep's candidates are the parts past their own deadline: the granted one is not among them
    from inspect_app.escalation.sweep import candidates
    due = {(row[0], row[1]) for row in candidates(utcnow(), lock=False)}
    assert (shared_pole.id, mobile.id) not in due and (shared_pole.id, unicom.id) in due


def test_a_granted_extension_lapses_the_parts_open_proposal(app, city, shared):  # noqa: F811
    """Propose mode (tests/test_escalation_parts.py's ticket: 甲 leads, 乙 assists, both due Thursday 10:00; the
    lead's deadline extended): 乙's part is proposed for 督办 on Friday; granted more time, the proposal lapses."""
    from conftest import at
    from test_escalation_parts import FRIDAY, extend_lead, fresh

    from inspect_app.escalation import proposals
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.models import Proposal

    extend_lead(city, shared)
    [proposal] = run_sweep(at(FRIDAY)).proposals
    assert (proposal.unit_id, proposal.level) == (city.street_b.id, 1)
    when = at("2026-11-27T10:00:00+08:00")
    parts.request_part_extension(city.unit_b, fresh(Ticket, shared.id), when, until="2026-12-10",
                                 reason="等待施工许可")
    db.session.commit()
    assert [p.id for p in proposals.open_proposals(when)] == [proposal.id]  # asking alone changes nothing
    parts.decide_part_extension(city.admin, fresh(Ticket, shared.id), when, city.street_b.id, True, "")
    db.session.commit()
    assert proposals.open_proposals(when) == []
    result = run_sweep(at("2026-11-27T11:00:00+08:00"))
    assert (result.proposals, result.lapsed) == ([], 1)
    assert fresh(Proposal, proposal.id).close_note == "整改时限已延长"
    assert run_sweep(at("2026-12-10T09:00:00+08:00")).proposals == []  # still within the new deadline


# ----------------------------------------------------------------------------- the pages

def test_the_pages_ask_list_decide_and_show_the_timeline_in_chinese(browser, city, carriers, shared_pole):  # noqa: F811
    (mobile, unicom, _), (mobile_user, unicom_user, telecom_user) = carriers
    page = f"/tickets/{shared_pole.id}"
    action = f"/tickets/{shared_pole.id}/request_part_extension"
    unit = browser(mobile_user)
    deadline = fresh_part(shared_pole.id, mobile.id).deadline

    html = unit.get(page).get_data(as_text=True)
    assert 'id="rectify_part"' in html and '<details id="request_part_extension">' in html
    assert "申请延期（本单位负责的部分）" in html and 'name="workdays"' in html
    lead_page = browser(telecom_user).get(page).get_data(as_text=True)
    assert 'id="request_part_extension"' not in lead_page  # the lead asks for the whole ticket

    until = day_after(deadline, 10)
    refused = unit.submit(page, action, {"until": until, "workdays": "", "reason": ""})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert '<details id="request_part_extension" open>' in text and "请填写延期理由。" in text
    assert f'value="{until}"' in text  # what was typed is kept
    early = unit.submit(page, action, {"until": day_after(deadline, -1), "reason": REASON})
    assert early.status_code == 422 and "延期后的期限必须晚于当前期限。" in early.get_data(as_text=True)
    assert REASON in early.get_data(as_text=True)

    assert unit.submit(page, action, {"until": until, "workdays": "", "reason": REASON}).status_code == 303
    html = unit.get(page).get_data(as_text=True)
    assert 'id="part-extension-waiting"' in html and "等待文明办审批" in html
    assert 'id="request_part_extension"' not in html and 'id="rectify_part"' in html  # it may still report

    office = browser(city.admin)
    work = office.get("/office/work").get_data(as_text=True)
    assert 'id="part-extensions"' in work and shared_pole.number in work and mobile.name in work and REASON in work
    assert f'href="/tickets/{shared_pole.id}#part-extension-{mobile.id}"' in work
    html = office.get(page).get_data(as_text=True)
    assert f'id="part-extension-{mobile.id}"' in html and REASON in html and "同意延期" in html
    assert 'action="/tickets/%d/decide_part_extension"' % shared_pole.id in html

    decide_url = f"/tickets/{shared_pole.id}/decide_part_extension"
    assert office.submit(page, decide_url, {"unit_id": str(mobile.id), "approved": "0",
                                            "note": "许可可并行办理"}).status_code == 303
    html = unit.get(page).get_data(as_text=True)
    assert 'id="part-extension-refused"' in html and "许可可并行办理" in html
    assert '<details id="request_part_extension">' in html  # decided: it may ask again
    assert f'#part-extension-{mobile.id}"' not in office.get("/office/work").get_data(as_text=True)
    timeline = office.get(page).get_data(as_text=True).split("处理记录", 1)[1]
    assert "<b>协办单位申请延期</b>" in timeline and "<b>审批协办单位延期</b>" in timeline
    assert f"不同意{mobile.name}延期" in timeline and REASON in timeline and "申请延期至：" in timeline

    # the other assisting unit asks by working days and the office grants it from its work page
    other = browser(unicom_user)
    assert other.submit(page, action, {"until": "", "workdays": "4", "reason": "等待光缆到货"}).status_code == 303
    granted = office.submit("/office/work", decide_url, {"unit_id": str(unicom.id), "approved": "1", "note": "",
                                                         "next": "/office/work#part-extensions"})
    assert granted.status_code == 303 and granted.location.endswith("/office/work#part-extensions")
    assert 'id="part-extension-approved"' in other.get(page).get_data(as_text=True)
    timeline = office.get(page).get_data(as_text=True).split("处理记录", 1)[1]
    assert f"同意{unicom.name}延期，新期限" in timeline


def test_a_decision_without_yes_or_no_reopens_the_form_on_the_page(browser, api, city, carriers,  # noqa: F811
                                                                   shared_pole):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    page = f"/tickets/{shared_pole.id}"
    office = browser(city.admin)
    response = office.submit(page, f"/tickets/{shared_pole.id}/decide_part_extension",
                             {"unit_id": str(mobile.id), "note": "看情况"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="decide_part_extension-error"' in html and 'value="看情况"' in html


# ----------------------------------------------------------------------------- the unit's inbox

def test_the_unit_is_told_the_offices_decision(app, api, city, carriers, shared_pole):  # noqa: F811
    from inspect_app.notices.services import decisions, news_text, unread_count

    (mobile, unicom, _), (mobile_user, unicom_user, telecom_user) = carriers
    assert ask(api, mobile_user, shared_pole).status_code == 200
    assert ask(api, unicom_user, shared_pole).status_code == 200
    assert decide(api, city.admin, shared_pole, mobile.id, False, "请按原期限整改").status_code == 200
    assert decide(api, city.admin, shared_pole, unicom.id, True).status_code == 200
    granted_until = fresh_part(shared_pole.id, unicom.id).deadline
    later = utcnow() + timedelta(minutes=1)  # the API acts at the request's own clock
    refused = [i for i in inbox_of(app, mobile_user, later) if i[0] == "extension"]
    assert [i[1] for i in refused] == ["延期申请未同意：蜘蛛网"]
    assert shared_pole.number in refused[0][2] and "请按原期限整改" in refused[0][2]
    granted = [i for i in inbox_of(app, unicom_user, later) if i[0] == "extension"]
    assert [i[1] for i in granted] == ["延期申请已同意：蜘蛛网"] and "新期限" in granted[0][2]
    assert unread_count(unicom_user, later) >= 1
    told = news_text(mobile, [], [], [], decisions(mobile.id, mobile, later - timedelta(days=1), later))
    assert "延期申请未同意（请按原期限整改）" in told and told.startswith("【整改提醒】")
    told = news_text(unicom, [], [], [], decisions(unicom.id, unicom, later - timedelta(days=1), later))
    assert f"延期申请已同意，新期限 {local(granted_until):%m-%d %H:%M}" in told
    # a decision on an assisting unit's request is not the lead's news, nor another unit's
    assert not [i for i in inbox_of(app, telecom_user, later) if i[0] == "extension"]
    assert not [i for i in inbox_of(app, city.unit_b, later) if i[0] == "extension"]


def test_the_flow_binds_no_value_against_a_partial_index(app, api, city, carriers, shared_pole, browser):  # noqa: F811
    """The open requests are read through a partial index (tests/sql_guard.py)."""
    from sql_guard import watching

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
