"""Reference data for integrations and the phone page: categories, units, segments."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from ..api.common import api_blueprint
from ..common.errors import BadRequest
from ..extensions import db
from ..http import int_arg
from ..policy import EVERYONE, requires
from . import services
from .models import Segment, Unit

bp = api_blueprint("api_reference", __name__)


def category_dict(c) -> dict:
    return {"id": c.id, "code": c.code, "name": c.name, "group": c.group, "deadline": c.deadline_rule,
            "urgent": c.urgent, "common": c.common,
            "owner_unit_id": c.owner_unit_id, "route": c.route}


def segment_dicts(found: list[tuple[Segment, float | None]]) -> list[dict]:
    """Segments (each with its distance, or None) as the API gives them, with the 包抓 unit a category routed
    "adopting" goes to: null when none or retired (dispatch then takes the 属地 unit, `unit_id`). Its names are
    read in one query."""
    wanted = {s.adopting_unit_id for s, _ in found if s.adopting_unit_id is not None}
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted), Unit.active.is_(True)))
                 .all()) if wanted else {}
    result = []
    for s, distance in found:
        adopting = {"id": s.adopting_unit_id, "name": names[s.adopting_unit_id]} \
            if s.adopting_unit_id in names else None
        row = {"id": s.id, "name": s.name, "district": s.district, "unit_id": s.unit_id, "kind": s.kind,
               "adopting_unit_id": adopting["id"] if adopting else None, "adopting_unit": adopting}
        if distance is not None:
            row["distance_m"] = round(distance, 1)
        result.append(row)
    return result


@bp.get("/categories")
@requires(EVERYONE)
def categories():
    return jsonify([category_dict(c) for c in services.active_categories()])


@bp.get("/units")
@requires(EVERYONE)
def units():
    return jsonify([{"id": u.id, "code": u.code, "name": u.name, "kind": u.kind} for u in services.active_units()])


def parse_point(args) -> tuple[float, float] | None:
    lat, lon = args.get("lat"), args.get("lon")
    if lat in (None, "") and lon in (None, ""):
        return None
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError):
        raise BadRequest("经纬度格式不正确。", code="invalid_location") from None
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise BadRequest("经纬度超出范围。", code="invalid_location")
    return lat_f, lon_f


@bp.get("/segments")
@requires(EVERYONE)
def segments():
    point = parse_point(request.args)
    if point is not None:
        limit = int_arg(request.args, "limit", high=200, default=20)
        return jsonify(segment_dicts(services.nearest_segments(*point, limit=limit)))
    rows = db.session.scalars(db.select(Segment).where(Segment.active.is_(True)).order_by(Segment.id))
    return jsonify(segment_dicts([(s, None) for s in rows]))
