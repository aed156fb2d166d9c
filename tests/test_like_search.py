"""What a user types into a search box is found as typed: % and _ (and a backslash) are characters, not LIKE's
wildcards. A lone % or _ typed into the ticket list, the accounts list or the key tasks list used to match every row;
common.sql.like_pattern is the one place that escapes them, for every search of the application."""
from __future__ import annotations

import pytest
from test_keytasks import tasks  # noqa: F401  (the fixture)

from inspect_app.common.sql import like_pattern
from inspect_app.extensions import db
from inspect_app.keytasks import services as keytasks
from inspect_app.office.accounts import list_accounts


def test_the_pattern_escapes_wildcards_and_the_escape_itself():
    assert like_pattern("农贸市场") == "%农贸市场%"
    assert like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


@pytest.mark.parametrize("typed", ["%", "_", "%%", "\\"])
def test_a_lone_wildcard_finds_no_ticket_in_the_list(api, city, make_ticket, typed):
    make_ticket(description="路口有小广告")
    listed = api.get("/api/v1/tickets", city.admin, query_string={"q": typed}).get_json()
    assert listed["total"] == 0, typed
    assert api.get("/api/v1/tickets", city.admin, query_string={"q": "小广告"}).get_json()["total"] == 1


def test_a_percent_sign_in_a_description_is_found_as_typed(api, city, make_ticket):
    make_ticket(description="井盖破损100%需更换")
    make_ticket(description="井盖破损1000处")
    listed = api.get("/api/v1/tickets", city.admin, query_string={"q": "100%"}).get_json()
    assert [t["description"] for t in listed["items"]] == ["井盖破损100%需更换"]


def test_the_office_list_page_searches_the_same_way(browser, city, make_ticket):
    make_ticket(description="路口有小广告")
    office = browser(city.admin)
    assert "共 1 条" in office.get("/tickets?q=小广告").get_data(as_text=True)
    assert "共 1 条" not in office.get("/tickets?q=_").get_data(as_text=True)


def test_the_accounts_list_finds_a_wildcard_as_typed(city):
    assert list_accounts() and list_accounts("%") == []
    city.inspector.display_name = "张%三"
    db.session.commit()
    assert list_accounts("%") == [city.inspector]


def test_the_key_tasks_list_finds_a_wildcard_as_typed(city, tasks, now):  # noqa: F811
    everything, total = keytasks.list_tasks(city.admin, now, year=2026)
    assert total == 3
    assert keytasks.list_tasks(city.admin, now, year=2026, q="%")[1] == 0
    assert keytasks.list_tasks(city.admin, now, year=2026, q="_")[1] == 0
    assert keytasks.list_tasks(city.admin, now, year=2026, q="3.2")[1] == 2
