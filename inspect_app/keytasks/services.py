"""Key tasks: who sees which, the office keeping the list, units reporting progress (调度) and asking for 销号, the
office's review, and the figures by unit. Callers pass `now`; operations flush, the edge commits.

A unit sees the tasks it leads or assists (any other: 404, as if absent); the office, leaders and inspectors see
all. Every unit on a task reports its own progress; only the lead unit reports the task done, with the material
that proves it, and the office accepts that (已完成) or returns it with what is missing (推进中 again).
The 调度 is monthly: each month's progress is due by KEYTASK_REPORT_DUE_DAY of the month (Asia/Shanghai). A task
being worked on (推进中) at the end of the month checked (status_at, as the month's 通报 tells it) whose lead unit
has not reported in that month is 未报送 (the lead unit reports for the task, with what its assisting units tell
it): from the due day on that is the current month, before it the month before, so the figure does not jump to
every task on the 1st (report_period). A task past its 完成时限 and still being worked on (推进中, not waiting for
the office's review) is 滞后."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, case, exists, false, func, or_, select, true

from ..common.codes import same_code
from ..common.ids import get_row
from ..common.numbers import round_half_up
from ..common.sql import any_like, by_code_point, const, count_where, like_pattern
from ..common.errors import DATABASE_CONFLICT, BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..common.text import clean_text
from ..common.timeutil import local, local_midnight
from ..common.unique import unique_write
from ..escalation import uploads
from ..extensions import db
from ..http import choice_arg
from ..frontages.services import parse_date
from ..office import fields
from ..policy import OFFICE, UNITS, has_role, sees_citywide
from ..sites.models import SiteKind
from ..units.models import Unit
from .models import METHODS, STATUS_LABELS, KeyTask, KeyTaskAssist, KeyTaskReport

NOT_FOUND = "任务不存在或无权查看。"
PER_PAGE = 50
MAX_TEXT = 5000
MAX_ASSISTS = 30
FILTERS = {"": "全部", "open": "推进中", "submitted": "待审核", "done": "已完成", "lagging": "滞后（超过完成时限）",
           "unreported": "未报送进展"}
# the unit filter's place on the task: the 调度's figures count the tasks a unit leads (unit_role=lead)
UNIT_ROLES = {"": "牵头或配合", "lead": "牵头", "assist": "配合"}


def filter_choices(args) -> tuple[str, str]:
    """The list's `status` (FILTERS) and `unit_role` (UNIT_ROLES) from a query string, "" for all; a value of
    neither answers 400 naming it (it was dropped, and every task listed)."""
    status = choice_arg(args, "status", [code for code in FILTERS if code], label="状态") or ""
    unit_role = choice_arg(args, "unit_role", [code for code in UNIT_ROLES if code], label="单位角色") or ""
    return status, unit_role


# ----------------------------------------------------------------------------- the clock's periods

def today(now: datetime) -> date:
    return local(now).date()


@dataclass(frozen=True)
class ReportPeriod:
    """The 调度 month whose progress report is checked for 未报送."""
    start: datetime  # its first day's midnight, Asia/Shanghai (as UTC): a report from then on counts
    end: datetime  # the next month's first midnight: a report from then on is the next month's, not this one's
    due_at: datetime  # the midnight after its due day: a task added from then on owes nothing for the month
    month: int
    current: bool  # the month of `now` (from its due day on), else the month before
    checked_from: datetime  # its due day's midnight: from then on the month is checked for 未报送

    @property
    def label(self) -> str:
        """How pages name it: 本月, or 11月 until this month's due day."""
        return "本月" if self.current else f"{self.month}月"

    @property
    def year(self) -> int:
        """The year of the month checked: last year's in January until the due day (December is checked)."""
        return local(self.start).year


def report_due_day(day: int | None = None) -> int:
    """The day of the month by which the month's progress is due: `day`, else KEYTASK_REPORT_DUE_DAY, kept within
    1-28."""
    return min(28, max(1, current_app.config["KEYTASK_REPORT_DUE_DAY"] if day is None else day))


def report_period(now: datetime, due_day: int | None = None) -> ReportPeriod:
    """The month checked on `now`'s day: this month from its due day (report_due_day) on, the month before until
    then. A due day of 1 checks the calendar month from its first day."""
    due_day = report_due_day(due_day)
    day = today(now)
    first = day.replace(day=1)
    current = day.day >= due_day
    if not current:
        first = (first - timedelta(days=1)).replace(day=1)
    return month_period(first.year, first.month, due_day, current)


def month_period(year: int, month: int, due_day: int | None = None, current: bool = False) -> ReportPeriod:
    """The 调度 period of `month` (a month's 通报 tells it; report_period picks the one the pages check)."""
    due_day = report_due_day(due_day)
    first = date(year, month, 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return ReportPeriod(start=local_midnight(first), end=local_midnight(following),
                        due_at=local_midnight(first.replace(day=due_day) + timedelta(days=1)), month=month,
                        current=current, checked_from=local_midnight(first.replace(day=due_day)))


def is_lagging(task: KeyTask, now: datetime) -> bool:
    return task.status == "open" and task.due_on is not None and task.due_on < today(now)


def _lagging(day: date):
    """SQL: is_lagging on `day`."""
    return and_(KeyTask.status == "open", KeyTask.due_on < day)


# ----------------------------------------------------------------------------- who sees what

def leads(unit_id):
    """SQL: the task is led by this unit."""
    return KeyTask.lead_unit_id == unit_id


def assists(unit_id):
    """SQL: this unit is one of the task's assisting units."""
    return exists().where(KeyTaskAssist.task_id == KeyTask.id, KeyTaskAssist.unit_id == unit_id)


def involves(unit_id: int | None):
    """SQL: the task is led or assisted by this unit."""
    if unit_id is None:
        return false()
    return or_(leads(unit_id), assists(unit_id))


def carried_by(unit_id: int, unit_role: str = ""):
    """SQL: the unit's tasks in `unit_role` (UNIT_ROLES): those it leads, those it assists, or both ("")."""
    return {"lead": leads, "assist": assists}.get(unit_role, involves)(unit_id)


def scope(user):
    if sees_citywide(user):
        return true()
    if has_role(user, UNITS):
        return and_(KeyTask.active.is_(True), involves(user.unit_id))
    return false()


def get_task(user, task_id: int) -> KeyTask:
    task = db.session.scalar(select(KeyTask).where(KeyTask.id == task_id, scope(user)))
    if task is None:
        raise NotFound(NOT_FOUND)
    return task


def unit_role(user, task: KeyTask) -> str | None:
    """"lead", "assist" or None: the user's unit's place on the task."""
    if not has_role(user, UNITS) or user.unit_id is None:
        return None
    if task.lead_unit_id == user.unit_id:
        return "lead"
    return "assist" if any(a.unit_id == user.unit_id for a in task.assists) else None


def years(user) -> list[int]:
    """The years the user has tasks to see in, newest first: a year of withdrawn (撤销) tasks only, or of other units'
    tasks, would open an empty list."""
    return list(db.session.scalars(select(KeyTask.year).distinct().where(scope(user), KeyTask.active.is_(True))
                                   .order_by(KeyTask.year.desc())))


def current_year(user, now: datetime) -> int:
    """The year a page opens on: that of the month checked for 未报送 (report_period) when the user has tasks in
    it, else this year when it has, else the latest year it has (this year when it has none). In January, until the
    due day, December is checked: the list, its 12月未报送 and a unit's menu count (led_unreported) are of last
    year's tasks even once the new year's breakdown is in (the menu opened the new list, the task counted absent)."""
    known = years(user)
    for year in (report_period(now).year, today(now).year):
        if year in known:
            return year
    return known[0] if known else today(now).year


# ----------------------------------------------------------------------------- the list

def _reported_within(start, end):
    """SQL: the lead unit reported on the task from `start` to before `end`: in the month, as the 通报 counts it (a
    December report is no November report)."""
    return exists().where(KeyTaskReport.task_id == KeyTask.id, KeyTaskReport.unit_id == KeyTask.lead_unit_id,
                          KeyTaskReport.created_at >= start, KeyTaskReport.created_at < end)


def _claim_before(end, *conditions):
    """SQL: the lead unit asked for 销号 before `end`, in a request meeting `conditions`."""
    return exists().where(KeyTaskReport.task_id == KeyTask.id, KeyTaskReport.unit_id == KeyTask.lead_unit_id,
                          KeyTaskReport.claims_done.is_(True), KeyTaskReport.created_at < end, *conditions)


def status_at(end):
    """SQL: the task's state (open | submitted | done) as it stood at `end`, rebuilt from its 销号 time and the lead
    unit's requests for 销号 with their reviews: 已完成 when 销号 by then; 待审核 while a request made by then was not
    yet decided; 推进中 otherwise (none made, or the last one returned by then). A month's 未报送 and its 通报 are
    told from it; an `end` to come tells the task's state now. (A request can be made only when none waits and the
    task is not done, so the one left undecided or accepted by `end` is the last made.)"""
    undecided = or_(KeyTaskReport.verdict == "", KeyTaskReport.reviewed_at.is_(None), KeyTaskReport.reviewed_at >= end)
    return case((KeyTask.done_at < end, const("done")),
                (_claim_before(end, undecided), const("submitted")),
                (_claim_before(end, KeyTaskReport.verdict == "accepted"), const("done")),
                else_=const("open"))


def unreported(start, end, due_at):
    """SQL: the task was being worked on at the period's end (status_at: a task whose lead unit asked for 销号
    after the month still owes that month's report), was on the list by the period's due day (`due_at`), and its
    lead unit has not reported in the period from `start` to `end` (values or bound parameters)."""
    return and_(status_at(end) == const("open"),
                or_(KeyTask.created_at.is_(None), KeyTask.created_at < due_at), ~_reported_within(start, end))


def owing(tasks: list[KeyTask], period: ReportPeriod) -> set[int]:
    """The ids among `tasks` that are 未报送 in `period`: the same rule as the counts (unreported), so a row's
    badge and the figures above it agree (a 销号 request the office sent back was still a report sent)."""
    ids = [t.id for t in tasks]
    if not ids:
        return set()
    return set(db.session.scalars(select(KeyTask.id).where(
        KeyTask.id.in_(ids), unreported(period.start, period.end, period.due_at))))


def reported(tasks: list[KeyTask], period: ReportPeriod) -> set[int]:
    """The ids among `tasks` whose lead unit reported within `period` (a returned 销号 request too)."""
    ids = [t.id for t in tasks]
    if not ids:
        return set()
    return set(db.session.scalars(select(KeyTask.id).where(KeyTask.id.in_(ids),
                                                           _reported_within(period.start, period.end))))


def _figure_columns(day: date, period: ReportPeriod) -> tuple:
    """The 调度 counts of a GROUP BY over tasks: done, waiting for review, 滞后 on `day`, 未报送 in `period`."""
    return (count_where(KeyTask.status == "done"), count_where(KeyTask.status == "submitted"),
            count_where(_lagging(day)), count_where(unreported(period.start, period.end, period.due_at)))


def _filtered(user, now: datetime, year: int | None, status: str = "", unit_id: int | None = None,
              indicator: str = "", q: str = "", unit_role: str = ""):
    query = select(KeyTask).where(scope(user))
    if year:
        query = query.where(KeyTask.year == year)
    if not has_role(user, UNITS):
        query = query.where(KeyTask.active.is_(True))
    if status in ("open", "submitted", "done"):
        query = query.where(KeyTask.status == status)
    elif status == "lagging":
        query = query.where(_lagging(today(now)))
    elif status == "unreported":
        period = report_period(now)
        query = query.where(unreported(period.start, period.end, period.due_at))
    if unit_id:
        query = query.where(carried_by(unit_id, unit_role))
    if indicator:
        query = query.where(KeyTask.indicator == indicator)
    if q:
        query = query.where(any_like((KeyTask.code, KeyTask.content, KeyTask.indicator), like_pattern(q)))
    return query


def unit_filter(user, unit_id: int | None, unit_role: str) -> int | None:
    """The list's unit filter (list_tasks' unit_id), for the pages and the API alike: the unit asked for, for a
    citywide reader; a unit's list is its own tasks, so its `unit_role` is its own place on them (牵头 or 配合) and a
    unit_id it sends filters nothing (the API's unit_role=lead gave a unit every task it led or assisted)."""
    if has_role(user, UNITS):
        return user.unit_id if unit_role else None
    return unit_id


def list_tasks(user, now: datetime, *, year: int | None, status: str = "", unit_id: int | None = None,
               indicator: str = "", q: str = "", unit_role: str = "", limit: int | None = PER_PAGE, offset: int = 0):
    """The tasks the user sees, filtered; with unit_id, those the unit carries in `unit_role` (UNIT_ROLES)."""
    query = _filtered(user, now, year, status, unit_id, indicator, q, unit_role)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(KeyTask.year.desc(), KeyTask.code, KeyTask.id)
    if limit is not None:
        ordered = ordered.limit(limit).offset(offset)
    return list(db.session.scalars(ordered).unique()), total


def indicators(year: int | None) -> list[str]:
    indicator = by_code_point(KeyTask.indicator)
    query = select(indicator).distinct().where(KeyTask.active.is_(True)).order_by(indicator)
    if year:
        query = query.where(KeyTask.year == year)
    return list(db.session.scalars(query))


@dataclass
class Latest:
    """A task's latest report from its lead unit that stands, and whether any report of the lead unit (a returned
    request too) falls in this calendar month."""
    at: datetime
    progress: int | None
    text: str
    this_month: bool
    last_at: datetime | None = None  # the lead unit's latest report of any kind (a returned request too)


def latest_reports(tasks: list[KeyTask], now: datetime) -> dict[int, Latest]:
    """Each task's latest report from its lead unit that still stands (one query for the page). A request for 销号
    the office sent back no longer stands (its 100%); where every report was such a request, the latest of them,
    without its progress: the unit did report."""
    ids = [t.id for t in tasks]
    if not ids:
        return {}
    standing = func.max(case((KeyTaskReport.verdict != "returned", KeyTaskReport.id)))
    newest = (select(KeyTaskReport.task_id, func.coalesce(standing, func.max(KeyTaskReport.id)).label("id"),
                     func.max(KeyTaskReport.created_at).label("last_at"))
              .join(KeyTask, KeyTask.id == KeyTaskReport.task_id)
              .where(KeyTaskReport.task_id.in_(ids), KeyTaskReport.unit_id == KeyTask.lead_unit_id)
              .group_by(KeyTaskReport.task_id).subquery())
    rows = db.session.execute(select(KeyTaskReport.task_id, KeyTaskReport.created_at, KeyTaskReport.progress,
                                     KeyTaskReport.text, KeyTaskReport.verdict, newest.c.last_at)
                              .join(newest, newest.c.id == KeyTaskReport.id))
    start = local_midnight(today(now).replace(day=1))  # the calendar month, what the API's this_month tells
    return {task_id: Latest(at, None if verdict == "returned" else progress, text, last_at >= start, last_at)
            for task_id, at, progress, text, verdict, last_at in rows}


# ----------------------------------------------------------------------------- the office keeps the list

def _unit(unit_id, label: str) -> Unit:
    if unit_id is None or not str(unit_id).strip():
        raise Invalid(f"请选择{label}。", code="required")
    unit = get_row(Unit, unit_id)
    if unit is None or not unit.active:
        raise Invalid(f"{label}不存在或已停用。", code="invalid_unit")
    return unit


@dataclass
class TaskValues:
    year: int
    code: str
    indicator: str
    content: str
    method: str
    standard: str
    lead: Unit
    assists: list[Unit] = field(default_factory=list)
    due_on: date | None = None
    site_kind: SiteKind | None = None


def read_values(form, now: datetime) -> TaskValues:
    """A task's fields from a page's form or the API's JSON (assist_unit_ids: a list, or several form values)."""
    getlist = getattr(form, "getlist", None)
    raw_assists = getlist("assist_unit_ids") if getlist else (form.get("assist_unit_ids") or [])
    if not isinstance(raw_assists, list):
        raise Invalid("配合单位应为单位编号的列表。", code="invalid_unit")
    year = fields.integer(form.get("year") or today(now).year, "年度", 2000, 2100)
    lead = _unit(form.get("lead_unit_id"), "牵头单位")
    assists, seen = [], {lead.id}
    for value in raw_assists:
        if str(value).strip() == "":
            continue
        unit = _unit(value, "配合单位")
        if unit.id not in seen:
            seen.add(unit.id)
            assists.append(unit)
    if len(assists) > MAX_ASSISTS:
        raise Invalid(f"配合单位最多{MAX_ASSISTS}个。", code="too_many_units")
    return TaskValues(
        year=year, code=fields.code(form.get("code"), "任务编号"),
        indicator=fields.text(form.get("indicator"), "测评项目", 100, required=True),
        content=clean_text(form.get("content"), "任务内容", 2000, multiline=True) or _missing("任务内容"),
        method=fields.choice(form.get("method") or "", "测评方法", METHODS),
        standard=clean_text(form.get("standard"), "完成标准及佐证材料", 2000, multiline=True),
        lead=lead, assists=assists, due_on=due_date(form.get("due_on"), year),
        site_kind=_site_kind(form.get("site_kind_id")))


def due_date(value, year: int | None) -> date | None:
    """The 完成时限 as typed, within the task's year (`year`, when known): a 2027 task due on 1 January 2026 was
    滞后 the day it was added."""
    due_on = parse_date(value, "完成时限")
    if due_on is not None and year is not None and due_on.year != year:
        raise Invalid(f"完成时限“{due_on.isoformat()}”不在任务的年度内：{year}年度的任务，完成时限应在{year}年1月1日至"
                      f"12月31日之间。", code="due_outside_year")
    return due_on


def field_values(task: KeyTask) -> dict:
    """The task's fields as read_values reads them (the edit form's values; an API change starts from them)."""
    return {"year": str(task.year), "code": task.code, "indicator": task.indicator, "content": task.content,
            "method": task.method, "standard": task.standard, "lead_unit_id": str(task.lead_unit_id),
            "due_on": task.due_on.isoformat() if task.due_on else "",
            "assist_unit_ids": [str(a.unit_id) for a in task.assists], "site_kind_id": str(task.site_kind_id or "")}


def _site_kind(value) -> SiteKind | None:
    if value in (None, ""):
        return None
    kind = get_row(SiteKind, value)
    if kind is None:
        raise Invalid("测评点位类型不存在。", code="invalid_site_kind")
    return kind


def _missing(label: str):
    raise Invalid(f"{label}不能为空。", code="required")


def save_task(values: TaskValues, now: datetime, task: KeyTask | None = None) -> KeyTask:
    own_id = task.id if task is not None else -1
    _refuse_code_taken(values.year, values.code, own_id)
    if task is not None:
        _lock(task)  # PostgreSQL: a second edit at the same moment waits, then sees the first one's 配合单位
    with unique_write(lambda: _refuse_taken(values.year, values.code, own_id)):
        if task is None:
            task = KeyTask(created_at=now, status="open", active=True)
            db.session.add(task)
        apply_values(task, values)
    return task


def _refuse_taken(year: int, code: str, own_id: int) -> None:
    """After the database refused a save: the code another task took meanwhile, or else the only other key a save
    writes, a 配合单位 another edit of the same task added at the same moment (SQLite: neither edit waits)."""
    _refuse_code_taken(year, code, own_id)
    raise Conflict(DATABASE_CONFLICT[1], code=DATABASE_CONFLICT[0])


def _refuse_code_taken(year: int, code: str, own_id: int) -> None:
    clash = db.session.execute(select(KeyTask.id, KeyTask.code).where(
        KeyTask.year == year, same_code(KeyTask.code, code), KeyTask.id != own_id)).first()
    if clash is not None:  # a-12 beside A-12 would be one number twice (common/codes.py)
        raise Conflict(f"{year}年已有编号为“{clash.code}”的任务"
                       + ("（仅大小写不同）" if clash.code != code else "") + "。", code="duplicate_code")


def apply_values(task: KeyTask, values: TaskValues) -> None:
    task.year, task.code, task.indicator = values.year, values.code, values.indicator
    task.content, task.method, task.standard = values.content, values.method, values.standard
    task.lead_unit, task.due_on, task.site_kind = values.lead, values.due_on, values.site_kind
    wanted = [u.id for u in values.assists]
    task.assists = [a for a in task.assists if a.unit_id in wanted] + [
        KeyTaskAssist(unit_id=unit_id) for unit_id in wanted if unit_id not in {a.unit_id for a in task.assists}]


def set_active(task: KeyTask, active: bool) -> KeyTask:
    task.active = active
    db.session.flush()
    return task


# ----------------------------------------------------------------------------- units report, the office reviews

def report(user, task: KeyTask, now: datetime, text, progress=None, claims_done=False, files=()) -> KeyTaskReport:
    """A unit's progress report; from the lead unit it may ask for 销号 (claims_done), which needs material."""
    role = unit_role(user, task)
    if role is None:
        raise Forbidden("只有承担该任务的单位可以报送进展。", code="not_task_unit")
    if claims_done:
        _lock(task)
    if task.status == "done":
        raise Conflict("该任务已完成销号，无需再报送。", code="task_done")
    if claims_done and role != "lead":
        raise Forbidden("只有牵头单位可以申请销号，配合单位请报送配合情况。", code="not_lead_unit")
    if claims_done and task.status == "submitted":
        raise Conflict("已申请销号，正在等待文明办审核。", code="already_submitted")
    text = clean_text(text, "进展情况", MAX_TEXT, multiline=True)
    if not text:
        raise BadRequest("请填写进展情况。", code="text_required")
    percent = fields.integer(progress, "完成进度", 0, 100, required=False)
    if claims_done and percent not in (None, 100):  # asked 销号 at 50%: one of the two is wrong
        raise Invalid(f"申请销号即表示任务已完成，完成进度应为100%（或不填），不能是{percent}%。",
                      code="progress_contradicts")
    if role == "lead" and task.status == "submitted" and percent not in (None, 100):
        raise Invalid("已申请销号（完成进度100%），正在等待文明办审核：补充进展时完成进度不填，或填100%；"
                      "如任务尚未完成，请等待文明办退回后再报送。", code="progress_contradicts")
    percent = 100 if claims_done else percent
    attached = uploads.read_files(list(files or ()), now=now, user=user)  # all checked before anything is written
    if claims_done and not len(attached):
        raise BadRequest("申请销号须上传佐证材料（照片或 PDF）。", code="material_required")
    row = KeyTaskReport(task_id=task.id, unit_id=user.unit_id, created_by_id=user.id, created_at=now, text=text,
                        progress=percent, claims_done=bool(claims_done))
    db.session.add(row)
    db.session.flush()
    uploads.store(attached, now, key_task_report=row)
    if claims_done:
        task.status = "submitted"
    db.session.flush()
    return row


def _lock(task: KeyTask) -> None:
    """Read the task's state again, holding its row (PostgreSQL) until the commit: two requests for 销号, or two
    reviews, at the same moment meet one after the other (SQLite writes one at a time anyway)."""
    db.session.execute(select(KeyTask.id).where(KeyTask.id == task.id).with_for_update())  # the row alone: no joins
    db.session.refresh(task)


def pending_claim(task: KeyTask) -> KeyTaskReport | None:
    return db.session.scalar(select(KeyTaskReport).where(
        KeyTaskReport.task_id == task.id, KeyTaskReport.claims_done.is_(True), KeyTaskReport.verdict == "")
        .order_by(KeyTaskReport.id.desc()).limit(1))


def review(user, task: KeyTask, now: datetime, verdict, note=None) -> KeyTaskReport:
    """The office decides on the lead unit's request for 销号: accepted (已完成) or returned with what is missing."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以审核销号。")
    if verdict not in ("accepted", "returned"):
        raise BadRequest("审核结论应为 accepted（通过）或 returned（退回）。", code="invalid_verdict")
    _lock(task)
    claim = pending_claim(task) if task.status == "submitted" else None
    if claim is None:
        raise Conflict("该任务没有待审核的销号申请。", code="nothing_to_review")
    note = clean_text(note, "审核意见", 1000, multiline=True)
    if verdict == "returned" and not note:
        raise BadRequest("退回时请写明需补充的内容。", code="note_required")
    claim.verdict, claim.reviewed_at, claim.reviewed_by_id, claim.review_note = verdict, now, user.id, note
    task.status = "done" if verdict == "accepted" else "open"
    task.done_at = now if verdict == "accepted" else None
    db.session.flush()
    return claim


def reports_for(task: KeyTask) -> list[KeyTaskReport]:
    """Every report on the task, newest first: the units on a task read each other's (the lead unit gathers them)."""
    return list(db.session.scalars(select(KeyTaskReport).where(KeyTaskReport.task_id == task.id)
                                   .order_by(KeyTaskReport.id.desc())).unique())


# ----------------------------------------------------------------------------- what the assessors found

@dataclass
class FieldRound:
    """One round's results at the sites of the task's type: how many were checked, their mean score, how many
    failed an item."""
    round_id: int
    name: str
    kind_label: str
    at: datetime
    sites: int
    score: float | None
    failed: int


def field_results(task: KeyTask, limit: int = 3) -> list[FieldRound]:
    """The task's year's latest rounds that checked sites of its type (its 实地考察 in the rounds' figures), by the
    type each site had when drawn."""
    from ..assessment import findings
    from ..assessment.models import KINDS, Result, Round, RoundSite

    if task.site_kind_id is None:
        return []
    # scores and failures as they stand (a finding voided as wrong counts for nothing: assessment/findings.py)
    failed = exists().where(Result.round_site_id == RoundSite.id, findings.standing())
    rows = db.session.execute(
        select(Round.id, Round.name, Round.kind, Round.created_at, func.count(RoundSite.id), func.avg(findings.score()),
               count_where(failed))
        .join(RoundSite, RoundSite.round_id == Round.id)
        .where(RoundSite.site_kind_id == task.site_kind_id, RoundSite.status == "submitted",
               Round.created_at >= local_midnight(date(task.year, 1, 1)),
               Round.created_at < local_midnight(date(task.year + 1, 1, 1)))
        .group_by(Round.id, Round.name, Round.kind, Round.created_at)
        .order_by(Round.created_at.desc(), Round.id.desc()).limit(limit))
    return [FieldRound(rid, name, KINDS.get(kind, kind), at, sites, round_half_up(float(score), 1) if score is not None
                       else None, int(bad)) for rid, name, kind, at, sites, score, bad in rows]


# ----------------------------------------------------------------------------- figures

@dataclass
class UnitFigures:
    unit: Unit
    lead: int = 0
    assist: int = 0
    done: int = 0
    submitted: int = 0
    lagging: int = 0
    unreported: int = 0

    @property
    def done_rate(self) -> float | None:
        return self.done / self.lead if self.lead else None


def by_unit(year: int | None, now: datetime, unit_id: int | None = None) -> list[UnitFigures]:
    """Each unit with tasks in the year: tasks led (done, 待审核, 滞后, 未报送) and tasks assisted. The units
    most behind come first."""
    day, period = today(now), report_period(now)
    base = [KeyTask.active.is_(True)] + ([KeyTask.year == year] if year else [])
    lead_rows = db.session.execute(
        select(KeyTask.lead_unit_id, func.count(), *_figure_columns(day, period))
        .where(*base).group_by(KeyTask.lead_unit_id))
    lead_rows = lead_rows.all()
    assist_rows = db.session.execute(select(KeyTaskAssist.unit_id, func.count())
                                     .join(KeyTask, KeyTask.id == KeyTaskAssist.task_id)
                                     .where(*base).group_by(KeyTaskAssist.unit_id)).all()
    wanted = {row[0] for row in lead_rows} | {row[0] for row in assist_rows}
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(wanted)))} if wanted else {}
    figures: dict[int, UnitFigures] = {}
    for uid, total, done, submitted, lagging, unreported in lead_rows:
        figures[uid] = UnitFigures(units[uid], lead=total, done=done, submitted=submitted, lagging=lagging,
                                   unreported=unreported)
    for uid, total in assist_rows:
        figures.setdefault(uid, UnitFigures(units[uid])).assist = total
    rows = [f for f in figures.values() if unit_id is None or f.unit.id == unit_id]
    rows.sort(key=lambda f: (-f.lagging, -f.unreported, f.done_rate if f.done_rate is not None else 2, f.unit.code))
    return rows


@dataclass
class Totals:
    tasks: int = 0
    done: int = 0
    submitted: int = 0
    lagging: int = 0
    unreported: int = 0
    by_method: dict[str, int] = field(default_factory=dict)

    @property
    def done_rate(self) -> float | None:
        return self.done / self.tasks if self.tasks else None


def totals(user, year: int | None, now: datetime) -> Totals:
    day, period = today(now), report_period(now)
    query = (select(KeyTask.method, func.count(), *_figure_columns(day, period))
             .where(scope(user), KeyTask.active.is_(True)).group_by(KeyTask.method))
    if year:
        query = query.where(KeyTask.year == year)
    result = Totals()
    for method, total, done, submitted, lagging, unreported in db.session.execute(query):
        result.tasks += total
        result.done += done
        result.submitted += submitted
        result.lagging += lagging
        result.unreported += unreported
        result.by_method[method] = total
    return result


@cache
def waiting_count_statement():
    """The office's menu badge: requests for 销号 waiting for review."""
    return select(func.count()).select_from(KeyTask).where(KeyTask.status == const("submitted"),
                                                            KeyTask.active.is_(True))


def led_unreported(unit_id, start, end, due_at):
    """SQL: the tasks a unit leads that are 未报送 in the period from `start` to `end` due at `due_at` (values or
    bound parameters)."""
    return select(KeyTask.id).where(KeyTask.lead_unit_id == unit_id, KeyTask.active.is_(True),
                                    unreported(start, end, due_at))


def owing_other_years(user, year: int, now: datetime) -> list[tuple[int, int]]:
    """[(year, tasks)] a unit leads in years other than `year` that are 未报送 for the period its menu counts (the
    badge counts every year: a 2026 task still open in February 2027 owes January's report, while the list opens on
    2027), so the page it opens says where they are."""
    if not (has_role(user, UNITS) and user.unit_id):
        return []
    period = report_period(now)
    ids = led_unreported(user.unit_id, period.start, period.end, period.due_at).where(KeyTask.year != year)
    return [(int(y), int(n)) for y, n in db.session.execute(
        select(KeyTask.year, func.count()).where(KeyTask.id.in_(ids)).group_by(KeyTask.year).order_by(KeyTask.year))]


@cache
def unit_due_statement():
    """A unit's menu badge: led_unreported (parameters unit_id, period_start, period_end, period_due_at)."""
    return select(func.count()).select_from(
        led_unreported(bindparam("unit_id"), bindparam("period_start"), bindparam("period_end"),
                       bindparam("period_due_at")).subquery())


def unit_due_parameters(unit_id: int, now: datetime) -> dict:
    period = report_period(now)
    return {"unit_id": unit_id, "period_start": period.start, "period_end": period.end,
            "period_due_at": period.due_at}


@cache
def carries_tasks_statement():
    """Whether a unit leads or assists a task in use, for its menu (parameter unit_id): 1 or 0."""
    return select(func.count()).select_from(
        select(KeyTask.id).where(KeyTask.active.is_(True), involves(bindparam("unit_id"))).limit(1).subquery())


def status_label(task: KeyTask, now: datetime) -> str:
    label = STATUS_LABELS.get(task.status, task.status)
    return f"{label}（滞后）" if is_lagging(task, now) else label


def days_left(task: KeyTask, now: datetime) -> int | None:
    if task.due_on is None:
        return None
    return (task.due_on - today(now)) // timedelta(days=1)
