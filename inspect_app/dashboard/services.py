"""Leadership dashboard figures, aggregated in SQL. Each function takes `now`.

Definitions follow the 红黑榜 (rankings/scoring.py): 按期结案率 = 按期结案数 / 应结案数 over tickets whose deadline
fell in the month and has passed; 超期 = open (pending/assigned/disputed) past the deadline; 在办 = not yet closed
(pending/assigned/disputed/rectified), the same set as the ticket list's status=open filter. 新增 counts every report
received in the period (a report voided later still arrived); everything else leaves cancelled tickets out.

Speed (1M tickets, `python -m benchmarks --only dashboard`): every query is a range over an indexed column
(reported_at, closed_at, deadline, status) answered from a covering index — counts per week are COUNT(*)s; each
breakdown set is fetched as (category, unit, segment, flags) tuples and tallied with Counter into category,
district, unit and (open figures only) segment sums: SQLite's GROUP BY would sort every row first (_tickets).
The whole result is stored (snapshots.py, in the database, shared by every process) for DASHBOARD_CACHE_SECONDS
and renewed ahead of readers by the `dashboard.refresh` job (twice per period), so a page only reads it, links the
map and renders. Figures that no longer change are kept for DASHBOARD_SETTLED_SECONDS: ended weeks and months, the
month's new and closed tickets of the days before today, its due tickets closed before today, and the map's lines
while the segments stay the same; so a refresh counts the current week, today and the open tickets.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from flask import current_app
from sqlalchemy import and_, false, func, literal_column, select, union_all

from ..common.sql import count_where, untyped_rows
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..rankings.periods import Period, containing
from ..rankings.services import flags
from ..tickets.models import Ticket
from ..tickets.rules import ACTIVE_STATUSES, OPEN_STATUSES
from ..units.models import Category, Segment, Unit
from . import charts, snapshots

TREND_WEEKS = 12


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# ----------------------------------------------------------------------------- headline

def _count_query(column, start: datetime, end: datetime):
    # correlate(None): inside period_figures' SELECT FROM tickets it must stay a count of its own
    return select(func.count()).select_from(Ticket).where(column >= start, column < end).correlate(None) \
        .scalar_subquery()


def period_figures(start: datetime, end: datetime, now: datetime) -> dict:
    """新增 and 结案 in [start, min(end, now)), and 应结案 / 按期结案 for deadlines in that range, in one statement
    (one round trip): three ranges over three covering indexes."""
    stop = min(end, now)
    cond = flags(now)
    row = db.session.execute(
        select(func.count().label("due"), count_where(cond["on_time"]).label("on_time"),
               _count_query(Ticket.reported_at, start, stop).label("new"),
               _count_query(Ticket.closed_at, start, stop).label("closed"))
        .where(Ticket.deadline >= start, Ticket.deadline < stop, Ticket.status != "cancelled",
               Ticket.unit_id.is_not(None))).one()
    return {"new": int(row.new), "closed": int(row.closed), "due": int(row.due), "on_time": int(row.on_time),
            "on_time_rate": _rate(int(row.on_time), int(row.due))}


def letters_issued(start: datetime, end: datetime) -> int:
    """督办函 issued in the range (not the 督查通报: escalation/stats.issued_query)."""
    from ..escalation.stats import issued_query

    return db.session.scalar(issued_query(start, end)) or 0


def escalation_figures(now: datetime, period: Period) -> dict | None:
    """督办 waiting for a decision and this month's 约谈, 问责, 回潮 (escalation/stats.py); None without the feature."""
    try:
        from ..escalation.stats import dashboard_figures, overdue_reply_units_now
    except ImportError:
        return None
    figures = dashboard_figures(now, period.start, min(period.end, now))
    # overdue_replies counts letters, as the list it links to does; the units behind them are named beside it
    figures["overdue_units"] = overdue_reply_units_now(now) if figures["overdue_replies"] else 0
    return figures


def settled(kind: str, period: Period, now: datetime, compute) -> dict:
    """Figures of a period that has ended change rarely (a late verification can still make a ticket 按期结案),
    so they are kept for DASHBOARD_SETTLED_SECONDS instead of being recounted every minute."""
    if period.end > now:
        return compute()
    return _remember(f"{kind}:{period.key}", now, compute)


def month_headline(period: Period, now: datetime) -> dict:
    return settled("month", period, now, lambda: _month_headline(period, now))


def _month_headline(period: Period, now: datetime) -> dict:
    end = min(period.end, now)
    figures = period_figures(period.start, period.end, now)
    return {
        "period": period.key,
        "label": period.label,
        "new": figures["new"],
        "closed": figures["closed"],
        "due": figures["due"],
        "on_time": figures["on_time"],
        "on_time_rate": figures["on_time_rate"],
        "letters": letters_issued(period.start, end),
    }


def same_span_end(period: Period, now: datetime) -> datetime:
    """Where 上月同期 ends: as far into the previous month as `now` is into `period` (the 1st to the same day
    and hour), at most that month's end; all of it once `period` is over."""
    previous = period.previous()
    if now >= period.end:
        return previous.end
    return min(previous.start + (now - period.start), previous.end)


def same_span_headline(period: Period, now: datetime) -> dict:
    """上月同期: the previous month's figures from its start to same_span_end, so that on the 2nd of a month
    its two days are not set against a whole month. Counted afresh: the end moves with the clock."""
    start, end = period.previous().start, same_span_end(period, now)
    return {**period_figures(start, end, now), "letters": letters_issued(start, end)}


# ----------------------------------------------------------------------------- weekly trend

def _trend_weeks(now: datetime, weeks: int = TREND_WEEKS) -> list[Period]:
    periods = [containing(now, "week")]
    while len(periods) < weeks:
        periods.insert(0, periods[0].previous())
    return periods


def _weeks_key(ended: list[Period]) -> str:
    return f"weeks:{ended[0].key}:{ended[-1].key}"


def _day_key(name: str, period: Period, now: datetime) -> str:
    """A month's daily sums of `name` for the days before today (breakdowns)."""
    return f"{name}:{period.key}:{local(now).date().isoformat()}"


def weekly_trend(now: datetime, weeks: int = TREND_WEEKS) -> list[dict]:
    """The last `weeks` ISO weeks, the current one last: new, closed, and 按期结案率 of deadlines in the week."""
    periods = _trend_weeks(now, weeks)
    current = periods[-1]
    ended = periods[:-1]  # kept together: one stored value instead of eleven
    kept = _remember(_weeks_key(ended), now, lambda: [_week(p, now) for p in ended]) \
        if ended else []
    return [dict(week, current=False) for week in kept] + [dict(_week(current, now), current=True)]


def _week(period: Period, now: datetime) -> dict:
    figures = period_figures(period.start, period.end, now)
    return {"period": period.key, "label": f"{period.first_day.month}/{period.first_day.day}",
            "new": figures["new"], "closed": figures["closed"], "due": figures["due"],
            "on_time_rate": figures["on_time_rate"]}


# ----------------------------------------------------------------------------- breakdowns

class SegmentInfo(NamedTuple):
    id: int
    name: str
    district: str
    coords_json: str
    unit_id: int | None


class SegmentCount(NamedTuple):
    """A segment's open figures: what the map draws (charts.map_layout)."""
    active: int
    overdue: int


@dataclass
class Row:
    key: object
    name: str
    code: str = ""
    active: int = 0
    overdue: int = 0
    supervised: int = 0
    new: int = 0
    closed: int = 0
    due: int = 0
    on_time: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.due)


def _tickets(flag_columns, where) -> list[tuple]:
    """(category_id, unit_id, segment_id, *flags) of every matching ticket, read from a covering index.

    Counted in Python, not by GROUP BY: SQLite groups by sorting every row in a temporary B-tree, which at a
    million tickets cost ~4× the index range scan itself (a month's 27,000 due tickets: ~120 ms of CPU grouped,
    ~35 ms fetched as plain tuples); Counter then tallies them at C speed. Rows come straight from the DBAPI
    cursor: SQLAlchemy Row objects would double the fetch for nothing (the columns are integers and flags)."""
    return untyped_rows(select(Ticket.category_id, Ticket.unit_id, Ticket.segment_id, *flag_columns).where(*where))


def _remember(key: str, now: datetime, compute):
    """A value stored for DASHBOARD_SETTLED_SECONDS (snapshots.py)."""
    return snapshots.kept(key, float(current_app.config["DASHBOARD_SETTLED_SECONDS"]), now, compute)


class Reference(NamedTuple):
    """Categories, units and segments as the breakdowns name them, and what is derived from them."""
    categories: dict  # id: (id, code, name, group, active)
    units: dict  # id: (id, code, name, active)
    segments: dict[int, SegmentInfo]
    district_of: dict  # segment id: district
    shape: str  # hash of the segments' lines and districts: the key of the kept map (_map)


_REFERENCE: list[tuple] = []  # [(the rows last read, their Reference)]: one tuple, swapped whole (threads)


def reference() -> Reference:
    """Read every refresh (three small SELECTs, rows as the DBAPI gives them) but turned into dicts, segment
    records and the map's key only when they differ from the rows read last: they change seldom, and that work
    was a tenth of a refresh. Kept by content, so a change shows at the next refresh."""
    raw = (untyped_rows(select(Category.id, Category.code, Category.name, Category.group, Category.active)),
           untyped_rows(select(Unit.id, Unit.code, Unit.name, Unit.active)),
           untyped_rows(select(Segment.id, Segment.name, Segment.district, Segment.coords_json, Segment.unit_id)))
    kept = _REFERENCE[0] if _REFERENCE else None
    if kept is not None and kept[0] == raw:
        return kept[1]
    categories, units, segment_rows = raw
    segments = {row[0]: SegmentInfo._make(row) for row in segment_rows}
    shape = hashlib.sha1("\n".join(f"{s.id}\t{s.district}\t{s.coords_json}" for s in segments.values())
                         .encode()).hexdigest()[:16]
    ref = Reference({row[0]: row for row in categories}, {row[0]: row for row in units}, segments,
                    {seg.id: seg.district for seg in segments.values()}, shape)
    _REFERENCE[:] = [(raw, ref)]
    return ref


FIELDS = ("active", "overdue", "supervised", "new", "closed", "due", "on_time")


class _Rollup:
    """Sums by category, district and unit, tallied from ticket tuples (_tickets), and by segment the open figures
    the map draws (active, overdue: a segment's other figures are shown nowhere, and leaving them out keeps the
    stored daily sums to a few hundred keys). Plain lists while adding, Row objects at the end."""

    TABLES = ("category", "district", "unit")

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.sums: dict[tuple, list[int]] = {}
        self.segment_active: Counter = Counter()
        self.segment_overdue: Counter = Counter()

    def add_tickets(self, tickets: list[tuple], fields: tuple[str, ...], into: dict | None = None) -> dict:
        """tickets: (category_id, unit_id, segment_id, *flags); fields[0] counts every ticket, fields[i] those
        whose flag i is set (a field None: not counted). Counter and map run at C speed: no Python statement per
        ticket."""
        sums = self.sums if into is None else into
        district_of = self.ref.district_of.get
        width = len(FIELDS)
        for i, name in enumerate(fields):
            if name is None:
                continue
            rows = tickets if i == 0 else list(compress(tickets, map(itemgetter(2 + i), tickets)))
            segment_ids = list(map(itemgetter(2), rows))
            index = FIELDS.index(name)
            for table, tally in (("category", Counter(map(itemgetter(0), rows))),
                                 ("unit", Counter(map(itemgetter(1), rows))),
                                 ("district", Counter(map(district_of, segment_ids)))):
                for key, n in tally.items():
                    acc = sums.get((table, key))
                    if acc is None:
                        acc = sums[(table, key)] = [0] * width
                    acc[index] += n
            if into is None and name in ("active", "overdue"):
                counter = self.segment_active if name == "active" else self.segment_overdue
                counter.update(filter(self.ref.segments.__contains__, segment_ids))
        return sums

    def add_sums(self, other: list) -> None:
        """other: [[table, key, values], ...] (as stored by _remember)."""
        for table, key, values in other:
            acc = self.sums.setdefault((table, key), [0] * len(FIELDS))
            for i, value in enumerate(values):
                acc[i] += value

    def ensure(self, table: str, key) -> None:
        self.sums.setdefault((table, key), [0] * len(FIELDS))

    def rows(self) -> dict[str, dict]:
        by: dict[str, dict] = {table: {} for table in self.TABLES}
        for (table, key), values in self.sums.items():
            by[table][key] = self._make(table, key, values)
        overdue = self.segment_overdue
        by["segment"] = {seg_id: SegmentCount(n, overdue[seg_id]) for seg_id, n in self.segment_active.items()}
        return by

    def _make(self, table: str, key, values: list[int]) -> Row:
        if table == "category":
            cat = self.ref.categories.get(key)
            return Row(key, cat[2] if cat else "未知类别", cat[1] if cat else "", *values,
                       extra={"group": cat[3] if cat else ""})
        if table == "district":
            return Row(key, key or "未定位路段", "", *values)
        unit = self.ref.units.get(key)
        return Row(key, unit[2] if unit else "待派遣", unit[1] if unit else "", *values)


def breakdowns(period: Period, now: datetime) -> dict:
    """在办/超期/督办中 now, and 新增/结案/按期结案率 in the month, by category, district, unit and segment.

    新增 and 结案 of the days before today never change (reported_at and closed_at are written once, in the
    past), so their month-to-yesterday sums are counted once a day and only today's are counted per request."""
    end = min(period.end, now)
    today = max(period.start, min(local_midnight(local(now).date()), end))
    past = today > period.start  # days of the month before today, whose settled figures are kept
    cond = flags(now)
    ref = reference()
    rollup = _Rollup(ref)
    due = [Ticket.deadline >= period.start, Ticket.deadline < end, Ticket.status != "cancelled",
           Ticket.unit_id.is_not(None)]
    # The month's due tickets (应结案) fall in four parts, each read where it is cheap:
    # - closed before today with the deadline before today: settled (closed is the last status, and a closed
    #   ticket's deadline and dates no longer move), counted once a day and kept;
    # - still 在办 with the deadline before today: flagged in the open tickets' read below (not on time);
    # - closed today with the deadline before today: flagged in the read of today's closed tickets;
    # - due today: their own small range of the deadline index.
    # (closed_at is set exactly when a ticket is closed — approve() — and never cleared, so no closed ticket lacks
    # it.) Before, one read filtered the month's whole deadline range (27,000 rows at 1M) for the last three parts.
    due_before_today = [Ticket.deadline >= period.start, Ticket.deadline < today, Ticket.unit_id.is_not(None)]

    # 超期 among the 在办 tickets: open (not rectified, the one 在办 status that is not open) and past the deadline.
    # Said so instead of status IN (open statuses): SQLite evaluates that IN list per row, twice (~10 ms at 1M).
    (waiting,) = set(ACTIVE_STATUSES) - set(OPEN_STATUSES)
    overdue = and_(Ticket.status != waiting, Ticket.deadline < now)
    open_flags, open_fields = [overdue, and_(overdue, Ticket.escalation_level >= 1)], ("active", "overdue", "supervised")
    if past:
        open_flags.append(and_(*due_before_today))
        open_fields += ("due",)
    rollup.add_tickets(_tickets(open_flags, [Ticket.status.in_(ACTIVE_STATUSES)]), open_fields)
    if past:
        final = [Ticket.deadline < today, Ticket.status == "closed", Ticket.closed_at < today]

        def settled_due() -> list:
            sums = rollup.add_tickets(_tickets([cond["on_time"]], [*due, *final]), ("due", "on_time"), {})
            return [[table, key, values] for (table, key), values in sums.items()]
        rollup.add_sums(_remember(_day_key("due", period, now), now, settled_due))

    # Today's tickets in one statement (one round trip; each part its own index range): due today; reported
    # today; closed from today on (a clock a little behind another process's may read one closed after `now`):
    # 结案 if before `now`, and due but not settled if the deadline fell before today. Rows: (part, category, unit,
    # segment, three flags). 新增 and 结案 need no status test: closed_at is set only by approving (and a closed
    # ticket cannot be cancelled); one would tempt SQLite into the status index instead of the range.
    closed_due = and_(cond["closed"], *due_before_today)
    grouped, no = (Ticket.category_id, Ticket.unit_id, Ticket.segment_id), false()
    today_rows: dict[int, list] = {0: [], 1: [], 2: []}
    for row in untyped_rows(union_all(
            select(literal_column("0"), *grouped, cond["on_time"], no, no).where(Ticket.deadline >= today, *due[1:]),
            select(literal_column("1"), *grouped, no, no, no).where(Ticket.reported_at >= today,
                                                                     Ticket.reported_at < end),
            select(literal_column("2"), *grouped, Ticket.closed_at < end, closed_due, and_(closed_due, cond["on_time"]))
            .where(Ticket.closed_at >= today))):
        today_rows[row[0]].append(row[1:])
    rollup.add_tickets(today_rows[0], ("due", "on_time"))

    for part, name, column in ((1, "new", Ticket.reported_at), (2, "closed", Ticket.closed_at)):
        if past:
            def past_days(c=column, n=name) -> list:
                sums = rollup.add_tickets(_tickets([], [c >= period.start, c < today]), (n,), {})
                return [[table, key, values] for (table, key), values in sums.items()]
            rollup.add_sums(_remember(_day_key(name, period, now), now, past_days))
        rollup.add_tickets(today_rows[part], ("new",) if part == 1 else (None, "closed", "due", "on_time"))

    # Every active unit and category shows, even with nothing to count.
    for unit_id, unit in ref.units.items():
        if unit[3]:
            rollup.ensure("unit", unit_id)
    for category_id, cat in ref.categories.items():
        if cat[4]:
            rollup.ensure("category", category_id)
    by = rollup.rows()
    totals = {name: sum(getattr(r, name) for r in by["category"].values())
              for name in ("active", "overdue", "supervised", "new", "closed", "due", "on_time")}
    return {"by": by, "segments": ref.segments, "shape": ref.shape, "totals": totals}


# ----------------------------------------------------------------------------- everything

def dashboard_data(now: datetime) -> dict:
    this_month = containing(now, "month")
    # the kept figures this computation reads (when DASHBOARD_SETTLED_SECONDS keeps any), read in one SELECT
    kept = [f"month:{this_month.previous().key}", *(_day_key(name, this_month, now) for name in ("due", "new", "closed"))]
    if TREND_WEEKS > 1:
        kept.append(_weeks_key(_trend_weeks(now)[:-1]))
    settled_seconds = float(current_app.config["DASHBOARD_SETTLED_SECONDS"])
    with snapshots.preloaded(kept if settled_seconds > 0 else []):
        return _dashboard_data(this_month, now)


def _dashboard_data(this_month: Period, now: datetime) -> dict:
    parts = breakdowns(this_month, now)
    by = parts["by"]
    from ..rankings import services as rankings

    latest = {kind: rankings.latest(kind) for kind in ("month", "week")}
    totals = parts["totals"]
    escalation = escalation_figures(now, this_month)  # with the month's letters: one statement for both
    this = {"period": this_month.key, "label": this_month.label,
            **{name: totals[name] for name in ("new", "closed", "due", "on_time")},
            "on_time_rate": _rate(totals["on_time"], totals["due"]),
            "letters": escalation.pop("issued") if escalation is not None
            else letters_issued(this_month.start, min(this_month.end, now))}
    return {
        "now": now,
        "this": this,
        "last": month_headline(this_month.previous(), now),
        "same": same_span_headline(this_month, now),
        # 超期 (open, past the deadline) and of those 督办中: every overdue ticket is 在办, so the breakdowns counted them
        "overdue": {"overdue": totals["overdue"], "supervised": totals["supervised"]},
        "trend": weekly_trend(now),
        "by_category": sorted(by["category"].values(), key=lambda r: (-r.active, -r.new, r.code)),
        "by_district": sorted(by["district"].values(), key=lambda r: (r.key is None, -r.active, r.name)),
        "by_unit": list(by["unit"].values()),
        "map": _map(parts["segments"], parts["shape"], by["segment"], now),  # drawn here, linked per reader
        "rankings": {kind: _ranking_brief(r) for kind, r in latest.items()},
        "escalation": escalation,
        "campaigns": _campaigns(now),
        "computed_at": local(now),
    }


def _campaigns(now: datetime) -> list[dict]:
    """The 专项整治行动 under way, each with its day and figures (the card; stored with the rest: at 1 M tickets
    two campaigns' counts took 66 ms, too much for every page)."""
    try:
        from ..campaigns.progress import running
    except ImportError:  # a build without campaigns
        return []
    return [{"id": r["campaign"].id, "name": r["campaign"].name, "day": r["day"], "length": r["length"],
             **{k: r["figures"][k] for k in ("total", "closed_rate", "overdue")}} for r in running(now)]


def _map(segments: dict, shape: str, by_segment: dict, now: datetime) -> dict:
    """The map with this refresh's dots; its lines and dot positions are kept while the segments stay the same
    (`shape`: their hash, from reference()). Stored with the figures are the dots and the key of the lines (about a
    third of the stored figures, unchanged from one refresh to the next): map_for_page puts them back."""
    base = _map_base(shape, now, lambda: charts.map_base(segments))
    layout = charts.map_layout(segments, by_segment, base)
    if layout["dots"] is None or float(current_app.config["DASHBOARD_SETTLED_SECONDS"]) <= 0:
        return layout  # nothing kept to refer to: the picture goes with the figures
    return {"base": shape, "dots": layout["dots"]}


def _map_base(shape: str, now: datetime, compute) -> dict:
    base = _MAP_BASES.get(shape) or _remember(f"map:{shape}", now, compute)
    if float(current_app.config["DASHBOARD_SETTLED_SECONDS"]) > 0:
        _MAP_BASES.clear()  # the latest shape only: segments change seldom
        _MAP_BASES[shape] = base  # the shape is the content's hash: safe to keep in the process
    return base


def map_for_page(stored: dict) -> dict:
    """The stored map ({"base": shape, "dots"}) with its lines: from this process, else as kept in the database
    (whatever its age: the key is the content's hash), else drawn again from the segments."""
    if "base" not in stored:
        return stored
    shape = stored["base"]
    base = _MAP_BASES.get(shape)
    if base is None:
        base = snapshots.read_any(f"map:{shape}")
        if base is None:
            base = charts.map_base(reference().segments)
        _MAP_BASES.clear()
        _MAP_BASES[shape] = base
    return {"svg": base["svg"], "dots": stored["dots"]}


_MAP_BASES: dict[str, dict] = {}


def _ranking_brief(ranking) -> dict | None:
    if ranking is None:
        return None
    from ..rankings.periods import parse_period
    from ..rankings.services import stored_figures

    # Plain dicts: this result is stored (snapshots.py); ORM rows would not survive that. Each entry's figures link
    # as on the list's page (figure_list_url): to the problems it stored for them, else over the period's days.
    entries = [{"unit_id": e.unit_id, "unit_code": e.unit_code, "unit_name": e.unit_name, "rank": e.rank,
                "score": e.score, "reason": e.reason, "list_name": e.list_name, "figures": e.figures,
                "group": e.group_name, "entry_id": e.id, "stored_figures": stored_figures(e.figures, e.ticket_ids)}
               for e in ranking.entries if e.list_name]
    red = [e for e in entries if e["list_name"] == "red"]  # published order: group by group, best first
    black = [e for e in entries if e["list_name"] == "black"]
    period = parse_period(ranking.period)
    return {"id": ranking.id, "period": ranking.period, "label": period.label,
            "day_from": period.first_day.isoformat(), "day_to": period.last_day.isoformat(),
            "version": ranking.version, "published_at": ranking.published_at,
            "red": _by_group(red), "black": _by_group(black, worst_first=True)}


def _by_group(entries: list[dict], worst_first: bool = False) -> list[dict]:
    """[{"group": name, "entries": [...]}] in the published group order. Ranks count within a group, so a list
    that runs on across groups would put a group's first place below another's tenth."""
    groups: dict[str, list[dict]] = {}
    for e in entries:
        groups.setdefault(e["group"], []).append(e)
    if worst_first:
        for members in groups.values():
            members.sort(key=lambda e: (e["rank"] is None, -(e["rank"] or 0), e["unit_code"]))
    return [{"group": name, "entries": members} for name, members in groups.items()]


# ----------------------------------------------------------------------------- stored

TYPES = {"Row": Row}
LIVE = "live-7"  # the stored dashboard's key; a new one whenever its shape changes, so no reader gets the old shape


def refresh(now: datetime) -> dict:
    """Compute the dashboard and store it for every reader (the dashboard.refresh job)."""
    data = dashboard_data(now)
    snapshots.write(LIVE, data, now)
    return data


def current_dashboard(now: datetime) -> dict:
    """The stored dashboard while it is younger than DASHBOARD_CACHE_SECONDS, else computed now and stored."""
    return snapshots.kept(LIVE, float(current_app.config["DASHBOARD_CACHE_SECONDS"]), now,
                          lambda: dashboard_data(now), TYPES)
