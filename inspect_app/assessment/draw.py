"""The random draw of a round: counts per site type, optionally per district (stratified), reproducible from a
recorded seed, optionally leaving out sites visited in the last N rounds.

The draw depends only on the seed and the register: candidates of each stratum are ordered by site id and each
stratum has its own generator seeded with "seed:type:district", so the same seed and register give the same
sites, and adding a type to the request does not change what another type draws."""
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
    exclude_recent: int = 0            # leave out sites drawn in the last N rounds (any kind)
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
    recent = recent_round_ids(request.exclude_recent)
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
