"""The office's pages (基础数据): units, segments, categories, accounts, holidays, campaigns, imports,
exports. The office only, except the ticket export, which follows the ticket list's own visibility.
Routes read input, call one operation and render or redirect; the request commits once (boundary.py)."""
from __future__ import annotations

import json
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.models import ROLE_LABELS, User
from ..common.coords import SYSTEM_LABELS, SYSTEMS, WGS84, format_polyline
from ..common.errors import ServiceError
from ..background import service as jobs
from ..background import worker
from ..background.models import Job
from ..common.errors import NotFound
from ..common.timeutil import local
from ..extensions import db
from ..http import flag_arg, int_arg, past_last_page, takes_upload
from ..http import now as utcnow
from ..policy import EVERYONE, INSPECTORS, OFFICE, has_role, requires
from ..tickets import services as ticket_services
from ..tickets.campaigns import Campaign
from ..units.models import DEFAULT_ROUTE, ROUTES, SEGMENT_KINDS, UNIT_KINDS, Category, Segment, Unit
from ..units.services import active_units
from . import accounts, campaigns, downloads, fields, holidays, imports, reference, uploads

bp = Blueprint("office", __name__, url_prefix="/office", static_folder="static", static_url_path="/static")


PHOTOS_MISSING = ("照片文件找不到：最近上传的 {n} 张照片在服务器的照片文件夹（UPLOAD_FOLDER）中都不存在，页面上的照片"
                  "无法显示。请系统管理员检查 UPLOAD_FOLDER 是否指向原来的照片文件夹；恢复备份时，数据库和照片须一并"
                  "恢复。")


@bp.app_context_processor
def _admin_notices():
    """On the office's start page (tickets' 待办事项): the next year's holiday reminder, a sweep that has not
    run (the scheduler is not running: nothing overdue reaches 督办), a month's 红黑榜 not published on time (the
    same, or its run failed), photos whose files are not where the app looks (UPLOAD_FOLDER wrong, or a restore
    without them), an upload folder it may not write or a disk running out of room (ops/disk.py), and backups that
    failed or stopped (ops/backups.py)."""
    if request.endpoint != "tickets.office_work" or not has_role(current_user, OFFICE):
        return {}
    from ..escalation.jobs import sweep_late
    from ..ops.backups import backup_notice
    from ..ops.disk import disk_notice
    from ..rankings.jobs import monthly_list_late
    from ..tickets.photo_files import recent_files_missing

    now = utcnow()
    late = sweep_late(now)
    late_list = monthly_list_late(now)
    missing = recent_files_missing()
    notices = [holidays.schedule_warning(now), late.message if late else None,
               late_list.message if late_list else None,
               PHOTOS_MISSING.format(n=missing) if missing else None, disk_notice(), backup_notice(now)]
    return {"admin_notices": [notice for notice in notices if notice]}


def _form_error(problem: ServiceError) -> str:
    db.session.rollback()
    return problem.message


# ----------------------------------------------------------------------------- home

@bp.get("/")
@requires(OFFICE)
def home():
    now = utcnow()
    counts = {
        "units": db.session.scalar(db.select(db.func.count(Unit.id)).where(Unit.active.is_(True))),
        "segments": db.session.scalar(db.select(db.func.count(Segment.id)).where(Segment.active.is_(True))),
        "categories": db.session.scalar(db.select(db.func.count(Category.id)).where(Category.active.is_(True))),
        "accounts": db.session.scalar(db.select(db.func.count(User.id)).where(User.active.is_(True))),
        "campaigns": db.session.scalar(db.select(db.func.count(Campaign.id))),
    }
    return render_template("office/home.html", counts=counts, holiday_warning=holidays.schedule_warning(now),
                           years=holidays.known_years(now))


# ----------------------------------------------------------------------------- units

@bp.get("/units")
@requires(OFFICE)
def units():
    q, kind = (request.args.get("q") or "").strip(), request.args.get("kind") or ""
    retired = flag_arg(request.args, "retired")
    return render_template("office/units.html", units=reference.list_units(q, kind, retired), q=q, kind=kind,
                           retired=retired, kinds=UNIT_KINDS)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@requires(OFFICE)
def unit_form(unit_id: int | None = None):
    unit = reference.get(Unit, unit_id) if unit_id else None
    error = None
    if request.method == "POST":
        try:
            saved = reference.save_unit(request.form, utcnow(), unit)
            flash(f"已保存单位“{saved.name}”。", "success")
            return redirect(url_for(".units"))
        except ServiceError as problem:
            error = _form_error(problem)
            unit = reference.get(Unit, unit_id) if unit_id else None
    values = request.form if request.method == "POST" else {
        "code": unit.code, "name": unit.name, "kind": unit.kind, "parent_id": str(unit.parent_id or ""),
        "contact_person": unit.contact_person, "contact_phone": unit.contact_phone} if unit else {}
    parents = [u for u in reference.list_units() if not unit or u.id != unit.id]
    return render_template("office/unit_form.html", unit=unit, values=values, error=error, kinds=UNIT_KINDS,
                           code_rule=fields.CODE_RULE, parents=parents,
                           usage=reference.unit_usage(unit) if unit else None), 422 if error else 200


@bp.post("/units/<int:unit_id>/<any(retire, restore):action>")
@requires(OFFICE)
def unit_active(unit_id: int, action: str):
    unit = reference.get(Unit, unit_id)
    reference.set_unit_active(unit, action == "restore")
    flash(f"单位“{unit.name}”已{'恢复' if action == 'restore' else '停用，不再接收新问题'}。", "success")
    return redirect(url_for(".units"))


# ----------------------------------------------------------------------------- segments

@bp.get("/segments")
@requires(OFFICE)
def segments():
    name, district = (request.args.get("name") or "").strip(), request.args.get("district") or ""
    retired = flag_arg(request.args, "retired")
    page = int_arg(request.args, "page", high=100_000, default=1)
    rows, total = reference.list_segments(name, district, int_arg(request.args, "unit_id"), retired, page)
    if (last := past_last_page(page, reference.PER_PAGE, total)) is not None:
        return last
    return render_template("office/segments.html", segments=rows, total=total, page=page,
                           pages=max((total + reference.PER_PAGE - 1) // reference.PER_PAGE, 1),
                           name=name, district=district, retired=retired, districts=reference.districts())


@bp.route("/segments/new", methods=["GET", "POST"])
@bp.route("/segments/<int:segment_id>", methods=["GET", "POST"])
@requires(OFFICE)
def segment_form(segment_id: int | None = None):
    segment = reference.get(Segment, segment_id) if segment_id else None
    error = None
    if request.method == "POST":
        upload = request.files.get("geojson")
        geojson = upload.read() if upload and upload.filename else None
        try:
            known = reference.known_districts()  # before: a district new to the city is named after the save
            saved = reference.save_segment(request.form, geojson, segment)
            flash(f"已保存路段“{saved.name}”。", "success")
            if notice := reference.new_district_notice(saved.district, known):
                flash(notice, "info")
            return redirect(url_for(".segments"))
        except ServiceError as problem:
            error = _form_error(problem)
            segment = reference.get(Segment, segment_id) if segment_id else None
    if request.method == "POST":
        values = request.form
    elif segment:
        values = {"name": segment.name, "district": segment.district, "kind": segment.kind,
                  "unit_id": str(segment.unit_id), "adopting_unit_id": str(segment.adopting_unit_id or ""),
                  "coord_system": WGS84, "coords": format_polyline(segment.coords)}
    else:
        values = {"coord_system": "GCJ02"}
    return render_template("office/segment_form.html", segment=segment, values=values, error=error,
                           kinds=SEGMENT_KINDS, units=active_units(), districts=reference.districts(),
                           systems=SYSTEMS, system_labels=SYSTEM_LABELS), 422 if error else 200


@bp.post("/segments/<int:segment_id>/<any(retire, restore):action>")
@requires(OFFICE)
def segment_active(segment_id: int, action: str):
    segment = reference.get(Segment, segment_id)
    try:
        reference.set_segment_active(segment, action == "restore")
        flash(f"路段“{segment.name}”已{'恢复' if action == 'restore' else '停用'}。", "success")
    except ServiceError as problem:
        flash(_form_error(problem), "error")
    return redirect(request.referrer or url_for(".segments"))


# ----------------------------------------------------------------------------- categories

@bp.get("/categories")
@requires(OFFICE)
def categories():
    retired = flag_arg(request.args, "retired")
    return render_template("office/categories.html", categories=reference.list_categories(retired), retired=retired)


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@requires(OFFICE)
def category_form(category_id: int | None = None):
    category = reference.get(Category, category_id) if category_id else None
    error = None
    if request.method == "POST":
        try:
            saved = reference.save_category(request.form, category, request.form.getlist("owner_choice_ids"))
            flash(f"已保存问题类别“{saved.name}”。", "success")
            return redirect(url_for(".categories"))
        except ServiceError as problem:
            error = _form_error(problem)
            category = reference.get(Category, category_id) if category_id else None
    if request.method == "POST":
        values = request.form
    elif category:
        values = {"code": category.code, "name": category.name, "group": category.group,
                  "deadline_kind": "workdays" if category.deadline_workdays else "hours",
                  "deadline_value": str(category.deadline_workdays or category.deadline_hours or 24),
                  "rework_kind": "workdays" if category.rework_workdays else "hours" if category.rework_hours else "",
                  "rework_value": str(category.rework_workdays or category.rework_hours or ""),
                  "urgent": "1" if category.urgent else "", "common": "1" if category.common else "",
                  "owner_unit_id": str(category.owner_unit_id or ""), "route": category.route}
    else:
        values = {"deadline_kind": "hours", "deadline_value": "24", "route": DEFAULT_ROUTE}
    chosen_owners = set(request.form.getlist("owner_choice_ids")) if request.method == "POST" else \
        {str(u.id) for u in category.owner_choices} if category else set()
    return render_template("office/category_form.html", category=category, values=values, error=error,
                           rework_default=ticket_services.rework_rule(None),
                           units=active_units(), groups=reference.groups(), routes=ROUTES,
                           chosen_owners=chosen_owners), 422 if error else 200


@bp.post("/categories/<int:category_id>/<any(retire, restore):action>")
@requires(OFFICE)
def category_active(category_id: int, action: str):
    category = reference.get(Category, category_id)
    try:
        reference.set_category_active(category, action == "restore")
        flash(f"问题类别“{category.name}”已{'恢复' if action == 'restore' else '停用'}。", "success")
    except ServiceError as problem:
        flash(_form_error(problem), "error")
    return redirect(url_for(".categories"))


# ----------------------------------------------------------------------------- accounts

@bp.get("/accounts")
@requires(OFFICE)
def accounts_list():
    q, role = (request.args.get("q") or "").strip(), request.args.get("role") or ""
    now = utcnow()
    idle = flag_arg(request.args, "idle")  # active accounts not signed in for IDLE_DAYS (or never)
    users = accounts.list_accounts(q, role, idle_since=now - timedelta(days=accounts.IDLE_DAYS) if idle else None)
    return render_template("office/accounts.html", users=users, q=q, role=role, idle=idle, roles=ROLE_LABELS,
                           idle_days=accounts.IDLE_DAYS, idle_before=now - timedelta(days=accounts.IDLE_DAYS))


@bp.route("/accounts/new", methods=["GET", "POST"])
@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@requires(OFFICE)
def account_form(user_id: int | None = None):
    user = reference.get(User, user_id) if user_id else None
    error = None
    if request.method == "POST":
        try:
            if user is None:
                user, password = accounts.create_account(request.form, utcnow())
                return render_template("office/password_issued.html", user=user, password=password, created=True)
            accounts.update_account(user, request.form, current_user)
            flash(f"已保存账号“{user.username}”。", "success")
            return redirect(url_for(".accounts_list"))
        except ServiceError as problem:
            error = _form_error(problem)
            user = reference.get(User, user_id) if user_id else None
    if request.method == "POST":
        values = request.form
    elif user:
        values = {"username": user.username, "display_name": user.display_name, "role": user.role,
                  "unit_id": str(user.unit_id or ""), "phone": user.phone}
    else:
        values = {"role": "unit"}
    return render_template("office/account_form.html", user=user, values=values, error=error, roles=ROLE_LABELS,
                           units=active_units()), 422 if error else 200


@bp.post("/accounts/<int:user_id>/reset-password")
@requires(OFFICE)
def account_reset(user_id: int):
    user = reference.get(User, user_id)
    try:
        password = accounts.reset_password(user, request.form.get("password"))
    except ServiceError as problem:
        flash(_form_error(problem), "error")
        return redirect(url_for(".account_form", user_id=user.id))
    return render_template("office/password_issued.html", user=user, password=password, created=False)


@bp.post("/accounts/<int:user_id>/<any(disable, enable):action>")
@requires(OFFICE)
def account_active(user_id: int, action: str):
    user = reference.get(User, user_id)
    try:
        accounts.set_account_active(user, action == "enable", current_user)
        flash(f"账号“{user.username}”已{'启用' if action == 'enable' else '停用'}。", "success")
    except ServiceError as problem:
        flash(_form_error(problem), "error")
    return redirect(url_for(".accounts_list"))


# ----------------------------------------------------------------------------- holidays

@bp.route("/holidays", methods=["GET", "POST"])
@requires(OFFICE)
def holiday_page():
    now = utcnow()
    this_year = local(now).year
    year = int_arg(request.args, "year", low=2000, high=2100) or this_year + (1 if local(now).month >= 11 else 0)
    if not 2000 <= year <= 2100:
        year = this_year
    error = None
    if request.method == "POST":
        try:
            day = holidays.parse_day(request.form.get("date"))
            if request.form.get("delete"):
                holidays.delete_holiday(day)
                flash(f"已删除 {day.isoformat()} 的设置，恢复为系统默认。", "success")
            else:
                holidays.put_holiday(day, request.form.get("kind", ""), request.form.get("name", ""))
                flash(f"已保存 {day.isoformat()}：{holidays.KINDS[request.form.get('kind')]}。"
                      "此后计算的整改期限将按新安排。", "success")
            return redirect(url_for(".holiday_page", year=day.year))
        except ServiceError as problem:
            error = _form_error(problem)
    return _holidays(year, now, error=error, values=request.form if error else {})


@bp.post("/holidays/notice")
@requires(OFFICE)
def holiday_notice():
    """The State Council's notice pasted whole: a preview of every day it sets (checked against its own
    weekdays and day counts), then, confirmed, entered in one go."""
    now = utcnow()
    year = int_arg(request.form, "year", low=2000, high=2100) or local(now).year
    text = request.form.get("text", "")
    try:
        notice, rows, others = holidays.read_notice(text, year)
        if request.form.get("step") == "confirm":
            counts = holidays.enter_notice(rows)
            flash(f"已按通知录入 {year} 年的节假日：放假 {counts['holiday']} 天，调休上班 {counts['workday']} 天。"
                  "此后计算的整改期限将按新安排。", "success")
            return redirect(url_for(".holiday_page", year=year), 303)
    except ServiceError as problem:
        return _holidays(year if 2000 <= year <= 2100 else local(now).year, now, notice_error=_form_error(problem),
                         notice_text=text)
    return _holidays(year, now, notice_text=text, preview={"holidays": notice.holidays, "rows": rows,
                                                           "others": others})


def _holidays(year: int, now, error=None, notice_error=None, values=None, **extra):
    """The holidays page of a year; 422 when it shows a refused form."""
    page = render_template("office/holidays.html", year=year, entries=holidays.year_entries(year),
                           years=holidays.known_years(now), warning=holidays.schedule_warning(now),
                           known=holidays.year_known(year), missing=holidays.missing_festivals(year),
                           kinds=holidays.KINDS, error=error,
                           notice_error=notice_error, values=values or {}, **extra)
    return page, 422 if error or notice_error else 200


# ----------------------------------------------------------------------------- campaigns

@bp.get("/campaigns")
@requires(OFFICE)
def campaign_list():
    """The campaigns are listed for every citywide reader now (campaigns.index); an old link goes there."""
    return redirect(url_for("campaigns.index"))


@bp.route("/campaigns/new", methods=["GET", "POST"])
@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@requires(OFFICE)
def campaign_form(campaign_id: int | None = None):
    campaign = reference.get(Campaign, campaign_id) if campaign_id else None
    error = None
    if request.method == "POST":
        try:
            saved = campaigns.save_campaign(request.form, request.form.getlist("category_ids"),
                                            request.form.getlist("districts"), utcnow(), campaign)
            flash(f"已保存专项行动“{saved.name}”。", "success")
            return redirect(url_for("campaigns.show", campaign_id=saved.id))
        except ServiceError as problem:
            error = _form_error(problem)
            campaign = reference.get(Campaign, campaign_id) if campaign_id else None
    if request.method == "POST":
        values = request.form.to_dict()
        chosen_categories = set(request.form.getlist("category_ids"))
        chosen_districts = set(request.form.getlist("districts"))
    elif campaign:
        values = {"name": campaign.name, "start_date": campaign.start_date.isoformat(),
                  "end_date": campaign.end_date.isoformat(), "note": campaign.note}
        chosen_categories = {str(c.id) for c in campaign.categories}
        chosen_districts = set(campaign.districts)
    else:
        today = local(utcnow()).date()
        values = {"start_date": today.isoformat()}
        chosen_categories, chosen_districts = set(), set()
    return render_template("office/campaign_form.html", campaign=campaign, values=values, error=error,
                           categories=reference.list_categories(), districts=reference.districts(),
                           chosen_categories=chosen_categories, chosen_districts=chosen_districts), \
        422 if error else 200


@bp.get("/campaigns/<int:campaign_id>")
@requires(OFFICE)
def campaign_detail(campaign_id: int):
    """Its page is campaigns.show now; an old link goes there."""
    return redirect(url_for("campaigns.show", campaign_id=reference.get(Campaign, campaign_id).id))


@bp.post("/campaigns/<int:campaign_id>/delete")
@requires(OFFICE)
def campaign_delete(campaign_id: int):
    campaign = reference.get(Campaign, campaign_id)
    campaigns.delete_campaign(campaign)
    flash(f"已删除专项行动“{campaign.name}”（问题记录不受影响）。", "success")
    return redirect(url_for("campaigns.index"))


# ----------------------------------------------------------------------------- import

KIND = f"<any({', '.join(imports.KINDS)}):kind>"
EXPORT_KIND = f"<any({', '.join(imports.EXPORTABLE)}):kind>"


@bp.get(f"/import/{KIND}")
@requires(OFFICE)
def import_form(kind: str):
    return render_template("office/import_form.html", kind=kind, spec=imports.SPECS[kind],
                           existing=imports.count_rows(kind), max_rows=imports.max_rows())


@bp.post(f"/import/{KIND}")
@takes_upload("spreadsheet")
@requires(OFFICE)
def import_preview(kind: str):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 .xlsx 或 .csv 文件。", "error")
        return redirect(url_for(".import_form", kind=kind))
    data = upload.read()
    try:
        result = imports.run_import(kind, upload.filename, data, utcnow(), current_user, dry_run=True)
    except ServiceError as problem:
        db.session.rollback()
        return render_template("office/import_form.html", kind=kind, spec=imports.SPECS[kind], error=problem.message,
                               existing=imports.count_rows(kind), max_rows=imports.max_rows()), problem.status
    token = None if result.errors else uploads.keep(kind, current_user.id, upload.filename, data)
    return render_template("office/import_preview.html", kind=kind, spec=imports.SPECS[kind], result=result,
                           summary=result.as_dict(), token=token, filename=upload.filename), \
        422 if result.errors else 200


@bp.post(f"/import/{KIND}/confirm")
@requires(OFFICE)
def import_confirm(kind: str):
    token = request.form.get("token", "")
    now = utcnow()
    try:
        filename, data = uploads.load(kind, current_user.id, token)
        if imports.needs_job(kind, filename, data, now, current_user):  # many rows or passwords: in the background
            label = f"导入{imports.SPECS[kind].label}（{filename}）"
            job = jobs.enqueue("office_import", current_user, label, {"kind": kind, "filename": filename}, now,
                               input_data=data)
            return _started(job, lambda: uploads.discard(kind, current_user.id, token))
        result = imports.run_import(kind, filename, data, now, current_user, dry_run=False)
    except ServiceError as problem:
        flash(_form_error(problem), "error")
        return redirect(url_for(".import_form", kind=kind))
    if result.errors:  # the data changed since the preview
        db.session.rollback()
        return render_template("office/import_preview.html", kind=kind, spec=imports.SPECS[kind], result=result,
                               summary=result.as_dict(), token=None, filename=filename, stale=True), 422
    uploads.discard(kind, current_user.id, token)
    return _import_done(kind, result.as_dict())


def _import_done(kind: str, summary: dict):
    passwords = [r for r in summary["rows"] if r.get("password")]
    if passwords:
        return render_template("office/import_done.html", kind=kind, spec=imports.SPECS[kind], summary=summary,
                               passwords=passwords)
    flash(f"导入完成：新增 {summary['added']} 条，修改 {summary['changed']} 条，未变 {summary['unchanged']} 条。",
          "success")
    return redirect(url_for(imports.SPECS[kind].after))


def _started(job: Job, after_commit=None):
    """A queued job: commit it, start a runner in this process, and show its progress page."""
    db.session.commit()
    if after_commit is not None:
        after_commit()
    worker.kick(current_app._get_current_object())
    return redirect(url_for("background.show", job_id=job.id), 303)


@bp.get("/import/jobs/<int:job_id>")
@requires(OFFICE)
def import_job_result(job_id: int):
    """A finished import job's result, once: generated passwords are shown here and then deleted."""
    job = jobs.job_for(current_user, job_id)
    if job.kind != "office_import":
        raise NotFound("没有这个导入任务。")
    kind = job.summary.get("kind") or job.params.get("kind")
    try:
        path = jobs.result_path(job)
    except ServiceError as problem:
        if job.status == "done":  # shown once already: the counts are still known
            flash(f"{job.summary.get('message', '导入完成。')}（初始密码已显示过一次，不再保留。）", "success")
            return redirect(url_for(".accounts_list" if kind == "accounts" else ".home"))
        raise problem
    summary = json.loads(path.read_text(encoding="utf-8"))
    jobs.consume_secret(job)
    db.session.commit()
    return _import_done(kind, summary)


@bp.get(f"/import/{KIND}/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def import_template(kind: str, fmt: str):
    return downloads.reference(kind, fmt, request.args.get("encoding"), utcnow(), template=True)


# ----------------------------------------------------------------------------- export

@bp.get(f"/export/{EXPORT_KIND}.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def export_reference(kind: str, fmt: str):
    return downloads.reference(kind, fmt, request.args.get("encoding"), utcnow())


@bp.get("/export/tickets.<any(xlsx, csv):fmt>")
@requires(EVERYONE)
def export_tickets(fmt: str):
    """The ticket list as a spreadsheet, with the list page's query string as filters; every role gets
    only what its list shows (a unit its own tickets). A big one becomes a background job: its progress page."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # A link on another site must not start work in the user's name (a big export is a job): ask first.
        return render_template("office/export_confirm.html", url=request.full_path, fmt=fmt)
    mine = has_role(current_user, INSPECTORS) and flag_arg(request.args, "mine")
    result = downloads.tickets(current_user, request.args, fmt, utcnow(), mine=mine)
    return _started(result) if isinstance(result, Job) else result
