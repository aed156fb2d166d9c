"""Time helpers: store UTC, show Asia/Shanghai. Services take `now`; only edges call utcnow()."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The edges' clock when set: the test suite runs the pages, the API and the commands from its own fixed moment
# (tests/conftest.py), so that no test depends on the day it runs. None in the application: the real clock.
clock: Callable[[], datetime] | None = None


def utcnow() -> datetime:
    return clock() if clock is not None else datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; a naive value is taken to be Shanghai local time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(timezone.utc)


def local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI)

def local_midnight(day: date) -> datetime:
    """Start of a Shanghai calendar day, as aware UTC."""
    return datetime.combine(day, time.min, SHANGHAI).astimezone(timezone.utc)


def end_of_local_day(day: date) -> datetime:
    """23:59:59 Shanghai time on that day, as aware UTC: how "by such a date" deadlines are kept."""
    return datetime.combine(day, time(23, 59, 59), SHANGHAI).astimezone(timezone.utc)


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, as the API promises."""
    return local(value).isoformat(timespec="seconds") if value else None


# A moment as the code writes it into an event's data (datetime.isoformat() of a UTC value: microseconds, +00:00).
_STORED_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
                            r"(Z|[+-][0-9]{2}:[0-9]{2})")


def shown_moments(value):
    """An event's data as the API shows it: every moment in it (stored as UTC isoformat) in Shanghai time, to the
    second, like the API's other times; anything else as it is. Rows already written read right without a
    migration."""
    if isinstance(value, str):
        if _STORED_MOMENT.fullmatch(value):
            return isoformat(datetime.fromisoformat(value.replace("Z", "+00:00")))
        return value
    if isinstance(value, dict):
        return {key: shown_moments(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shown_moments(item) for item in value]
    return value


def parse_iso(text: str) -> datetime:
    """Parse an ISO date or datetime; naive means Shanghai. Raises ValueError."""
    text = text.strip()
    if len(text) == 10:
        return local_midnight(date.fromisoformat(text))
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                     r"(Z|[+-][0-9]{2}:?[0-9]{2})?")


def iso_day(text: str) -> date:
    """A day written YYYY-MM-DD, nothing before or after it. ValueError otherwise (date.fromisoformat alone takes
    20261220 and 2026-W50-1 too, and a caller cutting to the first ten characters took "2026-12-18 is fine")."""
    text = text.strip()
    if not _DAY.fullmatch(text):
        raise ValueError(f"not a date: {text!r}")
    return date.fromisoformat(text)


def shanghai_day(text: str) -> date:
    """The Shanghai day a YYYY-MM-DD names, or a whole ISO 8601 date and time (its offset converted:
    2026-12-20T23:00:00-05:00 is 21 December in Shanghai; none means Shanghai time). Anything else raises
    ValueError: words after the date ("2026-12-18 is fine"), 20261220, an hour without minutes."""
    text = text.strip()
    if _DAY.fullmatch(text):
        return iso_day(text)
    if not _MOMENT.fullmatch(text):
        raise ValueError(f"not a date: {text!r}")
    return local(as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))).date()


def fmt(value: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return local(value).strftime(pattern) if value else ""


def fmt_cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def fmt_cn_span(first: date, last: date) -> str:
    """10月27日至11月26日 within a year; 2026年10月22日至2027年1月5日 across one (the days not zero-padded)."""
    if first.year != last.year:
        return f"{fmt_cn_date(first)}至{fmt_cn_date(last)}"
    return f"{first.month}月{first.day}日至{last.month}月{last.day}日"
