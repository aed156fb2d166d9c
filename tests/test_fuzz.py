"""A fuzz pass over every route and every field (issue 11): whatever arrives, the answer is never a 500.

Hypothesis generates, for each route in the URL map and each role, path values (real ids, huge and negative
numbers, odd strings), query strings, form fields and JSON bodies drawn from every field name the pages and the
API read, with hostile text (NUL, lone surrogates are refused by the input guard; control characters, RTL marks,
emoji, 5,000-character strings, numbers out of any range), and random files as uploads. The run is bounded and
derandomized so CI is repeatable; FUZZ_EXAMPLES=500 python -m pytest tests/test_fuzz.py runs a longer search.
"""
from __future__ import annotations

import io
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TOKEN_RE, City, login_session_id
from werkzeug.routing import IntegerConverter

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))

# Every field name a form or a JSON body of this app reads (grep request.form / body.get / args.get), and every
# name a page's form sends (read from the templates, so a new form's fields are fuzzed without a list to keep).
FIELDS = ["category", "segment_id", "lat", "lon", "address", "description", "source", "note", "reason", "unit_id",
          "until", "workdays", "approved", "period", "publish", "name", "code", "kind", "parent_id", "district",
          "coords", "coord_system", "username", "password", "new_password", "old_password", "confirm_password",
          "display_name", "role", "phone", "date", "delete", "token", "start_date", "end_date", "category_ids",
          "districts", "deadline_kind", "deadline_value", "owner_unit_id", "status", "q", "page", "per_page",
          "overdue", "from", "to", "campaign_id", "encoding", "dry_run", "photo_meta", "idempotency_key", "next",
          "remember", "contact_person", "contact_phone", "urgent", "common", "terms", "red", "black", "min_sample",
          "site_id", "results", "level", "unit_ids", "ticket_ids", "proposal_ids", "reply_by", "body", "text", "user",
          "kept_at", "day", "reply"]
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FIELDS += sorted({name for page in TEMPLATES.rglob("*.html")
                  for name in re.findall(r'name="([a-z][a-z0-9_]*)"', page.read_text(encoding="utf-8"))}
                 - set(FIELDS) - {"csrf_token", "viewport", "robots"})

HOSTILE = st.sampled_from([
    "", " ", "0", "-1", "1e309", "NaN", "inf", "9" * 40, str(2**63), str(-2**63 - 1), "0x10", "1,2", "true",
    "null", "[]", "{}", "2026-02-30", "2026-13-01", "9999-12-31", "0001-01-01", "2026-W99", "2026-00",
    "\u202e\u202dabc", "\u0000", "\ud800", "\x7f\x1b[2J", "<script>alert(1)</script>", "' OR 1=1 --", "%00",
    "../../etc/passwd", "😀" * 50, "𠀀𪚥", "人民路\n\n\n18号", "a" * 5000, "=cmd|' /C calc'!A0",
])
TEXT = st.one_of(HOSTILE, st.text(max_size=60))
# A form or a query string carries UTF-8 bytes: a lone surrogate cannot be sent there (only as \\ud800 in JSON,
# which JSON_VALUE does; raw invalid bytes are tests/test_auth_hardening.py's).
WIRE_TEXT = st.one_of(HOSTILE.filter(lambda t: t != "\ud800"),
                      st.text(st.characters(blacklist_categories=("Cs",)), max_size=60))
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
              st.floats(allow_nan=True, allow_infinity=True), TEXT),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(FIELDS), children,
                                                                               max_size=4)),
    max_leaves=12)
# Every field at once, each with its own hostile value: whatever a route reads, it meets something odd.
FORM = st.fixed_dictionaries({name: st.one_of(WIRE_TEXT, st.lists(WIRE_TEXT, max_size=3)) for name in FIELDS})
JSON_BODY = st.fixed_dictionaries({name: JSON_VALUE for name in FIELDS})
FILES = st.lists(st.binary(max_size=512), max_size=2)
PATH_INT = st.one_of(st.sampled_from(["real"]), st.integers(min_value=0, max_value=2**64), st.just(0))
ROLES = ("anon", "admin", "inspector", "leader", "unit")


@pytest.fixture
def world(app, city, make_ticket, now):
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.extensions import db

    ticket = make_ticket(point=City.ON_A, at_time=now - timedelta(days=10))
    run_sweep(now)
    db.session.commit()
    return {"ticket_id": ticket.id, "photo_id": ticket.photos[0].id}


def _routes(app):
    skip = {"static", "office.static", "background.static"}
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint not in skip), key=lambda r: r.rule)


def _user(city, role):
    return {"admin": city.admin, "inspector": city.inspector, "leader": city.leader, "unit": city.unit_a}.get(role)


def _url(app, rule, world, draw_int, draw_text) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        if getattr(converter, "items", None):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            drawn = draw_int
            values[name] = world.get(name, 1) if drawn == "real" else drawn
        else:
            values[name] = draw_text or "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_no_route_answers_500_to_anything(app, client, api, city, world):
    rules = _routes(app)
    sessions = {role: login_session_id(_user(city, role)) for role in ROLES if role != "anon"}
    problems: list[str] = []
    seen: dict[int, int] = {}

    # The query, the form, the JSON body and the files are drawn only when the request carries them: drawing
    # every field's hostile value is most of an example's cost, and a GET has no body.
    @settings(max_examples=EXAMPLES * len(rules) // 10, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(index=st.integers(min_value=0, max_value=len(rules) - 1), role=st.sampled_from(ROLES),
           draw_int=PATH_INT, draw_text=WIRE_TEXT.filter(lambda t: "/" not in t), as_json=st.booleans(),
           data=st.data())
    def one(index, role, draw_int, draw_text, as_json, data):
        rule = rules[index]
        method = sorted((rule.methods or {"GET"}) - {"HEAD", "OPTIONS"})[0]
        try:
            url = _url(app, rule, world, draw_int, draw_text)
        except Exception:  # a value the URL map cannot build is not a request anyone can send
            return
        args = data.draw(FORM, label="args") if method == "GET" else {}
        as_json = as_json and url.startswith("/api/") and method != "GET"
        form, files = (data.draw(FORM, label="form"), data.draw(FILES, label="files")) \
            if method != "GET" and not as_json else ({}, [])
        body = data.draw(JSON_BODY, label="body") if as_json else {}
        query = {k: (v[0] if isinstance(v, list) and v else v) for k, v in args.items() if isinstance(v, str)}
        if url.startswith("/api/"):
            headers = {}
            if role != "anon":
                headers["Authorization"] = f"Bearer {api.token(_user(city, role).username)}"
            if method == "GET":
                response = client.get(url, query_string=query, headers=headers)
            elif as_json:
                response = client.open(url, method=method, data=json.dumps(body, default=str),
                                       content_type="application/json", headers=headers)
            else:
                fields = dict(form)
                fields["photos"] = [(io.BytesIO(b), f"f{i}.jpg") for i, b in enumerate(files)]
                fields["file"] = [(io.BytesIO(b), "f.xlsx") for b in files[:1]]
                response = client.open(url, method=method, data=fields, headers=headers,
                                       content_type="multipart/form-data")
        else:
            with client.session_transaction() as session:
                session.clear()
                if role != "anon":
                    session["_user_id"] = sessions[role]
                    session["_fresh"] = True
            if method == "GET":
                response = client.get(url, query_string=query)
            else:
                token = TOKEN_RE.search(client.get("/login").get_data(as_text=True)) if role == "anon" else \
                    TOKEN_RE.search(client.get("/password").get_data(as_text=True))
                fields = dict(form)
                if token:
                    fields["csrf_token"] = token.group(1)
                fields["photos"] = [(io.BytesIO(b), f"f{i}.jpg") for i, b in enumerate(files)]
                response = client.post(url, data=fields, content_type="multipart/form-data")
        seen[response.status_code // 100] = seen.get(response.status_code // 100, 0) + 1
        if response.status_code >= 500 and response.status_code != 503:
            problems.append(f"{role} {method} {url} as_json={as_json}: {response.status_code} "
                            f"args={repr(query)[:300]} form={repr(form)[:300]} json={repr(body)[:300]}")

    one()
    print(f"\nfuzz: {sum(seen.values())} requests over {len(rules)} routes, by status class: {sorted(seen.items())}")
    assert sum(seen.values()) >= EXAMPLES * len(rules) // 20  # the search really ran
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30])
def test_ids_past_the_database_integer_are_404_on_every_route(app, client, api, city, world, value):
    """Found by the fuzz pass on PostgreSQL: an id past 2**31 - 1 in a path (GET /tickets/8206180052,
    /api/v1/letters/4361957492276/pdf) reached the database, which refused it: 500. Every route, every method."""
    sign_in_id = login_session_id(city.admin)
    problems = []
    for rule in _routes(app):
        ints = [name for name in rule.arguments if isinstance(rule._converters.get(name), IntegerConverter)]
        if not ints:
            continue
        values = {name: sorted(conv.items)[0] if getattr(conv, "items", None) else "x"
                  for name, conv in rule._converters.items()}
        values.update({name: value for name in ints})
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in sorted((rule.methods or {"GET"}) - {"HEAD", "OPTIONS"}):
            if url.startswith("/api/"):
                response = api.call(method, url, city.admin, json={})
            else:
                with client.session_transaction() as session:
                    session["_user_id"] = sign_in_id
                    session["_fresh"] = True
                response = client.open(url, method=method)
            if response.status_code not in (404, 405):  # no such row, or another route of that path
                problems.append(f"{method} {url}: {response.status_code}")
    assert not problems, problems
