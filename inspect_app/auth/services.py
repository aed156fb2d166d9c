"""Passwords, logins and API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import delete, func, or_, select

from ..common.errors import Invalid
from ..common.sql import insert_on_conflict
from ..extensions import db
from . import sessions, throttle, token_cache
from .models import ROLES, ApiToken, LastSignIn, User, check_against_dummy
from .names import normal_username, username_key, username_problem

MIN_PASSWORD_LENGTH = 8
DATA = Path(__file__).parent / "data"
EXPIRED_TOKENS_KEPT = timedelta(days=1)


@cache
def refused_passwords() -> frozenset[str]:
    """Common passwords (data/common-passwords.txt, see data/SOURCES.md) and this site's own (the demo password)."""
    words = set((DATA / "common-passwords.txt").read_text(encoding="utf-8").splitlines())
    words.update(line.strip() for line in (DATA / "local-passwords.txt").read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#"))
    return frozenset(word.lower() for word in words if word)


def password_problem(password: str, username: str = "") -> str | None:
    """A Chinese explanation of why a password is too weak, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"密码至少{MIN_PASSWORD_LENGTH}位。"
    # the rule as the pages state it (字母、数字、符号中两类): capitals are letters too, so Wenmingban is one kind
    kinds = sum(any(test(c) for c in password) for test in (str.isalpha, str.isdigit, _is_symbol))
    if kinds < 2:
        return "密码须包含字母、数字、符号中的至少两类。"
    if username and username.lower() in password.lower():
        return "密码不能包含用户名。"
    if password.lower() in refused_passwords():
        return "这个密码太常见，很容易被猜中，请换一个不常见的密码。"
    return None


def _is_symbol(char: str) -> bool:
    return not char.isalnum()


def find_user(username: str) -> User | None:
    """The account of this name, in whatever letter case or width it is typed (names.py). SQL's lower() folds
    ASCII letters only (SQLite's), so a name with other letters typed in another case is looked for among all."""
    name = normal_username(username)
    if not name:
        return None
    typed = (username or "").strip()  # an account named before names were normalised, typed as it was named
    found = db.session.scalars(select(User).where(or_(func.lower(User.username) == name.lower(),
                                                      User.username.in_({name, typed}))).order_by(User.id)).all()
    if not found and not name.isascii():
        key = username_key(name)
        found = [u for u in db.session.scalars(select(User).order_by(User.id)) if username_key(u.username) == key]
    return next((u for u in found if u.username == name), found[0] if found else None)


def authenticate(username: str, password: str) -> User | None:
    """The active account with this username and password, or None. Exactly one password hash is computed
    whether or not the account exists, so the time taken does not give usernames away."""
    user = find_user(username)
    if user is None:
        check_against_dummy(password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def count_login_attempt(username: str, address: str, now: datetime) -> None:
    """Step one of a login: count the attempt (raises throttle.TooManyAttempts, 429). The caller commits before
    step two, so that parallel attempts see each other's counts before any password is checked."""
    throttle.admit(username, address, now)


def check_login(username: str, password: str, address: str, now: datetime) -> User | None:
    """Step two: the password. A success clears the throttle for this account from this address."""
    user = authenticate(username, password)
    if user is not None:
        throttle.succeeded(username, address, now)
        # The accounts page shows it (unused accounts are to be disabled); two sign-ins at once both succeed.
        signed_in = insert_on_conflict(LastSignIn).values(user_id=user.id, at=now)
        db.session.execute(signed_in.on_conflict_do_update(index_elements=["user_id"],
                                                           set_={"at": signed_in.excluded.at}))
    return user


def audit_login(user: User | None, username: str, where: str) -> None:
    """The 操作日志's entry for a sign-in checked by check_login: who, or the name typed when it failed."""
    from ..audit import trail

    if user is None:
        trail.record("login", "login_failed", detail=f"{where}：用户名或密码错误", ok=False, username=username.strip())
    else:
        trail.record("login", "login" if where == "网页" else "token", detail=where, user=user)


def create_user(username: str, role: str, password: str, now: datetime, unit=None, display_name: str = "",
                check_strength: bool = True) -> User:
    username = normal_username(username)
    if problem := username_problem(username):
        raise Invalid(problem, code="invalid_username")
    if role not in ROLES:
        raise Invalid("角色不正确。", code="invalid_role")
    if role == "unit" and unit is None:
        raise Invalid("责任单位账号必须绑定一个单位。", code="unit_required")
    refuse_username_taken(username)
    if check_strength and (problem := password_problem(password, username)):
        raise Invalid(problem, code="weak_password")
    user = User(username=username, role=role, unit=unit if role == "unit" else None,
                display_name=display_name or username, created_at=now)
    user.set_password(password)
    db.session.add(user)
    return user


def refuse_username_taken(username: str) -> None:
    """An account whose name is this one in another case or width (the whole list read: see find_user)."""
    key = username_key(username)
    if any(username_key(name) == key for name in db.session.scalars(select(User.username))):
        raise Invalid("用户名已存在。", code="duplicate_username")


def change_password(user: User, new_password: str) -> None:
    """Set the user's own password; ends every session and token of theirs (the caller starts a new session
    for the device that made the change)."""
    if problem := password_problem(new_password, user.username):
        raise Invalid(problem, code="weak_password")
    if user.check_password(new_password):
        raise Invalid("新密码不能与原密码相同。", code="same_password")
    from ..audit import trail

    user.set_password(new_password)
    trail.describe_change(user, "password_hash", "本人修改密码")
    user.must_change_password = False
    user.session_version = (user.session_version or 1) + 1  # logs out other sessions and tokens
    sessions.end_all(user)


def issue_token(user: User, now: datetime, hours: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=ApiToken.hash(token), created_at=now,
                   expires_at=now + timedelta(hours=hours), session_version=user.session_version)
    db.session.add(row)
    db.session.execute(delete(ApiToken).where(ApiToken.expires_at < now - EXPIRED_TOKENS_KEPT)
                       .execution_options(synchronize_session=False))
    return token, row


def user_for_token(token: str, now: datetime) -> User | None:
    """The token's user if the token is good now; a recent answer for the same token comes from token_cache
    (which forgets everything as soon as a user, unit or token changes anywhere on the host)."""
    token_hash = ApiToken.hash(token)
    tokens = token_cache.cache()
    if tokens is not None:
        cached = tokens.get(token_hash, now)
        if cached is not None:
            return cached
    seen = token_cache.stamp_seen()
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = row.user
    if not user.active or row.session_version != user.session_version or user.must_change_password:
        return None
    if tokens is not None:
        tokens.put(token_hash, row, user, seen)
    return user


def revoke_token(token: str, now: datetime) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True
