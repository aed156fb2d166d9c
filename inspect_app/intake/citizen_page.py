"""What the public pages (随手拍, its receipt, the 问卷调查 page) share: the device cookie that stands for one phone,
and responses no cache keeps."""
from __future__ import annotations

import secrets

from flask import current_app, request

DEVICE_COOKIE = "citizen_device"


def device_token() -> tuple[str, bool]:
    """(device token, new): the device cookie's value, or a new one to set."""
    token = request.cookies.get(DEVICE_COOKIE) or ""
    if 20 <= len(token) <= 64 and token.isalnum():
        return token, False
    return secrets.token_hex(16), True


def with_device(response, token: str, new: bool):
    if new:
        config = current_app.config
        response.set_cookie(DEVICE_COOKIE, token, max_age=int(config["CITIZEN_DEVICE_COOKIE_DAYS"]) * 86400,
                            httponly=True, samesite="Lax", secure=bool(config["SESSION_COOKIE_SECURE"]))
    return response


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response
