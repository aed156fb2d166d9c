"""红黑榜 in the HTTP API v1: list, read, PDF, compute/publish; the office's scoring rules."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ..api.common import api_blueprint, current
from ..common.errors import BadRequest
from ..http import json_body, now, pdf_file
from ..policy import CITYWIDE, EVERYONE, OFFICE, requires
from . import services
from .periods import parse_period

bp = api_blueprint("api_rankings", __name__)


@bp.get("/rankings")
@requires(EVERYONE)
def index():
    items = services.list_rankings(current(), request.args.get("period") or None)
    return jsonify([services.ranking_summary_dict(r) for r in items])


@bp.get("/rankings/<int:ranking_id>")
@requires(EVERYONE)
def show(ranking_id: int):
    user = current()
    return jsonify(services.ranking_dict(services.get_ranking(user, ranking_id), user))


@bp.get("/rankings/<int:ranking_id>/pdf")
@requires(EVERYONE)
def pdf(ranking_id: int):
    return pdf_file(*services.pdf_for(current(), ranking_id))


@bp.post("/rankings")
@requires(OFFICE)
def create():
    """{"period": "2026-11" | "2026-W48", "publish": true}: publish a new version (201);
    with "publish": false, answer the computed list without storing it (200)."""
    body = json_body()
    period = parse_period(body.get("period"))
    publish = body.get("publish", True)
    if not isinstance(publish, bool):
        raise BadRequest("publish 应为 true 或 false。", code="invalid_publish")
    user, moment = current(), now()
    if not publish:
        return jsonify(services.computed_dict(services.compute(period, moment)))
    ranking = services.publish(period, moment, user=user)
    response = jsonify(services.ranking_dict(ranking, user))
    response.status_code = 201
    response.headers["Location"] = url_for("api_rankings.show", ranking_id=ranking.id)
    return response


@bp.get("/rankings/rules")
@requires(CITYWIDE)
def rules():
    return jsonify(services.current_rules().to_dict())


@bp.put("/rankings/rules")
@requires(OFFICE)
def save_rules():
    return jsonify(services.save_rules(current(), json_body(), now()).to_dict())
