"""The month's 调度 as a 通报 draft (创建任务推进情况通报, 草稿) in the 文件格式 of GB/T 9704-2012.

After each month's 调度 the office tells every unit where the year's tasks stand: how many are done, which are
behind their time limit (a table the office would otherwise type), which lead units did not report that month, and
what it asks of them; an attachment gives each lead unit's figures. A past month is told as it stood at its end
(from the tasks' reports and reviews), the current month as it stands now. It is a draft (草稿 on every page, no
number, no seal): the office numbers and seals it when it is issued.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..common.timeutil import local
from ..extensions import db
from ..pdf.document import Attachment, Column, DataTable, Heading, OfficialDocument, Para
from ..pdf.drafts import circular_draft, render_pdf, setting
from . import services
from .models import METHODS, KeyTask, KeyTaskReport

TASK_COLUMNS = (Column("编号", 14, "plain"), Column("任务内容", 58, "text"), Column("牵头单位", 36, "label"),
                Column("完成时限", 22, "plain"), Column("超期\n天数", 13, "plain"), Column("最近\n进度", 13, "plain"))


def unit_columns(month: int, reports_due: bool = True) -> tuple[Column, ...]:
    """The attachment's columns; 未报送 names the month told (11月, not 本月: the draft is often made in December),
    and is left out (its width to the unit's name) while the month's reports are not yet due."""
    owed = (Column(f"{month}月\n未报送", 18, "plain"),) if reports_due else ()
    return (Column("牵头单位", 50 if reports_due else 68, "label"), Column("牵头\n任务", 16, "plain"),
            Column("已完成", 16, "plain"), Column("待审核", 16, "plain"), Column("推进中", 16, "plain"),
            Column("其中\n滞后", 16, "plain"), *owed, Column("完成率", 18, "plain"))


@dataclass
class TaskAt:
    task: KeyTask
    status: str                 # open | submitted | done, at the period's end (services.status_at)
    unreported: bool            # 未报送 in the month (services.unreported, the pages' rule)
    progress: int | None        # the lead unit's last progress figure by the period's end
    overdue_days: int = 0       # past its time limit at the period's end (open tasks only)


@dataclass
class UnitMonth:
    name: str
    code: str
    lead: int = 0
    done: int = 0
    submitted: int = 0
    open: int = 0
    lagging: int = 0
    unreported: int = 0


@dataclass
class MonthStatus:
    year: int
    month: int
    as_of: date                 # the last day told (the month's last day, or today)
    reports_due: bool = True    # the month's reports were due (its due day has come): 未报送 is told
    due_day: int = 25           # the day of the month its reports are due by (services.report_due_day)
    tasks: list[TaskAt] = field(default_factory=list)
    reports: int = 0            # reports of any unit within the month

    def count(self, status: str) -> int:
        return sum(t.status == status for t in self.tasks)

    @property
    def lagging(self) -> list[TaskAt]:
        return sorted((t for t in self.tasks if t.overdue_days > 0),
                      key=lambda t: (-t.overdue_days, t.task.code))

    @property
    def unreported(self) -> list[TaskAt]:
        return [t for t in self.tasks if t.unreported]

    def units(self) -> list[UnitMonth]:
        rows: dict[int, UnitMonth] = {}
        for t in self.tasks:
            unit = t.task.lead_unit
            row = rows.setdefault(unit.id, UnitMonth(unit.name, unit.code))
            row.lead += 1
            setattr(row, t.status, getattr(row, t.status) + 1)
            row.lagging += t.overdue_days > 0
            row.unreported += t.unreported
        return sorted(rows.values(), key=lambda r: (-r.lagging, -r.unreported, -(r.done / r.lead), r.code))


def parse_month(text: str | None, now: datetime) -> tuple[int, int]:
    """"2026-11" → (2026, 11); empty → this month. ValueError for anything else, or a month not begun."""
    today = local(now).date()
    if not text:
        return today.year, today.month
    year, month = (int(part) for part in text.split("-", 1))
    if not (2000 <= year <= 2100 and 1 <= month <= 12) or (year, month) > (today.year, today.month):
        raise ValueError(text)
    return year, month


def month_status(year: int, month: int, now: datetime) -> MonthStatus:
    """The year's active tasks as they stood at the end of `month` (or now, for the current month): their state
    and 未报送 by the rules the pages count with (services.status_at, services.unreported). Before the month's due
    day no task is 未报送 in it: the pages check the month before until then (services.report_period)."""
    period = services.month_period(year, month)
    reports_due = now >= period.checked_from
    start = period.start
    end = min(period.end, now)
    as_of = local(end - timedelta(microseconds=1)).date()
    rows = db.session.execute(select(
        KeyTask, services.status_at(end).label("status_then"),
        services.unreported(start, end, period.due_at).label("unreported")).where(
        KeyTask.year == year, KeyTask.active.is_(True),
        (KeyTask.created_at.is_(None)) | (KeyTask.created_at < end)).order_by(KeyTask.code)).unique().all()
    tasks = [row[0] for row in rows]
    by_task: dict[int, list] = {}
    # plain rows (a year of reports is thousands): the fields the month's state is told from
    reports = db.session.execute(select(
        KeyTaskReport.task_id, KeyTaskReport.unit_id, KeyTaskReport.created_at, KeyTaskReport.progress,
        KeyTaskReport.claims_done, KeyTaskReport.verdict, KeyTaskReport.reviewed_at).where(
        KeyTaskReport.task_id.in_([t.id for t in tasks]), KeyTaskReport.created_at < end)
        .order_by(KeyTaskReport.created_at, KeyTaskReport.id)).all() if tasks else []
    result = MonthStatus(year, month, as_of, reports_due, services.report_due_day())
    for row in reports:
        by_task.setdefault(row.task_id, []).append(row)
        result.reports += row.created_at >= start
    for task, status, owes in rows:
        own = [r for r in by_task.get(task.id, []) if r.unit_id == task.lead_unit_id]
        overdue = (as_of - task.due_on).days if status == "open" and task.due_on and task.due_on < as_of else 0
        progress = next((r.progress for r in reversed(own) if r.progress is not None and not _returned(r, end)),
                        None)
        result.tasks.append(TaskAt(task, status, reports_due and bool(owes), progress, overdue))
    return result


def _returned(row, end: datetime) -> bool:
    """A request for 销号 the office sent back by `end`: its 100% no longer stands."""
    return row.verdict == "returned" and row.reviewed_at is not None and row.reviewed_at < end


def _percent(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def bulletin_document(status: MonthStatus, today: date) -> OfficialDocument:
    year, month = status.year, status.month
    short = setting("OFFICE_SHORT_NAME")
    total = len(status.tasks)
    leads = {t.task.lead_unit_id for t in status.tasks}
    methods = Counter(t.task.method for t in status.tasks)
    lagging, unreported = status.lagging, status.unreported
    body: list = [
        Para(f"根据{year}年文明城市创建任务分解表，{short}对{len(leads)}个牵头单位承担的{total}项创建任务进行了"
             f"{month}月调度。现将推进情况通报如下。"),
        Heading("一、总体情况"),
        Para(f"截至{status.as_of.month}月{status.as_of.day}日，{total}项任务中已完成销号{status.count('done')}项，"
             f"占{_percent(status.count('done'), total)}；牵头单位已申请销号、正在审核的{status.count('submitted')}项；"
             f"正在推进的{status.count('open')}项，其中超过完成时限的{len(lagging)}项。按测评方法分，"
             + "、".join(f"{m}{methods[m]}项" for m in METHODS if methods[m])
             + f"。{month}月各单位共报送进展{status.reports}次。"),
        Heading("二、滞后任务"),
    ]
    if lagging:
        body += [Para(f"以下{len(lagging)}项任务已超过完成时限，仍未完成："),
                 DataTable(TASK_COLUMNS, rows=[
                     [t.task.code, t.task.content, t.task.lead_unit.name,
                      t.task.due_on.strftime("%Y.%m.%d"), str(t.overdue_days),
                      f"{t.progress}%" if t.progress is not None else "—"] for t in lagging], font_size=9.5)]
    else:
        body.append(Para("没有超过完成时限仍未完成的任务。"))
    body.append(Heading("三、进展报送情况"))
    if not status.reports_due:
        body.append(Para(f"各牵头单位应于{month}月{status.due_day}日前报送{month}月进展，截至{status.as_of.month}月"
                         f"{status.as_of.day}日尚未到报送截止日，本通报不列未报送情况。"))
    elif unreported:
        per_unit = Counter(t.task.lead_unit.name for t in unreported)
        names = "、".join(f"{name}（{count}项）" for name, count in sorted(per_unit.items(), key=lambda i: (-i[1], i[0])))
        body.append(Para(f"{month}月有{len(unreported)}项正在推进的任务，牵头单位未报送进展，涉及{len(per_unit)}个单位："
                         f"{names}。"))
    else:
        body.append(Para(f"正在推进的任务，牵头单位均已报送{month}月进展。"))
    body += [
        Heading("四、工作要求"),
        Para("各牵头单位要对照任务分解表和测评标准，逐项明确责任人和完成时间，会同配合单位抓好落实；配合单位要主动对接，"
             "按牵头单位要求报送配合情况。"),
    ]
    if lagging:
        body.append(Para(f"滞后任务的牵头单位，要于通报之日起5个工作日内将滞后原因和完成时间书面报送{short}。"))
    body += [
        Para(f"请各牵头单位每月报送一次任务进展；任务完成后，及时上传佐证材料申请销号，经{short}审核通过后销号。"),
        Para("特此通报。"),
    ]
    units = status.units()
    return circular_draft(
        f"关于{year}年{month}月文明城市创建任务推进情况的通报", ["各牵头单位、配合单位"], body,
        [Attachment(f"各牵头单位{year}年{month}月创建任务推进情况", [
            Para(("滞后和未报送" if status.reports_due else "滞后") + "任务多的单位排在前面；"
                 "完成率为已完成销号的任务占牵头任务的比例。", indent=False),
            DataTable(unit_columns(month, status.reports_due), rows=[
                [u.name, str(u.lead), str(u.done), str(u.submitted), str(u.open), str(u.lagging or ""),
                 *([str(u.unreported or "")] if status.reports_due else []), _percent(u.done, u.lead)]
                for u in units], font_size=9.5)])] if units else [],
        today)


def render_bulletin_pdf(status: MonthStatus, today: date) -> bytes:
    return render_pdf(bulletin_document(status, today))


def pdf_response(month_text: str | None, now: datetime):
    """The draft for `?month=` (this month when absent), for the page and the API alike."""
    from ..common.errors import BadRequest, NotFound
    from ..http import pdf_bytes

    try:
        year, month = parse_month((month_text or "").strip(), now)
    except ValueError:
        raise BadRequest("参数 month 应为已开始的月份，如 2026-11。", code="invalid_month") from None
    status = month_status(year, month, now)
    if not status.tasks:
        raise NotFound(f"{year}年{month}月没有在用的创建任务，无法生成推进情况通报。", code="no_tasks")
    return pdf_bytes(render_bulletin_pdf(status, local(now).date()), f"key-tasks-{year}-{month:02d}.pdf",
                     f"{year}年{month}月创建任务推进情况通报（草稿）.pdf")
