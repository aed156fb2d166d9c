"""The synthetic city the benchmark suite measures, bulk-loaded and cached.

Two kinds of data set, both on the app's own schema (``db.create_all()``):

- ``city``: 184 units, 2,000 road segments, 10 categories, accounts, and N tickets reported evenly over three
  years before ``now`` (the hour the set was built), each with its events (create, dispatch, rectify, approve,
  dispute, cancel as its fate says) and photo rows (a "before" photo on every ticket, an "after" one on every
  rectified ticket). Photo rows have no files except for one ticket (``page_ticket_id``) that has 10 events and
  6 photos with real JPEGs, for the ticket-page benchmark. Category k gets every tenth ticket, so one category
  filter selects exactly N/10 tickets (100,000 at 1M) for the export benchmark.
- ``open``: the same reference data and N open (assigned, level 0) tickets, ``overdue`` of them a few hours past
  their deadline and the rest due within 30 days, each overdue one with a "before" photo row: the escalation
  sweep's input.

Loading bypasses the ORM: rows are generated in chunks and written with sqlite3 ``executemany`` (SQLite) or
``COPY`` (PostgreSQL), with the big tables' secondary indexes dropped during the load and created afterwards
from the models' own definitions, so the indexes are exactly the app's. A 1M-ticket city (about 3.9M events,
1.9M photo rows) loads in a few minutes on SQLite.

Caching: a SQLite set is a file ``benchmarks/out/<kind>-<tickets>[-<overdue>]-<key>.sqlite`` where ``key`` hashes
the schema's DDL and this builder's version, so a model change (a new index) builds a fresh file. On PostgreSQL a
set is a schema ``bench_<kind>_<tickets>_<key>`` in the given database (nothing outside it is touched), found
again through a ``bench_meta`` row. SQLite statistics: none (the app never runs ANALYZE, so neither does this);
PostgreSQL: VACUUM (ANALYZE) after the load, as autovacuum would do shortly after.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.schema import CreateIndex, CreateTable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / "benchmarks" / "out"
BUILDER_VERSION = 4
PASSWORD = "bench-pass-1"
# Every account shares one fast hash (the suite logs in, it does not measure hashing).
PASSWORD_METHOD = "pbkdf2:sha256:1000"
BIG_TABLES = ("tickets", "ticket_units", "ticket_events", "photos")
CHUNK = 50_000

DISTRICTS = ("江城区", "临江区", "东湖区", "西山区", "高新区", "经开区")
# code, name, group, hours, workdays, owner (index into the city-office units, or None: the segment's unit)
CATEGORIES = (
    ("niupixuan", "牛皮癣", "宣传广告", 24, None, None),
    ("illegal_parking", "乱停乱放", "街面秩序", 2, None, 0),
    ("street_vending", "占道经营", "街面秩序", 24, None, None),
    ("piles", "乱堆乱放", "街面秩序", 24, None, None),
    ("rubbish", "暴露垃圾", "市容环境", 12, None, None),
    ("road_damage", "路面破损", "市容环境", None, 5, 1),
    ("spider_web", "蜘蛛网", "设施管线", None, 10, None),
    ("manhole", "井盖缺失破损", "设施管线", 24, None, 1),
    ("signboard", "违规广告牌匾", "宣传广告", None, 5, None),
    ("psa", "公益广告缺失破损", "文明宣传", None, 5, None),
)
DESCRIPTIONS = ("电线杆上张贴小广告多处", "人行道上乱停放车辆", "店外占道经营摆摊", "楼道口堆放杂物",
                "垃圾桶满溢未清运", "路面坑洼积水", "线缆杂乱如蜘蛛网", "井盖破损有安全隐患",
                "广告牌破损存在隐患", "公益广告褪色破损")
STREET_PREFIXES = ("东城", "西城", "南湖", "北山", "江城", "临江", "河西", "城东", "城北", "滨江", "望月", "金霞",
                   "洪山", "湘湖", "岳麓", "天心", "芙蓉", "开福", "雨花", "星沙")
CITY_OFFICES = ("市交警支队", "市市政设施管理处", "市城管执法局", "市环卫处", "市住建局", "市园林局", "市市场监管局",
                "市生态环境局", "市交通运输局", "市水务局")
ROADS = ("人民路", "解放路", "建设路", "五一路", "韶山路", "芙蓉路", "劳动路", "八一路", "湘江路", "中山路", "黄兴路",
         "车站路", "营盘路", "东风路", "曙光路", "书院路", "新民路", "桐梓坡路", "麓山路", "万家丽路")


@dataclass(frozen=True)
class Spec:
    kind: str  # "city" | "open"
    tickets: int
    overdue: int = 0  # "open" only: how many are just past their deadline

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.tickets}" + (f"-{self.overdue}" if self.kind == "open" else "")


@dataclass
class DataSet:
    spec: Spec
    url: str
    schema: str | None
    upload_folder: Path
    meta: dict
    build_s: float | None = None  # None: reused from the cache

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(self.meta["now"])

    def app(self, **config):
        return make_app(self.url, self.upload_folder, self.schema, **config)


# ----------------------------------------------------------------------------- app and schema

def make_app(url: str, upload_folder: Path, schema: str | None = None, **config):
    from inspect_app import create_app
    from inspect_app.config import TestConfig

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    settings.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(upload_folder), SCHEDULER_ENABLED=False,
                    TESTING=False, SECRET_KEY="bench-secret", WEBHOOK_URL="", WTF_CSRF_ENABLED=True)
    if schema:
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                                 "connect_args": {"options": f"-csearch_path={schema}"}}
    settings.update(config)
    return create_app(settings)


def schema_key() -> str:
    """Hash of every table's and index's DDL (as SQLite would get it) and this builder's version."""
    from sqlalchemy.dialects import sqlite

    from inspect_app.extensions import db
    from inspect_app.features import feature_modules

    for kind in ("models", "web", "api", "cli", "jobs"):  # some tables live beside the code that uses them
        feature_modules(kind)

    dialect = sqlite.dialect()
    parts = [f"builder {BUILDER_VERSION}"]
    for table in db.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        parts.extend(sorted(str(CreateIndex(ix).compile(dialect=dialect)) for ix in table.indexes))
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:10]


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0].startswith("postgres")


def normalize_pg_url(url: str) -> str:
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# ----------------------------------------------------------------------------- cache

def ensure(spec: Spec, database_url: str | None = None, cache_dir: Path = DEFAULT_CACHE,
           log=print) -> DataSet:
    """The data set for `spec`, built unless a matching one is cached."""
    cache_dir = Path(cache_dir).resolve()  # Flask-SQLAlchemy would read a relative SQLite path under instance/
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = schema_key()
    name = f"{spec.label}-{key}"
    uploads = cache_dir / f"uploads-{name}"
    if is_postgres(database_url):
        url = normalize_pg_url(database_url)
        schema = f"bench_{spec.label.replace('-', '_')}_{key}"
        meta = _pg_meta(url, schema)
        if meta is not None and uploads.is_dir():
            return DataSet(spec, url, schema, uploads, meta)
        log(f"  building {spec.label} in PostgreSQL schema {schema} ...")
        started = time.perf_counter()
        meta = _build(spec, url, schema, uploads)
        return DataSet(spec, url, schema, uploads, meta, build_s=time.perf_counter() - started)
    path = cache_dir / f"{name}.sqlite"
    url = f"sqlite:///{path}"
    if path.exists() and uploads.is_dir():
        meta = _sqlite_meta(path)
        if meta is not None:
            return DataSet(spec, url, None, uploads, meta)
    log(f"  building {spec.label} in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ...")
    started = time.perf_counter()
    building = path.with_name(path.name + ".building")
    for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
        leftover.unlink(missing_ok=True)
    if uploads.exists():
        shutil.rmtree(uploads)
    meta = _build(spec, f"sqlite:///{building}", None, uploads)
    os.replace(building, path)
    _prune(cache_dir, spec, name)
    return DataSet(spec, url, None, uploads, meta, build_s=time.perf_counter() - started)


def _prune(cache_dir: Path, spec: Spec, keep: str) -> None:
    """Remove this spec's sets built for an older schema: a 1M-ticket file is over a gigabyte."""
    for stale in cache_dir.glob(f"{spec.label}-*.sqlite*"):
        if not stale.name.startswith(keep):
            stale.unlink(missing_ok=True)
    for stale in cache_dir.glob(f"uploads-{spec.label}-*"):
        if stale.name != f"uploads-{keep}":
            shutil.rmtree(stale, ignore_errors=True)


def copy_sqlite(data: DataSet, folder: Path) -> DataSet:
    """A private copy of a SQLite set (for benchmarks that write), with its own upload folder."""
    folder.mkdir(parents=True, exist_ok=True)
    source = Path(data.url.removeprefix("sqlite:///"))
    target = folder / source.name
    shutil.copyfile(source, target)
    uploads = folder / "uploads"
    if uploads.exists():
        shutil.rmtree(uploads)
    shutil.copytree(data.upload_folder, uploads)
    return DataSet(data.spec, f"sqlite:///{target}", None, uploads, dict(data.meta))


def _sqlite_meta(path: Path) -> dict | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM bench_meta WHERE name = 'meta'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return json.loads(row[0]) if row else None


def _pg_meta(url: str, schema: str) -> dict | None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
                                       "AND table_name = 'bench_meta'"), {"s": schema}).scalar()
            if not exists:
                return None
            row = conn.execute(text(f'SELECT value FROM "{schema}".bench_meta WHERE name = \'meta\'')).scalar()
            return json.loads(row) if row else None
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- building

def _build(spec: Spec, url: str, schema: str | None, uploads: Path) -> dict:
    from inspect_app.extensions import db

    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0, tzinfo=None)  # naive UTC
    uploads.mkdir(parents=True, exist_ok=True)
    postgres = is_postgres(url)
    if postgres:
        from sqlalchemy import create_engine

        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    app = make_app(url, uploads, schema)
    with app.app_context():
        db.create_all()
        dropped = []
        with db.engine.begin() as conn:
            for name in BIG_TABLES:
                for index in db.metadata.tables[name].indexes:
                    index.drop(conn)
                    dropped.append(index)
        db.engine.dispose()
        writer = PgWriter(url, schema) if postgres else SqliteWriter(url.removeprefix("sqlite:///"))
        try:
            meta = Generator(spec, now, writer, uploads).run()
            writer.status("indexes")
            writer.create_indexes(dropped, db.engine.dialect)
            writer.finish(meta)
        finally:
            writer.close()
        db.engine.dispose()
    return meta


class SqliteWriter:
    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-400000", "temp_store=MEMORY",
                       "foreign_keys=OFF"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")
        self.started = time.perf_counter()

    @staticmethod
    def dt(value: datetime | None):
        # SQLAlchemy's SQLite DATETIME text format; comparisons are textual, so it must match exactly.
        if value is None:
            return None
        text_ = value.isoformat(" ")  # strftime() is several times slower
        return text_ if len(text_) > 19 else text_ + ".000000"

    boolean = staticmethod(int)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            sql = f"INSERT INTO {table} ({', '.join(_quote(c) for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.conn.executemany(sql, rows)

    def status(self, what: str) -> None:
        pass

    def create_indexes(self, indexes, dialect) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")
        for index in indexes:
            self.conn.execute(str(CreateIndex(index).compile(dialect=dialect)))

    def finish(self, meta: dict) -> None:
        self.conn.execute("CREATE TABLE bench_meta (name VARCHAR(20) PRIMARY KEY, value TEXT)")
        self.conn.execute("INSERT INTO bench_meta VALUES ('meta', ?)", (json.dumps(meta, ensure_ascii=False),))
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA journal_mode=WAL")  # what the app sets on every connection anyway

    def close(self) -> None:
        self.conn.close()


class PgWriter:
    def __init__(self, url: str, schema: str):
        import psycopg

        self.schema = schema
        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                                    options=f"-csearch_path={schema}")

    @staticmethod
    def dt(value: datetime | None):
        return value

    boolean = staticmethod(bool)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(_quote(c) for c in columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def status(self, what: str) -> None:
        pass

    def create_indexes(self, indexes, dialect) -> None:
        self.conn.commit()
        with self.conn.cursor() as cur:
            for index in indexes:
                cur.execute(str(CreateIndex(index).compile(dialect=dialect)))
            # Explicit ids were loaded: move every id sequence past them.
            cur.execute("SELECT table_name FROM information_schema.columns WHERE table_schema = %s "
                        "AND column_name = 'id' AND column_default LIKE 'nextval%%'", (self.schema,))
            for (table,) in cur.fetchall():
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"GREATEST((SELECT MAX(id) FROM {_quote(table)}), 1))")
        self.conn.commit()

    def finish(self, meta: dict) -> None:
        with self.conn.cursor() as cur:
            cur.execute("CREATE TABLE bench_meta (name VARCHAR(20) PRIMARY KEY, value TEXT)")
            cur.execute("INSERT INTO bench_meta VALUES ('meta', %s)", (json.dumps(meta, ensure_ascii=False),))
        self.conn.commit()
        self.conn.autocommit = True
        # What autovacuum does to a freshly loaded table within a minute or two (PostgreSQL 13+ vacuums after
        # inserts too): statistics, and the visibility map that lets an index-only scan skip the table's rows.
        # With ANALYZE alone, the first run after a build counted through the heap while autovacuum worked
        # beside it (the office's district list: 155 ms, its SQL 141 ms; 57 ms and 30 ms once vacuumed).
        tables = [row[0] for row in self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (self.schema,))]
        self.conn.execute(f"VACUUM (ANALYZE) {', '.join(f'{self.schema}.{_quote(t)}' for t in tables)}")

    def close(self) -> None:
        self.conn.close()


def _quote(name: str) -> str:
    return f'"{name}"' if name in ("group", "key", "bytes", "kind", "at") else name


TICKET_COLUMNS = ("id", "number", "year", "seq", "status", "category_id", "unit_id", "segment_id", "description",
                  "address", "lat", "lon", "reporter_id", "reported_at", "assigned_at", "deadline", "rectified_at",
                  "closed_at", "rework_count", "extension_count", "escalation_level", "idempotency_key", "version")
EVENT_COLUMNS = ("id", "ticket_id", "at", "actor_id", "action", "from_status", "to_status", "note", "data_json")
PHOTO_COLUMNS = ("id", "ticket_id", "event_id", "kind", "key", "sha256", "width", "height", "bytes", "lat", "lon",
                 "taken_at", "created_at")
# Each dispatched ticket's unit is its lead part (主办), as filing and the 0030 migration make it.
PART_COLUMNS = ("id", "ticket_id", "unit_id", "role", "status", "assigned_at", "deadline", "rectified_at", "note")
PART_STATUS = {"rectified": "rectified", "closed": "closed", "cancelled": "cancelled"}


def lead_parts(tickets: list[tuple]) -> list[tuple]:
    """ticket_units rows for a chunk of TICKET_COLUMNS rows (the part's id is the ticket's)."""
    return [(row[0], row[0], row[6], "lead", PART_STATUS.get(row[4], "open"), row[14] or row[13], row[15], row[16], "")
            for row in tickets if row[6] is not None]


@dataclass
class Generator:
    spec: Spec
    now: datetime  # naive UTC
    writer: object
    uploads: Path
    rng: random.Random = field(default_factory=lambda: random.Random(20261128))
    next_event: int = 1
    next_photo: int = 1

    # ------------------------------------------------------------------ reference data
    def reference(self) -> None:
        w, rng, now = self.writer, self.rng, self.now
        units = []  # (id, code, name, kind, parent_id)
        uid = 0
        for name in DISTRICTS:  # six district governments
            uid += 1
            units.append((uid, f"U{uid:03d}", f"{name}人民政府", "区县", None))
        self.district_unit = {d: i + 1 for i, d in enumerate(DISTRICTS)}
        self.street_units: list[int] = []
        street_district: dict[int, str] = {}
        n_streets = 184 - 6 - len(CITY_OFFICES) - 48
        for k in range(n_streets):
            uid += 1
            district = DISTRICTS[k % len(DISTRICTS)]
            name = f"{district[:2]}{STREET_PREFIXES[k % len(STREET_PREFIXES)]}{k // len(STREET_PREFIXES) + 1}街道办事处"
            units.append((uid, f"U{uid:03d}", name, "街道", self.district_unit[district]))
            self.street_units.append(uid)
            street_district[uid] = district
        self.office_units = []
        for name in CITY_OFFICES:
            uid += 1
            units.append((uid, f"U{uid:03d}", name, "市直单位", None))
            self.office_units.append(uid)
        for k in range(48):  # communities and enterprises with a few segments of their own
            uid += 1
            parent = self.street_units[k % len(self.street_units)]
            units.append((uid, f"U{uid:03d}", f"{STREET_PREFIXES[k % 20]}第{k + 1}社区居委会", "社区", parent))
            street_district[uid] = street_district[parent]
            self.street_units.append(uid)
        assert len(units) == 184
        self.unit_names = {u[0]: u[2] for u in units}
        created = w.dt(now - timedelta(days=4 * 365))
        w.insert("units", ("id", "code", "name", "kind", "parent_id", "contact_person", "contact_phone", "active",
                           "created_at"),
                 [(i, c, n, k, p, "", "", w.boolean(True), created) for i, c, n, k, p in units])

        segments = []
        self.segment_unit: list[int] = []
        self.segment_point: list[tuple[float, float]] = []
        self.segment_name: list[str] = []
        for s in range(2000):
            unit = self.street_units[s % len(self.street_units)]
            lat, lon = 28.12 + rng.random() * 0.2, 112.85 + rng.random() * 0.25
            coords = [[round(lon, 6), round(lat, 6)],
                      [round(lon + rng.uniform(-0.006, 0.006), 6), round(lat + rng.uniform(-0.004, 0.004), 6)]]
            name = f"{ROADS[s % len(ROADS)]}{s // len(ROADS) + 1}段"
            lats, lons = [c[1] for c in coords], [c[0] for c in coords]
            segments.append((s + 1, name, street_district[unit], "主次干道", unit, json.dumps(coords), min(lats),
                             max(lats), min(lons), max(lons), w.boolean(True)))
            self.segment_unit.append(unit)
            self.segment_point.append((lat, lon))
            self.segment_name.append(name)
        w.insert("segments", ("id", "name", "district", "kind", "unit_id", "coords_json", "min_lat", "max_lat",
                              "min_lon", "max_lon", "active"), segments)

        self.categories = []  # (id, hours, owner unit)
        rows = []
        for i, (code, name, group, hours, workdays, owner) in enumerate(CATEGORIES, start=1):
            owner_id = self.office_units[owner] if owner is not None else None
            rows.append((i, code, name, group, hours, workdays, w.boolean(False), w.boolean(True), i * 10, owner_id,
                         w.boolean(True)))
            self.categories.append((i, hours if hours else workdays * 24 * 7 / 5, owner_id))
        w.insert("categories", ("id", "code", "name", "group", "deadline_hours", "deadline_workdays", "urgent",
                                "common", "sort_order", "owner_unit_id", "active"), rows)

        from werkzeug.security import generate_password_hash
        hashed = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
        users = [(1, "bench_admin", "文明办管理员", "admin", None), (2, "bench_leader", "市领导", "leader", None)]
        self.inspectors = []
        for k in range(40):
            users.append((3 + k, f"insp{k + 1:02d}", f"督查员{k + 1:02d}", "inspector", None))
            self.inspectors.append(3 + k)
        self.unit_user: dict[int, int] = {}
        for i, code, name, _kind, _parent in units:
            self.unit_user[i] = len(users) + 1
            users.append((len(users) + 1, f"unit_{code}", name, "unit", i))
        self.usernames = {u[0]: u[1] for u in users}
        w.insert("users", ("id", "username", "display_name", "password_hash", "role", "unit_id", "phone", "active",
                           "must_change_password", "session_version", "created_at"),
                 [(i, n, d, hashed, r, unit, "", w.boolean(True), w.boolean(False), 1, created)
                  for i, n, d, r, unit in users])
        self.diligence = {u: rng.betavariate(6, 1.6) for u in range(1, 185)}

    # ------------------------------------------------------------------ tickets
    def run(self) -> dict:
        started = time.perf_counter()
        self.reference()
        meta = self.city() if self.spec.kind == "city" else self.open_tickets()
        meta.update(now=self.now.replace(tzinfo=timezone.utc).isoformat(), kind=self.spec.kind,
                    tickets=self.spec.tickets, password=PASSWORD, admin="bench_admin", leader="bench_leader",
                    inspector="insp01", generate_s=round(time.perf_counter() - started, 1))
        return meta

    def _ticket_row(self, tid, t, t_v, cat, seg, unit, status, deadline_v, rectified_v, closed_v, rework, ext, level,
                    reporter):
        """A tickets row; *_v are timestamps already in the writer's form."""
        local = t + timedelta(hours=8)
        year = local.year
        seq = self.year_seq.get(year, 0) + 1
        self.year_seq[year] = seq
        lat, lon = self.segment_point[seg]
        return (tid, f"{year}-{seq:06d}", year, seq, status, cat, unit, seg + 1, DESCRIPTIONS[cat - 1],
                f"{self.segment_name[seg]}{(tid * 7) % 300 + 1}号附近", round(lat + 0.0005, 6), round(lon + 0.0005, 6),
                reporter, t_v, t_v if unit else None, deadline_v, rectified_v, closed_v, rework, ext, level, None, 1)

    def _event(self, events, tid, at, actor, action, from_status, to_status, note="", data="{}"):
        eid = self.next_event
        self.next_event += 1
        events.append((eid, tid, at, actor, action, from_status, to_status, note, data))
        return eid

    def _photo(self, photos, tid, eid, kind, at, lat, lon, key=None, size=(2560, 1920), nbytes=600_000):
        pid = self.next_photo
        self.next_photo += 1
        key = key or f"{tid:031x}{0 if kind == 'before' else 1}"
        digest = f"{(tid * 0x9E3779B97F4A7C15 + (kind == 'after')) & ((1 << 256) - 1):064x}"
        photos.append((pid, tid, eid, kind, key, digest, size[0], size[1], nbytes, lat, lon, at, at))

    def city(self) -> dict:
        w, rng, now, n = self.writer, self.rng, self.now, self.spec.tickets
        dt = w.dt
        start = now - timedelta(days=3 * 365)
        span = (now - start).total_seconds()
        self.year_seq: dict[int, int] = {}
        page_ticket = max(1, n - n // 50)
        dispatch_data = {u: json.dumps({"unit_id": u, "unit": name}, ensure_ascii=False)
                         for u, name in self.unit_names.items()}
        tickets, events, photos = [], [], []
        counts = {"open": 0, "overdue": 0, "closed": 0, "events": 0, "photos": 0}
        for i in range(n):
            tid = i + 1
            t = start + timedelta(seconds=span * (i + rng.random()) / n)
            cat_id, hours, owner = self.categories[i % 10]
            seg = rng.randrange(2000)
            unit = owner or self.segment_unit[seg]
            reporter = self.inspectors[rng.randrange(40)]
            deadline = t + timedelta(hours=hours)
            age_days = (now - t).total_seconds() / 86400
            status, rectified, closed, rework, ext, level = "assigned", None, None, 0, 0, 0
            roll = rng.random()
            if tid == page_ticket:
                rectified = t + timedelta(hours=20)
                status, closed = "closed", rectified + timedelta(hours=2)
            elif roll < 0.01:
                status = "cancelled"
            elif roll < 0.012 and age_days < 20:
                status, unit = "pending", None
            else:
                stuck = rng.random() < (0.03 if age_days < 60 else 0.003)
                if stuck:
                    status = "disputed" if rng.random() < 0.1 else "assigned"
                else:
                    good = rng.random() < self.diligence[unit]
                    factor = rng.uniform(0.1, 0.95) if good else rng.uniform(1.05, 3.0)
                    rectified = t + timedelta(hours=hours * factor)
                    if rectified >= now:
                        rectified = None
                    else:
                        closed = rectified + timedelta(hours=rng.uniform(1, 30))
                        if closed >= now:
                            status, closed = "rectified", None
                        else:
                            status = "closed"
                            rework = 1 if rng.random() < 0.06 else 0
                            if rectified > deadline + timedelta(days=3):
                                level = 1
                ext = 1 if rng.random() < 0.03 else 0
            if status in ("assigned", "disputed", "pending"):
                counts["open"] += 1
                if deadline < now:
                    counts["overdue"] += 1
                    if status != "pending":
                        days = (now - deadline).days
                        level = 3 if days > 20 else 2 if days > 10 else 1
            elif status == "closed":
                counts["closed"] += 1
            lat, lon = self.segment_point[seg]
            t_v, rect_v, closed_v = dt(t), dt(rectified), dt(closed)
            tickets.append(self._ticket_row(tid, t, t_v, cat_id, seg, unit, status, dt(deadline), rect_v, closed_v,
                                            rework, ext, level, reporter))
            if tid == page_ticket:
                self._page_ticket(events, photos, tid, t, unit, reporter, deadline, rectified, closed, lat, lon)
            else:
                e = self._event(events, tid, t_v, reporter, "create", None, "pending", DESCRIPTIONS[cat_id - 1])
                self._photo(photos, tid, e, "before", t_v, lat, lon)
                if unit is not None:
                    self._event(events, tid, t_v, None, "dispatch", "pending", "assigned", "按责任路段的包抓单位自动派遣",
                                dispatch_data[unit])
                if status == "disputed":
                    self._event(events, tid, dt(t + timedelta(hours=2)), self.unit_user[unit], "dispute", "assigned",
                                "disputed", "不属于本单位职责范围")
                elif status == "cancelled":
                    self._event(events, tid, dt(t + timedelta(hours=1)), 1, "cancel",
                                "assigned" if unit else "pending", "cancelled", "重复上报")
                if rectified is not None:
                    e = self._event(events, tid, rect_v, self.unit_user[unit], "rectify", "assigned", "rectified",
                                    "已整改到位")
                    self._photo(photos, tid, e, "after", rect_v, lat, lon)
                if closed is not None:
                    self._event(events, tid, closed_v, reporter, "approve", "rectified", "closed", "")
            if len(tickets) >= CHUNK:
                self._flush(tickets, events, photos, counts)
        self._flush(tickets, events, photos, counts)
        w.insert("counters", ("id", "name", "year", "value"),
                 [(k + 1, "ticket", year, seq) for k, (year, seq) in enumerate(sorted(self.year_seq.items()))])
        busiest = self.office_units[0]  # the traffic police: every "乱停乱放" ticket, a tenth of the city
        return {"counts": counts, "page_ticket_id": page_ticket, "list_unit_id": busiest,
                "list_unit_user": self.usernames[self.unit_user[busiest]],
                "export_category": CATEGORIES[0][0], "export_rows": len(range(0, n, 10))}

    def _flush(self, tickets, events, photos, counts) -> None:
        self.writer.insert("tickets", TICKET_COLUMNS, tickets)
        self.writer.insert("ticket_units", PART_COLUMNS, lead_parts(tickets))
        self.writer.insert("ticket_events", EVENT_COLUMNS, events)
        self.writer.insert("photos", PHOTO_COLUMNS, photos)
        counts["events"] += len(events)
        counts["photos"] += len(photos)
        tickets.clear()
        events.clear()
        photos.clear()

    def _page_ticket(self, events, photos, tid, t, unit, reporter, deadline, rectified, closed, lat, lon) -> None:
        """10 events and 6 photos with real files: created, dispatched, disputed, reassigned, an extension asked
        and granted, rectified, sent back, rectified again, approved."""
        from inspect_app.photos.processing import process_image
        from inspect_app.photos.storage import PhotoStore

        store = PhotoStore(self.uploads)
        sources = [process_image((ROOT / "tests/photos" / name).read_bytes())
                   for name in ("gps_DSCN0010.jpg", "gps_DSCN0012.jpg", "orientation_landscape_3.jpg")]
        rectified = rectified or t + timedelta(hours=20)
        closed = closed or rectified + timedelta(hours=2)
        unit_user = self.unit_user[unit]
        data = json.dumps({"unit_id": unit, "unit": self.unit_names[unit]}, ensure_ascii=False)
        step = (rectified - t) / 8
        ev = lambda k, *a: self._event(events, tid, self.writer.dt(t + step * k), *a)  # noqa: E731
        create = ev(0, reporter, "create", None, "pending", "电线杆上张贴小广告多处，影响市容")
        ev(0, None, "dispatch", "pending", "assigned", "按责任路段的包抓单位自动派遣", data)
        ev(1, unit_user, "dispute", "assigned", "disputed", "该电线杆归供电公司管理")
        ev(2, 1, "reassign", "disputed", "assigned", "经核实属于你单位包抓路段", data)
        ev(3, unit_user, "request_extension", "assigned", "assigned", "需协调供电公司配合",
           json.dumps({"until": (deadline + timedelta(days=2)).isoformat()}))
        ev(4, 1, "decide_extension", "assigned", "assigned", "同意延期",
           json.dumps({"approved": True, "until": (deadline + timedelta(days=2)).isoformat()}))
        first = ev(5, unit_user, "rectify", "assigned", "rectified", "已清理大部分")
        ev(6, reporter, "reject", "rectified", "assigned", "仍有残留，请彻底清理")
        again = ev(8, unit_user, "rectify", "assigned", "rectified", "已全部清理并刷白")
        self._event(events, tid, self.writer.dt(closed), reporter, "approve", "rectified", "closed", "整改到位")
        for k, (event, kind) in enumerate([(create, "before")] * 3 + [(first, "after")] + [(again, "after")] * 2):
            photo = sources[k % 3]
            key = store.save(photo)
            self._photo(photos, tid, event, kind, self.writer.dt(t), lat, lon, key=key, size=(photo.width, photo.height),
                        nbytes=len(photo.jpeg))

    def open_tickets(self) -> dict:
        """N open tickets, `overdue` of them just past their deadline (the sweep's new level-1 cases)."""
        n, overdue, now, rng = self.spec.tickets, self.spec.overdue, self.now, self.rng
        self.year_seq = {}
        step = max(n // max(overdue, 1), 1)
        tickets, events, photos = [], [], []
        counts = {"open": n, "overdue": 0, "events": 0, "photos": 0}
        units = self.street_units + self.office_units
        # The letters' PDFs show each overdue ticket's first photo: give them a real thumbnail file.
        from inspect_app.photos.processing import process_image
        from inspect_app.photos.storage import PhotoStore

        store = PhotoStore(self.uploads)
        thumb = process_image((ROOT / "tests/photos/gps_DSCN0010.jpg").read_bytes()).thumb
        for i in range(n):
            tid = i + 1
            late = i % step == 0 and counts["overdue"] < overdue
            cat_id, hours, owner = self.categories[i % 10]
            seg = rng.randrange(2000)
            unit = units[(i // step) % len(units)] if late else (owner or self.segment_unit[seg])
            if late:
                deadline = now - timedelta(minutes=5 + rng.randrange(600))
                counts["overdue"] += 1
            else:
                deadline = now + timedelta(hours=1 + rng.random() * 30 * 24)
            t = deadline - timedelta(hours=hours)
            t_v = self.writer.dt(t)
            tickets.append(self._ticket_row(tid, t, t_v, cat_id, seg, unit, "assigned", self.writer.dt(deadline), None,
                                            None, 0, 0, 0, self.inspectors[i % 40]))
            if late:
                lat, lon = self.segment_point[seg]
                self._photo(photos, tid, None, "before", t_v, lat, lon)
                path = store.path(photos[-1][4], thumb=True)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(thumb)  # no fsync: this is a benchmark's fixture
            if len(tickets) >= CHUNK:
                self._flush(tickets, events, photos, counts)
        self._flush(tickets, events, photos, counts)
        self.writer.insert("counters", ("id", "name", "year", "value"),
                           [(k + 1, "ticket", year, seq) for k, (year, seq) in enumerate(sorted(self.year_seq.items()))])
        return {"counts": counts}
