"""红黑榜 against the database: every figure by hand, midnight boundaries, snapshots, publishing, API, PDF, CLI, jobs."""
from __future__ import annotations

import re

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from conftest import sign_in, at, processed
from pypdf import PdfReader
from sqlalchemy import func, select

from inspect_app.extensions import db
from inspect_app.rankings import services
from inspect_app.rankings.jobs import is_first_workday_of_month, publish_scheduled
from inspect_app.rankings.models import Ranking, RankingEntry, SnapshotImmutable
from inspect_app.rankings.periods import parse_period
from inspect_app.tickets.models import Ticket
from inspect_app.units.models import Unit

NOV = parse_period("2026-11")
AFTER_NOV = at("2026-12-01T10:00:00")  # when the November list is published


class Maker:
    """Tickets written straight into the table with exactly the fields a figure depends on."""

    def __init__(self, city):
        self.city, self.n = city, 0

    def __call__(self, unit, deadline: str, status: str = "closed", rectified: str | None = None,
                 closed: str | None = None, rework: int = 0, extension: int = 0, level: int = 0,
                 category=None, reported: str | None = None) -> Ticket:
        self.n += 1
        due = at(deadline)
        if status == "closed" and closed is None:
            rectified = rectified or (due - timedelta(hours=2)).isoformat()
            closed = (at(rectified) + timedelta(hours=1)).isoformat()
        ticket = Ticket(number=f"2026-9{self.n:05d}", year=2026, seq=90000 + self.n, status=status,
                        category_id=(category or self.city.niupixuan).id, unit_id=unit.id if unit else None,
                        reporter_id=self.city.inspector.id, reported_at=at(reported) if reported else due - timedelta(days=1),
                        deadline=due, rectified_at=at(rectified) if rectified else None,
                        closed_at=at(closed) if closed else None, rework_count=rework, extension_count=extension,
                        escalation_level=level)
        db.session.add(ticket)
        db.session.commit()
        return ticket


@pytest.fixture
def add(city):
    return Maker(city)


@pytest.fixture
def street_a_november(city, add):
    """Unit 甲街道: every kind of ticket, with what each counts for."""
    a = city.street_a
    t = {
        "on_time": add(a, "2026-11-05T18:00", rectified="2026-11-05T10:00"),
        "late": add(a, "2026-11-06T18:00", rectified="2026-11-07T09:00", rework=1),
        "rework_ext": add(a, "2026-11-20T18:00", rectified="2026-11-19T09:00", closed="2026-11-21T09:00",
                          rework=2, extension=1),
        "overdue_l1": add(a, "2026-11-15T18:00", status="assigned", level=1),
        "overdue_l2": add(a, "2026-11-25T18:00", status="disputed", level=2),
        "rectified_late": add(a, "2026-11-10T18:00", status="rectified", rectified="2026-11-12T09:00"),
        "cancelled": add(a, "2026-11-10T18:00", status="cancelled"),
        "december": add(a, "2026-12-01T00:00:00"),  # midnight opens December
        "last_second": add(a, "2026-11-30T23:59:59", rectified="2026-11-30T20:00"),
        "october": add(a, "2026-10-31T23:59:59"),
        "first_second": add(a, "2026-11-01T00:00:00", status="assigned"),
        "pending_no_unit": add(None, "2026-11-12T18:00", status="pending"),
    }
    return t


def test_every_figure_by_hand(city, street_a_november):
    t = street_a_november
    figures = services.unit_figures(NOV, AFTER_NOV)
    a = figures[city.street_a.id]
    assert a.as_dict() == {
        "due": 8,                 # on_time, late, rework_ext, overdue_l1, overdue_l2, rectified_late, last_second, first_second
        "closed": 4,              # on_time, late, rework_ext, last_second
        "on_time": 3,             # on_time, rework_ext (rectified before the deadline, closed after), last_second
        "rework": 3,              # 1 + 2
        "extended": 1,            # rework_ext
        "overdue": 3,             # overdue_l1, overdue_l2, first_second (rectified_late waits for the check)
        "supervised": 2, "listed": 1, "overdue_supervised": 2,
        "closed_rate": 0.5, "on_time_rate": 0.375, "rework_rate": 0.375, "extension_rate": 0.125,
        "overdue_rate": 0.375,
    }
    assert None not in figures  # tickets never dispatched are nobody's
    ids = services.ticket_ids_by_unit(NOV, AFTER_NOV)[city.street_a.id]
    names = {ticket.id: name for name, ticket in t.items()}
    assert sorted(names[i] for i in ids["on_time"]) == ["last_second", "on_time", "rework_ext"]
    assert sorted(names[i] for i in ids["overdue"]) == ["first_second", "overdue_l1", "overdue_l2"]
    assert sorted(names[i] for i in ids["listed"]) == ["overdue_l2"]
    assert sorted(names[i] for i in ids["rework"]) == ["late", "rework_ext"]
    assert len(ids["due"]) == 8 and "december" not in {names[i] for i in ids["due"]}

    computed = services.compute(NOV, AFTER_NOV)
    entry = next(e for e in computed.entries if e.unit.id == city.street_a.id)
    # 0.375×50 + 0.5×30 + 0.625×10 + (10 − 0.5×2 − 1) = 18.75 + 15 + 6.25 + 8
    assert entry.score == 48.0
    assert entry.rank == 1 and entry.list_name == "black"  # below 60, and a 挂牌 ticket
    assert entry.reason == "2件超期经督办仍未整改（挂牌督办1件），另有1件超期未结，按期结案率37.5%，返工3次"
    others = {e.unit.code: e for e in computed.entries if e.unit.id != city.street_a.id}
    assert all(e.insufficient and e.figures.due == 0 for e in others.values())


def test_a_mid_period_preview_counts_only_deadlines_already_passed(city, add):
    a = city.street_a
    add(a, "2026-11-05T18:00")
    add(a, "2026-11-20T18:00", status="assigned")  # not yet due on the 15th
    mid = services.unit_figures(NOV, at("2026-11-15T12:00"))[city.street_a.id]
    assert (mid.due, mid.closed, mid.overdue) == (1, 1, 0)
    assert services.unit_figures(NOV, AFTER_NOV)[city.street_a.id].overdue == 1


def test_week_boundaries_at_shanghai_midnight(city, add):
    a = city.street_a
    add(a, "2026-11-22T23:59:59")   # Sunday of W47
    add(a, "2026-11-23T00:00:00")   # Monday of W48
    add(a, "2026-11-29T23:59:59")   # Sunday of W48
    add(a, "2026-11-30T00:00:00")   # Monday of W49
    figures = services.unit_figures(parse_period("2026-W48"), AFTER_NOV)
    assert figures[city.street_a.id].due == 2


def test_tickets_follow_their_unit_and_units_are_all_listed(city, add):
    add(city.street_a, "2026-11-05T18:00")
    add(city.street_b, "2026-11-05T18:00", status="assigned")
    computed = services.compute(NOV, AFTER_NOV)
    assert sorted(e.unit.code for e in computed.entries) == ["JDA", "JDB", "JJ", "SZ"]
    retired = Unit(code="OLD", name="已撤销单位", active=False)
    db.session.add(retired)
    db.session.commit()
    assert "OLD" not in {e.unit.code for e in services.compute(NOV, AFTER_NOV).entries}
    add(retired, "2026-11-06T18:00")
    assert "OLD" in {e.unit.code for e in services.compute(NOV, AFTER_NOV).entries}


# ----------------------------------------------------------------------------- publishing and snapshots

def _three_units(city, add):
    """甲: 3 on time (100); 乙: 3 due, 1 closed on time, 2 overdue at level 1 (…); 交警: 2 due (样本不足)."""
    for day in (3, 4, 5):
        add(city.street_a, f"2026-11-{day:02d}T18:00")
    add(city.street_b, "2026-11-03T18:00")
    add(city.street_b, "2026-11-04T18:00", status="assigned", level=1)
    overdue = add(city.street_b, "2026-11-05T18:00", status="assigned", level=1)
    add(city.police, "2026-11-05T18:00")
    add(city.police, "2026-11-06T18:00")
    return overdue


def test_publish_stores_an_immutable_snapshot_and_new_versions(city, add):
    overdue = _three_units(city, add)
    first = services.publish(NOV, AFTER_NOV, user=city.admin)
    assert (first.version, first.period, first.kind) == (1, "2026-11", "month")
    entries = {e.unit_code: e for e in first.entries}
    assert entries["JDA"].score == 100.0 and entries["JDA"].list_name == "red" and entries["JDA"].rank == 1
    # 乙: 1/3×50 + 1/3×30 + 10 + (10 − 1) = 45.67
    assert entries["JDB"].score == 45.67 and entries["JDB"].list_name == "black"
    assert entries["JDB"].reason == "2件超期经督办仍未整改，按期结案率33.3%"
    assert entries["JJ"].insufficient and entries["JJ"].rank is None
    assert entries["JDB"].ticket_ids["overdue"] == sorted(entries["JDB"].ticket_ids["overdue"])
    assert overdue.id in entries["JDB"].ticket_ids["overdue"]
    assert first.formula_text.startswith("综合得分 = 按期结案率×50")

    # Later the overdue ticket is closed late and renamed units are renamed: version 1 does not move.
    overdue.status, overdue.rectified_at, overdue.closed_at = "closed", at("2026-12-02T09:00"), at("2026-12-02T10:00")
    city.street_b.name = "乙街道（新名称）"
    db.session.commit()
    second = services.publish(NOV, at("2026-12-03T10:00"), user=city.admin)
    db.session.commit()
    assert second.version == 2
    db.session.expire_all()
    again = {e.unit_code: e for e in db.session.get(Ranking, first.id).entries}
    assert again["JDB"].figures["overdue"] == 2 and again["JDB"].unit_name == "乙街道办事处"
    assert {e.unit_code: e for e in second.entries}["JDB"].figures["overdue"] == 1

    # The ORM refuses to change or delete a published snapshot.
    row = db.session.get(RankingEntry, again["JDB"].id)
    row.score = 99
    with pytest.raises(SnapshotImmutable):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(SnapshotImmutable):
        db.session.delete(db.session.get(Ranking, first.id))
        db.session.flush()
    db.session.rollback()
    assert [r.version for r in services.versions_of(second)] == [2, 1]


def test_scheduled_publication_happens_once(app, city, add):
    _three_units(city, add)
    monday = at("2026-12-01T09:00")
    made = publish_scheduled(monday, "month")
    assert made is not None and made.period == "2026-11" and made.schedule_slot == "monthly"
    assert publish_scheduled(monday + timedelta(minutes=5), "month") is None
    assert services.publish(NOV, monday, schedule_slot="monthly") is None  # the unique constraint's twin check
    # A manual publication of the same period is still a new version.
    assert services.publish(NOV, monday, user=city.admin).version == 2
    assert db.session.scalar(select(func.count()).select_from(Ranking).where(Ranking.schedule_slot == "monthly")) == 1
    week = publish_scheduled(at("2026-11-30T09:00"), "week")
    assert week.period == "2026-W48"
    assert publish_scheduled(at("2026-11-30T09:01"), "week") is None


def test_monthly_job_runs_on_the_first_working_day(app):
    assert is_first_workday_of_month(at("2026-11-02T09:00"))       # 1 November 2026 is a Sunday
    assert not is_first_workday_of_month(at("2026-11-01T09:00"))
    assert not is_first_workday_of_month(at("2026-11-03T09:00"))
    assert is_first_workday_of_month(at("2026-10-08T09:00"))       # National Day holiday 1–7 October
    assert not is_first_workday_of_month(at("2026-10-09T09:00"))
    assert not is_first_workday_of_month(at("2026-10-01T09:00"))


def test_jobs_are_registered_with_the_scheduler(app):
    from inspect_app.scheduler import collect_jobs, last_due, make_trigger

    jobs = {spec.id: spec for spec in collect_jobs()}
    monthly, weekly = jobs["rankings.monthly"], jobs["rankings.weekly"]
    fire = last_due(make_trigger(monthly, app), at("2026-11-05T12:00"), monthly.when)
    assert fire == at("2026-11-02T09:00")
    assert last_due(make_trigger(weekly, app), at("2026-11-25T12:00")) == at("2026-11-23T09:00")


# ----------------------------------------------------------------------------- API

def test_api_lists_reads_and_publishes(api, city, add):
    _three_units(city, add)
    assert api.post("/api/v1/rankings", city.leader, json={"period": "2026-11"}).status_code == 403
    bad = api.post("/api/v1/rankings", city.admin, json={"period": "2026-13"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_period"
    preview = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11", "publish": False})
    assert preview.status_code == 200 and preview.get_json()["id"] is None
    assert api.get("/api/v1/rankings", city.admin).get_json() == []

    made = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11"})
    assert made.status_code == 201
    body = made.get_json()
    assert body["version"] == 1 and body["period"] == "2026-11" and body["published_at"].endswith("+08:00")
    assert made.headers["Location"].endswith(f"/api/v1/rankings/{body['id']}")
    again = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11"}).get_json()
    assert again["version"] == 2

    listed = api.get("/api/v1/rankings", city.inspector).get_json()
    assert [(r["period"], r["version"]) for r in listed] == [("2026-11", 2), ("2026-11", 1)]
    assert set(listed[0]) >= {"id", "period", "published_at", "version"}

    office = api.get(f"/api/v1/rankings/{body['id']}", city.leader).get_json()
    first = office["entries"][0]
    assert set(first) >= {"unit", "score", "rank", "list", "figures", "reason", "ticket_ids"}
    assert first["unit"]["code"] == "JDA" and first["list"] == "red" and first["rank"] == 1
    assert office["formula"]["text"].startswith("综合得分")

    unit_view = api.get(f"/api/v1/rankings/{body['id']}", city.unit_a).get_json()
    assert all("ticket_ids" not in e for e in unit_view["entries"]) and "cases" not in unit_view
    assert [e["figures"] for e in unit_view["entries"]] == [e["figures"] for e in office["entries"]]
    assert api.get("/api/v1/rankings/99999", city.admin).status_code == 404


def test_api_rules_read_and_change(api, city):
    assert api.get("/api/v1/rankings/rules", city.leader).get_json()["terms"][0] == {
        "type": "rate", "of": "on_time_rate", "weight": 50}
    assert api.call("PUT", "/api/v1/rankings/rules", city.leader, json={}).status_code == 403
    bad = api.call("PUT", "/api/v1/rankings/rules", city.admin,
                   json={"terms": [{"type": "rate", "of": "on_time_rate", "weight": 60}]})
    assert bad.status_code == 422 and "100分" in bad.get_json()["error"]["message"]
    ok = api.call("PUT", "/api/v1/rankings/rules", city.admin, json={
        "terms": [{"type": "rate", "of": "on_time_rate", "weight": 70},
                  {"type": "inverse", "of": "overdue_rate", "weight": 30}], "min_sample": 1})
    assert ok.status_code == 200 and ok.get_json()["text"] == "综合得分 = 按期结案率×70 + (1−超期未结率)×30"
    assert services.current_rules().min_sample == 1


def test_published_list_keeps_its_formula_after_the_rules_change(city, add):
    _three_units(city, add)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    services.save_rules(city.admin, {"terms": [{"type": "rate", "of": "closed_rate", "weight": 100}]}, AFTER_NOV)
    db.session.expire_all()
    assert db.session.get(Ranking, ranking.id).formula_text.startswith("综合得分 = 按期结案率×50")
    assert services.compute(NOV, AFTER_NOV).rules.text == "综合得分 = 结案率×100"


# ----------------------------------------------------------------------------- PDF

def _pdf_text(data: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_has_lists_formula_chart_cases_and_notes(api, city, add, make_ticket, now):
    _three_units(city, add)
    # A real ticket with before and after photos, closed on time in November, for the red list's cases.
    from inspect_app.tickets import services as tickets

    ticket = make_ticket(at_time=at("2026-11-09T09:00"))
    tickets.rectify(city.unit_a, ticket, at("2026-11-09T15:00"), "已清理", [processed("gps_DSCN0012.jpg")])
    tickets.approve(city.inspector, ticket, at("2026-11-09T16:00"), "整改到位")
    made = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11"}).get_json()
    response = api.get(f"/api/v1/rankings/{made['id']}/pdf", city.leader)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    for expected in ("关于2026年11月问题整改红黑榜的通报", "临江市精神文明建设指导委员会办公室",
                     "综合得分=按期结案率×50+结案率×30+(1−返工率)×10+max(0,10−0.5×督办数−1×挂牌数)",
                     "二、红榜（1个单位）", "甲街道办事处", "按期结案率100%，无返工",
                     "三、黑榜（1个单位）", "乙街道办事处", "2件超期经督办仍未整改",
                     "四、综合得分排名", "红榜线90", "黑榜线60", "五、典型案例", "整改前", "整改后", ticket.number,
                     "六、样本不足单位", "市交警支队（2件）", "超期未结数：超过处置期限"):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(response.data))
    fonts = {str(f["/BaseFont"]) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    # only the embedded Chinese faces (the Song, Hei and Kai stand-ins or the bundled face), no base-14 font
    assert fonts and all(any(face in name for face in ("UMing", "UKai", "WenQuanYi")) for name in fonts), fonts
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 2

    # A unit gets the published list without other units' cases; the file is rendered once and kept.
    unit_pdf = api.get(f"/api/v1/rankings/{made['id']}/pdf", city.unit_b)
    unit_text = _pdf_text(unit_pdf.data)
    assert "乙街道办事处" in unit_text and ticket.number not in unit_text and "不含其他单位的问题详情" in unit_text
    path = services.pdf_path(db.session.get(Ranking, made["id"]), "full")
    stamp = path.stat().st_mtime_ns
    api.get(f"/api/v1/rankings/{made['id']}/pdf", city.admin)
    assert path.stat().st_mtime_ns == stamp


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_chinese(city, add, tmp_path):
    _three_units(city, add)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    path = services.ensure_pdf(ranking, "full")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert "红榜" in out and "甲街道办事处" in out and "样本不足" in out


# ----------------------------------------------------------------------------- CLI

def test_cli_rank_previews_and_publishes(app, city, add):
    _three_units(city, add)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rank", "--period", "2026-11", "--now", "2026-12-01T10:00:00"])
    assert result.exit_code == 0, result.output
    assert "红榜（1个）" in result.output and "甲街道办事处" in result.output and "预览" in result.output
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 0
    result = runner.invoke(args=["rank", "--period", "2026-W45", "--publish", "--now", "2026-12-01T10:00:00"])
    assert result.exit_code == 0 and "第1版" in result.output
    assert runner.invoke(args=["rank", "--period", "nonsense"]).exit_code != 0


# ----------------------------------------------------------------------------- pages

def test_pages_for_the_office_leaders_and_units(app, client, city, add):
    _three_units(city, add)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    sign_in(client, city.leader)
    page = client.get("/rankings/").get_data(as_text=True)
    assert "2026年11月月榜" in page and "发布新版本" not in page
    detail = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "甲街道办事处" in detail and "按期结案率100%，无返工" in detail
    assert f"/tickets?unit_id={city.street_b.id}&amp;overdue=1" in detail  # figures link to their tickets
    assert 'style="' not in detail and not re.search(r"<script(?![^>]*\bsrc=)", detail)  # no inline script
    assert client.post("/rankings/publish", data={"period": "2026-11"}).status_code in (400, 403)
    preview = client.get("/rankings/preview?period=2026-W45")
    assert preview.status_code == 200 and "预览（未发布）" in preview.get_data(as_text=True)

    sign_in(client, city.unit_b)
    unit_page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "乙街道办事处" in unit_page and "/tickets?" not in unit_page
    assert client.get("/rankings/preview?period=2026-11").status_code == 403


def test_office_publishes_from_the_page_and_edits_rules(app, browser, city, add):
    _three_units(city, add)
    admin = browser(city.admin)
    response = admin.submit("/rankings/", "/rankings/publish", {"period": "2026-11"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 1
    assert admin.get("/rankings/rules").status_code == 200
    form = {"name": "试行", "t0_type": "rate", "t0_of": "on_time_rate", "t0_weight": "60",
            "t1_type": "rate", "t1_of": "closed_rate", "t1_weight": "30", "ded_base": "10", "ded_supervised": "1",
            "red_size": "5", "red_min": "90", "black_size": "5", "black_max": "60", "min_sample": "3"}
    assert admin.submit("/rankings/rules", "/rankings/rules", form).status_code == 303
    assert services.current_rules().text == "综合得分 = 按期结案率×60 + 结案率×30 + max(0, 10 − 1×督办数)"
    form["t0_weight"] = "70"
    page = admin.submit("/rankings/rules", "/rankings/rules", form)
    assert page.status_code == 422 and "100分" in page.get_data(as_text=True)
