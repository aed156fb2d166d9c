"""Which problems lie in a unit's territory (units/territory.py): those any unit of the territory takes part in
(主办 or 协办), and those found on its ground — on a road segment whose 属地 unit is in it, or at a 点位 whose 属地
unit is in it — whoever answers for them (a city department's 包抓, 交警's parking, a carrier's cables).

One rule for every reader: the overseeing clerk's 辖区问题 (read only) and the 红黑榜's 属地 roll-up. The 红黑榜
counts a territory's figures by the same ways in, each with its own part (counted_in_territory)."""
from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import BindParameter, and_, or_, select

from ..common.sql import const
from ..sites.models import Site
from ..units.models import Segment
from .models import Ticket, TicketUnit


def _ids(unit_ids: Collection[int] | BindParameter):
    return unit_ids if isinstance(unit_ids, BindParameter) else sorted(unit_ids)


def _on_ground(ids) -> list:
    """SQL conditions on tickets: on the territory's ground, a road segment or a 点位 whose 属地 unit is in it."""
    return [Ticket.segment_id.in_(select(Segment.id).where(Segment.unit_id.in_(ids))),
            Ticket.site_id.in_(select(Site.id).where(Site.territorial_unit_id.in_(ids)))]


def in_territory(unit_ids: Collection[int] | BindParameter):
    """SQL condition on tickets: in the territory made of these units (each branch an indexed IN). `unit_ids` may be
    an expanding bound parameter, for a statement built once and run for many territories (territory/services.py,
    the lists' filter shapes)."""
    ids = _ids(unit_ids)
    return or_(Ticket.id.in_(select(TicketUnit.ticket_id).where(TicketUnit.unit_id.in_(ids))), *_on_ground(ids))


# What the 红黑榜 counts of a territory (rankings/counts.py, _territory_pairs): 发现问题 the problems its units lead,
# assist (the part not taken off) or on its ground; 超期 and 返工 those it answers for in full (led or on its ground)
TERRITORY_ROLES = {"answering": "主办、协办或属地", "whole": "主办或属地"}


def counted_in_territory(unit_ids: Collection[int] | BindParameter, role: str):
    """SQL condition on tickets: in the territory as the 红黑榜 counts it (TERRITORY_ROLES): dispatched (a 主办), and
    led by one of its units, on its ground, or with role "answering" assisted by one of them (the part not
    cancelled). in_territory's ways in, less the problems only a cancelled 协办 part (or, for "whole", only a 协办
    part) ties to it."""
    ids = _ids(unit_ids)
    ways = [Ticket.unit_id.in_(ids), *_on_ground(ids)]
    if role == "answering":
        ways.append(Ticket.id.in_(select(TicketUnit.ticket_id).where(
            TicketUnit.unit_id.in_(ids), TicketUnit.role == const("assist"), TicketUnit.status != "cancelled")))
    return and_(Ticket.unit_id.is_not(None), or_(*ways))


def ticket_in_territory(ticket: Ticket, unit_ids: Collection[int]) -> bool:
    """The same rule for one loaded ticket."""
    if ticket.unit_id in unit_ids or any(p.unit_id in unit_ids for p in ticket.parts):
        return True
    if ticket.segment_id is not None and ticket.segment is not None and ticket.segment.unit_id in unit_ids:
        return True
    site = ticket.site if ticket.site_id is not None else None
    return site is not None and site.territorial_unit_id in unit_ids
