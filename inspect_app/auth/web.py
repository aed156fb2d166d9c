"""Login pages (Flask-Login sessions, kept on the server: see sessions.py) for people; the API uses tokens."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user, user_loaded_from_cookie

from ..audit import trail
from ..common.errors import DATABASE_REFUSALS, ServiceError, will_not_write
from ..common.timeutil import utcnow
from ..extensions import db
from ..http import API_PREFIX, flag_arg, is_script, local_page
from . import services, sessions
from .models import User
from .throttle import TooManyAttempts

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

# What a user with a temporary password may still open: the page to change it, logout, and what pages are made of.
OPEN_WITH_TEMPORARY_PASSWORD = {"auth.change_password", "auth.logout", "static", "healthz"}


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader, for the session cookie and the remember-me cookie alike."""
    found = sessions.find(user_id, utcnow())
    if found is None:
        g.pop("login_session", None)
        return None
    g.login_session = found
    return found.user


@user_loaded_from_cookie.connect
def _rotate_remember_token(_app, user=None, **_extra) -> None:
    """The remember-me cookie restored a session: give it a new token, so a copy taken earlier stops working
    (after the grace period). This runs while the user is first loaded, before the view does anything, so
    committing here commits only the rotation."""
    found = g.get("login_session")
    if found is None or found.by_previous_token:
        return
    try:
        new_id = sessions.rotate(found, utcnow())
        db.session.commit()
    except DATABASE_REFUSALS as error:
        if not will_not_write(error):
            raise
        db.session.rollback()  # a read-only database: the old token stays good, to be rotated another time
        log.warning("a remembered login's new token not saved: %s", error)
        return
    if new_id is not None:
        session["_user_id"] = new_id
        session["_remember"] = "set"  # Flask-Login writes the new remember-me cookie with the response


# A form sent after the login ran out: the browser cannot send it again after logging in.
NOT_SAVED = "登录已过期，刚才提交的内容没有保存，请重新填写后提交。"
# A page's script (a phone's submission in the background, a search as one types) asked after the login ran out.
LOGIN_AGAIN = "登录已过期，请重新登录后再继续。"


def unauthorized():
    """A page asked for by someone not signed in (never, or their login ran out): the login page, then back. A
    GET comes back to the page it asked for. A form's POST cannot be made again (the browser would GET the form's
    address after the login: a 405, what was typed lost), so it comes back to the page that held the form (its
    Referer, on this site; else home), told that nothing was saved. A page's script (X-Requested-With) is answered
    401 JSON, not the login page's HTML it cannot read: {"error": {"code": "unauthorized", "message", "login"}},
    `login` the login page that comes back to the page the script runs on; the script keeps what it was sending and
    says so (nothing goes into the session for the login page to say). Signing out with a login already gone is
    done: the login page, nothing more."""
    if is_script():
        target = local_page(request.referrer)
        login = url_for("auth.login", next=target) if target else url_for("auth.login")
        return jsonify({"error": {"code": "unauthorized", "message": LOGIN_AGAIN, "login": login}}), 401
    if request.method in ("GET", "HEAD"):
        flash("请先登录。", "info")
        target = request.script_root + (request.full_path if request.query_string else request.path)
        return redirect(url_for("auth.login", next=target))
    if request.endpoint == "auth.logout":
        return redirect(url_for("auth.login"))
    flash(NOT_SAVED, "error")
    target = local_page(request.referrer)
    return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))


@bp.before_app_request
def _temporary_password_first():
    """An account created or reset by the office has a temporary password: nothing but changing it until then."""
    endpoint = request.endpoint or ""
    if (endpoint in OPEN_WITH_TEMPORARY_PASSWORD or endpoint.endswith(".static")
            or request.path.startswith(API_PREFIX)):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"), 303 if request.method == "POST" else 302)
    return None


def _start_session(user: User, remember: bool) -> None:
    """Log `user` in on this browser with a fresh session: whatever the browser's session held before (a CSRF
    token someone planted, say) is gone, and the login gets its own row on the server."""
    now = utcnow()
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's cached token; the next form gets one from a new secret
    cookie_id = sessions.start(user, now, remember)
    sessions.prune(now)
    db.session.commit()
    login_user(user, remember=remember)
    session["_user_id"] = cookie_id


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tickets.home"))
    error = None
    status = 401
    retry_after = None
    if request.method == "POST":
        username, password = request.form.get("username", ""), request.form.get("password", "")
        address = request.remote_addr or ""
        try:
            services.count_login_attempt(username, address, utcnow())
        except TooManyAttempts as refused:
            db.session.rollback()
            error, status, retry_after = refused.message, 429, refused.retry_after
        else:
            db.session.commit()  # counted before the password is checked, for every process to see
            user = services.check_login(username, password, address, utcnow())
            services.audit_login(user, username, "网页")
            db.session.commit()
            if user is None:
                error = "用户名或密码错误。"
            else:
                _start_session(user, remember=flag_arg(request.form, "remember"))
                if user.must_change_password:
                    return redirect(url_for("auth.change_password"))
                return redirect(local_page(request.args.get("next")) or url_for("tickets.home"))
    response = render_template("auth/login.html", error=error), status if error else 200
    if retry_after:
        return (*response, {"Retry-After": str(retry_after)})
    return response


@bp.post("/logout")
@login_required
def logout():
    sessions.end(session.get("_user_id"))
    trail.record("login", "logout")
    db.session.commit()
    session.clear()
    logout_user()  # also clears the remember-me cookie
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    error = None
    if request.method == "POST":
        if not current_user.check_password(request.form.get("old_password", "")):
            error = "原密码不正确。"
        elif request.form.get("new_password") != request.form.get("confirm_password"):
            error = "两次输入的新密码不一致。"
        else:
            # The user object, not the current_user proxy: Flask-Login keeps what it is given in g, and a
            # proxy there resolves to itself (endless recursion, the worker process crashes).
            user = current_user._get_current_object()
            remember = sessions.is_remembered(session.get("_user_id"))
            try:
                services.change_password(user, request.form.get("new_password", ""))
            except ServiceError as problem:
                db.session.rollback()
                error = problem.message
            else:
                cookie_id = sessions.start(user, utcnow(), remember)  # this device stays logged in
                db.session.flush()
                login_user(user, remember=remember)
                session["_user_id"] = cookie_id
                flash("密码已修改。", "success")
                return redirect(url_for("tickets.home"))
    return render_template("auth/password.html", error=error), 422 if error else 200
