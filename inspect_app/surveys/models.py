"""A questionnaire and its answers."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

STATUSES = {"open": "收集中", "closed": "已结束"}


class Survey(db.Model):
    """One questionnaire. Its questions are frozen once the first answer is in: every answer is a list of option
    numbers, read against them."""
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    intro: Mapped[str] = mapped_column(Text, default="")  # 卷首语, shown above the questions
    code: Mapped[str] = mapped_column(String(16), unique=True)  # the public link's part: /survey/<code>
    # [{"text": ..., "options": [...], "positive": [option numbers]}] (questionnaire.py)
    questions_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")  # STATUSES
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responses_count: Mapped[int] = mapped_column(default=0)  # kept with each answer: the list shows it unjoined

    created_by = relationship("User", lazy="joined")

    @property
    def questions(self) -> list[dict]:
        return json.loads(self.questions_json)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class SurveyResponse(db.Model):
    """One resident's answers: their district and one option number per question ("0,2,1"). The device is a keyed
    digest of the page's cookie (intake/limits.py): one answer per phone, and nobody's identity kept."""
    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "device", name="uq_survey_responses_device"),
                      Index("ix_survey_responses_tally", "survey_id", "district", "answers"))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    district: Mapped[str] = mapped_column(String(32))
    answers: Mapped[str] = mapped_column(String(400))
    device: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))  # keyed digest of the client address
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
