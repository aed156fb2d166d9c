"""Whether the backups run: `flask --app run backup` records each run here, made or not, and the office's
待办事项 says when the last one failed, when none has been made for BACKUP_WARN_HOURS, or when none ever was (or
none since an upgrade from a release that recorded none: BackupRun "start").
Without this a nightly timer that stops is seen only in `systemctl --failed`, which nobody in the office reads."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..boundary import transaction
from ..common.errors import DATABASE_REFUSALS
from ..common.timeutil import fmt
from ..extensions import db
from ..tickets.models import Ticket
from .models import BackupRun

FAILED = "数据备份失败：{when} 的备份没有完成。{detail}{since}"
LAST_GOOD = "上次成功的备份在 {when}。"
NONE_GOOD = "系统还没有一次成功的备份。"
STALE = ("数据备份已停止：最近一次成功的备份在 {when}（{ago}前），此后没有再备份，数据库和照片一旦损坏将无法恢复。"
         "请系统管理员检查夜间备份的定时任务（inspect-backup.timer，见部署文档）。")
NEVER = ("系统还没有做过数据备份：已使用 {ago}，数据库和照片一旦损坏将无法恢复。"
         "请系统管理员按部署文档设置夜间备份（flask --app run backup）。")
# A database upgraded from a release that recorded no backups (BackupRun "start"): what came before is not known.
NONE_GOOD_SINCE = "自 {when} 升级以来还没有一次成功的备份。"
NONE_SINCE = ("升级以来没有做过数据备份：自 {when} 升级到本版本已 {ago}，升级前的备份由旧版本程序所做、没有记录，此后没有"
              "新的备份，数据库和照片一旦损坏将无法恢复。请系统管理员确认夜间备份的定时任务在运行（inspect-backup.timer，"
              "见部署文档）。")


def record(now: datetime, dest: str, manifest: dict | None = None, error: str = "") -> bool:
    """Keep one run: a backup made (its manifest) or not (the error's words). False when the database will not
    take the row (read-only, its disk full, not answering): that does not undo a backup that was made."""
    row = BackupRun(finished_at=now, ok=manifest is not None, dest=str(dest)[:500], detail=error[:500])
    if manifest is not None:
        row.tickets = manifest["database"]["rows"].get("tickets", 0)
        row.files = manifest["files"]["count"]
        row.bytes = manifest["database"]["bytes"] + manifest["files"]["bytes"]
    try:
        with transaction():
            db.session.add(row)
    except DATABASE_REFUSALS:
        return False
    return True


def _ago(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    return f"{hours // 24} 天" if hours >= 48 else f"{hours} 小时"


def backup_notice(now: datetime) -> str | None:
    """What the office's 待办事项 says about the backups; None when the last one was made within
    BACKUP_WARN_HOURS (0: the office is not told, backups are watched some other way)."""
    hours = current_app.config["BACKUP_WARN_HOURS"]
    if not hours:
        return None
    runs = (select(BackupRun).where(BackupRun.kind == "run")
            .order_by(BackupRun.finished_at.desc(), BackupRun.id.desc()).limit(1))
    last = db.session.scalars(runs).first()
    good = last if last is None or last.ok else db.session.scalars(runs.where(BackupRun.ok.is_(True))).first()
    start = db.session.scalar(select(func.max(BackupRun.finished_at)).where(BackupRun.kind == "start"))
    if last is not None and not last.ok:
        since = (LAST_GOOD.format(when=fmt(good.finished_at)) if good else
                 NONE_GOOD_SINCE.format(when=fmt(start)) if start else NONE_GOOD)
        return FAILED.format(when=fmt(last.finished_at), detail=last.detail, since=since)
    window = timedelta(hours=hours)
    if good is not None:
        return STALE.format(when=fmt(good.finished_at), ago=_ago(now - good.finished_at)) \
            if now - good.finished_at > window else None
    if start is not None:  # upgraded from a release that kept no record: counted from the upgrade
        return NONE_SINCE.format(when=fmt(start), ago=_ago(now - start)) if now - start > window else None
    first = db.session.scalar(select(func.min(Ticket.reported_at)))
    return NEVER.format(ago=_ago(now - first)) if first is not None and now - first > window else None
