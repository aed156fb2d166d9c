"""请假外出登记: the office records the days an inspector was away from field work, and why (请假, 会议培训, 内业值班,
其他公务). 巡查月历 and 巡查日志 show the reason on such a day instead of a working day without a record (缺), so the
red days left are the ones nobody has explained. Records are added and withdrawn, never edited: a mistake is
withdrawn and recorded again, and both are in the 操作日志.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..common.errors import BadRequest, Conflict, Invalid, NotFound
from ..common.ids import row_id
from ..common.models import lock_sequence
from ..common.text import clean_text
from ..common.timeutil import local
from ..extensions import db
from ..workdays.calendar import load_calendar
from .models import ABSENCE_KINDS, PatrolAbsence
from .services import inspectors

NOTE_MAX = 100
LONGEST_DAYS = 92     # one record covers at most this many days (a season's sick leave is entered in parts)
REACH_DAYS = 366      # how far back (补登) and ahead (planned leave) a record may lie


def _day(raw, name: str) -> date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name}格式不正确，应为 2026-12-05 这样的格式。", code="invalid_date") from None


def record(fields, by, now: datetime) -> PatrolAbsence:
    """Record an absence from the fields user_id (or user, a username: the API's), first_day, last_day (the first
    day without one), kind, note. 400 a malformed field; 422 someone who is not an active inspector, an end before
    the start, too long a span or too far a day; 409 when it overlaps the person's record already there (withdraw
    that one first)."""
    username = fields.get("user")
    user_id = row_id(fields.get("user_id")) if username is None else None
    if username is None and user_id is None:
        raise BadRequest("请选择督查员。", code="invalid_form")
    person = next((user for user in inspectors()
                   if (user.id == user_id if username is None else user.username == str(username).strip())), None)
    if person is None:
        raise Invalid("所选督查员不存在、已停用或不是督查员账号。", code="unknown_inspector")
    user_id = person.id
    first = _day(fields.get("first_day"), "开始日期")
    if first is None:
        raise BadRequest("请填写开始日期。", code="invalid_date")
    last = _day(fields.get("last_day"), "结束日期") or first
    kind = str(fields.get("kind") or "").strip()
    if kind not in ABSENCE_KINDS:
        raise BadRequest("请选择登记类型：" + "、".join(ABSENCE_KINDS.values()) + "。", code="invalid_kind")
    note = clean_text(fields.get("note"), "说明", NOTE_MAX)
    if last < first:
        raise Invalid("结束日期不能早于开始日期。", code="invalid_range")
    if (last - first).days + 1 > LONGEST_DAYS:
        raise Invalid(f"一次登记不超过{LONGEST_DAYS}天，更长的请分段登记。", code="invalid_range")
    today = local(now).date()
    if first < today - timedelta(days=REACH_DAYS) or last > today + timedelta(days=REACH_DAYS):
        raise Invalid("只能登记前后一年以内的日期。", code="invalid_range")
    lock_sequence(f"patrol-absence:{user_id}", 0)  # two saves at once: the later one sees the first and is refused
    clash = db.session.scalar(select(PatrolAbsence).where(PatrolAbsence.user_id == user_id,
                                                          PatrolAbsence.first_day <= last,
                                                          PatrolAbsence.last_day >= first)
                              .order_by(PatrolAbsence.first_day).limit(1))
    if clash is not None:
        raise Conflict(f"{person.display_name or person.username}已登记{span_text(clash)}{clash.kind_label}，"
                       "与本次登记的日期重叠：如需更改，请先撤销原登记。", code="absence_overlap")
    row = PatrolAbsence(user_id=user_id, first_day=first, last_day=last, kind=kind, note=note,
                        recorded_by=by.id, recorded_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def withdraw(absence_id: int) -> PatrolAbsence:
    """Withdraw (delete) a record; 404 when there is none."""
    row = db.session.get(PatrolAbsence, absence_id)
    if row is None:
        raise NotFound("没有这条请假外出登记（可能已撤销）。")
    db.session.delete(row)
    db.session.flush()
    return row


def between(first: date, last: date, only: int | None = None) -> list[PatrolAbsence]:
    """The records with a day from `first` to `last`, earliest first; `only`: that person's."""
    query = select(PatrolAbsence).where(PatrolAbsence.last_day >= first, PatrolAbsence.first_day <= last)
    if only is not None:
        query = query.where(PatrolAbsence.user_id == only)
    return list(db.session.scalars(query.order_by(PatrolAbsence.first_day, PatrolAbsence.user_id)))


def by_day(rows: list[PatrolAbsence]) -> dict[tuple[int, date], PatrolAbsence]:
    """(user id, day) → the record that covers it."""
    found = {}
    for row in rows:
        day = row.first_day
        while day <= row.last_day:
            found[(row.user_id, day)] = row
            day += timedelta(days=1)
    return found


def span_text(row: PatrolAbsence) -> str:
    """12月1日, or 12月1日至12月3日 (with the year when the two differ)."""
    def text(day: date, year: bool) -> str:
        return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"

    if row.first_day == row.last_day:
        return text(row.first_day, False)
    crosses = row.first_day.year != row.last_day.year
    return f"{text(row.first_day, crosses)}至{text(row.last_day, crosses)}"


@dataclass
class Listed:
    row: PatrolAbsence
    workdays: int        # its working days (调休 and the office's holidays count)

    @property
    def span(self) -> str:
        return span_text(self.row)


def listing(first: date, last: date) -> list[Listed]:
    """The register page's records with a day from `first` to `last`, each with its working days."""
    rows = between(first, last)
    if not rows:
        return []
    start = min(row.first_day for row in rows)
    calendar = load_calendar(start, days=(max(row.last_day for row in rows) - start).days + 1)
    return [Listed(row, sum(1 for n in range(row.days) if calendar.is_workday(row.first_day + timedelta(days=n))))
            for row in rows]
