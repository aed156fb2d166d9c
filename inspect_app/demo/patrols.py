"""The demo city's 巡查打卡: six weeks of each inspector walking the segments of one district on working days, a few
segments a day, with the roads out of the way (one in eight) seldom walked, so 路段巡查 shows a month well covered,
a week half covered, and the gaps; the office's 巡查周期, so it shows the segments past theirs; its 督查片区, each
inspector answering for the district they walk; and a 请假外出登记 or two."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..common.geo import distance_to_polyline_m
from ..common.timeutil import as_utc, local, local_midnight
from ..extensions import db
from ..patrols.absences import ASK_BACK_DAYS
from ..patrols.models import AbsenceRequest, Patrol, PatrolAbsence, PatrolArea, PatrolCycle
from ..tickets.models import Ticket
from ..units.models import Segment
from ..workdays.calendar import load_calendar

DAYS = 42
PER_DAY = 8
REMOTE_EVERY = 8       # every eighth segment of a district is out of the way ...
REMOTE_WEIGHT = 0.02   # ... and picked this seldom
NOTES = ["", "", "", "路面整洁，未发现问题", "已巡查，秩序良好", "发现问题已上报"]
# the office's 巡查周期: main roads and shopping streets weekly, school surroundings and back streets fortnightly
CYCLES = {"主次干道": 7, "商业大街": 7, "学校周边": 14, "背街小巷": 14}


def _point_on(coords: list[list[float]], rng: random.Random) -> tuple[float, float]:
    """A point on the polyline, a few metres off it (a phone's fix on the pavement)."""
    i = rng.randrange(len(coords) - 1) if len(coords) > 1 else 0
    (lon1, lat1), (lon2, lat2) = coords[i], coords[min(i + 1, len(coords) - 1)]
    t = rng.random()
    return (lat1 + (lat2 - lat1) * t + rng.uniform(-0.0001, 0.0001),
            lon1 + (lon2 - lon1) * t + rng.uniform(-0.0001, 0.0001))


def _middle(segment: Segment) -> tuple[float, float]:
    coords = segment.coords
    return tuple(coords[len(coords) // 2]) if coords else (0.0, 0.0)


def _walk(segments: list[Segment]) -> list[Segment]:
    """The day's segments in the order a person on foot takes them: from the first, always to the nearest left
    (so the 巡查轨迹 reads as a round, not a zigzag across the district)."""
    if not segments:
        return []
    route, left = [segments[0]], segments[1:]
    while left:
        x, y = _middle(route[-1])
        nearest = min(left, key=lambda s: (_middle(s)[0] - x) ** 2 + (_middle(s)[1] - y) ** 2)
        route.append(nearest)
        left.remove(nearest)
    return route


def seed_patrols(now: datetime, seed: int = 31) -> int:
    """Add the check-ins, the office's 巡查周期 and its 督查片区, if there are no check-ins yet; returns how many
    check-ins."""
    if db.session.scalar(select(Patrol.id).limit(1)) is not None:
        return 0
    rng = random.Random(seed)
    now = as_utc(now)
    inspectors = list(db.session.scalars(select(User).where(User.role == "inspector", User.active.is_(True))
                                         .order_by(User.username)))
    segments = list(db.session.scalars(select(Segment).where(Segment.active.is_(True))
                                       .order_by(Segment.district, Segment.id)))
    districts = sorted({s.district for s in segments})
    if not inspectors or not districts:
        return 0
    beats = {user.id: [s for s in segments if s.district == districts[n % len(districts)] and s.coords]
             for n, user in enumerate(inspectors)}
    first = local(now).date() - timedelta(days=DAYS)
    calendar = load_calendar(first, days=DAYS + 2)
    workdays = [first + timedelta(days=n) for n in range(DAYS + 1) if calendar.is_workday(first + timedelta(days=n))]
    # a day of leave each for every other inspector, so the 巡查月历 shows a working day without a record: a day
    # they filed no problem on either (the demo's tickets come first)
    filed: dict[int, set] = {}
    for reporter_id, at in db.session.execute(select(Ticket.reporter_id, Ticket.reported_at)
                                              .where(Ticket.reported_at >= local_midnight(first))):
        filed.setdefault(reporter_id, set()).add(local(at).date())
    leave = set()
    for n, user in enumerate(inspectors):
        free = [day for day in workdays[:-1] if day not in filed.get(user.id, set())]
        if n % 2 == 0 and free:
            leave.add((user.id, free[(7 * n + 5) % len(free)]))
    rows = []
    for day in workdays:
        for user in inspectors:
            if (user.id, day) in leave:
                continue
            beat = beats[user.id]
            weights = [REMOTE_WEIGHT if n % REMOTE_EVERY == REMOTE_EVERY - 1 else 1.0 for n in range(len(beat))]
            picked = _walk(list({s.id: s for s in rng.choices(beat, weights=weights, k=PER_DAY)}.values()))
            moment = local_midnight(day) + timedelta(hours=8.5 + rng.uniform(0, 1))
            for segment in picked:
                moment += timedelta(minutes=rng.uniform(20, 55))  # eight by mid-afternoon
                if moment >= now:
                    break
                lat, lon = (round(value, 6) for value in _point_on(segment.coords, rng))
                rows.append(Patrol(user_id=user.id, segment_id=segment.id, at=moment, lat=lat, lon=lon,
                                   accuracy_m=float(rng.randint(5, 30)),
                                   distance_m=round(distance_to_polyline_m(lat, lon, segment.coords), 1),
                                   note=rng.choice(NOTES)))
    db.session.add_all(rows)
    kinds = {s.kind for s in segments}
    db.session.add_all(PatrolCycle(kind=kind, days=days) for kind, days in CYCLES.items()
                       if kind in kinds and db.session.get(PatrolCycle, kind) is None)
    if db.session.scalar(select(PatrolArea.id).limit(1)) is None:
        db.session.add_all(PatrolArea(user_id=user.id, district=districts[n % len(districts)])
                           for n, user in enumerate(inspectors))
    _record_absences(inspectors, sorted(leave), now)
    db.session.flush()
    return len(rows)


def _record_absences(inspectors: list[User], leave: list[tuple[int, date]], now: datetime) -> None:
    """请假外出登记: the office recorded the first day of leave (the others stay unexplained, 缺, to ask about) and
    a training the second inspector goes to on the next working day."""
    office = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id).limit(1))
    if office is None or db.session.scalar(select(PatrolAbsence.id).limit(1)) is not None:
        return
    rows = [PatrolAbsence(user_id=user_id, first_day=day, last_day=day, kind="leave", note="事假，已经科长批准",
                          recorded_by=office.id, recorded_at=now) for user_id, day in leave[:1]]
    today = local(now).date()
    ahead = load_calendar(today, days=15)
    coming = next((today + timedelta(days=n) for n in range(1, 15) if ahead.is_workday(today + timedelta(days=n))),
                  None)
    if len(inspectors) > 1 and coming is not None:
        rows.append(PatrolAbsence(user_id=inspectors[1].id, first_day=coming, last_day=coming, kind="meeting",
                                  note="参加市创城业务培训", recorded_by=office.id, recorded_at=now))
    db.session.add_all(rows)
    db.session.flush()
    _ask_for_absences(inspectors, leave, rows[:1] if leave else [], coming, office, now)  # the leave recorded


def _ask_for_absences(inspectors, leave, recorded, coming, office, now: datetime) -> None:
    """请假外出申请: the first day of leave was asked for and agreed to; the second inspector on leave explains
    their day after the event, and the third asks for two days from the next working day on, both waiting."""
    asked = []
    for absence in recorded:
        asked.append(AbsenceRequest(user_id=absence.user_id, first_day=absence.first_day, last_day=absence.last_day,
                                    kind="leave", note=absence.note, asked_at=now - timedelta(days=20),
                                    state="approved", decided_by=office.id, decided_at=now - timedelta(days=19),
                                    reply="", absence_id=absence.id))
    today = local(now).date()
    if len(leave) > 1 and leave[1][1] >= today - timedelta(days=ASK_BACK_DAYS):
        user_id, day = leave[1]
        asked.append(AbsenceRequest(user_id=user_id, first_day=day, last_day=day, kind="leave",
                                    note="当天发烧请了病假，当时忘了报", asked_at=now - timedelta(hours=3),
                                    state="pending", reply=""))
    if len(inspectors) > 2 and coming is not None:
        asked.append(AbsenceRequest(user_id=inspectors[2].id, first_day=coming, last_day=coming + timedelta(days=1),
                                    kind="leave", note="年休假", asked_at=now - timedelta(hours=1), state="pending",
                                    reply=""))
    db.session.add_all(asked)
