"""The one registry of ticket actions: for each, how its input is read, which operation runs, and the message a
page shows after it. Who may do it is the lifecycle table's business (lifecycle.py) plus, for a unit, being the
lead (policy.ensure_lead); the parts' actions (parts.py: 协办 units) check their own rule. Either is checked here
before any input is read, so a refused request never costs a photo decode. The page form and the API both call
`perform`, except for the actions marked `api=False` (the 点位 a problem is at: API.md names no such call), which
the API answers as an unknown action.

Filing a report (`file_report`) is shared the same way: the idempotency replay is answered before the photos are
decoded, and a key reused for a different report is refused.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..common.errors import Forbidden, NotFound
from ..common.timeutil import fmt
from . import lifecycle, parts, services
from .inputs import after_photos, approved_flag, idempotency_key, many, report_fingerprint, report_from_form
from .models import Ticket
from .policy import LEAD_ACTIONS, ensure_lead, ensure_site_changer, ensure_visible


@dataclass(frozen=True)
class TicketAction:
    name: str
    parse: Callable[..., dict]                  # (fields, files, user, now) -> keyword arguments of the operation
    operation: Callable[..., object]            # operation(user, ticket, now, **arguments)
    message: str | Callable[[Ticket, Mapping], str]  # shown on the page after it succeeded (or made from it)
    multipart: bool = False                     # the API reads a multipart form (photos) instead of JSON
    check: Callable[..., object] | None = None  # check(user, ticket) before input is read; None: the lifecycle's
    api: bool = True                            # offered by POST /api/v1/tickets/<id>/<action> too

    def said(self, ticket: Ticket, fields: Mapping) -> str:
        """What the page says after the action succeeded."""
        return self.message(ticket, fields) if callable(self.message) else self.message


def _extension_decided(ticket: Ticket, fields: Mapping) -> str:
    if approved_flag(fields.get("approved")):
        return f"已同意延期，整改时限为{fmt(ticket.deadline)}。"
    return "已不同意延期，整改时限不变。"


def _part_extension_decided(ticket: Ticket, fields: Mapping) -> str:
    return "已同意协办单位延期。" if approved_flag(fields.get("approved")) else "已不同意协办单位延期，其整改时限不变。"


def _dispatched(ticket: Ticket, fields: Mapping) -> str:
    return f"已派遣至{ticket.unit.name}。" if ticket.unit is not None else "已派遣。"


def _lifecycle_check(name: str) -> Callable[..., object]:
    def check(user, ticket: Ticket) -> None:
        lifecycle.check(ticket, name, user.role)
        if name in LEAD_ACTIONS:
            ensure_lead(user, ticket)
    return check


def _site_check(name: str) -> Callable[..., object]:
    def check(user, ticket: Ticket) -> None:
        ensure_site_changer(user, ticket, name)
    return check


def _office_changes_units(user, ticket: Ticket) -> None:
    ensure_visible(user, ticket)
    if user.role not in lifecycle.roles_for("reassign"):
        raise Forbidden("只有文明办可以调整协办单位。")


def _office_decides(refusal: str):
    """The check of an action only the office takes on an assisting unit's request (who may reassign)."""
    def check(user, ticket: Ticket) -> None:
        ensure_visible(user, ticket)
        if user.role not in lifecycle.roles_for("reassign"):
            raise Forbidden(refusal)
    return check


ACTIONS: dict[str, TicketAction] = {a.name: a for a in (
    TicketAction("rectify", lambda f, files, user, now: {"note": f.get("note"), **after_photos(f, files, user, now)},
                 services.rectify, "整改情况已反馈，等待核查。", multipart=True),
    TicketAction("approve", lambda f, *_: {"note": f.get("note")}, services.approve, "已核查结案。"),
    TicketAction("reject", lambda f, *_: {"note": f.get("note"), "reopen_unit_ids": many(f, "reopen_units")},
                 services.reject, "已退回返工。"),
    TicketAction("dispute", lambda f, *_: {"reason": f.get("reason")}, services.dispute,
                 "退单申请已提交，等待文明办处理。"),
    TicketAction("reassign", lambda f, *_: {"unit_id": f.get("unit_id"), "note": f.get("note")},
                 services.reassign, _dispatched),
    TicketAction("request_extension",
                 lambda f, *_: {"until": f.get("until"), "workdays": f.get("workdays"), "reason": f.get("reason")},
                 services.request_extension, "延期申请已提交，等待文明办审批。"),
    TicketAction("decide_extension", lambda f, *_: {"approved": approved_flag(f.get("approved")), "note": f.get("note")},
                 services.decide_extension, _extension_decided),
    TicketAction("cancel", lambda f, *_: {"reason": f.get("reason"), "duplicate_of": f.get("duplicate_of"),
                                          "duplicate_of_version": f.get("duplicate_of_version")},
                 services.cancel, "问题已作废。"),
    # the units' parts (parts.py): a 协办 unit reports its part; the office adds or removes 协办 units
    TicketAction("rectify_part", lambda f, files, user, now: {"note": f.get("note"),
                                                               **after_photos(f, files, user, now)},
                 parts.rectify_part, "本单位负责部分的整改情况已反馈，由主办单位汇总报送。", multipart=True,
                 check=parts.own_assist_part),
    TicketAction("add_unit", lambda f, *_: {"unit_id": f.get("unit_id"), "note": f.get("note")},
                 parts.add_unit, "已增加协办单位。", check=_office_changes_units),
    TicketAction("remove_unit", lambda f, *_: {"unit_id": f.get("unit_id"), "note": f.get("note")},
                 parts.remove_unit, "已移除协办单位。", check=_office_changes_units),
    # a 协办 unit asks to be taken off (不属于本单位职责); the office decides
    TicketAction("withdraw_request", lambda f, *_: {"reason": f.get("reason")}, parts.request_withdraw,
                 "退出协办申请已提交，等待文明办处理；处理前请继续按期限整改。", check=parts.withdrawing_part),
    TicketAction("decide_withdraw", lambda f, *_: {"unit_id": f.get("unit_id"),
                                                    "approved": approved_flag(f.get("approved")),
                                                    "note": f.get("note")},
                 parts.decide_withdraw, "退出协办申请已处理。",
                 check=_office_decides("只有文明办可以处理退出协办申请。")),
    # a 协办 unit asks for more time on its own part; the office decides
    TicketAction("request_part_extension",
                 lambda f, *_: {"until": f.get("until"), "workdays": f.get("workdays"), "reason": f.get("reason")},
                 parts.request_part_extension, "延期申请已提交，等待文明办审批；审批前请按原期限整改。",
                 check=parts.extending_part),
    TicketAction("decide_part_extension", lambda f, *_: {"unit_id": f.get("unit_id"),
                                                          "approved": approved_flag(f.get("approved")),
                                                          "note": f.get("note")},
                 parts.decide_part_extension, _part_extension_decided,
                 check=_office_decides("只有文明办可以审批协办单位的延期申请。")),
    # the 点位 the problem is at (the ticket's page only): the office, or the inspector who filed it
    TicketAction("link_site", lambda f, *_: {"site_id": f.get("site_id")}, services.link_site, "已关联点位。",
                 check=_site_check("link_site"), api=False),
    TicketAction("unlink_site", lambda f, *_: {}, services.unlink_site, "已取消关联点位。",
                 check=_site_check("unlink_site"), api=False),
)}


def lookup(name: str, api: bool = False) -> TicketAction:
    """The action by name; `api`: as the API offers it (an action of the pages alone is unknown there)."""
    action = ACTIONS.get(name)
    if action is None or (api and not action.api):
        raise NotFound("没有这个操作。", code="unknown_action")
    return action


def perform(action: TicketAction, user, ticket: Ticket, now: datetime, fields: Mapping, files=None) -> Ticket:
    _refuse_if_moved_on(ticket, fields)
    # role, unit and status first: input (photos) is read only if allowed
    (action.check or _lifecycle_check(action.name))(user, ticket)
    action.operation(user, ticket, now, **action.parse(fields, files, user, now))
    return ticket


def repeat_to_confirm(action: TicketAction, user, ticket: Ticket, fields: Mapping) -> Ticket | None:
    """A page's 作废 naming the problem it repeats by a typed number (与哪件问题重复), with no version of it: that
    problem, checked as the 作废 would check it and nothing voided, for the page to show before the 作废 is
    confirmed with its version as drawn (as the 疑似重复 buttons send it). None: nothing to confirm, go ahead."""
    if action.name != "cancel" or str(fields.get("duplicate_of_version") or "").strip():
        return None
    _refuse_if_moved_on(ticket, fields)
    return services.repeat_target(user, ticket, fields.get("duplicate_of"))


def _refuse_if_moved_on(ticket: Ticket, fields: Mapping) -> None:
    """The form's `version`: the ticket's as its page drew it (lifecycle.ensure_unchanged)."""
    lifecycle.ensure_unchanged(ticket, fields.get("version") if hasattr(fields, "get") else None)


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
