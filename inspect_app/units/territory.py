"""A unit's territory (辖区): the unit and every unit under it by 上级单位 (units.parent_id), at any depth — a
区县人民政府 with its 街道办事处 and their 社区, or a bureau with the units it oversees.

A unit with units under it oversees them (属地管理): its clerks read their problems, letters and figures (read
only: each unit still acts on its own). A unit with nobody under it has no territory beyond itself, and its
clerks see what they always saw. The office sets the hierarchy on the 责任单位 page; a cycle there (which the
page refuses) would not loop here.
"""
from __future__ import annotations

from collections import defaultdict

from flask import g, has_request_context
from sqlalchemy import select

from ..extensions import db
from ..policy import UNITS, has_role
from .models import Unit


def children_by_parent() -> dict[int, list[int]]:
    """parent id -> child ids, every unit (inactive ones too: their past problems stay in the territory)."""
    children: dict[int, list[int]] = defaultdict(list)
    for unit_id, parent_id in db.session.execute(select(Unit.id, Unit.parent_id).where(Unit.parent_id.is_not(None))):
        children[parent_id].append(unit_id)
    return children


def subtree_ids(unit_id: int, children: dict[int, list[int]] | None = None) -> frozenset[int]:
    """The unit and every unit under it, at any depth."""
    children = children_by_parent() if children is None else children
    seen = {unit_id}
    stack = [unit_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return frozenset(seen)


def territory_ids(user) -> frozenset[int] | None:
    """The units this user oversees: a unit clerk whose unit has units under it gets the unit and all of them;
    anyone else None (citywide readers see everything anyway; a unit with nobody under it has no territory).
    Asked once a request."""
    if not (has_role(user, UNITS) and getattr(user, "unit_id", None)):
        return None
    key = ("territory", int(user.unit_id))
    cache = g.setdefault("_territory", {}) if has_request_context() else {}
    if key not in cache:
        # most units have nobody under them: whether it has one child, not the whole hierarchy read and walked
        has_children = db.session.scalar(select(Unit.id).where(Unit.parent_id == user.unit_id).limit(1))
        cache[key] = subtree_ids(int(user.unit_id)) if has_children is not None else None
    return cache[key]


def oversees(user) -> bool:
    """The user's unit has units under it (its clerks read their 辖区)."""
    return territory_ids(user) is not None


# the 辖区 pages' refusal of a 下属单位 outside the territory (the API answers 404: tickets/policy.territory_scope)
OUTSIDE = "所选下属单位不在本单位辖区内，请从“下属单位”中重新选择。"


def sub_units(user, territory) -> list[tuple[Unit, int]]:
    """The units under the user's own (its 下属单位), each under its 上级单位 in name order, with its depth (1: a
    street; 2: a 社区 under it), for the 下属单位 menu of the 辖区 pages (macros.html sub_unit_menu)."""
    units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(sorted(territory))))}
    own = user.unit_id
    below: dict[int, list[Unit]] = {}
    for unit in units.values():
        if unit.id != own and unit.parent_id in units:
            below.setdefault(unit.parent_id, []).append(unit)
    shown: list[tuple[Unit, int]] = []
    seen = {own}

    def walk(parent_id: int, depth: int) -> None:
        for unit in sorted(below.get(parent_id, ()), key=lambda u: (not u.active, u.code or "", u.name)):
            if unit.id not in seen:
                seen.add(unit.id)
                shown.append((unit, depth))
                walk(unit.id, depth + 1)
    walk(own, 1)
    return shown


def sub_unit_choice(user, sub_unit: int | None) -> tuple[list[tuple[Unit, int]], str | None]:
    """For a 辖区 page of an overseeing unit's clerk: its 下属单位 menu, and the refusal to show for a `sub_unit`
    outside its territory (None when the choice stands): the page then lists nothing and answers 400."""
    territory = territory_ids(user) or frozenset()
    return sub_units(user, territory), (OUTSIDE if sub_unit and sub_unit not in territory else None)
