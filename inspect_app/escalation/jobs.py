"""The escalation feature's edges for the scheduler and the `escalate` command: the sweep and the webhook
delivery, each step in a transaction of its own (JobSpec format: inspect_app/scheduler.py).

run_sweep: 1. repair: render the PDF of any issued letter still without one (a killed sweep, a letter signed since);
2. in ONE transaction, by ESCALATION_MODE: `propose` writes the 督办建议 due and closes those that stopped
applying (proposals.write_proposals); `auto` issues the letters due (sweep.issue_letters); 3. render the new
letters' PDFs, one transaction each, so one bad letter never holds up the others. A lock (locks.exclusive) makes
a concurrent sweep skip.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from flask import current_app, has_request_context

from ..boundary import after_commit, transaction
from ..common.timeutil import fmt, utcnow
from ..extensions import db
from ..locks import exclusive
from ..scheduler import LATE_AFTER, JobSpec
from . import proposals, sweep
from .models import Letter, SweepRun
from .settings import mode, setting

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    skipped: bool = False  # another sweep held the lock
    mode: str = "propose"
    letters: list[Letter] = field(default_factory=list)
    proposals: list = field(default_factory=list)  # 督办建议 written (propose mode)
    lapsed: int = 0  # proposals closed because they stopped applying
    tickets: int = 0
    pdfs: int = 0  # PDFs written, new or repaired
    pdf_errors: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # "repair", "issue", "pdfs": where the time went

    @property
    def numbers(self) -> list[str]:
        return [letter.number for letter in self.letters]


def render_pending_pdfs(now: datetime) -> tuple[int, int]:
    """Write the PDF of every letter that has none yet, one transaction each; returns (written, failed)."""
    written = failed = 0
    for letter_id in sweep.pending_pdfs():
        try:
            with transaction():
                sweep.render_pdf(letter_id, now)
        except Exception:  # one bad letter must not hold up the others; the next sweep tries again
            log.exception("could not write the PDF of letter %s", letter_id)
            failed += 1
            continue
        written += 1
    return written, failed


_writers_lock = threading.Lock()
_writers: list[threading.Thread] = []


def write_pdfs_after_commit(letter_ids: list[int]) -> None:
    """Write these letters' PDFs once the current transaction has committed, in a thread of this process (a
    signed letter's PDF: 300 problems with their photos took a second or more of the leader's 签发). Its content
    is the same whenever it is built (the 主送 names are kept at 签发: LetterUnit.unit_name). With
    JOBS_WORKER_THREADS = 0 (the web processes run no background work), or outside a request (the demo's history,
    a script), the next sweep or the first reader (sweep.ensure_pdf) writes it."""
    app = current_app._get_current_object()
    if int(app.config["JOBS_WORKER_THREADS"]) <= 0 or not has_request_context() or not letter_ids:
        return
    after_commit(lambda: _start_writer(app, list(letter_ids)))


def _start_writer(app, letter_ids: list[int]) -> None:
    thread = threading.Thread(target=_write_pdfs, args=(app, letter_ids), name="letter-pdfs", daemon=True)
    with _writers_lock:
        _writers[:] = [t for t in _writers if t.is_alive()] + [thread]
    thread.start()


def _write_pdfs(app, letter_ids: list[int]) -> None:
    """The letters' PDFs not written yet, each in a transaction of its own, as the sweep writes them."""
    with app.app_context():
        try:
            for letter_id in letter_ids:
                try:
                    with transaction():
                        letter = db.session.get(Letter, letter_id)
                        if letter is not None and letter.status != "draft" and letter.pdf_written_at is None:
                            sweep.render_pdf(letter_id, utcnow())
                except Exception:  # the sweep, or the first reader, writes it
                    log.exception("letter %s's PDF not written after its commit; the sweep writes it", letter_id)
        finally:
            db.session.remove()


def wait_for_pdfs(timeout: float = 30.0) -> bool:
    """Wait for the PDF threads started so far (tests, and a process about to exit); whether all ended."""
    with _writers_lock:
        threads = list(_writers)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads)


def run_sweep(now: datetime, *, ran_at: datetime | None = None) -> SweepResult:
    """One sweep as of `now`; safe to run any number of times, from any number of processes."""
    with exclusive(sweep.LOCK_NAME) as acquired:
        if not acquired:
            log.info("escalation sweep skipped: another sweep is running")
            return SweepResult(skipped=True)
        result = SweepResult(mode=mode())
        started = time.perf_counter()
        repaired = render_pending_pdfs(now)
        issuing = time.perf_counter()
        try:
            with transaction():
                if result.mode == "auto":
                    result.letters, result.tickets = sweep.issue_letters(now, ran_at=ran_at)
                    result.lapsed = proposals.close_lapsed(now)
                else:
                    written = proposals.write_proposals(now, ran_at=ran_at)
                    result.proposals, result.lapsed = written.new, written.lapsed
                    result.tickets = len(written.new)
        except IntegrityError:
            # Another sweep (one that got past the lock, e.g. on another host with SQLite on shared storage)
            # wrote these letters (or proposals) first; the unique (ticket, level) constraints stopped the duplicate.
            log.warning("escalation sweep rolled back: already done by a concurrent sweep")
            result.letters, result.proposals, result.tickets = [], [], 0
        rendering = time.perf_counter()
        rendered = render_pending_pdfs(now)
        result.seconds = {"repair": issuing - started, "issue": rendering - issuing,
                          "pdfs": time.perf_counter() - rendering}
        result.pdfs = repaired[0] + rendered[0]
        result.pdf_errors = rendered[1]
        if result.letters or result.proposals:
            log.info("escalation sweep as of %s: %d letters, %d proposals, %d tickets", now.isoformat(),
                     len(result.letters), len(result.proposals), result.tickets)
        return result


def deliver_due(now: datetime) -> dict:
    """Post every due robot message (the shared outbox, inspect_app/outbox); returns counts. Never raises for a
    delivery problem."""
    from ..outbox.jobs import deliver_due as deliver_outbox

    return deliver_outbox(now)


def sweep_job(now: datetime) -> None:
    run_sweep(now, ran_at=now)
    try:
        deliver_due(now)
    except Exception:  # messages are retried by the notify job; the sweep is done
        log.exception("webhook delivery after the sweep failed")


def sweep_schedule(app) -> dict:
    return {"cron": dict(setting("ESCALATION_SCHEDULE", app))}


def is_sweep_day(when: datetime) -> bool:
    """Working days only (调休 Saturdays included, holidays not), unless configured otherwise."""
    if not setting("ESCALATION_WORKDAYS_ONLY"):
        return True
    from ..workdays.calendar import is_workday_at

    return is_workday_at(when)


def last_sweep() -> datetime | None:
    return db.session.scalar(select(func.max(SweepRun.as_of)))


SWEEP = JobSpec(id="escalation.sweep", func=sweep_job, trigger=sweep_schedule, when=is_sweep_day,
                catch_up=True, last_run=last_sweep, catch_up_when=is_sweep_day)
JOBS = [SWEEP]


@dataclass(frozen=True)
class LateSweep:
    due: datetime             # the sweep that should have run
    last: datetime | None     # the last one that did (None: never)

    @property
    def message(self) -> str:
        """What the office's 待办事项 says about it."""
        last = f"上次运行于 {fmt(self.last)}" if self.last else "从未运行"
        return (f"督办扫描没有按时运行：应于 {fmt(self.due)} 运行的扫描至今没有运行（{last}），超期问题不会进入督办。"
                "请系统管理员确认调度器在运行（python run.py 自带调度器，多进程部署时须单独运行 flask --app run "
                "scheduler），也可在服务器上运行 flask --app run escalate 立即扫描一次。")


def sweep_late(now: datetime) -> LateSweep | None:
    """The sweep due LATE_AFTER ago or more that has not run, if any: the scheduler is not running, or was down
    then (a restart on a day off waits for the next working day to make it up). For the office's 待办事项: without
    the sweep, nothing overdue reaches a 督办建议 or a letter, and nothing else would tell the office so."""
    from flask import current_app

    from ..scheduler import last_due, make_trigger

    try:
        trigger = make_trigger(SWEEP, current_app)
    except (TypeError, ValueError):  # ESCALATION_SCHEDULE is wrong: the scheduler logs it; the page still opens
        log.exception("ESCALATION_SCHEDULE is not a valid schedule")
        return None
    due = last_due(trigger, now - LATE_AFTER, SWEEP.when, window=timedelta(days=14))
    if due is None:
        return None
    last = last_sweep()
    return LateSweep(due, last) if last is None or last < due else None
