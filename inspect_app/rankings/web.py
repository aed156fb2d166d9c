"""Pages: published 红黑榜 (all roles; units without ticket details), one list, its PDFs (通报 and 曝光版); the
office previews, publishes, edits the scoring schemes and the comparison groups; the rankings dashboard (groups,
each unit's score trend, assessment scores). Routes read input, call one service, render or redirect."""
from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.errors import Invalid, NotFound, ServiceError
from ..common.ids import row_id
from ..common.timeutil import local
from ..http import flag_arg, form_again, now, pdf_bytes, pdf_file
from ..policy import CITYWIDE, EVERYONE, OFFICE, has_role, may_open, requires
from ..units.models import UNIT_KINDS
from . import scoring, services
from .periods import containing, parse_period
from .schemes import Scheme

bp = Blueprint("rankings", __name__, url_prefix="/rankings")
URL_QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unescaped in a query (werkzeug.urls._urlencode)


@bp.app_template_global("ticket_list_url")
def ticket_list_url(**filters) -> str | None:
    """A link to the office's ticket list with filters (unit_id/source/from/to/overdue...), or None when the
    user may not use that page. The leaders' dashboard links every unit of its map and tables (about 270 links):
    whether the user may open the list and the list's path are asked once a request, and the query is encoded as
    url_for encodes it (werkzeug's safe characters), at a tenth of url_for's cost each."""
    try:
        base = g.ticket_list_base
    except AttributeError:
        base = g.ticket_list_base = (url_for("tickets.office_list")
                                     if may_open(current_user, "tickets.office_list") else None)
    if base is None:
        return None
    query = [(k, v) for k, v in filters.items() if v not in (None, "", False)]
    return f"{base}?{urlencode(query, doseq=True, safe=URL_QUERY_SAFE)}" if query else base


@bp.app_template_global("figure_list_url")
def figure_list_url(figure: str, unit_id: int, day_from: str, day_to: str, entry_id: int | None = None,
                    stored: list[str] | tuple = (), territory: bool = False) -> str | None:
    """The problems behind one of a 红黑榜 entry's figures (found, overdue, rework; rankings/counts.py), as the list's
    page and the 领导看板 link them: a published entry's stored ids where they are the figure's (`stored`:
    services.stored_figures), else the same conditions now over the period's Shanghai days (found: reported in
    it, charged to the unit as 主办, 协办 or 包抓, not 作废; overdue and rework: the 主办's problems due in it, their
    deadline passed). A figure counted over the unit's territory (`territory`: figures["territory"]) lists the
    territory's problems as the list counts them (scope=territory, sub_unit and territory_role: found those its
    units lead, assist or on its ground, overdue and rework those led or on its ground)."""
    if entry_id is not None and figure in stored:
        return ticket_list_url(ranking_entry_id=entry_id, ranking_figure=figure)
    if territory:
        over = {"scope": "territory", "sub_unit": unit_id,
                "territory_role": "answering" if figure == "found" else "whole"}
        if figure == "found":
            return ticket_list_url(**over, status="valid", **{"from": day_from, "to": day_to})
        if figure == "overdue":
            return ticket_list_url(**over, due_from=day_from, due_to=day_to, late=1)
        return ticket_list_url(**over, status="valid", due_from=day_from, due_to=day_to, due_passed=1, reworked=1)
    if figure == "found":
        return ticket_list_url(answering_unit_id=unit_id, status="valid", **{"from": day_from, "to": day_to})
    if figure == "overdue":
        return ticket_list_url(unit_id=unit_id, due_from=day_from, due_to=day_to, late=1)
    # due: its deadline in the period and passed (counts._due, up to now), as late=1 bounds 超期
    return ticket_list_url(unit_id=unit_id, status="valid", due_from=day_from, due_to=day_to, due_passed=1,
                           reworked=1)


def _suggested_periods(moment) -> list[tuple[str, bool]]:
    """[(period key, still running)]: last and this month, last and this week."""
    month = containing(moment, "month")
    week = containing(moment, "week")
    return [(p.key, p.end > moment) for p in (month.previous(), month, week.previous(), week)]


@bp.get("/")
@requires(EVERYONE)
def index():
    items = services.list_rankings(current_user)
    latest_per_period: dict[str, list] = {}
    for ranking in items:
        latest_per_period.setdefault(ranking.period, []).append(ranking)
    return render_template("rankings/index.html", groups=list(latest_per_period.values()),
                           suggested=_suggested_periods(now()), labels=scoring.LIST_LABELS,
                           schemes=services.schemes() if has_role(current_user, CITYWIDE) else [])


def _render(data: dict, ranking=None, preview: bool = False, versions=(), quiet: bool = False,
            trial: dict | None = None):
    """`trial`: a preview's {"scheme": code, "group": name} as asked (each may be None)."""
    period = parse_period(data["period"])
    return render_template("rankings/detail.html", data=data, ranking=ranking, versions=versions, preview=preview,
                           quiet=quiet, trial=trial or {}, tie_rule=data.get("ties") or scoring.OLD_TIE_RULE,
                           tie_break=scoring.TIE_BREAK,
                           details=services.sees_ticket_details(current_user), period=period,
                           by_group=_by_group(data["entries"]),
                           schemes=services.schemes() if preview else [],
                           publish_basis=_publish_basis() if preview else "",
                           early_notice=services.early_notice(period, now()) if preview else None,
                           not_started=preview and period.start >= now())


def _publish_basis() -> str:
    """What publishing scores by, whatever the preview tried: the scheme in force, and each group's own scheme
    (评分方案：… as the 通报 prints it)."""
    rows = services.schemes()
    names = {row.code: row.name for row in rows}
    in_force = next((row.name for row in rows if row.in_force), "")
    own = "".join(f"；{group.name}按本组方案“{names.get(group.scheme_code, group.scheme_code)}”"
                  for group in services.groups() if group.scheme_code)
    return f"现行方案“{in_force}”{own}"


def _by_group(entries: list[dict]) -> list[tuple[str, list[dict], list[tuple[str, list[str]]]]]:
    """[(group, ranked entries, [(reason, names of the units not ranked for it)])] in the list's order."""
    out: dict[str, tuple[list, list]] = {}
    for e in entries:
        ranked, rest = out.setdefault(e["group"], ([], []))
        (ranked if e["ranked"] else rest).append(e)
    return [(g, r, scoring.unranked_by_reason([(e["reason"], e["unit"]["name"]) for e in u]))
            for g, (r, u) in out.items()]


@bp.get("/<int:ranking_id>")
@requires(EVERYONE)
def detail(ranking_id: int):
    ranking = services.get_ranking(current_user, ranking_id)
    return _render(services.ranking_dict(ranking, current_user), ranking, versions=services.versions_of(ranking))


@bp.get("/<int:ranking_id>/pdf")
@requires(EVERYONE)
def pdf(ranking_id: int):
    """?variant=exposure: the 曝光版 (citywide readers)."""
    return pdf_file(*services.pdf_for(current_user, ranking_id, request.args.get("variant")))


@bp.get("/preview")
@requires(CITYWIDE)
def preview():
    try:
        period = parse_period(request.args.get("period"))
        code = request.args.get("scheme")
        group = (request.args.get("group") or "").strip() or None  # try the scheme on this group only
        scheme = services.scheme_by_code(code) if code else None
        computed = services.compute(period, now(), scheme, scheme_group=group)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("rankings.index"))
    return _render(services.computed_dict(computed), preview=True, quiet=computed.quiet,
                   trial={"scheme": code, "group": group})


@bp.post("/publish")
@requires(OFFICE)
def publish():
    """A period that has not ended is published only with the 提前发布 box ticked (early=1); without it the office
    is sent to the period's preview, which says what publishing now would leave out."""
    try:
        period = parse_period(request.form.get("period"))
        ranking = services.publish(period, now(), user=current_user, early=flag_arg(request.form, "early"))
    except ServiceError as error:
        flash(error.message, "error")
        if error.code == "period_not_ended":
            return redirect(url_for("rankings.preview", period=period.key), 303)
        return redirect(url_for("rankings.index"), 303)
    flash(f"已发布{parse_period(ranking.period).short_label}红黑榜（{ranking.number}）。", "success")
    return redirect(url_for("rankings.detail", ranking_id=ranking.id), 303)


# ----------------------------------------------------------------------------- schemes

@bp.get("/schemes")
@requires(CITYWIDE)
def schemes():
    return _schemes_page()


def _schemes_page(error: str | None = None, code: str | None = None, text: str | None = None):
    rows = []
    for row in services.schemes():
        scheme = Scheme.from_dict(row.document)
        rows.append({"row": row, "scheme": scheme,
                     "json": json.dumps(scheme.to_dict(), ensure_ascii=False, indent=2)})
    used_by: dict[str, list[str]] = {}  # the groups scored under a scheme of their own, by its code
    for group in services.groups():
        if group.scheme_code:
            used_by.setdefault(group.scheme_code, []).append(group.name)
    return render_template("rankings/schemes.html", rows=rows, error=error, error_code=code, text=text,
                           used_by=used_by, editable=has_role(current_user, OFFICE))


@bp.post("/schemes")
@requires(OFFICE)
def save_scheme():
    text = request.form.get("document") or ""
    try:
        try:
            document = json.loads(text)
        except ValueError as problem:
            raise Invalid(f"方案不是有效的 JSON：第{getattr(problem, 'lineno', '?')}行附近有误。",
                          code="invalid_scheme") from None
        scheme = services.save_scheme(current_user, document, now())
    except ServiceError as problem:
        return _schemes_page(problem.message, request.form.get("code"), text), problem.status
    flash(f"评分方案“{scheme.name}”已保存。", "success")
    return redirect(url_for("rankings.schemes"), 303)


@bp.post("/schemes/<scheme_code>/activate")
@requires(OFFICE)
def activate_scheme(scheme_code: str):
    scheme = services.activate_scheme(current_user, scheme_code, now())
    flash(f"已启用评分方案“{scheme.name}”，此后计算和发布的红黑榜使用该方案。", "success")
    return redirect(url_for("rankings.schemes"), 303)


# ----------------------------------------------------------------------------- groups

GROUP_ROWS = 8  # rows on the office's form; a name left empty is not saved
# a row's fields on the form (g0_name …), and `was`: the name its group had when the form was drawn
GROUP_FIELDS = ("name", "kinds", "red_size", "red_floor", "black_size", "black_below", "territorial", "scheme",
                "was")


@bp.get("/groups")
@requires(CITYWIDE)
def groups():
    return _groups_page()


def _group_rows(rows, typed) -> list[dict]:
    """The form's rows: as typed (a refused form), else the groups as stored, then empty rows with the defaults
    of a group (scoring.GroupRule)."""
    if typed is not None:
        return [{f: typed.get(f"g{i}_{f}", "") for f in GROUP_FIELDS} for i in range(GROUP_ROWS)]
    blank = scoring.GroupRule("")
    out = []
    for i in range(GROUP_ROWS):
        g = rows[i] if i < len(rows) else None
        rule = g or blank
        # a kind no unit can have (乡镇, stored by migration 0050) matches nothing, and is not offered to be saved
        kinds = "、".join(k for k in g.kinds if k in UNIT_KINDS) if g else ""
        out.append({"name": rule.name, "kinds": kinds, "red_size": rule.red_size,
                    "red_floor": f"{rule.red_floor:g}", "black_size": rule.black_size,
                    "black_below": f"{rule.black_below:g}", "territorial": "1" if g and g.territorial else "",
                    "scheme": (g.scheme_code or "") if g else "", "was": g.name if g else ""})
    return out


def _groups_page(typed=None, error: str | None = None):
    """The groups and their units; for the office, the form (as typed, with `error`, when it was refused)."""
    rows = services.groups()
    schemes = services.schemes()
    return render_template("rankings/groups.html", groups=rows, members=services.group_members(), error=error,
                           schemes=schemes, scheme_names={s.code: s.name for s in schemes},
                           in_force=next((s.name for s in schemes if s.in_force), ""),
                           form_rows=_group_rows(rows, typed), typed=typed, unit_kinds=UNIT_KINDS,
                           other=services.OTHER_GROUP, other_rule=scoring.rule_for(services.OTHER_GROUP),
                           editable=has_role(current_user, OFFICE))


@bp.post("/groups")
@requires(OFFICE)
def save_groups():
    form = request.form
    items = [{"name": form.get(f"g{i}_name"), "unit_kinds": form.get(f"g{i}_kinds"),
              "red_size": form.get(f"g{i}_red_size"), "red_floor": form.get(f"g{i}_red_floor"),
              "black_size": form.get(f"g{i}_black_size"), "black_below": form.get(f"g{i}_black_below"),
              "territorial": bool(form.get(f"g{i}_territorial")), "scheme_code": form.get(f"g{i}_scheme"),
              "was": form.get(f"g{i}_was")}
             for i in range(GROUP_ROWS)]
    placements = {}
    for key, value in form.items():
        if key.startswith("unit_") and (unit_id := row_id(key[5:])) is not None:
            placements[unit_id] = value.strip()
    try:
        services.save_groups(current_user, items, placements, now())
    except ServiceError as problem:
        return form_again(problem, _groups_page)
    flash("排名分组已保存。", "success")
    return redirect(url_for("rankings.groups"), 303)


# ----------------------------------------------------------------------------- dashboard

@bp.get("/dashboard")
@requires(CITYWIDE)
def dashboard():
    from .dashboard import dashboard_data

    return render_template("rankings/dashboard.html", **dashboard_data(now(), request.args.get("group")))


# ----------------------------------------------------------------------------- the year's summary

def _year() -> int:
    from ..http import int_arg
    from .annual import YEARS, latest_year

    return int_arg(request.args, "year", *YEARS) or latest_year(now())


@bp.get("/year")
@requires(EVERYONE)
def year_page():
    """年度汇总: the monthly lists of a year side by side, each unit's average and its red and black months. Units
    read it too (the monthly lists it sums are theirs to read), with their own row marked; the spreadsheet and the
    通报 draft are the office's and the leaders'."""
    from .annual import METHOD, early_text, first_year, scheme_notes, year_summary

    year = _year()
    summary = year_summary(year)
    mine = None  # a unit's own row: (group, its UnitYear, how many in the group were ranked)
    if not has_role(current_user, CITYWIDE):
        mine = next(((group, u, sum(1 for m in members if m.rank)) for group, members in summary.groups
                     for u in members if u.unit_id == current_user.unit_id), None)
    moment = now()
    return render_template("rankings/year.html", year=year, summary=summary, method=METHOD, mine=mine,
                           citywide=has_role(current_user, CITYWIDE), this_year=local(moment).year,
                           first_year=first_year(moment), early=summary.early, early_text=early_text(summary),
                           scheme_notes=scheme_notes(summary))


@bp.get("/year.<any(xlsx, csv):fmt>")
@requires(CITYWIDE)
def year_export(fmt: str):
    from ..office import downloads
    from .annual import columns, sheet_rows, year_summary

    year = _year()
    summary = year_summary(year)
    return downloads.rows_sheet(f"{year}年红黑榜年度汇总", fmt, request.args.get("encoding"), now(), columns(summary),
                                sheet_rows(summary), widths=[10, 6, 24, 8, 10, 8, 8, 8]
                                + [14 if m in summary.early else 7 for m in range(1, 13)])


@bp.get("/year.pdf")
@requires(CITYWIDE)
def year_pdf():
    """The year's result as a 通报 draft (草稿) for the leaders to approve."""
    from .annual import year_summary
    from .annual_pdf import render_year_pdf

    year = _year()
    summary = year_summary(year)
    if not summary.months:
        raise NotFound(f"{year}年还没有发布月榜，无法生成年度考评结果通报。")
    return pdf_bytes(render_year_pdf(summary, local(now()).date()), f"rankings-{year}.pdf",
                     f"{year}年度考评结果通报（草稿）.pdf")


@bp.app_template_global("late_state")
def late_state_global(case: dict) -> str:
    from .pdf import late_state

    return late_state(case)


@bp.app_template_global("tied_out_text")
def tied_out_text_global(list_name: str, info: dict) -> str:
    return scoring.tied_out_text(list_name, info)


@bp.app_template_filter("pct")
def pct_filter(value) -> str:
    return "—" if value is None else scoring.pct(value)


@bp.app_template_global("period_label")
def period_label(key: str) -> str:
    try:
        return parse_period(key).label
    except ServiceError:
        return key
