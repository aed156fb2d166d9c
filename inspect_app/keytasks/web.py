"""创建任务清单 pages: the list (a unit sees the tasks it leads or assists), one task with its reports and the forms to
report (units) and to review (the office), the office's add and edit, the 调度 by unit, and the progress table."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.errors import ServiceError
from ..extensions import db
from ..http import flag_arg, form_again, int_arg, now, past_last_page
from ..navigation import WHEN, Count, register_badge
from ..office import downloads
from ..policy import CITYWIDE, EVERYONE, OFFICE, UNITS, has_role, requires
from ..sites.services import list_kinds
from ..units.services import active_units
from . import actions, bulletin, exports, services
from .files import report_file_response
from .models import METHODS, KeyTask

bp = Blueprint("keytasks", __name__, url_prefix="/key-tasks")


def _badge(user):
    if has_role(user, OFFICE):
        return Count(services.waiting_count_statement())
    if has_role(user, UNITS) and user.unit_id:
        return Count(services.unit_due_statement(), services.unit_due_parameters(user.unit_id, now()))
    return 0


def _has_tasks(user) -> bool | Count:
    """The menu entry: every citywide reader, and a unit that carries a task (counted with the menu's badges)."""
    if not has_role(user, UNITS):
        return True
    return Count(services.carries_tasks_statement(), {"unit_id": user.unit_id}) if user.unit_id else False


register_badge("keytasks.index", _badge, "项待办")
WHEN["keytasks.index"] = _has_tasks


def _filters():
    args = request.args
    status, unit_role = services.filter_choices(args)
    return {"year": int_arg(args, "year", 2000, 2100) or services.current_year(current_user, now()),
            "status": status, "unit_id": services.unit_filter(current_user, int_arg(args, "unit_id"), unit_role),
            "unit_role": unit_role,
            "indicator": (args.get("indicator") or "").strip()[:100], "q": (args.get("q") or "").strip()[:50]}


@bp.get("/")
@requires(EVERYONE)
def index():
    moment, filters = now(), _filters()
    page = int_arg(request.args, "page", default=1)
    rows, total = services.list_tasks(current_user, moment, **filters, offset=(page - 1) * services.PER_PAGE)
    if (last := past_last_page(page, services.PER_PAGE, total)) is not None:
        return last
    latest, period = services.latest_reports(rows, moment), services.report_period(moment)
    return render_template("keytasks/index.html", rows=rows, total=total, page=page, per_page=services.PER_PAGE,
                           filters=filters, latest=latest, period=period,
                           owing=services.owing(rows, period),
                           owing_elsewhere=services.owing_other_years(current_user, filters["year"], moment),
                           totals=services.totals(current_user, filters["year"], moment),
                           years=services.years(current_user), statuses=services.FILTERS,
                           unit_roles=services.UNIT_ROLES,
                           indicators=services.indicators(filters["year"]),
                           units=active_units() if not has_role(current_user, UNITS) else [],
                           is_lagging=lambda t: services.is_lagging(t, moment), moment=moment)


@bp.get("/units")
@requires(CITYWIDE)
def by_unit():
    moment = now()
    year = int_arg(request.args, "year", 2000, 2100) or services.current_year(current_user, moment)
    rows = services.by_unit(year, moment)
    today = services.today(moment)
    years = services.years(current_user)
    # The drafts of this month and the last, each offered only where its year has a task list: in January, before
    # the new year's list is in, last month's (December's) draft is there and this month's is not.
    bulletins = [(label, day.strftime("%Y-%m")) for label, day in (
        ("本月推进情况通报（草稿）", today), ("上月通报（草稿）", today.replace(day=1) - timedelta(days=1)))
        if day.year in years]
    return render_template("keytasks/units.html", rows=rows, year=year, years=years,
                           totals=services.totals(current_user, year, moment), month=today.month,
                           period=services.report_period(moment),
                           due_day=services.report_due_day(), bulletins=bulletins)


def _detail_page(task_id: int, failed: str | None = None, typed=None, error: str | None = None):
    """The task's page; after a refused form, that form again with what was typed and why it failed."""
    task, moment = services.get_task(current_user, task_id), now()
    role = services.unit_role(current_user, task)
    return render_template("keytasks/detail.html", task=task, reports=services.reports_for(task), role=role,
                           claim=services.pending_claim(task) if task.status == "submitted" else None,
                           lagging=services.is_lagging(task, moment), days_left=services.days_left(task, moment),
                           may_report=role is not None and task.status != "done" and task.active,
                           max_files=current_app.config["LETTER_REPLY_MAX_FILES"],
                           may_edit=has_role(current_user, OFFICE), field=services.field_results(task),
                           failed=failed, typed=typed or {}, form_error=error)


@bp.get("/<int:task_id>")
@requires(EVERYONE)
def detail(task_id: int):
    return _detail_page(task_id)


def _act(task_id: int, name: str):
    task = services.get_task(current_user, task_id)
    try:
        result = actions.perform(name, current_user, task, now(), request.form, request.files)
    except ServiceError as problem:
        # the task's page again with what they typed and the reason (409: the task moved on, done or already
        # claimed, and the form is gone; its page says why)
        return form_again(problem, lambda typed, why: _detail_page(task_id, name, typed, why))
    flash(actions.ACTIONS[name].message(result), "success")
    return redirect(url_for(".detail", task_id=task.id) + "#reports")


@bp.post("/<int:task_id>/report")
@requires(actions.ACTIONS["report"].roles)
def report(task_id: int):
    return _act(task_id, "report")


@bp.post("/<int:task_id>/review")
@requires(actions.ACTIONS["review"].roles)
def review(task_id: int):
    return _act(task_id, "review")


@bp.get("/<int:task_id>/files/<int:task_file_id>")
@requires(EVERYONE)
def report_file(task_id: int, task_file_id: int):
    return report_file_response(services.get_task(current_user, task_id), task_file_id,
                                thumb=flag_arg(request.args, "thumb"))


# ----------------------------------------------------------------------------- the office keeps the list

def _form_values(task: KeyTask | None) -> dict:
    if request.method == "POST":
        values = request.form.to_dict()
        values["assist_unit_ids"] = request.form.getlist("assist_unit_ids")
        return values
    if task is None:
        return {"year": str(services.today(now()).year), "method": METHODS[0], "assist_unit_ids": []}
    return services.field_values(task)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:task_id>/edit", methods=["GET", "POST"])
@requires(OFFICE)
def task_form(task_id: int | None = None):
    task = services.get_task(current_user, task_id) if task_id else None
    error = None
    if request.method == "POST":
        try:
            saved = services.save_task(services.read_values(request.form, now()), now(), task)
            flash(f"已保存任务 {saved.code}。", "success")
            return redirect(url_for(".detail", task_id=saved.id))
        except ServiceError as problem:
            db.session.rollback()
            error = problem
            task = services.get_task(current_user, task_id) if task_id else None
    return render_template("keytasks/form.html", task=task, values=_form_values(task), methods=METHODS,
                           units=active_units(), error=error.message if error else None, kinds=list_kinds(),
                           indicators=services.indicators(None)), error.status if error else 200


@bp.post("/<int:task_id>/<any(retire, restore):action>")
@requires(OFFICE)
def active(task_id: int, action: str):
    task = services.set_active(services.get_task(current_user, task_id), action == "restore")
    flash(f"任务 {task.code} 已{'恢复' if task.active else '撤销（不再列入清单和统计）'}。", "success")
    return redirect(url_for(".detail", task_id=task.id))


@bp.get("/bulletin.pdf")
@requires(CITYWIDE)
def bulletin_pdf():
    return bulletin.pdf_response(request.args.get("month"), now())


@bp.get("/export.<any(xlsx, csv):fmt>")
@requires(CITYWIDE)
def export(fmt: str):
    moment = now()
    year = int_arg(request.args, "year", 2000, 2100) or services.current_year(current_user, moment)
    return downloads.rows_sheet(f"{year}年创建任务推进情况", fmt, request.args.get("encoding"), moment,
                                exports.progress_columns(moment), exports.progress_rows(current_user, year, moment),
                                exports.PROGRESS_WIDTHS)
