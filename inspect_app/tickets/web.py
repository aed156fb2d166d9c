"""Pages for people: filing a report from a phone, each role's lists, a ticket's page with its action forms.

Routes only read input, call one service and render or redirect; the services check permissions and status.
The phone page submits with JavaScript (scaled photos); those requests carry `X-Requested-With` and get JSON
back ({"redirect": url} or {"error": {"code", "message"}}), everything else gets pages and 303 redirects.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth.decorators import local_url
from ..auth.decorators import roles_required as roles
from ..auth.permissions import can
from ..common.errors import BadRequest, NotFound, ServiceError
from ..common.timeutil import fmt, parse_iso, utcnow
from ..errors import HTTP_MESSAGES, error_response
from ..extensions import db
from ..photos.models import Photo
from ..units.models import Segment
from ..units.services import active_categories, active_units, nearest_segments
from . import lifecycle, services
from .api import send_photo
from .campaigns import Campaign
from .inputs import after_photos_from_form, report_from_form
from .models import STATUS_LABELS, Ticket, TicketEvent

bp = Blueprint("tickets", __name__)

START_PAGES = {"inspector": "tickets.new", "unit": "tickets.unit_list", "admin": "tickets.office_work",
               "leader": "dashboard.index"}
UNIT_TABS = [("todo", "待整改", "assigned"), ("feedback", "已反馈", "rectified"), ("closed", "已结案", "closed"),
             ("all", "全部", None)]


# ----------------------------------------------------------------------------- helpers

def is_script() -> bool:
    """A submission from the page's JavaScript, which wants JSON rather than a redirect."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def done(url: str):
    return jsonify({"redirect": url}) if is_script() else redirect(url, 303)


def _error(status: int, code: str, message: str):
    if is_script():
        return jsonify({"error": {"code": code, "message": message}}), status
    return error_response(status, code, message)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    db.session.rollback()
    return _error(error.status, error.code, error.message)


@bp.errorhandler(CSRFError)
def _csrf_error(_error_):
    return _error(400, "csrf_failed", "页面已过期或来源不明，请刷新页面后重新提交。")


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error_):
    message = HTTP_MESSAGES[413][1].format(mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))
    return _error(413, "too_large", message)


@bp.app_template_filter("event_data")
def event_data(event) -> dict:
    try:
        data = json.loads(event.data_json or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@bp.app_template_filter("iso_dt")
def iso_dt(value) -> str:
    """An ISO timestamp kept in an event's data, shown in Shanghai time."""
    try:
        return fmt(parse_iso(str(value)))
    except ValueError:
        return str(value or "")


_asset_version: str | None = None


@bp.app_context_processor
def _assets():
    """A version string for static URLs, so phones fetch new CSS/JS after a deploy."""
    global _asset_version
    if _asset_version is None or current_app.debug:
        static = Path(current_app.static_folder)
        stamps = [int(p.stat().st_mtime) for p in static.rglob("*") if p.is_file()]
        _asset_version = format(max(stamps, default=0), "x")
    return {"asset_v": _asset_version}


def _last_event(ticket, action: str):
    return next((e for e in reversed(ticket.events) if e.action == action), None)


# ----------------------------------------------------------------------------- start, filing

@bp.get("/")
@login_required
def home():
    endpoint = START_PAGES.get(current_user.role, "tickets.office_list")
    if endpoint not in current_app.view_functions:
        endpoint = "tickets.office_list"
    return redirect(url_for(endpoint))


def _new_page(form=None, error: str | None = None):
    form = form or {}
    categories = active_categories()
    return render_template(
        "tickets/new.html", form=form, error=error,
        common=[c for c in categories if c.common], others=[c for c in categories if not c.common],
        idempotency_key=(form.get("idempotency_key") or secrets.token_hex(16)),
        max_photos=current_app.config["MAX_PHOTOS_PER_REPORT"])


@bp.route("/tickets/new", methods=["GET", "POST"])
@roles("inspector", "admin")
def new():
    if request.method == "GET":
        return _new_page()
    key = (request.form.get("idempotency_key") or "").strip() or None
    ticket = services.find_by_idempotency_key(current_user.id, key)
    if ticket is None:  # a retry of a report already filed answers without reading the photos again
        try:
            report = report_from_form(request.form, request.files)
            ticket, _ = services.create_ticket(current_user, report, utcnow())
        except ServiceError as problem:
            if is_script():
                raise
            db.session.rollback()
            # Without JavaScript: show the form again with what was typed (photos must be chosen again).
            return _new_page(request.form, problem.message), problem.status
    return done(url_for(".filed", ticket_id=ticket.id))


@bp.get("/tickets/<int:ticket_id>/filed")
@login_required
def filed(ticket_id: int):
    return render_template("tickets/filed.html", ticket=services.get_ticket(current_user, ticket_id))


@bp.get("/segments/near")
@roles("inspector", "admin")
def segments_near():
    lat = services.parse_coordinate(request.args.get("lat"), "纬度", -90, 90)
    lon = services.parse_coordinate(request.args.get("lon"), "经度", -180, 180)
    if lat is None or lon is None:
        raise BadRequest("请提供经纬度。", code="invalid_location")
    return jsonify([{"id": s.id, "name": s.name, "district": s.district, "unit_name": s.unit.name,
                     "distance_m": round(d)} for s, d in nearest_segments(lat, lon, limit=8)])


# ----------------------------------------------------------------------------- lists

# Every list card shows the ticket's first photo; the verify and dispute lists also read its last events.
CARD_LOAD = (selectinload(Ticket.photos),)
EVENTS_LOAD = CARD_LOAD + (selectinload(Ticket.events).selectinload(TicketEvent.photos),)


def _list(flt, overdue_first: bool = False, options: tuple = CARD_LOAD):
    return services.list_tickets(current_user, flt, utcnow(), overdue_first=overdue_first, options=options)


@bp.get("/tickets/mine")
@roles("inspector")
def mine():
    flt = services.parse_filter(request.args)
    flt.reporter_id = current_user.id
    items, total = _list(flt)
    return render_template("tickets/mine.html", items=items, total=total, flt=flt)


@bp.get("/unit/tickets")
@roles("unit")
def unit_list():
    tab = request.args.get("tab", "todo")
    tabs = {key: status for key, _, status in UNIT_TABS}
    if tab not in tabs:
        tab = "todo"
    flt = services.parse_filter(request.args)
    flt.status, flt.unit_id = tabs[tab], None
    items, total = _list(flt, overdue_first=True)
    return render_template("tickets/unit_list.html", items=items, total=total, flt=flt, tab=tab, tabs=UNIT_TABS)


@bp.get("/tickets/verify")
@roles("inspector", "admin")
def verify_queue():
    flt = services.parse_filter(request.args)
    flt.status = "rectified"
    items, total = _list(flt, options=EVENTS_LOAD)
    rows = [(t, _last_event(t, "rectify")) for t in items]
    return render_template("tickets/verify_queue.html", rows=rows, total=total, flt=flt)


@bp.get("/tickets")
@roles("admin", "leader", "inspector")
def office_list():
    flt = services.parse_filter(request.args)
    items, total = _list(flt)
    districts = db.session.scalars(select(Segment.district).where(Segment.active.is_(True))
                                   .distinct().order_by(Segment.district))
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc()))
    return render_template("tickets/office_list.html", items=items, total=total, flt=flt,
                           units=active_units(), categories=active_categories(), districts=list(districts),
                           campaigns=list(campaigns), statuses=STATUS_LABELS,
                           export_args={k: v for k, v in request.args.items() if k not in ("page", "per_page")})


@bp.get("/office/work")
@roles("admin")
def office_work():
    pending, n_pending = _list(services.TicketFilter(status="pending", per_page=100))
    disputed, n_disputed = _list(services.TicketFilter(status="disputed", per_page=100), options=EVENTS_LOAD)
    return render_template("tickets/office_work.html", pending=pending, n_pending=n_pending,
                           disputed=[(t, _last_event(t, "dispute")) for t in disputed], n_disputed=n_disputed,
                           extensions=services.pending_extensions(), units=active_units())


# ----------------------------------------------------------------------------- one ticket

@bp.get("/tickets/<int:ticket_id>")
@login_required
def detail(ticket_id: int):
    ticket = services.get_ticket(current_user, ticket_id, detail=True)
    rectify_event = _last_event(ticket, "rectify")
    return render_template("tickets/detail.html", ticket=ticket, extension=services.open_extension(ticket),
                           after_photos=rectify_event.photos if rectify_event else [],
                           units=active_units() if can_reassign(ticket) else [])


def can_reassign(ticket) -> bool:
    return can(current_user, "reassign", ticket)


def _approved(form) -> bool | None:
    return {"1": True, "0": False}.get(form.get("approved", ""))


# action -> (service call with (user, ticket, now, form), message shown after it)
FORM_ACTIONS = {
    "approve": (lambda u, t, n, f: services.approve(u, t, n, f.get("note")), "已核查结案。"),
    "reject": (lambda u, t, n, f: services.reject(u, t, n, f.get("note")), "已退回返工。"),
    "dispute": (lambda u, t, n, f: services.dispute(u, t, n, f.get("reason")), "退单申请已提交，等待文明办处理。"),
    "reassign": (lambda u, t, n, f: services.reassign(u, t, n, f.get("unit_id"), f.get("note")), "已派遣。"),
    "request_extension": (lambda u, t, n, f: services.request_extension(
        u, t, n, until=f.get("until"), workdays=f.get("workdays"), reason=f.get("reason")),
        "延期申请已提交，等待文明办审批。"),
    "decide_extension": (lambda u, t, n, f: services.decide_extension(u, t, n, _approved(f), f.get("note")),
                         "延期申请已处理。"),
    "cancel": (lambda u, t, n, f: services.cancel(u, t, n, f.get("reason")), "问题已作废。"),
}


@bp.post("/tickets/<int:ticket_id>/<action>")
@login_required
def act(ticket_id: int, action: str):
    if action != "rectify" and action not in FORM_ACTIONS:
        raise NotFound("没有这个操作。", code="unknown_action")
    moment = utcnow()
    ticket = services.get_ticket(current_user, ticket_id)
    if action == "rectify":
        lifecycle.check(ticket, "rectify", current_user.role)  # before reading megabytes of photos
        photos, meta = after_photos_from_form(request.form, request.files)
        services.rectify(current_user, ticket, moment, request.form.get("note"), photos, meta)
        message = "整改情况已反馈，等待核查。"
    else:
        perform, message = FORM_ACTIONS[action]
        perform(current_user, ticket, moment, request.form)
    flash(f"{ticket.number}：{message}", "success")
    return done(local_url(request.form.get("next")) or url_for(".detail", ticket_id=ticket.id))


# ----------------------------------------------------------------------------- photo files

def _visible_photo(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("照片不存在或无权查看。")
    services.get_ticket(current_user, photo.ticket_id)  # 404 for a ticket this user may not see
    return photo


@bp.get("/tickets/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    return send_photo(_visible_photo(photo_id), thumb=False)


@bp.get("/tickets/photos/<int:photo_id>/thumb")
@login_required
def photo_thumb(photo_id: int):
    return send_photo(_visible_photo(photo_id), thumb=True)
