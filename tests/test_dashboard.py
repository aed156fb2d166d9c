"""The leadership dashboard: hand-counted headline figures, breakdowns, links, sorting, SVG, access, cache."""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import select
from conftest import sign_in, at

from inspect_app.dashboard import charts, services
from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket

NOW = at("2026-11-25T10:00:00")


@pytest.fixture
def tickets(app, city):
    """Seven tickets whose every figure is counted below by hand."""
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    rows = {}

    def add(name, unit, reported, status, deadline, rectified=None, closed=None, level=0, category=None, segment=None):
        n = len(rows) + 1
        ticket = Ticket(number=f"2026-8{n:05d}", year=2026, seq=80000 + n, status=status,
                        category_id=(category or city.niupixuan).id, unit_id=unit.id if unit else None,
                        segment_id=segment.id if segment else None, reporter_id=city.inspector.id,
                        reported_at=at(reported), deadline=at(deadline) if deadline else None,
                        rectified_at=at(rectified) if rectified else None, closed_at=at(closed) if closed else None,
                        escalation_level=level)
        db.session.add(ticket)
        rows[name] = ticket

    a, b = city.street_a, city.street_b
    add("t1", a, "2026-11-03T09:00", "closed", "2026-11-04T18:00", "2026-11-04T10:00", "2026-11-04T12:00",
        segment=city.seg_a)
    add("t2", a, "2026-10-28T09:00", "assigned", "2026-11-02T18:00", level=1, category=city.spider,
        segment=city.seg_a)
    add("t3", b, "2026-11-20T09:00", "rectified", "2026-11-21T18:00", "2026-11-22T09:00", segment=city.seg_b)
    add("t4", b, "2026-11-24T09:00", "assigned", "2026-11-26T18:00", segment=city.seg_b)
    add("t5", a, "2026-10-10T09:00", "closed", "2026-10-11T18:00", "2026-10-11T10:00", "2026-10-12T09:00",
        segment=city.seg_a)
    add("t6", city.police, "2026-10-20T09:00", "closed", "2026-10-22T18:00", "2026-10-24T10:00",
        "2026-10-25T09:00", category=city.parking)
    add("t7", None, "2026-11-10T09:00", "cancelled", None)
    db.session.commit()
    return rows


def test_headline_this_month_and_last(tickets):
    data = services.dashboard_data(NOW)
    this, last = data["this"], data["last"]
    assert (this["new"], this["closed"], this["due"], this["on_time"]) == (4, 1, 3, 1)  # new: t1 t3 t4 t7
    assert this["on_time_rate"] == pytest.approx(1 / 3)
    assert (last["new"], last["closed"], last["due"], last["on_time"], last["on_time_rate"]) == (3, 2, 2, 1, 0.5)
    # 上月同期 runs to October 25th 10:00, as far into October as NOW is into November: t2 (28th) is not yet new
    same = data["same"]
    assert (same["new"], same["closed"], same["due"], same["on_time"], same["letters"]) == (2, 2, 2, 1, 0)
    assert data["overdue"] == {"overdue": 1, "supervised": 1}
    assert this["letters"] == 0 and last["letters"] == 0


def test_letters_are_counted_when_escalation_is_there(tickets, city):
    from inspect_app.escalation.models import Letter

    db.session.add(Letter(number="临江文明督〔2026〕1号", year=2026, seq=1, unit_id=city.street_a.id, level=1,
                          issued_at=at("2026-11-10T09:00"), reply_by=at("2026-11-13T18:00")))
    db.session.commit()
    assert services.month_headline(services.containing(NOW, "month"), NOW)["letters"] == 1
    data = services.dashboard_data(NOW)  # this month's letters come with the escalation figures' statement
    assert data["this"]["letters"] == 1 and "issued" not in data["escalation"]


def test_a_bulletin_is_not_counted_as_a_supervision_letter(tickets, city, browser, clock):
    """本月督办函 counts the letters of 督办: a 督查通报 names problems without 督办 (it counted them too)."""
    from inspect_app.escalation.models import Letter

    for seq, kind, month in ((1, "supervision", 11), (2, "bulletin", 11), (3, "bulletin", 10)):
        db.session.add(Letter(status="issued", kind=kind, number=f"临江文明督〔2026〕{seq}号", year=2026, seq=seq,
                              unit_id=city.street_a.id, level=1, issued_at=at(f"2026-{month}-10T09:00"),
                              reply_by=at(f"2026-{month}-13T18:00")))
    db.session.commit()
    data = services.dashboard_data(NOW)
    assert (data["this"]["letters"], data["last"]["letters"], data["same"]["letters"]) == (1, 0, 0)
    clock.set(NOW)
    page = browser(city.leader).get("/dashboard/").get_data(as_text=True)
    assert "<span>本月督办函</span><b>1</b>" in page


def test_breakdowns_by_unit_district_category(tickets, city):
    data = services.dashboard_data(NOW)
    units = {r.key: r for r in data["by_unit"]}
    a, b = units[city.street_a.id], units[city.street_b.id]
    assert (a.active, a.overdue, a.supervised, a.new, a.closed, a.due, a.on_time) == (1, 1, 1, 1, 1, 2, 1)
    assert (b.active, b.overdue, b.new, b.closed, b.due, b.on_time) == (2, 0, 2, 0, 1, 0)
    assert units[city.roads.id].active == 0  # every active unit is listed
    districts = {r.key: r for r in data["by_district"]}
    assert (districts["江城区"].active, districts["江城区"].overdue) == (1, 1)
    assert (districts["临江区"].active, districts["临江区"].new) == (2, 2)
    categories = {r.code: r for r in data["by_category"]}
    assert (categories["niupixuan"].active, categories["niupixuan"].new) == (2, 4)  # t7 was received too
    assert (categories["spider_web"].overdue, categories["spider_web"].due) == (1, 1)
    trend = data["trend"]
    assert len(trend) == 12 and trend[-1]["period"] == "2026-W48" and trend[-1]["new"] == 1


def test_page_for_leaders_with_links_sorting_and_svg(client, city, tickets):
    sign_in(client, city.leader)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html and 'class="chart trend wide"' in html and 'class="chart trend narrow"' in html \
        and 'class="chart map"' in html
    assert 'style="' not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert re.search(rf'href="/tickets\?(overdue=1&amp;unit_id={city.street_a.id}|unit_id={city.street_a.id}&amp;overdue=1)"', html)
    assert "/tickets?status=open&amp;category=niupixuan" in html
    assert "/tickets?overdue=1&amp;district=" in html
    # map dots (drawn when the figures are stored) link to the segment's open tickets for this reader
    assert re.search(r'<a href="/tickets\?segment_id=\d+&amp;status=open"><circle [^>]+><title>[^<]+：在办\d+件', html)
    assert "当前超期" in html and "按期结案率" in html
    # the due count beside this month's rate names its month (it once read as last month's)
    assert re.search(r"<small>本月应结案 \d+ · 上月同期 (—|[\d.]+%)</small>", html)
    # a month under way is set against the same days of the last one
    assert re.search(r"<small>上月同期 \d+ · 全月 \d+</small>", html)
    # the unit table sorted by name (unit code): JDA, JDB, JJ, SZ; then the other way round
    page = client.get("/dashboard/?u=name").get_data(as_text=True)
    table = page[page.index('id="t-u"'):]
    assert table.index("甲街道办事处") < table.index("乙街道办事处") < table.index("市交警支队")
    page = client.get("/dashboard/?u=-name").get_data(as_text=True)
    table = page[page.index('id="t-u"'):]
    assert table.index("市交警支队") < table.index("乙街道办事处") < table.index("甲街道办事处")
    assert 'href="/dashboard/?u=name#t-u"' in page
    assert client.get("/dashboard/?u=-bogus").status_code == 200


@pytest.mark.parametrize("role", ["admin", "leader"])
def test_office_and_leaders_see_it(client, city, tickets, role):
    sign_in(client, getattr(city, role))
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.parametrize("role", ["inspector", "unit_a"])
def test_others_do_not(client, city, tickets, role):
    sign_in(client, getattr(city, role))
    assert client.get("/dashboard/").status_code == 403


def test_anonymous_goes_to_sign_in(client, city):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_latest_lists_appear_with_pdf_links(client, city, tickets):
    from inspect_app.rankings import services as rankings
    from inspect_app.rankings.periods import parse_period

    ranking = rankings.publish(parse_period("2026-10"), NOW, user=city.admin)
    sign_in(client, city.admin)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f"/rankings/{ranking.id}/pdf" in html and "2026年10月月榜" in html
    # 乙 is first of the 街道/乡镇 group: listed under its group's name, not numbered as if in one city-wide run
    assert re.search(r'<p class="mini-group">街道/乡镇</p>\s*<ul class="mini">\s*<li><a href="/tickets\?unit_id='
                     rf'{city.street_b.id}">乙街道办事处</a> <small>100.0分</small></li>\s*</ul>', html)


def test_same_span_of_the_previous_month():
    from inspect_app.rankings.periods import parse_period

    november = parse_period("2026-11")
    assert services.same_span_end(november, at("2026-11-02T07:03")) == at("2026-10-02T07:03")
    assert services.same_span_end(november, at("2026-12-05T00:00")) == at("2026-11-01T00:00")  # November is over
    march = parse_period("2027-03")  # February is shorter: its span stops at its end, not in March
    assert services.same_span_end(march, at("2027-03-30T12:00")) == at("2027-03-01T00:00")
    assert services.same_span_end(march, at("2027-03-28T12:00")) == at("2027-02-28T12:00")


def test_latest_lists_keep_each_group_apart():
    """Ranks count within a group: the dashboard's lists go group by group, never as one run of numbers."""
    def entry(code, group, rank):
        return {"unit_code": code, "group": group, "rank": rank}

    red = services._by_group([entry("A", "市直部门", 1), entry("B", "市直部门", 2),
                              entry("C", "街道/乡镇", 1)])
    assert [(g["group"], [(e["unit_code"], e["rank"]) for e in g["entries"]]) for g in red] == [
        ("市直部门", [("A", 1), ("B", 2)]), ("街道/乡镇", [("C", 1)])]
    black = services._by_group([entry("D", "市直部门", 3), entry("E", "市直部门", 9),
                                entry("F", "市直部门", None), entry("G", "街道/乡镇", 7)], worst_first=True)
    assert [(g["group"], [e["unit_code"] for e in g["entries"]]) for g in black] == [
        ("市直部门", ["E", "D", "F"]), ("街道/乡镇", ["G"])]  # the bottom first; unranked (约谈 etc.) after


def _october_ticket(city, number: int) -> None:
    db.session.add(Ticket(number=f"2026-9{number:05d}", year=2026, seq=90000 + number, status="assigned",
                          category_id=city.niupixuan.id, reporter_id=city.inspector.id,
                          reported_at=at("2026-10-15T09:00")))
    db.session.commit()


def test_stored_figures_serve_every_reader_until_they_expire(app, tickets, city):
    from datetime import timedelta

    from inspect_app.dashboard.models import DashboardSnapshot

    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    first = services.current_dashboard(NOW)
    assert db.session.scalar(select(DashboardSnapshot.key)) == services.LIVE  # in the database, for every process
    _october_ticket(city, 1)
    kept = services.current_dashboard(NOW + timedelta(seconds=30))
    assert kept["last"]["new"] == first["last"]["new"] and kept["computed_at"] == first["computed_at"]
    recounted = services.current_dashboard(NOW + timedelta(seconds=61))
    assert recounted["last"]["new"] == first["last"]["new"] + 1


def test_a_map_dot_opens_the_problems_its_tooltip_counts(client, city, tickets):
    """A dot's tooltip counts its segment's open problems, whichever unit has them; its link once opened its 属地
    unit's list (another unit's problems on the segment missing, the unit's problems elsewhere added)."""
    from html import unescape

    db.session.add(Ticket(number="2026-899999", year=2026, seq=89999, status="assigned", category_id=city.parking.id,
                           unit_id=city.police.id, segment_id=city.seg_a.id, reporter_id=city.inspector.id,
                           reported_at=at("2026-11-24T09:00"), deadline=at("2026-11-24T11:00")))
    db.session.commit()
    sign_in(client, city.leader)
    html = client.get("/dashboard/").get_data(as_text=True)
    dots = re.findall(r'<a href="([^"]+)"><circle [^>]+><title>([^<：]+)：在办(\d+)件(?:，超期(\d+)件)?</title>', html)
    assert {(unescape(name), int(n), int(late or 0)) for _, name, n, late in dots} == \
        {(city.seg_a.name, 2, 2), (city.seg_b.name, 2, 0)}  # t2 and the police's car, both late; t3 and t4
    for href, name, n, late in dots:
        page = client.get(unescape(href)).get_data(as_text=True)
        assert f"<small>{n} 件</small>" in page and f"责任路段：<b>{unescape(name)}</b>" in page
        overdue = client.get(unescape(href) + "&overdue=1").get_data(as_text=True)
        assert f"<small>{int(late or 0)} 件</small>" in overdue


def test_the_refresh_job_recounts_ahead_of_readers(app, tickets, city):
    from datetime import timedelta

    from inspect_app.dashboard.jobs import refresh_job

    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    before = services.current_dashboard(NOW)
    _october_ticket(city, 2)
    refresh_job(NOW + timedelta(seconds=10))
    after = services.current_dashboard(NOW + timedelta(seconds=20))  # fresh, so read, not recounted
    assert after["last"]["new"] == before["last"]["new"] + 1
    assert after["map"]["dots"] and all(isinstance(seg, int) and "<circle" in dot for seg, dot in after["map"]["dots"])
    assert after["by_unit"][0].on_time_rate is None or 0 <= after["by_unit"][0].on_time_rate <= 1


def test_settled_periods_are_not_recounted(app, tickets, city):
    from datetime import timedelta

    app.config["DASHBOARD_SETTLED_SECONDS"] = 3600
    before = services.dashboard_data(NOW)["last"]["new"]
    _october_ticket(city, 3)
    assert services.dashboard_data(NOW)["last"]["new"] == before  # October has ended: kept
    assert services.dashboard_data(NOW + timedelta(seconds=3601))["last"]["new"] == before + 1


def test_charts_escape_text_and_handle_empty_data():
    svg = charts.trend_svg([{"period": "2026-W01", "label": "<b>", "new": 0, "closed": 0, "on_time_rate": None}])
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "没有带坐标" in charts.map_svg({}, {}, lambda s: None)


def test_map_is_drawn_once_and_linked_per_reader():
    from types import SimpleNamespace as NS

    segments = {1: NS(coords_json="[[112.9, 28.2], [112.91, 28.21]]", name="<一>路", district="江城区", unit_id=7),
                2: NS(coords_json="[[112.95, 28.25], [112.96, 28.26]]", name="二路", district="临江区", unit_id=7),
                3: NS(coords_json="[[112.97, 28.27], [112.98, 28.28]]", name="三路", district="临江区", unit_id=None),
                4: NS(coords_json="not json", name="坏路", district="临江区", unit_id=8)}
    rows = {1: NS(active=3, overdue=1), 2: NS(active=1, overdue=0), 3: NS(active=2, overdue=0), 4: NS(active=5, overdue=0)}
    layout = charts.map_layout(segments, rows)
    assert json.loads(json.dumps(layout)) == layout  # stored as it is
    assert [seg for seg, _ in layout["dots"]] == [1, 3, 2]  # biggest first; a segment without a line has no dot
    kept = json.loads(json.dumps(charts.map_base(segments)))  # the lines and dot positions, as stored
    assert charts.map_layout(segments, rows, kept) == layout

    def link(segment_id):  # a reader who may not open segment 3's list (none may: this test's choice)
        return f"/tickets?segment_id={segment_id}" if segment_id != 3 else None
    svg = str(charts.map_with_links(layout, link))
    # each dot opens what its tooltip counts: its segment's problems, not its 属地 unit's
    assert svg.count('<a href="/tickets?segment_id=1">') == 1 and svg.count('<a href="/tickets?segment_id=2">') == 1
    assert "segment_id=3" not in svg and svg.count("</a>") == 2 and svg.endswith("</svg>")
    assert "&lt;一&gt;路：在办3件，超期1件" in svg and "<一>" not in svg


def test_the_refresh_runs_before_the_stored_figures_expire(app):
    from inspect_app.dashboard.jobs import refresh_schedule

    for cache in (60, 300):
        app.config["DASHBOARD_CACHE_SECONDS"] = cache
        assert refresh_schedule(app)["interval"]["seconds"] < cache


def test_kept_daily_sums_add_up_to_a_fresh_count_after_todays_changes(app, tickets, city):
    """The month's new, closed and due tickets of the days before today are counted once a day; whatever happens
    today (a ticket due earlier closed on time today, one due today, a report today) must still show."""
    from datetime import timedelta

    def figures():
        by = services.breakdowns(services.containing(NOW, "month"), NOW)["by"]
        return {table: {key: (r.active, r.overdue, r.supervised, r.new, r.closed, r.due, r.on_time)
                        for key, r in rows.items() if table != "segment"} for table, rows in by.items()}

    app.config["DASHBOARD_SETTLED_SECONDS"] = 3600
    kept = figures()  # stores the daily sums
    assert kept["category"][city.niupixuan.id][5:] == (2, 1)  # due t1 (on time), t3
    t3 = tickets["t3"]
    t3.status, t3.closed_at = "closed", NOW - timedelta(hours=1)  # rectified late, closed today
    db.session.add(Ticket(number="2026-800099", year=2026, seq=80099, status="closed", category_id=city.niupixuan.id,
                          unit_id=city.street_b.id, segment_id=city.seg_b.id, reporter_id=city.inspector.id,
                          reported_at=NOW - timedelta(hours=9), deadline=NOW - timedelta(hours=3),
                          rectified_at=NOW - timedelta(hours=4), closed_at=NOW - timedelta(hours=2)))
    db.session.commit()
    after = figures()
    app.config["DASHBOARD_SETTLED_SECONDS"] = 0
    assert after == figures()  # the same as counting everything afresh
    assert after["category"][city.niupixuan.id][3:] == (5, 3, 3, 2)  # new +1; closed t1, t3, new; due +1 on time


def test_stored_figures_refer_to_the_kept_map_lines(app, client, city, tickets):
    """The map's lines change only with the segments: the stored figures carry the dots and the lines' key, and a
    page puts the lines back from this process, from the database, or (kept value gone) by drawing them again."""
    from unittest import mock

    from inspect_app.dashboard import web
    from inspect_app.dashboard.models import DashboardSnapshot

    app.config.update(DASHBOARD_CACHE_SECONDS=60, DASHBOARD_SETTLED_SECONDS=3600)
    services._MAP_BASES.clear()  # a fresh process: the refresh keeps the lines in the database
    services.refresh(NOW)
    db.session.commit()
    live = db.session.scalar(select(DashboardSnapshot.data_json).where(DashboardSnapshot.key == services.LIVE))
    assert "<circle" in live and '<path d="M' not in live  # dots stored, lines referred to
    assert db.session.scalar(select(DashboardSnapshot.data_json).where(DashboardSnapshot.key.like("map:%")))

    def page_map() -> str:
        html = client.get("/dashboard/").get_data(as_text=True)
        svg = html[html.index('<svg class="chart map"'):]
        return svg[:svg.index("</svg>")]

    sign_in(client, city.leader)
    with mock.patch.object(web, "now", lambda: NOW):
        drawn = page_map()
        assert '<path d="M' in drawn and "<circle" in drawn
        # all the lines in one path; the dots' shared stroke said once around them
        assert drawn.count("<path") == 1 and "<polyline" not in drawn and drawn.count(charts.DOTS) == 1
        services._MAP_BASES.clear()  # another process: the lines come from the database
        assert page_map() == drawn
        services._MAP_BASES.clear()
        db.session.execute(db.delete(DashboardSnapshot).where(DashboardSnapshot.key.like("map:%")))
        db.session.commit()
        assert page_map() == drawn  # gone from the database: drawn again from the segments


def test_the_years_outside_reports_add_up_to_what_came_in(city):
    """收到 the reports, then what became of them: 受理 (转办 and 并案), 不予受理 and 待审核 add up to it (the summary
    said 受理市民随手拍14件 counting the declined and the waiting as taken)."""
    from inspect_app.dashboard.year import summary_text, year_report
    from inspect_app.intake.models import IntakeItem

    counts = {("citizen", "accepted"): 10, ("citizen", "merged"): 1, ("citizen", "declined"): 2,
              ("citizen", "pending"): 1, ("hotline", "accepted"): 5}
    for (source, status), n in counts.items():
        for _ in range(n):
            db.session.add(IntakeItem(source=source, status=status, description="小广告",
                                      received_at=at("2026-06-01T09:00"), created_at=NOW, updated_at=NOW))
    db.session.commit()
    text = summary_text(year_report(2026, NOW))
    assert ("收到市民随手拍14件，受理11件（转办10件、并入已有问题1件）、不予受理2件、待审核1件；"
            "12345热线工单5件，受理5件。") in text
    assert "受理市民随手拍" not in text



def test_the_years_export_carries_the_outside_reports_as_the_page_shows_them(city, browser, clock):
    """(QA) The page's 市民参与 table has 不予受理 and its paragraph 待审核; the spreadsheet had neither (and left out
    转办 when nothing was decided yet). Each channel the office reviews has all five figures on the page and in
    the export; one it does not (媒体曝光) only what came in."""
    from inspect_app.dashboard.year import sheet_rows, year_report
    from inspect_app.intake.models import IntakeItem

    counts = {("citizen", "accepted"): 3, ("citizen", "merged"): 1, ("citizen", "declined"): 2,
              ("citizen", "pending"): 4, ("hotline", "pending"): 1, ("media", "accepted"): 1}
    for (source, status), n in counts.items():
        for _ in range(n):
            db.session.add(IntakeItem(source=source, status=status, description="小广告",
                                      received_at=at("2026-06-01T09:00"), created_at=NOW, updated_at=NOW))
    db.session.commit()
    rows = [row[1:] for row in sheet_rows(year_report(2026, NOW)) if row[0] == "市民参与"]
    assert rows[:10] == [
        ["市民随手拍收到（件）", 10], ["市民随手拍转办（件）", 3], ["市民随手拍并入已有问题（件）", 1],
        ["市民随手拍不予受理（件）", 2], ["市民随手拍待审核（件）", 4],
        ["12345热线收到（件）", 1], ["12345热线转办（件）", 0], ["12345热线并入已有问题（件）", 0],
        ["12345热线不予受理（件）", 0], ["12345热线待审核（件）", 1]]
    assert ["媒体曝光收到（件）", 1] in rows and not any(r[0].startswith("媒体曝光") and r[0] != "媒体曝光收到（件）"
                                                   for r in rows)
    clock.set(NOW)
    leader = browser(city.leader)
    page = leader.get("/dashboard/year?year=2026").get_data(as_text=True)
    assert "<th>不予受理</th><th>待审核</th>" in page
    assert "<td class=\"l\">市民随手拍</td><td>10</td><td>3</td><td>1</td><td>2</td><td>4</td>" in page
    assert "<td class=\"l\">媒体曝光</td><td>1</td><td>—</td><td>—</td><td>—</td><td>—</td>" in page
    from openpyxl import load_workbook
    cells = list(load_workbook(io.BytesIO(leader.get("/dashboard/year.xlsx?year=2026").data)).active.values)
    assert ("市民参与", "市民随手拍待审核（件）", 4) in cells and ("市民参与", "市民随手拍不予受理（件）", 2) in cells


def test_a_year_with_nothing_in_it_says_so(city, browser, clock):
    """(QA) A year without data read 2025年，市文明办通过日常督查等渠道共发现城市管理问题0件；应结案0件…: a channel
    that found nothing, rates of nothing. Such a year says plainly that there is no record; one where nothing was
    found but problems found before fell due says that."""
    from inspect_app.dashboard.year import summary_text, year_report

    nothing = "2025年，系统中没有问题发现、整改、督办、测评、红黑榜或市民参与等工作记录。"
    assert summary_text(year_report(2025, NOW)) == nothing
    clock.set(NOW)
    page = browser(city.leader).get("/dashboard/year?year=2025").get_data(as_text=True)
    assert nothing in page and "日常督查等渠道" not in page
    db.session.add(Ticket(number="2025-000001", year=2025, seq=1, status="assigned", source="daily",
                          category_id=city.niupixuan.id, unit_id=city.street_a.id, reporter_id=city.inspector.id,
                          reported_at=at("2025-12-30T09:00"), deadline=at("2026-01-02T18:00")))
    db.session.commit()
    assert summary_text(year_report(2026, NOW)).startswith(
        "2026年（截至11月25日），没有新发现城市管理问题；往年发现、本年到期应结案1件，已结案0件，结案率0%，"
        "按期结案0件，按期结案率0%。")
    assert summary_text(year_report(2025, NOW)).startswith("2025年，市文明办通过日常督查等渠道共发现城市管理问题1件；")


def test_the_years_figures_link_back_no_further_than_the_first_year_with_data(city, browser, clock):
    """(QA) 上一年 went back year by year with nothing in any of them, down to 2000, which linked 1999: 400 参数 year
    超出范围. It goes back to the first year with anything the page counts, and never to a year refused."""
    from inspect_app.intake.models import IntakeItem

    clock.set(NOW)
    leader = browser(city.leader)

    def years_linked(year: int) -> list[int]:
        page = leader.get(f"/dashboard/year?year={year}")
        assert page.status_code == 200
        return sorted(int(y) for y in re.findall(r'href="/dashboard/year\?year=(\d+)"', page.get_data(as_text=True)))

    assert years_linked(2026) == [] and years_linked(2000) == [2001]  # nothing yet: nothing to go back to
    db.session.add(Ticket(number="2024-000001", year=2024, seq=1, status="cancelled", source="daily",
                          category_id=city.niupixuan.id, reporter_id=city.inspector.id,
                          reported_at=at("2024-05-01T09:00")))  # voided: still counted (作废)
    db.session.commit()
    assert years_linked(2026) == [2025] and years_linked(2024) == [2025] and years_linked(2023) == [2024]
    db.session.add(IntakeItem(source="hotline", status="pending", description="噪音扰民",
                              received_at=at("2022-12-31T20:00"), created_at=NOW, updated_at=NOW))
    db.session.commit()
    assert years_linked(2023) == [2022, 2024] and years_linked(2022) == [2023]
    assert leader.get("/dashboard/year?year=1999").status_code == 400


def test_the_year_in_figures_counted_by_hand(tickets, city, browser):
    """The seven tickets above (six found in 2026, one voided) and three more at the year's edges, two letters,
    a summons held, one called off, a referral: each figure of the year and the paragraph written from them."""
    from test_rankings import escalate, interview, referral

    from inspect_app.dashboard.year import summary_text, year_report

    def add(n, reported, status, deadline, source="daily", rectified=None, closed=None):
        db.session.add(Ticket(number=f"2026-7{n:05d}", year=2026, seq=70000 + n, status=status, source=source,
                              category_id=city.niupixuan.id, unit_id=city.street_a.id, reporter_id=city.inspector.id,
                              reported_at=at(reported), deadline=at(deadline), rectified_at=rectified and at(rectified),
                              closed_at=closed and at(closed)))
        db.session.commit()

    add(1, "2026-06-01T09:00", "closed", "2026-06-02T18:00", "citizen", "2026-06-02T10:00", "2026-06-02T12:00")
    add(2, "2025-12-31T23:59:59", "assigned", "2026-01-01T23:59")   # the year before, by a second
    add(3, "2026-01-01T00:00:00", "assigned", "2026-01-02T00:00")   # the year's first second
    escalate(city.street_a, "2026-11-10T09:00")
    escalate(city.street_b, "2026-11-12T09:00", level=2)
    escalate(city.street_a, "2025-12-20T09:00")
    escalate(city.street_b, "2026-11-20T09:00", kind="bulletin")  # a 督查通报: not a 督办函
    interview(city.street_a, "2026-11-15T10:00")
    interview(city.street_b, "2026-11-16T10:00", status="cancelled")
    referral(city.street_b, "2026-11-18T10:00")
    from inspect_app.tickets.campaigns import Campaign
    db.session.add(Campaign(name="十一月牛皮癣清理", start_date=date(2026, 11, 1), end_date=date(2026, 11, 30),
                            created_at=NOW, categories=[city.niupixuan]))  # t1, t3, t4, voided t7: t1 closed
    db.session.commit()

    report = year_report(2026, NOW)
    p, e = report["problems"], report["escalation"]
    # found: t1-t6, the citizen's, the first second. 应结案 (deadline in the year and passed by NOW): t1 t2 t3 t5
    # t6, the citizen's, the year before's (due 1 January) and the first second's, not t4 (due tomorrow); closed of
    # those t1 t5 t6 and the citizen's; closed and rectified on time: t1 t5 and the citizen's (t3 and t6 were late)
    assert (p["found"], p["cancelled"], p["due"], p["due_closed"], p["on_time_closed"]) == (8, 1, 8, 4, 3)
    assert [(s["label"], s["found"]) for s in p["by_source"]] == [("日常督查", 7), ("市民随手拍", 1)]
    assert p["categories"][0] == {"name": "牛皮癣", "found": 6}
    assert p["districts"] == [{"name": "江城区", "found": 3}, {"name": "临江区", "found": 2}]
    assert (e["letters"], e["supervision"], e["listed"], e["units"], report["bulletins"]) == (2, 1, 1, 2, 1)
    assert (e["interviewed_units"], e["referrals"], e["rechecked"]) == (1, 1, 0)
    assert report["assessment"]["rounds"] == 0 and report["under_way"]
    text = summary_text(report)
    assert text.startswith("2026年（截至11月25日），市文明办通过日常督查、市民随手拍等渠道共发现城市管理问题8件；"
                           "应结案8件，已结案4件，结案率50%，按期结案3件，按期结案率37.5%；返工0次。"), text
    assert "下发督办函2期（其中挂牌督办1期），涉及责任单位2个、问题0件，已销号0件。印发督查通报1期。" in text
    assert "约谈责任单位1个，移交问责1起。" in text
    assert "测评" not in text and "红黑榜" not in text  # no round, no list: no sentence
    # as its own page counts: the voided duplicate is not a problem found, as in the year's 8
    assert text.endswith("开展“十一月牛皮癣清理”1项专项整治行动，发现整治问题3件。")
    assert year_report(2025, NOW)["problems"]["found"] == 1
    assert (report["inspectors"]["people"], report["inspectors"]["found"]) == (1, 8)
    assert "返工0次。1名督查员上报问题8件。下发督办函" in text  # no verification yet: no clause for it
    from inspect_app.intake.models import IntakeItem
    for n, status in enumerate(("accepted", "pending"), start=1):  # a province's feedback list, one item handed on
        db.session.add(IntakeItem(source="superior", status=status, case_number=f"省级测评反馈问题清单第{n}条",
                                  description="无洗手液", received_at=at("2026-11-20T09:00"), created_at=NOW,
                                  updated_at=NOW))
    db.session.commit()
    assert "收到上级测评反馈问题2件，已交办责任单位整改1件。" in summary_text(year_report(2026, NOW))

    leader = browser(city.leader)
    page = leader.get("/dashboard/year?year=2026").get_data(as_text=True)
    assert "2026年度工作数据" in page and "年度总结摘要" in page and "市文明办通过日常督查" in page
    assert "33.3%" in page and "built-in" not in page  # the campaign's 结案率: 1 of its 3
    assert "11月1日至11月30日" in page and "2026年1月1日至11月25日 10:00（年度进行中）" in page
    assert "年度工作数据" in leader.get("/dashboard/").get_data(as_text=True)  # linked from the dashboard
    assert leader.get("/dashboard/year?year=2999").status_code == 400  # http.int_arg, as every query argument
    sheet = leader.get("/dashboard/year.xlsx?year=2025")  # a finished year, as a statistics table
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    from openpyxl import load_workbook
    cells = list(load_workbook(io.BytesIO(sheet.data)).active.values)
    assert cells[0] == ("板块", "指标", "数值") and ("问题发现与整改", "发现问题（件）", 1) in cells
    from inspect_app.dashboard.year import sheet_rows
    rows = sheet_rows(report)
    assert ["问题发现与整改", "按期结案率（%）", 37.5] in rows and ["督办问责", "督办函（期）", 2] in rows
    assert ["督办问责", "督查通报（期）", 1] in rows and ["专项整治行动", "十一月牛皮癣清理：发现问题（件）", 3] in rows
    assert ["专项整治行动", "十一月牛皮癣清理：已结案（件）", 1] in rows  # as the page: closed, and the rate
    assert ["专项整治行动", "十一月牛皮癣清理：结案率（%）", 33.3] in rows
    assert ["督查工作", "督查员上报问题（件）", 8] in rows and ["督查工作", "平均核查用时（小时）", ""] in rows
    assert "督查工作" in page and "/workload/?from=2026-01-01&amp;to=2026-11-25" in page
    assert browser(city.inspector).get("/dashboard/year").status_code == 403
    # a district's own action over the same weeks finds the same problems again: two actions, still 3 problems
    # (each campaign's total added up said 6)
    db.session.add(Campaign(name="江城区牛皮癣复查", start_date=date(2026, 11, 1), end_date=date(2026, 11, 30),
                            created_at=NOW, categories=[city.niupixuan]))
    db.session.commit()
    again = year_report(2026, NOW)
    assert [c["total"] for c in again["campaigns"]] == [3, 3] and again["campaign_problems"] == 3
    assert summary_text(again).endswith("2项专项整治行动，发现整治问题3件。")
    assert "各行动共发现问题 3 件（同属几项行动的问题计一次）" in leader.get("/dashboard/year?year=2026").get_data(as_text=True)
    assert ["专项整治行动", "各行动共发现问题（件，同属几项行动的问题计一次）", 3] in sheet_rows(again)


def test_the_years_figures_across_new_year(app, city, browser, clock):
    """Written up in early January: December's red/black list (out on 4 January) and week 53 are 2026's; a
    campaign from 15 December to 15 January counts, in each year, the problems it found in that year; and the
    page opens on 2026 until 15 January."""
    from inspect_app.dashboard.year import report_year, summary_text, year_report
    from inspect_app.rankings import services as rankings
    from inspect_app.rankings.periods import parse_period
    from inspect_app.tickets.campaigns import Campaign

    for n, (reported, status) in enumerate((("2026-12-20T10:00", "closed"), ("2027-01-03T10:00", "closed"),
                                            ("2027-01-04T10:00", "assigned")), start=1):
        db.session.add(Ticket(number=f"2026-8{n:05d}", year=2026, seq=80000 + n, status=status, source="daily",
                              category_id=city.niupixuan.id, unit_id=city.street_a.id, reporter_id=city.inspector.id,
                              reported_at=at(reported), deadline=at("2027-01-10T18:00")))
    db.session.add(Campaign(name="岁末年初牛皮癣清理", start_date=date(2026, 12, 15), end_date=date(2027, 1, 15),
                            created_at=at("2026-12-14T10:00"), categories=[city.niupixuan]))
    db.session.commit()
    rankings.publish(parse_period("2026-12"), at("2027-01-04T09:00"), user=city.admin)
    rankings.publish(parse_period("2026-W53"), at("2027-01-04T09:00"), user=city.admin)
    db.session.commit()

    moment = at("2027-01-05T10:00")
    last, this = year_report(2026, moment), year_report(2027, moment)
    assert (last["rankings"]["monthly"], last["rankings"]["weekly"]) == (1, 1)
    assert (this["rankings"]["monthly"], this["rankings"]["weekly"]) == (0, 0)
    assert [(c["total"], c["closed"], c["spans_years"]) for c in last["campaigns"]] == [(1, 1, True)]
    assert [(c["total"], c["closed"]) for c in this["campaigns"]] == [(2, 1)]
    assert this["problems"]["found"] == 2 and "发现整治问题2件" in summary_text(this)
    assert "红黑榜" not in summary_text(this) and "发布红黑榜月榜1期、周榜1期" in summary_text(last)

    assert report_year(at("2027-01-15T23:59")) == 2026 and report_year(at("2027-01-16T00:00")) == 2027
    assert report_year(at("2026-12-31T23:59")) == 2026
    clock.set("2027-01-05T10:00")
    page = browser(city.leader).get("/dashboard/year").get_data(as_text=True)
    assert "2026年度工作数据" in page and "2026年12月15日至2027年1月15日" in page  # one date style, days unpadded
    assert "跨年度的行动只计2026年内发现的问题" in page
    assert 'href="/dashboard/year?year=2027"' in page
    this_year = browser(city.leader).get("/dashboard/year?year=2027").get_data(as_text=True)
    assert "2027年1月1日至1月5日 10:00（年度进行中）" in this_year and "01月05日" not in this_year
    assert "2026年12月15日至2027年1月15日" in this_year
    clock.set("2027-01-16T10:00")
    assert "2027年度工作数据" in browser(city.leader).get("/dashboard/year").get_data(as_text=True)


def test_the_year_end_card_on_the_offices_work_page(clock, city, browser, make_ticket):
    """From 1 December to 15 January the office's first page lists what the year's end asks of it: the monthly
    lists owed since its first problem (an office at work since November owes no list for January)."""
    from inspect_app.dashboard.year import year_end_tasks
    from inspect_app.workdays.models import Holiday

    assert year_end_tasks(at("2026-11-30T23:59")) is None and year_end_tasks(at("2027-01-16T00:00")) is None
    assert year_end_tasks(at("2027-01-15T23:59"))["year"] == 2026
    assert year_end_tasks(at("2026-12-02T09:00"))["missing"] == []  # no problem yet: December's list only
    make_ticket()  # 25 November
    clock.set("2026-12-02T09:00:00+08:00")
    office = browser(city.admin)
    page = office.get("/office/work").get_data(as_text=True)
    assert "2026年底工作" in page and "2027年节假日安排尚未录入" in page
    # the city's problems start in November: two lists owed, November's not out yet
    assert "2026年月榜已发布 0/2 期（自11月起有问题记录），尚未发布：11月；12月月榜于次年1月第一个工作日发布" in page
    assert "系统还没有 2027 年的节假日安排" not in page  # the card says it; the banner is not repeated
    assert "考评结果通报（草稿）" not in page  # nothing published to sum up yet
    from inspect_app.workdays.calendar import statutory_days
    for day, name in statutory_days(2027).items():  # the notice entered: every day off the law fixes among them
        db.session.add(Holiday(day=day, kind="holiday", name=name))
    db.session.commit()
    from inspect_app.rankings import services as rankings
    from inspect_app.rankings.periods import parse_period
    rankings.publish(parse_period("2026-11"), at("2026-12-01T01:10"), user=city.admin)
    db.session.commit()
    page = office.get("/office/work").get_data(as_text=True)
    assert "✓ 2027年节假日安排已录入" in page and "2026年月榜已发布 1/2 期（自11月起有问题记录）；12月" in page
    assert 'href="/rankings/year.pdf?year=2026">考评结果通报（草稿）' in page
    clock.set("2026-11-30T09:00:00+08:00")
    db.session.delete(db.session.get(Holiday, date(2027, 2, 5)))
    db.session.commit()
    page = office.get("/office/work").get_data(as_text=True)
    assert "年底工作" not in page and "系统还没有 2027 年的节假日安排" in page  # November: the banner alone


def test_the_black_list_on_the_dashboard_says_the_score_and_what_put_the_unit_there(client, city, tickets):
    """Each black-listed unit: its score and what put it there (超期, 挂牌督办, …), not every deduction of its
    reason, which the list's page and 通报 give in full."""
    from inspect_app.rankings import services as rankings
    from inspect_app.rankings.periods import parse_period

    ranking = rankings.publish(parse_period("2026-11"), at("2026-12-01T01:10"), user=city.admin)
    black = [e for e in ranking.entries if e.list_name == "black"]
    assert black
    sign_in(client, city.admin)
    html = client.get("/dashboard/").get_data(as_text=True)
    for entry in black:
        shown = re.sub(r"<[^>]+>", "", re.search(rf'>{entry.unit_name}</a>\s*<small>(.*?)</small>', html).group(1))
        assert shown.startswith(f"{entry.score:.1f}分") and "合计" not in shown and "扣分" not in shown
        if entry.figures.get("overdue"):
            assert f"超期{entry.figures['overdue']}件" in shown


def test_the_years_rates_are_over_the_problems_due_as_the_dashboards(tickets, city, browser):
    """结案率 and 按期结案率 divide by 应结案 (deadline in the year and passed), as DOMAIN.md and the 领导看板 do: two
    problems found this week with their deadlines still to come are not yet owed. They divided by every problem
    found (the demo city: 348 found, 322 due), which the page named 按期整改率."""
    from inspect_app.dashboard.year import sheet_rows, summary_text, year_report

    for n in (1, 2):
        db.session.add(Ticket(number=f"2026-6{n:05d}", year=2026, seq=60000 + n, status="assigned", source="daily",
                              category_id=city.niupixuan.id, unit_id=city.street_a.id, reporter_id=city.inspector.id,
                              reported_at=at("2026-11-24T09:00"), deadline=at("2026-12-20T18:00")))
    db.session.commit()
    p = year_report(2026, NOW)["problems"]
    # found t1-t6 and these two; due t1 t2 t3 t5 t6 (t4 tomorrow): closed t1 t5 t6, on time t1 t5
    assert (p["found"], p["due"], p["due_closed"], p["on_time_closed"]) == (8, 5, 3, 2)
    assert (p["closed_rate"], p["on_time_rate"]) == (0.6, 0.4)
    board = services.dashboard_data(NOW)
    assert board["this"]["due"] + board["last"]["due"] == p["due"]  # the 领导看板's months, added up
    assert "应结案5件，已结案3件，结案率60%，按期结案2件，按期结案率40%" in summary_text(year_report(2026, NOW))
    rows = sheet_rows(year_report(2026, NOW))
    assert ["问题发现与整改", "应结案（件）", 5] in rows and ["问题发现与整改", "结案率（%）", 60.0] in rows
    assert ["问题发现与整改", "按期结案率（%）", 40.0] in rows
    page = browser(city.leader).get("/dashboard/year?year=2026").get_data(as_text=True)
    assert "<span>应结案</span><b>5</b>" in page and "按期结案率 40%" in page and "按期整改率" not in page


def test_problems_without_a_segment_stay_last_in_the_district_table_whatever_the_sort(client, city, tickets):
    """「未定位路段」 is not a district: sorted by name it fell among them (临江区, 未定位路段, 江城区)."""
    db.session.add(Ticket(number="2026-899998", year=2026, seq=89998, status="assigned", category_id=city.niupixuan.id,
                          unit_id=city.street_a.id, reporter_id=city.inspector.id, reported_at=at("2026-11-20T09:00"),
                          deadline=at("2026-11-21T18:00")))
    db.session.commit()
    sign_in(client, city.leader)
    for sort in ("name", "-name", "-overdue", "overdue", "-active"):
        page = client.get(f"/dashboard/?d={sort}").get_data(as_text=True)
        table = page[page.index('id="t-d"'):]
        table = table[:table.index("</table>")]
        names = [n for n in ("临江区", "江城区", "未定位路段") if n in table]
        assert sorted(names, key=table.index)[-1] == "未定位路段" and len(names) == 3, (sort, names)


def test_the_stand_in_rows_stay_last_in_the_category_and_unit_tables_whatever_the_sort(client, city, tickets,
                                                                                        monkeypatch):
    """Walker: 待派遣 (problems no unit has yet) ranked among the units, first by 在办 and by name, and 未知类别 among
    the categories: neither is a unit or a category. They stay last whatever the sort, as 未定位路段 does in the
    district table; 待派遣 is shown after the first units when the table is cut short (显示全部), never left out."""
    from inspect_app.dashboard import web

    for n in range(3):  # three waiting for dispatch: the most 在办 of any row
        db.session.add(Ticket(number=f"2026-89990{n}", year=2026, seq=89990 + n, status="pending",
                              category_id=city.niupixuan.id, reporter_id=city.inspector.id,
                              reported_at=at("2026-11-20T09:00"), deadline=None))
    db.session.commit()
    kept = services.reference()
    categories = {k: v for k, v in kept.categories.items() if k != city.spider.id}  # t2's category: unknown
    monkeypatch.setattr(services, "reference", lambda: kept._replace(categories=categories))
    sign_in(client, city.leader)

    def names(page: str, table: str) -> list[str]:
        body = page[page.index(f'id="t-{table}"'):]
        body = body[:body.index("</table>")]
        return [name.strip() for name in re.findall(r'<td class="l">\s*(?:<a[^>]*>)?([^<]+)', body)]

    for sort in ("name", "-name", "-overdue", "overdue", "-active", "active", "-new"):
        page = client.get(f"/dashboard/?c={sort}&u={sort}").get_data(as_text=True)
        units, categories_shown = names(page, "u"), names(page, "c")
        assert units[-1] == "待派遣" and units.count("待派遣") == 1 and len(units) > 2, (sort, units)
        assert categories_shown[-1] == "未知类别" and len(categories_shown) > 2, (sort, categories_shown)
    monkeypatch.setattr(web, "UNIT_ROWS", 1)
    page = client.get("/dashboard/?u=-active").get_data(as_text=True)
    assert len(names(page, "u")) == 2 and names(page, "u")[-1] == "待派遣" and "显示全部" in page


def test_units_equal_on_the_sorted_field_keep_more_active_first_either_way(app):
    """?u=-overdue: among units with equal 超期, more 在办 first, as with ?u=overdue (the tie-breaker was reversed
    with the main sort: the unit with the least in hand came first)."""
    from types import SimpleNamespace

    from inspect_app.dashboard.web import sorted_rows

    rows = [SimpleNamespace(code=code, name=code, overdue=overdue, active=active, on_time_rate=rate)
            for code, overdue, active, rate in (("A", 2, 1, 0.5), ("B", 2, 5, None), ("C", 3, 0, 0.5), ("D", 2, 3, 1))]
    assert [r.code for r in sorted_rows(rows, "overdue", True)] == ["C", "B", "D", "A"]
    assert [r.code for r in sorted_rows(rows, "overdue", False)] == ["B", "D", "A", "C"]
    assert [r.code for r in sorted_rows(rows, "on_time_rate", True)] == ["D", "A", "C", "B"]  # no rate: last


# ----------------------------------------------------------------------------- 文明测评 and 问卷调查 cards

import test_assessment  # noqa: E402 - its round helpers and its `world` fixture, shared
import test_surveys  # noqa: E402 - its questionnaire helpers

world = test_assessment.world


def _card(html: str, label: str) -> str:
    start = html.index(f'<section class="card" aria-label="{label}">')
    return html[start:html.index("</section>", start)]


def _kpi(card: str, label: str) -> tuple[str, str]:
    """(figure, small line) of the card's kpi named `label`, as text."""
    found = re.search(rf"<span>{label}</span><b[^>]*>(.*?)</b><small>(.*?)</small>", card, re.S)
    assert found, label
    return tuple(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", part)).strip() for part in found.groups())


def _listed(browser_, url: str) -> int:
    page = browser_.get(url.replace("&amp;", "&")).get_data(as_text=True)
    return int(re.search(r"<small>(\d+) 件</small>", page).group(1))


def test_the_assessment_card_shows_the_latest_rounds_figures_as_its_pages_do(api, browser, city, world, clock, now):
    """文明测评 (实地考察): the latest scored round's average, 较上轮, 不达标项, its 整改任务 (not closed, overdue)
    and its lowest district and unit, each figure the one the round's scores page (or the list it opens) shows."""
    from datetime import timedelta

    from inspect_app.assessment.models import ChecklistItem, Result, Round, RoundSite

    first_id, _ = test_assessment.run_round(api, city, world)  # 97.83
    clock.set(now + timedelta(hours=1))
    # the second 模拟测评: 临江区's market fails 无活禽散养 too: (95 + 97 + 98 + 97 + 97 + 100) / 6 = 97.33, ↓0.5
    answers = {**test_assessment.ANSWERS, ("农贸市场", "临江区"): {"NM-01": True, "NM-02": False, "NM-03": True}}
    second_id, _ = test_assessment.run_round(api, city, world, answers=answers)
    # one of its problems closed since, and a day and a half later the 24-hour ones are overdue
    closed = db.session.scalar(select(Ticket).join(Result, Result.ticket_id == Ticket.id)
                               .join(RoundSite, RoundSite.id == Result.round_site_id).join(ChecklistItem)
                               .where(RoundSite.round_id == second_id, ChecklistItem.code == "NM-01"))
    closed.status, closed.closed_at = "closed", now + timedelta(hours=2)  # a 3 working days' one
    db.session.commit()
    clock.set(now + timedelta(hours=36))
    leader = browser(city.leader)
    card = _card(leader.get("/dashboard/").get_data(as_text=True), "文明测评")
    rnd = db.session.get(Round, second_id)
    assert f'href="/assessment/rounds/{second_id}">测试轮次</a>（模拟测评）' in card and rnd.dates in card
    scores_page = leader.get(f"/assessment/rounds/{second_id}/scores").get_data(as_text=True)
    shown = re.search(r"<div><b>([\d.]+)</b><span>平均得分", scores_page).group(1)
    assert _kpi(card, "平均得分") == (shown, "满分100 · 已测评 6/6 个点位") and shown == "97.3"
    change = re.search(r'<div><b><span class="down">(↓[\d.]+)</span></b><span>较上轮', scores_page).group(1)
    assert _kpi(card, "较上轮") == (change, "测试轮次 97.8分") and change == "↓0.5"
    failed = re.search(r'<div class="err"><b>(\d+)</b><span>不达标项', scores_page).group(1)
    assert _kpi(card, "不达标项") == (failed, "全部达标点位 1 个") and failed == "8"
    # 整改任务: every failure became one; 未结案 and 超期 as the ticket list counts them, which the figures open
    assert _kpi(card, "整改任务") == ("8", "未结案 7 · 超期 5")  # NM-02 ×2, BJ-01 ×2 and GC-01: 24 hours
    for url, figure in ((f"/tickets?round_id={second_id}", 8), (f"/tickets?round_id={second_id}&amp;status=open", 7),
                        (f"/tickets?round_id={second_id}&amp;overdue=1", 5)):
        assert f'<a href="{url}">{figure}</a>' in card and _listed(leader, url) == figure
    # the lowest district as the page lists it: 江城区 (95 + 98 + 97) / 3, its five failures one list
    assert _kpi(card, "得分最低区县") == ("江城区", "96.7分 · 不达标 5 项")
    assert f'href="/assessment/rounds/{second_id}/scores#by_district">江城区</a>' in card
    assert 'id="by_district"' in scores_page and 'id="by_unit"' in scores_page
    district_list = re.search(r'<a href="(/tickets\?round_id=\d+&amp;site_district=[^"]+)">5</a>', card).group(1)
    assert _listed(leader, district_list) == 5
    first_unit = api.get(f"/api/v1/rounds/{second_id}/scores", city.admin).get_json()["by_unit"][0]
    assert _kpi(card, "得分最低单位")[0].startswith(first_unit["name"])
    assert first_id != second_id and f"/assessment/rounds/{first_id}\"" not in card  # the latest round only


def test_the_lowest_district_or_unit_is_named_only_where_scores_differ():
    from inspect_app.assessment.scores import lowest, lowest_unit

    def group(score):
        return {"sites": 1, "score": score, "failed": 0, "full_marks": 1}

    assert lowest({"甲区": group(98.0), "乙区": group(96.5), "丙区": group(96.5)}) == ("丙区", group(96.5), 2)
    assert lowest({"甲区": group(98.0), "乙区": group(98.0)}) is None  # nobody lower than anybody
    assert lowest({"甲区": group(90.0)}) is None and lowest({}) is None
    units = [{"name": "A", "score": 97.0}, {"name": "B", "score": 97.0}, {"name": "C", "score": 99.5}]
    assert lowest_unit(units) == (units[0], 2) and lowest_unit(units[2:]) is None
    assert lowest_unit([units[0], units[1]]) is None


def test_the_survey_card_shows_the_latest_answered_survey_as_its_page_does(monkeypatch, browser, city, now, clock):
    """问卷调查: the newest questionnaire with answers, its answers, the city's 综合肯定率 and 较上期, and the district
    lagging on the 综合, as the survey's results page shows them; a newer questionnaire nobody answered is passed by."""
    from datetime import timedelta

    from inspect_app.surveys import services as surveys

    monkeypatch.setattr(surveys, "SMALL_SAMPLE", 2)
    before = test_surveys.make_survey(city, now - timedelta(days=90), title="第三季度")
    for answers in ([0, 0, 0], [1, 2, 0]):  # 江城区: 知道 50%, 满意 50%
        test_surveys.answer_directly(before, "江城区", answers, now - timedelta(days=80))
    after = test_surveys.make_survey(city, now - timedelta(days=2), title="第四季度")
    for district, answers in (("江城区", [0, 0, 0]), ("江城区", [0, 1, 0]), ("临江区", [1, 2, 0]),
                              ("临江区", [0, 3, 0])):
        test_surveys.answer_directly(after, district, answers, now)
    test_surveys.make_survey(city, now, title="第五期（未发放）")  # newer, no answers yet
    # 江城区 100% on both; 临江区 50% and 0%: 25%; the city 75% and 50%: 62.5%, 12.5 points up on 50%
    leader = browser(city.leader)
    card = _card(leader.get("/dashboard/").get_data(as_text=True), "问卷调查")
    assert f'<a href="/surveys/{after.id}">第四季度</a> · 收集中' in card and "第五期" not in card
    page = leader.get(f"/surveys/{after.id}").get_data(as_text=True)
    answers, rate = re.search(r"<div><b>(\d+)</b><span>有效答卷（份）</span></div>\s*<div><b>([^<]+)</b>",
                              page).groups()
    assert _kpi(card, "有效答卷")[0] == answers == "4"
    figure, line = _kpi(card, "综合肯定率")
    assert figure == rate == "62.5%"
    city_row = page[page.index('<tr class="total">'):]
    change = re.search(r'data-label="较上期"><span class="up">(↑[\d.]+)</span>', city_row).group(1)
    assert line == f"较上期 {change}个百分点" and change == "↑12.5"
    lagging = re.search(r'<td class="lead">([^<]+?)(?: <small[^<]*</small>)?</td>\s*'
                        r'<td class="num-col" data-label="有效答卷">\d+</td>\s*'
                        r'<td class="num-col" data-label="综合"><b class="down">', page).group(1)
    assert _kpi(card, "明显偏低的区县") == (lagging, "综合 25.0%") and lagging == "临江区"
    assert f'href="/surveys/{after.id}#districts"' in card and 'id="districts"' in page


def test_the_survey_cards_change_over_the_shared_questions_only_says_so(browser, city, now):
    """The previous survey's 综合 100%, this one's 50.0% on other questions but one: the card showed 较上期 ↓100.0
    个百分点 under the 综合 (the one shared question's change, not the 综合's −50), unlike the page's note."""
    from datetime import timedelta

    before = test_surveys.make_survey(city, now - timedelta(days=90), title="第三季度")
    test_surveys.answer_directly(before, "江城区", [0, 1, 0], now - timedelta(days=80))  # 100 and 100
    after = test_surveys.make_survey(city, now - timedelta(days=2), title="第四季度",
                                     questions="您对市容环境卫生是否满意？\n*满意\n不满意\n\n您是否支持创建？\n*支持\n不支持")
    test_surveys.answer_directly(after, "江城区", [1, 0], now)  # 满意 0, 支持 100
    card = _card(browser(city.leader).get("/dashboard/").get_data(as_text=True), "问卷调查")
    assert _kpi(card, "综合肯定率") == ("50.0%", "两期相同的 1 道题较上期 ↓100.0个百分点")


@pytest.mark.parametrize("role", ["unit_a", "inspector"])
def test_the_assessment_cards_are_the_leaders_and_the_offices(api, browser, city, world, clock, now, role):
    """The 看板 is the leaders' and the office's: a unit or an inspector is refused the page, and the cards have
    nothing for a unit (it may open neither the rounds nor the surveys)."""
    from datetime import timedelta

    from inspect_app.dashboard import cards

    test_assessment.run_round(api, city, world)
    test_surveys.answer_directly(test_surveys.make_survey(city, now), "江城区", [0, 0, 0], now)
    user = getattr(city, role)
    response = browser(user).get("/dashboard/")
    assert response.status_code == 403 and 'aria-label="文明测评"' not in response.get_data(as_text=True)
    later = now + timedelta(hours=1)  # the round was made at `now` and a moment
    if role == "unit_a":
        assert cards.assessment_card(user, later) is None and cards.survey_card(user) is None
    for office in (city.admin, city.leader):
        assert cards.assessment_card(office, later)["round"] is not None and cards.survey_card(office)["survey"]


def test_before_any_round_or_answer_the_cards_say_so_in_a_line(browser, city, now, clock):
    test_surveys.make_survey(city, now)  # a questionnaire, not answered yet
    page = browser(city.leader).get("/dashboard/").get_data(as_text=True)
    assert '<p class="empty">还没有测评结果。<a href="/assessment/rounds">去文明测评</a></p>' in page
    assert '<p class="empty">还没有问卷答卷。<a href="/surveys/">去问卷调查</a></p>' in page
