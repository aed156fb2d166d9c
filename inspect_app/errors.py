"""One place that turns errors into JSON for the API and scripts, and friendly pages for people."""
from __future__ import annotations

import logging
import re

from flask import current_app, request
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .common.errors import (DATABASE_CONFLICT, DATABASE_REFUSALS, DATABASE_UNAVAILABLE, ServiceError,
                            database_answer, is_conflict, is_storage_error, storage_answer)
from .extensions import db
from .http import RETRY_AFTER_SECONDS, database_unavailable, error_response, upload_advice

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "无权访问。"),
    404: ("not_found", "页面或记录不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    409: ("conflict", "操作冲突，请刷新后重试。"),
    413: ("too_large", "上传内容过大（单次上传上限{mb}MB），{advice}"),  # advice: the route's (http.UPLOAD_ADVICE)
    415: ("unsupported_media_type", "不支持的内容类型。"),
    416: ("range_not_satisfiable", "请求的文件范围无效，请重新下载。"),
    422: ("invalid", "提交的内容无效。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "服务器内部错误，请稍后重试。"),
}

# A 413 for a body within MAX_CONTENT_LENGTH: a form with more fields (MAX_FORM_PARTS) or a longer one
# (MAX_FORM_MEMORY_SIZE) than it may have; fewer photos would not help.
FORM_TOO_LARGE = "提交的表单字段过多或内容过长，请检查后重试。"

# A version check that failed (StaleDataError) names the table of the row someone else changed first.
STALE_MESSAGES = {"tickets": "该问题刚被其他人处理过，请刷新后再试。",
                  "letters": "该督办函刚被其他人修改或处理过，请刷新后再试。"}
STALE_MESSAGE = "数据刚被其他人修改过，请刷新后再试。"


def stale_message(error: StaleDataError) -> str:
    """What a person is told when their change lost to another one on the same row, by the row's kind."""
    table = re.search(r"table '(\w+)'", str(error))
    return STALE_MESSAGES.get(table.group(1) if table else "", STALE_MESSAGE)


def _chinese(error: HTTPException) -> str:
    """A code not listed above: the exception's own words if they are Chinese (raised by our code), else a plain
    Chinese line; werkzeug's defaults are English ("The server cannot provide the requested range.")."""
    description = error.description or ""
    if any("\u4e00" <= char <= "\u9fff" for char in description):
        return description
    return f"请求无法处理（HTTP {error.code}）。"


def _record_refusal(message: str) -> None:
    """A 403, or a 404 hiding another unit's record, goes into the 操作日志 (越权访问); a database that cannot
    take it does not change the answer."""
    from .audit.trail import refused

    try:
        refused(message)
    except DATABASE_REFUSALS as error:
        log.warning("refused request not recorded: %s", error)


COOKIES_OFF = ("浏览器没有保存本站的Cookie，表单无法提交。请在浏览器设置中允许本站使用Cookie"
               "（关闭“阻止Cookie”或无痕/隐私模式），然后刷新页面重新填写提交。")


def _csrf_message(error: HTTPException) -> str:
    """A form whose CSRF check failed. When the session token is missing and the browser sent no session cookie at
    all, refreshing cannot help: the browser keeps no cookies (blocked, or a private mode that drops them), so it
    says that instead of 页面已过期 (a citizen on the 随手拍 page otherwise refreshes and fails again)."""
    if "session token is missing" in (error.description or "") and \
            current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return COOKIES_OFF
    return "页面已过期或来源不明，请刷新页面后重新提交。"


def register_error_handlers(app) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        db.session.rollback()
        if error.status == 403:
            _record_refusal(error.message)
        elif getattr(error, "hidden", ""):  # another unit's record, answered as absent: still a probe to record
            _record_refusal(f"{error.hidden}（已按不存在答复）")
        response = app.make_response(error_response(error.status, error.code, error.message))
        response.headers.update(getattr(error, "headers", None) or {})
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(StaleDataError)
    def stale(error):
        db.session.rollback()
        return error_response(409, "concurrent_update", stale_message(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        code, message = HTTP_MESSAGES.get(error.code or 500) or ("error", _chinese(error))
        if error.code == 403:
            _record_refusal(_chinese(error))
        if error.code == 400 and "CSRF" in (error.description or ""):
            code, message = "csrf_failed", _csrf_message(error)
        if error.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            if limit and request.content_length is not None and request.content_length <= limit:
                message = FORM_TOO_LARGE  # within the upload cap: the form's own limits (MAX_FORM_PARTS, ...)
            else:
                message = message.format(mb=limit // (1024 * 1024), advice=upload_advice())
        response = app.make_response(error_response(error.code or 500, code, message))
        for name, value in error.get_headers():  # a 405's Allow, a 429's Retry-After; not its Content-Type
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    def database_error(error):
        """The database is down, restarting, out of connections or busy past its wait: 503 in Chinese, not a 500,
        on a page that needs nothing from the database (no menu, the one signed in not looked up again). When it
        answers but will not write (read-only, its disk full), the 503 page keeps its menu: reads still work. An
        InternalError that is none of these is a bug. A deadlock or a serialization failure is a conflict with
        another person's change at the same moment: 409, to try again, as a version check's."""
        if is_conflict(error):
            db.session.rollback()
            log.warning("conflict on %s %s: %s", request.method, request.path, error)
            return error_response(409, *DATABASE_CONFLICT)
        answer = database_answer(error)
        if answer is None:
            return unexpected(error)
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone already; the pool drops it
            log.debug("rollback after a database error failed", exc_info=True)
        # The driver's error (and the statement) without a traceback: in an outage every request ends here.
        log.error("%s on %s %s: %s", answer[0].replace("_", " "), request.method, request.path, error)
        if answer == DATABASE_UNAVAILABLE:
            return database_unavailable()
        response = app.make_response(error_response(503, *answer))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for error_class in DATABASE_REFUSALS:
        app.register_error_handler(error_class, database_error)

    @app.errorhandler(OSError)
    def os_error(error: OSError):
        """The disk refused a file (full, read-only, failing, not ours to write): 503 with nothing kept, not a 500;
        the transaction rolls back and the boundary removes the files it wrote. Any other OSError is a bug."""
        if not is_storage_error(error):
            return unexpected(error)
        db.session.rollback()
        log.error("storage failed on %s %s: %s", request.method, request.path, error)
        return error_response(503, *storage_answer(error, reading=request.method in ("GET", "HEAD")))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        log.exception("Unhandled error on %s %s", request.method, request.path)
        code, message = HTTP_MESSAGES[500]
        return error_response(500, code, message)
