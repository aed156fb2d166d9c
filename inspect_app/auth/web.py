"""Login pages (Flask-Login sessions) for people; the API uses tokens instead."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..common.errors import ServiceError
from ..common.timeutil import utcnow
from ..extensions import db
from ..http import local_url
from . import services
from .models import User
from .throttle import TooManyAttempts

bp = Blueprint("auth", __name__)


def load_user(user_id: str) -> User | None:
    """Session ids carry the session version: a password change ends other sessions."""
    ident, _, version = (user_id or "").partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or str(user.session_version) != version:
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tickets.home"))
    error = None
    status = 401
    if request.method == "POST":
        try:
            user = services.login(request.form.get("username", ""), request.form.get("password", ""),
                                  request.remote_addr or "", utcnow())
        except TooManyAttempts as refused:
            user, error, status = None, refused.message, 429
        else:
            db.session.commit()  # a failure counts; a success clears the account's failures
            if user is None:
                error = "用户名或密码错误。"
        if user is not None:
            login_user(user, remember=bool(request.form.get("remember")))
            if user.must_change_password:
                flash("首次登录或密码已被重置，请先修改密码。", "info")
                return redirect(url_for("auth.change_password"))
            return redirect(local_url(request.args.get("next")) or url_for("tickets.home"))
    return render_template("auth/login.html", error=error), status if error else 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
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
            try:
                services.change_password(current_user, request.form.get("new_password", ""))
            except ServiceError as problem:
                error = problem.message
            else:
                db.session.flush()
                # The user object, not the current_user proxy: Flask-Login keeps what it is given in g, and a
                # proxy there resolves to itself (endless recursion, the worker process crashes).
                login_user(current_user._get_current_object())  # keep this session alive under the new version
                flash("密码已修改。", "success")
                return redirect(url_for("tickets.home"))
    return render_template("auth/password.html", error=error), 422 if error else 200
