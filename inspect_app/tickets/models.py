"""Tickets (问题/案卷), their event log, and extension requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db
from .rules import DEFAULT_SOURCE, LEVEL_NAMES, SOURCES, STATUS_LABELS, is_overdue


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        UniqueConstraint("reporter_id", "idempotency_key"),
        Index("ix_tickets_unit_status_deadline", "unit_id", "status", "deadline"),
        Index("ix_tickets_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "2026-000123"
    year: Mapped[int]
    seq: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)  # an assessment site (点位)
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # Which assignment the deadline and escalation level belong to: a reassignment to another unit starts the new
    # unit's clock and level afresh (a new number); the old unit's letters keep theirs (LetterItem.assignment).
    assignment: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    source: Mapped[str] = mapped_column(String(20), default=DEFAULT_SOURCE, server_default=DEFAULT_SOURCE,
                                        index=True)  # rules.SOURCES
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))  # what that request said (sha256)
    # Optimistic lock: two people acting on one ticket at once; the second gets a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)

    category = relationship("Category", lazy="joined")
    unit = relationship("Unit", lazy="joined")
    segment = relationship("Segment", lazy="joined")
    site = relationship("Site", lazy="select")
    reporter = relationship("User", lazy="joined")
    events = relationship("TicketEvent", order_by="TicketEvent.id", back_populates="ticket",
                          lazy="select", cascade="all, delete-orphan")
    photos = relationship("Photo", order_by="Photo.id", back_populates="ticket",
                          lazy="select", cascade="all, delete-orphan")
    # The open extension request, if any (at most one), for list cards: load with selectinload.
    open_extensions = relationship("ExtensionRequest", viewonly=True, lazy="select",
                                   primaryjoin="and_(ExtensionRequest.ticket_id == Ticket.id, "
                                               "ExtensionRequest.status == 'open')")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def escalation_label(self) -> str:
        return LEVEL_NAMES.get(self.escalation_level, "")

    def is_overdue(self, now: datetime) -> bool:
        return is_overdue(self.status, self.deadline, now)

    def photos_of(self, kind: str) -> list:
        return [p for p in self.photos if p.kind == kind]


class TicketEvent(db.Model):
    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (scheduler)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data_json: Mapped[str] = mapped_column(Text, default="{}")

    ticket = relationship("Ticket", back_populates="events")
    actor = relationship("User", lazy="joined")
    photos = relationship("Photo", order_by="Photo.id", lazy="select", viewonly=True)


class ExtensionRequest(db.Model):
    __tablename__ = "extension_requests"
    __table_args__ = (
        # One open request per ticket, whatever races: a second one fails at flush.
        Index("uq_extension_requests_one_open", "ticket_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | approved | rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    ticket = relationship("Ticket", lazy="joined")
    requester = relationship("User", foreign_keys=[requested_by], lazy="joined")


# Ticket.photos and TicketEvent.photos name Photo: load it with these models, so code that touches the mappers at
# import time (tickets/queries.py's loader options) works in any import order.
from ..photos import models as _photo_models  # noqa: E402,F401
