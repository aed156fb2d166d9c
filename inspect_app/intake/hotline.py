"""12345 hotline cases: one check for a spreadsheet row and an API post, keyed by the hotline's case number
(工单编号), and the export that tells the hotline how each case went.

A case number is taken once: importing the same export again, or posting the same case again, adds nothing. A
case still waiting for moderation takes the newer wording; once the office has accepted or declined it, the case
is not changed any more (its row says so).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..common import coords
from ..common.codes import same_code
from ..common.errors import BadRequest, Invalid
from ..common.sql import on_days
from ..common.text import join_clauses, key_text, multi_line, one_line, text_value
from ..common.timeutil import as_utc, fmt, local_midnight
from ..extensions import db
from ..office import fields
from ..units.models import Category
from ..units.services import same_category_name
from .models import IntakeItem

SOURCE = "hotline"
COLUMNS = ["工单编号", "受理时间", "问题类别", "诉求内容", "事发地址", "所属区县", "经度", "纬度", "坐标系",
           "来电人电话", "办理时限"]
REQUIRED = ["工单编号", "诉求内容", "事发地址"]
# Other names the hotline's own export uses for the same columns.
ALIASES = {"工单号": "工单编号", "案件编号": "工单编号", "来电内容": "诉求内容", "诉求描述": "诉求内容",
           "问题描述": "诉求内容", "事件地址": "事发地址", "地址": "事发地址", "诉求地址": "事发地址", "区县": "所属区县",
           "诉求类别": "问题类别", "诉求分类": "问题类别", "受理日期": "受理时间", "来电时间": "受理时间",
           "联系电话": "来电人电话", "来电号码": "来电人电话", "处理时限": "办理时限", "办结时限": "办理时限"}
HELP = {
    "工单编号": "必填：热线系统的工单编号，全市唯一；同一工单再次导入不会重复（等待审核的工单按新内容更新）。",
    "受理时间": "选填：热线受理的时间，如 2026-11-20 09:30；留空为导入时间。",
    "问题类别": "选填：本系统的问题类别名称（如 占道经营）；其他说法照录，由文明办审核时选择类别。",
    "诉求内容": "必填：市民反映的问题。",
    "事发地址": "必填：问题所在地址。",
    "所属区县": "选填。",
    "经度": "选填：与纬度一起填写。", "纬度": "选填。",
    "坐标系": "填写经纬度时必填：WGS84、GCJ02（高德、腾讯）或 BD09（百度）。",
    "来电人电话": "选填：只有文明办能看到，用于回访。",
    "办理时限": "选填：热线要求的办结时间，如 2026-11-27（当天24时前）或 2026-11-27 18:00。",
}
WIDTHS = [18, 17, 12, 40, 28, 10, 12, 12, 8, 14, 14]
API_FIELDS = {"case_number": "工单编号", "received_at": "受理时间", "category": "问题类别", "description": "诉求内容",
              "address": "事发地址", "district": "所属区县", "lon": "经度", "lat": "纬度", "coord_system": "坐标系",
              "phone": "来电人电话", "due_at": "办理时限"}
# The stored fields each posted field fills: one left out of a post leaves them as they are (received_at too)
API_STORED = {"category": ("category_id", "category_text"), "description": ("description",),
              "address": ("address",), "district": ("district",), "lon": ("lat", "lon"), "lat": ("lat", "lon"),
              "phone": ("contact_phone",), "due_at": ("due_at",)}
# The texts a case must hold, and the attribute each fills: a new case, a spreadsheet row and a post that sends them.
_REQUIRED_TEXT = {"诉求内容": "description", "事发地址": "address"}
_QUOTES = "\"'“”‘’＂＇「」『』"  # around a category a sheet quoted: ＂牛皮癣＂
_FRACTION = re.compile(r"(\d:\d{2})\.\d+")  # the seconds' fraction of 08:05:00.0 (not a date's 2026.11.20)
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
                 "%Y%m%d%H%M%S", "%Y%m%d")


@dataclass
class Case:
    case_number: str = ""
    received_at: datetime | None = None
    category: Category | None = None
    category_text: str = ""
    description: str = ""
    address: str = ""
    district: str = ""
    lat: float | None = None
    lon: float | None = None
    phone: str = ""
    due_at: datetime | None = None
    site_id: int | None = None  # a registered site the source names (a feedback list's 点位名称)
    problems: list[str] = field(default_factory=list)
    too_long: list[str] = field(default_factory=list)  # those of the problems that are a text over its limit
    # the stored fields the sender left out (an API post naming only what changed): a case already there keeps them
    omitted: set[str] = field(default_factory=set)

    def text(self, cells: dict, name: str, limit: int, multiline: bool = False) -> str:
        """A column's text on one line (or several), cut to `limit` with a problem noted when longer."""
        value = (multi_line if multiline else one_line)(cells.get(name) or "")
        if len(value) > limit:
            self.problems.append(f"{name}不能超过{limit}个字符")
            self.too_long.append(self.problems[-1])
            return value[:limit]
        return value

    def require(self, labels) -> None:
        """Note each of these columns (诉求内容, 事发地址) that holds nothing as missing."""
        for label in labels:
            if not getattr(self, _REQUIRED_TEXT[label]):
                self.problems.append(f"缺少{label}")

    def values(self) -> dict:
        """The stored fields this case gives, without those its sender left out."""
        given = {"category_id": self.category.id if self.category else None, "category_text": self.category_text,
                 "description": self.description, "address": self.address, "district": self.district,
                 "lat": self.lat, "lon": self.lon, "contact_phone": self.phone, "due_at": self.due_at,
                 "site_id": self.site_id}
        return {name: value for name, value in given.items() if name not in self.omitted}


def parse_time(text: str, label: str, end_of_day: bool = False) -> datetime | None:
    """'2026-11-20 09:30', '2026/11/20 9:30:00', '2026-11-20T09:30:00+08:00', '20261120', '2026-12-04 08:05:00.0'
    (fractions of a second, as hotline systems export them, are dropped)... naive is Shanghai."""
    raw = one_line(text)
    if not raw:
        return None
    cleaned = _FRACTION.sub(r"\1", raw).replace("/", "-").replace(".", "-")
    cleaned = cleaned.replace("年", "-").replace("月", "-").replace("日", " ").strip()
    try:
        if "+" in cleaned[10:] or cleaned.endswith("Z"):
            return as_utc(datetime.fromisoformat(cleaned.replace("Z", "+00:00")))
    except ValueError:
        pass
    for pattern in _TIME_FORMATS:
        try:
            value = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        if not 2000 <= value.year <= 2100:
            break
        if end_of_day and pattern in ("%Y-%m-%d", "%Y%m%d"):
            return local_midnight(value.date() + timedelta(days=1)) - timedelta(seconds=1)
        return as_utc(value)
    example = "2026-11-27（当天24时前）或 2026-11-27 18:00" if end_of_day else "2026-11-20 09:30"
    raise Invalid(f"{label}“{raw}”格式不正确，应为 {example}。", code="invalid_time")


def find_category(text: str) -> Category | None:
    """The category in use a case's 问题类别 names: its name as names are compared everywhere (units/services.py
    same_category_name: ＬＥＤ屏, stray spaces, any letter case) or its code in any case (NPX, ｎｐｘ), the name first;
    quotation marks around it aside (＂牛皮癣 ＂, “牛皮癣”). Other wording (the hotline's own categories) is None: kept
    as the case's category_text, for the office to choose at moderation."""
    words = one_line(text).strip(_QUOTES + " ")
    if not words:
        return None
    named = same_category_name(words)
    query = select(Category).where(Category.active.is_(True), named | same_code(Category.code, words))
    return db.session.scalars(query.order_by(named.desc(), Category.id).limit(1)).first()


def _number(text: str, label: str) -> float | None:
    raw = one_line(text)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Invalid(f"{label}“{raw}”不是数字。", code="invalid_number") from None


def parse_case(cells: dict, now: datetime, required=tuple(_REQUIRED_TEXT)) -> Case:
    """A case from its columns (a spreadsheet row, or an API post mapped onto them); problems are collected in
    case.problems rather than raised, so a row lists all of them at once. `required`: the texts that must hold
    something (an API post checks them itself, once it knows whether the case is new)."""
    case = Case()

    def check(fn: Callable[[], object]):
        try:
            return fn()
        except Invalid as problem:
            case.problems.append(problem.message)
            return None

    def text(name: str, limit: int, multiline: bool = False) -> str:
        return case.text(cells, name, limit, multiline)

    case.case_number = case.text({"工单编号": key_text(cells.get("工单编号"))}, "工单编号", 64)  # ＧＤ２０２… is GD202…
    if not case.case_number:
        case.problems.append("缺少工单编号")
    case.description = text("诉求内容", 2000, multiline=True)
    case.address = text("事发地址", 200)
    case.require(required)
    case.district = text("所属区县", 32)
    case.category_text = text("问题类别", 64)
    case.category = find_category(case.category_text)
    case.phone = check(lambda: fields.phone(text("来电人电话", 32), "来电人电话")) or ""
    case.received_at = check(lambda: parse_time(cells.get("受理时间") or "", "受理时间"))
    if case.received_at is not None and case.received_at > now + timedelta(days=1):
        case.problems.append("受理时间晚于当前时间")
    case.due_at = check(lambda: parse_time(cells.get("办理时限") or "", "办理时限", end_of_day=True))
    if case.due_at is not None and case.received_at is not None and case.due_at < case.received_at:
        case.problems.append(f"办理时限（{fmt(case.due_at, '%Y-%m-%d %H:%M')}）早于受理时间"
                             f"（{fmt(case.received_at, '%Y-%m-%d %H:%M')}），请核对")
    lon, lat = check(lambda: _number(cells.get("经度") or "", "经度")), check(lambda: _number(cells.get("纬度") or "", "纬度"))
    if (lon is None) != (lat is None):
        case.problems.append("经度和纬度须同时填写")
    elif lon is not None:
        try:
            system = coords.parse_system(cells.get("坐标系"))
            coords.check_point(lon, lat, system)
            case.lon, case.lat = coords.to_wgs84(lon, lat, system)
        except coords.CoordinateError as problem:
            case.problems.append(str(problem))
    return case


def existing_case(case_number: str, source: str = SOURCE) -> IntakeItem | None:
    """The item a source's key names, however it came in: imported or posted, or (上级测评反馈) entered on
    /intake/entry, which keeps the key its 出处 names. An entry made before entries kept their key has it only as
    its 出处 (`reference`), so that is read too: either way, a key is taken once."""
    return db.session.scalars(
        select(IntakeItem).where(IntakeItem.source == source, or_(
            IntakeItem.case_number == case_number,
            and_(IntakeItem.case_number.is_(None), IntakeItem.reference == case_number)))
        .order_by(IntakeItem.case_number.is_(None), IntakeItem.id).limit(1)).first()


def taken_by(item: IntakeItem) -> str:
    """What became of an item already there, for the office: 已受理，问题 2026-000123 / 等待审核 / 未受理."""
    if item.ticket is not None:
        return f"{item.status_label}，问题 {item.ticket.number}"
    return "等待审核" if item.status == "pending" else item.status_label


def _differences(item: IntakeItem, case: Case) -> list[str]:
    labels = {"category_id": "问题类别", "category_text": "问题类别", "description": "诉求内容", "address": "事发地址",
              "district": "所属区县", "lat": "纬度", "lon": "经度", "contact_phone": "来电人电话", "due_at": "办理时限",
              "site_id": "点位名称"}
    changed = []
    for name, value in case.values().items():
        if getattr(item, name) != value and labels[name] not in changed:
            changed.append(labels[name])
    if case.received_at is not None and item.received_at != case.received_at:
        changed.append("受理时间")
    return changed


def plan_case(case: Case, now: datetime, source: str = SOURCE, noun: str = "热线工单",
              actor=None) -> tuple[str, list[str], Callable[[], IntakeItem] | None]:
    """(action, messages, apply): what taking this case would do — add, change or unchanged. `source` and `noun`:
    another keyed source that waits in the queue the same way (intake/feedback.py). `actor`: the hotline's import,
    where a decided case with other content (催办, 补充材料, 重办) is a follow-up, as the API takes it
    (services.follow_up): a change, said as such in the preview."""
    item = existing_case(case.case_number, source)
    if item is None:
        def add() -> IntakeItem:
            new = IntakeItem(source=source, status="pending", case_number=case.case_number,
                             received_at=case.received_at or now, created_at=now, updated_at=now, **case.values())
            db.session.add(new)
            return new
        label = case.category.name if case.category else (case.category_text or "未分类")
        return "add", [f"新增{noun}（{label}），等待文明办审核"], add
    changed = _differences(item, case)
    if not changed:
        return "unchanged", [], None
    if item.status != "pending" and actor is not None:
        from .services import follow_up, hold

        def follow() -> IntakeItem:
            # a post of this case may have followed it up since the file was read: decide again on what it left
            hold(item)
            now_changed = _differences(item, case)
            if now_changed and item.status != "pending":
                follow_up(actor, item, case.values(), case.received_at, now_changed, now)
            elif now_changed:
                _change(item, case, now)
            return item
        ticket = item.ticket
        where = ("记入问题办理记录并告知责任单位" if ticket is not None and ticket.status not in ("closed", "cancelled")
                 else "重新提交文明办审核")
        return "change", [f"该{noun}已处理（{taken_by(item)}），再次来件（{'、'.join(changed)}有变化），将作为追加内容{where}"], \
            follow
    if item.status != "pending":
        note = f"该{noun}已处理（{taken_by(item)}），内容不再更新（{'、'.join(changed)}与系统中不同）"
        return "unchanged", [note], None

    return "change", [f"更新：{'、'.join(changed)}"], lambda: _change(item, case, now)


def _change(item: IntakeItem, case: Case, now: datetime) -> IntakeItem:
    """A case still waiting for the office takes the newer wording."""
    for name, value in case.values().items():
        setattr(item, name, value)
    if case.received_at is not None:
        item.received_at = case.received_at
    item.updated_at = now
    return item


# ----------------------------------------------------------------------------- the office's import (office/imports.py)

def plan(table, now: datetime, actor) -> tuple[list, Callable | None]:
    return plan_rows(table, now, parse_case, SOURCE, "热线工单", "工单编号", actor=actor)


def plan_rows(table, now: datetime, parse: Callable[[dict, datetime], Case], source: str, noun: str,
              key_label: str, actor=None) -> tuple[list, Callable | None]:
    """Every row of a keyed source's spreadsheet checked (`parse`) and for repeats of a key, then those without a
    problem planned as add, change or unchanged (a row in error says only what is wrong, not what it would do)."""
    from ..office.imports import RowResult, _duplicates

    rows, cases = [], []
    for number, cells in table.rows:
        case = parse(cells, now)
        row = RowResult(number, case.case_number)
        for problem in case.problems:
            row.fail(problem)
        rows.append(row)
        cases.append(case)
    _duplicates(rows, [case.case_number or None for case in cases], key_label)
    for row, case in zip(rows, cases):
        if row.action != "error":
            row.action, messages, row.apply = plan_case(case, now, source, noun, actor)
            row.messages.extend(messages)
    return rows, None


# ----------------------------------------------------------------------------- the hotline's system (API)

def _cell(name: str, value) -> str:
    """A posted field as a spreadsheet cell would hold it: text as text (a list, an object, a number or true/false
    in a text field answers 400, as everywhere in the API: stored as str() it read "{'text': '垃圾'}"), and the
    coordinates as numbers or text."""
    if name in ("lon", "lat") and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if name in ("lon", "lat") and value is not None and not isinstance(value, str):
        raise BadRequest(f"{API_FIELDS[name]}应为数字。", code="invalid_number")
    return text_value(value, API_FIELDS[name])


def post_case(user, data: dict, now: datetime, retried: bool = False) -> tuple[IntakeItem, str, list[str]]:
    """Take one case posted as JSON (API_FIELDS); (item, "add" | "change" | "unchanged" | "follow_up", messages).
    A case already decided and sent with other content (催办, 补充材料, 重办) is a follow-up (services.follow_up);
    the same content again is unchanged. A text over its limit: 400 text_too_long naming it, as every API field
    (docs/api.md); otherwise invalid: 422."""
    unknown = sorted(set(data) - set(API_FIELDS))
    if unknown:
        raise Invalid(f"未知字段：{'、'.join(unknown)}。", code="unknown_fields")
    cells = {API_FIELDS[k]: _cell(k, v) for k, v in data.items()}
    case = parse_case(cells, now, required=())
    if case.too_long:  # the import's row says it among its other problems; a post is told as the whole API tells it
        raise BadRequest(join_clauses(case.too_long, "。"), code="text_too_long")
    known = existing_case(case.case_number) if case.case_number else None
    if known is not None:  # another post of this case at this moment: wait for it, and take this one after it
        from .services import hold
        hold(known)
    # A new case must say what and where; a later post of a case already there (waiting or decided) need not repeat
    # them: a field not posted keeps what is stored (a 补充材料 naming only its new words wiped the caller's phone
    # and the 办理时限; one moving only the 办理时限 was refused as 缺少诉求内容). Sent empty, they are still missing.
    case.require([label for label in _REQUIRED_TEXT if known is None or label in cells])
    if case.problems:
        raise Invalid(join_clauses(case.problems, "。"), code="invalid_case")
    # the hotline has no registered sites
    case.omitted = {"site_id"} | {name for key, names in API_STORED.items() if key not in data for name in names}
    if known is not None and known.status != "pending" and (changed := _differences(known, case)):
        from .services import follow_up
        action, messages = "follow_up", follow_up(user, known, case.values(), case.received_at, changed, now)
        item = known
    else:
        action, messages, apply = plan_case(case, now)
        # nothing to apply: the case as plan_case found it (another post may have committed it since `known`)
        item = apply() if apply is not None else known or existing_case(case.case_number)
    try:
        db.session.flush()
    except IntegrityError:
        # the same new case posted at this very moment and committed first (the hotline retrying after a timeout,
        # two of its workers): this post is taken as coming after it, unchanged or a change, never a 500. The whole
        # transaction goes (it wrote nothing else; a savepoint opened before SQLite's first write commits on release)
        db.session.rollback()
        if action != "add" or retried or existing_case(case.case_number) is None:
            raise
        return post_case(user, data, now, retried=True)
    db.session.refresh(item)  # the answer shows what is stored (its category too, not the one read before)
    return item, action, messages


# ----------------------------------------------------------------------------- back to the hotline

EXPORT_COLUMNS = ["工单编号", "办理状态", "问题编号", "承办单位", "协办单位", "受理时间", "转办时间", "整改期限",
                  "整改完成时间", "办结时间", "办理结果", "备注"]
EXPORT_WIDTHS = [18, 14, 14, 24, 24, 17, 17, 17, 17, 17, 50, 40]


def items_of(source: str):
    """A source's items in the order received, with their tickets and the tickets' parts (for their progress)."""
    from ..tickets.models import Ticket

    return (select(IntakeItem).where(IntakeItem.source == source)
            .options(selectinload(IntakeItem.ticket).selectinload(Ticket.parts))
            .order_by(IntakeItem.received_at, IntakeItem.id))


def export_rows(date_from: date | None, date_to: date | None) -> Iterator[list]:
    """One row per hotline case received in the range (Shanghai days), oldest first, with its progress."""
    from .services import first_handed, progress, voids

    query = items_of(SOURCE).where(*on_days(IntakeItem.received_at, date_from, date_to))
    items = list(db.session.scalars(query))  # thousands of cases a year: read at once, with their tickets
    voided = voids({i.ticket.id for i in items if i.ticket is not None and i.ticket.status == "cancelled"})
    given = first_handed({i.ticket.id for i in items if i.ticket is not None and i.status != "pending"})
    for item in items:
        state = progress(item, voided)
        ticket = item.ticket if item.status != "pending" else None
        # 转办时间: when a unit first had the case: the problem's first 派遣 (the office may accept on Friday and
        # dispatch on Monday), or the 并案 into a problem a unit already had; a declined case went nowhere
        first = given.get(ticket.id) if ticket is not None else None
        handed = max(first, item.decided_at) if first is not None and item.decided_at is not None else first
        yield [item.case_number, state.label, ticket.number if ticket else None, state.unit or None,
               "、".join(state.assists) or None, fmt(item.received_at) or None, fmt(handed) or None,
               fmt(ticket.deadline) if ticket else None, fmt(ticket.rectified_at) if ticket else None,
               fmt(state.ended_at) or None, state.result or None, state.note or None]
