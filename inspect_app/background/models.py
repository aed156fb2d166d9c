"""The jobs table: one row per background job."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")
STATUS_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_id", "status", "id"),
                      Index("ix_jobs_owner_created", "owner_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # a task name from a feature's tasks.py
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    label: Mapped[str] = mapped_column(String(200), default="")  # what the owner sees, e.g. 问题清单（Excel）
    progress: Mapped[int] = mapped_column(Integer, default=0)  # units done (rows)
    total: Mapped[int | None] = mapped_column(Integer)  # units expected, when known
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    input_key: Mapped[str | None] = mapped_column(String(80))  # an uploaded file the task reads (imports)
    result_key: Mapped[str | None] = mapped_column(String(80))  # the file under <UPLOAD_FOLDER>/jobs/
    result_name: Mapped[str | None] = mapped_column(String(200))  # the download's file name
    result_type: Mapped[str | None] = mapped_column(String(120))  # its content type
    result_size: Mapped[int | None] = mapped_column(Integer)
    # The result holds secrets (initial passwords): it is deleted once it has been shown or downloaded.
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    summary_json: Mapped[str] = mapped_column(Text, default="{}")  # a small result the pages show
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)  # a Chinese message for the owner
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(120))  # host:pid:thread of the runner holding it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the result file is removed then

    owner = relationship("User")

    @property
    def params(self) -> dict:
        return json.loads(self.params_json or "{}")

    @property
    def summary(self) -> dict:
        return json.loads(self.summary_json or "{}")

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        if not self.total:
            return 0
        return max(0, min(99, self.progress * 100 // self.total))

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)
