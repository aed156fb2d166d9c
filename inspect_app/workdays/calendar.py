"""Working days: the State Council schedule (chinese-calendar) with the office's own entries on top.

For a year that neither chinese-calendar nor the office knows, Monday to Friday are working days and
a warning is logged once per year and process; deadline maths never fails for lack of a schedule.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

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
                log.warning("No holiday schedule for %s: counting Monday to Friday as working days. "
                            "Enter the State Council schedule under 节假日设置.", day.year)
            return day.weekday() < 5

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


def compute_deadline(rule: dict, start: datetime) -> datetime:
    """The deadline `rule` gives from `start`. An hours rule counts clock hours, so it needs no calendar (and no
    query): most categories' rules are hours, and every filing computes one."""
    calendar = load_calendar(start) if rule.get("workdays") else WorkCalendar()
    return calendar.deadline(rule, start)


def add_workdays(start: datetime, workdays: int) -> datetime:
    return load_calendar(start).add_workdays(start, workdays)
