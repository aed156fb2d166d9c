"""The problems at each site (点位), as the office sees them: the 点位库's 问题 column (在办 and 累计, each linked
to the office list filtered by that site), counted in one grouped statement for the page; the office list naming
the site it is filtered to; a site's page listing its latest problems."""
from __future__ import annotations

import re
from html import unescape

import pytest

from conftest import sql_sent
from inspect_app.extensions import db
from inspect_app.sites import services as site_services
from inspect_app.tickets.models import Ticket


@pytest.fixture
def sites(city, now):
    """Two market sites and a lane, all street A's, in the 点位库's order (district, type, code)."""
    from inspect_app.sites.models import Site, SiteKind

    market, lane = SiteKind(name="农贸市场", sort_order=1), SiteKind(name="背街小巷", sort_order=2)
    db.session.add_all([market, lane])
    db.session.flush()

    def site(code, name, kind):
        return Site(code=code, name=name, kind=kind, district="江城区", lat=28.2301, lon=112.9350, active=True,
                    territorial_unit=city.street_a, created_at=now)

    made = {"east": site("NM-1", "东风农贸市场", market), "west": site("NM-2", "西湖农贸市场", market),
            "lane": site("BJ-1", "青石巷", lane)}
    db.session.add_all(made.values())
    db.session.commit()
    return made


@pytest.fixture
def problems(sites, make_ticket):
    """At the east market: 2 in hand (assigned, rectified), 1 closed, 1 voided; at the west market 1 in hand; at the
    lane none; one more without a site."""
    east, west = sites["east"].id, sites["west"].id
    made = {"assigned": make_ticket(site_id=east), "rectified": make_ticket(site_id=east),
            "closed": make_ticket(site_id=east), "cancelled": make_ticket(site_id=east),
            "west": make_ticket(site_id=west), "nowhere": make_ticket()}
    for status in ("rectified", "closed", "cancelled"):
        made[status].status = status  # the lifecycle's moves are tested elsewhere; here only the counts matter
    db.session.commit()
    return made


def sites_page(client, url: str = "/sites/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def problem_cell(html: str, site_name: str) -> str:
    """The 问题 cell of the site's row on the 点位库 page."""
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if f">{site_name}</a>" in r)
    return re.search(r'data-label="问题">(.*?)</td>', row, re.S).group(1)


def links(cell: str) -> list[tuple[str, str]]:
    return [(unescape(href), text) for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', cell)]


def statements(client, url: str) -> tuple[list[str], str]:
    """The SQL a page sends, and the page."""
    with sql_sent() as sent:
        html = sites_page(client, url)
    return [statement for statement, _ in sent], html


# ----------------------------------------------------------------------------- the counts

def test_counts_in_hand_and_found_per_site(city, sites, problems):
    counts = site_services.problem_counts(s.id for s in sites.values())
    assert counts[sites["east"].id] == (2, 3)  # assigned + rectified in hand; the voided one not found
    assert counts[sites["west"].id] == (1, 1)
    assert sites["lane"].id not in counts and site_services.problem_counts([]) == {}


def test_the_column_links_each_number_to_the_list_of_that_site(browser, city, sites, problems):
    html = sites_page(browser(city.admin))
    assert "<th" in html and ">问题</th>" in html
    east, west, lane = sites["east"].id, sites["west"].id, sites["lane"].id
    assert links(problem_cell(html, "东风农贸市场")) == [(f"/tickets?site_id={east}&status=open", "2"),
                                                       (f"/tickets?site_id={east}&status=valid", "3")]
    assert links(problem_cell(html, "西湖农贸市场")) == [(f"/tickets?site_id={west}&status=open", "1"),
                                                       (f"/tickets?site_id={west}&status=valid", "1")]
    lane_cell = problem_cell(html, "青石巷")
    assert links(lane_cell) == []  # 0: no link
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", lane_cell)).strip() == "在办 0 · 累计 0"
    assert f"site_id={lane}" not in html


def test_a_site_with_only_voided_problems_shows_zero_found(browser, city, sites, make_ticket):
    voided = make_ticket(site_id=sites["lane"].id)
    voided.status = "cancelled"
    db.session.commit()
    assert site_services.problem_counts([sites["lane"].id]) == {sites["lane"].id: (0, 0)}
    assert links(problem_cell(sites_page(browser(city.admin)), "青石巷")) == []


def test_the_links_list_exactly_that_sites_tickets(browser, city, sites, problems):
    admin = browser(city.admin)
    east = sites["east"].id
    in_hand = admin.get(f"/tickets?site_id={east}&status=open").get_data(as_text=True)
    found = admin.get(f"/tickets?site_id={east}&status=valid").get_data(as_text=True)
    everything = admin.get(f"/tickets?site_id={east}").get_data(as_text=True)
    numbers = {key: t.number for key, t in problems.items()}

    def shown(html):
        return {key for key, number in numbers.items() if number in html}

    assert shown(in_hand) == {"assigned", "rectified"} and "<small>2 件</small>" in in_hand
    # 累计: every one but the voided, as counted; the status filter says so
    assert shown(found) == {"assigned", "rectified", "closed"} and "<small>3 件</small>" in found
    assert '<option value="valid" selected>不含已作废</option>' in found
    # the whole list of the site (status 全部): the voided one too
    assert shown(everything) == {"assigned", "rectified", "closed", "cancelled"}
    assert "<small>4 件</small>" in everything


# ----------------------------------------------------------------------------- the office list names the site

def test_the_filtered_list_names_the_site_and_offers_to_clear_it(browser, city, sites, problems):
    admin = browser(city.admin)
    east = sites["east"].id
    html = admin.get(f"/tickets?site_id={east}&status=open&page=1").get_data(as_text=True)
    chip = re.search(r'<p class="filter-site">(.*?)</p>', html, re.S).group(1)
    assert "<b>东风农贸市场</b>" in chip and "农贸市场 · 江城区" in chip
    assert f'<input type="hidden" name="site_id" value="{east}">' in chip  # kept when other filters change
    assert links(chip) == [("/tickets?status=open", "不限点位")]
    assert 'class="filter-site"' not in admin.get("/tickets?status=open").get_data(as_text=True)


@pytest.mark.parametrize("site_id", ["999999", "abc"])
def test_an_unknown_site_lists_nothing_or_is_refused_as_other_ids_are(browser, city, problems, site_id):
    admin = browser(city.admin)
    response = admin.get(f"/tickets?site_id={site_id}")
    unknown_unit = admin.get(f"/tickets?unit_id={site_id}")
    assert response.status_code == unknown_unit.status_code  # 200 for an id nobody has, 400 for one that is none
    if response.status_code == 200:
        html = response.get_data(as_text=True)
        assert "<small>0 件</small>" in html and "编号 999999 的点位不存在" in html
        assert not any(t.number in html for t in problems.values())


# ----------------------------------------------------------------------------- one statement, paging kept

def test_the_counts_come_in_one_grouped_statement_for_the_page(app, browser, city, sites, problems, monkeypatch):
    admin = browser(city.admin)
    sent, html = statements(admin, "/sites/")
    counting = [s for s in sent if "site_id" in s and "tickets" in s]
    assert len(counting) == 1, counting
    assert "GROUP BY tickets.site_id" in counting[0] and "tickets.site_id IN" in counting[0]

    monkeypatch.setattr(site_services, "PER_PAGE", 2)  # a page of two sites: the counts of those two only
    sent, html = statements(admin, "/sites/?page=2")
    counting = [s for s in sent if "site_id" in s and "tickets" in s]
    assert len(counting) == 1 and "第 2 / 2 页" in html
    assert ">青石巷</a>" in html and ">东风农贸市场</a>" not in html  # the order: 农贸市场 first, then 背街小巷
    assert links(problem_cell(html, "青石巷")) == []


def test_the_count_reads_the_site_index(app, city, sites, problems):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    ids = [s.id for s in sites.values()]
    with sql_sent() as sent:
        site_services.problem_counts(ids)
    (statement, parameters), = sent
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert any("ix_tickets_site_id" in str(row) for row in plan), plan


# ----------------------------------------------------------------------------- the site's page

def test_the_site_page_lists_its_latest_problems(browser, city, sites, problems, make_ticket, now):
    from datetime import timedelta

    for hours in range(1, 4):  # three more, later: the latest five are these three and the two filed last before
        make_ticket(site_id=sites["east"].id, at_time=now + timedelta(hours=hours))
    html = sites_page(browser(city.admin), f"/sites/{sites['east'].id}")
    section = re.search(r'<section class="site-problems".*?</section>', html, re.S).group(0)
    assert "在办 5 件 · 累计 6 件" in section
    assert section.count('data-label="编号"') == 5
    assert problems["assigned"].number not in section and problems["cancelled"].number in section
    assert "已作废" in section and "牛皮癣" in section
    assert links(section)[-1] == (f"/tickets?site_id={sites['east'].id}", "查看该点位的全部问题")
    empty = sites_page(browser(city.admin), f"/sites/{sites['lane'].id}")
    assert "该点位还没有关联的问题" in empty


def test_the_site_page_shows_shanghai_time(browser, city, sites, make_ticket):
    from datetime import datetime, timezone

    make_ticket(site_id=sites["lane"].id, at_time=datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc))
    html = sites_page(browser(city.admin), f"/sites/{sites['lane'].id}")
    assert "2026-12-01 01:30" in html  # UTC stored, Asia/Shanghai shown


# ----------------------------------------------------------------------------- who

def test_units_and_inspectors_cannot_open_the_sites_pages(browser, city, sites, problems):
    for user in (city.unit_a, city.inspector):
        client = browser(user)
        for url in ("/sites/", f"/sites/{sites['east'].id}"):
            response = client.get(url)
            assert response.status_code == 403, (user.username, url)
            assert "site_id=" not in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == 6


def test_the_api_lists_a_sites_found_problems_too(api, city, sites, problems):
    east = sites["east"].id
    body = api.get(f"/api/v1/tickets?site_id={east}&status=valid", city.admin).get_json()
    assert body["total"] == 3 and {item["status"] for item in body["items"]} == {"assigned", "rectified", "closed"}
    assert api.get(f"/api/v1/tickets?site_id={east}", city.admin).get_json()["total"] == 4
    assert api.get("/api/v1/tickets?status=voided", city.admin).status_code == 400
