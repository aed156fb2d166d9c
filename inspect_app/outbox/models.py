"""The outbox of robot messages, and each unit's own robot."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db


class OutboxMessage(db.Model):
    """One message for one robot: the office's (unit_id None: WEBHOOK_URL) or a unit's (its UnitRobot). Written in
    the transaction of what it tells; delivered and retried by a job, never by the writer."""
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "sent_at", "failed_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # None: the office's robot
    # letters | proposals | new_work | digest | test | interview
    kind: Mapped[str] = mapped_column(String(16), default="letters")
    payload_json: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # gave up after the last attempt
    last_error: Mapped[str] = mapped_column(Text, default="")

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json)


class UnitRobot(db.Model):
    """A unit's own group robot: where its new tickets, letters and daily digest are posted."""
    __tablename__ = "unit_robots"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200), default="")  # DingTalk 加签 secret, optional
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pushed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # news up to here has been posted
    digest_on: Mapped[date | None] = mapped_column(Date)  # the last day its digest was queued

    unit = relationship("Unit", lazy="joined")

    @property
    def kind_label(self) -> str:
        return "钉钉" if "dingtalk" in (self.url or "") else "企业微信"
