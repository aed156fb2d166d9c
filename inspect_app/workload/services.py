"""督查员工作量: what each inspector did in a period, counted from the records the work left.

- found (上报): the problems the inspector filed in the period (by the day filed, Shanghai time); of those, how many
  the office has since cancelled (作废: a duplicate, not a problem, not the city's), and how many were filed without
  a position; on how many days they filed anything;
- assessed (测评点位): the sites of assessment rounds they submitted in the period;
- walked (巡查打卡): their check-ins on road segments in the period, and on how many segments (patrols);
- out (巡查天数): the days they were out (a check-in or a problem found in the field), the working days gone by with
  neither a visit nor a 请假外出登记 (工作日无记录), and the working days the office recorded them away
  (登记请假外出), as 巡查月历 counts them (patrols/days.py);
- verified (核查): the rectifications they closed (核查结案) or sent back (返工) in the period, and how long each had
  waited since the unit reported it done;
- owed now (待核查): the problems they filed that a unit reports rectified and nobody has verified yet, and how long
  the oldest has waited. Not bound to the period: it is today's backlog.

Rows are the inspector accounts (role 督查员): every active one, and a disabled one with anything in the period.
The office's own filings (citizens' reports it accepted, its entries) are not an inspector's work and are not here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from ..assessment.models import RoundSite
from ..auth.models import User
from ..common.dayspan import DaySpan
from ..common.sql import const, consts, count_where, hours_between, on_days, shanghai_iso
from ..extensions import db
from ..patrols.days import span_sheet
from ..patrols.services import FOUND_SOURCES, check_ins_by_person
from ..policy import INSPECTOR
from ..tickets.models import VERIFICATIONS, Ticket, TicketEvent

# marked on the page for the office to look at: a tenth of one's finds voided, a rectification waiting three days
VOIDED_SHARE_MARK = 0.10
WAIT_MARK_HOURS = 72


@dataclass
class Work:
    user_id: int
    name: str
    username: str
    active: bool = True
    filed: int = 0
    cancelled: int = 0
    days: int = 0              # days (Shanghai) with at least one filing
    no_position: int = 0       # filed without a position (no GPS fix, or the inspector declined it)
    sites: int = 0             # assessment sites submitted
    checkins: int = 0          # 巡查打卡 in the period
    walked: int = 0            # the segments they were on (each inspector's own: a total's means nothing)
    approved: int = 0
    rejected: int = 0
    wait_hours: float = 0.0    # summed over the verifications with a rectification before them
    timed: int = 0             # how many those are
    waiting: int = 0           # filed by this inspector, rectified, not verified yet (now)
    oldest_rectified: datetime | None = None
    out_days: int = 0          # days with a visit (巡查天数), each inspector's own as `days`
    missed_days: int = 0       # working days gone by without a visit or a recorded absence
    absent_days: int = 0       # working days recorded as 请假/外出

    @property
    def valid(self) -> int:
        return self.filed - self.cancelled

    @property
    def voided_share(self) -> float | None:
        return self.cancelled / self.filed if self.filed else None

    @property
    def voided_marked(self) -> bool:
        return self.voided_share is not None and self.voided_share >= VOIDED_SHARE_MARK

    def wait_marked(self, now: datetime) -> bool:
        return self.oldest_rectified is not None and waited_hours(self.oldest_rectified, now) >= WAIT_MARK_HOURS

    @property
    def verified(self) -> int:
        return self.approved + self.rejected

    @property
    def average_wait_hours(self) -> float | None:
        """Hours from a unit's 整改反馈 to this inspector's verification, on average."""
        return self.wait_hours / self.timed if self.timed else None

    def add(self, other: Work) -> None:
        """Count another's work in (a total's); days are each inspector's own, and a sum of them means nothing."""
        for key in ("filed", "cancelled", "no_position", "sites", "checkins", "approved", "rejected", "wait_hours",
                    "timed", "waiting"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        if other.oldest_rectified and (self.oldest_rectified is None or other.oldest_rectified < self.oldest_rectified):
            self.oldest_rectified = other.oldest_rectified


def _filings(period: DaySpan, only: int | None) -> tuple[dict[int, tuple], dict[tuple[int, str], int]]:
    """Each reporter's (filed, cancelled, days with a filing, filed without a position) in the period; and each
    (reporter, Shanghai day)'s field finds (巡查月历's visits: patrols.days.span_sheet takes them as they are, so
    a year of tickets is read once)."""
    day = func.substr(shanghai_iso(Ticket.reported_at), 1, 10)
    query = (select(Ticket.reporter_id, day, func.count(Ticket.id), count_where(Ticket.status == const("cancelled")),
                    count_where(Ticket.lat.is_(None)), count_where(Ticket.source.in_(consts(FOUND_SOURCES))))
             .where(*on_days(Ticket.reported_at, period.first, period.last))
             .group_by(Ticket.reporter_id, day))
    if only is not None:
        query = query.where(Ticket.reporter_id == only)
    filings: dict[int, list] = {}
    finds: dict[tuple[int, str], int] = {}
    for reporter_id, on, filed, cancelled, no_position, found in db.session.execute(query):
        row = filings.setdefault(reporter_id, [0, 0, 0, 0])
        row[0] += filed
        row[1] += cancelled
        row[2] += 1
        row[3] += no_position
        if found:
            finds[(reporter_id, on)] = found
    return {reporter_id: tuple(row) for reporter_id, row in filings.items()}, finds


def _verifications(period: DaySpan, only: int | None) -> dict[int, tuple]:
    verification = TicketEvent.__table__.alias("verification")
    v = verification.c
    # The rectification each verification judged. A ticket closed keeps its last one's time (rectified_at); one sent
    # back has it cleared, so for a 返工 it is the ticket's latest 整改反馈 event before it (a lookup for each
    # of the few rejections: for every verification, it was three quarters of the page's time at 1 M tickets).
    rectified = (select(func.max(TicketEvent.at)).where(TicketEvent.ticket_id == v.ticket_id,
                                                         TicketEvent.action == const("rectify"), TicketEvent.at <= v.at)
                 .correlate(verification).scalar_subquery())
    wait = case((v.action == const("approve"), hours_between(Ticket.rectified_at, v.at)),
                else_=hours_between(rectified, v.at))
    each = (select(v.actor_id, v.action, wait.label("wait"))
            .select_from(verification.join(Ticket, Ticket.id == v.ticket_id))
            .where(v.action.in_(consts(VERIFICATIONS)),  # written as ix_ticket_events_verifications says it
                   *on_days(v.at, period.first, period.last), v.actor_id.is_not(None)))
    if only is not None:
        each = each.where(v.actor_id == only)
    each = each.subquery()
    query = (select(each.c.actor_id, count_where(each.c.action == const("approve")),
                    count_where(each.c.action == const("reject")), func.coalesce(func.sum(each.c.wait), 0.0),
                    func.count(each.c.wait))
             .group_by(each.c.actor_id))
    return {row[0]: row[1:] for row in db.session.execute(query)}


def _assessed(period: DaySpan, only: int | None) -> dict[int, int]:
    query = (select(RoundSite.submitted_by, func.count(RoundSite.id))
             .where(*on_days(RoundSite.submitted_at, period.first, period.last),
                    RoundSite.submitted_by.is_not(None))
             .group_by(RoundSite.submitted_by))
    if only is not None:
        query = query.where(RoundSite.submitted_by == only)
    return dict(db.session.execute(query).all())


def _waiting(only: int | None) -> dict[int, tuple]:
    query = (select(Ticket.reporter_id, func.count(Ticket.id), func.min(Ticket.rectified_at))
             .where(Ticket.status == const("rectified")).group_by(Ticket.reporter_id))
    if only is not None:
        query = query.where(Ticket.reporter_id == only)
    return {row[0]: row[1:] for row in db.session.execute(query)}


def inspectors_work(period: DaySpan, only: User | None = None,
                    now: datetime | None = None) -> tuple[list[Work], Work]:
    """Each inspector's row (the most problems found first) and the rows' total; `only`: that inspector alone.
    With `now`, each row's days out, missed and away too (巡查月历's figures over the period)."""
    only_id = only.id if only is not None else None
    users = select(User).where(User.role == INSPECTOR).order_by(User.username)
    if only_id is not None:
        users = users.where(User.id == only_id)
    (filings, finds), verifications = _filings(period, only_id), _verifications(period, only_id)
    assessed, waiting = _assessed(period, only_id), _waiting(only_id)
    patrols = check_ins_by_person(period.start, period.end, only_id)
    days_of = {p.user_id: p for p in span_sheet(period.first, period.last, now, only_id, finds).people} if now \
        else {}
    rows = []
    for user in db.session.scalars(users):
        work = Work(user.id, user.name, user.username, bool(user.active))
        if user.id in filings:
            work.filed, work.cancelled, work.days, work.no_position = filings[user.id]
        if user.id in verifications:
            work.approved, work.rejected, work.wait_hours, work.timed = verifications[user.id]
            work.wait_hours = float(work.wait_hours)
        work.sites = assessed.get(user.id, 0)
        work.checkins, work.walked = patrols.get(user.id, (0, 0))
        if user.id in days_of:
            person = days_of[user.id]
            work.out_days, work.missed_days, work.absent_days = person.out_days, person.missed_days, person.absent_days
        if user.id in waiting:
            work.waiting, work.oldest_rectified = waiting[user.id]
        if work.active or work.filed or work.verified or work.sites or work.checkins or work.out_days:
            rows.append(work)
    rows.sort(key=lambda w: (-w.filed, -w.verified, w.username))
    total = Work(0, "合计", "")
    for work in rows:
        total.add(work)
    return rows, total


def hours_text(hours: float | None) -> str:
    """A wait as the page reads it: 35分钟, 5.5小时, 2.3天."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{max(1, round(hours * 60))}分钟"
    if hours < 48:
        return f"{hours:.1f}小时"
    return f"{hours / 24:.1f}天"


def waited_hours(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds() / 3600)


EXPORT_COLUMNS = ["督查员", "账号", "上报问题", "其中已作废", "有效问题", "有上报的天数", "无定位上报", "测评点位",
                  "巡查打卡", "打卡路段", "巡查天数", "工作日无记录", "登记请假外出（工作日）", "核查结案", "返工",
                  "平均核查用时（小时）", "待核查（本人上报）", "最久已等待（小时）"]
EXPORT_WIDTHS = [14, 14, 10, 10, 10, 12, 10, 10, 10, 10, 10, 12, 14, 10, 8, 16, 16, 16]


def export_rows(rows: list[Work], total: Work, now: datetime) -> list[list]:
    def line(work: Work, name: str, username: str, own: bool) -> list:
        average = work.average_wait_hours
        waited = waited_hours(work.oldest_rectified, now)
        days = [work.days] if own else [""]
        attendance = [work.walked, work.out_days, work.missed_days, work.absent_days] if own else ["", "", "", ""]
        return [name, username, work.filed, work.cancelled, work.valid, *days, work.no_position, work.sites,
                work.checkins, *attendance, work.approved, work.rejected,
                round(average, 1) if average is not None else "", work.waiting,
                round(waited, 1) if waited is not None else ""]

    return [line(w, w.name + ("" if w.active else "（已停用）"), w.username, True) for w in rows] + \
        [line(total, "合计", "", False)]
