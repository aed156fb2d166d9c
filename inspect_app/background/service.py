"""Background jobs: enqueue, claim, run, sweep.

States: queued → running → done | failed. A runner claims a queued job with one atomic UPDATE (… WHERE status =
'queued'), so of several processes (gunicorn workers, the scheduler) exactly one gets it. While it runs, the task
reports progress, which also beats the job's heartbeat (through a connection of its own, so the beat is seen at
once). A running job whose heartbeat is older than JOBS_STALE_SECONDS lost its runner (a restart, a killed
worker): it is queued again, up to JOBS_MAX_ATTEMPTS runs, then failed. A task's database writes (an import)
commit in the same transaction that marks the job done, so a job that dies half-way has written nothing.

Result files live in <UPLOAD_FOLDER>/jobs/ (shared by every web host and the scheduler, like photos) under random
names, and are removed JOBS_KEEP_DAYS after the job finished; results holding secrets (initial passwords) are
removed once shown, or after JOBS_SECRET_KEEP_MINUTES.

Operations here flush; the runner (runner.py: claim, run) and the routes commit.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select, update

from ..common.errors import NotFound, ServiceError
from ..common.timeutil import isoformat
from ..extensions import db
from ..features import feature_modules
from .models import Job

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
GENERIC_FAILURE = "后台任务出错，请稍后重试；如仍失败请联系系统管理员。"
LOST_FAILURE = "后台任务多次中断（服务重启或超时），未完成。请重新发起。"


class TooManyJobs(ServiceError):
    status, code = 429, "too_many_jobs"


class JobLost(Exception):
    """The job was taken from this runner (its heartbeat went stale and it was queued again)."""


@dataclass
class Output:
    """What a task made: the file it wrote to ctx.output, and how to offer it."""
    name: str  # download name, e.g. 问题清单_20261125_1000.xlsx
    content_type: str
    secret: bool = False
    summary: dict = field(default_factory=dict)


Task = Callable[..., Output]  # task(ctx: runner.TaskContext) -> Output


def tasks() -> dict[str, Task]:
    """Every feature's tasks.py TASKS, {kind: task(ctx) -> Output}."""
    found: dict[str, Task] = {}
    for module in feature_modules("tasks"):
        found.update(getattr(module, "TASKS", {}))
    return found


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _new_key(suffix: str) -> str:
    return secrets.token_hex(16) + suffix


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


# ----------------------------------------------------------------------------- enqueue and look up

def enqueue(kind: str, owner, label: str, params: dict, now: datetime, total: int | None = None,
            input_data: bytes | None = None, dedupe: bool = True) -> Job:
    """A queued job for `owner`. The same request repeated while one is still queued or running gets that job
    back (a double click starts nothing new); more than JOBS_MAX_ACTIVE_PER_USER at once answers 429."""
    if kind not in tasks():
        raise ValueError(f"unknown job kind {kind!r}")
    params_json = json.dumps(params, sort_keys=True, ensure_ascii=False)
    active = select(Job).where(Job.owner_id == owner.id, Job.status.in_(ACTIVE))
    if dedupe and input_data is None:
        same = db.session.scalar(active.where(Job.kind == kind, Job.params_json == params_json).limit(1))
        if same is not None:
            return same
    limit = current_app.config["JOBS_MAX_ACTIVE_PER_USER"]
    if db.session.scalar(select(func.count()).select_from(active.subquery())) >= limit:
        raise TooManyJobs(f"您已有 {limit} 个后台任务在进行，请等它们完成后再发起。")
    input_key = None
    if input_data is not None:
        input_key = _new_key(".in")
        (folder() / input_key).write_bytes(input_data)
    job = Job(kind=kind, owner_id=owner.id, label=label[:200], params_json=params_json, total=total,
              input_key=input_key, created_at=now, status="queued", progress=0, attempts=0, secret=False)
    db.session.add(job)
    db.session.flush()
    return job


def job_for(user, job_id: int) -> Job:
    """The user's own job; anyone else's (or none) is a 404."""
    job = db.session.get(Job, job_id)
    if job is None or job.owner_id != user.id:
        raise NotFound("没有这个后台任务，或它不属于您。", code="job_not_found")
    return job


def recent_jobs(user, limit: int = 20) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.owner_id == user.id)
                                   .order_by(Job.id.desc()).limit(limit)))


def result_path(job: Job) -> Path:
    """The finished job's file; 409 while it runs, 404 once removed."""
    if job.status == "failed":
        raise ServiceError(job.error or GENERIC_FAILURE, code=job.error_code or "job_failed", status=409)
    if job.status != "done":
        raise ServiceError("任务尚未完成，请稍候。", code="job_not_finished", status=409)
    path = folder() / job.result_key if job.result_key else None
    if path is None or not path.exists():
        days = current_app.config["JOBS_KEEP_DAYS"]
        message = ("结果已显示过一次并已删除（含初始密码，不再保留）。" if job.secret else
                   f"文件已过期删除（保留 {days} 天），请重新发起。")
        raise NotFound(message, code="result_expired")
    return path


def consume_secret(job: Job) -> None:
    """A secret result has been handed over: remove its file now (the caller commits)."""
    if job.secret and job.result_key:
        (folder() / job.result_key).unlink(missing_ok=True)
        job.result_key = None


def as_json(job: Job, url: str, download_url: str | None) -> dict:
    body = {"id": job.id, "kind": job.kind, "label": job.label, "status": job.status, "progress": job.percent,
            "done": job.progress, "total": job.total, "url": url,
            "created_at": isoformat(job.created_at), "started_at": isoformat(job.started_at),
            "finished_at": isoformat(job.finished_at), "expires_at": isoformat(job.expires_at)}
    if job.status == "done":
        body["download_url"] = download_url if job.result_key else None
        body["result"] = {"name": job.result_name, "size": job.result_size, **job.summary}
    if job.status == "failed":
        body["error"] = {"code": job.error_code or "job_failed", "message": job.error or GENERIC_FAILURE}
    return body


# ----------------------------------------------------------------------------- stale jobs

def _stale_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])


def recover_stale(now: datetime) -> int:
    """Jobs whose runner stopped beating: failed after JOBS_MAX_ATTEMPTS runs, else queued again (flushes)."""
    cutoff, attempts = _stale_cutoff(now), current_app.config["JOBS_MAX_ATTEMPTS"]
    stale = (Job.status == "running") & (Job.heartbeat_at < cutoff)
    failed = db.session.execute(
        update(Job).where(stale, Job.attempts >= attempts)
        .values(status="failed", error_code="job_lost", error=LOST_FAILURE, finished_at=now, worker=None)
        .execution_options(synchronize_session=False)).rowcount
    queued = db.session.execute(
        update(Job).where(stale).values(status="queued", worker=None)
        .execution_options(synchronize_session=False)).rowcount
    if failed or queued:
        log.warning("stale jobs: %d queued again, %d failed", queued, failed)
    return failed + queued


# ----------------------------------------------------------------------------- sweep

def sweep(now: datetime) -> dict:
    """Recover stale jobs, remove expired result files, forget old jobs, and remove stray files (flushes)."""
    recovered = recover_stale(now)
    expired = 0
    for job in db.session.scalars(select(Job).where(Job.result_key.is_not(None), Job.expires_at < now)):
        (folder() / job.result_key).unlink(missing_ok=True)
        job.result_key = None
        expired += 1
    forget = now - timedelta(days=current_app.config["JOBS_KEEP_DAYS"] + 30)
    forgotten = db.session.execute(delete(Job).where(Job.status.in_(("done", "failed")), Job.finished_at < forget)
                                   .execution_options(synchronize_session=False)).rowcount
    db.session.flush()
    known = set()
    for result, source in db.session.execute(select(Job.result_key, Job.input_key)):
        known.update(k for k in (result, source) if k)
    stray = 0
    cutoff = time.time() - 24 * 3600
    for path in folder().iterdir():
        try:
            if path.name not in known and path.stat().st_mtime < cutoff:
                path.unlink()
                stray += 1
        except OSError:
            pass
    return {"recovered": recovered, "expired": expired, "forgotten": forgotten, "stray": stray}
