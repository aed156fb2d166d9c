"""巡查日志: one day of the inspectors' field work, as the office checks it.

`day_summary` answers "who was out today, from when to when, and where were the long breaks?" for every active
inspector (and anyone else with a visit that day); `trail` is one person's day in order (轨迹): each check-in and
each problem they found in the field, with where it was and the time since the stop before. A visit is what
路段巡查 counts (services.FOUND_SOURCES); here a find counts even without a segment, since it is still work done.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..common.errors import BadRequest, NotFound
from ..common.sql import consts, not_indexed
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..policy import INSPECTOR, INSPECTORS, has_role, sees_citywide
from ..tickets.models import Ticket
from ..units.models import Category, Segment
from .models import Patrol
from .services import FOUND_SOURCES, visits

LONG_GAP_MINUTES = 60  # a break between two stops this long or longer is marked


@dataclass
class PersonDay:
    user_id: int
    name: str
    username: str
    checkins: int = 0
    finds: int = 0
    segments: set = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    longest_gap: int = 0                  # minutes, between two stops in a row
    gap_from: datetime | None = None      # when the longest break began

    @property
    def out(self) -> bool:
        return self.first is not None

    @property
    def span_minutes(self) -> int:
        return int((self.last - self.first).total_seconds() // 60) if self.first else 0

    def add(self, at: datetime, checkin: bool, segment_id: int | None) -> None:
        if self.last is not None:
            gap = int((at - self.last).total_seconds() // 60)
            if gap > self.longest_gap:
                self.longest_gap, self.gap_from = gap, self.last
        self.first = self.first or at
        self.last = at
        self.checkins += checkin
        self.finds += not checkin
        if segment_id is not None:
            self.segments.add(segment_id)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Shanghai day's first moment and the next day's, in UTC."""
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def asked_day(raw: str | None, now: datetime) -> date:
    """The day a page asks for (YYYY-MM-DD; today in Shanghai without one); a day to come is refused."""
    today = local(now).date()
    if not raw:
        return today
    try:
        day = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise BadRequest("日期格式不正确，应为 2026-12-05 这样的格式。", code="invalid_date") from None
    if day > today:
        raise BadRequest("不能查看今天以后的巡查日志。", code="invalid_date")
    return day


def day_summary(day: date) -> list[PersonDay]:
    """Every active inspector's day, and anyone else's with a visit: those out first, the earliest start first;
    then those with none, by username."""
    first, end = day_bounds(day)
    people = {row.id: PersonDay(row.id, row.display_name or row.username, row.username) for row in db.session.execute(
        select(User.id, User.display_name, User.username).where(User.role == INSPECTOR, User.active.is_(True)))}
    v = visits(first, end, placed_only=False).c
    rows = db.session.execute(select(v.user_id, v.at, v.segment_id, v.checkin).order_by(v.user_id, v.at)).all()
    missing = {user_id for user_id, *_ in rows} - set(people)
    if missing:
        people.update({row.id: PersonDay(row.id, row.display_name or row.username, row.username) for row in
                       db.session.execute(select(User.id, User.display_name, User.username)
                                          .where(User.id.in_(missing)))})
    for user_id, at, segment_id, checkin in rows:
        people[user_id].add(at, bool(checkin), segment_id)
    return sorted(people.values(), key=lambda p: (not p.out, p.first or datetime.min, p.username))


@dataclass
class Stop:
    at: datetime
    checkin: bool
    lat: float | None
    lon: float | None
    segment_id: int | None
    segment: str                 # the segment's name, or "" (a find off every segment)
    district: str
    detail: str                  # a check-in's note; a find's category
    distance_m: float | None = None  # a check-in's distance to the segment's line
    ticket_id: int | None = None
    ticket_number: str = ""
    gap_minutes: int | None = None   # since the stop before


@dataclass
class Trail:
    person: PersonDay
    day: date
    stops: list[Stop]


def person_for(viewer, username: str) -> User:
    """Whose day a viewer may read: the office and leaders anyone's; an inspector only their own (another's is a
    404, as if there were none)."""
    if username == viewer.username:
        return viewer
    user = None
    if sees_citywide(viewer) and not has_role(viewer, INSPECTORS):
        user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("没有这名人员的巡查日志。")
    return user


def trail(user: User, day: date) -> Trail:
    """The person's check-ins and field finds of the day, in time order. The finds are read by the day (a day's
    tickets), not by the reporter (an inspector's tickets of every year, which SQLite would start from)."""
    first, end = day_bounds(day)
    stops = [Stop(p.at, True, p.lat, p.lon, p.segment_id, p.segment.name, p.segment.district, p.note, p.distance_m)
             for p in db.session.scalars(select(Patrol).where(Patrol.user_id == user.id, Patrol.at >= first,
                                                              Patrol.at < end))]
    for ticket_id, number, at, lat, lon, category, segment_id, segment, district in db.session.execute(
            select(Ticket.id, Ticket.number, Ticket.reported_at, Ticket.lat, Ticket.lon, Category.name,
                   Ticket.segment_id, Segment.name, Segment.district)
            .join(Category, Category.id == Ticket.category_id).outerjoin(Segment, Segment.id == Ticket.segment_id)
            .where(not_indexed(Ticket.reporter_id) == user.id, Ticket.reported_at >= first, Ticket.reported_at < end,
                   not_indexed(Ticket.source).in_(consts(FOUND_SOURCES)))):
        stops.append(Stop(at, False, lat, lon, segment_id, segment or "", district or "", category, None, ticket_id,
                          number))
    stops.sort(key=lambda s: (s.at, not s.checkin))
    person = PersonDay(user.id, user.display_name or user.username, user.username)
    for stop in stops:
        if person.last is not None:
            stop.gap_minutes = int((stop.at - person.last).total_seconds() // 60)
        person.add(stop.at, stop.checkin, stop.segment_id)
    return Trail(person, day, stops)
