"""Fixtures: an app on a fresh database per test, a small city, accounts, photos, a fixed clock.

Set TEST_DATABASE_URL=postgresql+psycopg://... to run the same suite on PostgreSQL.
"""
from __future__ import annotations

import io
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from inspect_app import create_app
from inspect_app.config import TestConfig
from inspect_app.extensions import db

PHOTOS = Path(__file__).parent / "photos"
SHANGHAI_NOW = "2026-11-25T10:00:00+08:00"
PASSWORD = "test-pass-1"


def at(iso: str) -> datetime:
    """An aware datetime from ISO text; naive means Shanghai."""
    from inspect_app.common.timeutil import parse_iso
    return parse_iso(iso)


@pytest.fixture
def now() -> datetime:
    return at(SHANGHAI_NOW)


def _database_url(tmp_path: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.db'}"


def _reset_postgres() -> None:
    """Empty every table. DELETE beats TRUNCATE on the few rows a test leaves."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


_pg_schema_ready = False


@pytest.fixture
def app(tmp_path):
    global _pg_schema_ready
    upload = tmp_path / "uploads"
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
                      "UPLOAD_FOLDER": str(upload)})
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            if not _pg_schema_ready:
                db.drop_all()
                db.create_all()
                _pg_schema_ready = True
            _reset_postgres()
        else:
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


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


def processed(name: str = "Canon_40D.jpg"):
    from inspect_app.photos.processing import process_image
    return process_image(photo_bytes(name))


def file_tuple(name: str = "Canon_40D.jpg", filename: str | None = None):
    return (io.BytesIO(photo_bytes(name)), filename or name)


@pytest.fixture
def make_ticket(city, now):
    """File a ticket through the service, as an inspector would."""
    from inspect_app.tickets.services import NewReport, create_ticket

    def make(category: str = "niupixuan", at_time: datetime | None = None, point=City.ON_A, segment=None,
             reporter=None, photo: str = "Canon_40D.jpg", **extra):
        report = NewReport(category=category, photos=[processed(photo)], lat=point[0] if point else None,
                           lon=point[1] if point else None, segment_id=segment.id if segment else None, **extra)
        ticket, _ = create_ticket(reporter or city.inspector, report, at_time or now)
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
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    encoded = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, tuple):
                item = FileStorage(item[0], filename=item[1], content_type="application/octet-stream")
            encoded.append((key, item))
    from werkzeug.datastructures import MultiDict
    boundary, body = encode_multipart(MultiDict(encoded))
    return body, f"multipart/form-data; boundary={boundary}"


def upload_files(tmp_path: Path) -> list[Path]:
    """Every stored photo file under an upload folder."""
    return sorted(p for p in tmp_path.rglob("*.jpg"))


@pytest.fixture
def uploads(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])




def login_session_id(user) -> str:
    """What Flask-Login keeps in a browser's session for a logged-in `user`, for tests that log in without the
    login form: `session["_user_id"] = login_session_id(user)`. Every login is a row on the server
    (inspect_app/auth/sessions.py), so `user.get_id()` alone no longer logs anyone in."""
    from inspect_app.auth import sessions
    from inspect_app.common.timeutil import utcnow

    cookie_id = sessions.start(user, utcnow())
    db.session.commit()
    return cookie_id
