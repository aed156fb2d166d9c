"""Who may see a ticket and act on it: the role sets of inspect_app.policy plus the lifecycle table.
Routes, the API, templates (`can`) and list queries (`ticket_scope`) all ask these.

A unit sees every ticket it has a part in (主办 or 协办, tickets.models.TicketUnit) and nothing else (404). Only the
lead unit (ticket.unit) moves the ticket (整改反馈, 退单, 延期); an assisting unit reports its own part (parts.py).
A unit with units under it (units/territory.py) also reads the problems of its 辖区 (tickets/territory.py), read
only: `can_read_ticket` and `ensure_readable` for the routes that only read; every action still asks
`ensure_visible` (a party to the ticket), which refuses a readable territory ticket with 403 territory_read_only."""
from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import false, select, true

from ..common.errors import BadRequest, Conflict, Forbidden, NotFound
from ..extensions import db
from ..policy import LEADERSHIP, OFFICE, UNITS, has_role, own_unit, sees_citywide
from ..units.models import Unit
from ..units.territory import subtree_ids, territory_ids
from . import lifecycle
from .models import Ticket, TicketUnit
from .rules import PART_OWED_TICKET_STATUSES
from .territory import ticket_in_territory

TERRITORY_READ_ONLY = "本单位为该问题所在辖区的上级单位，仅可查看（辖区督导），不能办理；由承办单位办理。"

# The ticket actions a unit takes for the whole ticket: the lead unit's alone.
LEAD_ACTIONS = frozenset({"rectify", "dispute", "request_extension"})
# Which 点位 a problem is at: the lifecycle table says which roles and statuses; of the inspectors, only the one
# who filed it (they saw the place), and not while another feature holds the site fixed (SITE_LOCKS).
SITE_ACTIONS = frozenset({"link_site", "unlink_site"})
# Features that fix a ticket's site register a check here (an assessment round's finding is about the site it
# was found at): check(ticket) -> why the site may not change, or None. Tickets import none of them.
SITE_LOCKS: list[Callable[[Ticket], str | None]] = []


def ticket_scope(user):
    """SQL condition: the tickets this user may see (a unit those it has a part in: an indexed IN on
    ticket_units (unit_id, ticket_id))."""
    scope = scope_of(user)
    return true() if scope is True else false() if scope is False else unit_tickets(scope)


def scope_of(user) -> bool | int:
    """What ticket_scope is made of: True (every ticket), a unit's id (the tickets it has a part in) or False."""
    if sees_citywide(user):
        return True
    if has_role(user, UNITS) and user.unit_id:
        return int(user.unit_id)
    return False


def unit_tickets(unit_id):
    """SQL condition: the tickets the unit has a part in; `unit_id` a value or a bindparam."""
    return Ticket.id.in_(select(TicketUnit.ticket_id).where(TicketUnit.unit_id == unit_id))


def can_view_ticket(user, ticket: Ticket) -> bool:
    if sees_citywide(user):
        return True
    if not (has_role(user, UNITS) and user.unit_id):
        return False
    return ticket.unit_id == user.unit_id or ticket.part_of(user.unit_id) is not None


def oversees_ticket(user, ticket: Ticket) -> bool:
    """The user's unit has units under it and the ticket lies in that 辖区 (read only). Asked only where the plain
    check (can_view_ticket) has failed: a citywide reader and a unit with nobody under it never get here."""
    ids = territory_ids(user)
    return ids is not None and ticket_in_territory(ticket, ids)


def can_read_ticket(user, ticket: Ticket) -> bool:
    """May open the ticket's page, photos and history: a party to it (can_view_ticket), or its 辖区's overseeing
    unit (oversees_ticket)."""
    return can_view_ticket(user, ticket) or oversees_ticket(user, ticket)


def ensure_visible(user, ticket: Ticket | None) -> Ticket:
    """For an action on the ticket: absent and hidden look the same (404), so ids cannot be probed; a hidden one is
    in the 操作日志. A ticket the user reads only as its 辖区's overseeing unit answers 403 (territory_read_only):
    they see it, and may not act on it."""
    if ticket is None:
        raise NotFound("问题不存在或无权查看。")
    if not can_view_ticket(user, ticket):
        if oversees_ticket(user, ticket):
            raise Forbidden(TERRITORY_READ_ONLY, code="territory_read_only")
        raise NotFound("问题不存在或无权查看。", hidden=f"查看其他单位的问题 {ticket.number}")
    return ticket


def ensure_readable(user, ticket: Ticket | None) -> Ticket:
    """For a read of the ticket (its page, photos, history, the API's GET): as ensure_visible, the 辖区's
    overseeing unit let in too."""
    if ticket is None:
        raise NotFound("问题不存在或无权查看。")
    if not can_read_ticket(user, ticket):
        raise NotFound("问题不存在或无权查看。", hidden=f"查看其他单位的问题 {ticket.number}")
    return ticket


def territory_scope(user, sub_unit: int | None = None) -> frozenset[int]:
    """The units whose 辖区问题 a list shows (scope=territory): the user's territory, or with `sub_unit` that unit
    and the units under it (a street and its 社区). A citywide reader names the unit whose territory to list (any
    unit: the 红黑榜 counts each 区县 over its territory), 400 without one, 404 for no such unit. 403 no_territory for
    a unit clerk who oversees nobody (a unit with no units under it); 404 for a sub_unit outside the territory."""
    ids = territory_ids(user)
    if ids is None and sees_citywide(user):
        if sub_unit is None:
            raise BadRequest("请指定要查看其辖区的单位（sub_unit）。", code="invalid_sub_unit")
        if db.session.get(Unit, sub_unit) is None:
            raise NotFound("单位不存在。")
        return subtree_ids(sub_unit)
    if ids is None:
        raise Forbidden("本单位没有下属单位，没有辖区问题可查看。", code="no_territory")
    if sub_unit is None:
        return ids
    if sub_unit not in ids:
        raise NotFound("下属单位不存在或不在本单位辖区内。")
    return subtree_ids(sub_unit) & ids


def is_lead(user, ticket: Ticket) -> bool:
    """Not a unit clerk, or the clerk of the ticket's lead unit (主办)."""
    return not has_role(user, UNITS) or own_unit(user, ticket.unit_id)


def ensure_lead(user, ticket: Ticket | None) -> Ticket:
    """Visible, and a unit acting on the whole ticket is its lead (an assisting unit gets 403)."""
    ensure_visible(user, ticket)
    if not is_lead(user, ticket):
        raise Forbidden("本单位是该问题的协办单位：请在“协办整改反馈”中报送本单位负责部分的整改情况；"
                        "整体整改反馈、退单和整个问题的延期由主办单位办理；本单位负责的部分需要延期的，"
                        "请使用“申请延期（本单位负责的部分）”。", code="not_lead_unit")
    return ticket


def can(user, action: str, ticket: Ticket) -> bool:
    """True when the user may do `action` on the ticket now (role, unit, lead or not, and status)."""
    if not can_view_ticket(user, ticket):
        return False
    if action in PART_ACTIONS:
        return PART_ACTIONS[action](user, ticket)
    return lifecycle.allowed(ticket, action, user.role) and (action not in LEAD_ACTIONS or is_lead(user, ticket)) \
        and not (action == "dispute" and dispute_turned_down(ticket)) \
        and (action not in SITE_ACTIONS or (may_change_site(user, ticket) and site_locked(ticket) is None))


def may_change_site(user, ticket: Ticket) -> bool:
    """The office, or the inspector who filed the ticket (the role and the status are the lifecycle's)."""
    return has_role(user, OFFICE) or (user is not None and user.id == ticket.reporter_id)


def site_locked(ticket: Ticket) -> str | None:
    """Why this ticket's site may not change (a registered SITE_LOCKS check), or None."""
    if ticket.site_id is None:
        return None
    return next((reason for check in SITE_LOCKS if (reason := check(ticket))), None)


def ensure_site_changer(user, ticket: Ticket | None, action: str) -> Ticket:
    """Visible; the role and the status the lifecycle allows (403, 409); the office or the inspector who filed
    it (403); the site not held by another feature (409)."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, action, user.role)
    if not may_change_site(user, ticket):
        raise Forbidden("只有文明办和上报该问题的督查员可以更改问题的点位。", code="not_reporter")
    reason = site_locked(ticket)
    if reason:
        raise Conflict(reason, code="site_locked")
    return ticket


def dispute_turned_down(ticket: Ticket) -> bool:
    """The unit holding the ticket has disputed it once already in this assignment, and the office sent it back
    to the same unit (a reassignment to another unit starts a new assignment). One 退单 per assignment: otherwise
    a unit could dispute again and again, each refusal giving it a fresh deadline."""
    assignment = ticket.assignment or 1
    return any(e.action == "dispute" and json.loads(e.data_json or "{}").get("assignment") == assignment
               for e in ticket.events)


def _may_rectify_part(user, ticket: Ticket) -> bool:
    part = ticket.part_of(getattr(user, "unit_id", None)) if has_role(user, UNITS) else None
    return part is not None and part.role == "assist" and part.status == "open" \
        and ticket.status in PART_OWED_TICKET_STATUSES


def _may_change_units(user, ticket: Ticket) -> bool:
    return has_role(user, OFFICE) and ticket.status in PART_OWED_TICKET_STATUSES


def _may_request_withdraw(user, ticket: Ticket) -> bool:
    """An assisting unit with its part open, on a ticket with the units, that has not asked yet (nor been
    refused)."""
    return _may_rectify_part(user, ticket) and ticket.part_of(user.unit_id).withdraw_status is None


def _may_request_part_extension(user, ticket: Ticket) -> bool:
    """An assisting unit with its part open, on a ticket with the units, with no request for more time open."""
    return _may_rectify_part(user, ticket) and ticket.part_of(user.unit_id).extension_status != "open"


PART_ACTIONS = {"rectify_part": _may_rectify_part, "add_unit": _may_change_units, "remove_unit": _may_change_units,
                "withdraw_request": _may_request_withdraw, "decide_withdraw": _may_change_units,
                "request_part_extension": _may_request_part_extension, "decide_part_extension": _may_change_units}


def withdrawn_shown(user, data: dict) -> list[str]:
    """What a 作废 event says was withdrawn with the problem (随之撤回), as this user may read it: the office and the
    leaders all of it; anyone else (a unit, an inspector) only the requests the units made on the ticket (延期,
    退出协办), not the office's own business withdrawn with it (a 督办建议, a draft letter listing the problem: they
    never see those). An event written before `withdrawn_office` was kept names the units' requests as …申请."""
    withdrawn = data.get("withdrawn") or []
    if has_role(user, LEADERSHIP):
        return list(withdrawn)
    if "withdrawn_office" in data:
        office = set(data.get("withdrawn_office") or [])
        return [item for item in withdrawn if item not in office]
    return [item for item in withdrawn if str(item).endswith("申请")]
