"""巡查打卡: an inspector was on a road segment at a moment, by the phone's position; 巡查周期: how often each kind of
segment is to be walked; 督查片区: which inspectors answer for walking which district (分片包干); 请假外出登记: the
days an inspector was, by the office's record, not out on the streets."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

PHOTO_STALE_MINUTES = 30  # a check-in photo taken longer before the check-in than this is marked


class Patrol(db.Model):
    __tablename__ = "patrols"
    __table_args__ = (
        Index("ix_patrols_at_segment", "at", "segment_id", "user_id"),  # a period's visits, read from the index
        Index("ix_patrols_user_at", "user_id", "at"),  # an inspector's own today, a repeat check-in
        Index("ix_patrols_segment_at", "segment_id", "at"),  # a segment's latest check-in before a moment
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)  # the phone's own estimate, when it gave one
    distance_m: Mapped[float] = mapped_column(Float)  # from the position to the segment's line, when checked in
    note: Mapped[str] = mapped_column(String(200), default="")
    photo_key: Mapped[str | None] = mapped_column(String(32))  # 打卡照片 (photos/storage.py), when one was sent
    photo_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the camera's time, when it gave one
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 离线打卡: when one kept on the phone arrived

    @property
    def kept_minutes(self) -> int | None:
        """How long a check-in kept on the phone (离线打卡) waited for a connection, when a minute or more."""
        if self.sent_at is None:
            return None
        minutes = int((self.sent_at - self.at).total_seconds() // 60)
        return minutes if minutes >= 1 else None

    @property
    def photo_early_minutes(self) -> int | None:
        """How long before the check-in the photo says it was taken, when that is over PHOTO_STALE_MINUTES (a
        picture from the phone's album rather than the camera); None otherwise."""
        if self.photo_taken_at is None:
            return None
        minutes = int((self.at - self.photo_taken_at).total_seconds() // 60)
        return minutes if minutes > PHOTO_STALE_MINUTES else None

    user = relationship("User", lazy="joined")
    segment = relationship("Segment", lazy="joined")


class PatrolCycle(db.Model):
    """巡查周期: a segment of this kind (Segment.kind: 主次干道, 背街小巷 …) is to be walked at least every `days`
    days; a kind without a row has no rule."""
    __tablename__ = "patrol_cycles"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class PatrolArea(db.Model):
    """督查片区 (分片包干): the inspector answers for walking the active segments of `district` (Segment.district).
    A district may have several inspectors, an inspector several districts."""
    __tablename__ = "patrol_areas"
    __table_args__ = (UniqueConstraint("user_id", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    district: Mapped[str] = mapped_column(String(32))

    user = relationship("User", lazy="joined")


# 请假外出登记: what kept an inspector off the streets; the mark a 巡查月历 day shows instead of 缺
ABSENCE_KINDS = {"leave": "请假", "meeting": "会议培训", "desk": "内业值班", "other": "其他公务"}
ABSENCE_MARKS = {"leave": "假", "meeting": "会", "desk": "内", "other": "公"}


class AbsenceSpan:
    """What a record and a request (below) share, read from their columns first_day, last_day and kind: the kind's
    name and the number of days."""

    @property
    def kind_label(self) -> str:
        return ABSENCE_KINDS.get(self.kind, self.kind)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


class PatrolAbsence(AbsenceSpan, db.Model):
    """请假外出登记: the office records that the inspector was away from field work from `first_day` to `last_day`
    (Shanghai days, both included) and why. 巡查月历 and 巡查日志 then show the reason on a working day without a
    visit, instead of a day unaccounted for. One person's records never overlap."""
    __tablename__ = "patrol_absences"
    __table_args__ = (Index("ix_patrol_absences_user_first", "user_id", "first_day"),
                      Index("ix_patrol_absences_last", "last_day"))  # a month's records: those ending in it or after

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # ABSENCE_KINDS
    note: Mapped[str] = mapped_column(String(100), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    recorder = relationship("User", foreign_keys=[recorded_by])

    @property
    def mark(self) -> str:
        return ABSENCE_MARKS.get(self.kind, "登")


REQUEST_STATES = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}


class AbsenceRequest(AbsenceSpan, db.Model):
    """请假外出申请: an inspector asks the office to record days away from field work (leave to come, or a day gone
    by explained: 内业、开会). The office agrees, which records the PatrolAbsence (`absence_id`), or refuses with a
    reply. A request waiting may be taken back by its inspector (the row goes); a decided one stays as it was."""
    __tablename__ = "patrol_absence_requests"
    __table_args__ = (Index("ix_patrol_absence_requests_state", "state", "asked_at"),  # the office's queue
                      Index("ix_patrol_absence_requests_user", "user_id", "first_day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # ABSENCE_KINDS
    note: Mapped[str] = mapped_column(String(100), default="")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # REQUEST_STATES
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str] = mapped_column(String(100), default="")  # why not (未同意), or a word with the yes
    absence_id: Mapped[int | None] = mapped_column(Integer)  # the record an agreement made (None once withdrawn)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    decider = relationship("User", foreign_keys=[decided_by])

    @property
    def state_label(self) -> str:
        return REQUEST_STATES.get(self.state, self.state)

    @property
    def withdrawn(self) -> bool:
        """Agreed, and the record it made withdrawn since (撤销): its days are unexplained again."""
        return self.state == "approved" and self.absence_id is None
