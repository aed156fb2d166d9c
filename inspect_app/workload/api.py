"""督查员工作量 in the HTTP API v1: the same rows as the page, for the office's scripts (an inspector: their own)."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..common.dayspan import day_span
from ..common.timeutil import isoformat
from ..http import date_range_args, now
from ..policy import CITYWIDE, INSPECTORS, has_role, requires
from . import services

bp = api_blueprint("api_workload", __name__)


def work_dict(work: services.Work, moment: datetime, each: bool = True) -> dict:
    average, waited = work.average_wait_hours, services.waited_hours(work.oldest_rectified, moment)
    found = {"filed": work.filed, "cancelled": work.cancelled, "valid": work.valid, "no_position": work.no_position,
             "sites": work.sites, "checkins": work.checkins, "approved": work.approved, "rejected": work.rejected,
             "average_wait_hours": None if average is None else round(average, 1), "waiting": work.waiting,
             "oldest_waited_hours": None if waited is None else round(waited, 1)}
    if each:  # days and segments are each inspector's own; a total of them means nothing
        found = {"username": work.username, "name": work.name, "active": work.active, **found, "days": work.days,
                 "segments_walked": work.walked, "oldest_rectified_at": isoformat(work.oldest_rectified),
                 "patrol_days": work.out_days, "missed_workdays": work.missed_days,
                 "absent_workdays": work.absent_days}
    return found


@bp.get("/workload")
@requires(CITYWIDE)
def index():
    """?from&to (days, Shanghai; this month by default) → each inspector's row and the total, as /workload/."""
    moment, user = now(), current()
    span = day_span(*date_range_args(request.args), moment)
    rows, total = services.inspectors_work(span, user if has_role(user, INSPECTORS) else None, moment)
    return jsonify({"from": span.first.isoformat(), "to": span.last.isoformat(),
                    "inspectors": [work_dict(work, moment) for work in rows],
                    "total": work_dict(total, moment, each=False)})
