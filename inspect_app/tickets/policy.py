"""Who may see a ticket and act on it: the role sets of inspect_app.policy plus the lifecycle table.
Routes, the API, templates (`can`) and list queries (`ticket_scope`) all ask these."""
from __future__ import annotations

from ..common.errors import NotFound
from ..policy import may_see_unit_record, unit_scope
from . import lifecycle
from .models import Ticket


def ticket_scope(user):
    """SQL condition: the tickets this user may see (a unit only its own)."""
    return unit_scope(user, Ticket.unit_id)


def can_view_ticket(user, ticket: Ticket) -> bool:
    return may_see_unit_record(user, ticket.unit_id)


def ensure_visible(user, ticket: Ticket | None) -> Ticket:
    """Absent and hidden look the same (404), so ids cannot be probed."""
    if ticket is None or not can_view_ticket(user, ticket):
        raise NotFound("问题不存在或无权查看。")
    return ticket


def can(user, action: str, ticket: Ticket) -> bool:
    """True when the user may do `action` on the ticket now (role, unit and status)."""
    return can_view_ticket(user, ticket) and lifecycle.allowed(ticket, action, user.role)
