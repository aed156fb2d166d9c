"""Letters (督办函), the tickets they list, and sweep runs (the webhook outbox is inspect_app/outbox)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db
from ..tickets.models import Ticket
from ..tickets.rules import MAX_LEVEL  # noqa: F401  (re-exported for the escalation feature)
from ..outbox.models import OutboxMessage

# The sweep selects candidates by `status IN (...) AND escalation_level IN (0, 1, 2) AND deadline < now`:
# with this index that is a few index range scans over open, not-yet-top-level, overdue tickets only, however
# many tickets (closed ones, ones due later) the table holds; unit_id makes it covering (no table reads).
# It lives here because only escalation needs it; it is created with the tickets table's metadata.
Index("ix_tickets_status_level_deadline", Ticket.status, Ticket.escalation_level, Ticket.deadline, Ticket.unit_id)


class Letter(db.Model):
    """One supervision letter to one unit at one level. Written (with its items) in one transaction;
    the PDF follows, and `pdf_written_at` says it exists."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_letters_unit_issued", "unit_id", "issued_at"),
        Index("ix_letters_pdf_pending", "pdf_written_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)  # 临江文明督〔2026〕8号
    year: Mapped[int]
    seq: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    level: Mapped[int] = mapped_column(Integer, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reply_by: Mapped[datetime] = mapped_column(UTCDateTime)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_sweeps.id"))
    pdf_path: Mapped[str] = mapped_column(String(200), default="")  # relative to UPLOAD_FOLDER
    pdf_written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit = relationship("Unit", lazy="joined")
    acknowledger = relationship("User", lazy="select")
    items = relationship("LetterItem", order_by="LetterItem.position", back_populates="letter", lazy="select",
                         cascade="all, delete-orphan")

    @property
    def ticket_ids(self) -> list[int]:
        return [item.ticket_id for item in self.items]


class LetterItem(db.Model):
    """A ticket listed in a letter, with what the letter says about it (kept as issued, so the PDF can
    be rebuilt identically). Unique per (ticket, level): a ticket reaches each level once."""

    __tablename__ = "letter_items"
    __table_args__ = (UniqueConstraint("ticket_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    level: Mapped[int] = mapped_column(Integer)
    reply_by: Mapped[datetime] = mapped_column(UTCDateTime)  # the letter's, copied for the sweep's join
    position: Mapped[int] = mapped_column(Integer, default=0)
    ticket_number: Mapped[str] = mapped_column(String(20))
    category_name: Mapped[str] = mapped_column(String(64), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    original_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    photo_key: Mapped[str | None] = mapped_column(String(32))

    letter = relationship("Letter", back_populates="items")
    ticket = relationship("Ticket", lazy="select")


class SweepRun(db.Model):
    """One sweep: when it ran, as of which time, and what it wrote. The scheduler's catch-up reads it."""

    __tablename__ = "escalation_sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    letters: Mapped[int] = mapped_column(Integer, default=0)
    tickets: Mapped[int] = mapped_column(Integer, default=0)


# The webhook outbox moved to inspect_app/outbox (shared with the units' own robots); the old name stays.
Notification = OutboxMessage
