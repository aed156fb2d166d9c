"""The leadership dashboard page (领导看板): leaders and the office, read-only, phone and desktop."""
from __future__ import annotations


from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..http import flag_arg, now
from ..policy import LEADERSHIP, requires
from ..rankings.web import ticket_list_url
from . import cards, charts, services

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

SORT_FIELDS = {"name": "名称", "active": "在办", "overdue": "超期", "supervised": "督办中", "new": "本月新增",
               "closed": "本月结案", "due": "本月应结案", "on_time_rate": "按期结案率"}
TABLES = {"c": "by_category", "d": "by_district", "u": "by_unit"}
UNIT_ROWS = 20  # the unit table shows this many until "显示全部"


def sort_spec(table: str, default: str) -> tuple[str, bool]:
    """?c=overdue (ascending) or ?c=-overdue (descending) for table c/d/u; unknown fields fall back."""
    raw = request.args.get(table) or default
    desc = raw.startswith("-")
    field = raw.lstrip("-")
    if field not in SORT_FIELDS:
        field, desc = default.lstrip("-"), default.startswith("-")
    return field, desc


# the rows that stand for no category, district or unit (services.Breakdown._make's fallbacks: 未知类别, 未定位路段,
# 待派遣): a reader looks for them at the end of their table, not ranked among the real ones
STAND_INS = {"c": lambda r: not r.code, "d": lambda r: not r.key, "u": lambda r: not r.code}


def sorted_rows(rows: list, field: str, desc: bool, stand_in=None) -> list:
    """`stand_in(row)`: the rows it picks (STAND_INS) go last whatever the sort."""
    if stand_in is not None:
        return sorted_rows([r for r in rows if not stand_in(r)], field, desc) + [r for r in rows if stand_in(r)]
    if field == "name":
        return sorted(rows, key=lambda r: (r.code or r.name or ""), reverse=desc)
    # equal on the field, more 在办 first (then by code) whichever way the field runs: sorted by that first, then
    # by the field alone (a stable sort, reversed or not, keeps equal rows in the order they came)
    by_active = sorted(rows, key=lambda r: (-(r.active or 0), r.code or r.name or ""))
    missing = [r for r in by_active if getattr(r, field) is None]
    present = sorted((r for r in by_active if getattr(r, field) is not None), key=lambda r: getattr(r, field),
                     reverse=desc)
    return present + missing  # units with no rate go last either way


def sort_url(table: str, field: str, current: tuple[str, bool]) -> str:
    """The header link: same field toggles the direction; a new field starts descending (names ascending)."""
    args = request.args.to_dict()
    if current[0] == field:
        args[table] = field if current[1] else f"-{field}"
    else:
        args[table] = field if field == "name" else f"-{field}"
    return url_for("dashboard.index", **args) + f"#t-{table}"


PHONE_TREND_WEEKS = 8  # a phone's chart shows the last weeks only; its heading says how many


@bp.get("/")
@requires(LEADERSHIP)
def index():
    data = services.current_dashboard(now())
    tables = {}
    for key, name in TABLES.items():
        spec = sort_spec(key, "-overdue" if key != "c" else "-active")
        tables[key] = {"rows": sorted_rows(data[name], *spec, stand_in=STAND_INS[key]), "sort": spec}
    # the unit table's first UNIT_ROWS units until 显示全部, and 待派遣 after them, never cut off
    units = tables["u"]["rows"]
    tables["u"]["shown"] = units if flag_arg(request.args, "all") else \
        [r for r in units if not STAND_INS["u"](r)][:UNIT_ROWS] + [r for r in units if STAND_INS["u"](r)]

    svg = {
        "trend": charts.trend_svg(data["trend"], css="wide"),
        "trend_phone": charts.trend_svg(data["trend"][-PHONE_TREND_WEEKS:], width=380, height=240, css="narrow"),
        "map": charts.map_with_links(services.map_for_page(data["map"]),
                                     lambda segment_id: ticket_list_url(segment_id=segment_id, status="open")),
    }
    from ..keytasks import services as keytasks  # the year's 创建任务, counted live (a few hundred rows at most)

    year = keytasks.current_year(current_user, now())
    try:  # today's field work, counted live (a day of check-ins and finds)
        from ..patrols.days import today_brief
        patrol = today_brief(now())
    except ImportError:  # a build without 路段巡查
        patrol = None
    # the national assessment's other two parts: the latest 测评 round and questionnaire (cards.py), counted live
    assessment, survey = cards.assessment_card(current_user, now()), cards.survey_card(current_user)
    return render_template(
        "dashboard/index.html", d=data, tables=tables, sort_url=sort_url, fields=SORT_FIELDS,
        tasks=keytasks.totals(current_user, year, now()), tasks_year=year, tasks_period=keytasks.report_period(now()),
        patrol=patrol, assessment=assessment, survey=survey,
        category_args=lambda row: {"category": row.code} if row.code else None,
        district_args=lambda row: {"district": row.key} if row.key else None,
        unit_args=lambda row: {"unit_id": row.key} if row.key else None,
        trend_svg=svg["trend"], trend_svg_phone=svg["trend_phone"], map_svg=svg["map"],
        phone_trend_weeks=min(PHONE_TREND_WEEKS, len(data["trend"])))


@bp.get("/year")
@requires(LEADERSHIP)
def year():
    """年度工作数据: the year in figures and the paragraph the year-end report opens with (dashboard/year.py)."""
    from ..common.timeutil import local
    from .year import first_year, summary_text, year_report

    moment = now()
    report = year_report(_year(moment), moment)
    return render_template("dashboard/year.html", r=report, text=summary_text(report),
                           this_year=local(moment).year, first_year=first_year(moment))


@bp.get("/year.<any(xlsx, csv):fmt>")
@requires(LEADERSHIP)
def year_export(fmt: str):
    """The year's figures as a statistics table (板块, 指标, 数值)."""
    from ..office import downloads
    from .year import SHEET_COLUMNS, sheet_rows, year_report

    moment = now()
    year = _year(moment)
    return downloads.rows_sheet(f"{year}年度工作数据", fmt, request.args.get("encoding"), moment, SHEET_COLUMNS,
                                sheet_rows(year_report(year, moment)), widths=[16, 24, 10])


def _year(moment) -> int:
    from ..common.timeutil import local
    from ..http import int_arg
    from .year import EARLIEST, report_year

    return int_arg(request.args, "year", EARLIEST, local(moment).year) or report_year(moment)
