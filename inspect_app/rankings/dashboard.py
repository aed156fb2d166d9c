"""The rankings dashboard: the latest published list by group, each unit's score over the last periods, and the
assessment scores by district and site type; every figure links to the tickets behind it (the ticket list with
unit, source and reported-date filters)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..assessment.scores import latest_scored, site_rows, summarise
from ..extensions import db
from ..sites.models import SiteKind

from . import services
from .models import Ranking
from .periods import parse_period

TREND_PERIODS = 6


def dashboard_data(now: datetime, group: str | None = None) -> dict:
    latest = services.latest("month") or services.latest()
    data = {"latest": latest, "groups": [], "trend": {"periods": [], "units": {}, "rows": []}, "assessment": assessment(now),
            "group_filter": group, "period": None, "scheme_notes": []}
    if latest is None:
        return data
    period = parse_period(latest.period)
    data["period"] = period
    data["date_from"] = period.first_day.isoformat()
    data["date_to"] = period.last_day.isoformat()
    by_group: dict[str, list] = {}
    for e in latest.entries:
        by_group.setdefault(e.group_name or "—", []).append(e)
    data["groups"] = [(name, entries) for name, entries in by_group.items()]
    unit_ids = [e.unit_id for e in latest.entries if not group or e.group_name == group]
    trend = services.trend(unit_ids, kind=latest.kind, periods=TREND_PERIODS)
    # rows in the latest list's order (group, then rank); units never ranked in these periods are left out
    trend["rows"] = [(uid, trend["units"][uid]) for uid in unit_ids
                     if uid in trend["units"] and any(s is not None for s in trend["units"][uid]["scores"])]
    data["trend"] = trend
    data["group_names"] = list(by_group)
    data["scheme_notes"] = trend_scheme_notes(trend, [group] if group else list(by_group))
    return data


def trend_scheme_notes(trend: dict, groups: list[str]) -> list[str]:
    """A line for each of `groups` scored under different schemes over the trend's periods, so that a jump in its
    scores is read for what it is: "区县：2026-10按“问题扣分制（默认方案）”，2026-11按“区县按辖区综合评价”计分，前后得分口径
    不同。"."""
    ids = trend.get("ranking_ids") or []
    rankings = {r.id: r for r in db.session.scalars(select(Ranking).where(Ranking.id.in_(ids)))} if ids else {}
    used = services.schemes_used([(key, rankings[rid]) for key, rid in zip(trend["periods"], ids) if rid in rankings])
    notes = []
    for group in groups:
        if schemes := used.get(group):
            said = "，".join(f"{'、'.join(keys)}按“{name}”" for name, keys in
                            sorted(schemes.items(), key=lambda item: trend["periods"].index(item[1][0])))
            notes.append(f"{group}：{said}计分，前后得分口径不同。")
    return notes


def assessment(now: datetime) -> dict | None:
    """By district and by site type, the latest round with submitted sites (the assessment feature's own scores),
    with the round and the site types' ids, so that each row links to the tickets its failures became (the ticket
    list by round_id with site_district or site_kind_id); None without rounds."""
    rnd = latest_scored(now)  # the round the 领导看板's 文明测评 card shows too
    if rnd is None:
        return None
    rows, blame, index = site_rows(rnd.id)
    summary = summarise(rows, rnd.checklist_version.full_score, None, blame, index)
    kinds = dict(db.session.execute(select(SiteKind.name, SiteKind.id).where(SiteKind.name.in_(summary["by_kind"]))
                                    ).all()) if summary["by_kind"] else {}
    return {"round_name": rnd.name, "round_kind": rnd.kind_label, "created_at": rnd.created_at,
            "round_id": rnd.id, "kind_ids": kinds,
            "by_district": summary["by_district"], "by_kind": summary["by_kind"]}
