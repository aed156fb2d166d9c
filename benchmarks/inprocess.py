"""Benchmarks that drive the app in this process (Flask test client, services) against a built city.

Each compares the app's figure with a floor measured in the same process, interleaved with it: for the
list pages and the red/black list the floor is the very SQL the app sent (captured from the engine),
replayed as plain SQL on the same pooled connection, rows fetched. Requests run outside any app context,
so each pushes its own context and gets a fresh session, as in a server.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

from flask.testing import EnvironBuilder
from sqlalchemy import text

from .city import DataSet
from .measure import Figure, captured_sql, interleaved, median_ms, percentile, replay

# One pooled connection: the app's queries and the floor's replay run on the same connection.
SINGLE_CONNECTION = {"pool_pre_ping": True, "pool_size": 1, "max_overflow": 0}


def database_label(data: DataSet) -> str:
    return "PostgreSQL" if data.url.startswith("postgresql") else "SQLite"


def bench_app(data: DataSet, single_connection: bool = True, **config):
    """single_connection: for benchmarks whose floor must run on the app's connection. The escalation sweep
    (its PostgreSQL lock holds a connection of its own) and the dashboard (refreshed in a background thread)
    need the usual pool."""
    options = dict(SINGLE_CONNECTION) if single_connection else {"pool_pre_ping": True}
    if data.schema:
        options["connect_args"] = {"options": f"-csearch_path={data.schema}"}
    elif data.url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    return data.app(SQLALCHEMY_ENGINE_OPTIONS=options, **config)


@dataclass
class Client:
    """A test client logged in one way or the other.

    get() measures the app as a server runs it: a WSGI call with the request's environ, the body read and the
    response closed. The environ is built once per URL by the test client (its cookies included), as a server
    builds its own in its own code; test_client_get() goes through the test client every time, whose environ
    building and cookie jar cost about 0.3 ms a request on their own."""

    app: object
    client: object
    headers: dict
    environs: dict = field(default_factory=dict)

    def get(self, url: str, status: int = 200) -> bytes:
        environ = self.environs.get(url)
        if environ is None:
            builder = EnvironBuilder(self.app, path=url, headers=self.headers)
            try:
                environ = self.environs[url] = builder.get_environ()
            finally:
                builder.close()
            self.client._add_cookies_to_wsgi(environ)  # werkzeug's own (private) step of the test client
        started: list[str] = []

        def start_response(status_line, headers, exc_info=None):
            started.append(status_line)
            return lambda data: None

        body_iter = self.app(dict(environ), start_response)
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        code = int(started[0].split(" ", 1)[0])
        if code != status:
            raise AssertionError(f"GET {url}: {code} {body[:300]!r}")
        return body

    def test_client_get(self, url: str, status: int = 200) -> bytes:
        response = self.client.get(url, headers=self.headers)
        body = response.get_data()
        response.close()
        if response.status_code != status:
            raise AssertionError(f"GET {url}: {response.status_code} {body[:300]!r}")
        return body


def token_client(app, username: str, password: str) -> Client:
    client = app.test_client()
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_data()
    return Client(app, client, {"Authorization": f"Bearer {response.get_json()['token']}"})


def session_client(app, username: str, password: str) -> Client:
    """Logged in through the login form, CSRF token and all."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code in (302, 303), response.status_code
    return Client(app, client, {})


def _floor(app, statements):
    """Replays `statements` on the pooled connection; times only the SQL (wall and CPU), not the checkout. Ends
    with a COMMIT, as the app ends a request that only read: a ROLLBACK would drop the connection's prepared
    statements, the app's included."""
    from inspect_app.extensions import db

    def run():
        with app.app_context():
            with db.engine.connect() as conn:
                start, start_cpu = time.perf_counter(), time.thread_time()
                replay(conn, statements)
                own = Own(time.perf_counter() - start, time.thread_time() - start_cpu)
                conn.commit()  # as the app ends a read (boundary._end_read): psycopg keeps prepared statements
                return own
    return run


@dataclass
class Own:
    """What a function timed itself (the floor's SQL-only time)."""
    wall: float
    cpu: float | None


def _timed(fns: dict, repeats: int, cpu: dict | None = None) -> dict[str, list[float]]:
    """interleaved() where a function may return its own duration (an Own: the floor's SQL-only time)."""
    own: dict[str, list[Own]] = {name: [] for name in fns}

    def wrap(name, fn):
        def call():
            result = fn()
            if isinstance(result, float):
                result = Own(result, None)
            if isinstance(result, Own):
                own[name].append(result)
        return call

    times = interleaved({name: wrap(name, fn) for name, fn in fns.items()}, repeats, cpu=cpu)
    for name in fns:
        if own[name]:
            times[name] = [o.wall for o in own[name][-repeats:]]
            if cpu is not None and own[name][-1].cpu is not None:
                cpu[name] = [o.cpu for o in own[name][-repeats:]]
    return times


def _capture(app, call) -> list:
    from inspect_app.extensions import db

    with app.app_context():
        engine = db.engine
    with captured_sql(engine) as statements:
        call()
    return statements


def _ticket_queries(statements) -> list:
    """The page's own queries (count, page, and the page's photos where it shows them), not the login's
    (token or session user) ones."""
    return [s for s in statements if re.search(r"\bFROM (tickets|photos)\b", s[0]) and "api_tokens" not in s[0]]


# ----------------------------------------------------------------------------- benchmarks

def api_list(data: DataSet, repeats: int) -> list[Figure]:
    app = bench_app(data)
    meta = data.meta
    admin = token_client(app, meta["admin"], meta["password"])
    url = f"/api/v1/tickets?unit_id={meta['list_unit_id']}&overdue=1"
    body = admin.get(url)
    statements = _capture(app, lambda: admin.get(url))
    queries = _ticket_queries(statements)
    cpu: dict = {}
    times = _timed({"page": lambda: admin.get(url), "floor": _floor(app, queries),
                    "test_client": lambda: admin.test_client_get(url)}, repeats, cpu)
    page, floor = median_ms(times["page"]), median_ms(times["floor"])
    through_client = median_ms(times["test_client"])
    import json
    listed = json.loads(body)
    return [Figure(
        "api_list", f"GET /api/v1/tickets?unit_id=&overdue=1 page 1 ({data.spec.tickets:,} tickets)",
        database_label(data), page, "ms", "≤ 3× floor and ≤ 20 ms", ok=page <= 3 * floor and page <= 20,
        floor=floor, floor_what="its SELECTs (count + page) as raw SQL", ratio=page / floor,
        detail={"p95_ms": percentile(times["page"], 0.95) * 1000, "cpu_ms": median_ms(cpu["page"]), "runs": repeats,
                "total": listed["total"], "through_test_client_ms": through_client,
                "through_test_client_ratio": through_client / floor,
                "sql_statements": len(statements), "list_queries": len(queries)})]


def _list_page(client, app, url: str, repeats: int) -> tuple[float, float, dict]:
    """A web list page against its own SELECTs replayed as raw SQL: (page ms, floor ms, details)."""
    statements = _capture(app, lambda: client.get(url))
    queries = _ticket_queries(statements)
    cpu: dict = {}
    times = _timed({"page": lambda: client.get(url), "floor": _floor(app, queries)}, repeats, cpu)
    page = median_ms(times["page"])
    return page, median_ms(times["floor"]), {
        "p95_ms": percentile(times["page"], 0.95) * 1000, "cpu_ms": median_ms(cpu["page"]), "runs": repeats,
        "sql_statements": len(statements), "list_queries": len(queries)}


def unit_list(data: DataSet, repeats: int) -> list[Figure]:
    app = bench_app(data)
    unit = session_client(app, data.meta["list_unit_user"], data.meta["password"])
    url = "/unit/tickets"
    unit.get(url)
    page, floor, detail = _list_page(unit, app, url, repeats)
    return [Figure(
        "unit_list", f"unit's ticket list page /unit/tickets ({data.spec.tickets:,} tickets)", database_label(data),
        page, "ms", "≤ 3× floor", ok=page <= 3 * floor, floor=floor,
        floor_what="its SELECTs (count, page, photos) as raw SQL", ratio=page / floor, detail=detail)]


def office_list(data: DataSet, repeats: int) -> list[Figure]:
    """The office's ticket list narrowed to a district (a sixth of the city's tickets): the page's ids, then their
    cards (tickets/cards.py). Its own SQL can be the slow part (one statement sorting every matching row with its
    joined names took 700 ms on SQLite), so the page also has a time of its own to keep."""
    from urllib.parse import quote

    from .city import DISTRICTS

    app = bench_app(data)
    admin = session_client(app, data.meta["admin"], data.meta["password"])
    url = f"/tickets?district={quote(DISTRICTS[0])}"
    assert admin.get(url).decode().count('<li class="tcard') == 20, "the list should show a page of 20"
    page, floor, detail = _list_page(admin, app, url, repeats)
    figures = [Figure(
        "office_list", f"office's ticket list /tickets?district= ({data.spec.tickets:,} tickets)", database_label(data),
        page, "ms", "≤ 3× floor and ≤ 150 ms", ok=page <= 3 * floor and page <= 150, floor=floor,
        floor_what="its SELECTs (count, ids, cards, photos) as raw SQL", ratio=page / floor, detail=detail)]
    # A search with a letter that no ticket holds reads every row's address and description (no index serves
    # %text%): on PostgreSQL ILIKE and a page walking pk_tickets for nothing took 4-5.5 s at 1 M tickets, SQLite
    # 2.2 s; folded once and with no page run for a count of none, about 1 s and 0.9 s (tickets/queries.py _search).
    searched = "/tickets?q=zg-01"
    assert "没有符合条件的问题" in admin.get(searched).decode(), "the city's tickets hold no zg-01"
    page, floor, detail = _list_page(admin, app, searched, max(3, repeats // 3))
    figures.append(Figure(
        "office_list", f"… searched for text with a letter that no ticket holds, /tickets?q=zg-01 "
        f"({data.spec.tickets:,} tickets)", database_label(data), page, "ms", "≤ 1.5× floor",
        ok=page <= 1.5 * floor, floor=floor, floor_what="its SELECTs (the count) as raw SQL", ratio=page / floor,
        detail=detail))
    return figures


def ticket_page(data: DataSet, repeats: int) -> list[Figure]:
    app = bench_app(data)
    meta = data.meta
    admin = session_client(app, meta["admin"], meta["password"])
    url = f"/tickets/{meta['page_ticket_id']}"
    html = admin.get(url).decode()
    assert html.count("/thumb") >= 6, "the ticket page should show six photos"
    statements = _capture(app, lambda: admin.get(url))
    cpu: dict = {}
    times = _timed({"page": lambda: admin.get(url)}, repeats, cpu)
    page = median_ms(times["page"])
    return [Figure(
        "ticket_page", "ticket page (HTML), 10 events and 6 photos", database_label(data), page, "ms",
        "p50 ≤ 25 ms", ok=page <= 25,
        detail={"p95_ms": percentile(times["page"], 0.95) * 1000, "cpu_ms": median_ms(cpu["page"]), "runs": repeats,
                "sql_statements": len(statements), "html_kb": len(html.encode()) / 1024})]


def _clear_snapshots(app) -> None:
    """Forget the dashboard's stored figures (dashboard/snapshots.py, in the database): the first request after
    computes everything, later ones with the cache off recompute what a refresh recomputes (the current day, week
    and month; ended periods stay kept for DASHBOARD_SETTLED_SECONDS, as in production)."""
    from inspect_app.dashboard.models import DashboardSnapshot
    from inspect_app.extensions import db

    with app.app_context():
        db.session.execute(db.delete(DashboardSnapshot))
        db.session.commit()
        db.session.remove()


def _pin_clock(app, moment) -> None:
    """Every request of `app` runs at `moment` (what http.now() returns), as if the wall clock read it."""
    from flask import g

    def pin():
        g.request_now = moment
    app.before_request_funcs.setdefault(None, []).insert(0, pin)


def dashboard(data: DataSet, repeats: int) -> list[Figure]:
    """The page as leaders get it (the figures stored for 60 s and renewed ahead of readers by the dashboard.refresh
    job), and one refresh as that job runs it (recount what is not kept, store), against the SELECTs it sent
    replayed as plain SQL; also the page with the stored figures off (every request recounts)."""
    from datetime import datetime, timedelta
    from datetime import time as day_time

    from inspect_app.common.timeutil import as_utc, local
    from inspect_app.dashboard import services as dash
    from inspect_app.extensions import db

    # Set both explicitly: the bench app starts from TestConfig, where tests switch the stored figures off (0 s).
    kept = {"DASHBOARD_CACHE_SECONDS": 60, "DASHBOARD_SETTLED_SECONDS": 3600}
    cold_app = bench_app(data, False, **{**kept, "DASHBOARD_CACHE_SECONDS": 0})
    warm_app = bench_app(data, False, **kept)
    job_app = bench_app(data, True, **kept)  # one connection: the floor replays on the refresh's own
    meta = data.meta
    cold = session_client(cold_app, meta["leader"], meta["password"])
    warm = session_client(warm_app, meta["leader"], meta["password"])
    _clear_snapshots(cold_app)

    # The refresh at a fixed moment late in the data's last full local day, not the wall clock: after 16:00 UTC
    # Shanghai is already in the next month, whose figures the city barely has (a much lighter refresh).
    last_day = local(data.now - timedelta(minutes=1)).date()
    moment = min(data.now, as_utc(datetime.combine(last_day, day_time(22, 30))))
    # The pages read the same clock (http.now(): the request's `g.request_now`, set before any other hook reads
    # it; logging in keeps the wall clock). On the wall clock the stored figures, written at `moment`, looked
    # hours old to the page: every page after a refresh recounted everything (another month's) and stored it,
    # so "as served" was half reads, half recounts, and its median jumped between the two.
    _pin_clock(cold_app, moment)
    _pin_clock(warm_app, moment)

    def refresh():
        with job_app.app_context():
            dash.refresh(moment)
            db.session.commit()

    refresh()  # the first one stores what is kept (ended periods, the days before today, the map's lines)
    statements = _capture(job_app, refresh)
    selects = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    cpu: dict[str, list[float]] = {}
    recounts = []  # figures counted again inside a served page: none, or "as served" measures a recount

    def served():
        counting = dash.dashboard_data
        dash.dashboard_data = lambda now: recounts.append(now) or counting(now)
        try:
            warm.get("/dashboard/")
        finally:
            dash.dashboard_data = counting
    times = _timed({"refresh": refresh, "floor": _floor(job_app, selects),
                    "cold": lambda: cold.get("/dashboard/"), "cached": served}, repeats, cpu)
    _clear_snapshots(cold_app)
    assert not recounts, f"{len(recounts)} served pages recounted the figures instead of reading the stored ones"
    value, floor, cached = median_ms(times["refresh"]), median_ms(times["floor"]), median_ms(times["cached"])
    label = database_label(data)
    return [
        Figure("dashboard", f"leadership dashboard page as served ({data.spec.tickets:,} tickets; figures stored 60 s)",
               label, cached, "ms", "p50 ≤ 150 ms", ok=cached <= 150,
               detail={"p95_ms": percentile(times["cached"], 0.95) * 1000, "cpu_ms": median_ms(cpu["cached"]),
                       "runs": repeats, "page_with_storing_off_ms": median_ms(times["cold"])}),
        Figure("dashboard", "… one refresh of its figures (the dashboard.refresh job: recount, store)", label, value,
               "ms", "p50 ≤ 150 ms", ok=value <= 150, floor=floor,
               floor_what=f"its {len(selects)} SELECTs as raw SQL", ratio=value / floor,
               detail={"p95_ms": percentile(times["refresh"], 0.95) * 1000, "cpu_ms": median_ms(cpu["refresh"]),
                       "floor_cpu_ms": median_ms(cpu["floor"]), "runs": repeats, "sql_statements": len(statements),
                       "load": round(os.getloadavg()[0], 1), "as_of": f"{local(moment):%Y-%m-%d %H:%M} Shanghai"}),
    ]


def rankings(data: DataSet, repeats: int) -> list[Figure]:
    from inspect_app.extensions import db
    from inspect_app.rankings import services
    from inspect_app.rankings.periods import containing

    app = bench_app(data)
    now = data.now
    with app.app_context():
        period = containing(now, "month").previous()
        scheme = services.scheme_in_force()
        engine = db.engine

    def compute():
        with app.app_context():
            result = services.compute(period, now, scheme)
            db.session.commit()  # it only reads: ends as the job and the page end a read (boundary._end_read)
            return result

    computed = compute()
    with captured_sql(engine) as statements:
        compute()
    # The floor: the GROUP BYs over the tickets (problems found by unit and source, due problems by unit), and any
    # the letters and assessment features add, as raw SQL; the list's small lookups (units, groups) ride along.
    group_by = [s for s in statements if "GROUP BY" in s[0]]
    assert len(group_by) >= 2, [s[0][:80] for s in statements]
    cpu: dict[str, list[float]] = {}
    times = _timed({"compute": compute, "floor": _floor(app, group_by)}, repeats, cpu)
    value, floor = median_ms(times["compute"]), median_ms(times["floor"])
    cpu_value, cpu_floor = median_ms(cpu["compute"]), median_ms(cpu["floor"])
    ranked = sum(1 for e in computed.entries if e.ranked)
    return [Figure(
        "rankings", f"monthly red/black list {period.key}: compute ({data.spec.tickets:,} tickets)",
        database_label(data), value, "ms", "≤ 1.5× floor", ok=value <= 1.5 * floor, floor=floor,
        floor_what=f"its {len(group_by)} GROUP BYs as raw SQL", ratio=value / floor,
        detail={"runs": repeats, "cpu_ms": round(cpu_value, 1), "floor_cpu_ms": round(cpu_floor, 1),
                "cpu_ratio": round(cpu_value / cpu_floor, 2), "load": round(os.getloadavg()[0], 1),
                "units_ranked": ranked, "red": len(computed.red), "black": len(computed.black)})]


def escalation(big: DataSet, small: DataSet, repeats: int, sweeps: int) -> list[Figure]:
    """The sweep on `big` open tickets against the same sweep on `small`, each with the same number of newly
    overdue tickets; `sweeps` whole sweeps (with their ~130 letter PDFs, the same work at either size) and
    `repeats` runs of the issuing transaction alone, the part that reads the tickets table. Between runs the
    sweep's writes are undone (untimed), so every run does the same work."""
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.sweep import issue_letters
    from inspect_app.pdf import register_fonts

    register_fonts()
    # ESCALATION_MODE=auto: the sweep that issues letters (numbers, items, levels, PDFs), the heavier of the two.
    apps = {"big": bench_app(big, False, ESCALATION_MODE="auto"), "small": bench_app(small, False, ESCALATION_MODE="auto")}
    sets = {"big": big, "small": small}
    letters: dict[str, int] = {}

    def timed(which, whole: bool):
        def run():
            app, data = apps[which], sets[which]
            with app.app_context():
                undo_sweep()
            with app.app_context():
                start = time.perf_counter()
                if whole:
                    result = run_sweep(data.now)
                    written, tickets = result.letters, result.tickets
                else:
                    written, tickets = issue_letters(data.now)
                elapsed = time.perf_counter() - start
                letters[which] = len(written)
                assert tickets == data.meta["counts"]["overdue"], tickets
            return elapsed
        return run

    issue = _timed({"big": timed("big", False), "small": timed("small", False)}, repeats)
    whole = _timed({"big": timed("big", True), "small": timed("small", True)}, sweeps)
    for app in apps.values():
        with app.app_context():
            undo_sweep()
    value, floor = median_ms(whole["big"]), median_ms(whole["small"])
    issue_big, issue_small = median_ms(issue["big"]), median_ms(issue["small"])
    label = database_label(big)
    n_big, n_small, overdue = big.spec.tickets, small.spec.tickets, big.spec.overdue
    return [
        Figure("escalation", f"escalation sweep, {overdue:,} newly overdue of {n_big:,} open: choosing tickets, "
               "letters, items, events, levels (one transaction)", label, issue_big, "ms", "≤ 1.3× floor",
               ok=issue_big <= 1.3 * issue_small, floor=issue_small, floor_what=f"the same at {n_small:,} open",
               ratio=issue_big / issue_small, detail={"runs": repeats, "letters": letters.get("big")}),
        Figure("escalation", f"… the whole sweep with its {letters.get('big')} letter PDFs, {n_big:,} open", label,
               value, "ms", "≤ 1.3× floor", ok=value <= 1.3 * floor, floor=floor,
               floor_what=f"the same sweep at {n_small:,} open", ratio=value / floor, detail={"runs": sweeps}),
    ]


def undo_sweep() -> None:
    """Remove what a sweep wrote to an `open` data set: letters, items, events, outbox, levels, numbers."""
    from inspect_app.extensions import db

    session = db.session
    session.execute(text("UPDATE tickets SET escalation_level = 0 WHERE id IN (SELECT ticket_id FROM letter_items)"))
    for table in ("letter_items", "letter_units", "escalation_proposals", "outbox_messages", "letters",
                  "escalation_sweeps"):
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(text("DELETE FROM ticket_events WHERE action = 'escalate'"))
    session.execute(text("DELETE FROM counters WHERE name = 'letter'"))
    session.commit()


def ingest(sample: bytes, sample_name: str, data: DataSet, repeats: int) -> list[Figure]:
    """process_image() and the photo row, against the Pillow work alone, and a naive full-size pipeline."""
    import io
    import tempfile

    from PIL import Image

    from inspect_app.extensions import db
    from inspect_app.photos.models import Photo
    from inspect_app.photos.processing import process_image
    from inspect_app.photos.storage import PhotoStore

    from . import bench_ingest

    app = bench_app(data)
    ticket_id = data.meta["page_ticket_id"]

    def full():
        with app.app_context():
            photo = process_image(sample)
            db.session.add(Photo(ticket_id=ticket_id, kind="before", key="0" * 32, sha256=photo.sha256,
                                 width=photo.width, height=photo.height, bytes=len(photo.jpeg), lat=photo.lat,
                                 lon=photo.lon, taken_at=photo.taken_at, created_at=data.now))
            db.session.flush()
            db.session.rollback()

    times = _timed({"ingest": full, "floor": lambda: bench_ingest.floor(sample),
                    "naive": lambda: bench_ingest.naive(sample)}, repeats)
    value, floor, naive = (median_ms(times[k]) for k in ("ingest", "floor", "naive"))
    processed = process_image(sample)
    saves = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        store = PhotoStore(folder)
        for _ in range(max(3, repeats // 2)):
            start = time.perf_counter()
            store.save(processed)
            saves.append(time.perf_counter() - start)
    with Image.open(io.BytesIO(sample)) as img:
        size = img.size
    mp = size[0] * size[1] / 1e6
    return [
        Figure("ingest", f"ingest of a {mp:.0f} MP phone JPEG ({sample_name}, {len(sample) / 1e6:.1f} MB): "
               "validate, orient, EXIF, re-encode, thumbnail, hash, photo row", "SQLite", value, "ms",
               "≤ 1.15× floor", ok=value <= 1.15 * floor, floor=floor,
               floor_what="Pillow alone: draft decode + resize + 2 JPEG encodes", ratio=value / floor,
               detail={"runs": repeats, "size": f"{size[0]}x{size[1]}", "stored": f"{processed.width}x{processed.height}",
                       "store_2_files_fsync_ms": median_ms(saves)}),
        Figure("ingest", "naive full-size decode pipeline, same photo (÷ ingest)", "", naive, "ms",
               "≥ 2× ingest", ok=naive >= 2 * value, floor=value, floor_what="ingest (above)", ratio=naive / value,
               detail={"runs": repeats}),
    ]


def ingest_sample(cache_dir) -> tuple[bytes, str]:
    """A 12 MP phone JPEG: the Nokia sample (9.1 MP) scaled up by 1.15 with its EXIF, quality 92; cached."""
    import io
    from pathlib import Path

    from PIL import Image

    from .city import ROOT

    path = Path(cache_dir) / "phone-12mp.jpg"
    if not path.exists():
        with Image.open(ROOT / "tests/photos/mobile_HMD_Nokia_8.3_5G.jpg") as src:
            exif = src.info.get("exif")
            scale = (12e6 / (src.width * src.height)) ** 0.5
            big = src.convert("RGB").resize((round(src.width * scale), round(src.height * scale)),
                                            Image.Resampling.LANCZOS)
        out = io.BytesIO()
        big.save(out, "JPEG", quality=92, exif=exif)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
    return path.read_bytes(), "Nokia 8.3 sample scaled to 12 MP"

