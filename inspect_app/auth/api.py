"""POST /api/v1/auth/token and token revocation."""
from __future__ import annotations

from flask import current_app, jsonify, request

from ..api.common import Unauthorized, api_blueprint, current
from ..common.timeutil import isoformat
from ..extensions import db
from ..http import json_body, now
from ..policy import EVERYONE, public, requires
from . import services

bp = api_blueprint("api_auth", __name__)


@bp.post("/auth/token")
@public
def token():
    body = json_body()
    user = services.login(str(body.get("username") or ""), str(body.get("password") or ""),
                          request.remote_addr or "", now())
    if user is None:
        db.session.commit()  # the edge keeps the failed attempt, although the answer is an error
        raise Unauthorized("用户名或密码错误。", code="invalid_credentials")
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
