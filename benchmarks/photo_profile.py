"""CPU per photo and per filing, with a profile: where an 8 MP raw photo's filing spends its time.

    python -m benchmarks.photo_profile [--repeats N] [--profile] [--city PATH]

1. process_image() alone, CPU ms per photo (process time, median of N), for: the raw 8 MP Jolla JPEG (what the
   side-by-side files), a 1600 px phone-page JPEG (what the phone page sends), the 12 MP iPhone HEIC.
2. A whole filing in process: POST /api/v1/tickets through the Flask app (multipart parsing, token, photo,
   files written with fsync, SQLite commit, JSON), CPU ms per request, over a copy of the benchmark city
   (benchmarks/out/city-10000-*.sqlite; built by `python -m benchmarks --quick --only throughput`).
With --profile, cProfile's top functions for the raw-photo filing. Uses only process_image(data) and the HTTP API,
so the same file measures an older checkout too (copy it there).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def phone_page_jpeg(raw: bytes) -> bytes:
    """What report.js sends: the photo scaled to <= 1600 px, upright, JPEG quality 0.82, no metadata."""
    from PIL import Image
    with Image.open(io.BytesIO(raw)) as img:
        img.draft("RGB", (1600, 1600))
        small = img.convert("RGB")
        small.thumbnail((1600, 1600))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=82)
    return buf.getvalue()


def cpu_ms(fn, repeats: int) -> float:
    fn()  # warm
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        fn()
        runs.append((time.process_time() - started) * 1000)
    return statistics.median(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.photo_profile")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--city", default=None, help="SQLite city to copy (default: benchmarks/out/city-10000-*)")
    args = parser.parse_args(argv)

    from inspect_app.photos.processing import process_image

    photos = ROOT / "tests/photos"
    raw = (photos / "mobile_jolla.jpg").read_bytes()
    samples = {"raw 8 MP JPEG (mobile_jolla.jpg, 793 KiB)": raw,
               "phone-page 1600 px JPEG": phone_page_jpeg(raw),
               "12 MP iPhone HEIC": (photos / "mobile_iphone_13_pro_max.HEIC").read_bytes()}
    print("process_image(), CPU ms per photo (median):")
    for name, data in samples.items():
        photo = process_image(data)
        extra = " (kept as uploaded)" if getattr(photo, "lossless", False) else ""
        print(f"  {name}: {cpu_ms(lambda: process_image(data), args.repeats):.1f} ms -> {photo.width}x{photo.height},"
              f" {len(photo.jpeg) // 1024} KiB{extra}")

    city = Path(args.city) if args.city else next(iter(sorted((ROOT / "benchmarks/out").glob("city-10000-*.sqlite"))),
                                                   None)
    if city is None:
        print("no benchmark city: run python -m benchmarks --quick --only throughput first")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "city.sqlite"
        shutil.copy(city, db_path)
        from inspect_app import create_app
        from inspect_app.auth.services import create_user, issue_token
        from inspect_app.common.timeutil import utcnow
        from inspect_app.extensions import db
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "UPLOAD_FOLDER": str(Path(tmp) / "up"),
                          "SECRET_KEY": "photo-profile", "SCHEDULER_ENABLED": False})
        with app.app_context():
            user = create_user("profile_admin", "admin", "Photo-profile-2026!", utcnow(), check_strength=False)
            db.session.commit()
            token, _ = issue_token(user, utcnow(), 1)
            db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        category = client.get("/api/v1/categories", headers=headers).get_json()[0]["code"]

        def file(data: bytes) -> None:
            response = client.post("/api/v1/tickets", headers=headers, content_type="multipart/form-data",
                                   data={"category": category, "description": "照片上报",
                                         "photos": [(io.BytesIO(data), "photo.jpg")]})
            assert response.status_code == 201, response.get_data(as_text=True)

        print("POST /api/v1/tickets in process, CPU ms per filing (median):")
        for name, data in list(samples.items())[:2]:
            print(f"  {name}: {cpu_ms(lambda: file(data), args.repeats):.1f} ms")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.repeats):
                file(raw)
            profile.disable()
            if os.environ.get("PROFILE_OUT"):
                profile.dump_stats(os.environ["PROFILE_OUT"])
            print(f"\ncProfile, {args.repeats} filings of the raw 8 MP photo, by own time:")
            pstats.Stats(profile, stream=sys.stdout).strip_dirs().sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(int(os.environ.get("PROFILE_TOP", "15")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
