"""Who may see and do what. Routes, the API and templates all ask these functions."""
from __future__ import annotations

from sqlalchemy import false, true

from ..common.errors import NotFound
from ..tickets import lifecycle
from ..tickets.models import Ticket


def ticket_scope(user):
    """SQL condition restricting tickets to those the user may see."""
    if user.role in ("admin", "inspector", "leader"):
        return true()
    if user.role == "unit" and user.unit_id:
        return Ticket.unit_id == user.unit_id
    return false()


def can_view_ticket(user, ticket: Ticket) -> bool:
    if user.role in ("admin", "inspector", "leader"):
        return True
    return user.role == "unit" and user.unit_id is not None and ticket.unit_id == user.unit_id


def ensure_visible(user, ticket: Ticket | None) -> Ticket:
    """Absent and hidden look the same (404), so ids cannot be probed."""
    if ticket is None or not can_view_ticket(user, ticket):
        raise NotFound("问题不存在或无权查看。")
    return ticket


def can(user, action: str, ticket: Ticket) -> bool:
    """True when the user may do `action` on the ticket now (role, unit and status)."""
    return can_view_ticket(user, ticket) and lifecycle.allowed(ticket, action, user.role)


def can_file(user) -> bool:
    return user.role in ("inspector", "admin")


def is_office(user) -> bool:
    return user.role == "admin"


def can_read_all(user) -> bool:
    return user.role in ("admin", "leader", "inspector")
