"""The menu's counts (navigation.nav_for): an office user's page shows what waits for it (proposals, citizens'
reports, re-checks, letters to sign), and those counts reach the database as one statement, whatever page."""
from __future__ import annotations

import re

import pytest
from test_intake import file_report

from conftest import sql_sent

from inspect_app.escalation import followup, proposals
from inspect_app.intake import services as intake
from inspect_app.navigation import Count, run_counts


def test_the_menu_counts_come_in_one_statement(app, browser, city, now, make_ticket):
    file_report(browser)  # a citizen's report waits for the office
    office = browser(city.admin)
    with sql_sent() as sent:
        page = office.get("/tickets").get_data(as_text=True)
    counting = [s for s, _ in sent if "intake_items" in s or "rechecks" in s or "escalation_proposals" in s]
    assert len(counting) == 1, counting
    assert "intake_items" in counting[0] and "rechecks" in counting[0] and "escalation_proposals" in counting[0]
    assert re.search(r'市民来件<b class="nav-count"[^>]*>1<', page)


def test_the_menu_statement_binds_no_status(app, browser, city):
    """The statuses the menu counts are written into its SQL: PostgreSQL keeps one generic plan for it then, where
    a bound `status = $1` made it plan the statement again on every page (2.5-4 ms a page at 1 M tickets). Only
    the request's clock (and the user, for an inspector's re-checks) remain parameters."""
    for user in (city.admin, city.inspector):
        with sql_sent() as sent:
            browser(user).get("/tickets/mine" if user is city.inspector else "/tickets")
        menu = [(s, p) for s, p in sent if "rechecks" in s]
        assert len(menu) == 1, menu
        statement, params = menu[0]
        values = params.values() if isinstance(params, dict) else params
        assert not [v for v in values if isinstance(v, str) and re.fullmatch(r"[a-z_]+", v)], (statement, params)


def test_counts_together_are_the_counts_apart(app, browser, city, now):
    file_report(browser)
    with app.test_request_context():
        assert intake.pending_count() == 1
        together = run_counts([Count(intake.PENDING), Count(*followup.due_count(city.inspector, now)),
                               Count(*proposals.open_count(now))])
        assert together == (intake.pending_count(), followup.count_due(city.inspector, now),
                            proposals.count_open(now))
        with pytest.raises(ValueError):  # one name, two meanings: refused, never silently mixed
            run_counts([Count(*followup.due_count(city.admin, now)),
                        Count(*followup.due_count(city.admin, now.replace(year=2020)))])


def test_a_units_menu_starts_with_its_problems_news_and_letters(app, browser, city):
    """On a phone the menu is one scrolling row: a unit's 消息 and 督办函 (letters to sign for) come right after its
    problems, where the office's menu keeps its own order."""
    def labels(user) -> list[str]:
        page = browser(user).get("/letters").get_data(as_text=True)
        menu = page.split('<nav class="nav" aria-label="主菜单">', 1)[1].split("</nav>", 1)[0]
        return re.findall(r'<a href="[^"]*"[^>]*>([^<]+)', menu)

    assert labels(city.unit_a)[:3] == ["本单位问题", "消息", "督办函"]
    office = labels(city.admin)
    assert office.index("待办事项") < office.index("督办函")
