"""Drafts: the office compiles a letter — from 督办建议, from units (their open proposals), or by hand from any open
tickets — edits it while it is a draft, and may discard it. A draft takes no number (签发 does, signing.py).

The draft keeps the office's wording (copied from the template of its kind), the 主送 units (every unit whose
ticket it lists, plus any named), its items (ticket and unit only: the preview reads the tickets as they are),
the level the tickets will reach and the reply-by date. Each change bumps its revision, so a leader signs the
draft they read.

An item is a (ticket, unit) pair: the ticket's lead unit (主办), or an assisting unit (协办) whose own part is
overdue (from its 督办建议); a ticket added by hand is its lead's. One letter may list a ticket once per unit.
"""
from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..common.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..common.ids import MAX_ID
from ..common.models import lock_sequence
from ..common.sql import count_where
from ..common.timeutil import end_of_local_day, fmt, fmt_cn_date, local
from ..extensions import db
from ..policy import OFFICE, has_role
from ..tickets.models import Ticket
from ..tickets.rules import OPEN_STATUSES, STATUS_LABELS, VOIDED_NOTE, overdue_condition
from ..tickets.services import CANCEL_FOLLOWERS
from ..units.models import Unit
from ..workdays.calendar import load_calendar
from . import inputs, proposals as proposal_service
from .models import KIND_LABELS, KIND_LEVELS, LEVEL_KINDS, MAX_LEVEL, Letter, LetterItem, LetterUnit, Proposal
from .levels import target_level
from .settings import level_delays, level_text
from .sweep import assist_part
from .wording import clean_body, clean_line, clean_title, template_for

MAX_ITEMS = 500
COMPILING = "letter-drafts"  # the lock compilations queue on (common.models.lock_sequence)


def _office(user) -> None:
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以编制督办函。")


def _draft(letter: Letter) -> None:
    if letter.status != "draft":
        raise Conflict(f"{letter.number} 已签发，不能再修改。", code="not_a_draft")


def _saved_once(changed: str):
    """A draft's save (or 删除) racing another person's save, 删除 or 签发 of the same draft: the loser's UPDATE (or
    DELETE) ... WHERE revision = the one read matches no row, at its flush. Answered as when it came a second
    late: `changed` (draft_changed: the edit page keeps what was typed and names what differs), or the draft as
    it is now, signed (not_a_draft) or deleted (draft_deleted)."""
    def wrap(operation):
        @functools.wraps(operation)
        def run(user, letter: Letter, now: datetime, *args, **kwargs):
            letter_id = letter.id
            try:
                return operation(user, letter, now, *args, **kwargs)
            except (StaleDataError, IntegrityError):  # IntegrityError: items added to a draft deleted meanwhile
                db.session.rollback()
                fresh = db.session.get(Letter, letter_id)
                if fresh is None:
                    raise Conflict(DELETED, code="draft_deleted") from None
                _draft(fresh)
                raise Conflict(changed, code="draft_changed") from None
        return run
    return wrap


DELETED = "该草稿已被删除（其中的督办建议已退回待办），无需再操作。"


def _level(value) -> int | None:
    return inputs.integer(value, "督办级别", 1, MAX_LEVEL, "invalid_level")


def _kind(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in KIND_LABELS:  # a list or an object is no kind (and unhashable)
        raise BadRequest(f"文书种类只能是 {'、'.join(KIND_LABELS)}。", code="invalid_kind")
    return value


def default_reply_by(level: int, now: datetime) -> datetime:
    """The level's working days (ESCALATION_LEVEL_DELAYS) from now, to the end of that day."""
    return load_calendar(now).add_workdays(now, level_delays()[level])


def reply_by_at(letter: Letter, now: datetime) -> datetime:
    """The reply-by date the letter gives: an issued letter's, or a draft's date set by the office, or — a draft
    left at its default (reply_by_default) — the level's working days counted from `now`, when it would be signed:
    counted from the draft, a draft made before 春节 and signed after it left the unit hours, not days."""
    if letter.status == "draft" and letter.reply_by_default:
        return default_reply_by(letter.level, now)
    return letter.reply_by


def earliest_reply_by(now: datetime) -> datetime:
    """The earliest reply-by date a letter signed at `now` may give: the end of the next working day, so the unit
    has at least one whole working day (a date of today, or a day off before it, leaves it hours)."""
    return load_calendar(now).add_workdays(now, 1)


def _set_reply_by(letter: Letter, value, now: datetime) -> None:
    """The reply-by date typed (YYYY-MM-DD), or, left blank, the level's default counted from 签发."""
    chosen = _reply_by(inputs.day(value, "整改时限", "invalid_reply_by"), now)
    letter.reply_by_default = chosen is None
    letter.reply_by = chosen or default_reply_by(letter.level, now)


def _reply_by(value: date | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    if value < local(now).date():
        raise Invalid("整改时限不能早于今天。", code="invalid_reply_by")
    earliest = local(earliest_reply_by(now)).date()
    if value < earliest:  # today, or a day off before the next working day: 签发 would refuse it
        raise Invalid(f"整改时限最早可定为{fmt_cn_date(earliest)}（签发后须给单位留出一个完整的工作日），"
                      "或留空（按督办级别的工作日数从签发起算）。", code="invalid_reply_by")
    if (value - local(now).date()).days > 366:
        raise Invalid("整改时限不能超过一年。", code="invalid_reply_by")
    return end_of_local_day(value)


def _units(unit_ids: list[int]) -> list[Unit]:
    if not unit_ids:
        return []
    found = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    missing = [i for i in unit_ids if i not in found or not found[i].active]
    if missing:
        raise Invalid(f"责任单位 {'、'.join(map(str, missing))} 不存在或已停用。", code="invalid_unit")
    return [found[i] for i in unit_ids]


def _tickets(ticket_ids: list[int]) -> list[Ticket]:
    if not ticket_ids:
        return []
    found = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))).unique()}
    missing = [i for i in ticket_ids if i not in found]
    if missing:
        raise NotFound(f"问题 {'、'.join(map(str, missing))} 不存在。", code="ticket_not_found")
    return [found[i] for i in ticket_ids]


@dataclass
class _Letters:
    """What the checks of a batch of tickets read of other letters, in a few queries for the whole batch (one
    query per ticket made a 签发 of 300 problems send 900): the first letter listing each (ticket, unit,
    assignment) at the level, the first other draft holding each (ticket, unit), and each (ticket, level, unit,
    assignment)'s latest letter (number, reply_by) for the step's rule."""

    issued: dict[tuple[int, int, int], str]
    drafts: dict[tuple[int, int], int]
    last: dict[tuple[int, int, int, int], tuple]


_CHUNK = 500  # ids per IN (...) list


def _letters_of(tickets: list[Ticket], kind: str, level: int, letter: Letter | None) -> _Letters:
    ids = sorted({ticket.id for ticket in tickets})
    chunks = [ids[start:start + _CHUNK] for start in range(0, len(ids), _CHUNK)]
    issued: dict[tuple[int, int, int], str] = {}
    drafts: dict[tuple[int, int], int] = {}
    last: dict[tuple[int, int, int, int], tuple] = {}
    this = letter.id if letter is not None and letter.id else -1
    for chunk in chunks:
        if kind != "bulletin":  # a 通报 names problems; it raises no level
            for row in db.session.execute(
                    select(LetterItem.ticket_id, LetterItem.unit_id, LetterItem.assignment, Letter.number)
                    .join(Letter, LetterItem.letter_id == Letter.id)
                    .where(LetterItem.ticket_id.in_(chunk), LetterItem.level == level).order_by(Letter.id)):
                issued.setdefault((row.ticket_id, row.unit_id, row.assignment), row.number)
            for row in db.session.execute(
                    select(LetterItem.ticket_id, LetterItem.level, LetterItem.unit_id, LetterItem.assignment,
                           Letter.number, LetterItem.reply_by).join(Letter, LetterItem.letter_id == Letter.id)
                    .where(LetterItem.ticket_id.in_(chunk), LetterItem.level.is_not(None))
                    .order_by(Letter.id.desc())):
                last.setdefault((row.ticket_id, row.level, row.unit_id, row.assignment), (row.number, row.reply_by))
        for row in db.session.execute(
                select(LetterItem.ticket_id, LetterItem.unit_id, Letter.id)
                .join(Letter, LetterItem.letter_id == Letter.id)
                .where(LetterItem.ticket_id.in_(chunk), Letter.status == "draft", Letter.id != this)
                .order_by(Letter.id)):
            drafts.setdefault((row.ticket_id, row.unit_id), row.id)
    return _Letters(issued, drafts, last)


def check_ticket(ticket: Ticket, kind: str, level: int, now: datetime, letter: Letter | None = None,
                 unit_id: int | None = None) -> None:
    """Whether this ticket may be listed in a letter of this kind and level for `unit_id` (default: its lead unit;
    an assisting unit for its own part) — also checked again at 签发."""
    _check(ticket, unit_id, kind, level, now, _letters_of([ticket], kind, level, letter))


def check_each(entries: list[Entry], kind: str, level: int, now: datetime,
               letter: Letter | None = None) -> list[Conflict | None]:
    """check_ticket for each (ticket, unit), reading the other letters once for all of them: each entry's refusal,
    or None."""
    known = _letters_of([ticket for ticket, _ in entries], kind, level, letter)
    results: list[Conflict | None] = []
    for ticket, unit_id in entries:
        try:
            _check(ticket, unit_id, kind, level, now, known)
        except Conflict as problem:
            results.append(problem)
        else:
            results.append(None)
    return results


def _check(ticket: Ticket, unit_id: int | None, kind: str, level: int, now: datetime, known: _Letters) -> None:
    if ticket.unit_id is None:
        raise Conflict(f"问题 {ticket.number} 尚未派遣责任单位，不能督办。", code="ticket_not_dispatched")
    part = assist_part(ticket, unit_id)
    unit_id = part.unit_id if part is not None else ticket.unit_id
    if part is not None and kind != "bulletin" and part.status != "open":
        raise Conflict(f"问题 {ticket.number} 的协办单位{part.unit.name}已反馈本单位整改情况，不能督办其整改"
                       "（请将该单位的此项从草稿中移除）。", code="part_not_open")
    if kind == "bulletin":
        if ticket.status == "cancelled":
            raise Conflict(f"问题 {ticket.number} 已作废，不能列入通报。", code="ticket_not_open")
    elif ticket.status not in OPEN_STATUSES:
        raise Conflict(f"问题 {ticket.number} 当前状态为“{STATUS_LABELS.get(ticket.status, ticket.status)}”，"
                       "不能督办（已整改、结案或作废的问题请从草稿中移除）。", code="ticket_not_open")
    assignment = part.assignment if part is not None else ticket.assignment
    issued = None if kind == "bulletin" else known.issued.get((ticket.id, unit_id, assignment))
    if issued:
        raise Conflict(f"问题 {ticket.number} 已由 {issued} 列入同级督办，不能重复。", code="ticket_already_at_level")
    if kind != "bulletin":
        _check_step(ticket, part, unit_id, level, now, known)
    other = known.drafts.get((ticket.id, unit_id))
    if other:
        raise Conflict(f"问题 {ticket.number} 已在另一份草稿（#{other}）中。", code="ticket_in_other_draft")


def check_entries(entries: list[Entry], kind: str, level: int, now: datetime, letter: Letter | None = None) -> None:
    """check_ticket for each (ticket, unit), answering for all of them at once: a clerk who ticked twelve problems
    learns of every one refused in one answer, not of the next one at each try (nothing is written either way)."""
    refused = [problem for problem in check_each(entries, kind, level, now, letter) if problem is not None]
    if refused:
        raise refusal(refused)


def refusal(refused: list[Conflict]) -> Conflict:
    """One refusal naming every problem refused (the only one as it is); its code the first one's, `refused` the
    single refusals (create_batch gathers them over its drafts)."""
    if len(refused) == 1:
        problem = refused[0]
    else:
        problem = Conflict(f"有{len(refused)}个问题不能列入督办函：" + "".join(r.message for r in refused),
                           code=refused[0].code)
    problem.refused = refused
    return problem


def _check_step(ticket: Ticket, part, unit_id: int, level: int, now: datetime, known: _Letters) -> None:
    """督办 goes one step at a time, as the letters say and the sweep proposes (levels.target_level): a 督办函 for a
    problem past its deadline (已超过整改时限), 挂牌督办 for one whose 督办函's time has run out (经督办后仍未整改到位),
    约谈 for one whose 挂牌督办's has. A letter claiming a step that never happened would be false; one sent before
    the unit's time is up breaks the last letter's word (逾期仍未整改到位的，将…)."""
    current = (part.escalation_level or 0) if part is not None else ticket.escalation_level
    name = level_text(level)["kind"]
    if level < current:
        raise Conflict(f"问题 {ticket.number} 已实行{level_text(current)['kind']}，不能再列入{name}。",
                       code="ticket_already_at_level")
    if level == current:
        return  # the same-level letter's check (issued) has answered
    deadline = part.deadline if part is not None else ticket.deadline
    if level > current + 1:
        step = level_text(current + 1)["kind"]
        raise Conflict(f"问题 {ticket.number} {'尚未督办' if current == 0 else '目前为' + level_text(current)['kind']}"
                       f"，督办须逐级进行，应先{step}，不能直接{name}。", code="level_skipped")
    last = None
    if current:
        assignment = part.assignment if part is not None else ticket.assignment
        found = known.last.get((ticket.id, current, unit_id, assignment))
        last = _Last(*found) if found else None
    if target_level(deadline, current, {current: last.reply_by if last else None}, now) > current:
        return
    if last is None and current:
        raise Conflict(f"问题 {ticket.number} 的{level_text(current)['kind']}没有可查的函件，不能升级为{name}。",
                       code="level_not_due")
    due = max(filter(None, (deadline, last.reply_by if last else None)), default=None)
    when = f"{fmt_cn_date(local(due).date())}{local(due):%H:%M}" if due else "未定"
    if last is None:
        raise Conflict(f"问题 {ticket.number} 的整改时限（{when}）未到，尚未超期，不能{name}。", code="ticket_not_overdue")
    raise Conflict(f"问题 {ticket.number} 已由 {last.number} {level_text(current)['kind']}，整改时限（{when}）未到，"
                   f"不能提前{name}。", code="level_not_due")


@dataclass(frozen=True)
class _Last:
    number: str
    reply_by: datetime | None


def _after(moment: datetime) -> str:
    """12月9日 for a reply-by date (the end of its day), 12月1日13:28 for a deadline of hours."""
    day = f"{moment.month}月{moment.day}日"
    return day if (moment.hour, moment.minute) == (23, 59) else f"{day}{moment:%H:%M}"


CHOOSE_ROWS = MAX_ITEMS  # 编制督办函's page of problems: as many as a letter may list
ADD_ROWS = 200  # a draft's page of the units' other problems to add


@dataclass(frozen=True)
class InHand:
    """A page of the units' problems to choose from, and how many there are."""
    tickets: list[Ticket]
    total: int  # every problem in hand
    due: int  # of which overdue and not yet under 督办
    page: int
    per_page: int
    only_due: bool = False

    @property
    def listed(self) -> int:
        """What the pages run through: every problem, or (only_due) those overdue and not yet under 督办."""
        return self.due if self.only_due else self.total


def in_hand(unit_ids: list[int], statuses: Collection[str], now: datetime, *, page: int, per_page: int,
            only_due: bool = False, leave_out: Collection[int] = ()) -> InHand:
    """编制督办函's and a draft's problems to choose from: the units' tickets in `statuses` (less `leave_out`, a
    draft's own), those overdue and not yet under 督办 first (编制督办函 ticks them), the rest after, each by unit and
    deadline; page `page` of `per_page`, or of those overdue and not yet under 督办 alone (`only_due`). A unit of
    3,000 had its first 500 by deadline shown as if they were all: the overdue ones past them out of reach."""
    if not unit_ids:
        return InHand([], 0, 0, page, per_page, only_due)
    due = overdue_condition(now) & (Ticket.escalation_level == 0)
    where = [Ticket.unit_id.in_(unit_ids), Ticket.status.in_(statuses)]
    if leave_out:
        where.append(Ticket.id.not_in(leave_out))
    counts = select(func.count(), count_where(due)).select_from(Ticket).where(*where)
    total, due_count = db.session.execute(counts).one()
    if only_due:
        where.append(due)
    tickets = list(db.session.scalars(
        select(Ticket).where(*where).order_by(case((due, 0), else_=1), Ticket.unit_id, Ticket.deadline, Ticket.id)
        .limit(per_page).offset((page - 1) * per_page)).unique())
    return InHand(tickets, total, due_count, page, per_page, only_due)


def next_steps(tickets: list[Ticket], now: datetime, letter_id: int | None = None) -> dict[int, tuple[bool, str]]:
    """编制督办函's word beside each problem (for its lead unit): whether a letter may list it now and at which level,
    or from when — _check_step's rule said before the office chooses a level, not after a refusal — or that a draft
    (other than `letter_id`'s) holds it already (ticket_in_other_draft), which the page then does not tick."""
    drafted = dict(db.session.execute(
        select(LetterItem.ticket_id, func.min(Letter.id)).join(Letter, LetterItem.letter_id == Letter.id)
        .where(LetterItem.ticket_id.in_([ticket.id for ticket in tickets] or [0]), Letter.status == "draft",
               LetterItem.unit_id == Ticket.unit_id, Letter.id != (letter_id or -1))
        .join(Ticket, Ticket.id == LetterItem.ticket_id).group_by(LetterItem.ticket_id)).all())
    escalated = [ticket.id for ticket in tickets if ticket.escalation_level]
    last: dict[tuple, object] = {}
    if escalated:
        for row in db.session.execute(
                select(LetterItem.ticket_id, LetterItem.level, LetterItem.unit_id, LetterItem.assignment,
                       Letter.number, LetterItem.reply_by).join(Letter, LetterItem.letter_id == Letter.id)
                .where(LetterItem.ticket_id.in_(escalated)).order_by(Letter.id)):
            last[row.ticket_id, row.level, row.unit_id, row.assignment] = row  # the latest letter of each level
    steps = {}
    for ticket in tickets:
        current = ticket.escalation_level or 0
        if ticket.status not in OPEN_STATUSES or ticket.unit_id is None:
            steps[ticket.id] = (False, f"{STATUS_LABELS.get(ticket.status, ticket.status)}，不能督办")
            continue
        if current >= MAX_LEVEL:
            steps[ticket.id] = (False, f"已{level_text(current)['kind']}，督办已到最高级")
            continue
        if ticket.id in drafted:
            steps[ticket.id] = (False, f"已在草稿 #{drafted[ticket.id]} 中")
            continue
        following = level_text(current + 1)["kind"]
        row = last.get((ticket.id, current, ticket.unit_id, ticket.assignment)) if current else None
        reply_by = row.reply_by if row is not None else None
        if target_level(ticket.deadline, current, {current: reply_by}, now) > current:
            steps[ticket.id] = (True, f"可列入{following}")
        elif current and row is None:
            steps[ticket.id] = (False, f"{level_text(current)['kind']}无可查函件，不能升级")
        else:
            due = max(filter(None, (ticket.deadline, reply_by)), default=None)
            steps[ticket.id] = (False, f"{_after(local(due))}后可列入{following}" if due
                                else f"未定整改时限，不能{following}")
    return steps


def _set_recipients(letter: Letter, units: list[Unit]) -> None:
    keep = {r.unit_id: r for r in letter.recipients}
    letter.recipients = [keep.get(unit.id) or LetterUnit(unit_id=unit.id) for unit in units]
    for position, row in enumerate(letter.recipients):
        row.position = position
    letter.unit_id = units[0].id


Entry = tuple[Ticket, int]  # (ticket, the unit answering for it in the letter)


def _entry(ticket: Ticket, unit_id: int | None = None) -> Entry:
    """The ticket for `unit_id` when that unit assists on it, else for its lead unit."""
    part = assist_part(ticket, unit_id)
    return ticket, part.unit_id if part is not None else ticket.unit_id


def _unit_of(entry: Entry) -> Unit | None:
    ticket, unit_id = entry
    part = assist_part(ticket, unit_id)
    return part.unit if part is not None else ticket.unit


def _recipient_units(named: list[Unit], entries: list[Entry]) -> list[Unit]:
    """The named units first, then each listed ticket's unit (lead, or the assisting unit of that item) in the
    order they first appear."""
    units = list(named)
    for entry in entries:
        unit = _unit_of(entry)
        if unit is not None and unit not in units:
            units.append(unit)
    return units


def _set_items(letter: Letter, entries: list[Entry], drafted: dict[tuple[int, int], Proposal]) -> None:
    """The items in the order given, each (ticket, unit) once; proposals follow their items in and out."""
    if len(entries) > MAX_ITEMS:
        raise Invalid(f"一份督办函最多列{MAX_ITEMS}个问题。", code="too_many_items")
    keep = {(item.ticket_id, item.unit_id): item for item in letter.items}
    wanted = {(ticket.id, unit_id) for ticket, unit_id in entries}
    if letter.id is not None:
        for proposal in db.session.scalars(select(Proposal).where(Proposal.letter_id == letter.id)
                                           .order_by(Proposal.id)):
            if (proposal.ticket_id, proposal.unit_id) not in wanted:
                proposal.letter_id = None
    items = []
    for position, (ticket, unit_id) in enumerate(entries, start=1):
        item = keep.get((ticket.id, unit_id)) or LetterItem(ticket_id=ticket.id)
        item.unit_id, item.position = unit_id, position
        items.append(item)
    letter.items = items
    for proposal in drafted.values():
        proposal.letter = letter


def _open_proposals_of(units: list[Unit], level: int | None, now: datetime) -> list[Proposal]:
    found = []
    for unit in units:
        found += [p for p in proposal_service.open_proposals(now, unit_id=unit.id, include_drafted=False)
                  if level is None or p.level == level]
    return found


def create_draft(user, now: datetime, fields: Mapping) -> Letter:
    """A new draft from `proposal_ids`, `unit_ids` (their open proposals, at `level` if given) and/or `ticket_ids`,
    with `kind`, `level`, `reply_by`, `title`, `body`, `report_to`, `cc` optional (defaults: the proposals' level,
    its kind, the level's working days counted from 签发 (reply_by_at), the kind's template)."""
    _office(user)
    proposal_ids = inputs.ids(fields, "proposal_ids", "督办建议")
    unit_ids = inputs.ids(fields, "unit_ids", "责任单位")
    ticket_ids = inputs.ids(fields, "ticket_ids", "问题")
    if not (proposal_ids or unit_ids or ticket_ids):
        raise BadRequest("请选择督办建议、责任单位或问题（proposal_ids、unit_ids、ticket_ids 至少一项）。",
                         code="nothing_to_compile")
    level, kind = _level(fields.get("level")), _kind(fields.get("kind"))
    _one_compiling_at_a_time()
    named = _units(unit_ids or [])
    chosen = proposal_service.get_open(proposal_ids, now) if proposal_ids else []
    for proposal in chosen:
        if proposal.letter_id is not None:
            raise Conflict(f"问题 {proposal.ticket.number} 的督办建议已编入草稿 #{proposal.letter_id}。",
                           code="proposal_in_draft")
    if named and not proposal_ids and not ticket_ids:
        chosen = _open_proposals_of(named, level, now)
    if level is None and kind is None and len({p.level for p in chosen}) > 1:
        raise Invalid("所选督办建议的督办级别不同，请按级别分别编制，或指定督办级别（level）。", code="mixed_levels")
    if level is None:
        level = KIND_LEVELS[kind] if kind else max((p.level for p in chosen), default=1)
    kind = kind or LEVEL_KINDS[level]
    entries: list[Entry] = [_entry(p.ticket, p.unit_id) for p in chosen]
    for ticket in _tickets(ticket_ids or []):
        if all(t is not ticket for t, _ in entries):
            entries.append(_entry(ticket))
    letter = Letter(status="draft", kind=kind, series="letter", level=level, created_at=now, created_by_id=user.id,
                    updated_at=now)
    _set_reply_by(letter, fields.get("reply_by"), now)
    check_entries(entries, kind, level, now, letter)
    units = _recipient_units(named, entries)
    if not units:
        raise Invalid("请至少选择一个主送单位。", code="units_required")
    wording = template_for(kind)
    letter.title = clean_title(fields["title"]) if fields.get("title") else wording["title"]
    letter.body = clean_body(fields["body"]) if fields.get("body") else wording["body"]
    letter.report_to = clean_line(fields["report_to"], "报送") if "report_to" in fields else wording["report_to"]
    letter.cc = clean_line(fields["cc"], "抄送") if "cc" in fields else wording["cc"]
    _set_recipients(letter, units)
    db.session.add(letter)
    _set_items(letter, entries, {(p.ticket_id, p.unit_id): p for p in chosen})
    db.session.flush()
    return letter


@_saved_once("草稿刚被其他人修改过，请刷新后再改。")
def update_draft(user, letter: Letter, now: datetime, fields: Mapping) -> Letter:
    """Change what the draft says. Fields not sent stay. `ticket_ids` / `unit_ids` replace the lists;
    `add_ticket_ids` and `remove_ticket_ids` (every item of the ticket) change them one by one, `remove_items`
    ("ticket:unit") takes one unit's item out (a ticket listed for its lead and an assisting unit keeps the
    other). The items are checked again (check_ticket) when new, or when the kind or level changed; a save that
    changes neither leaves those listed to 签发's check, so one gone stale (an assisting unit has reported) does
    not block the rest of the draft. `reply_by` sent blank (or null) puts the draft back on the level's default,
    counted from 签发. A stale `revision` answers 409."""
    _office(user)
    _draft(letter)
    revision = inputs.integer(fields.get("revision"), "版本号", 1, MAX_ID, "invalid_revision")
    if revision is not None and revision != letter.revision:
        raise Conflict("草稿刚被其他人修改过，请刷新后再改。", code="draft_changed")
    old_kind, old_level = letter.kind, letter.level
    level, kind = _level(fields.get("level")), _kind(fields.get("kind"))
    if kind is not None and kind != letter.kind:
        letter.kind = kind
        if kind != "bulletin" and level in (None, letter.level):  # a level left as it was follows the kind
            level = KIND_LEVELS[kind]
    if level is not None and level != letter.level:
        letter.level = level
        if kind in (None, old_kind) and letter.kind != "bulletin":  # a kind left as it was follows the level
            letter.kind = LEVEL_KINDS[level]
    followed = _follow_kind(letter, old_kind, fields)
    if "reply_by" in fields:  # blank (or null): back to the level's default, counted from 签发
        _set_reply_by(letter, fields.get("reply_by"), now)
    elif letter.reply_by_default:  # the level may have changed: the date as of now, for the lists
        letter.reply_by = default_reply_by(letter.level, now)
    for key, clean in (("title", clean_title), ("body", clean_body),
                       ("report_to", lambda v: clean_line(v, "报送")), ("cc", lambda v: clean_line(v, "抄送"))):
        if key in fields and key not in followed:
            setattr(letter, key, clean(fields.get(key)))

    # a lead item follows its ticket's lead unit as it is now; an assisting unit's item stays that unit's
    current: list[Entry] = [_entry(item.ticket, item.unit_id) for item in letter.items]
    taken_out = set(inputs.pairs(fields, "remove_items", "督办事项") or [])
    dropped = {(ticket.id, unit_id) for item, (ticket, unit_id) in zip(letter.items, current)
               if (item.ticket_id, item.unit_id) in taken_out or (ticket.id, unit_id) in taken_out}
    wanted_ids = inputs.ids(fields, "ticket_ids", "问题")
    if wanted_ids is not None:  # a ticket already listed keeps its unit(s); a new one is its lead's
        entries = []
        for ticket in _tickets(wanted_ids):
            entries += [e for e in current if e[0] is ticket] or [_entry(ticket)]
    else:
        entries = list(current)
    remove = set(inputs.ids(fields, "remove_ticket_ids", "问题") or [])
    entries = [e for e in entries if e[0].id not in remove and (e[0].id, e[1]) not in dropped]
    for ticket in _tickets([i for i in inputs.ids(fields, "add_ticket_ids", "问题") or []
                            if i not in {t.id for t, _ in entries}]):
        entries.append(_entry(ticket))
    unit_ids = inputs.ids(fields, "unit_ids", "责任单位")
    if unit_ids is not None:
        named = _units(unit_ids)
        entries = [e for e in entries if e[1] in set(unit_ids)]  # a unit taken off takes its items along
    else:
        named = [r.unit for r in letter.recipients if any(u == r.unit_id for _, u in entries) or
                 not any(i.unit_id == r.unit_id for i in letter.items)]
    # each (ticket, unit) once, where it first stood: an assisting unit's item taken off the ticket since is its lead's
    entries = list({(ticket.id, unit_id): (ticket, unit_id) for ticket, unit_id in entries}.values())
    listed = {(t.id, u) for t, u in current}
    changed = (letter.kind, letter.level) != (old_kind, old_level)
    check_entries([(ticket, unit_id) for ticket, unit_id in entries if changed or (ticket.id, unit_id) not in listed],
                  letter.kind, letter.level, now, letter)
    units = _recipient_units(named, entries)
    if not units:
        raise Invalid("请至少保留一个主送单位。", code="units_required")
    _set_recipients(letter, units)
    _set_items(letter, entries, {})
    letter.updated_at = now  # the letter's row changes, so its revision moves even when only items did
    letter.returned_at = None  # revised after a leader's 退回修改: back in the signers' queue (the comment stays)
    db.session.flush()
    return letter


def _follow_kind(letter: Letter, old_kind: str, fields: Mapping) -> set[str]:
    """Wording the office did not touch follows a change of kind (a 督办函's text becomes a 挂牌督办函's): a key
    whose stored text is the old kind's template, and that the request leaves alone or sends back unchanged.
    Returns the keys that followed."""
    followed: set[str] = set()
    if letter.kind == old_kind:
        return followed
    old, new = template_for(old_kind), template_for(letter.kind)
    for key in ("title", "body", "report_to", "cc"):
        stored = (getattr(letter, key) or "").strip()
        sent = fields.get(key)
        sent_same = sent is None or str(sent).replace("\r\n", "\n").strip() == stored
        if stored == (old[key] or "").strip() and sent_same:
            setattr(letter, key, new[key])
            followed.add(key)
    return followed


@_saved_once("草稿刚被其他人修改过，请查看修改后的草稿，再决定是否删除。")
def discard_draft(user, letter: Letter, now: datetime) -> None:
    """删除草稿: its proposals go back to the open list. Who deleted it, when and what it said is in the 操作日志
    (发文 · 删除): a draft leaves no other trace."""
    _office(user)
    _draft(letter)
    # The revision checked first, alone: a draft deleted (or saved) meanwhile is refused here as a whole, not half
    # way through deleting its items and 主送 rows, which are gone already. Holds the draft until the commit.
    letter.updated_at = now
    db.session.flush()
    _delete_draft(letter, now)


def draft_described(letter: Letter) -> tuple[str, str]:
    """A draft as the 操作日志 names it (督办函草稿 #12) and what it said: its 主送 units, its problems, who
    compiled it and when, a leader's 退回修改 still open."""
    from ..auth.models import User

    numbers = list(dict.fromkeys(item.ticket.number for item in letter.items))
    detail = [f"主送：{'、'.join(r.unit.name for r in letter.recipients) or '无'}",
              f"问题：{'、'.join(numbers) if numbers else '无'}"]
    if letter.kind != "bulletin":
        detail.append(f"级别：{level_text(letter.level)['name']}")
    maker = db.session.get(User, letter.created_by_id) if letter.created_by_id else None
    if letter.created_at is not None:
        detail.append(f"编制：{maker.username if maker else '系统'} {fmt(letter.created_at)}")
    if letter.returned_at is not None:
        detail.append(f"领导退回修改：{letter.return_note or ''}")
    return f"{letter.kind_label}草稿 #{letter.id}", "；".join(detail)


def _delete_draft(letter: Letter, now: datetime, why: str = "") -> None:
    """Delete a draft, its proposals back to the open list, with its 操作日志 entry (the acting person: the
    request's; `why`: what made it go, when not a person's 删除)."""
    from ..audit import trail  # the audit feature reads the letters' models: imported when used

    target, detail = draft_described(letter)
    trail.record("document", "delete", target, f"{why}；{detail}" if why else detail, now=now)
    for proposal in db.session.scalars(select(Proposal).where(Proposal.letter_id == letter.id)):
        proposal.letter_id = None
    db.session.delete(letter)
    db.session.flush()


def withdraw_voided(user, ticket: Ticket, now: datetime) -> list[str]:
    """A problem voided (作废, tickets/services.cancel): nothing about it waits for the office or a leader any more.
    Its open 督办建议 close (lapsed, VOIDED_NOTE, by whoever voided it), and it leaves every draft that lists it;
    a draft left with no 主送 unit (every problem it listed voided) is deleted, with its 操作日志 entry (发文 ·
    删除, why). Returns what was withdrawn, as the 作废 event names it (tickets/services.CANCEL_FOLLOWERS)."""
    withdrawn = []
    for proposal in db.session.scalars(select(Proposal).where(Proposal.ticket_id == ticket.id,
                                                              Proposal.closed_at.is_(None)).order_by(Proposal.id)):
        proposal.closed_at, proposal.outcome, proposal.closed_by_id = now, "lapsed", user.id
        proposal.close_note, proposal.letter_id = VOIDED_NOTE, None
        withdrawn.append(f"督办建议（{proposal.unit.name}，{level_text(proposal.level)['name']}）")
    drafts = db.session.scalars(
        select(Letter).where(Letter.status == "draft",
                             Letter.id.in_(select(LetterItem.letter_id).where(LetterItem.ticket_id == ticket.id)))
        .order_by(Letter.id)).all()
    for letter in drafts:
        name = f"{letter.kind_label}草稿 #{letter.id}"
        left = [item for item in letter.items if item.ticket_id != ticket.id]
        # its 主送 as a save taking the problem out keeps them (update_draft): those with an item left, and those
        # named without any
        units = [r.unit for r in letter.recipients if any(i.unit_id == r.unit_id for i in left)
                 or not any(i.unit_id == r.unit_id for i in letter.items)]
        if not units:
            _delete_draft(letter, now, f"所列问题已作废（{ticket.number}），草稿随之删除")
            withdrawn.append(f"{name}（所列问题均已作废，草稿已删除）")
            continue
        _set_recipients(letter, units)
        _set_items(letter, [(item.ticket, item.unit_id) for item in left], {})
        letter.updated_at = now  # its revision moves: a leader signing the version that listed it is told
        withdrawn.append(f"{name}中的本问题")
    db.session.flush()
    return withdrawn


if withdraw_voided not in CANCEL_FOLLOWERS:
    CANCEL_FOLLOWERS.append(withdraw_voided)


def _one_compiling_at_a_time() -> None:
    """Compilations queue here, one at a time, until the transaction ends: a double click's second request then
    sees the draft the first one made (check_ticket: 已在另一份草稿中; create_batch: the drafts its proposals are
    in) instead of both listing the same problems in a draft each."""
    lock_sequence(COMPILING, 0)


def create_batch(user, now: datetime, fields: Mapping) -> list[Letter]:
    """一期督办: one draft per level from the chosen proposals (a ticket never jumps a level by being compiled
    with others), each addressed to every unit whose problems it lists, with the 问题清单 grouped by unit."""
    _office(user)
    ids = inputs.ids(fields, "proposal_ids", "督办建议")
    if not ids:
        raise BadRequest("请至少选择一条督办建议。", code="nothing_to_compile")
    _one_compiling_at_a_time()
    chosen = proposal_service.get_open(ids, now)
    if all(proposal.letter_id is not None for proposal in chosen):
        # every one compiled already: the same click again (a double click, a retry), or a colleague's a moment
        # before. The drafts they are in, not a refusal on a page with nothing left to compile.
        return list(db.session.scalars(select(Letter).where(Letter.id.in_({p.letter_id for p in chosen}))
                                       .order_by(Letter.id)))
    levels: dict[int, list[int]] = {}
    for proposal in chosen:
        levels.setdefault(proposal.level, []).append(proposal.id)
    common = {key: fields.get(key) for key in ("reply_by",) if fields.get(key)}
    drafts, refused = [], []
    for level in sorted(levels, reverse=True):
        try:
            drafts.append(create_draft(user, now, {"proposal_ids": levels[level], "level": level, **common}))
        except Conflict as problem:  # the other levels are checked too: every refused proposal named at once
            refused += getattr(problem, "refused", [problem])
    if refused:
        raise refusal(refused)  # and nothing made: the request rolls back the drafts of the other levels
    return drafts
