"""The scheduler's part: run jobs nobody ran (web runners off, or a process restarted), and clean up."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from ..scheduler import JobSpec
from .runner import run_pending
from .service import sweep


def run_queued(now: datetime) -> int:
    return run_pending(current_app._get_current_object())


def clean_up(now: datetime) -> dict:
    return sweep(now)


JOBS = [
    JobSpec(id="background.run", func=run_queued,
            trigger=lambda app: {"interval": {"seconds": int(app.config["JOBS_POLL_SECONDS"])}}),
    JobSpec(id="background.sweep", func=clean_up, trigger={"interval": {"minutes": 10}}),
]
