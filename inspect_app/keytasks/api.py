"""Key tasks in the HTTP API v1: the list (scoped like the pages), one task with its reports, the office's add and
change, a unit's report (multipart, with files), the office's review, the figures by unit. Importing the breakdown:
/api/v1/admin/import/keytasks (office/api.py)."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ..api.common import api_blueprint, current
from ..common.numbers import round_half_up
from ..common.timeutil import isoformat
from ..http import flag_arg, int_arg, json_body, now
from ..policy import CITYWIDE, EVERYONE, OFFICE, requires
from . import actions, bulletin, services
from .files import report_file_response
from .models import KeyTask, KeyTaskReport

bp = api_blueprint("api_keytasks", __name__)


def _unit(unit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name}


def task_dict(task: KeyTask, moment, latest: services.Latest | None = None) -> dict:
    result = {"id": task.id, "year": task.year, "code": task.code, "indicator": task.indicator,
              "content": task.content, "method": task.method, "standard": task.standard,
              "lead_unit": _unit(task.lead_unit), "assist_units": [_unit(u) for u in task.assist_units],
              "due_on": task.due_on.isoformat() if task.due_on else None, "status": task.status,
              "status_label": task.status_label, "lagging": services.is_lagging(task, moment),
              "done_at": isoformat(task.done_at), "active": task.active,
              "site_kind": {"id": task.site_kind.id, "name": task.site_kind.name} if task.site_kind else None}
    if latest is not None or task.status != "done":
        result["latest_report"] = ({"at": isoformat(latest.at), "progress": latest.progress,
                                    "this_month": latest.this_month} if latest else None)
    return result


def report_dict(row: KeyTaskReport) -> dict:
    return {"id": row.id, "task_id": row.task_id, "unit": _unit(row.unit), "created_at": isoformat(row.created_at),
            "text": row.text, "progress": row.progress, "claims_done": row.claims_done,
            "verdict": row.verdict or None, "review_note": row.review_note, "reviewed_at": isoformat(row.reviewed_at),
            "files": [{"id": f.id, "kind": f.kind, "name": f.name, "bytes": f.bytes,
                       "url": url_for("api_keytasks.report_file", task_id=row.task_id, task_file_id=f.id)}
                      for f in row.files]}


@bp.get("/key-tasks")
@requires(EVERYONE)
def index():
    moment, args = now(), request.args
    page, per_page = int_arg(args, "page", default=1), int_arg(args, "per_page", 1, 200, default=50)
    status, unit_role = services.filter_choices(args)
    unit_id = services.unit_filter(current(), int_arg(args, "unit_id"), unit_role)  # a unit: its own role
    rows, total = services.list_tasks(
        current(), moment, year=int_arg(args, "year", 2000, 2100), limit=per_page, offset=(page - 1) * per_page,
        status=status, unit_id=unit_id, unit_role=unit_role,
        indicator=(args.get("indicator") or "").strip()[:100], q=(args.get("q") or "").strip()[:50])
    latest = services.latest_reports(rows, moment)
    return jsonify({"items": [task_dict(t, moment, latest.get(t.id)) for t in rows], "total": total, "page": page,
                    "per_page": per_page})


@bp.get("/key-tasks/units")
@requires(CITYWIDE)
def by_unit():
    moment = now()
    year = int_arg(request.args, "year", 2000, 2100) or services.current_year(current(), moment)
    return jsonify({"year": year, "items": [
        {"unit": _unit(f.unit), "lead": f.lead, "assist": f.assist, "done": f.done, "submitted": f.submitted,
         "lagging": f.lagging, "unreported": f.unreported,
         "done_rate": round_half_up(f.done_rate, 4) if f.done_rate is not None else None}
        for f in services.by_unit(year, moment)]})


@bp.get("/key-tasks/bulletin.pdf")
@requires(CITYWIDE)
def bulletin_pdf():
    return bulletin.pdf_response(request.args.get("month"), now())


@bp.get("/key-tasks/<int:task_id>")
@requires(EVERYONE)
def show(task_id: int):
    task, moment = services.get_task(current(), task_id), now()
    body = task_dict(task, moment, services.latest_reports([task], moment).get(task.id))
    body["reports"] = [report_dict(r) for r in services.reports_for(task)]
    body["field_results"] = [{"round_id": r.round_id, "name": r.name, "kind": r.kind_label, "at": isoformat(r.at),
                              "sites": r.sites, "score": r.score, "failed": r.failed}
                             for r in services.field_results(task)]
    return jsonify(body)


@bp.post("/key-tasks")
@requires(OFFICE)
def create():
    moment = now()
    task = services.save_task(services.read_values(json_body(), moment), moment)
    return jsonify(task_dict(task, moment)), 201


@bp.patch("/key-tasks/<int:task_id>")
@requires(OFFICE)
def update(task_id: int):
    moment, task = now(), services.get_task(current(), task_id)
    fields = {**services.field_values(task), **json_body()}
    if "active" in fields:
        services.set_active(task, fields.pop("active") is not False)
    return jsonify(task_dict(services.save_task(services.read_values(fields, moment), moment, task), moment))


@bp.post("/key-tasks/<int:task_id>/reports")
@requires(actions.ACTIONS["report"].roles)
def report(task_id: int):
    task = services.get_task(current(), task_id)
    row = actions.perform("report", current(), task, now(), request.form, request.files)
    return jsonify({**report_dict(row), "task": task_dict(task, now())}), 201


@bp.post("/key-tasks/<int:task_id>/review")
@requires(actions.ACTIONS["review"].roles)
def review(task_id: int):
    task = services.get_task(current(), task_id)
    row = actions.perform("review", current(), task, now(), json_body())
    return jsonify({**report_dict(row), "task": task_dict(task, now())})


@bp.get("/key-tasks/<int:task_id>/files/<int:task_file_id>")
@requires(EVERYONE)
def report_file(task_id: int, task_file_id: int):
    return report_file_response(services.get_task(current(), task_id), task_file_id,
                                thumb=flag_arg(request.args, "thumb"))
