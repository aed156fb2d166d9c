"""Walk every GET route in the URL map as every role and check the answer against one permission table.

A new route fails this test until its row is added below, so nobody ships a page without deciding who may see it.
Object routes are requested for objects of unit B: unit B's user may see them, unit A's user must get 404.
POST routes are covered by the lifecycle, page and API tests; here every POST route is at least refused to
anonymous callers.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import g

from conftest import PASSWORD, City

ROLES = ("anon", "admin", "inspector", "leader", "unit_owner", "unit_other")
STAFF = {"admin", "inspector", "leader"}
ALL = STAFF | {"unit_owner", "unit_other"}
SEES_OBJECT = STAFF | {"unit_owner"}  # objects of unit B; unit_other must get 404
PUBLIC = {"anon"} | ALL

# endpoint -> roles that get an answer (2xx, or a 302 to their own start page)
TABLE: dict[str, set[str]] = {
    # people's pages
    "tickets.home": ALL,
    "tickets.new": {"admin", "inspector"},
    "tickets.filed": SEES_OBJECT,
    "tickets.segments_near": {"admin", "inspector"},
    "tickets.mine": {"inspector"},
    "tickets.unit_list": {"unit_owner", "unit_other"},
    "tickets.verify_queue": {"admin", "inspector"},
    "tickets.office_list": STAFF,
    "tickets.office_work": {"admin"},
    "tickets.detail": SEES_OBJECT,
    "tickets.photo": SEES_OBJECT,
    "tickets.photo_thumb": SEES_OBJECT,
    "escalation.letters": ALL,
    "escalation.detail": SEES_OBJECT,
    "escalation.pdf": SEES_OBJECT,
    "rankings.index": ALL,
    "rankings.detail": ALL,
    "rankings.pdf": ALL,
    "rankings.preview": STAFF,
    "rankings.rules": STAFF,  # reading the formula; saving it is the office's (POST)
    "dashboard.index": {"admin", "leader"},
    "auth.login": PUBLIC,
    "auth.change_password": ALL,
    "office.export_tickets": ALL,
    # API
    "healthz": PUBLIC,
    "api_auth.me": ALL,
    "api_reference.categories": ALL,
    "api_reference.units": ALL,
    "api_reference.segments": ALL,
    "api_tickets.index": ALL,
    "api_tickets.show": SEES_OBJECT,
    "api_tickets.photo_file": SEES_OBJECT,
    "api_tickets.photo_thumb": SEES_OBJECT,
    "api_letters.index": ALL,
    "api_letters.show": SEES_OBJECT,
    "api_letters.pdf": SEES_OBJECT,
    "api_rankings.index": ALL,
    "api_rankings.show": ALL,
    "api_rankings.pdf": ALL,
    "api_rankings.rules": STAFF,
    "api_office.tickets_csv": ALL,
    "api_office.tickets_xlsx": ALL,
    # background jobs: the world's job belongs to unit B's user; nobody else sees it, staff included
    "background.index": ALL,
    "background.show": {"unit_owner"},
    "background.status": {"unit_owner"},
    "background.download": {"unit_owner"},
    "api_jobs.index": ALL,
    "api_jobs.show": {"unit_owner"},
    "api_jobs.download": {"unit_owner"},
    "office.import_job_result": set(),  # an import job's result: its admin's only (tests/test_background_jobs.py)
}
ADMIN_ONLY_PREFIXES = ("office.", "api_office.")
SKIP = {"static", "office.static", "background.static"}


@pytest.fixture
def world(app, city, make_ticket, now):
    """A ticket of unit B with a photo, a letter to unit B, a published list and a campaign."""
    from inspect_app.escalation.models import Letter
    from inspect_app.escalation.sweep import run_sweep
    from inspect_app.extensions import db
    from inspect_app.rankings.periods import parse_period
    from inspect_app.rankings.services import publish
    from inspect_app.tickets.campaigns import Campaign

    ticket = make_ticket(point=City.ON_B, at_time=now - timedelta(days=10))
    run_sweep(now)
    letter = db.session.scalar(db.select(Letter).where(Letter.unit_id == city.street_b.id))
    ranking = publish(parse_period("2026-11"), now)
    campaign = Campaign(name="牛皮癣专项整治", start_date=date(2026, 11, 1), end_date=date(2026, 12, 31))
    db.session.add(campaign)
    from inspect_app.background import service as jobs
    job = jobs.enqueue("tickets_export", city.unit_b, "导出", {"fmt": "csv", "encoding": "gb18030", "args": {},
                                                             "mine": False}, now, total=1)
    db.session.commit()
    jobs.run_pending(app)
    assert letter is not None and ranking is not None
    return {"ticket_id": ticket.id, "photo_id": ticket.photos[0].id, "letter_id": letter.id,
            "ranking_id": ranking.id, "campaign_id": campaign.id, "user_id": city.unit_b.id,
            "unit_id": city.street_b.id, "segment_id": city.seg_b.id, "category_id": city.niupixuan.id,
            "kind": "units", "fmt": "csv", "action": "approve", "day": "2027-01-01", "job_id": job.id}


def _urls(app, world):
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        values = {name: world[name] for name in rule.arguments}
        converter = rule._converters.get("action")
        if converter is not None and getattr(converter, "items", None):
            values["action"] = sorted(converter.items)[0]  # e.g. retire/restore on office pages
        url = adapter.build(rule.endpoint, values)
        if rule.endpoint == "tickets.segments_near":
            url += f"?lat={City.ON_B[0]}&lon={City.ON_B[1]}"
        elif rule.endpoint == "api_office.holiday_list":
            url += "?year=2027"
        yield rule, url


def _user(city, role):
    return {"admin": city.admin, "inspector": city.inspector, "leader": city.leader,
            "unit_owner": city.unit_b, "unit_other": city.unit_a}.get(role)


def _get(app, client, api, city, role, url):
    for key in list(vars(g)):  # the test's app context is shared by requests; start each one clean
        delattr(g, key)
    user = _user(city, role)
    if url.startswith("/api/"):
        if user is None:
            return client.get(url, buffered=True)
        return api.get(url, user)
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client.get(url, buffered=True)


def test_every_get_route_answers_as_the_table_says(app, client, api, city, world):
    problems = []
    for rule, url in _urls(app, world):
        if "GET" not in rule.methods:
            continue
        endpoint = rule.endpoint
        if endpoint in TABLE:
            allowed = TABLE[endpoint]
        elif endpoint.startswith(ADMIN_ONLY_PREFIXES):
            allowed = {"admin"}
        else:
            problems.append(f"{endpoint}: not in the permission table")
            continue
        for role in ROLES:
            status = _get(app, client, api, city, role, url).status_code
            if status >= 500:
                problems.append(f"{role} GET {url}: {status}")
            elif role in allowed:
                if status not in (200, 302):
                    problems.append(f"{role} GET {url}: {status}, expected an answer")
            elif role == "anon":
                if status not in (302, 401):
                    problems.append(f"anon GET {url}: {status}, expected login (302/401)")
                elif status == 302 and "/login" not in _get(app, client, api, city, role, url).location:
                    problems.append(f"anon GET {url}: redirected elsewhere than the login page")
            elif role == "unit_other" and endpoint in TABLE and TABLE[endpoint] == SEES_OBJECT:
                if status != 404:
                    problems.append(f"unit_other GET {url}: {status}, expected 404 (another unit's object)")
            elif status not in (403, 404):
                problems.append(f"{role} GET {url}: {status}, expected 403/404")
    assert not problems, "\n".join(problems)


def test_every_post_route_refuses_anonymous_callers(app, client, world):
    """No state change without logging in: pages send strangers to the login page (or refuse the missing
    CSRF token), the API answers 401. Only logging in itself is open."""
    open_posts = {"auth.login", "api_auth.token"}
    problems = []
    for rule, url in _urls(app, world):
        if not ({"POST", "PUT", "DELETE"} & rule.methods) or rule.endpoint in open_posts:
            continue
        for method in {"POST", "PUT", "DELETE"} & rule.methods:
            for key in list(vars(g)):
                delattr(g, key)
            with client.session_transaction() as session:
                session.clear()
            status = client.open(url, method=method, buffered=True).status_code
            if status not in (302, 400, 401, 403):
                problems.append(f"anon {method} {url}: {status}")
    assert not problems, "\n".join(problems)
