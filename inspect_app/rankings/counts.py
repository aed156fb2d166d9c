"""The counts behind a list (SQL → scoring.UnitCounts), per unit, for a period, as of `now`.

Populations (Asia/Shanghai periods, half-open [start, end); only what has happened by `now`):
- found: tickets reported in the period, dispatched, not 作废, charged to the units that answer for them — the
  主办 unit (tickets.unit_id), 协办 units and the road segment's 包抓 unit where those exist — per `source`. The
  包抓 unit is the one the ticket recorded when filed (tickets.adopting_unit_id): a segment given to another unit
  later moves the problems found from then on, not those already found.
- due: tickets whose deadline (after any approved extension) fell in the period and has passed, not 作废;
  overdue = of those, not rectified by the deadline (rectified late, or still not rectified); rework = their
  send-backs (返工, every one counts); closed = of those, closed; at_listed = of those, at 挂牌督办 or above.
- 督办 / 挂牌 / 约谈 / 问责 / 回潮: from the letters feature (escalation/stats.unit_counts): issued letters addressed to
  the unit in the period (督办 level 1, 挂牌 level 2; a 督查通报 is no 督办), 约谈 held or scheduled, 问责 referrals,
  回潮 flagged.
- assessment: per unit, over the sites it answers for that were scored in rounds created in the period (the latest
  such round per site), full marks minus the deductions charged to it, divided by those sites (a finding voided as
  wrong deducts nothing; one a 退单 moved is charged to the unit its ticket went to: assessment/findings.py).
- segments: active road segments the unit answers for as 属地 or 包抓 (a standing, patrolled area).
- sites: active sites (点位) the unit answers for as 属地, 行业主管 or 经营管理 (a standing responsibility; but a unit
  whose only responsibility is sites no round drew in the period is not ranked: nobody examined it, scoring.py).
- key tasks (month lists only): the tasks a unit leads, those 滞后 and those not reported within the month, as the
  month's 通报 tells them (keytasks/bulletin.py).

Every query is one GROUP BY over an indexed range (see models.py for the covering indexes).

Over a territory (a group set 按辖区（属地）汇总, models.RankingGroup.territorial: the 区县 group): territory_counts
counts each unit of such a group over its territory — the unit and every unit under it (units/territory.py: a
区县人民政府 with its 街道 and their 社区) and the problems on its ground (tickets/territory.py: a part of any of
them, or a road segment or 点位 whose 属地 unit is one of them, whoever leads) — each problem once per unit however
many of its units take part. A city ranks its districts on everything in their territory:
- found: the period's problems in the territory, as 主办 (charged in full) when one of its units leads or the
  problem is on its ground, else as 协办 (one of its units assists, the part not taken off);
- due, overdue, rework, closed, at_listed: of the problems due, those it answers for in full (led by one of its
  units or on its ground; one it only assists is no more its to rectify than before);
- 督办 / 挂牌: issued letters addressed to any unit of the territory, a letter once however many of them it names;
  约谈 / 问责 / 回潮: those of any of its units (each is one unit's);
- assessment: over the sites any of its units answered for in the period's rounds, with the deductions charged to
  them; segments and sites: the active ones any of its units answers for, each once;
- key tasks: those its units lead.
Its units keep their own figures in their own groups (a street in 街道/乡镇); the list's totals count each problem
once (services.Computed.summary reads the units' own figures). One statement per population for all the
territories: a (unit, root) table (VALUES) joined to the three ways into a territory, DISTINCT (ticket, root).
"""
from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache

from sqlalchemy import (Integer, and_, bindparam, case, column, distinct, func, literal_column, or_, select, text,
                        union, union_all)

from ..assessment import findings
from ..assessment.models import ChecklistVersion, Result, Round, RoundSite, responsible_unit_id
from ..common.sql import const, count_where
from ..escalation.models import Letter, LetterUnit
from ..escalation.stats import unit_counts as letter_figures
from ..extensions import db
from ..sites.models import ROLES, Site
from ..tickets.models import Ticket, TicketUnit
from ..tickets.rules import not_rectified_by_deadline
from ..units.models import Segment
from .models import LEFT_OUT
from .periods import Period
from .scoring import UnitCounts


def found_condition(period: Period, now: datetime):
    return _found(period.start, min(period.end, now))


def due_condition(period: Period, now: datetime):
    return _due(period.start, min(period.end, now))


def found_between(start, until):
    """found_condition over [start, until): values, or bound parameters of a statement built once."""
    return _found(start, until)


def due_between(start, until):
    """due_condition over [start, until): values, or bound parameters of a statement built once."""
    return _due(start, until)


def _found(start, until):
    """Reported in [start, until): values, or bound parameters of a statement built once."""
    return and_(Ticket.reported_at >= start, Ticket.reported_at < until, Ticket.status != "cancelled",
                Ticket.unit_id.is_not(None))


def _due(start, until):
    return and_(Ticket.deadline >= start, Ticket.deadline < until, Ticket.status != "cancelled",
                Ticket.unit_id.is_not(None))


def flags(now: datetime) -> dict:
    """Conditions on a due ticket, shared by the GROUP BY, the ticket ids kept with a list and the dashboard."""
    from ..tickets.rules import overdue_condition

    return {**_timeless_flags(), "overdue": overdue_condition(now),
            "overdue_supervised": and_(overdue_condition(now), Ticket.escalation_level >= 1)}


def _timeless_flags() -> dict:
    """flags() that do not depend on the time."""
    done_at = func.coalesce(Ticket.rectified_at, Ticket.closed_at)
    closed = Ticket.status == "closed"
    return {
        "closed": closed,
        "on_time": and_(closed, done_at <= Ticket.deadline),
        "late": not_rectified_by_deadline(),  # the ticket list's late=1 (tickets/rules.late_condition)
        "rework": Ticket.rework_count > 0,
        "extended": Ticket.extension_count > 0,
        "supervised": Ticket.escalation_level >= 1,
        "listed": Ticket.escalation_level >= 2,
    }


class Builder:
    """Mutable per-unit counts, turned into frozen UnitCounts at the end."""

    def __init__(self) -> None:
        self.data: dict[int, dict] = {}

    def unit(self, unit_id: int) -> dict:
        return self.data.setdefault(unit_id, {"found": {}})

    def add_found(self, unit_id: int, role: str, source: str, n: int) -> None:
        by_source = self.unit(unit_id)["found"].setdefault(role, {})
        by_source[source] = by_source.get(source, 0) + int(n)

    def add(self, unit_id: int, name: str, n) -> None:
        d = self.unit(unit_id)
        d[name] = d.get(name, 0) + (n or 0)

    def build(self) -> dict[int, UnitCounts]:
        return {uid: UnitCounts(**d) for uid, d in self.data.items()}


def found_query(period: Period, now: datetime):
    """SELECT unit_id, source, COUNT(*) FROM tickets WHERE reported_at in the period ... GROUP BY unit_id, source."""
    return _found_query(_found(period.start, min(period.end, now)))


def _found_query(found):
    return select(Ticket.unit_id, Ticket.source, func.count()).where(found).group_by(Ticket.unit_id, Ticket.source)


def _adopted(found):
    """Problems found on a segment with a 包抓 unit other than the 主办: the unit the segment's 包抓 was with when the
    problem was filed."""
    adopting = Ticket.adopting_unit_id
    return and_(found, adopting.is_not(None), adopting != Ticket.unit_id)


def _adopted_query(found):
    """Problems found on a segment, charged to its 包抓 unit (when it had one other than the 主办)."""
    adopting = Ticket.adopting_unit_id
    return select(adopting, Ticket.source, func.count()).where(_adopted(found)).group_by(adopting, Ticket.source)


def _assisted_query(found):
    """Problems found where a unit has a 协办 part (the ticket's other units)."""
    return _assisted(select(TicketUnit.unit_id, Ticket.source, func.count()), found).group_by(TicketUnit.unit_id,
                                                                                               Ticket.source)


def _assisted(query, found):
    """The 协办 parts not 作废 on the problems found, but not the 包抓 unit's: a problem is charged to a unit once,
    and the 包抓 unit answers for its segment's problems in full (_adopted_query), part or no part."""
    return (query.join(Ticket, Ticket.id == TicketUnit.ticket_id)
            .where(found, TicketUnit.role == const("assist"), TicketUnit.status != "cancelled",
                   or_(Ticket.adopting_unit_id.is_(None), Ticket.adopting_unit_id != TicketUnit.unit_id)))


def due_query(period: Period, now: datetime):
    return _due_query(_due(period.start, min(period.end, now)))


def _due_query(due):
    cond = _timeless_flags()
    return (select(Ticket.unit_id, func.count(), count_where(cond["closed"]), count_where(cond["late"]),
                   func.coalesce(func.sum(Ticket.rework_count), 0), count_where(cond["rework"]),
                   count_where(cond["listed"]))
            .where(due).group_by(Ticket.unit_id))


@cache
def _statements() -> dict:
    """unit_counts' four GROUP BYs over the tickets, built once with the period's bounds as parameters (start,
    until): built on every list, SQLAlchemy spent more walking them for their cache keys than scoring took."""
    found, due = _found(bindparam("start"), bindparam("until")), _due(bindparam("start"), bindparam("until"))
    return {"lead": _found_query(found), "adopting": _adopted_query(found), "assist": _assisted_query(found),
            "due": _due_query(due)}


def unit_counts(period: Period, now: datetime, parts: tuple[dict, dict, dict] | None = None
                ) -> dict[int, UnitCounts]:
    """`parts`: assessment_parts of the period, when read already."""
    b = Builder()
    session = db.session
    statements = _statements()
    bounds = {"start": period.start, "until": min(period.end, now)}
    for role in ("lead", "adopting", "assist"):
        for unit_id, source, n in session.execute(statements[role], bounds):
            b.add_found(unit_id, role, source, n)
    letters = _letter_counts(period, now)
    for unit_id, due, closed, late, rework, reworked, at_listed in session.execute(statements["due"], bounds):
        b.add(unit_id, "due", int(due))
        b.add(unit_id, "closed", int(closed))
        b.add(unit_id, "overdue", int(late))
        b.add(unit_id, "rework", int(rework))
        b.add(unit_id, "reworked", int(reworked))
        b.add(unit_id, "at_listed", int(at_listed))
    for unit_id, figures in letters.items():
        for name, value in figures.items():
            b.add(unit_id, name, int(value))
    for unit_id, (score, sites) in _assessment(period, now, parts=parts).items():
        d = b.unit(unit_id)
        d["assessment"], d["assessed_sites"] = score, sites
    for unit_id, n in segment_counts().items():
        b.unit(unit_id)["segments"] = n
    for unit_id, n in site_counts().items():
        b.unit(unit_id)["sites"] = n
    if period.kind == "month":
        for unit_id, figures in key_task_counts(period, now).items():
            for name, value in figures.items():
                b.add(unit_id, name, value)
    return b.build()


def key_task_counts(period: Period, now: datetime) -> dict[int, dict]:
    """{lead unit_id: {lead_tasks, task_lagging, task_unreported}} for a month: the year's tasks as they stood at
    the month's end (or now), told the way the month's 通报 tells them (keytasks/bulletin.month_status)."""
    from ..keytasks.bulletin import month_status

    out: dict[int, dict] = {}
    for told in month_status(period.first_day.year, period.first_day.month, now).tasks:
        figures = out.setdefault(told.task.lead_unit_id, {"lead_tasks": 0, "task_lagging": 0, "task_unreported": 0})
        figures["lead_tasks"] += 1
        figures["task_lagging"] += told.overdue_days > 0
        figures["task_unreported"] += told.unreported
    return out


def _letter_counts(period: Period, now: datetime) -> dict[int, dict]:
    """{unit_id: {supervised, listed, interview, referral, relapse}} from the letters feature (issued letters
    addressed to the unit in the period: 督办 level 1, 挂牌 level 2, never a 督查通报, which names problems without
    督办 (Letter.step); 约谈 held or scheduled in the period; 问责
    referrals in the period; 回潮 flagged in the period on the earlier ticket's unit)."""
    out: dict[int, dict] = {}
    for unit_id, f in letter_figures(period.start, min(period.end, now), now).items():
        out[unit_id] = {"supervised": f.supervision, "listed": f.listed,
                        "interview": f.interviews, "referral": f.referrals, "relapse": f.relapses}
    return out


def assessment_parts(period: Period, now: datetime) -> tuple[dict, dict, dict]:
    """What _assessment scores, per unit: ({unit_id: the round sites it answered for}, {unit_id: points deducted},
    {unit_id: full marks}), from the assessment rounds created in the period (read once for a list's own and
    territory figures)."""
    rows = db.session.execute(
        select(RoundSite.id, RoundSite.site_id, Round.created_at, ChecklistVersion.full_score,
               *(responsible_unit_id(role).label(f"{role}_unit_id") for role in ROLES))
        .join(Round, Round.id == RoundSite.round_id).join(Site, Site.id == RoundSite.site_id)
        .join(ChecklistVersion, ChecklistVersion.id == Round.checklist_version_id)
        .where(RoundSite.status == "submitted", Round.created_at >= period.start,
               Round.created_at < min(period.end, now))).all()
    latest: dict[int, tuple] = {}
    for row in rows:
        if row.site_id not in latest or (row.created_at, row.id) > (latest[row.site_id].created_at,
                                                                    latest[row.site_id].id):
            latest[row.site_id] = row
    sites: dict[int, set] = {}
    full: dict[int, float] = {}
    deducted: dict[int, float] = {}
    if not latest:
        return sites, deducted, full
    by_id = {row.id: row for row in latest.values()}
    for row in latest.values():
        for unit_id in {row.territorial_unit_id, row.sector_unit_id, row.operator_unit_id} - {None}:
            sites.setdefault(unit_id, set()).add(row.id)
            full[unit_id] = row.full_score or 100.0
    # the findings that stand, charged to the unit answering for each now (assessment/findings.py: one voided as
    # wrong deducts nothing; one moved by a 退单 goes with its ticket, and its site counts for that unit)
    for rs_id, unit_id, points in db.session.execute(
            select(Result.round_site_id, findings.charged_unit(), Result.deducted)
            .where(Result.round_site_id.in_(list(by_id)), findings.standing())):
        if unit_id is not None:
            deducted[unit_id] = deducted.get(unit_id, 0.0) + float(points or 0)
            sites.setdefault(unit_id, set()).add(rs_id)
            full.setdefault(unit_id, by_id[rs_id].full_score or 100.0)
    return sites, deducted, full


def _assessment(period: Period, now: datetime, territories: dict[int, frozenset[int]] | None = None,
                parts: tuple[dict, dict, dict] | None = None) -> dict[int, tuple[float, int]]:
    """{unit_id: (score 0..100, sites)} from the assessment rounds created in the period: per site the latest
    submitted result; per unit, over the sites it answered for there (any role, as fixed when the site was scored:
    assessment/models.responsible_unit_id), full marks minus the deductions it answers for divided by those sites
    (the assessment feature's own unit score), scaled to 100. With `territories`, per territory over the sites
    any of its units answered for, with their deductions. `parts`: assessment_parts, when read already."""
    sites, deducted, full = parts if parts is not None else assessment_parts(period, now)
    if territories is not None:
        rolled_sites, rolled_deducted, rolled_full = {}, {}, {}
        for root, ids in territories.items():
            held = sorted(unit_id for unit_id in ids if unit_id in sites)
            if held:
                rolled_sites[root] = set().union(*(sites[unit_id] for unit_id in held))
                rolled_deducted[root] = sum(deducted.get(unit_id, 0.0) for unit_id in ids)
                rolled_full[root] = full.get(root, full[held[0]])
        sites, deducted, full = rolled_sites, rolled_deducted, rolled_full
    return {uid: (max(0.0, full[uid] - deducted.get(uid, 0.0) / len(held)) / full[uid] * 100.0, len(held))
            for uid, held in sites.items()}


def segment_counts() -> dict[int, int]:
    """{unit_id: active road segments it answers for as 属地 or 包抓}: a standing area the inspectors patrol."""
    held = union_all(select(Segment.unit_id.label("unit_id")).where(Segment.active.is_(True)),
                     select(Segment.adopting_unit_id.label("unit_id"))
                     .where(Segment.active.is_(True), Segment.adopting_unit_id.is_not(None))).subquery()
    return {unit_id: int(n) for unit_id, n in db.session.execute(
        select(held.c.unit_id, func.count()).group_by(held.c.unit_id))}


def site_counts() -> dict[int, int]:
    """{unit_id: active sites it answers for, in any of the three roles} (a unit holding two roles at one site
    counts it once)."""
    held = union(*(select(Site.id.label("site_id"), column.label("unit_id"))
                   .where(Site.active.is_(True), column.is_not(None))
                   for column in (Site.territorial_unit_id, Site.sector_unit_id, Site.operator_unit_id))).subquery()
    return {unit_id: int(n) for unit_id, n in db.session.execute(
        select(held.c.unit_id, func.count()).group_by(held.c.unit_id))}


def left_out(period: Period, now: datetime) -> dict[str, int]:
    """The period's reports the list does not count, so its total can be set beside the dashboard's 新增 and the
    ticket list (every report received): voided (作废) and undispatched (not yet given to a unit). One pass over
    the reported_at range of the partial index of such reports (models.LEFT_OUT)."""
    reported = and_(Ticket.reported_at >= period.start, Ticket.reported_at < min(period.end, now), text(LEFT_OUT))
    voided, undispatched = db.session.execute(
        select(count_where(Ticket.status == "cancelled"),
               count_where((Ticket.status != "cancelled") & Ticket.unit_id.is_(None))).where(reported)).one()
    return {"voided": int(voided or 0), "undispatched": int(undispatched or 0)}


def ticket_ids(period: Period, now: datetime) -> dict[int, dict[str, list[int]]]:
    """{unit_id: {"found": [...], "overdue": [...], "rework": [...]}} for the snapshot, same conditions as the
    figures: found for every unit the problem is charged to (主办, 协办, 包抓), overdue and rework the 主办's."""
    result: dict[int, dict[str, list[int]]] = {}

    def slot(unit_id: int) -> dict[str, list[int]]:
        return result.setdefault(unit_id, {"found": [], "overdue": [], "rework": []})

    found = found_condition(period, now)
    charged = union(
        select(Ticket.id.label("ticket_id"), Ticket.unit_id.label("unit_id")).where(found),
        select(Ticket.id, Ticket.adopting_unit_id).where(_adopted(found)),
        _assisted(select(Ticket.id, TicketUnit.unit_id).select_from(TicketUnit), found)).subquery()
    for tid, unit_id in db.session.execute(select(charged.c.ticket_id, charged.c.unit_id)
                                           .order_by(charged.c.unit_id, charged.c.ticket_id)):
        slot(unit_id)["found"].append(tid)
    cond = flags(now)
    for tid, unit_id, late, rework in db.session.execute(
            select(Ticket.id, Ticket.unit_id, cond["late"], Ticket.rework_count > 0)
            .where(due_condition(period, now), or_(cond["late"], Ticket.rework_count > 0)).order_by(Ticket.id)):
        if late:
            slot(unit_id)["overdue"].append(tid)
        if rework:
            slot(unit_id)["rework"].append(tid)
    return result


# ----------------------------------------------------------------------------- over a territory

def territory_table(territories: dict[int, frozenset[int]]):
    """A CTE (unit_id, root_id): every unit of each territory with the unit the territory is counted for."""
    return _territory_table(_pairs_sql(territories))


def _pairs_sql(territories: dict[int, frozenset[int]]) -> str:
    """The territory table's rows as SQL text (ids are integers): a VALUES clause of bound rows was compiled again
    by SQLAlchemy for every statement of every list (8x the time the database took); as text the statements are
    built once for the same territories (_territory_statements) and stay in SQLAlchemy's cache."""
    return ", ".join(f"({int(unit_id)}, {int(root)})" for root, ids in sorted(territories.items())
                     for unit_id in sorted(ids))


def _territory_table(rows: str):
    """Both databases name a VALUES list's columns column1, column2."""
    return (text(f"SELECT column1 AS unit_id, column2 AS root_id FROM (VALUES {rows}) AS pairs")
            .columns(column("unit_id", Integer), column("root_id", Integer)).cte("territory"))


def _territory_pairs(territory, condition, *columns):
    """(ticket_id, root_id, whole): the tickets meeting `condition` in each territory, once per territory; whole 1
    when it answers for the problem in full (one of its units leads it, or it is on its ground), 0 when one of its
    units only assists (the part not taken off). tickets/territory.in_territory's ways in, by unit: the 主办 read
    from the ticket (its lead part mirrors it) with the period's covering index, the 协办 parts, the segment's and
    the 点位's 属地 unit. `columns`: of the ticket, carried along (read from the covering index, not the rows)."""
    # "+ 0": SQLite, without statistics, would read every problem its units (or its segments) ever had, by unit or
    # segment, and keep the period's; so it walks the period's range of the covering index (which holds unit_id
    # and segment_id) and looks each up in the territory table, as unit_counts walks it
    lead = (select(Ticket.id.label("ticket_id"), territory.c.root_id.label("root_id"),
                   literal_column("1").label("whole"), *columns)
            .join(territory, territory.c.unit_id == Ticket.unit_id + 0).where(condition))
    assist = (select(Ticket.id, territory.c.root_id, literal_column("0"), *columns)
              .join(TicketUnit, TicketUnit.ticket_id == Ticket.id)
              .join(territory, territory.c.unit_id == TicketUnit.unit_id + 0)
              .where(condition, TicketUnit.role == const("assist"), TicketUnit.status != "cancelled"))
    segment = (select(Ticket.id, territory.c.root_id, literal_column("1"), *columns)
               .join(Segment, Segment.id == Ticket.segment_id + 0)
               .join(territory, territory.c.unit_id == Segment.unit_id + 0).where(condition))
    site = (select(Ticket.id, territory.c.root_id, literal_column("1"), *columns).join(Site, Site.id == Ticket.site_id)
            .join(territory, territory.c.unit_id == Site.territorial_unit_id).where(condition))
    ways = union_all(lead, assist, segment, site).subquery()
    carried = [ways.c[c.name] for c in columns]
    return (select(ways.c.ticket_id, ways.c.root_id, func.max(ways.c.whole).label("whole"), *carried)
            .group_by(ways.c.ticket_id, ways.c.root_id, *carried).subquery())


# the figures a territory sums from its units' own (unit_counts): each 约谈, 问责, 回潮 and key task is one unit's
SUMMED = ("interview", "referral", "relapse", "lead_tasks", "task_lagging", "task_unreported")


@lru_cache(maxsize=8)
def _territory_statements(rows: str) -> dict:
    """territory_counts' GROUP BYs for one territory table, built once with the period's bounds as parameters
    (start, until), as _statements: building and walking them for their cache keys on every list took three times
    what the database did."""
    territory = _territory_table(rows)
    start, until = bindparam("start"), bindparam("until")
    found = _territory_pairs(territory, _found(start, until), Ticket.source.label("source"))
    cond = _timeless_flags()
    due = _territory_pairs(territory, _due(start, until), *(case((cond[name], 1), else_=0).label(name)
                                                             for name in ("closed", "late", "rework", "listed")),
                           Ticket.rework_count.label("sent_back"))
    issued = and_(Letter.status != "draft", Letter.issued_at >= start, Letter.issued_at < until)
    return {
        "found": select(found.c.root_id, found.c.source, found.c.whole, func.count())
        .group_by(found.c.root_id, found.c.source, found.c.whole),
        "due": select(due.c.root_id, func.count(), func.sum(due.c.closed), func.sum(due.c.late),
                      func.coalesce(func.sum(due.c.sent_back), 0), func.sum(due.c.rework), func.sum(due.c.listed))
        .where(due.c.whole == 1).group_by(due.c.root_id),
        # a letter to two units of a territory is one letter
        "letters": select(territory.c.root_id, *(func.count(distinct(case((Letter.step == step, Letter.id))))
                                                 for step in ("supervision", "listed")))
        .select_from(LetterUnit).join(territory, territory.c.unit_id == LetterUnit.unit_id)
        .join(Letter, Letter.id == LetterUnit.letter_id).where(issued).group_by(territory.c.root_id),
        "segments": select(territory.c.root_id, func.count(distinct(Segment.id)))
        .join(territory, or_(territory.c.unit_id == Segment.unit_id, territory.c.unit_id == Segment.adopting_unit_id))
        .where(Segment.active.is_(True)).group_by(territory.c.root_id),
        "sites": select(territory.c.root_id, func.count(distinct(Site.id)))
        .join(territory, or_(territory.c.unit_id == Site.territorial_unit_id,
                             territory.c.unit_id == Site.sector_unit_id, territory.c.unit_id == Site.operator_unit_id))
        .where(Site.active.is_(True)).group_by(territory.c.root_id),
    }


def territory_counts(period: Period, now: datetime, territories: dict[int, frozenset[int]],
                     own: dict[int, UnitCounts], parts: tuple[dict, dict, dict] | None = None
                     ) -> dict[int, UnitCounts]:
    """{root unit id: UnitCounts over its territory} for `territories` {root: its units} (the module docstring);
    `own`: unit_counts of the same period and moment, whose figures of one unit each (SUMMED) it adds up;
    `parts`: assessment_parts, when read already."""
    if not territories:
        return {}
    b = Builder()
    session = db.session
    statements = _territory_statements(_pairs_sql(territories))
    bounds = {"start": period.start, "until": min(period.end, now)}
    for root, source, whole, n in session.execute(statements["found"], bounds):
        b.add_found(root, "lead" if whole else "assist", source, n)
    for root, n, closed, late, rework, reworked, at_listed in session.execute(statements["due"], bounds):
        for name, value in (("due", n), ("closed", closed), ("overdue", late), ("rework", rework),
                            ("reworked", reworked), ("at_listed", at_listed)):
            b.add(root, name, int(value))
    for root, ids in territories.items():
        for unit_id in ids & own.keys():
            for name in SUMMED:
                if value := getattr(own[unit_id], name):
                    b.add(root, name, value)
    for root, supervised, listed_ in session.execute(statements["letters"], bounds):
        b.add(root, "supervised", int(supervised))
        b.add(root, "listed", int(listed_))
    for root, (score, sites) in _assessment(period, now, territories, parts).items():
        d = b.unit(root)
        d["assessment"], d["assessed_sites"] = score, sites
    for root, n in session.execute(statements["segments"]):
        b.unit(root)["segments"] = int(n)
    for root, n in session.execute(statements["sites"]):
        b.unit(root)["sites"] = int(n)
    return b.build()


def territory_ticket_ids(period: Period, now: datetime, territories: dict[int, frozenset[int]]
                         ) -> dict[int, dict[str, list[int]]]:
    """ticket_ids for the territories' roots, the problems territory_counts counted: found (all), overdue and
    rework (those it answers for in full)."""
    result: dict[int, dict[str, list[int]]] = {root: {"found": [], "overdue": [], "rework": []}
                                               for root in territories}
    if not territories:
        return result
    territory = territory_table(territories)
    until = min(period.end, now)
    found = _territory_pairs(territory, _found(period.start, until))
    for tid, root in db.session.execute(select(found.c.ticket_id, found.c.root_id)
                                        .order_by(found.c.root_id, found.c.ticket_id)):
        result[root]["found"].append(tid)
    due = _territory_pairs(territory, _due(period.start, until))
    cond = flags(now)
    for tid, root, late, rework in db.session.execute(
            select(due.c.ticket_id, due.c.root_id, cond["late"], Ticket.rework_count > 0)
            .join(Ticket, Ticket.id == due.c.ticket_id)
            .where(due.c.whole == 1, or_(cond["late"], Ticket.rework_count > 0))
            .order_by(due.c.root_id, due.c.ticket_id)):
        if late:
            result[root]["overdue"].append(tid)
        if rework:
            result[root]["rework"].append(tid)
    return result
