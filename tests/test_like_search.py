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


# QA on PostgreSQL: zg-01, sz03, ADMIN, mq found nothing there (LIKE minds letter case; SQLite's ignores ASCII case),
# though codes are one code in any case (common/codes.py). Every search box now ignores case on both databases.

def test_the_search_condition_ignores_case_and_stays_plain_like_on_sqlite():
    from sqlalchemy import bindparam, column, select
    from sqlalchemy.dialects import postgresql, sqlite

    from inspect_app.common.sql import any_like

    query = select(column("id")).where(any_like((column("code"), column("name")), bindparam("q")))
    on_pg = str(query.compile(dialect=postgresql.psycopg.dialect()))
    on_sqlite = str(query.compile(dialect=sqlite.dialect()))
    assert on_pg.count("ILIKE") == 2 and " LIKE " not in on_pg
    # SQLite's LIKE already ignores ASCII case; its ILIKE would add lower() on every row of the ticket list
    assert on_sqlite.count(" LIKE ") == 2 and "lower(" not in on_sqlite


@pytest.mark.parametrize("typed", ["zg-01", "ZG-01", "Zg-01"])
def test_the_ticket_list_finds_a_code_in_any_letter_case(api, browser, city, make_ticket, typed):
    make_ticket(description="测评点位ZG-01门口有小广告")
    make_ticket(description="路口有小广告")
    listed = api.get("/api/v1/tickets", city.admin, query_string={"q": typed}).get_json()
    assert [t["description"] for t in listed["items"]] == ["测评点位ZG-01门口有小广告"], typed
    assert "共 1 条" in browser(city.admin).get("/tickets", query_string={"q": typed}).get_data(as_text=True)


def test_the_office_lists_find_codes_and_names_in_any_letter_case(city):
    from inspect_app.office.reference import list_segments, list_units

    assert [u.code for u in list_units("jj")] == ["JJ"]
    assert [u.username for u in list_accounts("ADMIN")] == ["admin"]
    city.seg_a.name = "Wanda广场段"
    db.session.commit()
    assert [s.name for s in list_segments("wanda")[0]] == ["Wanda广场段"]


def test_the_frontage_list_and_the_filing_lookup_find_a_number_in_any_letter_case(browser, city, now):
    from inspect_app.frontages import services as frontages

    frontages.save(city.admin, {"code": "MQ-01001", "name": "老王面馆", "kind": "商户", "address": "东风路1号",
                                "street_unit_id": str(city.street_a.id)}, now)
    db.session.commit()
    assert [f.code for f in frontages.list_frontages(city.unit_a, frontages.RegisterFilter(q="mq-01001"))[0]] == ["MQ-01001"]
    assert [f["code"] for f in browser(city.inspector).get("/frontages/search?q=mq").get_json()] == ["MQ-01001"]


def test_the_key_tasks_list_finds_a_number_in_any_letter_case(city, tasks, now):  # noqa: F811
    tasks[2].code = "A-12"
    db.session.commit()
    assert [t.code for t in keytasks.list_tasks(city.admin, now, year=2026, q="a-12")[0]] == ["A-12"]


def test_text_without_letters_keeps_plain_like_and_is_found(api, city, make_ticket, now):
    """Chinese text or a ticket number has nothing to fold: the list keeps plain LIKE for it (PostgreSQL's ILIKE
    cost the 300,000-ticket list's search several times as much, issue 17), and finds it all the same."""
    from inspect_app.tickets.queries import TicketFilter, filter_shape

    ticket = make_ticket(description="路口有小广告")
    assert "q_no_letters" in filter_shape(city.admin, TicketFilter(q="小广告"), now)[0]
    assert "q" in filter_shape(city.admin, TicketFilter(q="ZG-01"), now)[0]
    listed = api.get("/api/v1/tickets", city.admin, query_string={"q": ticket.number[-6:]}).get_json()
    assert [t["number"] for t in listed["items"]] == [ticket.number]


def test_text_with_a_letter_is_found_in_addresses_and_descriptions_folded_once(api, browser, city, make_ticket, now):
    """A search with a letter (zg-01, LED) is folded once, here, and looked for in the address and the description:
    a number is digits and a dash. PostgreSQL folds each column under "C" and matches with LIKE (ILIKE folded the
    pattern again on every row of the 1 M-ticket city: 1.8 s a count that found nothing, and 4 s more for a page
    of nothing); what is found is what ILIKE found."""
    from sqlalchemy.dialects import postgresql

    from inspect_app.tickets.queries import TicketFilter, filter_condition, filter_shape

    in_description = make_ticket(description="测评点位ZG-01门口有小广告")
    in_address = make_ticket(description="路口有小广告", address="中山路zg-01号")
    make_ticket(description="全角ＺＧ-01不是同一个编码")  # letters beyond ASCII are not folded, on either database
    make_ticket(description="测评点位ZG-011门口")  # found: it holds zg-01
    for typed in ("zG-01", "ZG-01", "g-0"):
        listed = api.get("/api/v1/tickets", city.admin, query_string={"q": typed}).get_json()
        assert listed["total"] == 3, typed
        assert {in_description.id, in_address.id} <= {t["id"] for t in listed["items"]}
        assert "共 3 条" in browser(city.admin).get("/tickets", query_string={"q": typed}).get_data(as_text=True)
    shape, params = filter_shape(city.admin, TicketFilter(q="ZG-01%"), now)
    assert "q" in shape and params["f_like"] == "%zg-01\\%%"
    on_pg = str(filter_condition(shape).compile(dialect=postgresql.psycopg.dialect()))
    assert "ILIKE" not in on_pg and on_pg.count('lower(tickets.address COLLATE "C") LIKE') == 1, on_pg
    assert "tickets.number" not in on_pg and on_pg.count(" LIKE ") == 2, on_pg


def test_a_search_that_finds_nothing_runs_no_page(api, browser, city, make_ticket):
    """Its count says none: the page's statement, which walked every ticket again to find none, is not sent (the
    API's list, the office's list); a page past the last is not read either."""
    from conftest import sql_sent

    make_ticket(description="路口有小广告")
    office = browser(city.admin)
    for url in ("/api/v1/tickets?q=LED", "/api/v1/tickets?q=小广告&page=2", "/tickets?q=LED"):
        with sql_sent() as sent:
            answer = api.get(url, city.admin) if url.startswith("/api") else office.get(url)
        assert answer.status_code in (200, 302), url
        assert [s for s, _ in sent if "FROM tickets" in s and "LIMIT" in s] == [], (url, sent)
    assert api.get("/api/v1/tickets?q=小广告", city.admin).get_json()["total"] == 1
