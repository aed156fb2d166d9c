"""Security checks, with OWASP ASVS 4.0 level 2 as the yardstick (chapter numbers in the test names' docs).

Headers and cookies (V14.4, V3.4), sessions and tokens (V3.3, V3.5), secrets kept out of logs (V7.1),
hostile input (V5: escaping, file names, sizes, decompression bombs, content types, injection). Every piece
of hostile input answers 4xx and leaves no row and no file behind.
"""
from __future__ import annotations

import io
import logging
import re
import struct
import uuid
import zlib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from conftest import PASSWORD, City, file_tuple, multipart, photo_bytes
import pytest
from markupsafe import escape
from sqlalchemy import func, select

from inspect_app import create_app
from inspect_app.auth.models import ApiToken
from inspect_app.auth.services import issue_token, user_for_token
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.tickets.models import Ticket, TicketEvent

STORED_RE = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}(_t|_st)?\.jpg")


# ----------------------------------------------------------------------------- helpers

def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def stored(uploads: Path) -> list[str]:
    return sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*") if p.is_file())


def file_report(api, user, photos=(("Canon_40D.jpg", None),), **fields):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "description": "小广告",
            **fields, "photos": [file_tuple(name, filename) for name, filename in photos]}
    return api.post("/api/v1/tickets", user, data=data, content_type="multipart/form-data")


def rectify(api, user, ticket_id: int, photos=(("gps_DSCN0010.jpg", None),), note: str = "已整改"):
    data = {"note": note, "photos": [file_tuple(name, filename) for name, filename in photos]}
    return api.post(f"/api/v1/tickets/{ticket_id}/rectify", user, data=data, content_type="multipart/form-data")


def png(width: int, height: int, real: bool = False) -> bytes:
    """A 1-bit PNG of the given size. `real`: its IDAT holds every (zero) row, a true decompression bomb
    (a few dozen KB that inflate to width*height/8 bytes); otherwise the header alone claims the size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    if real:
        packer, row = zlib.compressobj(9), b"\0" * (width // 8 + 1)
        idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    else:
        idat = zlib.compress(b"\0" * 64)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def assert_nothing_filed(uploads: Path, tickets: int = 0, photos: int = 0) -> None:
    assert count(Ticket) == tickets and count(Photo) == photos
    assert len(stored(uploads)) == 3 * photos, stored(uploads)


# ----------------------------------------------------------------------------- V14.4 headers, V3.4 cookies

def _csp(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def test_security_headers_on_pages_api_errors_and_files(browser, api, city, make_ticket):
    ticket = make_ticket()
    person = browser(city.admin)
    responses = {
        "login page": browser().get("/login"),
        "page": person.get(f"/tickets/{ticket.id}"),
        "missing page": person.get("/no/such/page"),
        "photo": person.get(f"/tickets/photos/{ticket.photos[0].id}"),
        "api": api.get("/api/v1/categories", city.inspector),
        "api error": api.get("/api/v1/tickets/999999", city.inspector),
        "api without token": browser().get("/api/v1/tickets"),
        "health": browser().get("/healthz"),
    }
    for what, response in responses.items():
        headers = response.headers
        csp = _csp(response)
        assert csp.get("default-src") == "default-src 'self'", what
        assert csp.get("frame-ancestors") == "frame-ancestors 'none'", what
        assert "script-src" in csp and "'unsafe-inline'" not in csp["script-src"], what
        assert "'unsafe-eval'" not in headers["Content-Security-Policy"], what
        assert {"base-uri", "form-action", "object-src"} & set(csp), what
        assert headers["X-Content-Type-Options"] == "nosniff", what
        assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), what
        assert headers["X-Frame-Options"] == "DENY", what
        assert "Strict-Transport-Security" not in headers, what  # plain HTTP: no HSTS
        assert "Server" not in headers or "Werkzeug" not in headers.get("Server", ""), what
        response.close()
    assert responses["photo"].mimetype == "image/jpeg"
    # Anything with someone's data must not be stored by a shared cache.
    for what in ("page", "api", "api error"):
        assert "no-store" in responses[what].headers["Cache-Control"] or "private" in \
            responses[what].headers["Cache-Control"], what
    token = browser().post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert "no-store" in token.headers.get("Cache-Control", ""), "a response carrying a token must not be cached"


PAGES = {
    "admin": ["/tickets", "/office/work", "/tickets/{id}", "/tickets/verify", "/password"],
    "inspector": ["/tickets/new", "/tickets/mine", "/tickets/{id}", "/tickets/{id}/filed"],
    "unit_a": ["/unit/tickets", "/unit/tickets?tab=all", "/tickets/{id}"],
}


def test_pages_need_no_inline_script_or_event_handlers(browser, city, make_ticket):
    """The CSP forbids inline script; pages that relied on it would silently break."""
    ticket = make_ticket()
    pages = {"/login": browser()}
    for name, urls in PAGES.items():
        person = browser(getattr(city, name))
        pages.update({url.format(id=ticket.id): person for url in urls})
    for url, person in pages.items():
        response = person.get(url)
        assert response.status_code == 200, url
        html = text(response)
        inline = [m for m in re.finditer(r"<script\b([^>]*)>", html) if "src=" not in m.group(1)]
        assert not inline, (url, inline[0].group(0))
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), url
        assert "javascript:" not in html, url


def _cookie(response, name: str) -> str:
    return next((h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")), "")


def test_session_and_remember_cookies_are_httponly_lax_and_secure_when_configured(app, browser, city):
    response = browser().login("inspector", remember=True)
    for name in ("session", "remember_token"):
        cookie = _cookie(response, name)
        assert cookie, name
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
        assert "Secure" not in cookie, cookie  # plain HTTP in development
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    secure = browser().login("inspector", remember=True)
    for name in ("session", "remember_token"):
        assert "Secure" in _cookie(secure, name), name


def test_cookie_security_follows_the_environment(monkeypatch):
    """SESSION_COOKIE_SECURE=1 also protects the remember-me cookie; PREFERRED_URL_SCHEME=https implies it."""
    import importlib

    import inspect_app.config as config_module

    try:
        monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
        config = importlib.reload(config_module).Config
        assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
        monkeypatch.delenv("SESSION_COOKIE_SECURE")
        monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
        config = importlib.reload(config_module).Config
        assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
        assert config.REMEMBER_COOKIE_DURATION <= timedelta(days=30)
    finally:
        monkeypatch.delenv("PREFERRED_URL_SCHEME", raising=False)
        importlib.reload(config_module)


def _probe_app(app, **extra):
    """A second app on the same database with a route that shows what the request looked like."""
    from flask import jsonify, request, url_for

    config = {k: v for k, v in app.config.items() if k.isupper()}
    probe = create_app({**config, **extra})

    @probe.get("/_probe")
    def _probe():
        return jsonify({"addr": request.remote_addr, "scheme": request.scheme, "host": request.host,
                        "url": url_for("auth.login", _external=True)})
    return probe


FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "wm.example.cn"}


@pytest.fixture
def probe_app(app):
    """_probe_app, its database connections closed afterwards: its first request asks the database for the schema's
    revision (ops/schema.py), and a second app's pool left open was closed by the garbage collector in whatever test
    ran then (psycopg's ResourceWarning, an error under pytest.ini)."""
    from inspect_app.extensions import db

    made = []

    def make(**extra):
        made.append(_probe_app(app, **extra))
        return made[-1]
    yield make
    for probe in made:
        with probe.app_context():
            db.engine.dispose()


def test_forwarded_headers_count_only_behind_a_trusted_proxy(probe_app):
    direct = probe_app().test_client().get("/_probe", headers=FORWARDED, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert direct.get_json()["addr"] == "198.51.100.7" and direct.get_json()["scheme"] == "http"
    assert "Strict-Transport-Security" not in direct.headers

    proxied = probe_app(TRUSTED_PROXIES=1).test_client()
    behind = proxied.get("/_probe", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    seen = behind.get_json()
    assert seen["addr"] == "203.0.113.9" and seen["scheme"] == "https"
    assert seen["url"] == "https://wm.example.cn/login"
    assert behind.headers["Strict-Transport-Security"].startswith("max-age=")
    # One proxy is trusted: a client's own X-Forwarded-For in front of nginx's entry is ignored.
    spoofed = proxied.get("/_probe", headers={**FORWARDED, "X-Forwarded-For": "10.0.0.1, 203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert spoofed.get_json()["addr"] == "203.0.113.9"


# ----------------------------------------------------------------------------- V3.3 / V3.5 sessions, tokens

def test_password_change_ends_other_sessions_and_tokens(browser, api, city, client):
    phone, laptop = browser(city.inspector), browser(city.inspector)
    token = api.token("inspector")
    assert phone.get("/tickets/mine").status_code == 200
    changed = laptop.submit("/password", "/password", {"old_password": PASSWORD, "new_password": "New-pass-2026",
                                                     "confirm_password": "New-pass-2026"})
    assert changed.status_code == 302, text(changed)
    gone = phone.get("/tickets/mine")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert laptop.get("/tickets/mine").status_code == 200  # the session that changed it lives on
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser().login("inspector").status_code == 401
    assert browser().login("inspector", "New-pass-2026").status_code == 302


def test_remember_me_cookie_dies_with_a_password_change(browser, city):
    phone = browser()
    assert phone.login("inspector", remember=True).status_code == 302
    remember = phone.get_cookie("remember_token")
    control = browser()
    control.set_cookie("remember_token", remember.value)
    assert control.get("/tickets/mine").status_code == 200  # positive control: the cookie alone logs in
    city.inspector.set_password("New-pass-2026")
    city.inspector.session_version += 1
    db.session.commit()
    fresh = browser()
    fresh.set_cookie("remember_token", remember.value)
    assert fresh.get("/tickets/mine").status_code == 302


def test_logout_ends_the_session(browser, city):
    person = browser(city.inspector)
    assert person.submit("/tickets/mine", "/logout", {}).status_code == 302
    assert person.get("/tickets/mine").status_code == 302


def test_tokens_expire_and_can_be_revoked(app, client, city, now):
    token, row = issue_token(city.inspector, now, hours=2)
    db.session.commit()
    assert row.token_hash != token and token not in row.token_hash  # only a hash is stored
    assert user_for_token(token, now + timedelta(hours=1)) is not None
    assert user_for_token(token, now + timedelta(hours=2)) is None
    assert user_for_token(token + "x", now) is None

    live = client.post("/api/v1/auth/token", json={"username": "inspector", "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {live['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    stored_row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(live["token"])))
    stored_row.expires_at = now - timedelta(seconds=1)  # as if its time ran out
    db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401

    other = client.post("/api/v1/auth/token", json={"username": "inspector", "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {other['token']}"}
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    for bad in ("Bearer", "Bearer ", "Basic " + other["token"], other["token"]):
        assert client.get("/api/v1/auth/me", headers={"Authorization": bad}).status_code == 401


def test_secrets_never_reach_the_logs(app, browser, client, city, caplog, make_ticket):
    ticket = make_ticket()
    caplog.set_level(logging.DEBUG)
    wrong = "Wrong-Guess-77"
    browser().login("inspector", wrong)
    browser().login("inspector")
    client.post("/api/v1/auth/token", json={"username": "inspector", "password": wrong})
    token = client.post("/api/v1/auth/token", json={"username": "inspector", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/tickets", headers=headers)
    client.get(f"/api/v1/tickets/{ticket.id}", headers=headers)
    client.post(f"/api/v1/tickets/{ticket.id}/approve", headers=headers, json={})  # a 409, logged or not
    browser(city.admin).submit("/password", "/password", {"old_password": PASSWORD, "new_password": "Brand-New-99",
                                                        "confirm_password": "Brand-New-99"})
    client.delete("/api/v1/auth/token", headers=headers)
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    for secret in (PASSWORD, wrong, "Brand-New-99", token):
        assert secret not in logged, f"a secret reached the log: {secret[:4]}…"


# ----------------------------------------------------------------------------- V5.3 output escaping

XSS = ['<script>alert("x1")</script>', '"><img src=x onerror=alert(2)>', "</textarea><svg onload=alert(3)>",
       "'-alert(4)-'"]
RAW = ("<script>alert", "<img src=x", "<svg onload")


def evil(i: int) -> str:
    return f"{XSS[i % len(XSS)]} {XSS[(i + 1) % len(XSS)]}"


def test_hostile_text_in_every_field_comes_back_escaped(api, browser, city):
    """Description, address and every note or reason a person can type, through the API; then every page."""
    def filed(i: int) -> int:
        response = file_report(api, city.inspector, description=evil(i), address=evil(i + 1)[:200])
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def act(user, ticket_id: int, action: str, **body):
        response = api.post(f"/api/v1/tickets/{ticket_id}/{action}", user, json=body)
        assert response.status_code == 200, (action, response.get_json())

    full = filed(0)  # goes through every move
    assert rectify(api, city.unit_a, full, note=evil(1)).status_code == 200
    act(city.inspector, full, "reject", note=evil(2))
    act(city.unit_a, full, "dispute", reason=evil(3))
    act(city.admin, full, "reassign", unit_id=city.street_a.id, note=evil(0))
    act(city.unit_a, full, "request_extension", workdays=3, reason=evil(1))
    act(city.admin, full, "decide_extension", approved=True, note=evil(2))
    waiting = filed(1)  # in the verification queue
    assert rectify(api, city.unit_a, waiting, note=evil(3)).status_code == 200
    disputed = filed(2)  # on the office's desk
    act(city.unit_a, disputed, "dispute", reason=evil(0))
    extension = filed(3)  # an open extension request
    act(city.unit_a, extension, "request_extension", workdays=2, reason=evil(1))
    cancelled = filed(4)
    act(city.admin, cancelled, "cancel", reason=evil(2))
    ids = (full, waiting, disputed, extension, cancelled)

    body = api.get(f"/api/v1/tickets/{full}", city.admin)
    assert body.mimetype == "application/json" and body.get_json()["description"] == evil(0)  # data kept as typed

    pages = {city.admin: ["/tickets", "/office/work", "/tickets/verify", "/tickets?q=%3Cscript%3E"]
                         + [f"/tickets/{i}" for i in ids],
             city.inspector: ["/tickets/mine", "/tickets/verify"] + [f"/tickets/{i}/filed" for i in ids],
             city.unit_a: ["/unit/tickets?tab=all", "/unit/tickets", "/unit/tickets?tab=feedback"]
                          + [f"/tickets/{i}" for i in ids],
             city.leader: ["/tickets"] + [f"/tickets/{i}" for i in ids]}
    shown = 0
    for user, urls in pages.items():
        person = browser(user)
        for url in urls:
            response = person.get(url)
            assert response.status_code == 200, (user.username, url)
            html = text(response)
            for raw in RAW:
                assert raw not in html, (user.username, url, raw)
            shown += html.count("&lt;script&gt;alert(") + html.count("&lt;img src=x")
    assert shown > 20  # the hostile text is on the pages, as text
    detail = text(browser(city.admin).get(f"/tickets/{full}"))
    for typed in (evil(0), evil(1), evil(2), evil(3)):  # description, notes and reasons of every move
        assert str(escape(typed)) in detail, typed


# ----------------------------------------------------------------------------- V12.3 file names

FILENAMES = ["../../{m}.jpg", "..\\..\\{m}.jpg", "/tmp/{m}.jpg", "{m}/../../../x.jpg", "%2e%2e%2f{m}.jpg",
             "{m}.jpg\x00.php", "..", "", "../" * 30 + "{m}.jpg"]


def test_upload_file_names_never_reach_storage_paths(api, city, uploads, tmp_path):
    marker = f"evil-{uuid.uuid4().hex[:8]}"
    filed = 0
    for filename in FILENAMES:
        response = file_report(api, city.inspector, photos=(("Canon_40D.jpg", filename.format(m=marker)),))
        assert response.status_code in (201, 400), (filename, response.get_json())
        if response.status_code == 201:
            filed += 1
            assert marker not in str(response.get_json())
    files = stored(uploads)
    assert all(STORED_RE.fullmatch(f) for f in files) and len(files) == 3 * filed >= 3 * (len(FILENAMES) - 2), files
    around = [*tmp_path.rglob(f"*{marker}*"), *tmp_path.parent.glob(f"*{marker}*"), *Path("/tmp").glob(f"*{marker}*"),
              *Path.cwd().glob(f"*{marker}*"), *Path.cwd().parent.glob(f"*{marker}*"), *Path("/").glob(f"*{marker}*")]
    assert not around, "a file name chose where something was written"


def test_web_form_upload_name_is_ignored_too(browser, city, uploads):
    marker = f"evil-{uuid.uuid4().hex[:8]}"
    person = browser(city.inspector)
    response = person.submit("/tickets/new", "/tickets/new", {
        "category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
        "photos": [(io.BytesIO(photo_bytes("Canon_40D.jpg")), f"../../../{marker}.jpg")]}, multipart=True)
    assert response.status_code == 303
    assert all(STORED_RE.fullmatch(f) for f in stored(uploads)) and len(stored(uploads)) == 3
    assert marker not in str(list(uploads.parent.rglob("*")))


# ----------------------------------------------------------------------------- V12.1 / V13 sizes, types

def test_oversized_requests_are_413_with_nothing_left(app, api, browser, city, uploads, make_ticket):
    ticket = make_ticket()
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    body, content_type = multipart({"category": "niupixuan", "photos": [file_tuple("mobile_jolla.jpg")]})
    by_api = api.post("/api/v1/tickets", city.inspector, data=body, content_type=content_type)
    assert by_api.status_code == 413 and by_api.get_json()["error"]["code"] == "too_large"
    by_rectify = api.post(f"/api/v1/tickets/{ticket.id}/rectify", city.unit_a, data=body, content_type=content_type)
    assert by_rectify.status_code == 413
    person = browser(city.inspector)
    token = person.token("/tickets/new")
    body, content_type = multipart({"category": "niupixuan", "photos": [file_tuple("mobile_jolla.jpg")],
                                    "csrf_token": token})
    by_page = person.post("/tickets/new", data=body, content_type=content_type,
                          headers={"X-Requested-With": "XMLHttpRequest"})
    assert by_page.status_code == 413
    huge_json = api.post(f"/api/v1/tickets/{ticket.id}/cancel", city.admin, json={"reason": "x" * 300_000})
    assert huge_json.status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 32 * 1024 * 1024
    # A text field is read into memory up to the upload cap (MAX_FORM_MEMORY_SIZE), as a JSON body is: its own
    # limit answers, whatever its length (werkzeug's default of 500 kB answered 413 about photos)
    long_text = file_report(api, city.inspector, description="长" * 400_000)
    assert long_text.status_code == 400 and long_text.get_json()["error"]["code"] == "text_too_long"
    too_long = file_report(api, city.inspector, description="长" * 2001)
    assert too_long.status_code == 400 and too_long.get_json()["error"]["code"] == "text_too_long"
    many = {"category": "niupixuan", **{f"f{i}": "x" for i in range(1500)}, "photos": [file_tuple()]}
    body, content_type = multipart(many)
    too_many_parts = api.post("/api/v1/tickets", city.inspector, data=body, content_type=content_type)
    assert too_many_parts.status_code == 413 and "表单字段过多" in too_many_parts.get_json()["error"]["message"]
    assert_nothing_filed(uploads, tickets=1, photos=1)
    assert db.session.get(Ticket, ticket.id).status == "assigned"


BOMBS = {"bomb-400Mpx": png(20_000, 20_000, real=True), "81Mpx-over-app-limit": png(9_000, 9_000),
         "100Mpx-pillow-warning": png(10_000, 10_000), "3600Mpx": png(60_000, 60_000)}


def test_png_decompression_bombs_are_refused(api, city, uploads, make_ticket):
    ticket = make_ticket()
    for name, bomb in BOMBS.items():
        assert len(bomb) < 200_000
        data = {"category": "niupixuan", "photos": [(io.BytesIO(photo_bytes()), "ok.jpg"), (io.BytesIO(bomb), "b.png")]}
        filed = api.post("/api/v1/tickets", city.inspector, data=data, content_type="multipart/form-data")
        assert filed.status_code == 413, (name, filed.get_json())
        assert filed.get_json()["error"]["code"] == "image_too_large", name
        data = {"photos": [(io.BytesIO(bomb), "b.png")]}
        after = api.post(f"/api/v1/tickets/{ticket.id}/rectify", city.unit_a, data=data,
                         content_type="multipart/form-data")
        assert after.status_code == 413, name
    assert_nothing_filed(uploads, tickets=1, photos=1)
    assert db.session.get(Ticket, ticket.id).status == "assigned"


BROKEN = {"truncated_half.jpg": photo_bytes("truncated_half.jpg"), "not_an_image.jpg": photo_bytes("not_an_image.jpg"),
          "empty.jpg": b"", "gif.jpg": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "zip.jpg": b"PK\x03\x04" + b"\0" * 100,
          "svg.jpg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
          "truncated.png": png(64, 64, real=True)[:40], "jpeg-header-only.jpg": photo_bytes()[:200]}


def test_broken_photos_are_4xx_with_no_row_and_no_file(api, browser, city, uploads, make_ticket):
    ticket = make_ticket()
    person = browser(city.inspector)
    for name, content in BROKEN.items():
        upload = lambda: (io.BytesIO(content), name)  # noqa: E731
        alone = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data",
                         data={"category": "niupixuan", "photos": [upload()]})
        second = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data",
                          data={"category": "niupixuan", "photos": [file_tuple(), upload()]})
        after = api.post(f"/api/v1/tickets/{ticket.id}/rectify", city.unit_a, content_type="multipart/form-data",
                         data={"photos": [file_tuple(), upload()]})
        page = person.submit("/tickets/new", "/tickets/new", {"category": "niupixuan", "photos": [upload()]},
                           multipart=True)
        for response in (alone, second, after, page):
            assert 400 <= response.status_code < 500, (name, response.status_code)
        assert alone.status_code == (400 if content == b"" else 415), name
    assert_nothing_filed(uploads, tickets=1, photos=1)
    assert db.session.get(Ticket, ticket.id).status == "assigned"


def test_wrong_content_types_are_400_or_415_never_500(api, city, uploads, make_ticket, client):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.id}"
    answers = {
        "json to filing": api.post("/api/v1/tickets", city.inspector, json={"category": "niupixuan"}),
        "xml to filing": api.post("/api/v1/tickets", city.inspector, data="<a/>", content_type="application/xml"),
        "json to rectify": api.post(f"{url}/rectify", city.unit_a, json={"note": "x"}),
        "text to rectify": api.post(f"{url}/rectify", city.unit_a, data="photos", content_type="text/plain"),
        "multipart to cancel": api.post(f"{url}/cancel", city.admin, content_type="multipart/form-data",
                                        data={"reason": "重复", "photos": [file_tuple()]}),
        "form to dispute": api.post(f"{url}/dispute", city.unit_a, data={"reason": "不归我们"}),
        "text to dispute": api.post(f"{url}/dispute", city.unit_a, data='{"reason": "x"}', content_type="text/plain"),
        "json array to cancel": api.post(f"{url}/cancel", city.admin, data="[1]", content_type="application/json"),
        "broken json": api.post(f"{url}/cancel", city.admin, data='{"reason": ', content_type="application/json"),
        "multipart to token": client.post("/api/v1/auth/token", content_type="multipart/form-data",
                                          data={"username": "admin", "password": PASSWORD}),
        "json to web filing": client.post("/tickets/new", json={"category": "niupixuan"}),
        "form to filing": api.post("/api/v1/tickets", city.inspector, data={"category": "niupixuan"}),
        "nothing to filing": api.post("/api/v1/tickets", city.inspector),
    }
    for what, response in answers.items():
        assert response.status_code in (400, 401, 415), (what, response.status_code, response.get_data()[:200])
        if response.mimetype == "application/json":
            assert response.get_json()["error"]["message"], what
    for what in ("multipart to cancel", "form to dispute", "text to dispute", "multipart to token", "json to filing",
                 "xml to filing", "json to rectify", "text to rectify"):
        assert answers[what].status_code == 415, what  # ASVS 13.1.5: an unexpected content type is refused
        assert answers[what].get_json()["error"]["code"] == "unsupported_media_type", what
    # a form without photos, or no body at all, is read as a form: the field missing is named
    assert answers["form to filing"].get_json()["error"]["code"] == "photos_required"
    assert answers["nothing to filing"].get_json()["error"]["code"] == "category_required"
    assert_nothing_filed(uploads, tickets=1, photos=1)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "assigned"
    assert count(TicketEvent) == 2  # filed and dispatched, nothing since


SQLISH = ["' OR '1'='1", "1 OR 1=1", "1; DROP TABLE tickets; --", "%' OR 1=1 --", "niupixuan' --", "\\' OR 1=1 #",
          "1 UNION SELECT password_hash FROM users", "%", "_"]


def test_sql_looking_filters_are_refused_or_match_nothing(api, browser, city, make_ticket):
    theirs = make_ticket(point=City.ON_B)  # street B's
    make_ticket()
    for value in SQLISH:
        for name in ("status", "unit_id", "page", "per_page", "campaign_id"):
            response = api.get("/api/v1/tickets", city.admin, query_string={name: value})
            assert response.status_code == 400, (name, value)
        for name in ("category", "q", "district"):
            response = api.get("/api/v1/tickets", city.unit_a, query_string={name: value})
            assert response.status_code in (200, 400), (name, value)
            if response.status_code == 200:
                ids = [t["id"] for t in response.get_json()["items"]]
                assert theirs.id not in ids, (name, value)  # never widens what a unit may see
                if value not in ("%", "_"):
                    assert ids == [], (name, value)
        page = browser(city.admin).get("/tickets", query_string={"q": value, "status": "assigned"})
        assert page.status_code == 200
    assert api.get("/api/v1/tickets", city.admin, query_string={"per_page": 10**9}).status_code == 400
    assert count(Ticket) == 2 and api.get("/api/v1/tickets", city.admin).get_json()["total"] == 2


def test_login_never_redirects_off_site(browser, city):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        person = browser()
        response = person.post(f"/login?next={target}", data={"username": "inspector", "password": PASSWORD,
                                                               "csrf_token": person.token()})
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert location.scheme in ("", "http") and location.netloc in ("", "localhost"), (target, location)
        assert not location.path.startswith(("//", "/\\")), (target, location)


def test_a_new_secret_key_ends_the_sessions_signed_with_the_old_one(app, browser, city):
    """The session cookie's signer is made once per key (extensions.SessionCookies): a changed key is noticed."""
    person = browser(city.admin)
    assert person.get("/tickets").status_code == 200
    old = app.secret_key
    app.secret_key = app.config["SECRET_KEY"] = old + "-rotated"
    try:
        response = person.get("/tickets")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert browser(city.admin).get("/tickets").status_code == 200  # a new login, signed with the new key
    finally:
        app.secret_key = app.config["SECRET_KEY"] = old


def test_the_api_neither_reads_nor_writes_the_session_cookie(app, browser, city, make_ticket):
    """/api/ authenticates by bearer token only: a browser's logged-in session cookie does not sign it in, and its
    answers set no cookie and do not vary by cookie (extensions.SessionCookies)."""
    ticket = make_ticket()
    person = browser(city.admin)
    assert person.get("/tickets").status_code == 200  # the cookie signs pages in
    refused = person.get(f"/api/v1/tickets/{ticket.id}")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "token_missing"
    token = person.post("/api/v1/auth/token", json={"username": city.admin.username, "password": PASSWORD})
    assert token.status_code == 200
    answer = person.get(f"/api/v1/tickets/{ticket.id}",
                        headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert answer.status_code == 200 and answer.get_json()["id"] == ticket.id
    for response in (refused, token, answer):
        assert "Set-Cookie" not in response.headers
        assert "cookie" not in response.headers.get("Vary", "").lower()
    assert person.get("/tickets").status_code == 200  # and the browser's session is as it was
