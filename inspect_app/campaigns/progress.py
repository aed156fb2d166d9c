"""A campaign's figures: what it found and how the units are putting it right, in total, week by week, and by
category, unit and district. Membership is tickets.campaigns.campaign_condition; a problem voided (a duplicate,
an invalid report) is not a problem found, and is counted apart."""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select

from ..common.numbers import round_half_up
from ..common.sql import count_where, stored_moment, untyped_rows
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..tickets.campaigns import Campaign, campaign_condition
from ..tickets.models import Ticket
from ..tickets.rules import ACTIVE_STATUSES, OPEN_STATUSES, STATUS_LABELS, overdue_condition
from ..units.models import Category, Segment, Unit

VOIDED = "cancelled"


def found_condition(campaign: Campaign, scope=None):
    """The campaign's problems found: its members, voided ones aside; within `scope` when given (a unit's own:
    tickets.policy.ticket_scope)."""
    condition = campaign_condition(campaign) & (Ticket.status != VOIDED)
    return condition if scope is None else condition & scope


PUT_RIGHT = ("closed", "rectified")  # put right: verified and closed, or reported and waiting to be verified


def _measures(now: datetime):
    """Found, closed, due (deadline passed by now: 应结案), due and put right by it (按期), overdue, in hand."""
    due = Ticket.deadline.is_not(None) & (Ticket.deadline <= now)
    on_time = (due & Ticket.status.in_(PUT_RIGHT) & Ticket.rectified_at.is_not(None)
               & (Ticket.rectified_at <= Ticket.deadline))
    return (func.count(Ticket.id), count_where(Ticket.status == "closed"), count_where(due), count_where(on_time),
            count_where(overdue_condition(now)), count_where(Ticket.status.in_(ACTIVE_STATUSES)))


def _rate(part: int, whole: int) -> float | None:
    return round_half_up(part / whole * 100, 1) if whole else None


@dataclass
class Tally:
    """A campaign's problems (or a category's, a unit's, a district's of them) as its pages count them."""
    total: int = 0
    closed: int = 0
    due: int = 0      # 应结案: the deadline has passed
    on_time: int = 0  # of those, put right by the deadline (按期结案)
    overdue: int = 0  # still open past the deadline
    open: int = 0     # in hand (在办): neither closed nor voided

    def add(self, status: str, due: bool, on_time: bool, overdue: bool, count: int = 1) -> None:
        """`count` problems found (not voided) in `status`, flagged as _measures counts them."""
        self.total += count
        self.closed += count if status == "closed" else 0
        self.open += count if status in ACTIVE_STATUSES else 0
        self.due += count if due else 0
        self.on_time += count if on_time else 0
        self.overdue += count if overdue else 0

    def merge(self, other: Tally) -> None:
        for name in ("total", "closed", "due", "on_time", "overdue", "open"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict:
        return {"total": self.total, "closed": self.closed, "due": self.due, "on_time": self.on_time,
                "overdue": self.overdue, "open": self.open, "closed_rate": _rate(self.closed, self.total),
                "on_time_rate": _rate(self.on_time, self.due)}


def summary(campaign: Campaign, now: datetime, scope=None) -> dict:
    """Found, closed (and 结案率), 按期结案率 of those due, overdue now and in hand (在办): one count (the list,
    the 领导看板's card)."""
    total, closed, due, on_time, overdue, open_ = (int(v or 0) for v in db.session.execute(
        select(*_measures(now)).where(found_condition(campaign, scope))).one())
    return Tally(total, closed, due, on_time, overdue, open_).as_dict()


def dates(campaign: Campaign) -> str:
    """2026年11月16日至12月13日; a campaign over the new year names both years."""
    first, last = campaign.start_date, campaign.end_date
    end = f"{last.year}年" if last.year != first.year else ""
    return f"{first.year}年{first.month}月{first.day}日至{end}{last.month}月{last.day}日"


def timeline(campaign: Campaign, now: datetime) -> dict:
    """Where the campaign stands in its dates: 未开始, day N of M, or 已结束."""
    today = local(now).date()
    length = (campaign.end_date - campaign.start_date).days + 1
    return {"status": campaign.status(today), "length": length, "dates": dates(campaign),
            "day": min(length, (today - campaign.start_date).days + 1) if today >= campaign.start_date else 0,
            "left": max(0, (campaign.end_date - today).days) if today <= campaign.end_date else 0}


def figures(campaign: Campaign, now: datetime, scope=None, split_units: bool = False) -> dict:
    """The summary, by status (voided ones too), the weeks, and the same split by category, unit and district
    (units with problems overdue first: those the office names); a unit's (`scope`) without the split by unit, a
    territory's (`split_units`) with it (the units that lead its problems).

    One read of the campaign's problems, counted here: at 1 M tickets a campaign of four categories over 12 weeks
    has 30,000, and the seven GROUP BYs this replaced cost ~30 ms each. Rows come as the DBAPI gives them (times
    compared as stored, stored_moment): turning 120,000 times into aware datetimes took 200 ms."""
    rows = untyped_rows(
        select(Ticket.status, Ticket.category_id, Ticket.unit_id, Ticket.segment_id, Ticket.reported_at,
               Ticket.closed_at, Ticket.deadline, Ticket.rectified_at)
        .where(campaign_condition(campaign) if scope is None else campaign_condition(campaign) & scope))
    moment = stored_moment(now)
    statuses, kinds, problems = Counter(), Counter(), []
    for status, category_id, unit_id, segment_id, reported, closed, deadline, rectified in rows:
        statuses[status] += 1
        if status == VOIDED:
            continue
        due = deadline is not None and deadline <= moment
        on_time = due and status in PUT_RIGHT and rectified is not None and rectified <= deadline
        overdue = status in OPEN_STATUSES and deadline is not None and deadline < moment
        kinds[(status, category_id, unit_id, segment_id, due, on_time, overdue)] += 1
        problems.append((reported, closed, deadline, rectified, status))
    total, by_category, by_unit, by_segment = Tally(), {}, {}, {}
    for (status, category_id, unit_id, segment_id, due, on_time, overdue), count in kinds.items():
        for tally in (total, by_category.setdefault(category_id, Tally()), by_unit.setdefault(unit_id, Tally()),
                      by_segment.setdefault(segment_id, Tally())):
            tally.add(status, due, on_time, overdue, count)
    out = total.as_dict()
    out["by_status"] = [{"status": s, "label": STATUS_LABELS[s], "count": statuses.get(s, 0)}
                            for s in STATUS_LABELS]
    out["voided"] = statuses.get(VOIDED, 0)
    out["by_category"] = _split(by_category, _names(Category, Category.code, Category.name), "")
    out["by_unit"] = [] if scope is not None and not split_units else sorted(
        _split(by_unit, _names(Unit, Unit.id, Unit.name), "（未派遣）"),
        key=lambda r: (-r["overdue"], -r["open"], -r["total"]))
    districts = _names(Segment, Segment.district, Segment.district)(by_segment)
    by_district: dict = {}
    for segment_id, tally in by_segment.items():
        by_district.setdefault(districts.get(segment_id, (None, None))[0], Tally()).merge(tally)
    out["by_district"] = _split(by_district, lambda keys: {k: (k, k) for k in keys}, "（无路段）")
    out["weeks"] = weeks(campaign, now, problems)
    out.update(timeline(campaign, now))
    return out


def _names(model, key_column, label_column):
    """ids -> {id: (key, label)} of the rows named (a category's code, a unit's id, a segment's district)."""
    def read(ids) -> dict:
        wanted = [i for i in ids if i is not None]
        if not wanted:
            return {}
        return {row_id: (key, label) for row_id, key, label in db.session.execute(
            select(model.id, key_column, label_column).where(model.id.in_(wanted)))}
    return read


def _split(tallies: dict, names, empty: str) -> list[dict]:
    """Rows with their key (for the ticket list's filter: category code, unit id, district), most found first."""
    named = names(tallies)
    rows = [{"key": named.get(ident, (None, None))[0], "name": named.get(ident, (None, None))[1] or empty,
             **tally.as_dict()} for ident, tally in tallies.items()]
    return sorted(rows, key=lambda r: (-r["total"], r["name"]))


@dataclass
class Week:
    """A calendar week (Monday to Sunday) of the campaign, cut to its dates and to today."""
    first: date
    last: date
    current: bool
    new: int = 0          # found in the week
    closed: int = 0       # closed (verified) in the week
    open_at_end: int = 0  # found by the week's end and not closed by then
    due: int = 0          # deadlines in the week (passed by now)
    on_time: int = 0      # of those, put right by the deadline

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.due)

    @property
    def span(self) -> str:
        """11月23日至11月29日; a week of one day (a Monday that is today, a campaign's last day alone in its week)
        its day: 12月7日, not 12月7日至12月7日. The page's chart and the 通报 both name weeks so."""
        first, last = f"{self.first.month}月{self.first.day}日", f"{self.last.month}月{self.last.day}日"
        return first if self.first == self.last else f"{first}至{last}"

    def as_dict(self) -> dict:
        return {"first": self.first.isoformat(), "last": self.last.isoformat(), "new": self.new,
                "closed": self.closed, "open_at_end": self.open_at_end, "due": self.due, "on_time": self.on_time,
                "on_time_rate": self.on_time_rate, "current": self.current}


def week_spans(campaign: Campaign, now: datetime) -> list[Week]:
    """The campaign's weeks up to today (none before it starts), the first and last cut to its dates."""
    today = local(now).date()
    last_day = min(campaign.end_date, today)
    spans, first = [], campaign.start_date
    while first <= last_day:
        last = min(first + timedelta(days=6 - first.weekday()), last_day)
        spans.append(Week(first, last, current=first <= today <= last))
        first = last + timedelta(days=1)
    return spans


def weeks(campaign: Campaign, now: datetime, problems) -> list[Week]:
    """Each week's problems found and closed, those open at its end, and its deadlines met, from `problems`
    ((reported_at, closed_at, deadline, rectified_at, status) of those found, times as stored: stored_moment), each
    put in its weeks by bisection. A closure after the campaign's end falls in no week; it shows in the summary."""
    spans = week_spans(campaign, now)
    if not spans:
        return []
    starts = [stored_moment(local_midnight(w.first)) for w in spans]
    stop = stored_moment(min(local_midnight(spans[-1].last + timedelta(days=1)), now))

    def week_of(moment) -> Week | None:
        if moment is None or moment < starts[0] or moment >= stop:
            return None
        return spans[bisect_right(starts, moment) - 1]

    for reported, closed, deadline, rectified, status in problems:
        if (week := week_of(reported)) is not None:
            week.new += 1
        if (week := week_of(closed)) is not None:
            week.closed += 1
        if (week := week_of(deadline)) is not None:
            week.due += 1
            week.on_time += status in PUT_RIGHT and rectified is not None and rectified <= deadline
    found = closed = 0
    for week in spans:  # open at a week's end: found by then, less closed by then (a closure follows its finding)
        found, closed = found + week.new, closed + week.closed
        week.open_at_end = found - closed
    return spans


def running_statement():
    """How many campaigns run on the day `campaign_day` (the menu shows 专项行动 to a unit only then)."""
    day = bindparam("campaign_day")
    return select(func.count(Campaign.id)).where(Campaign.start_date <= day, Campaign.end_date >= day)


def running(now: datetime) -> list[dict]:
    """The campaigns under way today with their summary (the 领导看板's card): a handful, one statement each."""
    today = local(now).date()
    found = db.session.scalars(select(Campaign).where(Campaign.start_date <= today, Campaign.end_date >= today)
                               .order_by(Campaign.end_date, Campaign.id))
    return [{"campaign": c, "figures": summary(c, now), **timeline(c, now)} for c in found]
