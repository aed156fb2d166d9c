"""Ranking periods: a calendar month ("2026-11") or an ISO week ("2026-W48"), in Asia/Shanghai time.

A period is the half-open interval [start, end) between two Shanghai midnights, kept as aware UTC so it
can be compared with the UTC columns directly (a deadline of 2026-11-30 23:59:59 +08:00 is in November;
one of 2026-12-01 00:00:00 +08:00 is in December).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..common.errors import BadRequest
from ..common.timeutil import local, local_midnight

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class Period:
    key: str            # "2026-11" or "2026-W48"
    kind: str           # "month" | "week"
    first_day: date     # first local day
    last_day: date      # last local day (inclusive)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1))

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day.year}年{self.first_day.month}月"
        year, week, _ = self.first_day.isocalendar()
        return (f"{year}年第{week}周（{self.first_day.month}月{self.first_day.day}日—"
                f"{self.last_day.month}月{self.last_day.day}日）")

    @property
    def short_label(self) -> str:
        """"2026年11月" or "2026年第48周"."""
        if self.kind == "month":
            return self.label
        year, week, _ = self.first_day.isocalendar()
        return f"{year}年第{week}周"

    def previous(self) -> Period:
        return containing(self.first_day - timedelta(days=1), self.kind)

    def next(self) -> Period:
        return containing(self.last_day + timedelta(days=1), self.kind)

    def __str__(self) -> str:
        return self.key


def month(year: int, month_no: int) -> Period:
    first = date(year, month_no, 1)
    following = date(year + (month_no == 12), month_no % 12 + 1, 1)
    return Period(f"{year:04d}-{month_no:02d}", "month", first, following - timedelta(days=1))


def iso_week(year: int, week: int) -> Period:
    monday = date.fromisocalendar(year, week, 1)
    return Period(f"{year:04d}-W{week:02d}", "week", monday, monday + timedelta(days=6))


def containing(moment: datetime | date, kind: str) -> Period:
    """The month or ISO week holding a moment (taken in Shanghai time) or a local day."""
    day = local(moment).date() if isinstance(moment, datetime) else moment
    if kind == "month":
        return month(day.year, day.month)
    year, week, _ = day.isocalendar()
    return iso_week(year, week)


def parse_period(text) -> Period:
    """"2026-11" or "2026-W48" (case-insensitive W); anything else is a 400 with code invalid_period."""
    raw = str(text or "").strip().upper()
    try:
        if m := _MONTH.fullmatch(raw):
            year, month_no = int(m.group(1)), int(m.group(2))
            if 2000 <= year <= 2999 and 1 <= month_no <= 12:
                return month(year, month_no)
        elif m := _WEEK.fullmatch(raw):
            year, week = int(m.group(1)), int(m.group(2))
            if 2000 <= year <= 2999:
                return iso_week(year, week)  # ValueError for week 53 of a 52-week year
    except ValueError:
        pass
    raise BadRequest("统计周期格式应为 2026-11（月）或 2026-W48（ISO周）。", code="invalid_period")
