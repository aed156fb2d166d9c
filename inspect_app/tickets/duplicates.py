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

import json
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, and_, exists, func, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from ..common.errors import BadRequest, Conflict, Invalid
from ..common.geo import degree_box, distance_m, valid_lat_lon
from ..common.prepared import PreparedSelect
from ..common.sql import consts, insert_on_conflict
from ..common.types import UTCDateTime
from ..extensions import db
from ..units.models import Segment
from .lifecycle import ensure_unchanged
from .models import Ticket, TicketEvent
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


def open_by_number(user, text, refused: str = "不能并入") -> Ticket:
    """The open problem a repeat is merged into or voided against, by its number as staff write it
    ("2026-000346", with or without the dash or spaces): 400 for none, 422 for a number that is no problem (or one
    this user does not see), 409 for one closed or voided (a problem back after closing is a new one: 回潮; one
    voided as a repeat names the problem it repeats, to be given instead). `refused`: what cannot be done, said."""
    raw = "".join(str(text or "").split()).replace("－", "-").replace("—", "-")[:20]
    if not raw:
        raise BadRequest("请填写已有问题的编号（如 2026-000123）。", code="ticket_required")
    if raw.isdigit() and len(raw) == 10:
        raw = f"{raw[:4]}-{raw[4:]}"
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == raw))
    if ticket is None or not can_view_ticket(user, ticket):
        raise Invalid(f"没有编号为 {raw} 的问题，请核对。", code="unknown_ticket")
    if ticket.status not in ACTIVE_STATUSES:
        kept = _voided_as_repeat_of(ticket)
        raise Conflict(f"问题 {ticket.number} 已作废（与{kept}重复上报），{refused}；请改填问题 {kept}。" if kept else
                       f"问题 {ticket.number} {STATUS_LABELS.get(ticket.status, ticket.status)}，{refused}；"
                       "问题再次出现的，应作为新问题办理。", code="ticket_not_open")
    return ticket


def _voided_as_repeat_of(ticket: Ticket) -> str | None:
    """The number of the problem a voided ticket was voided as a repeat of (its 作废's duplicate_of), else None."""
    if ticket.status != "cancelled":
        return None
    data = db.session.scalar(select(TicketEvent.data_json).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == "cancel").order_by(TicketEvent.id.desc()).limit(1))
    try:
        kept = json.loads(data or "{}").get("duplicate_of")
    except (ValueError, AttributeError):
        return None
    return str(kept) if kept else None


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


_OPEN_POSITIONS: dict[str, PreparedSelect] = {}  # the sweep's read by dialect, built on first use (with Result)


def _open_positions(dialect: str) -> PreparedSelect:
    """The city's open problems with a position and a category, checklist-made ones left out, as (id, lat, lon,
    category) in report order. On SQLite the open ids come first, from the status index alone, and the rows are
    then read by id, in the table's order: read through the index itself, in its (status, level, deadline)
    order, each row was a page of the table away from the last and SQLite's page cache (2 MB) read the table's
    pages again and again (100,000 open: 340 ms of SQLite's CPU for the statement, 230 ms this way).
    PostgreSQL plans the plain statement well (a scan of the open rows, whatever their order) and keeps it."""
    if dialect not in _OPEN_POSITIONS:
        where = [Ticket.status.in_(consts(ACTIVE_STATUSES))]
        if dialect == "sqlite":
            where = [Ticket.id.in_(select(Ticket.id).where(*where).scalar_subquery())]
        _OPEN_POSITIONS[dialect] = PreparedSelect(
            select(Ticket.id, Ticket.lat, Ticket.lon, Ticket.category_id)
            .where(*where, Ticket.category_id.is_not(None), Ticket.lat.is_not(None), Ticket.lon.is_not(None),
                   ~_made_by_checklist(Ticket.id))
            .order_by(Ticket.reported_at, Ticket.id))
    return _OPEN_POSITIONS[dialect]


def open_pairs(limit: int | None = None) -> Found:
    """Every pair of open problems of one category within the radius of each other (checklist-made ones left out),
    the most recent first (by the later member's report, then the earlier's): the office's list of likely repeats
    to sweep (/tickets/duplicates). At most `limit` listed, how many there are in all counted (`total`).

    The city's open problems with a position are read once as (id, lat, lon, category) in report order
    (_open_positions) and paired by find_pairs; numbers, places and names are read for the listed pairs alone.
    Reading every open problem's text and dates and making an object of every pair took 17-22 s where 100,000
    problems were open (257,000 pairs, benchmarks/bench_duplicates.py): a pair is a (later, earlier) pair of ranks
    until it is listed."""
    radius = radius_m()
    if radius <= 0:
        return Found()
    connection = db.session.connection()
    rows = [row for row in _open_positions(connection.dialect.name).tuples(connection, {})
            if valid_lat_lon(row[1], row[2])]
    if not rows:
        return Found()
    dismissed = set(db.session.execute(select(NotRepeat.first_id, NotRepeat.second_id)
                                       .join(Ticket, Ticket.id == NotRepeat.first_id)
                                       .where(Ticket.status.in_(consts(ACTIVE_STATUSES)))).tuples())
    total, listed = find_pairs(rows, radius, dismissed, limit)
    return Found(_pairs(rows, listed), total)


_FORWARD = ((0, 1), (1, -1), (1, 0), (1, 1))  # half a cell's neighbours: each two neighbouring cells met once


def find_pairs(rows: list[tuple], radius: float, dismissed=frozenset(), limit: int | None = None
               ) -> tuple[int, list[tuple[int, int, float]]]:
    """How many pairs there are among `rows` ((id, lat, lon, category) in report order, each position valid)
    within `radius` metres of each other in one category, those in `dismissed` ((lower id, higher id), 不是重复)
    left out; and the `limit` most recent (all for None) as (later rank, earlier rank, metres), most recent first.

    A spot is one category's problems at one point (a pole filed again and again; the benchmark sets file each
    segment's at one point): every two of its members are a pair at 0 m, counted without comparing them. Spots
    are compared only with those in the same and the neighbouring cells of a grid the radius wide (at the rows'
    widest latitude, where a degree of longitude is shortest), each two neighbouring cells once, and the count is
    spot by spot (members × members), less the dismissed pairs among them. The listing then walks the ranks from
    the latest back, each with the earlier members of its own spot and of the spots within the radius of it, until
    `limit` are listed. On the 100,000 open problems of benchmarks/bench_duplicates.py (2,000 stacks of ~50)
    comparing every problem with its grid neighbours and keeping a heap of the most recent pairs took 0.26-0.45 s
    of CPU, this 0.10-0.19 s; with every problem at its own point (252,000 pairs), both 0.6-0.8 s."""
    spot_of: dict[tuple, int] = {}  # (category, lat, lon): the spot's index
    spot = [spot_of.setdefault((category_id, lat, lon), len(spot_of)) for _, lat, lon, category_id in rows]
    places = list(spot_of)  # each spot's (category, lat, lon), by index
    members: list[list[int]] = [[] for _ in places]  # each spot's ranks, earliest first
    for rank, index in enumerate(spot):
        members[index].append(rank)
    # a hair wider than the box, so that a pair at the radius to the last bit is in neighbouring cells
    dlat, dlon = (half * 1.000001 for half in degree_box(max(abs(place[1]) for place in places), radius))
    cell_of = [(category_id, int(lat // dlat), int(lon // dlon)) for category_id, lat, lon in places]
    cells: dict[tuple, list[int]] = {}
    for index, cell in enumerate(cell_of):
        cells.setdefault(cell, []).append(index)
    # distance_m's metres a degree: of latitude, and of longitude at the rows' widest and narrowest latitudes (a
    # pair's is at its middle, between the two), squared: two spots surely within the radius, or surely not, are
    # told so by these bounds; only those within a hair of it are measured as distance_m measures them
    north = distance_m(0.0, 0.0, 1.0, 0.0)
    east_least, east_most = (distance_m(lat, 0.0, lat, 1.0) ** 2 for lat in (
        max(abs(place[1]) for place in places), min(abs(place[1]) for place in places)))
    surely_in, surely_out = (radius * (1 - 1e-9)) ** 2, (radius * (1 + 1e-9)) ** 2
    total = 0
    for (category_id, y, x), here in cells.items():
        beside = [other for dy, dx in _FORWARD for other in cells.get((category_id, y + dy, x + dx), ())]
        for position, index in enumerate(here):
            count = len(members[index])
            total += count * (count - 1) // 2
            _, lat, lon = places[index]
            for other in here[position + 1:] + beside if beside else here[position + 1:]:
                _, other_lat, other_lon = places[other]
                across, up = (other_lon - lon) ** 2, ((other_lat - lat) * north) ** 2
                if across * east_most + up <= surely_in or (across * east_least + up <= surely_out and
                                                             distance_m(lat, lon, other_lat, other_lon) <= radius):
                    total += count * len(members[other])
    if dismissed:
        rank_of = {row[0]: rank for rank, row in enumerate(rows)}
        for first_id, second_id in dismissed:
            first, second = rank_of.get(first_id), rank_of.get(second_id)
            if first is None or second is None:
                continue
            (category_id, lat, lon), (other_category_id, other_lat, other_lon) = places[spot[first]], \
                places[spot[second]]
            if category_id == other_category_id and ((lat, lon) == (other_lat, other_lon) or
                                                     distance_m(lat, lon, other_lat, other_lon) <= radius):
                total -= 1
    near: dict[int, dict[int, float]] = {}  # the listed spots' neighbours within the radius, and how far

    def neighbours(index: int) -> dict[int, float]:
        if index not in near:
            category_id, y, x = cell_of[index]
            _, lat, lon = places[index]
            near[index] = {other: metres for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                           for other in cells.get((category_id, y + dy, x + dx), ()) if other != index
                           and (metres := distance_m(lat, lon, places[other][1], places[other][2])) <= radius}
        return near[index]

    listed: list[tuple[int, int, float]] = []
    rank = len(rows)
    while rank > 1 and (limit is None or len(listed) < limit):
        rank -= 1
        own = members[spot[rank]]
        earlier = [(other, 0.0) for other in own[:bisect_left(own, rank)]]
        for index, metres in neighbours(spot[rank]).items():
            theirs = members[index]
            earlier.extend((other, metres) for other in theirs[:bisect_left(theirs, rank)])
        earlier.sort(reverse=True)
        later_id = rows[rank][0]
        for other, metres in earlier:
            if dismissed and (min(later_id, rows[other][0]), max(later_id, rows[other][0])) in dismissed:
                continue
            listed.append((rank, other, metres))
            if limit is not None and len(listed) >= limit:
                break
    return total, listed


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
