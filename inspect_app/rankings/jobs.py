"""Scheduled publication of the 红黑榜 (JobSpec format: inspect_app/scheduler.py).

- rankings.monthly: last month's list on the first working day of the month (调休 and the office's holiday entries
  respected) at 09:00 Shanghai time; RANKINGS_MONTHLY_SCHEDULE holds the cron fields (days 1-15: `when` keeps
  only the first working day).
- rankings.weekly: last ISO week's list on the first working day of the week at 09:00 (a holiday Monday such as
  国庆 or 春节 moves it to the first working day after); RANKINGS_WEEKLY_SCHEDULE holds the cron fields (every day:
  `when` keeps only the week's first working day), RANKINGS_WEEKLY_ENABLED=False turns it off. A week with no
  working day at all (春节 2026, 16–22 February) publishes nothing, so the list it should have brought comes with
  the next week's (`due_periods`, which fills in up to two such weeks).
Exactly once: a lock keeps two processes from computing at the same moment, and the unique constraint on
(period, schedule_slot) turns any second run for the same period into a no-op. A run missed while the host was
down is caught up when the scheduler starts (catch_up), or, if it starts on a day off, at the job's first fire on
a working day (09:00), so a list is never published on a holiday.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..common.timeutil import local
from ..extensions import db
from ..scheduler import JobSpec
from ..workdays.calendar import is_workday_at, load_calendar
from .periods import containing

log = logging.getLogger(__name__)



def publish_scheduled(now: datetime, kind: str) -> object:
    """Publish the period before the one holding `now` (and weeks skipped before it, see `due_periods`), once
    per period; returns the Ranking of the period before `now`'s, or None when that period was published already
    or is quiet (services.publish)."""
    from ..locks import exclusive
    from .services import publish

    slot = "monthly" if kind == "month" else "weekly"
    ranking = None
    with exclusive(f"rankings-{slot}") as acquired:
        if not acquired:
            log.info("rankings %s: another process is publishing", slot)
            return None
        for period in due_periods(now, kind):
            ranking = publish(period, now, schedule_slot=slot)
            if ranking is None:
                log.info("rankings %s %s not published: published already, or a quiet period", slot, period.key)
            else:
                log.info("rankings %s %s published as version %s", slot, period.key, ranking.version)
    return ranking


WEEKS_FILLED_IN = 2  # weeks without a list a scheduled weekly run publishes before the last one, at most


def due_periods(now: datetime, kind: str) -> list:
    """The periods a scheduled run at `now` publishes, oldest first: the one before `now`'s, and for weeks also
    up to two weeks before it that have no list at all (scheduled or by hand), provided the week just before them
    has a scheduled one. Those are weeks whose publication week gave no working day to publish on (春节), whose
    run was skipped (a holiday Monday under a Monday-only RANKINGS_WEEKLY_SCHEDULE), or whose run was missed while
    the host was down and made up only on the next working day (scheduler.catch_up), 春节 included. Two at most:
    after months with the weekly list turned off, turning it back on does not publish the backlog."""
    from .services import already_scheduled

    last = containing(now, kind).previous()
    if kind != "week":
        return [last]
    gap, week = [], last.previous()
    while len(gap) < WEEKS_FILLED_IN and not _listed(week):
        gap.append(week)
        if already_scheduled(week.previous().key, "weekly"):
            return [*reversed(gap), last]
        week = week.previous()
    return [last]


def _listed(period) -> bool:
    from .models import Ranking

    return db.session.scalar(select(Ranking.id).where(Ranking.period == period.key).limit(1)) is not None


def monthly_job(now: datetime) -> object:
    return publish_scheduled(now, "month")


def weekly_job(now: datetime) -> object:
    if not current_app.config["RANKINGS_WEEKLY_ENABLED"]:
        return None
    return publish_scheduled(now, "week")


def is_first_workday_of_month(when: datetime) -> bool:
    day = local(when).date()
    return _first_workday_since(day.replace(day=1), day)


def is_first_workday_of_week(when: datetime) -> bool:
    day = local(when).date()
    return _first_workday_since(day - timedelta(days=day.weekday()), day)


def _first_workday_since(first, day) -> bool:
    """`day` is a working day and no day from `first` until it was one (调休 and the office's entries count)."""
    return load_calendar(first, days=(day - first).days + 1).first_workday(first, day) == day


def _last_run(slot: str):
    from .models import Ranking

    def last() -> datetime | None:
        return db.session.scalar(select(func.max(Ranking.published_at)).where(Ranking.schedule_slot == slot))
    return last


JOBS = [
    JobSpec(id="rankings.monthly", func=monthly_job,
            trigger=lambda app: {"cron": dict(app.config["RANKINGS_MONTHLY_SCHEDULE"])},
            when=is_first_workday_of_month, catch_up=True, last_run=_last_run("monthly"), catch_up_when=is_workday_at),
    JobSpec(id="rankings.weekly", func=weekly_job,
            trigger=lambda app: {"cron": dict(app.config["RANKINGS_WEEKLY_SCHEDULE"])},
            when=is_first_workday_of_week, catch_up=True, last_run=_last_run("weekly"), catch_up_when=is_workday_at),
]
