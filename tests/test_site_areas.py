"""Area sites (a park, a square, a market: an outline with its centre) are as near as their outline: 0 inside it,
else to its nearest edge. The 关联点位 box and the 点位库's nearest-first order measure so, and the box's search
reads an area whose centre is far but whose outline is near (each site's reach, kept wherever its place is set)."""
from __future__ import annotations

import io
import math
import re

import pytest
from conftest import City, migrated

from inspect_app.common.geo import degree_box, distance_m, distance_to_area_m, inside_ring, reach_m
from inspect_app.extensions import db
from inspect_app.sites import services as site_services
from inspect_app.sites.models import Site, SiteKind

LAT0, LON0 = City.ON_A  # where make_ticket files its problems
PER_M_LAT, PER_M_LON = degree_box(LAT0, 1)


def at(east: float, north: float) -> list[float]:
    """[lon, lat] of the point `east` and `north` metres from City.ON_A."""
    return [LON0 + east * PER_M_LON, LAT0 + north * PER_M_LAT]


def ring(*corners: tuple[float, float]) -> list[list[float]]:
    return [at(east, north) for east, north in corners]


def text(points: list[list[float]]) -> str:
    """An outline as the forms and spreadsheets write it: "经度,纬度;经度,纬度;…"."""
    return ";".join(f"{lon:.7f},{lat:.7f}" for lon, lat in points)


# A park 1.6 km by 300 m whose centre is 600 m east of ON_A, which lies inside it.
PARK = ring((-200, -150), (1400, -150), (1400, 150), (-200, 150))
# A square north of ON_A: its south edge 100 m off, its centre 700 m. The south edge closes the ring (SW -> SE).
SQUARE = ring((300, 100), (300, 1300), (-300, 1300), (-300, 100))
# An L: ON_A is in its notch, 100 m from the two inner edges and 141 m from the vertices' mean.
L_SHAPE = ring((-300, -300), (100, -300), (100, -100), (-100, -100), (-100, 100), (-300, 100))


@pytest.fixture
def kinds(city):
    park, lane = SiteKind(name="广场/公园", sort_order=1), SiteKind(name="背街小巷", sort_order=2)
    db.session.add_all([park, lane])
    db.session.commit()
    return {"park": park, "lane": lane}


@pytest.fixture
def make_site(city, kinds, now):
    def make(code: str, name: str, area=None, point=None, kind="park") -> Site:
        site = Site(code=code, name=name, kind=kinds[kind], district="江城区", active=True,
                    territorial_unit=city.street_a, created_at=now)
        if area:
            site.place(None, None, area)
        else:
            site.place(point[1], point[0])
        db.session.add(site)
        db.session.commit()
        return site
    return make


def near(city, lat=LAT0, lon=LON0) -> list[tuple[str, float]]:
    return [(s.code, round(d, 1)) for s, d in site_services.sites_near(city.admin, lat, lon, 300, 10)]


def box_rows(html: str) -> list[tuple[str, str]]:
    box = re.search(r'<section class="card action site-link".*?</section>', html, re.S).group(0)
    return re.findall(r"<b>([^<]+)</b><br><small class=\"muted\">([^<]+)</small>", box)


# ----------------------------------------------------------------------------- the geometry

def test_a_point_is_inside_an_outline_by_ray_casting_whatever_its_winding():
    square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
    for outline in (square, square[::-1]):
        assert inside_ring(0.5, 0.5, outline) and inside_ring(0.01, 0.99, outline)
        assert not inside_ring(1.5, 0.5, outline) and not inside_ring(0.5, -0.1, outline)
    l_shape = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]]
    assert inside_ring(0.5, 0.5, l_shape) and inside_ring(1.5, 0.5, l_shape) and inside_ring(0.5, 1.5, l_shape)
    assert not inside_ring(1.5, 1.5, l_shape)  # lat 1.5, lon 1.5: the notch


def test_distance_to_an_area_is_zero_inside_and_to_the_nearest_edge_outside():
    assert distance_to_area_m(LAT0, LON0, PARK) == 0
    assert distance_to_area_m(LAT0, LON0, SQUARE) == pytest.approx(100, abs=0.5)  # the closing edge
    assert distance_to_area_m(LAT0, LON0, SQUARE + SQUARE[:1]) == pytest.approx(100, abs=0.5)  # closed already
    assert distance_to_area_m(LAT0, LON0, L_SHAPE) == pytest.approx(100, abs=0.5)  # the notch is outside
    lat, lon = at(-200, 0)[1], at(-200, 0)[0]
    assert distance_to_area_m(lat, lon, L_SHAPE) == 0
    # beyond a corner: to the corner itself
    assert distance_to_area_m(LAT0, LON0, ring((30, 40), (30, 400), (400, 400), (400, 40))) == \
        pytest.approx(50, abs=0.5)


def test_the_reach_is_the_farthest_vertex_from_the_centre():
    assert reach_m(LAT0, LON0, ring((-300, -400), (300, -400), (300, 400), (-300, 400))) == \
        pytest.approx(500, abs=0.5)
    assert reach_m(LAT0, LON0, []) == 0 and reach_m(None, None, PARK) == 0


# ----------------------------------------------------------------------------- sites near a problem

def test_a_problem_inside_a_large_area_is_offered_first_at_no_distance(browser, api, city, make_ticket,
                                                                         make_site):
    park = make_site("GY-1", "湘江风光带", area=PARK)
    make_site("BJ-1", "青石巷", point=at(0, 110), kind="lane")
    assert distance_m(LAT0, LON0, park.lat, park.lon) == pytest.approx(600, abs=1)
    assert park.reach_m == pytest.approx(math.hypot(800, 150), abs=0.5)
    assert near(city) == [("GY-1", 0.0), ("BJ-1", pytest.approx(110, abs=0.5))]
    assert box_rows(browser(city.admin).get(f"/tickets/{make_ticket().id}").get_data(as_text=True)) == [
        ("湘江风光带", "广场/公园 · 在点位范围内"), ("青石巷", "背街小巷 · 约110米")]
    # the 点位库's nearest-first order (the API's ?lat=&lon=) measures the same way
    listed = api.get(f"/api/v1/sites?lat={LAT0}&lon={LON0}", city.admin).get_json()
    assert [(s["code"], s["distance_m"]) for s in listed] == [("GY-1", 0.0), ("BJ-1", pytest.approx(110, abs=0.5))]


def test_a_list_by_position_is_every_match_nearest_first_loading_only_its_page(city, kinds, now):
    """list_sites with a position pages nearest_first over all its matches (points, areas whose centre is far but
    whose outline is near, sites without a position last), yet loads as sites only those that can be on the page."""
    import random

    import sqlalchemy

    from inspect_app.auth.models import User

    rng = random.Random(17)
    made = []
    for n in range(240):
        site = Site(code=f"R-{n:03}", name=f"测试点位{n}", kind=kinds["lane"], district="江城区",
                    territorial_unit=city.street_a, created_at=now)
        east, north = rng.uniform(-3000, 3000), rng.uniform(-3000, 3000)
        if n % 40 == 0:
            pass  # no position
        elif n % 5 == 0:  # an area: an outline up to 1.5 km wide around its centre
            half = rng.uniform(20, 750)
            site.place(None, None, ring((east - half, north - 40), (east + half, north - 40),
                                        (east + half, north + 40), (east - half, north + 40)))
        else:
            site.place(at(east, north)[1], at(east, north)[0])
        made.append(site)
    db.session.add_all(made)
    db.session.commit()
    every = [(site.code, metres) for site, metres in site_services.nearest_first(made, LAT0, LON0)]
    loaded, admin_id = [], city.admin.id

    def count(site, context):
        loaded.append(site.code)

    sqlalchemy.event.listen(Site, "load", count)
    try:
        for offset, limit in ((0, 10), (0, 1), (35, 10), (230, 10), (0, 5000)):
            db.session.expunge_all()  # every site read anew: the load event counts them
            admin = db.session.get(User, admin_id)
            loaded.clear()
            rows, total = site_services.list_sites(admin, lat=LAT0, lon=LON0, offset=offset, limit=limit)
            assert total == 240
            assert [(s.code, d) for s, d in rows] == every[offset:offset + limit]
            assert limit >= 240 or len(loaded) < offset + limit + 30, (offset, limit, len(loaded))
    finally:
        sqlalchemy.event.remove(Site, "load", count)
    # with a search too: the nearest of its matches, not the first ones by code
    rows, total = site_services.list_sites(admin, q="测试点位1", lat=LAT0, lon=LON0, limit=10)
    matching = [code for code, _ in every if code in {f"R-{n:03}" for n in range(240) if str(n).startswith("1")}]
    assert total == len(matching) == 111 and [s.code for s, _ in rows] == matching[:10]


def test_a_problem_in_a_market_inside_a_park_is_the_markets_first(city, make_site):
    make_site("GY-1", "湘江风光带", area=PARK)  # made first: the lower id
    make_site("SC-1", "风光带农贸市场", area=ring((-50, -50), (50, -50), (50, 50), (-50, 50)))
    assert near(city) == [("SC-1", 0.0), ("GY-1", 0.0)]


def test_a_problem_outside_an_area_is_as_far_as_the_outline(browser, city, make_ticket, make_site):
    square = make_site("GY-2", "五一广场", area=SQUARE)
    make_site("GY-3", "烈士公园", area=ring((-300, 400), (300, 400), (300, 1600), (-300, 1600)))  # 400 m off
    assert distance_m(LAT0, LON0, square.lat, square.lon) == pytest.approx(700, abs=1)
    assert near(city) == [("GY-2", pytest.approx(100, abs=0.5))]
    assert box_rows(browser(city.admin).get(f"/tickets/{make_ticket().id}").get_data(as_text=True)) == [
        ("五一广场", "广场/公园 · 约100米")]


def test_a_point_site_is_as_far_as_its_point(city, make_site):
    lane = make_site("BJ-1", "青石巷", point=at(0, 250), kind="lane")
    make_site("BJ-2", "竹篙巷", point=at(0, 310), kind="lane")
    assert lane.reach_m == 0 and lane.area_json == ""
    assert site_services.site_distance_m(lane, LAT0, LON0) == distance_m(LAT0, LON0, lane.lat, lane.lon)
    assert near(city) == [("BJ-1", pytest.approx(250, abs=0.5))]


def test_a_problem_in_the_notch_of_an_l_shaped_area_is_outside_it(city, make_site):
    l_site = make_site("GY-4", "转角公园", area=L_SHAPE)
    assert distance_m(LAT0, LON0, l_site.lat, l_site.lon) == pytest.approx(141.4, abs=0.5)
    assert near(city) == [("GY-4", pytest.approx(100, abs=0.5))]
    inside = at(-200, 0)
    assert near(city, lat=inside[1], lon=inside[0]) == [("GY-4", 0.0)]


# ----------------------------------------------------------------------------- the reach, wherever a place is set

def test_the_reach_follows_an_outline_edited_through_the_service(city, kinds, now):
    body = {"code": "GY-5", "name": "月湖公园", "kind": "广场/公园", "district": "江城区",
            "territorial_unit": city.street_a.code, "area": text(ring((-100, -100), (100, -100), (100, 100)))}
    site = site_services.save_site(body, now)
    db.session.commit()
    assert (site.lat, site.lon) == (pytest.approx(LAT0 - 100 / 3 * PER_M_LAT, abs=1e-7),
                                    pytest.approx(LON0 + 100 / 3 * PER_M_LON, abs=1e-7))  # the vertices' mean
    assert site.reach_m == pytest.approx(reach_m(site.lat, site.lon, site.area)) and site.reach_m > 100
    assert near(city, *at(1000, 0)[::-1]) == []

    site_services.save_site({"area": text(PARK)}, now, site)  # a PATCH of the outline alone
    db.session.commit()
    assert site.reach_m == pytest.approx(math.hypot(800, 150), abs=0.5)
    assert near(city, *at(1000, 0)[::-1]) == [("GY-5", 0.0)]

    site_services.save_site({"point": text([at(0, 50)])}, now, site)  # now a point
    db.session.commit()
    assert (site.area_json, site.reach_m) == ("", 0)
    assert near(city) == [("GY-5", pytest.approx(50, abs=0.5))]


HEADER = ("点位编码,点位名称,类型,区县,街道,地址,坐标,区域范围,坐标系,属地单位编码,行业主管单位编码,管理主体单位编码,"
          "点位说明,状态\n")


def test_the_reach_follows_an_outline_imported_from_a_spreadsheet(api, city, kinds):
    def upload(place_columns: str):
        data = {"file": (io.BytesIO((HEADER + f"GY-6,南郊公园,广场/公园,江城区,,,{place_columns},,JDA,,,,\n")
                                    .encode("utf-8")), "sites.csv")}
        response = api.post("/api/v1/admin/import/sites", city.admin, data=data, content_type="multipart/form-data")
        assert response.status_code == 200, response.get_json()
        db.session.expire_all()
        return db.session.scalar(db.select(Site).where(Site.code == "GY-6"))

    site = upload(f',"{text(PARK)}"')
    assert site.reach_m == pytest.approx(math.hypot(800, 150), abs=0.5)
    assert near(city) == [("GY-6", 0.0)]
    site = upload(f',"{text(SQUARE)}"')
    assert site.reach_m == pytest.approx(math.hypot(300, 600), abs=0.5)
    assert near(city) == [("GY-6", pytest.approx(100, abs=0.5))]
    site = upload(f'"{text([at(0, 400)])}",')
    assert (site.area_json, site.reach_m) == ("", 0) and near(city) == []


def test_the_area_setter_centres_the_outline_and_keeps_the_reach():
    site = Site(lat=LAT0, lon=LON0)
    site.area = SQUARE
    assert (site.lat, site.lon) == (pytest.approx(at(0, 700)[1], abs=1e-7), pytest.approx(LON0, abs=1e-7))
    assert site.reach_m == pytest.approx(math.hypot(300, 600), abs=0.5)
    site.area = None  # a point where its centre was
    assert (site.area_json, site.reach_m) == ("", 0) and site.lat == pytest.approx(at(0, 700)[1], abs=1e-7)


def test_migration_0099_computes_the_reach_of_existing_areas(empty_db, now):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text as sql

    migrated()
    city = City(now)
    kind = db.session.scalar(db.select(SiteKind).where(SiteKind.name == "广场/公园"))  # seeded by 0010
    park = Site(code="GY-7", name="湘江风光带", kind=kind, district="江城区", territorial_unit=city.street_a,
                created_at=now)
    park.place(None, None, PARK)
    lane = Site(code="BJ-7", name="青石巷", kind=kind, district="江城区", territorial_unit=city.street_a,
                created_at=now)
    lane.place(LAT0, LON0)
    db.session.add_all([park, lane])
    db.session.commit()
    db.session.remove()
    downgrade(revision="0098")
    upgrade()
    with db.engine.connect() as conn:
        reach = dict(conn.execute(sql("SELECT code, reach_m FROM sites")).all())
    assert reach == {"GY-7": pytest.approx(math.hypot(800, 150), abs=0.5), "BJ-7": 0}
