"""Accounts, as the office manages them: create, edit, bind to a unit, reset a password, disable.

Passwords set by the office are temporary: the user must choose their own at the next login.
Callers commit."""
from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import contains_eager

from ..audit import trail
from ..auth.models import ROLE_LABELS, ROLES, LastSignIn, User
from ..auth.services import create_user, password_problem, refuse_username_taken
from ..common.errors import Invalid
from ..common.ids import get_row
from ..common.sql import any_like, like_pattern
from ..common.unique import unique_write
from ..extensions import db
from ..units.models import Unit
from . import fields

ROLE_BY_LABEL = {**{label: role for role, label in ROLE_LABELS.items()}, **{role: role for role in ROLES},
                 "文明办（管理员）": "admin", "管理员": "admin", "单位": "unit"}


IDLE_DAYS = 90  # an active account not signed in for this long is named on the accounts page (to be disabled)


def list_accounts(q: str = "", role: str = "", include_disabled: bool = True,
                  idle_since: datetime | None = None) -> list[User]:
    """`idle_since`: only active accounts not signed in since then (never signed in: made before then)."""
    query = (select(User).outerjoin(LastSignIn).options(contains_eager(User.last_sign_in))
             .order_by(User.active.desc(), User.role, User.username))
    if idle_since is not None:
        never = and_(LastSignIn.at.is_(None), or_(User.created_at.is_(None), User.created_at < idle_since))
        query = query.where(User.active.is_(True), or_(LastSignIn.at < idle_since, never))
    if q:
        query = query.where(any_like((User.username, User.display_name, User.phone), like_pattern(q)))
    if role:
        query = query.where(User.role == role)
    if not include_disabled:
        query = query.where(User.active.is_(True))
    return list(db.session.scalars(query).unique())


def parse_role(value) -> str:
    role = ROLE_BY_LABEL.get(str(value or "").strip())
    if role is None:
        raise Invalid(f"角色“{value}”不正确，应为：{'、'.join(ROLE_LABELS.values())}。", code="invalid_role")
    return role


def _unit_for(role: str, unit: Unit | None) -> Unit | None:
    if role != "unit":
        return None
    if unit is None:
        raise Invalid("责任单位账号必须绑定一个单位。", code="unit_required")
    if not unit.active:
        raise Invalid(f"单位“{unit.name}”已停用，不能绑定新账号。", code="invalid_unit")
    return unit


def _unit_by_id(value) -> Unit | None:
    return get_row(Unit, value)


def generate_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(password) is None and any(c.isdigit() for c in password):
            return password


def create_account(data: Mapping, now: datetime) -> tuple[User, str]:
    """Fields: username, display_name, role, unit_id, phone, password (blank: generated).
    Returns the user and the temporary password to hand over."""
    role = parse_role(data.get("role"))
    unit = _unit_for(role, _unit_by_id(data.get("unit_id")))
    password = (data.get("password") or "").strip() or generate_password()
    with unique_write(lambda: refuse_username_taken(data.get("username"))):  # create_user checks it first
        user = create_user(data.get("username"), role, password, now, unit=unit,
                           display_name=fields.text(data.get("display_name"), "姓名", 64))
        user.phone = fields.phone(data.get("phone"), "手机号码")
        user.must_change_password = True
    return user, password


def update_account(user: User, data: Mapping, actor: User) -> User:
    """Display name, role, unit binding and phone; an admin cannot demote themself (the office needs one)."""
    role = parse_role(data.get("role") or user.role)
    if user.id == actor.id and role != "admin":
        raise Invalid("不能修改自己的管理员角色。", code="cannot_demote_self")
    user.unit = _unit_for(role, _unit_by_id(data.get("unit_id")) if role == "unit" else None)
    user.role = role
    user.display_name = fields.text(data.get("display_name"), "姓名", 64) or user.username
    user.phone = fields.phone(data.get("phone"), "手机号码")
    db.session.flush()
    return user


def reset_password(user: User, new_password: str | None = None) -> str:
    """Set a temporary password (generated when blank); ends the user's sessions and API tokens."""
    password = (new_password or "").strip() or generate_password()
    if problem := password_problem(password, user.username):
        raise Invalid(problem, code="weak_password")
    user.set_password(password)
    trail.describe_change(user, "password_hash", "密码由管理员重置（首次登录须修改）")
    user.must_change_password = True
    user.session_version = (user.session_version or 1) + 1
    return password


def set_account_active(user: User, active: bool, actor: User) -> None:
    if not active and user.id == actor.id:
        raise Invalid("不能停用自己的账号。", code="cannot_disable_self")
    user.active = active
    if not active:
        user.session_version = (user.session_version or 1) + 1  # signs the user out everywhere
