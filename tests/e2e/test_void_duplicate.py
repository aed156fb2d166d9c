"""作废 as a duplicate in a real browser: the office names the other problem by its number and the page shows it
for checking first (no browser dialog before that step, which would ask twice); a 作废 without a number asks
in the browser, since nothing else stands between the click and the act.
"""
from __future__ import annotations

import pytest
from conftest import City

pytestmark = pytest.mark.browser


def test_void_as_duplicate_asks_once(app, city, server, phones, make_ticket):
    from inspect_app.extensions import db
    from inspect_app.tickets.models import Ticket

    earlier = make_ticket(point=City.ON_A)
    later = make_ticket(point=City.ON_A)
    office = phones("admin", device="Desktop Chrome", location=None)
    page = office.page
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))

    # without a number: the browser asks, declined, nothing happens
    page.goto(f"{server}/tickets/{later.id}")
    page.click("details#cancel summary")
    page.fill("#cancel input[name=reason]", "重复上报")
    page.click("#cancel button:has-text('作废此问题')")
    assert asked and "作废" in asked[0]
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status != "cancelled"

    # with a number: no dialog, the page shows the other problem, and its button voids
    asked.clear()
    page.fill("#cancel input[name=duplicate_of]", earlier.number)
    page.click("#cancel button:has-text('作废此问题')")
    page.wait_for_selector("#cancel-confirm")
    assert asked == []
    assert earlier.number in page.inner_text("#cancel-confirm")
    office.shot("void-duplicate-confirm")
    page.click(f"#cancel button:has-text('确认作废（与{earlier.number}重复）')")
    page.wait_for_selector(".alert.success")
    assert asked == []
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "cancelled"
    office.close()
