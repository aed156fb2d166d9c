"""Accounts, their login sessions and API tokens, and the failed-login throttle's counters."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..common.types import UTCDateTime
from ..extensions import db
from ..policy import ROLE_LABELS, ROLES  # noqa: F401  (the account vocabulary, defined once)



class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on password change: sessions and tokens issued before it stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit = relationship("Unit", lazy="joined")
    last_sign_in = relationship("LastSignIn", uselist=False, lazy="select", viewonly=True)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def name(self) -> str:
        return self.display_name or self.username


# Names are compared without letter case (auth/names.py): the database refuses qbrace00 beside QBRACE00 too, so two
# accounts created at the same moment cannot both pass refuse_username_taken. lower(), as find_user looks names up.
Index("uq_users_lower_username", func.lower(User.username), unique=True)


def _hash_method() -> str:
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


_DUMMY_HASHES: dict[str, str] = {}


def check_against_dummy(password: str) -> bool:
    """Spend what checking a real account's password costs, and fail: used for unknown and disabled accounts,
    so the time a login takes does not tell whether a username exists."""
    method = _hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    check_password_hash(_DUMMY_HASHES[method], password)
    return False


class LastSignIn(db.Model):
    """When an account last signed in (a page or an API token), for the accounts page, which names accounts
    unused for long. A table of its own, not a column of users: a sign-in then changes no user row (the API token
    cache stays), and each request's user is loaded as before."""

    __tablename__ = "last_sign_ins"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginSession(db.Model):
    """One login on one browser. The session (and remember-me) cookie carries a random token whose hash is kept
    here; logging out deletes the row, so a copy of either cookie stops working while other devices stay in."""
    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the token in the cookie
    # The token before the last rotation of the remember-me cookie, still accepted for a short grace period.
    previous_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LoginThrottle(db.Model):
    """Failed-login counters, shared by every process through the database. scope "account": one account from
    one address (username set); scope "address": one address over all accounts (username empty). `version` is
    bumped by every change, so concurrent requests update a row one at a time (compare and swap)."""
    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # attempts counted since the last reset
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256; the token itself is never stored
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(default=1)

    user = relationship("User", lazy="joined")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
