"""Letter shapes for the API (see docs/api.md)."""
from __future__ import annotations

from flask import url_for

from ..common.timeutil import isoformat
from .models import Letter
from .settings import level_text


def letter_dict(letter: Letter, detail: bool = False) -> dict:
    wording = level_text(letter.level)
    result = {
        "id": letter.id,
        "number": letter.number,
        "level": letter.level,
        "level_label": wording["name"],
        "kind": wording["kind"],
        "unit": {"id": letter.unit.id, "code": letter.unit.code, "name": letter.unit.name},
        "issued_at": isoformat(letter.issued_at),
        "reply_by": isoformat(letter.reply_by),
        "ticket_ids": letter.ticket_ids,
        "acknowledged_at": isoformat(letter.acknowledged_at),
        "pdf_url": url_for("api_letters.pdf", letter_id=letter.id),
    }
    if detail:
        result["title"] = wording["title"]
        result["items"] = [{
            "ticket_id": item.ticket_id,
            "number": item.ticket_number,
            "category": item.category_name,
            "place": item.place,
            "found_at": isoformat(item.reported_at),
            "original_deadline": isoformat(item.original_deadline),
            "days_overdue": item.days_overdue,
        } for item in letter.items]
    return result
