"""What every API blueprint shares: bearer-token auth, JSON bodies, roles, the clock."""
from __future__ import annotations

from datetime import datetime
from functools import wraps

from flask import Blueprint, g, request

from ..auth.services import user_for_token
from ..common.errors import BadRequest, Forbidden, ServiceError
from ..common.timeutil import utcnow
from ..extensions import csrf

PUBLIC_ENDPOINTS: set[str] = set()


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class UnsupportedMediaType(ServiceError):
    status, code = 415, "unsupported_media_type"


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1 that authenticates by bearer token and ignores session cookies."""
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(bp)

    @bp.before_request
    def _authenticate():
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("请先登录：缺少访问令牌（Authorization: Bearer）。", code="token_missing")
        user = user_for_token(token.strip(), utcnow())
        if user is None:
            raise Unauthorized("访问令牌无效或已过期，请重新登录。", code="token_invalid")
        g.api_user = user
        return None

    return bp


def public(endpoint: str) -> None:
    PUBLIC_ENDPOINTS.add(endpoint)


def current() -> object:
    return g.api_user


def now() -> datetime:
    return utcnow()


def json_body() -> dict:
    """The request's JSON object; no body at all is {}. A body of another type (a form, multipart, text) is
    refused with 415 rather than guessed at (ASVS 13.1.5): these endpoints speak JSON."""
    if not request.is_json:
        # A form body may already be parsed (by input_guard), leaving no raw data: its type still tells.
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded") or request.get_data(cache=True):
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


def roles(*allowed: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.api_user.role not in allowed:
                raise Forbidden("您的角色无权执行此操作。")
            return view(*args, **kwargs)
        return wrapper
    return decorator
