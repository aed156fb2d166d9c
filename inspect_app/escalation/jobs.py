"""Scheduled jobs of the escalation feature (see inspect_app/scheduler.py for the JobSpec format)."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select

from ..common.timeutil import local
from ..extensions import db
from ..scheduler import JobSpec
from .settings import setting

log = logging.getLogger(__name__)


def sweep_job(now: datetime) -> None:
    from .notify import deliver_due
    from .sweep import run_sweep

    run_sweep(now, ran_at=now)
    try:
        deliver_due(now)
    except Exception:  # messages are retried by the notify job; the sweep is done
        log.exception("webhook delivery after the sweep failed")


def notify_job(now: datetime) -> None:
    from .notify import deliver_due

    deliver_due(now)


def sweep_schedule(app) -> dict:
    return {"cron": dict(setting("ESCALATION_SCHEDULE", app))}


def is_sweep_day(when: datetime) -> bool:
    """Working days only (调休 Saturdays included, holidays not), unless configured otherwise."""
    if not setting("ESCALATION_WORKDAYS_ONLY"):
        return True
    from ..workdays.calendar import load_calendar

    day = local(when).date()
    return load_calendar(day, days=1).is_workday(day)


def last_sweep() -> datetime | None:
    from .models import SweepRun

    return db.session.scalar(select(func.max(SweepRun.as_of)))


JOBS = [
    JobSpec(id="escalation.sweep", func=sweep_job, trigger=sweep_schedule, when=is_sweep_day,
            catch_up=True, last_run=last_sweep),
    JobSpec(id="escalation.notify", func=notify_job, trigger={"interval": {"minutes": 2}}),
]
