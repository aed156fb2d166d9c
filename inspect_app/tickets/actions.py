"""The one registry of ticket actions: for each, how its input is read, which operation runs, and the message a
page shows after it. Who may do it is the lifecycle table's business (lifecycle.py), checked here before any input
is read, so a refused request never costs a photo decode. The page form and the API both call `perform`.

Filing a report (`file_report`) is shared the same way: the idempotency replay is answered before the photos are
decoded, and a key reused for a different report is refused.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..common.errors import NotFound
from . import lifecycle, services
from .inputs import after_photos, approved_flag, idempotency_key, report_fingerprint, report_from_form
from .models import Ticket


@dataclass(frozen=True)
class TicketAction:
    name: str
    parse: Callable[..., dict]                  # (fields, files, user, now) -> keyword arguments of the operation
    operation: Callable[..., object]            # operation(user, ticket, now, **arguments)
    message: str                                # shown on the page after it succeeded
    multipart: bool = False                     # the API reads a multipart form (photos) instead of JSON


ACTIONS: dict[str, TicketAction] = {a.name: a for a in (
    TicketAction("rectify", lambda f, files, user, now: {"note": f.get("note"), **after_photos(f, files, user, now)},
                 services.rectify, "整改情况已反馈，等待核查。", multipart=True),
    TicketAction("approve", lambda f, *_: {"note": f.get("note")}, services.approve, "已核查结案。"),
    TicketAction("reject", lambda f, *_: {"note": f.get("note")}, services.reject, "已退回返工。"),
    TicketAction("dispute", lambda f, *_: {"reason": f.get("reason")}, services.dispute,
                 "退单申请已提交，等待文明办处理。"),
    TicketAction("reassign", lambda f, *_: {"unit_id": f.get("unit_id"), "note": f.get("note")},
                 services.reassign, "已派遣。"),
    TicketAction("request_extension",
                 lambda f, *_: {"until": f.get("until"), "workdays": f.get("workdays"), "reason": f.get("reason")},
                 services.request_extension, "延期申请已提交，等待文明办审批。"),
    TicketAction("decide_extension", lambda f, *_: {"approved": approved_flag(f.get("approved")), "note": f.get("note")},
                 services.decide_extension, "延期申请已处理。"),
    TicketAction("cancel", lambda f, *_: {"reason": f.get("reason")}, services.cancel, "问题已作废。"),
)}


def lookup(name: str) -> TicketAction:
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound("没有这个操作。", code="unknown_action")
    return action


def perform(action: TicketAction, user, ticket: Ticket, now: datetime, fields: Mapping, files=None) -> Ticket:
    lifecycle.check(ticket, action.name, user.role)  # role and status first: input (photos) is read only if allowed
    action.operation(user, ticket, now, **action.parse(fields, files, user, now))
    return ticket


def file_report(user, fields: Mapping, files, header_key: str | None, now: datetime) -> tuple[Ticket, bool]:
    """(ticket, created). A retry with the same Idempotency-Key answers with the first ticket, read before any
    photo is decoded; the same key with a different report answers 422. Routes let only FILERS in (so a refused
    request decodes nothing); create_ticket checks the role again for every other caller."""
    key = idempotency_key(header_key, fields)
    fingerprint = report_fingerprint(fields, files) if key else None
    existing = services.replay(user, key, fingerprint)
    if existing is not None:
        return existing, False
    return services.create_ticket(user, report_from_form(fields, files, user, now, key, fingerprint), now)
