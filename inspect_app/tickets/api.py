"""Tickets in the HTTP API v1: filing, listing, reading, moving; photo files."""
from __future__ import annotations

from flask import jsonify, request, send_file

from ..api.common import api_blueprint, current, json_body, now, roles
from ..auth.permissions import ensure_visible
from ..common.errors import NotFound
from ..extensions import db
from ..photos.models import Photo
from ..photos.service import store
from . import services
from .inputs import after_photos_from_form, report_from_form
from .serialize import ticket_dict

bp = api_blueprint("api_tickets", __name__)


@bp.post("/tickets")
@roles("inspector", "admin")
def create():
    user = current()
    key = request.headers.get("Idempotency-Key")
    existing = services.find_by_idempotency_key(user.id, (key or "").strip() or None)
    if existing is not None:  # a retry: answer before reading the photos again
        return jsonify(ticket_dict(existing, now(), detail=True)), 200
    report = report_from_form(request.form, request.files, idempotency_key=key)
    ticket, created = services.create_ticket(user, report, now())
    return jsonify(ticket_dict(ticket, now(), detail=True)), 201 if created else 200


@bp.get("/tickets")
def index():
    flt = services.parse_filter(request.args)
    moment = now()
    items, total = services.list_tickets(current(), flt, moment)
    return jsonify({"items": [ticket_dict(t, moment) for t in items], "total": total,
                    "page": flt.page, "per_page": flt.per_page})


@bp.get("/tickets/<int:ticket_id>")
def show(ticket_id: int):
    return jsonify(ticket_dict(services.get_ticket(current(), ticket_id, detail=True), now(), detail=True))


@bp.post("/tickets/<int:ticket_id>/<action>")
def act(ticket_id: int, action: str):
    user, moment = current(), now()
    ticket = services.get_ticket(user, ticket_id)
    if action == "rectify":
        services.rectify(user, ticket, moment, request.form.get("note"), *_after_photos(user, ticket))
    elif action in SIMPLE_ACTIONS:
        body = json_body()
        SIMPLE_ACTIONS[action](user, ticket, moment, body)
    else:
        raise NotFound("没有这个操作。", code="unknown_action")
    db.session.refresh(ticket)
    return jsonify(ticket_dict(ticket, moment, detail=True))


def _after_photos(user, ticket):
    # Check role and status before reading megabytes of photos.
    from . import lifecycle
    lifecycle.check(ticket, "rectify", user.role)
    return after_photos_from_form(request.form, request.files)


SIMPLE_ACTIONS = {
    "approve": lambda u, t, n, b: services.approve(u, t, n, b.get("note")),
    "reject": lambda u, t, n, b: services.reject(u, t, n, b.get("note")),
    "dispute": lambda u, t, n, b: services.dispute(u, t, n, b.get("reason")),
    "reassign": lambda u, t, n, b: services.reassign(u, t, n, b.get("unit_id"), b.get("note")),
    "request_extension": lambda u, t, n, b: services.request_extension(
        u, t, n, until=b.get("until"), workdays=b.get("workdays"), reason=b.get("reason")),
    "decide_extension": lambda u, t, n, b: services.decide_extension(u, t, n, b.get("approved"), b.get("note")),
    "cancel": lambda u, t, n, b: services.cancel(u, t, n, b.get("reason")),
}


def _visible_photo(photo_id: int) -> Photo:
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("照片不存在或无权查看。")
    ensure_visible(current(), photo.ticket)
    return photo


def send_photo(photo: Photo, thumb: bool):
    path = store().path(photo.key, thumb=thumb)
    if not path.exists():
        raise NotFound("照片文件缺失。", code="photo_missing")
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/photos/<int:photo_id>")
def photo_file(photo_id: int):
    return send_photo(_visible_photo(photo_id), thumb=False)


@bp.get("/photos/<int:photo_id>/thumb")
def photo_thumb(photo_id: int):
    return send_photo(_visible_photo(photo_id), thumb=True)
