"""门前四包 pages: the register (a street office sees its own street's), one frontage's history, the repeat
offenders and the office's 通报 naming them, adding and editing, 整改通知书 (notices to put its problems right) and
the filing page's search."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.errors import NotFound, ServiceError
from ..common.timeutil import local
from ..extensions import db
from ..http import done, form_again, int_arg, now, past_last_page, pdf_bytes
from ..navigation import WHEN
from ..office import downloads
from ..pdf.fonts import document_fonts
from ..policy import EVERYONE, FILERS, OFFICE, REGISTER_KEEPERS, may_open, requires
from ..tickets.rules import ACTIVE_STATUSES, OPEN_STATUSES
from ..workdays.calendar import add_workdays
from . import agreement, bulletin, notices, services
from .models import DUTIES, FRONTAGE_KINDS

bp = Blueprint("frontages", __name__, url_prefix="/frontages")


@bp.app_template_global("frontage_readable")
def frontage_readable(frontage) -> bool:
    """The signed-in user may open the frontage's page (services.may_see): a ticket's page links it only then (a
    district reading a 辖区 problem at a shop on another district's street keeps no such register: the shop is
    named, not linked to a page answering 404)."""
    return frontage is not None and services.may_see(current_user, frontage)


def _shows_register(user) -> bool:
    """The menu entry: citywide readers, and street offices (the units that enforce 门前四包)."""
    return services.has_register(user)


WHEN["frontages.index"] = _shows_register


def _page_arg() -> int:
    return int_arg(request.args, "page", high=100_000, default=1)


@bp.get("/")
@requires(EVERYONE)
def index():
    found = services.register_filter(current_user, request.args)
    page = _page_arg()
    rows, total = services.list_frontages(current_user, found, page=page)
    if (last := past_last_page(page, services.PER_PAGE, total)) is not None:
        return last
    counts = services.recent_counts([f.id for f in rows], now())
    repeat, days = services.repeat_rule()
    return render_template("frontages/index.html", rows=rows, total=total, page=page,
                           pages=max((total + services.PER_PAGE - 1) // services.PER_PAGE, 1), found=found,
                           q=found.q, street=found.street_unit_id, status=found.status, statuses=services.STATUSES,
                           signings=services.SIGNING, roads=services.road_menu(current_user),
                           counts=counts, repeat=repeat, days=days, streets=services.filter_streets(current_user),
                           duties=DUTIES,
                           may_add=services.may_edit(current_user, None), keeps_register=_shows_register(current_user),
                           export_args={k: v for k in services.FILTER_ARGS if (v := request.args.get(k))})


@bp.get("/export.<any(xlsx, csv):fmt>")
@requires(EVERYONE)
def export(fmt: str):
    """The register as listed with the page's filters, every page (a street office its own street's shops)."""
    services.refuse_no_register(current_user)
    moment = now()
    rows = services.export_rows(current_user, services.register_filter(current_user, request.args), moment)
    return downloads.rows_sheet(services.EXPORT_LABEL, fmt, request.args.get("encoding"), moment,
                                services.export_columns(), rows, services.EXPORT_WIDTHS)


def _offenders() -> dict:
    """The repeat offenders this user may see, with the notices each was given by the street it counts for and those
    past their date (`late`: served in time and not put right; `unserved`: past their date but not recorded as
    delivered by it; `bound`: of the late, those their notice held to a signed 责任书), keyed by Offender.key."""
    repeat, days = services.repeat_rule()
    moment = now()
    rows = services.repeat_offenders(current_user, moment)
    keys, today = [o.key for o in rows], local(moment).date()  # (frontage, street): a moved shop's old street
    late, unserved = notices.past_due(keys, today)
    return {"rows": rows, "told": notices.counts(keys), "late": late, "unserved": unserved, "repeat": repeat,
            "days": days, "today": today, "bound": notices.under_agreement(keys, today)}


@bp.get("/offenders")
@requires(EVERYONE)
def offenders():
    found = _offenders()
    return render_template("frontages/offenders.html", **found, named=[o for o in found["rows"] if o.frontage.active],
                           may_publish=may_open(current_user, "frontages.offenders_pdf"),
                           keeps_register=_shows_register(current_user))


@bp.get("/offenders.pdf")
@requires(OFFICE)
def offenders_pdf():
    """The office's 通报 naming the repeat offenders in business, a draft for the leaders to approve: a retired
    (停用: closed, moved away) shop cannot put anything right in 5 working days, nor is there a shop to expose."""
    found = _offenders()
    listed, found["rows"] = found["rows"], [o for o in found["rows"] if o.frontage.active]
    if not found["rows"]:  # the page shows no button then; an old link lands back on the list, saying why
        flash(f"近{found['days']}天屡次违反门前四包责任的商户均已停用，无需通报。" if listed else
              f"近{found['days']}天没有屡次违反门前四包责任的商户，无需通报。", "error")
        return redirect(url_for(".offenders"))
    today = found["today"]
    return pdf_bytes(bulletin.render(**found), f"frontage-offenders-{today.isoformat()}.pdf",
                     f"门前四包屡次违反商户通报（草稿）_{today}.pdf")


@bp.get("/<int:frontage_id>")
@requires(EVERYONE)
def detail(frontage_id: int):
    return _detail_page(frontage_id)


def _detail_page(frontage_id: int, failed: str | None = None, typed=None, error: str | None = None):
    """The frontage's page; after a refused notice or 送达 (`failed`: "notice" or "deliver-<id>"), that form again
    with what was typed and, beside it, why."""
    frontage = services.get(current_user, frontage_id)
    tickets = services.history(current_user, frontage)
    repeat, days = services.repeat_rule()
    moment, given = now(), notices.notices_of(current_user, frontage)
    street = services.record_street(current_user, frontage)  # a street the shop was with before: its own record
    recent = services.recent_counts([frontage.id], moment, street).get(frontage.id, 0)
    held = [t for t in tickets if t.part_of(street) is not None]
    return render_template("frontages/detail.html", frontage=frontage, tickets=tickets, recent=recent,
                           repeat=repeat, days=days, may_edit=services.may_edit(current_user, frontage),
                           overseeing=services.oversees_street(current_user, frontage.street_unit_id),
                           duties=DUTIES, notices=given, left=notices.still_open(given),
                           former=street != frontage.street_unit_id, elsewhere=len(tickets) - len(held),
                           moved=services.former_record(current_user, frontage),
                           open_notice=notices.open_notice(frontage, local(moment).date()),
                           deliverable={n.id for n in given if notices.may_deliver(current_user, n)},
                           open_count=sum(1 for t in held if t.status in OPEN_STATUSES),
                           unfinished=sum(1 for t in held if t.status in ACTIVE_STATUSES),
                           suggested_due=local(add_workdays(moment, notices.DEFAULT_WORKDAYS)).date(),
                           today=local(moment).date(), longest=notices.LONGEST_DAYS,
                           failed=failed, typed=typed or {}, form_error=error)


def _refused(problem: ServiceError, frontage_id: int, failed: str):
    """The frontage's page again with the refused form as typed (http.form_again)."""
    return form_again(problem, lambda typed, why: _detail_page(frontage_id, failed, typed, why))


@bp.post("/<int:frontage_id>/notices")
@requires(REGISTER_KEEPERS)
def notice_issue(frontage_id: int):
    """门前四包责任整改通知书 for the frontage's problems open now (its street office, the office)."""
    frontage = services.get(current_user, frontage_id)
    try:
        notice = notices.issue(current_user, frontage, request.form, now())
    except ServiceError as problem:
        return _refused(problem, frontage.id, "notice")
    flash(f"已生成整改通知书 {notice.number}，请打印后送达“{frontage.name}”。", "success")
    return done(url_for(".detail", frontage_id=frontage.id) + f"#notice-{notice.id}")


@bp.post("/notices/<int:notice_id>/delivered")
@requires(REGISTER_KEEPERS)
def notice_delivered(notice_id: int):
    """送达: the street office records when the notice was handed over and who signed for it."""
    notice = notices.get(current_user, notice_id)
    try:
        notices.deliver(current_user, notice, request.form, now())
    except ServiceError as problem:
        return _refused(problem, notice.frontage_id, f"deliver-{notice.id}")
    flash(f"已登记送达：{notice.number}，{notice.received_by}。", "success")
    return done(url_for(".detail", frontage_id=notice.frontage_id) + f"#notice-{notice.id}")


@bp.get("/notices/<int:notice_id>.pdf")
@requires(EVERYONE)
def notice_pdf(notice_id: int):
    notice = notices.get(current_user, notice_id)
    return pdf_bytes(notices.render(notice), f"frontage-notice-{notice.year}-{notice.seq}.pdf",
                     f"门前四包整改通知书_{notice.addressee}_{notice.number}.pdf")


@bp.get("/<int:frontage_id>/agreement.pdf")
@requires(REGISTER_KEEPERS)
def agreement_pdf(frontage_id: int):
    """门前四包责任书 for the shop to sign (its street office, the office): one A4 page from the register."""
    frontage = services.get(current_user, frontage_id)
    if not services.may_edit(current_user, frontage):
        raise NotFound("门前四包责任商户不存在或无权查看。")
    data = agreement.render(agreement.of(frontage, local(now()).date()), document_fonts(current_app.config))
    return pdf_bytes(data, f"frontage-agreement-{frontage.code}.pdf", f"门前四包责任书_{frontage.name}.pdf")


@bp.route("/new", methods=["GET", "POST"])
@requires(REGISTER_KEEPERS)
def new():
    """The office adds a frontage anywhere, a street office in its own street."""
    return _form(None)


@bp.route("/<int:frontage_id>/edit", methods=["GET", "POST"])
@requires(REGISTER_KEEPERS)
def edit(frontage_id: int):
    return _form(frontage_id)


def _form(frontage_id: int | None):
    frontage = services.get(current_user, frontage_id) if frontage_id else None
    if not services.may_edit(current_user, frontage):
        raise NotFound("门前四包责任商户不存在或无权查看。")
    error = None
    if request.method == "POST":
        # the street its 责任书 was signed with: moved elsewhere, it is to sign a new one there
        signing = (frontage.signed_on, frontage.street_unit) if frontage is not None and frontage.signed else None
        try:
            saved = services.save(current_user, request.form, now(), frontage)
            flash(f"已保存“{saved.name}”。", "success")
            if signing is not None and saved.street_unit_id != signing[1].id and not saved.signed:
                flash(services.must_sign_again(saved.kind, *signing, saved.street_unit) + "。", "info")
            return redirect(url_for(".detail", frontage_id=saved.id))
        except ServiceError as problem:
            db.session.rollback()
            error = problem.message
            frontage = services.get(current_user, frontage_id) if frontage_id else None
    if request.method == "POST":
        values = request.form
    elif frontage:
        values = {"code": frontage.code, "name": frontage.name, "kind": frontage.kind, "address": frontage.address,
                  "street_unit_id": str(frontage.street_unit_id), "segment_id": str(frontage.segment_id or ""),
                  # its signing with the street it is with now (one with a street it left is not its 责任书 here)
                  "signed_on": frontage.signed_here_on.isoformat() if frontage.signed else "",
                  "contact_person": frontage.contact_person, "contact_phone": frontage.contact_phone,
                  "note": frontage.note}
    else:
        values = {"kind": "商户", "street_unit_id": str(current_user.unit_id or "")}
    return render_template("frontages/form.html", frontage=frontage, values=values, error=error,
                           kinds=FRONTAGE_KINDS, streets=services.streets(current_user),
                           segments=services.segment_menu(current_user, frontage)), \
        422 if error else 200


@bp.post("/<int:frontage_id>/<any(retire, restore):action>")
@requires(REGISTER_KEEPERS)
def active(frontage_id: int, action: str):
    frontage = services.get(current_user, frontage_id)
    services.set_active(current_user, frontage, action == "restore")
    left = services.unfinished(frontage) if action == "retire" else 0
    flash(f"“{frontage.name}”已{'恢复' if action == 'restore' else '停用（停业或搬迁）'}。"
          + (f"其尚未办结的 {left} 件问题不会撤销，仍由所属街道跟进办结。" if left else ""), "success")
    return redirect(url_for(".detail", frontage_id=frontage.id))


@bp.get("/search")
@requires(FILERS)
def search():
    """The filing page's picker: active frontages matching ?q= (name, address or number), at most 20; how many
    match in all in X-Total-Count (the page lists 8 and, when there are more, says so and asks for more words)."""
    rows, total = services.search(request.args.get("q") or "")
    response = jsonify([{"id": f.id, "code": f.code, "name": f.name, "address": f.address,
                         "street": f.street_unit.name,
                         "segment": f.segment.name if f.segment is not None and f.segment.active else None}
                        for f in rows])
    response.headers["X-Total-Count"] = str(total)
    return response
