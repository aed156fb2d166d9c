"""The benchmark suite: builds (or reuses) the synthetic city, runs every benchmark, returns the figures."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from . import city
from .measure import Figure, machine

SIZES = {
    "full": {"city": 1_000_000, "open_big": 1_000_000, "open_small": 100_000, "overdue": 2_000,
             "small_city": 10_000, "repeats": 9, "fast_repeats": 21, "throughput_s": 15.0, "warmup_s": 2.0},
    "quick": {"city": 10_000, "open_big": 10_000, "open_small": 1_000, "overdue": 20,
              "small_city": 10_000, "repeats": 3, "fast_repeats": 5, "throughput_s": 1.5, "warmup_s": 0.5},
}
# In the order of the table. DB: run on every database (SQLite, and PostgreSQL when given).
BENCHMARKS = {
    "ingest": "photo ingest against the bare Pillow work and a naive pipeline",
    "api_list": "GET /api/v1/tickets?unit_id=&overdue=1 against its SQL",
    "ticket_page": "a ticket's page with 10 events and 6 photos",
    "unit_list": "a unit's ticket list page against its SQL",
    "office_list": "the office's ticket list narrowed to a district against its SQL",
    "dashboard": "the leadership dashboard",
    "rankings": "the monthly red/black list against its GROUP BY",
    "escalation": "the escalation sweep at 1M open against 100k open",
    "phone": "the filing page's weight and the photo bytes the phone sends (Chromium)",
    "export": "a 100,000-row xlsx and csv export's peak memory",
    "throughput": "API throughput under gunicorn",
}
PER_DATABASE = ("api_list", "ticket_page", "unit_list", "office_list", "dashboard", "rankings", "escalation",
                "export")


class Suite:
    def __init__(self, quick: bool, only: list[str] | None, database_url: str | None, cache: Path, log=print):
        self.quick = quick
        self.size = SIZES["quick" if quick else "full"]
        self.only = only or list(BENCHMARKS)
        self.database_url = database_url
        self.cache = Path(cache)
        self.log = log
        self.figures: list[Figure] = []
        self.errors: list[str] = []
        self.builds: list[str] = []
        self.work = Path(tempfile.mkdtemp(prefix="inspect-bench-"))

    # ------------------------------------------------------------------ data
    def dataset(self, spec: city.Spec, url: str | None) -> city.DataSet:
        data = city.ensure(spec, url, self.cache, log=self.log)
        where = "PostgreSQL" if url else "SQLite"
        if data.build_s is not None:
            self.builds.append(f"{spec.label} on {where}: built in {data.build_s:.0f} s")
        else:
            self.builds.append(f"{spec.label} on {where}: reused from the cache")
        return data

    def private_copy(self, data: city.DataSet) -> city.DataSet:
        folder = Path(tempfile.mkdtemp(prefix="copy-", dir=self.work))
        return city.copy_sqlite(data, folder)

    # ------------------------------------------------------------------ running
    def run(self) -> dict:
        started = time.perf_counter()
        load_before = os.getloadavg()
        databases: list[str | None] = [None]
        if self.database_url:
            databases.append(self.database_url)
        try:
            if "ingest" in self.only:
                self.guard("ingest", self.ingest)
            for url in databases:
                wanted = [n for n in PER_DATABASE if n in self.only]
                if not wanted:
                    continue
                label = "PostgreSQL" if url else "SQLite"
                data = None
                if any(n != "escalation" for n in wanted):
                    self.log(f"[{label}] city of {self.size['city']:,} tickets")
                    data = self.guard(f"city ({label})", lambda: self.dataset(city.Spec("city", self.size["city"]), url))
                for name in wanted:
                    if name == "escalation":
                        self.guard(f"escalation ({label})", lambda: self.escalation(url))
                    elif data is not None:
                        self.guard(f"{name} ({label})", lambda: self.per_database(name, data))
            if "phone" in self.only:
                self.guard("phone", self.phone)
            if "throughput" in self.only:
                self.guard("throughput", self.throughput)
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
        return {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "quick": self.quick, "size": self.size, "machine": machine(),
            "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in os.getloadavg()],
            "seconds": round(time.perf_counter() - started, 1), "builds": self.builds, "errors": self.errors,
            "databases": ["SQLite"] + (["PostgreSQL " + self.pg_version()] if self.database_url else []),
            "figures": [f.as_dict() for f in self.figures],
        }

    def guard(self, name: str, fn):
        self.log(f"- {name}")
        started = time.perf_counter()
        try:
            result = fn()
        except Exception:  # one broken benchmark must not lose the others' figures
            self.errors.append(f"{name}: {traceback.format_exc()}")
            self.log(f"  FAILED: {traceback.format_exc().strip().splitlines()[-1]}")
            return None
        if isinstance(result, list):
            for figure in result:
                self.figures.append(figure)
                self.log("  " + brief(figure))
        self.log(f"  ({time.perf_counter() - started:.1f} s)")
        return result

    def pg_version(self) -> str:
        from sqlalchemy import create_engine, text

        engine = create_engine(city.normalize_pg_url(self.database_url))
        try:
            with engine.connect() as conn:
                show = {name: conn.execute(text(f"SHOW {name}")).scalar()
                        for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")}
            return (f"{show['server_version'].split()[0]} (fsync={show['fsync']}, "
                    f"synchronous_commit={show['synchronous_commit']}, shared_buffers={show['shared_buffers']})")
        finally:
            engine.dispose()

    # ------------------------------------------------------------------ benchmarks
    def ingest(self):
        from . import inprocess

        sample, name = inprocess.ingest_sample(self.cache)
        data = self.dataset(city.Spec("city", self.size["small_city"]), None)
        return inprocess.ingest(sample, name, data, self.size["repeats"])

    def per_database(self, name: str, data: city.DataSet):
        from . import inprocess

        # The dashboard's refresh moves by ±40 ms between runs on a shared machine: as many runs as the fast pages
        repeats = self.size["repeats"] if name == "rankings" else self.size["fast_repeats"]
        if name == "export":
            return self.export(data)
        return getattr(inprocess, name)(data, repeats)

    def escalation(self, url: str | None):
        from . import inprocess

        overdue = self.size["overdue"]
        big = self.dataset(city.Spec("open", self.size["open_big"], overdue), url)
        small = self.dataset(city.Spec("open", self.size["open_small"], overdue), url)
        # Whole sweeps render ~130 PDFs each (≈15 s on this class of machine): fewer of those than of the
        # issuing transaction, which is the part that reads the tickets table.
        return inprocess.escalation(big, small, self.size["repeats"], 3 if not self.quick else 1)

    def export(self, data: city.DataSet):
        from .inprocess import database_label

        figures = []
        rows = data.meta["export_rows"]
        for fmt in ("csv", "xlsx"):
            args = {"url": data.url, "schema": data.schema, "uploads": str(data.upload_folder),
                    "user": data.meta["admin"], "format": fmt, "category": data.meta["export_category"]}
            out = subprocess.run([sys.executable, "-m", "benchmarks.export_probe", json.dumps(args)],
                                 cwd=city.ROOT, capture_output=True, text=True, timeout=1800)
            if out.returncode != 0:
                raise RuntimeError(out.stderr[-2000:])
            result = json.loads(out.stdout.strip().splitlines()[-1])
            if fmt == "csv":
                assert result["rows"] == rows, (result["rows"], rows)
            streamed = result["chunks"] > 1
            figures.append(Figure(
                "export", f"{rows:,}-row ticket export, {fmt} (GET /api/v1/tickets/export.{fmt}): peak memory",
                database_label(data), result["peak_rss_mb"], "MB", "streams; peak ≤ 150 MB",
                ok=streamed and result["peak_rss_mb"] <= 150,
                detail={"rss_before_request_mb": round(result["rss_before_mb"], 1),
                        "growth_mb": round(result["peak_rss_mb"] - result["peak_before_mb"], 1),
                        "seconds": round(result["seconds"], 1), "first_chunk_s": round(result["first_chunk_s"], 2),
                        "chunks": result["chunks"], "mb": round(result["bytes"] / 1e6, 1)}))
            if fmt == "xlsx":
                figures.append(Figure(
                    "export", f"{rows:,}-row ticket export, xlsx: the whole file, start to end", database_label(data),
                    result["seconds"], "s", "< 15 s (issue 17)", ok=result["seconds"] < 15,
                    detail={"mb": round(result["bytes"] / 1e6, 1)}))
        return figures

    def phone(self):
        from . import inprocess, phone

        if not Path(phone.CHROMIUM).exists():
            return [Figure("phone", "filing page weight and photo bytes (needs Chromium)", "", None, "", "—",
                           note=f"skipped: {phone.CHROMIUM} not installed")]
        inprocess.ingest_sample(self.cache)
        data = self.private_copy(self.dataset(city.Spec("city", self.size["small_city"]), None))
        return phone.run(data, self.cache / "phone-12mp.jpg")

    def throughput(self):
        from . import throughput

        data = self.private_copy(self.dataset(city.Spec("city", self.size["small_city"]), None))
        return throughput.run(data, self.size["throughput_s"], self.size["warmup_s"])


def brief(f: Figure) -> str:
    value = "—" if f.value is None else f"{f.value:,.1f} {f.unit}"
    floor = f" | floor {f.floor:,.1f} ({f.ratio:.2f}×)" if f.floor is not None and f.ratio is not None else ""
    verdict = {True: "met", False: "MISSED", None: "reported"}[f.ok]
    return f"{f.what}: {value}{floor} — target {f.target}: {verdict}"
