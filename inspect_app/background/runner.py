"""The job runner: the edge that claims a queued job and runs it (web-process threads in worker.py, and the
scheduler's background.run job). It commits: the claim at once (so no other runner takes the job), and the task's
writes together with the job's new state (so a job that dies half-way has written nothing). See service.py for the
states and the rest of the job's life."""
from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from ..audit import trail
from ..common.errors import STORAGE_FAILED, ServiceError, is_storage_error
from ..common.timeutil import utcnow
from ..extensions import db
from .models import Job
from .service import GENERIC_FAILURE, JobLost, _new_key, folder, recover_stale, tasks, worker_name

log = logging.getLogger(__name__)


def claim_next(now: datetime, worker: str) -> int | None:
    """Take the oldest queued job for `worker`: an UPDATE that only one claimer can win. Commits."""
    recover_stale(now)
    db.session.commit()
    for job_id in db.session.scalars(select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(10)).all():
        won = db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", worker=worker, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if won == 1:
            return job_id
    return None


class TaskContext:
    """What a running task gets: the job, the clock, where to write, and a progress reporter."""

    def __init__(self, job: Job, now: datetime, worker: str):
        self.job, self.now, self.worker = job, now, worker
        self.output = folder() / _new_key(".part")
        self._last_beat = 0.0
        self.interval = float(current_app.config["JOBS_HEARTBEAT_SECONDS"])

    @property
    def params(self) -> dict:
        return self.job.params

    @property
    def owner(self):
        return self.job.owner

    def input_bytes(self) -> bytes:
        if not self.job.input_key or not (folder() / self.job.input_key).exists():
            raise ServiceError("任务的上传文件已不存在，请重新上传。", code="upload_expired", status=422)
        return (folder() / self.job.input_key).read_bytes()

    def progress(self, done: int, total: int | None = None, force: bool = False) -> None:
        """Record progress and beat the heartbeat, at most once per JOBS_HEARTBEAT_SECONDS unless forced.

        Written through a connection of its own and committed at once, so pages see it while the task's own
        transaction is still open. Raises JobLost when the job is no longer this runner's."""
        moment = time.monotonic()
        if not force and moment - self._last_beat < self.interval:
            return
        self._last_beat = moment
        values = {"progress": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        with db.engine.begin() as conn:
            mine = conn.execute(update(Job.__table__).where(Job.__table__.c.id == self.job.id,
                                                            Job.__table__.c.status == "running",
                                                            Job.__table__.c.worker == self.worker)
                                .values(**values)).rowcount
        if mine != 1:
            raise JobLost(self.job.id)


def execute(job_id: int, worker: str) -> str:
    """Run one claimed job to its end; the edge: commits the task's writes with the job's new state.
    Returns the final status ("done", "failed", or "lost")."""
    job = db.session.get(Job, job_id)
    task = tasks().get(job.kind)
    ctx = TaskContext(job, utcnow(), worker)
    acting = trail.ACTING.set(job.owner)  # what the task changes is its owner's doing in the 操作日志
    try:
        if task is None:
            raise ServiceError("未知的任务类型。", code="unknown_job")
        output = task(ctx)
        key = _new_key(Path(output.name).suffix[:10])
        os.replace(ctx.output, folder() / key)
        finished = utcnow()
        keep = (timedelta(minutes=current_app.config["JOBS_SECRET_KEEP_MINUTES"]) if output.secret
                else timedelta(days=current_app.config["JOBS_KEEP_DAYS"]))
        won = db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running", Job.worker == worker)
            .values(status="done", result_key=key, result_name=output.name[:200], result_type=output.content_type,
                    result_size=(folder() / key).stat().st_size, secret=output.secret,
                    summary_json=json.dumps(output.summary, ensure_ascii=False), finished_at=finished,
                    heartbeat_at=finished, expires_at=finished + keep, progress=ctx.job.total or job.progress,
                    error=None, error_code=None)
            .execution_options(synchronize_session=False)).rowcount
        if won != 1:
            (folder() / key).unlink(missing_ok=True)
            raise JobLost(job_id)
        db.session.commit()
        _drop_input(job)
        return "done"
    except JobLost:
        db.session.rollback()
        log.warning("job %s was taken from this runner; its work is discarded", job_id)
        return "lost"
    except ServiceError as problem:
        db.session.rollback()
        _fail(job_id, worker, problem.code, problem.message)
        return "failed"
    except Exception as error:
        db.session.rollback()
        if is_storage_error(error):  # the disk filled up under an export: the person reads that, not "出错"
            log.error("job %s (%s) failed: the disk refused a file: %s", job_id, job.kind, error)
            _fail(job_id, worker, *STORAGE_FAILED)
        else:
            log.exception("job %s (%s) failed", job_id, job.kind)
            _fail(job_id, worker, "job_failed", GENERIC_FAILURE)
        return "failed"
    finally:
        trail.ACTING.reset(acting)
        ctx.output.unlink(missing_ok=True)


def _fail(job_id: int, worker: str, code: str, message: str) -> None:
    db.session.execute(update(Job).where(Job.id == job_id, Job.status == "running", Job.worker == worker)
                       .values(status="failed", error_code=code[:64], error=message, finished_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.commit()
    job = db.session.get(Job, job_id)
    if job is not None and job.status == "failed":
        _drop_input(job)


def _drop_input(job: Job) -> None:
    if job.input_key:
        (folder() / job.input_key).unlink(missing_ok=True)


def run_one(app, worker: str | None = None) -> str | None:
    """Claim and run the oldest queued job in a fresh app context; None when nothing was queued."""
    worker = worker or worker_name()
    with app.app_context():
        job_id = claim_next(utcnow(), worker)
        if job_id is None:
            return None
        log.info("job %s claimed by %s", job_id, worker)
        return execute(job_id, worker)


def run_pending(app, limit: int = 100) -> int:
    """Run queued jobs one after another until none is left (or `limit` ran); how many ran."""
    ran = 0
    while ran < limit and run_one(app) is not None:
        ran += 1
    return ran
