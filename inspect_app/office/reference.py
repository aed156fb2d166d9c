"""The office's reference data: units, road segments, categories. Callers commit.

Retiring never deletes: old tickets keep their unit and segment; dispatch skips retired rows.
Changing a segment's unit changes nothing already dispatched (tickets keep the unit they were given).
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ..common import coords
from ..common.codes import same_code
from ..common.errors import Invalid, NotFound
from ..common.flags import flag
from ..common.ids import get_row
from ..common.sql import any_like, by_code_point, like_pattern
from ..common.text import name_text
from ..common.unique import unique_write
from ..extensions import db
from ..tickets.models import Ticket
from ..tickets.rules import ACTIVE_STATUSES
from ..units.models import DEFAULT_ROUTE, ROUTES, SEGMENT_KINDS, UNIT_KINDS, Category, Segment, Unit
from ..units.services import same_category_name
from . import fields

PER_PAGE = 50


def get(model, ident) -> object:
    row = get_row(model, ident)
    if row is None:
        raise NotFound("记录不存在。")
    return row


# ----------------------------------------------------------------------------- units

def list_units(q: str = "", kind: str = "", include_retired: bool = False) -> list[Unit]:
    query = select(Unit).order_by(Unit.active.desc(), Unit.code)
    if q:
        query = query.where(any_like((Unit.name, Unit.code, Unit.contact_person), like_pattern(q)))
    if kind:
        query = query.where(Unit.kind == kind)
    if not include_retired:
        query = query.where(Unit.active.is_(True))
    return list(db.session.scalars(query))

def _parent(value, unit: Unit | None) -> Unit | None:
    raw = "" if value is None else str(value).strip()
    if not raw:
        return None
    parent = get_row(Unit, raw)
    if parent is None:
        raise Invalid("上级单位不存在。", code="invalid_parent")
    if unit is not None:
        node = parent
        while node is not None:
            if node.id == unit.id:
                raise Invalid("上级单位不能是本单位或其下级单位。", code="invalid_parent")
            node = node.parent
    return parent


def save_unit(data: Mapping, now: datetime, unit: Unit | None = None) -> Unit:
    """Add (unit=None) or edit a unit from form/JSON fields: code, name, kind, parent_id, contact_*."""
    code = fields.code(data.get("code"), "单位编码")
    name = fields.text(data.get("name"), "单位名称", 100, required=True)
    kind = fields.choice(data.get("kind"), "单位类型", UNIT_KINDS)
    parent = _parent(data.get("parent_id"), unit)
    contact_person = fields.text(data.get("contact_person"), "联系人", 64)
    contact_phone = fields.phone(data.get("contact_phone"))
    own_id = unit.id if unit is not None else -1
    _refuse_unit_taken(code, name, own_id)
    with unique_write(lambda: _refuse_unit_taken(code, name, own_id)):
        if unit is None:
            unit = Unit(created_at=now, active=True)
            db.session.add(unit)
        unit.code, unit.name, unit.kind = code, name, kind
        unit.parent = parent
        unit.contact_person, unit.contact_phone = contact_person, contact_phone
    return unit


def _refuse_unit_taken(code: str, name: str, own_id: int) -> None:
    other = db.session.scalar(select(Unit.code).where(same_code(Unit.code, code), Unit.id != own_id))
    if other:  # codes are matched whatever their case (units_by_code): JD0105 and jd0105 would be one code
        raise Invalid(f"单位编码“{code}”已被其他单位使用" + (f"（{other}，仅大小写不同）" if other != code else "")
                      + "。", code="duplicate_code")
    if db.session.scalar(select(Unit.id).where(Unit.name == name, Unit.id != own_id)):
        raise Invalid(f"单位名称“{name}”已存在。", code="duplicate_name")


def set_unit_active(unit: Unit, active: bool) -> None:
    unit.active = active


def unit_usage(unit: Unit) -> dict:
    """What hangs on a unit, shown before retiring it."""
    from ..auth.models import User
    return {
        "segments": db.session.scalar(select(func.count(Segment.id)).where(Segment.unit_id == unit.id,
                                                                          Segment.active.is_(True))),
        "adopted": db.session.scalar(select(func.count(Segment.id)).where(Segment.adopting_unit_id == unit.id,
                                                                         Segment.active.is_(True))),
        "categories": db.session.scalar(select(func.count(Category.id)).where(Category.owner_unit_id == unit.id,
                                                                             Category.active.is_(True))),
        "users": db.session.scalar(select(func.count(User.id)).where(User.unit_id == unit.id,
                                                                    User.active.is_(True))),
        # its problems not yet closed stay with it when it is retired: the office reassigns them
        "open_tickets": db.session.scalar(select(func.count(Ticket.id)).where(
            Ticket.unit_id == unit.id, Ticket.status.in_(ACTIVE_STATUSES))),
    }


# ----------------------------------------------------------------------------- segments

def districts() -> list[str]:
    district = by_code_point(Segment.district)
    return [d for d in db.session.scalars(select(district).distinct().order_by(district)) if d]


# ----------------------------------------------------------------------------- districts (区县)
# 区县 is typed text on segments and sites; every page groups by it (the sites' and 组织测评's district lists, the
# patrols' district links, the dashboard's map), so "河东" typed for 河东区 made a second district. An import names
# a district the city has never used before it is written.

_GOVERNMENT = re.compile(r"(人民政府|政府|管理委员会|管委会)$")
_LEVELS = "区县市旗"


def district_of_unit(name: str) -> str:
    """The district a 区县 unit's name names: 清源市河东区人民政府 → 河东区, 高新区管委会 → 高新区,
    浏阳市人民政府 → 浏阳市 (津市市 stays 津市市: what follows its first 市 is no district)."""
    base = _GOVERNMENT.sub("", name.strip())
    _city, mark, rest = base.partition("市")
    return rest if mark and len(rest) >= 2 and rest[-1] in _LEVELS else base


def known_districts() -> set[str]:
    """Every district the city has: its segments' and sites' (retired ones too) and those its 区县 units name."""
    from ..sites.models import Site

    found = set(districts()) | set(db.session.scalars(select(Site.district).distinct()))
    found |= {district_of_unit(name) for name in db.session.scalars(select(Unit.name).where(Unit.kind == "区县"))}
    return {name for name in found if name}


def _stem(name: str) -> str:
    name = "".join(name.split())
    return name[:-1] if len(name) > 2 and name[-1] in _LEVELS else name


def _close(typed: str, known: str) -> bool:
    """One district written two ways: without or with another level (河东, 河东县 for 河东区), or with the city's
    name in front (清源市河东区)."""
    if _stem(typed) == _stem(known):
        return True
    short, long = sorted((typed, known), key=len)
    return long.endswith(short) and long[-len(short) - 1] in "省市州盟"


def district_note(district: str, known: Collection[str]) -> str | None:
    """What an import says of a row's 区县 (known: known_districts()): nothing for one the city has, else
    新增区县“…” for the preview to show. One a known district is written another way (河东 for 河东区) is refused
    with the known one to use."""
    if not district or district in known:
        return None
    close = sorted(name for name in known if _close(district, name))
    if close:
        raise Invalid(f"区县“{district}”与已有的区县“{close[0]}”写法不同，请改为“{close[0]}”", code="unknown_district")
    return f"新增区县“{district}”（此前没有用过的区县名称，请确认无误）"


def checked_district(district: str, current: str | None = None) -> None:
    """A segment's or site's 区县 typed in a form or an API body, when it is new to that record: a known district
    written another way is refused as an import refuses it (district_note); one the city never used is taken."""
    if district and district != current:
        district_note(district, known_districts())


def new_district_notice(district: str, known: Collection[str]) -> str | None:
    """What a page says after saving a record whose 区县 was not among `known` (known_districts() before)."""
    if district and district not in known:
        return f"已新增区县“{district}”（此前没有用过的区县名称），请确认无误；写错了请改正。"
    return None


def list_segments(name: str = "", district: str = "", unit_id: int | None = None, include_retired: bool = False,
                  page: int = 1) -> tuple[list[Segment], int]:
    query = select(Segment)
    if name:
        query = query.where(any_like((Segment.name,), like_pattern(name)))
    if district:
        query = query.where(Segment.district == district)
    if unit_id:
        query = query.where(Segment.unit_id == unit_id)
    if not include_retired:
        query = query.where(Segment.active.is_(True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Segment.active.desc(), by_code_point(Segment.district), by_code_point(Segment.name),
                           Segment.id)
    rows = db.session.scalars(query.limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)).unique()
    return list(rows), total


def segment_points(data: Mapping, geojson: bytes | None, required: bool) -> list[list[float]] | None:
    """Coordinates from a pasted 'lng,lat;lng,lat' or an uploaded GeoJSON, in the system the user named,
    as WGS-84. None when nothing was given and nothing is required (an edit keeping the old line)."""
    text = (data.get("coords") or "").strip()
    if not text and not geojson:
        if required:
            raise Invalid("请填写坐标（经度,纬度;经度,纬度）或上传 GeoJSON 文件。", code="coords_required")
        return None
    try:
        system = coords.parse_system(data.get("coord_system"))
        return coords.parse_geojson(geojson, system) if geojson else coords.parse_polyline(text, system)
    except coords.CoordinateError as problem:
        raise Invalid(f"坐标有误：{problem}", code="invalid_coords") from None


def city_box(exclude_id: int | None = None) -> tuple[float, float, float, float] | None:
    """(min_lat, max_lat, min_lon, max_lon) around the city's active segments (but `exclude_id`), or None for a city
    without any yet (nothing to tell a typo from: its first segment places it)."""
    n, *box = db.session.execute(
        select(func.count(), func.min(Segment.min_lat), func.max(Segment.max_lat), func.min(Segment.min_lon),
               func.max(Segment.max_lon))
        .where(Segment.active.is_(True), Segment.id != (exclude_id or -1), Segment.min_lat.is_not(None))).one()
    return tuple(box) if n else None


def import_boxes(lines: list[list[list[float]] | None]) -> list[tuple[float, float, float, float] | None]:
    """The box each of an import's lines (WGS-84 points, or None) is held to: the city's (city_box), or, for a city
    without segments yet, the box around the file's other lines. Its first import thus still refuses a row typed
    117.414 for 116.414, 85 km from the rest, as a later one does; a file of one line places the city."""
    box = city_box()
    if box is not None:
        return [box] * len(lines)
    own = {i: (min(p[1] for p in line), max(p[1] for p in line), min(p[0] for p in line), max(p[0] for p in line))
           for i, line in enumerate(lines) if line}
    # the two lines reaching farthest each way: the box without line i takes the second where i is the first
    ends = [sorted(own, key=lambda i: own[i][k] * way)[:2] for k, way in ((0, 1), (1, -1), (2, 1), (3, -1))]
    return [tuple(own[two[1] if two[0] == i else two[0]][k] for k, two in enumerate(ends))
            if i in own and len(own) > 1 else None for i in range(len(lines))]


def outside_city(points: list[list[float]], box, margin_km: float) -> str | None:
    """Why these WGS-84 points are no segment of this city (one farther than `margin_km` from the box around its
    segments), or None."""
    if box is None or margin_km <= 0:
        return None
    min_lat, max_lat, min_lon, max_lon = box
    for index, (lon, lat) in enumerate(points, start=1):
        dy = max(0.0, lat - max_lat, min_lat - lat) * 110.57
        dx = max(0.0, lon - max_lon, min_lon - lon) * 111.32 * math.cos(math.radians(lat))
        off = math.hypot(dx, dy)
        if off > margin_km:
            where = f"第{index}个点" if len(points) > 1 else "该点"
            return (f"{where}（{lon:.5f},{lat:.5f}）距本市已有路段约{off:.0f}公里，请核对经纬度和坐标系"
                    f"（超出{margin_km:.0f}公里视为录入有误）。")
    return None


def _active_unit(value, label: str = "责任单位", required: bool = True) -> Unit | None:
    raw = "" if value is None else str(value).strip()
    if not raw:
        if required:
            raise Invalid(f"请选择{label}。", code="unit_required")
        return None
    unit = get_row(Unit, raw)
    if unit is None or not unit.active:
        raise Invalid(f"{label}不存在或已停用。", code="invalid_unit")
    return unit


def save_segment(data: Mapping, geojson: bytes | None = None, segment: Segment | None = None) -> Segment:
    """Add or edit a segment: name, district, kind, unit_id (属地), adopting_unit_id (包抓, optional), coords +
    coord_system (or a GeoJSON file)."""
    name = fields.text(data.get("name"), "路段名称", 100, required=True)
    district = fields.text(data.get("district"), "区县", 32, required=True)
    checked_district(district, segment.district if segment is not None else None)
    kind = fields.choice(data.get("kind"), "路段类型", SEGMENT_KINDS)
    unit = _active_unit(data.get("unit_id"), "属地单位")
    adopting = _active_unit(data.get("adopting_unit_id"), "包抓单位", required=False)
    points = segment_points(data, geojson, required=segment is None)
    own_id = segment.id if segment is not None else -1
    far = points and outside_city(points, city_box(own_id), float(current_app.config["SEGMENT_CITY_MARGIN_KM"]))
    if far:
        raise Invalid(f"坐标有误：{far}", code="invalid_coords")
    if db.session.scalar(select(Segment.id).where(Segment.name == name, Segment.district == district,
                                                  Segment.id != own_id)):
        raise Invalid(f"{district}已有名为“{name}”的路段。", code="duplicate_name")
    if segment is None:
        segment = Segment(active=True)
        db.session.add(segment)
    segment.name, segment.district, segment.kind, segment.unit = name, district, kind, unit
    segment.adopting_unit = adopting
    if points is not None:
        segment.coords = points
    db.session.flush()
    return segment


def set_segment_active(segment: Segment, active: bool) -> None:
    if active and not segment.unit.active:
        raise Invalid("该路段的责任单位已停用，请先更换责任单位。", code="invalid_unit")
    segment.active = active


# ----------------------------------------------------------------------------- categories

def list_categories(include_retired: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.active.desc(), by_code_point(Category.group), Category.sort_order,
                                      Category.id)
    if not include_retired:
        query = query.where(Category.active.is_(True))
    return list(db.session.scalars(query).unique())


def groups() -> list[str]:
    group = by_code_point(Category.group)
    return [g for g in db.session.scalars(select(group).distinct().order_by(group)) if g]


def save_category(data: Mapping, category: Category | None = None, owner_choice_ids=None) -> Category:
    """Add or edit: name, group, deadline_kind (hours|workdays), deadline_value, rework_kind (""|hours|workdays:
    blank is the REWORK_DEADLINE_* setting) and rework_value, urgent, common, route (whom its problems go to,
    units.models.ROUTES), owner_unit_id (its own unit), owner_choice_ids (the 产权 units an inspector may pick),
    code (blank on add: generated)."""
    name = category_name(data.get("name"))
    group = fields.text(data.get("group"), "分组", 32, required=True)
    kind = fields.choice(data.get("deadline_kind") or "hours", "时限方式", ("hours", "workdays"))
    if kind == "hours":
        hours, workdays = fields.integer(data.get("deadline_value"), "整改时限（小时）", 1, 720), None
    else:
        hours, workdays = None, fields.integer(data.get("deadline_value"), "整改时限（工作日）", 1, 60)
    rework_kind = (data.get("rework_kind") or "").strip()
    if rework_kind:
        rework_kind = fields.choice(rework_kind, "返工时限方式", ("hours", "workdays"))
    rework_hours = rework_workdays = None
    if rework_kind == "hours":
        rework_hours = fields.integer(data.get("rework_value"), "返工时限（小时）", 1, 720)
    elif rework_kind == "workdays":
        rework_workdays = fields.integer(data.get("rework_value"), "返工时限（工作日）", 1, 60)
    owner = _active_unit(data.get("owner_unit_id"), "责任单位", required=False)
    route = (data.get("route") or "").strip() or ("own" if owner else DEFAULT_ROUTE)
    if route not in ROUTES:
        raise Invalid("派遣规则不正确。", code="invalid_route")
    if route == "own" and owner is None:
        raise Invalid("派遣给“本类别的责任单位”时，请选择责任单位。", code="unit_required")
    choices = [_active_unit(u, "产权单位") for u in (owner_choice_ids or []) if str(u).strip()]
    raw_code = (data.get("code") or "").strip()
    code = fields.code(raw_code, "类别编码") if raw_code else (category.code if category else None)
    own_id = category.id if category is not None else -1
    urgent = flag(data.get("urgent"), "urgent", label="紧急（urgent）")
    common = flag(data.get("common"), "common", label="常用（common）")
    _refuse_category_taken(code, name, own_id)
    with unique_write(lambda: _refuse_category_taken(code, name, own_id)):
        if category is None:
            category = Category(active=True, sort_order=100)
            db.session.add(category)
        category.name, category.group = name, group
        category.deadline_hours, category.deadline_workdays = hours, workdays
        category.rework_hours, category.rework_workdays = rework_hours, rework_workdays
        category.urgent, category.common = urgent, common
        category.owner_unit = owner
        category.route = route
        if owner_choice_ids is not None:
            category.owner_choices = choices
        category.code = code or f"tmp-{id(category)}"
    if not code:
        category.code = f"cat{category.id}"
    return category


def category_name(value) -> str:
    """类别名称 as stored and compared: on one line (a run of spaces one), a Chinese input method's full-width
    letters and digits (ＬＥＤ屏) as ASCII, as 门前四包 names are (common/text.py name_text)."""
    name = name_text(fields.text(value, "类别名称", 64, required=True))
    if not name:  # nothing but control characters
        raise Invalid("类别名称不能为空。", code="required")
    return name


def _refuse_category_taken(code: str | None, name: str, own_id: int) -> None:
    other = code and db.session.scalar(select(Category.code).where(same_code(Category.code, code),
                                                                   Category.id != own_id))
    if other:  # Niupixuan beside niupixuan would be one code twice (common/codes.py)
        raise Invalid(f"类别编码“{code}”已存在" + (f"（{other}，仅大小写不同）" if other != code else "") + "。",
                      code="duplicate_code")
    _refuse_name_taken(name, own_id)


def _refuse_name_taken(name: str, own_id: int, restoring: bool = False) -> None:
    """One category in use of a name, whatever the letter case of its Latin letters (the database's
    uq_categories_active_upper_name, compared with the same upper())."""
    other = db.session.scalar(select(Category.name).where(same_category_name(name),
                                                          Category.active.is_(True), Category.id != own_id))
    if other is not None:
        raise Invalid(f"已有名为“{name}”的类别" + (f"（{other}，仅大小写不同）" if other != name else "")
                      + ("，请先修改其中一个的名称再恢复。" if restoring else "。"), code="duplicate_name")


def set_category_active(category: Category, active: bool) -> None:
    """Retire, or restore: a category restored while another in use has taken its name is refused (two buttons
    of one name on the filing page), as a save of that name is."""
    if not active or category.active:
        category.active = active
        return
    name, own_id = category.name, category.id
    _refuse_name_taken(name, own_id, restoring=True)
    with unique_write(lambda: _refuse_name_taken(name, own_id, restoring=True)):
        category.active = True
