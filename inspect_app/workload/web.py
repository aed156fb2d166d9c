"""The inspectors' work page and its export: the office and the leaders see every inspector, an inspector their own."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..common.dayspan import DaySpan, day_span, shortcuts
from ..http import date_range_args, now
from ..office import downloads
from ..policy import CITYWIDE, INSPECTORS, has_role, may_open, requires
from ..rankings.web import ticket_list_url
from . import services

bp = Blueprint("workload", __name__, url_prefix="/workload")
VERIFY_QUEUE = "tickets.verify_queue"


def _asked():
    moment = now()
    period = day_span(*date_range_args(request.args), moment)
    only = current_user if has_role(current_user, INSPECTORS) else None
    return moment, period, *services.inspectors_work(period, only, moment)


def _links(work: services.Work, period: DaySpan) -> dict[str, str | None]:
    """An inspector's figures as ticket lists: what they filed in the period, of it what was cancelled, and what of
    theirs waits for verification now (the verify queue, for whoever verifies)."""
    span = {"reporter_id": work.user_id, "from": period.first.isoformat(), "to": period.last.isoformat()}
    waiting = (url_for("tickets.verify_queue", reporter_id=work.user_id) if may_open(current_user, VERIFY_QUEUE)
               else ticket_list_url(status="rectified", reporter_id=work.user_id))  # a leader verifies nothing
    return {"filed": ticket_list_url(**span), "cancelled": ticket_list_url(status="cancelled", **span),
            "waiting": waiting}


@bp.get("/")
@requires(CITYWIDE)
def index():
    moment, period, rows, total = _asked()
    return render_template("workload/index.html", rows=rows, total=total, period=period, now=moment,
                           shortcuts=shortcuts(moment), own=has_role(current_user, INSPECTORS),
                           links=lambda work: _links(work, period),
                           hours_text=services.hours_text, waited_hours=services.waited_hours)


@bp.get("/export.<any(xlsx, csv):fmt>")
@requires(CITYWIDE)
def export(fmt: str):
    moment, period, rows, total = _asked()
    return downloads.rows_sheet(f"督查员工作量_{period.label}", fmt, request.args.get("encoding"), moment,
                                services.EXPORT_COLUMNS, services.export_rows(rows, total, moment),
                                widths=services.EXPORT_WIDTHS)
