"""The demo city's check-ins: each inspector walks one district on working days, the 督查片区 they answer for, so
路段巡查 shows a month well covered and its gaps; loading again adds nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from inspect_app.common.dayspan import DaySpan
from inspect_app.common.geo import distance_to_polyline_m
from inspect_app.common.timeutil import local
from inspect_app.demo.patrols import seed_patrols
from inspect_app.extensions import db
from inspect_app.patrols.models import Patrol
from inspect_app.patrols.services import coverage, cycles, overdue
from inspect_app.workdays.calendar import load_calendar


def test_the_demo_inspectors_walk_their_districts(app, now, demo_city):
    demo_city("city")  # seed_demo(now)
    count = seed_patrols(now)
    db.session.commit()
    assert 800 < count < 1400
    assert seed_patrols(now) == 0
    patrols = list(db.session.scalars(select(Patrol)))
    assert all(p.at < now and 8 <= local(p.at).hour < 18 for p in patrols)  # working hours, Shanghai
    calendar = load_calendar(now - timedelta(days=50), days=60)
    assert all(calendar.is_workday(local(p.at).date()) for p in patrols)
    assert all(abs(distance_to_polyline_m(p.lat, p.lon, p.segment.coords) - p.distance_m) < 0.1 for p in patrols)
    assert max(p.distance_m for p in patrols) < 30
    districts = db.session.execute(select(Patrol.user_id, func.count(func.distinct(Patrol.segment_id)))
                                   .group_by(Patrol.user_id)).all()
    assert len(districts) == 5
    today = local(now).date()
    month = coverage(DaySpan(today - timedelta(days=29), today))
    assert 0.75 < month.total.rate < 0.97  # well covered, with gaps to show
    assert {d.label for d in month.districts} == {"江城区", "临江区", "东湖区", "新港区", "高新区"}
    week = coverage(DaySpan(today - timedelta(days=6), today))
    assert week.total.rate < month.total.rate
    assert cycles() == {"主次干道": 7, "商业大街": 7, "学校周边": 14, "背街小巷": 14}
    late = overdue(now).items
    assert late and all(o.since_days is None or o.since_days >= o.days for o in late)
    assert len(late) < 60  # some, not the city
    # each inspector answers for the district they walk, and walked most of it this month
    assert set(month.areas.by_district) == {d.label for d in month.districts}
    zoned = [p for p in month.inspectors if p.districts]
    assert len(zoned) == len(districts) and all(len(p.districts) == 1 for p in zoned)
    assert all(p.area_walked / p.area_segments > 0.6 for p in zoned)
    # every other inspector takes a working day of leave: none has more than one day off, some have one
    workdays = {local(p.at).date() for p in patrols if local(p.at).date() < local(now).date()}  # someone was out
    off = [len(workdays - {local(p.at).date() for p in patrols if p.user_id == user_id})
           for user_id, _ in districts]
    assert max(off) == 1 and 1 <= off.count(1) <= 3
    # and no problem filed that day either, so the 巡查月历 shows it (缺)
    from inspect_app.patrols.days import month_sheet
    first = local(now).date().replace(day=1)
    months = [first, (first - timedelta(days=1)).replace(day=1), (first - timedelta(days=35)).replace(day=1)]
    assert sum(p.missed_days for m in set(months) for p in month_sheet(m, now).people) >= 1
    # the office recorded the first of those days (请假) and a training to come; the other days stay to ask about
    from inspect_app.patrols.models import PatrolAbsence
    recorded = db.session.scalars(select(PatrolAbsence).order_by(PatrolAbsence.first_day)).all()
    assert [(r.kind, r.first_day < local(now).date()) for r in recorded] == [("leave", True), ("meeting", False)]
    assert sum(p.absent_days for m in set(months) for p in month_sheet(m, now).people) >= 1
    # 请假外出申请: the recorded leave was asked for and agreed to; a day explained after the event and leave to
    # come wait for the office
    from inspect_app.patrols.models import AbsenceRequest
    asked = db.session.scalars(select(AbsenceRequest).order_by(AbsenceRequest.asked_at)).all()
    assert [(r.state, r.first_day < local(now).date()) for r in asked] == [
        ("approved", True), ("pending", True), ("pending", False)]
    assert asked[0].absence_id == recorded[0].id
