"""路段巡查 (/patrols/) on the benchmark city: a week's, a month's and a year's coverage page, and an inspector's
巡查打卡 page, against their own SQL.

    python benchmarks/bench_patrols.py [--tickets 1000000] [--repeats 9] [--database-url URL]

Uses the suite's cached city (benchmarks/city.py: 2,000 segments, 40 inspectors, the tickets of three years). The
city has no check-ins of its own; the first run adds them (each inspector 8 a day, on weekdays, over the same
three years: about 250,000 rows at any ticket count), which the page reads beside the tickets, makes every
segment kind's 巡查周期 a week, so the page lists the segments past it too, and puts each inspector on a district
(督查片区). As the office,
logged in through the form, it times GET /patrols/ for the city's current week so far, the last complete month and
the 365 days up to the city's "now", each the median of `repeats` runs interleaved with its floor: the page's own
SELECTs (the period's visits per segment and person, the gaps' last visits, the names, the segments, the rules
and the segments past them)
replayed as raw SQL on the same connection, rows fetched. Then, as the inspector insp01, GET /patrols/checkin (their
片区's week so far and its segments past their cycle); as the office, the 巡查日志 of the last weekday, insp01's
轨迹 that day and the last complete month's 巡查月历. Prints one JSON line per page.
"""
from __future__ import annotations

import argparse
import json
import os
import random
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

OWN_TABLES = re.compile(r"\bFROM (patrols|tickets|segments|users)\b|\bFROM \(SELECT patrols\.")
PER_DAY = 8


def add_check_ins(app, now) -> int:
    """Three years of check-ins, once: 40 inspectors, PER_DAY each weekday, on random segments."""
    from sqlalchemy import func, insert, select

    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    from inspect_app.patrols.models import Patrol
    from inspect_app.units.models import Segment

    with app.app_context():
        if db.session.scalar(select(func.count(Patrol.id))):
            return 0
        rng = random.Random(17)
        inspectors = list(db.session.scalars(select(User.id).where(User.role == "inspector")))
        segments = list(db.session.scalars(select(Segment.id).where(Segment.active.is_(True))))
        rows = []
        day = now - timedelta(days=3 * 365)
        while day < now:
            if day.weekday() < 5:
                for user_id in inspectors:
                    for n in range(PER_DAY):
                        at = day.replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(minutes=50 * n + 7)
                        rows.append({"user_id": user_id, "segment_id": rng.choice(segments), "at": at,
                                     "lat": 28.2, "lon": 112.9, "accuracy_m": 10.0, "distance_m": 12.0, "note": ""})
            day += timedelta(days=1)
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(Patrol), rows[start:start + 20_000])
        db.session.commit()
        return len(rows)


def set_rules(app) -> None:
    """Every segment kind weekly (巡查周期), so the page also lists the segments past it, as of the city's now; and
    each inspector on one district (督查片区, in turn), so the page has every person's 片区 figures."""
    from sqlalchemy import select

    from inspect_app.auth.models import User
    from inspect_app.extensions import db
    from inspect_app.patrols.models import PatrolArea, PatrolCycle
    from inspect_app.units.models import Segment

    with app.app_context():
        for kind in db.session.scalars(select(Segment.kind).distinct()):
            if db.session.get(PatrolCycle, kind) is None:
                db.session.add(PatrolCycle(kind=kind, days=7))
        if db.session.scalar(select(PatrolArea.id).limit(1)) is None:
            districts = list(db.session.scalars(select(Segment.district).distinct().order_by(Segment.district)))
            inspectors = db.session.scalars(select(User.id).where(User.role == "inspector").order_by(User.id))
            db.session.add_all(PatrolArea(user_id=user_id, district=districts[n % len(districts)])
                               for n, user_id in enumerate(inspectors))
        db.session.commit()


def run(tickets: int, repeats: int, database_url: str | None) -> list[dict]:
    from inspect_app.common.timeutil import local

    data = city.ensure(city.Spec("city", tickets), database_url)
    app = bench_app(data)
    added = add_check_ins(app, data.now)
    set_rules(app)
    office = session_client(app, data.meta["admin"], data.meta["password"])
    today = local(data.now).date()
    month_end = today.replace(day=1) - timedelta(days=1)
    periods = {"week": (today - timedelta(days=today.weekday()), today),
               "month": (month_end.replace(day=1), month_end), "year": (today - timedelta(days=364), today)}
    pages = [(name, office, f"/patrols/?from={first.isoformat()}&to={last.isoformat()}", "路段巡查覆盖", first, last)
             for name, (first, last) in periods.items()]
    inspector = session_client(app, "insp01", data.meta["password"])  # their 片区's week and its overdue segments
    pages.append(("checkin", inspector, "/patrols/checkin", "我的片区", periods["week"][0], today))
    weekday = today - timedelta(days=1)
    while weekday.weekday() >= 5:  # the check-ins fall on weekdays
        weekday -= timedelta(days=1)
    pages.append(("day", office, f"/patrols/day?date={weekday.isoformat()}", "各人当日巡查", weekday, weekday))
    pages.append(("trail", office, f"/patrols/day?user=insp01&date={weekday.isoformat()}", "<circle", weekday,
                  weekday))
    pages.append(("month", office, f"/patrols/month?month={month_end.strftime('%Y-%m')}", "巡查月历",
                  month_end.replace(day=1), month_end))
    out = []
    for name, client, url, marker, first, last in pages:
        body = client.get(url).decode()
        assert marker in body, body[:500]
        gaps = re.search(r"未巡查路段 <small>全市 (\d+) 条", body)
        statements = _capture(app, lambda: client.get(url))
        own = [s for s in statements if OWN_TABLES.search(s[0])]
        cpu: dict = {}
        times = _timed({"page": lambda: client.get(url), "floor": _floor(app, own)}, repeats, cpu)
        page, floor = median_ms(times["page"]), median_ms(times["floor"])
        out.append({"period": name, "from": first.isoformat(), "to": last.isoformat(), "tickets": tickets,
                    "check_ins_added": added, "database": database_label(data), "page_ms": round(page, 1),
                    "p95_ms": round(percentile(times["page"], 0.95) * 1000, 1),
                    "cpu_ms": round(median_ms(cpu["page"]), 1), "floor_ms": round(floor, 1),
                    "ratio": round(page / floor, 2), "gaps": int(gaps.group(1)) if gaps else None,
                    "sql_statements": len(statements), "own_statements": len(own), "runs": repeats,
                    "load": round(os.getloadavg()[0], 1)})
        added = 0
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
