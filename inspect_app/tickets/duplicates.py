"""疑似重复: problems of the same category still being handled near a place.

The same 牛皮癣 on one pole is filed by two inspectors, or by an inspector and a citizen; each copy goes to the unit,
counts against it in the 红黑榜 and is later voided by the office as 重复. So the filing page tells the inspector,
before sending, what is already open within DUPLICATE_RADIUS_M metres in the category they picked (they may still
file: two shops' signs ten metres apart are two problems), and a ticket's page, and a citizen's report in the
office's queue, name the open ones near theirs for the office to void or decline as a repeat.

Open is rules.ACTIVE_STATUSES (待派遣, 待整改, 退单待审, 待核查). Only problems with a position are compared, and not
the ones an assessment round's checklist made: each is one failed item of one site, all at the site's point and
often all 测评问题, and none was filed twice by accident (the demo city's first try named a site's two failed items
as each other's repeat). The (category_id, status) index makes the search the category's open problems, whatever
the table's size; the box around the point is in SQL and the distances in Python, as relapse.find_earlier does for
closed ones.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, and_, exists, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ..common.errors import BadRequest, Conflict, Invalid
from ..common.geo import degree_box, distance_m, valid_lat_lon
from ..common.sql import consts, insert_on_conflict
from ..common.types import UTCDateTime
from ..extensions import db
from ..units.models import Segment
from .lifecycle import ensure_unchanged
from .models import Ticket
from .policy import can_view_ticket, ensure_visible
from .rules import ACTIVE_STATUSES, STATUS_LABELS


class NotRepeat(db.Model):
    """The office looked at two problems named as likely repeats and found them two problems (不是重复): neither
    is named as the other's again. One row a pair, the lower ticket id first."""

    __tablename__ = "duplicate_dismissals"

    first_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True, index=True)
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


def not_a_repeat(user, ticket: Ticket, other: Ticket, now: datetime, versions=(None, None)) -> None:
    """Record that the two are two problems (twice, or at once from two pages: one row). `versions`: each one's
    version as the page showed the pair (the 疑似重复 page sends both): one changed since (moved, its category
    corrected, voided) is refused (409) and nothing is recorded: the pair was judged on what it was."""
    ensure_visible(user, ticket)
    ensure_visible(user, other)
    if ticket.id == other.id:
        raise Invalid("不能与问题自身比较。", code="same_ticket")
    ensure_unchanged(ticket, versions[0])
    ensure_unchanged(other, versions[1])
    first, second = sorted((ticket.id, other.id))
    db.session.execute(insert_on_conflict(NotRepeat).values(
        first_id=first, second_id=second, decided_by=user.id, decided_at=now).on_conflict_do_nothing())


def open_by_number(user, text) -> Ticket:
    """The open problem a repeat is merged into or voided against, by its number as staff write it
    ("2026-000346", with or without the dash or spaces): 400 for none, 422 for a number that is no problem (or one
    this user does not see), 409 for one closed or voided (a problem back after closing is a new one: 回潮)."""
    raw = "".join(str(text or "").split()).replace("－", "-").replace("—", "-")[:20]
    if not raw:
        raise BadRequest("请填写已有问题的编号（如 2026-000123）。", code="ticket_required")
    if raw.isdigit() and len(raw) == 10:
        raw = f"{raw[:4]}-{raw[4:]}"
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == raw))
    if ticket is None or not can_view_ticket(user, ticket):
        raise Invalid(f"没有编号为 {raw} 的问题，请核对。", code="unknown_ticket")
    if ticket.status not in ACTIVE_STATUSES:
        raise Conflict(f"问题 {ticket.number} {STATUS_LABELS.get(ticket.status, ticket.status)}，不能并入；"
                       "问题再次出现的，应作为新问题办理。", code="ticket_not_open")
    return ticket


def _not_dismissed(ticket_id, other_id):
    """SQL: the office has not found these two to be two problems."""
    return ~exists(select(NotRepeat.first_id).where(or_(
        and_(NotRepeat.first_id == ticket_id, NotRepeat.second_id == other_id),
        and_(NotRepeat.first_id == other_id, NotRepeat.second_id == ticket_id))))


LIMIT = 5  # listed; how many there are in all is counted (Found.total)
# what both searches read, in _nearby's order (lat, lon and the category between)
_COLUMNS = (Ticket.id, Ticket.number, Ticket.status, Ticket.reported_at, Ticket.address, Ticket.lat, Ticket.lon,
            Ticket.category_id, Segment.name, Ticket.version)


@dataclass(frozen=True)
class Nearby:
    id: int
    number: str
    status: str
    reported_at: datetime
    address: str
    segment: str
    distance_m: float | None  # None: found by the road its address names, not by position
    version: int | None = None  # as read: the forms deciding on it send it back (lifecycle.ensure_unchanged)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def place(self) -> str:
        return self.address or self.segment


class Found(list):
    """The first few found (the list), and how many there are in all (`total`): 已有36件，列出距离最近的5件, where
    the list's length said 已有5件 at a spot with 36 open."""

    def __init__(self, items=(), total: int | None = None):
        super().__init__(items)
        self.total = len(self) if total is None else total


def _made_by_checklist(ticket_id):
    """SQL: a round's checklist made this ticket (an assessment result names it)."""
    from ..assessment.models import Result  # the assessment feature builds on tickets: imported when asked

    return exists(select(Result.id).where(Result.ticket_id == ticket_id))


def of_ticket(ticket: Ticket) -> Found:
    """A ticket's likely duplicates (its page), in one statement: while it is open, and unless a round's checklist
    made it (asked in the same statement)."""
    if ticket.status not in ACTIVE_STATUSES or ticket.lat is None:
        return Found()
    return open_nearby(ticket.category_id, ticket.lat, ticket.lon, exclude_id=ticket.id)


def radius_m() -> float:
    return float(current_app.config["DUPLICATE_RADIUS_M"])


def open_nearby(category_id: int | None, lat, lon, *, exclude_id: int | None = None,
                limit: int = LIMIT) -> Found:
    """The open problems of this category within the radius of the point, nearest first (then the earliest
    reported), at most `limit`, and how many in all (every one in the box is read to measure it: the total costs
    nothing more); none without a category or a position, or with the check turned off (0)."""
    radius = radius_m()
    if category_id is None or not valid_lat_lon(lat, lon) or radius <= 0:
        return Found()
    dlat, dlon = degree_box(lat, radius)
    query = (select(*_COLUMNS).outerjoin(Segment, Segment.id == Ticket.segment_id)
             .where(Ticket.category_id == category_id, Ticket.status.in_(consts(ACTIVE_STATUSES)),
                    Ticket.lat.between(lat - dlat, lat + dlat), Ticket.lon.between(lon - dlon, lon + dlon)))
    if exclude_id is not None:
        query = query.where(Ticket.id != exclude_id)
    query = query.where(~_made_by_checklist(Ticket.id))
    if exclude_id is not None:  # the ticket asking: none if a checklist made it, and not the pairs found two
        query = query.where(~_made_by_checklist(exclude_id), _not_dismissed(exclude_id, Ticket.id))
    found = []
    for row in db.session.execute(query):
        metres = distance_m(lat, lon, row[5], row[6])
        if metres <= radius:
            found.append(_nearby(row, metres))
    found.sort(key=lambda n: (round(n.distance_m), n.reported_at, n.id))
    return Found(found[:limit], len(found))


def open_on_segments(category_id: int | None, segment_ids: list[int], limit: int = LIMIT) -> Found:
    """The open problems of this category on these segments, the latest reported first, at most `limit`, and how
    many in all (counted only when the list is full, on the (category_id, status) index): for a report with no
    position to compare (a 12345 case is an address in words), those on the roads its address names."""
    if category_id is None or not segment_ids:
        return Found()
    where = (Ticket.category_id == category_id, Ticket.status.in_(consts(ACTIVE_STATUSES)),
             Ticket.segment_id.in_(segment_ids), ~_made_by_checklist(Ticket.id))
    query = (select(*_COLUMNS).outerjoin(Segment, Segment.id == Ticket.segment_id).where(*where)
             .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(limit))
    found = [_nearby(row, None) for row in db.session.execute(query)]
    if len(found) < limit:
        return Found(found)
    return Found(found, db.session.scalar(select(func.count(Ticket.id)).where(*where)))


@dataclass(frozen=True)
class Pair:
    later: Nearby      # the one to void, if they are one problem
    earlier: Nearby
    category: str

    @property
    def distance_m(self) -> float:
        return self.later.distance_m


def open_pairs(limit: int | None = None) -> Found:
    """Every pair of open problems of one category within the radius of each other (checklist-made ones left out),
    the most recent first (by the later member's report, then the earlier's): the office's list of likely repeats
    to sweep (/tickets/duplicates). At most `limit` listed, how many there are in all counted (`total`).

    The city's open problems with a position are read once as (id, lat, lon, category) in report order and
    compared within a grid of cells the radius wide, so each is compared with its neighbours only; numbers,
    places and names are read for the listed pairs alone. Reading every open problem's text and dates and making
    an object of every pair took 17-22 s where 100,000 problems were open (257,000 pairs, benchmarks/
    bench_duplicates.py): a pair is a (later, earlier) pair of ranks until it is listed."""
    radius = radius_m()
    if radius <= 0:
        return Found()
    query = (select(Ticket.id, Ticket.lat, Ticket.lon, Ticket.category_id)
             .where(Ticket.status.in_(consts(ACTIVE_STATUSES)), Ticket.category_id.is_not(None),
                    Ticket.lat.is_not(None), Ticket.lon.is_not(None), ~_made_by_checklist(Ticket.id))
             .order_by(Ticket.reported_at, Ticket.id))
    # through the session's connection (Core): the ORM's result machinery cost more than the SQL for 100,000 rows
    rows = [tuple(row) for row in db.session.connection().execute(query) if valid_lat_lon(row[1], row[2])]
    if not rows:
        return Found()
    dlat, dlon = degree_box(rows[0][1], radius)
    cells: dict[tuple, list[int]] = {}
    for rank, (_, lat, lon, category_id) in enumerate(rows):  # in report order: a cell's members, earliest first
        cells.setdefault((category_id, int(lat // dlat), int(lon // dlon)), []).append(rank)
    dismissed = set(db.session.execute(select(NotRepeat.first_id, NotRepeat.second_id)
                                       .join(Ticket, Ticket.id == NotRepeat.first_id)
                                       .where(Ticket.status.in_(consts(ACTIVE_STATUSES)))).tuples())
    total = 0
    listed: list[tuple[int, int, float]] = []  # a heap of the `limit` most recent pairs: (later, earlier, metres)
    for (category_id, y, x), members in cells.items():
        near = [other for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                for other in cells.get((category_id, y + dy, x + dx), ())]
        for rank in members:
            later_id, lat, lon, _ = rows[rank]
            for other in near:
                if other >= rank:  # each pair once, from its later member
                    continue
                earlier_id, other_lat, other_lon, _ = rows[other]
                metres = 0.0 if lat == other_lat and lon == other_lon else distance_m(lat, lon, other_lat, other_lon)
                if metres > radius or (dismissed and (min(later_id, earlier_id), max(later_id, earlier_id))
                                       in dismissed):
                    continue
                total += 1
                if limit is None or len(listed) < limit:
                    heapq.heappush(listed, (rank, other, metres))
                elif listed and (rank, other) > listed[0][:2]:
                    heapq.heapreplace(listed, (rank, other, metres))
    listed.sort(reverse=True)
    return Found(_pairs(rows, listed), total)


def _pairs(rows: list[tuple], listed: list[tuple[int, int, float]]) -> list[Pair]:
    """The listed pairs of ranks as Pairs, each member's number, status, report time and place read in one
    statement for them all."""
    from ..units.models import Category

    ids = {rows[rank][0] for pair in listed for rank in pair[:2]}
    found = {row[0]: row for row in db.session.execute(
        select(*_COLUMNS, Category.name).join(Category, Category.id == Ticket.category_id)
        .outerjoin(Segment, Segment.id == Ticket.segment_id).where(Ticket.id.in_(ids)))} if ids else {}
    return [Pair(_nearby(found[rows[later][0]], metres), _nearby(found[rows[earlier][0]], metres),
                 found[rows[later][0]][10]) for later, earlier, metres in listed]


def _nearby(row, metres: float | None) -> Nearby:
    """A row (or tuple) whose first five fields are id, number, status, reported_at, address, whose ninth is the
    segment's name and whose tenth the ticket's version."""
    return Nearby(row[0], row[1], row[2], row[3], row[4] or "", row[8] or "", metres, row[9])
