"""Posting due robot messages, each in a transaction of its own (JobSpec format: inspect_app/scheduler.py)."""
from __future__ import annotations

from datetime import datetime

from ..boundary import transaction
from ..locks import exclusive
from ..scheduler import JobSpec
from . import service


def deliver_due(now: datetime) -> dict:
    """Post every due message, one transaction each; returns counts. Never raises for a delivery problem."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    with exclusive("outbox-deliver") as acquired:
        if not acquired:
            counts["skipped"] = 1
            return counts
        with transaction():
            due = service.due_messages(now)
        for message_id in due:
            with transaction():
                sent = service.deliver(message_id, now)
            counts["sent" if sent else "failed"] += 1
    return counts


def deliver_job(now: datetime) -> None:
    deliver_due(now)


JOBS = [JobSpec(id="outbox.deliver", func=deliver_job, trigger={"interval": {"minutes": 2}})]
