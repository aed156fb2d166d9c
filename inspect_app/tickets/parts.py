"""The units' parts of a ticket (主办 and 协办), in one place: their small state table and every change of it.

A ticket has at most one lead part (主办: the unit in ticket.unit, whose deadline is ticket.deadline) and any number
of assisting parts (协办). Each part has its own state, deadline and photos:

    open --rectify--> rectified --close--> closed        (the ticket was approved)
    rectified --reopen--> open                           (the verifier sent that part back with the ticket)
    open | rectified --cancel--> cancelled               (the ticket was voided)
    any --restart--> open                                (the lead part, when the ticket is dispatched again)

Nothing else assigns part.status: `move()` checks the step and applies it. The lead part follows the ticket (the
ticket's operations in services.py move it in the same breath as lifecycle.transition moves the ticket); an
assisting unit moves its own part with `rectify_part`. Only the lead's report moves the ticket to rectified, and
it is refused while an assisting part is still open.

Escalation per part (escalation/sweep.py, proposals.py, signing.py): the lead escalates with the ticket
(ticket.escalation_level); an assisting part that is still open past its own deadline, while the ticket is in an
escalating status, escalates for its own unit on the same levels and delays (part.escalation_level, its letters
counted in part.assignment: the ticket's assignment when the part was added, so reassigning the lead does not
restart it). A part its unit reported (rectified), closed or cancelled stops; a part taken off the ticket takes its
open 督办建议 with it (they lapse); a unit taken off and added again in the same assignment keeps the level its
letters reached, like a ticket returned to the same unit. `overdue_parts()` lists the parts past their deadline,
by unit (the inbox).

申请退出协办: an assisting unit whose part is open may ask, once, to be taken off (`request_withdraw`, with its
reason: 不属于本单位职责); the part stays open and its deadline stands meanwhile. The office decides
(`decide_withdraw`): approved, the unit is taken off as `remove_unit` does; refused, the part stays and the unit
cannot ask again (a unit added anew may). A unit that reports its part while its request is open drops the request.

协办申请延期: an assisting unit whose part is open may ask for more time on its own part (`request_part_extension`:
a day or a number of working days counted from the part's own deadline, and a reason), one open request per part;
the part stays open and its deadline stands meanwhile. The office decides (`decide_part_extension`): granted, the
part's deadline becomes the one asked for; refused, it stands and the office's note is kept. The unit may ask
again once the office has decided. An assisting part never follows the ticket's deadline (`follow_deadline` moves
the lead part only) and a rework keeps the later of its deadline and the rework time, so nothing later undoes a
granted extension. A unit that reports its part while its request is open drops the request.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import contains_eager

from ..common.errors import BadRequest, Conflict, Forbidden, Invalid
from ..common.ids import row_id
from ..common.sql import const
from ..common.text import clean_text
from ..extensions import db
from ..photos.processing import ProcessedPhoto
from ..photos.service import add_photo
from ..policy import OFFICE, UNITS, has_role
from ..units.models import Unit
from ..workdays.calendar import compute_deadline
from . import lifecycle
from .models import Ticket, TicketUnit
from .rules import PART_OWED_TICKET_STATUSES, PART_STATUS_LABELS, VOIDED_NOTE

MAX_PARTS = 8  # units on one ticket: a shared pole carries four or five carriers at most

PART_MOVES: dict[tuple[str, str], str] = {
    ("open", "rectify"): "rectified",
    ("rectified", "reopen"): "open",
    ("open", "close"): "closed",
    ("rectified", "close"): "closed",
    ("open", "cancel"): "cancelled",
    ("rectified", "cancel"): "cancelled",
    **{(status, "restart"): "open" for status in ("open", "rectified", "closed", "cancelled")},
}
# Features that hold something against a unit on a ticket (a 督办函's items: escalation/replies.py) and must hear
# when a unit leaves the ticket (退单 or 改派 to another unit, its 协办 taken off) or comes back to it: each is called
# as follow(ticket, now, note) once the parts have changed (flushed), `note` saying where the problem went.
# Tickets import none of them.
PART_FOLLOWERS: list = []
# Ticket statuses in which the office may change who assists and an assisting unit may report its part: while
# the ticket is with the units (the same statuses in which a part is owed).
CHANGEABLE = PART_OWED_TICKET_STATUSES


def move(part: TicketUnit, action: str) -> None:
    """Apply one step of the part's state table, or Conflict."""
    to = PART_MOVES.get((part.status, action))
    if to is None:
        raise Conflict(f"{part.unit.name if part.unit else '该单位'}的整改当前为“"
                       f"{PART_STATUS_LABELS.get(part.status, part.status)}”，不能执行此操作。", code="invalid_part_status")
    part.status = to


def _parts_changed(ticket: Ticket, now: datetime, note: str = "") -> None:
    """Tell PART_FOLLOWERS that a unit left the ticket or joined it (a ticket being filed has nothing to tell)."""
    if ticket.id is None:
        return
    db.session.flush()
    for follow in PART_FOLLOWERS:
        follow(ticket, now, note)


def _record(ticket: Ticket, action: str, actor, now: datetime, unit: Unit, note: str = "", **data):
    return lifecycle.record(ticket, action, actor.id, now, note=note, from_status=ticket.status,
                            to_status=ticket.status, data={"unit_id": unit.id, "unit": unit.name, **data})


# ----------------------------------------------------------------------------- the lead part (follows the ticket)

def set_lead(ticket: Ticket, unit: Unit, now: datetime) -> TicketUnit:
    """The ticket was (re)dispatched to `unit`: its lead part is that unit's, open, with the ticket's deadline.
    A unit that assisted becomes the lead (its assisting part merges into the lead part); the former lead, if
    another unit, is no longer on the ticket."""
    lead = ticket.lead_part
    leaving = lead is not None and lead.unit_id != unit.id
    existing = ticket.part_of(unit.id)
    if existing is not None and existing is not lead:
        ticket.parts.remove(existing)  # its photos stay on the ticket (part_id set to NULL)
        db.session.flush()
    if lead is None:
        lead = TicketUnit(unit=unit, role="lead", status="open", assigned_at=now)
        ticket.parts.append(lead)
    else:
        lead.unit = unit
        move(lead, "restart")
    lead.assigned_at, lead.deadline, lead.rectified_at = now, ticket.deadline, None
    lead.assignment, lead.escalation_level = ticket.assignment or 1, 0  # the lead's level is the ticket's
    if leaving:
        _parts_changed(ticket, now, f"问题已改派{unit.name}整改")
    return lead


def follow_deadline(ticket: Ticket) -> None:
    """The ticket's deadline moved (an approved extension): so does its lead part's."""
    if ticket.lead_part is not None:
        ticket.lead_part.deadline = ticket.deadline


def lead_reported(ticket: Ticket, now: datetime, note: str) -> TicketUnit | None:
    """The lead reports the whole: refused while an assisting part is still open."""
    waiting = [p.unit.name for p in ticket.assist_parts if p.status == "open"]
    if waiting:
        raise Conflict(f"协办单位{'、'.join(waiting)}尚未反馈本单位的整改情况，请协调完成后再报送整体整改结果。",
                       code="assist_parts_open")
    lead = ticket.lead_part
    if lead is not None:
        move(lead, "rectify")
        lead.rectified_at, lead.note = now, note
    return lead


def ticket_closed(ticket: Ticket) -> None:
    for part in ticket.parts:
        if part.status in ("open", "rectified"):
            move(part, "close")


def ticket_cancelled(ticket: Ticket, now: datetime) -> list[str]:
    """The parts end with the ticket (作废), and an assisting unit's request still open on its part (协办延期, 退出协办)
    is closed, not granted, with the reason VOIDED_NOTE: nothing waits for the office on a void problem. Returns
    what was withdrawn, as the 作废 event names it."""
    withdrawn = []
    for part in ticket.parts:
        if part.status in ("open", "rectified"):
            move(part, "cancel")
        name = part.unit.name if part.unit else "协办单位"
        if part.extension_status == "open":
            part.extension_decided_at, part.extension_approved, part.extension_note = now, False, VOIDED_NOTE
            withdrawn.append(f"{name}的延期申请")
        if part.withdraw_status == "open":
            part.withdraw_decided_at, part.withdraw_note = now, VOIDED_NOTE
            withdrawn.append(f"{name}的退出协办申请")
    return withdrawn


def ticket_rejected(ticket: Ticket, reopen_unit_ids: Iterable[int]) -> list[TicketUnit]:
    """Rework: the lead part opens again, and so does each named assisting part that had been rectified."""
    wanted = set(reopen_unit_ids)
    if wanted - {p.unit_id for p in ticket.assist_parts}:
        raise Invalid("要退回的协办单位不在本问题的协办单位中。", code="invalid_unit")
    reopened = []
    for part in ticket.parts:
        if part.status == "rectified" and (part.role == "lead" or part.unit_id in wanted):
            move(part, "reopen")
            part.rectified_at = None
            reopened.append(part)
    return reopened


# ----------------------------------------------------------------------------- assisting parts

def _unit(unit_id) -> Unit:
    ident = row_id(unit_id)
    if ident is None:
        raise BadRequest("请选择协办单位。", code="invalid_unit")
    unit = db.session.get(Unit, ident)
    if unit is None or not unit.active:
        raise Invalid("协办单位不存在或已停用。", code="invalid_unit")
    return unit


def add_assist(ticket: Ticket, unit: Unit, now: datetime, actor, deadline: datetime | None = None,
               note: str = "") -> TicketUnit:
    """Add an assisting unit with its own deadline (the category's rule from now, unless given; an outside case's
    limit still ahead binds it as it binds the lead). The lead reports the whole only after its assisting units
    (lead_reported): one added late in the lead's time, its deadline after the lead's, would make the lead overdue
    waiting for it, so the lead's deadline, still ahead, moves to the assisting unit's (the event says so)."""
    if ticket.part_of(unit.id) is not None:
        raise Conflict(f"{unit.name}已是本问题的责任单位。", code="unit_already_on_ticket")
    if len(ticket.parts) >= MAX_PARTS:
        raise Invalid(f"一个问题最多由{MAX_PARTS}家单位共同整改。", code="too_many_units")
    assignment = ticket.assignment or 1
    deadline = deadline or compute_deadline(ticket.category.deadline_rule, now)
    if ticket.due_by is not None and now < ticket.due_by < deadline:
        deadline = ticket.due_by
    part = TicketUnit(unit=unit, role="assist", status="open", assigned_at=now, deadline=deadline,
                      assignment=assignment, escalation_level=_level_reached(ticket, unit, assignment))
    ticket.parts.append(part)
    moved = {}
    if ticket.deadline is not None and now < ticket.deadline < deadline:
        moved = {"lead_deadline": deadline.isoformat(), "old_lead_deadline": ticket.deadline.isoformat()}
        ticket.deadline = deadline
        follow_deadline(ticket)
    _record(ticket, "add_unit", actor, now, unit, note, role="assist", deadline=deadline.isoformat(), **moved)
    _parts_changed(ticket, now)
    return part


def _level_reached(ticket: Ticket, unit: Unit, assignment: int) -> int:
    """The 督办 level this unit's letters on this ticket reached in this assignment (0 for a ticket not yet
    saved or a unit never escalated on it): a unit taken off and added again goes on from there."""
    if ticket.id is None:
        return 0
    # the escalation feature's table; tickets never import it at load
    from ..escalation.models import LetterItem

    return db.session.scalar(select(func.max(LetterItem.level)).where(
        LetterItem.ticket_id == ticket.id, LetterItem.unit_id == unit.id, LetterItem.assignment == assignment,
        LetterItem.level.is_not(None))) or 0


def add_unit(user, ticket: Ticket, now: datetime, unit_id, note: str | None = None) -> TicketUnit:
    """The office adds an assisting unit (协办) to a ticket the units are working on."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以调整协办单位。")
    if ticket.status not in CHANGEABLE:
        raise Conflict("只有待整改或退单待审的问题可以增加协办单位。", code="invalid_status")
    unit = _unit(unit_id)
    part = add_assist(ticket, unit, now, user, note=clean_text(note, "说明", 2000, multiline=True))
    _touch(ticket)
    db.session.flush()
    return part


def remove_unit(user, ticket: Ticket, now: datetime, unit_id, note: str | None = None) -> None:
    """The office takes an assisting unit off the ticket (it no longer sees it); its photos stay."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以调整协办单位。")
    if ticket.status not in CHANGEABLE:
        raise Conflict("只有待整改或退单待审的问题可以调整协办单位。", code="invalid_status")
    unit = _unit(unit_id)
    part = _assist_part_of(ticket, unit)
    _take_off(ticket, part, now)
    _record(ticket, "remove_unit", user, now, unit, clean_text(note, "说明", 2000, multiline=True), role="assist")
    _touch(ticket)
    db.session.flush()


def _assist_part_of(ticket: Ticket, unit: Unit) -> TicketUnit:
    part = ticket.part_of(unit.id)
    if part is None or part.role != "assist":
        raise Invalid(f"{unit.name}不是本问题的协办单位。", code="invalid_unit")
    return part


def _take_off(ticket: Ticket, part: TicketUnit, now: datetime) -> None:
    """An assisting unit leaves the ticket (the office removed it, or granted its request): it no longer sees the
    ticket; its photos stay (part_id set to NULL), its open 督办建议 lapse at the next sweep, its letters' items
    of the problem are moved on (PART_FOLLOWERS)."""
    ticket.parts.remove(part)
    _parts_changed(ticket, now, "该单位已不再协办本问题")


def own_assist_part(user, ticket: Ticket) -> TicketUnit:
    """The assisting part of this user's unit, or 403 (a lead uses the ticket's rectify, others have no part)."""
    if not has_role(user, UNITS):
        raise Forbidden("只有协办单位可以反馈本单位的整改情况。")
    part = ticket.part_of(user.unit_id)
    if part is None or part.role != "assist":
        raise Forbidden("本单位不是该问题的协办单位；主办单位请使用“整改反馈”报送整体整改结果。",
                        code="not_assisting_unit")
    if ticket.status not in CHANGEABLE:
        raise Conflict("问题当前状态不能反馈协办整改情况。", code="invalid_status")
    if part.status != "open":
        raise Conflict("本单位的整改情况已经反馈过了。", code="invalid_part_status")
    return part


def rectify_part(user, ticket: Ticket, now: datetime, note: str | None, photos: list[ProcessedPhoto],
                 photo_meta: list[dict] | None = None) -> TicketUnit:
    """An assisting unit reports its part done, with its own after-photos; the ticket's status does not move."""
    part = own_assist_part(user, ticket)
    note = clean_text(note, "整改说明", 2000, multiline=True)
    if not photos:
        raise BadRequest("请上传整改后的照片。", code="photos_required")
    move(part, "rectify")
    part.rectified_at, part.note = now, note
    data = {}
    if part.withdraw_status == "open":  # it did the work after all: its request to be taken off is moot
        part.withdraw_reason = part.withdraw_requested_at = None
        data["withdraw_dropped"] = True
    if part.extension_status == "open":  # done in time after all: its request for more time is moot
        part.extension_until = part.extension_reason = part.extension_requested_at = None
        data["extension_dropped"] = True
    event = _record(ticket, "rectify_part", user, now, part.unit, note, role="assist", **data)
    for photo, meta in zip(photos, photo_meta or [{}] * len(photos)):
        add_photo(ticket, photo, "after", now, event=event, meta=meta, part=part)
    _touch(ticket)
    db.session.flush()
    return part


# ----------------------------------------------------------------------------- 申请退出协办

def _open_assist_part(user, ticket: Ticket, what: str, short: str, lead_hint: str) -> TicketUnit:
    """The user's unit's assisting part, still open on a ticket still with the units: where both of an assisting
    unit's requests (退出协办, 延期) start. Else 403 (not an assisting unit; `lead_hint` tells the lead its own way)
    or 409 (the ticket or the part has moved on)."""
    if not has_role(user, UNITS):
        raise Forbidden(f"只有协办单位可以{what}。")
    part = ticket.part_of(user.unit_id)
    if part is None or part.role != "assist":
        raise Forbidden(f"本单位不是该问题的协办单位；{lead_hint}", code="not_assisting_unit")
    if ticket.status not in CHANGEABLE:
        raise Conflict(f"问题当前状态不能{short}。", code="invalid_status")
    if part.status != "open":
        raise Conflict(f"本单位负责部分的整改情况已经反馈，不能再{short}。", code="invalid_part_status")
    return part


def withdrawing_part(user, ticket: Ticket) -> TicketUnit:
    """The user's unit's open assisting part, which may ask to be taken off now; else 403 (not an assisting unit)
    or 409 (the ticket or the part has moved on, a request is open, or one was refused)."""
    part = _open_assist_part(user, ticket, "申请退出协办", "申请退出协办",
                             "主办单位如认为不属于本单位职责，请使用“申请退单”。")
    if part.withdraw_status == "open":
        raise Conflict("本单位已申请退出协办，正在等待文明办处理。", code="withdraw_pending")
    if part.withdraw_status == "refused":
        raise Conflict("文明办已审核过本单位退出协办的申请，未同意退出，不能再次申请；"
                       "如有新的情况，请与文明办联系。", code="withdraw_turned_down")
    return part


def request_withdraw(user, ticket: Ticket, now: datetime, reason: str | None) -> TicketUnit:
    """An assisting unit says the problem is not its job (不属于本单位职责) and asks the office to take it off. The
    part stays open and its deadline stands while the office decides."""
    part = withdrawing_part(user, ticket)
    reason = clean_text(reason, "理由", 2000, multiline=True)
    if not reason:
        raise BadRequest("请填写申请退出协办的理由。", code="reason_required")
    part.withdraw_reason, part.withdraw_requested_at = reason, now
    part.withdraw_decided_at = part.withdraw_note = None
    _record(ticket, "withdraw_request", user, now, part.unit, reason, role="assist")
    _touch(ticket)
    db.session.flush()
    return part


def _check_office_decision(user, ticket: Ticket, approved, what: str, verb: str) -> None:
    """What the office's decision on an assisting unit's request (退出协办, 延期) needs first: the office, a ticket
    still with the units, and a yes or no."""
    if not has_role(user, OFFICE):
        raise Forbidden(f"只有文明办可以{what}。")
    if ticket.status not in CHANGEABLE:
        raise Conflict(f"只有待整改或退单待审的问题可以{what}。", code="invalid_status")
    if not isinstance(approved, bool):
        raise BadRequest(f"请说明是否{verb}（approved 为 true 或 false）。", code="invalid_approved")


def decide_withdraw(user, ticket: Ticket, now: datetime, unit_id, approved, note: str | None) -> None:
    """The office decides an assisting unit's request: approved, the unit is taken off as remove_unit does;
    refused (a note required), the part stays and the unit cannot ask again. The decision is written only if the
    request is still open at that moment, and the ticket's version is bumped: two decisions sent at once cannot
    both count (the second gets 409)."""
    _check_office_decision(user, ticket, approved, "处理退出协办申请", "同意")
    note = clean_text(note, "处理意见", 2000, multiline=True)
    if not approved and not note:
        raise BadRequest("不同意退出协办时，请填写理由。", code="note_required")
    unit = _unit(unit_id)
    part = _assist_part_of(ticket, unit)
    if part.status != "open" or part.withdraw_status != "open":
        raise Conflict(f"{unit.name}没有待处理的退出协办申请。", code="no_withdraw_request")
    decided = db.session.execute(
        update(TicketUnit).where(TicketUnit.id == part.id, TicketUnit.withdraw_requested_at.is_not(None),
                                 TicketUnit.withdraw_decided_at.is_(None))
        .values(withdraw_decided_at=now, withdraw_note=note).execution_options(synchronize_session="fetch"))
    if decided.rowcount != 1:
        raise Conflict("该退出协办申请刚被处理过，请刷新后查看。", code="withdraw_decided")
    if approved:
        _take_off(ticket, part, now)
    _record(ticket, "decide_withdraw", user, now, unit, note, role="assist", approved=approved)
    _touch(ticket)
    db.session.flush()


# ----------------------------------------------------------------------------- 协办申请延期

def extending_part(user, ticket: Ticket) -> TicketUnit:
    """The user's unit's open assisting part, which may ask for more time now; else 403 (not an assisting unit:
    the lead asks for the ticket with request_extension) or 409 (the ticket or the part has moved on, or a request
    is open)."""
    part = _open_assist_part(user, ticket, "为本单位负责的部分申请延期", "申请延期",
                             "主办单位请在“更多操作”中为整个问题申请延期。")
    if part.extension_status == "open":
        raise Conflict("本单位已申请延期，正在等待文明办审批。", code="extension_pending")
    return part


def request_part_extension(user, ticket: Ticket, now: datetime, until=None, workdays=None,
                           reason: str | None = None) -> TicketUnit:
    """An assisting unit asks for more time on its own part: a day (`until`) or working days counted from the
    part's deadline, as the lead asks for the ticket (services.extension_deadline), later than the part's deadline.
    The part stays open and its deadline stands while the office decides."""
    from .services import extension_deadline  # services imports this module

    part = extending_part(user, ticket)
    reason = clean_text(reason, "延期理由", 2000, multiline=True)
    if not reason:
        raise BadRequest("请填写延期理由。", code="reason_required")
    asked = extension_deadline(part.deadline, now, until, workdays)
    part.extension_until, part.extension_reason, part.extension_requested_at = asked, reason, now
    part.extension_decided_at = part.extension_approved = part.extension_note = None
    _record(ticket, "request_part_extension", user, now, part.unit, reason, role="assist", until=asked.isoformat(),
            deadline=part.deadline.isoformat() if part.deadline else None)
    _touch(ticket)
    db.session.flush()
    return part


def refuse_without_note(approved: bool, note: str) -> None:
    """A refused 延期 (the lead's or an assisting unit's) says why: the unit keeps a deadline it said it could not
    meet."""
    if not approved and not note:
        raise BadRequest("不同意延期时，请填写审批意见（理由）。", code="note_required")


def decide_part_extension(user, ticket: Ticket, now: datetime, unit_id, approved, note: str | None) -> None:
    """The office decides an assisting unit's request for more time: granted, the part's deadline becomes the one
    asked for (the lead's and the other parts' stand); refused (a note required: the unit is told why), it stands.
    The decision is written only if the request is still open at that moment, and the ticket's version is bumped:
    two decisions sent at once cannot both count (the second gets 409)."""
    _check_office_decision(user, ticket, approved, "审批协办单位的延期申请", "批准")
    note = clean_text(note, "审批意见", 2000, multiline=True)
    unit = _unit(unit_id)
    part = _assist_part_of(ticket, unit)
    if part.status != "open" or part.extension_status != "open":
        raise Conflict(f"{unit.name}没有待审批的延期申请。", code="no_extension_request")
    refuse_without_note(approved, note)
    until, old = part.extension_until, part.deadline
    decided = db.session.execute(
        update(TicketUnit).where(TicketUnit.id == part.id, TicketUnit.extension_requested_at.is_not(None),
                                 TicketUnit.extension_decided_at.is_(None))
        .values(extension_decided_at=now, extension_approved=approved, extension_note=note)
        .execution_options(synchronize_session="fetch"))
    if decided.rowcount != 1:
        raise Conflict("该延期申请刚被处理过，请刷新后查看。", code="extension_decided")
    if approved:
        part.deadline = until
    _record(ticket, "decide_part_extension", user, now, unit, note or ("同意延期" if approved else "不同意延期"),
            role="assist", approved=approved, until=until.isoformat() if until else None,
            old_deadline=old.isoformat() if old else None)
    _touch(ticket)
    db.session.flush()


def _touch(ticket: Ticket) -> None:
    """Bump the ticket's version: two people changing its parts at once conflict (409) like any other action."""
    from sqlalchemy.orm.attributes import flag_modified
    flag_modified(ticket, "status")


# ----------------------------------------------------------------------------- reading

def part_overdue_condition(now: datetime):
    """rules.is_part_overdue as SQL on ticket_units joined to tickets."""
    return and_(TicketUnit.status == "open", TicketUnit.deadline < now,
                Ticket.status.in_(PART_OWED_TICKET_STATUSES))


def overdue_parts(now: datetime, unit_id: int | None = None, role: str | None = None) -> list[TicketUnit]:
    """Every part past its deadline and not yet rectified (each unit's own lateness, lead and assisting alike),
    oldest deadline first; for one unit, or one role, when given. For escalation per part and the inbox."""
    query = (select(TicketUnit).join(Ticket, Ticket.id == TicketUnit.ticket_id)
             .options(contains_eager(TicketUnit.ticket))
             .where(part_overdue_condition(now)).order_by(TicketUnit.deadline, TicketUnit.id))
    if unit_id is not None:
        query = query.where(TicketUnit.unit_id == unit_id)
    if role is not None:
        query = query.where(TicketUnit.role == const(role))
    return list(db.session.scalars(query))


def overdue_parts_by_unit(now: datetime, role: str | None = None) -> dict[int, list[TicketUnit]]:
    """overdue_parts grouped by unit id."""
    result: dict[int, list[TicketUnit]] = {}
    for part in overdue_parts(now, role=role):
        result.setdefault(part.unit_id, []).append(part)
    return result
