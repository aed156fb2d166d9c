"""Login sessions kept on the server, so that logging out really ends them.

Flask-Login keeps an id in the signed session cookie (and, with "在本机保持登录", in the remember-me cookie):
`<user id>:<session version>:<token>`. The token is random per login and only its sha256 is stored, one row per
login per browser. A request is logged in only while that row exists and has not expired, and while the account's
session version is unchanged (a password change or reset bumps it). Logging out deletes the row: a copied cookie
of either kind stops working at once, and the user's other devices stay logged in.

The remember-me token is rotated each time it restores a session; the token it replaced stays valid for
REMEMBER_ROTATION_GRACE_SECONDS so that requests racing the rotation (a page and its images) are not refused.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ..extensions import db
from .models import LoginSession, User


@dataclass(frozen=True)
class Found:
    user: User
    session_id: int
    token_hash: str
    by_previous_token: bool  # the cookie holds the token from before the last rotation (grace period)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    if remember:
        return current_app.config["REMEMBER_COOKIE_DURATION"]
    return timedelta(hours=current_app.config["LOGIN_SESSION_HOURS"])


def _cookie_id(user: User, token: str) -> str:
    return f"{user.id}:{user.session_version}:{token}"


def _parse(cookie_id: str | None) -> tuple[int, str, str] | None:
    ident, version, token = ((cookie_id or "").split(":", 2) + ["", ""])[:3]
    if not ident.isdigit() or not version.isdigit() or len(token) < 20:
        return None
    return int(ident), version, token


def start(user: User, now: datetime, remember: bool = False) -> str:
    """A new login for `user`; returns the id to keep in the session as Flask-Login's `_user_id`."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token_hash=_hash(token), remember=remember, created_at=now,
                                expires_at=now + _lifetime(remember)))
    db.session.flush()
    return _cookie_id(user, token)


def find(cookie_id: str | None, now: datetime) -> Found | None:
    """The user a session or remember-me cookie id stands for, or None when it no longer counts."""
    parsed = _parse(cookie_id)
    if parsed is None:
        return None
    ident, version, token = parsed
    hashed = _hash(token)
    row = db.session.execute(  # one query per request: the login and its user
        select(User, LoginSession.id, LoginSession.token_hash, LoginSession.expires_at, LoginSession.rotated_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(User.id == ident, or_(LoginSession.token_hash == hashed, LoginSession.previous_hash == hashed))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    by_previous = row.token_hash != hashed
    if by_previous:
        grace = timedelta(seconds=current_app.config["REMEMBER_ROTATION_GRACE_SECONDS"])
        if row.rotated_at is None or row.rotated_at + grace <= now:
            return None
    user = row.User
    if not user.active or str(user.session_version) != version:
        return None
    return Found(user, row.id, row.token_hash, by_previous)


def rotate(found: Found, now: datetime) -> str | None:
    """Give a remembered login a new token (and a new lifetime); returns the new cookie id, or None when another
    request rotated it first (the caller then keeps the old one, valid for the grace period)."""
    token = secrets.token_urlsafe(32)
    changed = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == found.session_id, LoginSession.token_hash == found.token_hash)
        .values(token_hash=_hash(token), previous_hash=found.token_hash, rotated_at=now,
                expires_at=now + _lifetime(True))).rowcount
    return _cookie_id(found.user, token) if changed == 1 else None


def is_remembered(cookie_id: str | None) -> bool:
    parsed = _parse(cookie_id)
    if parsed is None:
        return False
    return bool(db.session.scalar(select(LoginSession.remember).where(LoginSession.token_hash == _hash(parsed[2]))))


def end(cookie_id: str | None) -> None:
    """Log out this one login (the current token or the one it replaced)."""
    parsed = _parse(cookie_id)
    if parsed is not None:
        hashed = _hash(parsed[2])
        db.session.execute(delete(LoginSession).where(
            or_(LoginSession.token_hash == hashed, LoginSession.previous_hash == hashed)))


def end_all(user: User) -> None:
    """Log the user out everywhere (their sessions would fail the session-version check anyway)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def prune(now: datetime) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
