"""Tickets in the HTTP API v1: filing, listing, reading, moving; photo files."""
from __future__ import annotations

from flask import request

from ..api.common import api_blueprint, current
from ..extensions import db
from ..http import form_body, json_body, json_response, now
from ..policy import EVERYONE, FILERS, requires
from . import actions, queries, rows
from .photo_files import send_photo, visible_photo

bp = api_blueprint("api_tickets", __name__)


@bp.post("/tickets")
@requires(FILERS)
def create():
    ticket, created = actions.file_report(current(), form_body(), request.files,
                                          request.headers.get("Idempotency-Key"), now())
    return json_response(rows.detail(current(), ticket.id, now(), scoped=False), 201 if created else 200)


@bp.get("/tickets")
@requires(EVERYONE)
def index():
    flt = queries.parse_filter(request.args)
    items, total = rows.list_page(current(), flt, now())
    return json_response({"items": items, "total": total, "page": flt.page, "per_page": flt.per_page})


@bp.get("/tickets/<int:ticket_id>")
@requires(EVERYONE)
def show(ticket_id: int):
    return json_response(rows.detail(current(), ticket_id, now()))


@bp.post("/tickets/<int:ticket_id>/<action>")
@requires(EVERYONE)
def act(ticket_id: int, action: str):
    user, todo = current(), actions.lookup(action, api=True)
    ticket = queries.get_ticket(user, ticket_id)
    fields = form_body() if todo.multipart else json_body()
    actions.perform(todo, user, ticket, now(), fields, request.files)
    db.session.flush()
    return json_response(rows.detail(user, ticket_id, now()))


@bp.get("/photos/<int:photo_id>")
@requires(EVERYONE)
def photo_file(photo_id: int):
    return send_photo(visible_photo(current(), photo_id), thumb=False)


@bp.get("/photos/<int:photo_id>/thumb")
@requires(EVERYONE)
def photo_thumb(photo_id: int):
    return send_photo(visible_photo(current(), photo_id), thumb=True)
