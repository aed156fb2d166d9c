"""A campaign's figures: what it found and how the units are putting it right, in total, week by week, and by
category, unit and district. Membership is tickets.campaigns.campaign_condition; a problem voided (a duplicate,
an invalid report) is not a problem found, and is counted apart."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select

from ..common.sql import count_where
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..tickets.campaigns import Campaign, campaign_condition
from ..tickets.models import Ticket
from ..tickets.rules import ACTIVE_STATUSES, STATUS_LABELS, overdue_condition
from ..units.models import Category, Segment, Unit

VOIDED = "cancelled"


def found_condition(campaign: Campaign, scope=None):
    """The campaign's problems found: its members, voided ones aside; within `scope` when given (a unit's own:
    tickets.policy.ticket_scope)."""
    condition = campaign_condition(campaign) & (Ticket.status != VOIDED)
    return condition if scope is None else condition & scope


def _on_time():
    """Put right by the deadline (rectified, or verified and closed)."""
    return (Ticket.status.in_(("closed", "rectified")) & Ticket.rectified_at.is_not(None)
            & Ticket.deadline.is_not(None) & (Ticket.rectified_at <= Ticket.deadline))


def _measures(now: datetime):
    return (func.count(Ticket.id), count_where(Ticket.status == "closed"), count_where(_on_time()),
            count_where(overdue_condition(now)), count_where(Ticket.status.in_(ACTIVE_STATUSES)))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole * 100, 1) if whole else None


def _shape(row) -> dict:
    total, closed, timely, overdue, open_ = (int(v or 0) for v in row)
    return {"total": total, "closed": closed, "on_time": timely, "overdue": overdue, "open": open_,
            "closed_rate": _rate(closed, total), "on_time_rate": _rate(timely, total)}


def summary(campaign: Campaign, now: datetime, scope=None) -> dict:
    """Found, closed, put right on time, overdue now and still being worked on (在办), with the two rates."""
    return _shape(db.session.execute(select(*_measures(now)).where(found_condition(campaign, scope))).one())


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


def figures(campaign: Campaign, now: datetime, scope=None) -> dict:
    """The summary, by status (voided ones too), the weeks, and the same split by category, unit and district
    (units with problems overdue first: those the office names); a unit's (`scope`) without the split by unit."""
    member = found_condition(campaign, scope)
    result = summary(campaign, now, scope)
    every = campaign_condition(campaign) if scope is None else campaign_condition(campaign) & scope
    by_status = {status: n for status, n in db.session.execute(
        select(Ticket.status, func.count(Ticket.id)).where(every).group_by(Ticket.status))}
    result["by_status"] = [{"status": s, "label": STATUS_LABELS[s], "count": by_status.get(s, 0)}
                           for s in STATUS_LABELS]
    result["voided"] = by_status.get(VOIDED, 0)

    def split(key_column, label_column, empty: str, join) -> list[dict]:
        """Rows with their key (for the ticket list's filter: category code, unit id, district), most found first."""
        rows = db.session.execute(
            select(key_column, label_column, *_measures(now)).select_from(Ticket).outerjoin(*join).where(member)
            .group_by(key_column, label_column).order_by(func.count(Ticket.id).desc(), label_column))
        return [{"key": key, "name": label or empty, **_shape(rest)} for key, label, *rest in rows]

    result["by_category"] = split(Category.code, Category.name, "", (Category, Category.id == Ticket.category_id))
    result["by_unit"] = [] if scope is not None else sorted(
        split(Unit.id, Unit.name, "（未派遣）", (Unit, Unit.id == Ticket.unit_id)),
        key=lambda r: (-r["overdue"], -r["open"], -r["total"]))
    result["by_district"] = split(Segment.district, Segment.district, "（无路段）",
                                  (Segment, Segment.id == Ticket.segment_id))
    result["weeks"] = weeks(campaign, now, scope)
    result.update(timeline(campaign, now))
    return result


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


def weeks(campaign: Campaign, now: datetime, scope=None) -> list[Week]:
    """Each week's problems found and closed, those open at its end, and its deadlines met: one read of the
    campaign's problems, each put in its weeks by bisection. A closure after the campaign's end falls in no week;
    it shows in the summary."""
    spans = week_spans(campaign, now)
    if not spans:
        return []
    starts = [local_midnight(w.first) for w in spans]
    stop = min(local_midnight(spans[-1].last + timedelta(days=1)), now)

    def week_of(moment: datetime | None) -> Week | None:
        if moment is None or moment < starts[0] or moment >= stop:
            return None
        return spans[bisect_right(starts, moment) - 1]

    rows = db.session.execute(select(Ticket.reported_at, Ticket.closed_at, Ticket.deadline, Ticket.rectified_at,
                                     Ticket.status).where(found_condition(campaign, scope)))
    for reported, closed, deadline, rectified, status in rows:
        if (week := week_of(reported)) is not None:
            week.new += 1
        if (week := week_of(closed)) is not None:
            week.closed += 1
        if (week := week_of(deadline)) is not None:
            week.due += 1
            if status in ("closed", "rectified") and rectified is not None and rectified <= deadline:
                week.on_time += 1
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
