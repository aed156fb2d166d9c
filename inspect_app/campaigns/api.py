"""专项整治行动 in the HTTP API v1: the campaigns with their figures, one campaign's progress (citywide readers;
a unit's figures are of its own problems, without the split by unit; with scope=territory (and sub_unit), as the
ticket list, its territory's, split by the units that lead them)."""
from __future__ import annotations

from flask import jsonify, request

from ..api.common import api_blueprint, current
from ..http import now
from ..office.campaigns import list_campaigns
from ..office.reference import get
from ..policy import EVERYONE, requires
from ..tickets.campaigns import Campaign
from . import progress
from .web import scope_for, territory_args

bp = api_blueprint("api_campaigns", __name__)


def campaign_dict(campaign: Campaign, moment) -> dict:
    return {"id": campaign.id, "name": campaign.name, "start_date": campaign.start_date.isoformat(),
            "end_date": campaign.end_date.isoformat(), "note": campaign.note,
            "categories": [{"id": c.id, "code": c.code, "name": c.name} for c in campaign.categories],
            "districts": campaign.districts, **progress.timeline(campaign, moment)}


@bp.get("/campaigns")
@requires(EVERYONE)
def index():
    moment, scope = now(), scope_for(current(), request.args)
    return jsonify({"items": [{**campaign_dict(c, moment), "figures": progress.summary(c, moment, scope)}
                              for c in list_campaigns()]})


@bp.get("/campaigns/<int:campaign_id>")
@requires(EVERYONE)
def show(campaign_id: int):
    campaign, moment = get(Campaign, campaign_id), now()
    f = progress.figures(campaign, moment, scope_for(current(), request.args),
                         split_units=bool(territory_args(request.args)))
    keys = ("total", "closed", "due", "on_time", "overdue", "open", "closed_rate", "on_time_rate", "voided")
    return jsonify({**campaign_dict(campaign, moment), "figures": {k: f[k] for k in keys},
                    "weeks": [w.as_dict() for w in f["weeks"]],
                    "by_category": f["by_category"], "by_unit": f["by_unit"], "by_district": f["by_district"]})
