"""The escalation sweep's operations (the job that runs them, one transaction per step, is jobs.run_sweep).

- issue_letters: pick tickets that newly reach a level, write one letter per (unit, level) with its items,
  ticket levels, "escalate" events, the webhook outbox row and the sweep record; the letter numbers come from the
  gap-free counter in the same transaction. Rolled back, nothing of it exists and the numbers are given back.
- render_pdf: write one letter's PDF (atomically) and mark the letter.

Escalation per part: the lead unit (主办) escalates with the ticket (ticket.unit_id, ticket.deadline,
ticket.escalation_level); each assisting unit (协办) whose own part is still open past its own deadline escalates
the same way for its unit (TicketUnit.deadline, TicketUnit.escalation_level), on the same delays. `candidates()`
reads both (two batched queries); a letter to a unit lists its tickets whichever role it has in them.

The unique (ticket, unit, assignment, level) constraint on letter items makes a sweep that slipped past the job's
lock fail at flush (IntegrityError) instead of writing a second letter.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, or_, select, text, update

from ..boundary import optional_write
from ..common.models import lock_sequence, next_value
from ..common.sql import const
from ..common.text import one_line
from ..common.timeutil import local
from ..extensions import db
from ..locks import advisory_key
from ..photos.models import Photo
from ..pdf import write_atomically
from ..tickets import lifecycle
from ..tickets.models import Ticket, TicketUnit
from ..tickets.rules import days_overdue
from ..units.models import Unit
from ..workdays.calendar import load_calendar
from . import notify
from .levels import target_level
from .models import LEVEL_KINDS, MAX_LEVEL, Letter, LetterItem, LetterUnit, SweepRun, mark_issuing
from .settings import KIND_LEVEL_TEXT, letter_number, level_delays, level_text, setting

log = logging.getLogger(__name__)

LOCK_NAME = "escalation-sweep"
COUNTER = "letter"
_CHUNK = 500  # ids per IN (...) list


# ----------------------------------------------------------------------------- choosing tickets

def candidate_query(now: datetime, *, lock: bool = True):
    """Open overdue tickets below the top level (their lead units), with the reply-by date of their current level's
    letter. Shaped for ix_tickets_status_level_deadline: IN on status and level, a range on deadline. `lock`: on
    PostgreSQL the tickets are locked (the auto sweep raises their levels)."""
    statuses = tuple(setting("ESCALATION_STATUSES"))
    query = (
        select(Ticket.id, Ticket.unit_id, Ticket.escalation_level, Ticket.deadline, LetterItem.reply_by)
        .outerjoin(LetterItem, (LetterItem.ticket_id == Ticket.id) & (LetterItem.level == Ticket.escalation_level)
                   & (LetterItem.assignment == Ticket.assignment) & (LetterItem.unit_id == Ticket.unit_id))
        .where(Ticket.status.in_(statuses), Ticket.escalation_level.in_(range(MAX_LEVEL)),
               Ticket.deadline < now, Ticket.unit_id.is_not(None))
        .where(or_(Ticket.escalation_level == 0, LetterItem.reply_by < now))
    )  # no ORDER BY: SQLite would trade the index for a rowid scan; every reader sorts what it keeps
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=Ticket.__table__)  # a unit rectifying right now waits for us
    return query


def part_candidate_query(now: datetime, *, lock: bool = True):
    """The same for assisting parts (协办): open parts past their own deadline, below the top level, of tickets in
    an escalating status, with the reply-by date of the part's current level's letter (its unit's). Shaped for
    ix_ticket_units_status_deadline. `lock`: on PostgreSQL the parts are locked (the auto sweep raises their
    levels; an assisting unit reporting its part right now waits for us)."""
    statuses = tuple(setting("ESCALATION_STATUSES"))
    query = (
        select(TicketUnit.ticket_id, TicketUnit.unit_id, TicketUnit.escalation_level, TicketUnit.deadline,
               LetterItem.reply_by, TicketUnit.id)
        .join(Ticket, Ticket.id == TicketUnit.ticket_id)
        .outerjoin(LetterItem, (LetterItem.ticket_id == TicketUnit.ticket_id)
                   & (LetterItem.unit_id == TicketUnit.unit_id) & (LetterItem.level == TicketUnit.escalation_level)
                   & (LetterItem.assignment == TicketUnit.assignment))
        .where(TicketUnit.status == "open", TicketUnit.deadline < now, TicketUnit.role == const("assist"),
               TicketUnit.escalation_level.in_(range(MAX_LEVEL)), Ticket.status.in_(statuses))
        .where(or_(TicketUnit.escalation_level == 0, LetterItem.reply_by < now))
    )  # unordered like the lead's: due_groups and write_proposals sort what they keep
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=TicketUnit.__table__)
    return query


def candidates(now: datetime, *, lock: bool = True, numbers: bool = False):
    """Every (ticket, unit) below the top level whose time has run out, the leads' then the parts', each in no
    particular order (callers sort):
    (ticket_id, unit_id, level, deadline, reply_by, part_id or None for the lead[, number of the current level's
    letter when `numbers`])."""
    for query, is_part in ((candidate_query(now, lock=lock), False), (part_candidate_query(now, lock=lock), True)):
        if numbers:
            query = query.add_columns(Letter.number).outerjoin(Letter, Letter.id == LetterItem.letter_id)
        for row in db.session.execute(query):
            if is_part:
                ticket_id, unit_id, level, deadline, reply_by, part_id, *rest = row
            else:
                ticket_id, unit_id, level, deadline, reply_by, *rest = row
                part_id = None
            yield (ticket_id, unit_id, level, deadline, reply_by, part_id, *rest)


def due_groups(now: datetime) -> dict[tuple[int, int], list[tuple]]:
    """{(unit_id, new level): [(ticket_id, old level, part id or None, deadline), ...]} for the tickets (the lead's
    part, or an assisting unit's) that newly reach a level."""
    groups: dict[tuple[int, int], list[tuple]] = defaultdict(list)
    for ticket_id, unit_id, level, deadline, reply_by, part_id in candidates(now):
        target = target_level(deadline, level, {level: reply_by}, now)
        if target > level:
            groups[(unit_id, target)].append((ticket_id, level, part_id, deadline))
    return groups


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _load_tickets(ids: list[int]) -> dict[int, Ticket]:
    tickets: dict[int, Ticket] = {}
    for chunk in _chunks(ids):
        for ticket in db.session.scalars(select(Ticket).where(Ticket.id.in_(chunk))).unique():
            tickets[ticket.id] = ticket
    return tickets


def first_photo_keys(ids: list[int]) -> dict[int, str]:
    keys: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = db.session.execute(select(Photo.ticket_id, Photo.key)
                                  .where(Photo.ticket_id.in_(chunk), Photo.kind == "before").order_by(Photo.id))
        for ticket_id, key in rows:
            keys.setdefault(ticket_id, key)
    return keys


# ----------------------------------------------------------------------------- issuing

def issue_letters(now: datetime, *, ran_at: datetime | None = None) -> tuple[list[Letter], int]:
    """Write the letters due as of `now`, in the caller's transaction; returns (letters, ticket count).
    Call it at the start of a transaction of its own (jobs.run_sweep does). ESCALATION_MODE=auto only."""
    session = db.session
    serialize_sweeps()
    queue_on_letters(now)  # the first write, it also takes SQLite's write lock: what we read cannot change under us
    run = SweepRun(as_of=now, started_at=ran_at or now)
    session.add(run)
    session.flush()
    groups = due_groups(now)
    letters, count = _write_letters(groups, run, now) if groups else ([], 0)
    run.letters, run.tickets, run.finished_at = len(letters), count, ran_at or now
    session.flush()
    return letters, count


def serialize_sweeps() -> None:
    """On PostgreSQL, sweeping transactions run one after another even for a caller that skipped the sweep lock;
    READ COMMITTED then shows each the tickets as the previous one left them."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(LOCK_NAME + "/issue")})


def queue_on_letters(now: datetime) -> None:
    """Take the letters' counter (COUNTER, the year of `now`) until the transaction ends, before any ticket: every
    签发 takes it first too (signing.sign), whatever its series, and so does either sweep. A transaction that locked
    tickets first and one holding the counter, or two locking the same tickets in different orders (a 签发 in id
    order, the auto sweep as its index returns them, the propose sweep through its 督办建议's foreign keys, unit by
    unit), waited for each other: a deadlock on PostgreSQL, one of them ended. Now they queue on one row."""
    lock_sequence(COUNTER, local(now).year)


def item_facts(ticket: Ticket, now: datetime, photo_key: str | None, part: TicketUnit | None = None) -> dict:
    """What a letter says about a ticket when it is issued at `now` (copied into its item); for an assisting
    unit's part, its own deadline and the assignment its letters count in."""
    deadline = part.deadline if part is not None else ticket.deadline
    return {"ticket_number": ticket.number, "category_name": ticket.category.name if ticket.category else "",
            "place": place_of(ticket), "reported_at": ticket.reported_at, "original_deadline": deadline,
            "days_overdue": days_overdue(deadline, now), "photo_key": photo_key,
            "assignment": part.assignment if part is not None else ticket.assignment}


def assist_part(ticket: Ticket, unit_id: int | None) -> TicketUnit | None:
    """The ticket's assisting part of this unit (None for the lead unit or a unit not on the ticket)."""
    part = ticket.part_of(unit_id)
    return part if part is not None and part.role == "assist" else None


def escalate_ticket(ticket: Ticket, letter: Letter, old_level: int, actor_id: int | None, now: datetime, *,
                    raise_level: bool = True, part: TicketUnit | None = None) -> dict:
    """The ticket's "escalate" event for a letter, naming the unit that answers (the lead, or the assisting unit
    of `part`); returns the row for the level UPDATE (escalation_levels)."""
    level = max(old_level, letter.level) if raise_level else old_level
    owner = part.unit if part is not None else ticket.unit
    label = level_text(letter.level)["kind"] if letter.kind in KIND_LEVEL_TEXT else letter.kind_label
    data = {"level": letter.level if raise_level else old_level, "from_level": old_level, "letter": letter.number,
            "letter_id": letter.id, "kind": letter.kind, "unit": owner.name if owner is not None else "",
            "reply_by": letter.reply_by.isoformat()}
    note = f"{label}：{letter.number}"
    if part is not None:
        data.update(unit_id=part.unit_id, role="assist")
        note = f"{label}（协办单位{data['unit']}）：{letter.number}"
    lifecycle.record(ticket, "escalate", actor_id, now, note=note, from_status=ticket.status,
                     to_status=ticket.status, data=data)
    if part is not None:
        return {"part_id": part.id, "level": level, "old_level": old_level}
    return {"ticket_id": ticket.id, "level": level, "old_level": old_level}


def escalation_levels(updates: list[dict]) -> None:
    """Core UPDATEs of the tickets' (lead) and the assisting parts' levels: the ticket's optimistic-lock version
    stays, so a person editing it is not refused. A level only rises (a concurrent change that raised it already
    wins)."""
    for table, key in ((Ticket.__table__, "ticket_id"), (TicketUnit.__table__, "part_id")):
        rows = [row for row in updates if key in row]
        if rows:
            db.session.execute(update(table).where(table.c.id == bindparam(key),
                                                   table.c.escalation_level == bindparam("old_level"))
                               .values(escalation_level=bindparam("level")), rows)


def _write_letters(groups, run: SweepRun, now: datetime) -> tuple[list[Letter], int]:
    from .wording import template_for

    session = db.session
    year = local(now).year
    ordered = sorted(groups.items(), key=lambda item: (item[0][1], item[0][0]))  # by level, then unit
    # Numbers first, while the session holds nothing to flush: all in this transaction, so still gap-free.
    seqs = [next_value(COUNTER, year) for _ in ordered]
    all_ids = sorted({member[0] for members in groups.values() for member in members})
    tickets = _load_tickets(all_ids)  # with their parts (one selectin query)
    photo_keys = first_photo_keys(all_ids)
    calendar = load_calendar(now)
    delays = level_delays()
    wordings = {kind: template_for(kind) for kind in {LEVEL_KINDS[level] for _, level in groups}}
    unit_names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_({u for u, _ in groups}))).all())
    letters: list[Letter] = []
    level_updates: list[dict] = []
    for seq, ((unit_id, level), members) in zip(seqs, ordered):
        reply_by = calendar.add_workdays(now, delays[level])
        kind = LEVEL_KINDS[level]
        wording = wordings[kind]
        letter = Letter(status="issued", kind=kind, series="letter", number=letter_number(year, seq), year=year,
                        seq=seq, unit_id=unit_id, level=level, title=wording["title"], body=wording["body"],
                        report_to=wording["report_to"], cc=wording["cc"], created_at=now, issued_at=now,
                        reply_by=reply_by, sweep_id=run.id, pdf_path=pdf_relative_path("letter", year, seq))
        mark_issuing(letter)
        letter.recipients.append(LetterUnit(unit_id=unit_id, position=0, unit_name=unit_names.get(unit_id)))
        session.add(letter)
        session.flush()  # its id, for the events' links
        members = sorted(members, key=lambda m: (m[3], m[0]))  # by the deadline that ran out, then ticket
        for position, (ticket_id, old_level, part_id, _deadline) in enumerate(members, start=1):
            ticket = tickets[ticket_id]
            part = next(p for p in ticket.parts if p.id == part_id) if part_id is not None else None
            letter.items.append(LetterItem(ticket_id=ticket_id, unit_id=unit_id, level=level, reply_by=reply_by,
                                           position=position,
                                           **item_facts(ticket, now, photo_keys.get(ticket_id), part)))
            level_updates.append(escalate_ticket(ticket, letter, old_level, None, now, part=part))
        letters.append(letter)
    escalation_levels(level_updates)
    session.flush()
    notify.enqueue_letters(letters, now)
    return letters, len(level_updates)


def pdf_relative_path(series: str, year: int, seq: int) -> str:
    """letters/<year>/00008.pdf for 督办函 (and 约谈通知), letters/<year>/tb00003.pdf for 督查通报."""
    return f"letters/{year}/{'tb' if series == 'bulletin' else ''}{seq:05d}.pdf"


PLACE_MAX = 200  # LetterItem.place


def place_of(ticket: Ticket) -> str:
    """Address and segment on one clean line, cut to fit the letter item (an old ticket's address may hold line
    breaks or run to the column's full length)."""
    segment = one_line(ticket.segment.name) if ticket.segment else ""
    address = one_line(ticket.address)
    suffix = f"（{segment}）" if segment and segment not in address else ""
    if not address:
        return segment[:PLACE_MAX]
    if len(address) + len(suffix) > PLACE_MAX:
        address = address[:max(PLACE_MAX - len(suffix) - 1, 0)] + "…"
    return (address + suffix)[:PLACE_MAX]


# ----------------------------------------------------------------------------- PDFs

def letters_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def pdf_path(letter: Letter) -> Path:
    return letters_root() / letter.pdf_path


def write_pdf(letter: Letter) -> Path:
    from .letters_pdf import build_letter_pdf

    return write_atomically(pdf_path(letter), lambda out: build_letter_pdf(letter, out))


def pending_pdfs() -> list[int]:
    """Ids of the issued letters whose PDF is not written yet (a sweep was killed before rendering it, it failed,
    or the letter was just signed). Drafts have none: their preview is built each time it is asked for."""
    return list(db.session.scalars(select(Letter.id).where(Letter.pdf_written_at.is_(None),
                                                           Letter.status != "draft").order_by(Letter.id)))


def render_pdf(letter_id: int, now: datetime) -> Letter:
    """Write one letter's PDF and mark it written (flushes; the caller commits)."""
    letter = db.session.get(Letter, letter_id)
    write_pdf(letter)
    _mark_written(letter, now)
    return letter


def _mark_written(letter: Letter, now: datetime) -> None:
    """A plain UPDATE: writing the file is no change of the letter (its revision stays), and two readers writing
    the same missing file at once do not conflict."""
    db.session.execute(update(Letter).where(Letter.id == letter.id, Letter.pdf_written_at.is_(None))
                       .values(pdf_written_at=now).execution_options(synchronize_session=False))
    db.session.expire(letter, ["pdf_written_at"])


def ensure_pdf(letter: Letter, now: datetime) -> Path:
    """The issued letter's PDF, written now if it is missing (a sweep has not finished it, or the file was lost).
    A file at its path that the letter never marked written is not its own (left by a database since reset or
    restored, whose letter had the same number) and is written over."""
    path = pdf_path(letter)
    if letter.pdf_written_at is None or not path.is_file():
        write_pdf(letter)
        if letter.pdf_written_at is None:
            with optional_write(f"letter {letter.id}'s PDF marked written"):  # the file is there either way
                _mark_written(letter, now)
    return path
