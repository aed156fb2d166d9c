"""专项整治行动 on the benchmark city: a campaign's page, the list, its 进展通报 PDF, and the 领导看板's card of
the campaigns under way, against their own SQL.

    python benchmarks/bench_campaigns.py [--tickets 1000000] [--repeats 9] [--database-url URL]

Uses the suite's cached city (benchmarks/city.py). The city has no campaign of its own; the run adds two that end
three weeks after the city's "now" (kept for the next run, matched by name): one of the city's most common category
over the last 8 weeks, and one of its four most common categories over the last 12 weeks (the seed report's four
专项整治行动 at once). As the office it times GET /campaigns/<id> for each, GET /campaigns/ and the first one's
PDF, and as a leader the 领导看板 with the campaigns under way, each the median of `repeats` runs interleaved with
its floor: the page's own SELECTs on the tickets replayed as raw SQL on the same connection, rows fetched. The
card alone (campaigns.progress.running, called in the app) is timed too. Prints one JSON line per page.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import city  # noqa: E402
from benchmarks.inprocess import (  # noqa: E402
    _capture,
    _floor,
    _pin_clock,
    _timed,
    bench_app,
    database_label,
    session_client,  # noqa: E402
)
from benchmarks.measure import median_ms, percentile  # noqa: E402

OWN = re.compile(r"\bFROM tickets\b")
CAMPAIGNS = (("基准：单类别8周", 1, 56), ("基准：四类别12周", 4, 84))  # name, categories, days back from now


def add_campaigns(app, now) -> list[int]:
    """The two campaigns (made once, matched by name), ending three weeks after `now`."""
    from sqlalchemy import func, select

    from inspect_app.common.timeutil import local
    from inspect_app.extensions import db
    from inspect_app.tickets.campaigns import Campaign
    from inspect_app.tickets.models import Ticket
    from inspect_app.units.models import Category

    with app.app_context():
        today = local(now).date()
        common = [db.session.get(Category, cid) for cid, _ in db.session.execute(
            select(Ticket.category_id, func.count()).where(Ticket.reported_at >= now - timedelta(days=84))
            .group_by(Ticket.category_id).order_by(func.count().desc()).limit(4))]
        ids = []
        for name, categories, days in CAMPAIGNS:
            found = db.session.scalar(select(Campaign).where(Campaign.name == name))
            if found is None:
                found = Campaign(name=name, start_date=today - timedelta(days=days),
                                 end_date=today + timedelta(days=21), created_at=now)
                found.categories = common[:categories]
                db.session.add(found)
                db.session.commit()
            ids.append(found.id)
        return ids


def run(tickets: int, repeats: int, database_url: str | None) -> list[dict]:
    from inspect_app.campaigns.progress import running
    from inspect_app.campaigns.web import progress

    data = city.ensure(city.Spec("city", tickets), database_url)
    app = bench_app(data)
    _pin_clock(app, data.now)
    ids = add_campaigns(app, data.now)
    office = session_client(app, data.meta["admin"], data.meta["password"])
    leader = session_client(app, data.meta["leader"], data.meta["password"])
    pages = [(f"campaign_{n}", office, f"/campaigns/{cid}", "逐周进展") for n, cid in enumerate(ids, 1)]
    pages += [("list", office, "/campaigns/", "专项整治行动"),
              ("bulletin_pdf", office, f"/campaigns/{ids[0]}/bulletin.pdf", "%PDF"),
              ("dashboard", leader, "/dashboard/", "专项整治行动")]
    out = []
    for name, client, url, marker in pages:
        body = client.get(url)
        assert marker.encode() in body, body[:300]
        statements = _capture(app, lambda: client.get(url))
        own = [s for s in statements if OWN.search(s[0])]
        cpu: dict = {}
        times = _timed({"page": lambda: client.get(url), "floor": _floor(app, own)}, repeats, cpu)
        page, floor = median_ms(times["page"]), median_ms(times["floor"])
        out.append({"page": name, "url": url, "tickets": tickets, "database": database_label(data),
                    "page_ms": round(page, 1), "p95_ms": round(percentile(times["page"], 0.95) * 1000, 1),
                    "cpu_ms": round(median_ms(cpu["page"]), 1), "floor_ms": round(floor, 1),
                    "ratio": round(page / floor, 2), "sql_statements": len(statements), "own_statements": len(own),
                    "runs": repeats, "load": round(os.getloadavg()[0], 1)})

    def card():
        with app.app_context():
            return running(data.now)

    with app.app_context():
        sizes = [progress.summary(c["campaign"], data.now)["total"] for c in running(data.now)]
    times = _timed({"card": card}, repeats)
    out.append({"page": "dashboard_card", "what": "campaigns.progress.running (the 领导看板's card)",
                "campaigns": len(sizes), "problems": sizes, "ms": round(median_ms(times["card"]), 1),
                "runs": repeats, "load": round(os.getloadavg()[0], 1)})
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
