"""Sites (点位) in the HTTP API v1 (API.md "Sites (点位) and assessment rounds"; docs/api.md)."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..common.errors import BadRequest
from ..extensions import db
from ..http import flag_arg, int_arg, json_body, now, takes_upload
from ..office import downloads
from ..policy import EVERYONE, OFFICE, requires
from ..tickets.inputs import parse_coordinate
from . import imports, services
from .models import Site

bp = api_blueprint("api_sites", __name__)


@bp.get("/site-kinds")
@requires(EVERYONE)
def kinds():
    return jsonify([_kind_dict(k) for k in services.list_kinds(include_retired=True)])


def _kind_dict(kind) -> dict:
    return {"id": kind.id, "name": kind.name, "sort_order": kind.sort_order, "active": kind.active}


@bp.post("/site-kinds")
@requires(OFFICE)
def create_kind():
    body = json_body()
    return jsonify(_kind_dict(services.save_kind(body.get("name"), body.get("sort_order")))), 201


@bp.patch("/site-kinds/<int:kind_id>")
@requires(OFFICE)
def update_kind(kind_id: int):
    from ..common.errors import NotFound
    from .models import SiteKind
    kind = db.session.get(SiteKind, kind_id)
    if kind is None:
        raise NotFound("点位类型不存在。")
    body = json_body()
    if "name" in body or "sort_order" in body:
        services.save_kind(body.get("name", kind.name), body.get("sort_order"), kind)
    if isinstance(body.get("active"), bool):
        services.set_kind_active(kind, body["active"])
    return jsonify(_kind_dict(kind))


@bp.get("/sites")
@requires(EVERYONE)
def index():
    args = request.args
    lat = parse_coordinate(args.get("lat"), "纬度", -90, 90)
    lon = parse_coordinate(args.get("lon"), "经度", -180, 180)
    if (lat is None) != (lon is None):
        raise BadRequest("经纬度须同时提供。", code="invalid_location")
    limit = int_arg(args, "limit", high=10**6, default=services.MAX_LIST)
    if not 1 <= limit <= services.MAX_LIST:
        raise BadRequest(f"limit 应在 1 到 {services.MAX_LIST} 之间。", code="invalid_limit")
    rows, _total = services.list_sites(current(), kind=(args.get("kind") or "").strip(),
                                       district=(args.get("district") or "").strip(),
                                       q=(args.get("q") or "").strip()[:100], lat=lat, lon=lon,
                                       include_retired=flag_arg(args, "retired"), limit=limit)
    return jsonify([services.site_dict(site, distance) for site, distance in rows])


@bp.get("/sites/<int:site_id>")
@requires(EVERYONE)
def show(site_id: int):
    return jsonify(services.site_dict(services.get_site(current(), site_id)))


@bp.post("/sites")
@requires(OFFICE)
def create():
    site = services.save_site(json_body(), now())
    return jsonify(services.site_dict(site)), 201


@bp.patch("/sites/<int:site_id>")
@requires(OFFICE)
def update(site_id: int):
    site = services.get_site(current(), site_id)
    return jsonify(services.site_dict(services.save_site(json_body(), now(), site)))


@bp.post("/admin/import/sites")
@takes_upload("spreadsheet")
@requires(OFFICE)
def import_rows():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("请用 multipart/form-data 上传字段 file（.xlsx 或 .csv）。", code="file_required")
    dry_run = flag_arg(request.values, "dry_run")
    result = imports.run_import(upload.filename, upload.read(), now(), dry_run)
    body = result.as_dict()
    if result.errors:
        db.session.rollback()
        body["error"] = {"code": "invalid_rows", "message": f"有 {result.errors} 行数据有误，未写入任何数据。"}
        return jsonify(body), 422
    return jsonify(body)


@bp.get("/admin/import/sites/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def import_template(fmt: str):
    return downloads.register_sheet(imports.SPEC.label, fmt, request.args.get("encoding"), now(), imports.xlsx, imports.csv,
                                   template=True)


@bp.get("/admin/export/sites.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def export(fmt: str):
    return downloads.register_sheet(imports.SPEC.label, fmt, request.args.get("encoding"), now(), imports.xlsx, imports.csv)


__all__ = ["bp", "Site"]
