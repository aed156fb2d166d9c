"""路段巡查: an inspector's check-in (the position must be on the segment; a double tap is one check-in), and the
coverage of a period (check-ins and field finds count, citizens' reports do not; Shanghai days; by district; the
gaps with their last visit), on the page, in its export and in the API; who may do what."""
from __future__ import annotations

import io
import re
from datetime import date

from conftest import City, at
from openpyxl import load_workbook
from sqlalchemy import func, select

from inspect_app.common.dayspan import DaySpan
from inspect_app.extensions import db
from inspect_app.patrols.models import Patrol
from inspect_app.patrols.services import coverage

ON_A = {"lat": "28.2301", "lon": "112.9350"}   # about 11 m from 人民路东段
NEAR_A = {"lat": "28.2310", "lon": "112.9350"}  # about 111 m from it, 1 km from 建设路西段
ON_B = {"lat": "28.2399", "lon": "112.9350"}


def patrols() -> int:
    return db.session.scalar(select(func.count(Patrol.id)))


def test_check_in_on_the_page(city, browser, clock, make_ticket):
    clock.stop("2026-11-25T10:00")
    me = browser(city.inspector)
    page = me.get("/patrols/checkin").get_data(as_text=True)
    assert "巡查打卡" in page and "今天还没有打卡" in page and 'name="accuracy"' in page

    near = me.get("/patrols/near?lat=28.2310&lon=112.9350").get_json()
    assert near["radius_m"] == 200
    assert [(s["name"], s["distance_m"], s["last"]) for s in near["segments"]] == [("人民路东段", 111, None)]
    # where to walk next: beyond reach, not walked this week (Monday 23 November on), nearest first
    assert [(s["name"], s["district"]) for s in near["next"]] == [("建设路西段", "临江区")]
    assert 1000 < near["next"][0]["distance_m"] < 1010

    answer = me.submit("/patrols/checkin", "/patrols/checkin", {**NEAR_A, "accuracy": "15", "note": " 路面整洁 "})
    assert answer.status_code == 303
    page = me.get("/patrols/checkin").get_data(as_text=True)
    assert "已在“人民路东段”打卡（10:00）" in page and "今日打卡 <small>1 次" in page and "路面整洁" in page
    patrol = db.session.scalar(select(Patrol))
    assert (patrol.user_id, patrol.segment_id, patrol.accuracy_m, patrol.note) == (
        city.inspector.id, city.seg_a.id, 15.0, "路面整洁")
    assert 110 < patrol.distance_m < 112 and patrol.at == at("2026-11-25T10:00")

    # a double tap (or a retry) twenty minutes on: the same check-in, nothing new
    clock.stop("2026-11-25T10:20")
    me.submit("/patrols/checkin", "/patrols/checkin", {**ON_A})
    assert "30分钟内已在“人民路东段”打过卡（10:00），不重复记录" in me.get("/patrols/checkin").get_data(as_text=True)
    assert patrols() == 1
    # half an hour after the first: a new one; another inspector at once: theirs
    clock.stop("2026-11-25T10:31")
    me.submit("/patrols/checkin", "/patrols/checkin", {**ON_A})
    browser(city.inspector2).submit("/patrols/checkin", "/patrols/checkin", {**ON_A})
    assert patrols() == 3
    near = me.get("/patrols/near?lat=28.2301&lon=112.9350").get_json()
    assert near["segments"][0]["last"] == "11-25 10:31"
    # a find on 建设路西段 last Sunday does not make it walked this week; one this Monday does
    make_ticket(at_time=at("2026-11-22T23:50"), point=City.ON_B)
    assert len(me.get("/patrols/near?lat=28.2301&lon=112.9350").get_json()["next"]) == 1
    make_ticket(at_time=at("2026-11-23T00:10"), point=City.ON_B)
    assert me.get("/patrols/near?lat=28.2301&lon=112.9350").get_json()["next"] == []


def test_check_in_refusals_keep_nothing(city, browser, api):
    me = browser(city.inspector)
    seg_a, seg_b = str(city.seg_a.id), str(city.seg_b.id)
    cases = [
        ({}, 400, "巡查打卡需要手机定位"),
        ({"lat": "28.23"}, 400, "巡查打卡需要手机定位"),
        ({"lat": "north", "lon": "112.935"}, 400, "纬度格式不正确"),
        ({**ON_A, "accuracy": "很准"}, 400, "定位精度格式不正确"),
        ({**ON_A, "accuracy": "-1"}, 400, "定位精度超出范围"),
        ({**ON_A, "accuracy": "1500"}, 422, "定位精度约1500米，不足以确认您在哪条路段"),
        ({"lat": str(City.FAR[0]), "lon": str(City.FAR[1])}, 422, "您的位置200米内没有责任路段，不能打卡"),
        ({**ON_A, "segment_id": seg_b}, 422, "您的位置距“建设路西段”约1101米，超过200米，不能在该路段打卡"),
        ({**ON_A, "segment_id": "999999"}, 422, "所选路段不存在或已停用"),
        ({**ON_A, "segment_id": "１"}, 422, "所选路段不存在或已停用"),
        ({**ON_A, "note": "很" * 201}, 400, "巡查情况不能超过200字"),
    ]
    for fields, status, words in cases:
        answer = me.submit("/patrols/checkin", "/patrols/checkin", fields, script=True)
        assert answer.status_code == status, (fields, answer.get_data(as_text=True))
        assert words in answer.get_json()["error"]["message"], fields
        answer = api.post("/api/v1/patrols", city.inspector, json=fields)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], fields
    # a page's refusal comes back to the form with its words
    answer = me.submit("/patrols/checkin", "/patrols/checkin", {**ON_A, "segment_id": seg_b})
    assert answer.status_code == 303
    assert "超过200米，不能在该路段打卡" in me.get("/patrols/checkin").get_data(as_text=True)
    # a retired segment takes no check-in, even standing on it
    city.seg_a.active = False
    db.session.commit()
    answer = api.post("/api/v1/patrols", city.inspector, json={**ON_A, "segment_id": seg_a})
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "unknown_segment"
    assert api.post("/api/v1/patrols", city.inspector, json=ON_A).get_json()["error"]["code"] == "no_segment_near"
    assert patrols() == 0

    # units and leaders do not check in; a unit does not see the coverage either
    for user in (city.unit_a, city.leader):
        assert api.post("/api/v1/patrols", user, json=ON_B).status_code == 403
        assert browser(user).get("/patrols/checkin").status_code == 403
    assert browser(city.unit_a).get("/patrols/").status_code == 403
    assert api.get("/api/v1/patrols/coverage", city.unit_a).status_code == 403
    # without the CSRF token a form is refused
    assert me.post("/patrols/checkin", data=ON_B).status_code == 400
    assert patrols() == 0


def test_check_in_through_the_api(city, api, clock):
    clock.stop("2026-11-25T10:00")
    answer = api.post("/api/v1/patrols", city.inspector, json={**ON_B, "accuracy": 8, "note": "发现一处牛皮癣，已上报"})
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["segment"] == {"id": city.seg_b.id, "name": "建设路西段", "district": "临江区"}
    assert (body["user"], body["at"], body["accuracy_m"]) == ("inspector", "2026-11-25T10:00:00+08:00", 8.0)
    again = api.post("/api/v1/patrols", city.inspector, json={**ON_B, "segment_id": city.seg_b.id})
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    # the office may check in too (领导督导, 部门联查 go out with it)
    assert api.post("/api/v1/patrols", city.admin, json=ON_B).status_code == 201


def test_a_check_in_kept_on_the_phone_without_a_connection(city, api, browser, clock):
    """离线打卡: a check-in the phone kept while it had no connection is recorded when it was made, marked with how
    long it waited; sent twice, it is kept once, and a later check-in on the segment finds it; one kept over a day,
    or dated ahead, is refused and nothing is kept."""
    clock.stop("2026-12-03T11:10")
    kept = {**ON_A, "accuracy": "12", "note": "地下通道里没有信号", "kept_at": "2026-12-03T09:55:00+08:00"}
    answer = api.post("/api/v1/patrols", city.inspector, data=kept, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["at"], body["sent_at"]) == ("2026-12-03T09:55:00+08:00", "2026-12-03T11:10:00+08:00")
    again = api.post("/api/v1/patrols", city.inspector, data=kept, content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]  # the queue sent it again
    later = api.post("/api/v1/patrols", city.inspector, json={**ON_A, "kept_at": "2026-12-03T10:20:00+08:00"})
    assert later.status_code == 200 and later.get_json()["id"] == body["id"]  # 25 minutes on: the same visit
    trail = browser(city.admin).get("/patrols/day?date=2026-12-03&user=inspector").get_data(as_text=True)
    assert "离线打卡，1小时15分后上传" in trail and "<strong>1. 09:55</strong>" in trail
    page = browser(city.inspector).get("/patrols/checkin").get_data(as_text=True)
    assert "离线打卡，1小时15分后上传" in page
    for kept_at, status, code in (("2026-12-02T11:00:00+08:00", 422, "kept_too_long"),
                                  ("2026-12-03T11:30:00+08:00", 400, "invalid_kept_at"),
                                  ("yesterday", 400, "invalid_kept_at")):
        answer = api.post("/api/v1/patrols", city.inspector, json={**ON_B, "kept_at": kept_at})
        assert answer.status_code == status and answer.get_json()["error"]["code"] == code, kept_at
    assert patrols() == 1
    assert "离线打卡须在24小时内联网上传" in api.post("/api/v1/patrols", city.inspector, json={
        **ON_B, "kept_at": "2026-12-02T11:00:00+08:00"}).get_json()["error"]["message"]
    # a phone clock a little ahead is taken as now
    answer = api.post("/api/v1/patrols", city.inspector, json={**ON_B, "kept_at": "2026-12-03T11:13:00+08:00"})
    assert answer.status_code == 201 and answer.get_json()["at"] == "2026-12-03T11:10:00+08:00"


def _visits(city, make_ticket):
    """November: 人民路东段 (江城区) checked in on and found on; 建设路西段 (临江区) reported only by a citizen in
    November and last checked in on in October; a third segment never visited."""
    from inspect_app.units.models import Segment

    third = Segment(name="解放路北段", district="江城区", unit=city.street_a, adopting_unit=city.roads)
    third.coords = [[112.9300, 28.2500], [112.9400, 28.2500]]
    db.session.add(third)
    db.session.add_all([
        Patrol(user_id=city.inspector.id, segment_id=city.seg_a.id, at=at("2026-11-01T00:10"), lat=28.2301,
               lon=112.935, distance_m=11, note=""),    # 31 October 16:10 UTC: November in Shanghai
        Patrol(user_id=city.inspector2.id, segment_id=city.seg_a.id, at=at("2026-11-20T15:00"), lat=28.2301,
               lon=112.935, distance_m=11, note=""),
        Patrol(user_id=city.inspector2.id, segment_id=city.seg_b.id, at=at("2026-10-20T09:00"), lat=28.2399,
               lon=112.935, distance_m=11, note=""),
        Patrol(user_id=city.inspector.id, segment_id=city.seg_b.id, at=at("2026-12-01T00:30"), lat=28.2399,
               lon=112.935, distance_m=11, note=""),    # December
    ])
    db.session.commit()
    make_ticket(at_time=at("2026-11-10T09:00"))                              # a find on 人民路东段
    make_ticket(at_time=at("2026-11-12T09:00"), point=City.ON_B, reporter=city.admin, source="citizen")
    return third


def test_coverage_of_a_period(city, browser, make_ticket, api, clock):
    third = _visits(city, make_ticket)
    clock.stop("2026-12-05T10:00")
    found = coverage(DaySpan(date(2026, 11, 1), date(2026, 11, 30)))
    rows = {row.name: row for row in found.rows}
    assert (rows["人民路东段"].checkins, rows["人民路东段"].finds, rows["人民路东段"].covered) == (2, 1, True)
    assert (rows["建设路西段"].checkins, rows["建设路西段"].finds, rows["建设路西段"].covered) == (0, 0, False)
    assert rows["建设路西段"].last_at == at("2026-10-20T09:00") and rows["建设路西段"].last_by == "inspector2"
    assert rows["解放路北段"].last_at is None and rows["解放路北段"].adopting == "市市政设施管理处"
    assert [row.name for row in found.gaps] == ["解放路北段", "建设路西段"]  # never visited first
    assert [(d.label, d.segments, d.covered) for d in found.districts] == [("临江区", 1, 0), ("江城区", 2, 1)]
    assert (found.total.segments, found.total.covered, found.total.checkins, found.total.finds) == (3, 1, 2, 1)
    assert [(p.username, len(p.segments), p.checkins, p.finds) for p in found.inspectors] == [
        ("inspector", 1, 1, 1), ("inspector2", 1, 1, 0)]

    office = browser(city.admin)
    page = office.get("/patrols/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "路段巡查覆盖" in page and "已巡查 · 覆盖率 33%" in page
    assert page.index("解放路北段") < page.index("建设路西段") and "10-20 inspector2" in page
    assert "90天内未巡查" in page and "巡查打卡</a>" in page  # the office may check in
    page = office.get("/patrols/?from=2026-11-01&to=2026-11-30&district=江城区").get_data(as_text=True)
    assert "未巡查路段 <small>江城区 1 条" in page and "建设路西段" not in page.split("未巡查路段")[1]
    # December so far: 建设路西段's check-in, 人民路东段 last seen on 20 November
    page = office.get("/patrols/").get_data(as_text=True)
    assert "2026-12-01 至 2026-12-05" in page and "11-20 inspector2" in page

    # the leader reads it, and an inspector (to find the roads nobody walked)
    assert 'href="/patrols/">路段巡查</a>' in browser(city.leader).get("/dashboard/").get_data(as_text=True)
    assert "路段巡查覆盖" in browser(city.leader).get("/patrols/").get_data(as_text=True)
    assert "巡查打卡</a>" not in browser(city.leader).get("/patrols/").get_data(as_text=True)
    assert browser(city.inspector).get("/patrols/?district=临江区").status_code == 200

    # the export: every segment asked about, gaps first
    sheet = load_workbook(io.BytesIO(office.get("/patrols/export.xlsx?from=2026-11-01&to=2026-11-30").data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values.index(next(row for row in values if row[0] == "区（县）"))
    assert [row[1] for row in values[header + 1:header + 4]] == ["解放路北段", "建设路西段", "人民路东段"]
    assert values[header + 3][6:9] == ["已巡查", 2, 1] and values[header + 1][9] == "90天内无"
    csv = office.get("/patrols/export.csv?from=2026-11-01&to=2026-11-30&district=临江区").get_data().decode("gb18030")
    assert "建设路西段" in csv and "人民路东段" not in csv

    # the API
    body = api.get("/api/v1/patrols/coverage?from=2026-11-01&to=2026-11-30", city.leader).get_json()
    assert body["total"] == {"segments": 3, "covered": 1, "uncovered": 2, "rate": 0.3333, "checkins": 2, "finds": 1}
    assert [s["name"] for s in body["segments"]] == ["解放路北段", "建设路西段", "人民路东段"]
    assert body["segments"][1]["last_at"] == "2026-10-20T09:00:00+08:00" and body["segments"][0]["last_at"] is None
    assert api.get("/api/v1/patrols/coverage?from=2026-12-05&to=2026-11-01", city.admin).status_code == 400

    # the year's figures: check-ins and the segments they were on
    from inspect_app.dashboard.year import summary_text, year_report
    report = year_report(2026, clock())
    assert (report["inspectors"]["checkins"], report["inspectors"]["walked"]) == (4, 2)
    assert "巡查打卡4次、涉及责任路段2条。" in summary_text(report)
    page = browser(city.leader).get("/dashboard/year?year=2026").get_data(as_text=True)
    assert "涉及责任路段 2 条" in page and "/patrols/?from=2026-01-01&amp;to=2026-12-05" in page

    # a retired segment is not counted
    third.active = False
    db.session.commit()
    assert coverage(DaySpan(date(2026, 11, 1), date(2026, 11, 30))).total.segments == 2


def test_a_district_s_coverage_is_the_district_s_alone(city, browser, make_ticket, api, clock):
    """With a district asked, every figure and list of 路段巡查 (and of the coverage API) is that district's: the
    headline cards, 超期未巡查, 未巡查路段 and 巡查人员 (each person's work there, their 片区 there); the table of
    districts stays the city's, with its 全市 line."""
    _visits(city, make_ticket)  # 江城区: 人民路东段 (visited), 解放路北段 (never); 临江区: 建设路西段 (1 December)
    db.session.add(Patrol(user_id=city.inspector2.id, segment_id=city.seg_b.id, at=at("2026-11-25T09:00"),
                          lat=28.2399, lon=112.935, distance_m=11, note=""))
    db.session.commit()
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    office.submit("/patrols/cycles", "/patrols/cycles", {"kind": ["主次干道"], "days": ["3"]})  # all three overdue
    office.submit("/patrols/areas", "/patrols/areas", {"area": [
        f"{city.inspector.id}:江城区", f"{city.inspector2.id}:江城区", f"{city.inspector2.id}:临江区"]})
    november = "from=2026-11-01&to=2026-11-30"

    def section(page: str, title: str) -> str:
        return page.split(f"<h2>{title}")[1].split("</section>")[0]

    for district, figures, overdue, people in (
            ("临江区", (1, 1, 0, 1, 0), ["建设路西段"], [("inspector2", 1, 1, 0, 1, 1)]),
            ("江城区", (2, 1, 1, 2, 1), ["解放路北段", "人民路东段"],
             [("inspector", 1, 1, 1, 1, 2), ("inspector2", 1, 1, 0, 1, 2)]),
            (None, (3, 2, 1, 3, 1), ["解放路北段", "人民路东段", "建设路西段"],
             [("inspector2", 2, 2, 0, 2, 3), ("inspector", 1, 1, 1, 1, 2)])):
        asked = f"{november}&district={district}" if district else november
        body = api.get(f"/api/v1/patrols/coverage?{asked}", city.leader).get_json()
        # each figure is a count of the rows listed beside it
        segments = body["segments"]
        assert {s["district"] for s in segments} <= ({district} if district else {"临江区", "江城区"})
        assert (len(segments), sum(s["covered"] for s in segments), sum(not s["covered"] for s in segments),
                sum(s["checkins"] for s in segments), sum(s["finds"] for s in segments)) == figures, district
        total = body["total"]
        assert (total["segments"], total["covered"], total["uncovered"], total["checkins"], total["finds"]) == figures
        assert [o["name"] for o in body["overdue"]] == overdue, district
        assert [(p["username"], p["segments"], p["checkins"], p["finds"], p["area_walked"], p["area_segments"])
                for p in body["inspectors"]] == people, district
        assert [d["district"] for d in body["districts"]] == ["临江区", "江城区"]  # the table is the city's

        page = office.get(f"/patrols/?{asked}").get_data(as_text=True)
        cards = page.split('<div class="summary">')[1].split("</div>\n</div>")[0]
        count, covered, gaps, checkins, _finds = figures
        assert f"<b>{count}</b><span>{district or '全市'}责任路段（在用）</span>" in cards, district
        assert f"<b>{covered}</b><span>已巡查 · 覆盖率 {covered / count:.0%}</span>" in cards
        assert f"<b>{gaps}</b><span>未巡查</span>" in cards and f"<b>{checkins}</b><span>巡查打卡" in cards
        due = section(page, "超期未巡查")
        assert f"截至今天{' ' + district if district else ''} {len(overdue)} 条" in due
        assert due.count('<td class="lead" data-label="责任路段">') == len(overdue)
        assert all(name in due for name in overdue)
        assert f"{district or '全市'} {gaps} 条" in section(page, "未巡查路段")
        listed = section(page, "巡查人员")
        assert listed.count('<td class="lead" data-label="姓名">') == len(people), district
        assert section(page, "各区（县）").count("<tr") == 4  # header, two districts, 全市
    assert ">全市</td>" in page and "<b>3</b><span>全市责任路段（在用）</span>" in page


def test_the_menu_and_the_bad_period(city, browser):
    for user, shown in ((city.admin, True), (city.inspector, True), (city.leader, True), (city.unit_a, False)):
        page = browser(user).get("/", follow_redirects=True).get_data(as_text=True)
        assert ('href="/patrols/"' in page) is shown, user.username
        assert ('href="/patrols/checkin"' in page) is (user is city.inspector), user.username  # the menu's
    office = browser(city.admin)
    assert office.get("/patrols/?from=2026-12-01&to=2026-11-01").status_code == 400
    assert office.get("/patrols/?from=2025-01-01&to=2026-11-01").status_code == 400
    answer = office.get("/patrols/?district=火星区")
    assert answer.status_code == 400 and "没有“火星区”的在用责任路段" in answer.get_data(as_text=True)
    assert re.search(r"统计时段最长 366 天", office.get("/patrols/?from=2025-01-01&to=2026-11-01")
                     .get_data(as_text=True))


def test_patrol_cycles_and_the_segments_past_theirs(city, browser, make_ticket, api, clock):
    """巡查周期: the office sets how often each kind of segment is walked; 路段巡查 lists, as of now, the segments
    past theirs, never seen first; refusals save nothing; the 操作日志 has the change."""
    from inspect_app.audit.models import AuditEntry
    from inspect_app.patrols.models import PatrolCycle
    from inspect_app.patrols.services import overdue

    third = _visits(city, make_ticket)  # 解放路北段 never visited; 建设路西段 on 1 December; 人民路东段 20 November
    city.seg_b.kind = "背街小巷"
    db.session.commit()
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    page = office.get("/patrols/").get_data(as_text=True)
    assert "未设置巡查周期" in page and "超期未巡查 <small>" not in page
    form = office.get("/patrols/cycles").get_data(as_text=True)
    assert form.count('name="kind"') == 2 and "主次干道" in form and "背街小巷" in form  # the kinds in use

    # refusals keep nothing
    for kinds, days, status, words in ((["主次干道"], ["0"], 400, "须为 1 到 90 的整数天"),
                                       (["主次干道"], ["91"], 400, "须为 1 到 90 的整数天"),
                                       (["主次干道"], ["七"], 400, "须为 1 到 90 的整数天"),
                                       (["高架桥"], ["7"], 422, "没有类型为“高架桥”的在用责任路段"),
                                       (["主次干道", "背街小巷"], ["7"], 400, "表单不完整")):
        answer = office.submit("/patrols/cycles", "/patrols/cycles", {"kind": kinds, "days": days}, script=True)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], kinds
    assert db.session.scalar(select(func.count()).select_from(PatrolCycle)) == 0
    for user in (city.inspector, city.leader, city.unit_a):
        assert browser(user).get("/patrols/cycles").status_code == 403

    answer = office.submit("/patrols/cycles", "/patrols/cycles", {"kind": ["主次干道", "背街小巷"], "days": ["7", ""]})
    assert answer.status_code == 303
    page = office.get("/patrols/").get_data(as_text=True)
    assert "已保存巡查周期：主次干道每7天。" in page
    assert "超期未巡查 <small>按巡查周期（主次干道7天），截至今天 2 条" in page
    # 解放路北段 never seen first, then 人民路东段 (20 November 15:00, 14 days and 19 hours ago)
    found = overdue(clock()).items
    assert [(o.segment.name, o.days, o.since_days) for o in found] == [("解放路北段", 7, None), ("人民路东段", 7, 14)]
    assert found[1].last_by == "inspector2"
    # 人民路东段 walked today: no longer overdue; back streets weekly: 建设路西段 (1 December) is within it
    make_ticket(at_time=at("2026-12-05T09:00"))
    office.submit("/patrols/cycles", "/patrols/cycles", {"kind": ["主次干道", "背街小巷"], "days": ["7", "3"]})
    assert [(o.segment.name, o.since_days) for o in overdue(clock()).items] == [("解放路北段", None), ("建设路西段", 4)]
    body = api.get("/api/v1/patrols/coverage", city.leader).get_json()
    assert body["cycles"] == {"主次干道": 7, "背街小巷": 3}
    assert [(o["name"], o["cycle_days"], o["days_since"]) for o in body["overdue"]] == [
        ("解放路北段", 7, None), ("建设路西段", 3, 4)]
    # the inspector reads the list too, without the link to set it
    page = browser(city.inspector).get("/patrols/").get_data(as_text=True)
    assert "超期未巡查" in page and "/patrols/cycles" not in page

    # the 操作日志: set, changed, dropped
    office.submit("/patrols/cycles", "/patrols/cycles", {"kind": ["主次干道", "背街小巷"], "days": ["5", ""]})
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target.like("%巡查周期%")).order_by(AuditEntry.id))
    assert sorted((e.target, e.detail, e.actor_id) for e in entries) == sorted([
        ("巡查周期 主次干道", "天数：7", city.admin.id), ("巡查周期 背街小巷", "天数：3", city.admin.id),
        ("巡查周期 主次干道", "天数：7 → 5", city.admin.id), ("巡查周期 背街小巷", "不作要求", city.admin.id)])
    assert "未设置巡查周期" not in office.get("/patrols/").get_data(as_text=True)
    third.active = False
    db.session.commit()
    assert [o.segment.name for o in overdue(clock()).items] == []



def test_no_segment_is_past_its_cycle_before_a_cycle_has_run_since_the_office_began(app, city, browser, make_ticket,
                                                                                    api, clock):
    """A city taking up 巡查打卡 mid-year sets the day it began (PATROLS_BEGAN): its 月历 marks no red day before
    that day, and 超期未巡查 lists no segment before a whole cycle has run since it (it listed every segment not
    walked lately from the first morning, beside a 月历 saying 巡查打卡 had only just begun)."""
    from inspect_app.patrols.services import overdue

    _visits(city, make_ticket)  # 人民路东段 20 November, 建设路西段 1 December, 解放路北段 never
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    office.submit("/patrols/cycles", "/patrols/cycles", {"kind": ["主次干道"], "days": ["7"]})
    listed = [o.segment.name for o in overdue(clock()).items]
    assert listed == ["解放路北段", "人民路东段"]  # no start day set: as before
    app.config["PATROLS_BEGAN"] = date(2026, 11, 30)  # a Monday: by Saturday 5 December no week has run
    try:
        assert overdue(clock()).items == []
        assert api.get("/api/v1/patrols/coverage", city.leader).get_json()["overdue"] == []
        assert "截至今天 0 条" in office.get("/patrols/").get_data(as_text=True)
        clock.stop("2026-12-07T10:00")  # a week on: the same two, as the cycle has run
        assert [o.segment.name for o in overdue(clock()).items] == listed
    finally:
        app.config["PATROLS_BEGAN"] = None

def test_patrol_areas(city, browser, make_ticket, api, clock, now):
    """督查片区 (分片包干): the office puts inspectors on districts; 路段巡查 names who answers for each district and
    how much of their own 片区 each walked; an inspector's check-in page tells their 片区's week and where in it to go
    next; refusals save nothing; the 操作日志 has the change; a disabled account does not count."""
    from inspect_app.audit.models import AuditEntry
    from inspect_app.auth.services import create_user
    from inspect_app.patrols.models import PatrolArea

    _visits(city, make_ticket)  # 江城区: 人民路东段 (visited in November), 解放路北段 (never); 临江区: 建设路西段
    third = create_user("inspector3", "inspector", "Passw0rd-3rd", now)
    db.session.commit()
    clock.stop("2026-12-05T10:00")
    office = browser(city.admin)
    form = office.get("/patrols/areas").get_data(as_text=True)
    assert "尚无督查员负责：临江区、江城区" in form
    assert form.count('name="area"') == 6  # three inspectors, two districts
    assert "未划分督查片区" in office.get("/patrols/").get_data(as_text=True)
    for user in (city.inspector, city.leader, city.unit_a):
        assert browser(user).get("/patrols/areas").status_code == 403
    assert browser(city.inspector).submit("/patrols/", "/patrols/areas", {"area": [f"{city.inspector.id}:江城区"]},
                                          script=True).status_code == 403

    # refusals save nothing
    me, two = city.inspector.id, city.inspector2.id
    for values, status, words in (([f"{me}:江城区", "江城区"], 400, "督查片区表单不正确"),
                                  (["x:江城区"], 400, "督查片区表单不正确"),
                                  ([f"{city.admin.id}:江城区"], 422, "不是督查员账号"),
                                  ([f"{me}:江城区", f"{two}:火星区"], 422, "没有“火星区”的在用责任路段")):
        answer = office.submit("/patrols/areas", "/patrols/areas", {"area": values}, script=True)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], values
    assert db.session.scalar(select(func.count()).select_from(PatrolArea)) == 0

    answer = office.submit("/patrols/areas", "/patrols/areas",
                           {"area": [f"{me}:江城区", f"{two}:江城区", f"{two}:临江区", f"{third.id}:江城区"]})
    assert answer.status_code == 303
    page = office.get("/patrols/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "已保存督查片区：3名督查员分片负责2个区（县）。" in page and "片区督查员" in page

    # November: inspector walked 人民路东段 of 江城区's two; inspector2 it too, of three; inspector3 none
    found = coverage(DaySpan(date(2026, 11, 1), date(2026, 11, 30)))
    assert found.areas.names("江城区") == "inspector、inspector2、inspector3"
    assert [(p.username, p.districts, p.area_walked, p.area_segments) for p in found.inspectors] == [
        ("inspector", ["江城区"], 1, 2), ("inspector2", ["临江区", "江城区"], 1, 3), ("inspector3", ["江城区"], 0, 2)]
    assert "1 / 2（50%）" in page and "0 / 2（0%）" in page
    sheet = load_workbook(io.BytesIO(office.get("/patrols/export.xlsx?from=2026-11-01&to=2026-11-30").data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values.index(next(row for row in values if row[0] == "区（县）"))
    assert values[header][5] == "片区督查员"
    assert values[header + 1][1:6:4] == ["解放路北段", "inspector、inspector2、inspector3"]
    body = api.get("/api/v1/patrols/coverage?from=2026-11-01&to=2026-11-30", city.leader).get_json()
    assert [(d["district"], d["inspectors"]) for d in body["districts"]] == [
        ("临江区", ["inspector2"]), ("江城区", ["inspector", "inspector2", "inspector3"])]
    assert body["inspectors"][2] == {"username": "inspector3", "name": "inspector3", "districts": ["江城区"],
                                     "segments": 0, "checkins": 0, "finds": 0, "area_segments": 2, "area_walked": 0}

    # the inspector's check-in page: their 片区 this week (Monday 30 November on), and with a 巡查周期 its overdue
    mine = browser(city.inspector)
    page = mine.get("/patrols/checkin").get_data(as_text=True)
    assert "我的片区 <small>江城区" in page and "本周已巡查 <strong>0</strong> / 2 条路段（0%）" in page
    assert "超期未巡查" not in page and "附近片区内本周未巡查的路段" in page
    office.submit("/patrols/cycles", "/patrols/cycles", {"kind": ["主次干道"], "days": ["7"]})
    page = mine.get("/patrols/checkin").get_data(as_text=True)
    assert "超期未巡查 <strong>2</strong> 条" in page
    assert "解放路北段 <small class=\"muted\">江城区 · 每7天 · 90天内未巡查" in page
    assert "人民路东段 <small class=\"muted\">江城区 · 每7天 · 14天前巡查" in page
    assert "我的片区" not in browser(city.admin).get("/patrols/checkin").get_data(as_text=True)
    # where to go next, within their 片区 only: the next Tuesday, 建设路西段 (临江区) is inspector2's, not theirs
    clock.stop("2026-12-08T10:00")  # (signed in again: the session idled out)
    near = browser(city.inspector).get("/patrols/near?lat=28.2301&lon=112.9350").get_json()
    assert [s["name"] for s in near["next"]] == ["解放路北段"]
    assert [s["name"] for s in browser(city.inspector2).get("/patrols/near?lat=28.2301&lon=112.9350")
            .get_json()["next"]] == ["建设路西段", "解放路北段"]

    # replaced whole: inspector2 off 临江区; the 操作日志 has each change
    office = browser(city.admin)
    office.submit("/patrols/areas", "/patrols/areas", {"area": [f"{me}:江城区", f"{two}:江城区", f"{third.id}:江城区"]})
    assert "尚无督查员负责：临江区" in office.get("/patrols/areas").get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target.like("督查片区%")).order_by(AuditEntry.id))
    assert sorted((e.action, e.target, e.detail) for e in entries) == [
        ("create", "督查片区 inspector · 江城区", ""), ("create", "督查片区 inspector2 · 临江区", ""),
        ("create", "督查片区 inspector2 · 江城区", ""), ("create", "督查片区 inspector3 · 江城区", ""),
        ("delete", "督查片区 inspector2 · 临江区", "不再负责")]

    # a disabled account is off the form and the page; its 片区 counts again when it is enabled
    third.active = False
    db.session.commit()
    assert "inspector3" not in office.get("/patrols/areas").get_data(as_text=True)
    office.submit("/patrols/areas", "/patrols/areas", {"area": [f"{me}:江城区"]})  # the form without inspector3
    assert coverage(DaySpan(date(2026, 11, 1), date(2026, 11, 30))).areas.names("江城区") == "inspector"
    third.active = True
    db.session.commit()
    assert coverage(DaySpan(date(2026, 11, 1), date(2026, 11, 30))).areas.names("江城区") == "inspector、inspector3"


def test_the_day_and_a_trail(city, browser, make_ticket, clock, api):
    """巡查日志: a day of everyone's field work (first, last, the longest break, who has none) and one person's 轨迹
    (each check-in and find in order, the breaks of an hour or more, the map); an inspector sees their own only."""
    from inspect_app.patrols.days import day_summary

    def check_in(user, segment, when, lat_lon):
        db.session.add(Patrol(user_id=user.id, segment_id=segment.id, at=at(when), lat=lat_lon[0], lon=lat_lon[1],
                              distance_m=11, note="路面整洁" if segment is city.seg_b else ""))

    check_in(city.inspector, city.seg_a, "2026-12-03T09:00", (28.2301, 112.935))
    check_in(city.inspector, city.seg_b, "2026-12-03T09:40", (28.2399, 112.935))
    check_in(city.inspector, city.seg_a, "2026-12-03T11:10", (28.2301, 112.935))   # 90 minutes on
    check_in(city.admin, city.seg_b, "2026-12-03T10:00", (28.2399, 112.935))       # the office walks too
    check_in(city.inspector, city.seg_a, "2026-12-02T23:50", (28.2301, 112.935))   # the day before, in Shanghai
    db.session.commit()
    found = make_ticket(at_time=at("2026-12-03T11:30"))                                 # a find on 人民路东段
    make_ticket(at_time=at("2026-12-03T12:00"), source="citizen", reporter=city.admin)  # not field work
    clock.stop("2026-12-05T18:00")

    days = day_summary(date(2026, 12, 3))
    assert [(p.username, p.checkins, p.finds, len(p.segments), p.longest_gap) for p in days] == [
        ("inspector", 3, 1, 2, 90), ("admin", 1, 0, 1, 0), ("inspector2", 0, 0, 0, 0)]
    assert (days[0].first, days[0].last, days[0].gap_from) == (
        at("2026-12-03T09:00"), at("2026-12-03T11:30"), at("2026-12-03T09:40"))

    office = browser(city.admin)
    page = office.get("/patrols/day?date=2026-12-03").get_data(as_text=True)
    assert "巡查日志 <small>2026-12-03（周四）" in page and "当日无巡查记录" in page
    assert "1小时30分 <small class=\"muted\">09:40 起" in page and "2小时30分" in page  # the break; 09:00 to 11:30
    assert 'href="/patrols/day?user=inspector&amp;date=2026-12-03"' in page
    assert "（周六，休息日）" in office.get("/patrols/day?date=2026-12-05").get_data(as_text=True)

    trail = office.get("/patrols/day?date=2026-12-03&user=inspector").get_data(as_text=True)
    stops = re.findall(r"<strong>(\d+)\. (\d\d:\d\d)</strong>\s*(打卡|发现问题)", trail)
    assert stops == [("1", "09:00", "打卡"), ("2", "09:40", "打卡"), ("3", "11:10", "打卡"), ("4", "11:30", "发现问题")]
    assert "间隔 1小时30分" in trail and "路面整洁" in trail
    assert f"/tickets/{found.id}\">{found.number}</a> 牛皮癣" in trail
    assert trail.count("<circle") == 4 and "巡查轨迹：4个位置" in trail and "米</text>" in trail
    assert "09:00–11:30" in trail
    page = office.get("/patrols/day?date=2026-12-03&user=inspector2").get_data(as_text=True)
    assert "当日没有巡查打卡，也没有在现场上报问题" in page and "<svg" not in page
    assert browser(city.leader).get("/patrols/day?date=2026-12-03&user=inspector").status_code == 200

    # an inspector: their own 轨迹 (also with their own name), never a colleague's; units not at all
    mine = browser(city.inspector)
    page = mine.get("/patrols/day?date=2026-12-03").get_data(as_text=True)
    assert "巡查轨迹 <small>inspector · 2026-12-03" in page and "当日全部人员" not in page
    assert mine.get("/patrols/day?date=2026-12-03&user=inspector").status_code == 200
    assert mine.get("/patrols/day?date=2026-12-03&user=inspector2").status_code == 404
    assert mine.get("/patrols/day?date=2026-12-03&user=nobody").status_code == 404
    assert office.get("/patrols/day?user=nobody").status_code == 404
    assert browser(city.unit_a).get("/patrols/day").status_code == 403
    assert "今日轨迹" in mine.get("/patrols/checkin").get_data(as_text=True)
    # 路段巡查 links each name to that day's 轨迹: for the office every name, for an inspector their own
    assert 'href="/patrols/day?user=admin&amp;date=2026-12-05"' in office.get("/patrols/").get_data(as_text=True)
    page = mine.get("/patrols/?from=2026-12-01&to=2026-12-03").get_data(as_text=True)
    assert 'href="/patrols/day?user=inspector&amp;date=2026-12-03"' in page and "user=admin" not in page

    for bad, words in (("2026-13-01", "日期格式不正确"), ("2026-12-06", "不能查看今天以后的巡查日志")):
        answer = office.get(f"/patrols/day?date={bad}")
        assert answer.status_code == 400 and words in answer.get_data(as_text=True)

    # the API: the day, a 轨迹, the same limits
    body = api.get("/api/v1/patrols/day?date=2026-12-03", city.leader).get_json()
    assert [(p["username"], p["checkins"], p["finds"], p["longest_gap_minutes"]) for p in body["people"]] == [
        ("inspector", 3, 1, 90), ("admin", 1, 0, 0), ("inspector2", 0, 0, 0)]
    assert body["people"][0]["gap_from"] == "2026-12-03T09:40:00+08:00" and body["people"][2]["first"] is None
    body = api.get("/api/v1/patrols/day?date=2026-12-03", city.inspector).get_json()  # their own
    assert body["person"]["username"] == "inspector"
    assert [(s["kind"], s["gap_minutes"]) for s in body["stops"]] == [
        ("checkin", None), ("checkin", 40), ("checkin", 90), ("find", 20)]
    assert body["stops"][1]["segment"]["name"] == "建设路西段" and body["stops"][1]["note"] == "路面整洁"
    assert body["stops"][3]["ticket"] == {"id": found.id, "number": found.number}
    assert body["stops"][3]["category"] == "牛皮癣"
    assert api.get("/api/v1/patrols/day?user=inspector2", city.inspector).status_code == 404
    assert api.get("/api/v1/patrols/day", city.unit_a).status_code == 403
    assert api.get("/api/v1/patrols/day?date=2026-12-31", city.admin).status_code == 400


def test_the_month_calendar(city, browser, make_ticket, clock):
    """巡查月历: each inspector's month day by day (visits, first and last), the working days gone by without a
    record (not for the office's own staff), in the page and its export; the office and leaders read everyone's,
    an inspector their own."""
    from inspect_app.patrols.days import month_sheet

    for user in (city.inspector, city.inspector2):  # their accounts were made before the month looked at
        user.created_at = at("2026-01-05T09:00")
    for user, when in ((city.inspector, "2026-11-02T09:00"), (city.inspector, "2026-11-02T11:00"),
                       (city.inspector, "2026-11-03T09:30"), (city.admin, "2026-11-07T10:00")):
        db.session.add(Patrol(user_id=user.id, segment_id=city.seg_a.id, at=at(when), lat=28.2301, lon=112.935,
                              distance_m=11, note=""))
    db.session.commit()
    make_ticket(at_time=at("2026-11-04T10:00"))  # a find on a third day
    clock.stop("2026-12-05T10:00")

    month = month_sheet(date(2026, 11, 1), clock())
    assert month.workdays == 21 and month.lead_blanks == 6  # 1 November 2026 is a Sunday
    assert [(p.username, p.out_days, p.missed_days, p.checkins, p.finds, p.average_span_minutes)
            for p in month.people] == [("admin", 1, 0, 1, 0, 0), ("inspector", 3, 18, 3, 1, 40),
                                       ("inspector2", 0, 21, 0, 0, None)]

    office = browser(city.admin)
    page = office.get("/patrols/month?month=2026-11").get_data(as_text=True)
    assert "巡查月历 <small>2026年11月" in page and "2026年11月共 21 个工作日" in page
    assert "工作日无记录 <b>18</b> 天" in page and "工作日无记录 <b>21</b> 天" in page and "<b>缺</b>" in page
    assert ('href="/patrols/day?user=inspector&amp;date=2026-11-02" title="2026-11-02 09:00–11:00 打卡2 发现问题0"'
            in page)
    page = office.get("/patrols/month").get_data(as_text=True)
    assert "2026年12月截至今天共 4 个工作日" in page and 'class="d future"' in page
    assert 'href="/patrols/month?month=2026-11"' in office.get("/patrols/day?date=2026-11-20").get_data(as_text=True)
    assert browser(city.leader).get("/patrols/month").status_code == 200
    assert browser(city.unit_a).get("/patrols/month").status_code == 403
    # reached from 督查员工作量 (the span's month) and, for the day, from the 领导看板
    assert ('href="/patrols/month?month=2026-11"' in
            office.get("/workload/?from=2026-11-01&to=2026-11-30").get_data(as_text=True))
    assert 'href="/patrols/day">今日巡查</a>' in browser(city.leader).get("/dashboard/").get_data(as_text=True)
    # an inspector reads their own month only, and exports it
    mine = browser(city.inspector2).get("/patrols/month?month=2026-11").get_data(as_text=True)
    assert "工作日无记录 <b>21</b> 天" in mine and "user=inspector&amp;" not in mine and "<h2>admin" not in mine
    csv = browser(city.inspector2).get("/patrols/month.csv?month=2026-11").get_data().decode("gb18030")
    assert "inspector2" in csv and "09:00–11:00" not in csv
    for bad, words in (("2026-13", "月份格式不正确"), ("2027-01", "不能查看以后月份的巡查月历")):
        answer = office.get(f"/patrols/month?month={bad}")
        assert answer.status_code == 400 and words in answer.get_data(as_text=True)

    sheet = load_workbook(io.BytesIO(office.get("/patrols/month.xlsx?month=2026-11").data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = values.index(next(row for row in values if row[0] == "姓名"))
    assert values[header][9:12] == ["1日（日）", "2日（一）", "3日（二）"]
    row = next(row for row in values if row[1] == "inspector")
    assert row[3:9] == [3, 18, 0, 3, 1, 40]
    assert row[10:17] == ["09:00–11:00 · 2", "09:30–09:30 · 1", "10:00–10:00 · 1", "无记录", "无记录", None,
                         None]  # 2 to 8 November: three days out, two working days without, a weekend
    csv = office.get("/patrols/month.csv?month=2026-11").get_data().decode("gb18030")
    assert "inspector2" in csv and "09:00–11:00 · 2" in csv


def _fresh_jpeg() -> bytes:
    """A street photo as a phone's camera page sends it, without a capture time (the page's own scaling drops it)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 140, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


def test_a_check_in_with_a_photo(app, city, browser, api, clock, uploads):
    """打卡照片: a photo of the street with the check-in, shown in today's list and the 轨迹 (one taken long before
    the check-in is marked); a broken photo is refused and keeps nothing (no row, no file); a city may require one;
    an inspector sees their own photos only."""
    from conftest import photo_bytes

    def files() -> int:
        return sum(1 for path in uploads.rglob("*") if path.is_file())

    clock.stop("2026-12-03T10:00")
    me = browser(city.inspector)
    answer = me.submit("/patrols/checkin", "/patrols/checkin",
                       {**ON_A, "accuracy": "10", "photo": (io.BytesIO(_fresh_jpeg()), "street.jpg")}, multipart=True)
    assert answer.status_code == 303
    patrol = db.session.scalar(select(Patrol))
    assert patrol.photo_key and patrol.photo_taken_at is None and files() == 2  # the photo and its thumbnail
    page = me.get("/patrols/checkin").get_data(as_text=True)
    assert f'src="/patrols/photos/{patrol.id}/thumb"' in page and 'enctype="multipart/form-data"' in page
    shot = me.get(f"/patrols/photos/{patrol.id}")
    assert shot.status_code == 200 and shot.mimetype == "image/jpeg" and shot.data[:2] == b"\xff\xd8"
    assert me.get(f"/patrols/photos/{patrol.id}/thumb").status_code == 200
    # the nightly orphan sweep knows a check-in's photo as its own (it would delete a file no row names)
    from datetime import timedelta

    from inspect_app.ops.files import find_orphans
    with db.engine.connect() as conn:
        orphans = find_orphans(conn, uploads, clock() + timedelta(days=30), min_age=timedelta(0))
    assert patrol.photo_key not in orphans.keys and orphans.count == 0

    # broken photos: refused after the position passed, nothing kept
    for name in ("not_an_image.jpg", "truncated_half.jpg"):
        clock.stop("2026-12-03T11:00")
        answer = me.submit("/patrols/checkin", "/patrols/checkin",
                           {**ON_B, "photo": (io.BytesIO(photo_bytes(name)), name)}, multipart=True, script=True)
        assert answer.status_code in (400, 413, 415, 422), (name, answer.status_code)
        assert "照片" in answer.get_json()["error"]["message"], name
        assert patrols() == 1 and files() == 2, name

    answer = me.submit("/patrols/checkin", "/patrols/checkin", {**ON_B, "photo": [
        (io.BytesIO(_fresh_jpeg()), "a.jpg"), (io.BytesIO(_fresh_jpeg()), "b.jpg")]}, multipart=True, script=True)
    assert answer.status_code == 400 and "照片最多1张" in answer.get_json()["error"]["message"]
    assert patrols() == 1 and files() == 2

    # a photo from the album, taken years before: kept, and marked in the 轨迹
    api_answer = api.post("/api/v1/patrols", city.inspector, data={
        **ON_B, "accuracy": "12", "photo": (io.BytesIO(photo_bytes("Canon_40D.jpg")), "old.jpg")},
        content_type="multipart/form-data")
    assert api_answer.status_code == 201, api_answer.get_json()
    body = api_answer.get_json()
    assert body["photo"] == f"/patrols/photos/{body['id']}" and body["photo_taken_at"].startswith("2008-")
    trail = browser(city.admin).get("/patrols/day?date=2026-12-03&user=inspector").get_data(as_text=True)
    assert trail.count('class="patrol-thumb"') == 2
    assert re.search(r"照片拍摄于2008-\d\d-\d\d \d\d:\d\d，早于打卡\d+天", trail)
    # and on the inspector's own check-in page, where 今日打卡 lists it (it was marked in the 轨迹 only)
    own = me.get("/patrols/checkin").get_data(as_text=True)
    assert re.search(r"照片拍摄于2008-\d\d-\d\d \d\d:\d\d，早于打卡\d+天", own)
    stops = api.get("/api/v1/patrols/day?date=2026-12-03&user=inspector", city.leader).get_json()["stops"]
    assert [s["photo"] is not None for s in stops] == [True, True]

    # who sees a photo: the office and leaders, the inspector their own
    assert browser(city.leader).get(f"/patrols/photos/{patrol.id}").status_code == 200
    assert browser(city.inspector2).get(f"/patrols/photos/{patrol.id}").status_code == 404
    assert browser(city.unit_a).get(f"/patrols/photos/{patrol.id}").status_code == 403
    assert browser(city.admin).get("/patrols/photos/999999").status_code == 404

    # a city that requires a photo: a check-in without one is refused, the page asks for it
    app.config["PATROL_PHOTO_REQUIRED"] = True
    clock.stop("2026-12-03T12:00")
    answer = me.submit("/patrols/checkin", "/patrols/checkin", {**ON_A}, script=True)
    assert answer.status_code == 400 and "本市要求巡查打卡时拍摄一张现场照片" in answer.get_json()["error"]["message"]
    assert api.post("/api/v1/patrols", city.inspector, json=ON_A).status_code == 400 and patrols() == 2
    assert "必填，拍一张所在路段的照片" in me.get("/patrols/checkin").get_data(as_text=True)

    # the page scales a photo down before sending it (no EXIF left) and sends the camera's time beside it: kept and
    # marked as the EXIF's would be; a malformed one is ignored
    clock.stop("2026-12-03T13:00")
    answer = me.submit("/patrols/checkin", "/patrols/checkin", {
        **ON_A, "photo": (io.BytesIO(_fresh_jpeg()), "photo.jpg"),
        "photo_meta": '[{"taken_at": "2026-12-03T08:30:00+08:00"}]'}, multipart=True, script=True)
    assert answer.status_code == 200 and answer.get_json() == {"redirect": "/patrols/checkin"}
    scaled = db.session.scalar(select(Patrol).order_by(Patrol.id.desc()).limit(1))
    assert scaled.photo_taken_at == at("2026-12-03T08:30") and scaled.photo_early_minutes == 270
    trail = browser(city.admin).get("/patrols/day?date=2026-12-03&user=inspector").get_data(as_text=True)
    assert "照片拍摄于2026-12-03 08:30，早于打卡4小时30分" in trail
    clock.stop("2026-12-03T14:00")
    me.submit("/patrols/checkin", "/patrols/checkin", {**ON_B, "photo": (io.BytesIO(_fresh_jpeg()), "photo.jpg"),
                                                       "photo_meta": "not json"}, multipart=True, script=True)
    assert db.session.scalar(select(Patrol).order_by(Patrol.id.desc()).limit(1)).photo_taken_at is None


def test_the_leaders_dashboard_counts_todays_field_work(city, browser, clock):
    """领导看板's 今日巡查: the inspectors out today of those active, the check-ins and finds, who is recorded away,
    and how many are unaccounted for on the last working day; no card where nobody checks in."""
    from inspect_app.patrols.absences import record

    clock.stop("2026-12-07T10:00")
    leader = browser(city.leader)
    assert 'aria-label="今日巡查"' not in leader.get("/dashboard/").get_data(as_text=True)
    for when in ("2026-12-04T09:00", "2026-12-07T09:00"):
        db.session.add(Patrol(user_id=city.inspector.id, segment_id=city.seg_a.id, at=at(when), lat=28.2301,
                              lon=112.935, distance_m=11, note=""))
    record({"user_id": str(city.inspector2.id), "first_day": "2026-12-07", "kind": "meeting"}, city.admin, clock())
    db.session.commit()
    page = leader.get("/dashboard/").get_data(as_text=True)
    card = page[page.index('aria-label="今日巡查"'):]
    card = card[:card.index("</section>")]
    assert "今日巡查 <small class=\"muted\">12月7日 · " in card  # a Monday
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)).split("巡查月历", 1)[1].split() == [
        "有巡查记录的督查员", "1", "共", "2", "名", "·", "请假外出", "1", "名", "巡查打卡", "1", "现场发现问题", "0", "件",
        "上个工作日未说明", "1", "12月4日既无记录也未请假外出"]
    assert 'href="/patrols/day?date=2026-12-04">1</a>' in card
