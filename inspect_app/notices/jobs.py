"""The robots' news (every NOTICE_PUSH_MINUTES) and daily digest (DIGEST_SCHEDULE, working days), one unit per
transaction so one bad row never holds up the others (JobSpec format: inspect_app/scheduler.py). Each unit's
window and day are claimed in the database, so a second scheduler sends nothing twice."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from ..boundary import transaction
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..locks import exclusive
from ..outbox import service as outbox
from ..outbox.models import OutboxMessage
from ..scheduler import JobSpec
from . import services

log = logging.getLogger(__name__)


def push_job(now: datetime) -> int:
    """Queue each unit robot's news since its last push; returns how many messages were queued."""
    with exclusive("notices-push") as acquired:
        if not acquired:
            return 0
        return _each_robot(lambda robot: services.push_news(robot, now), "news")


def _each_robot(queue, what: str) -> int:
    """queue(robot) for every enabled unit robot, one unit per transaction; returns the sum of what it queued."""
    queued = 0
    with transaction():
        unit_ids = [r.unit_id for r in services.robots()]
    for unit_id in unit_ids:
        try:
            with transaction():
                robot = db.session.get(services.UnitRobot, unit_id)
                if robot is not None and robot.enabled:
                    queued += queue(robot)
        except Exception:  # one unit's trouble must not stop the others; its window or day is tried again
            log.exception("could not queue the %s of unit %s", what, unit_id)
    return queued


def digest_job(now: datetime) -> int:
    """Queue today's digest for every unit robot and the office's; returns how many were queued."""
    with exclusive("notices-digest") as acquired:
        if not acquired:
            return 0
        queued = _each_robot(lambda robot: services.queue_digest(robot, now), "digest")
        with transaction():
            today = local_midnight(local(now).date())
            sent_today = db.session.scalar(select(OutboxMessage.id).where(
                OutboxMessage.unit_id.is_(None), OutboxMessage.kind == "digest", OutboxMessage.created_at >= today))
            if sent_today is None and outbox.enqueue(services.office_digest_text(now), now, kind="digest"):
                queued += 1
    return queued


def push_schedule(app) -> dict:
    return {"interval": {"minutes": max(1, int(app.config["NOTICE_PUSH_MINUTES"]))}}


def digest_schedule(app) -> dict:
    return {"cron": dict(app.config["DIGEST_SCHEDULE"])}


def is_digest_day(when: datetime) -> bool:
    from flask import current_app

    if not current_app.config["DIGEST_WORKDAYS_ONLY"]:
        return True
    from ..workdays.calendar import is_workday_at

    return is_workday_at(when)


JOBS = [
    JobSpec(id="notices.push", func=push_job, trigger=push_schedule),
    JobSpec(id="notices.digest", func=digest_job, trigger=digest_schedule, when=is_digest_day),
]
