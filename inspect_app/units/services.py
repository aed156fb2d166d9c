"""Reading reference data: units, segments near a point or named in an address, categories."""
from __future__ import annotations

import re
from functools import cache

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import contains_eager

from ..common.codes import CodeMap
from ..common.geo import degree_box, distance_to_polyline_m
from ..common.ids import row_id
from ..common.sql import any_like, by_code_point, like_pattern
from ..common.text import clean_text, name_text
from ..extensions import db
from .models import UNIT_KINDS, Category, Segment, Unit


def nearest_segments(lat: float, lon: float, radius_m: float | None = None, limit: int = 10,
                     active_only: bool = True) -> list[tuple[Segment, float]]:
    """Segments sorted by distance to the point; within radius_m when given.

    The bounding-box prefilter runs in SQL on indexed columns; exact distances run in Python
    on the few candidates. Without a radius the search widens until it finds enough."""
    radii = [radius_m] if radius_m is not None else [500, 2_000, 10_000, 50_000, None]
    for radius in radii:
        query = select(Segment)
        if active_only:
            query = query.where(Segment.active.is_(True))
        if radius is not None:
            dlat, dlon = degree_box(lat, radius)
            query = query.where(Segment.min_lat <= lat + dlat, Segment.max_lat >= lat - dlat,
                                Segment.min_lon <= lon + dlon, Segment.max_lon >= lon - dlon)
        found = [(s, distance_to_polyline_m(lat, lon, s.coords)) for s in db.session.scalars(query)]
        found = [(s, d) for s, d in found if radius is None or d <= radius]
        if len(found) >= limit or radius == radii[-1] or (radius_m is not None):
            found.sort(key=lambda pair: (pair[1], pair[0].id))
            return found[:limit]
    return []


SEGMENT_QUERY_MAX = 40   # characters of a segment search; more is refused with a message
SEGMENT_QUERY_WORDS = 4  # words of a search, each of which must match (name, district or street)
SEGMENT_SEARCH_LIMIT = 20


def segment_query(raw) -> str:
    """A segment search as typed, cleaned to one line; 400 (in Chinese) when longer than SEGMENT_QUERY_MAX."""
    return clean_text(raw, "路段搜索词", SEGMENT_QUERY_MAX)


def search_segments(term: str, limit: int = SEGMENT_SEARCH_LIMIT) -> tuple[list[Segment], bool]:
    """Active segments whose name, district or street (the 属地 unit's name) contains every word of `term`
    (the first SEGMENT_QUERY_WORDS words; % and _ are plain characters), name matches first: (at most `limit`
    segments, whether there are more). An empty term finds nothing."""
    words = term.split()[:SEGMENT_QUERY_WORDS]
    if not words:
        return [], False
    matches = [any_like((Segment.name, Segment.district, Unit.name), like_pattern(w))
               for w in words]
    name_first = case((any_like((Segment.name,), like_pattern(words[0])), 0), else_=1)
    rows = list(db.session.scalars(
        select(Segment).join(Segment.unit).options(contains_eager(Segment.unit))  # the street is shown too
        .where(Segment.active.is_(True), and_(*matches))
        .order_by(name_first, by_code_point(Segment.district), by_code_point(Segment.name), Segment.id)
        .limit(limit + 1)))
    return rows[:limit], len(rows) > limit


# An address as a hotline operator types it: "解放路与黄兴路交叉口", "坡子街小吃街", "人民东路88号旁"
_ADDRESS_PARTS = re.compile(r"[与和及、,，;；/\s]|交叉口|交汇处|路口|附近|对面|旁边")
_ROAD = re.compile(r"([\u4e00-\u9fff]{1,10}?(?:大道|大街|路|街|巷))")
ADDRESS_ROADS_MAX = 3


def roads_in(address: str | None) -> list[str]:
    """The road names an address mentions, in order, at most ADDRESS_ROADS_MAX: "解放路与黄兴路交叉口" ->
    ["解放路", "黄兴路"]."""
    roads: list[str] = []
    for part in _ADDRESS_PARTS.split(address or ""):
        match = _ROAD.match(part)
        if match and len(match.group(1)) >= 2 and match.group(1) not in roads:
            roads.append(match.group(1))
    return roads[:ADDRESS_ROADS_MAX]


def segments_named_in(address: str | None, limit: int = SEGMENT_SEARCH_LIMIT) -> list[Segment]:
    """Active segments of the roads an address names (a segment's name starts with the road's: 解放路 ->
    解放路一段, 解放路西段), road by road, for an address that has no location to match by."""
    roads = roads_in(address)
    if not roads:
        return []
    rows = db.session.scalars(
        select(Segment).where(Segment.active.is_(True),
                              or_(*[Segment.name.startswith(road, autoescape=True) for road in roads]))
        .order_by(by_code_point(Segment.name), Segment.id).limit(limit)).all()
    return sorted(rows, key=lambda s: next(i for i, road in enumerate(roads) if s.name.startswith(road)))


def find_category(ref, include_retired: bool = False) -> Category | None:
    """A category by id or code, the code in any letter case (common/codes.py); None when unknown or retired
    (`include_retired`: a retired one too, as a list of problems filed under it is filtered)."""
    if ref is None or str(ref).strip() == "":
        return None
    ref = str(ref).strip()
    if (ident := row_id(ref)) is not None:
        return db.session.scalar(_category_by_code_or_id(include_retired), {"code": ref, "id": ident})
    return db.session.scalar(_category_by_code(include_retired), {"code": ref})


def same_category_name(name: str):
    """SQL condition: a category of this name as names are stored and kept one in use (office/reference.py
    category_name, uq_categories_active_upper_name): ＬＥＤ屏　不亮 typed on a Chinese input method, with stray spaces
    or in other letter case is the category LED屏 不亮."""
    return func.upper(Category.name) == func.upper(name_text(name))


@cache
def _category_by_code(include_retired: bool = False):
    """Built once (every filing looks its category up): an active category by code, whatever its case."""
    return select(Category).where(_same_code(), *_active(include_retired))


@cache
def _category_by_code_or_id(include_retired: bool = False):
    return select(Category).where(or_(_same_code(), Category.id == bindparam("id")), *_active(include_retired))


def _active(include_retired: bool) -> tuple:
    return () if include_retired else (Category.active.is_(True),)


def _same_code():
    return func.upper(Category.code) == func.upper(bindparam("code"))


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True))
                                   .order_by(Category.common.desc(), Category.sort_order, Category.id)))


def units_by_code(units=None) -> CodeMap:
    """Units by code, whatever the case it is typed in (JD0105, jd0105): a unit code is unique regardless of case,
    so a spreadsheet's lower-case code finds its unit rather than another or none."""
    return CodeMap.of(db.session.scalars(select(Unit)) if units is None else units)


KIND_ORDER = case({kind: index for index, kind in enumerate(UNIT_KINDS)}, value=Unit.kind, else_=len(UNIT_KINDS))


def active_units() -> list[Unit]:
    """The active units as menus offer them: 市直单位 first, then 区县, 街道, 社区, 企业 (by code within each); by code
    alone, a city's 市直 (SZ…) came after its eighty 社区."""
    return list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(KIND_ORDER, Unit.code)))


def segment_choices(unit_id: int | None = None, also_id: int | None = None) -> list:
    """The active segments as a form's menu offers them (id, name, district), by district and name: plain rows, as a
    city has thousands (2,000 as objects with their units took 70 ms; as rows, 6–10). With `unit_id`, those whose
    属地 is that unit only, and the segment `also_id` when given."""
    query = select(Segment.id, Segment.name, Segment.district).where(Segment.active.is_(True))
    if unit_id is not None:
        query = query.where(or_(Segment.unit_id == unit_id, Segment.id == also_id) if also_id is not None
                            else Segment.unit_id == unit_id)
    return db.session.execute(query.order_by(by_code_point(Segment.district), by_code_point(Segment.name))).all()
