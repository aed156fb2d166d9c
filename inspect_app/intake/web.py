"""Intake pages: the public 随手拍 page and receipt lookup (no account), and the office's moderation queue, its
entries for 媒体曝光, 领导交办 and 上级测评反馈, and the 12345 export.

The public pages carry CSRF like every form, set a long-lived device cookie (the per-device limit), count every
submission and lookup before doing any work (limits.py: 429 when over), and show a citizen only the one report
whose receipt code they hold. Everything else here is the office's.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..common.errors import BadRequest, ServiceError
from ..extensions import db
from ..frontages import services as frontage_services
from ..http import choice_arg, date_range_args, done, flag_arg, form_again, int_arg, now, past_last_page
from ..navigation import Count, register_badge
from ..office import downloads
from ..photos.service import send_stored
from ..policy import CITYWIDE, OFFICE, has_role, public, requires
from ..tickets import duplicates
from ..tickets.rules import SOURCES
from ..units.services import active_categories, active_units, segment_choices, segments_named_in
from . import feedback, hotline, limits, services
from .citizen_page import device_token, no_store, with_device
from .models import INTAKE_SOURCES, STATUSES, IntakePhoto

bp = Blueprint("intake", __name__)
FRONTAGE_CHOICES_MAX = 500  # a longer register is not listed on the forms: its number is typed (or searched for)
# The receipt codes this browser session was given (the signed session cookie): their own reports, which their
# receipt page shows without counting a lookup, so the page right after 提交 always shows its code
OWN_RECEIPTS, OWN_RECEIPTS_KEPT = "citizen_receipts", 5

register_badge("intake.queue", lambda user: Count(services.PENDING) if has_role(user, OFFICE) else 0, "件待审核")


# ----------------------------------------------------------------------------- the public page

def _address() -> str:
    return limits.address_digest(request.remote_addr)


@bp.route("/citizen/report", methods=["GET", "POST"])
@public
def report():
    """随手拍: a photo, the place, the kind of problem, a phone number if they like; a receipt code back."""
    token, new = device_token()
    if request.method == "GET":
        return no_store(with_device(current_app.make_response(_report_page()), token, new))
    if new:  # the page sets the cookie; a post without it did not come from the page
        raise BadRequest("请先打开随手拍页面，再拍照提交。", code="device_cookie_missing")
    moment, device, address = now(), limits.digest("device", token), _address()
    try:
        limits.admit_citizen_report(device, address, moment)  # 429 (with Retry-After) when over a limit
    except limits.TooMany as refused:
        return _report_again(refused)
    db.session.commit()  # counted before the photos are read, for every process to see
    try:
        item = services.submit_citizen(request.form, request.files, device, address, moment)
    except ServiceError as problem:  # refused for what was sent, nothing saved: not one of the device's reports
        db.session.rollback()
        limits.give_back_citizen_report(device, moment)
        db.session.commit()
        return _report_again(problem)
    session[OWN_RECEIPTS] = [item.receipt, *session.get(OWN_RECEIPTS, [])][:OWN_RECEIPTS_KEPT]
    return done(url_for(".receipt", code=item.receipt, new=1))


PICK_AGAIN = "已填写的内容已保留，照片无法保留，请重新选择照片后提交。"


def _report_page(typed=None, error: str | None = None) -> str:
    return render_template("intake/report.html", categories=services.citizen_categories(),
                           enabled=services.enabled(), max_photos=current_app.config["CITIZEN_MAX_PHOTOS"],
                           typed=typed or {}, error=error)


def _report_again(problem: ServiceError):
    """A report refused where the page's script did not send it (an old phone browser without createImageBitmap,
    the script not loaded): the form again with what was typed and why, at the refusal's status, not a redirect to
    an empty form (http.form_again). The script hears the error as JSON."""
    page, status = form_again(problem, lambda typed, why: _report_page(typed, why + PICK_AGAIN), passes=())
    response = no_store(current_app.make_response((page, status)))
    if getattr(problem, "retry_after", None):
        response.headers["Retry-After"] = str(problem.retry_after)
    return response


def _own_receipt(code: str) -> bool:
    """A code this browser session was given on filing: looking at it guesses nothing."""
    normal = services.normalize_receipt(code)
    return normal is not None and normal in session.get(OWN_RECEIPTS, ())


@bp.get("/citizen/receipt")
@public
def receipt_lookup():
    """The lookup form; ?code= goes to the receipt."""
    code = (request.args.get("code") or "").strip()
    if code:
        normal = services.normalize_receipt(code)
        if normal is None:
            return no_store(current_app.make_response(
                (render_template("intake/lookup.html", error="回执码应为10位字母和数字，请核对后重新输入。", code=code[:20]),
                 400)))
        return redirect(url_for(".receipt", code=normal))
    return no_store(current_app.make_response(render_template("intake/lookup.html", error=None, code="")))


@bp.get("/citizen/receipt/<code>")
@public
def receipt(code: str):
    """One report's progress, for whoever holds its code; every lookup is counted per address but the citizen's
    own reports' (a crowd behind one carrier address used the lookups up: the page after 提交 showed 429, never
    the code of the report just saved)."""
    if not _own_receipt(code):
        try:
            limits.admit_receipt_lookup(_address(), now())
        except limits.TooMany as refused:
            db.session.rollback()
            page = render_template("intake/lookup.html", error=refused.message, code=code[:20])
            return no_store(current_app.make_response((page, 429, {"Retry-After": str(refused.retry_after)})))
        db.session.commit()
    item = services.by_receipt(code)
    if item is None:
        page = render_template("intake/lookup.html", error="没有找到这个回执码对应的问题，请核对后重新输入。", code=code[:20])
        return no_store(current_app.make_response((page, 404)))
    page = render_template("intake/receipt.html", item=item, state=services.progress(item),
                           code=services.format_receipt(item.receipt), new=flag_arg(request.args, "new"))
    return no_store(current_app.make_response(page))


# ----------------------------------------------------------------------------- the moderation queue

@bp.get("/intake")
@requires(OFFICE)
def queue():
    status = choice_arg(request.args, "status", STATUSES, "invalid_status_filter", "状态") or "pending"
    source = choice_arg(request.args, "source", INTAKE_SOURCES, "invalid_source", "来源")
    page = int_arg(request.args, "page", high=100_000, default=1)
    flt = services.QueueFilter(status=status, source=source, sender=request.args.get("sender") or None, page=page)
    items, total = services.queue(flt)
    if (last := past_last_page(page, flt.per_page, total)) is not None:
        return last
    return render_template("intake/queue.html", items=items, total=total, flt=flt, statuses=STATUSES,
                           sources=INTAKE_SOURCES, senders=services.sender_counts(items) if status == "pending" else {},
                           repeats=_likely_repeats(items) if status == "pending" else {},
                           near=services.located_segments([i for i in items if not i.address]),
                           pages=max((total + flt.per_page - 1) // flt.per_page, 1))


def _likely_repeats(items) -> dict:
    """疑似重复 on the queue's cards: for each located report, the nearest open problem of its category (one indexed
    search a report, at most a page of them), so repeats are merged at a glance."""
    found = {}
    for i in items:
        near = duplicates.open_nearby(i.category_id, i.lat, i.lon, limit=1)
        if near:
            found[i.id] = near[0]
    return found


@bp.get("/intake/<int:item_id>")
@requires(OFFICE)
def item(item_id: int):
    return _item_page(item_id)


def _item_page(item_id: int, typed=None, error: str | None = None, failed: str = "accept", confirm=None):
    """The item's page; `typed` and `error`: the `failed` form (accept, merge, decline or sender) refused, shown
    again as typed with why; `confirm`: the problem a typed 问题编号 names, to confirm the merge into it."""
    found = services.get_item(item_id)
    near = services.located_segments([found]).get(found.id)
    named = [] if near or found.status != "pending" else segments_named_in(found.address)
    located = found.lat is not None and found.lon is not None
    return render_template("intake/item.html", item=found, state=services.progress(found),
                           categories=active_categories(), segments=segment_choices(), units=active_units(),
                           senders=services.sender_counts([found]) if found.status == "pending" else {},
                           near=near, named=named,
                           radius=current_app.config["DISPATCH_RADIUS_M"],
                           # 疑似重复: what is already being handled there (or, without a position, on the roads
                           # the address names), to merge a repeat instead of making a second ticket
                           duplicates=[] if found.status != "pending" else
                           duplicates.open_nearby(found.category_id, found.lat, found.lon) if located else
                           duplicates.open_on_segments(found.category_id, [s.id for s in named]),
                           duplicate_radius=duplicates.radius_m(),
                           receipt=services.format_receipt(found.receipt),
                           typed=typed, error=error, failed=failed if error else None, confirm=confirm,
                           **_frontage_choices())


def _frontage_choices() -> dict:
    """What the accept and entry forms need to name a 门前四包 frontage: the categories routed by frontage, and
    the register as a list to pick a number from (a datalist, no script needed) while it is short enough."""
    codes = [c.code for c in active_categories() if c.route == "frontage"]
    frontages = frontage_services.active_register(FRONTAGE_CHOICES_MAX + 1) if codes else []
    return {"frontage_codes": codes, "frontages": frontages if len(frontages) <= FRONTAGE_CHOICES_MAX else []}


def _with_notes(message: str, notes: list[str]) -> str:
    return message + "".join(f"{note}。" for note in notes)


def _refused(problem: ServiceError, item_id: int, failed: str):
    """A form of the item's page refused: the page again with that form as typed and why (http.form_again)."""
    return form_again(problem, lambda typed, why: _item_page(item_id, typed, why, failed))


@bp.post("/intake/<int:item_id>/accept")
@requires(OFFICE)
def accept(item_id: int):
    notes: list[str] = []
    try:
        ticket = services.accept(current_user, services.get_item(item_id), request.form, now(), notes)
    except ServiceError as problem:
        return _refused(problem, item_id, "accept")
    flash(_with_notes(f"已受理，生成问题 {ticket.number}"
                      + (f"，派遣至{ticket.unit.name}。" if ticket.unit else "，待派遣。"), notes), "success")
    return done(url_for(".queue"))


@bp.post("/intake/<int:item_id>/merge")
@requires(OFFICE)
def merge(item_id: int):
    try:
        item = services.get_item(item_id)
        if not str(request.form.get("ticket_version") or "").strip():
            # a number typed on the page: the problem it names is shown first, and the merge confirmed carries its
            # version as drawn (as the 疑似重复 list's 并入 buttons): one changed meanwhile is refused, not merged into
            target = services.merge_target(current_user, item, request.form)
            return _item_page(item_id, failed="merge", confirm=target)
        ticket = services.merge(current_user, item, request.form, now())
    except ServiceError as problem:
        return _refused(problem, item_id, "merge")
    flash(f"已并入问题 {ticket.number}，随该问题一并办理。", "success")
    return done(url_for(".queue"))


@bp.post("/intake/<int:item_id>/decline")
@requires(OFFICE)
def decline(item_id: int):
    try:
        item = services.decline(current_user, services.get_item(item_id), request.form.get("reason"), now())
    except ServiceError as problem:
        return _refused(problem, item_id, "decline")
    flash(f"已不予受理，理由{item.decline_readers}。", "success")
    return done(url_for(".queue"))


@bp.post("/intake/<int:item_id>/decline-sender")
@requires(OFFICE)
def decline_sender(item_id: int):
    by = request.form.get("by") or "device"
    try:
        count = services.decline_from_sender(current_user, services.get_item(item_id), by,
                                             request.form.get("reason"), now())
    except ServiceError as problem:
        return _refused(problem, item_id, "sender")
    flash(f"已将同一{'设备' if by == 'device' else '网络地址'}的 {count} 件待审核来件全部不予受理。", "success")
    return done(url_for(".queue"))


@bp.get("/intake/photos/<int:intake_photo_id>")
@requires(OFFICE)
def photo(intake_photo_id: int):
    return _send(intake_photo_id, thumb=False)


@bp.get("/intake/photos/<int:intake_photo_id>/thumb")
@requires(OFFICE)
def photo_thumb(intake_photo_id: int):
    return _send(intake_photo_id, thumb=True)


def _send(photo_id: int, thumb: bool):
    row = db.session.get(IntakePhoto, photo_id)
    return send_stored(row.key if row is not None else None, thumb)


# ----------------------------------------------------------------------------- the office's entries

@bp.route("/intake/entry", methods=["GET", "POST"])
@requires(OFFICE)
def entry():
    """媒体曝光, 领导交办 and 上级测评反馈: entered by the office as tickets at once."""
    error, values, status = None, {}, 200
    if request.method == "POST":
        notes: list[str] = []
        try:
            ticket = services.enter(current_user, request.form, request.files, now(), notes)
            flash(_with_notes(f"已登记{SOURCES[ticket.source]}问题 {ticket.number}"
                              + (f"，派遣至{ticket.unit.name}。" if ticket.unit else "，待派遣。"), notes), "success")
            return done(url_for("tickets.detail", ticket_id=ticket.id))
        except ServiceError as problem:
            db.session.rollback()
            # a feedback item entered already is a conflict (409); anything else, a value to correct (422)
            error, values, status = problem.message, request.form, 409 if problem.status == 409 else 422
    return render_template("intake/entry.html", error=error, values=values, sources=services.ENTRY_SOURCES,
                           categories=active_categories(), segments=segment_choices(), units=active_units(),
                           **_frontage_choices()), status


# ----------------------------------------------------------------------------- back to the hotline

def hotline_export(fmt: str):
    """The hotline's cases with their progress, for the hotline's system to take back."""
    rows = hotline.export_rows(*date_range_args(request.args))
    return downloads.rows_sheet("12345工单办理情况", fmt, request.args.get("encoding"), now(), hotline.EXPORT_COLUMNS,
                                rows, widths=hotline.EXPORT_WIDTHS)


@bp.get("/intake/hotline/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def hotline_export_page(fmt: str):
    return hotline_export(fmt)


@bp.get("/intake/feedback")
@requires(CITYWIDE)
def feedback_progress():
    """上级测评反馈: each list's items and where each stands (待交办 … 已销号), for the office and the leaders."""
    return render_template("intake/feedback.html", lists=feedback.lists_progress(now()), stages=feedback.STAGES,
                           office=has_role(current_user, OFFICE))


def feedback_export(fmt: str):
    """上级测评反馈 items with their progress (?list= part of a list's name; with &exact=1 that one list), for the
    整改情况 report upwards."""
    rows = feedback.export_rows(request.args.get("list"), exact=flag_arg(request.args, "exact"))
    return downloads.rows_sheet("上级测评反馈问题整改情况", fmt, request.args.get("encoding"), now(),
                                feedback.EXPORT_COLUMNS, rows, widths=feedback.EXPORT_WIDTHS)


@bp.get("/intake/feedback/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def feedback_export_page(fmt: str):
    return feedback_export(fmt)
