"""Whether the database's schema is the one this code was written for.

`python run.py` and `init-db` upgrade the schema themselves; gunicorn's workers and `flask --app run scheduler` do
not. Deployed without `init-db` (step 3 of docs/deployment.md's 升级), the new code used to run on the old schema
and answer 500 wherever it met a column not made yet, and the scheduler's jobs failed in its log. Now:

- a web process answers every request 503 with SCHEMA_BEHIND (and /healthz 503) until the database is upgraded:
  one query a request while it is behind, none once it has been found up to date (a process's code never changes);
- the scheduler does not start on a database behind or ahead of its code.

A database ahead of the web process's code is let through with a warning in the log: that is the upgrade's own
window, between `init-db` and `systemctl reload inspect-web`, when the old workers still serve. A database with
no alembic_version table (made by create_all, or before migrations existed) cannot be told and is let through.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, request

log = logging.getLogger(__name__)

SCHEMA_BEHIND = ("系统刚更新了程序，数据库结构还没有升级（数据库结构版本为 {found}，本程序需要 {heads}），"
                 "暂时无法使用。请系统管理员运行 flask --app run init-db 升级数据库（见部署文档“升级”一节）后再试。")
_CHECKED = "schema_checked"


def _revisions(app: Flask) -> tuple[set[str], set[str]]:
    """This code's (heads, every revision), read from the migrations once per process."""
    cached = app.extensions.get("schema_revisions")
    if cached is None:
        from ..cli import schema_revisions
        cached = app.extensions["schema_revisions"] = schema_revisions()
    return cached


def schema_state() -> tuple[str, str | None]:
    """("ok", None), ("behind", message) or ("ahead", message) for the database this app is on."""
    from ..cli import NEWER_DATABASE, database_revisions

    found = database_revisions()
    if not found:
        return "ok", None
    heads, known = _revisions(current_app._get_current_object())
    if set(found) == heads:
        return "ok", None
    names = {"found": "、".join(found), "heads": "、".join(sorted(heads))}
    if any(revision not in known for revision in found):
        return "ahead", NEWER_DATABASE.format(**names)
    return "behind", SCHEMA_BEHIND.format(**names)


def schema_problem() -> str | None:
    """SCHEMA_BEHIND's words while the database is behind this code; None once it is not (then never asked again
    in this process)."""
    app = current_app._get_current_object()
    if app.extensions.get(_CHECKED):
        return None
    state, message = schema_state()
    if state == "behind":
        log.error("database schema behind the code: %s", message)
        return message
    if state == "ahead":
        log.warning("database schema ahead of the code (an upgrade under way?): %s", message)
    app.extensions[_CHECKED] = True
    return None


def check_request():
    if request.endpoint in ("static", "healthz"):  # healthz says it in its own shape
        return None
    message = schema_problem()
    if message is None:
        return None
    from ..http import service_unavailable
    return service_unavailable("schema_outdated", message)


def register_schema_guard(app: Flask) -> None:
    app.before_request(check_request)
