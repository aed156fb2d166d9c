"""红黑榜 and dashboard speed on a year of tickets.

    python benchmarks/bench_rankings.py [--tickets 200000] [--units 184] [--period 2026-11] [--repeats 7]
                                        [--database-url URL] [--dashboard] [--keep PATH]

Builds a city of `units` units and a year (2026) of `tickets` tickets with Core executemany, then reports:
- compute_ms: services.compute() for one month (aggregate queries + scoring, ranks, groups, lists, reasons);
- raw_sql_ms: the same GROUP BYs run as raw SQL text through the DBAPI cursor, rows fetched;
  target: compute_ms / raw_sql_ms <= 1.5;
- publish_ms: compute + ticket ids behind every figure + typical cases + snapshot rows, committed;
- pdf_ms: rendering the published list to PDF (fonts already registered); target < 1000 ms;
- with --dashboard: dashboard_cold_ms (dashboard_data with nothing cached), dashboard_recount_ms (ended weeks
  and months cached, as when the 60 s cache has expired), dashboard_page_p50/p90_ms (GET /dashboard/ as a leader
  with the caches on; target p50 <= 150 ms).
`run(...) -> dict` returns the same figures for a later suite.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from inspect_app import create_app  # noqa: E402
from inspect_app.common.timeutil import SHANGHAI  # noqa: E402
from inspect_app.extensions import db  # noqa: E402

DISTRICTS = ("江城区", "临江区", "东湖区", "西山区", "高新区", "经开区")
CATEGORIES = (  # code, name, group, hours, workdays
    ("niupixuan", "牛皮癣", "宣传广告", 24, None), ("signboard", "违规广告牌匾", "宣传广告", None, 5),
    ("illegal_parking", "乱停乱放", "街面秩序", 2, None), ("bike_parking", "非机动车乱停放", "街面秩序", 4, None),
    ("street_vending", "占道经营", "街面秩序", 24, None), ("piles", "乱堆乱放", "街面秩序", 24, None),
    ("rubbish", "暴露垃圾", "市容环境", 12, None), ("road_damage", "路面破损", "市容环境", None, 5),
    ("illegal_building", "私搭乱建", "市容环境", None, 10), ("spider_web", "蜘蛛网", "设施管线", None, 10),
    ("manhole", "井盖缺失破损", "设施管线", 24, None), ("psa", "公益广告缺失破损", "文明宣传", None, 5),
)
# The year of tickets ends "now"; the month benchmarked (2026-11) is complete, and the dashboard's current month
# (December up to the 20th) is as full as a real one would be.
NOW = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
YEAR_START = NOW - timedelta(days=365)


def build_city(units: int, seed: int = 7) -> dict:
    """Units (with a hidden 'diligence' that shapes their figures), segments, categories, a reporter."""
    from inspect_app.auth.models import User
    from inspect_app.units.models import Category, Segment, Unit

    rng = random.Random(seed)
    now = NOW
    db.session.execute(insert(Unit.__table__), [
        {"code": f"U{i:03d}", "name": _unit_name(i), "kind": "街道" if i % 3 else "市直单位", "active": True,
         "contact_person": "", "contact_phone": "", "created_at": now}
        for i in range(1, units + 1)])
    unit_ids = [row[0] for row in db.session.execute(text("SELECT id FROM units ORDER BY id"))]
    segments = []
    for n, unit_id in enumerate(unit_ids):
        for k in range(2):
            lat, lon = 28.15 + rng.random() * 0.16, 112.85 + rng.random() * 0.2
            coords = [[lon, lat], [lon + 0.008 * rng.choice((-1, 1)), lat + 0.004 * rng.random()]]
            segments.append({"name": f"{_unit_name(n + 1)[:4]}路{k + 1}段", "district": DISTRICTS[n % len(DISTRICTS)],
                             "kind": "主次干道", "unit_id": unit_id, "coords_json": json.dumps(coords),
                             "min_lat": min(c[1] for c in coords), "max_lat": max(c[1] for c in coords),
                             "min_lon": min(c[0] for c in coords), "max_lon": max(c[0] for c in coords),
                             "active": True})
    db.session.execute(insert(Segment.__table__), segments)
    db.session.execute(insert(Category.__table__), [
        {"code": c, "name": n, "group": g, "deadline_hours": h, "deadline_workdays": w, "urgent": False,
         "common": True, "sort_order": i, "active": True} for i, (c, n, g, h, w) in enumerate(CATEGORIES)])
    db.session.execute(insert(User.__table__), [{
        "username": "bench", "display_name": "基准", "password_hash": "x", "role": "admin", "active": True,
        "must_change_password": False, "session_version": 1}])
    db.session.commit()
    seg_rows = db.session.execute(text("SELECT id, unit_id, min_lat, min_lon FROM segments")).all()
    return {
        "unit_ids": unit_ids,
        "diligence": {u: rng.betavariate(6, 1.6) for u in unit_ids},
        "weight": {u: (0.05 if rng.random() < 0.04 else rng.uniform(0.3, 1.7)) for u in unit_ids},
        "segments": {u: [s for s in seg_rows if s.unit_id == u] for u in unit_ids},
        "categories": [row[0] for row in db.session.execute(text("SELECT id FROM categories ORDER BY id"))],
        "category_hours": [h or w * 24 * 1.4 for _, _, _, h, w in CATEGORIES],
        "reporter_id": db.session.execute(text("SELECT id FROM users")).scalar(),
    }


def _unit_name(i: int) -> str:
    prefixes = ("东城", "西城", "南湖", "北山", "江城", "临江", "高新", "经开", "河西", "城东", "城北", "滨江")
    kinds = ("街道办事处", "城管执法大队", "市政设施管理处", "环卫所", "交警大队", "社区居委会")
    return f"{prefixes[i % len(prefixes)]}{kinds[(i // len(prefixes)) % len(kinds)]}{i:03d}"


def build_tickets(city: dict, count: int, seed: int = 11, batch: int = 20000, start_seq: int = 1,
                  now: datetime = NOW) -> int:
    """A year of tickets, inserted with Core executemany in batches. Returns the number inserted."""
    from inspect_app.tickets.models import Ticket

    rng = random.Random(seed)
    units = city["unit_ids"]
    weights = [city["weight"][u] for u in units]
    year_seconds = (now - YEAR_START).total_seconds()
    table = Ticket.__table__
    rows, inserted = [], 0
    for n in range(count):
        seq = start_seq + n
        unit = rng.choices(units, weights)[0]
        good = city["diligence"][unit]
        segment = rng.choice(city["segments"][unit])
        cat_index = rng.randrange(len(city["categories"]))
        reported = YEAR_START + timedelta(seconds=rng.random() * year_seconds * 0.9999)
        deadline = reported + timedelta(hours=city["category_hours"][cat_index])
        status, rectified, closed = "assigned", None, None
        rework = 1 if rng.random() > good + 0.15 else 0
        extension = 1 if rng.random() < 0.05 else 0
        level = 0
        if reported < now:
            span = (deadline - reported) * (rng.uniform(0.1, 0.95) if rng.random() < good else rng.uniform(1.05, 3))
            rectified = reported + span
            if rectified < now:
                closed = rectified + timedelta(hours=rng.uniform(1, 30))
                if closed < now and rng.random() < 0.97:
                    status = "closed"
                else:
                    status, closed = "rectified", None
            else:
                rectified = None
                status = rng.choice(("assigned", "assigned", "assigned", "disputed", "pending"))
            if status in ("assigned", "disputed", "pending") and deadline < now:
                days = (now - deadline).days
                level = 3 if days > 20 else 2 if days > 10 else 1 if days > 2 else 0
            elif rectified is not None and rectified > deadline + timedelta(days=3):
                level = 1
        if rng.random() < 0.01:
            status, rectified, closed, level = "cancelled", None, None, 0
        rows.append({
            "number": f"{reported.year}-{seq:07d}", "year": reported.year, "seq": seq, "status": status,
            "category_id": city["categories"][cat_index], "unit_id": unit, "segment_id": segment.id,
            "description": "", "address": "", "lat": segment.min_lat + rng.random() * 0.003,
            "lon": segment.min_lon + rng.random() * 0.006, "reporter_id": city["reporter_id"],
            "reported_at": reported, "assigned_at": reported, "deadline": deadline,
            "rectified_at": rectified, "closed_at": closed, "rework_count": rework,
            "extension_count": extension, "escalation_level": level, "version": 1,
        })
        if len(rows) >= batch:
            db.session.execute(insert(table), rows)
            inserted += len(rows)
            rows = []
    if rows:
        db.session.execute(insert(table), rows)
        inserted += len(rows)
    db.session.commit()
    return inserted


def attach_photos(period, upload_folder: str, share: float = 0.2, seed: int = 5) -> int:
    """Before (and for closed tickets after) photos on a share of the period's tickets, so the PDF shows cases.
    Files are copies of two real thumbnails, written without fsync (this is a benchmark)."""
    from inspect_app.photos.models import Photo
    from inspect_app.photos.processing import process_image
    from inspect_app.photos.storage import PhotoStore

    rng = random.Random(seed)
    store = PhotoStore(upload_folder)
    thumbs = [process_image((ROOT / "tests/photos" / name).read_bytes()).thumb
              for name in ("gps_DSCN0010.jpg", "gps_DSCN0012.jpg")]
    rows = db.session.execute(text("SELECT id, status FROM tickets WHERE deadline >= :a AND deadline < :b"),
                              {"a": period.start.replace(tzinfo=None), "b": period.end.replace(tzinfo=None)}).all()
    photos = []
    for ticket_id, status in rows:
        if rng.random() > share:
            continue
        for kind in ("before", "after") if status == "closed" else ("before",):
            key = "%032x" % rng.getrandbits(128)
            path = store.path(key, thumb=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(thumbs[kind == "after"])
            photos.append({"ticket_id": ticket_id, "kind": kind, "key": key, "sha256": key * 2, "width": 640,
                           "height": 480, "bytes": 1, "created_at": NOW})
    if photos:
        db.session.execute(insert(Photo.__table__), photos)
    db.session.commit()
    return len(photos)


def _median_ms(fn, repeats: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def raw_group_by(period, now) -> list:
    """The compute queries (problems found, problems due), compiled with literal parameters, run as plain SQL."""
    from inspect_app.rankings.counts import due_query, found_query

    rows = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for query in (found_query(period, now), due_query(period, now)):
            cursor.execute(str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})))
            rows += cursor.fetchall()
        return rows
    finally:
        raw.close()


def bench_dashboard(app, now, repeats: int) -> dict:
    """cold: nothing cached; recount: past weeks and last month cached (what the request that finds the
    60-second cache expired pays); page: GET /dashboard/ as a leader with the caches on (what most requests see)."""
    from inspect_app.dashboard import services as dash

    out = {}
    app.config.update(DASHBOARD_CACHE_SECONDS=0, DASHBOARD_SETTLED_SECONDS=0)
    out["dashboard_cold_ms"], _ = _median_ms(lambda: dash.dashboard_data(now), repeats)
    app.config["DASHBOARD_SETTLED_SECONDS"] = 3600
    out["dashboard_recount_ms"], _ = _median_ms(lambda: dash.dashboard_data(now), repeats)
    app.config["DASHBOARD_CACHE_SECONDS"] = 60
    leader = _leader()
    client = app.test_client()
    from inspect_app.auth.sessions import start as start_login_session
    login = start_login_session(leader, datetime.now(timezone.utc))  # each login is a row on the server
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = login
        session["_fresh"] = True
    from flask import g

    def page():
        g.pop("_login_user", None)
        response = client.get("/dashboard/")
        assert response.status_code == 200, response.status_code
    times = sorted(_median_ms(page, max(repeats, 20))[1])
    out["dashboard_page_p50_ms"] = statistics.median(times)
    out["dashboard_page_p90_ms"] = times[int(0.9 * (len(times) - 1))]
    return out


def _leader():
    from inspect_app.auth.models import User

    leader = db.session.scalar(db.select(User).where(User.role == "leader"))
    if leader is None:
        db.session.execute(insert(User.__table__), [{
            "username": "bench-leader", "display_name": "领导", "password_hash": "x", "role": "leader",
            "active": True, "must_change_password": False, "session_version": 1}])
        db.session.commit()
        leader = db.session.scalar(db.select(User).where(User.role == "leader"))
    return leader


def run(tickets: int = 200_000, units: int = 184, period: str = "2026-11", repeats: int = 7,
        database_url: str | None = None, dashboard: bool = False, keep: str | None = None) -> dict:
    from inspect_app.pdf import register_fonts
    from inspect_app.rankings import services
    from inspect_app.rankings.pdf import render_ranking_pdf
    from inspect_app.rankings.periods import parse_period

    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench_rankings_"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(workdir / "uploads"),
                      "SCHEDULER_ENABLED": False, "SECRET_KEY": "bench", "DASHBOARD_CACHE_SECONDS": 0})
    result: dict = {"tickets": tickets, "units": units, "period": period, "database": url.split(":")[0]}
    with app.app_context():
        fresh = not keep or not (workdir / "bench.db").exists() or database_url
        if fresh:
            db.drop_all()
            db.create_all()
            start = time.perf_counter()
            city = build_city(units)
            result["inserted"] = build_tickets(city, tickets)
            result["insert_s"] = round(time.perf_counter() - start, 1)
            attach_photos(parse_period(period), app.config["UPLOAD_FOLDER"])
        if not url.startswith("sqlite"):
            # PostgreSQL's autovacuum keeps statistics; SQLite has none unless someone runs ANALYZE, which the
            # app never does, so the SQLite figures are measured the way a deployment runs.
            db.session.execute(text("ANALYZE tickets"))
            db.session.commit()
        per = parse_period(period)
        now = max(NOW, per.end)
        rules = services.scheme_in_force()

        result["raw_sql_ms"], _ = _median_ms(lambda: raw_group_by(per, now), repeats)
        result["compute_ms"], _ = _median_ms(lambda: services.compute(per, now, rules), repeats)
        result["ratio"] = round(result["compute_ms"] / result["raw_sql_ms"], 2)
        computed = services.compute(per, now, rules)
        result["ranked"] = sum(1 for e in computed.entries if e.ranked)
        result["red"], result["black"] = len(computed.red), len(computed.black)

        start = time.perf_counter()
        ranking = services.publish(per, now)
        result["publish_ms"] = (time.perf_counter() - start) * 1000
        register_fonts()

        def pdf():
            buf = io.BytesIO()
            render_ranking_pdf(ranking, buf, variant="full", photo_root=app.config["UPLOAD_FOLDER"])
            result["pdf_bytes"] = len(buf.getvalue())
            return buf

        result["pdf_ms"], _ = _median_ms(pdf, max(3, repeats // 2))
        if keep:
            (workdir / "ranking.pdf").write_bytes(pdf().getvalue())
        if dashboard:
            result.update(bench_dashboard(app, now, repeats))
        db.session.remove()
    for key in list(result):
        if key.endswith("_ms"):
            result[key] = round(result[key], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=184)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--dashboard", action="store_true")
    parser.add_argument("--keep", default=None, help="work folder to keep (database, uploads, ranking.pdf)")
    args = parser.parse_args()
    result = run(args.tickets, args.units, args.period, args.repeats, args.database_url, args.dashboard, args.keep)
    for key, value in result.items():
        print(f"{key:>18}: {value}")
    print(f"compute/raw = {result['ratio']} (target <= 1.5); pdf {result['pdf_ms']} ms (target < 1000)")


if __name__ == "__main__":
    main()
