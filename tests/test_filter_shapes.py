"""Filter shapes (tickets/queries.py filter_shape): the lists build their statements once per combination of
filters and bind the values on each request. A value baked into a kept statement would show one user's or one
filter's tickets to the next request with the same shape; a filter field left out of the shape would be ignored."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from conftest import City

from inspect_app.tickets import cards, rows
from inspect_app.tickets.queries import TicketFilter, filter_shape

# A value for every filter field that narrows the list (page and per_page only choose the page).
SAMPLES = {"status": "assigned", "unit_id": 7, "category": "niupixuan", "category_id": 1, "district": "江城区",
           "overdue": True,
           "due_soon": True, "reporter_id": 3, "q": "路", "campaign_id": 999, "source": "hotline", "site_id": 5,
           "site_kind_id": 2, "site_district": "江城区", "segment_id": 11, "round_id": 4,
           "date_from": date(2026, 1, 1), "date_to": date(2026, 2, 1), "my_part": "open", "repeated": True,
           "answering_unit_id": 7, "due_from": date(2026, 1, 1), "due_to": date(2026, 2, 1), "late": True,
           "due_passed": True, "reworked": True, "ranking_entry": (5, "found"), "scope": "territory",
           "sub_unit": "street_a", "territory_role": "whole"}
# filters only citywide readers may use (a unit is refused them): tried as the office
CITYWIDE_ONLY = {"ranking_entry"}


def _sample(city, name):
    """The sample of a field; sub_unit names a unit of street A's territory (its 社区, given by _oversee)."""
    return city.street_a.id if SAMPLES[name] == "street_a" else SAMPLES[name]


def _oversee(city):
    """A 社区 under street A: its clerk (unit_a) oversees a territory, so scope=territory and sub_unit apply."""
    from inspect_app.extensions import db
    from inspect_app.units.models import Unit
    db.session.add(Unit(code="SQA", name="甲社区居委会", kind="社区", parent_id=city.street_a.id))
    db.session.commit()


def test_every_filter_field_is_part_of_the_shape(app, city, now):
    fields = {f.name for f in dataclasses.fields(TicketFilter)} - {"page", "per_page"}
    assert fields == set(SAMPLES), "a new filter field needs a place in filter_shape and a sample here"
    _oversee(city)
    with app.test_request_context():
        for name in SAMPLES:
            user = city.admin if name in CITYWIDE_ONLY else city.unit_a
            plain, _ = filter_shape(user, TicketFilter(), now)
            shape, params = filter_shape(user, TicketFilter(**{name: _sample(city, name)}), now)
            assert shape != plain, name
            assert params, name
        # the page is a parameter, never a shape of its own
        assert filter_shape(city.admin, TicketFilter(page=3, per_page=7), now)[0] == \
            filter_shape(city.admin, TicketFilter(), now)[0]


def test_every_filter_runs_on_the_apis_kept_statements(app, city, make_ticket, now):
    """The API's list binds only the named parameters of its kept statements: a filter with a value of its own
    (late's "cancelled", reworked's 0) answered 500 there while the web list, which binds them all, worked."""
    make_ticket()
    _oversee(city)
    with app.test_request_context():
        for name in SAMPLES:
            user = city.admin if name in CITYWIDE_ONLY else city.unit_a
            rows._list_statements.cache_clear()
            items, total = rows.list_page(user, TicketFilter(**{name: _sample(city, name)}), now)
            assert total == len(items), name


def test_kept_statements_bind_each_requests_values(app, city, make_ticket, now, api, clock):
    clock.set(now)  # the requests' clock
    on_a = [make_ticket(at_time=now - timedelta(hours=h)).id for h in (30, 40)]
    on_b = [make_ticket(point=City.ON_B, at_time=now - timedelta(hours=30)).id]
    fresh = make_ticket(point=City.ON_B).id  # not overdue
    rows._list_statements.cache_clear()
    cards._statements.cache_clear()

    def ids(user, query=""):
        body = api.get(f"/api/v1/tickets?per_page=100{query}", user).get_json()
        return sorted(t["id"] for t in body["items"]), body["total"]

    # Two units, the same shape: each sees its own tickets only.
    assert ids(city.unit_a) == (sorted(on_a), 2)
    assert ids(city.unit_b) == (sorted(on_b + [fresh]), 2)
    # The office, the same filter with other values.
    assert ids(city.admin, f"&unit_id={city.street_a.id}&overdue=1") == (sorted(on_a), 2)
    assert ids(city.admin, f"&unit_id={city.street_b.id}&overdue=1") == (on_b, 1)
    assert ids(city.admin, f"&unit_id={city.street_b.id}&overdue=1&page=2&per_page=1")[1] == 1
    info = rows._list_statements.cache_info()
    assert (info.misses, info.hits) == (2, 3)  # built for a unit's scope and the office's unit+overdue; kept 3 times

    # The HTML lists keep theirs the same way.
    for user, own in ((city.unit_a, on_a), (city.unit_b, on_b + [fresh])):
        items, total = cards.list_cards(user, TicketFilter(per_page=100), now, overdue_first=True)
        assert (sorted(c.id for c in items), total) == (sorted(own), len(own))
    assert cards._statements.cache_info().hits == 1


def test_a_units_disputed_tickets_start_from_the_few_disputed(app, city, make_ticket, now, api, browser):
    """退单中 (status disputed) for a unit: found from the city's disputed tickets with a probe of the unit's part
    (shape "unit_few"), the same tickets as its whole scope filtered: its own 退单 and one it assists on."""
    from inspect_app.extensions import db
    from inspect_app.tickets import parts, services
    from inspect_app.tickets.models import Ticket
    own = make_ticket()                                  # street A leads
    assisted = make_ticket(point=City.ON_B)              # street B leads, street A assists
    other = make_ticket(point=City.ON_B)                 # street B only
    open_ = make_ticket()                                # street A, not disputed
    parts.add_assist(db.session.get(Ticket, assisted.id), city.street_a, now, city.admin)
    db.session.commit()
    later = now + timedelta(hours=1)
    services.dispute(city.unit_a, db.session.get(Ticket, own.id), later, "不属于本单位")
    services.dispute(city.unit_b, db.session.get(Ticket, assisted.id), later, "不属于本单位")
    services.dispute(city.unit_b, db.session.get(Ticket, other.id), later, "不属于本单位")
    db.session.commit()
    with app.test_request_context():
        shape, _ = filter_shape(city.unit_a, TicketFilter(status="disputed"), now)
        assert shape[0] == "unit_few"
        assert filter_shape(city.unit_a, TicketFilter(status="assigned"), now)[0][0] == "unit"
    body = api.get("/api/v1/tickets?status=disputed", city.unit_a).get_json()
    assert sorted(t["id"] for t in body["items"]) == sorted([own.id, assisted.id]) and body["total"] == 2
    listed = api.get("/api/v1/tickets?per_page=100", city.unit_a).get_json()["items"]
    everything = {t["id"]: t["status"] for t in listed}
    assert sorted(i for i, s in everything.items() if s == "disputed") == sorted([own.id, assisted.id])
    assert open_.id in everything and other.id not in everything
    page = browser(city.unit_a).get("/unit/tickets?tab=disputed").get_data(as_text=True)
    assert own.number in page and assisted.number in page and other.number not in page
    assert '退单中 <b class="waiting" title="等待文明办处理">2</b>' in page
