"""POST /api/v1/auth/token and token revocation."""
from __future__ import annotations

from flask import current_app, jsonify, request

from ..api.common import Unauthorized, api_blueprint, current, json_body, now, public
from ..common.timeutil import isoformat
from ..extensions import db
from . import services

bp = api_blueprint("api_auth", __name__)


@bp.post("/auth/token")
def token():
    body = json_body()
    user = services.login(str(body.get("username") or ""), str(body.get("password") or ""),
                          request.remote_addr or "", now())
    if user is None:
        db.session.commit()  # the failed attempt counts
        raise Unauthorized("用户名或密码错误。", code="invalid_credentials")
    value, row = services.issue_token(user, now(), current_app.config["API_TOKEN_HOURS"])
    db.session.commit()
    return jsonify({
        "token": value,
        "expires_at": isoformat(row.expires_at),
        "user": {"id": user.id, "username": user.username, "role": user.role, "unit_id": user.unit_id},
    })


public("api_auth.token")


@bp.delete("/auth/token")
def revoke():
    services.revoke_token(request.headers["Authorization"].split(" ", 1)[1].strip(), now())
    db.session.commit()
    return "", 204


@bp.get("/auth/me")
def me():
    user = current()
    return jsonify({"id": user.id, "username": user.username, "role": user.role, "unit_id": user.unit_id})
