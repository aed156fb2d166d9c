"""路段巡查 in the HTTP API v1: an inspector's app checks in; the office's scripts read a period's coverage."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..common.dayspan import day_span
from ..common.timeutil import isoformat
from ..http import date_range_args, json_body, now
from ..policy import CITYWIDE, FILERS, requires
from . import services

bp = api_blueprint("api_patrols", __name__)


def patrol_dict(patrol) -> dict:
    return {"id": patrol.id, "at": isoformat(patrol.at), "user": patrol.user.username,
            "segment": {"id": patrol.segment.id, "name": patrol.segment.name, "district": patrol.segment.district},
            "lat": patrol.lat, "lon": patrol.lon, "accuracy_m": patrol.accuracy_m, "distance_m": patrol.distance_m,
            "note": patrol.note}


def _tally(tally) -> dict:
    return {"segments": tally.segments, "covered": tally.covered, "uncovered": tally.uncovered,
            "rate": None if tally.rate is None else round(tally.rate, 4), "checkins": tally.checkins,
            "finds": tally.finds}


@bp.post("/patrols")
@requires(FILERS)
def check_in():
    """{"lat", "lon", "accuracy"?, "segment_id"?, "note"?} → 201 the check-in; 200 the earlier one when the same
    inspector checked in on the same segment within the last 30 minutes."""
    patrol, new = services.check_in(current(), json_body(), now())
    return jsonify(patrol_dict(patrol)), 201 if new else 200


@bp.get("/patrols/coverage")
@requires(CITYWIDE)
def coverage():
    """?from&to (days, Shanghai; this month by default)&district → the period's figures and each segment's; and,
    as of now, the segments past their kind's 巡查周期; each district's 片区 inspectors, and each person's figures."""
    moment = now()
    span = day_span(*date_range_args(request.args), moment)
    found = services.coverage(span, (request.args.get("district") or "").strip()[:32] or None)
    due = services.overdue(moment, found.segments)
    return jsonify({
        "from": span.first.isoformat(), "to": span.last.isoformat(), "district": found.district,
        "total": _tally(found.total),
        "districts": [{"district": d.label, **_tally(d), "inspectors": found.areas.usernames(d.label)}
                      for d in found.districts],
        "segments": [{"id": r.id, "name": r.name, "district": r.district, "unit": r.unit, "adopting_unit": r.adopting
                      or None, "covered": r.covered, "checkins": r.checkins, "finds": r.finds,
                      "last_at": isoformat(r.last_at), "last_by": r.last_by or None} for r in found.rows],
        "inspectors": [{"username": p.username, "name": p.name, "districts": p.districts,
                        "segments": len(p.segments), "checkins": p.checkins, "finds": p.finds,
                        "area_segments": p.area_segments, "area_walked": p.area_walked} for p in found.inspectors],
        "cycles": due.cycles,
        "overdue": [{"id": o.segment.id, "name": o.segment.name, "district": o.segment.district,
                     "kind": o.segment.kind, "cycle_days": o.days, "last_at": isoformat(o.last_at),
                     "last_by": o.last_by or None, "days_since": o.since_days} for o in due.items]})
