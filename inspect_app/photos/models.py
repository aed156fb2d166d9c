"""Photo rows; the files live in UPLOAD_FOLDER under a random key."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db


class Photo(db.Model):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"), index=True)
    # The unit's part an "after" photo belongs to (主办 or 协办, tickets.models.TicketUnit); None for "before".
    part_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_units.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "before" | "after"
    key: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket = relationship("Ticket", back_populates="photos")
    event = relationship("TicketEvent")
    part = relationship("TicketUnit")
