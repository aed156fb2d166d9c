"""并案: an outside report (a citizen's 随手拍, a 12345 case, a superior's feedback item) of a problem already being
handled follows that ticket instead of making a second one against the unit; and a ticket voided as a repeat of
another takes its outside reports along, so the citizen and the hotline are told the problem is being handled,
not 已作废."""
from __future__ import annotations

import json
from datetime import timedelta

from conftest import BEFORE_PHOTO, City, processed
from sqlalchemy import func, select
from test_intake import file_report, receipt_of
from test_responsibility import carriers, shared_pole  # noqa: F401 (fixtures)

from inspect_app.dashboard.year import summary_text, year_report
from inspect_app.extensions import db
from inspect_app.intake.models import IntakeItem
from inspect_app.tickets import services as tickets
from inspect_app.tickets.models import Ticket, TicketEvent


def _events(ticket, action):
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.action == action)
                                   .order_by(TicketEvent.id)))  # in the order written (PostgreSQL keeps none)


def test_a_citizens_repeat_is_merged_into_the_open_problem(api, browser, city, make_ticket, now):
    known = make_ticket()  # the inspector's, at ON_A, dispatched to 甲街道
    phone, response = file_report(browser)  # a citizen's photo of the same 牛皮癣
    code, item = receipt_of(response), db.session.scalar(select(IntakeItem))
    office = browser(city.admin)
    assert f"疑似重复：{known.number} 在办" in office.get("/intake").get_data(as_text=True)  # on the queue's card
    page = f"/intake/{item.id}"
    text = office.get(page).get_data(as_text=True)
    assert "疑似重复" in text and f'name="ticket" value="{known.number}"' in text and f"并入 {known.number}" in text
    assert "并入已有问题" in text and "市民凭回执码查看该问题的办理进度" in text

    answer = office.submit(page, f"/intake/{item.id}/merge", {"ticket": known.number, "ticket_version":
                                                              str(known.version)})  # its 并入 button
    assert answer.status_code == 303
    db.session.expire_all()
    item = db.session.get(IntakeItem, item.id)
    assert (item.status, item.ticket_id, item.decided_by) == ("merged", known.id, city.admin.id)
    assert db.session.scalar(select(func.count(Ticket.id))) == 1  # no second ticket against the unit
    [merged] = _events(known, "merge_report")
    assert merged.note == "并入市民随手拍来件" and json.loads(merged.data_json) == {"item_id": item.id}
    assert known.status == "assigned"  # the ticket goes on as it was

    history = office.get(f"/tickets/{known.id}").get_data(as_text=True)
    assert "并案" in history and f'href="/intake/{item.id}"' in history
    assert "另有1件来件反映同一问题" in history and "市民随手拍来件" in history
    unit_view = browser(city.unit_a).get(f"/tickets/{known.id}").get_data(as_text=True)
    assert "并入市民随手拍来件" in unit_view and "另有1件来件反映同一问题" in unit_view
    assert "/intake/" not in unit_view and "13800000000" not in unit_view
    assert "已并案" in office.get("/intake?status=merged").get_data(as_text=True)
    assert "已并案" in office.get(page).get_data(as_text=True)

    # 群众再次反映: the office's 待办事项 counts the open ones and the list filters them (page and API)
    other = make_ticket(point=None)
    assert "群众再次反映 1 件" in office.get("/office/work").get_data(as_text=True)
    listed = office.get("/tickets?status=open&repeated=1").get_data(as_text=True)
    assert known.number in listed and other.number not in listed and "不限" in listed
    found = api.get("/api/v1/tickets?repeated=1", city.admin).get_json()
    assert [t["number"] for t in found["items"]] == [known.number]
    assert [t["number"] for t in api.get("/api/v1/tickets?repeated=1", city.unit_b).get_json()["items"]] == []

    receipt = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    # while the problem is open the merge is a 说明, not its 办理结果 (which a reader takes as final)
    assert "已转交责任单位办理" in receipt and "办理结果" not in receipt
    assert f'<dt>说明</dt><dd class="pre">此问题此前已有反映，已并入问题{known.number}合并办理。</dd>' in receipt
    tickets.rectify(city.unit_a, known, now, "已清除小广告", [processed()])
    tickets.approve(city.inspector, known, now, "整改到位")
    db.session.commit()
    receipt = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    assert "已办结" in receipt and "已清除小广告" in receipt
    assert f'<dt>办理结果</dt><dd class="pre">此问题此前已有反映，已并入问题{known.number}合并办理。' in receipt
    assert "群众再次反映" not in office.get("/office/work").get_data(as_text=True)  # closed: nothing owed

    again = api.post(f"/api/v1/intake/{item.id}/merge", city.admin, json={"ticket": known.number})
    assert again.status_code == 409 and again.get_json()["error"]["message"] == "该来件已处理（已并案）。"
    report = year_report(2026, now + timedelta(hours=1))  # the report came in on the app's clock, after `now`
    assert report["intake"]["citizen"]["merged"] == 1 and report["intake"]["citizen"]["accepted"] == 0
    assert "收到市民随手拍1件，受理1件（并入已有问题1件）。" in summary_text(report)


def test_a_merge_names_an_open_problem_or_changes_nothing(api, browser, city, make_ticket, now):
    known = make_ticket()
    closed = make_ticket(at_time=now)
    tickets.rectify(city.unit_a, closed, now, "已清除", [processed()])
    tickets.approve(city.inspector, closed, now, None)
    voided, repeat = make_ticket(), make_ticket()
    tickets.cancel(city.admin, voided, now, "误报")
    tickets.cancel(city.admin, repeat, now, None, duplicate_of=known.number)
    db.session.commit()
    _, response = file_report(browser)
    item = db.session.scalar(select(IntakeItem))
    url = f"/api/v1/intake/{item.id}/merge"
    for body, status, code in (({}, 400, "ticket_required"), ({"ticket": "  "}, 400, "ticket_required"),
                               ({"ticket": "2026-999999"}, 422, "unknown_ticket"),
                               ({"ticket": closed.number}, 409, "ticket_not_open"),
                               ({"ticket": voided.number}, 409, "ticket_not_open")):
        answer = api.post(url, city.admin, json=body)
        assert answer.status_code == status and answer.get_json()["error"]["code"] == code, body
    refusal = api.post(url, city.admin, json={"ticket": closed.number}).get_json()["error"]["message"]
    assert "已结案，不能并入" in refusal
    refusal = api.post(url, city.admin, json={"ticket": repeat.number}).get_json()["error"]  # names the one it repeats
    assert refusal == {**refusal, "code": "ticket_not_open",
                       "message": f"问题 {repeat.number} 已作废（与{known.number}重复上报），不能并入；请改填问题 {known.number}。"}
    assert api.post(url, city.inspector, json={"ticket": known.number}).status_code == 403
    assert api.post(url, city.unit_a, json={"ticket": known.number}).status_code == 403
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "pending" and _events(known, "merge_report") == []

    written = " " + known.number.replace("-", "") + " "  # as typed: no dash, spaces around
    answer = api.post(url, city.admin, json={"ticket": written})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "merged" and body["status_label"] == "已并案" and body["ticket_id"] == known.id


def test_a_merge_into_a_problem_changed_since_the_page_was_drawn_is_refused(api, browser, city, make_ticket):
    """The 疑似重复 list's 并入 button sends the problem's version as drawn: a problem the unit sent back (退单)
    while the office's page stood open is not merged into; the office is told and nothing changes."""
    import re

    known = make_ticket()
    file_report(browser)
    item = db.session.scalar(select(IntakeItem))
    office, page = browser(city.admin), f"/intake/{item.id}"
    drawn = office.get(page).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/intake/%d/merge" class="inline"[^>]*>(.*?)</form>' % item.id,
                     drawn, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    fields.pop("csrf_token", None)
    assert fields == {"ticket": known.number, "ticket_version": str(known.version)}

    unit, mine = browser(city.unit_a), f"/tickets/{known.id}"  # the unit's 退单, in a session of its own
    assert unit.submit(mine, f"{mine}/dispute", {"reason": "不属于本单位职责", "version": str(known.version)}) \
        .status_code == 303
    message = f"{known.number}在您打开页面后已有新的处理（现为“退单待审”），请查看最新情况后再操作。"
    refused = office.submit(page, f"/intake/{item.id}/merge", fields)
    assert refused.status_code == 303 and message in office.get(refused.location).get_data(as_text=True)
    answer = office.submit(page, f"/intake/{item.id}/merge", fields, script=True)
    assert answer.status_code == 409 and answer.get_json()["error"] == {"code": "ticket_changed", "message": message}
    stale = api.post(f"/api/v1/intake/{item.id}/merge", city.admin,
                     json={"ticket": known.number, "ticket_version": int(fields["ticket_version"])})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "ticket_changed"
    bad = api.post(f"/api/v1/intake/{item.id}/merge", city.admin, json={"ticket": known.number, "ticket_version": "x"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_version"
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "pending" and _events(known, "merge_report") == []

    # the page drawn again carries the new version, and the merge goes through
    fresh = db.session.get(Ticket, known.id).version
    assert fresh != int(fields["ticket_version"])
    drawn = office.get(page).get_data(as_text=True)
    assert f'name="ticket_version" value="{fresh}"' in drawn
    assert office.submit(page, f"/intake/{item.id}/merge",
                         {"ticket": known.number, "ticket_version": str(fresh)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "merged"


def test_a_typed_problem_number_is_confirmed_and_merged_only_as_it_was_shown(api, browser, city, make_ticket):
    """Walker: the typed 问题编号 form merged at once and sent no version, so a merge from a page left open went into
    a problem changed meanwhile (the unit's 退单 undone by the report following it). The number typed now shows the
    problem it names to be confirmed, nothing merged yet; the confirmation carries its version as shown, as the
    疑似重复 list's buttons do: a problem changed since is refused (409 ticket_changed), nothing merged."""
    import re

    known = make_ticket()
    file_report(browser)
    item = db.session.scalar(select(IntakeItem))
    office, page = browser(city.admin), f"/intake/{item.id}"
    shown = office.submit(page, f"/intake/{item.id}/merge", {"ticket": known.number.replace("-", "")})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and f"确认并入问题 <a href=\"/tickets/{known.id}\">{known.number}</a>？" in html
    form = re.search(r'<input type="hidden" name="ticket" value="([^"]+)"><input type="hidden" '
                     r'name="ticket_version" value="(\d+)">\s*<button type="submit" class="btn block">确认并入', html)
    assert form.groups() == (known.number, str(known.version))
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "pending" and _events(known, "merge_report") == []
    refused = office.submit(page, f"/intake/{item.id}/merge", {"ticket": "2026-999999"})  # as before: why, typed
    assert refused.status_code == 422 and "没有编号为 2026-999999 的问题" in refused.get_data(as_text=True)

    unit, mine = browser(city.unit_a), f"/tickets/{known.id}"  # the unit's 退单 while the page stands open
    assert unit.submit(mine, f"{mine}/dispute", {"reason": "不属于本单位职责", "version": str(known.version)}) \
        .status_code == 303
    fields = {"ticket": form.group(1), "ticket_version": form.group(2)}
    stale = office.submit(page, f"/intake/{item.id}/merge", fields)
    assert stale.status_code == 303 and "在您打开页面后已有新的处理（现为“退单待审”）" in \
        office.get(stale.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "pending" and _events(known, "merge_report") == []
    fresh = str(db.session.get(Ticket, known.id).version)
    shown = office.submit(page, f"/intake/{item.id}/merge", {"ticket": known.number}).get_data(as_text=True)
    assert f'name="ticket_version" value="{fresh}"' in shown
    assert office.submit(page, f"/intake/{item.id}/merge", {"ticket": known.number, "ticket_version": fresh}) \
        .status_code == 303
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "merged"


def test_a_merged_hotline_case_reports_the_problems_progress_back(api, browser, city, make_ticket, now):
    known = make_ticket()  # on 人民路东段
    elsewhere = make_ticket(point=None, segment=city.seg_b)  # 建设路西段
    case = {"case_number": "GD2026112105", "received_at": "2026-11-21T08:00:00+08:00", "category": "牛皮癣",
            "description": "电线杆上又贴了小广告", "address": "人民路东段88号",  # no position: found by the road
            "due_at": "2026-11-28T18:00:00+08:00"}
    item_id = api.post("/api/v1/intake/hotline", city.admin, json=case).get_json()["item"]["id"]
    page = browser(city.admin).get(f"/intake/{item_id}").get_data(as_text=True)
    assert "地址中提到的道路上已有1件同类问题在办" in page and f"并入 {known.number}" in page
    assert elsewhere.number not in page and "相距" not in page
    assert api.post(f"/api/v1/intake/{item_id}/merge", city.admin, json={"ticket": known.number}).status_code == 200
    # the case's own time limit is told (the ticket's deadline stands)
    assert _events(known, "merge_report")[0].note == "并入12345热线工单 GD2026112105（热线办理时限 11-28 18:00）"
    status = api.get("/api/v1/intake/hotline/GD2026112105", city.admin).get_json()
    assert status["status"] == "merged" and status["ticket_id"] == known.id
    assert status["progress"]["label"] == "已转交责任单位办理" and status["progress"]["unit"] == "甲街道办事处"
    lines = api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin).get_data() \
        .decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",办理结果,备注")
    # 办理结果 stays empty until the problem is 办结: the merge goes under 备注
    assert lines[1].startswith(f"GD2026112105,已转交责任单位办理,{known.number},甲街道办事处")
    assert lines[1].endswith(f",,此问题此前已有反映，已并入问题{known.number}合并办理。")
    assert status["progress"]["result"] == "" and "合并办理" in status["progress"]["note"]


def test_voiding_a_repeat_takes_its_outside_reports_along(api, browser, city, make_ticket, now):
    earlier = make_ticket()
    phone, response = file_report(browser)
    code, item = receipt_of(response), db.session.scalar(select(IntakeItem))
    office = browser(city.admin)
    office.submit(f"/intake/{item.id}", f"/intake/{item.id}/accept", {"category": "niupixuan"})
    later = db.session.scalar(select(Ticket).where(Ticket.id != earlier.id))
    assert later.source == "citizen"
    page = f"/tickets/{later.id}"
    text = office.get(page).get_data(as_text=True)
    assert f'name="duplicate_of" value="{earlier.number}"' in text  # the one-step void names the earlier

    # refused: itself, a closed one; nothing changes
    for other, status in ((later.number, 422), ("2026-999999", 422)):
        answer = api.post(f"/api/v1/tickets/{later.id}/cancel", city.admin, json={"duplicate_of": other})
        assert answer.status_code == status, other
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "assigned"

    answer = office.submit(page, f"/tickets/{later.id}/cancel", {"reason": "", "duplicate_of": earlier.number,
                                                                 "duplicate_of_version": str(earlier.version)})
    assert answer.status_code == 303
    db.session.expire_all()
    later, item = db.session.get(Ticket, later.id), db.session.get(IntakeItem, item.id)
    assert later.status == "cancelled" and _events(later, "cancel")[0].note == f"与{earlier.number}重复上报"
    assert json.loads(_events(later, "cancel")[0].data_json) == {"duplicate_of": earlier.number}
    assert (item.status, item.ticket_id) == ("merged", earlier.id)
    assert _events(earlier, "merge_report")[0].note == "并入市民随手拍来件"
    receipt = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    assert "已作废" not in receipt and "已转交责任单位办理" in receipt and earlier.number in receipt

    # a plain void (no duplicate named) leaves the reports where they are
    lone = make_ticket(point=None, photo=BEFORE_PHOTO)
    tickets.cancel(city.admin, lone, now, "误报")
    db.session.commit()
    assert _events(lone, "cancel")[0].data_json in ("{}", None)


def test_a_repeat_cannot_be_voided_against_a_closed_problem(api, city, make_ticket, now):
    closed = make_ticket()
    tickets.rectify(city.unit_a, closed, now, "已清除", [processed()])
    tickets.approve(city.inspector, closed, now, None)
    later = make_ticket(point=City.ON_A)
    db.session.commit()
    answer = api.post(f"/api/v1/tickets/{later.id}/cancel", city.admin, json={"duplicate_of": closed.number})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "ticket_not_open"
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "assigned"


def test_a_typed_repeat_number_is_confirmed_and_voided_against_only_as_it_was_shown(browser, city, make_ticket,
                                                                                    now):
    """The 作废 form's 与哪件问题重复 sent no version of the problem typed, so a 作废 from a page left open
    went against a problem changed meanwhile (the unit's 退单), its reports following it. The number typed now shows
    the problem it names, nothing voided yet; the confirmation carries its version as shown, as 作废本件（与…重复）
    does: changed since, refused (409 ticket_changed), nothing voided. A number naming a problem no longer open is
    refused in the form, the number kept to be corrected."""
    import re

    earlier, closed, voided = make_ticket(), make_ticket(point=City.ON_A), make_ticket(point=City.ON_A)
    tickets.rectify(city.unit_a, closed, now, "已清除", [processed()])
    tickets.approve(city.inspector, closed, now, None)
    tickets.cancel(city.admin, voided, now, None, duplicate_of=earlier.number)
    later = make_ticket(point=City.ON_A)
    db.session.commit()
    office, page = browser(city.admin), f"/tickets/{later.id}"

    for other, why in ((closed.number, f"问题 {closed.number} 已结案，不能作废为与其重复；问题再次出现的，应作为新问题办理。"),
                       (voided.number, f"问题 {voided.number} 已作废（与{earlier.number}重复上报），不能作废为与其重复；"
                                       f"请改填问题 {earlier.number}。")):
        refused = office.submit(page, f"{page}/cancel", {"version": str(later.version), "reason": "重复上报",
                                                         "duplicate_of": other})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 409 and why in html, other  # said in the form, the number kept
        assert f'name="duplicate_of" maxlength="20" placeholder="如 2026-000123" autocomplete="off" ' \
               f'value="{other}"' in html

    shown = office.submit(page, f"{page}/cancel", {"version": str(later.version), "reason": "重复上报",
                                                   "duplicate_of": earlier.number.replace("-", "")})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert f'确认作废本件，作为问题 <a href="/tickets/{earlier.id}">{earlier.number}</a> 的重复上报？' in html
    form = re.search(r'name="version" value="(\d+)"><input type="hidden" name="reason" value="([^"]*)"><input '
                     r'type="hidden" name="duplicate_of" value="([^"]+)"><input type="hidden" '
                     r'name="duplicate_of_version" value="(\d+)">\s*<button type="submit" class="btn danger block">'
                     r'确认作废（与', html)
    assert form.groups() == (str(later.version), "重复上报", earlier.number, str(earlier.version))
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "assigned" and _events(later, "cancel") == []

    unit, theirs = browser(city.unit_a), f"/tickets/{earlier.id}"  # the unit's 退单 while the page stands open
    assert unit.submit(theirs, f"{theirs}/dispute", {"reason": "不属于本单位职责", "version": str(earlier.version)}) \
        .status_code == 303
    fields = dict(zip(("version", "reason", "duplicate_of", "duplicate_of_version"), form.groups()))
    stale = office.submit(page, f"{page}/cancel", fields)
    assert stale.status_code == 303 and "在您打开页面后已有新的处理（现为“退单待审”）" in \
        office.get(stale.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "assigned" and _events(later, "cancel") == []

    fresh = str(db.session.get(Ticket, earlier.id).version)
    shown = office.submit(page, f"{page}/cancel", {"version": fields["version"], "reason": "重复上报",
                                                   "duplicate_of": earlier.number}).get_data(as_text=True)
    assert f'name="duplicate_of_version" value="{fresh}"' in shown
    assert office.submit(page, f"{page}/cancel", {**fields, "duplicate_of_version": fresh}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "cancelled"
    assert json.loads(_events(later, "cancel")[0].data_json) == {"duplicate_of": earlier.number}


def test_a_merged_case_with_an_earlier_time_limit_brings_the_deadline_forward(clock, api, city, make_ticket,
                                                                                 shared_pole):  # noqa: F811
    """A 12345 case's 办理时限 binds the problem it is merged into: the unit's deadline (the lead's, and the
    assisting units') moves up to it when it is earlier and still ahead; a later one, or one already past, moves
    nothing; a problem the unit has reported rectified keeps its deadline."""
    from conftest import at

    wires = shared_pole  # 蜘蛛网, 10 working days: 电信 leads, 移动 and 联通 assist
    assert wires.deadline > at("2026-12-05T00:00") and len(wires.parts) == 3

    def merge(number: str, due: str, ticket, received: str = "2026-11-25T08:00:00+08:00") -> TicketEvent:
        case = {"case_number": number, "received_at": received, "category": "蜘蛛网",
                "description": "线缆垂落", "address": "人民路东段88号", "due_at": due}
        item_id = api.post("/api/v1/intake/hotline", city.admin, json=case).get_json()["item"]["id"]
        answer = api.post(f"/api/v1/intake/{item_id}/merge", city.admin, json={"ticket": ticket.number})
        assert answer.status_code == 200, answer.get_json()
        db.session.expire_all()
        return _events(ticket, "merge_report")[-1]

    event = merge("GD2026112501", "2026-11-28T18:00:00+08:00", wires)
    assert event.note == "并入12345热线工单 GD2026112501（热线办理时限 11-28 18:00，整改期限提前至该时限）"
    wires = db.session.get(Ticket, wires.id)
    assert wires.deadline == at("2026-11-28T18:00") and wires.due_by == at("2026-11-28T18:00")
    assert [p.deadline for p in wires.parts] == [at("2026-11-28T18:00")] * 3
    # a later limit, and one already past: the deadline stands, and so does the earlier limit still ahead (one past
    # would cap nothing on a reassignment)
    assert merge("GD2026112502", "2026-12-01T18:00:00+08:00", wires).note.endswith("（热线办理时限 12-01 18:00）")
    merge("GD2026112503", "2026-11-24T18:00:00+08:00", wires, received="2026-11-24T08:00:00+08:00")
    wires = db.session.get(Ticket, wires.id)
    assert wires.deadline == at("2026-11-28T18:00") and wires.due_by == at("2026-11-28T18:00")

    # reported rectified: nothing owed now, the deadline stays
    done = make_ticket(point=None, segment=city.seg_b, at_time=clock())  # 牛皮癣: 24 hours
    tickets.rectify(city.unit_b, done, clock(), "已清除", [processed()])
    db.session.commit()
    before = done.deadline
    merge("GD2026112504", "2026-11-25T20:00:00+08:00", done)
    assert db.session.get(Ticket, done.id).deadline == before
