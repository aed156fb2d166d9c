"""督查员工作量: each inspector's problems found, sites assessed and verifications in a period, and what of theirs
waits for verification; who sees which rows; the period's bounds in Shanghai days; the export."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

import pytest
from conftest import at, processed
from sqlalchemy import select

from inspect_app.audit.models import AuditEntry
from inspect_app.auth.services import create_user
from inspect_app.extensions import db
from inspect_app.patrols.models import Patrol
from inspect_app.tickets import services as tickets


@pytest.fixture
def november(city, make_ticket):
    """A November of two inspectors (and the office, and days just outside the month)."""
    for user in (city.inspector, city.inspector2):  # their accounts were made before the month looked at
        user.created_at = at("2026-01-05T09:00")
    from inspect_app.assessment import checklist
    from inspect_app.assessment.models import Round, RoundSite
    from inspect_app.sites.models import Site, SiteKind

    me, other = city.inspector, city.inspector2
    make_ticket(at_time=at("2026-10-31T23:59"))                           # October
    make_ticket(at_time=at("2026-11-01T00:30"))                           # 31 October 16:30 UTC: November here
    first = make_ticket(at_time=at("2026-11-03T10:00"))
    second = make_ticket(at_time=at("2026-11-20T09:00"))
    third = make_ticket(at_time=at("2026-11-20T23:30"), point=None, segment=city.seg_a)  # no position
    make_ticket(at_time=at("2026-12-01T00:30"))                           # 30 November 16:30 UTC: December here
    theirs = make_ticket(at_time=at("2026-11-10T08:00"), reporter=other)
    make_ticket(at_time=at("2026-11-11T08:00"), reporter=city.admin)      # the office's own: nobody's row

    tickets.cancel(city.admin, third, at("2026-11-21T09:00"), "重复上报")
    tickets.rectify(city.unit_a, first, at("2026-11-21T10:00"), "已清除", [processed()])
    tickets.approve(other, first, at("2026-11-21T16:00"), None)           # 6 hours after the rectification
    tickets.rectify(city.unit_a, second, at("2026-11-22T10:00"), "已清除", [processed()])
    tickets.reject(me, second, at("2026-11-22T22:00"), "仍有残留")          # 12 hours
    tickets.rectify(city.unit_a, second, at("2026-11-23T10:00"), "再次清除", [processed()])  # waits since
    tickets.rectify(city.unit_a, theirs, at("2026-11-24T10:00"), "已清除", [processed()])
    tickets.approve(me, theirs, at("2026-12-01T09:00"), None)             # December: not November's

    kind = SiteKind(name="背街小巷", sort_order=1, active=True)
    site = Site(code="BJ-1", name="青石巷", kind=kind, district="江城区", territorial_unit=city.street_a,
                created_at=at("2026-10-01T10:00"))
    db.session.add_all([kind, site])
    db.session.flush()
    version = checklist.create_version([{"code": "BJ-01", "kind": kind, "text": "无乱堆乱放", "points": 4.0,
                                         "answerable_by": "territorial", "deadline": {"hours": 24},
                                         "category": None}], at("2026-10-01T10:00"))
    rnd = Round(kind="mock_assessment", name="11月模拟测评", seed=1, checklist_version_id=version.id,
                created_at=at("2026-11-05T09:00"))
    db.session.add(rnd)
    db.session.flush()
    db.session.add(RoundSite.drawn(site, round_id=rnd.id, inspector_id=other.id, status="submitted", score=100.0,
                                   deducted=0.0, submitted_at=at("2026-11-05T10:00"), submitted_by=other.id))
    # 巡查打卡 in use since October (a check-in outside the month): November's working days without a visit are 缺
    db.session.add(Patrol(user_id=other.id, segment_id=city.seg_a.id, at=at("2026-10-30T09:00"), lat=28.2301,
                          lon=112.935, distance_m=11, note=""))
    db.session.commit()
    return {"second": second, "third": third}


NOV = "from=2026-11-01&to=2026-11-30"


def cells(page: str, label: str) -> list[str]:
    """The text of each row's cell with this data-label, tags removed."""
    found = re.findall(rf'data-label="{label}">(.*?)</td>', page, flags=re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def test_each_inspectors_work_in_a_period(app, city, november, browser, clock):
    from inspect_app.common.dayspan import day_span
    from inspect_app.workload.services import inspectors_work

    clock.set("2026-12-05T10:00")
    rows, total = inspectors_work(day_span(date(2026, 11, 1), date(2026, 11, 30), clock()))
    mine, theirs = {w.username: w for w in rows}["inspector"], {w.username: w for w in rows}["inspector2"]
    assert [w.username for w in rows] == ["inspector", "inspector2"]  # most found first; the admin has no row
    assert (mine.filed, mine.cancelled, mine.valid, mine.days, mine.no_position) == (4, 1, 3, 3, 1)
    assert (mine.approved, mine.rejected, mine.average_wait_hours, mine.sites) == (0, 1, 12.0, 0)
    assert (mine.waiting, mine.oldest_rectified) == (1, at("2026-11-23T10:00"))
    assert (theirs.filed, theirs.approved, theirs.rejected, theirs.average_wait_hours, theirs.sites) == \
        (1, 1, 0, 6.0, 1)
    assert theirs.waiting == 0  # its ticket was verified in December, so not waiting now
    assert (total.filed, total.cancelled, total.approved, total.rejected, total.sites) == (5, 1, 1, 1, 1)
    assert total.average_wait_hours == 9.0 and total.waiting == 1

    december, _ = inspectors_work(day_span(date(2026, 12, 1), None, clock()))
    assert {w.username: (w.filed, w.approved) for w in december} == {"inspector": (1, 1), "inspector2": (0, 0)}


def test_the_office_and_leaders_see_every_inspector_and_an_inspector_their_own(app, city, november, browser,
                                                                               clock):
    clock.set("2026-12-05T10:00")
    for user in (city.admin, city.leader):
        page = browser(user).get(f"/workload/?{NOV}").get_data(as_text=True)
        assert cells(page, "上报问题") == ["4", "1", "5"]
        assert cells(page, "其中已作废") == ["1（25%）", "0", "1（20%）"]  # a tenth or more: marked for a look
        assert page.count('num-col marked" data-label="其中已作废"') == 2
        assert cells(page, "平均核查用时") == ["12.0小时", "6.0小时", "9.0小时"]
        assert cells(page, "待核查")[0] == "1 最久 12.0天" and 'badge waited">最久 12.0天' in page  # over 3 days
        assert "合计（2 人）" in page
        link = f'/tickets?reporter_id={city.inspector.id}&amp;from=2026-11-01&amp;to=2026-11-30'
        assert link in page and f"/tickets?status=cancelled&amp;reporter_id={city.inspector.id}" in page

    listed = browser(city.admin).get(f"/tickets?reporter_id={city.inspector.id}&{NOV}").get_data(as_text=True)
    assert "4 件" in listed and "上报人：" in listed and "不限上报人" in listed
    assert "编号 99999 的账号不存在" in browser(city.admin).get("/tickets?reporter_id=99999").get_data(as_text=True)

    own = browser(city.inspector).get(f"/workload/?{NOV}").get_data(as_text=True)
    assert "我的工作量" in own and cells(own, "上报问题") == ["4"] and "inspector2" not in own and "合计" not in own
    csv = browser(city.inspector2).get(f"/workload/export.csv?{NOV}&encoding=utf-8").get_data().decode("utf-8-sig")
    assert [line.split(",")[0] for line in csv.splitlines()] == ["督查员", "inspector2", "合计"]
    for user in (city.unit_a, city.unit_police):
        assert browser(user).get("/workload/").status_code in (403, 404)
        assert browser(user).get("/workload/export.csv").status_code in (403, 404)


def test_the_export_holds_the_pages_figures_and_is_in_the_log(app, city, november, browser, clock):
    clock.set("2026-12-05T10:00")
    office = browser(city.admin)
    response = office.get(f"/workload/export.csv?{NOV}&encoding=utf-8")
    assert response.status_code == 200
    assert quote("督查员工作量_2026-11-01至2026-11-30_") in response.headers["Content-Disposition"]
    lines = [line.split(",") for line in response.get_data().decode("utf-8-sig").splitlines()]
    assert lines[0][:6] == ["督查员", "账号", "上报问题", "其中已作废", "有效问题", "有上报的天数"]
    assert lines[1] == ["inspector", "inspector", "4", "1", "3", "3", "1", "0", "0", "0", "3", "19", "0", "0", "1",
                        "12.0", "1", "288.0"]  # out on 1 (a Sunday), 3 and 20 November: 19 of 21 working days without
    assert lines[-1][0] == "合计" and lines[-1][2] == "5" and lines[-1][5] == ""
    xlsx = office.get(f"/workload/export.xlsx?{NOV}")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    db.session.expire_all()
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert len(logged) == 2 and all(e.target.startswith("督查员工作量") for e in logged)


def test_days_out_missed_and_away(app, city, november, browser, api, clock):
    """巡查天数: each inspector's days out in the period, the working days gone by without a visit or a recorded
    absence (缺), and those recorded away (假), as 巡查月历 counts them; the page, the API, the export."""
    from inspect_app.patrols.absences import record

    clock.set("2026-12-05T10:00")
    record({"user_id": str(city.inspector2.id), "first_day": "2026-11-16", "last_day": "2026-11-22", "kind": "leave"},
           city.admin, clock())
    db.session.commit()
    page = browser(city.admin).get(f"/workload/?{NOV}").get_data(as_text=True)
    assert cells(page, "巡查天数") == ["3 缺19天", "1 缺15天 假5天", ""]
    assert 'href="/patrols/month?month=2026-11#p-inspector2"' in page  # the month's calendar shows which days
    # counted from the workload's own reading of the tickets, as 巡查月历 counts them from its own
    from inspect_app.common.dayspan import day_span
    from inspect_app.patrols.days import month_sheet
    from inspect_app.workload.services import inspectors_work
    rows, _ = inspectors_work(day_span(date(2026, 11, 1), date(2026, 11, 30), clock()), None, clock())
    month = {p.username: p for p in month_sheet(date(2026, 11, 1), clock()).people}
    assert [(w.out_days, w.missed_days, w.absent_days) for w in rows] == [
        (month[w.username].out_days, month[w.username].missed_days, month[w.username].absent_days) for w in rows]
    rows = api.get(f"/api/v1/workload?{NOV}", city.leader).get_json()["inspectors"]
    assert [(r["patrol_days"], r["missed_workdays"], r["absent_workdays"]) for r in rows] == [(3, 19, 0), (1, 15, 5)]
    mine = api.get(f"/api/v1/workload?{NOV}", city.inspector2).get_json()["inspectors"]
    assert [(r["username"], r["missed_workdays"]) for r in mine] == [("inspector2", 15)]
    # December so far: the working days up to today only (1 to 4 December)
    rows = api.get("/api/v1/workload?from=2026-12-01&to=2026-12-31", city.leader).get_json()["inspectors"]
    assert [(r["username"], r["patrol_days"], r["missed_workdays"]) for r in rows] == [
        ("inspector", 1, 3), ("inspector2", 0, 4)]


def test_no_day_before_the_first_check_in_is_missed(app, city, november, api, browser, clock):
    """An office that began using 巡查打卡 on 16 November: the working days before it were nobody's 缺 (they were
    not expected to check in yet), in 督查员工作量 as in 巡查月历."""
    from inspect_app.patrols.days import month_sheet

    clock.set("2026-12-05T10:00")
    first = db.session.scalar(select(Patrol))
    first.at = at("2026-11-16T09:00")
    db.session.commit()
    rows = api.get(f"/api/v1/workload?{NOV}", city.leader).get_json()["inspectors"]
    # inspector: out on the 20th, 10 other working days from the 16th; inspector2: out on the 16th, 10 others
    assert [(r["patrol_days"], r["missed_workdays"]) for r in rows] == [(3, 10), (2, 10)]
    month = month_sheet(date(2026, 11, 1), clock())
    assert month.began == date(2026, 11, 16)
    assert [(p.username, p.missed_days) for p in month.people] == [("admin", 0), ("inspector", 10), ("inspector2", 10)]
    office = browser(city.admin)
    page = office.get("/patrols/month?month=2026-11").get_data(as_text=True)
    assert "巡查打卡自2026年11月16日（第一次打卡）启用，此前的工作日不标红格。" in page
    assert '<a class="d pre" href="/patrols/day?user=inspector2&amp;date=2026-11-13"' in page  # nothing to count
    assert '<a class="d miss" href="/patrols/day?user=inspector2&amp;date=2026-11-17"' in page
    assert '<div class="err"><b>2</b><span>名督查员当日无记录' not in office.get("/patrols/day?date=2026-11-13") \
        .get_data(as_text=True)  # the Friday before: nobody's missed day
    assert '<div class="err"><b>2</b><span>名督查员当日无记录' in office.get("/patrols/day?date=2026-11-17") \
        .get_data(as_text=True)
    # an inspector whose account was made on Monday the 23rd misses no day before it (4 working days, 23–26th,
    # and the 27th and 30th: 6)
    late = create_user("inspector9", "inspector", "Late-2026-pass", at("2026-11-23T15:00"))
    db.session.commit()
    month = month_sheet(date(2026, 11, 1), clock())
    assert [(p.username, p.missed_days) for p in month.people][-1] == ("inspector9", 6)
    assert "inspector9" not in office.get("/patrols/day?date=2026-11-20").get_data(as_text=True)  # before it
    assert "inspector9" in office.get("/patrols/day?date=2026-11-24").get_data(as_text=True)
    db.session.delete(late)
    db.session.delete(first)
    db.session.commit()
    rows = api.get(f"/api/v1/workload?{NOV}", city.leader).get_json()["inspectors"]
    assert [r["missed_workdays"] for r in rows] == [0, 0]  # nobody checks in: nobody is expected to


def test_the_day_the_office_set_for_patrols_to_begin_wins_over_a_trial_check_in(app, city, november, api, browser,
                                                                                clock):
    """One trial check-in on 2 November, weeks before the roll-out on the 16th: every working day since the 2nd was
    everyone's 缺. PATROLS_BEGAN (the office's start day) is taken instead of the first check-in."""
    from inspect_app.patrols.days import month_sheet

    clock.set("2026-12-05T10:00")
    first = db.session.scalar(select(Patrol))
    first.at = at("2026-11-02T09:00")  # the trial
    db.session.commit()
    assert month_sheet(date(2026, 11, 1), clock()).began == date(2026, 11, 2)
    trial = {r["username"]: r["missed_workdays"] for r in
             api.get(f"/api/v1/workload?{NOV}", city.leader).get_json()["inspectors"]}

    app.config["PATROLS_BEGAN"] = date(2026, 11, 16)
    try:
        month = month_sheet(date(2026, 11, 1), clock())
        assert month.began == date(2026, 11, 16) and month.began_set
        rows = {r["username"]: r["missed_workdays"] for r in
                api.get(f"/api/v1/workload?{NOV}", city.leader).get_json()["inspectors"]}
        # the ten working days from the 2nd to the 13th are nobody's 缺 any more, but for the days each was out
        # (inspector: a find on the 3rd; inspector2: the trial on the 2nd and a find on the 10th)
        assert {name: trial[name] - rows[name] for name in trial} == {"inspector": 9, "inspector2": 8}
        office = browser(city.admin)
        page = office.get("/patrols/month?month=2026-11").get_data(as_text=True)
        assert "巡查打卡自2026年11月16日（文明办设定的启用日期）启用，此前的工作日不标红格。" in page
        assert '<a class="d pre" href="/patrols/day?user=inspector2&amp;date=2026-11-13"' in page
        assert '<div class="err"><b>2</b><span>名督查员当日无记录' not in office.get("/patrols/day?date=2026-11-13") \
            .get_data(as_text=True)
    finally:
        app.config["PATROLS_BEGAN"] = None


def test_a_start_day_for_patrols_that_is_no_day_is_named(monkeypatch):
    from inspect_app.config import ConfigError, _date, _parsed

    monkeypatch.setenv("PATROLS_BEGAN", " 2026-11-16 ")
    assert _parsed("PATROLS_BEGAN", None, _date, "日期") == date(2026, 11, 16)
    monkeypatch.setenv("PATROLS_BEGAN", "2026-11-31")
    with pytest.raises(ConfigError) as refused:
        _parsed("PATROLS_BEGAN", None, _date, "日期（如 2026-11-02）")
    assert refused.value.message == "环境变量 PATROLS_BEGAN 应为日期（如 2026-11-02），现为 '2026-11-31'。"


def test_a_disabled_inspector_appears_only_with_work_in_the_period(app, city, november, browser, clock, now):
    clock.set("2026-12-05T10:00")
    gone = create_user("inspector_gone", "inspector", "Gone-2026-pass", now)
    gone.active = False
    city.inspector2.active = False
    db.session.commit()
    page = browser(city.leader).get(f"/workload/?{NOV}").get_data(as_text=True)
    assert "inspector_gone" not in page and "已停用" in page and cells(page, "上报问题")[:2] == ["4", "1"]


@pytest.mark.parametrize("query, code", [("from=2026-11-30&to=2026-11-01", "invalid_date_range"),
                                         ("from=2025-01-01&to=2026-11-30", "period_too_long"),
                                         ("from=2026-13-01", "invalid_from"),
                                         ("from=20261101", "invalid_from"),
                                         ("from=2026-12-24", "invalid_date_range")])  # after today, no `to`
def test_a_period_that_cannot_be_counted_is_400(app, city, browser, query, code):
    page = browser(city.admin).get(f"/workload/?{query}")
    assert page.status_code == 400 and "<html" in page.get_data(as_text=True).lower()
    export = browser(city.admin).get(f"/workload/export.csv?{query}")
    assert export.status_code == 400


def test_without_a_period_it_is_this_month_so_far(app, city, november, browser, clock):
    clock.set("2026-11-25T10:00")
    page = browser(city.admin).get("/workload/").get_data(as_text=True)
    assert "2026-11-01 至 2026-11-25" in page and 'value="2026-11-25"' in page
    assert cells(page, "上报问题") == ["4", "1", "5"]
    assert cells(page, "待核查")[0] == "1（最久 2.0天）"  # under three days: not marked
    assert "from=2026-10-01&amp;to=2026-10-31" in page  # 上月


def test_the_verify_queue_puts_the_longest_waiting_first_and_narrows_to_ones_own_finds(app, city, make_ticket,
                                                                                       browser, clock):
    # Newest first, as it was, a rectification left waiting sank to the last page while new ones were verified.
    older = make_ticket(at_time=at("2026-11-20T09:00"))
    newer = make_ticket(at_time=at("2026-11-21T09:00"), reporter=city.inspector2)
    tickets.rectify(city.unit_a, newer, at("2026-11-22T10:00"), "已清除", [processed()])
    tickets.rectify(city.unit_a, older, at("2026-11-24T10:00"), "已清除", [processed()])
    db.session.commit()
    clock.set("2026-11-25T16:00")
    queue = browser(city.inspector).get("/tickets/verify").get_data(as_text=True)
    assert queue.index(newer.number) < queue.index(older.number)  # rectified first, waiting longest
    assert "已等待3天" in queue and "已等待1天" in queue and "等待最久的在前" in queue
    mine = browser(city.inspector).get(f"/tickets/verify?reporter_id={city.inspector.id}").get_data(as_text=True)
    assert older.number in mine and newer.number not in mine and 'aria-current="page">我上报的' in mine

    theirs = browser(city.inspector).get(f"/tickets/verify?reporter_id={city.inspector2.id}").get_data(as_text=True)
    assert newer.number in theirs and older.number not in theirs and 'aria-current="page">inspector2上报的' in theirs

    work = browser(city.admin).get("/workload/").get_data(as_text=True)
    assert f"/tickets/verify?reporter_id={city.inspector.id}" in work  # the office verifies there
    work = browser(city.leader).get("/workload/").get_data(as_text=True)
    assert f"/tickets?status=rectified&amp;reporter_id={city.inspector.id}" in work  # a leader reads the list


def test_the_years_figures_say_what_the_inspectors_did(app, city, november, browser, clock):
    from inspect_app.dashboard.year import summary_text, year_report

    clock.set("2026-12-05T10:00")
    report = year_report(2026, clock())
    assert {k: report["inspectors"][k] for k in ("people", "found", "verified", "rejected")} == \
        {"people": 2, "found": 6, "verified": 3, "rejected": 1}  # the office's own filing is not theirs
    assert "2名督查员上报问题6件，核查整改反馈3件次，其中退回返工1件次，巡查打卡1次" in summary_text(report)
    page = browser(city.leader).get("/dashboard/year?year=2026").get_data(as_text=True)
    assert "各督查员明细" in page and "/workload/?from=2026-01-01&amp;to=2026-12-05" in page


def test_check_ins_count_and_the_api_gives_the_pages_rows(app, city, november, browser, api, clock):
    from inspect_app.patrols.models import Patrol

    def check_in(user, segment, when):
        return Patrol(user_id=user.id, segment_id=segment.id, at=at(when), lat=28.23, lon=112.935, distance_m=5,
                      note="")

    db.session.add_all([check_in(city.inspector, city.seg_a, "2026-11-01T00:20"),  # 31 October UTC: November
                        check_in(city.inspector, city.seg_a, "2026-11-03T09:00"),
                        check_in(city.inspector, city.seg_b, "2026-11-04T09:00"),
                        check_in(city.inspector2, city.seg_b, "2026-12-01T09:00")])  # December
    db.session.commit()
    clock.set("2026-12-05T10:00")
    page = browser(city.admin).get(f"/workload/?{NOV}").get_data(as_text=True)
    assert cells(page, "巡查打卡") == ["3（2 条）", "0", "3"]
    lines = browser(city.admin).get(f"/workload/export.csv?{NOV}&encoding=utf-8").get_data().decode("utf-8-sig")
    assert [line.split(",")[8:10] for line in lines.splitlines()] == [["巡查打卡", "打卡路段"], ["3", "2"],
                                                                       ["0", "0"], ["3", ""]]

    body = api.get(f"/api/v1/workload?{NOV}", city.leader).get_json()
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-30")
    mine = body["inspectors"][0]
    assert (mine["username"], mine["filed"], mine["cancelled"], mine["valid"], mine["days"], mine["checkins"],
            mine["segments_walked"], mine["approved"], mine["rejected"], mine["waiting"]) == \
        ("inspector", 4, 1, 3, 3, 3, 2, 0, 1, 1)
    assert mine["oldest_rectified_at"] == "2026-11-23T10:00:00+08:00" and mine["oldest_waited_hours"] == 288.0
    assert body["total"]["filed"] == 5 and body["total"]["checkins"] == 3 and "days" not in body["total"]
    assert body["total"]["average_wait_hours"] == 9.0
    own = api.get(f"/api/v1/workload?{NOV}", city.inspector2).get_json()
    assert [w["username"] for w in own["inspectors"]] == ["inspector2"]
    december = api.get("/api/v1/workload?from=2026-12-01", city.inspector2).get_json()
    assert december["inspectors"][0]["checkins"] == 1 and december["to"] == "2026-12-05"
    assert api.get("/api/v1/workload", city.unit_a).status_code == 403
    answer = api.get("/api/v1/workload?from=2026-12-05&to=2026-11-01", city.admin)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_date_range"
