"""The 辖区概况 page: a unit clerk whose unit has units under it sees its territory's figures by unit (read only);
a clerk whose unit oversees nobody is refused (403) and finds no menu entry."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..http import now
from ..navigation import WHEN
from ..policy import UNITS, requires
from ..rankings.periods import containing, parse_period
from ..units.territory import oversees
from . import services

bp = Blueprint("territory", __name__, url_prefix="/territory")

WHEN["territory.overview"] = oversees


def list_url(unit_id: int | None, **filters) -> str:
    """The 辖区问题 list (tickets.unit_list, scope=territory) of one unit's subtree, or of the whole territory, on
    its 全部 tab (the other tabs are statuses of their own), narrowed by the list's filters (status, overdue, ...)."""
    args = {k: v for k, v in filters.items() if v not in (None, "", False)}
    return url_for("tickets.unit_list", scope="territory", sub_unit=unit_id, tab="all", **args)


@bp.get("/")
@requires(UNITS)
def overview():
    moment = now()
    asked = request.args.get("period")
    period = parse_period(asked) if asked else containing(moment, "month")
    data = services.overview(current_user, period, moment)
    return render_template("territory/overview.html", data=data, now=moment, list_url=list_url)
