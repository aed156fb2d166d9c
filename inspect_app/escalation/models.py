"""督办: proposals (督办建议), letters (督办函 and the other kinds) with their 主送 units and items, written replies
and their files, 约谈, 问责 referrals, 回头看 re-checks, the office's wording templates, and sweep runs (the webhook
outbox is inspect_app/outbox).

A letter is a draft until a leader signs it (签发); from then on what it says is fixed: the ORM refuses to change
or delete an issued letter's content (`LetterImmutable`), and only what happens to it afterwards — 签收, replies,
销号 and 办结, its PDF being written — may still be recorded.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, case, event,
                        exists, false, func, inspect, literal_column, select, text)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.sql import const, consts
from ..common.timeutil import fmt_cn_date, local
from ..common.types import UTCDateTime
from ..extensions import db
from ..tickets.models import Ticket
from ..tickets.relapse import TicketRelapse  # noqa: F401  (the tickets side's table; escalation reads it)
from ..tickets.rules import MAX_LEVEL  # noqa: F401  (re-exported for the escalation feature)
from ..tickets.rules import days_overdue as whole_days_overdue, overdue_span
from ..outbox.models import OutboxMessage
from ..workdays.notice import WEEKDAYS

# The sweep selects candidates by `status IN (...) AND escalation_level IN (0, 1, 2) AND deadline < now`:
# with this index that is a few index range scans over open, not-yet-top-level, overdue tickets only, however
# many tickets (closed ones, ones due later) the table holds; unit_id makes it covering (no table reads).
# It lives here because only escalation needs it; it is created with the tickets table's metadata.
Index("ix_tickets_status_level_deadline", Ticket.status, Ticket.escalation_level, Ticket.deadline, Ticket.unit_id)

LETTER_STATUSES = {"draft": "草稿", "issued": "已签发", "done": "已办结"}
# kind -> (label, default level, number series). The layout of each kind is pdf.document.KINDS'.
KIND_LABELS = {"supervision": "督办函", "listed": "挂牌督办函", "summons": "约谈通知", "bulletin": "督查通报"}
KIND_LEVELS = {"supervision": 1, "listed": 2, "summons": 3, "bulletin": 1}
LEVEL_KINDS = {1: "supervision", 2: "listed", 3: "summons"}
SERIES = {"supervision": "letter", "listed": "letter", "summons": "letter", "bulletin": "bulletin"}
# what each kind asks of the unit by its reply-by date, as its built-in wording does (settings.py): a 督办函 整改
# and 反馈; a 约谈通知 and a 督查通报 a written account of the rectification (书面报送整改情况)
KIND_ASKS = {"supervision": "整改反馈", "listed": "整改反馈",
             "summons": "书面报送整改情况", "bulletin": "书面报送整改情况"}
ITEM_OUTCOMES = {"cleared": "已销号", "not_cleared": "未销号", "moved": "已移出"}
# An item is settled for its unit once 销号, or once moved on: the unit no longer answers for the problem (a 退单 or
# 改派 gave it to another unit, its 协办 was withdrawn), so nothing is owed on it any more (replies.follow_parts).
SETTLED = ("cleared", "moved")


def letter_step(kind: str | None, level: int | None) -> str:
    """Which count a letter falls in: a 督查通报 names problems without escalating them (whatever its level), so it
    is never 督办; a 约谈通知 (or a letter at level 3) is a summons, level 2 挂牌督办, else 督办 (普通督办)."""
    if kind == "bulletin":
        return "bulletin"
    if kind == "summons" or (level or 0) >= 3:
        return "summons"
    return "listed" if level == 2 else "supervision"


class LetterImmutable(RuntimeError):
    """An issued letter's content cannot change (a programming error, never a user's: the services refuse first)."""


class Letter(db.Model):
    """One letter (督办函, 挂牌督办函, 约谈通知 or 督查通报) to one or several 主送 units.

    A draft has no number, year, seq or issued_at; 签发 takes the next number of its series (gap-free, in the
    signing transaction) and fixes the content. `unit_id` is the first 主送 (kept for the API's `unit` and old
    queries); `recipients` lists them all. `revision` is the optimistic lock: a leader signs the revision they
    read, and two signs at once cannot both pass."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("series", "year", "seq"),
        Index("ix_letters_unit_issued", "unit_id", "issued_at"),
        Index("ix_letters_pdf_pending", "pdf_written_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="issued", index=True)
    kind: Mapped[str] = mapped_column(String(16), default="supervision", server_default="supervision")
    series: Mapped[str] = mapped_column(String(16), default="letter", server_default="letter")
    number: Mapped[str | None] = mapped_column(String(60), unique=True)  # 临江文明督〔2026〕8号; None while a draft
    year: Mapped[int | None]
    seq: Mapped[int | None]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    level: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str | None] = mapped_column(String(300))  # None: the level's built-in wording (older letters)
    body: Mapped[str | None] = mapped_column(Text)  # paragraphs, one a line, with {count} {reply_by} {you} ...
    report_to: Mapped[str | None] = mapped_column(String(300))  # 报 (leaders)
    cc: Mapped[str | None] = mapped_column(String(300))  # 抄送 (organs)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the automatic sweep
    reply_by: Mapped[datetime] = mapped_column(UTCDateTime)
    # The reply-by date left at its default (the level's working days, ESCALATION_LEVEL_DELAYS): counted from 签发,
    # not from the draft, so a draft signed days later still gives the unit its days (compose.reply_by_at). Until
    # then reply_by holds the date as of the draft's last save.
    reply_by_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_sweeps.id"))
    pdf_path: Mapped[str] = mapped_column(String(200), default="")  # relative to UPLOAD_FOLDER
    pdf_written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # A leader's 退回修改 of a draft: set while the draft waits for the office to revise it (the office's next save
    # clears returned_at); the comment stays, so the signer sees what was asked when it comes back.
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_note: Mapped[str | None] = mapped_column(Text)

    unit = relationship("Unit", lazy="joined")
    recipients = relationship("LetterUnit", order_by="LetterUnit.position", back_populates="letter",
                              lazy="selectin", cascade="all, delete-orphan")
    items = relationship("LetterItem", order_by="LetterItem.position", back_populates="letter", lazy="select",
                         cascade="all, delete-orphan")
    replies = relationship("LetterReply", order_by="LetterReply.id", back_populates="letter", lazy="select")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="select")
    signed_by = relationship("User", foreign_keys=[signed_by_id], lazy="select")
    returned_by = relationship("User", foreign_keys=[returned_by_id], lazy="select")

    __mapper_args__ = {"version_id_col": revision}

    @property
    def ticket_ids(self) -> list[int]:
        return [item.ticket_id for item in self.items]

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def status_label(self) -> str:
        return LETTER_STATUSES.get(self.status, self.status)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def reply_days(self) -> int | None:
        """A draft whose reply-by date is left at its default: the working days 签发 will give (None otherwise)."""
        if self.status != "draft" or not self.reply_by_default:
            return None
        from .settings import level_delays

        return level_delays().get(self.level)

    @property
    def family_label(self) -> str:
        """What a group robot calls it: 督办函 (普通 or 挂牌), 约谈通知, 督查通报."""
        return KIND_LABELS["supervision"] if self.kind in ("supervision", "listed") else self.kind_label

    @property
    def ask(self) -> str:
        """What it asks of the unit by its date: 整改反馈, or 书面报送整改情况 (KIND_ASKS)."""
        return KIND_ASKS.get(self.kind, KIND_ASKS["supervision"])

    @property
    def asks(self) -> str:
        """What it asks of the unit by when, in a line: "12月2日前整改反馈" ("" without a date)."""
        if self.reply_by is None:
            return ""
        due = local(self.reply_by)
        return f"{due.month}月{due.day}日前{self.ask}"

    @hybrid_property
    def step(self) -> str:
        """letter_step: supervision | listed | summons | bulletin; in SQL too, for the figures that count letters."""
        return letter_step(self.kind, self.level)

    @step.inplace.expression
    @classmethod
    def _step_expression(cls):
        # written into the SQL, not bound: grouped by, the SELECT's CASE and the GROUP BY's are then the same text
        # (PostgreSQL takes two sets of parameters for two different expressions)
        three, two = literal_column("3", Integer()), literal_column("2", Integer())
        return case((cls.kind == const("bulletin"), const("bulletin")),
                    ((cls.kind == const("summons")) | (cls.level >= three), const("summons")),
                    (cls.level == two, const("listed")), else_=const("supervision"))

    @hybrid_property
    def escalates(self) -> bool:
        """Whether it is a letter of 督办 (督办函, 挂牌督办函, 约谈通知): a 督查通报 raises no level and counts as no
        督办 (rankings, dashboards, a unit's history)."""
        return self.kind != "bulletin"

    @escalates.inplace.expression
    @classmethod
    def _escalates_expression(cls):
        return cls.kind != const("bulletin")

    @property
    def unit_ids(self) -> list[int]:
        return [r.unit_id for r in self.recipients]

    def recipient(self, unit_id) -> LetterUnit | None:
        return next((r for r in self.recipients if r.unit_id == unit_id), None)

    def settled_for(self, unit_id) -> bool:
        """Whether this 主送 unit's part of the letter is settled (已办结 for it): the letter is 办结, or issued with
        every item of the unit's own 销号 (others may still be open; the letter's own status stays). A unit with no
        item of its own follows the letter."""
        if self.status == "done":
            return True
        row = self.recipient(unit_id)
        return self.status == "issued" and row is not None and row.items_cleared

    @property
    def acknowledged_at(self) -> datetime | None:
        """When the last 主送 unit signed for it (None until every one has)."""
        stamps = [r.acknowledged_at for r in self.recipients]
        return max(stamps) if stamps and all(stamps) else None

    @property
    def acknowledged_by(self) -> int | None:
        done = [r for r in self.recipients if r.acknowledged_at]
        if not done or len(done) < len(self.recipients):
            return None
        return max(done, key=lambda r: r.acknowledged_at).acknowledged_by


class LetterUnit(db.Model):
    """A 主送 unit of a letter, with its 签收 and its first written reply."""

    __tablename__ = "letter_units"
    __table_args__ = (UniqueConstraint("letter_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # the unit's name as the letter was issued (its PDF's 主送, built after the commit); None while a draft
    unit_name: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first written reply

    letter = relationship("Letter", back_populates="recipients")
    unit = relationship("Unit", lazy="joined")
    acknowledger = relationship("User", lazy="select")

    def reply_overdue(self, now: datetime) -> bool:
        """逾期未回复 (services.reply_overdue; late_reply in SQL)."""
        letter = self.letter
        return (letter.status == "issued" and self.replied_at is None and letter.reply_by < now
                and not self.items_cleared)

    @hybrid_property
    def items_cleared(self) -> bool:
        """The letter lists problems for this unit and every one is settled (销号, or moved on to another unit):
        its part is settled, whatever the other 主送 units' (Letter.settled_for); it owes no reply any more
        (逾期未回复 reads this in SQL too)."""
        own = [item for item in self.letter.items if item.unit_id == self.unit_id]
        return bool(own) and all(item.settled for item in own)

    @items_cleared.inplace.expression
    @classmethod
    def _items_cleared_expression(cls):
        own = (LetterItem.letter_id == cls.letter_id, LetterItem.unit_id == cls.unit_id)
        return and_(exists(select(LetterItem.id).where(*own)),
                    ~exists(select(LetterItem.id).where(*own, ~LetterItem.settled)))


class LetterItem(db.Model):
    """A ticket listed in a letter. While the letter is a draft only the ticket, its unit and its place in the
    list are kept (the preview reads the ticket as it is now); 签发 copies what the letter says about it
    (number, category, place, dates, days overdue, photo), so the PDF can be rebuilt identically. Unique per
    (ticket, assignment, level) for issued letters (a draft's items have no level yet): a ticket reaches each level
    once per unit it is assigned to (a reassignment starts the new unit at level 0; Ticket.assignment), and each
    unit of a ticket (主办 or 协办, TicketUnit.assignment) has its own levels: (ticket, unit, assignment, level).
    销号: the office's `outcome` for the item; `moved` when its unit left the problem (replies.follow_parts)."""

    __tablename__ = "letter_items"
    __table_args__ = (UniqueConstraint("ticket_id", "unit_id", "assignment", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # the 主送 unit that answers for it
    level: Mapped[int | None] = mapped_column(Integer)  # set at 签发
    assignment: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # Ticket.assignment then
    reply_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the letter's, copied for the sweep's join
    position: Mapped[int] = mapped_column(Integer, default=0)
    ticket_number: Mapped[str] = mapped_column(String(20), default="")
    category_name: Mapped[str] = mapped_column(String(64), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    original_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    days_overdue: Mapped[int] = mapped_column(Integer, default=0)
    photo_key: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(12))  # cleared | not_cleared | moved (ITEM_OUTCOMES)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    clear_note: Mapped[str] = mapped_column(Text, default="")

    letter = relationship("Letter", back_populates="items")
    ticket = relationship("Ticket", lazy="select")
    unit = relationship("Unit", lazy="select")

    @property
    def overdue(self) -> str:
        """How late the problem was at 签发, as the letter prints it (超期时长: '5小时', '34天'); a letter stored
        without the original deadline, the days it recorded."""
        span = overdue_span(self.original_deadline, self.letter.issued_at if self.letter is not None else None)
        return span or (f"{self.days_overdue}天" if self.days_overdue else "")

    @property
    def overdue_days(self) -> int:
        """The whole days of `overdue` (0 within the first day): the one figure of the letter, its page and the
        API (the stored days_overdue of letters issued before counted days begun, one more)."""
        issued = self.letter.issued_at if self.letter is not None else None
        if self.original_deadline is None or issued is None:
            return self.days_overdue or 0
        return whole_days_overdue(self.original_deadline, issued)

    @property
    def outcome_label(self) -> str:
        return ITEM_OUTCOMES.get(self.outcome or "", "待销号")

    @hybrid_property
    def settled(self) -> bool:
        """Nothing is owed on it: 销号, or moved on (SETTLED); 待销号 and 未销号 are not."""
        return self.outcome in SETTLED

    @settled.inplace.expression
    @classmethod
    def _settled_expression(cls):
        return func.coalesce(cls.outcome, const("none")).in_(consts(SETTLED))

    @property
    def reported_back(self) -> bool:
        """Whether the office may 销号 it now (replies.reported_back)."""
        from .replies import reported_back

        return reported_back(self)


class SweepRun(db.Model):
    """One sweep: when it ran, as of which time, and what it wrote. The scheduler's catch-up reads it."""

    __tablename__ = "escalation_sweeps"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    letters: Mapped[int] = mapped_column(Integer, default=0)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    proposals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


OVERDUE_REASON = "超过整改时限"


def overdue_reason(deadline: datetime, now: datetime) -> str:
    """A first-level proposal's reason: how long past which deadline (超过整改时限N小时仍未整改)."""
    due = local(deadline)
    return f"{OVERDUE_REASON}{overdue_span(deadline, now)}仍未整改（整改时限{fmt_cn_date(due.date())}{due:%H:%M}）"


class Proposal(db.Model):
    """督办建议: the sweep found that a ticket has reached `level`; the office decides whether a letter follows.

    Open while `closed_at` is None. It closes as `issued` (its letter was signed), `lapsed` (the ticket was
    rectified, closed, cancelled, reassigned, or its deadline moved) or `dismissed` (the office decided against;
    the sweep does not propose that level for that ticket again). One open proposal per (ticket, unit, level):
    a ticket's lead (主办) and each assisting unit (协办) answer for their own part."""

    __tablename__ = "escalation_proposals"
    __table_args__ = (
        Index("uq_escalation_proposals_open", "ticket_id", "unit_id", "level", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_escalation_proposals_unit_open", "unit_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_sweeps.id"))
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"), index=True)  # the draft it went into
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(12))  # issued | lapsed | dismissed
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_note: Mapped[str] = mapped_column(String(300), default="")

    ticket = relationship("Ticket", lazy="joined")
    unit = relationship("Unit", lazy="joined")
    letter = relationship("Letter", lazy="select")

    def reason_at(self, now: datetime) -> str:
        """The reason as the office reads it now: 超过整改时限… counts the time overdue up to `now` from the deadline
        the unit has now (its own part's, for an assisting unit), not up to the sweep that wrote it."""
        if not self.reason.startswith(OVERDUE_REASON):
            return self.reason  # 经…督办，…前仍未整改到位: facts that do not age
        part = self.ticket.part_of(self.unit_id)
        deadline = part.deadline if part is not None and part.deadline is not None else self.ticket.deadline
        return overdue_reason(deadline, now) if deadline is not None and deadline < now else self.reason


class LetterTemplate(db.Model):
    """The office's wording for one kind of letter (title, body paragraphs, 报, 抄送); without a row the built-in
    wording of settings.py applies. A draft copies it when compiled, so later edits change only later drafts."""

    __tablename__ = "letter_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    report_to: Mapped[str] = mapped_column(String(300), default="")
    cc: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LetterReply(db.Model):
    """A unit's written reply (书面回复) to a letter: text and attached photos or PDFs. A unit may reply again
    (a supplement); the first reply is what "replied in time" reads."""

    __tablename__ = "letter_replies"
    __table_args__ = (Index("ix_letter_replies_letter_unit", "letter_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    letter = relationship("Letter", back_populates="replies")
    unit = relationship("Unit", lazy="joined")
    author = relationship("User", lazy="joined")
    files = relationship("EscalationFile", order_by="EscalationFile.id", lazy="selectin",
                         primaryjoin="EscalationFile.reply_id == LetterReply.id", viewonly=True)


class EscalationFile(db.Model):
    """A file attached to a written answer: a letter's reply, a 约谈 record, or a key task's report (keytasks). A
    photo (stored by the photo store under its random key) or a PDF (stored under a random name in
    UPLOAD_FOLDER/escalation/<year>/). The name the user's file had is kept only to show it."""

    __tablename__ = "escalation_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("letter_replies.id"), index=True)
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id"), index=True)
    key_task_report_id: Mapped[int | None] = mapped_column(ForeignKey("key_task_reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # photo | pdf
    photo_key: Mapped[str | None] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(String(200), default="")  # PDFs, relative to UPLOAD_FOLDER
    name: Mapped[str] = mapped_column(String(120), default="")
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Interview(db.Model):
    """约谈: scheduled (when, where, who attends, who holds it), then held with its record, or cancelled."""

    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(String(100))
    attendees: Mapped[str] = mapped_column(String(500))  # 被约谈: the unit's head and who comes with them
    host: Mapped[str] = mapped_column(String(200), default="")  # 约谈人
    status: Mapped[str] = mapped_column(String(10), default="scheduled")  # scheduled | held | cancelled
    record: Mapped[str] = mapped_column(Text, default="")  # 约谈记录
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit = relationship("Unit", lazy="joined")
    letter = relationship("Letter", lazy="select")
    files = relationship("EscalationFile", order_by="EscalationFile.id", lazy="selectin",
                         primaryjoin="EscalationFile.interview_id == Interview.id", viewonly=True)

    STATUS_LABELS = {"scheduled": "待约谈", "held": "已约谈", "cancelled": "已取消"}

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS.get(self.status, self.status)

    @hybrid_property
    def announced(self) -> bool:
        """Scheduled ahead of its time, so the unit is told of it (and of its cancellation): one entered after it
        took place (the office may record one up to 30 days back) is no news to the unit that attended."""
        return self.scheduled_at > self.created_at

    @property
    def when_label(self) -> str:
        """2026年12月10日（周四）15:00, as the unit is told."""
        moment = local(self.scheduled_at)
        return f"{moment.year}年{moment.month}月{moment.day}日（周{WEEKDAYS[moment.weekday()]}）{moment:%H:%M}"


class Referral(db.Model):
    """问责: the office refers a unit (for a letter's problems) to an organ such as 市纪委监委, and records what
    came of it."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    referred_to: Mapped[str] = mapped_column(String(100))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit = relationship("Unit", lazy="joined")
    letter = relationship("Letter", lazy="select")


class Recheck(db.Model):
    """回头看: a closed item of a letter, checked again on the spot from `due_at` on. Passed, or failed — then
    the problem is filed again as a new ticket (`new_ticket_id`), linked to the old one as a 回潮."""

    __tablename__ = "rechecks"
    __table_args__ = (UniqueConstraint("letter_id", "ticket_id"), Index("ix_rechecks_status_due", "status", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: any inspector
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | passed | failed
    note: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    new_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    letter = relationship("Letter", lazy="select")
    ticket = relationship("Ticket", foreign_keys=[ticket_id], lazy="joined")
    new_ticket = relationship("Ticket", foreign_keys=[new_ticket_id], lazy="select")
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined")
    unit = relationship("Unit", lazy="joined")

    STATUS_LABELS = {"open": "待复查", "passed": "复查通过", "failed": "复查未通过"}

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS.get(self.status, self.status)





# ----------------------------------------------------------------------------- issued letters do not change

ISSUING = "escalation.issuing"  # session.info: ids (id()) of the Letter objects being issued in this transaction
LETTER_FROZEN = ("status", "kind", "series", "number", "year", "seq", "unit_id", "level", "title", "body",
                 "report_to", "cc", "issued_at", "signed_by_id", "reply_by", "reply_by_default", "sweep_id",
                 "created_at", "created_by_id")
ITEM_FROZEN = ("letter_id", "ticket_id", "unit_id", "level", "reply_by", "position", "ticket_number",
               "category_name", "place", "reported_at", "original_deadline", "days_overdue", "photo_key")
RECIPIENT_FROZEN = ("letter_id", "unit_id", "position", "unit_name")


def mark_issuing(letter: Letter) -> None:
    """This transaction issues `letter` (签发, or the automatic sweep): its content may be written until it ends."""
    db.session.info.setdefault(ISSUING, set()).add(id(letter))


def _committed(state, key: str):
    history = state.attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(state.object, key)


def is_frozen(letter: Letter | None) -> bool:
    """Whether what the letter says is fixed (issued before this transaction)."""
    if letter is None or id(letter) in db.session.info.get(ISSUING, ()):
        return False
    state = inspect(letter)
    if state.transient or state.pending:
        return False
    return _committed(state, "status") != "draft"


def _changed(target, keys) -> list[str]:
    state = inspect(target)
    return [key for key in keys if state.attrs[key].history.has_changes()]


@event.listens_for(Letter, "before_update")
def _letter_update(_mapper, _connection, target: Letter) -> None:
    if is_frozen(target):
        changed = _changed(target, LETTER_FROZEN)
        status = inspect(target).attrs.status.history
        if changed == ["status"] and (status.deleted, target.status) in ((["issued"], "done"), (["done"], "issued")):
            return  # 办结, and back when a problem cleared is sent back for rework: the moves an issued letter makes
        if changed:
            raise LetterImmutable(f"letter {target.id} is issued; cannot change {', '.join(changed)}")


@event.listens_for(Letter, "before_delete")
def _letter_delete(_mapper, _connection, target: Letter) -> None:
    if is_frozen(target):
        raise LetterImmutable(f"letter {target.id} is issued and cannot be deleted")


def _child_guard(keys):
    def guard(_mapper, _connection, target) -> None:
        letter = target.letter
        if letter is not None and is_frozen(letter) and _changed(target, keys):
            raise LetterImmutable(f"{type(target).__name__} {target.id} belongs to issued letter {letter.id}")
    return guard


def _child_insert_delete(_mapper, _connection, target) -> None:
    letter = target.letter
    if letter is not None and is_frozen(letter):
        raise LetterImmutable(f"letter {letter.id} is issued: its {type(target).__name__} rows are fixed")


for _model, _keys in ((LetterItem, ITEM_FROZEN), (LetterUnit, RECIPIENT_FROZEN)):
    event.listen(_model, "before_update", _child_guard(_keys))
    event.listen(_model, "before_insert", _child_insert_delete)
    event.listen(_model, "before_delete", _child_insert_delete)


def _forget_issuing(session, *_args) -> None:
    session.info.pop(ISSUING, None)


def _listen_session() -> None:
    for name in ("after_commit", "after_soft_rollback"):
        if not event.contains(db.session, name, _forget_issuing):
            event.listen(db.session, name, _forget_issuing)


_listen_session()


# The webhook outbox moved to inspect_app/outbox (shared with the units' own robots); the old name stays.
Notification = OutboxMessage
