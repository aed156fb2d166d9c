"""Room left on the server's disks: the upload folder's (photos, letters' and lists' PDFs, exports) and, with
SQLite, the database file's. The office's 待办事项 says when it runs low, before filings start to fail with 503
`storage_failed`. (/healthz does not: it is public, and a load balancer must not take the app out for it.)"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

UPLOADS = "照片文件夹（UPLOAD_FOLDER）"
DATABASE = "数据库文件"
# What a disk running out of room stops, by what it holds (a disk holding both says both): the upload folder takes
# photos and PDFs; SQLite's file takes every write, a sign-in's session too.
EFFECTS = {
    UPLOADS: {"low": "照片、督办函和红黑榜 PDF 即将无法保存（上报会失败）",
              "full": "照片、督办函和红黑榜 PDF 已无法保存，上报会失败"},
    DATABASE: {"low": "数据库即将无法写入（写满后无人能登录，任何保存都会失败）",
               "full": "数据库已无法写入：无人能登录，任何保存都会失败，已登录的人只能查看"},
}
LOW_DISK = "服务器磁盘空间不足：{where}所在的磁盘只剩 {free}，{effects}。请系统管理员清理或扩容磁盘。"
FULL_DISK = "服务器磁盘已满：{where}所在的磁盘只剩 {free}，{effects}。请系统管理员立即清理或扩容磁盘。"
FULL_BELOW_MB = 16  # less than this is full: not one report's photos fit
UNWRITABLE = ("服务器无法写入照片文件夹：{folder} 不允许本服务写入，照片、督办函和红黑榜 PDF 都无法保存（上报会失败）。"
              "请系统管理员确认该文件夹属于运行本服务的用户（chown），且所在磁盘没有以只读方式挂载。")


def watched_folders() -> dict[str, Path]:
    """What is written to, by what the office calls it: the upload folder and, with SQLite, the database's."""
    folders = {UPLOADS: Path(current_app.config["UPLOAD_FOLDER"])}
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folders[DATABASE] = Path(url.database).resolve().parent
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


def device(folder: Path) -> int | None:
    """Which disk (file system) the folder, or its parent while it is not made yet, is on."""
    for candidate in (folder, folder.parent):
        try:
            return os.stat(candidate).st_dev
        except OSError:
            continue
    return None


def lowest() -> tuple[list[str], int] | None:
    """The watched disk with the least room: what it holds (every watched folder on it) and its room in MB; None if
    none could be asked."""
    found = [(name, folder, room) for name, folder in watched_folders().items()
             if (room := free_mb(folder)) is not None]
    if not found:
        return None
    name, folder, room = min(found, key=lambda item: item[2])
    disk = device(folder)
    return [n for n, f, _r in found if n == name or (disk is not None and device(f) == disk)], room


def disk_notice() -> str | None:
    """The office's warning when the upload folder may not be written (made by another user: root, after a
    `sudo flask …`; or a disk mounted read-only), or a watched disk has less than DISK_FREE_WARN_MB left, in
    words of what that disk holds; None otherwise."""
    upload = current_app.config["UPLOAD_FOLDER"]
    if os.path.isdir(upload) and not os.access(upload, os.W_OK | os.X_OK):
        return UNWRITABLE.format(folder=upload)
    found = lowest()
    if found is None:
        return None
    names, room = found
    if room >= current_app.config["DISK_FREE_WARN_MB"]:
        return None
    free = f"{room / 1024:.1f} GB" if room >= 1024 else f"{room} MB"
    level = "full" if room < FULL_BELOW_MB else "low"
    names = [n for n in (DATABASE, UPLOADS) if n in names]  # the database first: what it stops is the wider
    return (FULL_DISK if level == "full" else LOW_DISK).format(
        where="和".join(names), free=free, effects="；".join(EFFECTS[n][level] for n in names))
