"""Template filters and globals shared by every page, and the headers every response carries."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from flask_login import current_user

from .common import timeutil
from .common.numbers import fixed
from .http import API_PREFIX, now
from .navigation import nav_for
from .tickets.lifecycle import event_label
from .tickets.policy import can
from .tickets.rules import LEVEL_NAMES, SOURCE_FILTER_LABELS, SOURCES, STATUS_LABELS, overdue_span


def time_left(deadline, now) -> str:
    """'剩余 3小时' or '超期 2天5小时', in words an inspector reads at a glance."""
    if deadline is None:
        return ""
    seconds = int((deadline - now).total_seconds())
    prefix = "剩余" if seconds >= 0 else "超期"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{prefix}{days}天{hours}小时"
    if hours:
        return f"{prefix}{hours}小时{rest // 60}分"
    return f"{prefix}{max(rest // 60, 1)}分钟"


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy",
     ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; "
      "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")),
)


def asset_version(static_folder: str) -> str:
    """A version string for static URLs (newest file time), so phones fetch new CSS/JS after a deploy."""
    stamps = [int(p.stat().st_mtime) for p in Path(static_folder).rglob("*") if p.is_file()]
    return format(max(stamps, default=0), "x")


def short_dt(value) -> str:
    """12-03 17:00 this year; 2027-03-03 17:00 in another (a deadline or an extension asked for into next year)."""
    if not value:
        return ""
    same = timeutil.local(value).year == timeutil.local(now()).year
    return timeutil.fmt(value, "%m-%d %H:%M" if same else "%Y-%m-%d %H:%M")


def register(app) -> None:
    app.jinja_env.filters["dt"] = timeutil.fmt
    app.jinja_env.filters["short_dt"] = short_dt
    app.jinja_env.filters["cn_date"] = timeutil.fmt_cn_date
    app.jinja_env.filters["cn_day"] = lambda moment: timeutil.fmt_cn_date(timeutil.local(moment).date())
    app.jinja_env.globals["cn_span"] = timeutil.fmt_cn_span
    app.jinja_env.filters["fixed"] = fixed  # scores and rates, rounded half up (四舍五入)
    app.jinja_env.globals.update(
        can=can,
        time_left=time_left,
        overdue_span=overdue_span,
        STATUS_LABELS=STATUS_LABELS,
        event_label=event_label,
        LEVEL_NAMES=LEVEL_NAMES,
        SOURCES=SOURCES,
        SOURCE_FILTER_LABELS=SOURCE_FILTER_LABELS,
        asset_v=asset_version(app.static_folder),
    )

    @app.context_processor
    def _page():
        return {"office_name": current_app.config["OFFICE_SHORT_NAME"], "now_utc": now(),
                # the user itself, not the proxy: the menu asks it some eighty times (may_open for each entry)
                "nav_items": nav_for(current_user._get_current_object())}

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        for name, value in _SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if request.is_secure:  # HTTPS (directly, or nginx with TRUSTED_PROXIES): browsers stay on HTTPS
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if "cache-control" not in present:
            path = request.path
            if path.startswith(API_PREFIX):  # tokens and people's data: no cache keeps them (photos set their own)
                headers.add("Cache-Control", "no-store")
            elif not path.startswith("/static") and getattr(current_user, "is_authenticated", False):
                headers.add("Cache-Control", "private, no-store")
        return response
