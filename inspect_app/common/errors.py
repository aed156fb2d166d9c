"""Errors that services raise; the web and API layers turn them into pages or JSON."""
from __future__ import annotations

import errno
import os

from sqlalchemy.exc import InterfaceError, InternalError, OperationalError, TimeoutError as PoolTimeout

# The database did not answer: down, restarting, unreachable, out of connections (its own, or none free in this
# process's pool within its wait), or busy past its wait. Pages and the API answer 503
# (http.database_unavailable); a scheduled job tries again (scheduler.RETRY_AFTER).
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)
DATABASE_UNAVAILABLE = ("database_unavailable", "数据库暂时无法访问，请稍后重试。如持续出现，请联系系统管理员。")
# The database answers but will not write, which the person is told rather than that it does not answer. Its own
# disk is full (SQLite's "database or disk is full", PostgreSQL's disk_full): nobody can sign in then, since a
# sign-in writes its session. Or it is read-only: a PostgreSQL standby during a fail-over, a server put in
# default_transaction_read_only for maintenance, an SQLite file or folder the service may not write.
DATABASE_DISK_FULL = ("storage_failed",
                      "服务器磁盘已满，数据无法写入数据库，本次操作没有保存。请联系系统管理员清理或扩容磁盘。")
DATABASE_READ_ONLY = ("database_read_only", "数据库当前只能读取、不能写入（可能正在主备切换或维护），本次操作没有保存，"
                                            "请稍后重试；如持续出现，请联系系统管理员。")
# Every database error that may be one of these states: PostgreSQL's read_only_sql_transaction is an InternalError
# (database_answer tells it from a bug).
DATABASE_REFUSALS = (*DATABASE_ERRORS, InternalError)
_SQLITE_FULL, _SQLITE_READONLY = 13, 8  # sqlite3.SQLITE_FULL, SQLITE_READONLY (the primary codes)
_PG_DISK_FULL, _PG_READ_ONLY = "53100", "25006"  # disk_full, read_only_sql_transaction

# The server's disk refused a file: full, over quota, read-only, failing, the folder not this process's to write, or
# a shared upload folder's NFS mount gone stale. Pages and the API answer 503 `storage_failed` with nothing kept; a
# scheduled job tries again.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EACCES,
                            errno.EPERM, errno.ESTALE})
STORAGE_FAILED = ("storage_failed", "文件未能保存到服务器磁盘（磁盘已满或无法写入），本次操作没有保存，请稍后重试；"
                                    "如持续出现，请联系系统管理员。")


# ... or would not give back a file it holds (the file not readable by the service, a failing disk, a stale mount):
# the same answer, in words that do not say something was being saved.
STORAGE_UNREADABLE = ("storage_failed", "文件暂时无法从服务器磁盘读取（文件不可读或磁盘故障），请稍后重试；"
                                        "如持续出现，请联系系统管理员。")
_READ_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EIO, errno.ESTALE})


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in STORAGE_ERRNOS


def storage_answer(error: OSError, reading: bool) -> tuple[str, str]:
    """STORAGE_UNREADABLE when a request that only reads (`reading`) failed on a file that is there, else
    STORAGE_FAILED (a file being written: a photo, a PDF made on first reading, an export)."""
    if reading and error.errno in _READ_ERRNOS and error.filename and os.path.isfile(error.filename):
        return STORAGE_UNREADABLE
    return STORAGE_FAILED


def database_answer(error: BaseException) -> tuple[str, str] | None:
    """(code, message) for a database error that is the server's state, not a bug: its disk full, read-only, or
    not answering; None for any other error. `error` is SQLAlchemy's or the driver's own."""
    driver = getattr(error, "orig", error)
    sqlite = getattr(driver, "sqlite_errorcode", None)
    sqlite = sqlite & 0xFF if isinstance(sqlite, int) else None  # an extended code carries the primary one
    sqlstate = getattr(driver, "sqlstate", None)
    if sqlite == _SQLITE_FULL or sqlstate == _PG_DISK_FULL:
        return DATABASE_DISK_FULL
    if sqlite == _SQLITE_READONLY or sqlstate == _PG_READ_ONLY:
        return DATABASE_READ_ONLY
    return DATABASE_UNAVAILABLE if isinstance(error, DATABASE_ERRORS) else None


# Two transactions waited for each other (PostgreSQL's deadlock_detected: it ends one of them) or one read what the
# other has since changed (serialization_failure; SQLite's SQLITE_BUSY_SNAPSHOT, a transaction that read an older
# snapshot can no longer write): the database answers, the other person's change was kept and this one was not.
# Pages and the API answer 409 (a conflict, as a version check's), not 503 as if the database were down.
DATABASE_CONFLICT = ("concurrent_update", "其他人正在同时处理相同的数据，本次操作没有保存，请刷新后重试。")
_PG_CONFLICTS = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
_SQLITE_BUSY_SNAPSHOT = 517


def is_conflict(error: BaseException) -> bool:
    """A deadlock or a serialization failure: this transaction lost to another one running at the same time."""
    driver = getattr(error, "orig", error)
    return (getattr(driver, "sqlstate", None) in _PG_CONFLICTS
            or getattr(driver, "sqlite_errorcode", None) == _SQLITE_BUSY_SNAPSHOT)


def will_not_write(error: BaseException) -> bool:
    """The database answers but will not write: its disk is full, or it is read-only."""
    return database_answer(error) in (DATABASE_DISK_FULL, DATABASE_READ_ONLY)


def outage(error: BaseException) -> str | None:
    """What failed, for the log, when `error` is the server's database or disk rather than a bug; None for a bug."""
    answer = database_answer(error)
    if answer is not None:
        return {DATABASE_DISK_FULL: "the database's disk is full",
                DATABASE_READ_ONLY: "the database is read-only"}.get(answer, "the database did not answer")
    return "the disk refused a file" if is_storage_error(error) else None


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"

    def __init__(self, message: str, code: str | None = None, status: int | None = None, hidden: str = ""):
        super().__init__(message, code, status)
        # what exists but was hidden from this user, answered as absent so ids cannot be probed; the 操作日志
        # records it (越权访问), never the answer
        self.hidden = hidden


class Conflict(ServiceError):
    status, code = 409, "invalid_status"


class Invalid(ServiceError):
    status, code = 422, "invalid"
