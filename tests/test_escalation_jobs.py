"""The scheduler (job specs, working-day schedule, catch-up), the sweep lock, and webhook delivery."""
from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import City, at, processed, sign_in
from test_database_down import database_down
from sqlalchemy import select

from inspect_app import scheduler
from inspect_app.common.timeutil import local
from inspect_app.escalation import jobs
from inspect_app.escalation.models import Notification, SweepRun
from inspect_app.escalation.jobs import deliver_due
from inspect_app.escalation.notify import backoff, signed_url
from inspect_app.escalation.jobs import run_sweep
from inspect_app.extensions import db
from inspect_app.locks import advisory_key, exclusive, lock_file_path
from inspect_app.tickets import services as ticket_services

FRIDAY = "2026-11-27T09:00:00+08:00"


@pytest.fixture(autouse=True)
def auto_mode(app):
    """These tests describe ESCALATION_MODE=auto: the sweep issues letters by itself (propose mode: test_letters.py)."""
    app.config["ESCALATION_MODE"] = "auto"



@pytest.fixture
def overdue(city, now):
    """Two overdue tickets, one per street office."""
    photo = processed()
    for point in (City.ON_A, City.ON_B):
        report = ticket_services.NewReport(category="niupixuan", photos=[photo], lat=point[0], lon=point[1])
        ticket_services.create_ticket(city.inspector, report, now)
        db.session.commit()


# ----------------------------------------------------------------------------- webhook

class Robot:
    """A group robot on 127.0.0.1: answers with the queued (status, body) pairs, then 200 errcode 0."""

    def __init__(self):
        self.received: list[dict] = []
        self.paths: list[str] = []
        self.answers: list[tuple[int, dict]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                robot.received.append(json.loads(self.rfile.read(length)))
                robot.paths.append(self.path)
                status, body = robot.answers.pop(0) if robot.answers else (200, {"errcode": 0, "errmsg": "ok"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=test"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot(app):
    server = Robot()
    app.config["WEBHOOK_URL"] = server.url
    yield server
    server.close()


def outbox() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_letters_are_announced_to_the_group(app, robot, overdue):
    result = run_sweep(at(FRIDAY))
    assert len(result.letters) == 2 and robot.received == []  # the sweep itself never posts
    assert deliver_due(at(FRIDAY)) == {"sent": 1, "failed": 0, "skipped": 0}
    message = robot.received[0]
    assert message["msgtype"] == "text"
    content = message["text"]["content"]
    assert "督办函2件" in content and "临江文明督〔2026〕1号" in content and "乙街道办事处" in content
    assert outbox()[0].sent_at == at(FRIDAY)
    assert deliver_due(at(FRIDAY) + timedelta(minutes=5))["sent"] == 0  # sent once


def test_failed_post_is_retried_later(app, robot, overdue, caplog):
    robot.answers = [(500, {"error": "down"}), (200, {"errcode": 310000, "errmsg": "keywords not in content"})]
    run_sweep(at(FRIDAY))
    with caplog.at_level(logging.WARNING, logger="inspect_app.escalation.notify"):
        assert deliver_due(at(FRIDAY))["failed"] == 1
    row = outbox()[0]
    assert row.attempts == 1 and row.sent_at is None and "500" in row.last_error
    assert row.next_attempt_at == at(FRIDAY) + backoff(1)
    assert "retrying" in caplog.text
    assert deliver_due(at(FRIDAY))["sent"] == 0 and len(robot.received) == 1  # not due yet
    assert deliver_due(row.next_attempt_at)["failed"] == 1  # the robot refuses it (errcode)
    assert "310000" in outbox()[0].last_error
    later = outbox()[0].next_attempt_at
    assert deliver_due(later)["sent"] == 1
    assert outbox()[0].sent_at == later and outbox()[0].attempts == 3


def test_unreachable_webhook_never_blocks_the_sweep(app, overdue, caplog):
    import socket

    with socket.socket() as probe:  # a local port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(WEBHOOK_URL=f"http://127.0.0.1:{port}/send", WEBHOOK_TIMEOUT=1)
    jobs.sweep_job(at(FRIDAY))  # sweep, then one delivery attempt that fails
    assert len(db.session.scalars(select(SweepRun)).all()) == 1
    row = outbox()[0]
    assert row.attempts == 1 and row.sent_at is None and row.last_error


def test_no_webhook_configured_queues_nothing(app, overdue):
    app.config["WEBHOOK_URL"] = ""
    run_sweep(at(FRIDAY))
    assert outbox() == [] and deliver_due(at(FRIDAY))["sent"] == 0


def test_dingtalk_signature():
    url = signed_url("http://127.0.0.1/robot/send?access_token=t", "SECxyz", at("2026-11-27T09:00"))
    assert "&timestamp=1795741200000&sign=" in url


# ----------------------------------------------------------------------------- scheduler

def test_jobs_are_collected_with_stable_ids(app):
    specs = scheduler.collect_jobs()
    assert {"escalation.sweep", "outbox.deliver"} <= {spec.id for spec in specs}  # delivery: the shared outbox
    sweep = next(spec for spec in specs if spec.id == "escalation.sweep")
    trigger = scheduler.make_trigger(sweep, app)
    assert str(trigger.timezone) == "Asia/Shanghai"
    assert trigger.get_next_fire_time(None, at("2026-11-27T08:00")) == at("2026-11-27T09:00")
    with pytest.raises(ValueError):
        scheduler.JobSpec(id="x", func=print, trigger={"cron": {}}, catch_up=True)


def test_schedule_is_configurable(app):
    app.config["ESCALATION_SCHEDULE"] = {"hour": 8, "minute": 30}
    sweep = next(spec for spec in scheduler.collect_jobs() if spec.id == "escalation.sweep")
    assert scheduler.make_trigger(sweep, app).get_next_fire_time(None, at("2026-11-27T08:00")) == \
        at("2026-11-27T08:30")


def test_sweep_runs_on_working_days_only(app):
    assert jobs.is_sweep_day(at("2026-11-27T09:00"))           # Friday
    assert not jobs.is_sweep_day(at("2026-11-28T09:00"))       # Saturday
    assert not jobs.is_sweep_day(at("2026-10-05T09:00"))       # National Day holiday (Monday)
    assert jobs.is_sweep_day(at("2026-10-10T09:00"))           # 调休: a working Saturday
    app.config["ESCALATION_WORKDAYS_ONLY"] = False
    assert jobs.is_sweep_day(at("2026-11-28T09:00"))


def test_catch_up_after_a_missed_run(app, overdue):
    sweep = next(spec for spec in scheduler.collect_jobs() if spec.id == "escalation.sweep")
    trigger = scheduler.make_trigger(sweep, app)
    # Monday 10:00 after a weekend: the last due run is Monday 09:00; on Sunday it is Friday 09:00
    assert scheduler.last_due(trigger, at("2026-11-30T10:00"), jobs.is_sweep_day) == at("2026-11-30T09:00")
    assert scheduler.last_due(trigger, at("2026-11-29T20:00"), jobs.is_sweep_day) == at("2026-11-27T09:00")
    assert scheduler.missed(app, sweep, at("2026-11-30T10:00"))  # never ran
    run_sweep(at("2026-11-30T09:00"))
    assert not scheduler.missed(app, sweep, at("2026-11-30T10:00"))
    assert scheduler.missed(app, sweep, at("2026-12-01T09:30"))  # the host was down at 09:00

    ran = []
    spec = scheduler.JobSpec(id="test.catch-up", func=ran.append, trigger={"cron": {"hour": 9, "minute": 0}},
                             catch_up=True, last_run=lambda: None)
    assert scheduler.catch_up(app, [spec]) == ["test.catch-up"] and len(ran) == 1
    never = scheduler.JobSpec(id="test.never", func=ran.append, trigger={"cron": {"hour": 9}},
                              when=lambda _now: False, catch_up=True, last_run=lambda: None)
    assert scheduler.catch_up(app, [never]) == []


@pytest.fixture
def probe():
    """A scheduler that is started but never fires: what catch-up puts on it can be read back."""
    from apscheduler.schedulers.background import BackgroundScheduler

    paused = BackgroundScheduler(timezone=scheduler.SHANGHAI)
    paused.start(paused=True)
    yield paused
    paused.shutdown(wait=False)


def test_a_catch_up_found_on_a_day_off_waits_for_the_next_working_day(app, overdue, probe, clock):
    # The host was down at Wednesday 30 September's 09:00 sweep and starts again on 1 October (国庆, 1–7 October):
    # the sweep is not run on the holiday but a minute after its first fire on a working day, Thursday 8 October.
    sweep = next(spec for spec in scheduler.collect_jobs() if spec.id == "escalation.sweep")
    run_sweep(at("2026-09-29T09:00"))
    assert scheduler.missed(app, sweep, at("2026-10-01T10:00"))
    assert scheduler.next_catch_up(app, sweep, at("2026-10-01T10:00")) == at("2026-10-08T09:00")
    assert scheduler.catch_up(app, [sweep], at("2026-10-01T10:00"), probe) == []
    assert db.session.scalar(select(SweepRun.as_of).order_by(SweepRun.as_of.desc()).limit(1)) == \
        at("2026-09-29T09:00")
    put_off = probe.get_job("scheduler.catch-up:escalation.sweep")
    assert put_off.next_run_time == at("2026-10-08T09:01")
    # on a working day it is made up at once, as before
    clock.set("2026-09-30T10:00")
    assert scheduler.catch_up(app, [sweep], None, probe) == ["escalation.sweep"]
    assert not scheduler.missed(app, sweep, at("2026-09-30T10:00"))

    ran = []
    spec = scheduler.JobSpec(id="test.weekdays", func=ran.append, trigger={"cron": {"hour": 9, "minute": 0}},
                             catch_up=True, last_run=lambda: None,
                             catch_up_when=lambda now: local(now).weekday() < 5)
    assert scheduler.catch_up(app, [spec], at("2026-11-28T10:00"), probe) == [] and ran == []  # a Saturday
    assert probe.get_job("scheduler.catch-up:test.weekdays").next_run_time == at("2026-11-30T09:01")
    assert scheduler.catch_up(app, [spec], at("2026-11-27T10:00")) == ["test.weekdays"] and len(ran) == 1
    # nothing it allows within 60 days: logged, nothing put on the scheduler
    never = scheduler.JobSpec(id="test.never", func=ran.append, trigger={"cron": {"hour": 9}}, catch_up=True,
                              last_run=lambda: None, catch_up_when=lambda _now: False)
    assert scheduler.catch_up(app, [never], at("2026-11-27T10:00"), probe) == []
    assert probe.get_job("scheduler.catch-up:test.never") is None


def test_a_job_the_database_did_not_answer_is_looked_at_again(app, overdue, probe, clock, caplog):
    # PostgreSQL restarts (or the network to it drops) at Monday's 09:00 sweep, and is back ten minutes later.
    # Before, the day's sweep was lost: the failure was logged, and nothing looked again before the next day.
    sweep = next(spec for spec in scheduler.collect_jobs() if spec.id == "escalation.sweep")
    clock.set("2026-11-30T09:00")
    with database_down(), caplog.at_level(logging.INFO, logger="inspect_app.scheduler"):
        assert scheduler.run_job(app, sweep, scheduler=probe) is False
        assert probe.get_job("scheduler.retry:escalation.sweep").next_run_time == at("2026-11-30T09:05")
        # 09:05, still down: the look itself fails, and the next is put five minutes on (one per job at a time)
        clock.set("2026-11-30T09:05")
        assert scheduler.catch_up(app, [sweep], None, probe) == []
        [retry] = [job for job in probe.get_jobs() if job.id.startswith("scheduler.retry:")]
        assert retry.next_run_time == at("2026-11-30T09:10")
    assert "escalation.sweep failed: the database did not answer" in caplog.text
    assert "Traceback" not in caplog.text  # one line each time, not a traceback

    clock.set("2026-11-30T09:10")  # back: the look finds the day's sweep missing and runs it, once
    assert scheduler.catch_up(app, [sweep], None, probe) == ["escalation.sweep"]
    assert [t.replace(microsecond=0) for t in db.session.scalars(select(SweepRun.as_of))] == [at("2026-11-30T09:10")]
    assert scheduler.catch_up(app, [sweep], None, probe) == []  # nothing missing now
    assert len(db.session.scalars(select(SweepRun.as_of)).all()) == 1

    # The same when the host boots before the database is up: the start-up check is looked at again.
    probe.remove_all_jobs()
    clock.set("2026-12-01T08:30")
    with database_down():
        assert scheduler.catch_up(app, [sweep], None, probe) == []
    assert probe.get_job("scheduler.retry:escalation.sweep").next_run_time == at("2026-12-01T08:35")

    # Only a job whose missed run is made up is looked at again, and only when the database did not answer.
    probe.remove_all_jobs()

    def broken(_now):
        raise RuntimeError("a bug, not the database")
    for spec in (scheduler.JobSpec(id="test.bug", func=broken, trigger={"cron": {"hour": 9}}, catch_up=True,
                                   last_run=lambda: None),
                 scheduler.JobSpec(id="test.plain", func=lambda _now: db.session.execute(select(SweepRun.id)).all(),
                                   trigger={"interval": {"minutes": 2}})):
        with database_down():
            assert scheduler.run_job(app, spec, scheduler=probe) is False
    assert probe.get_jobs() == []


def test_the_office_is_told_when_the_sweep_has_not_run(app, city, client, clock):
    # The scheduler runs inside `python run.py` or alone (`flask --app run scheduler`). If it is not running,
    # nothing overdue reaches a 督办建议 and nothing else says so: 待办事项 does, two hours after a sweep was due.
    late = "督办扫描没有按时运行"

    def work() -> str:
        sign_in(client, city.admin)  # afresh: the clock moves past the session's idle limit
        return client.get("/office/work").get_data(as_text=True)

    clock.set("2026-11-25T10:00")                             # Wednesday: the 09:00 sweep never ran, nor any
    assert late in work() and "从未运行" in work()
    # after 国庆 (1–7 October) the last sweep due is 30 September's, then 8 October's
    run_sweep(at("2026-09-30T09:00"))
    db.session.commit()
    assert jobs.sweep_late(at("2026-10-07T20:00")) is None
    assert jobs.sweep_late(at("2026-10-08T11:00")) == jobs.LateSweep(at("2026-10-08T09:00"), at("2026-09-30T09:00"))
    run_sweep(at("2026-11-25T09:00"))
    db.session.commit()
    assert late not in work()
    clock.set("2026-11-26T10:59")                             # Thursday's 09:00 sweep may still be running
    assert jobs.sweep_late(at("2026-11-26T10:59")) is None and late not in work()
    clock.set("2026-11-26T11:00")
    assert jobs.sweep_late(at("2026-11-26T11:00")) == jobs.LateSweep(at("2026-11-26T09:00"), at("2026-11-25T09:00"))
    page = work()
    assert late in page and "2026-11-26 09:00" in page and "上次运行于 2026-11-25 09:00" in page
    clock.set("2026-11-28T15:00")                             # Saturday: Friday's sweep did not run either
    assert jobs.sweep_late(at("2026-11-28T15:00")).due == at("2026-11-27T09:00")
    # a sweep run by hand (flask --app run escalate) counts
    run_sweep(at("2026-11-28T15:30"))
    db.session.commit()
    assert jobs.sweep_late(at("2026-11-28T16:00")) is None
    app.config["ESCALATION_SCHEDULE"] = {"hour": 25}                 # a wrong schedule: the page still opens
    assert jobs.sweep_late(at("2026-11-30T12:00")) is None and "待办事项" in work()


def test_run_job_logs_failures_and_applies_when(app, caplog):
    def boom(_now):
        raise RuntimeError("boom")

    failing = scheduler.JobSpec(id="test.boom", func=boom, trigger={"interval": {"minutes": 1}})
    with caplog.at_level(logging.ERROR, logger="inspect_app.scheduler"):
        assert scheduler.run_job(app, failing) is False
    assert "test.boom failed" in caplog.text
    skipped = scheduler.JobSpec(id="test.skip", func=boom, trigger={"interval": {"minutes": 1}},
                                when=lambda _now: False)
    assert scheduler.run_job(app, skipped) is False


def test_background_scheduler_registers_each_job_once(app):
    assert scheduler.start_background(app) is None  # SCHEDULER_ENABLED is off in tests
    app.config["SCHEDULER_ENABLED"] = True
    from apscheduler.schedulers.background import BackgroundScheduler

    probe = BackgroundScheduler(timezone=scheduler.SHANGHAI)
    probe.start(paused=True)
    try:
        specs = scheduler.configure(probe, app)
        scheduler.configure(probe, app)  # registering again replaces, never duplicates
        ids = sorted(job.id for job in probe.get_jobs())
    finally:
        probe.shutdown(wait=False)
    assert ids == sorted([spec.id for spec in specs] + ["scheduler.catch-up"])


# ----------------------------------------------------------------------------- locks

def test_file_lock_is_exclusive_across_connections(app, tmp_path):
    from inspect_app.extensions import db as database

    path = lock_file_path(database.engine, "escalation-sweep")
    if database.engine.dialect.name == "sqlite":
        assert path.name.endswith(".db.escalation-sweep.lock")
    with exclusive("test-lock") as first:
        assert first
        seen = []
        thread = threading.Thread(target=lambda: seen.append(_try_lock(app)))
        thread.start()
        thread.join()
        assert seen == [False]
    assert _try_lock(app) is True  # released


def _try_lock(app) -> bool:
    with app.app_context():
        with exclusive("test-lock") as acquired:
            return acquired


def test_locked_sweep_is_skipped(app, overdue):
    with exclusive("escalation-sweep"):
        result = [None]
        thread = threading.Thread(target=lambda: result.__setitem__(0, _sweep_in_thread(app)))
        thread.start()
        thread.join()
    assert result[0].skipped and result[0].letters == []
    assert len(run_sweep(at(FRIDAY)).letters) == 2


def _sweep_in_thread(app):
    with app.app_context():
        return run_sweep(at(FRIDAY))


def test_advisory_keys_are_stable_and_in_range():
    key = advisory_key("escalation-sweep")
    assert key == advisory_key("escalation-sweep") != advisory_key("escalation-notify")
    assert -(2 ** 63) <= key < 2 ** 63


def test_escalate_command(app, overdue):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["escalate", "--now", FRIDAY])
    assert result.exit_code == 0, result.output
    assert "已印发督办函 2 件" in result.output and "临江文明督〔2026〕1号" in result.output
    again = runner.invoke(args=["escalate", "--now", FRIDAY])
    assert "没有新达到督办条件的问题" in again.output
    bad = runner.invoke(args=["escalate", "--now", "tomorrow"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output
