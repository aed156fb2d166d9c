"""/audit: the 操作日志, for the office's admins: newest first, by person, kind and date."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from ..common.errors import BadRequest
from ..common.sql import any_like, like_pattern, on_days
from ..common.timeutil import fmt as fmt_time
from ..extensions import db
from ..http import date_range_args, int_arg, now, past_last_page
from ..office import downloads
from ..policy import OFFICE, requires
from .models import AuditEntry
from .trail import ACTIONS, KINDS

bp = Blueprint("audit", __name__)

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class Filters:
    q: str
    kind: str
    day_from: date | None
    day_to: date | None


def _filters(args) -> Filters:
    found = Filters((args.get("q") or "").strip(), args.get("kind") or "", *date_range_args(args))
    if found.kind and found.kind not in KINDS:
        raise BadRequest("参数 kind 不正确。", code="invalid_kind")
    return found


def _query(found: Filters):
    query = select(AuditEntry)
    if found.q:  # a person, or what was acted on (an account, a unit...)
        query = query.where(any_like((AuditEntry.actor, AuditEntry.target), like_pattern(found.q)))
    if found.kind:
        query = query.where(AuditEntry.kind == found.kind)
    return query.where(*on_days(AuditEntry.at, found.day_from, found.day_to))


@bp.get("/audit")
@requires(OFFICE)
def index():
    found = _filters(request.args)
    query = _query(found)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = Page(int_arg(request.args, "page", default=1))
    if (last := past_last_page(page.page, PER_PAGE, total)) is not None:
        return last
    entries = db.session.scalars(query.order_by(AuditEntry.id.desc()).offset((page.page - 1) * PER_PAGE)
                                 .limit(PER_PAGE)).all()
    return render_template("audit/index.html", entries=entries, total=total, flt=page, kinds=KINDS,
                           actions=ACTIONS, q=found.q, kind=found.kind, day_from=found.day_from,
                           day_to=found.day_to, export_cap=EXPORT_CAP)


EXPORT_COLUMNS = ["时间", "操作人", "IP 地址", "类别", "操作", "结果", "对象", "详情"]
EXPORT_CAP = 100_000


@bp.get("/audit/export.<any(xlsx, csv):fmt>")
@requires(OFFICE)
def export(fmt: str):
    """The entries the page's filters select, oldest first, for an auditor (等保测评) or the archive."""
    query = _query(_filters(request.args))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    if total > EXPORT_CAP:
        raise BadRequest(f"共 {total:,} 条，超过一次导出的上限（{EXPORT_CAP:,} 条），请按日期分段导出。",
                         code="too_many_rows")
    rows = [[fmt_time(e.at, "%Y-%m-%d %H:%M:%S"), e.actor, e.address, KINDS.get(e.kind, e.kind),
             ACTIONS.get(e.action, e.action), "成功" if e.ok else "未成功", e.target, e.detail]
            for e in db.session.scalars(query.order_by(AuditEntry.id))]
    return downloads.rows_sheet("操作日志", fmt, request.args.get("encoding"), now(), EXPORT_COLUMNS, rows,
                                widths=[20, 14, 16, 12, 10, 8, 30, 60])
