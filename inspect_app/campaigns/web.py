"""专项整治行动 pages: the list and one campaign's progress (citywide readers; a unit sees its own problems in
them), its 进展通报 draft (the office and the leaders). Editing stays with the office's data (office/web.py)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from ..common.timeutil import local
from ..dashboard.charts import trend_svg
from ..http import now, pdf_bytes
from ..navigation import WHEN, Count
from ..office.campaigns import list_campaigns
from ..office.reference import get
from ..policy import EVERYONE, LEADERSHIP, UNITS, has_role, may_open, requires
from ..tickets.campaigns import Campaign
from ..tickets.policy import ticket_scope
from . import bulletin, progress

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _shown(user) -> bool | Count:
    """The menu's 专项行动: citywide readers always; a unit while a campaign runs."""
    if not has_role(user, UNITS):
        return True
    return Count(progress.running_statement(), {"campaign_day": local(now()).date()})


WHEN["campaigns.index"] = _shown


def scope_for(user):
    """Whose problems a campaign's figures count: every unit's, or a unit's own (those it has a part in)."""
    return ticket_scope(user) if has_role(user, UNITS) else None

PHONE_WEEKS = 8  # a phone's chart shows the last weeks only, as the 领导看板's does


@bp.get("/")
@requires(EVERYONE)
def index():
    moment, scope = now(), scope_for(current_user)
    rows = [{"campaign": c, "figures": progress.summary(c, moment, scope), **progress.timeline(c, moment)}
            for c in list_campaigns()]  # a handful a year
    order = {"进行中": 0, "未开始": 1, "已结束": 2}
    rows.sort(key=lambda r: order[r["status"]])  # running first; each group newest first (list_campaigns)
    return render_template("campaigns/index.html", rows=rows, own=scope is not None,
                           may_edit=may_open(current_user, "office.campaign_form"))


@bp.get("/<int:campaign_id>")
@requires(EVERYONE)
def show(campaign_id: int):
    campaign, scope = get(Campaign, campaign_id), scope_for(current_user)
    figures = progress.figures(campaign, now(), scope)
    chart = [_bar(week) for week in figures["weeks"]]
    return render_template("campaigns/show.html", campaign=campaign, f=figures, own=scope is not None,
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
