"""Working-day deadlines: the State Council schedule, make-up days, office overrides, unknown years."""
from __future__ import annotations

import logging
from datetime import date

from conftest import at

from inspect_app.common.timeutil import local
from inspect_app.extensions import db
from inspect_app.workdays.calendar import WorkCalendar, compute_deadline, statutory_days
from inspect_app.workdays.models import Holiday


def local_text(value) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M")


def test_hours_rule_counts_clock_hours_through_holidays():
    cal = WorkCalendar()
    assert local_text(cal.deadline({"hours": 24}, at("2026-09-30T18:00"))) == "2026-10-01 18:00"


def test_workdays_skip_the_national_day_holiday():
    # Filed on the last working day before National Day: 1–7 October 2026 are holidays.
    cal = WorkCalendar()
    assert local_text(cal.deadline({"workdays": 1}, at("2026-09-30T10:00"))) == "2026-10-08 23:59"
    assert local_text(cal.deadline({"workdays": 2}, at("2026-09-30T10:00"))) == "2026-10-09 23:59"


def test_make_up_saturday_counts_as_a_working_day():
    # Saturday 10 October 2026 is a 调休 working day; Sunday 11 October is not.
    cal = WorkCalendar()
    assert cal.is_workday(date(2026, 10, 10)) and not cal.is_workday(date(2026, 10, 11))
    assert local_text(cal.deadline({"workdays": 3}, at("2026-09-30T10:00"))) == "2026-10-10 23:59"
    assert local_text(cal.deadline({"workdays": 4}, at("2026-09-30T10:00"))) == "2026-10-12 23:59"


def test_five_workdays_from_a_friday_skip_the_weekend():
    cal = WorkCalendar()
    assert local_text(cal.deadline({"workdays": 5}, at("2026-11-27T16:00"))) == "2026-12-04 23:59"


def test_deadline_running_into_2027_counts_the_statutory_holidays_and_weekdays_and_warns(caplog, monkeypatch):
    from inspect_app.workdays import calendar

    monkeypatch.setattr(calendar, "_warned_years", set())  # warned once per process; earlier tests may have
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING):
        # 2026-12-31 is a Thursday; 2027 is unknown to chinese-calendar, but Fri 1 Jan is 元旦 by law: the
        # three working days are 31 Dec, Mon 4 and Tue 5 Jan.
        deadline = cal.deadline({"workdays": 3}, at("2026-12-30T09:00"))
    assert local_text(deadline) == "2027-01-05 23:59"
    assert cal.is_workday(date(2027, 6, 1)) is True  # a Tuesday
    assert not cal.is_workday(date(2027, 2, 5)) and not cal.is_workday(date(2027, 6, 9))  # 除夕 (Fri), 端午 (Wed)
    assert cal.is_workday(date(2027, 10, 4))  # a bridging day off only the year's notice can give
    assert any("2027" in record.getMessage() for record in caplog.records)


def test_the_statutory_days_of_a_year_the_package_lacks():
    """元旦, 春节 from 除夕 to 初三, 清明, 劳动节 (two days), 端午, 中秋, 国庆 (three days): 13 days a year since the
    2024 revision of 全国年节及纪念日放假办法; the lunar dates of 2027 as the almanac has them."""
    days = statutory_days(2027)
    assert sorted((d.isoformat(), name) for d, name in days.items()) == [
        ("2027-01-01", "元旦"), ("2027-02-05", "农历除夕"), ("2027-02-06", "春节"), ("2027-02-07", "春节"),
        ("2027-02-08", "春节"), ("2027-04-05", "清明节"), ("2027-05-01", "劳动节"), ("2027-05-02", "劳动节"),
        ("2027-06-09", "端午节"), ("2027-09-15", "中秋节"), ("2027-10-01", "国庆节"), ("2027-10-02", "国庆节"),
        ("2027-10-03", "国庆节")]
    assert len(statutory_days(2028)) == 12  # 中秋 falls on 3 October 2028, a 国庆 day


def test_no_statutory_day_was_ever_a_working_day_in_a_state_council_schedule():
    """The fallback's premise, against every year chinese-calendar holds (2004-2026, three versions of the
    law): the notice adds days off and weekend 调休 around the law's days, never works on one."""
    import chinese_calendar

    worked = [(day, name) for year in range(2004, 2027) for day, name in statutory_days(year).items()
              if chinese_calendar.is_workday(day)]
    assert worked == []
    assert len(statutory_days(2026)) >= 13


def test_office_entries_override_and_extend_the_package():
    cal = WorkCalendar({date(2027, 1, 1): "holiday", date(2027, 1, 2): "workday",
                        date(2026, 11, 30): "holiday"})
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 2))  # a Saturday made a working day
    assert not cal.is_workday(date(2026, 11, 30))  # overrides the package for a known year too
    assert local_text(cal.deadline({"workdays": 2}, at("2026-12-31T09:00"))) == "2027-01-04 23:59"


def test_compute_deadline_reads_the_office_table(app):
    start = at("2026-12-31T09:00")
    before = compute_deadline({"workdays": 1}, start)
    db.session.add(Holiday(day=date(2027, 1, 4), kind="holiday", name="元旦"))  # a bridging day off
    db.session.commit()
    after = compute_deadline({"workdays": 1}, start)
    assert local_text(before) == "2027-01-04 23:59"  # Friday 1 January is 元旦 by law
    assert local_text(after) == "2027-01-05 23:59"


def test_an_hours_rule_asks_the_database_nothing(app):
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        db.session.add(Holiday(day=date(2026, 10, 1), kind="workday", name="改为工作日"))
        db.session.commit()
        statements.clear()
        by_hours = compute_deadline({"hours": 24}, at("2026-09-30T18:00"))
        assert statements == []  # clock hours: holidays change nothing, so none is read
        by_days = compute_deadline({"workdays": 1}, at("2026-09-30T10:00"))
        assert any("holidays" in sql for sql in statements)  # the office's entry is read, and counts
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert local_text(by_hours) == "2026-10-01 18:00"
    assert local_text(by_days) == "2026-10-01 23:59"
