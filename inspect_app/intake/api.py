"""Intake in the HTTP API v1 (the office's token): the 12345 hotline's system posts cases and takes their progress
back; the moderation queue can be worked from a script. See docs/intake.md."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..common.errors import NotFound
from ..common.text import key_text
from ..common.timeutil import isoformat
from ..http import choice_arg, int_arg, json_body, now
from ..policy import OFFICE, requires
from ..tickets.serialize import ticket_dict
from . import hotline, services
from .models import INTAKE_SOURCES, STATUSES
from .web import feedback_export, hotline_export

bp = api_blueprint("api_intake", __name__)


def item_dict(item) -> dict:
    state = services.progress(item)
    return {"id": item.id, "source": item.source, "status": item.status, "status_label": item.status_label,
            "case_number": item.case_number, "receipt": item.receipt,
            "category": {"code": item.category.code, "name": item.category.name} if item.category else None,
            "category_text": item.category_text, "description": item.description, "address": item.address,
            "district": item.district, "lat": item.lat, "lon": item.lon, "contact_phone": item.contact_phone,
            "reference": item.reference, "received_at": isoformat(item.received_at), "due_at": isoformat(item.due_at),
            "created_at": isoformat(item.created_at), "decided_at": isoformat(item.decided_at),
            "decline_reason": item.decline_reason, "ticket_id": item.ticket_id, "site_id": item.site_id,
            "photo_count": len(item.photos),
            "progress": {"label": state.label, "result": state.result, "note": state.note,
                         "unit": state.unit or None, "assisting_units": state.assists,
                         "ended_at": isoformat(state.ended_at)}}


@bp.post("/intake/hotline")
@requires(OFFICE)
def hotline_post():
    """One case from the hotline's system: 201 when new, 200 when known (changed while pending, followed up once
    decided, or unchanged), with `messages` saying what became of it."""
    item, action, messages = hotline.post_case(current(), json_body(), now())
    return jsonify({"action": action, "messages": messages, "item": item_dict(item)}), 201 if action == "add" else 200


@bp.get("/intake/hotline/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def hotline_export_file(fmt: str):
    return hotline_export(fmt)


@bp.get("/intake/feedback/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def feedback_export_file(fmt: str):
    return feedback_export(fmt)


@bp.get("/intake/hotline/<path:case_number>")
@requires(OFFICE)
def hotline_case(case_number: str):
    """One case by its number, whatever characters it holds: GD/2026/0019 (as typed, or with %2F) is looked up
    whole, since a hotline system's numbers are taken as it writes them (the export routes, more specific, come
    first)."""
    item = hotline.existing_case(key_text(case_number)[:64])
    if item is None:
        raise NotFound("没有这个工单编号。", code="not_found")
    return jsonify(item_dict(item))


@bp.get("/intake")
@requires(OFFICE)
def index():
    status = choice_arg(request.args, "status", STATUSES, "invalid_filter", "状态") or "pending"
    source = choice_arg(request.args, "source", INTAKE_SOURCES, "invalid_filter", "来源")
    page = int_arg(request.args, "page", high=100_000, default=1)
    per_page = int_arg(request.args, "per_page", high=100, default=50)
    items, total = services.queue(services.QueueFilter(status=status, source=source, page=page, per_page=per_page))
    return jsonify({"items": [item_dict(i) for i in items], "total": total, "page": page, "per_page": per_page})


@bp.get("/intake/<int:item_id>")
@requires(OFFICE)
def show(item_id: int):
    return jsonify(item_dict(services.get_item(item_id)))


@bp.post("/intake/<int:item_id>/accept")
@requires(OFFICE)
def accept(item_id: int):
    """{"category", "segment_id", "unit_ids", "description", "address"} → 201 the ticket made, with `notes`: what the
    office should know of it (a report's position far from the segment chosen, left out), as the page says."""
    notes: list[str] = []
    ticket = services.accept(current(), services.get_item(item_id), json_body(), now(), notes)
    return jsonify({**ticket_dict(ticket, now(), detail=True), "notes": notes}), 201


@bp.post("/intake/<int:item_id>/merge")
@requires(OFFICE)
def merge(item_id: int):
    """{"ticket": "2026-000346"} → 200 the item, merged into that open problem (并案)."""
    item = services.get_item(item_id)
    services.merge(current(), item, json_body(), now())
    return jsonify(item_dict(item))


@bp.post("/intake/<int:item_id>/decline")
@requires(OFFICE)
def decline(item_id: int):
    item = services.decline(current(), services.get_item(item_id), json_body().get("reason"), now())
    return jsonify(item_dict(item))
