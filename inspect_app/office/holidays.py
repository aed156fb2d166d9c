"""The holiday table: the office's entries over chinese-calendar's schedule.

Deadlines read the table each time they are computed (workdays.calendar.load_calendar), so an entry
made today applies to every deadline computed from now on. Callers commit."""
from __future__ import annotations

from datetime import date, datetime

from chinese_calendar import constants
from sqlalchemy import extract, func, select

from ..common.errors import BadRequest, Invalid
from ..common.models import lock_setting
from ..common.text import text_value
from ..common.timeutil import fmt_cn_date, iso_day, local
from ..extensions import db
from ..workdays.calendar import package_knows, statutory_days
from ..workdays.models import Holiday
from ..workdays.notice import WEEKDAYS, Notice, parse_notice

KINDS = {"holiday": "放假", "workday": "调休上班"}
_CHINESE = {h.value: h.chinese for h in constants.Holiday}


def _weekday(day: date) -> str:
    return "周" + WEEKDAYS[day.weekday()]


def parse_day(text) -> date:
    try:
        return iso_day(str(text or ""))
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD。", code="invalid_date") from None


def package_entries(year: int) -> dict[date, tuple[str, str]]:
    """The built-in schedule of a year: chinese-calendar's holidays and make-up working days (not plain weekends);
    for a year it does not know, the days off the law fixes (workdays.calendar.statutory_days)."""
    if not package_knows(year):
        return {day: ("holiday", name) for day, name in statutory_days(year).items()}
    entries = {}
    for day, name in constants.holidays.items():
        if day.year == year:
            entries[day] = ("holiday", _CHINESE.get(name, name))
    for day, name in constants.workdays.items():
        if day.year == year:
            entries[day] = ("workday", f"{_CHINESE.get(name, name)}调休")
    return entries


def office_entries(year: int) -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).where(Holiday.day >= date(year, 1, 1),
                                                         Holiday.day <= date(year, 12, 31))
                                   .order_by(Holiday.day)))


def year_entries(year: int) -> list[dict]:
    """Merged list for a year: {"date", "kind", "name", "source": "office" | "package" | "law"} ("law": a day off
    the law fixes, in a year chinese-calendar does not know)."""
    source = "package" if package_knows(year) else "law"
    merged = {day: {"date": day.isoformat(), "kind": kind, "name": name, "source": source}
              for day, (kind, name) in package_entries(year).items()}
    for row in office_entries(year):
        package = merged.get(row.day)
        merged[row.day] = {"date": row.day.isoformat(), "kind": row.kind, "name": row.name, "source": "office",
                           "overrides": package["kind"] if package else None}
    return [{**merged[day], "weekday": _weekday(day)} for day in sorted(merged)]


def put_holiday(day: date, kind: str, name: str) -> tuple[Holiday, bool]:
    """Add or replace the office's entry for a day; returns (row, created)."""
    if kind not in KINDS:
        raise Invalid("类型应为 holiday（放假）或 workday（调休上班）。", code="invalid_kind")
    name = text_value(name, "名称").strip()
    if len(name) > 40:
        raise Invalid("名称不能超过40个字符。", code="text_too_long", status=400)
    if not 2000 <= day.year <= 2100:
        raise Invalid("日期超出范围。", code="invalid_date")
    if kind == "workday" and day.weekday() < 5 and package_entries(day.year).get(day, ("",))[0] != "holiday":
        # a make-up working day is a weekend (or a day off being cancelled): a weekday is a mistyped date, and the
        # weekend meant would stay a rest day in every deadline
        raise Invalid(f"{fmt_cn_date(day)}是{_weekday(day)}，本来就是工作日；"
                      "调休上班日应为周六或周日，请核对日期。", code="not_a_rest_day")
    lock_setting("holidays")  # the same day entered twice at once (a double click, two tabs): the later one wins
    row = db.session.get(Holiday, day)
    created = row is None
    if created:
        row = Holiday(day=day)
        db.session.add(row)
    row.kind, row.name = kind, name or KINDS[kind]
    db.session.flush()
    return row, created


def delete_holiday(day: date) -> bool:
    row = db.session.get(Holiday, day)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()  # deadlines read the entries without flushing first (workdays.load_calendar)
    return True


def read_notice(text, year) -> tuple[Notice, list[dict], list[Holiday]]:
    """What entering a pasted notice for `year` would do: (the notice, a row per day it sets with
    "change": "new" | "same" | "replace" and what it replaces, the office's entries of that year it does not
    mention, which stay). 422 with a message when the notice does not add up (workdays.notice)."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise BadRequest("请选择年份。", code="invalid_year") from None
    if not 2000 <= year <= 2100:
        raise Invalid("年份超出范围。", code="invalid_year")
    notice = parse_notice(text, year)
    office = {row.day: row for row in office_entries(year)}
    package = package_entries(year)
    rows = []
    for day, kind, name in notice.days():
        before = office.get(day)
        was = (before.kind, before.name) if before else package.get(day)
        change = "new" if was is None else "same" if was[0] == kind else "replace"
        rows.append({"date": day, "weekday": _weekday(day), "kind": kind, "name": name,
                     "change": change, "was": KINDS[was[0]] + (f"（{was[1]}）" if was[1] else "") if was else ""})
    named = {row["date"] for row in rows}
    return notice, rows, [row for day, row in sorted(office.items()) if day not in named]


def enter_notice(rows: list[dict]) -> dict[str, int]:
    """Enter every day of a notice read by `read_notice` (the office's entries, over chinese-calendar's); the
    office's other entries of that year stay. Returns how many days off and make-up working days it holds."""
    for row in rows:
        put_holiday(row["date"], row["kind"], row["name"])
    return {"holiday": sum(r["kind"] == "holiday" for r in rows), "workday": sum(r["kind"] == "workday" for r in rows)}


def office_years() -> dict[int, int]:
    """Years with office entries → number of entries."""
    year = extract("year", Holiday.day)
    return {int(y): n for y, n in db.session.execute(select(year, func.count()).group_by(year))}


def year_known(year: int) -> bool:
    """Known when chinese-calendar has the year or the office has entered its schedule: every day off the law fixes
    (statutory_days) among its entries, as entering the State Council's notice makes them. One day entered by hand
    (a test, a local day off) made the whole year read as known and silenced the warning."""
    return package_knows(year) or not missing_festivals(year)


def missing_festivals(year: int) -> list[str]:
    """The festivals of a year chinese-calendar lacks whose statutory days off the office has not entered, in
    calendar order ([] for a year the package knows)."""
    if package_knows(year):
        return []
    entered = set(db.session.scalars(select(Holiday.day).where(
        Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31), Holiday.kind == "holiday")))
    missing: list[str] = []
    for day, name in sorted(statutory_days(year).items()):
        festival = "春节" if name == "农历除夕" else name.split("（")[0].split("(")[0]
        if day not in entered and festival not in missing:
            missing.append(festival)
    return missing


def known_years(now: datetime) -> list[dict]:
    """Years around now with where their schedule comes from, for the holidays page."""
    this_year = local(now).year
    counts = office_years()
    years = sorted({this_year - 1, this_year, this_year + 1} | set(counts))
    result = []
    for year in years:
        package = package_knows(year)
        result.append({"year": year, "package": package, "office_entries": counts.get(year, 0),
                       "known": package or year_known(year)})
    return result


def schedule_warning(now: datetime) -> str | None:
    """A warning while this year's schedule is not known (any month: deadlines are counted Monday to Friday, 调休
    left out, until the office enters the notice), and from November on while next year's is not."""
    today = local(now).date()
    if not year_known(today.year):
        return (f"系统还没有 {today.year} 年的节假日安排：目前除法定节假日外按周一至周五计算工作日，调休尚未计入，"
                f"整改时限和回复时限可能相差一两天。请在“节假日设置”中粘贴国务院办公厅的通知录入。")
    if today.month < 11 or year_known(today.year + 1):
        return None
    return (f"系统还没有 {today.year + 1} 年的节假日安排。国务院办公厅公布后，请在“节假日设置”中录入"
            f"{today.year + 1} 年的放假和调休上班日期；在此之前，{today.year + 1} 年除法定节假日外按周一至周五计算"
            "工作日，调休尚未计入。")
