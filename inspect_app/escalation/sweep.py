"""The escalation sweep.

1. Repair: render the PDF of any letter a killed sweep left without one.
2. Issue, in ONE transaction: pick tickets that newly reach a level, write one letter per (unit, level)
   with its items, ticket levels, "escalate" events, the webhook outbox row and the sweep record; the
   letter numbers come from the gap-free counter in the same transaction. Killed before the commit,
   nothing of it exists and the numbers are given back; after it, all of it exists.
3. Render the new letters' PDFs (written atomically), marking each letter once its file is in place.

A lock (locks.exclusive) makes a concurrent sweep skip; the unique (ticket, level) constraint on letter
items makes a sweep that slipped past the lock roll back instead of writing a second letter.
"""
from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from ..common.models import next_value
from ..common.timeutil import local
from ..extensions import db
from ..locks import advisory_key, exclusive
from ..photos.models import Photo
from ..pdf import write_atomically
from ..tickets import lifecycle
from ..tickets.models import Ticket
from ..workdays.calendar import load_calendar
from . import notify
from .levels import target_level
from .models import MAX_LEVEL, Letter, LetterItem, SweepRun
from .settings import letter_number, level_delays, level_text, setting

log = logging.getLogger(__name__)

LOCK_NAME = "escalation-sweep"
COUNTER = "letter"
_CHUNK = 500  # ids per IN (...) list


@dataclass
class SweepResult:
    skipped: bool = False  # another sweep held the lock
    letters: list[Letter] = field(default_factory=list)
    tickets: int = 0
    pdfs: int = 0  # PDFs written, new or repaired
    pdf_errors: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # "repair", "issue", "pdfs": where the time went

    @property
    def numbers(self) -> list[str]:
        return [letter.number for letter in self.letters]


def run_sweep(now: datetime, *, ran_at: datetime | None = None) -> SweepResult:
    """One sweep as of `now`; safe to run any number of times, from any number of processes."""
    with exclusive(LOCK_NAME) as acquired:
        if not acquired:
            log.info("escalation sweep skipped: another sweep is running")
            return SweepResult(skipped=True)
        result = SweepResult()
        started = time.perf_counter()
        repaired = render_pending_pdfs(now)
        issuing = time.perf_counter()
        result.letters, result.tickets = issue_letters(now, ran_at=ran_at)
        rendering = time.perf_counter()
        rendered = render_pending_pdfs(now)
        result.seconds = {"repair": issuing - started, "issue": rendering - issuing,
                          "pdfs": time.perf_counter() - rendering}
        result.pdfs = repaired[0] + rendered[0]
        result.pdf_errors = rendered[1]
        if result.letters:
            log.info("escalation sweep as of %s: %d letters, %d tickets", now.isoformat(), len(result.letters),
                     result.tickets)
        return result


# ----------------------------------------------------------------------------- choosing tickets

def candidate_query(now: datetime):
    """Open overdue tickets below the top level, with the reply-by date of their current level's letter.
    Shaped for ix_tickets_status_level_deadline: IN on status and level, a range on deadline."""
    statuses = tuple(setting("ESCALATION_STATUSES"))
    query = (
        select(Ticket.id, Ticket.unit_id, Ticket.escalation_level, Ticket.deadline, LetterItem.reply_by)
        .outerjoin(LetterItem, (LetterItem.ticket_id == Ticket.id) & (LetterItem.level == Ticket.escalation_level))
        .where(Ticket.status.in_(statuses), Ticket.escalation_level.in_(range(MAX_LEVEL)),
               Ticket.deadline < now, Ticket.unit_id.is_not(None))
        .where(or_(Ticket.escalation_level == 0, LetterItem.reply_by < now))
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=Ticket.__table__)  # a unit rectifying right now waits for us
    return query


def due_groups(now: datetime) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """{(unit_id, new level): [(ticket_id, old level), ...]} for tickets that newly reach a level."""
    groups: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for ticket_id, unit_id, level, deadline, reply_by in db.session.execute(candidate_query(now)):
        target = target_level(deadline, level, {level: reply_by}, now)
        if target > level:
            groups[(unit_id, target)].append((ticket_id, level))
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


def _first_photo_keys(ids: list[int]) -> dict[int, str]:
    keys: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = db.session.execute(select(Photo.ticket_id, Photo.key)
                                  .where(Photo.ticket_id.in_(chunk), Photo.kind == "before").order_by(Photo.id))
        for ticket_id, key in rows:
            keys.setdefault(ticket_id, key)
    return keys


def days_overdue(deadline: datetime | None, now: datetime) -> int:
    if deadline is None or deadline >= now:
        return 0
    return max(1, math.ceil((now - deadline).total_seconds() / 86400))


# ----------------------------------------------------------------------------- issuing

def issue_letters(now: datetime, *, ran_at: datetime | None = None) -> tuple[list[Letter], int]:
    """Write the letters due as of `now` in one transaction; returns (letters, ticket count)."""
    session = db.session
    session.commit()  # start from a clean transaction: what follows is all-or-nothing
    try:
        if db.engine.dialect.name == "postgresql":
            # Issuing transactions run one after another even for a caller that skipped the sweep lock;
            # READ COMMITTED then shows each the tickets as the previous one left them.
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(LOCK_NAME + "/issue")})
        run = SweepRun(as_of=now, started_at=ran_at or now)
        session.add(run)
        session.flush()  # the first write takes SQLite's write lock: what we read next cannot change under us
        groups = due_groups(now)
        letters, count = _write_letters(groups, run, now) if groups else ([], 0)
        run.letters, run.tickets, run.finished_at = len(letters), count, ran_at or now
        session.commit()
    except IntegrityError:
        # Another sweep (one that got past the lock, e.g. on another host with SQLite on shared storage)
        # wrote these letters first; the unique (ticket, level) constraint stopped the duplicate.
        session.rollback()
        log.warning("escalation sweep rolled back: letters already issued by a concurrent sweep")
        return [], 0
    except BaseException:
        session.rollback()
        raise
    return letters, count


def _write_letters(groups, run: SweepRun, now: datetime) -> tuple[list[Letter], int]:
    session = db.session
    year = local(now).year
    ordered = sorted(groups.items(), key=lambda item: (item[0][1], item[0][0]))  # by level, then unit
    # Numbers first, while the session holds nothing to flush: all in this transaction, so still gap-free.
    seqs = [next_value(COUNTER, year) for _ in ordered]
    all_ids = [ticket_id for members in groups.values() for ticket_id, _ in members]
    tickets = _load_tickets(all_ids)
    photo_keys = _first_photo_keys(all_ids)
    calendar = load_calendar(now)
    delays = level_delays()
    letters: list[Letter] = []
    level_updates: list[dict] = []
    for seq, ((unit_id, level), members) in zip(seqs, ordered):
        reply_by = calendar.add_workdays(now, delays[level])
        letter = Letter(number=letter_number(year, seq), year=year, seq=seq, unit_id=unit_id, level=level,
                        issued_at=now, reply_by=reply_by, sweep_id=run.id,
                        pdf_path=f"letters/{year}/{seq:05d}.pdf")
        session.add(letter)
        members = sorted(members, key=lambda m: (tickets[m[0]].deadline, m[0]))
        kind = level_text(level)["kind"]
        for position, (ticket_id, old_level) in enumerate(members, start=1):
            ticket = tickets[ticket_id]
            letter.items.append(LetterItem(
                ticket_id=ticket_id, level=level, reply_by=reply_by, position=position,
                ticket_number=ticket.number, category_name=ticket.category.name if ticket.category else "",
                place=_place(ticket), reported_at=ticket.reported_at, original_deadline=ticket.deadline,
                days_overdue=days_overdue(ticket.deadline, now), photo_key=photo_keys.get(ticket_id)))
            lifecycle.record(ticket, "escalate", None, now, note=f"{kind}：{letter.number}",
                             from_status=ticket.status, to_status=ticket.status,
                             data={"level": level, "from_level": old_level, "letter": letter.number,
                                   "reply_by": reply_by.isoformat()})
            level_updates.append({"ticket_id": ticket_id, "level": level, "old_level": old_level})
        letters.append(letter)
    # Core UPDATE: the ticket's optimistic-lock version stays, so a person editing it is not refused.
    table = Ticket.__table__
    session.execute(update(table).where(table.c.id == bindparam("ticket_id"),
                                        table.c.escalation_level == bindparam("old_level"))
                    .values(escalation_level=bindparam("level")), level_updates)
    session.flush()
    notify.enqueue_letters(letters, now)
    return letters, len(level_updates)


def _place(ticket: Ticket) -> str:
    segment = ticket.segment.name if ticket.segment else ""
    address = ticket.address or ""
    if segment and segment not in address:
        return f"{address}（{segment}）" if address else segment
    return address


# ----------------------------------------------------------------------------- PDFs

def letters_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def pdf_path(letter: Letter) -> Path:
    return letters_root() / letter.pdf_path


def write_pdf(letter: Letter) -> Path:
    from .letters_pdf import build_letter_pdf

    return write_atomically(pdf_path(letter), lambda out: build_letter_pdf(letter, out))


def render_pending_pdfs(now: datetime) -> tuple[int, int]:
    """Write the PDF of every letter that has none yet; returns (written, failed)."""
    written = failed = 0
    pending = list(db.session.scalars(select(Letter.id).where(Letter.pdf_written_at.is_(None)).order_by(Letter.id)))
    for letter_id in pending:
        letter = db.session.get(Letter, letter_id)
        try:
            write_pdf(letter)
        except Exception:  # one bad letter must not hold up the others; the next sweep tries again
            log.exception("could not write the PDF of letter %s", letter.number)
            db.session.rollback()
            failed += 1
            continue
        letter.pdf_written_at = now
        db.session.commit()
        written += 1
    return written, failed


def ensure_pdf(letter: Letter, now: datetime) -> Path:
    """The letter's PDF, written now if it is missing (a sweep has not finished it, or the file was lost)."""
    path = pdf_path(letter)
    if not path.is_file():
        write_pdf(letter)
        if letter.pdf_written_at is None:
            letter.pdf_written_at = now
            db.session.commit()
    return path
