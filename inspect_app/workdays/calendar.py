"""Working days: the State Council schedule (chinese-calendar) with the office's own entries on top.

For a year that chinese-calendar does not know, the days off the law fixes (statutory_days) are holidays and the
other days Monday to Friday working days, until the office enters that year's State Council notice; a warning is
logged once per year and process, and deadline maths never fails for lack of a schedule.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType

import chinese_calendar
from sqlalchemy import select

from ..common.timeutil import SHANGHAI, as_utc, local
from ..extensions import db
from .models import Holiday

log = logging.getLogger(__name__)
_warned_years: set[int] = set()
# Deadlines reach at most this far; enough for 60 working days across Spring Festival.
_LOOKAHEAD_DAYS = 120


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


@lru_cache(maxsize=16)
def statutory_days(year: int) -> Mapping[date, str]:
    """The days off the law fixes for a year, with their Chinese names: 元旦, 春节 (除夕 to 初三), 清明节, 劳动节
    (1 and 2 May), 端午节, 中秋节, 国庆节 (1 to 3 October), as 全国年节及纪念日放假办法 sets them (its 2024 revision from
    2025 on). The lunar and solar-term dates are python-holidays' (checked against lunar-python for 2027–2030).
    The State Council's yearly notice adds bridging days and weekend 调休 around these; it never takes one away,
    so they are days off for certain in a year whose notice nobody has entered yet. (For a year whose notice
    python-holidays itself holds, its bridging days off come too.) Read-only: the result is shared."""
    from holidays.countries.china import China  # about 0.1 s to import: only ever for a year chinese-calendar lacks

    return MappingProxyType(dict(China(years=year, observed=False, language="zh_CN")))


class WorkCalendar:
    """A calendar over the office's overrides; pure, so tests can build one directly."""

    def __init__(self, overrides: dict[date, str] | None = None):
        self.overrides = overrides or {}
        self._override_years = {d.year for d in self.overrides}

    def is_workday(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == "workday"
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._override_years and day.year not in _warned_years:
                _warned_years.add(day.year)
                log.warning("No holiday schedule for %s: counting the statutory holidays as days off and the other "
                            "days Monday to Friday as working days. Enter the State Council schedule under 节假日设置.",
                            day.year)
            return day.weekday() < 5 and day not in statutory_days(day.year)

    def first_workday(self, first: date, last: date) -> date | None:
        """The first working day from `first` to `last` (both included), or None when there is none."""
        day = first
        while day <= last:
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        return None

    def add_workdays(self, start: datetime, workdays: int) -> datetime:
        """End (23:59:59 Shanghai) of the n-th working day after the local day of `start`."""
        day = local(start).date()
        counted = 0
        while counted < workdays:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return as_utc(datetime.combine(day, time(23, 59, 59), SHANGHAI))

    def deadline(self, rule: dict, start: datetime) -> datetime:
        if rule.get("workdays"):
            return self.add_workdays(start, int(rule["workdays"]))
        return start + timedelta(hours=int(rule.get("hours") or 24))

def load_calendar(start: datetime | date | None = None, days: int = _LOOKAHEAD_DAYS) -> WorkCalendar:
    """The calendar with the office's entries from `start` on (all of them when start is None)."""
    query = select(Holiday.day, Holiday.kind)
    if start is not None:
        first = start if isinstance(start, date) and not isinstance(start, datetime) else local(start).date()
        query = query.where(Holiday.day >= first - timedelta(days=1), Holiday.day <= first + timedelta(days=days))
    with db.session.no_autoflush:  # only the office's entries, whose changes flush at once (office/holidays.py)
        return WorkCalendar({day: kind for day, kind in db.session.execute(query)})


def is_workday_at(moment: datetime) -> bool:
    """Whether `moment` falls, in Shanghai, on a working day (调休 and the office's entries count)."""
    day = local(moment).date()
    return load_calendar(day, days=1).is_workday(day)


def compute_deadline(rule: dict, start: datetime) -> datetime:
    """The deadline `rule` gives from `start`. An hours rule counts clock hours, so it needs no calendar (and no
    query): most categories' rules are hours, and every filing computes one."""
    calendar = load_calendar(start) if rule.get("workdays") else WorkCalendar()
    return calendar.deadline(rule, start)


def add_workdays(start: datetime, workdays: int) -> datetime:
    return load_calendar(start).add_workdays(start, workdays)
