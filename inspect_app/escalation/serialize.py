"""Letter and proposal shapes for the API (see docs/api.md and docs/escalation.md)."""
from __future__ import annotations

from datetime import datetime

from flask import url_for

from ..common.timeutil import isoformat
from ..policy import UNITS, has_role
from ..tickets.rules import overdue_span
from .compose import reply_by_at
from .followup import letter_interviews
from .letters_pdf import draft_facts, letter_as_of, letter_wording
from .models import Interview, Letter, LetterReply, Proposal
from .services import visible_items, visible_recipients
from .settings import level_text


def _unit(unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name}


def letter_dict(letter: Letter, user, detail: bool = False, now: datetime | None = None,
                listed: frozenset[int] | None = None) -> dict:
    """`unit` is the first 主送 and `units` all of them; a unit reads its own items, its own 签收 in
    `acknowledged_at`, and only its own replies; a unit with units under it, of a letter addressed to its 辖区, what
    those units read (their rows, items and replies; `acknowledged_at` once all of them signed for it), with
    `read_only` true where the letter is not addressed to its own unit. `number` is null while a draft; a draft's
    `reply_by` left at its default is the date it would give if signed at `now` (`reply_by_default`). `listed`: a
    list's units (services.listed_units: its scope, its 下属单位), to which `units` and `ticket_ids` are narrowed, as
    the page's list shows them."""
    unit_view = has_role(user, UNITS)
    own = letter.recipient(user.unit_id) if unit_view else None
    items = visible_items(user, letter)
    if listed is not None:
        items = [item for item in items if item.unit_id in listed]
    recipients = visible_recipients(user, letter, listed)
    if own is not None:
        acknowledged_at = own.acknowledged_at
    elif unit_view:
        stamps = [r.acknowledged_at for r in recipients]
        acknowledged_at = max(stamps) if stamps and all(stamps) else None
    else:
        acknowledged_at = letter.acknowledged_at
    result = {
        "id": letter.id,
        "number": letter.number if letter.status != "draft" else None,
        "status": letter.status,
        "kind": letter.kind,
        "kind_label": letter.kind_label,
        "level": letter.level,
        "level_label": level_text(letter.level)["name"],
        "title": letter.title if letter.title is not None else level_text(letter.level)["title"],
        "unit": _unit(letter.unit),
        "units": [{**_unit(r.unit), "acknowledged_at": isoformat(r.acknowledged_at),
                   "replied_at": isoformat(r.replied_at), "settled": letter.settled_for(r.unit_id)}
                  for r in recipients],
        "issued_at": isoformat(letter.issued_at),
        # a draft left at its default: the date if signed now, and `reply_by_default` says it counts from 签发
        "reply_by": isoformat(reply_by_at(letter, now) if now is not None else letter.reply_by),
        "reply_by_default": letter.reply_days is not None,
        "done_at": isoformat(letter.done_at),
        "ticket_ids": [item.ticket_id for item in items],
        "acknowledged_at": isoformat(acknowledged_at),
        "read_only": unit_view and own is None,
        "revision": letter.revision,
        "pdf_url": url_for("api_letters.pdf", letter_id=letter.id),
    }
    if detail:
        result["body"] = letter.body  # the office's wording with its placeholders ({reply_by}, {you}, ...)
        words = letter_wording(letter, letter_as_of(letter, now))
        result["title_text"] = words.title  # as printed: every placeholder filled, one line per paragraph
        result["body_text"] = "\n".join(words.lines)
        result["report_to"] = letter.report_to
        result["cc"] = letter.cc
        result["signed_by"] = letter.signed_by.name if letter.signed_by else None
        # a leader's 退回修改: `pending` while the office has not revised the draft since (not shown to units)
        result["returned"] = None if unit_view or not letter.return_note else {
            "note": letter.return_note, "by": letter.returned_by.name if letter.returned_by else None,
            "at": isoformat(letter.returned_at), "pending": letter.returned_at is not None}
        # a draft's items are its tickets as they are now, as its preview and PDF print them (the facts are copied
        # into the items only at 签发: a draft's read place "", found_at null, days_overdue 0)
        as_of = (now or letter.updated_at or letter.created_at) if letter.status == "draft" else None
        drafted = draft_facts(items, as_of) if as_of is not None else {}
        result["items"] = [{
            "ticket_id": item.ticket_id,
            "unit_id": item.unit_id,
            **(_draft_item(drafted[item.id], as_of) if as_of is not None else _issued_item(item)),
            "outcome": item.outcome,
            "cleared_at": isoformat(item.cleared_at),
            "clear_note": item.clear_note,
        } for item in items]
        result["interviews"] = [interview_dict(i) for i in letter_interviews(user, letter)]
    return result


def _issued_item(item) -> dict:
    """An issued letter's item as recorded at 签发."""
    return {"number": item.ticket_number or (item.ticket.number if item.ticket else ""),
            "category": item.category_name or (item.ticket.category.name if item.ticket else ""),
            "place": item.place,
            "found_at": isoformat(item.reported_at),
            "original_deadline": isoformat(item.original_deadline),
            "days_overdue": item.overdue_days,  # whole days at 签发, as `overdue` (the letter's 超期时长) says
            "overdue": item.overdue}


def _draft_item(facts: dict, as_of: datetime) -> dict:
    """A draft's item as it would be recorded if signed at `as_of` (letters_pdf.draft_facts)."""
    return {"number": facts["ticket_number"], "category": facts["category_name"], "place": facts["place"],
            "found_at": isoformat(facts["reported_at"]), "original_deadline": isoformat(facts["original_deadline"]),
            "days_overdue": facts["days_overdue"], "overdue": overdue_span(facts["original_deadline"], as_of)}


def interview_dict(interview: Interview) -> dict:
    """A 约谈 as a letter's reader sees it (a unit its own): no record, no minutes."""
    return {"id": interview.id, "unit_id": interview.unit_id, "unit": interview.unit.name,
            "scheduled_at": isoformat(interview.scheduled_at), "place": interview.place,
            "attendees": interview.attendees, "host": interview.host, "status": interview.status,
            "status_label": interview.status_label}


def reply_dict(reply: LetterReply) -> dict:
    return {"id": reply.id, "letter_id": reply.letter_id, "unit_id": reply.unit_id, "text": reply.text,
            "created_at": isoformat(reply.created_at), "author": reply.author.name if reply.author else None,
            "files": [{"id": f.id, "kind": f.kind, "name": f.name, "bytes": f.bytes,
                       "url": url_for("api_letters.reply_file", letter_id=reply.letter_id, file_id=f.id)}
                      for f in reply.files]}


def proposal_dict(proposal: Proposal, now: datetime, draft_id: int | None = None) -> dict:
    """draft_id: the draft it waits in (proposals.drafts_holding), compiled into it or its problem listed there."""
    return {"id": proposal.id, "ticket_id": proposal.ticket_id, "ticket_number": proposal.ticket.number,
            "unit_id": proposal.unit_id, "unit": proposal.unit.name, "level": proposal.level,
            "level_label": level_text(proposal.level)["name"], "reason": proposal.reason_at(now),
            "created_at": isoformat(proposal.created_at), "letter_id": draft_id or proposal.letter_id}
