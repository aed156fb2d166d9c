"""Whom a new problem goes to: the category's rule (units.models.ROUTES) applied to the segment, the site (点位),
the frontage and the units the inspector picked, with the 属地 unit as the fallback when the rule finds nobody.

    territorial  the segment's 属地 unit (street office or district)
    adopting     the segment's 包抓 unit (a city department), else 属地
    sector       the site's 行业主管 unit (市场监管局 for a market), else the category's own unit, else 属地
    own          the category's own unit, else 属地
    owner        the 产权 units picked at filing (lead first, the rest assisting), else the category's own unit,
                 else 属地
    frontage     the street office of the named 门前四包 frontage, else 属地

属地 is the segment's unit; a problem filed at a site with no road segment near (inside a park or a market) goes to
the site's registered 属地 unit rather than waiting for the office. Retired units and sites are skipped. The office
(filing, or accepting an outside report) may name the units for any category; an inspector only for a category
whose rule is "owner".
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ..common.errors import BadRequest, Invalid
from ..common.ids import row_id
from ..extensions import db
from ..policy import OFFICE, has_role
from ..units.models import Category, Segment, Unit
from .parts import MAX_PARTS

PICKED_AT_FILING = "上报时选择的产权单位"  # the units a reporter named (an inspector's 产权 units)
HOW = {
    "picked": f"按{PICKED_AT_FILING}派遣",
    "territorial": "按责任路段的属地单位自动派遣",
    "adopting": "按责任路段的包抓单位自动派遣",
    "sector": "按点位的行业主管部门自动派遣",
    "site": "按点位的属地单位自动派遣",
    "own": "按问题类别的责任单位自动派遣",
    "frontage": "按门前四包责任商户所在街道自动派遣",
}


@dataclass
class Route:
    lead: Unit | None = None
    assists: list[Unit] = field(default_factory=list)
    how: str = ""
    named: str = PICKED_AT_FILING  # the assisting units' note: who named them


def _usable(unit: Unit | None) -> Unit | None:
    return unit if unit is not None and unit.active else None


def route_for(category: Category, segment: Segment | None, frontage=None, picked: list[Unit] | None = None,
              site=None, named_by: str | None = None) -> Route:
    """The lead unit (None: the office dispatches by hand), the assisting units, and a note saying why.
    `named_by`: who named the `picked` units when not the reporter at filing (文明办受理时指定的责任单位)."""
    picked = [u for u in (picked or []) if _usable(u)]
    if picked:
        return Route(picked[0], picked[1:], f"按{named_by}派遣" if named_by else HOW["picked"],
                     named_by or PICKED_AT_FILING)
    if site is not None and not site.active:
        site = None  # a retired site's register is not asked, as a retired unit is not
    candidates: list[tuple[Unit | None, str]] = []
    if category.route == "own":
        candidates.append((category.owner_unit, "own"))
    elif category.route == "adopting":
        candidates.append((segment.adopting_unit if segment is not None else None, "adopting"))
    elif category.route == "frontage":
        street = frontage.street_unit if frontage is not None else None
        candidates.append((street, "frontage"))
    elif category.route == "sector":
        candidates += [(site.sector_unit if site is not None else None, "sector"), (category.owner_unit, "own")]
    elif category.route == "owner":
        candidates.append((category.owner_unit, "own"))
    candidates += [(segment.unit if segment is not None else None, "territorial"),
                   (site.territorial_unit if site is not None else None, "site")]
    for unit, how in candidates:
        if _usable(unit) is not None:
            return Route(unit, [], HOW[how])
    return Route()


def parse_unit_ids(values: Iterable) -> list[int]:
    """Unit ids from a form (repeated fields) or the API ("3,5,8" or a JSON list), in order, without repeats."""
    result: list[int] = []
    for value in values:
        for piece in str(value if value is not None else "").replace("，", ",").split(","):
            piece = piece.strip()
            if not piece:
                continue
            unit_id = row_id(piece)
            if unit_id is None:
                raise BadRequest("责任单位参数不正确。", code="invalid_unit")
            if unit_id not in result:
                result.append(unit_id)
    return result


def picked_units(reporter, category: Category, unit_ids: list[int]) -> list[Unit]:
    """The units named at filing, checked: active, at most MAX_PARTS, and for an inspector only on an "owner"
    category, from its list of owners when it has one."""
    if not unit_ids:
        return []
    if len(unit_ids) > MAX_PARTS:
        raise Invalid(f"一个问题最多选择{MAX_PARTS}家责任单位。", code="too_many_units")
    office = has_role(reporter, OFFICE)
    if not office and category.route != "owner":
        raise Invalid(f"“{category.name}”按规则自动派遣，不能指定责任单位。", code="units_not_allowed")
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    result = []
    for unit_id in unit_ids:
        unit = units.get(unit_id)
        if unit is None or not unit.active:
            raise Invalid("所选责任单位不存在或已停用。", code="invalid_unit")
        result.append(unit)
    allowed = {u.id for u in category.owner_choices}
    if not office and allowed and any(u.id not in allowed for u in result):
        raise Invalid(f"“{category.name}”只能选择以下产权单位："
                      + "、".join(u.name for u in category.owner_choices) + "。", code="invalid_unit")
    return result


def filing_choices() -> dict:
    """What the filing form's responsibility block needs: the categories whose 产权 units the inspector picks
    (each with its choices, or every active unit when it lists none) and the codes of 门前四包 categories."""
    categories = list(db.session.scalars(select(Category).where(Category.active.is_(True),
                                                                Category.route.in_(("owner", "frontage")))
                                         .order_by(Category.sort_order, Category.id)))
    owner = [c for c in categories if c.route == "owner"]
    every_unit = None
    choices = []
    for category in owner:
        units = [u for u in category.owner_choices if u.active]
        if not units:
            if every_unit is None:
                every_unit = list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))
            units = every_unit
        choices.append((category, units))
    return {"owner": choices, "frontage_codes": [c.code for c in categories if c.route == "frontage"]}
