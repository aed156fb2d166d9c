"""ticket_list_url, the office list's link with filters that rankings and the leaders' dashboard put on every unit:
the same URL url_for builds, or None for a user who may not open the list."""
from __future__ import annotations

import contextvars

from flask import g, url_for
from flask_login import login_user

from inspect_app.rankings.web import ticket_list_url

FILTERS = [
    {},
    {"unit_id": 7},
    {"unit_id": 7, "from": "2026-11-01", "to": "2026-11-30"},
    {"status": "open", "district": "临江区"},
    {"overdue": 1, "unit_id": None, "source": ""},
    {"overdue": False, "category": "牛皮癣"},
    {"q": "a b&c=d/e?f#g+h%i'j(k)l*m,n;o:p@q!r$s~t"},
    {"segment_id": 12, "status": "open"},
]


def test_the_links_are_those_url_for_builds(app, city):
    for user in (city.admin, city.leader):
        with app.test_request_context("/dashboard/"):
            login_user(user)
            for filters in FILTERS:
                expected = url_for("tickets.office_list",
                                   **{k: v for k, v in filters.items() if v not in (None, "", False)})
                assert ticket_list_url(**filters) == expected, filters


def test_a_unit_gets_no_link_and_the_answer_is_per_request(app, city):
    def request_as(user):  # a request of its own, with its own g, as a server runs it
        with app.app_context(), app.test_request_context("/rankings/"):
            login_user(user)
            return "ticket_list_base" in g, ticket_list_url(unit_id=1), ticket_list_url()

    assert contextvars.Context().run(request_as, city.unit_a) == (False, None, None)
    assert contextvars.Context().run(request_as, city.admin) == (False, "/tickets?unit_id=1", "/tickets")
