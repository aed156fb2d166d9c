"""Routes for the phone in the field (see __init__.py). The service worker script lives in static/js/sw.js; it is
served from here so its scope is the whole site."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory, url_for
from flask_login import current_user
from sqlalchemy import select

from ..assets import script_response
from ..extensions import db
from ..policy import FILERS, may_open, public, requires
from ..units.models import Segment

bp = Blueprint("field", __name__)

# The pages the service worker keeps for use offline (sw.js: OFFLINE_PAGES). Each page registers the worker with
# those of them its user may open in the worker's URL (base.html: <body data-sw="/sw.js?keep=...">), so the worker
# never asks for a page that answers 403 (a unit's clerk may not file: every unit login logged "GET /tickets/new
# 403").
OFFLINE_ENDPOINTS = ("tickets.new", "patrols.checkin")


@bp.app_context_processor
def _offline_pages():
    if not getattr(current_user, "is_authenticated", False):
        return {}
    keep = " ".join(url_for(endpoint) for endpoint in OFFLINE_ENDPOINTS if may_open(current_user, endpoint))
    return {"sw_keep": keep, "sw_url": url_for("field.service_worker", keep=keep or None)}


@bp.get("/favicon.ico")
@public
def favicon():
    response = send_from_directory(current_app.static_folder, "icons/favicon.ico", mimetype="image/x-icon",
                                   max_age=7 * 86400)
    return response


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, from the root so its scope covers every page. Never cached by the browser's HTTP
    cache: a new version must reach phones at their next visit."""
    response = script_response(current_app.static_folder, "js/sw.js", max_age=0)  # minified, like every script
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
@public
def offline():
    """What the service worker shows for a page it has no copy of while the phone is offline."""
    return render_template("field/offline.html")


def _segment_row(segment: Segment) -> dict:
    return {"id": segment.id, "name": segment.name, "district": segment.district,
            "unit_name": segment.unit_label}


@bp.get("/segments/map.json")
@requires(FILERS)
def segment_map():
    """Every active segment as a polyline in a flat plane (x east, y south, in metres from the city's south-west
    corner, rounded to 1 m), with the projection so the page can place the phone's position on it."""
    segments = list(db.session.scalars(select(Segment).where(Segment.active.is_(True), Segment.min_lat.is_not(None))
                                       .order_by(Segment.id)))
    if not segments:
        return jsonify({"segments": [], "projection": None})
    min_lat = min(s.min_lat for s in segments)
    max_lat = max(s.max_lat for s in segments)
    min_lon = min(s.min_lon for s in segments)
    max_lon = max(s.max_lon for s in segments)
    lat0 = (min_lat + max_lat) / 2
    kx = 111_320 * math.cos(math.radians(lat0))
    ky = 110_540

    def xy(lon: float, lat: float) -> list[int]:
        return [round((lon - min_lon) * kx), round((max_lat - lat) * ky)]

    rows = [{**_segment_row(s), "points": [xy(lon, lat) for lon, lat in s.coords]} for s in segments]
    return jsonify({"segments": rows,
                    "projection": {"lon0": min_lon, "lat0": max_lat, "kx": kx, "ky": ky,
                                   "width": round((max_lon - min_lon) * kx), "height": round((max_lat - min_lat) * ky)},
                    "districts": sorted({s.district for s in segments})})
