"""CPU per API request in process, with profiles: the three side-by-side workloads (issue 17).

    python -m benchmarks.api_profile [--repeats N] [--profile list|detail|file|phone ...] [--city PATH]

Runs the app over a private copy of the 10,000-ticket benchmark city (benchmarks/out/city-10000-*.sqlite) with
Flask's test client and a real bearer token, and prints the CPU milliseconds (process time, median of N) of
GET /api/v1/tickets?per_page=100, GET /api/v1/tickets/<id> (a random id each time) and POST /api/v1/tickets
with the raw 8 MP mobile_jolla.jpg, and (phone) the filing page's: its 1600 px JPEG with a position and the photo's
time and place, as the throughput benchmark sends it. With --profile, cProfile's top functions of that workload
(cumulative and own time; --timer cpu leaves fsync waits out). What the server's CPU per request in the side-by-side
run is made of, without the network and gunicorn.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("list", "detail", "file", "phone")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_profile")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--profile", action="append", choices=WORKLOADS, default=[])
    parser.add_argument("--city", default=None)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--timer", choices=("wall", "cpu"), default="wall",
                        help="what --profile counts: wall time (waits for fsync included) or this process's CPU")
    parser.add_argument("--only", action="append", choices=WORKLOADS, default=[],
                        help="measure only this workload (repeatable; for py-spy)")
    parser.add_argument("--gc", choices=("on", "freeze", "off"), default="on",
                        help="the garbage collector while measuring: as is, with the app's objects frozen "
                             "(gc.freeze(), as gunicorn's workers do after loading the app), or off")
    args = parser.parse_args(argv)

    city = Path(args.city) if args.city else next(iter(sorted((ROOT / "benchmarks/out").glob("city-10000-*.sqlite"))),
                                                   None)
    if city is None:
        print("no benchmark city: run python -m benchmarks --quick --only throughput first")
        return 1
    raw = (ROOT / "tests/photos/mobile_jolla.jpg").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "city.sqlite"
        shutil.copy(city, db_path)
        from inspect_app import create_app
        from inspect_app.auth.services import create_user, issue_token
        from inspect_app.common.timeutil import utcnow
        from inspect_app.extensions import db
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "UPLOAD_FOLDER": str(Path(tmp) / "up"),
                          "SECRET_KEY": "api-profile", "SCHEDULER_ENABLED": False})
        with app.app_context():
            user = create_user("profile_admin", "admin", "Api-profile-2026!", utcnow(), check_strength=False)
            db.session.commit()
            token, _ = issue_token(user, utcnow(), 1)
            db.session.commit()
            ids = [row[0] for row in db.session.execute(db.text("select id from tickets"))]
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        category = client.get("/api/v1/categories", headers=headers).get_json()[0]["code"]
        segment = client.get("/api/v1/segments", headers=headers).get_json()[0]["id"]
        rng = random.Random(17)

        def get_list() -> None:
            response = client.get("/api/v1/tickets?per_page=100", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)

        def get_detail() -> None:
            response = client.get(f"/api/v1/tickets/{rng.choice(ids)}", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)

        def filing(photo: bytes, name: str, **fields) -> None:
            response = client.post("/api/v1/tickets", headers=headers, content_type="multipart/form-data",
                                   data={"category": category, "description": "照片上报",
                                         "photos": [(io.BytesIO(photo), name)], **(fields or {"segment_id": segment})})
            assert response.status_code == 201, response.get_data(as_text=True)

        # the phone page's filing as the throughput benchmark sends it: a position (the nearest segment found), and
        # the photo's time and place read by the page
        with app.app_context():
            lon, lat = json.loads(db.session.execute(db.text("SELECT coords_json FROM segments WHERE id = :id"),
                                                     {"id": segment}).scalar())[0]
        placed = {"lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "photo_meta": json.dumps(
            [{"lat": lat, "lon": lon, "taken_at": "2026-11-28T09:30:00+08:00"}])}

        from .throughput import phone_page_jpeg
        phone_photo = phone_page_jpeg()
        workloads = {"list": get_list, "detail": get_detail, "file": lambda: filing(raw, "mobile_jolla.jpg"),
                     "phone": lambda: filing(phone_photo, "photo1.jpg", **placed)}
        if args.gc == "freeze":
            gc.collect()
            gc.freeze()
        elif args.gc == "off":
            gc.disable()
        print(f"CPU ms per request in process (median of {args.repeats}; city {city.name}):")
        for name, fn in workloads.items():
            if args.only and name not in args.only:
                continue
            fn()
            fn()
            runs = []
            for _ in range(args.repeats):
                started = time.process_time()
                fn()
                runs.append((time.process_time() - started) * 1000)
            runs.sort()
            print(f"  {name}: {statistics.median(runs):.2f} ms (min {runs[0]:.2f}, p90 {runs[len(runs) * 9 // 10]:.2f}, "
                  f"mean {statistics.fmean(runs):.2f})", flush=True)
        for name in args.profile:
            profile = cProfile.Profile(time.process_time) if args.timer == "cpu" else cProfile.Profile()
            profile.enable()
            for _ in range(args.repeats):
                workloads[name]()
            profile.disable()
            if os.environ.get("API_PROFILE_DUMP"):
                profile.dump_stats(f"{os.environ['API_PROFILE_DUMP']}.{name}")
            for order in ("cumulative", "tottime"):
                print(f"\ncProfile, {args.repeats} x {name}, by {order}:")
                pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
