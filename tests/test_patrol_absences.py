"""请假外出登记: the office records the days an inspector was away from field work; 巡查月历, 巡查日志 and the 轨迹
show the reason instead of a working day without a record, the register refuses what it cannot keep and saves
nothing then, and the API does the same for a 考勤 system's script."""
from __future__ import annotations

import io
from datetime import date

from conftest import at
from openpyxl import load_workbook
from sqlalchemy import func, select

from inspect_app.audit.models import AuditEntry
from inspect_app.extensions import db
from inspect_app.patrols.days import day_summary, month_sheet
from inspect_app.patrols.models import Patrol, PatrolAbsence


def records() -> int:
    return db.session.scalar(select(func.count()).select_from(PatrolAbsence))


def test_recorded_days_are_no_longer_missed(city, browser, clock):
    """Leave and a meeting recorded for inspector2, desk work on a day the inspector also walked: the month counts
    them apart from the days unexplained, the day and the 轨迹 name them, the export writes them."""
    for user in (city.inspector, city.inspector2):  # their accounts were made before the month looked at
        user.created_at = at("2026-01-05T09:00")
    db.session.add(Patrol(user_id=city.inspector.id, segment_id=city.seg_a.id, at=at("2026-11-02T09:00"),
                          lat=28.2301, lon=112.935, distance_m=11, note=""))
    db.session.commit()
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    assert "请假外出登记" in office.get("/patrols/month?month=2026-11").get_data(as_text=True)
    form = office.get("/patrols/absences").get_data(as_text=True)
    assert "请假外出登记 <small>2026年12月" in form and "2026年12月没有请假外出登记" in form
    two = str(city.inspector2.id)
    for fields in ({"user_id": two, "first_day": "2026-11-16", "last_day": "2026-11-20", "kind": "leave",
                    "note": "年休假，已经科长批准"},
                   {"user_id": two, "first_day": "2026-11-23", "kind": "meeting", "note": "参加市创城业务培训"},
                   {"user_id": two, "first_day": "2026-11-27", "last_day": "2026-11-29", "kind": "other"},
                   {"user_id": str(city.inspector.id), "first_day": "2026-11-02", "kind": "desk"}):
        answer = office.submit("/patrols/absences", "/patrols/absences", fields)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/patrols/absences?month=2026-11")
    page = office.get("/patrols/absences?month=2026-11").get_data(as_text=True)
    assert "已登记：inspector 11月2日内业值班。" in page
    assert "11月16日至11月20日 <small class=\"muted\">共5天</small>" in page and "年休假，已经科长批准" in page
    assert "11月27日至11月29日 <small class=\"muted\">共3天，工作日1天</small>" in page  # Friday to Sunday
    assert "2026年11月的登记 <small>4 条" in page

    # 巡查月历: inspector2's 21 working days of November, 7 of them recorded; the inspector's desk day was out too
    month = month_sheet(date(2026, 11, 1), clock())
    assert [(p.username, p.out_days, p.missed_days, p.absent_days) for p in month.people] == [
        ("inspector", 1, 20, 1), ("inspector2", 0, 14, 7)]
    page = office.get("/patrols/month?month=2026-11").get_data(as_text=True)
    assert "工作日无记录 <b>14</b> 天</span> · 登记请假外出 <b>7</b> 个工作日" in page
    assert ('class="d away" href="/patrols/day?user=inspector2&amp;date=2026-11-16" title="2026-11-16 '
            '已登记请假：年休假，已经科长批准"><i>16</i><b>假</b>') in page
    assert '<i>23</i><b>会</b>' in page and "<i>28</i><b></b>" in page  # a Saturday in a record stays a day off
    sheet = load_workbook(io.BytesIO(office.get("/patrols/month.xlsx?month=2026-11").data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in values if row[0] == "姓名")
    assert header[5] == "登记请假外出（工作日）"
    two_row = next(row for row in values if row[1] == "inspector2")
    assert two_row[3:6] == [0, 14, 7] and two_row[9 + 15] == "请假" and two_row[9 + 22] == "会议培训"
    assert two_row[9 + 12] == "无记录" and two_row[9 + 13] is None  # 13 November, a Friday; the 14th, a Saturday
    one_row = next(row for row in values if row[1] == "inspector")
    assert one_row[9 + 1] == "09:00–09:00 · 1（内业值班）"

    # 巡查日志 and the 轨迹 of 16 November
    people = {p.username: p for p in day_summary(date(2026, 11, 16))}
    assert people["inspector2"].absence.kind == "leave" and people["inspector"].absence is None
    page = office.get("/patrols/day?date=2026-11-16").get_data(as_text=True)
    assert '<div class="err"><b>1</b><span>名督查员当日无记录且未登记</span>' in page
    assert "<b>1</b><span>名登记请假外出</span>" in page
    assert '<span class="badge away">请假</span> 年休假，已经科长批准' in page
    sunday = office.get("/patrols/day?date=2026-11-22").get_data(as_text=True)  # nobody is expected out
    assert "<div><b>2</b><span>名督查员当日无记录</span>" in sunday
    trail = office.get("/patrols/day?date=2026-11-16&user=inspector2").get_data(as_text=True)
    assert "文明办登记：inspector2当日<span class=\"badge away\">请假</span>（年休假，已经科长批准）" in trail
    # the inspector reads their own month with the mark, and cannot reach the register
    mine = browser(city.inspector2)
    assert "<b>假</b>" in mine.get("/patrols/month?month=2026-11").get_data(as_text=True)
    assert "请假外出登记</a>" not in mine.get("/patrols/month?month=2026-11").get_data(as_text=True)
    for user in (city.inspector, city.leader, city.unit_a):
        assert browser(user).get("/patrols/absences").status_code == 403
    assert mine.submit("/patrols/month", "/patrols/absences", {"user_id": two, "first_day": "2026-12-07",
                                                               "kind": "leave"}, script=True).status_code == 403
    assert records() == 4


def test_planned_leave_and_withdrawing(city, browser, clock):
    """Leave approved ahead shows on the month's days to come; a record withdrawn is gone from the month; both are
    in the 操作日志."""
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    office.submit("/patrols/absences", "/patrols/absences", {"user_id": str(city.inspector.id),
                                                             "first_day": "2026-12-07", "last_day": "2026-12-09",
                                                             "kind": "leave", "note": "病假"})
    page = office.get("/patrols/month").get_data(as_text=True)
    assert ('<span class="d future away" title="2026-12-07 已登记请假：病假"><i>7</i><b>假</b></span>' in page)
    assert "登记请假外出 <b>3</b> 个工作日" in page
    assert office.get("/patrols/absences?month=2027-01").status_code == 200  # leave is planned ahead
    assert ">下月</a>" in office.get("/patrols/absences?month=2027-11").get_data(as_text=True)
    assert ">下月</a>" not in office.get("/patrols/absences?month=2027-12").get_data(as_text=True)  # the page's end
    answer = office.get("/patrols/absences?month=2028-01")
    assert answer.status_code == 400 and "只能查看一年以内的月份" in answer.get_data(as_text=True)

    row_id = db.session.scalar(select(PatrolAbsence.id))
    answer = office.submit("/patrols/absences", f"/patrols/absences/{row_id}/withdraw")
    assert answer.status_code == 303 and records() == 0
    assert "已撤销：inspector 12月7日至12月9日请假。" in office.get("/patrols/absences").get_data(as_text=True)
    assert "<b>假</b>" not in office.get("/patrols/month").get_data(as_text=True)
    answer = office.submit("/patrols/absences", f"/patrols/absences/{row_id}/withdraw", script=True)
    assert answer.status_code == 404 and "可能已撤销" in answer.get_json()["error"]["message"]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target.like("请假外出登记%"))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.target, e.detail) for e in entries] == [
        ("create", "请假外出登记 inspector · 2026-12-07至2026-12-09 请假", entries[0].detail),
        ("delete", "请假外出登记 inspector · 2026-12-07至2026-12-09 请假", "撤销")]
    assert "病假" in entries[0].detail


def test_refusals_keep_nothing(city, browser, clock):
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    me = str(city.inspector.id)
    office.submit("/patrols/absences", "/patrols/absences", {"user_id": me, "first_day": "2026-12-01",
                                                             "last_day": "2026-12-03", "kind": "leave"})
    assert records() == 1
    city.inspector2.active = False
    db.session.commit()
    for fields, status, words in (
            ({"first_day": "2026-12-07", "kind": "leave"}, 400, "请选择督查员"),
            ({"user_id": "x", "first_day": "2026-12-07", "kind": "leave"}, 400, "请选择督查员"),
            ({"user_id": str(city.admin.id), "first_day": "2026-12-07", "kind": "leave"}, 422, "不是督查员账号"),
            ({"user_id": str(city.inspector2.id), "first_day": "2026-12-07", "kind": "leave"}, 422, "已停用"),
            ({"user_id": me, "kind": "leave"}, 400, "请填写开始日期"),
            ({"user_id": me, "first_day": "2026-12-32", "kind": "leave"}, 400, "开始日期格式不正确"),
            ({"user_id": me, "first_day": "2026-12-07", "last_day": "12/08", "kind": "leave"}, 400,
             "结束日期格式不正确"),
            ({"user_id": me, "first_day": "2026-12-07", "kind": "holiday"}, 400, "请选择登记类型"),
            ({"user_id": me, "first_day": "2026-12-07", "kind": "leave", "note": "长" * 101}, 400, "说明不能超过100字"),
            ({"user_id": me, "first_day": "2026-12-07", "last_day": "2026-12-06", "kind": "leave"}, 422,
             "结束日期不能早于开始日期"),
            ({"user_id": me, "first_day": "2026-12-07", "last_day": "2027-03-31", "kind": "leave"}, 422,
             "一次登记不超过92天"),
            ({"user_id": me, "first_day": "2025-11-01", "kind": "leave"}, 422, "只能登记前后一年以内的日期"),
            ({"user_id": me, "first_day": "2028-01-03", "kind": "leave"}, 422, "只能登记前后一年以内的日期"),
            ({"user_id": me, "first_day": "2026-11-30", "last_day": "2026-12-01", "kind": "meeting"}, 409,
             "inspector已登记12月1日至12月3日请假，与本次登记的日期重叠：如需更改，请先撤销原登记。")):
        answer = office.submit("/patrols/absences", "/patrols/absences", fields, script=True)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], fields
    assert records() == 1
    # on the page (no script): the form again with what was typed and why
    answer = office.submit("/patrols/absences", "/patrols/absences", {
        "user_id": me, "first_day": "2026-12-10", "last_day": "2026-12-08", "kind": "meeting", "note": "市级培训"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'role="alert">结束日期不能早于开始日期' in page
    for kept in (f'<option value="{me}" selected>', 'name="first_day" required value="2026-12-10"',
                 'name="last_day" value="2026-12-08"', '<option value="meeting" selected>', 'value="市级培训"'):
        assert kept in page, kept
    # the day after the record is free
    assert office.submit("/patrols/absences", "/patrols/absences", {"user_id": me, "first_day": "2026-12-04",
                                                                    "kind": "desk"}).status_code == 303


def test_the_api(city, api, clock):
    clock.stop("2026-12-05T10:00")
    leave = {"user": "inspector", "first_day": "2026-12-03", "last_day": "2026-12-04", "kind": "leave", "note": "事假"}
    answer = api.post("/api/v1/patrols/absences", city.admin, json=leave)
    assert answer.status_code == 201
    made = answer.get_json()
    assert {k: made[k] for k in ("user", "first_day", "last_day", "days", "kind", "kind_label", "note",
                                 "recorded_by")} == {
        "user": "inspector", "first_day": "2026-12-03", "last_day": "2026-12-04", "days": 2, "kind": "leave",
        "kind_label": "请假", "note": "事假", "recorded_by": "admin"}
    assert api.post("/api/v1/patrols/absences", city.admin, json=leave).get_json()["error"]["code"] == \
        "absence_overlap"
    answer = api.post("/api/v1/patrols/absences", city.admin, json={**leave, "user": "nobody"})
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "unknown_inspector"
    assert api.post("/api/v1/patrols/absences", city.inspector, json=leave).status_code == 403
    body = api.get("/api/v1/patrols/absences?month=2026-12", city.admin).get_json()
    assert body["month"] == "2026-12" and [(i["user"], i["workdays"]) for i in body["items"]] == [("inspector", 2)]
    assert api.get("/api/v1/patrols/absences", city.leader).status_code == 403
    people = api.get("/api/v1/patrols/day?date=2026-12-03", city.leader).get_json()["people"]
    assert {p["username"]: (p["absence"] or {}).get("kind") for p in people} == {"inspector": "leave",
                                                                                 "inspector2": None}
    assert api.call("DELETE", f"/api/v1/patrols/absences/{made['id']}", city.inspector).status_code == 403
    assert api.call("DELETE", f"/api/v1/patrols/absences/{made['id']}", city.admin).status_code == 204
    assert api.call("DELETE", f"/api/v1/patrols/absences/{made['id']}", city.admin).status_code == 404
    assert api.call("DELETE", "/api/v1/patrols/absences/x", city.admin).status_code == 404
    assert records() == 0


def test_the_office_is_asked_about_yesterdays_unexplained_days(city, browser, clock):
    """待办事项 names the active inspectors with neither a visit nor a record on the last working day (Friday, seen
    on Monday), linking each to their 轨迹 and the register; once recorded, the line goes."""
    db.session.add(Patrol(user_id=city.inspector.id, segment_id=city.seg_a.id, at=at("2026-12-04T09:00"),
                          lat=28.2301, lon=112.935, distance_m=11, note=""))
    db.session.commit()
    clock.stop("2026-12-07T10:00")
    office = browser(city.admin)
    page = office.get("/office/work").get_data(as_text=True)
    assert "上个工作日（12月4日）既无巡查记录、也未登记请假外出的督查员：" in page
    assert '<a href="/patrols/day?user=inspector2&amp;date=2026-12-04">inspector2</a>。' in page
    assert "user=inspector&amp;" not in page and 'href="/patrols/absences?month=2026-12"' in page
    office.submit("/patrols/absences", "/patrols/absences", {"user_id": str(city.inspector2.id),
                                                             "first_day": "2026-12-04", "kind": "desk"})
    assert "既无巡查记录" not in office.get("/office/work").get_data(as_text=True)
