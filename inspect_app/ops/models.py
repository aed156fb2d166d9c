"""The backups' own record: each `flask --app run backup`, made or not, so the office's 待办事项 can say when the
nightly backup stopped or failed (ops/backups.py). A timer that stops is otherwise seen only in `systemctl --failed`."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..common.types import UTCDateTime
from ..extensions import db


class BackupRun(db.Model):
    __tablename__ = "backup_runs"
    __mapper_args__ = {"eager_defaults": False}  # no RETURNING of `kind`, which a database before 0130 lacks

    id: Mapped[int] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    dest: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str] = mapped_column(String(500), default="")  # why it failed, in the command's words
    tickets: Mapped[int | None] = mapped_column(Integer)          # what a backup that was made holds
    files: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(BigInteger)         # the database file and the files, before packing
    # "run": a run of `backup`. "start": the record begins here, on a database upgraded from a release that kept none
    # (migration 0130): the backups made before are not known, so none is counted, and none is said to be missing.
    # The database's default only: this code records a run before init-db has added the column too (a backup taken
    # between deploying the code and init-db).
    kind: Mapped[str] = mapped_column(String(8), server_default="run")
