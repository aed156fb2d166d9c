"""Assessment pages: the checklist, rounds (create with a draw, follow, close, issue the 通报), scores, the
inspector's phone pages (assigned sites, a site's checklist) and a unit's results."""
from __future__ import annotations

import itertools

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from ..auth.models import User
from ..common.errors import Invalid, ServiceError
from ..common.sql import count_where
from ..extensions import db
from ..http import choice_arg, done, flag_arg, form_again, int_arg, now, takes_upload
from ..office import downloads, uploads
from ..policy import (
    CITYWIDE,
    EVERYONE,
    FILERS,
    INSPECTOR,
    OFFICE,
    UNITS,
    has_role,
    may_open,
    requires,
    sees_citywide,
)
from ..sites.models import ROLE_LABELS, Site
from ..sites.services import active_counts, districts, get_site, list_kinds
from ..tickets.inputs import idempotency_key
from ..tickets.models import Ticket
from ..tickets.territory import in_territory
from ..units.models import Unit
from ..units.territory import oversees, sub_unit_choice, territory_ids
from . import checklist, documents, findings, scores, services
from .models import KINDS, Result, Round, RoundSite

bp = Blueprint("assessment", __name__, url_prefix="/assessment", static_folder="static",
               static_url_path="/static")
IMPORT_KIND = "checklist"


@bp.app_template_global()
def assessment_origin(ticket) -> dict | None:
    """The round, site and item a ticket came from (shown on the ticket's page), or None; `scores`: the round's
    得分与对比 page, when this user may open it (a unit the task was moved to by a 退单 may: services.get_round)."""
    if ticket is None or not getattr(ticket, "site_id", None):
        return None
    row = db.session.execute(
        select(Result, RoundSite).join(RoundSite, RoundSite.id == Result.round_site_id)
        .where(Result.ticket_id == ticket.id)).first()
    if row is None:
        return {"site": ticket.site, "round": None, "item": None}
    result, rs = row
    scores_url = None
    if may_open(current_user, "assessment.round_scores") and (sees_citywide(current_user) or db.session.scalar(
            select(Round.id).where(Round.id == rs.round_id, services.visible_round_ids_condition(current_user)))):
        scores_url = url_for("assessment.round_scores", round_id=rs.round_id)
    return {"site": ticket.site, "round": rs.round, "item": result.item, "scores": scores_url}


@bp.app_template_global()
def assessment_may_open(endpoint: str) -> bool:
    return may_open(current_user, endpoint)


# ----------------------------------------------------------------------------- checklist

@bp.get("/checklist")
@requires(CITYWIDE)
def checklist_page():
    version = checklist.current_version()
    kind_name = request.args.get("kind") or ""
    all_items = checklist.items(version)
    shown = [i for i in all_items if not kind_name or i.site_kind.name == kind_name]
    return render_template("assessment/checklist.html", version=version, items=shown, kinds=list_kinds(),
                           kind=kind_name, total=len(all_items), roles=ROLE_LABELS)


@bp.get("/checklist/import")
@requires(OFFICE)
def checklist_import_form():
    return render_template("assessment/import_form.html", spec=checklist.SPEC, error=None,
                           action=url_for(".checklist_import_preview"), back=url_for(".checklist_page"),
                           template_url=url_for(".checklist_template", fmt="xlsx"),
                           template_csv=url_for(".checklist_template", fmt="csv"),
                           explain="导入的文件是完整的测评体系：确认后生成新版本，此后新建的测评轮次使用新版本；"
                                   "已建轮次仍按其当时的版本测评和计分。")


@bp.post("/checklist/import")
@takes_upload("spreadsheet")
@requires(OFFICE)
def checklist_import_preview():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 .xlsx 或 .csv 文件。", "error")
        return redirect(url_for(".checklist_import_form"))
    data = upload.read()
    try:
        result, _ = checklist.run_import(upload.filename, data, now(), current_user, dry_run=True)
    except ServiceError as problem:
        db.session.rollback()
        return render_template("assessment/import_form.html", spec=checklist.SPEC, error=problem.message,
                               action=url_for(".checklist_import_preview"), back=url_for(".checklist_page"),
                               template_url=url_for(".checklist_template", fmt="xlsx"),
                               template_csv=url_for(".checklist_template", fmt="csv")), problem.status
    token = None if result.errors else uploads.keep(IMPORT_KIND, current_user.id, upload.filename, data)
    return render_template("assessment/import_preview.html", spec=checklist.SPEC, summary=result.as_dict(),
                           token=token, filename=upload.filename, confirm=url_for(".checklist_import_confirm"),
                           again=url_for(".checklist_import_form"), whole=True), 422 if result.errors else 200


@bp.post("/checklist/import/confirm")
@requires(OFFICE)
def checklist_import_confirm():
    token = request.form.get("token", "")
    try:
        filename, data = uploads.load(IMPORT_KIND, current_user.id, token)
        result, version = checklist.run_import(filename, data, now(), current_user, dry_run=False)
    except ServiceError as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return redirect(url_for(".checklist_import_form"))
    if result.errors:
        db.session.rollback()
        return render_template("assessment/import_preview.html", spec=checklist.SPEC, summary=result.as_dict(),
                               token=None, filename=filename, confirm=url_for(".checklist_import_confirm"),
                               again=url_for(".checklist_import_form"), stale=True), 422
    uploads.discard(IMPORT_KIND, current_user.id, token)
    flash(f"已生成测评体系第 {version} 版。" if version else "文件与现行测评体系一致，未生成新版本。", "success")
    return redirect(url_for(".checklist_page"))


@bp.get("/checklist/import/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def checklist_template(fmt: str):
    return downloads.register_sheet(checklist.SPEC.label, fmt, request.args.get("encoding"), now(), checklist.xlsx,
                                   checklist.csv, template=True)


@bp.get("/checklist/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def checklist_export(fmt: str):
    return downloads.register_sheet(checklist.SPEC.label, fmt, request.args.get("encoding"), now(), checklist.xlsx,
                                   checklist.csv)


# ----------------------------------------------------------------------------- rounds (office, leaders)

@bp.get("/rounds")
@requires(CITYWIDE)
def rounds():
    items = services.list_rounds(current_user)
    progress = dict(db.session.execute(
        select(RoundSite.round_id, db.func.count(RoundSite.id)).where(RoundSite.status == "submitted")
        .group_by(RoundSite.round_id)).all())
    drawn = dict(db.session.execute(select(RoundSite.round_id, db.func.count(RoundSite.id))
                                    .group_by(RoundSite.round_id)).all())
    return render_template("assessment/rounds.html", rounds=items, progress=progress, drawn=drawn)


def _inspectors() -> list[User]:
    """Who may be given sites (services.may_walk): the active inspectors."""
    return list(db.session.scalars(select(User).where(User.role == INSPECTOR, User.active.is_(True))
                                   .order_by(User.username)))


@bp.route("/rounds/new", methods=["GET", "POST"])
@requires(OFFICE)
def round_new():
    error = None
    kinds = list_kinds()
    if request.method == "POST":
        form = request.form
        per_kind = {k.name: form.get(f"count_{k.id}") or 0 for k in kinds
                    if (form.get(f"count_{k.id}") or "0").strip() not in ("", "0")}
        body = {"kind": form.get("kind"), "name": form.get("name"),
                "draw": {"per_kind": per_kind,
                         "per_district": flag_arg(form, "per_district"), "seed": form.get("seed") or None,
                         "exclude_recent": form.get("exclude_recent") or 0,
                         "districts": form.getlist("districts")},
                "inspector_ids": form.getlist("inspector_ids")}
        try:
            if not per_kind:  # the API's refusal names its field (draw.per_kind); the page's says what to do
                raise Invalid("请至少为一类点位填写抽取数量。", code="invalid_draw")
            rnd, spec = services.create_round(current_user, services.parse_round(body), now())
            message = f"已创建“{rnd.name}”，抽签编号 {rnd.seed}。"
            _, shortages = services.draw_summary(rnd)
            if shortages:
                message += "部分类型点位不足：" + "；".join(shortages) + "。"
            flash(message, "success")
            return redirect(url_for(".round_detail", round_id=rnd.id))
        except ServiceError as problem:
            db.session.rollback()
            error = problem.message
    values = request.form if request.method == "POST" else {"kind": "mock_assessment"}
    chosen = set(request.form.getlist("inspector_ids")) if request.method == "POST" else set()
    return render_template("assessment/round_new.html", error=error, values=values, kinds=kinds, round_kinds=KINDS,
                           inspectors=_inspectors(), chosen=chosen, districts=districts(), pool=active_counts(),
                           chosen_districts=set(request.form.getlist("districts")),
                           version=checklist.current_version()), 422 if error else 200


@bp.get("/rounds/<int:round_id>")
@requires(CITYWIDE)
def round_detail(round_id: int):
    rnd = services.get_round(current_user, round_id)
    sites = services.round_sites(current_user, rnd)
    # per site: its tickets being worked on or done, and those voided (作废), which are no task any more
    voided = Ticket.status == "cancelled"
    tickets = {site_id: (made - void, void) for site_id, made, void in db.session.execute(
        select(Result.round_site_id, db.func.count(Ticket.id), count_where(voided))
        .join(RoundSite).join(Ticket, Ticket.id == Result.ticket_id)
        .where(RoundSite.round_id == rnd.id).group_by(Result.round_site_id))}
    drawn, shortages = services.draw_summary(rnd)
    # a site waiting on an inspector since disabled (or on an account that is no inspector) is in nobody's tasks
    stranded = {rs.id: problem for rs in sites if (problem := services.assignee_problem(rs))}
    return render_template("assessment/round_detail.html", round=rnd, sites=sites, tickets=tickets,
                           inspectors=_inspectors(), drawn=drawn, shortages=shortages, stranded=stranded,
                           excluded=services.excluded_rounds(rnd),
                           submitted=sum(1 for s in sites if s.status == "submitted"),
                           current=findings.site_scores(s.id for s in sites))


@bp.post("/rounds/<int:round_id>/sites/<int:site_id>/assign")
@requires(OFFICE)
def round_assign(round_id: int, site_id: int):
    rnd = services.get_round(current_user, round_id)
    rs = services.reassign(current_user, rnd, site_id, request.form.get("inspector_id"))
    flash(f"“{rs.site_name}”已改派给{rs.inspector.name}。", "success")
    return redirect(url_for(".round_detail", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/sites/<int:site_id>/withdraw", methods=["GET", "POST"])
@requires(OFFICE)
def site_withdraw(round_id: int, site_id: int):
    """撤回 a site's submitted results: what it says and which tasks go with it, the reason, the button."""
    rnd = services.get_round(current_user, round_id)
    rs = services.get_round_site(rnd, site_id)
    if request.method == "POST":
        try:
            rs, voided = services.withdraw(current_user, rnd, site_id, request.form.get("reason"), now())
        except ServiceError as problem:
            return form_again(problem, lambda typed, message: _withdraw_page(rnd, rs, typed, message))
        flash(f"已撤回“{rs.site.name}”的测评结果" + (f"，作废整改任务{len(voided)}件" if voided else "")
              + "。该点位恢复为待测评，督查员可重新测评。", "success")
        return done(url_for(".round_detail", round_id=rnd.id))
    return _withdraw_page(rnd, rs, {}, None)


def _withdraw_page(rnd: Round, rs: RoundSite, typed, error: str | None) -> str:
    results = services.results_of(rs)
    return render_template("assessment/withdraw.html", round=rnd, rs=rs, site=rs.site, results=results,
                           withdrawn=findings.withdrawn_ids([rs.id]), current=findings.site_scores([rs.id]),
                           blocker=services.withdraw_blocker(rnd, rs), values=typed, error=error)


@bp.post("/rounds/<int:round_id>/close")
@requires(OFFICE)
def round_close(round_id: int):
    rnd = services.close_round(current_user, services.get_round(current_user, round_id), now())
    flash(f"“{rnd.name}”已结束，不再接收测评结果。", "success")
    return redirect(url_for(".round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/issue")
@requires(OFFICE)
def round_issue(round_id: int):
    rnd = services.issue_bulletin(current_user, services.get_round(current_user, round_id), now(),
                                  current_app.config["ASSESSMENT_BULLETIN_PREFIX"])
    flash(f"督查通报已印发：{rnd.bulletin_number}。", "success")
    return redirect(url_for(".round_detail", round_id=round_id))


@bp.get("/rounds/<int:round_id>/scores")
@requires(EVERYONE)
def round_scores(round_id: int):
    rnd = services.get_round(current_user, round_id)
    data = scores.round_scores(current_user, rnd)
    previous = db.session.get(Round, data["previous_round_id"]) if data["previous_round_id"] else None
    citywide = not has_role(current_user, UNITS)
    return render_template("assessment/scores.html" if citywide else "assessment/scores_unit.html", round=rnd,
                           data=data, previous=previous, citywide=citywide)


def _pdf(rnd: Round, variant: str) -> Response:
    return documents.pdf_response(rnd, variant)


@bp.get("/rounds/<int:round_id>/bulletin.pdf")
@requires(CITYWIDE)
def bulletin_pdf(round_id: int):
    return _pdf(services.get_round(current_user, round_id), "bulletin")


@bp.get("/rounds/<int:round_id>/exposure.pdf")
@requires(CITYWIDE)
def exposure_pdf(round_id: int):
    return _pdf(services.get_round(current_user, round_id), "exposure")


# ----------------------------------------------------------------------------- the inspector's phone

@bp.get("/tasks")
@requires(FILERS)
def tasks():
    mine = services.assigned_to(current_user)
    return render_template("assessment/tasks.html", items=mine,
                           todo=sum(1 for rs in mine if rs.status == "assigned"),
                           current=findings.site_scores(rs.id for rs in mine))


@bp.route("/rounds/<int:round_id>/sites/<int:site_id>", methods=["GET", "POST"])
@requires(FILERS)
def site_check(round_id: int, site_id: int):
    rnd = services.get_round(current_user, round_id)
    rs = services.get_round_site(rnd, site_id)
    services.ensure_may_submit(current_user, rs)
    items = services.items_for(rs)
    if request.method == "POST":
        answers = services.answers_from_form(request.form, [i.code for i in items])
        key = idempotency_key(None, request.form)
        rs, created = services.submit(current_user, rnd, site_id, answers, request.files, now(), key,
                                      services.fingerprint(answers, request.files))
        failed = sum(1 for r in services.results_of(rs) if not r.passed)
        if created:
            outcome = f"{failed}项不达标，已生成整改任务" if failed else "全部达标"
            flash(f"“{rs.site_name}”已提交：{rs.score:g}分，{outcome}。", "success")
        return done(url_for(".tasks"))
    results = {r.item_id: r for r in services.results_of(rs)} if rs.status == "submitted" else {}
    return render_template("assessment/site_check.html", round=rnd, rs=rs, site=rs.site, items=items,
                           results=results, roles=ROLE_LABELS, idempotency_key=_new_key(),
                           max_photos=current_app.config["MAX_PHOTOS_PER_REPORT"],
                           withdrawn=findings.withdrawn_ids([rs.id]), current=findings.site_scores([rs.id]))


def _new_key() -> str:
    import secrets
    return secrets.token_hex(16)


# ----------------------------------------------------------------------------- a unit's results

@bp.get("/results")
@requires(UNITS)
def unit_results():
    """测评结果: the sites the unit answers for; with `scope=territory`, a unit with units under it reads those of
    its 辖区 (read only), each with the units answering for it; `sub_unit` narrows it to one 下属单位 and those
    under it (one outside the 辖区 lists nothing and says why: 400)."""
    sub_unit = int_arg(request.args, "sub_unit")
    territory = ((choice_arg(request.args, "scope", services.SCOPES, label="范围") == "territory"
                  or sub_unit is not None) and oversees(current_user))
    sub_units, refused = sub_unit_choice(current_user, sub_unit) if territory else ([], None)
    page = {"unit_id": current_user.unit_id, "roles": ROLE_LABELS, "territory": territory,
            "oversees": oversees(current_user), "sub_unit": sub_unit if territory else None, "sub_units": sub_units,
            "sub_unit_error": refused}
    if refused:
        return render_template("assessment/unit_results.html", rounds=[], failures={}, current={}, readable=set(),
                               own_rounds=set(), units={}, **page), 400
    rows = services.unit_round_sites(current_user, services.territory_reads(current_user, sub_unit) if territory
                                     else False)
    # by round, newest first as listed (the template's groupby sorted them by id, oldest first)
    rounds = [(group[0].round, group) for group in
              (list(g) for _, g in itertools.groupby(rows, key=lambda rs: rs.round_id))]
    failures = {}
    if rows:
        ids = [rs.id for rs in rows]
        for result in db.session.scalars(select(Result).where(Result.round_site_id.in_(ids),
                                                              findings.standing())):
            failures.setdefault(result.round_site_id, []).append(result)
    # the 辖区 view links each task the clerk may open (tickets/territory.py, the one rule: a city department's
    # task at a site on the territory's ground too), not only those charged to a unit of the 辖区
    reads = territory_ids(current_user) or frozenset()
    tasks = sorted({r.ticket_id for found in failures.values() for r in found if r.ticket_id})
    readable = set(db.session.scalars(select(Ticket.id).where(Ticket.id.in_(tasks), in_territory(reads)))) \
        if territory and tasks else set()
    # the 得分 link of a round the unit's own sites are not in: its scores page is not the territory's to open
    own_rounds = set(db.session.scalars(select(Round.id).where(
        Round.id.in_({rs.round_id for rs in rows}), services.visible_round_ids_condition(current_user)))) \
        if territory else {rs.round_id for rs in rows}
    return render_template("assessment/unit_results.html", rounds=rounds, failures=failures,
                           current=findings.site_scores(rs.id for rs in rows), readable=readable,
                           own_rounds=own_rounds, units=_unit_names(rows) if territory else {}, **page)


def _unit_names(rows) -> dict[int, str]:
    """{unit id: name} of the units answering for these drawn sites (the 辖区 view names them)."""
    ids = {unit_id for rs in rows for unit_id in rs.unit_ids.values() if unit_id}
    return {row.id: row.name for row in db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))}


__all__ = ["bp", "get_site", "Site"]
