"""辖区概况: an overseeing unit's figures for each unit directly under it (a district's streets, each with its own
subtree: a street and its 社区), for its own problems, and for the whole territory (units/territory.py).

Problems count for a row by the one territory rule (tickets/territory.in_territory): a problem on a street's ground
led by a city department counts for that street. So one problem may count in two rows (led by one street, found
on another's ground) and the total is not the rows' sum.

The figures are the 领导看板's and the 红黑榜's, by their conditions, not by a definition of this page's:
- 在办: not closed nor cancelled (rules.ACTIVE_STATUSES, the ticket list's status=open); 其中超期: open past the
  deadline (rules.overdue_condition, the list's overdue=1) — both as of now, whatever the period;
- 本期发现: the 红黑榜's 发现问题 (rankings/counts.found_between: reported in the period, dispatched, not 作废);
- 本期办结: the 看板's 结案 (closed in the period);
- 按期办结率: 按期结案数 / 应结案数 over the problems due in the period by now (counts.due_between, flags on_time);
- 督办函: letters of 督办 issued in the period (escalation/stats.issued_query: not the 督查通报) to any unit of the row.
Each row is one SELECT of conditional counts, all rows in one statement (one round trip), built once per number
of rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import BindParameter, and_, bindparam, literal_column, or_, select, union_all

from ..common.errors import Forbidden
from ..common.sql import count_where
from ..escalation.models import Letter, LetterUnit
from ..escalation.stats import issued_query
from ..extensions import db
from ..rankings import services as rankings
from ..rankings.counts import due_between, flags, found_between
from ..rankings.models import RankingEntry
from ..rankings.periods import Period, containing
from ..tickets.models import Ticket
from ..tickets.rules import ACTIVE_STATUSES, overdue_condition
from ..tickets.territory import in_territory
from ..units.models import Unit
from ..units.territory import children_by_parent, subtree_ids, territory_ids

NOBODY_UNDER = "本单位没有下属单位，没有辖区概况可看。"
FIGURES = ("active", "overdue", "found", "closed", "due", "on_time", "letters")


@dataclass
class Place:
    """A unit's place on the latest published 红黑榜."""
    group: str
    rank: int
    score: float
    list_name: str | None  # "red" | "black" | None (ranked, on neither list)


@dataclass
class Row:
    unit_id: int | None     # None: the whole territory (合计)
    name: str
    code: str = ""
    kind: str = "sub"       # "sub": a unit under this one, with its subtree; "own": this unit's own; "total"
    active_unit: bool = True
    active: int = 0
    overdue: int = 0
    found: int = 0
    closed: int = 0
    due: int = 0
    on_time: int = 0
    letters: int = 0
    place: Place | None = None
    units: int = 1          # units in the row's subtree

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in FIGURES)


@dataclass
class Overview:
    unit: Unit
    period: Period
    rows: list[Row]          # the units under it, worst first
    own: Row
    total: Row
    ranking: object | None   # the latest published 红黑榜 (rankings.latest)
    choices: list[Period] = field(default_factory=list)


def period_choices(now: datetime) -> list[Period]:
    """The periods the 红黑榜 page suggests: this and last month, this and last ISO week."""
    month, week = containing(now, "month"), containing(now, "week")
    return [month, month.previous(), week, week.previous()]


def _figures(ids: BindParameter):
    """(columns, condition) of one row's SELECT over the problems in the territory made of the units `ids` (an
    expanding parameter); the period is (start, until), until = min(period end, now)."""
    start, until, now = bindparam("start"), bindparam("until"), bindparam("now")
    found, due = found_between(start, until), due_between(start, until)
    active = Ticket.status.in_(ACTIVE_STATUSES)
    closed = and_(Ticket.closed_at >= start, Ticket.closed_at < until)  # closed_at: set by closing only (看板's 结案)
    letters = (issued_query(start, until)
               .where(Letter.id.in_(select(LetterUnit.letter_id).where(LetterUnit.unit_id.in_(ids))))
               .correlate(None).scalar_subquery())
    columns = (count_where(active), count_where(overdue_condition(now)), count_where(found), count_where(closed),
               count_where(due), count_where(and_(due, flags(now)["on_time"])), letters)
    return columns, and_(in_territory(ids), or_(active, found, closed, due))


@lru_cache(maxsize=16)
def _statement(rows: int):
    """The figures of `rows` territories (parameters ids_0, ids_1, ...) in one statement, built once: built per
    request, SQLAlchemy spent ten times longer making it and its cache key than the database spent answering."""
    parts = []
    for i in range(rows):
        columns, where = _figures(bindparam(f"ids_{i}", expanding=True))
        parts.append(select(literal_column(str(i)), *columns).where(where))
    return union_all(*parts)


def _count(groups: list[frozenset[int]], period: Period, now: datetime) -> list[dict]:
    """The figures of each group of units, in one statement."""
    params = {"start": period.start, "until": min(period.end, now), "now": now,
              **{f"ids_{i}": sorted(ids) for i, ids in enumerate(groups)}}
    found = {row[0]: dict(zip(FIGURES, (int(v or 0) for v in row[1:])))
             for row in db.session.execute(_statement(len(groups)), params)}
    return [found.get(i, dict.fromkeys(FIGURES, 0)) for i in range(len(groups))]


def _places(ranking, unit_ids: list[int]) -> dict[int, Place]:
    """The ranked entries of these units on the ranking (a unit not ranked, or left out of it, has none)."""
    if ranking is None:
        return {}
    entries = db.session.scalars(select(RankingEntry).where(RankingEntry.ranking_id == ranking.id,
                                                            RankingEntry.unit_id.in_(unit_ids),
                                                            RankingEntry.rank.is_not(None)))
    return {e.unit_id: Place(e.group_name, e.rank, e.score, e.list_name) for e in entries}


def overview(user, period: Period, now: datetime) -> Overview:
    """The 辖区概况 of the user's unit; Forbidden for a user who oversees nobody."""
    territory = territory_ids(user)
    if territory is None:
        raise Forbidden(NOBODY_UNDER, code="no_territory")
    own = db.session.get(Unit, user.unit_id)
    under = list(db.session.scalars(select(Unit).where(Unit.parent_id == own.id).order_by(Unit.code)))
    children = children_by_parent()  # read once for every row's subtree
    subtrees = [subtree_ids(unit.id, children) & territory for unit in under]
    figures = _count([*subtrees, frozenset({own.id}), territory], period, now)
    ranking = rankings.latest()
    places = _places(ranking, [own.id, *(unit.id for unit in under)])

    def row(unit, kind, counted, units=1) -> Row:
        return Row(unit.id, unit.name, unit.code, kind, unit.active, **counted, place=places.get(unit.id),
                   units=units)

    rows = [row(unit, "sub", counted, len(ids)) for unit, ids, counted in zip(under, subtrees, figures)
            if unit.active or any(counted.values())]  # a unit stopped shows while it still has figures here
    rows.sort(key=lambda r: (-r.overdue, -r.active, -(r.found - r.closed), r.code))
    total = Row(None, "辖区合计", kind="total", **figures[-1], units=len(territory))
    return Overview(own, period, rows, row(own, "own", figures[-2]), total, ranking, period_choices(now))


def standing(user, now: datetime) -> dict | None:
    """The 辖区's open and overdue problems now, as the 辖区概况's 合计 counts them (one statement), for the user's
    消息 page; None for a user who oversees nobody."""
    territory = territory_ids(user)
    if territory is None:
        return None
    [figures] = _count([territory], containing(now, "month"), now)
    return figures


def digest_lines(unit_id: int, now: datetime, worst: int = 3) -> list[str]:
    """The 辖区's lines in an overseeing unit's 每日提醒 (notices.queue_digest): its open and overdue problems as the
    辖区概况's 合计 counts them, the units under it with the most overdue (at most `worst`), and this month's 督办函;
    none for a unit with nobody under it."""
    children = children_by_parent()
    territory = subtree_ids(unit_id, children)
    if len(territory) == 1:
        return []
    under = list(db.session.execute(select(Unit.id, Unit.name).where(Unit.parent_id == unit_id).order_by(Unit.code)))
    month = containing(now, "month")
    *figures, total = _count([*(subtree_ids(uid, children) for uid, _ in under), territory], month, now)
    line = f"辖区在办问题 {total['active']} 件，其中已超期 {total['overdue']} 件"
    late = sorted(((counted["overdue"], name) for (_, name), counted in zip(under, figures) if counted["overdue"]),
                  key=lambda pair: -pair[0])[:worst]
    if late:
        line += "（" + "、".join(f"{name} {count} 件" for count, name in late) + "）"
    if total["letters"]:
        line += f"；本月辖区单位收到督办函 {total['letters']} 份"
    return [line + "。详见“辖区概况”。"]
