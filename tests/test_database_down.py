"""While the database does not answer (PostgreSQL down or restarting, out of connections, SQLite locked past its
wait), every request answers 503 in Chinese with Retry-After, never Werkzeug's English "Internal Server Error".

Before, a page showed that English page: the error page's own menu looks up the one signed in, which is a query,
so the error handler failed too. The API answered 500 internal_error, and /healthz 500 to a probe that sent a
session cookie. Found by stopping PostgreSQL under a running server (docs/deployment.md).
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DisconnectionError, TimeoutError as PoolTimeout

from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket

MESSAGE = "数据库暂时无法访问，请稍后重试。"


@contextmanager
def database_down(pool_exhausted: bool = False):
    """Every new connection is refused by the driver, as by a server that is not running (or, `pool_exhausted`,
    none is free in the process's pool within its wait), and a pooled connection is found gone when it is taken
    (the pool closes it and connects anew, which is refused). Nothing is disposed of: a request in flight in a
    server thread keeps its connection and gives it back as usual, so no connection is left unclosed."""
    engine = db.engine
    refused = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args):
        if pool_exhausted:
            raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00")
        raise refused("connection refused: the database server is not running")

    def gone(*_args):
        raise DisconnectionError("the database server is not running")

    db.session.remove()
    event.listen(engine, "do_connect", refuse)
    event.listen(engine, "checkout", gone)
    try:
        yield
    finally:
        event.remove(engine, "checkout", gone)
        event.remove(engine, "do_connect", refuse)


def page_says(response, status: int = 503) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:500]
    assert "Internal Server Error" not in html
    return html


@pytest.mark.parametrize("pool_exhausted", [False, True], ids=["server-down", "pool-exhausted"])
def test_every_request_answers_503_in_chinese_while_the_database_is_down(app, city, browser, api, make_ticket,
                                                                         pool_exhausted):
    ticket = make_ticket()
    ticket_id, status = ticket.id, ticket.status  # the session is let go below: keep plain values
    office, unit = browser(city.admin), browser(city.unit_a)
    stranger = browser()
    token_user = SimpleNamespace(username=city.inspector.username)
    assert api.get("/api/v1/tickets", token_user).status_code == 200  # the token is issued while the database is up
    form_token = office.token("/tickets")

    with database_down(pool_exhausted):
        for client, path in ((office, "/tickets"), (office, "/office/work"), (unit, "/unit/tickets"),
                             (unit, f"/tickets/{ticket_id}"), (office, "/letters")):
            response = client.get(path)
            html = page_says(response)
            assert MESSAGE in html and response.headers["Retry-After"] == "10", path
            assert "重试" in html and "退出" not in html  # no menu: it would need the database

        # An error page of another kind needs the database for its menu too: a form sent with a stale token.
        response = office.post(f"/tickets/{ticket_id}/approve", data={"csrf_token": "stale"})
        assert MESSAGE in page_says(response)
        # A form sent properly.
        response = office.post(f"/tickets/{ticket_id}/cancel", data={"csrf_token": form_token, "reason": "重复"})
        assert MESSAGE in page_says(response)

        response = api.get("/api/v1/tickets", token_user)
        assert response.status_code == 503 and response.headers["Retry-After"] == "10"
        assert response.get_json()["error"]["code"] == "database_unavailable"
        assert MESSAGE in response.get_json()["error"]["message"]

        assert office.get("/healthz").status_code == 503  # a probe with a session cookie
        assert stranger.get("/healthz").get_json() == {"status": "error", "message": "数据库无响应"}

        assert "登录" in page_says(stranger.get("/login"), 200)  # the login page needs nothing from the database
        response = stranger.post("/login", data={"username": "admin", "password": "x",
                                                 "csrf_token": stranger.token()})
        assert MESSAGE in page_says(response)

    # Back up: the same sessions and token work again, and nothing was changed while it was down.
    assert office.get("/tickets").status_code == 200
    assert unit.get(f"/tickets/{ticket_id}").status_code == 200
    assert api.get("/api/v1/tickets", token_user).status_code == 200
    assert db.session.get(Ticket, ticket_id).status == status



def test_a_report_filed_while_the_database_is_down_leaves_no_file(app, city, api, uploads):
    from test_api_tickets import file_report, stored_files

    inspector = SimpleNamespace(username=city.inspector.username)
    assert api.get("/api/v1/categories", inspector).status_code == 200  # token issued (and cached) while up
    with database_down():
        response = file_report(api, inspector, photos=("Canon_40D.jpg", "gps_DSCN0010.jpg"),
                               headers={"Idempotency-Key": "k-down-1"})
        assert response.status_code == 503, response.get_json()
        assert response.get_json()["error"]["code"] == "database_unavailable"
    assert stored_files(uploads) == []
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    # the same report sent again once it is back is filed, once
    response = file_report(api, inspector, photos=("Canon_40D.jpg", "gps_DSCN0010.jpg"),
                           headers={"Idempotency-Key": "k-down-1"})
    assert response.status_code == 201, response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_under_gunicorn_the_apps_own_lines_go_to_its_error_log(app, client, tmp_path):
    # Under gunicorn "health check failed: …", "database unavailable on GET …" and "photo N: its file … is missing"
    # went to bare stderr without time or level (Python's last-resort handler), not into --error-logfile, and INFO
    # lines were dropped: nothing configured logging outside run.py and the scheduler. An app made in a gunicorn
    # worker (its error logger has handlers) now logs through them, at gunicorn's --log-level.
    import io
    import logging

    from conftest import _test_config

    from inspect_app import create_app

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s"))  # gunicorn's, roughly
    gunicorn, ours = logging.getLogger("gunicorn.error"), logging.getLogger("inspect_app")
    saved = ours.handlers[:], ours.level, ours.propagate, gunicorn.level
    gunicorn.addHandler(handler)
    gunicorn.setLevel(logging.INFO)
    try:
        create_app(_test_config(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))  # as a gunicorn worker does
        with database_down():
            assert client.get("/healthz").status_code == 503
        logging.getLogger("inspect_app.rankings.jobs").info("rankings weekly 2026-W48: nothing happened")
    finally:
        gunicorn.removeHandler(handler)
        gunicorn.setLevel(saved[3])
        ours.handlers[:] = saved[0]
        ours.setLevel(saved[1])
        ours.propagate = saved[2]
    lines = stream.getvalue().splitlines()
    stamped = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \[ERROR\] health check failed: ")
    assert any(stamped.match(line) for line in lines), lines
    assert any(line.endswith("[INFO] rankings weekly 2026-W48: nothing happened") for line in lines), lines
