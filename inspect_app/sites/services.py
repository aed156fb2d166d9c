"""Site types and sites: reading (with a unit's scope), saving from a page's form or the API's JSON, retiring.
Operations flush; the edge commits."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import case, func, or_, select

from ..common import coords
from ..common.codes import same_code
from ..common.errors import Invalid, NotFound
from ..common.geo import degree_box, distance_m, distance_to_area_m
from ..common.ids import get_row, row_id
from ..common.sql import any_like, by_code_point, const, consts, like_pattern
from ..common.text import clean_text, text_value
from ..common.unique import unique_write
from ..extensions import db
from ..http import unknown_arg
from ..policy import UNITS, has_role, sees_citywide
from ..tickets.models import Ticket
from ..tickets.policy import ticket_scope
from ..tickets.rules import ACTIVE_STATUSES
from ..units.models import Unit
from .models import ROLES, Site, SiteKind

MAX_LIST = 5000
PER_PAGE = 50


# ----------------------------------------------------------------------------- kinds

def list_kinds(include_retired: bool = False) -> list[SiteKind]:
    query = select(SiteKind).order_by(SiteKind.sort_order, SiteKind.id)
    if not include_retired:
        query = query.where(SiteKind.active.is_(True))
    return list(db.session.scalars(query))


def find_kind(ref) -> SiteKind | None:
    """A type by name or id (active or not)."""
    ref = str(ref or "").strip()
    if not ref:
        return None
    conditions = [SiteKind.name == ref]
    if (ident := row_id(ref)) is not None:
        conditions.append(SiteKind.id == ident)
    return db.session.scalar(select(SiteKind).where(or_(*conditions)))


def save_kind(name, sort_order=None, kind: SiteKind | None = None) -> SiteKind:
    name = coords_free_text(name, "类型名称", 32, required=True)
    own_id = kind.id if kind is not None else -1
    _refuse_kind_taken(name, own_id)
    order = _int(sort_order, "排序", 0, 9999, required=False)
    with unique_write(lambda: _refuse_kind_taken(name, own_id)):
        if kind is None:
            kind = SiteKind(name=name, sort_order=order if order is not None else _next_order(), active=True)
            db.session.add(kind)
        else:
            kind.name = name
            if order is not None:
                kind.sort_order = order
    return kind


def _refuse_kind_taken(name: str, own_id: int) -> None:
    if db.session.scalar(select(SiteKind.id).where(SiteKind.name == name, SiteKind.id != own_id)):
        raise Invalid(f"点位类型“{name}”已存在。", code="duplicate_kind")


def _next_order() -> int:
    return (db.session.scalar(select(func.max(SiteKind.sort_order))) or 0) + 10


def set_kind_active(kind: SiteKind, active: bool) -> None:
    kind.active = active
    db.session.flush()


# ----------------------------------------------------------------------------- reading sites

def site_scope(user):
    """SQL condition: the sites this user may see (a unit: the sites it answers for in any role)."""
    if sees_citywide(user):
        return Site.id.is_not(None)
    if has_role(user, UNITS) and user.unit_id:
        return or_(Site.territorial_unit_id == user.unit_id, Site.sector_unit_id == user.unit_id,
                   Site.operator_unit_id == user.unit_id)
    return Site.id.is_(None)


def may_see_site(user, site: Site) -> bool:
    return sees_citywide(user) or (has_role(user, UNITS) and user.unit_id is not None
                                   and user.unit_id in site.unit_ids.values())


def visible_site(user, site_id) -> Site | None:
    """The site `site_id` names (an int, or a form's or link's text of digits) if this user may see it, else None:
    text that is no id, or longer than any id, names none."""
    site = get_row(Site, site_id)
    return site if site is not None and may_see_site(user, site) else None


def get_site(user, site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None or not may_see_site(user, site):
        raise NotFound("点位不存在或无权查看。")
    return site


def list_sites(user, kind: str = "", district: str = "", q: str = "", lat: float | None = None,
               lon: float | None = None, include_retired: bool = False, limit: int = MAX_LIST,
               offset: int = 0, exclude_id: int | None = None) -> tuple[list[tuple[Site, float | None]], int]:
    """Sites the user may see, filtered; with lat/lon nearest first (each with its distance in metres). `q` is
    found in the name, code, address or street, in any letter case, `%` and `_` as themselves; `exclude_id`: not
    that site (nor counted)."""
    query = select(Site).where(site_scope(user))
    if exclude_id is not None:
        query = query.where(Site.id != exclude_id)
    if not include_retired:
        query = query.where(Site.active.is_(True))
    if kind:
        found = find_kind(kind)
        if found is None:  # a type mistyped listed no site, as if it had none
            raise unknown_arg("kind", kind, code="invalid_site_kind", label="点位类型")
        query = query.where(Site.kind_id == found.id)
    if district:
        query = query.where(Site.district == district)
    if q:
        query = query.where(any_like((Site.name, Site.code, Site.address, Site.street), like_pattern(q)))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if lat is not None and lon is not None:
        return _nearest_page(query, lat, lon, offset, limit), total
    query = query.order_by(by_code_point(Site.district), Site.kind_id, Site.code).limit(limit).offset(offset)
    return [(s, None) for s in db.session.scalars(query)], total


def site_distance_m(site: Site, lat: float, lon: float) -> float | None:
    """Metres from the point to the site: to a point site; to an area's outline, 0 inside it. None: no position."""
    if site.is_area:
        return distance_to_area_m(lat, lon, site.area)
    return distance_m(lat, lon, site.lat, site.lon) if site.lat is not None and site.lon is not None else None


def nearest_first(sites, lat: float, lon: float) -> list[tuple[Site, float | None]]:
    """Sites with their distance in metres from the point (site_distance_m), nearest first; those without a
    position last. At the same distance the smaller site first: a problem in a market inside a park is the
    market's (both at 0)."""
    rows = [(s, site_distance_m(s, lat, lon)) for s in sites]
    rows.sort(key=lambda pair: (pair[1] is None, pair[1] or 0, pair[0].reach_m or 0, pair[0].id))
    return rows


def _nearest_page(query, lat: float, lon: float, offset: int, limit: int) -> list[tuple[Site, float | None]]:
    """nearest_first(every site of the query)[offset:offset + limit], loading only the sites that can be on the
    page: the query's positions are read as plain columns, and a site is loaded when the least distance it can
    have (to its centre, less its reach: exact for a point) is no farther than the page's last site so far. A
    city's whole register (thousands of sites) matches a broad search or a list by position; the page shows ten."""
    want = offset + limit
    bounds, unplaced = [], []
    for site_id, site_lat, site_lon, reach in db.session.execute(
            query.with_only_columns(Site.id, Site.lat, Site.lon, Site.reach_m).order_by(None)):
        if site_lat is None or site_lon is None:
            unplaced.append(site_id)
        else:
            metres = distance_m(lat, lon, site_lat, site_lon)
            # an area's outline is measured in the point's own projection: a metre and a thousandth of slack
            bounds.append((max(metres - reach - 1 - metres / 1000, 0) if reach else metres, site_id))
    bounds.sort()
    loaded: dict[int, Site] = {}

    def load(ids) -> None:
        ids = [site_id for site_id in ids if site_id not in loaded]
        for start in range(0, len(ids), 500):
            loaded.update((site.id, site) for site in db.session.scalars(
                select(Site).where(Site.id.in_(ids[start:start + 500]))))

    load(site_id for _, site_id in bounds[:want])
    while len(loaded) < len(bounds):
        # the page's farthest distance so far; every site that may come nearer (or as near) is loaded too
        farthest = sorted(site_distance_m(site, lat, lon) for site in loaded.values())[:want][-1]
        more = [site_id for bound, site_id in bounds if bound <= farthest and site_id not in loaded]
        if not more:
            break
        load(more)
    if len(loaded) < want:  # those without a position come last, as in nearest_first
        load(sorted(unplaced)[:want - len(loaded)])
    return nearest_first(loaded.values(), lat, lon)[offset:offset + limit]


def sites_near(user, lat: float, lon: float, radius_m: float, limit: int) -> list[tuple[Site, float]]:
    """The active sites this user may see within `radius_m` of the point, nearest first, at most `limit`: one
    statement, the box around the point in SQL, the distances in Python. Each site's box is widened by its reach,
    so an area whose centre is far but whose outline is near is read too."""
    dlat, dlon = degree_box(lat, radius_m)
    per_m_lat, per_m_lon = degree_box(lat, 1)
    query = select(Site).where(
        site_scope(user), Site.active.is_(True),
        Site.lat.between(lat - dlat - Site.reach_m * per_m_lat, lat + dlat + Site.reach_m * per_m_lat),
        Site.lon.between(lon - dlon - Site.reach_m * per_m_lon, lon + dlon + Site.reach_m * per_m_lon))
    return [(s, d) for s, d in nearest_first(db.session.scalars(query), lat, lon)
            if d is not None and d <= radius_m][:limit]


def active_counts() -> dict[int, int]:
    """Active sites per type id: the pool a round draws from (before its districts and exclusions)."""
    return dict(db.session.execute(select(Site.kind_id, func.count()).where(Site.active.is_(True))
                                   .group_by(Site.kind_id)).all())


# ----------------------------------------------------------------------------- problems at sites

class SiteProblems(NamedTuple):
    active: int = 0   # 在办: neither closed nor cancelled (rules.ACTIVE_STATUSES, the office list's status=open)
    found: int = 0    # 累计: every problem but the voided ones, as rankings and the dashboards count problems found


NO_PROBLEMS = SiteProblems()


def problem_counts(site_ids) -> dict[int, SiteProblems]:
    """{site id: its problems} for these sites (those with none left out), in one grouped statement through the
    tickets.site_id index. Every ticket counts: the office, the only one to see the 点位库, sees them all."""
    ids = sorted({int(i) for i in site_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(Ticket.site_id, func.count(case((Ticket.status.in_(consts(ACTIVE_STATUSES)), 1))),
               func.count(case((Ticket.status != const("cancelled"), 1))))
        .where(Ticket.site_id.in_(ids)).group_by(Ticket.site_id))
    return {site_id: SiteProblems(int(active), int(found)) for site_id, active, found in rows}


def recent_problems(user, site: Site, limit: int = 5) -> list[Ticket]:
    """The site's latest problems this user may see, newest first, at most `limit` (voided ones too: the office
    list the page links to shows them)."""
    from ..tickets.queries import LIST_LOAD  # builds loader options, so the mappers must be complete: import late

    return list(db.session.scalars(
        select(Ticket).where(Ticket.site_id == site.id, ticket_scope(user)).options(*LIST_LOAD)
        .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(limit)).unique())


def districts() -> list[str]:
    from ..office.reference import districts as segment_districts
    found = set(segment_districts()) | set(db.session.scalars(select(Site.district).distinct()))
    return sorted(d for d in found if d)


_BRACKETS = str.maketrans({"(": "（", ")": "）", "[": "【", "]": "】"})


def name_variants(name: str) -> set[str]:
    """The ways one site's name is commonly written: as given, without spaces, with full-width or half-width
    brackets (五一广场 (东区), 五一广场（东区）)."""
    compact = "".join(name.split())
    full = compact.translate(_BRACKETS)
    half = full.replace("（", "(").replace("）", ")").replace("【", "[").replace("】", "]")
    return {name.strip(), compact, full, half} - {""}


def find_by_name(name: str, district: str = "") -> Site | None:
    """The active site a list names, by its name (as written, or with spaces and brackets written otherwise) or
    by its code; where several sites share the name, the one in `district`; None when it stays ambiguous."""
    name = (name or "").strip()
    if not name:
        return None
    found = list(db.session.scalars(select(Site).where(Site.active.is_(True), Site.name.in_(name_variants(name)))))
    if not found:
        found = list(db.session.scalars(select(Site).where(Site.active.is_(True), same_code(Site.code, name))))
    if len(found) > 1 and district:
        found = [s for s in found if s.district == district]
    return found[0] if len(found) == 1 else None


def site_dict(site: Site, distance: float | None = None) -> dict:
    result = {
        "id": site.id, "code": site.code, "name": site.name, "kind": site.kind.name, "district": site.district,
        "street": site.street, "address": site.address, "description": site.description,
        "lat": site.lat, "lon": site.lon, "area": site.area or None, "active": site.active,
        "units": site.unit_ids,
        "unit_names": {role: (u.name if (u := site.unit_for(role)) else None) for role in ROLES},
    }
    if distance is not None:
        result["distance_m"] = round(distance, 1)
    return result


# ----------------------------------------------------------------------------- saving

def coords_free_text(value, label: str, limit: int, required: bool = False, multiline: bool = False) -> str:
    text = clean_text(value, label, limit, multiline=multiline)
    if required and not text:
        raise Invalid(f"{label}不能为空。", code="required")
    return text


def _int(value, label: str, low: int, high: int, required: bool = True) -> int | None:
    from ..office import fields
    return fields.integer(value, label, low, high, required=required)


def find_unit(ref, label: str, required: bool) -> Unit | None:
    """A unit by id or code; must be active."""
    ref = "" if ref is None else str(ref).strip()
    if not ref:
        if required:
            raise Invalid(f"请选择{label}。", code="unit_required")
        return None
    conditions = [same_code(Unit.code, ref)]  # whatever the case typed, as units_by_code
    if (ident := row_id(ref)) is not None:
        conditions.append(Unit.id == ident)
    unit = db.session.scalar(select(Unit).where(or_(*conditions)))
    if unit is None:
        raise Invalid(f"{label}“{ref}”不存在。", code="invalid_unit")
    if not unit.active:
        raise Invalid(f"{label}“{unit.name}”已停用。", code="invalid_unit")
    return unit


def parse_location(point_text, area_text, system_text, lat=None, lon=None) -> tuple[float, float, list | None]:
    """(lat, lon, area) in WGS-84 from "经度,纬度" (a point) or "经度,纬度;…" (an area of at least 3 points), in
    the given system; or from numeric lat/lon (WGS-84, the API). Any of the three texts given as a JSON list, object
    or number answers 400 (text_value), as the site's other text fields do."""
    point_text, area_text = text_value(point_text, "点位坐标"), text_value(area_text, "区域范围")
    system_text = text_value(system_text, "坐标系")
    try:
        system = coords.parse_system(system_text, default=coords.WGS84)
        area_raw = str(area_text or "").strip()
        if area_raw:
            points = coords.parse_polyline(area_raw, system)
            if len(points) < 3:
                raise coords.CoordinateError("区域至少需要3个点（“经度,纬度;经度,纬度;经度,纬度”）。")
            return (round(sum(p[1] for p in points) / len(points), 7),
                    round(sum(p[0] for p in points) / len(points), 7), points)
        point_raw = str(point_text or "").strip()
        if point_raw:
            points = coords.parse_polyline(point_raw, system)
            if len(points) != 1:
                raise coords.CoordinateError("点位坐标应为一个点“经度,纬度”；区域请填在“区域范围”中。")
            return points[0][1], points[0][0], None
        if lat not in (None, "") and lon not in (None, ""):
            try:
                lat_f, lon_f = float(lat), float(lon)
            except (TypeError, ValueError):
                raise coords.CoordinateError("经纬度应为数字。") from None
            points = coords.convert_points([(lon_f, lat_f)], system)
            return points[0][1], points[0][0], None
    except coords.CoordinateError as problem:
        raise Invalid(f"坐标有误：{problem}", code="invalid_coordinates") from None
    raise Invalid("请填写点位坐标（经度,纬度）或区域范围。", code="coordinates_required")


def far_from_city(location: tuple[float, float, list | None], box) -> str | None:
    """Why a site at this location (parse_location's) is no place of this city, or None: a point farther than
    SEGMENT_CITY_MARGIN_KM from the box around the city's segments (office.reference.city_box), as a segment is
    refused. -74.0,40.7 (New York), or 112.93 typed 113.93, is a typo, and a site there is never found nearby."""
    from ..office.reference import outside_city
    lat, lon, area = location
    return outside_city(area or [[lon, lat]], box, float(current_app.config["SEGMENT_CITY_MARGIN_KM"]))


def save_site(data: Mapping, now: datetime, site: Site | None = None) -> Site:
    """Add or change a site from a form or a JSON body. A JSON `units` object {"territorial", "sector",
    "operator"} or the fields territorial_unit/sector_unit/operator_unit (id or code) name its units."""
    def get(name, default=None):
        return data.get(name, default) if hasattr(data, "get") else default

    units = get("units") if isinstance(get("units"), Mapping) else {}
    partial = site is not None and not hasattr(data, "getlist")  # a PATCH changes only what it names

    def given(name: str) -> bool:
        return not partial or name in data or (name.endswith("_unit") and name[:-5] in units)

    own_id = site.id if site is not None else -1
    code = None
    if given("code"):
        from ..office import fields
        code = fields.code(get("code"), "点位编码")
        _refuse_code_taken(code, own_id)
    name = coords_free_text(get("name"), "点位名称", 100, required=True) if given("name") else None
    kind = None
    if given("kind"):
        kind = find_kind(get("kind") or get("kind_id"))
        if kind is None or not kind.active:
            raise Invalid("请选择有效的点位类型。", code="invalid_kind")
    district = coords_free_text(get("district"), "区县", 32, required=True) if given("district") else None
    if district is not None:
        from ..office.reference import checked_district
        checked_district(district, site.district if site is not None else None)
    street = coords_free_text(get("street"), "街道", 64) if given("street") else None
    address = coords_free_text(get("address"), "地址", 200) if given("address") else None
    description = coords_free_text(get("description"), "点位说明", 1000, multiline=True) \
        if given("description") else None
    roles = {}
    for role, label, required in (("territorial", "属地单位", True), ("sector", "行业主管部门", False),
                                  ("operator", "管理主体", False)):
        field = f"{role}_unit"
        if given(field):
            roles[role] = find_unit(units.get(role) if role in units else get(field), label, required)
    location = None
    if any(given(f) for f in ("point", "area", "lat", "lon")) and not (
            partial and not any(f in data for f in ("point", "area", "lat", "lon"))):
        location = parse_location(get("point"), get("area"), get("coord_system"), get("lat"), get("lon"))
        from ..office.reference import city_box
        if far := far_from_city(location, city_box()):
            raise Invalid(f"坐标有误：{far}", code="invalid_coordinates")

    with unique_write(lambda: code is not None and _refuse_code_taken(code, own_id)):
        if site is None:
            site = Site(code=code, created_at=now, active=True)
            db.session.add(site)
        elif given("code"):
            site.code = code
        if name is not None:
            site.name = name
        if kind is not None:
            site.kind = kind
        for attr, value in (("district", district), ("street", street), ("address", address),
                            ("description", description)):
            if value is not None:
                setattr(site, attr, value)
        for role, unit in roles.items():
            setattr(site, f"{role}_unit", unit)
            setattr(site, f"{role}_unit_id", unit.id if unit else None)
        if location is not None:
            site.place(*location)
        if "active" in data and data.get("active") not in (None, ""):
            from ..office import fields
            value = data.get("active")
            site.active = value if isinstance(value, bool) else fields.active_flag(value)
    return site


def _refuse_code_taken(code: str, own_id: int) -> None:
    other = db.session.scalar(select(Site).where(same_code(Site.code, code), Site.id != own_id))
    if other is not None:  # bj-05-021 beside BJ-05-021 would be one site twice (common/codes.py)
        raise Invalid(f"点位编码“{code}”已被“{other.name}”使用"
                      + (f"（{other.code}，仅大小写不同）" if other.code != code else "") + "。", code="duplicate_code")


def set_site_active(site: Site, active: bool) -> None:
    site.active = active
    db.session.flush()
