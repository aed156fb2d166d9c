"""The 关联点位 box's search (site_q in the ticket page's address): a site found by name, code or address when the
ticket has no position or the site is not among those nearby, linked through the same form as the nearby list.
Only those who may link see it; without a search the page sends no statement for one."""
from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
import test_ticket_site
from conftest import City, sql_sent
from test_ticket_site import box, page, post, site_events

from inspect_app.extensions import db
from inspect_app.sites.services import site_distance_m
from inspect_app.tickets.models import Ticket
from inspect_app.tickets.web import SITE_SEARCH_LIMIT, SITE_SEARCH_MAX, about_metres

sites = test_ticket_site.sites  # the fixture: three active sites near City.ON_A, one retired, one 1.1 km off


def search(client, ticket, q: str, extra: str = "") -> str:
    """The 关联点位 box of the ticket's page searched for `q`."""
    return box(page_at(client, f"/tickets/{ticket.id}?{extra}site_q={quote(q)}"))


def page_at(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def listed(html: str) -> list[tuple[str, str]]:
    """(name, what the line under it says) of each site a box offers."""
    return [(name, unescape(small)) for name, small in
            re.findall(r"<b>([^<]+)</b><br><small class=\"muted\">([^<]+)</small>", html)]


def search_form(html: str) -> str:
    found = re.search(r'<form method="get"[^>]*class="site-search".*?</form>', html, re.S)
    return found.group(0) if found else ""


def statements_of(client, url: str) -> list[str]:
    client.get(url)  # the login's own first-request work out of the way
    with sql_sent() as sent:
        assert client.get(url).status_code == 200
    return [statement for statement, _ in sent]


@pytest.fixture
def far_site(city, sites, now):
    """An active market about 2 km north of City.ON_A: never in the nearby list."""
    from inspect_app.sites.models import Site

    site = Site(code="NM-9", name="北郊农贸市场", kind=sites["market"].kind, district="北郊区", address="北环路88号",
                lat=City.ON_A[0] + 0.018, lon=City.ON_A[1], territorial_unit=city.street_b, created_at=now)
    db.session.add(site)
    db.session.commit()
    return site


# ----------------------------------------------------------------------------- the form

def test_the_box_has_a_search_form_that_comes_back_to_the_box(browser, city, make_ticket, sites):
    ticket = make_ticket()
    form = search_form(box(page(browser(city.admin), ticket)))
    assert f'action="/tickets/{ticket.id}#link_site"' in form and 'role="search"' in form
    assert '<label for="site-q">查找点位</label>' in form and 'id="site-q" name="site_q"' in form
    assert 'placeholder="名称、编号或地址"' in form and f'maxlength="{SITE_SEARCH_MAX}"' in form
    assert '<button type="submit" class="btn">查找</button>' in form
    assert "csrf_token" not in form and "清除" not in form  # a GET; nothing to clear yet


def test_the_search_form_keeps_the_page_arguments(browser, city, make_ticket, sites):
    ticket = make_ticket()
    html = search(browser(city.admin), ticket, "巷", extra="from=list&page=2&")
    form = search_form(html)
    assert '<input type="hidden" name="from" value="list">' in form and 'name="page" value="2"' in form
    assert 'value="巷"' in form and form.count('name="site_q"') == 1
    assert f'<a class="btn" href="/tickets/{ticket.id}?from=list&amp;page=2#link_site">清除</a>' in form


# ----------------------------------------------------------------------------- finding and linking

def test_a_ticket_without_position_finds_its_site_by_name_or_code_and_links_it(browser, city, make_ticket, sites):
    ticket = make_ticket(point=None, segment=city.seg_a)
    admin = browser(city.admin)
    assert "该问题没有定位" in box(page(admin, ticket))
    by_name = search(admin, ticket, "人民路农贸")
    assert listed(by_name) == [("人民路农贸市场", "农贸市场 · 江城区 · NM-1")]  # no distance: no position
    assert "符合“人民路农贸”的点位：" in by_name and "该问题没有定位" not in by_name
    by_code = search(admin, ticket, "nm-1")  # any letter case
    assert listed(by_code) == [("人民路农贸市场", "农贸市场 · 江城区 · NM-1")]

    # the button posts site_id to link_site, with the page's CSRF token, as the nearby list's do
    action = re.search(r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf_token"', by_code)
    button = re.search(r'<button type="submit" name="site_id" value="(\d+)" class="btn small">关联</button>', by_code)
    assert action.group(1) == f"/tickets/{ticket.id}/link_site" and int(button.group(1)) == sites["market"].id
    url = f"/tickets/{ticket.id}?site_q=nm-1"
    response = admin.submit(url, action.group(1), {"site_id": button.group(1)})
    assert response.status_code == 303 and response.location.endswith(f"/tickets/{ticket.id}")
    assert db.session.get(Ticket, ticket.id).site_id == sites["market"].id
    [linked] = site_events(ticket.id)
    assert (linked.actor_id, linked.note) == (city.admin.id, "关联点位：人民路农贸市场")
    html = page(admin, ticket)
    assert "当前点位：<b>人民路农贸市场</b>" in box(html)
    assert "关联点位：人民路农贸市场" in html.split('<section class="card history">')[1]


def test_a_site_2_km_away_is_found_with_its_distance_and_linked(browser, city, make_ticket, sites, far_site):
    ticket = make_ticket()
    inspector = browser(city.inspector)  # who filed it
    assert "北郊农贸市场" not in box(page(inspector, ticket))
    html = search(inspector, ticket, "北环路")  # by address
    metres = site_distance_m(far_site, *City.ON_A)
    assert 1900 < metres < 2100
    assert listed(html) == [("北郊农贸市场", f"农贸市场 · 北郊区 · NM-9 · {about_metres(metres)}")]
    markets = [name for name, _ in listed(search(inspector, ticket, "农贸市场"))]
    assert markets == ["人民路农贸市场", "建设路农贸市场", "北郊农贸市场"]  # nearest first: 110 m, 1.1 km, 2 km
    assert post(inspector, ticket, "link_site", site_id=far_site.id).status_code == 303
    assert db.session.get(Ticket, ticket.id).site_id == far_site.id
    assert [e.note for e in site_events(ticket.id)] == ["关联点位：北郊农贸市场"]


def test_an_area_site_the_problem_is_in_says_so(browser, city, make_ticket, sites, now):
    from inspect_app.sites.models import Site

    lat, lon = City.ON_A
    park = Site(code="GY-1", name="滨江公园", kind=sites["lane"].kind, district="江城区",
                territorial_unit=city.street_a, created_at=now)
    park.place(None, None, [[lon - 0.002, lat - 0.002], [lon + 0.002, lat - 0.002], [lon + 0.002, lat + 0.002],
                            [lon - 0.002, lat + 0.002]])
    db.session.add(park)
    db.session.commit()
    assert listed(search(browser(city.admin), make_ticket(), "滨江"))[0] == ("滨江公园",
                                                                             "背街小巷 · 江城区 · GY-1 · 在点位范围内")


def test_at_most_ten_are_listed_and_the_rest_counted(browser, city, make_ticket, sites, now):
    from inspect_app.sites.models import Site

    db.session.add_all([Site(code=f"CS-{n:02}", name=f"测试巷{n}", kind=sites["lane"].kind, district="江城区",
                             territorial_unit=city.street_a, created_at=now) for n in range(SITE_SEARCH_LIMIT + 2)])
    db.session.commit()
    ticket = make_ticket()
    admin = browser(city.admin)
    html = search(admin, ticket, "测试巷")
    assert len(listed(html)) == SITE_SEARCH_LIMIT and "还有2个点位符合" in html
    first = db.session.scalar(db.select(Site).where(Site.code == "CS-00"))
    post(admin, ticket, "link_site", site_id=first.id)
    html = search(admin, ticket, "测试巷")  # the linked one neither listed nor counted
    assert len(listed(html)) == SITE_SEARCH_LIMIT and "还有1个点位符合" in html
    assert "测试巷0" not in [name for name, _ in listed(html)]


def test_a_located_ticket_is_offered_the_nearest_matches_not_the_first_ones(browser, city, make_ticket, sites,
                                                                          now):
    """Twelve markets match 市场 and only ten are listed: those nearest the problem, the nearest first, whatever
    their codes (the one a few metres off has the last code)."""
    from inspect_app.sites.models import Site

    lat, lon = City.ON_A
    db.session.add_all([Site(code=f"SC-{n:02}", name=f"第{n}菜市场", kind=sites["market"].kind, district="江城区",
                             lat=lat + 0.01 + n * 0.001, lon=lon, territorial_unit=city.street_a, created_at=now)
                        for n in range(SITE_SEARCH_LIMIT + 1)])
    db.session.add(Site(code="SC-99", name="桥头菜市场", kind=sites["market"].kind, district="江城区",
                        lat=lat + 0.00005, lon=lon, territorial_unit=city.street_a, created_at=now))
    db.session.commit()
    html = search(browser(city.admin), make_ticket(), "菜市场")
    names = [name for name, _ in listed(html)]
    assert names == ["桥头菜市场", *[f"第{n}菜市场" for n in range(SITE_SEARCH_LIMIT - 1)]]
    assert "还有2个点位符合" in html


def test_a_refused_link_shows_the_search_again(browser, city, make_ticket, sites, far_site):
    """The site chosen from a search was retired meanwhile: the page says why, with the same search and its other
    matches, so the user picks again without typing the search again. The form sends its search along."""
    ticket = make_ticket()
    admin = browser(city.admin)
    html = search(admin, ticket, "农贸市场")
    form = re.search(r'<form method="post" action="/tickets/\d+/link_site">.*?</form>', html, re.S).group(0)
    assert '<input type="hidden" name="site_q" value="农贸市场">' in form
    assert 'name="site_q"' not in re.search(r'<form method="post" action="/tickets/\d+/link_site">.*?</form>',
                                            box(page(admin, ticket)), re.S).group(0)  # the nearby list has none
    far_site.active = False
    db.session.commit()
    response = post(admin, ticket, "link_site", site_id=far_site.id, site_q="农贸市场")
    assert response.status_code == 422
    html = box(response.get_data(as_text=True))
    assert "点位“北郊农贸市场”已停用，不能关联。" in html
    assert [name for name, _ in listed(html)] == ["人民路农贸市场", "建设路农贸市场"]
    assert 'value="农贸市场"' in search_form(html) and "符合“农贸市场”的点位：" in html
    assert db.session.get(Ticket, ticket.id).site_id is None and not site_events(ticket.id)


# ----------------------------------------------------------------------------- what is not offered

def test_retired_sites_are_not_found(browser, city, make_ticket, sites):
    html = search(browser(city.admin), make_ticket(), "旧米巷")
    assert not listed(html) and "未找到符合“旧米巷”的点位。" in html and 'name="site_id"' not in html


def test_the_linked_site_is_not_offered_again(browser, city, make_ticket, sites):
    ticket = make_ticket(site_id=sites["lane"].id)
    admin = browser(city.admin)
    html = search(admin, ticket, "巷")
    assert "当前点位：<b>青石巷</b>" in html
    assert [name for name, _ in listed(html)] == ["竹篙巷"] and "改为此点位" in html and ">关联<" not in html
    assert "未找到符合“青石巷”的其他点位。" in search(admin, ticket, "青石巷")


@pytest.mark.parametrize("q", ["%", "_", "%巷", "青_巷", "\\"])
def test_like_wildcards_match_only_themselves(browser, city, make_ticket, sites, now, q):
    from inspect_app.sites.models import Site

    db.session.add(Site(code="X-1", name="百分百%达标_示范街", kind=sites["lane"].kind, district="江城区",
                        territorial_unit=city.street_a, created_at=now))
    db.session.commit()
    html = search(browser(city.admin), make_ticket(), q)
    if q in ("%", "_"):
        assert [name for name, _ in listed(html)] == ["百分百%达标_示范街"] and "还有" not in html
    else:
        assert not listed(html) and f"未找到符合“{q}”的点位。" in html


@pytest.mark.parametrize("q", ["", "   ", "\u3000", "\t"])
def test_an_empty_or_blank_search_shows_the_usual_box(browser, city, make_ticket, sites, q):
    html = search(browser(city.admin), make_ticket(), q)
    assert [name for name, _ in listed(html)] == ["青石巷", "人民路农贸市场", "竹篙巷"]
    assert "附近300米内的点位" in html and "符合" not in html and "清除" not in html
    assert f'name="site_q" type="search" maxlength="{SITE_SEARCH_MAX}" value=""' in search_form(html)


def test_a_search_longer_than_the_cap_is_cut(browser, city, make_ticket, sites):
    html = search(browser(city.admin), make_ticket(), "青石巷" + "x" * 500)
    assert "未找到符合“青石巷" + "x" * (SITE_SEARCH_MAX - 3) + "”的点位" in html
    assert 'value="青石巷' + "x" * (SITE_SEARCH_MAX - 3) + '"' in html


# ----------------------------------------------------------------------------- who, and what it costs

def test_only_those_who_may_link_see_the_search(browser, city, make_ticket, sites):
    ticket = make_ticket(reporter=city.inspector)  # street A's
    for user in (city.admin, city.inspector):
        html = page_at(browser(user), f"/tickets/{ticket.id}?site_q=青石")
        assert search_form(html) and "符合“青石”的点位" in html
    for user in (city.inspector2, city.leader, city.unit_a):
        html = page_at(browser(user), f"/tickets/{ticket.id}?site_q=青石")
        assert not search_form(html) and 'name="site_q"' not in html and "青石巷" not in html
    unit = browser(city.unit_a)  # its page ignores the search: not one statement for it
    assert statements_of(unit, f"/tickets/{ticket.id}?site_q=青石") == statements_of(unit, f"/tickets/{ticket.id}")


def test_no_statement_for_a_search_unless_there_is_one(browser, city, make_ticket, sites):
    admin = browser(city.admin)
    for ticket in (make_ticket(), make_ticket(point=None, segment=city.seg_a)):
        plain = statements_of(admin, f"/tickets/{ticket.id}")
        assert not [s for s in plain if "like" in s.lower()]
        assert statements_of(admin, f"/tickets/{ticket.id}?site_q=%20") == plain
        searched = statements_of(admin, f"/tickets/{ticket.id}?site_q=青石")
        assert len([s for s in searched if "like" in s.lower()]) == 2  # the page of sites and their count
