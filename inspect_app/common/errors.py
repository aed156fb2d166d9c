"""Errors that services raise; the web and API layers turn them into pages or JSON."""
from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout

# The database did not answer: down, restarting, unreachable, out of connections (its own, or none free in this
# process's pool within its wait), or busy past its wait. Pages and the API answer 503
# (http.database_unavailable); a scheduled job tries again (scheduler.RETRY_AFTER).
DATABASE_ERRORS = (OperationalError, InterfaceError, PoolTimeout)


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
