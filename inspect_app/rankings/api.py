"""红黑榜 in the HTTP API v1: lists (read, PDF, compute/publish), scoring schemes, comparison groups."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ..api.common import api_blueprint, current
from ..common.errors import BadRequest
from ..http import int_arg, json_body, now, pdf_file
from ..policy import CITYWIDE, EVERYONE, OFFICE, requires
from . import scoring, services
from .periods import parse_period

bp = api_blueprint("api_rankings", __name__)


@bp.get("/rankings")
@requires(EVERYONE)
def index():
    items = services.list_rankings(current(), request.args.get("period") or None)
    return jsonify([services.ranking_summary_dict(r) for r in items])


@bp.get("/rankings/year")
@requires(EVERYONE)
def year():
    """年度汇总 of the monthly lists (rankings/annual.py)."""
    from .annual import YEARS, summary_dict, year_summary

    value = int_arg(request.args, "year", *YEARS)
    if value is None:
        raise BadRequest("请用 ?year=2026 指定年份。", code="invalid_year")
    return jsonify(summary_dict(year_summary(value)))


@bp.get("/rankings/<int:ranking_id>")
@requires(EVERYONE)
def show(ranking_id: int):
    user = current()
    return jsonify(services.ranking_dict(services.get_ranking(user, ranking_id), user))


@bp.get("/rankings/<int:ranking_id>/pdf")
@requires(EVERYONE)
def pdf(ranking_id: int):
    """?variant=exposure gives the 曝光版 (citywide readers)."""
    return pdf_file(*services.pdf_for(current(), ranking_id, request.args.get("variant")))


@bp.post("/rankings")
@requires(OFFICE)
def create():
    """{"period": "2026-11" | "2026-W48", "publish": true}: publish a new version (201) under the scheme in force;
    a period that has not ended needs "early": true (else 409 period_not_ended). With "publish": false, answer the
    computed list without storing it (200), under "scheme" (a code) if given: in place of the one in force, or with
    "scheme_group" (a group's name) for that group only."""
    body = json_body()
    period = parse_period(body.get("period"))
    publish = body.get("publish", True)
    if not isinstance(publish, bool):
        raise BadRequest("publish 应为 true 或 false。", code="invalid_publish")
    early = body.get("early", False)
    if not isinstance(early, bool):
        raise BadRequest("early 应为 true 或 false。", code="invalid_early")
    user, moment = current(), now()
    if not publish:
        code = body.get("scheme")
        scheme = services.scheme_by_code(str(code)) if code else None
        group = body.get("scheme_group")
        if group is not None and not isinstance(group, str):
            raise BadRequest("scheme_group 应为分组名称。", code="invalid_scheme_group")
        return jsonify(services.computed_dict(services.compute(period, moment, scheme, scheme_group=group or None)))
    if body.get("scheme") or body.get("scheme_group"):
        raise BadRequest("发布时使用现行评分方案；如需换用其他方案，请先启用该方案。", code="scheme_not_in_force")
    ranking = services.publish(period, moment, user=user, early=early, choose_early="请在请求中加 \"early\": true")
    response = jsonify(services.ranking_dict(ranking, user))
    response.status_code = 201
    response.headers["Location"] = url_for("api_rankings.show", ranking_id=ranking.id)
    return response


def _scheme_dict(row) -> dict:
    from .schemes import Scheme
    scheme = Scheme.from_dict(row.document)
    return {"code": row.code, "name": row.name, "in_force": bool(row.in_force), "document": scheme.to_dict(),
            "method": scheme.method_text}


@bp.get("/rankings/schemes")
@requires(CITYWIDE)
def schemes():
    return jsonify([_scheme_dict(row) for row in services.schemes()])


@bp.put("/rankings/schemes/<scheme_code>")
@requires(OFFICE)
def save_scheme(scheme_code: str):
    document = json_body()
    if document.get("code", scheme_code) != scheme_code:
        raise BadRequest("方案编码与地址不一致。", code="scheme_code_mismatch")
    document["code"] = scheme_code
    scheme = services.save_scheme(current(), document, now())
    return jsonify({"code": scheme.code, "name": scheme.name, "document": scheme.to_dict(),
                    "method": scheme.method_text})


@bp.post("/rankings/schemes/<scheme_code>/activate")
@requires(OFFICE)
def activate_scheme(scheme_code: str):
    scheme = services.activate_scheme(current(), scheme_code, now())
    return jsonify({"code": scheme.code, "name": scheme.name, "in_force": True, "method": scheme.method_text})


@bp.get("/rankings/groups")
@requires(CITYWIDE)
def groups():
    members = services.group_members()
    names = {s.code: s.name for s in services.schemes()}
    # scheme_code: the group's own scoring scheme (null: the one in force)
    rows = [{"name": g.name, "unit_kinds": g.kinds, "red_size": g.red_size, "red_floor": g.red_floor,
             "black_size": g.black_size, "black_below": g.black_below, "territorial": bool(g.territorial),
             "scheme_code": g.scheme_code, "scheme_name": names.get(g.scheme_code) if g.scheme_code else None}
            for g in services.groups()]
    if services.OTHER_GROUP in members and services.OTHER_GROUP not in {row["name"] for row in rows}:
        rule = scoring.rule_for(services.OTHER_GROUP)  # the rule its units are ranked under
        rows.append({"name": rule.name, "unit_kinds": [], "red_size": rule.red_size, "red_floor": rule.red_floor,
                     "black_size": rule.black_size, "black_below": rule.black_below, "territorial": False,
                     "scheme_code": None, "scheme_name": None, "note": rule.note})
    for row in rows:
        row["units"] = [{"id": u.id, "code": u.code, "name": u.name} for u in members.get(row["name"], [])]
    return jsonify(rows)
