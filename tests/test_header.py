"""The header's who-is-signed-in line (base.html): the unit named once, after the name, and nothing of it leaking
into the page below (a page's own `unit` stays the page's)."""
from __future__ import annotations

import re

from inspect_app.extensions import db


def me(page: str) -> str:
    return re.search(r'<span class="me"[^>]*>(.*?)</span>\s*<a class="hdr-link"', page, re.S).group(1)


def test_the_unit_is_named_once_and_the_page_keeps_its_own_unit(browser, city):
    city.unit_b.display_name = city.street_b.name  # named after its unit, as the demo's unit accounts are
    db.session.commit()
    clerk = browser(city.unit_b).get("/unit/tickets").get_data(as_text=True)
    assert me(clerk) == "<span>乙街道办事处</span><small>责任单位</small>"
    other = browser(city.unit_a).get("/unit/tickets").get_data(as_text=True)
    assert me(other) == f"<span>{city.unit_a.name}</span><small>甲街道办事处 · 责任单位</small>"
    # the office opens a unit's 督办 record: the page's unit, not the header's (the office has none)
    page = browser(city.admin).get(f"/letters/units/{city.street_b.id}").get_data(as_text=True)
    assert '<h1 class="page-title">乙街道办事处 <small>督办记录</small></h1>' in page
