"""Tickets (问题/案卷), the units answering for each (主办 and 协办 parts), their event log, and extension requests."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.sql import const
from ..common.types import UTCDateTime
from ..extensions import db
from .rules import (DEFAULT_SOURCE, LEVEL_NAMES, PART_ROLE_LABELS, PART_STATUS_LABELS, SOURCES, STATUS_LABELS,
                    is_overdue, is_part_overdue)


ADOPTED = "adopting_unit_id IS NOT NULL"


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        UniqueConstraint("reporter_id", "idempotency_key"),
        Index("ix_tickets_unit_status_deadline", "unit_id", "status", "deadline"),
        Index("ix_tickets_status_deadline", "status", "deadline"),
        Index("ix_tickets_frontage_reported", "frontage_id", "reported_at"),  # 门前四包 history, repeat offenders
        # a category's tickets in one status (the dashboard's 在办 and 超期 by category link to these lists): counted
        # from the index, a page of one status read newest first without sorting (ix_tickets_category_id walked a
        # category's 100,000 tickets of a million for its few open ones)
        Index("ix_tickets_category_status", "category_id", "status"),
        # a category's tickets found within some dates (a 专项整治行动's), and a category's newest first
        Index("ix_tickets_category_reported", "category_id", "reported_at"),
        # a segment's tickets, and its latest find before a moment (路段巡查's 最近巡查)
        Index("ix_tickets_segment_reported", "segment_id", "reported_at"),
        # the problems a unit answers for as its segment's 包抓 unit (the lists' answering_unit_id): few, and none of
        # the tickets on segments nobody adopts
        Index("ix_tickets_adopting_reported", "adopting_unit_id", "reported_at",
              sqlite_where=text(ADOPTED), postgresql_where=text(ADOPTED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # "2026-000123"
    year: Mapped[int]
    seq: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))  # ix_tickets_category_reported
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))  # ix_tickets_segment_reported
    # 包抓: the segment's 包抓 unit when the problem was filed. It answers for the problem (红黑榜's 发现问题, the
    # lists' answering_unit_id, the exports' 包抓单位) though the office gives the segment to another unit later: a
    # move takes effect for the problems found from then on, as a change of 属地 does (a problem keeps its 主办).
    adopting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # ix_tickets_adopting_reported
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)  # an assessment site (点位)
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # an outside source's own time limit (12345 办理时限, a superior's 整改时限): every dispatch keeps within it
    due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    # 门前四包: the frontage (shop, institution) whose duty the problem is, when the category names one
    frontage_id: Mapped[int | None] = mapped_column(ForeignKey("frontages.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))  # what that request said (sha256)
    # Optimistic lock: two people acting on one ticket at once; the second gets a conflict.
    version: Mapped[int] = mapped_column(Integer, default=1)

    category = relationship("Category", lazy="joined")
    unit = relationship("Unit", lazy="joined", foreign_keys=[unit_id])
    segment = relationship("Segment", lazy="joined")
    site = relationship("Site", lazy="select")
    reporter = relationship("User", lazy="joined")
    events = relationship("TicketEvent", order_by="TicketEvent.id", back_populates="ticket",
                          lazy="select", cascade="all, delete-orphan")
    photos = relationship("Photo", order_by="Photo.id", back_populates="ticket",
                          lazy="select", cascade="all, delete-orphan")
    # The open extension request, if any (at most one), for list cards: load with selectinload.
    open_extensions = relationship("ExtensionRequest", viewonly=True, lazy="select",
                                   primaryjoin=lambda: and_(ExtensionRequest.ticket_id == Ticket.id,
                                                            ExtensionRequest.status == const("open")))
    # The units answering for it: the lead (主办, the same unit as `unit`) first, then the assisting ones (协办).
    # Loaded with the ticket (one query for any number of tickets), so an action sees the parts as of the same
    # moment as the ticket and its version check decides a race.
    parts = relationship("TicketUnit", order_by="(TicketUnit.role.desc(), TicketUnit.id)", back_populates="ticket",
                         lazy="selectin", cascade="all, delete-orphan")
    frontage = relationship("Frontage", lazy="select")

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

    @property
    def lead_part(self) -> "TicketUnit | None":
        return next((p for p in self.parts if p.role == "lead"), None)

    @property
    def assist_parts(self) -> list["TicketUnit"]:
        return [p for p in self.parts if p.role == "assist"]

    def part_of(self, unit_id: int | None) -> "TicketUnit | None":
        return next((p for p in self.parts if unit_id is not None and p.unit_id == unit_id), None)


WITHDRAW_OPEN = "withdraw_requested_at IS NOT NULL AND withdraw_decided_at IS NULL"
EXTENSION_OPEN = "extension_requested_at IS NOT NULL AND extension_decided_at IS NULL"


class TicketUnit(db.Model):
    """One unit's part of a ticket: the lead (主办) or an assisting unit (协办), with its own deadline, state and
    photos. The lead part mirrors the ticket (its unit is ticket.unit, its deadline ticket.deadline); an assisting
    part is rectified by its unit on its own, and the lead reports the whole. States change in parts.py only."""
    __tablename__ = "ticket_units"
    __table_args__ = (
        UniqueConstraint("ticket_id", "unit_id"),
        # One lead per ticket, whatever races.
        Index("uq_ticket_units_one_lead", "ticket_id", unique=True,
              sqlite_where=text("role = 'lead'"), postgresql_where=text("role = 'lead'")),
        # A unit's visibility (tickets/policy.ticket_scope: ticket id IN its parts) and its inbox and lists.
        Index("ix_ticket_units_unit_ticket", "unit_id", "ticket_id"),
        # A unit's 协办 parts (红黑榜's charges, the lists' answering_unit_id): few, read without its lead parts.
        Index("ix_ticket_units_assist", "unit_id", "ticket_id", sqlite_where=text("role = 'assist'"),
              postgresql_where=text("role = 'assist'")),
        Index("ix_ticket_units_unit_assigned", "unit_id", "assigned_at"),
        Index("ix_ticket_units_unit_status_deadline", "unit_id", "status", "deadline"),
        Index("ix_ticket_units_status_deadline", "status", "deadline"),
        # The open requests to be taken off (申请退出协办), for the office's work page: a handful of rows.
        Index("ix_ticket_units_withdraw_open", "withdraw_requested_at",
              sqlite_where=text(WITHDRAW_OPEN), postgresql_where=text(WITHDRAW_OPEN)),
        # The open requests for more time on an assisting part (协办申请延期), for the office's work page.
        Index("ix_ticket_units_extension_open", "extension_requested_at",
              sqlite_where=text(EXTENSION_OPEN), postgresql_where=text(EXTENSION_OPEN)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(8))  # rules.PART_ROLES: lead | assist
    status: Mapped[str] = mapped_column(String(12), default="open")  # rules.PART_STATUSES
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")  # the unit's last account of its part
    # An assisting part's own 督办 level (the lead's is ticket.escalation_level) and the assignment its letters
    # are counted in (LetterItem.assignment): the ticket's when the part was added, so a reassignment of the lead
    # does not restart it (escalation/sweep.py, parts.py).
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    assignment: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # An assisting unit's request to be taken off (申请退出协办, parts.request_withdraw): open while requested and
    # not decided; an approved one takes the part off (the row goes), so a decided part is a refused one, with the
    # office's note. One request per part: after a refusal the unit cannot ask again.
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    withdraw_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdraw_note: Mapped[str | None] = mapped_column(Text)
    # An assisting unit's request for more time on its own part (协办申请延期, parts.request_part_extension): open
    # while requested and not decided; decided, extension_approved says how (granted: the part's deadline became
    # extension_until) with the office's note. The last request only (the timeline keeps every one): the unit may
    # ask again once the office has decided.
    extension_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_approved: Mapped[bool | None] = mapped_column(Boolean)
    extension_note: Mapped[str | None] = mapped_column(Text)

    ticket = relationship("Ticket", back_populates="parts")
    unit = relationship("Unit", lazy="joined")
    photos = relationship("Photo", order_by="Photo.id", lazy="select", viewonly=True)

    @property
    def role_label(self) -> str:
        return PART_ROLE_LABELS.get(self.role, self.role)

    @property
    def status_label(self) -> str:
        return PART_STATUS_LABELS.get(self.status, self.status)

    def is_overdue(self, now: datetime) -> bool:
        return is_part_overdue(self.status, self.deadline, self.ticket.status, now)

    @property
    def level(self) -> int:
        """This unit's 督办 level on the ticket: the ticket's for the lead, the part's own for an assisting unit."""
        return self.ticket.escalation_level if self.role == "lead" else (self.escalation_level or 0)

    @property
    def escalation_label(self) -> str:
        return LEVEL_NAMES.get(self.level, "")

    @property
    def withdraw_status(self) -> str | None:
        """None (never asked), "open" (the office has not decided) or "refused" (approved parts are gone)."""
        if self.withdraw_requested_at is None:
            return None
        return "refused" if self.withdraw_decided_at is not None else "open"

    @property
    def extension_status(self) -> str | None:
        """None (never asked), "open" (the office has not decided), "approved" or "refused"."""
        if self.extension_requested_at is None:
            return None
        if self.extension_decided_at is None:
            return "open"
        return "approved" if self.extension_approved else "refused"


DISPUTE_DECIDED = "action = 'reassign' AND from_status = 'disputed'"
# Decisions on a unit's own work that its inbox tells it of (notices/services.py _decisions): 返工, its extension
# requests decided, its 退单 refused (a reassignment; the other reassignments are few and filtered out there), and
# another outside report of its problem merged into the ticket (并案: the same problem reported again), and a 12345
# case of the ticket sent again with more (hotline_followup: 催办, 补充材料).
UNIT_DECISIONS = ("reject", "decide_extension", "decide_part_extension", "reassign", "merge_report",
                  "hotline_followup")
UNIT_DECISIONS_SQL = "action IN ({})".format(", ".join(f"'{a}'" for a in UNIT_DECISIONS))
# An inspector's verifications (核查): closed or sent back, counted by time on the inspectors' work page.
VERIFICATIONS = ("approve", "reject")
VERIFICATIONS_SQL = "action IN ({})".format(", ".join(f"'{a}'" for a in VERIFICATIONS))


class TicketEvent(db.Model):
    __tablename__ = "ticket_events"
    __table_args__ = (
        # The office's decisions on assisting units' requests to be taken off (parts.decide_withdraw): a unit taken
        # off has no part left to find them by, so its inbox reads them by time (notices/services.py).
        Index("ix_ticket_events_withdraw_decided", "at", sqlite_where=text("action = 'decide_withdraw'"),
              postgresql_where=text("action = 'decide_withdraw'")),
        # The office's decisions on 退单 (a reassignment out of disputed): a unit whose 退单 was accepted has no part
        # left either, so its inbox reads these by time too (a handful of rows, not every recent ticket).
        Index("ix_ticket_events_dispute_decided", "at", sqlite_where=text(DISPUTE_DECIDED),
              postgresql_where=text(DISPUTE_DECIDED)),
        # Those decisions by time, for every unit's unread badge: read from the decisions since the clerk last
        # looked (a few hundred a week), not from the unit's parts (all its open and recently due ones).
        Index("ix_ticket_events_unit_decisions", "at", sqlite_where=text(UNIT_DECISIONS_SQL),
              postgresql_where=text(UNIT_DECISIONS_SQL)),
        # Verifications by time, for the inspectors' work page (workload/services.py): a month's few thousand, not
        # every event of the month.
        Index("ix_ticket_events_verifications", "at", sqlite_where=text(VERIFICATIONS_SQL),
              postgresql_where=text(VERIFICATIONS_SQL)),
    )

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
