"""AuditEntry: one event of the 操作日志. Rows are only ever added: the ORM refuses to change or delete one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..common.types import UTCDateTime
from ..extensions import db


class AuditImmutable(Exception):
    """An audit entry was to be changed or deleted."""


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor", "at"), Index("ix_audit_log_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)   # no foreign key: the entry outlives any row
    actor: Mapped[str] = mapped_column(String(64))          # username (as typed, for a failed sign-in), 命令行, 系统
    address: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16))  # trail.KINDS: login, account, reference, data, access, document…
    action: Mapped[str] = mapped_column(String(16))         # trail.ACTIONS
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    ok: Mapped[bool] = mapped_column(Boolean, default=True)


@event.listens_for(AuditEntry, "before_update")
def _no_update(_mapper, _connection, target: AuditEntry) -> None:
    raise AuditImmutable(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _no_delete(_mapper, _connection, target: AuditEntry) -> None:
    raise AuditImmutable(f"audit entry {target.id} cannot be deleted")
