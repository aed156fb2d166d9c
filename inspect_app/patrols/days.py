"""巡查日志: one day of the inspectors' field work, as the office checks it.

`day_summary` answers "who was out today, from when to when, and where were the long breaks?" for every active
inspector (and anyone else with a visit that day); `trail` is one person's day in order (轨迹): each check-in and
each problem they found in the field, with where it was and the time since the stop before; `month_sheet` is 巡查月历,
each person's month day by day. A visit is what 路段巡查 counts (services.FOUND_SOURCES); here a find counts even
without a segment, since it is still work done. A day the office recorded as 请假 or 外出 (absences.py) shows that
record instead of standing unexplained.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select

from ..auth.models import User
from ..common.errors import BadRequest, NotFound
from ..common.sql import consts, not_indexed, shanghai_iso
from ..common.timeutil import fmt, iso_day, local, local_midnight
from ..extensions import db
from ..policy import INSPECTOR, INSPECTORS, has_role, sees_citywide
from ..tickets.models import Ticket
from ..units.models import Category, Segment
from ..workdays.calendar import load_calendar
from ..workdays.notice import WEEKDAYS
from . import absences
from .models import AbsenceRequest, Patrol, PatrolAbsence
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
    absence: PatrolAbsence | None = None  # the office's 请假外出登记 covering the day
    asked: AbsenceRequest | None = None   # the person's 请假外出申请 for the day, waiting for the office
    inspector: bool = True                # an active inspector (not the office's staff, who walk now and then)

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
        day = iso_day(str(raw))
    except ValueError:
        raise BadRequest("日期格式不正确，应为 2026-12-05 这样的格式。", code="invalid_date") from None
    if day > today:
        raise BadRequest("不能查看今天以后的巡查日志。", code="invalid_date")
    return day


def day_summary(day: date) -> list[PersonDay]:
    """Every active inspector's day, and anyone else's with a visit: those out first, the earliest start first;
    then those with none, by username."""
    first, end = day_bounds(day)
    v = visits(first, end, placed_only=False).c
    rows = db.session.execute(select(v.user_id, v.at, v.segment_id, v.checkin).order_by(v.user_id, v.at)).all()
    seen = {user_id for user_id, *_ in rows}
    # an account made after the day was nobody's inspector that day (unless it checked in before it was made: a
    # city's history loaded with its accounts, as the demo's)
    inspector = (User.role == INSPECTOR) & User.active.is_(True) & (
        User.created_at.is_(None) | (User.created_at < end) | checked_in_before_account())
    people = {row.id: PersonDay(row.id, row.display_name or row.username, row.username, inspector=bool(row.inspector))
              for row in db.session.execute(select(User.id, User.display_name, User.username,
                                                   inspector.label("inspector")).where(inspector | User.id.in_(seen)))}
    for user_id, at, segment_id, checkin in rows:
        people[user_id].add(at, bool(checkin), segment_id)
    for absence in absences.between(day, day):
        if absence.user_id in people:
            people[absence.user_id].absence = absence
    for asked in absences.waiting_requests(day, day):
        if asked.user_id in people:
            people[asked.user_id].asked = asked
    return sorted(people.values(), key=lambda p: (not p.out, p.first or datetime.min, p.username))


def checked_in_before_account():
    """SQL, per user: a check-in before their account was made (history loaded with the accounts): an index seek on
    ix_patrols_user_at."""
    return exists(select(Patrol.id).where(Patrol.user_id == User.id, Patrol.at < User.created_at))


def patrols_began() -> date | None:
    """The day the office began using 巡查打卡: as it set it (PATROLS_BEGAN), else the Shanghai day of the first
    check-in ever. A working day before it is nobody's missed day (缺): inspectors were not expected to check in yet.
    None when it set no day and nobody ever checked in."""
    set_by_office = current_app.config.get("PATROLS_BEGAN")
    if set_by_office is not None:
        return set_by_office
    first = db.session.scalar(select(func.min(Patrol.at)))  # the first entry of ix_patrols_at_segment
    return local(first).date() if first is not None else None


def began_as_set() -> bool:
    """The start day is the office's setting (PATROLS_BEGAN), not the first check-in."""
    return current_app.config.get("PATROLS_BEGAN") is not None


def last_workday(now: datetime) -> date | None:
    """The last working day before today (Shanghai), None when there was none in the last two weeks."""
    today = local(now).date()
    calendar = load_calendar(today - timedelta(days=15), days=16)
    return next((today - timedelta(days=n) for n in range(1, 15) if calendar.is_workday(today - timedelta(days=n))),
                None)


def unexplained_last_workday(now: datetime) -> tuple[date, list[PersonDay]] | None:
    """待办事项's prompt: the last working day before today (Shanghai), and the active inspectors who had neither a
    visit nor a 请假外出登记 that day (to ask, or to record); None when there was no working day in the last two
    weeks, or the office does not use 巡查打卡 (no check-in ever, or none before that day: its inspectors are not
    expected out daily)."""
    began, day = patrols_began(), last_workday(now)
    if began is None or day is None or day < began:
        return None
    return day, [p for p in day_summary(day) if not p.out and p.absence is None]


@dataclass
class TodayBrief:
    """领导看板's 今日巡查: today's field work so far, and who is not accounted for on the last working day."""
    day: date
    inspectors: int        # active inspectors
    out: int               # of them, with a check-in or a find today
    checkins: int
    finds: int
    away: int              # recorded away today (请假外出登记), without a visit
    last_day: date | None  # the last working day, when some inspectors are unaccounted for on it
    unexplained: int       # how many
    workday: bool = True   # today is a working day (a day off's zeros are no alarm)


def today_brief(now: datetime) -> TodayBrief | None:
    """None when the office does not use 巡查打卡 (no check-in ever)."""
    if patrols_began() is None:
        return None
    today = local(now).date()
    people = day_summary(today)
    expected = [p for p in people if p.inspector]
    before = unexplained_last_workday(now)
    return TodayBrief(today, len(expected), sum(1 for p in expected if p.out),
                      sum(p.checkins for p in people), sum(p.finds for p in people),
                      sum(1 for p in expected if not p.out and p.absence is not None),
                      before[0] if before and before[1] else None, len(before[1]) if before else 0,
                      load_calendar(today, days=1).is_workday(today))


def unexplained_days(user_id: int, first: date, last: date, now: datetime) -> list[date]:
    """The person's working days from `first` to `last` gone by with neither a visit nor a record, nor a request
    of theirs waiting for them (请假外出申请's reminder to explain them; none for the office's own staff)."""
    if last < first:
        return []
    # The check-in page asks about one day, which a check-in of the person's answers on most days: an index seek
    # (0.1 ms at a million tickets) instead of the day's sheet (6 ms, the day's tickets read by time).
    start, end = day_bounds(first)
    if first == last and db.session.scalar(select(Patrol.id).where(
            Patrol.user_id == user_id, Patrol.at >= start, Patrol.at < end).limit(1)) is not None:
        return []
    person = next(iter(span_sheet(first, last, now, user_id).people), None)
    if person is None:
        return []
    return [cell.day for cell in person.cells if cell.missed and not cell.asked]


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
    patrol_id: int | None = None     # a check-in's, when it has a photo (打卡照片)
    photo_early_minutes: int | None = None  # its photo taken this long before the check-in (Patrol's property)
    photo_taken_at: datetime | None = None
    kept_minutes: int | None = None  # 离线打卡: kept on the phone this long before it arrived (Patrol's property)


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
    stops = [Stop(p.at, True, p.lat, p.lon, p.segment_id, p.segment.name, p.segment.district, p.note, p.distance_m,
                  patrol_id=p.id if p.photo_key else None, photo_early_minutes=p.photo_early_minutes,
                  photo_taken_at=p.photo_taken_at, kept_minutes=p.kept_minutes)
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
    person = PersonDay(user.id, user.display_name or user.username, user.username,
                       absence=next(iter(absences.between(day, day, only=user.id)), None))
    for stop in stops:
        if person.last is not None:
            stop.gap_minutes = int((stop.at - person.last).total_seconds() // 60)
        person.add(stop.at, stop.checkin, stop.segment_id)
    return Trail(person, day, stops)


# ----------------------------------------------------------------------------- 巡查月历 (a month, day by day)

@dataclass
class DayCell:
    day: date
    workday: bool
    future: bool                 # after today: nothing to count yet
    expected: bool = True        # an active inspector's day since 巡查打卡 began (the office's staff are not expected)
    ongoing: bool = False        # today: not missed before it is over
    checkins: int = 0
    finds: int = 0
    first: datetime | None = None
    last: datetime | None = None
    absence: PatrolAbsence | None = None  # the office's 请假外出登记 covering the day
    asked: bool = False          # a 请假外出申请 of the person's asks for the day, waiting for the office

    @property
    def visits(self) -> int:
        return self.checkins + self.finds

    @property
    def missed(self) -> bool:
        """A working day gone by (today is not, until it is over) without a visit or a recorded absence, for
        someone expected out."""
        return (self.expected and self.workday and not self.future and not self.ongoing and not self.visits
                and self.absence is None)


@dataclass
class PersonMonth:
    user_id: int
    name: str
    username: str
    cells: list[DayCell]

    @property
    def out_days(self) -> int:
        return sum(1 for cell in self.cells if cell.visits)

    @property
    def missed_days(self) -> int:
        return sum(1 for cell in self.cells if cell.missed)

    @property
    def asked_days(self) -> int:
        """Of the missed days, those the person has asked to be recorded (请假外出申请 waiting)."""
        return sum(1 for cell in self.cells if cell.missed and cell.asked)

    @property
    def absent_days(self) -> int:
        """Working days of the month (gone by or to come) the office recorded as 请假 or 外出."""
        return sum(1 for cell in self.cells if cell.absence is not None and cell.workday)

    @property
    def checkins(self) -> int:
        return sum(cell.checkins for cell in self.cells)

    @property
    def finds(self) -> int:
        return sum(cell.finds for cell in self.cells)

    @property
    def average_span_minutes(self) -> int | None:
        spans = [(cell.last - cell.first).total_seconds() // 60 for cell in self.cells if cell.first]
        return int(sum(spans) / len(spans)) if spans else None


@dataclass
class Month:
    first: date
    last: date
    days: list[date]
    people: list[PersonMonth]
    workdays: int                # the month's working days up to today
    began: date | None = None    # the day 巡查打卡 began (patrols_began): no day before it is missed
    began_set: bool = False      # that day is the office's setting (PATROLS_BEGAN), not the first check-in

    @property
    def lead_blanks(self) -> int:  # the calendar's empty cells before the 1st (Monday first)
        return self.first.weekday()


def asked_month(raw: str | None, now: datetime, ahead: bool = False) -> date:
    """The month a page asks for (YYYY-MM; this month in Shanghai without one) as its first day; one to come is
    refused, unless `ahead` (请假外出登记, where leave is planned): then up to a year on."""
    this_month = local(now).date().replace(day=1)
    if not raw:
        return this_month
    try:
        first = date.fromisoformat(f"{str(raw).strip()}-01")
    except ValueError:
        raise BadRequest("月份格式不正确，应为 2026-11 这样的格式。", code="invalid_month") from None
    if first > (this_month.replace(year=this_month.year + 1) if ahead else this_month):
        raise BadRequest("不能查看以后月份的巡查月历。" if not ahead else "只能查看一年以内的月份。",
                         code="invalid_month")
    return first


def month_last(first_day: date) -> date:
    """The last day of the month that begins on `first_day`."""
    return (first_day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def month_sheet(first_day: date, now: datetime, only: int | None = None) -> Month:
    """Every active inspector's month day by day (and anyone else's with a visit in it), by username; `only`: that
    person's alone (an inspector reading their own)."""
    return span_sheet(first_day, month_last(first_day), now, only)


def span_sheet(first_day: date, last_day: date, now: datetime, only: int | None = None,
               finds: dict[tuple[int, str], int] | None = None) -> Month:
    """month_sheet for any span of days (督查员工作量 counts each person's days out, missed and away from it).
    `finds`: each (person, Shanghai day 'YYYY-MM-DD')'s field finds, when the caller counted the span's tickets
    already (督查员工作量 does, for its own figures: a year of a city's tickets is read once); only the check-ins
    are read then, and a day's first and last are its check-ins'."""
    today, began = local(now).date(), patrols_began()
    calendar = load_calendar(first_day, days=(last_day - first_day).days + 1)
    days_of = [(day, calendar.is_workday(day), day > today,  # once a day, not once a person and day: the
                began is not None and day >= began)           # holiday package's check costs 20 µs a call
               for day in (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))]
    people: dict[int, PersonMonth] = {}

    def person(user_id: int, name: str, username: str, expected: bool, since: date | None) -> PersonMonth:
        """`since`: the day their account was made (no day before it is theirs to miss)."""
        return people.setdefault(user_id, PersonMonth(user_id, name, username, [
            DayCell(day, workday, future, expected and in_use and (since is None or day >= since),
                    ongoing=day == today)
            for day, workday, future, in_use in days_of]))

    v = visits(local_midnight(first_day), local_midnight(last_day + timedelta(days=1)), placed_only=False,
               finds=finds is None, user_id=only).c
    day_of = func.substr(shanghai_iso(v.at), 1, 10)  # the Shanghai day, counted by the database: a month of a
    rows = db.session.execute(                       # city's finds is tens of thousands of rows
        select(v.user_id, day_of, func.sum(v.checkin), func.count(), func.min(v.at), func.max(v.at))
        .group_by(v.user_id, day_of)).all()
    finds = {key: n for key, n in (finds or {}).items() if only is None or key[0] == only}
    if only is not None:
        rows = [row for row in rows if row[0] == only]
    seen = {user_id for user_id, *_ in rows} | {user_id for user_id, _ in finds}
    inspector = (User.role == INSPECTOR) & User.active.is_(True)
    whom = select(User.id, User.display_name, User.username, inspector.label("expected"), User.created_at,
                  checked_in_before_account().label("earlier"))
    # each person's visits in the span: a day with one before their account was made means history loaded with
    # the accounts (the demo's, a test's), not a newcomer: their days count from 巡查打卡's start
    first_out = {}
    for user_id, day, *_ in rows:
        first_out[user_id] = min(first_out.get(user_id, day), day)
    for user_id, day in finds:
        first_out[user_id] = min(first_out.get(user_id, day), day)
    for row in db.session.execute(whom.where(User.id == only) if only is not None
                                  else whom.where(inspector | User.id.in_(seen))):
        made = local(row.created_at).date() if row.created_at is not None else None
        if made is not None and (row.earlier or first_out.get(row.id, "9999") < made.isoformat()):
            made = None
        person(row.id, row.display_name or row.username, row.username, bool(row.expected), made)
    for user_id, day, checkins, total, first, last in rows:
        cell = people[user_id].cells[(date.fromisoformat(day) - first_day).days]
        cell.checkins, cell.finds, cell.first, cell.last = int(checkins), total - int(checkins), first, last
    for (user_id, day), count in finds.items():
        people[user_id].cells[(date.fromisoformat(day) - first_day).days].finds += count
    for (user_id, day), absence in absences.by_day(absences.between(first_day, last_day, only)).items():
        if user_id in people and first_day <= day <= last_day:
            people[user_id].cells[(day - first_day).days].absence = absence
    for user_id, day in absences.waiting_days(first_day, last_day, only):
        if user_id in people:
            people[user_id].cells[(day - first_day).days].asked = True
    workdays = sum(1 for _, workday, future, _ in days_of if workday and not future)
    return Month(first_day, last_day, [day for day, *_ in days_of], sorted(people.values(), key=lambda p: p.username),
                 workdays, began, began_as_set())


def month_columns(month: Month) -> list[str]:
    return ["姓名", "用户名", "片区", "有记录天数", "工作日无记录", "登记请假外出（工作日）", "打卡", "发现问题",
            "平均每日跨度（分钟）"] + [
        f"{day.day}日（{WEEKDAYS[day.weekday()]}）" for day in month.days]


def month_rows(month: Month, areas) -> list[list]:
    """One row a person: the month's figures, then each day as 首次–末次 · visits (无记录 on a working day gone by,
    the kind of a recorded absence: 请假, 会议培训 …)."""
    def day_text(cell: DayCell) -> str:
        away = cell.absence.kind_label if cell.absence is not None else ""
        if cell.first:
            text = f"{fmt(cell.first, '%H:%M')}–{fmt(cell.last, '%H:%M')} · {cell.visits}"
            return text + (f"（{away}）" if away else "")
        return away or (("无记录（已申请请假外出，待审批）" if cell.asked else "无记录") if cell.missed else "")

    return [[p.name, p.username, "、".join(areas.by_user.get(p.user_id, [])), p.out_days, p.missed_days,
             p.absent_days, p.checkins, p.finds, p.average_span_minutes if p.average_span_minutes is not None else ""]
            + [day_text(cell) for cell in p.cells] for p in month.people]
