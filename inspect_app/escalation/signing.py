"""签发: a leader (or, where LETTER_ADMIN_MAY_SIGN allows, the office's admin) signs a draft and it is issued.

In one transaction: the number is taken from the letter's series (common.models.next_value: gap-free, a rolled
back transaction gives it back; drafts never take one), the draft's items copy what the letter says about each
ticket, each ticket gets its "escalate" event (by the signer) and reaches the letter's level — the ticket's level for
its lead unit's item, the part's level for an assisting unit's (协办) item — the proposals behind it close, and the
主送 units are told (the outbox). A 督查通报 names problems without raising their level. From then on the letter's content is fixed (models.py guard),
the 主送 names with it (LetterUnit.unit_name), and its PDF is written after the commit (jobs.write_pdfs_after_commit).

Two signs at once: the letter's revision is its optimistic lock, so of two transactions signing the same draft
the second's UPDATE matches no row and it answers 409 (its number goes back with its rollback); two different
drafts queue on the counter's row and take consecutive numbers.

签发 beside a change of its problems (改派, 作废, a unit's 整改): the number is taken first, then the tickets are
locked (PostgreSQL: SELECT ... FOR UPDATE in id order; SQLite: the number's UPDATE holds the write lock already)
and read again, and only then is the draft checked. A 改派 committed first is seen and refused (409, as when it came
a minute before); one still under way waits for the 签发 and starts its new unit at level 0. The tickets' version is
not moved (a unit rectifying at that moment is not refused). The automatic sweep also takes the letters' counter
before its tickets (sweep.issue_letters), and so do the propose sweep and a 督查通报's 签发, numbered in a series of its
own (sweep.queue_on_letters), so a 签发 of any kind and a sweep of either mode queue on the counter instead of
deadlocking.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..common.errors import BadRequest, Conflict, Forbidden, Invalid
from ..common.ids import MAX_ID
from ..common.models import next_value
from ..common.text import clean_text
from ..common.timeutil import fmt_cn_date, local
from ..extensions import db
from ..tickets.models import Ticket
from . import inputs, notify
from .compose import check_each, earliest_reply_by, refusal, reply_by_at
from .models import SERIES, Letter, Proposal, mark_issuing
from .services import may_sign
from .settings import letter_number, level_delays
from .jobs import write_pdfs_after_commit
from .sweep import (assist_part, escalate_ticket, escalation_levels, first_photo_keys, item_facts,
                    pdf_relative_path, queue_on_letters)

log = logging.getLogger(__name__)

ALREADY = "该督办函已签发（{number}），不能重复签发。"


def _revision(value) -> int | None:
    """The draft's revision the signer read (optional); not a number is a 400, not a changed draft."""
    return inputs.integer(value, "版本号", 1, MAX_ID, "invalid_revision")


def _refuse_if_issued(letter: Letter, message: str = ALREADY) -> None:
    if letter.status != "draft":
        raise Conflict(message.format(number=letter.number), code="already_signed")


def check_ready(letter: Letter, now: datetime) -> None:
    """What a draft needs before it can be signed (the office fixes it; the leader is told why not)."""
    if not letter.recipients:
        raise Invalid("草稿没有主送单位，请文明办补充后再签发。", code="units_required")
    if not letter.items:
        raise Invalid("草稿中没有督办事项，请文明办补充后再签发。", code="items_required")
    _check_reply_by(letter, now)
    units, moved, entries = set(letter.unit_ids), {}, []  # every problem refused named at once, as compiling does
    for n, item in enumerate(letter.items):
        ticket = item.ticket
        part = assist_part(ticket, item.unit_id)
        if (part.unit_id if part is not None else ticket.unit_id) not in units:
            moved[n] = Conflict(f"问题 {ticket.number} 已改派其他单位，请文明办调整草稿后再签发。", code="ticket_reassigned")
        else:
            entries.append((ticket, item.unit_id))
    checked = iter(check_each(entries, letter.kind, letter.level, now, letter))
    refused = [moved[n] if n in moved else next(checked) for n in range(len(letter.items))]
    refused = [problem for problem in refused if problem is not None]
    if refused:
        raise refusal(refused)


def _check_reply_by(letter: Letter, now: datetime) -> None:
    """A date the office set must leave the unit at least one whole working day from 签发 (the default is counted
    from 签发, so it always does): a draft dated for the 6th and signed on the 6th at 22:00 gave two hours."""
    if letter.reply_by_default:
        return
    earliest = earliest_reply_by(now)
    if letter.reply_by < earliest:
        set_on = fmt_cn_date(local(letter.reply_by).date())
        days = level_delays()[letter.level]
        passed = "已过" if letter.reply_by <= now else "距签发不足一个工作日"
        raise Invalid(f"整改时限（{set_on}）{passed}，请文明办将整改时限改为{fmt_cn_date(local(earliest).date())}"
                      f"或以后，或留空（签发后{days}个工作日），再签发。", code="invalid_reply_by")


def sign(user, letter: Letter, now: datetime, revision=None) -> Letter:
    """Sign and issue the draft (flushes; the request commits)."""
    if not may_sign(user):
        raise Forbidden("只有领导可以签发督办函。", code="forbidden")
    _refuse_if_issued(letter)
    if _revision(revision) not in (None, letter.revision):
        raise Conflict("草稿已被修改，请重新阅读后再签发。", code="draft_changed")
    if letter.returned_at is not None:  # the office may be changing it: it comes back to the signers when saved
        raise Conflict("该草稿已退回文明办修改，待文明办修改保存后再签发。", code="draft_returned")

    letter_id = letter.id
    series = SERIES.get(letter.kind, "letter")
    year = local(now).year
    # nothing is pending yet: these are the transaction's first writes. The letters' counter first, whatever the
    # series (a 督查通报 has its own): the sweeps take it before their tickets too, so they queue instead of deadlocking
    queue_on_letters(now)
    seq = next_value(series, year)
    # after the number, as the sweep: the tickets as they are now, no one changing them; held here, so the items'
    # tickets are these (the session keeps objects only while they are referenced: each item read its ticket again)
    held = _hold_tickets(letter)
    try:
        check_ready(letter, now)
    except Conflict:
        # A concurrent 签发 of this very draft raised its tickets' levels after this request read the draft:
        # say what happened to the letter, not to its tickets.
        status, number = db.session.execute(select(Letter.status, Letter.number)
                                            .where(Letter.id == letter.id)).one()
        if status != "draft":
            raise Conflict(ALREADY.format(number=number), code="already_signed") from None
        raise
    mark_issuing(letter)
    letter.reply_by = reply_by_at(letter, now)  # a default counts from now, the 成文日期
    for recipient in letter.recipients:  # the 主送 as signed, whenever its PDF is built
        recipient.unit_name = recipient.unit.name
    tickets = {item.ticket_id: held.get(item.ticket_id) or item.ticket for item in letter.items}
    photos = first_photo_keys(list(tickets))
    letter.status = "issued"
    letter.number = letter_number(year, seq, series=series)
    letter.year, letter.seq, letter.series = year, seq, series
    letter.issued_at, letter.signed_by_id = now, user.id
    letter.pdf_path, letter.pdf_written_at = pdf_relative_path(series, year, seq), None
    escalates = letter.kind != "bulletin"  # a 督查通报 names the problems; the letters of 督办 raise their level
    owners = {}  # item id -> the assisting part it is for (None: the lead's)
    for item in letter.items:
        ticket = tickets[item.ticket_id]
        part = owners[id(item)] = assist_part(ticket, item.unit_id)
        item.level = letter.level if escalates else None
        item.reply_by, item.unit_id = letter.reply_by, part.unit_id if part is not None else ticket.unit_id
        for key, value in item_facts(ticket, now, photos.get(ticket.id), part).items():
            setattr(item, key, value)
    try:
        db.session.flush()  # UPDATE ... WHERE revision = the one read: a concurrent sign matches no row
    except (StaleDataError, IntegrityError):
        db.session.rollback()  # the number goes back; nothing of this sign remains
        fresh = db.session.get(Letter, letter_id)
        if fresh is not None and fresh.status != "draft":
            raise Conflict(ALREADY.format(number=fresh.number), code="already_signed") from None
        raise Conflict("草稿刚被其他人修改或签发，请刷新后再试。", code="draft_changed") from None

    updates = []
    for item in letter.items:
        ticket, part = tickets[item.ticket_id], owners[id(item)]
        old_level = part.escalation_level if part is not None else ticket.escalation_level
        updates.append(escalate_ticket(ticket, letter, old_level, user.id, now, raise_level=escalates, part=part))
    if escalates:
        escalation_levels(updates)
        _close_proposals(letter, now)
    notify.enqueue_letters([letter], now)
    db.session.flush()
    # the 公文 as signed (its 主送 names kept above, everything else fixed at 签发), written once this commits, out
    # of the leader's request: 300 problems with their photos took more than a second to print
    write_pdfs_after_commit([letter.id])
    return letter


def _hold_tickets(letter: Letter) -> dict[int, Ticket]:
    """Lock the draft's tickets until the transaction ends (PostgreSQL; on SQLite the caller's first write holds
    the database's write lock already) and read them again with their parts: a 改派 or 作废 committed since the
    draft was read is what the check sees, and one not yet committed waits for this 签发 (its UPDATE, with the
    ticket's version check, comes after ours and starts the new unit at level 0). In id order: two 签发 holding
    tickets in common lock them in the same order."""
    ids = sorted({item.ticket_id for item in letter.items})
    if not ids:
        return {}
    db.session.execute(select(Ticket.id).where(Ticket.id.in_(ids)).order_by(Ticket.id)
                       .with_for_update(of=Ticket.__table__))  # the rows alone: no eager joins under FOR UPDATE
    return {ticket.id: ticket for ticket in db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ids)).execution_options(populate_existing=True)).unique()}


MAX_RETURN_NOTE = 1000


def return_draft(user, letter: Letter, now: datetime, note=None, revision=None) -> Letter:
    """退回修改: a signer sends the draft back to the office with what to change, instead of signing it. It leaves
    the signers' queue until the office saves it again (compose.update_draft); nothing else about it changes."""
    if not may_sign(user):
        raise Forbidden("只有领导可以退回督办函草稿。", code="forbidden")
    _refuse_if_issued(letter, "该督办函已签发（{number}），不能再退回修改。")
    if _revision(revision) not in (None, letter.revision):
        raise Conflict("草稿已被修改，请重新阅读后再处理。", code="draft_changed")
    note = clean_text(note, "修改意见", MAX_RETURN_NOTE, multiline=True)
    if not note:
        raise BadRequest("请填写修改意见（退回文明办修改什么）。", code="note_required")
    letter.returned_at, letter.returned_by_id, letter.return_note = now, user.id, note
    try:
        db.session.flush()  # the revision moves: a sign of the version read before fails as changed
    except StaleDataError:
        db.session.rollback()
        raise Conflict("草稿刚被其他人修改或签发，请刷新后再试。", code="draft_changed") from None
    return letter


def _close_proposals(letter: Letter, now: datetime) -> None:
    """The proposals this letter answers: those compiled into it, and any other open one for its (ticket, unit)
    items at or below its level."""
    ids = letter.ticket_ids
    pairs = {(item.ticket_id, item.unit_id) for item in letter.items}
    rows = db.session.scalars(select(Proposal).where(
        Proposal.closed_at.is_(None),
        (Proposal.letter_id == letter.id) | (Proposal.ticket_id.in_(ids) & (Proposal.level <= letter.level)))
        .order_by(Proposal.id))
    for proposal in rows:
        if proposal.letter_id != letter.id and (proposal.ticket_id, proposal.unit_id) not in pairs:
            continue  # another unit's proposal on the same ticket: its own part is not answered by this letter
        proposal.closed_at, proposal.outcome = now, "issued"
        proposal.letter_id = letter.id
        proposal.close_note = letter.number or ""

