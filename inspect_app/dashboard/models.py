"""The dashboard's stored figures, and the indexes its queries read instead of the tickets table.

DashboardSnapshot: computed figures kept in the database (not in a process), so every web process and the scheduler
share them: the whole dashboard for DASHBOARD_CACHE_SECONDS, figures of ended periods and days for
DASHBOARD_SETTLED_SECONDS (they change rarely). The `dashboard.refresh` job recomputes the live one ahead of readers.

Indexes: each dashboard query is a range over one column, grouped by (category, unit, segment). With the grouped
columns in the index, SQLite and PostgreSQL answer from the index alone: at 1,000,000 tickets the four breakdown
queries drop from about 1.3 s to under 0.2 s on SQLite. (The deadline range uses rankings' ix_tickets_deadline_cover.)
Created with the tickets table's metadata, like the indexes escalation and rankings declare for their queries.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..common.types import UTCDateTime
from ..extensions import db
from ..tickets.models import Ticket

GROUPED = (Ticket.category_id, Ticket.unit_id, Ticket.segment_id)

Index("ix_tickets_reported_cover", Ticket.reported_at, *GROUPED)     # new in a month / week
Index("ix_tickets_closed_cover", Ticket.closed_at, *GROUPED)         # closed in a month / week
Index("ix_tickets_open_cover", Ticket.status, Ticket.deadline, Ticket.escalation_level, *GROUPED)  # 在办, 超期


class DashboardSnapshot(db.Model):
    __tablename__ = "dashboard_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)   # "live-2", "month:2026-10", "new:2026-11:2026-11-30"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data_json: Mapped[str] = mapped_column(Text)
