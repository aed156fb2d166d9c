"""巡查打卡: an inspector was on a road segment at a moment, by the phone's position."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db


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

    user = relationship("User", lazy="joined")
    segment = relationship("Segment", lazy="joined")
