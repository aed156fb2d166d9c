"""Sites from the office's spreadsheets (.xlsx or .csv), and back: the same checks and preview as the office's
imports (office/imports.py: every row add / change / unchanged / error; nothing written unless every row is
valid), with the spreadsheet reading and writing of office/spreadsheets.py."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..common import coords
from ..common.codes import CodeMap, code_key
from ..common.errors import Invalid
from ..common.sql import by_code_point
from ..extensions import db
from ..office.fields import CODE_RULE
from ..office.imports import ImportResult, RowResult, Spec, read_spec_table
from ..office.spreadsheets import (
    CSV_DEFAULT_ENCODING,
    csv_chunks,
    write_xlsx,
)
from ..units.models import Unit
from ..units.services import units_by_code
from .models import Site, SiteKind

SPEC = Spec("sites", "测评点位",
            ["点位编码", "点位名称", "类型", "区县", "街道", "地址", "坐标", "区域范围", "坐标系", "属地单位编码",
             "行业主管单位编码", "管理主体单位编码", "点位说明", "状态"],
            ["点位编码", "点位名称", "类型", "区县", "属地单位编码"],
            {"点位编码": f"必填，全市唯一（{CODE_RULE}）；按编码匹配已有点位，已有则更新。",
             "点位名称": "必填，如 东风农贸市场。",
             "类型": "必填，须为系统中的点位类型，如 农贸市场、公共厕所、背街小巷（文明办可在“点位类型”页增改）。",
             "区县": "必填，如 XX区，与已有区县的写法一致（此前没有用过的区县在预览中注明）。",
             "街道": "选填，如 XX街道。", "地址": "选填。",
             "坐标": "点位：“经度,纬度”，如 112.931200,28.229800。与“区域范围”二选一。",
             "区域范围": "区域（如市场、公园）：外轮廓“经度,纬度;经度,纬度;…”，至少3个点；点位中心按轮廓计算。",
             "坐标系": "选填，默认 WGS84；GCJ02（高德、腾讯地图）或 BD09（百度地图）将换算为 WGS84 保存。",
             "属地单位编码": "必填：属地责任单位（街道办事处或区县）的编码。",
             "行业主管单位编码": "选填：行业主管部门的编码，如 市场监管局（农贸市场）、卫健委（医院）、教育局（学校周边）。",
             "管理主体单位编码": "选填：管理主体（经营、物业、产权单位）的编码。",
             "点位说明": "选填：督查员现场看到的说明，如 入口位置、范围。",
             "状态": "选填：在用 / 停用；留空表示新增为在用、已有点位保持不变。"},
            [14, 24, 12, 10, 12, 24, 24, 30, 8, 14, 14, 14, 30, 8])
UNIT_COLUMNS = (("territorial", "属地单位编码"), ("sector", "行业主管单位编码"), ("operator", "管理主体单位编码"))


def _check(row: RowResult, check: Callable[[], object]):
    try:
        return check()
    except Invalid as problem:
        row.fail(problem.message)
        return None


def plan(rows_in, now: datetime) -> list[RowResult]:
    from ..office import fields

    units = units_by_code()  # whatever the case typed
    kinds = {k.name: k for k in db.session.scalars(select(SiteKind))}
    existing = CodeMap.of(db.session.scalars(select(Site)))  # bj-05-021 is the site BJ-05-021, not a new one
    from ..office.reference import district_note, import_boxes, known_districts
    from .services import far_from_city, parse_location

    rows_in = list(rows_in)
    located: list[tuple | Invalid] = []  # parse_location's, or why it refused the row
    for _, cells in rows_in:
        try:
            located.append(parse_location(cells.get("坐标"), cells.get("区域范围"), cells.get("坐标系")))
        except Invalid as problem:
            located.append(problem)
    # a row far from the city's segments (or, before there are any, from the file's other rows): a typo, as in
    # the segments' import
    boxes = import_boxes([(place[2] or [[place[1], place[0]]]) if isinstance(place, tuple) else None
                          for place in located])
    known = known_districts()
    rows, first = [], {}
    for (number, cells), location, box in zip(rows_in, located, boxes):
        row = RowResult(number, f"{cells.get('点位编码', '')} {cells.get('点位名称', '')}".strip())
        code = _check(row, lambda: fields.code(cells.get("点位编码"), "点位编码"))
        if code and code_key(code) in first:
            row.fail(f"点位编码与第{first[code_key(code)]}行重复")
        elif code:
            first[code_key(code)] = number
        name = _check(row, lambda: fields.text(cells.get("点位名称"), "点位名称", 100, required=True))
        kind = kinds.get((cells.get("类型") or "").strip())
        if kind is None or not kind.active:
            row.fail(f"类型“{cells.get('类型') or ''}”不是在用的点位类型")
        district = _check(row, lambda: fields.text(cells.get("区县"), "区县", 32, required=True))
        new_district = district and _check(row, lambda: district_note(district, known))
        street = _check(row, lambda: fields.text(cells.get("街道"), "街道", 64))
        address = _check(row, lambda: fields.text(cells.get("地址"), "地址", 200))
        description = _check(row, lambda: fields.text(cells.get("点位说明"), "点位说明", 1000))
        chosen = {}
        for role, column in UNIT_COLUMNS:
            value = (cells.get(column) or "").strip()
            if not value:
                if role == "territorial":
                    row.fail("缺少属地单位编码")
                chosen[role] = None
                continue
            unit = units.get(value)
            if unit is None:
                row.fail(f"{column[:-2]}“{value}”不存在")
            elif not unit.active:
                row.fail(f"单位“{unit.name}”已停用")
            chosen[role] = unit
        if isinstance(location, Invalid):
            row.fail(location.message)
            location = None
        if location is not None and (far := far_from_city(location, box)):
            row.fail(f"坐标有误：{far}")
        active = None
        if cells.get("状态"):
            active = _check(row, lambda: fields.active_flag(cells["状态"]))
        rows.append(row)
        if row.action == "error":
            continue
        values = {"name": name, "kind": kind, "district": district, "street": street or "",
                  "address": address or "", "description": description or "", "units": chosen,
                  "location": location, "active": active}
        site = existing.get(code)
        if new_district:  # first: the clerk sees a district the city never had
            row.messages.append(new_district)
        if site is None:
            row.action = "add"
            row.messages.append(f"新增{kind.name}点位，属地：{chosen['territorial'].name}")
            row.apply = _adder(code, values, now)
            continue
        changes = _changes(site, values)
        if changes:
            row.action = "change"
            row.messages.extend(changes)
            row.apply = _updater(site, values)
    return rows


def _changes(site: Site, v: dict) -> list[str]:
    changes = []
    for label, old, new in (("名称", site.name, v["name"]), ("类型", site.kind.name, v["kind"].name),
                            ("区县", site.district, v["district"]), ("街道", site.street, v["street"]),
                            ("地址", site.address, v["address"]), ("说明", site.description, v["description"])):
        if (old or "") != (new or ""):
            changes.append(f"{label}：{old or '（空）'} → {new or '（空）'}")
    for role, column in UNIT_COLUMNS:
        old, new = site.unit_for(role), v["units"][role]
        if (old.id if old else None) != (new.id if new else None):
            changes.append(f"{column[:-4]}：{old.name if old else '（无）'} → {new.name if new else '（无）'}")
    lat, lon, area = v["location"]
    if (area or []) != site.area or abs((site.lat or 0) - lat) > 1e-6 or abs((site.lon or 0) - lon) > 1e-6:
        changes.append("位置已更新")
    if v["active"] is not None and v["active"] != site.active:
        changes.append("状态：" + ("在用 → 停用" if site.active else "停用 → 在用"))
    return changes


def _apply(site: Site, v: dict) -> None:
    site.name, site.kind, site.district = v["name"], v["kind"], v["district"]
    site.street, site.address, site.description = v["street"], v["address"], v["description"]
    for role, _ in UNIT_COLUMNS:
        setattr(site, f"{role}_unit", v["units"][role])
    site.place(*v["location"])
    if v["active"] is not None:
        site.active = v["active"]


def _adder(code: str, v: dict, now: datetime):
    def apply():
        site = Site(code=code, created_at=now, active=True)
        _apply(site, v)
        db.session.add(site)
    return apply


def _updater(site: Site, v: dict):
    return lambda: _apply(site, v)


def run_import(filename: str, data: bytes, now: datetime, dry_run: bool) -> ImportResult:
    table = read_spec_table(SPEC, filename, data)
    rows = plan(table.rows, now)
    result = ImportResult("sites", rows, dry_run)
    if dry_run or result.errors:
        return result
    try:
        with db.session.no_autoflush:
            for row in rows:
                if row.apply is not None:
                    row.apply()
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Invalid("导入时数据库拒绝了部分数据（可能是他人同时修改），未写入任何数据。请检查后重试。",
                      code="import_conflict") from None
    result.written = True
    return result


# ----------------------------------------------------------------------------- export and template

def rows() -> Iterator[list]:
    codes = dict(db.session.execute(select(Unit.id, Unit.code)).all())
    query = select(Site).order_by(by_code_point(Site.district), Site.code).execution_options(yield_per=500)
    for site in db.session.scalars(query):
        area = coords.format_polyline(site.area, coords.WGS84) if site.is_area else ""
        point = "" if site.is_area or site.lat is None else f"{site.lon:.6f},{site.lat:.6f}"
        yield [site.code, site.name, site.kind.name, site.district, site.street, site.address, point, area,
               coords.WGS84, codes.get(site.territorial_unit_id, ""), codes.get(site.sector_unit_id, ""),
               codes.get(site.operator_unit_id, ""), site.description, "在用" if site.active else "停用"]


def notes(spec: Spec = SPEC) -> list[list[str]]:
    result = [["列名", "说明"]] + [[c + ("（必填）" if c in spec.required else ""), spec.help.get(c, "")]
                                   for c in spec.columns]
    result += [[], ["说明", "第一个工作表第一行是表头，从第二行起每行一条数据。不要合并单元格，不要使用公式。"],
               ["", "也可以另存为 CSV（UTF-8 或 GBK 编码均可）再导入。导入前会先预览，全部无误才会写入。"]]
    return result


def xlsx(template: bool = False) -> IO[bytes]:
    return write_xlsx(SPEC.columns, [] if template else rows(), title=SPEC.label, widths=SPEC.widths, notes=notes())


def csv(template: bool = False, encoding: str = CSV_DEFAULT_ENCODING) -> Iterator[bytes]:
    return csv_chunks(SPEC.columns, [] if template else rows(), encoding=encoding)
