"""请假外出登记: the office records the days an inspector was away from field work, and why (请假, 会议培训, 内业值班,
其他公务). 巡查月历 and 巡查日志 show the reason on such a day instead of a working day without a record (缺), so the
red days left are the ones nobody has explained. Records are added and withdrawn, never edited: a mistake is
withdrawn and recorded again, and both are in the 操作日志.

请假外出申请: an inspector asks from the phone (leave to come, or a day gone by explained), and the office agrees,
which makes the record, or refuses with a reason the inspector reads. A request waiting may be taken back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..common.errors import BadRequest, Conflict, Invalid, NotFound
from ..common.ids import row_id
from ..common.models import lock_sequence
from ..common.sql import const
from ..common.text import clean_text
from ..common.timeutil import iso_day, local
from ..extensions import db
from ..policy import INSPECTOR
from ..workdays.calendar import load_calendar
from .models import ABSENCE_KINDS, AbsenceRequest, PatrolAbsence
from .services import inspectors

NOTE_MAX = 100
REPLY_MAX = 100
ASK_BACK_DAYS = 31    # an inspector explains a day gone by within a month; older ones the office records itself
LONGEST_DAYS = 92     # one record covers at most this many days (a season's sick leave is entered in parts)
REACH_DAYS = 366      # how far back (补登) and ahead (planned leave) a record may lie


def _day(raw, name: str) -> date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return iso_day(text)
    except ValueError:
        raise BadRequest(f"{name}格式不正确，应为 2026-12-05 这样的格式。", code="invalid_date") from None


def _read(fields, now: datetime, back_days: int = REACH_DAYS) -> tuple[date, date, str, str]:
    """(first day, last day, kind, note) of a form or a JSON body. 400 a malformed field; 422 an end before the
    start, too long a span, a day further back than `back_days` or over a year ahead."""
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
    if first < today - timedelta(days=back_days) or last > today + timedelta(days=REACH_DAYS):
        raise Invalid("只能登记前后一年以内的日期。" if back_days == REACH_DAYS or first >= today
                      else f"只能补报{back_days}天以内的日子，更早的请联系文明办登记。", code="invalid_range")
    calendar = load_calendar(first, days=(last - first).days + 1)
    if not any(calendar.is_workday(first + timedelta(days=n)) for n in range((last - first).days + 1)):
        # no working day in it: nobody is expected on the streets, so nothing to explain or approve
        raise Invalid("所选日期均为休息日（周末或节假日），无需登记。", code="rest_days_only")
    return first, last, kind, note


def _name(user) -> str:
    return user.display_name or user.username


def _recorded_clash(person, first: date, last: date, asking: bool = False) -> None:
    """409 when the person has a record with a day from `first` to `last` (after taking the person's turn: two
    saves at once queue, and the later one sees the first)."""
    lock_sequence(f"patrol-absence:{person.id}", 0)
    clash = db.session.scalar(select(PatrolAbsence).where(PatrolAbsence.user_id == person.id,
                                                          PatrolAbsence.first_day <= last,
                                                          PatrolAbsence.last_day >= first)
                              .order_by(PatrolAbsence.first_day, PatrolAbsence.id).limit(1))
    if clash is not None:
        raise Conflict(f"{'文明办' if asking else _name(person)}已登记{span_text(clash)}{clash.kind_label}，"
                       f"与本次{'申请' if asking else '登记'}的日期重叠"
                       f"{'。' if asking else '：如需更改，请先撤销原登记。'}", code="absence_overlap")


def _asked_clash(person, first: date, last: date, asking: bool = False) -> None:
    """409 when a request of the person's still waiting asks for a day from `first` to `last` (after
    _recorded_clash took the person's turn). The inspector takes theirs back to change it; the office answers it
    rather than record beside it: a record over its days could never be agreed, and the inspector would wait."""
    waiting = db.session.scalar(select(AbsenceRequest).where(
        AbsenceRequest.user_id == person.id, AbsenceRequest.state == "pending", AbsenceRequest.first_day <= last,
        AbsenceRequest.last_day >= first).order_by(AbsenceRequest.first_day, AbsenceRequest.id).limit(1))
    if waiting is None:
        return
    if asking:
        raise Conflict(f"已申请{span_text(waiting)}{waiting.kind_label}，尚待文明办审批，与本次申请的日期重叠："
                       "如需更改，请先撤回原申请。", code="request_overlap")
    raise Conflict(f"{_name(person)}已申请{span_text(waiting)}{waiting.kind_label}，尚待审批，与本次登记的日期重叠："
                   "请在“督查员的申请”中同意并登记，或不同意后再登记。", code="request_overlap")


def _add(person, first: date, last: date, kind: str, note: str, by, now: datetime,
         agreeing: bool = False) -> PatrolAbsence:
    _recorded_clash(person, first, last)
    if not agreeing:  # the request being agreed asks for these days itself
        _asked_clash(person, first, last)
    row = PatrolAbsence(user_id=person.id, first_day=first, last_day=last, kind=kind, note=note,
                        recorded_by=by.id, recorded_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def record(fields, by, now: datetime) -> PatrolAbsence:
    """Record an absence from the fields user_id (or user, a username: the API's), first_day, last_day (the first
    day without one), kind, note. 400 a malformed field; 422 someone who is not an active inspector, an end before
    the start, too long a span or too far a day; 409 when it overlaps the person's record already there (withdraw
    that one first), or a request of theirs still waiting (answer it: agreeing records it)."""
    username = fields.get("user")
    user_id = row_id(fields.get("user_id")) if username is None else None
    if username is None and user_id is None:
        raise BadRequest("请选择督查员。", code="invalid_form")
    person = next((user for user in inspectors()
                   if (user.id == user_id if username is None else user.username == str(username).strip())), None)
    if person is None:
        raise Invalid("所选督查员不存在、已停用或不是督查员账号。", code="unknown_inspector")
    return _add(person, *_read(fields, now), by, now)


def withdraw(absence_id: int) -> PatrolAbsence:
    """Withdraw (delete) a record; 404 when there is none. A request it was agreed from stays agreed, with no
    record behind it any more (its inspector's page says the record was withdrawn)."""
    row = db.session.get(PatrolAbsence, absence_id)
    if row is None:
        raise NotFound("没有这条请假外出登记（可能已撤销）。")
    for asked in db.session.scalars(select(AbsenceRequest).where(AbsenceRequest.absence_id == row.id)):
        asked.absence_id = None
    db.session.delete(row)
    db.session.flush()
    return row


# ----------------------------------------------------------------------------- 请假外出申请 (the inspector asks)

def ask(fields, person, now: datetime) -> AbsenceRequest:
    """An inspector asks for days to be recorded: first_day, last_day, kind, note as `record` reads them, a day
    gone by at most ASK_BACK_DAYS back. 409 when the days overlap the person's record or another request of
    theirs still waiting."""
    first, last, kind, note = _read(fields, now, ASK_BACK_DAYS)
    _recorded_clash(person, first, last, asking=True)
    _asked_clash(person, first, last, asking=True)
    row = AbsenceRequest(user_id=person.id, first_day=first, last_day=last, kind=kind, note=note, asked_at=now,
                         state="pending", reply="")
    db.session.add(row)
    db.session.flush()
    return row


def _waiting(request_id: int | None, person=None) -> AbsenceRequest:
    """The request still waiting (the person's own, when given), after taking its inspector's turn: two decisions
    at once (two office tabs, a take-back as the office agrees) queue, and the later one finds it decided. 404 no
    such request (or not theirs), 409 decided already."""
    row = db.session.get(AbsenceRequest, request_id) if request_id is not None else None
    if row is None or (person is not None and row.user_id != person.id):
        raise NotFound("没有这条请假外出申请（可能已撤回）。")
    lock_sequence(f"patrol-absence:{row.user_id}", 0)
    db.session.refresh(row)
    if row.state != "pending":
        raise Conflict(f"这条申请已处理（{row.state_label}），不能再审批或撤回。", code="request_decided")
    return row


def take_back(request_id: int | None, person) -> AbsenceRequest:
    """The inspector takes back a request still waiting (the row goes)."""
    row = _waiting(request_id, person)
    db.session.delete(row)
    db.session.flush()
    return row


def approve(request_id: int | None, by, now: datetime, reply="") -> AbsenceRequest:
    """The office agrees: the days are recorded (as `record` would, by the one who agreed). 409 when the days
    overlap a record (one made over them before `record` refused to: refuse the request, or withdraw that record
    first)."""
    row = _waiting(request_id)
    text = clean_text(reply, "答复", REPLY_MAX)
    if not row.user.active or row.user.role != INSPECTOR:
        raise Invalid(f"{_name(row.user)}的账号已停用或已不是督查员，不能再登记；请选择“不同意”并说明。",
                      code="unknown_inspector")
    absence = _add(row.user, row.first_day, row.last_day, row.kind, row.note, by, now, agreeing=True)
    row.state, row.decided_by, row.decided_at, row.absence_id, row.reply = "approved", by.id, now, absence.id, text
    db.session.flush()
    return row


def refuse(request_id: int | None, by, reply, now: datetime) -> AbsenceRequest:
    """The office does not agree, and says why (400 without a reason: the inspector reads it)."""
    row = _waiting(request_id)
    text = clean_text(reply, "理由", REPLY_MAX)
    if not text:
        raise BadRequest("请填写不同意的理由，督查员会看到。", code="reply_required")
    row.state, row.decided_by, row.decided_at, row.reply = "refused", by.id, now, text
    db.session.flush()
    return row


def waiting_requests(first: date | None = None, last: date | None = None,
                     only: int | None = None) -> list[AbsenceRequest]:
    """The office's queue: every request waiting (asking for a day from `first` to `last`; `only`: that person's),
    the oldest first."""
    query = select(AbsenceRequest).where(AbsenceRequest.state == "pending")
    if first is not None and last is not None:
        query = query.where(AbsenceRequest.last_day >= first, AbsenceRequest.first_day <= last)
    if only is not None:
        query = query.where(AbsenceRequest.user_id == only)
    return list(db.session.scalars(query.order_by(AbsenceRequest.asked_at, AbsenceRequest.id)))


# the requests waiting, counted: the office's menu count on 路段巡查 (the state in the SQL, as the menu's others)
WAITING = select(func.count()).select_from(AbsenceRequest).where(AbsenceRequest.state == const("pending"))


def waiting_count() -> int:
    return db.session.scalar(WAITING) or 0


MINE_SHOWN = 30


def requests_of(person, limit: int = MINE_SHOWN) -> list[AbsenceRequest]:
    """The person's requests, the latest asked first."""
    return list(db.session.scalars(select(AbsenceRequest).where(AbsenceRequest.user_id == person.id)
                                   .order_by(AbsenceRequest.asked_at.desc(), AbsenceRequest.id.desc()).limit(limit)))


ANSWERS_SHOWN_DAYS = 3


def recent_answers(person, now: datetime) -> list[AbsenceRequest]:
    """The person's requests the office answered in the last few days, the latest first (the check-in page says
    so: an inspector need not open the request page to learn a refusal, nor that an agreed record was withdrawn:
    AbsenceRequest.withdrawn)."""
    return list(db.session.scalars(select(AbsenceRequest).where(
        AbsenceRequest.user_id == person.id, AbsenceRequest.decided_at >= now - timedelta(days=ANSWERS_SHOWN_DAYS))
        .order_by(AbsenceRequest.decided_at.desc(), AbsenceRequest.id.desc()).limit(3)))


def waiting_days(first: date, last: date, only: int | None = None) -> set[tuple[int, date]]:
    """(user id, day) of the days from `first` to `last` that a request still waiting asks for."""
    return {(row.user_id, day) for row in waiting_requests(first, last, only)
            for day in (row.first_day + timedelta(days=n) for n in range(row.days)) if first <= day <= last}


# ----------------------------------------------------------------------------- reading the records

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


def span_text(row: PatrolAbsence, this_year: int | None = None) -> str:
    """12月1日, or 12月1日至12月3日; with the year when the two differ, or when it is not `this_year` (the reader's:
    in December, leave asked for next June is 2027年6月1日, not a June gone by)."""
    def text(day: date, year: bool) -> str:
        return f"{day.year}年{day.month}月{day.day}日" if year else f"{day.month}月{day.day}日"

    crosses = row.first_day.year != row.last_day.year
    named = crosses or (this_year is not None and row.first_day.year != this_year)
    if row.first_day == row.last_day:
        return text(row.first_day, named)
    return f"{text(row.first_day, named)}至{text(row.last_day, named)}"


@dataclass
class Listed:
    row: PatrolAbsence
    workdays: int        # its working days (调休 and the office's holidays count)
    asked_at: datetime | None = None  # when the inspector asked for it (请假外出申请), if it was agreed from a request

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
    asked = dict(db.session.execute(select(AbsenceRequest.absence_id, AbsenceRequest.asked_at)
                                    .where(AbsenceRequest.absence_id.in_([row.id for row in rows]))).all())
    return [Listed(row, sum(1 for n in range(row.days) if calendar.is_workday(row.first_day + timedelta(days=n))),
                   asked.get(row.id)) for row in rows]
