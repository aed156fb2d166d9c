"""What a ticket list card shows (macros.html ticket_card), read as plain rows for the busiest lists.

A list page shows twenty cards; loading them as full Ticket objects (with their category, unit, segment, reporter,
parts, photos and extensions as objects too) cost more Python than the page's SQL. `list_cards` reads just what a
card shows: the page's ids in one query (from an index, where one fits), their rows with the names they show in
another, then the first "before" photos and the open extension requests of those tickets in one query each. Pages
that have Ticket objects anyway (a ticket in the office's work list, a frontage's history) turn them into cards
with `TicketCard.of`, so every card is rendered from the same fields by the same macro.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select

from ..auth.models import User
from ..common.prepared import ByIds
from ..common.sql import const
from ..extensions import db
from ..photos.models import Photo
from ..policy import UNITS, has_role
from ..units.models import Category, Segment, Unit
from . import queries
from .models import ExtensionRequest, Ticket, TicketEvent, TicketUnit
from .rules import LEVEL_NAMES, PART_STATUS_LABELS, STATUS_LABELS, is_overdue, is_part_overdue

NO_ADDRESS = "未填写地址"

# What a page of cards reads besides the page itself, built once and run with the page's ticket ids bound
# (building and keying a statement costs more than running it): the first "before" photo of each ticket (the
# thumbnail), its open extension request (at most one), how many units answer for it.
_PHOTOS = (select(Photo.ticket_id, Photo.id)
           .where(Photo.ticket_id.in_(bindparam("ids", expanding=True)), Photo.kind == "before").order_by(Photo.id))
_EXTENSIONS = (select(ExtensionRequest.ticket_id, ExtensionRequest.until)
               .where(ExtensionRequest.ticket_id.in_(bindparam("ids", expanding=True)),
                      ExtensionRequest.status == const("open")))
_PARTS = (select(TicketUnit.ticket_id, func.count()).where(TicketUnit.ticket_id.in_(bindparam("ids", expanding=True)))
          .group_by(TicketUnit.ticket_id))
# An assisting unit's own parts of the page's tickets it assists on (the role written in: a partial index's column)
_OWN_PARTS = (select(TicketUnit.ticket_id, TicketUnit.status, TicketUnit.deadline, TicketUnit.escalation_level,
                     TicketUnit.extension_until, TicketUnit.extension_requested_at, TicketUnit.extension_decided_at)
              .where(TicketUnit.unit_id == bindparam("unit_id"), TicketUnit.role == const("assist"),
                     TicketUnit.ticket_id.in_(bindparam("ids", expanding=True))))


# A page's cards by their ids, after a statement of the ids alone has picked and ordered them: in one statement
# with the joins, SQLite sorted every matching row with its joined names before the LIMIT (a district's 170,000
# tickets of a million: 0.7 s a page), where the ids sort from an index alone. One statement of fixed SQL per page
# size, run on the driver's cursor (common.prepared.ByIds).
_CARDS = ByIds(select(
    Ticket.id, Ticket.number, Ticket.status, Ticket.source, Category.name.label("category"), Ticket.address,
    Segment.name.label("segment"), Ticket.reported_at, Ticket.deadline, Ticket.rework_count,
    Ticket.escalation_level, Ticket.unit_id, Unit.name.label("unit_name"), Ticket.version,
    User.display_name.label("reporter_display"), User.username.label("reporter_username"),
).select_from(Ticket).outerjoin(Category, Category.id == Ticket.category_id)
    .outerjoin(Unit, Unit.id == Ticket.unit_id).outerjoin(Segment, Segment.id == Ticket.segment_id)
    .outerjoin(User, User.id == Ticket.reporter_id), Ticket.id)


@lru_cache(maxsize=256)
def _statements(shape: tuple[str, ...], overdue_first: bool, oldest_first: bool):
    """The count and the page's ids for a filter shape (queries.filter_shape), built once."""
    return (queries.count_statement(shape),
            queries.paged(select(Ticket.id).where(queries.filter_condition(shape)), overdue_first, oldest_first))


@dataclass(frozen=True, slots=True)
class OwnPart:
    """What an assisting unit (协办) answers for on a ticket, which its card shows instead of the lead's handling:
    the ticket's 返工 count and 督办 level, its deadline and extension request are the lead unit's (主办); the
    assisting unit's own part has its own state (待整改, 已整改 …), deadline, 督办 level (escalation per part,
    docs/escalation.md) and extension request."""

    status: str                        # rules.PART_STATUSES
    deadline: datetime | None
    escalation_level: int
    extension_until: datetime | None   # its own open request for more time (协办申请延期), if any

    @classmethod
    def of(cls, part: TicketUnit) -> "OwnPart":
        return cls.read(part.status, part.deadline, part.escalation_level, part.extension_until,
                        part.extension_requested_at, part.extension_decided_at)

    @classmethod
    def read(cls, status, deadline, level, until, requested_at, decided_at) -> "OwnPart":
        asked = requested_at is not None and decided_at is None
        return cls(status, deadline, level or 0, until if asked else None)

    @property
    def status_label(self) -> str:
        return PART_STATUS_LABELS.get(self.status, self.status)

    @property
    def escalation_label(self) -> str:
        return LEVEL_NAMES.get(self.escalation_level, "")


@dataclass(slots=True)
class TicketCard:
    """One ticket as a list card shows it. status_label, escalation_label and is_overdue() read like a Ticket's,
    so the status badge macro takes either."""

    id: int
    number: str
    status: str
    source: str                # how it was found (rules.SOURCES): the card names any but 日常督查
    category: str              # the category's name
    place: str                 # the address, else the road segment's name, else NO_ADDRESS
    reported_at: datetime
    deadline: datetime | None
    rework_count: int
    escalation_level: int
    unit_id: int | None
    unit_name: str | None      # the lead unit (主办); None: not dispatched yet
    parts: int                 # how many units answer (主办 and 协办); 0 when not asked for
    reporter_name: str | None
    photo_id: int | None       # the first "before" photo, shown as the thumbnail
    extension_until: datetime | None  # the open extension request (at most one), if any
    assisting: bool            # the viewing unit answers for it as 协办, not as 主办
    own: OwnPart | None = None  # an assisting viewer's own part: what its card shows of the handling
    version: int | None = None  # as read: the forms beside a card send it (lifecycle.ensure_unchanged)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def escalation_label(self) -> str:
        return LEVEL_NAMES.get(self.escalation_level, "")

    def is_overdue(self, now: datetime) -> bool:
        """超期 for the viewer: an assisting unit's own part past its own deadline, else the ticket."""
        if self.own is not None:
            return is_part_overdue(self.own.status, self.own.deadline, self.status, now)
        return is_overdue(self.status, self.deadline, now)

    @classmethod
    def of(cls, ticket: Ticket, viewer) -> "TicketCard":
        """The card of a loaded ticket (its photos and open extensions are read: load them with the ticket)."""
        photo = next((p for p in ticket.photos if p.kind == "before"), None)
        extension = next(iter(ticket.open_extensions), None)
        assisting = has_role(viewer, UNITS) and ticket.unit_id != viewer.unit_id
        part = ticket.part_of(viewer.unit_id) if assisting else None
        return cls(
            id=ticket.id, number=ticket.number, status=ticket.status, source=ticket.source,
            category=ticket.category.name,
            place=ticket.address or (ticket.segment.name if ticket.segment else NO_ADDRESS),
            reported_at=ticket.reported_at, deadline=ticket.deadline, rework_count=ticket.rework_count,
            escalation_level=ticket.escalation_level, unit_id=ticket.unit_id,
            unit_name=ticket.unit.name if ticket.unit else None, parts=len(ticket.parts),
            reporter_name=ticket.reporter.name if ticket.reporter else None,
            photo_id=photo.id if photo else None, extension_until=extension.until if extension else None,
            assisting=assisting, own=OwnPart.of(part) if part is not None and part.role == "assist" else None,
            version=ticket.version)


def cards_of(items, viewer) -> list[TicketCard]:
    """Cards for a list of Ticket objects or cards (cards pass through). `viewer`: the user itself, not the
    current_user proxy (dear to ask twenty times)."""
    return [t if isinstance(t, TicketCard) else TicketCard.of(t, viewer) for t in items]


def list_cards(user, flt: queries.TicketFilter, now: datetime, overdue_first: bool = False,
               with_parts: bool = True, oldest_first: bool = False) -> tuple[list[TicketCard], int]:
    """queries.list_tickets as cards: the same tickets, total and order (the same filter, scope and page).
    with_parts=False: a list that never names the units answering (a unit's own list) skips counting them.
    oldest_first: a queue's order (queries.in_list_order)."""
    shape, params = queries.filter_shape(user, flt, now)
    count_query, ids_query = _statements(shape, overdue_first, oldest_first)
    total = db.session.scalar(count_query, params)
    ids = list(db.session.scalars(ids_query, params | queries.page_params(flt))) if queries.on_page(flt, total) else []
    order = {ticket_id: index for index, ticket_id in enumerate(ids)}
    rows = sorted(_CARDS.all(db.session.connection(), ids), key=lambda row: order[row.id])
    # read once: `user` may be the current_user proxy. A 辖区问题 list (scope territory) shows each problem as it
    # is, whoever leads it: not the overseeing unit's own part
    is_unit = has_role(user, UNITS) and not (flt.scope or flt.sub_unit)
    own_unit = user.unit_id
    photos: dict[int, int] = {}
    extensions: dict[int, datetime] = {}
    parts: dict[int, int] = {}
    own: dict[int, OwnPart] = {}
    if ids:
        for ticket_id, photo_id in db.session.execute(_PHOTOS, {"ids": ids}):
            photos.setdefault(ticket_id, photo_id)
        extensions = dict(db.session.execute(_EXTENSIONS, {"ids": ids}).all())
        if with_parts:
            parts = dict(db.session.execute(_PARTS, {"ids": ids}).all())
        assisted = [row.id for row in rows if row.unit_id != own_unit] if is_unit else []
        if assisted:  # a unit's list of tickets it leads (most) reads no more than before
            own = {ticket_id: OwnPart.read(*fields) for ticket_id, *fields in db.session.execute(
                _OWN_PARTS, {"unit_id": own_unit, "ids": assisted})}
    return [TicketCard(
        id=row.id, number=row.number, status=row.status, source=row.source, category=row.category,
        place=row.address or row.segment or NO_ADDRESS, reported_at=row.reported_at, deadline=row.deadline,
        rework_count=row.rework_count, escalation_level=row.escalation_level, unit_id=row.unit_id,
        unit_name=row.unit_name, parts=parts.get(row.id, 0),
        reporter_name=(row.reporter_display or row.reporter_username) if row.reporter_username else None,
        photo_id=photos.get(row.id), extension_until=extensions.get(row.id),
        assisting=is_unit and row.unit_id != own_unit, own=own.get(row.id), version=row.version) for row in rows], total


# The office's work list (待办事项) shows more than a card: a 待派遣 ticket's description and the unit its segment
# proposes in the 派遣 menu; a 退单's last reason, when and by whom.
_WORK = (select(Ticket.id, Ticket.description, Segment.unit_id).outerjoin(Segment, Segment.id == Ticket.segment_id)
         .where(Ticket.id.in_(bindparam("ids", expanding=True))))


@lru_cache(maxsize=8)
def _events(action: str):
    """The events of one action of some tickets, oldest first. The action is written into the SQL (const), not
    bound: ticket_events has partial indexes on it (tests/sql_guard.py)."""
    return (select(TicketEvent.ticket_id, TicketEvent.note, TicketEvent.at, User.display_name, User.username)
            .outerjoin(User, User.id == TicketEvent.actor_id)
            .where(TicketEvent.ticket_id.in_(bindparam("ids", expanding=True)), TicketEvent.action == const(action))
            .order_by(TicketEvent.id))


@dataclass(frozen=True, slots=True)
class EventNote:
    note: str | None
    at: datetime
    actor_name: str | None


def dispatch_notes(cards: list[TicketCard]) -> dict[int, tuple[str | None, int | None]]:
    """Each card's ticket's description and the unit of its road segment (None without one), by ticket id."""
    if not cards:
        return {}
    return {ticket_id: (description, unit_id) for ticket_id, description, unit_id in
            db.session.execute(_WORK, {"ids": [card.id for card in cards]})}


def last_events(cards: list[TicketCard], action: str) -> dict[int, EventNote]:
    """Each card's ticket's last event of `action` (its note, time and actor), by ticket id; none: not there."""
    found: dict[int, EventNote] = {}
    if cards:
        for ticket_id, note, at, display_name, username in db.session.execute(
                _events(action), {"ids": [card.id for card in cards]}):
            found[ticket_id] = EventNote(note, at, display_name or username)
    return found
