"""After 签发: a 主送 unit signs for the letter (签收) and replies in writing (书面回复: text, photos, PDFs); the
office marks each item 销号 (cleared) or 未销号 (not yet, with the reason); when every item is cleared the letter
is 办结 (done). Callers pass `now`; operations flush, the edge commits."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..common.errors import BadRequest, Conflict, Forbidden, NotFound
from ..common.ids import row_id
from ..common.text import clean_text
from ..extensions import db
from ..policy import OFFICE, UNITS, has_role
from ..tickets.rules import STATUS_LABELS
from ..tickets.parts import PART_FOLLOWERS
from ..tickets.services import REWORK_FOLLOWERS
from . import uploads
from .models import Letter, LetterItem, LetterReply, LetterUnit
from .services import NOT_FOUND, READ_ONLY, can_view_letter, own_recipient, reader_units

MAX_REPLY = 5000
CLEARABLE = ("rectified", "closed", "cancelled")  # the unit has reported back, the inspector closed it, or it was void


def _recipient_of(user, letter: Letter):
    if not can_view_letter(user, letter):
        raise NotFound(NOT_FOUND)
    if not has_role(user, UNITS):
        raise Forbidden("只有主送单位可以签收和回复督办函。")
    row = own_recipient(user, letter)
    if row is None:  # a letter the unit reads for its 辖区 only (services.overseen): the 主送 unit signs and replies
        raise Forbidden(READ_ONLY, code="read_only")
    return row


def acknowledge(user, letter: Letter, now: datetime) -> Letter:
    """签收: the unit confirms receipt. Again is harmless (the first time stands)."""
    row = _recipient_of(user, letter)
    if row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, user.id
        db.session.flush()
    return letter


def reply(user, letter: Letter, now: datetime, text, files=()) -> LetterReply:
    """书面回复: text (required) with photos or PDFs; 签收 too if the unit had not yet."""
    row = _recipient_of(user, letter)
    if letter.status == "done":
        raise Conflict("该督办函已办结，无需再回复。", code="letter_done")
    text = clean_text(text, "回复内容", MAX_REPLY, multiline=True)
    if not text:
        raise BadRequest("请填写书面回复的内容。", code="text_required")
    attached = uploads.read_files(list(files or ()), now=now, user=user)  # all checked before anything is written
    # The same tap twice at once (a double tap, a retry racing the first) queues here, on the unit's 主送 row, and
    # the later one finds the first's reply, answered with it: no copy, no second set of files.
    db.session.execute(update(LetterUnit).where(LetterUnit.id == row.id).values(replied_at=LetterUnit.replied_at)
                       .execution_options(synchronize_session=False))
    if (earlier := _just_sent(row, user, text, attached, now)) is not None:
        return earlier
    answer = LetterReply(letter=letter, unit_id=row.unit_id, text=text, created_at=now, created_by_id=user.id)
    db.session.add(answer)
    db.session.flush()
    uploads.store(attached, now, reply=answer)
    if row.acknowledged_at is None:
        row.acknowledged_at, row.acknowledged_by = now, user.id
    if row.replied_at is None:
        row.replied_at = now
    db.session.flush()
    return answer


REPEAT_MINUTES = 10  # the same reply (text and files) by the same person within this is the same tap again


def _just_sent(row: LetterUnit, user, text: str, attached: uploads.Uploads, now: datetime) -> LetterReply | None:
    """This person's reply to the letter from the last REPEAT_MINUTES if it says the same and carries the same
    files (by their content), as 红黑榜's publication and a 巡查打卡 tell a repeated click: a supplement says
    something else."""
    last = db.session.scalar(select(LetterReply).where(
        LetterReply.letter_id == row.letter_id, LetterReply.unit_id == row.unit_id,
        LetterReply.created_by_id == user.id, LetterReply.created_at >= now - timedelta(minutes=REPEAT_MINUTES))
        .order_by(LetterReply.id.desc()).limit(1))
    if last is not None and last.text == text and sorted(f.sha256 for f in last.files) == attached.digests():
        return last
    return None


def replies_for(user, letter: Letter) -> list[LetterReply]:
    """The replies this user may read: a unit its own (and its 辖区's), the office and leaders all of them."""
    query = select(LetterReply).where(LetterReply.letter_id == letter.id).order_by(LetterReply.id)
    if has_role(user, UNITS):
        query = query.where(LetterReply.unit_id.in_(sorted(reader_units(user))))
    return list(db.session.scalars(query).unique())


def clear_item(user, letter: Letter, now: datetime, ticket_id, cleared: bool | None = True, note=None,
               unit_id=None) -> LetterItem:
    """销号 (cleared=True) or 未销号 (False, with the reason) of a ticket's item. A letter may list one ticket for
    several of its units (the lead and an assisting unit): `unit_id` picks one; without it, every item of the
    ticket not yet settled is marked. A cleared item stays cleared, and one moved on (its unit no longer answers
    for the problem: follow_parts) is settled already; the letter is 办结 when every item is settled. 销号 clears
    the same problem of the same unit in its other open letters too (_clear_elsewhere). Each clearing changes the
    letter's row, so two clearings at once cannot both miss the last one (the second gets 409 and tries again)."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以销号。")
    if letter.status == "draft":
        raise Conflict("草稿尚未签发，不能销号。", code="not_issued")
    if letter.status == "done":
        raise Conflict("该督办函已办结。", code="letter_done")
    ticket_id, unit_id = _item_key(ticket_id), _item_key(unit_id, optional=True)
    items = [i for i in letter.items if i.ticket_id == ticket_id and (unit_id is None or i.unit_id == unit_id)]
    if not items:
        raise NotFound("督办函中没有该问题。", code="item_not_found")
    if cleared is None:
        raise BadRequest("请说明是否销号（cleared 为 true 或 false）。", code="invalid_cleared")
    note = clean_text(note, "说明", 500, multiline=True)
    open_items = [i for i in items if not i.settled]
    if not open_items:
        moved = next((i for i in items if i.outcome == "moved"), None)
        if moved is not None:
            raise Conflict(f"问题 {moved.ticket_number} 已不由{moved.unit.name if moved.unit else '该单位'}负责"
                           f"（{moved.clear_note}），该项已移出，无需销号。", code="item_moved")
        raise Conflict(f"问题 {items[0].ticket_number} 已销号。", code="already_cleared")
    if cleared:
        for item in open_items:
            if not reported_back(item):
                status = item.ticket.status
                raise Conflict(f"问题 {item.ticket_number} 当前状态为“{STATUS_LABELS.get(status, status)}”，"
                               "尚未整改反馈，不能销号。", code="not_rectified")
    elif not note:
        raise BadRequest("未销号请说明原因。", code="note_required")
    for item in open_items:
        item.outcome, item.cleared_at, item.cleared_by_id, item.clear_note = (
            "cleared" if cleared else "not_cleared", now, user.id, note)
    _settle(letter, now)
    if cleared:
        _clear_elsewhere(user, letter, open_items, now, note)
    db.session.flush()
    return open_items[0]


def _settle(letter: Letter, now: datetime) -> None:
    """The letter's row changes with each clearing (its revision is the lock), and it is 办结 once every item is
    settled, open again when one is not any more (follow_parts: a unit back on the problem)."""
    letter.updated_at = now
    settled = all(i.settled for i in letter.items)
    if settled and letter.status == "issued":
        letter.status, letter.done_at = "done", now
    elif not settled and letter.status == "done":
        letter.status, letter.done_at = "issued", None


def _clear_elsewhere(user, letter: Letter, cleared: list[LetterItem], now: datetime, note: str) -> None:
    """销号 says the problem is dealt with, not one letter: the same problem for the same unit (ticket, unit,
    assignment) listed by the unit's other letters still open — the 督办函 before a 挂牌督办函, a 督查通报 — is cleared
    with it, and each of those letters is 办结 when all its items are. (They stayed 待销号 and 逾期未回复 until the
    office cleared the problem again letter by letter.) A 未销号 stays in its own letter."""
    keys = {(i.ticket_id, i.unit_id, i.assignment) for i in cleared}
    others = db.session.scalars(
        select(LetterItem).join(Letter, Letter.id == LetterItem.letter_id)
        .where(Letter.status == "issued", Letter.id != letter.id,
               LetterItem.ticket_id.in_({ticket_id for ticket_id, _, _ in keys}),
               ~LetterItem.settled)
        .order_by(LetterItem.letter_id, LetterItem.id)).all()
    why = f"随{letter.number}一并销号" + (f"（{note}）" if note else "")  # shown after 已销号：
    touched: dict[int, Letter] = {}
    for item in others:
        if (item.ticket_id, item.unit_id, item.assignment) in keys:
            item.outcome, item.cleared_at, item.cleared_by_id, item.clear_note = "cleared", now, user.id, why[:500]
            touched[item.letter_id] = item.letter
    for other in touched.values():
        _settle(other, now)


def reopen_on_rework(user, ticket, reopened: list, now: datetime, note: str) -> None:
    """An inspector sent the ticket back (返工) after the office had cleared it in a letter on the unit's report:
    the item is 未销号 again, with why, and a letter 办结 on it is open again (it showed 已办结 beside a problem
    being reworked). Items of the parts reopened only: an assisting unit not sent back keeps its 销号."""
    parts = {(part.unit_id, part.assignment) for part in reopened}
    items = db.session.scalars(select(LetterItem).join(Letter, Letter.id == LetterItem.letter_id).where(
        LetterItem.ticket_id == ticket.id, LetterItem.outcome == "cleared", Letter.status != "draft")).all()
    for item in items:
        if (item.unit_id, item.assignment) not in parts:
            continue
        item.outcome, item.cleared_at, item.cleared_by_id = "not_cleared", now, user.id
        item.clear_note = f"核查未通过，已退回返工：{note}"[:500]
        letter = item.letter
        letter.updated_at = now
        if letter.status == "done":
            letter.status, letter.done_at = "issued", None


if reopen_on_rework not in REWORK_FOLLOWERS:
    REWORK_FOLLOWERS.append(reopen_on_rework)


def follow_parts(ticket, now: datetime, note: str) -> None:
    """The ticket's units changed (tickets.parts.PART_FOLLOWERS): a 退单 or 改派 gave the problem to another unit, an
    assisting unit was taken off (or let go at its request), or a unit came back to it. An item of an issued letter
    whose unit no longer answers for the problem is settled as moved on (已移出, `note` saying where it went): it
    is no longer 待销号 or 逾期未回复 for that unit, which could never have it cleared (销号 waits for a report the
    unit can no longer make, on a problem it can no longer open); its letter is 办结 once every item is settled.
    One whose unit answers for the problem again (added back) is open again, as it was before it moved."""
    items = db.session.scalars(select(LetterItem).join(Letter, Letter.id == LetterItem.letter_id).where(
        LetterItem.ticket_id == ticket.id, Letter.status != "draft", LetterItem.unit_id.is_not(None),
        LetterItem.outcome.is_distinct_from("cleared")).order_by(LetterItem.id)).all()
    for item in items:
        answers = answers_for(item)
        if not answers and item.outcome != "moved":
            item.outcome, item.cleared_at, item.cleared_by_id, item.clear_note = "moved", now, None, note[:500]
        elif answers and item.outcome == "moved":
            item.outcome, item.cleared_at, item.cleared_by_id, item.clear_note = None, None, None, ""
        else:
            continue
        _settle(item.letter, now)


if follow_parts not in PART_FOLLOWERS:
    PART_FOLLOWERS.append(follow_parts)


def _item_key(value, optional: bool = False) -> int | None:
    if optional and (value is None or (isinstance(value, str) and not value.strip())):
        return None
    if (ident := row_id(value)) is not None:
        return ident
    raise NotFound("督办函中没有该问题。", code="item_not_found")


def answers_for(item: LetterItem) -> bool:
    """Whether the item's unit still answers for its problem: it has a part of the ticket (主办 or 协办), whatever
    became of it since (rectified, closed). An item of no unit (an older letter's) follows the ticket."""
    return item.unit_id is None or item.ticket.part_of(item.unit_id) is not None


def reported_back(item: LetterItem) -> bool:
    """The unit has reported back on what the item is about: the ticket was rectified, closed or voided, or, for
    an assisting unit's item, that unit's own part was rectified or closed."""
    ticket = item.ticket
    if ticket.status in CLEARABLE:
        return True
    part = ticket.part_of(item.unit_id) if item.unit_id is not None else None
    return part is not None and part.role == "assist" and part.status in ("rectified", "closed")
