"""The random draw of a round: counts per site type, optionally per district (stratified), reproducible from a
recorded seed, optionally leaving out the sites of given rounds (the last N when the round was made).

The draw depends only on the request and the register: candidates of each stratum are ordered by site id and each
stratum has its own generator seeded with "seed:type:district", so the same seed, counts, districts and left-out
rounds on the same register give the same sites, and adding a type to the request does not change what another
type draws. "The last N rounds" names other rounds as rounds are added: a round records which it left out
(services.create_round), and drawing again from its record leaves out those."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..sites.models import Site, SiteKind
from .models import Round, RoundSite


@dataclass
class DrawRequest:
    per_kind: dict[str, int]           # type name → sites to draw (per district when per_district)
    seed: int
    per_district: bool = False
    exclude_rounds: list[int] = field(default_factory=list)  # leave out the sites drawn in these rounds
    districts: list[str] | None = None  # limit to these districts (None: all)


@dataclass
class DrawResult:
    site_ids: list[int]
    shortages: list[dict] = field(default_factory=list)  # strata with fewer candidates than asked
    excluded: int = 0


def pick(candidates: dict[tuple[str, str | None], list[int]], request: DrawRequest) -> DrawResult:
    """The pure draw: `candidates` maps (type, district or None) to the ids that may be drawn there."""
    chosen: list[int] = []
    shortages = []
    for (kind, district), ids in sorted(candidates.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        wanted = request.per_kind.get(kind, 0)
        if wanted <= 0:
            continue
        pool = sorted(ids)
        rng = random.Random(f"{request.seed}:{kind}:{district or '*'}")
        taken = rng.sample(pool, min(wanted, len(pool)))
        if len(taken) < wanted:
            shortages.append({"kind": kind, "district": district, "wanted": wanted, "drawn": len(taken)})
        chosen.extend(sorted(taken))
    return DrawResult(chosen, shortages)


def recent_round_ids(exclude_recent: int) -> list[int]:
    """The last `exclude_recent` rounds (any kind), newest first."""
    if exclude_recent <= 0:
        return []
    return list(db.session.scalars(select(Round.id).order_by(Round.created_at.desc(), Round.id.desc())
                                   .limit(exclude_recent)))


def candidates(request: DrawRequest) -> tuple[dict, int]:
    """Active sites of the requested types, grouped into strata, without the sites of the recent rounds (left
    out in SQL: the register can hold tens of thousands of sites, the recent rounds thousands)."""
    conn = db.session.connection()  # plain rows: no ORM identity work for thousands of ids
    kinds = dict(conn.execute(select(SiteKind.id, SiteKind.name)
                              .where(SiteKind.name.in_(list(request.per_kind)))).all())
    query = select(Site.id, Site.kind_id, Site.district).where(Site.active.is_(True), Site.kind_id.in_(list(kinds)))
    if request.districts:
        query = query.where(Site.district.in_(request.districts))
    recent = request.exclude_rounds
    dropped = 0
    if recent:
        visited = select(RoundSite.site_id).where(RoundSite.round_id.in_(recent))
        dropped = conn.execute(select(func.count()).select_from(query.where(Site.id.in_(visited)).subquery())
                               ).scalar_one()
        query = query.where(Site.id.not_in(visited))
    strata: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    per_district = request.per_district
    for site_id, kind_id, district in conn.execute(query).all():
        strata[(kinds[kind_id], district if per_district else None)].append(site_id)
    if per_district:  # a district with no candidate of a type is a shortage too
        districts = set(conn.execute(select(Site.district).where(Site.active.is_(True)).distinct()).scalars())
        if request.districts:
            districts &= set(request.districts)
        for kind in request.per_kind:
            for district in districts:
                strata.setdefault((kind, district), [])
    else:
        for kind in request.per_kind:
            strata.setdefault((kind, None), [])
    return strata, dropped


def draw(request: DrawRequest) -> DrawResult:
    strata, dropped = candidates(request)
    result = pick(strata, request)
    result.excluded = dropped
    return result


def _place(spec: dict) -> str:
    """Where an unstratified draw took its sites: the city, or the districts it was limited to."""
    limited = spec.get("districts") or []
    return "、".join(limited) if limited else "全市"


def shortage_text(spec: dict, shortage: dict) -> str:
    """One stratum short of sites: 江城区文化场馆要求2个、实抽1个 (never 全市 for a draw limited to districts)."""
    place = shortage.get("district")
    if not place:
        place = _place(spec)
        place += "范围内" if len(spec.get("districts") or []) > 1 else ""
    return f"{place}{shortage['kind']}要求{shortage['wanted']}个、实抽{shortage['drawn']}个"


def describe(spec: dict, covered: list[str]) -> str:
    """How a round's sites were drawn, as its page and its 通报 say it: where, what was asked and what was
    drawn where fewer could be. `covered`: the districts a stratified draw took sites in (each stratum drew or
    is a shortage)."""
    per_kind: dict = spec.get("per_kind") or {}
    short: dict[str, list] = defaultdict(list)
    for s in spec.get("shortages") or []:
        short[s["kind"]].append(s)
    parts, total = [], 0
    if spec.get("per_district"):
        for kind, wanted in per_kind.items():
            drawn = {s["district"]: s["drawn"] for s in short[kind]}
            total += sum(drawn.get(d, wanted) for d in covered)
            text = f"{kind}{wanted}个"
            if drawn:
                text += "（" + "、".join(f"{d}实抽{n}个" for d, n in drawn.items()) + "，符合条件的点位不足）"
            parts.append(text)
        where = "、".join(covered)
        return (f"按区县分层，在{where}{'各' if len(covered) > 1 else ''}抽取{'、'.join(parts)}，"
                f"共抽取点位{total}个")
    for kind, wanted in per_kind.items():
        drawn = short[kind][0]["drawn"] if short[kind] else wanted
        total += drawn
        parts.append(f"{kind}{drawn}个" + (f"（要求{wanted}个，符合条件的点位不足）" if drawn < wanted else ""))
    return f"在{_place(spec)}范围内抽取{'、'.join(parts)}，共抽取点位{total}个"
