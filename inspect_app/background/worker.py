"""Runners inside the web process: a few daemon threads, started when a request queues a job.

A thread drains the queue (claim, run, repeat) and ends when nothing is left, so an idle process holds no thread
and polls nothing. JOBS_WORKER_THREADS caps the threads per process (0: the web process runs no jobs; the
scheduler's `background.run`, every JOBS_POLL_SECONDS, then does). Claims are atomic in the database, so the
threads of every gunicorn worker and the scheduler may all look at once: each job runs once.
"""
from __future__ import annotations

import logging
import threading

from .runner import run_one
from .service import worker_name

log = logging.getLogger(__name__)

_lock = threading.Lock()
_threads: dict[int, list[threading.Thread]] = {}
_more: dict[int, bool] = {}  # a job was queued since a thread last looked


def kick(app) -> None:
    """A job was queued and committed: make sure a thread of this process will look for it."""
    limit = int(app.config["JOBS_WORKER_THREADS"])
    if limit <= 0:
        return
    key = id(app)
    with _lock:
        _more[key] = True
        live = [t for t in _threads.get(key, []) if t.is_alive()]
        _threads[key] = live
        if len(live) >= limit:
            return
        thread = threading.Thread(target=_drain, args=(app,), name="jobs-runner", daemon=True)
        live.append(thread)
        thread.start()


def _drain(app) -> None:
    key = id(app)
    name = worker_name()
    while True:
        with _lock:
            _more[key] = False
        try:
            ran = run_one(app, name)
        except Exception:  # the database went away, say: leave the job to the stale-job recovery
            log.exception("job runner thread failed")
            ran = None
        if ran is not None:
            continue
        with _lock:
            if _more.get(key):
                continue
            current = threading.current_thread()
            _threads[key] = [t for t in _threads.get(key, []) if t is not current]
            return


def busy(app) -> bool:
    with _lock:
        return any(t.is_alive() for t in _threads.get(id(app), []))
