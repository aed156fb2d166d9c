"""A unit's inbox in the HTTP API v1: the unread count and the news (reading does not mark it read; POST
/inbox/seen does)."""
from __future__ import annotations

from flask import jsonify

from ..api.common import api_blueprint, current
from ..common.timeutil import isoformat
from ..http import now
from ..policy import UNITS, requires
from . import services

bp = api_blueprint("api_notices", __name__)


@bp.get("/inbox")
@requires(UNITS)
def inbox():
    news = services.inbox(current(), now())
    return jsonify({"unread": news.unread, "summary": news.summary,
                    "items": [{"kind": i.kind, "at": isoformat(i.at), "title": i.title, "detail": i.detail,
                               "url": i.url, "unread": i.unread} for i in news.items],
                    "unlisted": [{"kind": u.kind, "count": u.count, "url": u.url} for u in news.unlisted]})


@bp.post("/inbox/seen")
@requires(UNITS)
def seen():
    services.mark_seen(current(), now())
    return jsonify({"unread": 0})
