"""Fixtures: an app on a fresh database per test, a small city, accounts, photos, a fixed clock (the test's and
the application's: `now` and `clock`), and clients that behave like separate browsers and API callers.

Test code runs inside one app context (so it can call services and read rows), but every request a client sends
runs in a context of its own, as in production: its own `g`, its own database session. Before a request, what the
test wrote is committed (it happened "earlier"); after it, the test's objects are expired, so reading them shows
what the request did.

Set TEST_DATABASE_URL=postgresql+psycopg://... to run the same suite on PostgreSQL.
"""
from __future__ import annotations

import contextvars
import copy
import functools
from contextlib import contextmanager
import io
import os
import re
import shutil
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskCliRunner, FlaskClient
from jinja2 import BytecodeCache
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from inspect_app import create_app
from inspect_app import models as _every_model  # noqa: F401  (a test module may build queries at import time)
from inspect_app.config import TestConfig
from inspect_app.extensions import db

PHOTOS = Path(__file__).parent / "photos"
BEFORE_PHOTO = "orientation_landscape_3.jpg"  # make_ticket's; the default after-photo is Canon_40D.jpg
SHANGHAI_NOW = "2026-11-25T10:00:00+08:00"
PASSWORD = "test-pass-1"
BASE = "http://localhost"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def at(iso: str) -> datetime:
    """An aware datetime from ISO text; naive means Shanghai."""
    from inspect_app.common.timeutil import parse_iso
    return parse_iso(iso)


@pytest.fixture
def now() -> datetime:
    return at(SHANGHAI_NOW)


class Clock:
    """The application's clock in a test (common/timeutil.clock): it starts at a given moment and runs on, or,
    once stopped, stands where it is set."""

    def __init__(self, start: datetime):
        self.running = True
        self.set(start)

    def set(self, start: datetime | str) -> None:
        """Move the clock to `start` (ISO text: naive is Shanghai); it runs on from there unless stopped."""
        from inspect_app.common.timeutil import as_utc
        self._start, self._since = as_utc(at(start) if isinstance(start, str) else start), time.monotonic()

    def stop(self, start: datetime | str) -> None:
        """Stand at `start` until set again: every request sees exactly that moment."""
        self.running = False
        self.set(start)

    def __call__(self) -> datetime:
        if not self.running:
            return self._start
        return self._start + timedelta(seconds=time.monotonic() - self._since)


@pytest.fixture(autouse=True)
def clock(monkeypatch, now) -> Clock:
    """Pages, the API and the commands run from `now` on, as the data a test builds at `now` does, whatever day
    the suite itself runs: a test that reads "this month" or files through the API means the fixed month."""
    from inspect_app.common import timeutil
    running = Clock(now)
    monkeypatch.setattr(timeutil, "clock", running)
    return running


@contextmanager
def sql_sent():
    """[(statement, parameters)] of every statement sent to the database meanwhile (inside the app's context)."""
    from sqlalchemy import event

    sent: list[tuple[str, object]] = []

    def log(conn, cursor, statement, parameters, *args):
        sent.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", log)


def _memoize_url_builders() -> None:
    """Every test makes an app, and werkzeug writes and compiles Python code for the URL builders of each of its
    260-odd rules: about 0.2 s an app, most of a test's setup. A builder is the same function for the same rule
    text, parts, converters and defaults, whichever app's map holds the rule (it reads the rule's converters
    through its `self` argument), so the tests keep one per rule. The app itself makes its map once a process."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict = {}

    def cached(self, append_unknown: bool = True):
        converters = tuple(sorted((name, type(conv), repr({k: v for k, v in vars(conv).items() if k != "map"}))
                                  for name, conv in self._converters.items()))
        key = (self.rule, append_unknown, tuple(self._trace), repr(sorted((self.defaults or {}).items())), converters)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = cached


_memoize_url_builders()


def _memoize_rule_parsing() -> None:
    """The other half of a map's making in each test's app: werkzeug parses each rule's text into the parts it
    matches with, its trace and its converters (1,700 regular-expression matches an app, ~30 ms). The parse is the
    same for the same text over the same converter classes, so the tests keep it once a process; each rule still
    gets converters of its own, bound to its own map."""
    from werkzeug.routing.rules import Rule

    parse_rule = Rule._parse_rule
    parsed: dict = {}

    def cached(self, rule: str):
        key = (rule, frozenset(self.map.converters.items()))
        known = parsed.get(key)
        if known is None:
            trace_from, converters_before = len(self._trace), set(self._converters)
            parts = list(parse_rule(self, rule))
            parsed[key] = (parts, self._trace[trace_from:],
                           {name: conv for name, conv in self._converters.items() if name not in converters_before})
            return parts
        parts, trace, converters = known
        self._trace.extend(trace)
        for name, converter in converters.items():
            own = copy.copy(converter)
            own.map = self.map
            self._converters[name] = own
            self.arguments.add(name)
        return parts

    Rule._parse_rule = cached


_memoize_rule_parsing()


def _database_url(tmp_path: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


_worker_databases: dict[str, str] = {}


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker has a PostgreSQL database of its own beside TEST_DATABASE_URL's
    (inspect_test_gw0, inspect_test_gw1, ...), created on first use: workers never share rows or schema."""
    if url not in _worker_databases:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        given = make_url(url)
        name = f"{given.database}_{worker}"
        engine = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        _worker_databases[url] = given.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[url]


def _reset_postgres() -> None:
    """Empty every table. DELETE beats TRUNCATE on the few rows a test leaves, and the DELETEs go as one string in
    one round trip (psycopg sends a statement without parameters by the simple protocol, which takes several):
    6 ms a test, against 75 ms for a statement each."""
    tables = reversed(db.metadata.sorted_tables)
    db.session.connection().exec_driver_sql("; ".join(f'DELETE FROM "{table.name}"' for table in tables))
    db.session.commit()


_pg_schema_ready = False


_IN_REQUEST = contextvars.ContextVar("in_request", default=False)


class IsolatedClient(FlaskClient):
    """A client whose every request runs in a context of its own (its own g and database session)."""

    def open(self, *args, **kwargs):
        if _IN_REQUEST.get() or not has_app_context():  # following a redirect, or called from a thread
            return super().open(*args, **kwargs)
        db.session.commit()  # what the test set up happened before this request
        response = contextvars.Context().run(self._open_alone, *args, **kwargs)
        db.session.expire_all()  # the test now sees what the request did
        return response

    def _open_alone(self, *args, **kwargs):
        _IN_REQUEST.set(True)
        kwargs.setdefault("buffered", True)  # a streamed body is produced inside the request's own context
        return super().open(*args, **kwargs)


class IsolatedRunner(FlaskCliRunner):
    """A command line whose every command runs in a context of its own, like the client's requests."""

    def invoke(self, *args, **kwargs):
        db.session.commit()
        result = contextvars.Context().run(super().invoke, *args, **kwargs)
        db.session.expire_all()
        return result


class Browser(IsolatedClient):
    """A person at a browser: logs in through the login form, posts forms with the page's CSRF token."""

    def token(self, page: str = "/login") -> str:
        match = TOKEN_RE.search(self.get(page).get_data(as_text=True))
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def login(self, user, password: str = PASSWORD, remember: bool = False):
        """The login form's answer (302 on success)."""
        username = getattr(user, "username", user)
        data = {"username": username, "password": password, "csrf_token": self.token()}
        if remember:
            data["remember"] = "1"
        return self.post("/login", data=data)

    def submit(self, page: str, action: str, data: dict | None = None, script: bool = False,
               multipart: bool = False):
        """Post a form found on `page`, the way a browser does (token from the page, Referer set)."""
        data = {"csrf_token": self.token(page), **(data or {})}
        headers = {"Referer": BASE + page}
        if script:
            headers["X-Requested-With"] = "XMLHttpRequest"
        if multipart:
            body, content_type = encode_form(data)
            return self.post(action, data=body, headers=headers, content_type=content_type)
        return self.post(action, data=data, headers=headers)


def _test_config(database_url: str, folder: Path) -> dict:
    return {**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            # the token cache's stamp of this test alone: under instance/ it would be shared with any
            # other suite running at the same time, whose commits would empty this test's cache
            "API_TOKEN_CACHE_STAMP": str(folder / "api-token-cache.stamp")}


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path | None:
    """An empty SQLite database with the models' schema, made once a worker: each test starts from a copy of the
    file rather than running create_all again (0.1 s a test). None on PostgreSQL."""
    if os.environ.get("TEST_DATABASE_URL"):
        return None
    folder = tmp_path_factory.mktemp("schema")
    template = create_app(_test_config(f"sqlite:///{folder / 'schema.db'}", folder))
    with template.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the WAL checkpointed into the file, which is then whole
    return folder / "schema.db"


class _TemplateCode(BytecodeCache):
    """Every test makes an app, and each app's Jinja environment parsed and compiled every template it rendered
    again. The compiled code of a template is the same for the same source in these identical environments (Jinja
    keys it by the template's name and a checksum of its source), so the tests keep it once a process, in memory."""

    def __init__(self):
        self.codes: dict[tuple[str, str], object] = {}

    def load_bytecode(self, bucket) -> None:
        bucket.code = self.codes.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket) -> None:
        self.codes[(bucket.key, bucket.checksum)] = bucket.code


_template_code = _TemplateCode()


@pytest.fixture
def app(tmp_path, sqlite_schema):
    global _pg_schema_ready
    database_url = _database_url(tmp_path)
    if sqlite_schema is not None:
        shutil.copyfile(sqlite_schema, tmp_path / "test.db")
    app = create_app(_test_config(database_url, tmp_path))
    app.jinja_env.bytecode_cache = _template_code
    app.test_client_class = IsolatedClient
    app.test_cli_runner_class = IsolatedRunner
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            if not _pg_schema_ready:
                db.drop_all()
                db.create_all()
                _pg_schema_ready = True
            _reset_postgres()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def browser(app, city):
    """browser(user) -> a Browser logged in as `user` through the login form; browser() -> a stranger's."""
    def make(user=None) -> Browser:
        client = Browser(app, app.response_class, use_cookies=True)
        if user is not None:
            response = client.login(user)
            assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return make


def login_session_id(user) -> str:
    """What Flask-Login keeps in a browser's session for a logged-in `user`. Every login is a row on the server
    (inspect_app/auth/sessions.py), so `user.get_id()` alone logs nobody in."""
    from inspect_app.auth import sessions
    from inspect_app.common.timeutil import utcnow

    cookie_id = sessions.start(user, utcnow())
    db.session.commit()
    return cookie_id


def sign_in(client, user) -> None:
    """Make `client` a session of `user` without the login form (for tests about something else)."""
    cookie_id = login_session_id(user)
    with client.session_transaction() as session:
        session["_user_id"] = cookie_id
        session["_fresh"] = True


class City:
    """A small city: two street offices with segments, the traffic police and the roads office."""

    def __init__(self, now: datetime):
        from inspect_app.auth.services import create_user
        from inspect_app.units.models import Category, Segment, Unit

        self.street_a = Unit(code="JDA", name="甲街道办事处", kind="街道")
        self.street_b = Unit(code="JDB", name="乙街道办事处", kind="街道")
        self.police = Unit(code="JJ", name="市交警支队", kind="市直单位")
        self.roads = Unit(code="SZ", name="市市政设施管理处", kind="市直单位")
        db.session.add_all([self.street_a, self.street_b, self.police, self.roads])
        # Two parallel east-west roads about 1.1 km apart.
        self.seg_a = Segment(name="人民路东段", district="江城区", unit=self.street_a)
        self.seg_a.coords = [[112.9300, 28.2300], [112.9400, 28.2300]]
        self.seg_b = Segment(name="建设路西段", district="临江区", unit=self.street_b)
        self.seg_b.coords = [[112.9300, 28.2400], [112.9400, 28.2400]]
        db.session.add_all([self.seg_a, self.seg_b])
        self.niupixuan = Category(code="niupixuan", name="牛皮癣", group="宣传广告", deadline_hours=24, common=True)
        self.spider = Category(code="spider_web", name="蜘蛛网", group="设施管线", deadline_workdays=10, common=True)
        self.parking = Category(code="illegal_parking", name="乱停乱放", group="街面秩序", deadline_hours=2,
                                common=True, owner_unit=self.police)
        self.road = Category(code="road_damage", name="路面破损", group="市容环境", deadline_workdays=5,
                             common=True, owner_unit=self.roads)
        db.session.add_all([self.niupixuan, self.spider, self.parking, self.road])
        db.session.flush()
        self.admin = create_user("admin", "admin", PASSWORD, now)
        self.inspector = create_user("inspector", "inspector", PASSWORD, now)
        self.inspector2 = create_user("inspector2", "inspector", PASSWORD, now)
        self.leader = create_user("leader", "leader", PASSWORD, now)
        self.unit_a = create_user("unit_a", "unit", PASSWORD, now, unit=self.street_a)
        self.unit_b = create_user("unit_b", "unit", PASSWORD, now, unit=self.street_b)
        self.unit_police = create_user("unit_jj", "unit", PASSWORD, now, unit=self.police)
        db.session.commit()

    # Points on the roads above (lat, lon).
    ON_A = (28.2301, 112.9350)
    ON_B = (28.2399, 112.9350)
    FAR = (28.3000, 113.1000)


@pytest.fixture
def city(app, now) -> City:
    return City(now)


def photo_bytes(name: str = "gps_DSCN0010.jpg") -> bytes:
    return (PHOTOS / name).read_bytes()


@functools.cache
def processed(name: str = "Canon_40D.jpg"):
    """A sample photo as the pipeline processes it, once a process (make_ticket files one with every ticket: 16 ms of
    decoding, rotating and encoding each time). The result is frozen; stamping draws on a copy of its thumbnail."""
    from inspect_app.photos.processing import process_image
    return process_image(photo_bytes(name))


def file_tuple(name: str = "Canon_40D.jpg", filename: str | None = None):
    return (io.BytesIO(photo_bytes(name)), filename or name)


def saved_meanwhile(monkeypatch, app, module, check: str, save) -> None:
    """Another request saves the same code or name between this one's check that it is free (`module.check`, the
    service's check) and its INSERT, as a double click on 保存 or a second tab does: the first time the check finds
    the value free, `save()` runs in a database session of its own and commits, and only then the check returns."""
    real = getattr(module, check)
    pending = [save]

    def free_then_taken(*args, **kwargs):
        real(*args, **kwargs)
        if pending:
            with app.app_context():  # a session of its own, as another request's
                pending.pop()()
                db.session.commit()
                db.session.remove()

    monkeypatch.setattr(module, check, free_then_taken)


@pytest.fixture
def make_ticket(city, now):
    """File a ticket through the service, as an inspector would. Its before-photo differs from the photos the
    tests rectify with (`processed()`, `file_tuple()`): an after-photo identical to a before-photo is refused."""
    from inspect_app.tickets.services import NewReport, create_ticket

    def make(category: str = "niupixuan", at_time: datetime | None = None, point=City.ON_A, segment=None,
             reporter=None, photo: str = BEFORE_PHOTO, **extra):
        report = NewReport(category=category, photos=[processed(photo)], lat=point[0] if point else None,
                           lon=point[1] if point else None, segment_id=segment.id if segment else None, **extra)
        ticket, _ = create_ticket(reporter or city.inspector, report, at_time or now)
        db.session.commit()  # filed: its own request, committed
        return ticket

    return make


@pytest.fixture
def api(client, city):
    """api.as_(user) -> a small client sending that user's bearer token."""
    class Api:
        tokens: dict[str, str] = {}

        def token(self, username: str) -> str:
            if username not in self.tokens:
                response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
                assert response.status_code == 200, response.get_json()
                self.tokens[username] = response.get_json()["token"]
            return self.tokens[username]

        def call(self, method: str, url: str, user, **kwargs):
            headers = kwargs.pop("headers", {})
            if kwargs.get("content_type") == "multipart/form-data" and isinstance(kwargs.get("data"), dict):
                kwargs["data"], kwargs["content_type"] = multipart(kwargs["data"])
            headers["Authorization"] = f"Bearer {self.token(user.username)}"
            return client.open(url, method=method, headers=headers, buffered=True, **kwargs)

        def get(self, url, user, **kw):
            return self.call("GET", url, user, **kw)

        def post(self, url, user, **kw):
            return self.call("POST", url, user, **kw)

    return Api()


def multipart(fields: dict) -> tuple[bytes, str]:
    """Encode a form in memory. (The test client spools big bodies to a temp file it never closes.)"""
    encoded = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                item = FileStorage(item[0], filename=item[1], content_type="application/octet-stream")
            encoded.append((key, item))
    boundary, body = encode_multipart(MultiDict(encoded))
    return body, f"multipart/form-data; boundary={boundary}"


encode_form = multipart  # (Browser.submit has a parameter of that name)


def upload_files(tmp_path: Path) -> list[Path]:
    """Every stored photo file under an upload folder."""
    return sorted(p for p in tmp_path.rglob("*.jpg"))


@pytest.fixture
def uploads(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])




# ----------------------------------------------------------------------------- browser tests (tests/e2e)
# The app on a real socket, Debian's Chromium through Playwright, and a Phone: a Pixel 7 browser context with
# location, its own cookies, requests to other hosts refused and console errors caught.
#
#     def test_something(phones, city):
#         inspector = phones("inspector")        # logged in through the login form
#         inspector.page.click(...)
#         inspector.shot("name")                 # full-page screenshot (E2E_SCREENSHOTS=folder keeps them)
#
# Skipped with a note where Chromium or Playwright is missing.

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _closed_at_once(app):
    """`app` with each response's body read whole and closed before it is sent. Werkzeug's development server skips
    the body's close() when a browser drops the connection while it drains the socket (its read there raises), which
    left a sent photo open until the garbage collector found it: a ResourceWarning, an error under pytest.ini."""
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@pytest.fixture
def server(app, city):
    """The app on a real socket, in a thread: the browser talks HTTP to it."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, _closed_at_once(app), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)
    httpd.server_close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def _chromium_process():
    """Chromium started once a worker (Playwright's driver and the browser: about a second each time): every test
    opens contexts of its own in it (Phone: own cookies, storage and service workers), closed after the test."""
    if not Path(CHROMIUM).exists():
        pytest.skip("install chromium: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="install playwright: pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser, playwright.devices
        finally:
            browser.close()


@pytest.fixture
def chromium(_chromium_process):
    browser, devices = _chromium_process
    assert browser.is_connected(), "Chromium went away in an earlier test"
    yield browser, devices
    for context in browser.contexts:  # the next test starts with a browser holding nothing of this one
        context.close()


class Phone:
    """One person's phone: a browser context with its own cookies, external requests refused."""

    def __init__(self, browser, base: str, device: dict, shots: Path, location=City.ON_A, **extra):
        self.base, self.shots = base, shots
        options = dict(device, locale="zh-CN", timezone_id="Asia/Shanghai", **extra)
        if location is not None:
            options.update(permissions=["geolocation"],
                           geolocation={"latitude": location[0], "longitude": location[1], "accuracy": 15})
        self.context = browser.new_context(**options)
        self.outside: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def _console(self, message):
        # A refused upload is logged as "Failed to load resource: ... 415"; the page shows it, it is not a fault.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)

    def _only_local(self, route):
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def login(self, username: str, password: str = PASSWORD):
        self.page.goto(self.base + "/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button:has-text('登录')")
        self.page.wait_for_load_state()
        return self

    def shot(self, name: str):
        size = self.page.viewport_size
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True, scale="css")
        # A full-page shot stretches the viewport for a moment; set it back at once, so the next click does not
        # meet a page still laid out at full height, its sticky header over the button (a click in the phone flow
        # was refused that way for 30 s, once in several runs).
        if size:
            self.page.set_viewport_size(size)

    def close(self):
        assert self.outside == [], f"requests left the server: {self.outside}"
        assert self.problems == [], f"console errors (CSP?): {self.problems}"
        self.context.close()


@pytest.fixture
def phones(chromium, server, shots):
    """phones(username=None, device="Pixel 7", location=City.ON_A) -> a Phone (logged in when a username is
    given). Every phone is checked and closed at the end of the test."""
    browser, devices = chromium
    opened: list[Phone] = []

    def make(username: str | None = None, device: str = "Pixel 7", location=City.ON_A, **extra) -> Phone:
        """`extra`: more browser-context options (e.g. bypass_csp=True for a test tool injected into pages)."""
        phone = Phone(browser, server, devices[device], shots, location, **extra)
        opened.append(phone)
        return phone.login(username) if username else phone

    yield make
    for phone in opened:
        if phone.context.pages:
            phone.close()


# ----------------------------------------------------------------------------- migration tests

def _wipe_schema() -> None:
    """Drop every table there is, whatever revision a test left the schema at (an old revision has tables the
    models no longer know, e.g. ranking_settings before 0050)."""
    from sqlalchemy import MetaData, text

    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return
    tables = MetaData()
    tables.reflect(bind=db.engine)
    tables.drop_all(bind=db.engine)


_migrated: dict[str, Path] = {}  # revision: an SQLite file of the empty database upgraded to it (this worker's)
_migrated_folder: list[Path] = []


def migrated(revision: str = "head") -> None:
    """The empty database of a migration test (empty_db) upgraded to `revision`, as flask_migrate.upgrade makes it
    from nothing. On SQLite the file each revision gives is kept (once a worker) and copied in for the next test
    that asks, which goes on from the nearest revision kept below its own: the whole chain of migrations runs once
    a worker, not once a test (init_schema, downgrades and upgrades over a test's rows still run for real). On
    PostgreSQL: flask_migrate.upgrade."""
    from alembic.script import ScriptDirectory
    from flask import current_app
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    if db.engine.dialect.name != "sqlite" or not _migrated_folder:
        upgrade(revision=revision)
        return
    assert not inspect(db.engine).get_table_names(), "migrated() starts from an empty database"
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    target = script.get_current_head() if revision == "head" else script.get_revision(revision).revision
    database = Path(db.engine.url.database)
    start = next((r.revision for r in script.iterate_revisions(target, "base") if r.revision in _migrated), None)
    if start is not None:
        _copy_database(_migrated[start], database)
    if start != target:
        upgrade(revision=target)
        _release_database()
        assert not Path(f"{database}-wal").exists()  # checkpointed: the file is whole
        kept = _migrated_folder[0] / f"{target}.db"
        shutil.copyfile(database, kept)
        _migrated[target] = kept


def _release_database() -> None:
    """Close every connection to the SQLite file (the last one checkpoints the WAL into the file and removes it)."""
    db.session.remove()
    db.engine.dispose()


def _copy_database(source: Path, database: Path) -> None:
    """The app's SQLite file replaced by a copy of `source` (a whole file: no WAL beside it)."""
    _release_database()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, database)


@pytest.fixture(scope="session")
def _migrated_files(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("migrated")


@pytest.fixture
def empty_db(app, _migrated_files):
    """An empty database for a migration test (upgrade/downgrade from nothing; `migrated(revision)` for a database
    upgraded from nothing); afterwards the schema is left as the other tests expect it (create_all, no
    alembic_version). The 操作日志's listener is off meanwhile: the rows a test builds at an old revision through the
    models (City) would go to an audit_log table not made yet."""
    from sqlalchemy import event

    from inspect_app.audit import trail

    _migrated_folder[:] = [_migrated_files]
    _wipe_schema()
    event.remove(db.session, "before_flush", trail._before_flush)
    try:
        yield app
    finally:
        trail.listen()
    _wipe_schema()
    db.create_all()


# ----------------------------------------------------------------------------- the demo city, loaded once a run

DEMO_STAGES = ("city", "activity", "everything")


def _demo_seeds(stage: str, now: datetime) -> list:
    """[(name, seed)] a stage adds to the one before it: the city itself (seed-demo --no-activity), six weeks of
    activity (60 tickets), then what `python run.py --demo` loads after it, in its order."""
    from inspect_app.demo.activity import seed_activity
    from inspect_app.demo.assessment import seed_rounds
    from inspect_app.demo.keytasks import seed_key_tasks
    from inspect_app.demo.outside import seed_outside
    from inspect_app.demo.patrols import seed_patrols
    from inspect_app.demo.seed import seed_demo
    from inspect_app.demo.surveys import seed_surveys

    return {"city": [("city", lambda: seed_demo(now))],
            "activity": [("activity", lambda: seed_activity(now, tickets=60))],
            "everything": [("rounds", lambda: seed_rounds(now)), ("outside", lambda: seed_outside(now)),
                           ("key_tasks", lambda: seed_key_tasks(now)), ("surveys", lambda: seed_surveys(now)),
                           ("patrols", lambda: seed_patrols(now))]}[stage]


def _run_demo_seeds(stages, now: datetime, results: dict) -> dict:
    for stage in stages:
        for name, seed in _demo_seeds(stage, now):
            results[name] = seed()
            db.session.commit()
    return results


def _demo_stage(root: Path, stage: str, now: datetime, schema: Path) -> Path:
    """The folder of a stage's database file, upload folder and seed results at `now`, made by the first test (of
    any worker) that asks, from the stage before it (the first from `schema`, the empty database), under a file
    lock."""
    import pickle

    from filelock import FileLock

    root.mkdir(parents=True, exist_ok=True)
    moment = now.strftime("%Y%m%dT%H%M%S%z")
    made = root / f"{stage}-{moment}"
    if (made / "results.pickle").exists():  # whole: a stage's folder takes its name once it is complete
        return made
    with FileLock(str(root / "build.lock")):
        before = None
        for name in DEMO_STAGES[:DEMO_STAGES.index(stage) + 1]:
            folder = root / f"{name}-{moment}"
            if not (folder / "results.pickle").exists():
                work = root / "work"
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir()
                if before is None:
                    shutil.copyfile(schema, work / "test.db")
                    results = {}
                else:
                    shutil.copyfile(before / "test.db", work / "test.db")
                    shutil.copytree(before / "uploads", work / "uploads")
                    results = pickle.loads((before / "results.pickle").read_bytes())
                builder = create_app(_test_config(f"sqlite:///{work / 'test.db'}", work))
                with builder.app_context():
                    _run_demo_seeds([name], now, results)
                    _release_database()
                assert not (work / "test.db-wal").exists()
                (work / "results.pickle").write_bytes(pickle.dumps(results))
                shutil.rmtree(folder, ignore_errors=True)
                work.rename(folder)
            before = folder
    return before



_pg_demo_kept: dict = {}
_COPY_EMPTY = 21  # bytes of a binary COPY that holds no row: its header and trailer


def _pg_demo(stage: str, now: datetime, app, root: Path) -> dict:
    """The demo city up to `stage` at `now` in this worker's PostgreSQL database: seeded the first time (seconds to a
    minute), and kept as each table's rows in binary COPY form, the sequences' values, a copy of the upload folder
    and the seeds' results; after that, the rows are copied back into the emptied tables (a fraction of a second).
    The tables are filled with the foreign keys' triggers off (session_replication_role, the suite's superuser),
    as the rows of one table may come out of COPY children first."""
    import pickle

    key = (stage, now.isoformat())
    kept = _pg_demo_kept.get(key)
    if kept is None:
        results = _run_demo_seeds(DEMO_STAGES[:DEMO_STAGES.index(stage) + 1], now, {})
        uploads = root / f"pg-demo-{len(_pg_demo_kept)}"
        if Path(app.config["UPLOAD_FOLDER"]).is_dir():
            shutil.copytree(app.config["UPLOAD_FOLDER"], uploads)
        _pg_demo_kept[key] = (_pg_rows(), uploads, pickle.dumps(results))
        return results
    (tables, sequences), uploads, results = kept
    _reset_postgres()
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for name, rows in tables:
            if len(rows) > _COPY_EMPTY:
                with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT binary)') as copy:
                    copy.write(rows)
        for sequence, value in sequences:
            cursor.execute("SELECT setval(%s, %s, %s)", (sequence, value or 1, value is not None))
    db.session.commit()
    if uploads.is_dir():
        shutil.copytree(uploads, app.config["UPLOAD_FOLDER"], dirs_exist_ok=True)
    return pickle.loads(results)


def _pg_rows() -> tuple[list, list]:
    """([(table, its rows as binary COPY)], [(sequence, its last value or None)]) of this worker's database."""
    raw = db.session.connection().connection.dbapi_connection
    tables = []
    with raw.cursor() as cursor:
        for table in db.metadata.sorted_tables:
            rows = bytearray()
            with cursor.copy(f'COPY "{table.name}" TO STDOUT (FORMAT binary)') as copy:
                for block in copy:
                    rows += block
            tables.append((table.name, bytes(rows)))
        cursor.execute("SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value"
                       " FROM pg_sequences WHERE schemaname = current_schema()")
        sequences = cursor.fetchall()
    db.session.commit()
    return tables, sequences


@pytest.fixture
def demo_city(app, sqlite_schema, tmp_path_factory, now):
    """demo_city(stage) -> {seed: what it returned}: the demo city at `now` in this test's database, up to `stage`
    ("city": seed_demo; "activity": and seed_activity(tickets=60); "everything": and the rounds, outside reports,
    key tasks, questionnaires and check-ins). Each seed commits. On SQLite each stage is loaded once a run and its
    database file and upload folder are copied in (a test that loads the city itself costs seconds to a minute);
    on PostgreSQL the seeds run once a worker for each stage and `now`, and their rows are copied in (_pg_demo)."""
    import pickle

    def load(stage: str) -> dict:
        if sqlite_schema is None:
            return _pg_demo(stage, now, app, tmp_path_factory.getbasetemp())
        root = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            root = root.parent  # the workers' folders are side by side in the run's own
        folder = _demo_stage(root / "demo-city", stage, now, sqlite_schema)
        _copy_database(folder / "test.db", Path(db.engine.url.database))
        shutil.copytree(folder / "uploads", app.config["UPLOAD_FOLDER"], dirs_exist_ok=True)
        return pickle.loads((folder / "results.pickle").read_bytes())

    return load
