"""The shared scheduler (APScheduler 3): runs every feature's periodic jobs.

`python run.py` starts it in the background of the web process (`start_background(app)`, skipped when
SCHEDULER_ENABLED is false); `flask --app run scheduler` runs it alone in the foreground (`run_forever`),
for deployments with several web processes (set SCHEDULER_ENABLED=0 on those).

Jobs come from each feature's jobs.py, a module-level list JOBS of JobSpec:

    from ..scheduler import JobSpec

    JOBS = [
        JobSpec(
            id="rankings.monthly",            # stable and unique: the APScheduler job id, so registering
                                              # again replaces the job instead of adding a second one
            func=publish_last_month,          # func(now) -> anything; runs inside an app context and a
                                              # transaction committed after it returns (boundary.transaction),
                                              # `now` is aware UTC; exceptions roll back and are logged
            trigger={"cron": {"day": 1, "hour": 8, "minute": 30}},
                                              # {"cron": {...}} or {"interval": {...}}: APScheduler
                                              # CronTrigger / IntervalTrigger fields, in Asia/Shanghai;
                                              # or a callable(app) -> such a dict, to read app.config
            when=None,                        # optional when(now) -> bool (app context): a fire time for which
                                              # it answers False is skipped (e.g. non-working days)
            catch_up=False,                   # at start: run once now if the last due fire time (within
                                              # catch_up_window, `when` applied) is later than last_run(),
                                              # or, with `done`, if done(that fire time) is False
            last_run=None,                    # callable() -> datetime | None (app context): when the job
                                              # last ran; catch_up needs it or `done`
            done=None,                        # optional done(due) -> bool (app context): whether the work of
                                              # the fire at `due` exists, however it came (a period's list,
                                              # published by the schedule or by hand); judges a run missed
                                              # instead of last_run
            catch_up_window=CATCH_UP_WINDOW,  # how far back the last due fire time is looked for: longer for a
                                              # job whose fires are weeks apart (a monthly list)
            catch_up_when=None,               # optional catch_up_when(now) -> bool (app context): a moment at
                                              # which a missed run may be made up (e.g. a working day). Found
                                              # missed at any other moment, it is made up a minute after the
                                              # job's first fire this accepts (the host restarted on a holiday:
                                              # the list comes on the next working day, not that day)
        ),
    ]

A catch-up job that fails because the database does not answer (restarting, unreachable for a moment, or not up
yet when the host boots) or the disk refuses its file (full, read-only: a list's or a letter's PDF), in its run or
in the start-up check, is looked at again RETRY_AFTER later, and so on until it can: the check then runs it if its
run is still missing.

Every process that runs a scheduler fires every job, so a job must be safe to run twice and from two
processes at once: take a lock from inspect_app.locks and let a unique constraint turn a repeat into a
no-op. Fires are coalesced, one instance at a time, and a fire late by up to an hour still runs.
"""
from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from .boundary import transaction
from .common.errors import outage
from .common.timeutil import SHANGHAI, utcnow
from .features import feature_modules

log = logging.getLogger(__name__)

CATCH_UP_WINDOW = timedelta(days=7)
LATE_AFTER = timedelta(hours=2)  # a fire runs up to an hour late (misfire_grace_time); two hours on, it did not run
PUT_OFF_AFTER = timedelta(minutes=1)  # a put-off catch-up looks a minute after the fire: the job's own run goes first
RETRY_AFTER = timedelta(minutes=5)  # a catch-up job the database or disk failed is looked at again this much later
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}

TriggerSpec = Mapping[str, Mapping]


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[datetime], object]
    trigger: TriggerSpec | Callable[[Flask], TriggerSpec]
    when: Callable[[datetime], bool] | None = None
    catch_up: bool = False
    last_run: Callable[[], datetime | None] | None = None
    catch_up_when: Callable[[datetime], bool] | None = None
    done: Callable[[datetime], bool] | None = None
    catch_up_window: timedelta = CATCH_UP_WINDOW

    def __post_init__(self):
        if self.catch_up and self.last_run is None and self.done is None:
            raise ValueError(f"job {self.id}: catch_up needs last_run or done")

    def may_catch_up(self, now: datetime) -> bool:
        """Whether a missed run may be made up at `now` (app context)."""
        return self.catch_up_when is None or self.catch_up_when(now)


def collect_jobs() -> list[JobSpec]:
    """Every feature's JOBS, in feature order; ids must be unique."""
    specs: list[JobSpec] = []
    for module in feature_modules("jobs"):
        specs.extend(getattr(module, "JOBS", ()))
    ids = [spec.id for spec in specs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate job ids: {sorted(duplicates)}")
    return specs


def make_trigger(spec: JobSpec, app: Flask):
    trigger = spec.trigger(app) if callable(spec.trigger) else spec.trigger
    if len(trigger) != 1:
        raise ValueError(f"job {spec.id}: trigger must be {{'cron': {{...}}}} or {{'interval': {{...}}}}")
    (kind, fields), = trigger.items()
    if kind == "cron":
        return CronTrigger(timezone=SHANGHAI, **fields)
    if kind == "interval":
        return IntervalTrigger(timezone=SHANGHAI, **fields)
    raise ValueError(f"job {spec.id}: unknown trigger kind {kind!r}")


def run_job(app: Flask, spec: JobSpec, *, check_when: bool = True, scheduler: BaseScheduler | None = None) -> bool:
    """Run one job now, inside an app context; True if it ran. Errors are logged, not raised. If the database did
    not answer or the disk refused a file, a catch-up job is looked at again RETRY_AFTER later on `scheduler`."""
    with app.app_context():
        now = utcnow()
        try:
            if check_when and spec.when is not None and not spec.when(now):
                log.info("job %s skipped for %s", spec.id, now.isoformat())
                return False
            log.info("job %s running", spec.id)
            with transaction():  # the job is an edge: it commits once (a job with steps commits each itself)
                spec.func(now)
            return True
        except Exception as error:
            if (failed := outage(error)) is None:
                log.exception("job %s failed", spec.id)
                return False
            log.error("job %s failed: %s: %s", spec.id, failed, error)
            retry_later(app, spec, scheduler, now)
            return False


def retry_later(app: Flask, spec: JobSpec, scheduler: BaseScheduler | None, now: datetime) -> None:
    """Look at a catch-up job again RETRY_AFTER from `now` (one such look per job at a time): the catch-up check
    runs it then if its due run is still missing."""
    if scheduler is None or not spec.catch_up:
        return
    later = (now + RETRY_AFTER).replace(microsecond=0)
    _look_again(app, spec, scheduler, later, "retry")
    log.info("job %s will be looked at again at %s", spec.id, later.astimezone(SHANGHAI).isoformat())


def _look_again(app: Flask, spec: JobSpec, scheduler: BaseScheduler, at: datetime, why: str) -> None:
    """A one-off catch-up check of `spec` at `at`, as job `scheduler.<why>:<job id>` (one of each per job)."""
    job_id = f"scheduler.{why}:{spec.id}"
    scheduler.add_job(catch_up, "date", run_date=at, args=(app, [spec], None, scheduler), id=job_id, name=job_id,
                      replace_existing=True)


def last_due(trigger, now: datetime, when: Callable[[datetime], bool] | None = None,
             window: timedelta = CATCH_UP_WINDOW) -> datetime | None:
    """The latest fire time of `trigger` in (now - window, now] that `when` accepts."""
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, now - window)
    while fire is not None and fire <= now and len(times) < 10000:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    for fire in reversed(times):
        if when is None or when(fire):
            return fire
    return None


def missed(app: Flask, spec: JobSpec, now: datetime | None = None) -> bool:
    """Whether a catch-up job's last due run did not happen (with `done`: did not do its work)."""
    if not spec.catch_up:
        return False
    with app.app_context():
        now = now or utcnow()
        due = last_due(make_trigger(spec, app), now, spec.when, spec.catch_up_window)
        if due is None:
            return False
        if spec.done is not None:
            return not spec.done(due)
        last = spec.last_run()
        return last is None or last < due


def next_catch_up(app: Flask, spec: JobSpec, now: datetime, horizon: timedelta = timedelta(days=60)) -> datetime | None:
    """The first fire of `spec`'s trigger after `now` at which `catch_up_when` allows making up a missed run."""
    with app.app_context():
        trigger = make_trigger(spec, app)
        fire = trigger.get_next_fire_time(None, now + timedelta(seconds=1))
        while fire is not None and fire <= now + horizon:
            if spec.may_catch_up(fire):
                return fire
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return None


def catch_up(app: Flask, specs: list[JobSpec] | None = None, now: datetime | None = None,
             scheduler: BaseScheduler | None = None) -> list[str]:
    """Run, once, each catch-up job whose last due run was missed (e.g. the host was down at 09:00), if
    `catch_up_when` allows it now. If it does not (the host restarted on a holiday), the catch-up is put off to a
    minute after the job's first fire that it allows, as a one-off job on `scheduler`; it looks again then, and does
    nothing if the job's own run there has made up for it. Returns the ids of the jobs run now."""
    ran = []
    now = now or utcnow()
    for spec in specs if specs is not None else collect_jobs():
        try:
            if not missed(app, spec, now):
                continue
            with app.app_context():
                now_allowed = spec.may_catch_up(now)
            if now_allowed:
                log.info("job %s missed its last run: catching up", spec.id)
                if run_job(app, spec, check_when=False, scheduler=scheduler):
                    ran.append(spec.id)
                continue
            later = next_catch_up(app, spec, now)
            log.info("job %s missed its last run: not made up today, put off to %s", spec.id,
                     later.isoformat() if later else "(none within 60 days)")
            if scheduler is not None and later is not None:
                _look_again(app, spec, scheduler, later + PUT_OFF_AFTER, "catch-up")
        except Exception as error:
            if (failed := outage(error)) is None:
                log.exception("catch-up check for job %s failed", spec.id)
                continue
            log.error("catch-up check for job %s failed: %s: %s", spec.id, failed, error)
            retry_later(app, spec, scheduler, now)
    return ran


def configure(scheduler: BaseScheduler, app: Flask, specs: list[JobSpec] | None = None) -> list[JobSpec]:
    specs = specs if specs is not None else collect_jobs()
    for spec in specs:
        scheduler.add_job(run_job, make_trigger(spec, app), args=(app, spec), kwargs={"scheduler": scheduler},
                          id=spec.id, name=spec.id, replace_existing=True)
    if any(spec.catch_up for spec in specs):
        scheduler.add_job(catch_up, "date", run_date=datetime.now(SHANGHAI), args=(app, specs, None, scheduler),
                          id="scheduler.catch-up", name="scheduler.catch-up", replace_existing=True)
    return specs


_lock = threading.Lock()
_background: dict[int, BackgroundScheduler] = {}


def start_background(app: Flask) -> BackgroundScheduler | None:
    """Start the scheduler in a background thread of this process (once per app)."""
    if not app.config["SCHEDULER_ENABLED"]:
        return None
    with _lock:
        if id(app) in _background:
            return _background[id(app)]
        scheduler = BackgroundScheduler(timezone=SHANGHAI, job_defaults=JOB_DEFAULTS, daemon=True)
        specs = configure(scheduler, app)
        scheduler.start()
        _background[id(app)] = scheduler
    atexit.register(_shutdown, scheduler)
    log.info("scheduler started in the background: %s", ", ".join(s.id for s in specs) or "no jobs")
    return scheduler


def _shutdown(scheduler: BaseScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


def run_forever(app: Flask) -> None:
    """Run the scheduler in the foreground until interrupted."""
    scheduler = BlockingScheduler(timezone=SHANGHAI, job_defaults=JOB_DEFAULTS)
    specs = configure(scheduler, app)
    log.info("scheduler running: %s", ", ".join(s.id for s in specs) or "no jobs")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        _shutdown(scheduler)


def register_cli(app: Flask) -> None:
    import click

    @app.cli.command("scheduler")
    def scheduler_command():
        """Run the scheduler alone in the foreground (escalation sweeps, notifications, ...)."""
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        from .ops.schema import schema_state
        state, message = schema_state()
        if state != "ok":  # its jobs would fail on columns not made yet (or made by newer code)
            raise click.ClickException(f"调度器没有启动：{message}")
        click.echo("调度器已启动（Ctrl+C 停止）。")
        run_forever(app)
