"""Scheduled publication of the 红黑榜 (JobSpec format: inspect_app/scheduler.py).

- rankings.monthly: last month's list on the first working day of the month (调休 and the office's holiday entries
  respected) at 09:00 Shanghai time; RANKINGS_MONTHLY_SCHEDULE holds the cron fields (days 1-15: `when` keeps
  only the first working day).
- rankings.weekly: last ISO week's list every Monday at 09:00; RANKINGS_WEEKLY_SCHEDULE overrides,
  RANKINGS_WEEKLY_ENABLED=False turns it off.
Exactly once: a lock keeps two processes from computing at the same moment, and the unique constraint on
(period, schedule_slot) turns any second run for the same period into a no-op. A run missed while the host was
down is caught up when the scheduler starts (catch_up).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..common.timeutil import local
from ..extensions import db
from ..scheduler import JobSpec
from .periods import containing

log = logging.getLogger(__name__)



def publish_scheduled(now: datetime, kind: str) -> object:
    """Publish the period before the one holding `now`, once per period; returns the Ranking or None."""
    from ..locks import exclusive
    from .services import publish

    slot = "monthly" if kind == "month" else "weekly"
    period = containing(now, kind).previous()
    with exclusive(f"rankings-{slot}") as acquired:
        if not acquired:
            log.info("rankings %s: another process is publishing", slot)
            return None
        ranking = publish(period, now, schedule_slot=slot)
    if ranking is None:
        log.info("rankings %s %s already published", slot, period.key)
    else:
        log.info("rankings %s %s published as version %s", slot, period.key, ranking.version)
    return ranking


def monthly_job(now: datetime) -> object:
    return publish_scheduled(now, "month")


def weekly_job(now: datetime) -> object:
    if not current_app.config["RANKINGS_WEEKLY_ENABLED"]:
        return None
    return publish_scheduled(now, "week")


def is_first_workday_of_month(when: datetime) -> bool:
    from ..workdays.calendar import load_calendar

    day = local(when).date()
    first = day.replace(day=1)
    calendar = load_calendar(first, days=(day - first).days + 1)
    if not calendar.is_workday(day):
        return False
    return not any(calendar.is_workday(first + timedelta(days=n)) for n in range((day - first).days))


def _last_run(slot: str):
    from .models import Ranking

    def last() -> datetime | None:
        return db.session.scalar(select(func.max(Ranking.published_at)).where(Ranking.schedule_slot == slot))
    return last


JOBS = [
    JobSpec(id="rankings.monthly", func=monthly_job,
            trigger=lambda app: {"cron": dict(app.config["RANKINGS_MONTHLY_SCHEDULE"])},
            when=is_first_workday_of_month, catch_up=True, last_run=_last_run("monthly")),
    JobSpec(id="rankings.weekly", func=weekly_job,
            trigger=lambda app: {"cron": dict(app.config["RANKINGS_WEEKLY_SCHEDULE"])},
            catch_up=True, last_run=_last_run("weekly")),
]
