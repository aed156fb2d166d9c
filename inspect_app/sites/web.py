"""The office's pages for sites (点位) and site types: list, add, edit, retire, import with preview, export."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.errors import ServiceError
from ..extensions import db
from ..http import flag_arg, int_arg, now, past_last_page, takes_upload
from ..office import downloads, uploads
from ..office.reference import known_districts, new_district_notice
from ..policy import OFFICE, requires
from ..units.services import active_units
from . import imports, services
from .models import ROLE_LABELS, Site, SiteKind

bp = Blueprint("sites", __name__, url_prefix="/sites")
IMPORT_KIND = "sites"


@bp.get("/")
@requires(OFFICE)
def index():
    args = request.args
    kind, district, q = args.get("kind") or "", args.get("district") or "", (args.get("q") or "").strip()[:100]
    retired = flag_arg(args, "retired")
    page = int_arg(args, "page", high=100_000, default=1)
    rows, total = services.list_sites(current_user, kind=kind, district=district, q=q, include_retired=retired,
                                      limit=services.PER_PAGE, offset=(page - 1) * services.PER_PAGE)
    if (last := past_last_page(page, services.PER_PAGE, total)) is not None:
        return last
    sites = [s for s, _ in rows]
    return render_template("sites/index.html", sites=sites, total=total, page=page,
                           pages=max((total + services.PER_PAGE - 1) // services.PER_PAGE, 1), kind=kind,
                           district=district, q=q, retired=retired, kinds=services.list_kinds(),
                           districts=services.districts(), problems=services.problem_counts(s.id for s in sites),
                           no_problems=services.NO_PROBLEMS)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:site_id>", methods=["GET", "POST"])
@requires(OFFICE)
def site_form(site_id: int | None = None):
    site = services.get_site(current_user, site_id) if site_id else None
    error = None
    if request.method == "POST":
        try:
            known = known_districts()  # before: a district new to the city is named after the save
            saved = services.save_site(request.form, now(), site)
            flash(f"已保存点位“{saved.name}”。", "success")
            if notice := new_district_notice(saved.district, known):
                flash(notice, "info")
            return redirect(url_for(".index"))
        except ServiceError as problem:
            db.session.rollback()
            error = problem.message
            site = services.get_site(current_user, site_id) if site_id else None
    if request.method == "POST":
        values = request.form
    elif site:
        values = {"code": site.code, "name": site.name, "kind": site.kind.name, "district": site.district,
                  "street": site.street, "address": site.address, "description": site.description,
                  "point": "" if site.is_area or site.lat is None else f"{site.lon:.6f},{site.lat:.6f}",
                  "area": ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in site.area), "coord_system": "WGS84",
                  **{f"{role}_unit": str(site.unit_id_for(role) or "") for role in ROLE_LABELS}}
    else:
        values = {"coord_system": "GCJ02"}
    problems = services.problem_counts([site.id]).get(site.id, services.NO_PROBLEMS) if site else None
    recent = services.recent_problems(current_user, site) if site else []
    return render_template("sites/form.html", site=site, values=values, error=error, kinds=services.list_kinds(),
                           units=active_units(), districts=services.districts(), roles=ROLE_LABELS,
                           problems=problems, recent=recent), 422 if error else 200


@bp.post("/<int:site_id>/<any(retire, restore):action>")
@requires(OFFICE)
def active(site_id: int, action: str):
    site = services.get_site(current_user, site_id)
    services.set_site_active(site, action == "restore")
    flash(f"点位“{site.name}”已{'恢复' if action == 'restore' else '停用，今后不再被抽取'}。", "success")
    return redirect(request.referrer or url_for(".index"))


# ----------------------------------------------------------------------------- site types

@bp.route("/kinds", methods=["GET", "POST"])
@requires(OFFICE)
def kinds():
    error = None
    if request.method == "POST":
        try:
            kind = services.save_kind(request.form.get("name"), request.form.get("sort_order"))
            flash(f"已新增点位类型“{kind.name}”。", "success")
            return redirect(url_for(".kinds"))
        except ServiceError as problem:
            db.session.rollback()
            error = problem.message
    counts = dict(db.session.execute(db.select(Site.kind_id, db.func.count(Site.id))
                                     .where(Site.active.is_(True)).group_by(Site.kind_id)).all())
    return render_template("sites/kinds.html", kinds=services.list_kinds(include_retired=True), counts=counts,
                           error=error, values=request.form if error else {}), 422 if error else 200


@bp.post("/kinds/<int:kind_id>")
@requires(OFFICE)
def kind_save(kind_id: int):
    kind = db.session.get(SiteKind, kind_id)
    if kind is None:
        from ..common.errors import NotFound
        raise NotFound("点位类型不存在。")
    services.save_kind(request.form.get("name"), request.form.get("sort_order"), kind)
    flash(f"已保存点位类型“{kind.name}”。", "success")
    return redirect(url_for(".kinds"))


@bp.post("/kinds/<int:kind_id>/<any(retire, restore):action>")
@requires(OFFICE)
def kind_active(kind_id: int, action: str):
    kind = db.session.get(SiteKind, kind_id)
    if kind is None:
        from ..common.errors import NotFound
        raise NotFound("点位类型不存在。")
    services.set_kind_active(kind, action == "restore")
    flash(f"点位类型“{kind.name}”已{'恢复' if action == 'restore' else '停用'}。", "success")
    return redirect(url_for(".kinds"))


# ----------------------------------------------------------------------------- import and export

@bp.get("/import")
@requires(OFFICE)
def import_form():
    return render_template("assessment/import_form.html", spec=imports.SPEC, error=None,
                           action=url_for(".import_preview"), back=url_for(".index"),
                           template_url=url_for(".import_template", fmt="xlsx"),
                           template_csv=url_for(".import_template", fmt="csv"))


@bp.post("/import")
@takes_upload("spreadsheet")
@requires(OFFICE)
def import_preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 .xlsx 或 .csv 文件。", "error")
        return redirect(url_for(".import_form"))
    data = upload.read()
    try:
        result = imports.run_import(upload.filename, data, now(), dry_run=True)
    except ServiceError as problem:
        db.session.rollback()
        return render_template("assessment/import_form.html", spec=imports.SPEC, error=problem.message,
                               action=url_for(".import_preview"), back=url_for(".index"),
                               template_url=url_for(".import_template", fmt="xlsx"),
                               template_csv=url_for(".import_template", fmt="csv")), problem.status
    token = None if result.errors else uploads.keep(IMPORT_KIND, current_user.id, upload.filename, data)
    return render_template("assessment/import_preview.html", spec=imports.SPEC, summary=result.as_dict(),
                           token=token, filename=upload.filename, confirm=url_for(".import_confirm"),
                           again=url_for(".import_form")), 422 if result.errors else 200


@bp.post("/import/confirm")
@requires(OFFICE)
def import_confirm():
    token = request.form.get("token", "")
    try:
        filename, data = uploads.load(IMPORT_KIND, current_user.id, token)
        result = imports.run_import(filename, data, now(), dry_run=False)
    except ServiceError as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return redirect(url_for(".import_form"))
    if result.errors:
        db.session.rollback()
        return render_template("assessment/import_preview.html", spec=imports.SPEC, summary=result.as_dict(),
                               token=None, filename=filename, confirm=url_for(".import_confirm"),
                               again=url_for(".import_form"), stale=True), 422
    uploads.discard(IMPORT_KIND, current_user.id, token)
    summary = result.as_dict()
    flash(f"导入完成：新增 {summary['added']} 个点位，修改 {summary['changed']} 个，未变 {summary['unchanged']} 个。",
          "success")
    return redirect(url_for(".index"))


@bp.get("/import/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def import_template(fmt: str):
    return downloads.register_sheet(imports.SPEC.label, fmt, request.args.get("encoding"), now(), imports.xlsx, imports.csv,
                                   template=True)


@bp.get("/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def export(fmt: str):
    return downloads.register_sheet(imports.SPEC.label, fmt, request.args.get("encoding"), now(), imports.xlsx, imports.csv)