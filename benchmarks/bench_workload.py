"""督查员工作量 (/workload/) on the benchmark city: a month's and a year's page against its own SQL.

    python benchmarks/bench_workload.py [--tickets 1000000] [--repeats 9] [--database-url URL]

Uses the suite's cached city (benchmarks/city.py: 40 inspectors, the tickets of three years with their events;
built on first use, a few minutes at 1M on SQLite). As the office, logged in through the form, it times
GET /workload/ for the last complete month and for the 365 days up to the city's "now", each as the median of
`repeats` runs interleaved with its floor: the page's own SELECTs (the inspectors, their filings, their
verifications with each one's wait, the assessment sites, today's backlog) replayed as raw SQL on the same
connection, rows fetched. Prints one JSON line per period: page ms, p95, CPU ms, floor ms, ratio, SQL statements.
"""
from __future__ import annotations

import argparse
import os
import json
import re
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import city  # noqa: E402
from benchmarks.inprocess import _capture, _floor, _timed, bench_app, database_label, session_client  # noqa: E402
from benchmarks.measure import median_ms, percentile  # noqa: E402

OWN_TABLES = re.compile(r"\bFROM (tickets|ticket_events|round_sites)\b|users\.role = ")


def run(tickets: int, repeats: int, database_url: str | None) -> list[dict]:
    from inspect_app.common.timeutil import local

    data = city.ensure(city.Spec("city", tickets), database_url)
    app = bench_app(data)
    office = session_client(app, data.meta["admin"], data.meta["password"])
    today = local(data.now).date()
    month_end = today.replace(day=1) - timedelta(days=1)
    periods = {"month": (month_end.replace(day=1), month_end), "year": (today - timedelta(days=364), today)}
    out = []
    for name, (first, last) in periods.items():
        url = f"/workload/?from={first.isoformat()}&to={last.isoformat()}"
        body = office.get(url).decode()
        rows = body.count('data-label="上报问题"')
        statements = _capture(app, lambda: office.get(url))
        own = [s for s in statements if OWN_TABLES.search(s[0])]
        cpu: dict = {}
        times = _timed({"page": lambda: office.get(url), "floor": _floor(app, own)}, repeats, cpu)
        page, floor = median_ms(times["page"]), median_ms(times["floor"])
        out.append({"period": name, "from": first.isoformat(), "to": last.isoformat(), "tickets": tickets,
                    "database": database_label(data), "page_ms": round(page, 1),
                    "p95_ms": round(percentile(times["page"], 0.95) * 1000, 1),
                    "cpu_ms": round(median_ms(cpu["page"]), 1), "floor_ms": round(floor, 1),
                    "ratio": round(page / floor, 2), "rows": rows, "sql_statements": len(statements),
                    "own_statements": len(own), "runs": repeats, "load": round(os.getloadavg()[0], 1)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    for line in run(args.tickets, args.repeats, args.database_url):
        print(json.dumps(line, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
