"""The checklist and assessment rounds in the HTTP API v1 (API.md "Sites (点位) and assessment rounds")."""
from __future__ import annotations

from flask import Response, current_app, jsonify, request

from ..api.common import api_blueprint, current
from ..common.errors import BadRequest
from ..common.timeutil import isoformat
from ..extensions import db
from ..http import choice_arg, flag_arg, int_arg, json_body, now, takes_upload, unknown_arg
from ..office import downloads
from ..policy import CITYWIDE, EVERYONE, FILERS, OFFICE, requires, sees_citywide
from ..sites.services import find_kind
from ..tickets.inputs import idempotency_key
from . import checklist, documents, findings, scores, services
from .models import KINDS, Round, RoundSite

bp = api_blueprint("api_assessment", __name__)


def round_site_dict(rs: RoundSite, citywide: bool = True, current: dict | None = None) -> dict:
    """A drawn site, as it was when drawn, its score as it stands now (findings.site_scores, read here unless
    given); for a unit without the inspector, who may go undercover again."""
    current = findings.site_scores([rs.id]) if current is None else current
    return {"site_id": rs.site_id, "site": {"id": rs.site_id, "code": rs.site_code, "name": rs.site_name,
                                            "kind": rs.site_kind.name, "district": rs.district},
            "inspector_id": rs.inspector_id if citywide else None, "status": rs.status,
            "score": current[rs.id][1] if rs.id in current else None, "submitted_at": isoformat(rs.submitted_at)}


def round_dict(rnd: Round, sites: list[RoundSite] | None = None, user=None) -> dict:
    """A round; for a unit (`user` not citywide) an open round's seed and draw are withheld, since the seed and
    the site register reproduce the draw."""
    citywide = user is None or sees_citywide(user)
    hidden = not citywide and rnd.status != "closed"
    result = {"id": rnd.id, "kind": rnd.kind, "kind_label": rnd.kind_label, "name": rnd.name,
              "status": rnd.status, "seed": None if hidden else rnd.seed, "draw": None if hidden else rnd.draw,
              "checklist_version": rnd.checklist_version.number, "created_at": isoformat(rnd.created_at),
              "closed_at": isoformat(rnd.closed_at), "bulletin_number": rnd.bulletin_number,
              "bulletin_issued_at": isoformat(rnd.bulletin_issued_at)}
    if sites is not None:
        current = findings.site_scores(rs.id for rs in sites)
        result["sites"] = [round_site_dict(rs, citywide, current) for rs in sites]
    return result


# ----------------------------------------------------------------------------- checklist

@bp.get("/checklist")
@requires(EVERYONE)
def checklist_items():
    name = (request.args.get("site_kind") or "").strip()
    kind = find_kind(name) if name else None
    if name and kind is None:
        raise unknown_arg("site_kind", name, code="invalid_site_kind", label="点位类型")
    version = checklist.current_version()
    return jsonify([checklist.item_dict(i) for i in checklist.items(version, kind.id if kind else None)])


@bp.post("/admin/import/checklist")
@takes_upload("spreadsheet")
@requires(OFFICE)
def import_checklist():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("请用 multipart/form-data 上传字段 file（.xlsx 或 .csv）。", code="file_required")
    dry_run = flag_arg(request.values, "dry_run")
    result, version = checklist.run_import(upload.filename, upload.read(), now(), current(), dry_run)
    body = result.as_dict()
    body["version"] = version
    if result.errors:
        db.session.rollback()
        body["error"] = {"code": "invalid_rows", "message": f"有 {result.errors} 行数据有误，未写入任何数据。"}
        return jsonify(body), 422
    return jsonify(body)


@bp.get("/admin/import/checklist/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def checklist_template(fmt: str):
    return downloads.register_sheet(checklist.SPEC.label, fmt, request.args.get("encoding"), now(), checklist.xlsx,
                                   checklist.csv, template=True)


@bp.get("/admin/export/checklist.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def checklist_export(fmt: str):
    return downloads.register_sheet(checklist.SPEC.label, fmt, request.args.get("encoding"), now(), checklist.xlsx,
                                   checklist.csv)


# ----------------------------------------------------------------------------- rounds

@bp.post("/rounds")
@requires(OFFICE)
def create_round():
    rnd, _spec = services.create_round(current(), services.parse_round(json_body()), now())
    return jsonify(round_dict(rnd, services.round_sites(current(), rnd))), 201


def _territory() -> bool | frozenset[int]:
    """`scope=territory`: a unit with units under it reads its 辖区's sites, read only (own: its own, the default);
    `sub_unit` (of the territory scope, as the ticket list's) those of that 下属单位 and the units under it."""
    sub_unit = int_arg(request.args, "sub_unit")
    territory = choice_arg(request.args, "scope", services.SCOPES, label="范围") == "territory"
    return services.territory_reads(current(), sub_unit) if territory or sub_unit is not None else False


@bp.get("/rounds")
@requires(EVERYONE)
def rounds():
    kind = choice_arg(request.args, "kind", tuple(KINDS), label="测评类型")
    user = current()
    return jsonify([round_dict(r, user=user) for r in services.list_rounds(user, kind, _territory())])


@bp.get("/rounds/<int:round_id>")
@requires(EVERYONE)
def show_round(round_id: int):
    user = current()
    territory = _territory()
    rnd = services.get_round(user, round_id, territory)
    return jsonify(round_dict(rnd, services.round_sites(user, rnd, territory), user))


@bp.patch("/rounds/<int:round_id>/sites/<int:site_id>")
@requires(OFFICE)
def reassign(round_id: int, site_id: int):
    rnd = services.get_round(current(), round_id)
    rs = services.reassign(current(), rnd, site_id, json_body().get("inspector_id"))
    return jsonify(round_site_dict(rs))


@bp.post("/rounds/<int:round_id>/close")
@requires(OFFICE)
def close(round_id: int):
    rnd = services.close_round(current(), services.get_round(current(), round_id), now())
    return jsonify(round_dict(rnd))


@bp.post("/rounds/<int:round_id>/issue")
@requires(OFFICE)
def issue(round_id: int):
    rnd = services.issue_bulletin(current(), services.get_round(current(), round_id), now(),
                                  current_app.config["ASSESSMENT_BULLETIN_PREFIX"])
    return jsonify(round_dict(rnd))


@bp.post("/rounds/<int:round_id>/sites/<int:site_id>/results")
@requires(FILERS)
def submit(round_id: int, site_id: int):
    user = current()
    rnd = services.get_round(user, round_id)
    if request.mimetype != "multipart/form-data":
        raise BadRequest("请用 multipart/form-data 提交：results（JSON）和 photos_<项目编码>。", code="multipart_required")
    answers = services.parse_answers(request.form.get("results"))
    key = idempotency_key(request.headers.get("Idempotency-Key"), request.form)
    rs, created = services.submit(user, rnd, site_id, answers, request.files, now(), key,
                                  services.fingerprint(answers, request.files))
    return jsonify(result_dict(rs)), 201 if created else 200


def result_dict(rs: RoundSite, citywide: bool = True) -> dict:
    """A site's results as they stand: `deducted` and `score` without the findings voided as wrong (each marked
    `voided`), each failure's `unit_id` the unit it is charged to now (findings.py)."""
    current = findings.site_scores([rs.id])
    withdrawn = findings.withdrawn_ids([rs.id])
    results = []
    for r in services.results_of(rs):
        charged = r.charged_unit
        results.append({"item": r.item.code, "pass": r.passed, "note": r.note, "deducted": r.deducted,
                        "voided": r.id in withdrawn, "unit_id": charged.id if charged else None,
                        "ticket_id": r.ticket_id})
    return {**round_site_dict(rs, citywide, current), "deducted": current[rs.id][0] if rs.id in current else None,
            "results": results}


@bp.post("/rounds/<int:round_id>/sites/<int:site_id>/withdraw")
@requires(OFFICE)
def withdraw(round_id: int, site_id: int):
    """{"reason"} → the site, 待测评 again, and the tasks voided with it."""
    user = current()
    rnd = services.get_round(user, round_id)
    rs, voided = services.withdraw(user, rnd, site_id, json_body().get("reason"), now())
    return jsonify({**round_site_dict(rs), "voided_tickets": [{"id": t.id, "number": t.number} for t in voided]})


@bp.get("/rounds/<int:round_id>/sites/<int:site_id>/results")
@requires(EVERYONE)
def site_results(round_id: int, site_id: int):
    user = current()
    territory = _territory()
    rnd = services.get_round(user, round_id, territory)
    # a unit: 404 for a site it did not answer for in that round (as fixed when scored, not the site's units now);
    # with scope=territory, one no unit of its 辖区 did
    return jsonify(result_dict(services.get_round_site(rnd, site_id, user, territory), sees_citywide(user)))


@bp.get("/rounds/<int:round_id>/scores")
@requires(EVERYONE)
def round_scores(round_id: int):
    rnd = services.get_round(current(), round_id)
    return jsonify(scores.round_scores(current(), rnd))


def _pdf(rnd: Round, variant: str) -> Response:
    return documents.pdf_response(rnd, variant)


@bp.get("/rounds/<int:round_id>/pdf")
@requires(CITYWIDE)
def bulletin_pdf(round_id: int):
    return _pdf(services.get_round(current(), round_id), "bulletin")


@bp.get("/rounds/<int:round_id>/exposure.pdf")
@requires(CITYWIDE)
def exposure_pdf(round_id: int):
    return _pdf(services.get_round(current(), round_id), "exposure")
