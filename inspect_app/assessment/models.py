"""The checklist (versioned), rounds, the sites drawn into a round and the answers given there."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.timeutil import fmt_cn_date, fmt_cn_span, local
from ..common.types import UTCDateTime
from ..extensions import db
from ..sites.models import Site
from ..units.models import Unit

# Round kinds (API.md); each is also the `source` of the tickets a round makes (tickets/rules.py SOURCES).
KINDS = {
    "mock_assessment": "模拟测评",
    "undercover": "暗访",
    "spot_check": "随机抽查",
    "leader": "领导督导",
    "joint": "部门联查",
}
ROUND_STATUSES = {"open": "进行中", "closed": "已结束"}
SITE_STATUSES = {"assigned": "待测评", "submitted": "已提交"}
MISSED = "未测评"  # a site still assigned when its round closed: it will never be scored


class ChecklistVersion(db.Model):
    """One version of the whole checklist. Importing makes a new version; rounds keep the one they used."""

    __tablename__ = "checklist_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    full_score: Mapped[float] = mapped_column(Float, default=100.0)  # a site's score: full_score − deductions
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    items = relationship("ChecklistItem", order_by="ChecklistItem.sort_order", back_populates="version",
                         lazy="select")


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("version_id", "code"),
                      Index("ix_checklist_items_version_kind", "version_id", "site_kind_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    site_kind_id: Mapped[int] = mapped_column(ForeignKey("site_kinds.id"))
    code: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(300))
    points: Mapped[float] = mapped_column(Float)  # deducted when the item fails
    answerable_by: Mapped[str] = mapped_column(String(16))  # sites.models.ROLES
    deadline_hours: Mapped[int | None] = mapped_column(Integer)
    deadline_workdays: Mapped[int | None] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))  # the tickets' category
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    version = relationship("ChecklistVersion", back_populates="items")
    site_kind = relationship("SiteKind", lazy="joined")
    category = relationship("Category", lazy="joined")

    @property
    def deadline_rule(self) -> dict:
        if self.deadline_workdays:
            return {"workdays": self.deadline_workdays}
        return {"hours": self.deadline_hours or 24}

    @property
    def deadline_label(self) -> str:
        if self.deadline_workdays:
            return f"{self.deadline_workdays}个工作日"
        return f"{self.deadline_hours or 24}小时"


class Round(db.Model):
    __tablename__ = "assessment_rounds"
    __table_args__ = (UniqueConstraint("bulletin_year", "bulletin_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # KINDS
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="open")  # ROUND_STATUSES
    seed: Mapped[int] = mapped_column(BigInteger)
    draw_json: Mapped[str] = mapped_column(Text, default="{}")  # what was asked: per_kind, per_district, ...
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 督查通报: numbered in its own gap-free series when the office issues it.
    bulletin_year: Mapped[int | None] = mapped_column(Integer)
    bulletin_seq: Mapped[int | None] = mapped_column(Integer)
    bulletin_number: Mapped[str | None] = mapped_column(String(60))
    bulletin_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    checklist_version = relationship("ChecklistVersion", lazy="joined")
    creator = relationship("User", lazy="joined")
    sites = relationship("RoundSite", back_populates="round", order_by="RoundSite.id", lazy="select")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return ROUND_STATUSES.get(self.status, self.status)

    @property
    def draw(self) -> dict:
        return json.loads(self.draw_json or "{}")

    @property
    def dates(self) -> str:
        """When it ran, as the 督查通报 says it (2026年11月14日至11月17日): from its creation to its close (or its
        通报, or its creation while neither came)."""
        start = local(self.created_at).date()
        end = local(self.closed_at or self.bulletin_issued_at or self.created_at).date()
        if end <= start:
            return fmt_cn_date(start)
        span = fmt_cn_span(start, end)
        return span if start.year != end.year else f"{start.year}年{span}"


class RoundSite(db.Model):
    """A site drawn into a round, as it was when drawn, the inspector it is assigned to, and (once submitted) its
    score."""

    __tablename__ = "round_sites"
    __table_args__ = (UniqueConstraint("round_id", "site_id"),
                      Index("ix_round_sites_inspector_status", "inspector_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("assessment_rounds.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # The site as drawn: its checklist (by type), its scores' groups and the 通报 read these, so that editing the
    # site later (another type, district or name) changes later rounds only, not one already drawn or issued.
    site_code: Mapped[str] = mapped_column(String(32))
    site_name: Mapped[str] = mapped_column(String(100))
    site_kind_id: Mapped[int] = mapped_column(ForeignKey("site_kinds.id"))
    district: Mapped[str] = mapped_column(String(32))
    # Its street and address as drawn: the 曝光版 names the place as it was when the round looked at it, not where a
    # site moved to (or was renamed as) since.
    site_street: Mapped[str] = mapped_column(String(64), default="", server_default="")
    site_address: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The units answering for the site in this round (属地, 行业主管, 管理主体), fixed when its scores are submitted
    # (and, for a site never scored, when its round closes): moving the site to another 属地 afterwards changes
    # later rounds only, not the unit scores, the units' views or the 通报 of this one. NULL (all three) while the
    # site waits to be scored: it answers with the site's units as they are now, so a correction during the round
    # applies (responsible_unit_id, answered_by). 撤回 clears them; the next submission fixes them again.
    territorial_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    sector_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    operator_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="assigned")  # SITE_STATUSES
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    score: Mapped[float | None] = mapped_column(Float)
    deducted: Mapped[float | None] = mapped_column(Float)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))  # what the submission said (sha256)

    round = relationship("Round", back_populates="sites")
    site = relationship("Site", lazy="joined")
    site_kind = relationship("SiteKind", lazy="joined")
    inspector = relationship("User", foreign_keys=[inspector_id], lazy="joined")
    results = relationship("Result", back_populates="round_site", order_by="Result.id", lazy="select")

    @classmethod
    def drawn(cls, site, **values) -> RoundSite:
        """`site` drawn into a round, recorded as it is now."""
        return cls(site_id=site.id, site_code=site.code, site_name=site.name, site_kind_id=site.kind_id,
                   district=site.district, site_street=site.street or "", site_address=site.address or "", **values)

    @property
    def units_fixed(self) -> bool:
        return self.territorial_unit_id is not None

    def fix_units(self, site=None) -> None:
        """Record the units answering for the site now as this round's (at its submission)."""
        site = site or self.site
        self.territorial_unit_id, self.sector_unit_id, self.operator_unit_id = (
            site.territorial_unit_id, site.sector_unit_id, site.operator_unit_id)

    def release_units(self) -> None:
        """Answer with the site's units as they are again (its results withdrawn, to be scored anew)."""
        self.territorial_unit_id = self.sector_unit_id = self.operator_unit_id = None

    @property
    def unit_ids(self) -> dict[str, int | None]:
        """{role: unit id} answering for the site in this round: as fixed, else the site's now."""
        if not self.units_fixed:
            return self.site.unit_ids
        return {"territorial": self.territorial_unit_id, "sector": self.sector_unit_id,
                "operator": self.operator_unit_id}

    @property
    def territorial_unit(self):
        """The 属地 answering for the site in this round (a Unit)."""
        if not self.units_fixed:
            return self.site.territorial_unit
        return db.session.get(Unit, self.territorial_unit_id)

    @property
    def missed(self) -> bool:
        return self.status == "assigned" and self.round.status == "closed"

    @property
    def state(self) -> str:
        """The status as pages show it: "missed" for a site its closed round never scored."""
        return "missed" if self.missed else self.status

    @property
    def status_label(self) -> str:
        return MISSED if self.missed else SITE_STATUSES.get(self.status, self.status)


def responsible_unit_id(role: str):
    """SQL (RoundSite and Site joined): the unit answering for the drawn site in `role` in its round: the one fixed
    on the round site once scored (or its round closed), else the site's now."""
    fixed = getattr(RoundSite, f"{role}_unit_id")
    return case((RoundSite.territorial_unit_id.is_not(None), fixed), else_=getattr(Site, f"{role}_unit_id"))


def unit_is(column, units):
    """SQL: `column` is the unit `units` (an id), or one of them (a collection of ids: a 辖区)."""
    if isinstance(units, (set, frozenset, list, tuple)):
        return column.in_(sorted(units))
    return column == units


def answered_by(unit_id):
    """SQL (RoundSite and Site joined): the drawn site is one `unit_id` answers for in its round, in any role (the
    units fixed on it, else the site's now); `unit_id` may be a collection of ids (any of them: a 辖区). Written as
    plain comparisons, so that each can use its index."""
    return or_(unit_is(RoundSite.territorial_unit_id, unit_id), unit_is(RoundSite.sector_unit_id, unit_id),
               unit_is(RoundSite.operator_unit_id, unit_id),
               RoundSite.territorial_unit_id.is_(None) & or_(unit_is(Site.territorial_unit_id, unit_id),
                                                             unit_is(Site.sector_unit_id, unit_id),
                                                             unit_is(Site.operator_unit_id, unit_id)))


class Result(db.Model):
    """One checklist item's answer at one drawn site; a failure links the ticket it became."""

    __tablename__ = "assessment_results"
    __table_args__ = (UniqueConstraint("round_site_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_site_id: Mapped[int] = mapped_column(ForeignKey("round_sites.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"), index=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    deducted: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # who answers for it here
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)

    round_site = relationship("RoundSite", back_populates="results")
    item = relationship("ChecklistItem", lazy="joined")
    ticket = relationship("Ticket")
    unit = relationship("Unit")

    @property
    def charged_unit(self):
        """The unit the finding is charged to now: its ticket's (moved after a 退单), else the one named at
        submission (findings.charged_unit, in SQL)."""
        if self.ticket is not None and self.ticket.unit is not None:
            return self.ticket.unit
        return self.unit
