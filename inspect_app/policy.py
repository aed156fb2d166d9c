"""Who may do what: the named role sets, the route guard, and the questions every layer asks.

Routes (pages and the API alike) declare their audience with `@requires(SET)`; navigation asks `may_open()`, which
reads that same declaration, so a menu never shows a page its route refuses (or hides one it allows). Query scopes
and `can_*` questions about one record are built from `sees_citywide()` and `own_unit()`; rules that depend on a
feature's own state (which ticket action a status allows, who signs a letter) live with that feature and use these
sets. This module imports no feature.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import current_app, g
from flask_login import current_user
from sqlalchemy import false, true

from .common.errors import Forbidden

ADMIN, INSPECTOR, UNIT, LEADER = "admin", "inspector", "unit", "leader"
ROLES = (ADMIN, INSPECTOR, UNIT, LEADER)
ROLE_LABELS = {ADMIN: "文明办", INSPECTOR: "督查员", UNIT: "责任单位", LEADER: "领导"}

OFFICE = frozenset({ADMIN})                         # 文明办: reference data, dispatch, decisions, publishing
FILERS = frozenset({ADMIN, INSPECTOR})              # file reports
VERIFIERS = frozenset({ADMIN, INSPECTOR})           # check rectifications (核查)
INSPECTORS = frozenset({INSPECTOR})                 # an inspector's own pages (我的上报)
UNITS = frozenset({UNIT})                           # a responsible unit's clerk, bound to one unit
CITYWIDE = frozenset({ADMIN, INSPECTOR, LEADER})    # see every unit's tickets, letters and figures
LEADERSHIP = frozenset({ADMIN, LEADER})             # the leadership dashboard
EVERYONE = frozenset(ROLES)
REGISTER_KEEPERS = frozenset({ADMIN, UNIT})         # keep a register with the units (门前四包: a street its own)

ROLE_REFUSED = "您的角色无权访问此页面或执行此操作。"


def current_actor():
    """The user behind this request: the API's bearer-token user, else the logged-in page user, else None."""
    user = g.get("api_user")
    if user is not None:
        return user
    return current_user if getattr(current_user, "is_authenticated", False) else None


def has_role(user, roles: Iterable[str]) -> bool:
    return user is not None and getattr(user, "role", None) in roles


def sees_citywide(user) -> bool:
    return has_role(user, CITYWIDE)


def own_unit(user, unit_id) -> bool:
    """The user is a unit clerk and `unit_id` is their unit."""
    return has_role(user, UNITS) and user.unit_id is not None and unit_id == user.unit_id


def may_see_unit_record(user, unit_id) -> bool:
    """A record addressed to one unit (a ticket, a letter): citywide readers and that unit."""
    return sees_citywide(user) or own_unit(user, unit_id)


def unit_scope(user, unit_column):
    """SQL condition matching `may_see_unit_record` on a unit id column."""
    if sees_citywide(user):
        return true()
    if has_role(user, UNITS) and user.unit_id:
        return unit_column == user.unit_id
    return false()


# ----------------------------------------------------------------------------- route guard

def requires(roles: Iterable[str] | Callable[[], Iterable[str]]) -> Callable:
    """A route for these roles. Pages send a stranger to the login page and anyone else a 403; API routes have
    authenticated the token already (api/common.py) and answer 403 the same way. `roles` may be a function of the
    app's settings (called per request), for an audience a city configures (e.g. who may 签发)."""
    fixed = None if callable(roles) else frozenset(roles)

    def allowed() -> frozenset:
        return fixed if fixed is not None else frozenset(roles())

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_actor()
            if user is None:
                return current_app.login_manager.unauthorized()
            if user.role not in allowed():
                raise Forbidden(ROLE_REFUSED, code="role_not_allowed")
            return view(*args, **kwargs)
        guarded.required_roles = allowed
        return guarded
    return decorator


def public(view):
    """An API route that needs no token (login, health)."""
    view.public = True
    return view


def is_public(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "public", False))


def required_roles(endpoint: str) -> frozenset | None:
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "required_roles", None)
    return roles() if roles is not None else None


def may_open(user, endpoint: str) -> bool:
    """Whether the route `endpoint` lets this user in (navigation asks this; it reads the route's own guard)."""
    roles = required_roles(endpoint)
    return roles is not None and has_role(user, roles)
