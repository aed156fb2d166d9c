"""The task breakdown (任务分解表) from the office's spreadsheet and back (kind "keytasks" of office/imports.py: the
same preview, all-or-nothing confirmation, templates and API), and the progress table (推进情况表) the office sends
to its leaders after each 调度.

Rows are matched by 年度 + 任务编号, so importing the same file twice changes nothing. Units are named by code or by
their exact name (breakdown tables usually write 市城管局, not its code); several assisting units are separated by
、 , ; or a new line."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import select

from ..common.codes import code_key
from ..common.errors import Invalid
from ..common.timeutil import fmt
from ..extensions import db
from ..office.fields import CODE_RULE
from ..sites.models import SiteKind
from ..units.models import Unit
from ..units.services import units_by_code
from . import services
from .models import METHODS, KeyTask

COLUMNS = ["年度", "任务编号", "测评项目", "任务内容", "测评方法", "完成标准及佐证材料", "牵头单位", "配合单位", "完成时限",
           "点位类型", "状态"]
REQUIRED = ["任务编号", "测评项目", "任务内容", "牵头单位"]
HELP = {
    "年度": "选填：如 2026；留空为今年。同一年度内按任务编号匹配已有任务，已有则更新。",
    "任务编号": f"必填：测评体系的序号或分解表的编号，如 3.2.1、A-12（{CODE_RULE}）。",
    "测评项目": "必填：如 公共文化设施、志愿服务、农贸市场管理。",
    "任务内容": "必填：要完成的工作，如 全市农贸市场划行归市、无活禽散养，设置公益广告。",
    "测评方法": "选填：" + "、".join(METHODS) + "（留空为实地考察）。",
    "完成标准及佐证材料": "选填：怎样算完成、申请销号时要交的材料，如 制度文件、工作台账、现场照片。",
    "牵头单位": "必填：单位编码或单位全称，如 SJ05 或 市市场监督管理局。",
    "配合单位": "选填：单位编码或全称，多个用顿号、逗号或分号隔开。",
    "完成时限": "选填：任务年度内的日期，如 2026-06-30；常态长效的任务留空。",
    "点位类型": "选填：实地考察的点位类型，如 农贸市场、公共厕所（须为系统中的点位类型）；填写后任务页显示该类点位的测评结果。",
    "状态": "选填：在用 / 停用；留空表示新增为在用、已有任务保持不变。",
}
WIDTHS = [8, 12, 18, 48, 10, 40, 20, 30, 12, 12, 8]
_SPLIT = re.compile(r"[、，,；;\n]+")


def _unit_lookup() -> Callable[[str], Unit]:
    units = list(db.session.scalars(select(Unit)))
    by_code, by_name = units_by_code(units), {u.name: u for u in units}

    def find(text: str) -> Unit:
        unit = by_code.get(text) or by_name.get(text)
        if unit is None:
            raise Invalid(f"单位“{text}”不存在（请写单位编码或全称）")
        if not unit.active:
            raise Invalid(f"单位“{unit.name}”已停用")
        return unit
    return find


def plan(table, now: datetime, actor) -> tuple[list, Callable | None]:
    from ..office import fields
    from ..office.imports import RowResult, _check, _diff, _duplicates, _status

    find = _unit_lookup()
    kinds = {k.name: k for k in db.session.scalars(select(SiteKind))}
    this_year = services.today(now).year
    # by 年度 + 任务编号 whatever the case typed: a-12 is the task A-12, not a second one (common/codes.py)
    existing = {(t.year, code_key(t.code)): t for t in db.session.scalars(select(KeyTask)).unique()}
    rows, plans = [], []
    for number, cells in table.rows:
        row = RowResult(number, f"{cells.get('任务编号', '')} {cells.get('测评项目', '')}".strip())
        lead_text = (cells.get("牵头单位") or "").strip()
        assists_text = [p.strip() for p in _SPLIT.split(cells.get("配合单位") or "") if p.strip()]
        item = {
            "year": _check(row, lambda: fields.integer(cells.get("年度") or this_year, "年度", 2000, 2100)),
            "code": _check(row, lambda: fields.code(cells.get("任务编号"), "任务编号")),
            "indicator": _check(row, lambda: fields.text(cells.get("测评项目"), "测评项目", 100, required=True)),
            "content": _check(row, lambda: fields.text(cells.get("任务内容"), "任务内容", 2000, required=True)),
            "method": _check(row, lambda: fields.choice(cells.get("测评方法") or METHODS[0], "测评方法", METHODS)),
            "standard": _check(row, lambda: fields.text(cells.get("完成标准及佐证材料"), "完成标准及佐证材料", 2000)),
            "lead": _check(row, lambda: find(lead_text)) if lead_text else row.fail("缺少牵头单位"),
            "assists": [unit for unit in (_check(row, lambda t=t: find(t)) for t in assists_text) if unit],
            "active": _status(row, cells),
            "has": {c: c in table.headers for c in COLUMNS},
        }
        item["due_on"] = _check(row, lambda: services.due_date(cells.get("完成时限"), item["year"]))
        kind_text = (cells.get("点位类型") or "").strip()
        item["site_kind"] = kinds.get(kind_text) if kind_text else None
        if kind_text and item["site_kind"] is None:
            row.fail(f"点位类型“{kind_text}”不存在")
        if item["lead"] is not None:
            item["assists"] = list({u.id: u for u in item["assists"] if u.id != item["lead"].id}.values())
        if len(item["assists"]) > services.MAX_ASSISTS:
            row.fail(f"配合单位最多{services.MAX_ASSISTS}个")
        rows.append(row)
        plans.append(item)
    _duplicates(rows, [f"{i['year']}/{code_key(i['code'])}" for i in plans], "年度和任务编号")

    for row, item in zip(rows, plans):
        if row.action == "error":
            continue
        values = services.TaskValues(item["year"], item["code"], item["indicator"], item["content"], item["method"],
                                     item["standard"] or "", item["lead"], item["assists"], item["due_on"],
                                     item["site_kind"])
        task = existing.get((item["year"], code_key(item["code"])))
        if task is not None:
            values.code = task.code  # the task keeps its number as registered
        if task is None:
            row.action = "add"
            row.messages.append(f"新增任务，牵头：{item['lead'].name}"
                                + (f"，配合：{'、'.join(u.name for u in item['assists'])}" if item["assists"] else ""))
            row.apply = _adder(values, item["active"], now)
            continue
        changes: list[str] = []
        _diff("测评项目", task.indicator, values.indicator, changes)
        if task.content != values.content:
            changes.append("任务内容已更新")
        _diff("测评方法", task.method, values.method, changes)
        if item["has"]["完成标准及佐证材料"]:
            if task.standard != values.standard:
                changes.append("完成标准及佐证材料已更新")
        else:
            values.standard = task.standard
        if task.lead_unit_id != values.lead.id:
            changes.append(f"牵头单位：{task.lead_unit.name} → {values.lead.name}")
        if item["has"]["配合单位"]:
            _diff("配合单位", "、".join(u.name for u in task.assist_units), "、".join(u.name for u in values.assists),
                  changes)
        else:
            values.assists = task.assist_units
        if item["has"]["完成时限"]:
            _diff("完成时限", task.due_on.isoformat() if task.due_on else "",
                  values.due_on.isoformat() if values.due_on else "", changes)
        else:
            values.due_on = task.due_on
        if item["has"]["点位类型"]:
            _diff("点位类型", task.site_kind.name if task.site_kind else "",
                  values.site_kind.name if values.site_kind else "", changes)
        else:
            values.site_kind = task.site_kind
        if item["active"] is not None and item["active"] != task.active:
            changes.append("状态：" + ("在用 → 停用" if task.active else "停用 → 在用"))
        if changes:
            row.action = "change"
            row.messages.extend(changes)
            row.apply = _updater(task, values, item["active"])
    return rows, None


def _adder(values: services.TaskValues, active: bool | None, now: datetime) -> Callable[[], None]:
    def apply():
        task = KeyTask(created_at=now, status="open", active=active if active is not None else True)
        db.session.add(task)
        services.apply_values(task, values)
    return apply


def _updater(task: KeyTask, values: services.TaskValues, active: bool | None) -> Callable[[], None]:
    def apply():
        services.apply_values(task, values)
        if active is not None:
            task.active = active
    return apply


def export_rows() -> Iterator[list]:
    """The breakdown in the import's columns, so an export can be edited and imported back."""
    for task in db.session.scalars(select(KeyTask).order_by(KeyTask.year, KeyTask.code)).unique():
        yield [task.year, task.code, task.indicator, task.content, task.method, task.standard, task.lead_unit.code,
               "、".join(u.code for u in task.assist_units), task.due_on.isoformat() if task.due_on else "",
               task.site_kind.name if task.site_kind else "", "在用" if task.active else "停用"]


# ----------------------------------------------------------------------------- the progress table

PROGRESS_WIDTHS = [10, 16, 40, 10, 18, 26, 12, 12, 8, 8, 16, 50, 16]


def progress_columns(now: datetime) -> list[str]:
    """The table's header; the 报送 column names the month checked on `now`'s day (11月报送 until the 25th)."""
    return ["任务编号", "测评项目", "任务内容", "测评方法", "牵头单位", "配合单位", "完成时限", "办理状态", "完成进度",
            f"{services.report_period(now).label}报送", "最近报送时间", "最近进展", "销号时间"]


def progress_rows(user, year: int, now: datetime) -> list[list]:
    """One row per task. The 报送 column says what the pages say for the month checked (services.report_period):
    未报送 where the pages show the badge, 已报送 where the lead unit reported within that month (a later month's
    report is not that month's), — for a task not being worked on, or one added after the month's due day that owes
    nothing yet."""
    tasks, _ = services.list_tasks(user, now, year=year, limit=None)
    latest = services.latest_reports(tasks, now)
    period = services.report_period(now)
    owing = services.owing(tasks, period)
    reported_in = services.reported(tasks, period)
    result = []
    for task in tasks:
        last = latest.get(task.id)
        reported = ("未报送" if task.id in owing else
                    "已报送" if task.status == "open" and task.id in reported_in else "—")
        result.append([task.code, task.indicator, task.content, task.method, task.lead_unit.name,
                       "、".join(u.name for u in task.assist_units), task.due_on.isoformat() if task.due_on else "常态长效",
                       services.status_label(task, now),
                       f"{last.progress}%" if last and last.progress is not None else "",
                       reported,
                       fmt(last.at) if last else "", last.text if last else "", fmt(task.done_at) if task.done_at else ""])
    return result
