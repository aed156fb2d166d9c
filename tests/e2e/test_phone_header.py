"""The header on a phone says whom it is signed in as: the name and the unit in full (江城区解放街道办事处 · 责任单位),
under the brand, in one row with the buttons, not cut to "江城区解放街道办…" on a second row."""
from __future__ import annotations

import pytest
from conftest import PASSWORD

from inspect_app.auth.services import create_user
from inspect_app.extensions import db

pytestmark = pytest.mark.browser

LONG_NAME = "江城区解放街道办事处"

SHOWN = """
() => {
  const bar = document.querySelector('header.top .bar'), me = document.querySelector('.me');
  return {height: bar.getBoundingClientRect().height, text: me.innerText.replace(/\\s+/g, ''),
          cut: me.scrollWidth > me.clientWidth + 1, width: document.documentElement.scrollWidth};
}"""


def test_a_unit_account_sees_its_whole_unit_on_a_phone(city, phones, now):
    city.street_b.name = LONG_NAME  # the account is named after its unit, as the demo's are
    city.unit_b.display_name = LONG_NAME
    db.session.commit()

    clerk = phones("unit_b")
    shown = clerk.page.evaluate(SHOWN)
    # the unit once, not twice (the " · " after the name is the style's, not in the text)
    assert shown["text"] == f"{LONG_NAME}责任单位" and not shown["cut"]
    assert shown["height"] <= 60 and shown["width"] <= 412  # one row of 44 px buttons, as for every account
    clerk.shot("header-unit-412")
    clerk.close()

    office = phones("admin")
    shown = office.page.evaluate(SHOWN)
    assert shown["text"] == "admin文明办" and not shown["cut"] and shown["height"] <= 60
    office.close()


def test_a_clerk_with_a_name_of_its_own_sees_the_unit_after_it(city, phones, now):
    city.street_b.name = LONG_NAME
    create_user("clerk_b", "unit", PASSWORD, now, unit=city.street_b, display_name="张晓明")
    db.session.commit()
    clerk = phones("clerk_b")
    shown = clerk.page.evaluate(SHOWN)
    assert shown["text"] == f"张晓明{LONG_NAME}·责任单位" and shown["height"] <= 60
    clerk.shot("header-clerk-412")
    clerk.close()
