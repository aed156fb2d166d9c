"""Ticket, event and photo shapes for the API (see docs/api.md)."""
from __future__ import annotations

import json
from datetime import datetime

from flask import url_for

from ..common.timeutil import isoformat, shown_moments
from .models import Ticket, TicketEvent


def photo_dict(photo) -> dict:
    return {
        "id": photo.id,
        "kind": photo.kind,
        "url": url_for("api_tickets.photo_file", photo_id=photo.id),
        "thumb_url": url_for("api_tickets.photo_thumb", photo_id=photo.id),
        "width": photo.width,
        "height": photo.height,
        "lat": photo.lat,
        "lon": photo.lon,
        "taken_at": isoformat(photo.taken_at),
    }


def event_dict(event: TicketEvent) -> dict:
    try:
        data = json.loads(event.data_json or "{}")
    except ValueError:
        data = {}
    return {
        "id": event.id,
        "at": isoformat(event.at),
        "actor": event.actor.username if event.actor else "system",
        "action": event.action,
        "from": event.from_status,
        "to": event.to_status,
        "note": event.note,
        "data": shown_moments(data),
        "photo_ids": [p.id for p in event.photos],
    }


def extension_request_dict(until, reason, requested_at) -> dict | None:
    """A unit's open request for more time (延期申请) as the API shows it: None when there is none."""
    if requested_at is None:
        return None
    return {"until": until, "reason": reason, "requested_at": requested_at}


def withdraw_request_dict(reason, requested_at) -> dict | None:
    """An assisting unit's open request to be taken off (申请退出协办): None when there is none."""
    return None if requested_at is None else {"reason": reason, "requested_at": requested_at}


def part_dict(part, now: datetime) -> dict:
    """One unit of the ticket's `units` (API.md): id, name, role, plus its own part's state and deadline, and what
    it has asked the office for and not yet heard back on (the lead's extension request is the ticket's)."""
    if part.role == "lead":
        asked = next(iter(part.ticket.open_extensions), None)
        extension = asked and extension_request_dict(isoformat(asked.until), asked.reason,
                                                     isoformat(asked.requested_at))
        withdraw = None
    else:
        extension = withdraw = None
        if part.extension_status == "open":
            extension = extension_request_dict(isoformat(part.extension_until), part.extension_reason,
                                               isoformat(part.extension_requested_at))
        if part.withdraw_status == "open":
            withdraw = withdraw_request_dict(part.withdraw_reason, isoformat(part.withdraw_requested_at))
    return {"id": part.unit.id, "name": part.unit.name, "role": part.role, "status": part.status,
            "status_label": part.status_label, "deadline": isoformat(part.deadline), "overdue": part.is_overdue(now),
            "rectified_at": isoformat(part.rectified_at), "escalation_level": part.level,
            "extension_request": extension, "withdraw_request": withdraw}


def ticket_dict(ticket: Ticket, now: datetime, detail: bool = False) -> dict:
    result = {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "status_label": ticket.status_label,
        "category": {"id": ticket.category.id, "code": ticket.category.code, "name": ticket.category.name},
        "unit": {"id": ticket.unit.id, "name": ticket.unit.name} if ticket.unit else None,
        "segment": {"id": ticket.segment.id, "name": ticket.segment.name} if ticket.segment else None,
        "description": ticket.description,
        "address": ticket.address,
        "lat": ticket.lat,
        "lon": ticket.lon,
        "reported_by": ticket.reporter.username if ticket.reporter else None,
        "reported_at": isoformat(ticket.reported_at),
        "deadline": isoformat(ticket.deadline),
        "overdue": ticket.is_overdue(now),
        "escalation_level": ticket.escalation_level,
        "rework_count": ticket.rework_count,
        "closed_at": isoformat(ticket.closed_at),
        "source": ticket.source,
        "source_label": ticket.source_label,
        "site": {"id": ticket.site.id, "name": ticket.site.name} if ticket.site_id else None,
        "units": [part_dict(p, now) for p in ticket.parts],
        "frontage": {"id": ticket.frontage.id, "name": ticket.frontage.name} if ticket.frontage_id else None,
        "version": ticket.version,
    }
    if detail:
        result["events"] = [event_dict(e) for e in ticket.events]
        result["photos"] = [photo_dict(p) for p in ticket.photos]
    return result
