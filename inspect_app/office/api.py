"""Office data in the HTTP API v1: imports, exports, holidays (see docs/api.md, "Office data")."""
from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context

from ..api.common import api_blueprint, current
from ..common.errors import BadRequest, NotFound
from ..extensions import db
from ..http import json_body, now
from ..policy import EVERYONE, OFFICE, requires
from ..tickets.queries import parse_filter
from . import exports, holidays, imports
from .spreadsheets import CSV_MIME, XLSX_MIME, file_chunks

bp = api_blueprint("api_office", __name__)


def download(body, filename: str, mimetype: str) -> Response:
    from urllib.parse import quote
    if hasattr(body, "read"):  # a finished temporary file: stream it, close it when the response ends
        response = Response(file_chunks(body), mimetype=mimetype)
        response.call_on_close(body.close)
    else:  # a generator reading the database as it goes
        response = Response(stream_with_context(body), mimetype=mimetype)
    ascii_name = "export." + filename.rsplit(".", 1)[-1]
    response.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def csv_encoding() -> str:
    value = (request.args.get("encoding") or "gbk").lower()
    if value not in ("gbk", "utf-8", "utf8"):
        raise BadRequest("encoding 只能是 gbk 或 utf-8。", code="invalid_encoding")
    return value


# ----------------------------------------------------------------------------- tickets export

@bp.get("/tickets/export.xlsx")
@requires(EVERYONE)
def tickets_xlsx():
    """Any role that may list tickets; a unit gets only its own (the list's own scope)."""
    moment = now()
    handle = exports.tickets_xlsx(current(), parse_filter(request.args), moment)
    return download(handle, exports.export_filename("tickets", moment, "xlsx"), XLSX_MIME)


@bp.get("/tickets/export.csv")
@requires(EVERYONE)
def tickets_csv():
    moment, encoding = now(), csv_encoding()
    chunks = exports.tickets_csv(current(), parse_filter(request.args), moment, encoding)
    return download(chunks, exports.export_filename("tickets", moment, "csv"), f"{CSV_MIME}; charset={encoding}")


# ----------------------------------------------------------------------------- imports

def _upload() -> tuple[str, bytes]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest("请用 multipart/form-data 上传字段 file（.xlsx 或 .csv）。", code="file_required")
    return upload.filename, upload.read()


IMPORT_KIND = f"<any({', '.join(imports.KINDS)}):kind>"
EXPORT_KIND = f"<any({', '.join(imports.EXPORTABLE)}):kind>"


@bp.post(f"/admin/import/{IMPORT_KIND}")
@requires(OFFICE)
def import_rows(kind: str):
    dry_run = (request.values.get("dry_run") or "") in ("1", "true", "yes")
    filename, data = _upload()
    result = imports.run_import(kind, filename, data, now(), current(), dry_run)
    body = result.as_dict()
    if result.errors:
        db.session.rollback()
        body["error"] = {"code": "invalid_rows", "message": f"有 {result.errors} 行数据有误，未写入任何数据。"}
        return jsonify(body), 422
    return jsonify(body)


@bp.get(f"/admin/import/{IMPORT_KIND}/template.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def import_template(kind: str, fmt: str):
    filename = f"{imports.SPECS[kind].label}导入模板.{fmt}"
    if fmt == "xlsx":
        return download(exports.reference_xlsx(kind, template=True), filename, XLSX_MIME)
    return download(exports.reference_csv(kind, template=True, encoding=csv_encoding()), filename, CSV_MIME)


@bp.get(f"/admin/export/{EXPORT_KIND}.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def export_reference(kind: str, fmt: str):
    filename = exports.export_filename(kind, now(), fmt)
    if fmt == "xlsx":
        return download(exports.reference_xlsx(kind), filename, XLSX_MIME)
    return download(exports.reference_csv(kind, encoding=csv_encoding()), filename, CSV_MIME)


# ----------------------------------------------------------------------------- holidays

@bp.get("/admin/holidays")
@requires(OFFICE)
def holiday_list():
    year = request.args.get("year", type=int)
    if year is None or not 2000 <= year <= 2100:
        raise BadRequest("请用 ?year=2027 指定年份。", code="invalid_year")
    return jsonify(holidays.year_entries(year))


@bp.put("/admin/holidays/<day>")
@requires(OFFICE)
def holiday_put(day: str):
    body = json_body()
    row, created = holidays.put_holiday(holidays.parse_day(day), str(body.get("kind") or ""), body.get("name"))
    return jsonify({"date": row.day.isoformat(), "kind": row.kind, "name": row.name}), 201 if created else 200


@bp.delete("/admin/holidays/<day>")
@requires(OFFICE)
def holiday_delete(day: str):
    if not holidays.delete_holiday(holidays.parse_day(day)):
        raise NotFound("该日期没有文明办录入的节假日记录。")
    return "", 204
