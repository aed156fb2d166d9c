"""路段巡查 pages: the coverage (office, leaders, inspectors), the phone's check-in, the coverage's export, the
巡查周期 and 督查片区 (the office), 巡查日志 (a day of everyone's field work, and one person's 轨迹) and 巡查月历
(each inspector's month day by day), 请假外出登记 (the office's record of the days an inspector was away, and its
answers to the inspectors' requests) and 请假外出申请 (an inspector's own requests)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, jsonify, render_template, request, url_for
from flask_login import current_user

from ..common.dayspan import day_span, shortcuts
from ..common.errors import ServiceError
from ..common.timeutil import fmt as clock_text
from ..common.timeutil import iso_day, local
from ..http import date_range_args, done, form_again, now
from ..navigation import WHEN, Count, count_with_menu, register_badge
from ..office import downloads
from ..photos.service import send_stored
from ..policy import CITYWIDE, FILERS, INSPECTORS, OFFICE, has_role, may_open, requires
from ..tickets.inputs import point_arg
from ..workdays.calendar import load_calendar
from ..workdays.notice import WEEKDAYS
from . import absences, days, services
from .models import ABSENCE_KINDS
from .trail_map import trail_svg

bp = Blueprint("patrols", __name__, url_prefix="/patrols")


def _span(row) -> str:
    """A record's or request's days, with the year when it is not this one."""
    return absences.span_text(row, local(now()).year)


GAPS_SHOWN = 300  # the page lists this many segments not patrolled; the export has all


def _walks(user) -> bool:
    """The menu's 巡查打卡: inspectors, who check in all day; the office does from 路段巡查's button."""
    return has_role(user, INSPECTORS)


WHEN["patrols.checkin"] = _walks


def _badge(user) -> int | Count:
    """路段巡查's count, for whoever answers them: the inspectors' 请假外出申请 waiting (the page links to them)."""
    return Count(absences.WAITING) if may_open(user, "patrols.absences_page") else 0


register_badge("patrols.index", _badge, "条请假外出申请待审批")


def _asked():
    moment = now()
    span = day_span(*date_range_args(request.args), moment)
    district = (request.args.get("district") or "").strip()[:32] or None
    return moment, services.coverage(span, district)


@bp.get("/")
@requires(CITYWIDE)
def index():
    moment, found = _asked()
    may_record = may_open(current_user, "patrols.absences_page")
    leave_asked = (count_with_menu(current_user, [Count(absences.WAITING)])[0] or 0) if may_record else 0
    return render_template("patrols/index.html", c=found, now=moment, districts=services.districts(),
                           may_record=may_record, leave_asked=leave_asked,
                           shortcuts=shortcuts(moment, week=True), gaps_shown=GAPS_SHOWN,
                           lookback=services.LOOKBACK_DAYS, radius=services.radius_m(),
                           due=found.overdue(moment),
                           may_check_in=may_open(current_user, "patrols.checkin"),
                           may_set_cycles=may_open(current_user, "patrols.cycles"),
                           may_set_areas=may_open(current_user, "patrols.areas"),
                           trail_day=min(found.span.last, local(moment).date()),
                           sees_all_trails=_own_only() is None)


@bp.get("/cycles")
@requires(OFFICE)
def cycles():
    return render_template("patrols/cycles.html", kinds=services.kinds(), cycles=services.cycles(),
                           max_days=services.CYCLE_MAX_DAYS)


@bp.post("/cycles")
@requires(OFFICE)
def cycles_post():
    saved = services.save_cycles(request.form.getlist("kind"), request.form.getlist("days"))
    flash("已保存巡查周期：" + ("、".join(f"{kind}每{days}天" for kind, days in saved.items()) or "均不作要求") + "。",
          "success")
    return done(url_for(".index"))


@bp.get("/areas")
@requires(OFFICE)
def areas():
    return render_template("patrols/areas.html", people=services.inspectors(), districts=services.districts(),
                           areas=services.areas())


@bp.post("/areas")
@requires(OFFICE)
def areas_post():
    saved = services.save_areas(request.form.getlist("area"))
    left = [d for d in services.districts() if d not in {district for _, district in saved}]
    flash(f"已保存督查片区：{len({user_id for user_id, _ in saved})}名督查员分片负责"
          f"{len({district for _, district in saved})}个区（县）"
          + (f"；{'、'.join(left)}尚无督查员负责。" if left else "。"), "success")
    return done(url_for(".index"))


@bp.get("/photos/<int:patrol_id>")
@requires(CITYWIDE)
def photo(patrol_id: int):
    return _send_photo(patrol_id, thumb=False)


@bp.get("/photos/<int:patrol_id>/thumb")
@requires(CITYWIDE)
def photo_thumb(patrol_id: int):
    return _send_photo(patrol_id, thumb=True)


def _send_photo(patrol_id: int, thumb: bool):
    """A check-in's photo (打卡照片): the office and leaders any, an inspector their own (another's: 404)."""
    return send_stored(services.photo_key(patrol_id, _own_only()), thumb)


@bp.get("/checkin")
@requires(FILERS)
def checkin():
    moment = now()
    may_ask = may_open(current_user, "patrols.leave")
    day = days.last_workday(moment) if may_ask else None
    return render_template("patrols/checkin.html", today=services.todays(current_user, moment), may_ask=may_ask,
                           unexplained=days.unexplained_days(current_user.id, day, day, moment) if day else [],
                           answers=absences.recent_answers(current_user, moment) if may_ask else [],
                           span=_span,
                           radius=services.radius_m(), note_max=services.NOTE_MAX,
                           photo_required=services.photo_required(),
                           mine=services.my_area(current_user, moment), lookback=services.LOOKBACK_DAYS)


@bp.post("/checkin")
@requires(FILERS)
def checkin_post():
    patrol, new = services.check_in(current_user, request.form, now(), request.files.getlist("photo"))
    if new:
        kept = "，离线保存后上传" if patrol.sent_at is not None else ""
        flash(f"已在“{patrol.segment.name}”打卡（{clock_text(patrol.at, '%H:%M')}{kept}）。", "success")
    else:
        flash(f"{services.REPEAT_MINUTES}分钟内已在“{patrol.segment.name}”打过卡（{clock_text(patrol.at, '%H:%M')}），"
              "不重复记录。", "success")
    return done(url_for(".checkin"))


@bp.get("/near")
@requires(FILERS)
def near():
    """The check-in page's choice: the segments within the radius of `lat`/`lon`, with their last visit; and the
    nearest ones beyond it that nobody walked this week (where to go next)."""
    point, moment = point_arg(request.args), now()
    return jsonify({"radius_m": round(services.radius_m()), "segments": [
        {"id": segment.id, "name": segment.name, "district": segment.district, "unit_name": segment.unit_label,
         "distance_m": round(distance), "last": clock_text(last, "%m-%d %H:%M") if last else None}
        for segment, distance, last in services.near(*point, moment)],
        "next": [{"name": segment.name, "district": segment.district, "distance_m": round(distance)}
                 for segment, distance in services.not_walked_near(*point, moment, services.area_of(current_user))]})


@bp.get("/day")
@requires(CITYWIDE)
def day():
    """巡查日志: the office and leaders see every inspector's day (?date, today by default), and one person's
    轨迹 with ?user; an inspector sees their own 轨迹 only."""
    moment = now()
    asked = days.asked_day(request.args.get("date"), moment)
    username = (request.args.get("user") or "").strip()[:64]
    if not username and _own_only() is not None:
        username = current_user.username
    today = local(moment).date()
    context = {"day": asked, "today": today, "weekday": WEEKDAYS[asked.weekday()],
               "prev_day": asked - timedelta(days=1), "next_day": asked + timedelta(days=1) if asked < today else None,
               "workday": load_calendar(asked, days=1).is_workday(asked), "long_gap": days.LONG_GAP_MINUTES,
               "areas": services.areas(), "may_record": may_open(current_user, "patrols.absences_page")}
    if username:
        found = days.trail(days.person_for(current_user, username), asked)
        return render_template("patrols/trail.html", t=found, map_svg=trail_svg(found.stops),
                               may_see_all=_own_only() is None, **context)
    return render_template("patrols/day.html", people=days.day_summary(asked), began=days.patrols_began(), **context)


def _own_only() -> int | None:
    """An inspector reads their own 巡查日志 and 巡查月历 only; the office and leaders everyone's."""
    return current_user.id if has_role(current_user, INSPECTORS) else None


@bp.get("/month")
@requires(CITYWIDE)
def month():
    """巡查月历: each inspector's month day by day (the office and leaders; an inspector their own)."""
    moment = now()
    first = days.asked_month(request.args.get("month"), moment)
    this_month = local(moment).date().replace(day=1)
    return render_template("patrols/month.html", m=days.month_sheet(first, moment, _own_only()),
                           areas=services.areas(), may_record=may_open(current_user, "patrols.absences_page"),
                           may_ask=may_open(current_user, "patrols.leave"), weekdays=WEEKDAYS,
                           prev_month=(first - timedelta(days=1)).strftime("%Y-%m"),
                           next_month=(days.month_last(first) + timedelta(days=1)).strftime("%Y-%m")
                           if first < this_month else None)


@bp.get("/month.<any(xlsx, csv):fmt>")
@requires(CITYWIDE)
def month_export(fmt: str):
    moment = now()
    found = days.month_sheet(days.asked_month(request.args.get("month"), moment), moment, _own_only())
    return downloads.rows_sheet(f"巡查月历_{found.first.strftime('%Y-%m')}", fmt, request.args.get("encoding"), moment,
                                days.month_columns(found), days.month_rows(found, services.areas()),
                                widths=[12, 12, 12, 10, 12, 14, 8, 10, 12] + [16] * len(found.days))


@bp.get("/absences")
@requires(OFFICE)
def absences_page():
    """请假外出登记: the form, and the records with a day in the month asked for (this one by default)."""
    return _absences_page(request.args.get("month"))


def _absences_page(month: str | None, typed: dict | None = None, error: str | None = None,
                   answered: int | None = None):
    """The page; after a refused record, its form again with what was typed and why; after a refused answer to
    the request `answered`, why beside it (above the list, when it waits no more) and the reason typed kept."""
    moment = now()
    first = days.asked_month(month, moment, ahead=True)
    last, today = days.month_last(first), local(moment).date()
    following = last + timedelta(days=1)
    waiting = absences.waiting_requests()
    beside = answered if any(row.id == answered for row in waiting) else None
    return render_template("patrols/absences.html", first=first, listed=absences.listing(first, last),
                           people=services.inspectors(), kinds=ABSENCE_KINDS, note_max=absences.NOTE_MAX,
                           reply_max=absences.REPLY_MAX, waiting=waiting, span=_span,
                           today=today, prev_month=(first - timedelta(days=1)).strftime("%Y-%m"),
                           next_month=following.strftime("%Y-%m")  # no further than the page reads (a year on)
                           if following <= today.replace(day=1).replace(year=today.year + 1) else None,
                           typed=(typed or {}) if answered is None else {},
                           form_error=error if answered is None else None,
                           answer_failed=beside, answer_typed=(typed or {}) if beside else {},
                           answer_error=error if answered is not None else None)


@bp.post("/absences")
@requires(OFFICE)
def absences_post():
    try:
        row = absences.record(request.form, current_user, now())
    except ServiceError as problem:
        return form_again(problem, lambda typed, error: _absences_page(None, typed, error), passes=())
    flash(f"已登记：{row.user.display_name or row.user.username} {_span(row)}{row.kind_label}"
          f"{'（' + row.note + '）' if row.note else ''}。", "success")
    return done(url_for(".absences_page", month=row.first_day.strftime("%Y-%m")))


@bp.post("/absences/<int:absence_id>/withdraw")
@requires(OFFICE)
def absences_withdraw(absence_id: int):
    row = absences.withdraw(absence_id)
    flash(f"已撤销：{row.user.display_name or row.user.username} {_span(row)}{row.kind_label}。",
          "success")
    return done(url_for(".absences_page", month=row.first_day.strftime("%Y-%m")))


def _answer_again(problem: ServiceError, request_id: int):
    """A refused answer: the register page again, why beside the request and the reason typed kept (a request
    gone or decided meanwhile: why above the list)."""
    return form_again(problem, lambda typed, error: _absences_page(None, typed, error, answered=request_id),
                      passes=())


@bp.post("/absences/requests/<int:request_id>/approve")
@requires(OFFICE)
def request_approve(request_id: int):
    try:
        row = absences.approve(request_id, current_user, now(), request.form.get("reply"))
    except ServiceError as problem:
        return _answer_again(problem, request_id)
    flash(f"已同意并登记：{_asked_text(row)}。", "success")
    return done(url_for(".absences_page", month=row.first_day.strftime("%Y-%m")))


@bp.post("/absences/requests/<int:request_id>/refuse")
@requires(OFFICE)
def request_refuse(request_id: int):
    try:
        row = absences.refuse(request_id, current_user, request.form.get("reply"), now())
    except ServiceError as problem:
        return _answer_again(problem, request_id)
    flash(f"未同意：{_asked_text(row)}（{row.reply}）。", "success")
    return done(url_for(".absences_page"))


def _asked_text(row) -> str:
    return f"{row.user.display_name or row.user.username} {_span(row)}{row.kind_label}"


# ----------------------------------------------------------------------------- 请假外出申请 (an inspector's own)

UNEXPLAINED_BACK_DAYS = 14  # the page names the person's working days without a record in the last two weeks


@bp.get("/leave")
@requires(INSPECTORS)
def leave():
    """请假外出申请: the inspector's form, the recent working days of theirs nobody has explained, their requests
    (waiting, agreed, refused with the office's reason) and what the office has recorded for them."""
    try:
        asked_day = iso_day(str(request.args.get("day") or ""))
    except ValueError:
        asked_day = None
    return _leave_page(asked_day)


def _leave_page(asked_day: date | None, typed: dict | None = None, error: str | None = None):
    """The page; after a refused request, its form again with what was typed and why."""
    moment = now()
    today = local(moment).date()
    return render_template("patrols/leave.html", today=today, asked_day=asked_day or today, kinds=ABSENCE_KINDS,
                           typed=typed or {}, form_error=error,
                           note_max=absences.NOTE_MAX, back_days=absences.ASK_BACK_DAYS,
                           requests=absences.requests_of(current_user), span=_span,
                           recorded=absences.between(today - timedelta(days=absences.ASK_BACK_DAYS),
                                                     today + timedelta(days=absences.REACH_DAYS), current_user.id),
                           unexplained=days.unexplained_days(
                               current_user.id, today - timedelta(days=UNEXPLAINED_BACK_DAYS),
                               today - timedelta(days=1), moment))


@bp.post("/leave")
@requires(INSPECTORS)
def leave_post():
    try:
        row = absences.ask(request.form, current_user, now())
    except ServiceError as problem:
        return form_again(problem, lambda typed, error: _leave_page(None, typed, error), passes=())
    flash(f"已提交申请：{_span(row)}{row.kind_label}，待文明办审批。", "success")
    return done(url_for(".leave"))


@bp.post("/leave/<int:request_id>/withdraw")
@requires(INSPECTORS)
def leave_withdraw(request_id: int):
    row = absences.take_back(request_id, current_user)
    flash(f"已撤回申请：{_span(row)}{row.kind_label}。", "success")
    return done(url_for(".leave"))


@bp.get("/export.<any(xlsx, csv):fmt>")
@requires(CITYWIDE)
def export(fmt: str):
    moment, found = _asked()
    return downloads.rows_sheet(f"路段巡查覆盖_{found.span.label}", fmt, request.args.get("encoding"), moment,
                                services.EXPORT_COLUMNS, services.export_rows(found),
                                widths=services.EXPORT_WIDTHS)
