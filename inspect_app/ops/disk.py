"""Room left on the server's disks: the upload folder's (photos, letters' and lists' PDFs, exports) and, with
SQLite, the database file's. The office's 待办事项 says when it runs low, before filings start to fail with 503
`storage_failed`. (/healthz does not: it is public, and a load balancer must not take the app out for it.)"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

LOW_DISK = ("服务器磁盘空间不足：{where}所在的磁盘只剩 {free}，照片、督办函和红黑榜 PDF 即将无法保存（上报会失败）。"
            "请系统管理员清理或扩容磁盘。")
FULL_DISK = ("服务器磁盘已满：{where}所在的磁盘只剩 {free}，照片、督办函和红黑榜 PDF 已无法保存，上报会失败。"
             "请系统管理员立即清理或扩容磁盘。")
FULL_BELOW_MB = 16  # less than this is full: not one report's photos fit
UNWRITABLE = ("服务器无法写入照片文件夹：{folder} 不允许本服务写入，照片、督办函和红黑榜 PDF 都无法保存（上报会失败）。"
              "请系统管理员确认该文件夹属于运行本服务的用户（chown），且所在磁盘没有以只读方式挂载。")


def watched_folders() -> dict[str, Path]:
    """What is written to, by what the office calls it: the upload folder and, with SQLite, the database's."""
    folders = {"照片文件夹（UPLOAD_FOLDER）": Path(current_app.config["UPLOAD_FOLDER"])}
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folders["数据库文件"] = Path(url.database).resolve().parent
    return folders


def free_mb(folder: Path) -> int | None:
    """Megabytes this process may still write on the folder's disk; None if the folder (or its parent) is not
    there to ask."""
    for candidate in (folder, folder.parent):
        try:
            return shutil.disk_usage(candidate).free // (1024 * 1024)
        except OSError:
            continue
    return None


def lowest() -> tuple[str, int] | None:
    """The watched folder whose disk has the least room, and that room in MB; None if none could be asked."""
    found = [(name, room) for name, folder in watched_folders().items() if (room := free_mb(folder)) is not None]
    return min(found, key=lambda item: item[1]) if found else None  # one disk for both: the upload folder named


def disk_notice() -> str | None:
    """The office's warning when the upload folder may not be written (made by another user: root, after a
    `sudo flask …`; or a disk mounted read-only), or a watched disk has less than DISK_FREE_WARN_MB left; None otherwise."""
    upload = current_app.config["UPLOAD_FOLDER"]
    if os.path.isdir(upload) and not os.access(upload, os.W_OK | os.X_OK):
        return UNWRITABLE.format(folder=upload)
    found = lowest()
    if found is None:
        return None
    name, room = found
    if room >= current_app.config["DISK_FREE_WARN_MB"]:
        return None
    free = f"{room / 1024:.1f} GB" if room >= 1024 else f"{room} MB"
    return (FULL_DISK if room < FULL_BELOW_MB else LOW_DISK).format(where=name, free=free)
