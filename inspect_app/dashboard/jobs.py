"""dashboard.refresh: recompute the stored dashboard ahead of its readers (JobSpec format: inspect_app/scheduler.py),
so a leader opening the page finds fresh figures instead of waiting for the queries."""
from __future__ import annotations

from datetime import datetime

from ..scheduler import JobSpec


def refresh_job(now: datetime) -> None:
    from .services import refresh

    refresh(now)


def refresh_schedule(app) -> dict:
    """Twice per DASHBOARD_CACHE_SECONDS: the stored figures are renewed before they expire, so no reader waits for
    a recount while the scheduler runs (at the cache's own period a reader could find them just expired)."""
    return {"interval": {"seconds": max(int(app.config["DASHBOARD_CACHE_SECONDS"]) // 2, 15)}}


JOBS = [JobSpec(id="dashboard.refresh", func=refresh_job, trigger=refresh_schedule)]
