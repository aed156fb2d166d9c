"""Importing units, road segments, accounts, 门前四包 frontages, 12345 hotline cases, a superior's assessment
feedback list and the key tasks' breakdown from the office's spreadsheets (the last four are planned by their
features: frontages/imports.py, intake/hotline.py, intake/feedback.py, keytasks/exports.py).

Every row is checked first and gets an action: add, change, unchanged or error (with the reason).
Nothing is written unless every row is valid; then all rows are applied in the caller's one
transaction (the caller commits, or rolls back on any failure)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from flask import current_app
from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import ROLE_LABELS, User
from ..auth.names import normal_username, username_key, username_problem
from ..auth.services import password_problem
from ..common import coords
from ..common.codes import code_key
from ..common.errors import Invalid, ServiceError
from ..common.text import join_clauses
from ..extensions import db
from ..units.models import SEGMENT_KINDS, UNIT_KINDS, Segment, Unit
from ..units.services import units_by_code
from . import accounts, fields
from .reference import district_note, import_boxes, known_districts, outside_city
from .spreadsheets import Table, read_table


@dataclass
class Spec:
    kind: str
    label: str
    columns: list[str]
    required: list[str]
    help: dict[str, str]
    widths: list[int]
    after: str = "office.home"      # the page shown after a successful import
    exportable: bool = True         # the data can be exported in the import's own columns
    aliases: dict[str, str] = field(default_factory=dict)  # other names a source's files use for a column
    # Columns of the source's own beside ours are read past (and named on the preview), not refused: the file is
    # another system's export (the 12345 hotline's), not our template filled in.
    extra_columns: bool = False


SPECS = {
    "units": Spec("units", "责任单位",
                  ["单位编码", "单位名称", "类型", "上级单位编码", "联系人", "联系电话", "状态"],
                  ["单位编码", "单位名称", "类型"],
                  {"单位编码": f"必填。{fields.CODE_RULE}；按编码匹配已有单位，已有则更新。",
                   "单位名称": "必填，全市唯一。",
                   "类型": "必填：" + "、".join(UNIT_KINDS),
                   "上级单位编码": "选填：已有单位或本文件中单位的编码（如街道的上级为区县）。",
                   "联系人": "选填。", "联系电话": "选填，如 0731-88888888 或 13800138000。",
                   "状态": "选填：在用 / 停用；留空表示新增为在用、已有单位保持不变。停用的单位不再接收新问题。"},
                  [14, 28, 10, 14, 12, 18, 8], after="office.units"),
    "segments": Spec("segments", "责任路段",
                     ["路段名称", "区县", "类型", "责任单位编码", "包抓单位编码", "坐标", "坐标系", "状态"],
                     ["路段名称", "区县", "类型", "责任单位编码", "坐标", "坐标系"],
                     {"路段名称": "必填；按“区县 + 路段名称”匹配已有路段，已有则更新。",
                      "区县": "必填，如 XX区，与已有区县的写法一致（此前没有用过的区县在预览中注明）。",
                      "类型": "必填：" + "、".join(SEGMENT_KINDS),
                      "责任单位编码": "必填：路段的属地单位（街道办事处或区县）的编码，须为在用单位。更换只影响今后的新问题。",
                      "包抓单位编码": "选填：认领该路段的市直部门（包抓单位）的编码；留空表示无包抓单位"
                                "（表中无此列时已有路段的包抓单位保持不变）。",
                      "坐标": "必填：路段走向的折线，“经度,纬度;经度,纬度”，如 112.930000,28.230000;112.940000,28.230000",
                      "坐标系": "必填：WGS84（GPS、手机、天地图）、GCJ02（高德、腾讯地图）或 BD09（百度地图）。"
                              "系统统一换算为 WGS84 保存；填错坐标系会使位置偏差数百米。",
                      "状态": "选填：在用 / 停用；留空表示新增为在用、已有路段保持不变。"},
                     [20, 10, 12, 14, 14, 60, 8, 8], after="office.segments"),
    "accounts": Spec("accounts", "账号",
                     ["用户名", "姓名", "角色", "单位编码", "手机号码", "状态", "初始密码"],
                     ["用户名", "角色"],
                     {"用户名": "必填，登录用，唯一（不区分大小写）；按用户名匹配已有账号。",
                      "姓名": "选填。",
                      "角色": "必填：" + "、".join(ROLE_LABELS.values()),
                      "单位编码": "角色为“责任单位”时必填：账号所属单位的编码。",
                      "手机号码": "选填。",
                      "状态": "选填：在用 / 停用。",
                      "初始密码": "新账号选填：留空则由系统生成并在导入完成后显示一次。已有账号忽略此列（重置密码请在账号页面操作）。"
                              "首次登录须修改密码。"},
                     [16, 12, 10, 14, 14, 8, 16], after="office.accounts_list"),
}


@dataclass
class RowResult:
    row: int
    key: str
    action: str = "unchanged"  # add | change | unchanged | error
    messages: list[str] = field(default_factory=list)
    apply: Callable[[], None] | None = None
    prepare: Callable[[], None] | None = None  # slow work (password hashing) done before anything is written
    password: str | None = None

    def fail(self, message: str) -> None:
        self.action = "error"
        self.messages.append(message)

    def as_dict(self) -> dict:
        result = {"row": self.row, "action": self.action, "message": join_clauses(self.messages), "key": self.key}
        if self.password:
            result["password"] = self.password
        return result


@dataclass
class ImportResult:
    kind: str
    rows: list[RowResult]
    dry_run: bool
    written: bool = False
    ignored_columns: list[str] = field(default_factory=list)  # the file's columns that were not read (extra_columns)

    @property
    def errors(self) -> int:
        return sum(r.action == "error" for r in self.rows)

    def count(self, action: str) -> int:
        return sum(r.action == action for r in self.rows)

    def as_dict(self) -> dict:
        return {"rows": [r.as_dict() for r in self.rows], "added": self.count("add"),
                "changed": self.count("change"), "unchanged": self.count("unchanged"), "errors": self.errors,
                "dry_run": self.dry_run, "written": self.written, "ignored_columns": self.ignored_columns}


def max_rows() -> int:
    return int(current_app.config["OFFICE_IMPORT_MAX_ROWS"])


def read_spec_table(spec: Spec, filename: str, data: bytes) -> Table:
    """The upload read in the spec's columns: a column of none of its names is refused, unless the spec reads
    another system's export (extra_columns)."""
    return read_table(filename, data, spec.columns, spec.required, max_rows(), aliases=spec.aliases,
                      extra_columns=spec.extra_columns)


def spec_for(kind: str) -> Spec:
    if kind not in SPECS:
        raise ServiceError("没有这种导入。", code="unknown_import", status=404)
    return SPECS[kind]


def run_import(kind: str, filename: str, data: bytes, now: datetime, actor: User, dry_run: bool,
               progress: Callable[..., None] | None = None) -> ImportResult:
    """Check every row; unless dry_run or any row has an error, apply them all (caller commits).

    `progress(done, total)` is told how the slow part (hashing new accounts' passwords, done before anything is
    written) advances; a background job passes its heartbeat here."""
    spec = spec_for(kind)
    table = read_spec_table(spec, filename, data)
    rows, finish = PLANNERS[kind](table, now, actor)
    result = ImportResult(kind, rows, dry_run, ignored_columns=table.unknown + table.unnamed)
    if dry_run or result.errors:
        return result
    slow = [row for row in rows if row.prepare is not None]
    for done, row in enumerate(slow, start=1):
        row.prepare()
        if progress is not None:
            progress(done, len(slow))
    try:
        with db.session.no_autoflush:
            for row in rows:
                if row.apply is not None:
                    row.apply()
        if finish is not None:
            finish()
        db.session.flush()  # no progress() from here on: on SQLite this transaction now holds the write lock
    except IntegrityError:
        db.session.rollback()
        raise Invalid("导入时数据库拒绝了部分数据（可能是名称互换或他人同时修改），未写入任何数据。请检查后重试。",
                      code="import_conflict") from None
    result.written = True
    return result


def _diff(label: str, old, new, changes: list[str]) -> None:
    if (old or "") != (new or ""):
        changes.append(f"{label}：{old or '（空）'} → {new or '（空）'}")


def _check(row: RowResult, check: Callable[[], object]):
    try:
        return check()
    except Invalid as problem:
        row.fail(problem.message)
        return None


def _status(row: RowResult, cells: dict) -> bool | None:
    if not cells.get("状态"):
        return None
    return _check(row, lambda: fields.active_flag(cells["状态"]))


def _duplicates(rows: list[RowResult], keys: list[str | None], label: str) -> None:
    first: dict[str, int] = {}
    for row, key in zip(rows, keys):
        if not key:
            continue
        if key in first:
            row.fail(f"{label}与第{first[key]}行重复")
        else:
            first[key] = row.row


# ----------------------------------------------------------------------------- units

def plan_units(table: Table, now: datetime, actor: User) -> tuple[list[RowResult], Callable | None]:
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    parsed, rows = [], []
    for number, cells in table.rows:
        row = RowResult(number, f"{cells.get('单位编码', '')} {cells.get('单位名称', '')}".strip())
        item = {
            "code": _check(row, lambda: fields.code(cells.get("单位编码"), "单位编码")),
            "name": _check(row, lambda: fields.text(cells.get("单位名称"), "单位名称", 100, required=True)),
            "kind": _check(row, lambda: fields.choice(cells.get("类型"), "类型", UNIT_KINDS)),
            "parent": (cells.get("上级单位编码") or "").strip(),
            "contact_person": _check(row, lambda: fields.text(cells.get("联系人"), "联系人", 64)),
            "contact_phone": _check(row, lambda: fields.phone(cells.get("联系电话"))),
            "active": _status(row, cells),
            "has_contact": "联系人" in table.headers, "has_phone": "联系电话" in table.headers,
            "has_parent": "上级单位编码" in table.headers,
        }
        rows.append(row)
        parsed.append(item)
    # a code typed in another case (jd0105, or full-width) is the unit of that code (JD0105), as every import finds
    # units: one already kept, or one this file adds (a new 区县 and its 街道 naming it as qx10)
    canonical = {code_key(code): code for code in existing}
    for item in parsed:
        if item["code"]:
            canonical.setdefault(code_key(item["code"]), item["code"])
    for item in parsed:
        for key in ("code", "parent"):
            if item[key]:
                item[key] = canonical.get(code_key(item[key]), item[key])
    _duplicates(rows, [i["code"].upper() if i["code"] else i["code"] for i in parsed], "单位编码")

    # The state after the import: names stay unique, parents exist and form no cycle.
    final_names = {code: u.name for code, u in existing.items()}
    final_parent = {code: (u.parent.code if u.parent else "") for code, u in existing.items()}
    for row, item in zip(rows, parsed):
        if item["code"] and row.action != "error":
            if item["name"]:
                final_names[item["code"]] = item["name"]
            if item["has_parent"]:
                final_parent[item["code"]] = item["parent"]
    owners: dict[str, list[str]] = {}
    for code, name in final_names.items():
        owners.setdefault(name, []).append(code)
    for row, item in zip(rows, parsed):
        if row.action == "error" or not item["code"]:
            continue
        others = [c for c in owners.get(item["name"], []) if c != item["code"]]
        if others:
            row.fail(f"单位名称“{item['name']}”重复（已被单位编码 {others[0]} 使用）")
        parent = item["parent"]
        if item["has_parent"] and parent:
            if parent == item["code"]:
                row.fail("上级单位不能是本单位")
            elif parent not in final_names:
                row.fail(f"上级单位编码“{parent}”不存在")
            else:
                seen, node = {item["code"]}, parent
                while node:
                    if node in seen:
                        row.fail("上级单位关系形成了循环")
                        break
                    seen.add(node)
                    node = final_parent.get(node, "")

    created: dict[str, Unit] = {}
    parents: list[tuple[str, str]] = []  # (code, parent code), set once every unit exists
    renamed: list[int] = []

    for row, item in zip(rows, parsed):
        if row.action == "error":
            continue
        unit = existing.get(item["code"])
        if unit is None:
            row.action = "add"
            row.messages.append(f"新增{item['kind']}“{item['name']}”")
            row.apply = _unit_adder(item, now, created)
            parents.append((item["code"], item["parent"]))
            continue
        changes: list[str] = []
        _diff("名称", unit.name, item["name"], changes)
        _diff("类型", unit.kind, item["kind"], changes)
        if item["has_parent"]:
            _diff("上级单位", unit.parent.code if unit.parent else "", item["parent"], changes)
        if item["has_contact"]:
            _diff("联系人", unit.contact_person, item["contact_person"], changes)
        if item["has_phone"]:
            _diff("联系电话", unit.contact_phone, item["contact_phone"], changes)
        if item["active"] is not None and item["active"] != unit.active:
            changes.append("状态：" + ("在用 → 停用" if unit.active else "停用 → 在用"))
        if changes:
            row.action = "change"
            row.messages.extend(changes)
            row.apply = _unit_updater(unit, item)
            if unit.name != item["name"]:
                renamed.append(unit.id)
            if item["has_parent"]:
                parents.append((item["code"], item["parent"]))

    def set_parents() -> None:
        if renamed:  # two units may swap names: each first takes a name no unit has (written past the ORM, so
            # the 操作日志 reads 名称：甲 → 乙, not through the stand-in), then its new one at the flush
            with db.session.no_autoflush:  # before the new names are written
                db.session.execute(update(Unit).where(Unit.id.in_(renamed))
                                   .values(name=literal("（改名中）") + cast(Unit.id, String)),
                                   execution_options={"synchronize_session": False})
        # After every unit exists, so a file may list children before their parents.
        db.session.flush()
        for code, parent in parents:
            unit = created.get(code) or existing[code]
            unit.parent = (created.get(parent) or existing.get(parent)) if parent else None

    return rows, set_parents


def _unit_adder(item: dict, now: datetime, created: dict) -> Callable[[], None]:
    def apply():
        unit = Unit(code=item["code"], name=item["name"], kind=item["kind"], created_at=now,
                    contact_person=item["contact_person"] or "", contact_phone=item["contact_phone"] or "",
                    active=item["active"] if item["active"] is not None else True)
        db.session.add(unit)
        created[item["code"]] = unit
    return apply


def _unit_updater(unit: Unit, item: dict) -> Callable[[], None]:
    def apply():
        unit.name, unit.kind = item["name"], item["kind"]
        if item["has_contact"]:
            unit.contact_person = item["contact_person"] or ""
        if item["has_phone"]:
            unit.contact_phone = item["contact_phone"] or ""
        if item["active"] is not None:
            unit.active = item["active"]
    return apply


# ----------------------------------------------------------------------------- segments

COORD_TOLERANCE = 1e-6  # degrees, about 0.1 m: a WGS-84 export read back is "unchanged"


def same_line(a: list[list[float]], b: list[list[float]]) -> bool:
    return len(a) == len(b) and all(math.isclose(p[0], q[0], abs_tol=COORD_TOLERANCE)
                                    and math.isclose(p[1], q[1], abs_tol=COORD_TOLERANCE) for p, q in zip(a, b))


def plan_segments(table: Table, now: datetime, actor: User) -> tuple[list[RowResult], Callable | None]:
    units = units_by_code()  # whatever the case typed
    existing = {(s.district, s.name): s for s in db.session.scalars(select(Segment))}
    known = known_districts()
    rows, keys = [], []
    plans = []
    for number, cells in table.rows:
        row = RowResult(number, f"{cells.get('区县', '')} {cells.get('路段名称', '')}".strip())
        name = _check(row, lambda: fields.text(cells.get("路段名称"), "路段名称", 100, required=True))
        district = _check(row, lambda: fields.text(cells.get("区县"), "区县", 32, required=True))
        new_district = district and _check(row, lambda: district_note(district, known))
        kind = _check(row, lambda: fields.choice(cells.get("类型"), "类型", SEGMENT_KINDS))
        code = (cells.get("责任单位编码") or "").strip()
        unit = units.get(code)
        if not code:
            row.fail("缺少责任单位编码")
        elif unit is None:
            row.fail(f"责任单位编码“{code}”不存在")
        elif not unit.active:
            row.fail(f"责任单位“{unit.name}”已停用")
        adopting_code = (cells.get("包抓单位编码") or "").strip()
        adopting = units.get(adopting_code) if adopting_code else None
        if adopting_code and adopting is None:
            row.fail(f"包抓单位编码“{adopting_code}”不存在")
        elif adopting is not None and not adopting.active:
            row.fail(f"包抓单位“{adopting.name}”已停用")
        has_adopting = "包抓单位编码" in table.headers
        points = None
        try:
            system = coords.parse_system(cells.get("坐标系"))
            points = coords.parse_polyline(cells.get("坐标"), system)
        except coords.CoordinateError as problem:
            row.fail(f"坐标有误：{problem}")
        active = _status(row, cells)
        rows.append(row)
        keys.append(f"{district}\t{name}" if name and district else None)
        plans.append((row, name, district, kind, unit, points, active, adopting if has_adopting else False,
                      new_district))
    margin = float(current_app.config["SEGMENT_CITY_MARGIN_KM"])  # a row far from the others: a typo
    lines = [plan[5] for plan in plans]
    for (row, *_), points, box in zip(plans, lines, import_boxes(lines)):
        if far := points and outside_city(points, box, margin):
            row.fail(f"坐标有误：{far}")
    _duplicates(rows, keys, "路段（区县+名称）")

    for row, name, district, kind, unit, points, active, adopting, new_district in plans:
        if row.action == "error":
            continue
        segment = existing.get((district, name))
        if segment is None:
            row.action = "add"
            if new_district:  # first: the clerk sees a district the city never had
                row.messages.append(new_district)
            row.messages.append(f"新增路段，责任单位：{unit.name}" + (f"，包抓单位：{adopting.name}" if adopting else ""))
            row.apply = _segment_adder(name, district, kind, unit, points, active, adopting or None)
            continue
        changes: list[str] = []
        _diff("类型", segment.kind, kind, changes)
        if segment.unit_id != unit.id:
            changes.append(f"责任单位：{segment.unit.name} → {unit.name}（只影响今后的新问题）")
        if adopting is not False and segment.adopting_unit_id != (adopting.id if adopting else None):
            changes.append(f"包抓单位：{segment.adopting_unit.name if segment.adopting_unit else '（无）'} → "
                           f"{adopting.name if adopting else '（无）'}（只影响今后的新问题）")
        if not same_line(segment.coords, points):
            changes.append(f"坐标：{len(segment.coords)}个点 → {len(points)}个点（位置已更新）")
        if active is not None and active != segment.active:
            changes.append("状态：" + ("在用 → 停用" if segment.active else "停用 → 在用"))
        if changes:
            row.action = "change"
            row.messages.extend(changes)
            row.apply = _segment_updater(segment, kind, unit, points, active, adopting)
    return rows, None


def _segment_adder(name, district, kind, unit, points, active, adopting) -> Callable[[], None]:
    def apply():
        segment = Segment(name=name, district=district, kind=kind, unit=unit, adopting_unit=adopting,
                          active=active if active is not None else True)
        segment.coords = points
        db.session.add(segment)
    return apply


def _segment_updater(segment, kind, unit, points, active, adopting) -> Callable[[], None]:
    """`adopting` False: the file has no 包抓 column, the segment keeps its own."""
    def apply():
        segment.kind, segment.unit = kind, unit
        if adopting is not False:
            segment.adopting_unit = adopting
        if not same_line(segment.coords, points):
            segment.coords = points
        if active is not None:
            segment.active = active
    return apply


# ----------------------------------------------------------------------------- accounts

def plan_accounts(table: Table, now: datetime, actor: User) -> tuple[list[RowResult], Callable | None]:
    units = units_by_code()  # whatever the case typed
    existing = {username_key(u.username): u for u in db.session.scalars(select(User))}
    rows, keys, plans = [], [], []
    for number, cells in table.rows:
        username = normal_username(cells.get("用户名"))  # ＷＡＮＧ is WANG, as on the form and at the login
        row = RowResult(number, username)
        if not username:
            row.fail("缺少用户名")
        elif problem := username_problem(username):
            row.fail(problem)
        role = _check(row, lambda: accounts.parse_role(cells.get("角色")))
        code = (cells.get("单位编码") or "").strip()
        unit = None
        if role == "unit":
            unit = units.get(code)
            if not code:
                row.fail("责任单位账号须填写单位编码")
            elif unit is None:
                row.fail(f"单位编码“{code}”不存在")
            elif not unit.active:
                row.fail(f"单位“{unit.name}”已停用")
        display_name = _check(row, lambda: fields.text(cells.get("姓名"), "姓名", 64))
        phone = _check(row, lambda: fields.phone(cells.get("手机号码"), "手机号码"))
        active = _status(row, cells)
        password = (cells.get("初始密码") or "").strip()
        user = existing.get(username_key(username))
        if user is None and password and (problem := password_problem(password, username)):
            row.fail(f"初始密码太弱：{problem}")
        if user is not None and user.id == actor.id and (role not in (None, "admin") or active is False):
            row.fail("不能通过导入停用自己或取消自己的管理员角色")
        rows.append(row)
        keys.append(username_key(username) or None)
        plans.append((row, user, username, role, unit, display_name, phone, active, password,
                      "姓名" in table.headers, "手机号码" in table.headers))
    _duplicates(rows, keys, "用户名")

    for row, user, username, role, unit, display_name, phone, active, password, has_name, has_phone in plans:
        if row.action == "error":
            continue
        if user is None:
            row.action = "add"
            row.messages.append(f"新增{ROLE_LABELS[role]}账号" + ("" if password else "，将生成初始密码"))
            row.apply = _account_adder(row, username, role, unit, display_name, phone, active, password, now)
            continue
        changes: list[str] = []
        if role != user.role:
            changes.append(f"角色：{user.role_label} → {ROLE_LABELS[role]}")
        if (unit.id if unit else None) != user.unit_id:
            changes.append(f"单位：{user.unit.name if user.unit else '（无）'} → {unit.name if unit else '（无）'}")
        if has_name and display_name:
            _diff("姓名", user.display_name, display_name, changes)
        if has_phone:
            _diff("手机号码", user.phone, phone, changes)
        if active is not None and active != user.active:
            changes.append("状态：" + ("在用 → 停用" if user.active else "停用 → 在用"))
        if changes:
            row.action = "change"
            row.messages.extend(changes)
            row.apply = _account_updater(user, role, unit, display_name if has_name else None,
                                         phone if has_phone else None, active)
        if password:
            row.messages.append("已有账号不修改密码")
    return rows, None


def _account_adder(row, username, role, unit, display_name, phone, active, password, now) -> Callable[[], None]:
    chosen = password or accounts.generate_password()
    hashed: list[str] = []

    def prepare():
        probe = User()  # never added to the session: only its set_password() is used, with the app's method
        probe.set_password(chosen)
        hashed.append(probe.password_hash)

    def apply():
        if not hashed:
            prepare()
        user = User(username=username, role=role, unit=unit, display_name=display_name or username,
                    phone=phone or "", active=active if active is not None else True, created_at=now,
                    must_change_password=True)
        user.password_hash = hashed[0]
        db.session.add(user)
        if not password:
            row.password = chosen
    row.prepare = prepare
    return apply


def _account_updater(user, role, unit, display_name, phone, active) -> Callable[[], None]:
    def apply():
        user.role, user.unit = role, unit
        if display_name:
            user.display_name = display_name
        if phone is not None:
            user.phone = phone
        if active is not None and active != user.active:
            user.active = active
            if not active:
                user.session_version = (user.session_version or 1) + 1
    return apply


PLANNERS = {"units": plan_units, "segments": plan_segments, "accounts": plan_accounts}
COUNTED = {kind: select(func.count()).select_from(model)
           for kind, model in (("units", Unit), ("segments", Segment), ("accounts", User))}


def register(spec: Spec, planner, counted) -> None:
    """A feature's own import, served by the office's import pages and API like the ones above; `counted` is the
    query counting the rows it keeps (shown on the import page)."""
    SPECS[spec.kind] = spec
    PLANNERS[spec.kind] = planner
    COUNTED[spec.kind] = counted


def _register_features() -> None:
    from ..frontages import imports as frontages
    from ..frontages.models import Frontage
    from ..intake import feedback, hotline
    from ..intake.models import IntakeItem
    from ..keytasks import exports as keytasks
    from ..keytasks.models import KeyTask

    register(Spec("frontages", "门前四包责任商户", frontages.COLUMNS, frontages.REQUIRED, frontages.HELP,
                  frontages.WIDTHS, after="frontages.index"), frontages.plan,
             select(func.count()).select_from(Frontage))
    register(Spec("hotline", "12345热线工单", hotline.COLUMNS, hotline.REQUIRED, hotline.HELP, hotline.WIDTHS,
                  after="intake.queue", exportable=False, aliases=hotline.ALIASES, extra_columns=True), hotline.plan,
             select(func.count()).select_from(IntakeItem).where(IntakeItem.source == "hotline"))
    register(Spec("feedback", "上级测评反馈问题", feedback.COLUMNS, feedback.REQUIRED, feedback.HELP, feedback.WIDTHS,
                  after="intake.queue", exportable=False, aliases=feedback.ALIASES, extra_columns=True),
             feedback.plan,
             select(func.count()).select_from(IntakeItem).where(IntakeItem.source == feedback.SOURCE))
    register(Spec("keytasks", "创建任务分解表", keytasks.COLUMNS, keytasks.REQUIRED, keytasks.HELP, keytasks.WIDTHS,
                  after="keytasks.index"), keytasks.plan, select(func.count()).select_from(KeyTask))


_register_features()
KINDS = tuple(SPECS)
EXPORTABLE = tuple(kind for kind, spec in SPECS.items() if spec.exportable)


def is_heavy(result: ImportResult) -> bool:
    """Whether applying a checked import would hold a request too long: many rows, or many new accounts (each
    password hash takes a tenth of a second or more, on purpose). Those run as background jobs."""
    config = current_app.config
    return (len(result.rows) > config["IMPORT_INLINE_MAX_ROWS"]
            or (result.kind == "accounts" and result.count("add") > config["IMPORT_INLINE_MAX_NEW_ACCOUNTS"]))


def needs_job(kind: str, filename: str, data: bytes, now: datetime, actor: User) -> bool:
    """is_heavy() for a file already previewed, without checking every row again: the row count decides, and
    for accounts the number of new ones (their planning is quick). The job checks every row anyway."""
    table = read_spec_table(spec_for(kind), filename, data)
    if len(table.rows) > current_app.config["IMPORT_INLINE_MAX_ROWS"]:
        return True
    if kind != "accounts":
        return False
    rows, _ = plan_accounts(table, now, actor)
    return is_heavy(ImportResult(kind, rows, dry_run=True))


def count_rows(kind: str) -> int:
    return db.session.scalar(COUNTED[kind])
