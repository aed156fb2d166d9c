"""Key tasks (重点任务), the units that carry them (a lead unit, assisting units) and their progress reports."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

# How the national assessment checks a task (测评方法).
METHODS = ("实地考察", "材料审核", "问卷调查", "网上申报")
# open: being worked on; submitted: the lead unit reported it done and the office has not decided; done: 销号.
STATUS_LABELS = {"open": "推进中", "submitted": "待审核", "done": "已完成"}
VERDICT_LABELS = {"accepted": "审核通过", "returned": "退回补充"}


class KeyTask(db.Model):
    """One line of the city's task breakdown (任务分解表): what the assessment checks, who leads, who assists, by
    when, and what counts as done."""
    __tablename__ = "key_tasks"
    __table_args__ = (UniqueConstraint("year", "code", name="uq_key_tasks_year_code"),
                      Index("ix_key_tasks_lead_status", "lead_unit_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str] = mapped_column(String(32))            # 任务编号, the import's key within the year
    indicator: Mapped[str] = mapped_column(String(100))      # 测评项目, e.g. 公共文化设施
    content: Mapped[str] = mapped_column(Text)               # 任务内容
    method: Mapped[str] = mapped_column(String(8))           # METHODS
    standard: Mapped[str] = mapped_column(Text, default="")  # 完成标准及佐证材料
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    due_on: Mapped[date | None] = mapped_column(Date)        # 完成时限; none for a standing (常态长效) task
    # the site type the assessors check it at (农贸市场...): its rounds' results are shown with the task
    site_kind_id: Mapped[int | None] = mapped_column(ForeignKey("site_kinds.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead_unit = relationship("Unit", lazy="joined")
    site_kind = relationship("SiteKind", lazy="joined")
    assists = relationship("KeyTaskAssist", lazy="selectin", cascade="all, delete-orphan",
                           order_by="KeyTaskAssist.unit_id")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def assist_units(self) -> list:
        return [a.unit for a in self.assists]


Index("uq_key_tasks_year_upper_code", KeyTask.year, func.upper(KeyTask.code), unique=True)  # a-12 is A-12 of its year


class KeyTaskAssist(db.Model):
    """An assisting unit (配合单位) of a task."""
    __tablename__ = "key_task_assists"

    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)

    unit = relationship("Unit", lazy="joined")


class KeyTaskReport(db.Model):
    """A unit's report on a task: its progress this month (调度), or, from the lead unit, that it is done with the
    material that proves it (申请销号), which the office accepts or returns."""
    __tablename__ = "key_task_reports"
    __table_args__ = (Index("ix_key_task_reports_task_created", "task_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("key_tasks.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text)
    progress: Mapped[int | None] = mapped_column(Integer)  # 完成进度, percent, as the unit judges it
    claims_done: Mapped[bool] = mapped_column(Boolean, default=False)
    verdict: Mapped[str] = mapped_column(String(10), default="")  # "" | accepted | returned
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")

    task = relationship("KeyTask", lazy="select")
    unit = relationship("Unit", lazy="joined")
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id], lazy="select")
    files = relationship("EscalationFile", lazy="selectin", order_by="EscalationFile.id",
                         primaryjoin="KeyTaskReport.id == foreign(EscalationFile.key_task_report_id)",
                         viewonly=True)

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS.get(self.verdict, "")
