"""Walk every route in the URL map as every role and check the answer against one permission table.

GET routes: who gets an answer. State-changing routes (POST, PUT, DELETE): every role sends the request with a
valid CSRF token (pages) or bearer token (API) and an empty body, and the exact status is checked — a refused role
gets exactly 302 to the login page (stranger, pages), 401 (stranger, API), 403 (wrong role) or 404 (another
unit's object), and an allowed role gets past the guard to the operation's own answer (most refuse the empty
body). So removing any role check changes a status here and fails the test.

A new route fails these tests until its row is added below, so nobody ships a route without deciding who may use it.
Object routes are requested for objects of unit B: unit B's user may see them, unit A's user must get 404.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import TOKEN_RE, City, login_session_id

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
    "escalation.by_number": SEES_OBJECT,
    "escalation.pdf": SEES_OBJECT,
    "rankings.index": ALL,
    "rankings.detail": ALL,
    "rankings.pdf": ALL,
    "rankings.preview": STAFF,
    "rankings.schemes": STAFF,  # reading the schemes; saving and switching them is the office's (POST)
    "rankings.groups": STAFF,
    "rankings.dashboard": STAFF,
    "dashboard.index": {"admin", "leader"},
    "auth.login": PUBLIC,
    "auth.change_password": ALL,
    "office.export_tickets": ALL,
    "field.favicon": PUBLIC,
    "field.service_worker": PUBLIC,
    "field.offline": PUBLIC,
    "field.segment_map": {"admin", "inspector"},
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
    "api_rankings.schemes": STAFF,
    "api_rankings.groups": STAFF,
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
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.extensions import db
    from inspect_app.rankings.periods import parse_period
    from inspect_app.rankings.services import publish
    from inspect_app.tickets.campaigns import Campaign

    from inspect_app.auth.services import create_user

    ticket = make_ticket(point=City.ON_B, at_time=now - timedelta(days=10))
    spare = create_user("extra", "inspector", "walk-pass-1", now)  # the account the office pages act on
    run_sweep(now)
    letter = db.session.scalar(db.select(Letter).where(Letter.unit_id == city.street_b.id))
    ranking = publish(parse_period("2026-11"), now)
    campaign = Campaign(name="牛皮癣专项整治", start_date=date(2026, 11, 1), end_date=date(2026, 12, 31))
    db.session.add(campaign)
    from inspect_app.background import service as jobs
    job = jobs.enqueue("tickets_export", city.unit_b, "导出", {"fmt": "csv", "encoding": "gb18030", "args": {},
                                                             "mine": False}, now, total=1)
    db.session.commit()
    from inspect_app.background.runner import run_pending
    run_pending(app)
    assert letter is not None and ranking is not None
    return {"ticket_id": ticket.id, "photo_id": ticket.photos[0].id, "letter_id": letter.id,
            "ranking_id": ranking.id, "campaign_id": campaign.id, "user_id": spare.id,
            "unit_id": city.street_b.id, "segment_id": city.seg_b.id, "category_id": city.niupixuan.id,
            "kind": "units", "fmt": "csv", "action": "approve", "day": "2027-01-01", "number": letter.number,
            "job_id": job.id, "code": "city_b"}


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
    user = _user(city, role)
    if url.startswith("/api/"):
        if user is None:
            return client.get(url, buffered=True)
        return api.get(url, user)
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = login_session_id(user)
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


# ----------------------------------------------------------------------------- state-changing routes

OBJECT_POSTS = {"tickets.act", "api_tickets.act", "escalation.acknowledge", "api_letters.acknowledge"}
OPEN_POSTS = {"auth.login": 401, "api_auth.token": 401}  # a stranger's empty form / body: no such account

# (endpoint, action or None) -> {role: exact status} for the roles the route lets in, with an empty body and the
# world below (ticket of unit B, assigned; letter to unit B; a campaign). Every other role must be refused.
ALLOWED_POSTS: dict[tuple[str, str | None], dict[str, int]] = {
    ("auth.logout", None): {r: 302 for r in ALL},
    ("auth.change_password", None): {r: 422 for r in ALL},
    ("api_auth.revoke", None): {r: 204 for r in ALL},
    ("tickets.new", None): {"admin": 400, "inspector": 400},
    ("api_tickets.create", None): {"admin": 400, "inspector": 400},
    # the ticket is assigned: a unit's moves read their input and refuse the empty body; others' moves are 409
    **{(e, "rectify"): {"unit_owner": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "dispute"): {"unit_owner": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "request_extension"): {"unit_owner": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "approve"): {"admin": 409, "inspector": 409} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "reject"): {"admin": 409, "inspector": 409} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "reassign"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "decide_extension"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "cancel"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    ("escalation.acknowledge", None): {"unit_owner": 303},
    ("api_letters.acknowledge", None): {"unit_owner": 200},
    ("rankings.publish", None): {"admin": 303},
    ("rankings.save_scheme", None): {"admin": 422},
    ("rankings.activate_scheme", None): {"admin": 303},
    ("rankings.save_groups", None): {"admin": 422},
    ("api_rankings.create", None): {"admin": 400},
    ("api_rankings.save_scheme", None): {"admin": 422},
    ("api_rankings.activate_scheme", None): {"admin": 200},
    ("office.unit_form", "new"): {"admin": 422},
    ("office.unit_form", "edit"): {"admin": 422},
    ("office.unit_active", None): {"admin": 302},
    ("office.segment_form", "new"): {"admin": 422},
    ("office.segment_form", "edit"): {"admin": 422},
    ("office.segment_active", None): {"admin": 302},
    ("office.category_form", "new"): {"admin": 422},
    ("office.category_form", "edit"): {"admin": 422},
    ("office.category_active", None): {"admin": 302},
    ("office.account_form", "new"): {"admin": 422},
    ("office.account_form", "edit"): {"admin": 302},
    ("office.account_reset", None): {"admin": 200},
    ("office.account_active", None): {"admin": 302},
    ("office.holiday_page", None): {"admin": 422},
    ("office.campaign_form", "new"): {"admin": 422},
    ("office.campaign_form", "edit"): {"admin": 422},
    ("office.campaign_delete", None): {"admin": 302},
    ("office.import_preview", None): {"admin": 302},
    ("office.import_confirm", None): {"admin": 302},
    ("api_office.import_rows", None): {"admin": 400},
    ("api_office.holiday_put", None): {"admin": 422},
    ("api_office.holiday_delete", None): {"admin": 404},
}


def _post_urls(app, world):
    """(endpoint, action, method, url) for every state-changing route; ticket actions one by one."""
    from inspect_app.tickets.actions import ACTIONS

    for rule, url in _urls(app, world):
        for method in sorted({"POST", "PUT", "DELETE"} & rule.methods):
            if rule.endpoint in ("tickets.act", "api_tickets.act"):
                for action in ACTIONS:
                    yield rule.endpoint, action, method, url.rsplit("/", 1)[0] + f"/{action}"
            elif rule.endpoint.endswith("_form"):  # the office's add (…/new) and edit forms
                yield rule.endpoint, "new" if url.endswith("/new") else "edit", method, url
            else:
                yield rule.endpoint, None, method, url


def _send(app, client, api, city, role, method, url):
    """The request as `role` would send it: API with the role's token, pages with its session and a valid
    CSRF token (taken from the login page of that same session), no Referer, an empty body."""
    user = _user(city, role)
    if url.startswith("/api/"):
        if user is None:
            return client.open(url, method=method)
        response = api.call(method, url, user)
        if url == "/api/v1/auth/token" and method == "DELETE":
            api.tokens.pop(user.username, None)  # revoked: the next call logs in again
        return response
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = login_session_id(user)
            session["_fresh"] = True
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True))
    form = {"csrf_token": token.group(1)} if token else {}
    if user is not None and not token:  # a logged-in person is sent on from /login: take a page of theirs
        form = {"csrf_token": TOKEN_RE.search(client.get("/password").get_data(as_text=True)).group(1)}
    return client.open(url, method=method, data=form)


def _refusal(endpoint: str, role: str, url: str) -> int:
    if role == "anon":
        return 401 if url.startswith("/api/") else 302
    if role == "unit_other" and endpoint in OBJECT_POSTS:
        return 404
    return 403


ACTION_ROUTES = {"tickets.act", "api_tickets.act"}  # one route, many actions: the lifecycle table decides who


def _refused_by_the_route(response, endpoint: str) -> bool:
    """A 403 from the route's @requires (not from a check further in, which would hide the route's removal)."""
    from inspect_app.policy import ROLE_REFUSED

    if endpoint in ACTION_ROUTES:
        return True
    if response.is_json:
        return response.get_json()["error"]["code"] == "role_not_allowed"
    return ROLE_REFUSED in response.get_data(as_text=True)


def test_every_state_changing_route_answers_each_role_exactly(app, client, api, city, world):
    problems = []
    for endpoint, action, method, url in _post_urls(app, world):
        if endpoint in OPEN_POSTS:
            status = _send(app, client, api, city, "anon", method, url).status_code
            if status != OPEN_POSTS[endpoint]:
                problems.append(f"anon {method} {url}: {status}, expected {OPEN_POSTS[endpoint]}")
            continue
        allowed = ALLOWED_POSTS.get((endpoint, action))
        if allowed is None:
            problems.append(f"{endpoint} {action or ''}: not in the table of state-changing routes")
            continue
        # Refused roles first: they must change nothing, so the allowed roles then meet the same world.
        for role in sorted(ROLES, key=lambda r: r in allowed):
            expected = allowed.get(role) or _refusal(endpoint, role, url)
            response = _send(app, client, api, city, role, method, url)
            if response.status_code != expected:
                problems.append(f"{role} {method} {url}: {response.status_code}, expected {expected}")
            elif expected == 403 and role not in allowed and not _refused_by_the_route(response, endpoint):
                problems.append(f"{role} {method} {url}: 403, but not from the route's own role check")
            elif role == "anon" and expected == 302 and "/login" not in response.location:
                problems.append(f"anon {method} {url}: redirected elsewhere than the login page")
    assert not problems, "\n".join(problems)


def test_a_page_post_without_the_csrf_token_is_refused_before_anything_else(app, client, city, world):
    """The positive control of the walk above: the same request without the token is refused (400), so the
    statuses above come from the role checks, not from CSRF."""
    from conftest import sign_in

    sign_in(client, city.admin)
    response = client.post(f"/office/units/{world['unit_id']}/retire")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
