"""Outside reports waiting for (or past) moderation, their photos, and the counters that keep floods out."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

# An item's source becomes the ticket's (tickets.rules.SOURCES), but for 领导交办: its tickets are leader_assigned,
# as a ticket's leader is 领导督导 (intake/services.TICKET_SOURCES).
INTAKE_SOURCES = {"citizen": "市民随手拍", "hotline": "12345热线", "media": "媒体曝光", "leader": "领导交办",
                  "superior": "上级测评反馈"}
MODERATED = ("citizen", "hotline", "superior")  # wait in the queue (superior: imported lists); entries are tickets
# who reads the reason a report was declined for, and where: a 12345 caller has no receipt code, the hotline hears
DECLINE_READERS = {"citizen": "市民凭回执码可以看到", "hotline": "随办理结果回复12345热线",
                   "superior": "写入反馈清单的整改情况"}
# merged (并案): the same problem is already a ticket, so the item follows that ticket instead of making a second one
STATUSES = {"pending": "待审核", "accepted": "已受理", "merged": "已并案", "declined": "未受理"}
DECIDED = ("accepted", "merged", "declined")


class IntakeItem(db.Model):
    __tablename__ = "intake_items"
    __table_args__ = (
        UniqueConstraint("source", "case_number"),  # a 12345 case number is taken once, however often it comes
        Index("ix_intake_items_status_received", "status", "received_at"),  # the moderation queue, oldest first
        Index("ix_intake_items_device_created", "device_hash", "created_at"),
        Index("ix_intake_items_address_created", "address_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(12))  # INTAKE_SOURCES
    status: Mapped[str] = mapped_column(String(10), default="pending")  # STATUSES
    receipt: Mapped[str | None] = mapped_column(String(16), unique=True)  # a citizen's receipt code
    case_number: Mapped[str | None] = mapped_column(String(64))  # the 12345 hotline's 工单编号
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))  # as the sender chose or mapped
    category_text: Mapped[str] = mapped_column(String(64), default="")  # the sender's own words for it
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(32), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    contact_phone: Mapped[str] = mapped_column(String(32), default="")  # the citizen's or caller's, optional
    reference: Mapped[str] = mapped_column(String(300), default="")  # 媒体: outlet, title, link; 领导: who, what
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the source received it
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the hotline's 办理时限
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_hash: Mapped[str | None] = mapped_column(String(64))  # keyed digests, never the address itself
    address_hash: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # when its 12345 case was last sent again with more (催办, 补充材料) while its problem was open: the caller came
    # back, so the problem is 群众再次反映 as a 并案 makes it (intake/services.follow_up)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the ticket it made (accepted), or the one already open that it was merged into (merged: several items a ticket)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))  # a feedback item's registered 点位

    category = relationship("Category", lazy="joined")
    ticket = relationship("Ticket", lazy="select")
    site = relationship("Site", lazy="select")
    decider = relationship("User", lazy="select")
    photos = relationship("IntakePhoto", order_by="IntakePhoto.id", back_populates="item", lazy="select",
                          cascade="all, delete-orphan")

    @property
    def source_label(self) -> str:
        return INTAKE_SOURCES.get(self.source, self.source)

    @property
    def decline_readers(self) -> str:
        """Who sees a decline's reason, for the form's hint and the flash (DECLINE_READERS)."""
        return DECLINE_READERS.get(self.source, "随来件保存")

    @property
    def case_label(self) -> str:
        """What the source calls its key: a hotline's 工单, a feedback list's 反馈 (item)."""
        return "反馈" if self.source == "superior" else "工单"

    @property
    def due_label(self) -> str:
        """What its own time limit (`due_at`) is called: a superior's 整改时限, the hotline's 办理时限."""
        return "上级整改时限" if self.source == "superior" else "热线办理时限"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class IntakePhoto(db.Model):
    """A photo sent with an outside report, stored like a ticket's (photos/storage.py). Accepting the report
    gives the ticket a photo row naming the same files."""
    __tablename__ = "intake_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_items.id"), index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item = relationship("IntakeItem", back_populates="photos")


class RateCounter(db.Model):
    """Requests counted per (scope, key) in fixed windows; shared by every process through the database."""
    __tablename__ = "rate_counters"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
