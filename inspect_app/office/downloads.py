"""Sending spreadsheets, for the pages and the API alike: one implementation of every export and template
download, of the CSV encoding choice, and of the decision to stream at once or to start a background job."""
from __future__ import annotations

from datetime import datetime
from typing import IO, Iterator

from flask import Response, current_app, stream_with_context

from ..audit import trail
from ..background import service as jobs
from ..background.models import Job
from ..common.timeutil import fmt as format_time
from ..http import content_disposition
from ..tickets.queries import parse_filter
from . import exports, imports
from .spreadsheets import (
    CSV_MIME,
    EXCEL_MAX_ROWS,
    XLSX_MIME,
    SpreadsheetError,
    csv_chunks,
    csv_content_type,
    csv_encoding,
    file_chunks,
    write_xlsx,
)

IGNORED_ARGS = ("page", "per_page", "encoding")


def download(body: IO[bytes] | Iterator[bytes], filename: str, content_type: str, audit: str | None = "") -> Response:
    """A finished temporary file (streamed, closed when the response ends) or a generator reading the database
    as it goes, as an attachment with a UTF-8 file name and exactly one Content-Type. Recorded in the 操作日志
    with `audit` as its detail, unless None (an empty import template)."""
    if audit is not None:
        trail.record_apart("data", "export", filename, audit)
    if hasattr(body, "read"):
        response = Response(file_chunks(body), content_type=content_type)
        response.call_on_close(body.close)
    else:
        response = Response(stream_with_context(body), content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition("attachment", filename, "export")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def reference(kind: str, fmt: str, encoding: str | None, now: datetime, template: bool = False) -> Response:
    """Units, segments or accounts (or their empty import template) as .xlsx or .csv."""
    spec = imports.spec_for(kind)
    filename = f"{spec.label}导入模板.{fmt}" if template else exports.export_filename(kind, now, fmt)
    if fmt == "xlsx":
        return download(exports.reference_xlsx(kind, template=template), filename, XLSX_MIME, _audit(template))
    codec = csv_encoding(encoding)
    return download(exports.reference_csv(kind, template=template, encoding=codec), filename,
                    csv_content_type(codec), _audit(template))


def register_sheet(label: str, fmt: str, encoding: str | None, now: datetime, xlsx, csv,
                   template: bool = False) -> Response:
    """Another feature's register (sites, the checklist...) or its empty import template: `xlsx(template)` gives
    the workbook, `csv(template, codec)` the CSV chunks."""
    filename = f"{label}导入模板.{fmt}" if template else f"{label}_{format_time(now, '%Y%m%d_%H%M')}.{fmt}"
    if fmt == "xlsx":
        return download(xlsx(template), filename, XLSX_MIME, _audit(template))
    codec = csv_encoding(encoding)
    return download(csv(template, codec), filename, csv_content_type(codec), _audit(template))


def rows_sheet(label: str, fmt: str, encoding: str | None, now: datetime, columns: list[str], rows: list[list],
               widths: list[int] | None = None) -> Response:
    """Rows another feature computed (e.g. the 12345 cases' progress) as .xlsx or .csv."""
    return register_sheet(label, fmt, encoding, now,
                          lambda _template: write_xlsx(columns, rows, title=label, widths=widths),
                          lambda _template, codec: csv_chunks(columns, rows, encoding=codec))


def tickets(user, args, fmt: str, now: datetime, mine: bool = False) -> Response | Job:
    """The ticket list with the list's filters (`args`, a query string) as .xlsx or .csv.

    Up to EXPORT_INLINE_MAX_ROWS rows stream at once (a Response). More become a background job (a queued Job,
    flushed: the caller commits, starts a runner and shows the job), so no request holds a worker for long."""
    flt = parse_filter(args)
    if mine:
        flt.reporter_id = user.id
    codec = csv_encoding(args.get("encoding")) if fmt == "csv" else None
    total = exports.count_tickets(user, flt, now)
    if fmt == "xlsx" and total >= EXCEL_MAX_ROWS:
        raise SpreadsheetError(f"共 {total:,} 行，超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS - 1:,} 行）。"
                               "请缩小筛选范围（如按月份、单位）分次导出，或导出 CSV。", code="too_many_rows", status=413)
    kept = {k: v for k, v in args.items() if k not in IGNORED_ARGS and v not in (None, "")}
    audit = f"{total:,} 行；筛选条件：{'，'.join(f'{k}={v}' for k, v in kept.items()) or '无'}"
    if total > current_app.config["EXPORT_INLINE_MAX_ROWS"]:
        params = {"fmt": fmt, "encoding": codec, "args": kept, "mine": mine}
        label = f"导出问题清单（{'Excel' if fmt == 'xlsx' else 'CSV'}，{total:,} 行）"
        trail.record("data", "export", label, f"后台任务；{audit}")
        return jobs.enqueue("tickets_export", user, label, params, now, total=total)
    filename = exports.export_filename("tickets", now, fmt)
    if fmt == "xlsx":
        return download(exports.tickets_xlsx(user, flt, now), filename, XLSX_MIME, audit)
    return download(exports.tickets_csv(user, flt, now, codec), filename, csv_content_type(codec), audit)


def _audit(template: bool) -> str | None:
    return None if template else ""


__all__ = ["CSV_MIME", "XLSX_MIME", "download", "reference", "register_sheet", "rows_sheet", "tickets"]
