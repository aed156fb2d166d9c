"""Ticket export speed and memory: python -m benchmarks.bench_export [--tickets N] [--category CODE]
[--database-url URL] [--formats xlsx,csv] [--modes stream,job]

Builds (or reuses) the benchmark city of N tickets (default 100,000; benchmarks/city.py) on SQLite, and on
PostgreSQL too with --database-url, then runs each export in a fresh process (benchmarks/export_probe.py) and
prints seconds and peak resident memory. Without --category every ticket is exported (N rows); the suite's figure
is the 1M city with --category niupixuan (100,000 rows).

On PostgreSQL the data set stays in a schema bench_city_<N>_<key> of that database for the next run: do not point
it at the database the test suite uses (the backup tests pg_dump the whole database), or drop the schema after.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from . import city


def probe(data: city.DataSet, fmt: str, mode: str, category: str | None) -> dict:
    args = {"url": data.url, "schema": data.schema, "uploads": str(data.upload_folder), "user": data.meta["admin"],
            "format": fmt, "category": category, "mode": mode}
    out = subprocess.run([sys.executable, "-m", "benchmarks.export_probe", json.dumps(args)], cwd=city.ROOT,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_export", description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--category", default=None, help="export one category only (the list's filter)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL to measure as well")
    parser.add_argument("--formats", default="xlsx,csv")
    parser.add_argument("--modes", default="stream,job")
    parser.add_argument("--cache", default=str(city.DEFAULT_CACHE))
    args = parser.parse_args(argv)
    urls = [None] + ([args.database_url] if args.database_url else [])
    print(f"{'database':<11} {'format':<5} {'mode':<7} {'rows':>8} {'seconds':>8} {'first byte s':>12} "
          f"{'peak RSS MB':>11} {'growth MB':>9} {'MB out':>7}", flush=True)
    for url in urls:
        data = city.ensure(city.Spec("city", args.tickets), url, Path(args.cache),
                           log=lambda m: print(m, file=sys.stderr, flush=True))
        label = "PostgreSQL" if city.is_postgres(data.url) else "SQLite"
        for fmt in args.formats.split(","):
            for mode in args.modes.split(","):
                r = probe(data, fmt, mode, args.category)
                print(f"{label:<11} {fmt:<5} {mode:<7} {str(r['rows'] or ''):>8} {r['seconds']:>8.1f} "
                      f"{r['first_chunk_s']:>12.2f} {r['peak_rss_mb']:>11.0f} "
                      f"{r['peak_rss_mb'] - r['peak_before_mb']:>9.1f} {r['bytes'] / 1e6:>7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
