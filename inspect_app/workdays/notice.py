"""The State Council's holiday notice (国务院办公厅关于2027年部分节假日安排的通知), read as the office pastes it.

Every December the office enters next year's schedule, which chinese-calendar does not know yet. The notice
says it in a fixed form, one holiday an item:

    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、
    2月28日（周六）上班。

`parse_notice` turns that into the days off and the make-up working days of each holiday. It checks what the
notice itself states, so a wrong year or a mistyped day is refused with a message rather than entered: every
weekday in brackets must be that date's weekday in the year, and a "共N天" must be the length of its range.
Pure: no database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..common.errors import Invalid
from ..common.text import narrow

MAX_NOTICE = 5000  # characters: a notice's 安排 part is about 400

_TITLE_YEAR = re.compile(r"(\d{4})年(?:部分)?节假日")
_ITEM_START = re.compile(r"(?:^|(?<=[。\n]))\s*[一二三四五六七八九十]+[、.]|\n")
_DATE = re.compile(r"(?:(?P<y>\d{4})年)?(?:(?P<m>\d{1,2})月)?(?P<d>\d{1,2})日(?:\((?P<note>[^)]*)\))?")
_WEEKDAY = re.compile(r"(?:周|星期)([一二三四五六日天])")
_TOTAL = re.compile(r"共(\d{1,2})天")
WEEKDAYS = "一二三四五六日"


@dataclass
class NoticeHoliday:
    name: str
    off: list[date] = field(default_factory=list)   # the days off, in order
    work: list[date] = field(default_factory=list)  # the make-up working days (调休上班)


@dataclass
class Notice:
    year: int
    holidays: list[NoticeHoliday]

    def days(self) -> list[tuple[date, str, str]]:
        """(day, kind, name) for every day the notice sets, in date order: kind "holiday" or "workday"."""
        found = [(d, "holiday", h.name) for h in self.holidays for d in h.off]
        found += [(d, "workday", f"{h.name}调休") for h in self.holidays for d in h.work]
        return sorted(found)


def notice_year(text: str) -> int | None:
    """The year a notice's title names ("关于2027年部分节假日安排的通知"), if it has one."""
    match = _TITLE_YEAR.search(narrow(str(text or "")))
    return int(match.group(1)) if match else None


def parse_notice(text, year: int) -> Notice:
    """The holidays of a pasted notice for `year` (a title in the text naming another year is refused).
    422 (Invalid) with a Chinese message for anything that does not add up."""
    text = narrow(str(text or "")).replace("\r", "")
    if len(text) > MAX_NOTICE:
        raise Invalid(f"通知原文不能超过{MAX_NOTICE}字，请只粘贴放假安排部分。", code="notice_too_long")
    titled = notice_year(text)
    if titled is not None and titled != year:
        raise Invalid(f"通知标题是{titled}年的安排，所选年份是{year}年，请核对。", code="notice_year_mismatch")
    holidays = []
    for part in _ITEM_START.split(text):
        name, colon, body = part.partition(":")
        name = re.sub(r"^[\d一二三四五六七八九十]+[、.]", "", re.sub(r"\s+", "", name))
        if not colon or not body.strip() or not name or len(name) > 20:
            continue  # the title, the preamble, the closing words: no "名称：" item
        holiday = _read_item(name, body, year)
        if holiday.off or holiday.work:
            holidays.append(holiday)
    if not holidays:
        raise Invalid("没有识别出放假安排。请粘贴通知中“一、元旦：1月1日……放假……”起的各项原文。",
                      code="notice_unreadable")
    seen: dict[date, str] = {}
    for holiday in holidays:
        for day, kind in [(d, "放假") for d in holiday.off] + [(d, "上班") for d in holiday.work]:
            if day in seen and seen[day] != f"{holiday.name}{kind}":
                raise Invalid(f"{_md(day)}在通知中既是“{seen[day]}”又是“{holiday.name}{kind}”，请核对原文。",
                              code="notice_conflict")
            seen[day] = f"{holiday.name}{kind}"
    return Notice(year=year, holidays=holidays)


def _read_item(name: str, body: str, year: int) -> NoticeHoliday:
    holiday = NoticeHoliday(name=name)
    for sentence in re.split(r"[。;\n]", body):
        off_at, work_at = sentence.find("放假"), sentence.find("上班")
        if off_at < 0 and work_at < 0:
            continue  # "鼓励各单位……安排职工在除夕（2月9日）休息": no day set
        dates = _dates(sentence, year, name)
        if off_at >= 0:
            before = [d for d in dates if d.end <= off_at]
            if before:
                start, end = before[0], before[0]
                if len(before) > 1 and sentence[start.end:before[1].start].strip() in ("至", "-", "—", "~"):
                    end = before[1]
                if end.day < start.day:
                    raise Invalid(f"“{name}”的放假日期{_md(start.day)}至{_md(end.day)}先后颠倒，请核对原文。",
                                  code="notice_bad_range")
                span = [start.day + timedelta(days=n) for n in range((end.day - start.day).days + 1)]
                if len(span) > 15:
                    raise Invalid(f"“{name}”的放假日期{_md(start.day)}至{_md(end.day)}长达{len(span)}天，"
                                  "请核对原文。", code="notice_bad_range")
                total = _TOTAL.search(sentence)
                if total and int(total.group(1)) != len(span):
                    raise Invalid(f"“{name}”写明共{total.group(1)}天，但{_md(start.day)}至{_md(end.day)}是"
                                  f"{len(span)}天，请核对原文。", code="notice_total_mismatch")
                holiday.off.extend(d for d in span if d not in holiday.off)
        if work_at >= 0:
            lower = off_at if 0 <= off_at < work_at else -1
            holiday.work.extend(d.day for d in dates if lower < d.start and d.end <= work_at
                                and d.day not in holiday.work)
    return holiday


@dataclass
class _Found:
    day: date
    start: int
    end: int


def _dates(sentence: str, year: int, name: str) -> list[_Found]:
    """The dates of a sentence; a bare "23日" takes the month before it ("2月15日至23日")."""
    found, month = [], None
    for match in _DATE.finditer(sentence):
        if match.group("m"):
            month = int(match.group("m"))
        if month is None:
            continue
        when_year = int(match.group("y")) if match.group("y") else year
        try:
            day = date(when_year, month, int(match.group("d")))
        except ValueError:
            raise Invalid(f"“{name}”中的{month}月{match.group('d')}日不是有效日期，请核对原文。",
                          code="notice_bad_date") from None
        if found and day < found[-1].day and not match.group("m"):
            day = _next_month(day, found[-1].day)  # "1月28日至4日" would be a typo; "12月31日至2日" is not
        weekday = _WEEKDAY.search(match.group("note") or "")
        if weekday:
            stated = WEEKDAYS.index("日" if weekday.group(1) == "天" else weekday.group(1))
            if stated != day.weekday():
                raise Invalid(f"“{name}”中的{_md(day)}标注为周{WEEKDAYS[stated]}，但{day.year}年{_md(day)}是"
                              f"周{WEEKDAYS[day.weekday()]}：请核对年份或原文。", code="notice_weekday_mismatch")
        found.append(_Found(day, match.start(), match.end()))
    return found


def _next_month(day: date, after: date) -> date:
    """The first date with `day`'s day of month after `after` (a range running into the next month)."""
    year, month = after.year + (after.month == 12), after.month % 12 + 1
    try:
        return date(year, month, day.day)
    except ValueError:
        raise Invalid(f"{month}月{day.day}日不是有效日期，请核对原文。", code="notice_bad_date") from None


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"
