"""红黑榜 operations shared by the pages, the API, the CLI and the scheduler. Each takes `now`.

The figures come from one aggregate query (GROUP BY unit over the period's tickets, see `figures_query`);
scoring.py turns them into scores, ranks, lists and reasons. Publishing copies everything into an immutable
snapshot (models.py), including the ids of the tickets behind each figure, read with the same SQL conditions.
Definitions of every figure: scoring.py's docstring.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from ..common.errors import Forbidden, NotFound
from ..common.models import lock_sequence
from ..common.sql import count_where
from ..common.timeutil import isoformat
from ..extensions import db
from ..policy import EVERYONE, OFFICE, has_role, sees_citywide
from ..photos.models import Photo
from ..tickets.models import Ticket
from ..tickets.rules import days_overdue, overdue_condition
from ..units.models import Category, Unit
from . import scoring
from .models import Ranking, RankingEntry, RankingSettings
from .periods import Period, parse_period

CASES_PER_UNIT = 2
CASES_PER_LIST = 6


# ----------------------------------------------------------------------------- rules

def current_rules() -> scoring.Rules:
    """The office's newest saved rules, else RANKINGS_RULES from the configuration, else the default."""
    row = db.session.scalar(select(RankingSettings).order_by(RankingSettings.id.desc()).limit(1))
    if row is not None:
        return scoring.Rules.from_dict(json.loads(row.rules_json))
    configured = current_app.config["RANKINGS_RULES"]
    return scoring.Rules.from_dict(configured) if configured else scoring.DEFAULT_RULES


def save_rules(user, data: dict, now: datetime) -> scoring.Rules:
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以修改评分规则。")
    rules = scoring.Rules.from_dict(data)
    stored = rules.to_dict()
    stored.pop("text")
    db.session.add(RankingSettings(rules_json=json.dumps(stored, ensure_ascii=False), saved_at=now,
                                   saved_by_id=user.id))
    db.session.flush()
    return rules


# ----------------------------------------------------------------------------- figures (SQL)

def population(period: Period, now: datetime):
    """Tickets whose deadline fell in the period (and has passed), dispatched, not cancelled."""
    return and_(Ticket.deadline >= period.start, Ticket.deadline < min(period.end, now),
                Ticket.status != "cancelled", Ticket.unit_id.is_not(None))


def flags(now: datetime) -> dict:
    """The condition behind each counted figure, shared by the GROUP BY and the ticket-id query."""
    overdue = overdue_condition(now)
    closed = Ticket.status == "closed"
    return {
        "closed": closed,
        "on_time": and_(closed, func.coalesce(Ticket.rectified_at, Ticket.closed_at) <= Ticket.deadline),
        "rework": Ticket.rework_count > 0,
        "extended": Ticket.extension_count > 0,
        "overdue": overdue,
        "supervised": Ticket.escalation_level >= 1,
        "listed": Ticket.escalation_level >= 2,
        "overdue_supervised": and_(overdue, Ticket.escalation_level >= 1),
    }


def figures_query(period: Period, now: datetime):
    """One row per unit: SELECT unit_id, COUNT(*), SUM(CASE ...) ... GROUP BY unit_id."""
    cond = flags(now)
    columns = [Ticket.unit_id, func.count().label("due")]
    for name in scoring.COUNTS[1:]:
        if name == "rework":
            columns.append(func.coalesce(func.sum(Ticket.rework_count), 0).label("rework"))
        else:
            columns.append(count_where(cond[name]).label(name))
    return select(*columns).where(population(period, now)).group_by(Ticket.unit_id)


def unit_figures(period: Period, now: datetime) -> dict[int, scoring.Figures]:
    rows = db.session.execute(figures_query(period, now)).all()
    return {row[0]: scoring.Figures(*map(int, row[1:])) for row in rows}  # columns in scoring.COUNTS order


def ticket_ids_by_unit(period: Period, now: datetime) -> dict[int, dict[str, list[int]]]:
    """{unit_id: {figure: [ticket ids]}}, for the snapshot; same conditions as the GROUP BY."""
    cond = flags(now)
    names = [n for n in scoring.COUNTS if n != "due"]
    query = (select(Ticket.id, Ticket.unit_id, *[case((cond[n], 1), else_=0).label(n) for n in names])
             .where(population(period, now)).order_by(Ticket.id))
    result: dict[int, dict[str, list[int]]] = {}
    for row in db.session.execute(query).mappings():
        ids = result.setdefault(row["unit_id"], {n: [] for n in scoring.COUNTS})
        ids["due"].append(row["id"])
        for n in names:
            if row[n]:
                ids[n].append(row["id"])
    return result


def _units(with_ids) -> list[scoring.UnitInfo]:
    """Active units, plus retired ones that still had tickets due in the period."""
    query = select(Unit.id, Unit.code, Unit.name, Unit.kind).where(or_(Unit.active.is_(True),
                                                                       Unit.id.in_(list(with_ids) or [-1])))
    return [scoring.UnitInfo(*row) for row in db.session.execute(query)]


@dataclass
class Computed:
    period: Period
    as_of: datetime
    rules: scoring.Rules
    entries: list[scoring.Entry]

    @property
    def red(self) -> list[scoring.Entry]:
        return scoring.red_list(self.entries)

    @property
    def black(self) -> list[scoring.Entry]:
        return scoring.black_list(self.entries)

    @property
    def insufficient(self) -> list[scoring.Entry]:
        return [e for e in self.entries if e.insufficient]

    def summary(self) -> dict:
        totals = scoring.Figures(**{n: sum(getattr(e.figures, n) for e in self.entries) for n in scoring.COUNTS})
        return {
            "units": len(self.entries),
            "ranked": sum(1 for e in self.entries if not e.insufficient),
            "insufficient": len(self.insufficient),
            "red": len(self.red),
            "black": len(self.black),
            "totals": totals.as_dict(),
        }


def compute(period: Period, now: datetime, rules: scoring.Rules | None = None) -> Computed:
    """The list as of `now`, without storing anything."""
    rules = rules or current_rules()
    figures = unit_figures(period, now)
    units = _units(figures)
    entries = scoring.rank_units({u: figures.get(u.id, scoring.Figures()) for u in units}, rules)
    return Computed(period, now, rules, entries)


# ----------------------------------------------------------------------------- typical cases

def _photo_keys(ticket_ids: list[int]) -> dict[int, dict]:
    """First before-photo and last after-photo (key and id) per ticket."""
    keys: dict[int, dict] = {}
    if not ticket_ids:
        return keys
    for photo_id, ticket_id, kind, key in db.session.execute(
            select(Photo.id, Photo.ticket_id, Photo.kind, Photo.key).where(Photo.ticket_id.in_(ticket_ids))
            .order_by(Photo.id)):
        slot = keys.setdefault(ticket_id, {})
        if kind == "before":
            if "before" not in slot:
                slot.update(before=key, before_id=photo_id)
        else:
            slot.update(after=key, after_id=photo_id)
    return keys


def typical_cases(computed: Computed, ids: dict[int, dict[str, list[int]]]) -> list[dict]:
    """Red list: on-time rectifications with before and after photos. Black list: overdue problems with photos,
    the most escalated and longest overdue first."""
    cases: list[dict] = []
    for list_name, entries, figure in (("red", computed.red, "on_time"), ("black", computed.black, "overdue")):
        picked = 0
        for entry in entries:
            candidates = ids.get(entry.unit.id, {}).get(figure, [])
            if not candidates or picked >= CASES_PER_LIST:
                continue
            if list_name == "red":
                order = (Ticket.closed_at.desc(), Ticket.id)
            else:
                order = (Ticket.escalation_level.desc(), Ticket.deadline, Ticket.id)
            rows = db.session.execute(
                select(Ticket.id, Ticket.number, Ticket.address, Ticket.reported_at, Ticket.deadline,
                       Ticket.rectified_at, Ticket.closed_at, Ticket.escalation_level, Category.name)
                .join(Category, Category.id == Ticket.category_id)
                .where(Ticket.id.in_(candidates)).order_by(*order).limit(20)).all()
            photos = _photo_keys([r.id for r in rows])
            taken = 0
            for r in rows:
                keys = photos.get(r.id, {})
                if "before" not in keys or (list_name == "red" and "after" not in keys):
                    continue
                days = days_overdue(r.deadline, computed.as_of) if list_name == "black" else 0
                cases.append({
                    "list": list_name, "unit_id": entry.unit.id, "unit_name": entry.unit.name,
                    "ticket_id": r.id, "number": r.number, "category": r.name, "address": r.address,
                    "reported_at": isoformat(r.reported_at), "deadline": isoformat(r.deadline),
                    "rectified_at": isoformat(r.rectified_at), "closed_at": isoformat(r.closed_at),
                    "escalation_level": r.escalation_level, "days_overdue": days,
                    "before": keys.get("before"), "after": keys.get("after"),
                    "before_id": keys.get("before_id"), "after_id": keys.get("after_id"),
                })
                taken += 1
                picked += 1
                if taken >= CASES_PER_UNIT or picked >= CASES_PER_LIST:
                    break
    return cases


# ----------------------------------------------------------------------------- publishing

def _next_version(period_key: str) -> int:
    return (db.session.scalar(select(func.max(Ranking.version)).where(Ranking.period == period_key)) or 0) + 1


def already_scheduled(period_key: str, slot: str) -> bool:
    return db.session.scalar(select(Ranking.id).where(Ranking.period == period_key,
                                                      Ranking.schedule_slot == slot)) is not None


def publish(period: Period, now: datetime, user=None, schedule_slot: str | None = None) -> Ranking | None:
    """Compute and store a new immutable version of the period's list (flushes; the edge commits).

    Publications of one period queue behind each other (lock_sequence), so versions never collide. With
    `schedule_slot` ("monthly"/"weekly") the publication happens at most once per period: a second run — in this
    process or another — finds the first one's row and returns None.
    """
    if user is not None and not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以发布红黑榜。")
    lock_sequence(f"ranking {period.key}", 0)
    if schedule_slot and already_scheduled(period.key, schedule_slot):
        return None
    computed = compute(period, now)
    ids = ticket_ids_by_unit(period, now)
    cases = typical_cases(computed, ids)
    ranking = Ranking(
        period=period.key, kind=period.kind, period_start=period.start, period_end=period.end,
        version=_next_version(period.key), published_at=now, published_by_id=user.id if user else None,
        schedule_slot=schedule_slot, as_of=now, office=current_app.config["OFFICE_NAME"],
        rules_json=json.dumps(computed.rules.to_dict(), ensure_ascii=False), formula_text=computed.rules.text,
        cases_json=json.dumps(cases, ensure_ascii=False),
        summary_json=json.dumps(computed.summary(), ensure_ascii=False))
    db.session.add(ranking)
    db.session.flush()
    db.session.add_all(_entry_rows(ranking, computed.entries, ids))
    db.session.flush()
    return ranking


def _entry_rows(ranking: Ranking, entries: list[scoring.Entry], ids: dict) -> list[RankingEntry]:
    empty = {n: [] for n in scoring.COUNTS}
    return [RankingEntry(
        ranking_id=ranking.id, position=position, unit_id=e.unit.id, unit_code=e.unit.code,
        unit_name=e.unit.name, unit_kind=e.unit.kind or "", rank=e.rank, list_name=e.list_name,
        insufficient=e.insufficient, score=e.score, reason=e.reason,
        figures_json=json.dumps(e.figures.as_dict()),
        ticket_ids_json=json.dumps(ids.get(e.unit.id, empty)),
    ) for position, e in enumerate(entries, start=1)]


# ----------------------------------------------------------------------------- reading

def ensure_can_read(user) -> None:
    if not has_role(user, EVERYONE):
        raise Forbidden("您的角色无权查看红黑榜。")


def sees_ticket_details(user) -> bool:
    """Citywide readers see the ticket ids behind each figure and the typical cases; units see the list only."""
    return sees_citywide(user)


def list_rankings(user, period: str | None = None) -> list[Ranking]:
    ensure_can_read(user)
    query = select(Ranking).order_by(Ranking.period_start.desc(), Ranking.kind, Ranking.version.desc())
    if period:
        query = query.where(Ranking.period == parse_period(period).key)
    return list(db.session.scalars(query))


def get_ranking(user, ranking_id: int) -> Ranking:
    ensure_can_read(user)
    ranking = db.session.get(Ranking, ranking_id)
    if ranking is None:
        raise NotFound("红黑榜不存在。")
    return ranking


def versions_of(ranking: Ranking) -> list[Ranking]:
    return list(db.session.scalars(select(Ranking).where(Ranking.period == ranking.period)
                                   .order_by(Ranking.version.desc())))


def latest(kind: str | None = None) -> Ranking | None:
    """The newest version of the most recent period (of a kind)."""
    query = select(Ranking).order_by(Ranking.period_start.desc(), Ranking.version.desc()).limit(1)
    if kind:
        query = query.where(Ranking.kind == kind)
    return db.session.scalar(query)


def ranking_summary_dict(ranking: Ranking) -> dict:
    period = parse_period(ranking.period)
    return {"id": ranking.id, "period": ranking.period, "kind": ranking.kind, "period_label": period.label,
            "version": ranking.version, "published_at": isoformat(ranking.published_at),
            "scheduled": ranking.schedule_slot is not None}


def entry_dict(entry: RankingEntry | scoring.Entry, details: bool) -> dict:
    if isinstance(entry, scoring.Entry):
        unit = {"id": entry.unit.id, "code": entry.unit.code, "name": entry.unit.name, "kind": entry.unit.kind}
        figures, ids = entry.figures.as_dict(), entry.ticket_ids
    else:
        unit = {"id": entry.unit_id, "code": entry.unit_code, "name": entry.unit_name, "kind": entry.unit_kind}
        figures, ids = entry.figures, entry.ticket_ids
    data = {"unit": unit, "score": entry.score, "rank": entry.rank, "list": entry.list_name,
            "insufficient": entry.insufficient, "reason": entry.reason, "figures": figures}
    if details:
        data["ticket_ids"] = ids
    return data


def ranking_dict(ranking: Ranking, user) -> dict:
    """The published list; unit users get the figures without the ticket ids or the typical cases."""
    details = sees_ticket_details(user)
    data = ranking_summary_dict(ranking)
    data.update({
        "as_of": isoformat(ranking.as_of),
        "office": ranking.office,
        "formula": ranking.rules,
        "summary": ranking.summary,
        "entries": [entry_dict(e, details) for e in ranking.entries],
    })
    if details:
        data["cases"] = ranking.cases
    return data


def computed_dict(computed: Computed) -> dict:
    """An unpublished preview, in the same shape as a published list."""
    return {"id": None, "period": computed.period.key, "kind": computed.period.kind,
            "period_label": computed.period.label, "version": None, "published_at": None,
            "as_of": isoformat(computed.as_of), "formula": computed.rules.to_dict(), "summary": computed.summary(),
            "entries": [entry_dict(e, False) for e in computed.entries]}


# ----------------------------------------------------------------------------- PDF

def pdf_variant(user) -> str:
    """Units get the published list without the typical cases (other units' problems and photos)."""
    return "full" if sees_ticket_details(user) else "public"


def pdf_path(ranking: Ranking, variant: str) -> Path:
    folder = current_app.config["RANKINGS_PDF_FOLDER"] or Path(current_app.config["UPLOAD_FOLDER"]) / "rankings"
    return Path(folder) / f"ranking-{ranking.id}-v{ranking.version}-{variant}.pdf"


def ensure_pdf(ranking: Ranking, variant: str) -> Path:
    """The snapshot never changes, so its PDF is rendered once and kept."""
    from ..pdf import write_atomically
    from .pdf import render_ranking_pdf

    path = pdf_path(ranking, variant)
    if not path.is_file():
        write_atomically(path, lambda out: render_ranking_pdf(ranking, out, variant=variant,
                                                              photo_root=current_app.config["UPLOAD_FOLDER"]))
    return path


def pdf_for(user, ranking_id: int) -> tuple[Path, str]:
    """The list's PDF as this user may have it (units without the typical cases), and its file name."""
    ranking = get_ranking(user, ranking_id)
    return ensure_pdf(ranking, pdf_variant(user)), pdf_filename(ranking)


def pdf_filename(ranking: Ranking) -> str:
    return f"红黑榜-{ranking.period}-第{ranking.version}版.pdf"

