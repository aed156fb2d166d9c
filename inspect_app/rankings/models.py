"""Published 红黑榜 snapshots and the office's scoring rules.

A published list is immutable: the figures, reasons, formula, typical cases and the ticket ids behind every
figure are copied into these rows when it is published, and the ORM refuses to change or delete them later.
Publishing the same period again adds a new version.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db
from ..tickets.models import Ticket

# Rankings (and the dashboard's 按期结案率 by unit, category and district) count tickets by deadline range. With
# every column those GROUP BYs touch in the index, each is one index range scan that never reads the table rows
# (2.5x faster than a deadline-only index at 200,000 tickets on SQLite, 5x at 1,000,000). Lives here because
# rankings need it; it is created with the tickets table's metadata, like escalation's index.
Index("ix_tickets_deadline_cover", Ticket.deadline, Ticket.unit_id, Ticket.status, Ticket.escalation_level,
      Ticket.rectified_at, Ticket.closed_at, Ticket.rework_count, Ticket.extension_count, Ticket.category_id,
      Ticket.segment_id)
# Problems found in a period: GROUP BY unit, source over a reported_at range, read from the index alone; by 主办,
# by the 包抓 unit recorded on the ticket, and the 协办 parts, which SQLite reads by walking this range (without
# adopting_unit_id here it read the month's table rows instead: 10 ms became 217 ms at 1 M tickets).
Index("ix_tickets_reported_unit_source", Ticket.reported_at, Ticket.unit_id, Ticket.source, Ticket.status,
      Ticket.segment_id, Ticket.adopting_unit_id)
# The period's reports a list leaves out (counts.left_out: 作废, and 尚未交办: no unit yet), a few hundred of a month's
# tens of thousands: read from this partial index alone (0.2 ms at 1 M tickets), not the month's whole range of the
# index above (8-11 ms). Written as one `(... OR ...) IS TRUE` term so that SQLite, with no statistics, takes this
# index and does not answer the OR from two other indexes instead (39 ms); the query repeats it word for word.
LEFT_OUT = "(status = 'cancelled' OR unit_id IS NULL) IS TRUE"
Index("ix_tickets_left_out", Ticket.reported_at, Ticket.status, Ticket.unit_id,
      sqlite_where=text(LEFT_OUT), postgresql_where=text(LEFT_OUT))


class RankingScheme(db.Model):
    """A scoring scheme (schemes.py) as the office keeps it: a JSON document; exactly one is in force."""

    __tablename__ = "ranking_schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    document_json: Mapped[str] = mapped_column(Text)
    in_force: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def document(self) -> dict:
        return json.loads(self.document_json)


class RankingGroup(db.Model):
    """A comparison group (市直部门, 区县, 街道/乡镇, 企业): its units are ranked against each other, with its own
    red and black list sizes. Units join by kind (`unit_kinds`, "、"-separated) unless placed by hand.
    `territorial` (按辖区（属地）汇总): each unit of the group is counted over its territory — itself and every unit
    under it, and the problems on its ground (counts.py) — as a city ranks its 区县. `scheme_code`: the group is
    scored under that scheme rather than the one in force (a district's hundreds of problems a month would take a
    street's per-problem deductions to 0)."""

    __tablename__ = "ranking_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    unit_kinds: Mapped[str] = mapped_column(String(100), default="")
    red_size: Mapped[int] = mapped_column(Integer, default=3)
    red_floor: Mapped[float] = mapped_column(Float, default=90.0)
    black_size: Mapped[int] = mapped_column(Integer, default=3)
    black_below: Mapped[float] = mapped_column(Float, default=100.0)
    territorial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the group's own scoring scheme (a RankingScheme's code, or a shipped scheme's), else None: the one in force
    scheme_code: Mapped[str | None] = mapped_column(String(32))

    @property
    def kinds(self) -> list[str]:
        return [k for k in (self.unit_kinds or "").split("、") if k]


class RankingGroupMember(db.Model):
    """A unit placed in a group by hand (else its kind decides)."""

    __tablename__ = "ranking_group_members"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("ranking_groups.id"), index=True)


class Ranking(db.Model):
    __tablename__ = "rankings"
    __table_args__ = (
        UniqueConstraint("period", "version"),
        # A scheduled publication happens once per period and schedule; manual ones (NULL slot) repeat freely.
        UniqueConstraint("period", "schedule_slot"),
        UniqueConstraint("number_year", "number_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(10), index=True)     # "2026-11" | "2026-W48"
    kind: Mapped[str] = mapped_column(String(8))                     # "month" | "week"
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    schedule_slot: Mapped[str | None] = mapped_column(String(16))   # "monthly" | "weekly" | None (by hand)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)             # the moment the figures describe
    office: Mapped[str] = mapped_column(String(100))
    rules_json: Mapped[str] = mapped_column(Text)                    # {"scheme": {...}, "groups": [...]}
    # The 通报's own 文号 series (RANKINGS_NUMBER_PREFIX): 临江文明榜〔2026〕3号, taken at publication, gap-free.
    number: Mapped[str | None] = mapped_column(String(60), unique=True)
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_seq: Mapped[int | None] = mapped_column(Integer)
    formula_text: Mapped[str] = mapped_column(Text)
    cases_json: Mapped[str] = mapped_column(Text, default="[]")
    summary_json: Mapped[str] = mapped_column(Text, default="{}")

    entries = relationship("RankingEntry", order_by="RankingEntry.position", back_populates="ranking",
                           lazy="select")
    published_by = relationship("User", lazy="joined")

    @property
    def rules(self) -> dict:
        return json.loads(self.rules_json)

    @property
    def cases(self) -> list[dict]:
        return json.loads(self.cases_json or "[]")

    @property
    def summary(self) -> dict:
        return json.loads(self.summary_json or "{}")


class RankingEntry(db.Model):
    __tablename__ = "ranking_entries"
    __table_args__ = (UniqueConstraint("ranking_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(ForeignKey("rankings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)           # order in the published list
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    unit_code: Mapped[str] = mapped_column(String(32))       # as they were at publication
    unit_name: Mapped[str] = mapped_column(String(100))
    unit_kind: Mapped[str] = mapped_column(String(16), default="")
    group_name: Mapped[str] = mapped_column(String(32), default="", server_default="")  # the comparison group
    rank: Mapped[int | None] = mapped_column(Integer)        # within the group; None: not ranked
    list_name: Mapped[str | None] = mapped_column(String(8))  # "red" | "black" | None
    insufficient: Mapped[bool] = mapped_column(Boolean, default=False)  # not ranked (see scoring.rank_groups)
    score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    figures_json: Mapped[str] = mapped_column(Text)
    ticket_ids_json: Mapped[str] = mapped_column(Text, default="{}")

    ranking = relationship("Ranking", back_populates="entries")

    @property
    def figures(self) -> dict:
        return json.loads(self.figures_json)

    @property
    def ticket_ids(self) -> dict[str, list[int]]:
        return json.loads(self.ticket_ids_json or "{}")


class SnapshotImmutable(RuntimeError):
    pass


def _refuse(mapper, connection, target) -> None:
    raise SnapshotImmutable(f"{type(target).__name__} {target.id} is a published snapshot and cannot change")


for _model in (Ranking, RankingEntry):
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)
