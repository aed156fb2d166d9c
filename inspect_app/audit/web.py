"""/audit: the 操作日志, for the office's admins: newest first, by person, kind and date."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from ..common.errors import BadRequest
from ..common.sql import any_like, like_pattern
from ..common.timeutil import local_midnight
from ..extensions import db
from ..http import date_arg, int_arg
from ..policy import OFFICE, requires
from .models import AuditEntry
from .trail import ACTIONS, KINDS

bp = Blueprint("audit", __name__)

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int = PER_PAGE


@bp.get("/audit")
@requires(OFFICE)
def index():
    args = request.args
    q, kind = (args.get("q") or "").strip(), args.get("kind") or ""
    day_from, day_to = date_arg(args, "from"), date_arg(args, "to")
    if kind and kind not in KINDS:
        raise BadRequest("参数 kind 不正确。", code="invalid_kind")
    if day_from and day_to and day_from > day_to:
        raise BadRequest("开始日期不能晚于结束日期。", code="invalid_range")
    query = select(AuditEntry)
    if q:  # a person, or what was acted on (an account, a unit...)
        query = query.where(any_like((AuditEntry.actor, AuditEntry.target), like_pattern(q), ignore_case=True))
    if kind:
        query = query.where(AuditEntry.kind == kind)
    if day_from:
        query = query.where(AuditEntry.at >= local_midnight(day_from))
    if day_to:
        query = query.where(AuditEntry.at < local_midnight(day_to.fromordinal(day_to.toordinal() + 1)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = Page(int_arg(args, "page", default=1))
    entries = db.session.scalars(query.order_by(AuditEntry.id.desc()).offset((page.page - 1) * PER_PAGE)
                                 .limit(PER_PAGE)).all()
    return render_template("audit/index.html", entries=entries, total=total, flt=page, kinds=KINDS,
                           actions=ACTIONS, q=q, kind=kind, day_from=day_from, day_to=day_to)
