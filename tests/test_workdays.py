"""Working-day deadlines: the State Council schedule, make-up days, office overrides, unknown years."""
from __future__ import annotations

import logging
from datetime import date

from conftest import at

from inspect_app.common.timeutil import local
from inspect_app.extensions import db
from inspect_app.workdays.calendar import WorkCalendar, compute_deadline
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


def test_deadline_running_into_2027_falls_back_to_weekdays_and_warns(caplog, monkeypatch):
    from inspect_app.workdays import calendar

    monkeypatch.setattr(calendar, "_warned_years", set())  # warned once per process; earlier tests may have
    cal = WorkCalendar()
    with caplog.at_level(logging.WARNING):
        # 2026-12-31 is a Thursday; 2027 is unknown to chinese-calendar: Fri 1 Jan counts, weekend not.
        deadline = cal.deadline({"workdays": 3}, at("2026-12-30T09:00"))
    assert local_text(deadline) == "2027-01-04 23:59"
    assert cal.is_workday(date(2027, 6, 1)) is True  # a Tuesday
    assert any("2027" in record.getMessage() for record in caplog.records)


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
    db.session.add(Holiday(day=date(2027, 1, 1), kind="holiday", name="元旦"))
    db.session.commit()
    after = compute_deadline({"workdays": 1}, start)
    assert local_text(before) == "2027-01-01 23:59"
    assert local_text(after) == "2027-01-04 23:59"


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
