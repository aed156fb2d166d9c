"""The checklist (测评体系): the version in force, its items per site type, and new versions from a spreadsheet.

A version is the whole checklist at one time. Importing writes a new version (the old one stays, with the rounds
that used it), so a round's items, points and deadlines never change under it."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy import func, select

from ..common.codes import CodeMap, code_key
from ..common.errors import Invalid
from ..common.models import lock_setting
from ..extensions import db
from ..office.fields import CODE_RULE
from ..office.imports import ImportResult, RowResult, Spec, read_spec_table
from ..office.spreadsheets import (
    CSV_DEFAULT_ENCODING,
    csv_chunks,
    write_xlsx,
)
from ..sites.models import ROLE_LABELS, ROLES, SiteKind
from ..units.models import Category
from .models import ChecklistItem, ChecklistVersion

ROLE_BY_LABEL = {**{label: role for role, label in ROLE_LABELS.items()}, **{role: role for role in ROLES},
                 "行业主管部门": "sector", "属地单位": "territorial", "管理单位": "operator", "经营单位": "operator"}
DEADLINE_RE = re.compile(r"^\s*(\d{1,4})\s*(小时|h|个工作日|工作日|workdays?)\s*$", re.IGNORECASE)
SPEC = Spec("checklist", "测评体系",
            ["项目编码", "点位类型", "测评内容", "扣分", "责任主体", "整改时限", "问题类别编码"],
            ["项目编码", "点位类型", "测评内容", "扣分", "责任主体", "整改时限"],
            {"项目编码": f"必填，全表唯一，如 NM-01（{CODE_RULE}）。",
             "点位类型": "必填，须为系统中的点位类型，如 农贸市场。",
             "测评内容": "必填，督查员在现场逐项判断的标准，如 划行归市，摊位摆放整齐。",
             "扣分": "必填：该项不达标时扣的分数（0.1–100，可带一位小数）。点位得分 = 满分 − 各不达标项扣分之和。",
             "责任主体": "必填：不达标时整改任务派给哪一方：属地、行业主管 或 管理主体（点位未设置该方时派给属地）。",
             "整改时限": "必填：如 24小时、5个工作日。",
             "问题类别编码": "选填：生成的整改任务的问题类别，填类别编码或类别名称（如 牛皮癣）；留空为“测评问题”。"},
            [12, 12, 50, 8, 10, 12, 14])
DEFAULT_CATEGORY = ("assessment", "测评问题", "文明测评")


def current_version() -> ChecklistVersion | None:
    return db.session.scalar(select(ChecklistVersion).order_by(ChecklistVersion.number.desc()).limit(1))


def items(version: ChecklistVersion | None, kind_id: int | None = None) -> list[ChecklistItem]:
    if version is None:
        return []
    query = select(ChecklistItem).where(ChecklistItem.version_id == version.id)
    if kind_id is not None:
        query = query.where(ChecklistItem.site_kind_id == kind_id)
    return list(db.session.scalars(query.order_by(ChecklistItem.sort_order, ChecklistItem.id)))


def deadline_text(item: ChecklistItem) -> str:
    return item.deadline_label


def item_dict(item: ChecklistItem) -> dict:
    return {"code": item.code, "site_kind": item.site_kind.name, "text": item.text, "points": item.points,
            "answerable_by": item.answerable_by, "answerable_label": ROLE_LABELS[item.answerable_by],
            "deadline": item.deadline_rule, "category": item.category.code if item.category else None,
            "version": item.version.number}


def assessment_category() -> Category:
    """The category of tickets whose item names none ("测评问题", 5 working days), made the first time; or the
    office's own category in use of that name, when it made one (one in use of a name:
    uq_categories_active_upper_name)."""
    code, name, group = DEFAULT_CATEGORY
    category = db.session.scalar(select(Category).where(Category.code == code)) or db.session.scalar(
        select(Category).where(Category.name == name, Category.active.is_(True)))
    if category is None:
        category = Category(code=code, name=name, group=group, deadline_workdays=5, sort_order=900)
        db.session.add(category)
        db.session.flush()
    return category


def parse_deadline(text) -> dict:
    match = DEADLINE_RE.match(str(text or ""))
    if not match:
        raise Invalid(f"整改时限“{text or ''}”格式不正确，应为“24小时”或“5个工作日”。", code="invalid_deadline")
    value = int(match.group(1))
    if match.group(2) in ("小时", "h", "H"):
        if not 1 <= value <= 24 * 60:
            raise Invalid("整改时限的小时数应在 1 到 1440 之间。", code="invalid_deadline")
        return {"hours": value}
    if not 1 <= value <= 120:
        raise Invalid("整改时限的工作日数应在 1 到 120 之间。", code="invalid_deadline")
    return {"workdays": value}


def parse_points(text) -> float:
    try:
        value = round(float(str(text).strip()), 1)
    except (TypeError, ValueError):
        raise Invalid(f"扣分“{text}”应为数字。", code="invalid_points") from None
    if not 0.1 <= value <= 100:
        raise Invalid("扣分应在 0.1 到 100 之间。", code="invalid_points")
    return value


def create_version(rows: list[dict], now: datetime, user=None, note: str = "",
                   full_score: float = 100.0) -> ChecklistVersion:
    """A new version holding `rows` ({code, kind (SiteKind), text, points, answerable_by, deadline, category}),
    numbered after the last one: the caller holds lock_setting("checklist") where two may write at once."""
    number = (db.session.scalar(select(func.max(ChecklistVersion.number))) or 0) + 1
    version = ChecklistVersion(number=number, full_score=full_score, note=note, created_at=now,
                               created_by=getattr(user, "id", None))
    db.session.add(version)
    for order, row in enumerate(rows):
        rule = row["deadline"]
        db.session.add(ChecklistItem(version=version, site_kind_id=row["kind"].id, code=row["code"], text=row["text"],
                                     points=row["points"], answerable_by=row["answerable_by"],
                                     deadline_hours=rule.get("hours"), deadline_workdays=rule.get("workdays"),
                                     category_id=row["category"].id if row.get("category") else None,
                                     sort_order=order))
    db.session.flush()
    return version


@dataclass
class ChecklistImport(ImportResult):
    """An import of the whole checklist: also the items of the version in force the file leaves out (removed)."""
    removed: int = 0

    def as_dict(self) -> dict:
        return {**super().as_dict(), "removed": self.removed}


def run_import(filename: str, data: bytes, now: datetime, user, dry_run: bool) -> tuple[ImportResult, int | None]:
    """Check every row against the version in force; unless dry_run or an error, write a new version holding
    exactly the file's items. Returns the result and the new version's number (None when nothing was written)."""
    from ..office import fields

    table = read_spec_table(SPEC, filename, data)
    if not dry_run:  # two imports at once (a double click, two tabs): the later one compares with the earlier's
        lock_setting("checklist")  # version, instead of both numbering theirs the next (a unique violation: a 500)
    kinds = {k.name: k for k in db.session.scalars(select(SiteKind))}
    # codes whatever the case typed (common/codes.py): nm-01 is the item NM-01, not a second one beside it
    categories = CodeMap.of(db.session.scalars(select(Category)))
    # or by name: a category added with a blank 类别编码 is cat7 to the system, 牛皮癣 to the clerk
    named = {category.name: category for category in categories.values() if category.active}
    current = CodeMap.of(items(current_version()))
    rows, parsed, first = [], [], {}
    for number, cells in table.rows:
        row = RowResult(number, f"{cells.get('项目编码', '')} {cells.get('测评内容', '')[:20]}".strip())
        item: dict = {}
        for key, check in (
                ("code", lambda: fields.code(cells.get("项目编码"), "项目编码")),
                ("text", lambda: fields.text(cells.get("测评内容"), "测评内容", 300, required=True)),
                ("points", lambda: parse_points(cells.get("扣分"))),
                ("deadline", lambda: parse_deadline(cells.get("整改时限")))):
            try:
                item[key] = check()
            except Invalid as problem:
                row.fail(problem.message)
        kind = kinds.get((cells.get("点位类型") or "").strip())
        if kind is None or not kind.active:
            row.fail(f"点位类型“{cells.get('点位类型') or ''}”不是在用的点位类型")
        item["kind"] = kind
        role = ROLE_BY_LABEL.get((cells.get("责任主体") or "").strip())
        if role is None:
            row.fail(f"责任主体“{cells.get('责任主体') or ''}”应为 属地、行业主管 或 管理主体")
        item["answerable_by"] = role
        category_code = (cells.get("问题类别编码") or "").strip()
        item["category"] = None
        if category_code:
            found = categories.get(category_code)
            item["category"] = found if found is not None and found.active else named.get(category_code, found)
            if item["category"] is None or not item["category"].active:
                row.fail(f"问题类别“{category_code}”不存在或已停用（请填类别编码或类别名称）")
        code = item.get("code")
        if code and code_key(code) in first:
            row.fail(f"项目编码与第{first[code_key(code)]}行重复")
        elif code:
            first[code_key(code)] = number
        rows.append(row)
        parsed.append(item)
        if row.action == "error":
            continue
        old = current.get(code)
        if old is not None:
            item["code"] = old.code  # the item keeps its code as the rounds know it
        if old is None:
            row.action = "add"
            row.messages.append(f"新增{kind.name}测评项目，扣{item['points']:g}分")
            continue
        changes = []
        for label, before, after in (
                ("点位类型", old.site_kind.name, kind.name), ("测评内容", old.text, item["text"]),
                ("扣分", f"{old.points:g}", f"{item['points']:g}"),
                ("责任主体", ROLE_LABELS[old.answerable_by], ROLE_LABELS[role]),
                ("整改时限", old.deadline_label, _deadline_label(item["deadline"])),
                ("问题类别", old.category.code if old.category else "",
                 item["category"].code if item["category"] else "")):
            if before != after:
                changes.append(f"{label}：{before or '（空）'} → {after or '（空）'}")
        if changes:
            row.action = "change"
            row.messages.extend(changes)
    dropped = sorted(old.code for key, old in current.items() if key not in first)
    result = ChecklistImport("checklist", rows, dry_run, removed=len(dropped))
    if dropped and rows:
        rows[-1].messages.append(f"（新版本不再包含：{'、'.join(dropped[:20])}{'等' if len(dropped) > 20 else ''}）")
    changed = result.count("add") or result.count("change") or dropped
    if dry_run or result.errors or not changed:
        return result, None
    version = create_version(parsed, now, user, note=f"导入 {filename}"[:200])
    result.written = True
    return result, version.number


def _deadline_label(rule: dict) -> str:
    return f"{rule['workdays']}个工作日" if rule.get("workdays") else f"{rule.get('hours', 24)}小时"


def rows_of(version: ChecklistVersion | None) -> Iterator[list]:
    for item in items(version):
        yield [item.code, item.site_kind.name, item.text, item.points, ROLE_LABELS[item.answerable_by],
               item.deadline_label, item.category.code if item.category else ""]


def xlsx(template: bool = False) -> IO[bytes]:
    from ..sites.imports import notes
    return write_xlsx(SPEC.columns, [] if template else rows_of(current_version()), title=SPEC.label,
                      widths=SPEC.widths, notes=notes(SPEC))


def csv(template: bool = False, encoding: str = CSV_DEFAULT_ENCODING):
    return csv_chunks(SPEC.columns, [] if template else rows_of(current_version()), encoding=encoding)
