"""The 门前四包 register from the office's spreadsheet (kind "frontages" of office/imports.py: the same preview,
all-or-nothing confirmation, templates and API). Rows are matched by 编号; a row whose values are the register's
already is "unchanged", so importing the same file twice changes nothing."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from ..common.codes import CodeMap, code_key
from ..common.errors import Invalid
from ..common.text import name_text
from ..common.timeutil import local
from ..extensions import db
from ..office.fields import CODE_RULE
from ..units.models import Segment
from ..units.services import units_by_code
from .models import FRONTAGE_KINDS, Frontage, FrontageNotice
from .services import STREET_KIND, must_sign_again, parse_date, signing_after

COLUMNS = ["编号", "名称", "类型", "地址", "所属街道编码", "责任路段", "责任书签订日期", "联系人", "联系电话", "状态"]
REQUIRED = ["编号", "名称", "地址", "所属街道编码"]
HELP = {
    "编号": f"必填：责任书编号或登记编号，{CODE_RULE}；按编号匹配已有商户，已有则更新。",
    "名称": "必填：商户或单位名称，如 XX米粉店、XX中学。",
    "类型": "选填：" + "、".join(FRONTAGE_KINDS) + "（留空为商户）。",
    "地址": "必填：门牌地址，如 人民路88号。",
    "所属街道编码": "必填：负责督促落实的街道办事处的单位编码（如 JD0101）。",
    "责任路段": "选填：门前所在路段，写“路段名称”或“区县/路段名称”（名称在多个区县重复时）。",
    "责任书签订日期": "选填：如 2026-03-15；未签订留空。",
    "联系人": "选填。", "联系电话": "选填。",
    "状态": "选填：在用 / 停用（停业、搬迁）；留空表示新增为在用、已有商户保持不变。",
}
WIDTHS = [12, 24, 8, 28, 14, 22, 14, 10, 16, 8]


def _segment_lookup() -> Callable[[str], Segment | None]:
    by_name: dict[str, list[Segment]] = {}
    by_key: dict[str, Segment] = {}
    for segment in db.session.scalars(select(Segment).where(Segment.active.is_(True))):
        by_name.setdefault(segment.name, []).append(segment)
        by_key[f"{segment.district}/{segment.name}"] = segment

    def find(text: str) -> Segment | None:
        text = text.replace("／", "/").strip()
        if "/" in text:
            district, name = (part.strip() for part in text.split("/", 1))
            found = by_key.get(f"{district}/{name}")
            if found is None:
                raise Invalid(f"责任路段“{text}”不存在或已停用")
            return found
        found = by_name.get(text, [])
        if not found:
            raise Invalid(f"责任路段“{text}”不存在或已停用")
        if len(found) > 1:
            raise Invalid(f"责任路段“{text}”在多个区县都有，请写成“区县/路段名称”")
        return found[0]
    return find


def plan(table, now: datetime, actor) -> tuple[list, Callable | None]:
    from ..office import fields
    from ..office.imports import RowResult, _check, _diff, _duplicates, _status

    units = units_by_code()  # whatever the case typed
    existing = CodeMap.of(db.session.scalars(select(Frontage)))  # mq-01001 is MQ-01001, not a new one
    find_segment = _segment_lookup()
    rows, plans = [], []
    today = local(now).date()
    for number, cells in table.rows:
        row = RowResult(number, f"{cells.get('编号', '')} {cells.get('名称', '')}".strip())
        item = {
            "code": _check(row, lambda: fields.code(cells.get("编号"), "编号")),
            "name": _check(row, lambda: name_text(fields.text(cells.get("名称"), "名称", 100, required=True))),
            "kind": _check(row, lambda: fields.choice(cells.get("类型") or "商户", "类型", FRONTAGE_KINDS)),
            "address": _check(row, lambda: name_text(fields.text(cells.get("地址"), "地址", 200, required=True))),
            "contact_person": _check(row, lambda: name_text(fields.text(cells.get("联系人"), "联系人", 64))),
            "contact_phone": _check(row, lambda: fields.phone(cells.get("联系电话"))),
            "signed_on": _check(row, lambda: parse_date(cells.get("责任书签订日期"), latest=today)),
            "segment": _check(row, lambda: find_segment(cells["责任路段"]) if (cells.get("责任路段") or "").strip()
                              else None),
            "active": _status(row, cells),
            "has": {c: c in table.headers for c in COLUMNS},
        }
        code = (cells.get("所属街道编码") or "").strip()
        street = units.get(code)
        if not code:
            row.fail("缺少所属街道编码")
        elif street is None:
            row.fail(f"所属街道编码“{code}”不存在")
        elif not street.active:
            row.fail(f"单位“{street.name}”已停用")
        elif street.kind != STREET_KIND:
            row.fail(f"“{street.name}”不是街道（门前四包由所在街道登记和管理）")
        item["street"] = street
        rows.append(row)
        plans.append(item)
    _duplicates(rows, [code_key(i["code"]) if i["code"] else None for i in plans], "编号")

    for row, item in zip(rows, plans):
        if row.action == "error":
            continue
        frontage = existing.get(item["code"])
        if frontage is None:
            row.action = "add"
            row.messages.append(f"新增{item['kind']}“{item['name']}”，属{item['street'].name}")
            row.apply = _adder(item, now)
            continue
        changes: list[str] = []
        _diff("名称", frontage.name, item["name"], changes)
        _diff("类型", frontage.kind, item["kind"], changes)
        _diff("地址", frontage.address, item["address"], changes)
        if frontage.street_unit_id != item["street"].id:
            changes.append(f"所属街道：{frontage.street_unit.name} → {item['street'].name}")
            changes.extend(_left_behind(frontage, item["street"]))
        if item["has"]["责任路段"] and (frontage.segment_id or None) != (item["segment"].id if item["segment"] else None):
            changes.append(f"责任路段：{frontage.segment.name if frontage.segment else '（空）'} → "
                           f"{item['segment'].name if item['segment'] else '（空）'}")
        # the signing the row leaves (services.signing_after: the date it has keeps the street it was signed with)
        signed_on, signed_with = (signing_after(frontage, item["street"].id, item["signed_on"])
                                  if item["has"]["责任书签订日期"] else (frontage.signed_on, frontage.signed_with_unit_id))
        item["signing"] = signed_on, signed_with
        _diff("责任书签订日期", frontage.signed_on.isoformat() if frontage.signed_on else "",
              signed_on.isoformat() if signed_on else "", changes)
        if frontage.signed and frontage.street_unit_id != item["street"].id and signed_with != item["street"].id:
            changes.append("注意：" + must_sign_again(frontage.kind, frontage.signed_on, frontage.street_unit,
                                                      item["street"]))
        if item["has"]["联系人"]:
            _diff("联系人", frontage.contact_person, item["contact_person"], changes)
        if item["has"]["联系电话"]:
            _diff("联系电话", frontage.contact_phone, item["contact_phone"], changes)
        if item["active"] is not None and item["active"] != frontage.active:
            changes.append("状态：" + ("在用 → 停用" if frontage.active else "停用 → 在用"))
        if changes:
            row.action = "change"
            row.messages.extend(changes)
            row.apply = _updater(frontage, item)
    return rows, None


def _left_behind(frontage: Frontage, street) -> list[str]:
    """What a move to another street leaves with the street it was with: its problems still open and the notices
    it gave (theirs to follow up: frontages/services.py record_street), said in the preview before it is confirmed."""
    from ..tickets.models import Ticket
    from ..tickets.policy import unit_tickets
    from ..tickets.rules import ACTIVE_STATUSES
    from .notices import still_open

    old = frontage.street_unit
    problems = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.frontage_id == frontage.id, Ticket.status.in_(ACTIVE_STATUSES), unit_tickets(old.id)))
    notices = list(db.session.scalars(select(FrontageNotice).where(
        FrontageNotice.frontage_id == frontage.id, FrontageNotice.street_unit_id == old.id)
        .order_by(FrontageNotice.id)))
    left = still_open(notices)
    given = [n for n in notices if not n.delivered_on or left.get(n.id)]  # not yet handed over, or not put right
    if not problems and not given:
        return []
    what = "、".join(part for part in (f"{problems}件未办结的门前四包问题" if problems else "",
                                       "整改通知书" + "、".join(n.number for n in given) if given else "") if part)
    return [f"注意：该商户有{what}，迁移后仍由{old.name}跟进办结，不转给{street.name}；"
            f"{street.name}的屡次违反次数只计迁入后发现的问题"]


def _adder(item: dict, now: datetime) -> Callable[[], None]:
    def apply():
        db.session.add(Frontage(code=item["code"], name=item["name"], kind=item["kind"], address=item["address"],
                                street_unit=item["street"], segment=item["segment"], signed_on=item["signed_on"],
                                signed_with_unit_id=item["street"].id if item["signed_on"] else None,
                                contact_person=item["contact_person"] or "", contact_phone=item["contact_phone"] or "",
                                active=item["active"] if item["active"] is not None else True, created_at=now))
    return apply


def _updater(frontage: Frontage, item: dict) -> Callable[[], None]:
    def apply():
        frontage.name, frontage.kind, frontage.address = item["name"], item["kind"], item["address"]
        frontage.street_unit = item["street"]
        if item["has"]["责任路段"]:
            frontage.segment = item["segment"]
        frontage.signed_on, frontage.signed_with_unit_id = item["signing"]
        if item["has"]["联系人"]:
            frontage.contact_person = item["contact_person"] or ""
        if item["has"]["联系电话"]:
            frontage.contact_phone = item["contact_phone"] or ""
        if item["active"] is not None:
            frontage.active = item["active"]
    return apply


def export_rows():
    """The register in the import's columns, so an export can be edited and imported back."""
    for frontage in db.session.scalars(select(Frontage).order_by(Frontage.street_unit_id, Frontage.code)).unique():
        segment = frontage.segment
        yield [frontage.code, frontage.name, frontage.kind, frontage.address, frontage.street_unit.code,
               f"{segment.district}/{segment.name}" if segment else "",
               # its signing with the street it is with now: imported back, a moved shop's old signing stays as it is
               frontage.signed_here_on.isoformat() if frontage.signed else "", frontage.contact_person,
               frontage.contact_phone, "在用" if frontage.active else "停用"]
