"""Authentication and request-level input hardening (issue 11, items 5, 6, 9, 10, 11 and 13).

Every test here failed on the code before its fix. They run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""
from __future__ import annotations

import http.client
import json
import re
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PASSWORD, City
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from inspect_app.auth import models as auth_models
from inspect_app.auth import services, throttle
from inspect_app.common.timeutil import utcnow
from inspect_app.extensions import db

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser(FlaskClient):
    """A person with a browser. The app fixture keeps one app context for the whole test, and Flask-Login and
    Flask-WTF cache the user and the CSRF token in `g`: a real request starts without them."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        return super().open(*args, **kwargs)

    def csrf(self, page: str = "/login") -> str:
        match = TOKEN_RE.search(self.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD, remember: bool = False, address: str = "127.0.0.1"):
        data = {"username": username, "password": password, "csrf_token": self.csrf()}
        if remember:
            data["remember"] = "1"
        return self.post("/login", data=data, environ_base={"REMOTE_ADDR": address})

    def logout(self, page: str = "/password"):
        return self.post("/logout", data={"csrf_token": self.csrf(page)})


@pytest.fixture
def browser(app, city):
    def make(user=None, remember: bool = False) -> Browser:
        client = Browser(app, app.response_class, use_cookies=True)
        if user is not None:
            response = client.login(user.username, remember=remember)
            assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return make


def text(response) -> str:
    return response.get_data(as_text=True)


def logged_in(client, url: str = "/tickets/mine") -> bool:
    response = client.get(url)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and "/login" in response.headers["Location"], response.status_code
    return False


def token(client, username, password="Wrong-guess-1", address="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


# ============================================================================= item 5: logout ends the session

def test_logout_ends_a_copied_session_cookie_but_not_other_devices(browser, city):
    phone, laptop = browser(city.inspector), browser(city.inspector)
    thief = browser()
    thief.set_cookie("session", phone.get_cookie("session").value)
    assert logged_in(thief)
    assert phone.logout().status_code == 302
    assert not logged_in(phone)
    assert not logged_in(thief), "a copy of the session cookie still works after logout"
    assert logged_in(laptop), "logging out on one device must not log out the others"


def test_logout_ends_the_remember_me_cookie(browser, city):
    phone = browser(city.inspector, remember=True)
    remember = phone.get_cookie("remember_token").value
    restarted = browser()  # the same phone after the browser was closed: only the remember-me cookie is left
    restarted.set_cookie("remember_token", remember)
    assert logged_in(restarted)
    assert phone.logout().status_code == 302
    thief = browser()
    thief.set_cookie("remember_token", remember)
    assert not logged_in(thief), "a copy of the remember-me cookie still works after logout"


def test_remember_me_token_rotates_and_the_old_one_dies(app, browser, city):
    phone = browser(city.inspector, remember=True)
    first = phone.get_cookie("remember_token").value
    restarted = browser()
    restarted.set_cookie("remember_token", first)
    assert logged_in(restarted)
    second = restarted.get_cookie("remember_token").value
    assert second != first, "the remember-me token is rotated when it is used"
    # A request that raced the rotation still works for a short grace period ...
    late = browser()
    late.set_cookie("remember_token", first)
    assert logged_in(late)
    # ... and not after it.
    db.session.execute(update(auth_models.LoginSession).values(
        rotated_at=utcnow() - timedelta(seconds=app.config["REMEMBER_ROTATION_GRACE_SECONDS"] + 1)))
    db.session.commit()
    stale = browser()
    stale.set_cookie("remember_token", first)
    assert not logged_in(stale)
    fresh = browser()
    fresh.set_cookie("remember_token", second)
    assert logged_in(fresh)


def test_sessions_expire_and_expired_rows_are_pruned(app, browser, city):
    person = browser(city.inspector)
    assert logged_in(person)
    db.session.execute(update(auth_models.LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert not logged_in(person)
    browser(city.leader)  # any login prunes what has expired
    db.session.expire_all()
    rows = db.session.scalars(select(auth_models.LoginSession)).all()
    assert [row.user_id for row in rows] == [city.leader.id]


def test_a_form_sent_after_the_login_ran_out_comes_back_to_its_page_after_login(browser, city, make_ticket):
    """A unit's reply typed while its login ran out: the login page said 请先登录 with next= the form's address, and
    after logging in the browser GOT that POST-only address: 405, what was typed lost, and nothing said. Now the
    login page says it was not saved, and the login leads back to the page that held the form."""
    ticket = make_ticket()
    clerk = browser(city.unit_a)
    page = f"/tickets/{ticket.id}"
    token = clerk.csrf(page)
    db.session.execute(update(auth_models.LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    sent = clerk.post(f"{page}/rectify", data={"csrf_token": token, "note": "已清理完毕"},
                      headers={"Referer": f"http://localhost{page}"})
    assert sent.status_code == 302
    login_page = sent.headers["Location"]
    assert _login_next(login_page) == page, login_page
    shown = text(clerk.get(login_page))
    assert "登录已过期，刚才提交的内容没有保存，请重新填写后提交。" in shown and "请先登录" not in shown
    back = clerk.post(login_page, data={"username": city.unit_a.username, "password": PASSWORD,
                                        "csrf_token": clerk.csrf(login_page)})
    assert back.status_code == 302 and back.headers["Location"] == page
    assert clerk.get(page).status_code == 200

    # a form's address kept as next= (an old link) leads home, not to a 405; another site's Referer leads home too
    person = browser()
    went = person.post(f"/login?next=/tickets/{ticket.id}/rectify", data={
        "username": city.unit_a.username, "password": PASSWORD, "csrf_token": person.csrf()})
    assert went.status_code == 302 and went.headers["Location"] == "/"
    stranger = browser()
    refused = stranger.post(f"{page}/rectify", data={"csrf_token": stranger.csrf()},
                            headers={"Referer": "https://evil.example/tickets/1"})
    assert refused.status_code == 302 and refused.headers["Location"] == "/login"
    # a page asked for (GET) comes back to itself, its query too
    asked = browser().get("/tickets?status=assigned")
    assert asked.status_code == 302 and _login_next(asked.headers["Location"]) == "/tickets?status=assigned"
    prefixed = browser().get("/tickets", base_url="http://localhost/wm")  # served under a prefix: kept in next=
    assert urlsplit(prefixed.headers["Location"]).path == "/wm/login"
    assert parse_qs(urlsplit(prefixed.headers["Location"]).query)["next"] == ["/wm/tickets"]


def _login_next(location: str) -> str | None:
    parts = urlsplit(location)
    assert parts.path == "/login", location
    return parse_qs(parts.query).get("next", [None])[0]


def test_a_pages_script_asking_after_the_login_ran_out_is_told_401_with_the_way_back(browser, city, make_ticket):
    """A phone's background submission (XHR) after the login ran out was sent 302 to the login page; the browser
    followed it, the script read the login page's HTML (200) and said 提交失败（200）…请稍后重试, which could never
    work. A script is answered 401 JSON saying to log in again, with the login page that comes back to the page
    it runs on; nothing is left in the session for the login page to say."""
    ticket = make_ticket()
    clerk = browser(city.unit_a)
    page = f"/tickets/{ticket.id}"
    token = clerk.csrf(page)
    db.session.execute(update(auth_models.LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    script = {"Referer": f"http://localhost{page}", "X-Requested-With": "XMLHttpRequest",
              "Accept": "application/json"}
    sent = clerk.post(f"{page}/rectify", data={"csrf_token": token, "note": "已清理完毕"}, headers=script)
    assert sent.status_code == 401 and sent.mimetype == "application/json"
    error = sent.get_json()["error"]
    assert error["code"] == "unauthorized" and "登录已过期，请重新登录" in error["message"]
    assert _login_next(error["login"]) == page
    shown = text(clerk.get(error["login"]))
    assert "没有保存" not in shown and "请重新填写" not in shown
    # a search as one types, too; from a page not on this site, the login page alone
    asked = clerk.get("/segments/search?q=路", headers={"X-Requested-With": "XMLHttpRequest",
                                                       "Referer": "https://evil.example/tickets/new"})
    assert asked.status_code == 401 and asked.get_json()["error"]["login"] == "/login"
    # a person's form is sent to the login page as before
    assert clerk.post(f"{page}/rectify", data={"csrf_token": token}, headers={"Referer": script["Referer"]}
                      ).status_code == 302


def test_signing_out_after_the_login_ran_out_just_lands_on_the_login_page(browser, city):
    person = browser(city.inspector)
    token = person.csrf("/password")
    db.session.execute(update(auth_models.LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    out = person.post("/logout", data={"csrf_token": token}, headers={"Referer": "http://localhost/password"})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    shown = text(person.get("/login"))
    assert "请先登录" not in shown and "没有保存" not in shown


def test_a_name_is_found_in_any_case_and_width_and_its_attempts_count_together(app, browser, city, now):
    """SQL's lower() folds ASCII letters only: ÉLAN typed élan was no account. The throttle counts ＳＺ０１ｂ and
    sz01b as one account's attempts."""
    user = services.create_user("ÉLAN", "inspector", PASSWORD, now)
    db.session.commit()
    for typed in ("ÉLAN", "élan", " Élan "):
        assert services.find_user(typed) is user, typed
    assert services.find_user("elan") is None
    assert browser(user).get("/tickets/mine").status_code == 200
    person = browser()
    assert person.login("élan").status_code == 302
    assert throttle.username_key("ＳＺ０１ｂ") == throttle.username_key(" sz01B")


def test_password_change_ends_every_other_session_row(browser, city):
    phone, laptop = browser(city.inspector, remember=True), browser(city.inspector)
    changed = laptop.post("/password", data={"old_password": PASSWORD, "new_password": "Xq7-harbour-lamp",
                                             "confirm_password": "Xq7-harbour-lamp", "csrf_token": laptop.csrf("/password")})
    assert changed.status_code == 302, text(changed)
    assert logged_in(laptop) and not logged_in(phone)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(auth_models.LoginSession)) == 1


# ============================================================================= item 6: login throttle

def test_an_attacker_elsewhere_cannot_lock_the_owner_out(client, city):
    for _ in range(30):
        assert token(client, "admin", address="203.0.113.66").status_code in (401, 429)
    assert token(client, "admin", address="203.0.113.66").status_code == 429
    assert token(client, "admin", PASSWORD, address="198.51.100.7").status_code == 200


def test_delays_grow_per_account_and_address(app, city, now):
    free = app.config["LOGIN_FREE_ATTEMPTS"]
    first = app.config["LOGIN_FIRST_DELAY_SECONDS"]
    for _ in range(free):
        throttle.admit("inspector", "10.1.1.1", now)
    with pytest.raises(throttle.TooManyAttempts) as refused:
        throttle.admit("inspector", "10.1.1.1", now + timedelta(seconds=1))
    assert refused.value.retry_after == first - 1 and "分钟后再试" in refused.value.message
    throttle.admit("inspector", "10.1.1.2", now)  # another address: its own count
    at = now + timedelta(seconds=first)
    throttle.admit("inspector", "10.1.1.1", at)
    with pytest.raises(throttle.TooManyAttempts) as refused:
        throttle.admit("inspector", "10.1.1.1", at + timedelta(seconds=first))
    assert refused.value.retry_after == first  # the next wait is twice as long
    at += timedelta(seconds=2 * first)
    throttle.admit("inspector", "10.1.1.1", at)
    with pytest.raises(throttle.TooManyAttempts) as refused:
        throttle.admit("inspector", "10.1.1.1", at)
    assert refused.value.retry_after == 4 * first
    # never longer than the cap, and a day of quiet forgets everything
    for _ in range(20):
        at += timedelta(seconds=app.config["LOGIN_MAX_DELAY_SECONDS"])
        throttle.admit("inspector", "10.1.1.1", at)
    with pytest.raises(throttle.TooManyAttempts) as refused:
        throttle.admit("inspector", "10.1.1.1", at)
    assert refused.value.retry_after == app.config["LOGIN_MAX_DELAY_SECONDS"]
    at += timedelta(hours=app.config["LOGIN_FORGET_HOURS"], seconds=1)
    for _ in range(free):
        throttle.admit("inspector", "10.1.1.1", at)


def test_a_success_clears_only_its_own_address(client, city):
    for _ in range(4):
        token(client, "inspector", address="10.0.0.1")
        token(client, "inspector", address="10.0.0.2")
    assert token(client, "inspector", PASSWORD, address="10.0.0.1").status_code == 200
    for _ in range(5):
        assert token(client, "inspector", address="10.0.0.1").status_code == 401
    assert token(client, "inspector", address="10.0.0.2").status_code == 401
    assert token(client, "inspector", PASSWORD, address="10.0.0.2").status_code == 429


def test_an_address_has_a_generous_ceiling_over_all_accounts(app, client, city):
    app.config["LOGIN_ADDRESS_LIMIT"] = 12
    for i in range(12):
        assert token(client, f"nobody{i}", address="10.0.0.9").status_code == 401
    refused = token(client, "leader", PASSWORD, address="10.0.0.9")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_attempts"
    assert int(refused.headers["Retry-After"]) > 0
    assert token(client, "leader", PASSWORD, address="10.0.0.10").status_code == 200


def test_successes_do_not_use_up_the_address_ceiling(app, client, city):
    app.config["LOGIN_ADDRESS_LIMIT"] = 3
    for _ in range(10):  # one office behind one address, logging in all morning
        assert token(client, "leader", PASSWORD, address="10.0.0.9").status_code == 200


def test_ipv6_addresses_count_per_64_prefix(app, city, now):
    for host in range(1, app.config.get("LOGIN_FREE_ATTEMPTS", 5) + 1):
        throttle.admit("admin", f"2001:db8:1:2::{host}", now)
    with pytest.raises(throttle.TooManyAttempts):
        throttle.admit("admin", "2001:db8:1:2:ffff::9", now)
    throttle.admit("admin", "2001:db8:1:3::1", now)


class Server:
    """The app behind a real threaded HTTP server on the loopback address, as several workers would run it."""

    def __init__(self, app):
        from werkzeug.serving import make_server
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def post_json(self, path: str, body: dict) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def close(self):
        self.httpd.shutdown()
        self.thread.join(10)


@pytest.fixture
def server(app, city):
    running = Server(app)
    yield running
    running.close()


@pytest.fixture
def slow_checks(monkeypatch):
    """Each password check takes 0.3 s (like real scrypt on a busy server) and is counted."""
    import time
    real = auth_models.check_password_hash
    calls = []
    lock = threading.Lock()

    def slow(hashed, password):
        with lock:
            calls.append(password)
        time.sleep(0.3)
        return real(hashed, password)
    monkeypatch.setattr(auth_models, "check_password_hash", slow)
    return calls


def burst(server, passwords: list[str], username: str = "inspector") -> list[int]:
    barrier = threading.Barrier(len(passwords))
    statuses: list[int] = [0] * len(passwords)

    def one(i: int):
        barrier.wait()
        statuses[i] = server.post_json("/api/v1/auth/token", {"username": username, "password": passwords[i]})
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def test_parallel_wrong_passwords_are_checked_at_most_the_free_number_of_times(app, server, slow_checks):
    statuses = burst(server, ["Wrong-guess-1"] * 16)
    free = app.config.get("LOGIN_FREE_ATTEMPTS", 5)
    assert len(slow_checks) <= free, f"{len(slow_checks)} passwords checked in one burst, limit {free}"
    assert sorted(statuses) == [401] * len(slow_checks) + [429] * (16 - len(slow_checks))


def test_a_correct_password_inside_a_burst_does_not_get_past_the_limit(app, server, slow_checks):
    """Before: every request of a burst was checked, so the right password got in and wiped the count."""
    free = app.config.get("LOGIN_FREE_ATTEMPTS", 5)
    statuses = burst(server, ["Wrong-guess-1"] * 11 + [PASSWORD])
    assert len(slow_checks) <= free, f"{len(slow_checks)} passwords checked in one burst, limit {free}"
    checked = [status for status in statuses if status != 429]
    assert len(checked) == len(slow_checks) and set(checked) <= {200, 401}
    if statuses[-1] == 429:  # the right password came too late: refused like the rest, and the count stands
        assert burst(server, [PASSWORD]) == [429]
    assert burst(server, ["Wrong-guess-2"] * 6).count(429) >= 6 - free


# ============================================================================= item 9: temporary passwords

@pytest.fixture
def temporary(city, now):
    from inspect_app.office.accounts import create_account
    user, password = create_account({"username": "newbie", "role": "unit", "unit_id": str(city.street_a.id),
                                     "display_name": "新同事"}, now)
    db.session.commit()
    return user, password


def test_a_temporary_password_opens_only_the_change_password_page(app, browser, temporary):
    user, password = temporary
    person = browser()
    first = person.login("newbie", password)
    assert first.status_code == 302 and first.headers["Location"].endswith("/password")
    for url in ("/unit/tickets", "/tickets/mine", "/", "/tickets/1"):
        response = person.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/password"), url
    posted = person.post("/tickets/1/dispute", data={"csrf_token": person.csrf("/password"), "reason": "x"})
    assert posted.status_code in (302, 303) and posted.headers["Location"].endswith("/password")
    assert person.get("/password").status_code == 200
    with person.get("/static/css/app.css") as static:  # what pages are made of is never held back
        assert static.status_code == 200
    changed = person.post("/password", data={"old_password": password, "new_password": "Lantern-42-quay",
                                             "confirm_password": "Lantern-42-quay", "csrf_token": person.csrf("/password")})
    assert changed.status_code == 302
    assert person.get("/unit/tickets").status_code == 200


def test_logout_works_with_a_temporary_password(browser, temporary):
    user, password = temporary
    person = browser()
    person.login("newbie", password)
    assert person.logout().status_code == 302
    assert person.get("/password").status_code == 302


def test_the_api_refuses_a_token_until_the_password_is_changed(client, temporary):
    user, password = temporary
    refused = token(client, "newbie", password)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "password_change_required"
    assert "修改密码" in refused.get_json()["error"]["message"]
    assert token(client, "newbie", "Wrong-guess-1").status_code == 401  # a wrong password says nothing more
    services.change_password(user, "Lantern-42-quay")
    db.session.commit()
    assert token(client, "newbie", "Lantern-42-quay").status_code == 200


# ============================================================================= item 10: timing

@pytest.fixture
def counted_checks(monkeypatch):
    real = auth_models.check_password_hash
    calls: list[str] = []

    def counting(hashed, password):
        calls.append(hashed.split("$", 1)[0])
        return real(hashed, password)
    monkeypatch.setattr(auth_models, "check_password_hash", counting)
    return calls


def test_unknown_and_inactive_users_cost_one_hash_like_known_ones(client, city, counted_checks):
    city.leader.active = False
    db.session.commit()
    methods = {}
    for who in ("inspector", "no-such-user", "leader"):
        counted_checks.clear()
        assert token(client, who, address=f"10.9.0.{len(methods)}").status_code == 401
        assert len(counted_checks) == 1, f"{who}: {len(counted_checks)} password hashes computed"
        methods[who] = counted_checks[0]
    assert len(set(methods.values())) == 1, methods  # the same algorithm and cost on every path


# ============================================================================= item 11: bad bytes

def assert_400(response, what):
    assert response.status_code == 400, (what, response.status_code, response.get_data(as_text=True)[:300])
    if response.mimetype == "application/json":
        error = response.get_json()["error"]
        assert error["code"] and error["message"], what


def test_nul_in_login_is_400(browser, client, city):
    person = browser()
    assert_400(person.post("/login", data={"username": "admin\x00", "password": PASSWORD, "csrf_token": person.csrf()}),
               "web login")
    assert_400(token(client, "admin\x00", PASSWORD), "api login")
    assert_400(token(client, "admin", "pass\x00word"), "api password")


def test_nul_in_filters_is_400_with_the_error_shape(api, browser, city, make_ticket):
    make_ticket()
    for url in ("/api/v1/tickets?q=a%00b", "/api/v1/tickets?category=niu%00", "/api/v1/tickets?district=%00",
                "/api/v1/segments?lat=%00"):
        response = api.get(url, city.admin)
        assert response.mimetype == "application/json"
        assert_400(response, url)
    person = browser(city.admin)
    for url in ("/tickets?q=%00", "/tickets?category=%00", "/tickets?district=%00", "/office/segments?district=%00",
                "/office/accounts?q=%00"):
        page = person.get(url)
        assert_400(page, url)
        assert "<html" in text(page) and "字符" in text(page)  # the friendly page, in Chinese


def test_nul_in_a_header_is_400_before_anything_else(api, client, city, make_ticket):
    ticket = make_ticket()
    for headers in ({"X-Request-Note": "a\x00b"}, {"User-Agent": "phone\x00"}, {"Referer": "http://x/\x00"}):
        assert_400(api.get(f"/api/v1/tickets/{ticket.id}", city.admin, headers=headers), str(headers))
        assert_400(client.get("/login", headers=headers), f"page {headers}")
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.admin, headers={"User-Agent": "phone"}).status_code == 200


def test_nul_in_description_and_reason_is_400_and_files_nothing(api, city, make_ticket):
    from conftest import file_tuple
    from inspect_app.tickets.models import Ticket
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data",
                        data={"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
                              "description": "小广告\x00", "photos": [file_tuple()]})
    assert_400(response, "description")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before
    ticket = make_ticket()
    assert_400(api.post(f"/api/v1/tickets/{ticket.id}/dispute", city.unit_a, json={"reason": "不归我们\x00"}),
               "reason")
    assert_400(api.post(f"/api/v1/tickets/{ticket.id}/cancel", city.admin, json={"reason": {"\x00": 1}}), "key")


def test_a_lone_surrogate_in_json_is_400(api, client, city, make_ticket):
    ticket = make_ticket()
    body = '{"reason": "\\ud800 不归我们"}'
    response = api.post(f"/api/v1/tickets/{ticket.id}/dispute", city.unit_a, data=body,
                        content_type="application/json")
    assert_400(response, "surrogate")
    login = client.post("/api/v1/auth/token", data='{"username": "\\udfff", "password": "x"}',
                        content_type="application/json")
    assert_400(login, "surrogate in login")


def test_deeply_nested_json_is_400_even_unauthenticated(client, city):
    for body in ("[" * 100_000, "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000):
        response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
        assert_400(response, body[:10])
        assert response.get_json()["error"]["code"] == "invalid_json"


def test_a_nul_in_a_page_form_gets_the_message_on_the_form(browser, city, make_ticket):
    ticket = make_ticket()
    person = browser(city.unit_a)
    page = f"/tickets/{ticket.id}"
    response = person.post(f"/tickets/{ticket.id}/dispute", headers={"Referer": "http://localhost" + page},
                           data={"csrf_token": person.csrf(page), "reason": "不归\x00我们"})
    assert response.status_code in (303, 400)
    shown = person.get(page) if response.status_code == 303 else response
    assert "字符" in text(shown)


# ============================================================================= item 13: CSRF rotation, weak passwords

def test_the_csrf_token_changes_at_login(browser, city):
    person = browser()
    planted = person.csrf()  # what an attacker could have planted before the victim logged in
    assert person.login("inspector").status_code == 302
    refused = person.post("/logout", data={"csrf_token": planted})
    assert refused.status_code == 400, "the anonymous CSRF token is still valid after login"
    assert logged_in(person)
    assert person.logout().status_code == 302


def test_login_starts_a_new_session(browser, city):
    person = browser()
    with person.session_transaction() as session:
        session["planted"] = "by someone else"
    assert person.login("inspector").status_code == 302
    with person.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize("password", ["password1", "12345678a", "Password1", "QQ123456", "woaini1314",
                                      "Abcd1234", "demo2026", "Demo2026"])
def test_common_passwords_are_refused(password):
    problem = services.password_problem(password, "someone")
    assert problem and "常见" in problem, password


def test_good_passwords_still_pass_and_the_old_rules_hold():
    for good in ("Lantern-42-quay", PASSWORD, "xq7harbourlamp"):
        assert services.password_problem(good, "someone") is None, good
    assert "至少8位" in services.password_problem("Ab1!", "x")
    assert "两类" in services.password_problem("qwmpzkxvrt", "x")
    assert "用户名" in services.password_problem("inspector-2026", "inspector")


def test_capital_and_small_letters_are_one_kind(browser, city):
    """The rule says 字母、数字、符号中两类, and Abcdefgh (capitals and small letters counted as two kinds) passed."""
    for letters_only in ("Abcdefgh", "Wenmingban", "ABCDEFGHij", "文明城市创建工作"):
        assert "两类" in (services.password_problem(letters_only, "someone") or ""), letters_only
    for two_kinds in ("Wenmingban1", "wenming-ban", "12345678-", "Wen ming ban"):
        assert services.password_problem(two_kinds, "someone") is None, two_kinds
    person = browser(city.inspector)
    refused = person.post("/password", data={"old_password": PASSWORD, "new_password": "Wenmingban",
                                             "confirm_password": "Wenmingban", "csrf_token": person.csrf("/password")})
    assert refused.status_code == 422 and "密码须包含字母、数字、符号中的至少两类。" in text(refused)


def test_the_demo_password_is_the_one_on_the_list():
    from inspect_app.demo.seed import DEFAULT_PASSWORD
    assert services.password_problem(DEFAULT_PASSWORD) is not None


def test_changing_to_a_common_password_is_refused_on_the_page(browser, city):
    person = browser(city.inspector)
    response = person.post("/password", data={"old_password": PASSWORD, "new_password": "Password1",
                                              "confirm_password": "Password1", "csrf_token": person.csrf("/password")})
    assert response.status_code == 422 and "常见" in text(response)


def test_create_user_refuses_the_demo_password(runner, app, city):
    result = runner.invoke(args=["create-user", "someone", "--role", "inspector", "--password", "demo2026"])
    assert result.exit_code != 0 and "常见" in result.output


def test_create_user_binds_a_unit_by_its_code_in_any_case_and_only_a_units_account(runner, app, city):
    """--unit jda was refused (单位编码 jda 不存在) though seed-demo's unit logins are the codes in lower case, and
    --role admin --unit JDA made an admin and dropped the unit without a word."""
    from inspect_app.auth.models import User
    admin = runner.invoke(args=["create-user", "qbx4", "--role", "admin", "--unit", "JDA", "--password",
                                "Good-pass-2026"])
    assert admin.exit_code != 0 and "只有责任单位账号" in admin.output
    assert db.session.scalar(db.select(User).where(User.username == "qbx4")) is None
    unit = runner.invoke(args=["create-user", "jda_clerk", "--role", "unit", "--unit", "jda", "--password",
                               "Good-pass-2026"])
    assert unit.exit_code == 0, unit.output
    assert db.session.scalar(db.select(User).where(User.username == "jda_clerk")).unit_id == city.street_a.id
    city.street_b.active = False
    db.session.commit()
    retired = runner.invoke(args=["create-user", "jdb_clerk", "--role", "unit", "--unit", "JDB", "--password",
                                  "Good-pass-2026"])
    assert retired.exit_code != 0 and "已停用" in retired.output


@pytest.fixture
def unstamped(app):
    """seed-demo stamps the schema for Alembic; leave the database as the other tests expect it (no stamp)."""
    from sqlalchemy import text

    def drop():
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    drop()
    yield
    drop()


def test_the_demo_city_still_logs_in_with_the_demo_password(runner, app, unstamped):
    from inspect_app.demo.seed import DEFAULT_PASSWORD
    result = runner.invoke(args=["seed-demo", "--no-activity"])
    assert result.exit_code == 0, result.output
    person = Browser(app, app.response_class, use_cookies=True)
    response = person.login("admin", DEFAULT_PASSWORD)
    assert response.status_code == 302 and not response.headers["Location"].endswith("/password")
    assert logged_in(person, "/office/work")


def test_seed_demo_says_when_the_accounts_keep_their_passwords(runner, app, unstamped):
    """seed-demo --password P on a database with the demo printed 密码均为 P and exited 0 while every account kept
    demo2026; --password 1 was taken (every account, admin too, then had "1")."""
    from inspect_app.auth.models import User

    def password_of(username):
        db.session.expire_all()
        return db.session.scalar(db.select(User).where(User.username == username))

    short = runner.invoke(args=["seed-demo", "--no-activity", "--password", "1234567"])
    assert short.exit_code != 0 and "密码至少8位" in short.output
    assert password_of("admin") is None  # nothing loaded
    first = runner.invoke(args=["seed-demo", "--no-activity", "--password", "First-2026-pw"])
    assert first.exit_code == 0 and "密码均为 First-2026-pw" in first.output, first.output
    again = runner.invoke(args=["seed-demo", "--no-activity", "--password", "Other-2026-pw"])
    assert again.exit_code != 0, again.output
    assert "演示城市已加载" in again.output and "密码未改动" in again.output and "密码均为" not in again.output
    plain = runner.invoke(args=["seed-demo", "--no-activity"])
    assert plain.exit_code == 0 and "沿用原有密码" in plain.output and "密码均为" not in plain.output, plain.output
    admin = password_of("admin")
    assert admin.check_password("First-2026-pw") and not admin.check_password("Other-2026-pw")
