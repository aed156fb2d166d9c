"""门前四包 in the HTTP API v1: the register (scoped like the pages), one frontage with its problems, the repeat
offenders. Importing: /api/v1/admin/import/frontages (office/api.py)."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..common.timeutil import isoformat
from ..http import int_arg, now
from ..policy import EVERYONE, requires
from ..tickets.serialize import ticket_dict
from . import services

bp = api_blueprint("api_frontages", __name__)


def frontage_dict(frontage, recent: int | None = None) -> dict:
    result = {"id": frontage.id, "code": frontage.code, "name": frontage.name, "kind": frontage.kind,
              "address": frontage.address,
              "street_unit": {"id": frontage.street_unit.id, "name": frontage.street_unit.name},
              "segment": {"id": frontage.segment.id, "name": frontage.segment.name} if frontage.segment_id else None,
              "signed_on": frontage.signed_on.isoformat() if frontage.signed_on else None,
              "contact_person": frontage.contact_person, "contact_phone": frontage.contact_phone,
              "active": frontage.active}
    if recent is not None:
        result["recent_problems"] = recent
    return result


@bp.get("/frontages")
@requires(EVERYONE)
def index():
    page = int_arg(request.args, "page", high=100_000, default=1)
    per_page = int_arg(request.args, "per_page", high=200, default=50)
    rows, total = services.list_frontages(current(), (request.args.get("q") or "").strip()[:50],
                                          int_arg(request.args, "street_unit_id"), False, page, per_page)
    counts = services.recent_counts([f.id for f in rows], now())
    return jsonify({"items": [frontage_dict(f, counts.get(f.id, 0)) for f in rows], "total": total, "page": page,
                    "per_page": per_page})


@bp.get("/frontages/offenders")
@requires(EVERYONE)
def offenders():
    repeat, days = services.repeat_rule()
    return jsonify({"rule": {"problems": repeat, "days": days},
                    "items": [{"frontage": frontage_dict(o.frontage), "problems": o.problems,
                               "last_at": isoformat(o.last_at), "open": o.open}
                              for o in services.repeat_offenders(current(), now())]})


@bp.get("/frontages/<int:frontage_id>")
@requires(EVERYONE)
def show(frontage_id: int):
    frontage = services.get(current(), frontage_id)
    moment = now()
    body = frontage_dict(frontage, services.recent_counts([frontage.id], moment).get(frontage.id, 0))
    body["tickets"] = [ticket_dict(t, moment) for t in services.history(current(), frontage)]
    return jsonify(body)
