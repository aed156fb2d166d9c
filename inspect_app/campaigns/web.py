"""专项整治行动 pages: the list and one campaign's progress (citywide readers; a unit sees its own problems in
them, a unit with units under it its territory's with scope=territory, read only), its 进展通报 draft (the office and the leaders). Editing stays with the office's data (office/web.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..common.timeutil import local
from ..dashboard.charts import trend_svg
from ..common.errors import Forbidden
from ..http import choice_arg, int_arg, now, pdf_bytes
from ..navigation import WHEN, Count
from ..office.campaigns import list_campaigns
from ..office.reference import get
from ..policy import EVERYONE, LEADERSHIP, UNITS, has_role, may_open, requires
from ..tickets.campaigns import Campaign
from ..tickets.policy import territory_scope, ticket_scope
from ..tickets.queries import SCOPES
from ..tickets.territory import in_territory
from ..units.territory import oversees
from . import bulletin, progress

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _shown(user) -> bool | Count:
    """The menu's 专项行动: citywide readers always; a unit while a campaign runs."""
    if not has_role(user, UNITS):
        return True
    return Count(progress.running_statement(), {"campaign_day": local(now()).date()})


WHEN["campaigns.index"] = _shown


def scope_for(user, args=None):
    """Whose problems a campaign's figures count: every unit's, or a unit's own (those it has a part in); with
    `args` scope=territory (and sub_unit) its territory's, as the ticket list reads them (辖区问题, read only:
    tickets/policy.territory_scope, 403 for a unit that oversees nobody, 404 a sub_unit outside the territory)."""
    if args is not None and (choice_arg(args, "scope", SCOPES, code="invalid_scope", label="范围")
                             or args.get("sub_unit")):
        return in_territory(territory_scope(user, int_arg(args, "sub_unit")))
    return ticket_scope(user) if has_role(user, UNITS) else None


def territory_args(args) -> dict:
    """The page's scope=territory arguments, for its links (empty: not the territory view)."""
    if args.get("scope") != "territory" and not args.get("sub_unit"):
        return {}
    return {"scope": "territory", **({"sub_unit": args["sub_unit"]} if args.get("sub_unit") else {})}

PHONE_WEEKS = 8  # a phone's chart shows the last weeks only, as the 领导看板's does


@bp.get("/")
@requires(EVERYONE)
def index():
    """Every campaign with its figures: a unit's own problems, or with scope=territory (as a campaign's page) its
    territory's, each campaign opening in the same view."""
    moment = now()
    try:
        scope = scope_for(current_user, request.args)
    except Forbidden:  # a unit overseeing nobody: its own problems, as the ticket list answers it
        return redirect(url_for(".index"), 303)
    over = territory_args(request.args)
    rows = [{"campaign": c, "figures": progress.summary(c, moment, scope), **progress.timeline(c, moment)}
            for c in list_campaigns()]  # a handful a year
    order = {"进行中": 0, "未开始": 1, "已结束": 2}
    rows.sort(key=lambda r: order[r["status"]])  # running first; each group newest first (list_campaigns)
    return render_template("campaigns/index.html", rows=rows, own=scope is not None and not over, territory=over,
                           oversees=oversees(current_user), may_edit=may_open(current_user, "office.campaign_form"))


@bp.get("/<int:campaign_id>")
@requires(EVERYONE)
def show(campaign_id: int):
    campaign = get(Campaign, campaign_id)
    try:
        scope = scope_for(current_user, request.args)
    except Forbidden:  # a unit overseeing nobody: its own problems, as the ticket list answers it
        return redirect(url_for(".show", campaign_id=campaign.id), 303)
    over = territory_args(request.args)
    figures = progress.figures(campaign, now(), scope, split_units=bool(over))
    chart = [_bar(week) for week in figures["weeks"]]
    return render_template("campaigns/show.html", campaign=campaign, f=figures, own=scope is not None and not over,
                           territory=over, oversees=oversees(current_user),
                           chart=trend_svg(chart, css="wide") if chart else None,
                           chart_phone=trend_svg(chart[-PHONE_WEEKS:], width=380, height=240, css="narrow")
                           if chart else None, phone_weeks=min(PHONE_WEEKS, len(chart)),
                           may_edit=may_open(current_user, "office.campaign_form"),
                           may_draft=may_open(current_user, "campaigns.bulletin_pdf"))


def _bar(week: progress.Week) -> dict:
    """A week as the dashboard's chart draws it."""
    return {"period": week.span,
            "label": f"{week.first.month}/{week.first.day}", "new": week.new, "closed": week.closed,
            "on_time_rate": None if week.on_time_rate is None else week.on_time_rate / 100, "current": week.current}


@bp.get("/<int:campaign_id>/bulletin.pdf")
@requires(LEADERSHIP)
def bulletin_pdf(campaign_id: int):
    """关于…进展情况的通报, a draft for the leaders to approve, as of today (or the campaign's end)."""
    campaign = get(Campaign, campaign_id)
    moment = now()
    today = local(moment).date()
    if today < campaign.start_date:
        flash(f"“{campaign.name}”{campaign.start_date.month}月{campaign.start_date.day}日开始，尚无进展可通报。",
              "error")
        return redirect(url_for(".show", campaign_id=campaign.id))
    return pdf_bytes(bulletin.render(campaign, moment), f"campaign-{campaign.id}-{today.isoformat()}.pdf",
                     f"{campaign.name}进展情况通报（草稿）_{today}.pdf")
