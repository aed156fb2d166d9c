"""Reading reference data: units, segments near a point, categories."""
from __future__ import annotations

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import contains_eager

from ..common.geo import degree_box, distance_to_polyline_m
from ..common.text import clean_text
from ..extensions import db
from .models import Category, Segment, Unit


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


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_segments(term: str, limit: int = SEGMENT_SEARCH_LIMIT) -> tuple[list[Segment], bool]:
    """Active segments whose name, district or street (the 属地 unit's name) contains every word of `term`
    (the first SEGMENT_QUERY_WORDS words; % and _ are plain characters), name matches first: (at most `limit`
    segments, whether there are more). An empty term finds nothing."""
    words = term.split()[:SEGMENT_QUERY_WORDS]
    if not words:
        return [], False
    matches = [or_(Segment.name.ilike(_like(w), escape="\\"), Segment.district.ilike(_like(w), escape="\\"),
                   Unit.name.ilike(_like(w), escape="\\")) for w in words]
    name_first = case((Segment.name.ilike(_like(words[0]), escape="\\"), 0), else_=1)
    rows = list(db.session.scalars(
        select(Segment).join(Segment.unit).options(contains_eager(Segment.unit))  # the street is shown too
        .where(Segment.active.is_(True), and_(*matches))
        .order_by(name_first, Segment.district, Segment.name, Segment.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def find_category(ref) -> Category | None:
    """A category by id or code; None when unknown or retired."""
    if ref is None or str(ref).strip() == "":
        return None
    ref = str(ref).strip()
    conditions = [Category.code == ref]
    if ref.isdigit():
        conditions.append(Category.id == int(ref))
    return db.session.scalar(select(Category).where(or_(*conditions), Category.active.is_(True)))


def active_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.active.is_(True))
                                   .order_by(Category.common.desc(), Category.sort_order, Category.id)))


def active_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))
