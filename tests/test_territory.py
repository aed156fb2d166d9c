"""A unit's territory (辖区): the units under it by 上级单位, and the problems on its ground (units/territory.py,
tickets/territory.py)."""
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket
from inspect_app.tickets.territory import in_territory, ticket_in_territory
from inspect_app.units.models import Unit
from inspect_app.units.territory import subtree_ids, territory_ids

from conftest import City


def _district(city):
    """甲街道 under a new 区县, with a 社区 under the street."""
    district = Unit(code="QXA", name="甲区人民政府", kind="区县")
    db.session.add(district)
    db.session.flush()
    city.street_a.parent_id = district.id
    community = Unit(code="SQA", name="甲社区居委会", kind="社区", parent_id=city.street_a.id)
    db.session.add(community)
    db.session.commit()
    return district, community


def test_subtree_reaches_every_depth_and_stops_at_a_cycle(app, city):
    district, community = _district(city)
    assert subtree_ids(district.id) == {district.id, city.street_a.id, community.id}
    assert subtree_ids(city.street_b.id) == {city.street_b.id}
    district.parent_id = community.id  # a cycle the page would refuse: still a finite answer
    db.session.commit()
    assert subtree_ids(district.id) == {district.id, city.street_a.id, community.id}


def test_only_a_unit_with_units_under_it_has_a_territory(app, city, now):
    from inspect_app.auth.services import create_user
    district, community = _district(city)
    clerk = create_user("qxa", "unit", "pw-territory-1", now, unit=district)
    db.session.commit()
    assert territory_ids(clerk) == {district.id, city.street_a.id, community.id}
    assert territory_ids(city.unit_a) == {city.street_a.id, community.id}  # a street with a 社区 under it
    assert territory_ids(city.unit_b) is None
    assert territory_ids(city.admin) is None and territory_ids(city.leader) is None


def test_problems_on_its_ground_or_with_its_units_are_in_the_territory(app, city, make_ticket):
    district, _ = _district(city)
    on_a = make_ticket(point=City.ON_A)                        # 甲街道's segment, 甲街道 leads
    parked = make_ticket("illegal_parking", point=City.ON_A)   # on 甲街道's ground, 交警 leads
    on_b = make_ticket(point=City.ON_B)                        # 乙街道's
    ids = subtree_ids(district.id)
    found = set(db.session.scalars(select(Ticket.id).where(in_territory(ids))))
    assert found == {on_a.id, parked.id}
    assert [ticket_in_territory(t, ids) for t in (on_a, parked, on_b)] == [True, True, False]
