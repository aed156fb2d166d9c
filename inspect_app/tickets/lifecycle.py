"""The ticket lifecycle, in one place: which action moves which status to which, and who may do it.

Nothing else assigns ticket.status: operations call `transition()`, which checks the move, applies it and writes the
event row, or raises a clear error for a move that is not allowed. Moves the system makes by itself (dispatch on
filing) are rows of the same table with the SYSTEM actor.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from ..common.errors import BadRequest, Conflict, Forbidden
from ..extensions import db
from ..policy import FILERS, OFFICE, UNITS, VERIFIERS
from .models import Ticket, TicketEvent
from .rules import STATUS_LABELS, STATUSES

SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class SystemActor:
    """The system itself (automatic dispatch on filing, the scheduler): events show it as "system"."""
    id: None = None
    role: str = SYSTEM_ROLE
    unit_id: None = None


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Move:
    to: str | None      # None: the status stays
    roles: frozenset


def _move(to: str | None, roles) -> Move:
    return Move(to, frozenset(roles))


TRANSITIONS: dict[tuple[str, str], Move] = {
    ("pending", "dispatch"): _move("assigned", {SYSTEM_ROLE}),
    ("assigned", "rectify"): _move("rectified", UNITS),
    ("rectified", "approve"): _move("closed", VERIFIERS),
    ("rectified", "reject"): _move("assigned", VERIFIERS),
    ("assigned", "dispute"): _move("disputed", UNITS),
    ("pending", "reassign"): _move("assigned", OFFICE),
    ("disputed", "reassign"): _move("assigned", OFFICE),
    ("assigned", "reassign"): _move("assigned", OFFICE),
    ("assigned", "request_extension"): _move(None, UNITS),
    ("assigned", "decide_extension"): _move(None, OFFICE),
    **{(status, "cancel"): _move("cancelled", OFFICE) for status in STATUSES if status not in ("closed", "cancelled")},
    # the 点位 a problem is at, while the ticket is open: the office, or the inspector who filed it (policy.py)
    **{(status, action): _move(None, FILERS) for status in STATUSES if status not in ("closed", "cancelled")
       for action in ("link_site", "unlink_site")},
}

ACTIONS = sorted({action for _, action in TRANSITIONS})
ACTION_LABELS = {
    "create": "上报",
    "dispatch": "派遣",
    "rectify": "整改反馈",
    "approve": "核查结案",
    "reject": "返工",
    "dispute": "申请退单",
    "reassign": "重新派遣",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "cancel": "作废",
    "link_site": "关联点位",
    "unlink_site": "取消关联点位",
    "escalate": "督办升级",
    "merge_report": "并案",  # an outside report of the same problem follows this ticket (intake/services.merge)
    "hotline_followup": "热线追加",  # its 12345 case sent again with more: 催办, 补充材料, 重办 (intake/services.follow_up)
    # a unit's part (parts.py): these leave the ticket's status as it is
    "add_unit": "增加协办单位",
    "remove_unit": "移除协办单位",
    "rectify_part": "协办单位整改反馈",
    "withdraw_request": "申请退出协办",
    "decide_withdraw": "审核退出协办申请",
    "request_part_extension": "协办单位申请延期",
    "decide_part_extension": "审批协办单位延期",
}


def event_label(event) -> str:
    """An event as its history line names it: the office's first dispatch of a problem waiting for a unit is a
    派遣, not a 重新派遣 (both are the reassign action)."""
    if event.action == "reassign" and event.from_status == "pending":
        return ACTION_LABELS["dispatch"]
    return ACTION_LABELS.get(event.action, event.action)


def roles_for(action: str) -> frozenset:
    return frozenset().union(*(m.roles for (_, a), m in TRANSITIONS.items() if a == action))


def allowed(ticket: Ticket, action: str, role: str) -> bool:
    move = TRANSITIONS.get((ticket.status, action))
    return move is not None and role in move.roles


def check(ticket: Ticket, action: str, role: str) -> Move:
    """The move for this action, or Forbidden (wrong role) / Conflict (wrong status)."""
    if role not in roles_for(action):
        raise Forbidden("您的角色无权执行此操作。", code="forbidden")
    move = TRANSITIONS.get((ticket.status, action))
    if move is None:
        label = ACTION_LABELS.get(action, action)
        raise Conflict(f"问题当前状态为“{STATUS_LABELS.get(ticket.status, ticket.status)}”，不能{label}。")
    return move


def ensure_unchanged(ticket: Ticket, seen) -> None:
    """`seen` is the ticket's version as a page drew it (every form deciding on a ticket carries it; an API client
    may send it): a ticket changed since is refused (409), so that a decision taken on a page left open — a 结案 on
    photos since replaced after a 返工, a 退单 decided again by a second officer, a 作废 as a repeat of a problem
    since moved — does not overturn what happened in between. None or empty: not checked (the version check at the
    flush then only catches requests at the same moment)."""
    if seen in (None, ""):
        return
    try:
        stale = int(str(seen).strip()) != ticket.version
    except ValueError:
        raise BadRequest("版本号格式不正确。", code="invalid_version") from None
    if stale:
        status = STATUS_LABELS.get(ticket.status, ticket.status)
        raise Conflict(f"{ticket.number}在您打开页面后已有新的处理（现为“{status}”），请查看最新情况后再操作。",
                       code="ticket_changed")


def record(ticket: Ticket, action: str, actor_id: int | None, now: datetime, *, note: str = "",
           from_status: str | None = None, to_status: str | None = None, data: dict | None = None) -> TicketEvent:
    """Write one event row: every change of a ticket, moving its status or not, leaves one."""
    event = TicketEvent(ticket=ticket, at=now, actor_id=actor_id, action=action, from_status=from_status,
                        to_status=to_status, note=note or "", data_json=json.dumps(data or {}, ensure_ascii=False))
    db.session.add(event)
    return event


def transition(ticket: Ticket, action: str, actor, now: datetime, *, note: str = "",
               data: dict | None = None) -> TicketEvent:
    """Check and apply a move for `actor` (a user or SYSTEM); returns the event written."""
    move = check(ticket, action, actor.role)
    before = ticket.status
    if move.to is not None:
        ticket.status = move.to
    return record(ticket, action, actor.id, now, note=note, from_status=before, to_status=ticket.status, data=data)
