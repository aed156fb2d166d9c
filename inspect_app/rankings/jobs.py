"""Scheduled publication of the 红黑榜 (JobSpec format: inspect_app/scheduler.py).

- rankings.monthly: last month's list on the first working day of the month (调休 and the office's holiday entries
  respected) at 09:00 Shanghai time; RANKINGS_MONTHLY_SCHEDULE holds the cron fields (days 1-15: `when` keeps
  only the first working day).
- rankings.weekly: last ISO week's list on the first working day of the week at 09:00 (a holiday Monday such as
  国庆 or 春节 moves it to the first working day after); RANKINGS_WEEKLY_SCHEDULE holds the cron fields (every day:
  `when` keeps only the week's first working day), RANKINGS_WEEKLY_ENABLED=False turns it off. A week with no
  working day at all (春节 2026, 16–22 February) publishes nothing, so the list it should have brought comes with
  the next week's (`due_periods`, which fills in up to two such weeks).
Exactly once: a lock keeps two processes from computing at the same moment, the unique constraint on (period,
schedule_slot) turns any second run for the same period into a no-op, and a period that has its list already
(`services.listed`: published by hand after it ended) is not published again, asked once more behind the number
series' lock (services.publish), so a hand publication at the same moment is seen. A run missed while the host was
down is caught up when the scheduler starts (catch_up), or, if it starts on a day off, at the job's first fire on a
working day (09:00), so a list is never published on a holiday; missed is judged by the list being there (`done`),
however long ago its fire was (`catch_up_window`). A month's list still missing two hours after its fire is on the
office's 待办事项 (`monthly_list_late`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..common.timeutil import fmt, local
from ..scheduler import LATE_AFTER, JobSpec, last_due, make_trigger
from ..workdays.calendar import is_workday_at, load_calendar
from .periods import Period, containing

log = logging.getLogger(__name__)

SLOTS = {"month": "monthly", "week": "weekly"}


def publish_scheduled(now: datetime, kind: str) -> object:
    """Publish the period before the one holding `now` (and periods skipped before it, see `due_periods`), once
    per period; returns the Ranking of the last period it published, or None when it published none (the period
    before `now`'s has its list already, or is quiet: services.publish)."""
    from ..locks import exclusive
    from .services import publish

    slot = SLOTS[kind]
    ranking = None
    with exclusive(f"rankings-{slot}") as acquired:
        if not acquired:
            log.info("rankings %s: another process is publishing", slot)
            return None
        for period in due_periods(now, kind):
            ranking = publish(period, now, schedule_slot=slot)
            if ranking is None:
                log.info("rankings %s %s not published: published already, or a quiet period", slot, period.key)
            else:
                log.info("rankings %s %s published as version %s", slot, period.key, ranking.version)
    return ranking


PERIODS_FILLED_IN = 2  # periods without a list a scheduled run publishes before the last one, at most


def due_periods(now: datetime, kind: str) -> list:
    """The periods a scheduled run at `now` publishes, oldest first: the one before `now`'s unless it has its list
    already (`listed`), and up to two periods before it without one, provided the period just before them has a
    scheduled list. Those are weeks whose publication week gave no working day to publish on (春节), whose run was
    skipped (a holiday Monday under a Monday-only RANKINGS_WEEKLY_SCHEDULE), or periods whose run was missed while
    the host was down and made up only later (scheduler.catch_up: on the next working day, 春节 included, or after
    the next period's run was missed too). Two at most: after months with the weekly list turned off, turning it
    back on does not publish the backlog."""
    from .services import already_scheduled, listed

    last = containing(now, kind).previous()
    wanted = [] if listed(last) else [last]
    gap, period = [], last.previous()
    while len(gap) < PERIODS_FILLED_IN and not listed(period):
        gap.append(period)
        if already_scheduled(period.previous().key, SLOTS[kind]):
            return [*reversed(gap), *wanted]
        period = period.previous()
    return wanted


def period_due(fire: datetime, kind: str) -> Period:
    """The period whose list a fire of the `kind` job at `fire` publishes (the one before the fire's own)."""
    return containing(fire, kind).previous()


def monthly_job(now: datetime) -> object:
    return publish_scheduled(now, "month")


def weekly_job(now: datetime) -> object:
    if not current_app.config["RANKINGS_WEEKLY_ENABLED"]:
        return None
    return publish_scheduled(now, "week")


def is_first_workday_of_month(when: datetime) -> bool:
    day = local(when).date()
    return _first_workday_since(day.replace(day=1), day)


def is_first_workday_of_week(when: datetime) -> bool:
    day = local(when).date()
    return _first_workday_since(day - timedelta(days=day.weekday()), day)


def _first_workday_since(first, day) -> bool:
    """`day` is a working day and no day from `first` until it was one (调休 and the office's entries count)."""
    return load_calendar(first, days=(day - first).days + 1).first_workday(first, day) == day


def _list_there(kind: str):
    def done(fire: datetime) -> bool:
        """Whether the list the fire at `fire` publishes is there, whoever published it."""
        from .services import listed

        return listed(period_due(fire, kind))
    return done


# A month's list is due up to about 40 days before the next one (1 September, then 8 October after 国庆): looked
# for this far back, a missed one is found however long the scheduler was down, not only in the first week.
LIST_CATCH_UP_WINDOW = timedelta(days=62)

MONTHLY = JobSpec(id="rankings.monthly", func=monthly_job,
                  trigger=lambda app: {"cron": dict(app.config["RANKINGS_MONTHLY_SCHEDULE"])},
                  when=is_first_workday_of_month, catch_up=True, done=_list_there("month"),
                  catch_up_window=LIST_CATCH_UP_WINDOW, catch_up_when=is_workday_at)
WEEKLY = JobSpec(id="rankings.weekly", func=weekly_job,
                 trigger=lambda app: {"cron": dict(app.config["RANKINGS_WEEKLY_SCHEDULE"])},
                 when=is_first_workday_of_week, catch_up=True, done=_list_there("week"),
                 catch_up_window=LIST_CATCH_UP_WINDOW, catch_up_when=is_workday_at)
JOBS = [MONTHLY, WEEKLY]


@dataclass(frozen=True)
class LateList:
    period: Period
    due: datetime  # the fire that should have published it

    @property
    def message(self) -> str:
        """What the office's 待办事项 says about it."""
        return (f"红黑榜没有按时发布：{self.period.label}的红黑榜应于 {fmt(self.due)} 自动发布，至今没有发布。"
                "调度器启动时会补发（在休息日启动的，到下一个工作日的发布时间补发）；请系统管理员确认调度器在运行"
                "（python run.py 自带调度器，多进程部署时须单独运行 flask --app run scheduler），"
                "发布出错的见调度器日志。也可由文明办在红黑榜页面发布本期。")


def monthly_list_late(now: datetime) -> LateList | None:
    """The month whose list was due LATE_AFTER ago or more and is not there, if any (a quiet month is not
    published, so not late): the scheduler was down at its fire and has not made it up (not started since, or
    waiting for a working day), or the run failed. For the office's 待办事项: nothing else tells the office.
    Usually one query: last month is listed; while it is late, three (the working days read once, see `_quiet`)."""
    from .services import listed

    seen = now - LATE_AFTER
    last = containing(seen, "month").previous()
    for period in (last, last.previous()):  # the one before last while last month's run is not due yet
        if listed(period):
            return None
        try:
            trigger = make_trigger(MONTHLY, current_app)
        except (TypeError, ValueError):  # RANKINGS_MONTHLY_SCHEDULE is wrong: the scheduler logs it; the page opens
            log.exception("RANKINGS_MONTHLY_SCHEDULE is not a valid schedule")
            return None
        # its run: the first after it ended, on the month's first working day (one calendar read for the window,
        # not one a day walked back)
        due = last_due(trigger, seen, _first_workday_of_month(period.end, seen), window=seen - period.end)
        if due is not None:
            break
    else:
        return None
    return None if _quiet(period, now) else LateList(period, due)


def _first_workday_of_month(start: datetime, until: datetime):
    """is_first_workday_of_month for the fires from `start` to `until`, from one calendar read for those days."""
    first = local(start).date()
    calendar = load_calendar(first, days=(local(until).date() - first).days + 1)

    def when(fire: datetime) -> bool:
        day = local(fire).date()
        return calendar.first_workday(day.replace(day=1), day) == day
    return when


def _quiet(period: Period, now: datetime) -> bool:
    """Whether the period's list would be quiet (services.publish does not publish one). A problem found in it
    (dispatched, not 作废) charges its lead unit, which makes the list eventful: one indexed query (reported_at)
    answers for every month the city was at work, where computing the whole list on every 待办事项 the office
    opened while it was late took a few dozen. Only a period that found nothing is computed whole."""
    from ..extensions import db
    from ..tickets.models import Ticket
    from .counts import found_condition
    from .services import compute

    if db.session.scalar(select(Ticket.id).where(found_condition(period, now)).limit(1)) is not None:
        return False
    return compute(period, now).quiet
