"""上级测评反馈: the list of problems the national or provincial assessors found on their visit (反馈问题清单),
imported into the moderation queue, and the 整改情况 table that goes back up.

A list has a name (清单名称) and numbered items (序号); "name + 第N条" is an item's key, taken once like a 12345 case
number: importing the list again adds nothing, and an item still waiting takes the newer wording. Each item waits
for the office, which dispatches it as it does a hotline case (category, segment, units); the ticket's source is
`superior`, which the ranking schemes weigh most. An item naming a registered site (点位名称: its name, written
with or without spaces and with either kind of bracket, or its code; the row's 所属区县 tells apart sites of one
name) keeps the site and takes its position and district, so the nearest segment and its units come up first, and
its ticket shows the site. Items entered one by one on
/intake/entry carry the same source and appear in the same table.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

from ..common.errors import Invalid
from ..common.sql import any_like, like_pattern
from ..common.text import one_line
from ..common.timeutil import fmt
from ..extensions import db
from .hotline import Case, find_category, items_of, parse_time, plan_rows
from .models import IntakeItem

SOURCE = "superior"
NOUN = "上级反馈问题"
COLUMNS = ["清单名称", "序号", "点位类型", "点位名称", "存在问题", "所属区县", "地址", "问题类别", "整改时限"]
REQUIRED = ["清单名称", "序号", "存在问题"]
ALIASES = {"反馈清单": "清单名称", "清单": "清单名称", "编号": "序号", "问题序号": "序号", "点位": "点位名称",
           "点位名": "点位名称", "问题描述": "存在问题", "问题": "存在问题", "主要问题": "存在问题", "区县": "所属区县",
           "所在区县": "所属区县", "具体位置": "地址", "位置": "地址", "时限": "整改时限", "完成时限": "整改时限"}
HELP = {
    "清单名称": "必填：上级反馈的清单名称，如 2026年省级文明城市测评实地考察反馈问题清单（最多50字）。",
    "序号": "必填：清单中的条目序号，如 12 或 3-1；同一清单的同一序号只导入一次（等待审核的按新内容更新）。",
    "点位类型": "选填：如 公共厕所、背街小巷。",
    "点位名称": "选填：与系统点位名称一致时，按该点位的位置和区县匹配责任路段。点位名称和地址至少填一项。",
    "存在问题": "必填：反馈的问题原文。",
    "所属区县": "选填。",
    "地址": "选填：具体位置。",
    "问题类别": "选填：本系统的问题类别名称（如 牛皮癣）；其他说法照录，由文明办审核时选择类别。",
    "整改时限": "选填：上级要求的完成时间，如 2026-12-15。",
}
WIDTHS = [36, 8, 12, 24, 48, 10, 24, 12, 14]
MAX_LIST_NAME = 50
MAX_ITEM_NUMBER = 10


def item_key(list_name: str, number: str) -> str:
    return f"{list_name}第{number}条"


def reference_key(reference: str) -> str | None:
    """The key of the item an entry's 出处 names (2026年省级测评反馈问题清单第12条, or …清单 第 12 条), written as
    an import writes it, so an item entered by hand and the same item imported are one; None when the 出处 names no
    numbered item of a list, or one longer than an import takes."""
    match = _KEY.match(one_line(reference))
    if match is None:
        return None
    list_name, number = match["list"].strip(), match["number"].strip()
    if not list_name or not number or len(list_name) > MAX_LIST_NAME or len(number) > MAX_ITEM_NUMBER:
        return None
    return item_key(list_name, number)


def parse_item(cells: dict, now: datetime) -> Case:
    """An item from its columns; problems are collected in case.problems, so a row lists all of them at once."""
    from ..sites.services import find_by_name

    case = Case()

    def text(name: str, limit: int, multiline: bool = False) -> str:
        return case.text(cells, name, limit, multiline)

    list_name = text("清单名称", MAX_LIST_NAME)
    number = text("序号", MAX_ITEM_NUMBER).removeprefix("第").removesuffix("条").strip()
    if not list_name:
        case.problems.append("缺少清单名称")
    if not number:
        case.problems.append("缺少序号")
    case.case_number = item_key(list_name, number) if list_name and number else ""
    problem = text("存在问题", 1800, multiline=True)
    if not problem:
        case.problems.append("缺少存在问题")
    kind, site_name, place = text("点位类型", 32), text("点位名称", 100), text("地址", 100)
    if not site_name and not place:
        case.problems.append("点位名称和地址至少填写一项")
    case.description = (f"【{'·'.join(x for x in (kind, site_name) if x)}】" if kind or site_name else "") + problem
    case.address = f"{site_name}（{place}）" if site_name and place else site_name or place
    case.district = text("所属区县", 32)
    named = text("问题类别", 64)
    case.category, case.category_text = find_category(named), named or kind
    try:
        case.due_at = parse_time(cells.get("整改时限") or "", "整改时限", end_of_day=True)
    except Invalid as problem_:
        case.problems.append(problem_.message)
    if site_name:
        site = find_by_name(site_name, case.district)
        if site is not None:
            case.site_id, case.lat, case.lon = site.id, site.lat, site.lon
            case.district = case.district or site.district
    return case


def plan(table, now: datetime, actor) -> tuple[list, Callable | None]:
    """The office's import (office/imports.py): every row checked, then add, change or unchanged."""
    return plan_rows(table, now, parse_item, SOURCE, NOUN, "清单名称和序号")


# ----------------------------------------------------------------------------- back up: 整改情况

EXPORT_COLUMNS = ["反馈条目", "存在问题", "点位/地址", "办理状态", "问题编号", "责任单位", "协办单位", "上级整改时限",
                  "整改期限", "整改完成时间", "办结时间", "整改情况", "备注"]
EXPORT_WIDTHS = [40, 48, 28, 16, 14, 24, 24, 17, 17, 17, 17, 50, 40]


def export_rows(list_name: str | None = None, exact: bool = False) -> Iterator[list]:
    """Every feedback item (imported, or entered on /intake/entry), in the order received, with its progress;
    `list_name`: only the items of lists whose name contains it, or with `exact` of the list of that very name (the
    progress page's per-list export: not its …（复查） list too)."""
    from .services import progress, voids

    query = items_of(SOURCE)
    wanted = one_line(list_name or "")[:300 if exact else MAX_LIST_NAME]
    if wanted:
        query = query.where(any_like((IntakeItem.case_number, IntakeItem.reference), like_pattern(wanted)))
    items = [item for item in db.session.scalars(query)
             if not (wanted and exact) or _list_and_number(item.case_number or item.reference)[0] == wanted]
    voided = voids({i.ticket.id for i in items if i.ticket is not None and i.ticket.status == "cancelled"})
    for item in items:
        state = progress(item, voided)
        ticket = item.ticket
        yield [item.case_number or item.reference, item.description, item.address or None, state.label,
               ticket.number if ticket else None, state.unit or None, "、".join(state.assists) or None,
               fmt(item.due_at) or None, fmt(ticket.deadline) if ticket else None,
               fmt(ticket.rectified_at) if ticket else None, fmt(state.ended_at) or None,
               state.result or None, state.note or None]


# ----------------------------------------------------------------------------- 整改进度 by list

_KEY = re.compile(r"^(?P<list>.+?)第(?P<number>[^第]{1,12})条$")
STAGES = (("pending", "待交办"), ("working", "整改中"), ("overdue", "已超期"), ("rectified", "待核查"),
          ("closed", "已销号"), ("declined", "不予受理或作废"))


def _list_and_number(key: str) -> tuple[str, str]:
    match = _KEY.match(key or "")
    return (match["list"], match["number"]) if match else (key or "其他", "")


def _number_order(number: str) -> tuple:
    """'2' < '3-1' < '10': digits compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", number) if p)


def stage(item: IntakeItem, now: datetime) -> str:
    if item.status == "declined":
        return "declined"
    ticket = item.ticket
    if item.status == "pending" or ticket is None or ticket.status == "pending":  # the office has not dispatched it
        return "pending"
    if ticket.status == "cancelled":
        return "declined"
    if ticket.status == "closed":
        return "closed"
    if ticket.status == "rectified":
        return "rectified"
    return "overdue" if ticket.is_overdue(now) else "working"


def lists_progress(now: datetime) -> list[dict]:
    """Each feedback list (newest first) with its items in number order and how many are at each stage: what the
    office is asked about every day after an assessment (how many 已销号, which are overdue, at which units)."""
    lists: dict[str, dict] = {}
    for item in db.session.scalars(items_of(SOURCE)):
        name, number = _list_and_number(item.case_number or item.reference)
        entry = lists.setdefault(name, {"name": name, "items": [], "counts": dict.fromkeys([k for k, _ in STAGES], 0),
                                        "first": item.received_at})
        at = stage(item, now)
        entry["counts"][at] += 1
        entry["items"].append({"item": item, "number": number, "stage": at, "ticket": item.ticket})
    for entry in lists.values():
        entry["items"].sort(key=lambda row: (_number_order(row["number"]), row["item"].id))
        entry["total"] = len(entry["items"])
    return sorted(lists.values(), key=lambda entry: entry["first"], reverse=True)
