"""A unit's inbox (opening it marks everything read) and its own robot's settings."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.errors import ServiceError
from ..extensions import db
from ..http import flag_arg, now
from ..navigation import register_badge
from ..outbox import service as outbox
from ..outbox.models import UnitRobot
from ..policy import UNITS, has_role, requires
from ..territory.services import standing
from ..territory.web import list_url
from . import services

bp = Blueprint("notices", __name__)
register_badge("notices.inbox", lambda user: services.unread_count(user, now()) if has_role(user, UNITS) else 0,
               "条未读消息")


@bp.get("/inbox")
@requires(UNITS)
def inbox():
    news = services.inbox(current_user, now())
    services.mark_seen(current_user, now())
    robot = db.session.get(UnitRobot, current_user.unit_id) if current_user.unit_id else None
    return render_template("notices/inbox.html", items=news.items, summary=news.summary, unlisted=news.unlisted,
                           max_items=services.MAX_ITEMS, robot=robot, territory=standing(current_user, now()),
                           territory_list=list_url,
                           interviews=services.upcoming_interviews(current_user.unit_id, now()))


@bp.route("/inbox/robot", methods=["GET", "POST"])
@requires(UNITS)
def robot():
    unit_id = current_user.unit_id
    row = db.session.get(UnitRobot, unit_id)
    error = None
    if request.method == "POST":
        try:
            secret = "" if request.form.get("clear_secret") else (request.form.get("secret") or None)
            outbox.set_robot(unit_id, request.form.get("url", ""), secret, flag_arg(request.form, "enabled"),
                             current_user.id, now())
            flash("已保存。本单位的新问题、督办函和每日提醒将推送到该群机器人。", "success")
            return redirect(url_for(".robot"))
        except ServiceError as problem:
            db.session.rollback()
            error = problem.message
            row = db.session.get(UnitRobot, unit_id)
    values = request.form if error else ({"url": row.url, "enabled": "1" if row.enabled else ""} if row
                                         else {"enabled": "1"})
    messages = [(m, outbox.message_text(m), outbox.error_text(m.last_error)) for m in outbox.recent_messages(unit_id)]
    return render_template("notices/robot.html", robot=row, values=values, error=error, messages=messages), \
        422 if error else 200


@bp.post("/inbox/robot/test")
@requires(UNITS)
def robot_test():
    queued = outbox.enqueue(f"【测试】{current_user.unit.name}的群机器人已接入{current_app.config['OFFICE_SHORT_NAME']}"
                            "督查整改系统，今后新问题、督办函和每日提醒会推送到本群。", now(),
                            unit_id=current_user.unit_id, kind="test")
    flash("测试消息已排队，约两分钟内送达。" if queued else "请先填写并保存机器人地址。", "success" if queued else "error")
    return redirect(url_for(".robot"))


@bp.post("/inbox/robot/remove")
@requires(UNITS)
def robot_remove():
    removed = outbox.remove_robot(current_user.unit_id)
    flash("已取消机器人推送。" if removed else "本单位没有设置机器人。", "success")
    return redirect(url_for(".robot"))
