"""疑似重复 (/tickets/duplicates) on the benchmark sets: the office's sweep of likely repeats against its own SQL.

    python benchmarks/bench_duplicates.py [--set open-100000] [--repeats 5] [--database-url URL] [--cache DIR]

`--set city-1000000`: the suite's city (three years of tickets, some 8,000 open, about 2,000 pairs within 50 m);
`--set open-100000` (default): 100,000 open tickets on 2,000 segments (the escalation sweep's set, each segment's
tickets at one point: 257,000 pairs), the shape that took 17-22 s before the sweep kept pairs as ranks
(tickets/duplicates.py open_pairs). Uses the suite's cached sets (benchmarks/city.py; built on first use). As the
office, logged in through the form, it times the page as the median of `repeats` runs interleaved with its floor:
the page's SELECTs replayed as raw SQL on the same connection, rows fetched. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import city  # noqa: E402
from benchmarks.inprocess import _capture, _floor, _timed, bench_app, database_label, session_client  # noqa: E402
from benchmarks.measure import median_ms, percentile  # noqa: E402

OWN = re.compile(r"\bFROM (tickets|duplicate_dismissals)\b")
SETS = {"open-100000": city.Spec("open", 100_000, 2_000), "city-1000000": city.Spec("city", 1_000_000)}


def run(name: str, repeats: int, database_url: str | None, cache: Path) -> dict:
    data = city.ensure(SETS[name], database_url, cache)
    app = bench_app(data)
    # the open sets have no accounts of their own beyond the reference data's: the office's is there in both
    office = session_client(app, "bench_admin", city.PASSWORD)
    url = "/tickets/duplicates"
    body = office.get(url).decode()
    pairs = int(re.search(r"疑似重复 <small>(\d+) 对</small>", body).group(1))
    statements = _capture(app, lambda: office.get(url))
    own = [s for s in statements if OWN.search(s[0])]
    cpu: dict = {}
    times = _timed({"page": lambda: office.get(url), "floor": _floor(app, own)}, repeats, cpu)
    page, floor = median_ms(times["page"]), median_ms(times["floor"])
    return {"set": name, "database": database_label(data), "pairs": pairs, "listed": body.count('class="card dup-pair"'),
            "page_ms": round(page, 1), "p95_ms": round(percentile(times["page"], 0.95) * 1000, 1),
            "cpu_ms": round(median_ms(cpu["page"]), 1), "floor_ms": round(floor, 1), "ratio": round(page / floor, 2),
            "sql_statements": len(statements), "own_statements": len(own), "runs": repeats,
            "load": round(os.getloadavg()[0], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=list(SETS), default="open-100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cache", default=str(city.DEFAULT_CACHE))
    args = parser.parse_args()
    print(json.dumps(run(args.set, args.repeats, args.database_url, Path(args.cache)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
