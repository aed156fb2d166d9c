"""Office data in the HTTP API v1: imports, exports, holidays (see docs/api.md, "Office data")."""
from __future__ import annotations

from dataclasses import replace

from flask import current_app, jsonify, request, url_for

from ..api.common import api_blueprint, current
from ..background import service as jobs
from ..background import worker
from ..background.api import job_json
from ..background.models import Job
from ..common.errors import BadRequest, NotFound
from ..common.flags import flag
from ..extensions import db
from ..http import flag_arg, int_arg, json_body, now, takes_upload
from ..policy import EVERYONE, OFFICE, requires
from . import downloads, holidays, imports

bp = api_blueprint("api_office", __name__)


def accepted(job: Job):
    """202 with the job resource: commit the queued job, start a runner, say where to poll."""
    db.session.commit()
    worker.kick(current_app._get_current_object())
    response = jsonify({"job": job_json(job)})
    response.status_code = 202
    response.headers["Location"] = url_for("api_jobs.show", job_id=job.id)
    return response


# ----------------------------------------------------------------------------- tickets export

def _tickets(fmt: str):
    """Any role that may list tickets; a unit gets only its own (the list's own scope). Up to
    EXPORT_INLINE_MAX_ROWS rows stream at once; more answer 202 with a background job."""
    result = downloads.tickets(current(), request.args, fmt, now())
    return accepted(result) if isinstance(result, Job) else result


@bp.get("/tickets/export.xlsx")
@requires(EVERYONE)
def tickets_xlsx():
    return _tickets("xlsx")


@bp.get("/tickets/export.csv")
@requires(EVERYONE)
def tickets_csv():
    return _tickets("csv")


# ----------------------------------------------------------------------------- imports

def _upload() -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("请用 multipart/form-data 上传字段 file（.xlsx 或 .csv）。", code="file_required")
    return upload.filename, upload.read()


def _invalid_rows(result):
    db.session.rollback()
    body = result.as_dict()
    body["error"] = {"code": "invalid_rows", "message": f"有 {result.errors} 行数据有误，未写入任何数据。"}
    return jsonify(body), 422


IMPORT_KIND = f"<any({', '.join(imports.KINDS)}):kind>"
EXPORT_KIND = f"<any({', '.join(imports.EXPORTABLE)}):kind>"


@bp.post(f"/admin/import/{IMPORT_KIND}")
@takes_upload("spreadsheet")
@requires(OFFICE)
def import_rows(kind: str):
    dry_run = flag_arg(request.values, "dry_run")
    filename, data = _upload()
    moment, user = now(), current()
    checked = imports.run_import(kind, filename, data, moment, user, dry_run=True)
    if checked.errors:  # the rows checked before writing: the answer says whether the caller asked for a preview
        return _invalid_rows(replace(checked, dry_run=dry_run))
    if dry_run:
        return jsonify(checked.as_dict())
    if imports.is_heavy(checked):
        label = f"导入{imports.spec_for(kind).label}（{len(checked.rows):,} 行）"
        return accepted(jobs.enqueue("office_import", user, label, {"kind": kind, "filename": filename}, moment,
                                     total=None, input_data=data))
    result = imports.run_import(kind, filename, data, moment, user, dry_run=False)
    if result.errors:
        return _invalid_rows(result)
    return jsonify(result.as_dict())


@bp.get(f"/admin/import/{IMPORT_KIND}/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def import_template(kind: str, fmt: str):
    return downloads.reference(kind, fmt, request.args.get("encoding"), now(), template=True)


@bp.get(f"/admin/export/{EXPORT_KIND}.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def export_reference(kind: str, fmt: str):
    return downloads.reference(kind, fmt, request.args.get("encoding"), now())


# ----------------------------------------------------------------------------- holidays

@bp.get("/admin/holidays")
@requires(OFFICE)
def holiday_list():
    year = int_arg(request.args, "year", low=2000, high=2100)
    if year is None or not 2000 <= year <= 2100:
        raise BadRequest("请用 ?year=2027 指定年份。", code="invalid_year")
    return jsonify(holidays.year_entries(year))


@bp.put("/admin/holidays/<day>")
@requires(OFFICE)
def holiday_put(day: str):
    body = json_body()
    row, created = holidays.put_holiday(holidays.parse_day(day), str(body.get("kind") or ""), body.get("name"))
    return jsonify({"date": row.day.isoformat(), "kind": row.kind, "name": row.name}), 201 if created else 200


@bp.post("/admin/holidays/notice")
@requires(OFFICE)
def holiday_notice():
    """The State Council's notice as text: what it sets and what that changes; entered unless `"dry_run": true`."""
    body = json_body()
    dry_run = flag(body.get("dry_run"), "dry_run")  # the text "false" was read as a preview, as any text was
    notice, rows, kept = holidays.read_notice(body.get("text"), body.get("year"))
    entered = None if dry_run else holidays.enter_notice(rows)
    return jsonify({
        "year": notice.year, "entered": entered,
        "holidays": [{"name": h.name, "off": [d.isoformat() for d in h.off], "work": [d.isoformat() for d in h.work]}
                     for h in notice.holidays],
        "days": [{"date": r["date"].isoformat(), "kind": r["kind"], "name": r["name"], "change": r["change"]}
                 for r in rows],
        "kept": [{"date": row.day.isoformat(), "kind": row.kind, "name": row.name} for row in kept]})


@bp.delete("/admin/holidays/<day>")
@requires(OFFICE)
def holiday_delete(day: str):
    if not holidays.delete_holiday(holidays.parse_day(day)):
        raise NotFound("该日期没有文明办录入的节假日记录。")
    return "", 204
