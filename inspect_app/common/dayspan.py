"""A span of whole days (Shanghai time) that a statistics page asks for with `from` and `to`: this month so far by
default, a year at most, and the shortcuts such a page offers (本周, 本月, 上月, 本年)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import BadRequest
from .timeutil import local, local_midnight

MAX_DAYS = 366  # a year at most: the year-end assessment's span


@dataclass(frozen=True)
class DaySpan:
    first: date
    last: date

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()}至{self.last.isoformat()}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The first day's midnight in Shanghai, as UTC."""
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """The midnight after the last day, as UTC (excluded)."""
        return local_midnight(self.last + timedelta(days=1))

    @property
    def args(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def day_span(day_from: date | None, day_to: date | None, now: datetime) -> DaySpan:
    """The span asked for; this month so far without one (a `to` alone: from the first of its month)."""
    today = local(now).date()
    last = day_to or today
    first = day_from or last.replace(day=1)
    if first > last:  # a `from` after today with no `to`
        raise BadRequest("开始日期不能晚于结束日期。", code="invalid_date_range")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRequest(f"统计时段最长 {MAX_DAYS} 天，请缩短后再查。", code="period_too_long")
    return DaySpan(first, last)


def shortcuts(now: datetime, week: bool = False) -> list[tuple[str, dict]]:
    """本周 (when asked), 本月, 上月 and 本年 so far, as `from`/`to` arguments."""
    today = local(now).date()
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    found = [("本月", DaySpan(first, today)), ("上月", DaySpan(last_month_end.replace(day=1), last_month_end)),
             ("本年", DaySpan(today.replace(month=1, day=1), today))]
    if week:
        found.insert(0, ("本周", DaySpan(today - timedelta(days=today.weekday()), today)))
    return [(label, span.args) for label, span in found]
