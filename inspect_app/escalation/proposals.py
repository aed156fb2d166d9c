"""督办建议 (ESCALATION_MODE=propose): the sweep finds the tickets that reached a level, with the same pure rule as
ever (levels.target_level), and proposes; the office decides what goes into a letter.

- write_proposals: the sweep's step (one transaction): close proposals that stopped applying, add one open
  proposal per (ticket, unit, level) newly reached — the lead's (the ticket's level) and each assisting unit's whose
  own part is overdue (the part's level, sweep.candidates) — and queue a message to the office's group.
- open_proposals / by_unit / count_open: what the office sees; a proposal whose ticket was rectified, closed,
  cancelled or reassigned since is left out at once (the next sweep closes it as `lapsed`). One whose problem a
  draft already lists for its unit (compiled from it, by hand, or added while editing) waits in that draft, not
  for the office (drafts_holding says which): a draft may list a problem for a unit once (compose.check_ticket).
- dismiss: the office decides against; that level is not proposed again for that ticket.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..common.errors import BadRequest, Conflict, Forbidden, NotFound
from ..common.sql import const, consts
from ..common.text import clean_text
from ..common.timeutil import fmt_cn_date, local
from ..extensions import db
from ..policy import LEADERSHIP, OFFICE, has_role
from ..tickets.models import Ticket, TicketUnit
from . import notify
from .levels import target_level
from .models import Letter, LetterItem, Proposal, SweepRun, overdue_reason
from .settings import setting
from .sweep import _chunks, candidates, queue_on_letters, serialize_sweeps


@dataclass
class ProposalRun:
    run: SweepRun
    new: list[Proposal] = field(default_factory=list)
    lapsed: int = 0


def _reason(level: int, deadline: datetime, reply_by: datetime | None, number: str | None, now: datetime) -> str:
    if level <= 1 or not number:
        return overdue_reason(deadline, now)
    step = "督办" if level == 2 else "挂牌督办"
    if reply_by is not None and deadline is not None and deadline > reply_by:  # a 延期 granted past the letter's date
        return f"经{number}{step}，延期至{fmt_cn_date(local(deadline).date())}仍未整改到位"
    return f"经{number}{step}，{fmt_cn_date(local(reply_by).date())}前仍未整改到位"  # as the letter wrote it


def close_lapsed(now: datetime) -> int:
    """Close the open proposals that no longer apply; returns how many."""
    statuses = tuple(setting("ESCALATION_STATUSES"))
    lead_item, part, part_item = aliased(LetterItem), aliased(TicketUnit), aliased(LetterItem)
    rows = db.session.execute(
        select(Proposal, Ticket.status, Ticket.unit_id, Ticket.escalation_level, Ticket.deadline, lead_item.reply_by,
               Ticket.assigned_at, part.id, part.status, part.escalation_level, part.deadline, part_item.reply_by)
        .join(Ticket, Ticket.id == Proposal.ticket_id)
        .outerjoin(lead_item, (lead_item.ticket_id == Ticket.id) & (lead_item.level == Ticket.escalation_level)
                   & (lead_item.unit_id == Ticket.unit_id) & (lead_item.assignment == Ticket.assignment))
        .outerjoin(part, (part.ticket_id == Proposal.ticket_id) & (part.unit_id == Proposal.unit_id)
                   & (part.role == const("assist")))
        .outerjoin(part_item, (part_item.ticket_id == part.ticket_id) & (part_item.unit_id == part.unit_id)
                   & (part_item.level == part.escalation_level) & (part_item.assignment == part.assignment))
        .where(Proposal.closed_at.is_(None)).order_by(Proposal.id)).all()
    closed = 0
    for (proposal, status, unit_id, level, deadline, reply_by, assigned_at,
         part_id, part_status, part_level, part_deadline, part_reply_by) in rows:
        if part_id is not None:  # an assisting unit's proposal: its own part decides
            if part_level >= proposal.level:
                outcome, note = "issued", "已随督办函升级"
            elif status not in statuses:
                outcome, note = "lapsed", "问题已整改、结案或作废"
            elif part_status != "open":
                outcome, note = "lapsed", "协办单位已整改"
            elif target_level(part_deadline, part_level, {part_level: part_reply_by}, now) < proposal.level:
                outcome, note = "lapsed", "整改时限已延长"
            else:
                continue
        elif unit_id != proposal.unit_id and not (assigned_at and assigned_at > proposal.created_at):
            outcome, note = "lapsed", "该单位已不再协办本问题"  # taken off the ticket, no reassignment since
        elif level >= proposal.level:
            outcome, note = "issued", "已随督办函升级"
        elif status not in statuses:
            outcome, note = "lapsed", "问题已整改、结案或作废"
        elif unit_id != proposal.unit_id:
            outcome, note = "lapsed", "问题已改派其他单位"
        elif target_level(deadline, level, {level: reply_by}, now) < proposal.level:
            outcome, note = "lapsed", "整改时限已延长"
        else:
            continue
        proposal.closed_at, proposal.outcome, proposal.close_note = now, outcome, note
        closed += 1
    db.session.flush()
    return closed


def write_proposals(now: datetime, *, ran_at: datetime | None = None) -> ProposalRun:
    """The propose-mode sweep, in the caller's transaction (call it at the start of one)."""
    serialize_sweeps()
    queue_on_letters(now)  # after any 签发 under way (its tickets, the proposals it closes); the first write
    run = SweepRun(as_of=now, started_at=ran_at or now)
    db.session.add(run)
    db.session.flush()
    result = ProposalRun(run=run, lapsed=close_lapsed(now))
    due = []
    for ticket_id, unit_id, level, deadline, reply_by, _part_id, number in candidates(now, lock=False, numbers=True):
        target = target_level(deadline, level, {level: reply_by}, now)
        if target > level:
            due.append((ticket_id, unit_id, target, _reason(target, deadline, reply_by, number, now)))
    taken: set[tuple[int, int, int]] = set()
    for chunk in _chunks(sorted({row[0] for row in due})):
        taken.update(db.session.execute(
            select(Proposal.ticket_id, Proposal.unit_id, Proposal.level).where(
                Proposal.ticket_id.in_(chunk),
                Proposal.closed_at.is_(None) | Proposal.outcome.in_(("dismissed", "issued")))).tuples())
    for ticket_id, unit_id, level, reason in sorted(due, key=lambda row: (row[1], -row[2], row[0])):
        if (ticket_id, unit_id, level) in taken:
            continue
        proposal = Proposal(ticket_id=ticket_id, unit_id=unit_id, level=level, reason=reason[:300], created_at=now,
                            sweep_id=run.id)
        db.session.add(proposal)
        result.new.append(proposal)
    run.proposals, run.finished_at = len(result.new), ran_at or now
    db.session.flush()
    held = drafts_holding(result.new)  # written all the same (a draft discarded gives them back), not announced
    notify.enqueue_proposals([p for p in result.new if p.id not in held], now)
    return result


# ----------------------------------------------------------------------------- reading

def _still_applies(now: datetime, statuses=None):
    """The live half of "open": the ticket is still escalating, and the proposal's unit is still its lead below
    the level with the ticket's deadline passed, or still assists with its own part open, below the level, past
    its own deadline. statuses: ESCALATION_STATUSES, or those written into the SQL (consts) of a statement built
    once."""
    lead = and_(Ticket.unit_id == Proposal.unit_id, Ticket.escalation_level < Proposal.level, Ticket.deadline < now)
    assisting = exists().where(TicketUnit.ticket_id == Proposal.ticket_id, TicketUnit.unit_id == Proposal.unit_id,
                               TicketUnit.role == const("assist"), TicketUnit.status == const("open"),
                               TicketUnit.escalation_level < Proposal.level, TicketUnit.deadline < now)
    if statuses is None:
        statuses = tuple(setting("ESCALATION_STATUSES"))
    return and_(Proposal.closed_at.is_(None), Ticket.status.in_(statuses),
                or_(lead, assisting))


def _in_a_draft():
    """The proposal waits in a draft: compiled into it, or its problem listed there for its unit anyway (a draft
    compiled by hand, one a leader returned, a problem added while editing). compose.check_ticket refuses a
    problem for a unit in a second draft, so such a proposal is not the office's to compile."""
    listed = (select(LetterItem.id).join(Letter, Letter.id == LetterItem.letter_id)
              .where(LetterItem.ticket_id == Proposal.ticket_id, LetterItem.unit_id == Proposal.unit_id,
                     Letter.status == const("draft")).exists())
    return or_(Proposal.letter_id.is_not(None), listed)


def open_proposals(now: datetime, *, unit_id: int | None = None, include_drafted: bool = True) -> list[Proposal]:
    """Open proposals; include_drafted=False: only those waiting for the office (none a draft holds)."""
    query = (select(Proposal).join(Ticket, Ticket.id == Proposal.ticket_id).where(_still_applies(now))
             .order_by(Proposal.unit_id, Proposal.level.desc(), Ticket.deadline, Proposal.id))
    if unit_id:
        query = query.where(Proposal.unit_id == unit_id)
    if not include_drafted:
        query = query.where(~_in_a_draft())
    return list(db.session.scalars(query).unique())


def drafts_holding(proposals: list[Proposal]) -> dict[int, int]:
    """proposal id -> the draft it waits in (_in_a_draft), for those of `proposals` a draft holds (the first
    draft, should two list its problem)."""
    held = {p.id: p.letter_id for p in proposals if p.letter_id is not None}
    loose = [p for p in proposals if p.letter_id is None]
    listed: dict[tuple[int, int], int] = {}
    for chunk in _chunks(sorted({p.ticket_id for p in loose})):
        for ticket_id, unit_id, letter_id in db.session.execute(
                select(LetterItem.ticket_id, LetterItem.unit_id, func.min(Letter.id))
                .join(Letter, Letter.id == LetterItem.letter_id)
                .where(LetterItem.ticket_id.in_(chunk), Letter.status == "draft")
                .group_by(LetterItem.ticket_id, LetterItem.unit_id)):
            listed[ticket_id, unit_id] = letter_id
    for proposal in loose:
        if (proposal.ticket_id, proposal.unit_id) in listed:
            held[proposal.id] = listed[proposal.ticket_id, proposal.unit_id]
    return held


@dataclass
class UnitProposals:
    unit: object
    proposals: list[Proposal]

    @property
    def top_level(self) -> int:
        return max(p.level for p in self.proposals)

    def at(self, level: int) -> list[Proposal]:
        return [p for p in self.proposals if p.level == level]


def by_unit(proposals: list[Proposal]) -> list[UnitProposals]:
    """Grouped by unit, the units with the highest levels and the most proposals first."""
    groups: dict[int, list[Proposal]] = defaultdict(list)
    for proposal in proposals:
        groups[proposal.unit_id].append(proposal)
    result = [UnitProposals(items[0].unit, items) for items in groups.values()]
    result.sort(key=lambda g: (-g.top_level, -len(g.proposals), g.unit.name))
    return result


def count_open(now: datetime) -> int:
    """Open proposals no draft holds (the office's count of 督办建议 waiting)."""
    return db.session.scalar(*open_count(now)) or 0


def open_count(now: datetime) -> tuple:
    """count_open as (statement, parameters), for the menu to send with its other counts."""
    return _count_open(tuple(setting("ESCALATION_STATUSES"))), {"now": now}


def count_open_query(now: datetime, statuses=None):
    """count_open's SELECT, for a caller that sends it with other counts in one statement (the dashboard)."""
    return (select(func.count(Proposal.id)).join(Ticket, Ticket.id == Proposal.ticket_id)
            .where(_still_applies(now, statuses), ~_in_a_draft()))


@lru_cache(maxsize=8)
def _count_open(statuses: tuple[str, ...]):
    """The menu count is on every page the office opens: built once, its cache key is made once (built per request,
    walking its EXISTS to make the key cost each page a few ms). The statuses are written into the SQL, so that
    PostgreSQL keeps one generic plan for the menu's statement instead of planning it on every page."""
    return count_open_query(bindparam("now"), consts(statuses))


def get_open(ids, now: datetime) -> list[Proposal]:
    """The open proposals with these ids (any other id: 404, naming it)."""
    ids = sorted({int(i) for i in ids})
    found = {p.id: p for p in db.session.scalars(
        select(Proposal).join(Ticket, Ticket.id == Proposal.ticket_id)
        .where(Proposal.id.in_(ids), _still_applies(now)))} if ids else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"督办建议 {'、'.join(map(str, missing))} 不存在或已不再适用（问题已整改、改派或已督办）。",
                       code="proposal_not_found")
    return [found[i] for i in ids]


def dismiss(user, ids, note, now: datetime) -> list[Proposal]:
    """不予督办: the office decides against these proposals (a reason is kept)."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以处理督办建议。")
    note = clean_text(note, "理由", 300)
    if not note:
        raise BadRequest("请填写不予督办的理由。", code="note_required")
    proposals = get_open(ids, now)
    held = drafts_holding(proposals)
    for proposal in proposals:
        if proposal.id in held:
            raise Conflict(f"问题 {proposal.ticket.number} 已在草稿（#{held[proposal.id]}）中，请先从草稿中移除。",
                           code="proposal_in_draft")
        proposal.closed_at, proposal.outcome, proposal.closed_by_id, proposal.close_note = now, "dismissed", user.id, note
    db.session.flush()
    return proposals


def may_read(user) -> bool:
    return has_role(user, LEADERSHIP)
