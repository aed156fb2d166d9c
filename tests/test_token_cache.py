"""The API token cache (auth/token_cache.py): a repeated token costs no query, and anything that makes a token bad
takes effect at once, in this process and in another one on the same host."""
from __future__ import annotations

from sqlalchemy import event, update

from conftest import PASSWORD
from inspect_app import create_app
from inspect_app.auth import services
from inspect_app.auth.models import User
from inspect_app.extensions import db


def _token_queries(app, fn) -> int:
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if "api_tokens" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_second_request_costs_no_token_query(app, city, api):
    api.token("inspector")
    assert _token_queries(app, lambda: api.get("/api/v1/auth/me", city.inspector)) == 1
    assert _token_queries(app, lambda: [api.get("/api/v1/auth/me", city.inspector) for _ in range(3)]) == 0
    app.config["API_TOKEN_CACHE_SECONDS"] = 0
    app.extensions.pop("api_token_cache", None)
    assert _token_queries(app, lambda: [api.get("/api/v1/auth/me", city.inspector) for _ in range(2)]) == 2


def test_revoked_token_stops_at_once(city, api):
    assert api.get("/api/v1/auth/me", city.inspector).status_code == 200  # cached now
    assert api.call("DELETE", "/api/v1/auth/token", city.inspector).status_code == 204
    response = api.get("/api/v1/auth/me", city.inspector)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "token_invalid"


def test_password_change_and_disabled_account_stop_cached_tokens(app, city, api):
    assert api.get("/api/v1/auth/me", city.inspector).status_code == 200
    assert api.get("/api/v1/auth/me", city.unit_a).status_code == 200
    services.change_password(db.session.get(User, city.inspector.id), "Another-pass-2026!")
    db.session.commit()
    assert api.get("/api/v1/auth/me", city.inspector).status_code == 401
    db.session.execute(update(User).where(User.id == city.unit_a.id).values(active=False))  # a bulk UPDATE too
    db.session.commit()
    assert api.get("/api/v1/auth/me", city.unit_a).status_code == 401


def test_change_in_another_process_reaches_this_one(app, city, api, tmp_path):
    """Another worker (another app, its own cache) disables the account: this worker refuses the token at once."""
    assert api.get("/api/v1/auth/me", city.inspector).status_code == 200
    assert api.get("/api/v1/tickets", city.inspector).status_code == 200  # answered from the cache
    inspector_id = city.inspector.id  # read here: inside the other app, this session would load it through its engine
    other = create_app({**app.config})
    with other.app_context():
        try:
            db.session.execute(update(User).where(User.id == inspector_id).values(role="leader"))
            db.session.commit()
            user = db.session.get(User, inspector_id)
            user.active = False
            db.session.commit()
        finally:
            db.session.remove()
            for engine in db.engines.values():  # the other worker's connections, closed here, not by the GC
                engine.dispose()
    response = api.get("/api/v1/auth/me", city.inspector)
    assert response.status_code == 401


def test_role_change_is_seen_by_the_next_request(city, api):
    assert api.get("/api/v1/auth/me", city.inspector2).get_json()["role"] == "inspector"
    db.session.get(User, city.inspector2.id).role = "leader"
    db.session.commit()
    assert api.get("/api/v1/auth/me", city.inspector2).get_json()["role"] == "leader"


def test_wrong_tokens_are_not_cached(app, city, client):
    for _ in range(2):
        response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401
    tokens = app.extensions.get("api_token_cache")
    assert tokens is None or not tokens._entries
    assert PASSWORD  # the fixture's accounts log in with it
