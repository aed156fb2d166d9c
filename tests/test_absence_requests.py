"""请假外出申请: an inspector asks from the phone for days away to be recorded (leave to come, or a working day gone
by explained); the office agrees, which makes the 请假外出登记, or refuses with a reason the inspector reads. What
cannot be kept is refused and saves nothing; a request is the inspector's own and decided once."""
from __future__ import annotations

from datetime import date

from conftest import at, sql_sent
from sqlalchemy import func, select

from inspect_app.audit.models import AuditEntry
from inspect_app.extensions import db
from inspect_app.patrols.days import month_sheet
from inspect_app.patrols.models import AbsenceRequest, Patrol, PatrolAbsence


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def walked(city, user, when: str) -> None:
    db.session.add(Patrol(user_id=user.id, segment_id=city.seg_a.id, at=at(when), lat=28.2301, lon=112.935,
                          distance_m=11, note=""))


def request_id(first_day: str) -> int:
    day = date.fromisoformat(first_day)
    return db.session.scalar(select(AbsenceRequest.id).where(AbsenceRequest.first_day == day))


def test_an_inspector_explains_a_day_and_asks_for_leave_and_the_office_answers(city, browser, clock):
    """Seen on Monday: inspector2 walked nowhere on Thursday and Friday. The check-in page asks about Friday, the
    request page names both days; a desk day explained and leave asked for next week go to the office, which
    agrees to one (the month marks it) and refuses the other with a reason the inspector reads."""
    for day in ("11-23", "11-24", "11-25", "11-26", "11-27", "11-30", "12-01", "12-02"):
        for user in (city.inspector, city.inspector2):
            walked(city, user, f"2026-{day}T09:00")
    walked(city, city.inspector, "2026-12-03T09:00")
    walked(city, city.inspector, "2026-12-04T09:00")
    db.session.commit()
    clock.stop("2026-12-07T10:00")
    mine = browser(city.inspector2)
    checkin = mine.get("/patrols/checkin").get_data(as_text=True)
    assert "上个工作日（12月4日）没有你的巡查记录，也未登记请假外出。" in checkin
    assert 'href="/patrols/leave?day=2026-12-04#ask">提交说明</a>' in checkin
    assert "上个工作日" not in browser(city.inspector).get("/patrols/checkin").get_data(as_text=True)
    page = mine.get("/patrols/leave").get_data(as_text=True)
    assert "近两周有 2 个工作日既无巡查记录、也未登记请假外出：" in page
    assert '<a href="/patrols/leave?day=2026-12-03#ask">12月3日</a>、' in page
    assert 'name="first_day" required value="2026-12-04"' in mine.get("/patrols/leave?day=2026-12-04") \
        .get_data(as_text=True)
    assert 'value="2026-12-07"' in mine.get("/patrols/leave?day=garbage").get_data(as_text=True)

    answer = mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-03", "last_day": "2026-12-04",
                                                              "kind": "desk", "note": "在办公室整理测评台账"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/patrols/leave")
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-14", "last_day": "2026-12-15",
                                                     "kind": "leave", "note": "事假"})
    page = mine.get("/patrols/leave").get_data(as_text=True)
    assert "已提交申请：12月14日至12月15日请假，待文明办审批。" in page
    assert "近两周有" not in page  # both days asked about now
    assert page.count('<span class="badge s-pending">待审批</span>') == 2
    assert "上个工作日" not in mine.get("/patrols/checkin").get_data(as_text=True)
    assert count(PatrolAbsence) == 0  # nothing recorded until the office agrees

    office = browser(city.admin)
    month = office.get("/patrols/month").get_data(as_text=True)  # the days asked about: 申, still unexplained
    assert ('class="d miss asked" href="/patrols/day?user=inspector2&amp;date=2026-12-04" title="2026-12-04 '
            '工作日无记录，已申请请假外出，待审批"><i>4</i><b>申</b>') in month
    assert "工作日无记录 <b>2</b> 天</span>（2 天已申请请假外出，待审批）" in month
    sheet = office.get("/patrols/month.csv?month=2026-12").data.decode("gb18030")
    assert ",无记录（已申请请假外出，待审批）,无记录（已申请请假外出，待审批）," in sheet.splitlines()[-1]  # 3 and 4
    with sql_sent() as sent:
        work = office.get("/office/work").get_data(as_text=True)
    assert 'href="/patrols/absences#requests">2 条待审批</a>' in work
    # the menu tells it on 路段巡查, whose page links to them; counted in the menu's one statement
    badge = '路段巡查<b class="nav-count">2<span class="sr-only">条请假外出申请待审批</span></b>'
    assert badge in work
    counting = [statement for statement, _ in sent if "count(" in statement and "patrol_absence_requests" in statement]
    assert len(counting) == 1 and "intake_items" in counting[0], counting
    with sql_sent() as sent:
        page = office.get("/patrols/").get_data(as_text=True)
    assert badge in page and '请假外出申请 <a href="/patrols/absences#requests">2 条待审批</a>' in page
    counting = [statement for statement, _ in sent if "patrol_absence_requests" in statement]
    assert len(counting) == 1 and "intake_items" in counting[0], counting  # the page's count is the menu's
    for user in (city.inspector, city.leader):  # not theirs to answer
        assert '路段巡查<b class="nav-count"' not in browser(user).get("/patrols/").get_data(as_text=True)
    assert ">inspector2</a>（已申请内业值班，待审批）。" in work
    day = office.get("/patrols/day?date=2026-12-04").get_data(as_text=True)
    assert ('<span class="badge off">当日无巡查记录</span> 已申请内业值班（在办公室整理测评台账），待审批 · '
            '<a href="/patrols/absences#requests">审批</a>') in day
    register = office.get("/patrols/absences").get_data(as_text=True)
    assert "督查员的申请 <small>2 条待审批</small>" in register
    assert "12月3日至12月4日 <small class=\"muted\">共2天</small> <small class=\"muted\">补报</small>" in register
    desk = request_id("2026-12-03")
    answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{desk}/approve")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/patrols/absences?month=2026-12")
    register = office.get("/patrols/absences").get_data(as_text=True)
    assert "已同意并登记：inspector2 12月3日至12月4日内业值班。" in register
    assert "本人12-07 10:00申请，admin 12-07 10:00同意" in register  # the record says where it came from
    record = db.session.scalar(select(PatrolAbsence))
    assert (record.user_id, record.kind, record.note, record.recorded_by) == (
        city.inspector2.id, "desk", "在办公室整理测评台账", city.admin.id)
    month = month_sheet(date(2026, 12, 1), clock(), city.inspector2.id)
    assert [(c.day.day, c.absence.kind) for c in month.people[0].cells if c.absence] == [(3, "desk"), (4, "desk")]
    assert "既无巡查记录" not in office.get("/office/work").get_data(as_text=True)

    leave = request_id("2026-12-14")
    answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{leave}/refuse", {"reply": " "},
                           script=True)
    assert answer.status_code == 400 and "请填写不同意的理由" in answer.get_json()["error"]["message"]
    assert db.session.get(AbsenceRequest, leave).state == "pending"
    office.submit("/patrols/absences", f"/patrols/absences/requests/{leave}/refuse",
                  {"reply": "14日有省测评暗访，请改期"})
    assert "督查员的申请" not in office.get("/patrols/absences").get_data(as_text=True)
    assert "条待审批" not in office.get("/office/work").get_data(as_text=True)
    assert '路段巡查<b class="nav-count"' not in office.get("/patrols/").get_data(as_text=True)
    page = mine.get("/patrols/leave").get_data(as_text=True)
    assert '<span class="badge s-closed">已同意</span>' in page
    assert '<span class="badge s-disputed">未同意</span>' in page
    assert '<span class="meta refused-why">理由：14日有省测评暗访，请改期</span>' in page
    assert "admin 12-07 10:00同意" in page and "内业值班" in page
    checkin = mine.get("/patrols/checkin").get_data(as_text=True)  # the answers, where the inspector starts
    assert "文明办未同意你的请假外出申请：12月14日至12月15日请假（14日有省测评暗访，请改期）" in checkin
    assert "文明办已同意你的请假外出申请：12月3日至12月4日内业值班" in checkin
    clock.stop("2026-12-11T10:00")
    assert "你的请假外出申请" not in mine.get("/patrols/checkin").get_data(as_text=True)  # three days on
    clock.stop("2026-12-07T10:00")
    for action in ("approve", "refuse"):  # decided once
        answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{leave}/{action}",
                               {"reply": "再议"}, script=True)
        assert answer.status_code == 409 and "这条申请已处理（未同意）" in answer.get_json()["error"]["message"]
    assert count(PatrolAbsence) == 1

    # the office withdraws the record later: the inspector's page says so
    office.submit("/patrols/absences", f"/patrols/absences/{record.id}/withdraw")
    assert "文明办已撤销这条登记。" in mine.get("/patrols/leave").get_data(as_text=True)
    checkin = mine.get("/patrols/checkin").get_data(as_text=True)  # and the check-in page, which told the yes
    assert ('<p class="alert warn leave-answer">文明办已同意你的请假外出申请：12月3日至12月4日内业值班；'
            '文明办已撤销这条登记 · ') in checkin
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target.like("请假外出申请%"))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.target) for e in entries] == [
        ("create", "请假外出申请 inspector2 · 2026-12-03至2026-12-04 内业值班"),
        ("create", "请假外出申请 inspector2 · 2026-12-14至2026-12-15 请假"),
        ("update", "请假外出申请 inspector2 · 2026-12-03至2026-12-04 内业值班"),
        ("update", "请假外出申请 inspector2 · 2026-12-14至2026-12-15 请假")]
    assert "状态：待审批 → 未同意" in entries[-1].detail and "14日有省测评暗访" in entries[-1].detail


def test_refusals_keep_nothing(city, browser, clock):
    clock.stop("2026-12-07T10:00")
    office, mine = browser(city.admin), browser(city.inspector)
    office.submit("/patrols/absences", "/patrols/absences", {"user_id": str(city.inspector.id),
                                                             "first_day": "2026-12-09", "kind": "meeting"})
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-21", "last_day": "2026-12-23",
                                                     "kind": "leave"})
    assert (count(PatrolAbsence), count(AbsenceRequest)) == (1, 1)
    for fields, status, words in (
            ({"kind": "leave"}, 400, "请填写开始日期"),
            ({"first_day": "12月8日", "kind": "leave"}, 400, "开始日期格式不正确"),
            ({"first_day": "2026-12-08", "kind": "vacation"}, 400, "请选择登记类型"),
            ({"first_day": "2026-12-08", "kind": "leave", "note": "长" * 101}, 400, "说明不能超过100字"),
            ({"first_day": "2026-12-08", "last_day": "2026-12-07", "kind": "leave"}, 422, "结束日期不能早于开始日期"),
            ({"first_day": "2026-11-05", "kind": "desk"}, 422, "只能补报31天以内的日子，更早的请联系文明办登记。"),
            ({"first_day": "2027-12-20", "kind": "leave"}, 422, "只能登记前后一年以内的日期"),
            # a weekend (19-20 December), or 元旦 (1 January 2027): nobody is expected out, nothing to approve
            ({"first_day": "2026-12-19", "last_day": "2026-12-20", "kind": "leave"}, 422,
             "所选日期均为休息日（周末或节假日），无需登记。"),
            ({"first_day": "2027-01-01", "kind": "meeting"}, 422, "所选日期均为休息日"),
            ({"first_day": "2026-12-08", "last_day": "2026-12-10", "kind": "leave"}, 409,
             "文明办已登记12月9日会议培训，与本次申请的日期重叠。"),
            ({"first_day": "2026-12-23", "kind": "desk"}, 409,
             "已申请12月21日至12月23日请假，尚待文明办审批，与本次申请的日期重叠：如需更改，请先撤回原申请。")):
        answer = mine.submit("/patrols/leave", "/patrols/leave", fields, script=True)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], fields
    assert (count(PatrolAbsence), count(AbsenceRequest)) == (1, 1)
    # on the page (no script): the form again with what was typed, and why, above it
    answer = mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-20", "last_day": "2026-12-18",
                                                              "kind": "meeting", "note": "市里培训"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'role="alert">结束日期不能早于开始日期' in page
    for kept in ('name="first_day" required value="2026-12-20"', 'name="last_day" value="2026-12-18"',
                 '<option value="meeting" selected>', 'name="note" maxlength="100" value="市里培训"'):
        assert kept in page, kept
    assert count(AbsenceRequest) == 1
    # a month back is still in reach; the day after the record is free
    assert mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-11-06", "kind": "desk"}) \
        .status_code == 303
    assert mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-10", "kind": "desk"}) \
        .status_code == 303
    # a span with a working day in it is asked for as before (Friday 11th to Sunday 13th)
    assert mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-11", "last_day": "2026-12-13",
                                                            "kind": "leave"}).status_code == 303


def test_a_request_is_its_inspectors_own_and_taken_back_only_while_waiting(city, browser, clock):
    clock.stop("2026-12-07T10:00")
    mine, other, office = browser(city.inspector), browser(city.inspector2), browser(city.admin)
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-21", "kind": "leave"})
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-28", "kind": "meeting"})
    first, second = request_id("2026-12-21"), request_id("2026-12-28")
    assert "12月21日" not in other.get("/patrols/leave").get_data(as_text=True)
    answer = other.submit("/patrols/leave", f"/patrols/leave/{first}/withdraw", script=True)
    assert answer.status_code == 404 and "没有这条请假外出申请" in answer.get_json()["error"]["message"]
    for user in (city.leader, city.unit_a, city.admin):
        assert browser(user).get("/patrols/leave").status_code == 403
    assert mine.submit("/patrols/leave", f"/patrols/absences/requests/{first}/approve", script=True) \
        .status_code == 403

    answer = mine.submit("/patrols/leave", f"/patrols/leave/{first}/withdraw")
    assert answer.status_code == 303 and count(AbsenceRequest) == 1
    assert "已撤回申请：12月21日请假。" in mine.get("/patrols/leave").get_data(as_text=True)
    answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{first}/approve", script=True)
    assert answer.status_code == 404
    office.submit("/patrols/absences", f"/patrols/absences/requests/{second}/approve", {"reply": "同意，注意签到"})
    answer = mine.submit("/patrols/leave", f"/patrols/leave/{second}/withdraw", script=True)
    assert answer.status_code == 409 and "已处理（已同意）" in answer.get_json()["error"]["message"]
    assert "答复：同意，注意签到" in mine.get("/patrols/leave").get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target.like("请假外出申请%12-21%"))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.detail) for e in entries] == [("create", entries[0].detail), ("delete", "撤回")]


def test_the_office_answers_a_request_rather_than_record_over_its_days(city, browser, api, clock):
    """The office goes to record a training over days an inspector asked for and waits on: refused (409, naming
    the request to agree or refuse), the form as typed, nothing saved; the API likewise. A record over them from
    before that rule stops the agreement: the register page again, why beside the request, which still waits; a
    refusal without a reason, or too long a one, comes back the same way with what was typed."""
    clock.stop("2026-12-07T10:00")
    mine, office = browser(city.inspector), browser(city.admin)
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-10", "last_day": "2026-12-11",
                                                     "kind": "leave"})
    asked = request_id("2026-12-10")
    answer = office.submit("/patrols/absences", "/patrols/absences", {"user_id": str(city.inspector.id),
                                                                      "first_day": "2026-12-11", "kind": "meeting",
                                                                      "note": "市创城培训"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert ('role="alert">inspector已申请12月10日至12月11日请假，尚待审批，与本次登记的日期重叠：'
            '请在“督查员的申请”中同意并登记，或不同意后再登记。') in page
    for kept in ('name="first_day" required value="2026-12-11"', '<option value="meeting" selected>',
                 'value="市创城培训"'):
        assert kept in page, kept
    answer = api.post("/api/v1/patrols/absences", city.admin, json={"user": "inspector", "first_day": "2026-12-09",
                                                                    "last_day": "2026-12-10", "kind": "desk"})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "request_overlap"
    assert count(PatrolAbsence) == 0
    # the day after is free; another inspector's days are theirs
    assert office.submit("/patrols/absences", "/patrols/absences", {"user_id": str(city.inspector.id),
                                                                    "first_day": "2026-12-14", "kind": "meeting"}) \
        .status_code == 303
    assert office.submit("/patrols/absences", "/patrols/absences", {"user_id": str(city.inspector2.id),
                                                                    "first_day": "2026-12-11", "kind": "meeting"}) \
        .status_code == 303

    # a record over the days from before the office was stopped: agreeing is refused beside the request
    db.session.add(PatrolAbsence(user_id=city.inspector.id, first_day=date(2026, 12, 11), last_day=date(2026, 12, 11),
                                 kind="meeting", note="", recorded_by=city.admin.id, recorded_at=clock()))
    db.session.commit()

    def beside(page: str) -> str:  # the request's row
        return page.split('class="card waiting-requests"')[1].split("</tr>")[1]

    answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{asked}/approve")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "督查员的申请 <small>1 条待审批</small>" in page
    assert ('class="alert error" role="alert">inspector已登记12月11日会议培训，与本次登记的日期重叠：'
            '如需更改，请先撤销原登记。</div>') in beside(page)
    assert db.session.get(AbsenceRequest, asked).state == "pending" and count(PatrolAbsence) == 3
    for reply, status, words in ((" ", 400, "请填写不同意的理由，督查员会看到。"),
                                 ("长" * 101, 400, "理由不能超过100字。")):
        answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{asked}/refuse", {"reply": reply})
        row = beside(answer.get_data(as_text=True))
        assert answer.status_code == status and f'role="alert">{words}</div>' in row, reply
        assert f'value="{reply}"' in row, reply  # what was typed
    assert db.session.get(AbsenceRequest, asked).state == "pending"
    assert office.submit("/patrols/absences", f"/patrols/absences/requests/{asked}/refuse",
                         {"reply": "11日已登记培训，10日请另行申请"}).status_code == 303
    # answered already (another tab): the page again, why above it
    answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{asked}/approve")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 409 and 'role="alert">这条申请已处理（未同意），不能再审批或撤回。' in page
    assert "请假外出登记 <small>" in page and count(PatrolAbsence) == 3


def test_a_request_of_someone_no_longer_an_inspector_is_refused_not_recorded(city, browser, clock):
    clock.stop("2026-12-07T10:00")
    browser(city.inspector).submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-10", "kind": "leave"})
    city.inspector.active = False
    db.session.commit()
    office = browser(city.admin)
    asked = request_id("2026-12-10")
    answer = office.submit("/patrols/absences", f"/patrols/absences/requests/{asked}/approve", script=True)
    assert answer.status_code == 422 and "账号已停用或已不是督查员" in answer.get_json()["error"]["message"]
    assert count(PatrolAbsence) == 0 and db.session.get(AbsenceRequest, asked).state == "pending"
    assert office.submit("/patrols/absences", f"/patrols/absences/requests/{asked}/refuse",
                         {"reply": "已离职"}).status_code == 303


def test_the_api(city, api, clock):
    clock.stop("2026-12-07T10:00")
    asked = {"first_day": "2026-12-14", "last_day": "2026-12-15", "kind": "leave", "note": "事假"}
    answer = api.post("/api/v1/patrols/absence-requests", city.inspector, json=asked)
    assert answer.status_code == 201
    made = answer.get_json()
    assert {k: made[k] for k in ("user", "first_day", "last_day", "days", "kind", "state", "state_label",
                                 "decided_by", "absence_id")} == {
        "user": "inspector", "first_day": "2026-12-14", "last_day": "2026-12-15", "days": 2, "kind": "leave",
        "state": "pending", "state_label": "待审批", "decided_by": None, "absence_id": None}
    assert api.post("/api/v1/patrols/absence-requests", city.inspector, json=asked).get_json()["error"]["code"] \
        == "request_overlap"
    assert api.post("/api/v1/patrols/absence-requests", city.admin, json=asked).status_code == 403
    other = api.post("/api/v1/patrols/absence-requests", city.inspector2,
                     json={"first_day": "2026-12-04", "kind": "desk"}).get_json()
    assert [i["id"] for i in api.get("/api/v1/patrols/absence-requests", city.admin).get_json()["items"]] == [
        made["id"], other["id"]]  # the office's queue, the oldest first
    assert [i["id"] for i in api.get("/api/v1/patrols/absence-requests", city.inspector2).get_json()["items"]] == [
        other["id"]]
    assert api.get("/api/v1/patrols/absence-requests", city.leader).status_code == 403

    url = f"/api/v1/patrols/absence-requests/{made['id']}"
    assert api.post(url + "/approve", city.inspector, json={}).status_code == 403
    answer = api.post(url + "/refuse", city.admin, json={})
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "reply_required"
    answer = api.post(url + "/approve", city.admin, json={"reply": "同意"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["state"], body["decided_by"], body["reply"]) == ("approved", "admin", "同意")
    assert db.session.get(PatrolAbsence, body["absence_id"]).kind == "leave"
    assert api.post(url + "/approve", city.admin, json={}).get_json()["error"]["code"] == "request_decided"
    assert api.call("DELETE", url, city.inspector).status_code == 409
    assert api.call("DELETE", url, city.inspector2).status_code == 404
    assert api.call("DELETE", f"/api/v1/patrols/absence-requests/{other['id']}", city.inspector2).status_code == 204
    assert api.call("DELETE", "/api/v1/patrols/absence-requests/x", city.inspector2).status_code == 404
    assert api.post("/api/v1/patrols/absence-requests/x/refuse", city.admin, json={"reply": "否"}).status_code == 404
    assert count(AbsenceRequest) == 1 and count(PatrolAbsence) == 1


def test_days_of_another_year_name_it(city, browser, clock):
    """In December, leave asked for next January reads 2027年1月4日, not a January gone by; this year's stay short."""
    clock.stop("2026-12-07T10:00")
    mine = browser(city.inspector)
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2027-01-04", "last_day": "2027-01-05",
                                                     "kind": "leave"})
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2027-02-01", "kind": "meeting"})
    mine.submit("/patrols/leave", "/patrols/leave", {"first_day": "2026-12-21", "kind": "desk"})
    page = mine.get("/patrols/leave").get_data(as_text=True)
    for words in ("<strong>2027年1月4日至2027年1月5日</strong>", "<strong>2027年2月1日</strong>",
                  "<strong>12月21日</strong>"):
        assert words in page, words
    office = browser(city.admin).get("/patrols/absences?month=2027-01").get_data(as_text=True)
    assert "2027年1月4日至2027年1月5日" in office
