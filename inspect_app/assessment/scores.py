"""Scores of a round: per site (full score minus deductions), per site type, per district and per answering unit,
and the comparison with the previous round of the same kind.

A site's score is the full score minus the deductions of its failed items that stand (findings.py: a finding the
office voided as wrong deducts nothing; one whose ticket moved to another unit is charged to that unit). A type's or
district's score is the mean of its submitted sites' scores. A unit's score is the full score minus the deductions
charged to it, per site it answers for (in any role, or charged with a finding there): 100 − (its deductions ÷ its
sites), so a unit answering for many sites is not ranked below one answering for a single site for the same
failures. Means and unit scores are rounded once, half up (四舍五入), to the tenth the pages and the 通报 print
(SCORE_PLACES): rounded to hundredths first, 98.0476 became 98.05 and was printed 98.1. Two queries read
everything."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from ..common.numbers import exact, half_up, round_half_up
from ..common.sql import by_code_point
from ..extensions import db
from ..policy import UNITS, has_role, sees_citywide
from ..sites.models import ROLES, Site, SiteKind
from ..units.models import Unit
from . import findings
from .models import ChecklistItem, Result, Round, RoundSite, responsible_unit_id

SCORE_PLACES = 1  # a mean or a unit's score, as every page, card and 通报 prints it (numbers.fixed)


def _mean(values: list[float]) -> float | None:
    """The mean of site scores, in decimals and rounded once (half up) to SCORE_PLACES."""
    return half_up(sum((exact(v) for v in values), Decimal(0)) / len(values), SCORE_PLACES) if values else None


def site_rows(round_id: int, unit_id: int | None = None,
              scored_only: bool = False) -> tuple[list[dict], dict[int, dict], dict[int, dict]]:
    """One row per drawn site (a unit: only sites it answers for; `scored_only`: only those submitted), with its
    failed item codes; and per row (by round site id) the deductions and failure counts per responsible unit."""
    # the site as drawn (its type and district then), not as edited since, and answered for by the units it had
    # when scored (models.responsible_unit_id), not by the site's units now; scores as its findings stand now
    query = (select(RoundSite.id, RoundSite.site_id, RoundSite.status, findings.score(), findings.deducted(),
                    RoundSite.inspector_id, RoundSite.site_code, RoundSite.site_name, RoundSite.district,
                    SiteKind.name, *(responsible_unit_id(role) for role in ROLES))
             .join(Site, Site.id == RoundSite.site_id).join(SiteKind, SiteKind.id == RoundSite.site_kind_id)
             .where(RoundSite.round_id == round_id)
             .order_by(by_code_point(RoundSite.district), SiteKind.sort_order, RoundSite.site_code))
    if unit_id is not None:  # and a site where a finding was moved to it (findings.concerns)
        query = query.where(findings.concerns(unit_id))
    if scored_only:
        query = query.where(RoundSite.status == "submitted")
    conn = db.session.connection()  # plain rows: a round can hold thousands of answers
    rows, index = [], {}
    for (rs_id, site_id, status, score, deducted, inspector_id, code, name, district, kind,
         territorial, sector, operator) in conn.execute(query).all():
        submitted = status == "submitted"
        row = {"site_id": site_id, "code": code, "name": name, "district": district, "kind": kind,
               "status": status, "score": round_half_up(score, 2) if submitted else None,
               "deducted": round_half_up(deducted, 2) if submitted else None, "failed": [],
               "inspector_id": inspector_id,
               "units": {"territorial": territorial, "sector": sector, "operator": operator}}
        rows.append(row)
        index[rs_id] = row
    blame: dict[int, dict] = {}
    if index:
        failures = (select(Result.round_site_id, ChecklistItem.code, findings.charged_unit(), Result.deducted)
                    .join(ChecklistItem, ChecklistItem.id == Result.item_id)
                    .join(RoundSite, RoundSite.id == Result.round_site_id)
                    .where(RoundSite.round_id == round_id, findings.standing())
                    .order_by(Result.id))
        for rs_id, code, responsible, deducted in conn.execute(failures).all():
            row = index.get(rs_id)
            if row is None:
                continue
            row["failed"].append(code)
            per_unit = blame.setdefault(rs_id, {})
            points, count = per_unit.get(responsible, (Decimal(0), 0))
            per_unit[responsible] = (points + exact(deducted or 0.0), count + 1)
    return rows, {rs_id: blame.get(rs_id, {}) for rs_id in index}, index


def kind_order(names) -> list[str]:
    """Site types in the office's order (SiteKind.sort_order, as the 测评体系, the round's page and the 通报's 抽取
    sentence list them), not by code point; a name no type has any more (renamed since) last."""
    names = list(names)
    if not names:
        return []
    order = {name: (sort_order, kind_id) for name, sort_order, kind_id in db.session.connection().execute(
        select(SiteKind.name, SiteKind.sort_order, SiteKind.id).where(SiteKind.name.in_(names))).all()}
    return sorted(names, key=lambda name: (name not in order, order.get(name, (0, 0)), name))


def summarise(rows: list[dict], full_score: float, unit_id: int | None = None,
              blame: dict | None = None, index: dict | None = None) -> dict:
    done = [r for r in rows if r["status"] == "submitted"]
    by_kind: dict[str, list] = defaultdict(list)
    by_district: dict[str, list] = defaultdict(list)
    for r in done:
        by_kind[r["kind"]].append(r)
        by_district[r["district"]].append(r)

    def group(items: list[dict]) -> dict:
        return {"sites": len(items), "score": _mean([r["score"] for r in items]),
                "failed": sum(len(r["failed"]) for r in items),
                "full_marks": sum(1 for r in items if not r["failed"])}

    # the sites each unit answers for: in any role, and where a finding is charged to it (a unit a 退单 moved a
    # finding to may hold no role there; its deduction is per site all the same)
    unit_sites: dict[int, set] = defaultdict(set)
    unit_deducted: dict[int, Decimal] = defaultdict(Decimal)
    unit_failed: dict[int, int] = defaultdict(int)
    for r in done:
        for uid in {u for u in r["units"].values() if u}:
            unit_sites[uid].add(r["site_id"])
    for rs_id, per_unit in (blame or {}).items():
        if index[rs_id]["status"] != "submitted":
            continue
        for uid, (points, count) in per_unit.items():
            if uid is not None:
                unit_sites[uid].add(index[rs_id]["site_id"])
                unit_deducted[uid] += points
                unit_failed[uid] += count
    if unit_id is not None:
        unit_sites = {k: v for k, v in unit_sites.items() if k == unit_id}
    names = dict(db.session.connection().execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(unit_sites))))
                 .all()) if unit_sites else {}
    by_unit = []
    for uid, held in unit_sites.items():
        sites, points = len(held), unit_deducted.get(uid, Decimal(0))
        by_unit.append({"unit_id": uid, "name": names.get(uid, ""), "sites": sites,
                        "deducted": half_up(points, 2),
                        "score": half_up(max(Decimal(0), exact(full_score) - points / sites), SCORE_PLACES),
                        "failed": unit_failed.get(uid, 0)})
    by_unit.sort(key=lambda u: (u["score"], -u["failed"], u["name"]))
    return {
        "overall": {"drawn": len(rows), "submitted": len(done), "score": _mean([r["score"] for r in done]),
                    "failed": sum(len(r["failed"]) for r in done),
                    "full_marks": sum(1 for r in done if not r["failed"])},
        "by_kind": {k: group(by_kind[k]) for k in kind_order(by_kind)},
        "by_district": {k: group(v) for k, v in sorted(by_district.items())},
        "by_unit": by_unit,
    }


def previous_round(rnd: Round) -> Round | None:
    """The latest earlier round of the same kind with at least one submitted site."""
    return db.session.scalar(
        select(Round).where(Round.kind == rnd.kind, Round.id != rnd.id,
                            (Round.created_at < rnd.created_at) | ((Round.created_at == rnd.created_at)
                                                                   & (Round.id < rnd.id)),
                            Round.id.in_(select(RoundSite.round_id).where(RoundSite.status == "submitted")))
        .order_by(Round.created_at.desc(), Round.id.desc()).limit(1))


def latest_scored(now: datetime) -> Round | None:
    """The latest round (of any kind, open or closed) with at least one submitted site: the one the 考评看板 and
    the 领导看板 show."""
    return db.session.scalar(
        select(Round).where(Round.created_at <= now,
                            Round.id.in_(select(RoundSite.round_id).where(RoundSite.status == "submitted")))
        .order_by(Round.created_at.desc(), Round.id.desc()).limit(1))


def lowest(groups: dict) -> tuple[str, dict, int] | None:
    """The district of summarise's by_district with the lowest mean score, the first by name among equals as the
    scores page lists them, and how many share that score; None unless the scores differ
    (one group, or all equal: none is lower than another)."""
    scored = sorted((figures["score"], key) for key, figures in groups.items() if figures["score"] is not None)
    if len(scored) < 2 or scored[0][0] == scored[-1][0]:
        return None
    score, key = scored[0]
    return key, groups[key], sum(1 for s, _ in scored if s == score)


def lowest_unit(by_unit: list[dict]) -> tuple[dict, int] | None:
    """The unit the scores page lists first (summarise sorts by_unit lowest score first) and how many share its
    score, unless every unit has the same score."""
    if len(by_unit) < 2 or by_unit[0]["score"] == by_unit[-1]["score"]:
        return None
    return by_unit[0], sum(1 for u in by_unit if u["score"] == by_unit[0]["score"])


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round_half_up(now - before, 2)


def round_scores(user, rnd: Round, compare: bool = True) -> dict:
    """The scores API.md describes, as this user may see them (a unit: only its sites and its own row)."""
    unit_id = None
    if not sees_citywide(user):
        unit_id = user.unit_id if has_role(user, UNITS) else -1
    full = rnd.checklist_version.full_score
    # A unit sees an open round's sites once scored (services.shown_to_units): not which are still to be visited.
    rows, blame, index = site_rows(rnd.id, unit_id, scored_only=unit_id is not None and rnd.status != "closed")
    if unit_id is not None:  # nor who walked its sites, who may go undercover again (as the round's own answer)
        for row in rows:
            row["inspector_id"] = None
    summary = summarise(rows, full, unit_id, blame, index)
    result = {"round_id": rnd.id, "kind": rnd.kind, "full_score": full, "sites": rows, **summary,
              "previous_round_id": None, "comparison": None}
    previous = previous_round(rnd) if compare else None
    if previous is not None:
        before = round_scores(user, previous, compare=False)
        # A unit none of whose sites was scored there has nothing to compare with (and may not open that round).
        if before["overall"]["submitted"]:
            result["previous_round_id"] = previous.id
            result["comparison"] = compare_with(result, before)
    return result


def compare_with(current: dict, before: dict) -> dict:
    """Better/worse against the previous round: overall, per type, per district, per unit, and per site where the
    same site was drawn both times."""
    def groups(name: str) -> dict:
        out = {}
        for key, figures in current[name].items():
            old = before[name].get(key)
            out[key] = {"previous": old["score"] if old else None,
                        "delta": _delta(figures["score"], old["score"] if old else None)}
        return out

    old_units = {u["unit_id"]: u for u in before["by_unit"]}
    old_sites = {s["site_id"]: s for s in before["sites"] if s["status"] == "submitted"}
    return {
        "previous_score": before["overall"]["score"],
        "delta": _delta(current["overall"]["score"], before["overall"]["score"]),
        "by_kind": groups("by_kind"),
        "by_district": groups("by_district"),
        "by_unit": {u["unit_id"]: {"previous": old_units[u["unit_id"]]["score"],
                                   "delta": _delta(u["score"], old_units[u["unit_id"]]["score"])}
                    for u in current["by_unit"] if u["unit_id"] in old_units},
        "sites": {s["site_id"]: {"previous": old_sites[s["site_id"]]["score"],
                                 "delta": _delta(s["score"], old_sites[s["site_id"]]["score"])}
                  for s in current["sites"] if s["status"] == "submitted" and s["site_id"] in old_sites},
    }


def unit_roles(rows: list[dict], unit_id: int) -> dict[int, list[str]]:
    return {r["site_id"]: [role for role in ROLES if r["units"][role] == unit_id] for r in rows}
