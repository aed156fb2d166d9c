"""巡查打卡 and 巡查覆盖.

A segment counts as patrolled (已巡查) in a period when an inspector checked in on it, or a problem was found on it
in the field (FOUND_SOURCES: 日常督查, 暗访, 随机抽查, 领导督导, 部门联查, 模拟测评). Citizens' photos, 12345 cases
and the like are not a visit by the office. Only active segments are counted; a period's figures are by the days
(Shanghai time) the visits fell on. 最近巡查 looks back LOOKBACK_DAYS before the period: older is 久未巡查.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import aliased

from ..auth.models import User
from ..common.dayspan import DaySpan
from ..common.errors import BadRequest, Invalid
from ..common.geo import distance_to_polyline_m
from ..common.ids import row_id
from ..common.models import lock_sequence, lock_setting
from ..common.sql import by_code_point, consts, not_indexed
from ..common.text import clean_text
from ..common.timeutil import fmt, local, local_midnight, parse_iso
from ..extensions import db
from ..photos.processing import plausible_taken_at
from ..photos.service import parse_photo_meta, read_uploads, save_files
from ..policy import INSPECTOR
from ..tickets.inputs import parse_coordinate
from ..tickets.models import Ticket
from ..tickets.rules import FIELD_SOURCES
from ..units.models import Segment, Unit
from ..units.services import nearest_segments
from .models import Patrol, PatrolArea, PatrolCycle

FOUND_SOURCES = (*FIELD_SOURCES, "mock_assessment")
LOOKBACK_DAYS = 90
REPEAT_MINUTES = 30  # a second check-in on one segment by one inspector within this is the first one again
KEPT_HOURS = 24      # a check-in kept on the phone without a connection (离线打卡) is taken this long after
KEPT_AHEAD_MINUTES = 5  # a phone's clock this far ahead of the server's is its clock, not a check-in to come
NOTE_MAX = 200
NEAR_LIMIT = 8
NEXT_RADIUS_M = 3000  # 附近本周未巡查: where to walk next, this far at most ...
NEXT_LIMIT = 5        # ... and this many


def radius_m() -> float:
    return float(current_app.config["PATROL_RADIUS_M"])


def _position(fields) -> tuple[float, float, float | None]:
    lat = parse_coordinate(fields.get("lat"), "纬度", -90, 90)
    lon = parse_coordinate(fields.get("lon"), "经度", -180, 180)
    if lat is None or lon is None:
        raise BadRequest("巡查打卡需要手机定位：请允许本页获取位置后再打卡。", code="location_required")
    accuracy = fields.get("accuracy")
    if accuracy is None or str(accuracy).strip() == "":
        return lat, lon, None
    try:
        accuracy = float(accuracy)
    except (TypeError, ValueError):
        raise BadRequest("定位精度格式不正确。", code="invalid_accuracy") from None
    if not 0 <= accuracy <= 100_000:
        raise BadRequest("定位精度超出范围。", code="invalid_accuracy")
    if accuracy > radius_m():
        raise Invalid(f"定位精度约{accuracy:.0f}米，不足以确认您在哪条路段：请到室外开阔处重新定位后再打卡。",
                      code="location_imprecise")
    return lat, lon, accuracy


def _segment(fields, lat: float, lon: float) -> tuple[Segment, float]:
    """The segment asked for (it must be active and within radius_m of the position), or else the nearest one."""
    limit = radius_m()
    raw = fields.get("segment_id")
    if raw is None or str(raw).strip() == "":
        found = nearest_segments(lat, lon, radius_m=limit, limit=1)
        if not found:
            raise Invalid(f"您的位置{limit:.0f}米内没有责任路段，不能打卡。", code="no_segment_near")
        return found[0]
    segment_id = row_id(raw)
    segment = db.session.get(Segment, segment_id) if segment_id is not None else None
    if segment is None or not segment.active:
        raise Invalid("所选路段不存在或已停用。", code="unknown_segment")
    distance = distance_to_polyline_m(lat, lon, segment.coords)
    if distance > limit:
        far = "没有位置信息" if distance == float("inf") else f"约{distance:.0f}米"
        raise Invalid(f"您的位置距“{segment.name}”{far}，超过{limit:.0f}米，不能在该路段打卡。", code="too_far")
    return segment, distance


def photo_required() -> bool:
    return bool(current_app.config["PATROL_PHOTO_REQUIRED"])


def _kept_at(fields, now: datetime) -> datetime | None:
    """When a check-in kept on the phone without a connection (离线打卡) was made, by the phone's clock: `kept_at`
    (ISO 8601), at most KEPT_HOURS ago (422 after that), a little ahead taken as now; None for a check-in sent at
    once."""
    raw = str(fields.get("kept_at") or "").strip()
    if not raw:
        return None
    try:
        kept = parse_iso(raw)
    except (ValueError, OverflowError):
        raise BadRequest("离线打卡的时间格式不正确。", code="invalid_kept_at") from None
    if kept > now + timedelta(minutes=KEPT_AHEAD_MINUTES):
        raise BadRequest("离线打卡的时间晚于现在：请检查手机的日期和时间。", code="invalid_kept_at")
    if kept < now - timedelta(hours=KEPT_HOURS):
        raise Invalid(f"这次打卡在手机上保存了{KEPT_HOURS}小时以上（{fmt(kept, '%m-%d %H:%M')}），不再记录："
                      f"离线打卡须在{KEPT_HOURS}小时内联网上传。", code="kept_too_long")
    return min(kept, now)


def check_in(user, fields, now: datetime, photos=()) -> tuple[Patrol, bool]:
    """A check-in on the segment the inspector stands on; (the patrol, whether it is new). The same inspector on the
    same segment within REPEAT_MINUTES of another check-in gets that one back: a double tap, or a retry. `photos`:
    the uploads sent with it (打卡照片, one at most; required when PATROL_PHOTO_REQUIRED), checked as a report's
    are, and only after the position passed; a refused photo keeps nothing. A check-in kept on the phone without a
    connection (`kept_at`, 离线打卡) is recorded at that moment, with when it arrived (`sent_at`)."""
    kept = _kept_at(fields, now)
    at = kept or now
    lat, lon, accuracy = _position(fields)
    note = clean_text(fields.get("note"), "巡查情况", NOTE_MAX)
    segment, distance = _segment(fields, lat, lon)
    sent = [upload for upload in photos if upload and (upload.filename or upload.content_length)]
    if photo_required() and not sent:
        raise BadRequest("本市要求巡查打卡时拍摄一张现场照片：请拍照后再打卡。", code="photos_required")
    processed = read_uploads(sent, required=False, now=now, user=user, max_count=1)  # before the lock: it decodes
    # Taps sent at the same instant (a double tap, a retry racing the first) queue here, one person at a time, so
    # the later one sees the first and returns it instead of saving a second check-in.
    lock_sequence(f"patrol-checkin:{user.id}", 0)
    earlier = db.session.scalar(  # either side: a kept check-in may arrive after a later one on the same segment
        select(Patrol).where(Patrol.user_id == user.id, Patrol.segment_id == segment.id,
                             Patrol.at > at - timedelta(minutes=REPEAT_MINUTES),
                             Patrol.at < at + timedelta(minutes=REPEAT_MINUTES))
        .order_by(Patrol.at.desc(), Patrol.id.desc()).limit(1))
    if earlier is not None:
        return earlier, False
    photo = processed[0] if processed else None
    patrol = Patrol(user_id=user.id, segment=segment, at=at, lat=lat, lon=lon, accuracy_m=accuracy,
                    distance_m=round(distance, 1), note=note, photo_key=save_files(photo) if photo else None,
                    photo_taken_at=_taken_at(photo, fields, now) if photo else None,
                    sent_at=now if kept is not None else None)
    db.session.add(patrol)
    db.session.flush()
    return patrol, True


def _taken_at(photo, fields, now: datetime) -> datetime | None:
    """When the camera took the photo: its own EXIF, or, for one the phone scaled down (which drops EXIF), the time
    the page read from the original (`photo_meta`, as a report's)."""
    return plausible_taken_at(photo.taken_at, now) or parse_photo_meta(fields.get("photo_meta"), 1, now)[0].get(
        "taken_at")


def photo_key(patrol_id: int, only_user: int | None = None) -> str | None:
    """The check-in's photo key (none without a photo); `only_user`: of that person's check-ins alone."""
    query = select(Patrol.photo_key).where(Patrol.id == patrol_id)
    if only_user is not None:
        query = query.where(Patrol.user_id == only_user)
    return db.session.scalar(query)


def todays(user, now: datetime) -> list[Patrol]:
    """The inspector's own check-ins today (Shanghai), the latest first."""
    midnight = local_midnight(local(now).date())
    return list(db.session.scalars(select(Patrol).where(Patrol.user_id == user.id, Patrol.at >= midnight,
                                                        Patrol.at <= now).order_by(Patrol.at.desc())))


# ----------------------------------------------------------------------------- coverage

@dataclass
class SegmentCoverage:
    id: int
    name: str
    district: str
    kind: str
    unit: str          # 属地
    adopting: str      # 包抓, or ""
    checkins: int = 0  # in the period
    finds: int = 0     # problems found on it in the field, in the period
    last_at: datetime | None = None  # the latest visit up to the period's end, LOOKBACK_DAYS back at most
    last_by: str = ""

    @property
    def covered(self) -> bool:
        return bool(self.checkins or self.finds)


@dataclass
class Tally:
    label: str
    segments: int = 0
    covered: int = 0
    checkins: int = 0
    finds: int = 0

    @property
    def uncovered(self) -> int:
        return self.segments - self.covered

    @property
    def rate(self) -> float | None:
        return self.covered / self.segments if self.segments else None

    def add(self, row: SegmentCoverage) -> None:
        self.segments += 1
        self.covered += row.covered
        self.checkins += row.checkins
        self.finds += row.finds


@dataclass
class InspectorPatrols:
    name: str = ""
    username: str = ""
    checkins: int = 0
    finds: int = 0
    segments: set = field(default_factory=set)  # the segments they visited in the period
    districts: list[str] = field(default_factory=list)  # their 督查片区 (active inspectors only)
    area_segments: int = 0  # the active segments of their 片区 ...
    area_walked: int = 0    # ... and how many of those they visited themselves

    @property
    def area_rate(self) -> float | None:
        return self.area_walked / self.area_segments if self.area_segments else None


@dataclass
class Coverage:
    span: DaySpan
    district: str | None
    rows: list[SegmentCoverage]     # the segments asked about (a district's, or all), gaps first
    districts: list[Tally]          # every district, for the table
    total: Tally                    # the city's (the table's 全市 line)
    asked: Tally                    # the segments asked about: the district's, or the city's
    inspectors: list[InspectorPatrols]  # who visited them in the period, and every inspector with a 督查片区 there
    areas: Areas                          # 督查片区: who answers for each district

    @property
    def gaps(self) -> list[SegmentCoverage]:
        return [row for row in self.rows if not row.covered]

    def overdue(self, now: datetime) -> Due:
        """The segments asked about past their 巡查周期 as of `now` (whatever the span), from the rows read."""
        return overdue(now, {row.id: row for row in self.rows})


def visits(first: datetime, end: datetime, segment_ids=None, placed_only: bool = True, finds: bool = True,
           user_id: int | None = None):
    """Every visit from `first` to `end` (of these segments; by this person): (segment_id, at, user_id, checkin 1
    or 0). A find off every segment is no segment's visit (placed_only), though it is still a person's work
    (巡查日志). `finds=False`: the check-ins alone."""
    checkins = select(Patrol.segment_id.label("segment_id"), Patrol.at.label("at"), Patrol.user_id.label("user_id"),
                      literal(1).label("checkin")).where(Patrol.at >= first, Patrol.at < end)
    found = (select(Ticket.segment_id, Ticket.reported_at, Ticket.reporter_id, literal(0))
             .where(Ticket.reported_at >= first, Ticket.reported_at < end,
                    not_indexed(Ticket.source).in_(consts(FOUND_SOURCES))))  # most tickets are field finds
    if placed_only:
        found = found.where(Ticket.segment_id.is_not(None))
    if segment_ids is not None:
        checkins = checkins.where(Patrol.segment_id.in_(segment_ids))
        found = found.where(Ticket.segment_id.in_(segment_ids))
    if user_id is not None:  # a person's tickets of the span, read by the day (not all their years' by reporter)
        checkins = checkins.where(Patrol.user_id == user_id)
        found = found.where(not_indexed(Ticket.reporter_id) == user_id)
    return (union_all(checkins, found) if finds else checkins).subquery("visits")


def _by_person(first: datetime, end: datetime, segment_ids=None) -> list:
    """(segment_id, user_id, check-ins, visits, the latest) of each segment and person with a visit from `first`
    to `end`."""
    v = visits(first, end, segment_ids).c
    return db.session.execute(select(v.segment_id, v.user_id, func.sum(v.checkin), func.count(), func.max(v.at))
                              .group_by(v.segment_id, v.user_id)).all()


def _latest(rows: list) -> dict[int, tuple[datetime, int]]:
    """segment_id -> (the latest visit, whose) from _by_person's rows."""
    latest: dict[int, tuple[datetime, int]] = {}
    for segment_id, user_id, _checkins, _visits, last in rows:
        if segment_id not in latest or last > latest[segment_id][0]:
            latest[segment_id] = (last, user_id)
    return latest


def _segments(districts_only: list[str] | None = None) -> dict[int, SegmentCoverage]:
    """The active segments (of these districts, when given)."""
    adopting = aliased(Unit)
    query = (select(Segment.id, Segment.name, Segment.district, Segment.kind, Unit.name.label("unit"),
                    adopting.name.label("adopting"))
             .join(Unit, Unit.id == Segment.unit_id).outerjoin(adopting, adopting.id == Segment.adopting_unit_id)
             .where(Segment.active.is_(True))
             .order_by(by_code_point(Segment.district), by_code_point(Segment.name), Segment.id))
    if districts_only is not None:
        query = query.where(Segment.district.in_(districts_only))
    return {s.id: SegmentCoverage(s.id, s.name, s.district, s.kind, s.unit, s.adopting or "")
            for s in db.session.execute(query)}


def coverage(span: DaySpan, district: str | None = None) -> Coverage:
    """The period's visits per segment and person. The latest visit of a segment not visited in the period is
    looked up apart, for those segments alone, LOOKBACK_DAYS back (an index seek each: ix_tickets_segment_reported,
    ix_patrols_segment_at), so a week costs a week's rows, not three months'. With a `district`, the rows, the
    figures asked about (`asked`) and the people are that district's; the table of districts is the city's."""
    rows = _segments()
    by_district: dict[str, set[int]] = {}
    for row in rows.values():
        by_district.setdefault(row.district, set()).add(row.id)
    if district is not None and district not in by_district:
        raise BadRequest(f"没有“{district}”的在用责任路段。", code="unknown_district")
    counted = _by_person(span.start, span.end)
    inspectors: dict[int, InspectorPatrols] = {}
    for segment_id, user_id, checkins, total, _last in counted:
        if segment_id in rows:
            rows[segment_id].checkins += checkins
            rows[segment_id].finds += total - checkins
        if district is not None and segment_id not in by_district[district]:
            continue  # a district's people are counted by their visits there
        person = inspectors.setdefault(user_id, InspectorPatrols())
        person.checkins += checkins
        person.finds += total - checkins
        person.segments.add(segment_id)
    assigned = areas(set(by_district))
    for user_id, mine in assigned.by_user.items():
        here = [d for d in mine if district is None or d == district]  # 片区路段巡查: of the district asked
        if not here and user_id not in inspectors:
            continue
        person = inspectors.setdefault(user_id, InspectorPatrols())
        area = set().union(*(by_district[d] for d in here))
        person.districts, person.area_segments, person.area_walked = mine, len(area), len(area & person.segments)
    latest = _latest(counted)
    gaps = [segment_id for segment_id, row in rows.items() if not row.covered]
    if gaps:
        latest.update(_latest(_by_person(span.start - timedelta(days=LOOKBACK_DAYS), span.start, gaps)))
    names = _names(set(inspectors) | {user_id for _, user_id in latest.values()})
    for user_id, person in inspectors.items():
        person.name, person.username = names.get(user_id, ("", ""))
    for segment_id, (at, user_id) in latest.items():
        if segment_id in rows:
            rows[segment_id].last_at, rows[segment_id].last_by = at, names.get(user_id, ("", ""))[0]

    tallies: dict[str, Tally] = {}
    total = Tally("合计")
    for row in rows.values():
        tallies.setdefault(row.district, Tally(row.district)).add(row)
        total.add(row)
    asked = [row for row in rows.values() if district is None or row.district == district]
    asked.sort(key=lambda r: (r.covered, r.last_at is not None, r.last_at or datetime.min, r.district, r.name))
    people = sorted(inspectors.values(), key=lambda p: (-len(p.segments), -p.checkins, p.username))
    return Coverage(span, district, asked, sorted(tallies.values(), key=lambda t: t.label), total,
                    total if district is None else tallies[district], people, assigned)


def _names(user_ids: set[int]) -> dict[int, tuple[str, str]]:
    """user id -> (the name shown, the username)."""
    if not user_ids:
        return {}
    return {row.id: (row.display_name or row.username, row.username) for row in
            db.session.execute(select(User.id, User.display_name, User.username).where(User.id.in_(user_ids)))}


def check_in_counts(first: datetime, end: datetime) -> tuple[int, int]:
    """(check-ins, segments checked in on) from `first` to `end`: the year's figures (ix_patrols_at_segment)."""
    count, segments = db.session.execute(select(func.count(), func.count(Patrol.segment_id.distinct()))
                                         .where(Patrol.at >= first, Patrol.at < end)).one()
    return int(count), int(segments)


def check_ins_by_person(first: datetime, end: datetime, only: int | None = None) -> dict[int, tuple[int, int]]:
    """user id -> (check-ins, segments checked in on) from `first` to `end` (ix_patrols_at_segment covers it)."""
    query = (select(Patrol.user_id, func.count(), func.count(Patrol.segment_id.distinct()))
             .where(Patrol.at >= first, Patrol.at < end).group_by(Patrol.user_id))
    if only is not None:
        query = query.where(Patrol.user_id == only)
    return {user_id: (int(count), int(segments)) for user_id, count, segments in db.session.execute(query)}


def districts() -> list[str]:
    district = by_code_point(Segment.district)
    return list(db.session.scalars(select(district).where(Segment.active.is_(True)).distinct().order_by(district)))


def near(lat: float, lon: float, now: datetime) -> list[tuple[Segment, float, datetime | None]]:
    """The active segments within radius_m of a position, nearest first, with when each was last visited (up to
    LOOKBACK_DAYS back): the check-in page's choice."""
    found = nearest_segments(lat, lon, radius_m=radius_m(), limit=NEAR_LIMIT)
    if not found:
        return []
    latest = _latest(_by_person(now - timedelta(days=LOOKBACK_DAYS), now + timedelta(seconds=1),
                                [segment.id for segment, _ in found]))
    last = {segment_id: at for segment_id, (at, _user) in latest.items()}
    return [(segment, distance, last.get(segment.id)) for segment, distance in found]


def _monday(now: datetime) -> datetime:
    today = local(now).date()
    return local_midnight(today - timedelta(days=today.weekday()))


def _walked_this_week(segment_ids: list[int], now: datetime) -> set[int]:
    """Which of these segments somebody visited this week (Monday on, Shanghai), up to now."""
    if not segment_ids:
        return set()
    return {row[0] for row in _by_person(_monday(now), now + timedelta(seconds=1), segment_ids)}


def not_walked_near(lat: float, lon: float, now: datetime,
                    districts_only: list[str] | None = None) -> list[tuple[Segment, float]]:
    """Where to walk next: up to NEXT_LIMIT active segments beyond reach (radius_m) but within NEXT_RADIUS_M that
    nobody visited this week, nearest first; of these districts only (an inspector's 督查片区), when given."""
    found = [(s, d) for s, d in nearest_segments(lat, lon, radius_m=NEXT_RADIUS_M, limit=60)
             if d > radius_m() and (not districts_only or s.district in districts_only)]
    walked = _walked_this_week([s.id for s, _ in found], now)
    return [(segment, distance) for segment, distance in found if segment.id not in walked][:NEXT_LIMIT]


# ----------------------------------------------------------------------------- 巡查周期 and 超期未巡查

CYCLE_MAX_DAYS = LOOKBACK_DAYS


def kinds() -> list[tuple[str, int]]:
    """The active segments' kinds, and how many segments each."""
    return [tuple(row) for row in db.session.execute(
        select(Segment.kind, func.count()).where(Segment.active.is_(True)).group_by(Segment.kind)
        .order_by(by_code_point(Segment.kind)))]


def cycles() -> dict[str, int]:
    return dict(db.session.execute(select(PatrolCycle.kind, PatrolCycle.days)).tuples().all())


def save_cycles(kinds_given: list, days_given: list) -> dict[str, int]:
    """The office's 巡查周期, replaced whole: for each kind its days (1 to CYCLE_MAX_DAYS), or blank for no rule.
    A kind no active segment has is refused (422), a number out of range (400); nothing is saved then."""
    if len(kinds_given) != len(days_given):
        raise BadRequest("巡查周期表单不完整，请刷新页面后重试。", code="invalid_form")
    known = {kind for kind, _ in kinds()}
    wanted: dict[str, int] = {}
    for kind, raw in zip(kinds_given, days_given):
        kind = str(kind).strip()
        if kind not in known:
            raise Invalid(f"没有类型为“{kind}”的在用责任路段。", code="unknown_kind")
        text = str(raw or "").strip()
        if not text:
            continue
        days = row_id(text)
        if days is None or days > CYCLE_MAX_DAYS:
            raise BadRequest(f"“{kind}”的巡查周期须为 1 到 {CYCLE_MAX_DAYS} 的整数天，不填为不作要求。",
                             code="invalid_days")
        wanted[kind] = days
    lock_setting("patrol-cycles")
    for row in db.session.scalars(select(PatrolCycle)):
        if row.kind not in wanted and row.kind in known:
            db.session.delete(row)
    for kind, days in wanted.items():
        row = db.session.get(PatrolCycle, kind)
        if row is None:
            db.session.add(PatrolCycle(kind=kind, days=days))
        else:
            row.days = days
    db.session.flush()
    return wanted


@dataclass
class Overdue:
    segment: SegmentCoverage       # read only: its last_at is the coverage period's, not this list's
    days: int                      # the kind's cycle
    last_at: datetime | None       # the latest visit, LOOKBACK_DAYS back at most
    last_by: str
    since_days: int | None         # whole days since the last visit; None: none in LOOKBACK_DAYS


@dataclass
class Due:
    cycles: dict[str, int]         # the office's 巡查周期 (none: no list)
    items: list[Overdue]


def overdue(now: datetime, segments: dict[int, SegmentCoverage] | None = None) -> Due:
    """The active segments whose kind has a 巡查周期 and that nobody visited within it, up to `now`: those not seen
    in LOOKBACK_DAYS first, then the longest unvisited. `segments`: the active segments a caller read already
    (Coverage.overdue passes those asked about), so a page reads them once. Where the office set the day it began
    using 巡查打卡 (PATROLS_BEGAN: a city taking it up mid-year), a cycle runs from that day at the earliest, as the
    月历's red days do: a city that began on Monday has no 主次干道 past its 7 days before the next Monday."""
    rule = cycles()
    if not rule:
        return Due(rule, [])
    began = current_app.config.get("PATROLS_BEGAN")  # days.patrols_began, as the office set it
    started = local_midnight(began) if began is not None else None
    rows = {segment_id: row for segment_id, row in (segments if segments is not None else _segments()).items()
            if row.kind in rule}
    if not rows:
        return Due(rule, [])
    reach = now - timedelta(days=max(rule.values()))
    latest = _latest(_by_person(reach, now + timedelta(seconds=1), list(rows)))
    unseen = [segment_id for segment_id in rows if segment_id not in latest]
    if unseen:  # when they were last seen, LOOKBACK_DAYS back at most (a seek each, as coverage's gaps)
        latest.update(_latest(_by_person(now - timedelta(days=LOOKBACK_DAYS), reach, unseen)))
    names = _names({user_id for _, user_id in latest.values()})
    found = []
    for segment_id, row in rows.items():
        at, user_id = latest.get(segment_id, (None, None))
        cycle_start = now - timedelta(days=rule[row.kind])
        if (at is not None and at > cycle_start) or (started is not None and started > cycle_start):
            continue
        found.append(Overdue(row, rule[row.kind], at, names.get(user_id, ("", ""))[0] if at else "",
                             None if at is None else int((now - at).total_seconds() // 86400)))
    found.sort(key=lambda o: (o.since_days is not None, -(o.since_days or 0), o.segment.district, o.segment.name))
    return Due(rule, found)


# ----------------------------------------------------------------------------- 督查片区 (分片包干)

@dataclass
class Areas:
    """督查片区 as read: the active inspectors' districts, of the districts with active segments."""
    by_user: dict[int, list[str]] = field(default_factory=dict)      # user id -> their districts
    by_district: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # district -> (username, name)s

    def names(self, district: str) -> str:
        """The district's inspectors as the page names them."""
        return "、".join(name for _, name in self.by_district.get(district, []))

    def usernames(self, district: str) -> list[str]:
        return [username for username, _ in self.by_district.get(district, [])]


def inspectors() -> list[User]:
    """The active inspectors, as the 督查片区 form lists them."""
    return list(db.session.scalars(select(User).where(User.role == INSPECTOR, User.active.is_(True))
                                   .order_by(User.username)))


def areas(known: set[str] | None = None) -> Areas:
    """The 督查片区 of active inspectors, on the districts that have active segments (`known`, when the caller read
    them already). An area of a disabled account, or of a district whose segments were all retired, is kept but
    not counted: it counts again when they are back."""
    known = set(districts()) if known is None else known
    found = Areas()
    for user_id, district, display_name, username in db.session.execute(
            select(PatrolArea.user_id, PatrolArea.district, User.display_name, User.username)
            .join(User, User.id == PatrolArea.user_id).where(User.role == INSPECTOR, User.active.is_(True))
            .order_by(User.username, by_code_point(PatrolArea.district))):
        if district in known:
            found.by_user.setdefault(user_id, []).append(district)
            found.by_district.setdefault(district, []).append((username, display_name or username))
    return found


def save_areas(given: list) -> set[tuple[int, str]]:
    """The office's 督查片区, replaced whole: each value "user_id:district" puts an active inspector on a district
    with active segments. A value naming anyone else, or another district, is refused (422), a malformed one (400);
    nothing is saved then. Returns the (user id, district) pairs now in force."""
    people = {user.id for user in inspectors()}
    known = set(districts())
    wanted: set[tuple[int, str]] = set()
    for value in given:
        user_part, colon, district = str(value).partition(":")
        user_id = row_id(user_part)
        if not colon or user_id is None:
            raise BadRequest("督查片区表单不正确，请刷新页面后重试。", code="invalid_form")
        if user_id not in people:
            raise Invalid("所选督查员不存在、已停用或不是督查员账号。", code="unknown_inspector")
        if district not in known:
            raise Invalid(f"没有“{district}”的在用责任路段。", code="unknown_district")
        wanted.add((user_id, district))
    lock_setting("patrol-areas")
    have = {(row.user_id, row.district): row for row in db.session.scalars(select(PatrolArea))}
    for (user_id, district), row in have.items():
        if (user_id, district) not in wanted and user_id in people and district in known:
            db.session.delete(row)
    db.session.add_all(PatrolArea(user_id=user_id, district=district) for user_id, district in sorted(wanted)
                       if (user_id, district) not in have)
    db.session.flush()
    return wanted


@dataclass
class MyArea:
    """An inspector's 督查片区 as the check-in page tells it: this week so far, and its segments past their cycle."""
    districts: list[str]
    segments: int
    walked: int          # visited by anyone this week (Monday on)
    due: Due

    @property
    def rate(self) -> float | None:
        return self.walked / self.segments if self.segments else None


def area_of(user) -> list[str]:
    """The districts of the user's 督查片区 (none for anyone but an active inspector)."""
    return areas().by_user.get(user.id, [])


def my_area(user, now: datetime) -> MyArea | None:
    """The inspector's own 督查片区 this week; None without one."""
    mine = area_of(user)
    if not mine:
        return None
    rows = _segments(mine)
    return MyArea(mine, len(rows), len(_walked_this_week(list(rows), now)), overdue(now, rows))


EXPORT_COLUMNS = ["区（县）", "责任路段", "路段类型", "属地单位", "包抓单位", "片区督查员", "本期巡查", "本期打卡",
                  "本期发现问题", "最近巡查时间", "最近巡查人"]
EXPORT_WIDTHS = [10, 24, 10, 24, 24, 16, 10, 10, 12, 18, 12]


def export_rows(found: Coverage) -> list[list]:
    """Every segment asked about, gaps first (as the page lists them); 最近巡查 within LOOKBACK_DAYS."""
    return [[row.district, row.name, row.kind, row.unit, row.adopting, found.areas.names(row.district),
             "已巡查" if row.covered else "未巡查", row.checkins, row.finds,
             fmt(row.last_at) if row.last_at else f"{LOOKBACK_DAYS}天内无", row.last_by]
            for row in found.rows]
