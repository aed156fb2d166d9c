"""The office's own holiday entries, which override and extend chinese-calendar."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Holiday(db.Model):
    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "holiday" | "workday" (调休 make-up day)
    name: Mapped[str] = mapped_column(String(40), default="")
