"""Errors that services raise; the web and API layers turn them into pages or JSON."""
from __future__ import annotations

import errno

from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout

# The database did not answer: down, restarting, unreachable, out of connections (its own, or none free in this
# process's pool within its wait), or busy past its wait. Pages and the API answer 503
# (http.database_unavailable); a scheduled job tries again (scheduler.RETRY_AFTER).
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)

# The server's disk refused a file: full, over quota, read-only, failing, or the folder not this process's to write.
# Pages and the API answer 503 `storage_failed` with nothing kept; a scheduled job tries again.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EACCES,
                            errno.EPERM})
STORAGE_FAILED = ("storage_failed", "文件未能保存到服务器磁盘（磁盘已满或无法写入），本次操作没有保存，请稍后重试；"
                                    "如持续出现，请联系系统管理员。")


# The database's own disk is full: SQLite's "database or disk is full", PostgreSQL's disk_full. Nobody can sign in
# (a sign-in writes its session); the page says so rather than that the database does not answer.
DATABASE_DISK_FULL = ("storage_failed",
                      "服务器磁盘已满，数据无法写入数据库，本次操作没有保存。请联系系统管理员清理或扩容磁盘。")
_SQLITE_FULL = 13  # sqlite3.SQLITE_FULL
_PG_DISK_FULL = "53100"


def is_storage_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in STORAGE_ERRNOS


def is_database_disk_full(error: BaseException) -> bool:
    """A database error whose cause is the database server's disk (SQLite: the file's) being full: SQLAlchemy's,
    or the driver's own."""
    driver = getattr(error, "orig", error)
    return (getattr(driver, "sqlite_errorcode", None) == _SQLITE_FULL
            or getattr(driver, "sqlstate", None) == _PG_DISK_FULL)


def outage(error: BaseException) -> str | None:
    """What failed, for the log, when `error` is the server's database or disk rather than a bug; None for a bug."""
    if isinstance(error, DATABASE_ERRORS):
        return "the database did not answer"
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


class Conflict(ServiceError):
    status, code = 409, "invalid_status"


class Invalid(ServiceError):
    status, code = 422, "invalid"
