"""What every API blueprint shares: bearer-token authentication, session cookies ignored, no CSRF.

Routes declare their audience with `policy.requires(...)` like pages do, read the caller with
`policy.current_actor()` and JSON with `http.json_body()`; the clock is read once per request with `http.now()`."""
from __future__ import annotations

from flask import Blueprint, g, request

from ..auth.services import user_for_token
from ..common.errors import ServiceError
from ..extensions import csrf
from ..http import now
from ..policy import is_public


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"

    @property
    def headers(self) -> dict[str, str]:
        """RFC 6750 §3: a 401 names the scheme it wants, and says when a token sent was refused."""
        refused = ', error="invalid_token"' if self.code == "token_invalid" else ""
        return {"WWW-Authenticate": f'Bearer realm="api"{refused}'}


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1 that authenticates by bearer token and ignores session cookies."""
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(bp)

    @bp.before_request
    def _authenticate():
        if is_public(request.endpoint):
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("请先登录：缺少访问令牌（Authorization: Bearer）。", code="token_missing")
        user = user_for_token(token.strip(), now())
        if user is None:
            raise Unauthorized("访问令牌无效或已过期，请重新登录。", code="token_invalid")
        g.api_user = user
        return None

    return bp


def current():
    """The token's user (routes that need one run after _authenticate)."""
    return g.api_user


