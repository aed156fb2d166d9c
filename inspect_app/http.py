"""HTTP helpers shared by the pages and the API: who wants JSON, the error shape, JSON bodies, redirects after a
form, local `next` targets. Routes stay thin: read input with these, call one operation, answer."""
from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date, datetime
from os import PathLike
from urllib.parse import quote, urlsplit

import orjson
from flask import (Response, current_app, flash, g, has_request_context, jsonify, redirect, render_template, request,
                   send_file, url_for)
from werkzeug.datastructures import MultiDict

from .common.errors import DATABASE_ERRORS, DATABASE_UNAVAILABLE, BadRequest, ServiceError
from .common.flags import flag
from .common.timeutil import iso_day, utcnow

log = logging.getLogger(__name__)

API_PREFIX = "/api/"  # the HTTP API v1: bearer tokens, JSON answers, no session cookie
RETRY_AFTER_SECONDS = 10


class UnsupportedMediaType(ServiceError):
    status, code = 415, "unsupported_media_type"


def is_script() -> bool:
    """A submission from one of our pages' scripts, which wants JSON rather than a redirect."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def form_again(problem: ServiceError, show, passes=(403, 404, 409), message: str | None = None,
               left_out=("csrf_token",)):
    """A person's form refused for what they typed: `show(typed, message)`, the page again with that form as typed
    (a MultiDict: ticked boxes keep their lists; files cannot be kept) and why, at the refusal's status. Nothing is
    kept: the session is rolled back (a file written goes with it, boundary.py). A script hears the error as it is,
    and so does a refusal in `passes` (by default 403, 404, 409: the form is not theirs, or gone; its page says
    why)."""
    if is_script() or problem.status in passes:
        raise problem
    from .extensions import db

    db.session.rollback()
    typed = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k not in left_out])
    return show(typed, problem.message if message is None else message), problem.status


# What to do about a body over MAX_CONTENT_LENGTH (413), by what the route takes: most take photos; an import takes
# one spreadsheet, which fewer or smaller photos would not shrink.
UPLOAD_ADVICE = {"photos": "请减少照片数量或压缩后重试。", "spreadsheet": "请拆分表格后分批导入。"}


def takes_upload(kind: str):
    """Marks a view as taking this kind of upload (UPLOAD_ADVICE); an unmarked view takes photos."""
    def mark(view):
        view.upload_kind = kind
        return view
    return mark


def upload_advice() -> str:
    """The advice of a 413 for the route this request was for (the body is refused before the view runs)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return UPLOAD_ADVICE[getattr(view, "upload_kind", "photos")]


def wants_json() -> bool:
    return request.path.startswith(API_PREFIX) or request.path == "/healthz" or is_script()


def error_response(status: int, code: str, message: str):
    """{"error": {"code", "message"}} for the API and scripts; for a page's form, back to the form with the
    message on top; else an error page."""
    from .boundary import fail_request

    fail_request()
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    if status in (400, 409, 413, 415, 422) and request.method == "POST" and local_url(request.referrer):
        flash(message, "error")
        return redirect(request.referrer, 303)
    try:
        return render_template("error.html", status=status, message=message), status
    except DATABASE_ERRORS as error:  # its menu needs the one signed in and their counts: no database to ask
        log.error("the %s page (%s) needs the database, which does not answer: %s", status, code, error)
        return database_unavailable()


def forget_user() -> None:
    """Answer the rest of this request as to someone not signed in: looking the signed-in user up is a query, and
    the database is not answering (Flask-Login keeps the request's user in g._login_user)."""
    g._login_user = current_app.login_manager.anonymous_user()


def database_unavailable() -> Response:
    """503 with Retry-After, in Chinese, as JSON or as a page that needs nothing from the database (no menu)."""
    return service_unavailable(*DATABASE_UNAVAILABLE)


def service_unavailable(code: str, message: str) -> Response:
    """503 with Retry-After for what stops every request (the database not answering, its schema not upgraded):
    JSON, or a page that asks the database nothing (no menu, the signed-in user not looked up)."""
    from .boundary import fail_request

    fail_request()
    forget_user()
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        response = current_app.make_response(render_template("error.html", status=503, message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def done(url: str):
    """After a successful form: a redirect, or {"redirect": url} for a script."""
    return jsonify({"redirect": url}) if is_script() else redirect(url, 303)


def json_body() -> dict:
    """The request's JSON object; no body at all is {}. A body of another type (a form, multipart, text) is
    refused with 415 rather than guessed at (ASVS 13.1.5): these endpoints speak JSON."""
    if not request.is_json:
        # A form body may already be parsed (by input_guard), leaving no raw data: its type still tells.
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded") \
                or request.get_data(cache=True):
            raise UnsupportedMediaType("请求体应为 JSON（Content-Type: application/json）。")
        return {}
    data = request.get_json(silent=True)
    if data is None:
        if not request.get_data(cache=True):
            return {}
        raise BadRequest("请求体不是有效的 JSON。", code="invalid_json")
    if not isinstance(data, dict):
        raise BadRequest("请求体应为 JSON 对象。", code="invalid_json")
    return data


def form_body():
    """The request's form fields, for an endpoint that takes photos (multipart/form-data; form-urlencoded is read as
    before, and so is no body at all). A body of another type (JSON, text) is refused with 415, as json_body
    refuses a form: read as a form it was empty, and the answer named the first field missing (category_required,
    photos_required)."""
    if request.mimetype not in ("multipart/form-data", "application/x-www-form-urlencoded") \
            and (request.is_json or request.get_data(cache=True)):
        raise UnsupportedMediaType("请求体应为表单（Content-Type: multipart/form-data），照片作为文件随表单上传。")
    return request.form


def local_url(target: str | None) -> str | None:
    """`target` if it is a path on this site (for ?next= and back-to-the-form redirects), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        if parts.netloc != request.host:
            return None
        target = parts.path + (f"?{parts.query}" if parts.query else "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def local_page(target: str | None) -> str | None:
    """`target` if it is a page on this site a browser can open (GET), else None: where to go after the login. A
    form's address (a POST-only route, kept as ?next= when the session expired as the form was sent) would be a 405
    there."""
    target = local_url(target)
    if target is None:
        return None
    path = urlsplit(target).path
    root = request.script_root
    if root:  # served under a prefix: the routes are matched without it
        if path != root and not path.startswith(root + "/"):
            return None
        path = path[len(root):] or "/"
    adapter = current_app.url_map.bind(request.host, script_name=root or None)
    return target if adapter.test(path, method="GET") else None


def json_response(data, status: int = 200):
    """A JSON answer encoded with orjson (several times faster than the json module on a 100-ticket page). For
    plain data (dicts, lists, str, int, float, bool, None): the same JSON as jsonify, in UTF-8 and insertion
    order instead of escaped and sorted."""
    return current_app.response_class(orjson.dumps(data), status=status, mimetype="application/json")


def now() -> datetime:
    """The request's clock, read once at the edge: every operation in one request sees the same moment."""
    if "request_now" not in g:
        g.request_now = utcnow()
    return g.request_now


# how a refusal names a query argument a page's filter sets (the name stays, for the API's callers)
ARG_LABELS = {"from": "开始日期", "to": "结束日期", "page": "页码", "per_page": "每页条数", "unit_id": "责任单位",
              "campaign_id": "专项行动", "site_id": "点位", "site_kind_id": "点位类型", "round_id": "测评轮次",
              "segment_id": "责任路段", "reporter_id": "上报人", "date": "日期",
              "answering_unit_id": "负责单位（主办、协办、包抓）", "due_from": "整改期限开始日期",
              "due_to": "整改期限结束日期", "ranking_entry_id": "红黑榜单位", "ranking_figure": "红黑榜统计项",
              "street_unit_id": "所属街道", "sub_unit": "下属单位"}


def _arg_label(name: str) -> str:
    return f"{ARG_LABELS[name]}（{name}）" if name in ARG_LABELS else f"参数 {name} "


def int_arg(args, name: str, low: int = 1, high: int = 10**9, default: int | None = None) -> int | None:
    """An integer query-string argument in [low, high]; absent gives `default`; anything else answers 400."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{_arg_label(name)}应为整数。", code=f"invalid_{name}") from None
    if not low <= value <= high:
        raise BadRequest(f"{_arg_label(name)}超出范围。", code=f"invalid_{name}")
    return value


def date_arg(args, name: str) -> date | None:
    """A YYYY-MM-DD query-string argument (years 2000-2100); absent gives None; anything else answers 400."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = iso_day(raw)
    except ValueError:
        raise BadRequest(f"{_arg_label(name)}应为日期（YYYY-MM-DD）。", code=f"invalid_{name}") from None
    if not 2000 <= value.year <= 2100:
        raise BadRequest(f"{_arg_label(name)}超出范围。", code=f"invalid_{name}")
    return value


def date_range_args(args, first: str = "from", last: str = "to") -> tuple[date | None, date | None]:
    """The `from` and `to` days of a list's or an export's filter (Shanghai days, both included), or another pair
    named; either may be absent; a bad day or the first after the last answers 400."""
    day_from, day_to = date_arg(args, first), date_arg(args, last)
    if day_from and day_to and day_from > day_to:
        if first == "from":
            raise BadRequest("开始日期不能晚于结束日期。", code="invalid_date_range")
        raise BadRequest(f"{ARG_LABELS.get(first, first)}不能晚于{ARG_LABELS.get(last, last)}。",
                         code=f"invalid_{first.removesuffix('_from')}_range")
    return day_from, day_to


def flag_arg(args, name: str, default: bool = False) -> bool:
    """A yes-or-no query-string (or form) argument, as common/flags.flag reads one: 1/true/yes/on/y or
    0/false/no/off/n in any letter case; absent or blank gives `default`; anything else answers 400 naming it."""
    return flag(args.get(name), name, default, label=_arg_label(name))


def unknown_arg(name: str, value: str, allowed=(), code: str | None = None, label: str | None = None) -> BadRequest:
    """The 400 for a filter argument naming what does not exist (a status, a source, a type, a category): the
    argument and the value in the message, and what it may be when that is a short list. A code mistyped no longer
    answers an empty list, as if nothing of that kind existed."""
    shown = value if len(value) <= 30 else value[:29] + "…"
    what = f"{label}（{name}）" if label else _arg_label(name)
    found = f"不正确，应为：{'、'.join(allowed)}" if allowed else "不存在"
    return BadRequest(f"{what}“{shown}”{found}。", code=code or f"invalid_{name}")


def choice_arg(args, name: str, allowed, code: str | None = None, label: str | None = None) -> str | None:
    """A filter argument that is one of `allowed` (codes); absent or blank gives None; anything else answers 400
    (unknown_arg)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if raw not in allowed:
        raise unknown_arg(name, raw, tuple(allowed), code, label)
    return raw


def past_last_page(page: int, per_page: int, total: int) -> Response | None:
    """A page's list asked for a page past its last (a link kept while rows went, a number typed): the redirect to
    its last page, the other arguments kept; None for a page that is there. It said 暂无 under "第 200 / 151 页".
    (The API answers such a page with no items: a client reads pages until one comes back empty.)"""
    last = max((total + per_page - 1) // per_page, 1)
    if page <= last:
        return None
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    if last > 1:
        args["page"] = str(last)
    return redirect(url_for(request.endpoint, **(request.view_args or {}), **args))


_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}$")
# words of our own file names that a fallback name keeps, in English
_WORDS = ((re.compile(r"第\s*(\d+)\s*版"), r" v\1 "), (re.compile("曝光版"), " exposure "),
          (re.compile("单位版"), " units "), (re.compile("草稿"), " draft "))
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.]+")
_URL_WORD = re.compile(r"[a-z][a-z-]*[a-z]")


def _url_stem() -> str:
    """An English word for a download from its URL's first word: /rankings/5/pdf -> ranking, /api/v1/letters/… ->
    letter; "download" outside a request."""
    if has_request_context():
        for part in request.path.split("/"):
            if part in ("api", "v1") or not _URL_WORD.fullmatch(part):
                continue
            return part[:-1] if part.endswith("s") and not part.endswith("ss") else part
    return "download"


def _ascii_words(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"[-_.]*-[-_.]*", "-", _NOT_NAME.sub("-", text)).strip("-_.")[:100].strip("-_.")


def ascii_filename(filename: str, stem: str = "") -> str:
    """The plain `filename=` of a Content-Disposition, for clients that do not read `filename*`: the name's ASCII
    parts, everything else a "-" between them (a few words of our own names in English: 第2版 v2, 曝光版 exposure,
    单位版 units, 草稿 draft). When the name had no ASCII word (红黑榜-2026-11-第1版, 附件), `stem` goes in front, an
    English word the caller gives (else the URL's: _url_stem): ranking-2026-11-v1.pdf, never "-2026-11-1.pdf" or
    ".pdf"."""
    found = _EXTENSION.search(filename)
    extension = found.group(0).lower() if found else ""
    body = filename[:len(filename) - len(extension)]
    had_word = re.search(r"[A-Za-z]", _ascii_words(body))
    for pattern, english in _WORDS:
        body = pattern.sub(english, body)
    body = _ascii_words(body)
    if not had_word:
        stem = _ascii_words(stem or _url_stem()) or "download"
        body = f"{stem}-{body}" if body else stem
    return body + extension


def content_disposition(kind: str, filename: str, stem: str = "") -> str:
    """`kind` ("inline" or "attachment") with the file's name twice: UTF-8 (RFC 5987: every current browser) and
    ascii_filename's for the rest."""
    return f"{kind}; filename=\"{ascii_filename(filename, stem)}\"; filename*=UTF-8''{utf8_name(filename)}"


def utf8_name(filename: str) -> str:
    """RFC 5987's encoding of a file name: every byte but letters, digits and -._~ escaped (quote() leaves "/", which
    is no attr-char), a path separator in typed text (a survey's title) first made "_", as no file name holds one."""
    return quote(filename.replace("/", "_").replace("\\", "_"), safe="")


def pdf_file(path, filename: str, stem: str = ""):
    """A stored PDF, shown in the browser (pages and the API alike); `stem`: see ascii_filename. Cached only by the
    reader's own browser (`private`: a letter is one unit's, a shared proxy keeps none) and asked again each time
    (a list published again has a new file: 304 while it has not); one built for this request is not kept."""
    response = send_file(path, mimetype="application/pdf", download_name=filename, as_attachment=False)
    response.headers["Content-Disposition"] = content_disposition("inline", filename, stem)
    response.headers["Cache-Control"] = "private, no-cache" if isinstance(path, (str, PathLike)) else "private, no-store"
    return response


def pdf_bytes(data: bytes, ascii_name: str, filename: str) -> Response:
    """A PDF made for this request, shown in the browser and never cached: `filename` (Chinese) for browsers that
    read RFC 5987, `ascii_name` for the rest."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (f"inline; filename=\"{ascii_filename(ascii_name)}\"; "
                                               f"filename*=UTF-8''{utf8_name(filename)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
