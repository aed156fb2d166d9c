"""Passwords, logins and API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..common.errors import Invalid
from ..extensions import db
from . import throttle
from .models import ROLES, ApiToken, User

MIN_PASSWORD_LENGTH = 8


def password_problem(password: str, username: str = "") -> str | None:
    """A Chinese explanation of why a password is too weak, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"密码至少{MIN_PASSWORD_LENGTH}位。"
    kinds = sum(any(test(c) for c in password) for test in (str.isdigit, str.islower, str.isupper))
    kinds += any(not c.isalnum() for c in password)
    if kinds < 2:
        return "密码须包含字母、数字、符号中的至少两类。"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名。"
    return None


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    user = find_user(username)
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def login(username: str, password: str, address: str, now: datetime) -> User | None:
    """authenticate() behind the failed-login throttle (raises TooManyAttempts, status 429).
    The caller commits, also after a failure, so the attempt is counted."""
    throttle.check_allowed(username, address, now)
    user = authenticate(username, password)
    throttle.record(username, address, user is not None, now)
    return user


def create_user(username: str, role: str, password: str, now: datetime, unit=None, display_name: str = "",
                check_strength: bool = True) -> User:
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise Invalid("用户名不能为空，且不超过64个字符。", code="invalid_username")
    if role not in ROLES:
        raise Invalid("角色不正确。", code="invalid_role")
    if role == "unit" and unit is None:
        raise Invalid("责任单位账号必须绑定一个单位。", code="unit_required")
    if find_user(username) is not None:
        raise Invalid("用户名已存在。", code="duplicate_username")
    if check_strength and (problem := password_problem(password, username)):
        raise Invalid(problem, code="weak_password")
    user = User(username=username, role=role, unit=unit if role == "unit" else None,
                display_name=display_name or username, created_at=now)
    user.set_password(password)
    db.session.add(user)
    return user


def change_password(user: User, new_password: str) -> None:
    if problem := password_problem(new_password, user.username):
        raise Invalid(problem, code="weak_password")
    user.set_password(new_password)
    user.must_change_password = False
    user.session_version = (user.session_version or 1) + 1  # logs out other sessions and tokens


def issue_token(user: User, now: datetime, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=ApiToken.hash(token), created_at=now,
                   expires_at=now + timedelta(hours=hours), session_version=user.session_version)
    db.session.add(row)
    return token, row


def user_for_token(token: str, now: datetime) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if not user.active or row.session_version != user.session_version:
        return None
    return user


def revoke_token(token: str, now: datetime) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True
