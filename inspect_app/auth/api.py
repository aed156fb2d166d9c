"""POST /api/v1/auth/token and token revocation."""
from __future__ import annotations

from flask import current_app, jsonify, request

from ..api.common import Unauthorized, api_blueprint, current
from ..common.errors import Forbidden
from ..common.text import text_value
from ..common.timeutil import isoformat
from ..extensions import db
from ..http import error_response, json_body, now
from ..policy import EVERYONE, public, requires
from . import services
from .throttle import TooManyAttempts

bp = api_blueprint("api_auth", __name__)


@bp.post("/auth/token")
@public
def token():
    body = json_body()
    # a number or a list is no name (400 invalid_text, as every text field): str() made a login attempt of it
    username, password = text_value(body.get("username"), "用户名"), text_value(body.get("password"), "密码")
    address = request.remote_addr or ""
    try:
        services.count_login_attempt(username, address, now())
    except TooManyAttempts as refused:
        db.session.rollback()
        response, status = error_response(refused.status, refused.code, refused.message)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response, status
    db.session.commit()  # counted before the password is checked, for every process to see
    user = services.check_login(username, password, address, now())
    services.audit_login(user, username, "接口")
    db.session.commit()
    if user is None:
        raise Unauthorized("用户名或密码错误。", code="invalid_credentials")
    if user.must_change_password:
        raise Forbidden("该账号正在使用文明办设置的临时密码，请先登录网页修改密码，再使用接口。",
                        code="password_change_required")
    value, row = services.issue_token(user, now(), current_app.config["API_TOKEN_HOURS"])
    return jsonify({
        "token": value,
        "expires_at": isoformat(row.expires_at),
        "user": {"id": user.id, "username": user.username, "role": user.role, "unit_id": user.unit_id},
    })


@bp.delete("/auth/token")
@requires(EVERYONE)
def revoke():
    services.revoke_token(request.headers["Authorization"].split(" ", 1)[1].strip(), now())
    return "", 204


@bp.get("/auth/me")
@requires(EVERYONE)
def me():
    user = current()
    return jsonify({"id": user.id, "username": user.username, "role": user.role, "unit_id": user.unit_id})
