"""The office's background tasks (see inspect_app/background): big ticket exports and big imports."""
from __future__ import annotations

import json
from collections.abc import Iterator

from ..background.runner import TaskContext
from ..background.service import Output
from ..common.errors import Forbidden, Invalid
from ..tickets.queries import parse_filter
from . import exports, imports
from .spreadsheets import XLSX_MIME, csv_content_type


def _counted(rows: Iterator[list], ctx: TaskContext) -> Iterator[list]:
    done = 0
    for done, row in enumerate(rows, start=1):
        yield row
        if done % 500 == 0:
            ctx.progress(done)
    ctx.progress(done, force=True)


def tickets_export(ctx: TaskContext) -> Output:
    """The ticket list as its owner sees it, as of the moment the export was asked for."""
    params, user = ctx.params, ctx.owner
    if not user.active:
        raise Forbidden("账号已停用，导出已取消。", code="account_disabled")
    flt = parse_filter(params.get("args") or {})
    if params.get("mine"):
        flt.reporter_id = user.id
    moment = ctx.job.created_at
    rows = _counted(exports.ticket_rows(user, flt, moment), ctx)
    name = exports.export_filename("tickets", moment, params["fmt"])
    with open(ctx.output, "wb") as out:
        if params["fmt"] == "xlsx":
            exports.tickets_xlsx(user, flt, moment, rows=rows, target=out)
            return Output(name, XLSX_MIME)
        for chunk in exports.tickets_csv(user, flt, moment, params["encoding"], rows=rows):
            out.write(chunk)
    return Output(name, csv_content_type(params["encoding"]))


def office_import(ctx: TaskContext) -> Output:
    """An import confirmed by an admin: checked again, passwords hashed with progress, applied in one
    transaction that commits with the job. The result (rows, generated passwords) is shown once."""
    params, user = ctx.params, ctx.owner
    if not user.active or user.role != "admin":
        raise Forbidden("账号已停用或不再是管理员，导入已取消。", code="account_disabled")
    kind = params["kind"]
    result = imports.run_import(kind, params.get("filename") or "", ctx.input_bytes(), ctx.job.created_at, user,
                                dry_run=False, progress=ctx.progress)
    if result.errors:
        raise Invalid(f"有 {result.errors} 行数据有误（可能在预览之后数据被修改过），未写入任何数据。请重新上传并预览。",
                      code="invalid_rows")
    body = result.as_dict()
    with open(ctx.output, "w", encoding="utf-8") as out:
        json.dump(body, out, ensure_ascii=False)
    passwords = sum(1 for row in body["rows"] if row.get("password"))
    message = f"导入完成：新增 {body['added']} 条，修改 {body['changed']} 条，未变 {body['unchanged']} 条。"
    summary = {"kind": kind, "added": body["added"], "changed": body["changed"], "unchanged": body["unchanged"],
               "passwords": passwords, "message": message,
               "view_endpoint": "office.import_job_result", "view_label": "查看导入结果"}
    label = imports.spec_for(kind).label
    return Output(f"{label}导入结果.json", "application/json", secret=passwords > 0, summary=summary)


TASKS = {"tickets_export": tickets_export, "office_import": office_import}
