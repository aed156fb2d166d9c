"""Pages: published 红黑榜 (all roles; units without ticket details), one list, its PDF; the office computes,
previews and publishes, and edits the scoring rules. Routes read input, call one service, render or redirect."""
from __future__ import annotations


from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.errors import ServiceError
from ..http import now, pdf_file
from ..policy import CITYWIDE, EVERYONE, OFFICE, has_role, may_open, requires
from . import scoring, services
from .periods import containing, parse_period

bp = Blueprint("rankings", __name__, url_prefix="/rankings")


@bp.app_template_global("ticket_list_url")
def ticket_list_url(**filters) -> str | None:
    """A link to the office's ticket list with filters (status/unit_id/category/district/overdue),
    or None when that page is absent or the user may not use it."""
    if not may_open(current_user, "tickets.office_list"):
        return None
    return url_for("tickets.office_list", **{k: v for k, v in filters.items() if v not in (None, "", False)})


def _suggested_periods(now) -> list[str]:
    month = containing(now, "month")
    week = containing(now, "week")
    return [month.previous().key, month.key, week.previous().key, week.key]


@bp.get("/")
@requires(EVERYONE)
def index():
    items = services.list_rankings(current_user)
    latest_per_period: dict[str, list] = {}
    for ranking in items:
        latest_per_period.setdefault(ranking.period, []).append(ranking)
    return render_template("rankings/index.html", groups=list(latest_per_period.values()),
                           suggested=_suggested_periods(now()), labels=scoring.LIST_LABELS)


@bp.get("/<int:ranking_id>")
@requires(EVERYONE)
def detail(ranking_id: int):
    ranking = services.get_ranking(current_user, ranking_id)
    data = services.ranking_dict(ranking, current_user)
    return render_template("rankings/detail.html", data=data, ranking=ranking,
                           versions=services.versions_of(ranking), preview=False,
                           details=services.sees_ticket_details(current_user))


@bp.get("/<int:ranking_id>/pdf")
@requires(EVERYONE)
def pdf(ranking_id: int):
    return pdf_file(*services.pdf_for(current_user, ranking_id))


@bp.get("/preview")
@requires(CITYWIDE)
def preview():
    try:
        period = parse_period(request.args.get("period"))
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("rankings.index"))
    computed = services.compute(period, now())
    data = services.computed_dict(computed)
    return render_template("rankings/detail.html", data=data, ranking=None, versions=[], preview=True,
                           details=services.sees_ticket_details(current_user))


@bp.post("/publish")
@requires(OFFICE)
def publish():
    try:
        period = parse_period(request.form.get("period"))
        ranking = services.publish(period, now(), user=current_user)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("rankings.index"), 303)
    flash(f"已发布{parse_period(ranking.period).label}红黑榜（第{ranking.version}版）。", "success")
    return redirect(url_for("rankings.detail", ranking_id=ranking.id), 303)


@bp.get("/rules")
@requires(CITYWIDE)
def rules():
    return _rules_page(services.current_rules())


@bp.post("/rules")
@requires(OFFICE)
def save_rules():
    try:
        services.save_rules(current_user, rules_from_form(request.form), now())
    except ServiceError as problem:
        return _rules_page(services.current_rules(), problem.message), 422
    flash("评分规则已保存，此后计算和发布的红黑榜将使用新规则。", "success")
    return redirect(url_for("rankings.rules"), 303)


def _rules_page(current, error: str | None = None):
    return render_template("rankings/rules.html", rules=current, error=error, form=request.form,
                           rates=scoring.RATES, counts={k: v for k, v in scoring.COUNT_LABELS.items() if k != "due"},
                           default=scoring.DEFAULT_RULES, editable=has_role(current_user, OFFICE))


TERM_ROWS = 6


def rules_from_form(form) -> dict:
    """The rules form: up to TERM_ROWS rate/inverse terms, one deduction term, list sizes and thresholds."""
    terms = []
    for i in range(TERM_ROWS):
        kind, of, weight = form.get(f"t{i}_type"), form.get(f"t{i}_of"), (form.get(f"t{i}_weight") or "").strip()
        if kind in ("rate", "inverse") and of and weight:
            terms.append({"type": kind, "of": of, "weight": weight})
    base = (form.get("ded_base") or "").strip()
    if base:
        per = {name: form.get(f"ded_{name}").strip() for name in scoring.COUNT_LABELS
               if name != "due" and (form.get(f"ded_{name}") or "").strip()}
        terms.append({"type": "deduction", "base": base, "per": per})
    return {"name": form.get("name") or "自定义公式", "terms": terms,
            "red": {"size": form.get("red_size"), "min_score": form.get("red_min")},
            "black": {"size": form.get("black_size"), "max_score": form.get("black_max")},
            "min_sample": form.get("min_sample")}


@bp.app_template_filter("pct")
def pct_filter(value) -> str:
    return "—" if value is None else scoring.pct(value)


@bp.app_template_global("period_label")
def period_label(key: str) -> str:
    try:
        return parse_period(key).label
    except ServiceError:
        return key
