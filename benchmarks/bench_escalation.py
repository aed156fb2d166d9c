"""Escalation sweep and letter PDF speed.

    python benchmarks/bench_escalation.py [--open 100000] [--overdue 2000] [--units 110] [--growth 10]
                                          [--pdf-items 50] [--database-url URL] [--skip-growth]
                                          [--assists 0]

Builds a city of `units` units with `open` open (assigned) tickets, `overdue` of them just past their
deadline (level 0) and the rest due later, bulk-inserted with Core executemany, then runs one sweep as of
Friday 2026-11-27 09:00 and reports:
- sweep_s: the whole sweep (`issue_s`: choosing tickets and writing letters, items, events and levels in one
  transaction; `pdfs_s`: rendering one PDF per letter, about `units` of them);
- the same on a city with `growth`× the open tickets and the same overdue count; target: the growth in
  sweep time (and in issue time) stays under 1.3×: the sweep's cost follows the overdue count, not the table;
- plan: SQLite's EXPLAIN QUERY PLAN of the candidate query (must use ix_tickets_status_level_deadline);
- with --assists N: every ticket has its lead part (ticket_units) and N tickets an assisting unit (协办) too, a
  quarter of the overdue count of those past their own deadline (escalation per part); part_plan: the plan of
  the parts' candidate query (ix_ticket_units_status_deadline);
- *_cpu_s: the same in process CPU time, which a busy machine disturbs less than wall time;
- pdf_s: rendering one letter of `pdf-items` items, each with a photo thumbnail (fonts registered);
  target < 0.5 s.
`run(...) -> dict` returns the same figures for a later suite. With --database-url (e.g. a scratch
PostgreSQL database, which is emptied) the cities are built there instead of temporary SQLite files.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from inspect_app import create_app  # noqa: E402
from inspect_app.common.timeutil import parse_iso  # noqa: E402
from inspect_app.config import TestConfig  # noqa: E402
from inspect_app.extensions import db  # noqa: E402

AS_OF = parse_iso("2026-11-27T09:00:00+08:00")
_BATCH = 20_000


def _app(database_url: str | None, folder: Path, mode: str = "auto"):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url or f"sqlite:///{folder / 'bench.db'}",
                  UPLOAD_FOLDER=str(folder / "uploads"), WEBHOOK_URL="", ESCALATION_MODE=mode)
    return create_app(config)


def _reset(app) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        db.drop_all()
    db.create_all()


def build_city(open_tickets: int, overdue: int, units: int, assists: int = 0) -> dict:
    """Units, one category, one reporter and the tickets (with their parts when `assists`), with Core
    executemany. Returns ids."""
    from inspect_app.auth.models import User
    from inspect_app.tickets.models import Ticket, TicketUnit
    from inspect_app.units.models import Category, Unit

    engine = db.engine
    with engine.begin() as conn:
        conn.execute(insert(Unit.__table__), [
            {"code": f"U{i:03d}", "name": f"临江市第{i}责任单位", "kind": "街道", "active": True}
            for i in range(1, units + 1)])
        conn.execute(insert(Category.__table__), [{"code": "niupixuan", "name": "牛皮癣", "group": "宣传广告",
                                                   "deadline_hours": 24, "active": True}])
        conn.execute(insert(User.__table__), [{"username": "inspector", "password_hash": "x", "role": "inspector",
                                               "active": True}])
        unit_ids = [row[0] for row in conn.execute(text("SELECT id FROM units ORDER BY id"))]
        category_id = conn.execute(text("SELECT id FROM categories")).scalar()
        user_id = conn.execute(text("SELECT id FROM users")).scalar()
    table = Ticket.__table__
    reported = AS_OF - timedelta(days=3)
    late = AS_OF - timedelta(hours=2)
    with engine.begin() as conn:
        batch = []
        step = max(open_tickets // overdue, 1)
        for i in range(open_tickets):
            is_overdue = i % step == 0 and i // step < overdue
            batch.append({
                "number": f"2026-{i + 1:07d}", "year": 2026, "seq": i + 1, "status": "assigned",
                "category_id": category_id, "unit_id": unit_ids[(i // step if is_overdue else i) % len(unit_ids)], "reporter_id": user_id,
                "description": "", "address": f"人民路{i % 997 + 1}号门前", "reported_at": reported,
                "assigned_at": reported,
                "deadline": late - timedelta(minutes=i % 600) if is_overdue else AS_OF + timedelta(hours=1 + i % 500),
                "rework_count": 0, "extension_count": 0, "escalation_level": 0, "version": 1,
            })
            if len(batch) >= _BATCH:
                conn.execute(insert(table), batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)
    if assists:
        _add_parts(engine, TicketUnit.__table__, unit_ids, assists, max(overdue // 4, 1), reported, late)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    count = db.session.execute(text(
        "SELECT COUNT(*) FROM tickets WHERE status = 'assigned' AND deadline < :now"), {"now": AS_OF.replace(tzinfo=None)}).scalar()
    return {"units": len(unit_ids), "overdue": count}


def _add_parts(engine, table, unit_ids: list[int], assists: int, late_assists: int, reported, late) -> None:
    """A lead part for every ticket (as filing makes it) and an assisting part on `assists` tickets spread over
    the table, the first `late_assists` of them past their own deadline."""
    with engine.begin() as conn:
        from inspect_app.tickets.models import Ticket

        tickets = conn.execute(select(Ticket.id, Ticket.unit_id, Ticket.deadline).order_by(Ticket.id)).all()
        step = max(len(tickets) // max(assists, 1), 1)
        rows = []
        for n, (ticket_id, unit_id, deadline) in enumerate(tickets):
            rows.append({"ticket_id": ticket_id, "unit_id": unit_id, "role": "lead", "status": "open",
                         "assigned_at": reported, "deadline": deadline, "note": ""})
            if n % step == 0 and n // step < assists:
                other = unit_ids[(unit_ids.index(unit_id) + 1) % len(unit_ids)]
                due = late if n // step < late_assists else AS_OF + timedelta(hours=1 + n % 500)
                rows.append({"ticket_id": ticket_id, "unit_id": other, "role": "assist", "status": "open",
                             "assigned_at": reported, "deadline": due, "note": ""})
            if len(rows) >= _BATCH:
                conn.execute(insert(table), rows)
                rows = []
        if rows:
            conn.execute(insert(table), rows)


def query_plan(which: str = "candidate_query") -> list[str]:
    """The database's plan for one of the sweep's candidate queries, exactly as the sweep sends it."""
    from sqlalchemy import event

    from inspect_app.escalation import sweep

    candidate_query = getattr(sweep, which)
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        captured.append((statement, parameters))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        db.session.execute(candidate_query(AS_OF)).fetchall()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        db.session.rollback()
    statement, parameters = captured[-1]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
    finally:
        raw.close()
    return [str(row[-1]) for row in rows]


def time_sweep(open_tickets: int, overdue: int, units: int, database_url: str | None, mode: str = "auto",
               assists: int = 0) -> dict:
    """One sweep over the city: `auto` issues the letters (and their PDFs), `propose` writes 督办建议."""
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.pdf import register_fonts

    register_fonts()  # once per process, ~0.25 s: not the sweep's cost
    with tempfile.TemporaryDirectory(prefix="bench-escalation-") as folder:
        app = _app(database_url, Path(folder), mode)
        with app.app_context():
            _reset(app)
            started = time.perf_counter()
            city = build_city(open_tickets, overdue, units, assists)
            build_s = time.perf_counter() - started
            plan = query_plan()
            part_plan = query_plan("part_candidate_query") if assists else []
            started, cpu = time.perf_counter(), time.process_time()
            result = run_sweep(AS_OF)
            sweep_s, sweep_cpu_s = time.perf_counter() - started, time.process_time() - cpu
            again = time.perf_counter()
            second = run_sweep(AS_OF + timedelta(minutes=5))
            again_s = time.perf_counter() - again
            figures = {
                "open_tickets": open_tickets, "overdue": city["overdue"], "units": city["units"],
                "build_s": round(build_s, 2), "sweep_s": round(sweep_s, 3), "sweep_cpu_s": round(sweep_cpu_s, 3),
                "issue_s": round(result.seconds["issue"], 3), "pdfs_s": round(result.seconds["pdfs"], 3),
                "mode": mode, "letters": len(result.letters), "proposals": len(result.proposals),
                "tickets_escalated": result.tickets,
                "second_sweep_s": round(again_s, 3), "second_sweep_letters": len(second.letters),
                "plan": plan, "assists": assists, "part_plan": part_plan,
            }
            db.session.remove()
            if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                db.drop_all()
            db.engine.dispose()
    return figures


def _photo(seed: int) -> bytes:
    """A photo-like 480×360 JPEG, the size of the app's stored thumbnails."""
    image = Image.linear_gradient("L").resize((480, 360)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for k in range(10):
        x, y = (seed * 37 + k * 53) % 480, (seed * 17 + k * 29) % 360
        draw.ellipse((x, y, x + 60, y + 40), fill=((seed * 50 + k * 20) % 256, 90, 160))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def time_letter_pdf(items: int, repeats: int = 5) -> dict:
    """One letter of `items` items, each with its own thumbnail, rendered `repeats` times; best and median."""
    from inspect_app.escalation.letters_pdf import build_letter_pdf
    from inspect_app.escalation.models import Letter, LetterItem
    from inspect_app.photos.storage import PhotoStore
    from inspect_app.pdf import register_fonts
    from inspect_app.units.models import Unit

    register_fonts()
    with tempfile.TemporaryDirectory(prefix="bench-letter-") as folder:
        app = _app(None, Path(folder))
        with app.app_context():
            db.create_all()
            store = PhotoStore(app.config["UPLOAD_FOLDER"])
            unit = Unit(code="U001", name="临江市江城区东城街道办事处", kind="街道")
            letter = Letter(status="issued", kind="listed", number="临江文明督〔2026〕8号", year=2026, seq=8,
                            unit=unit, level=2, issued_at=AS_OF,
                            reply_by=AS_OF + timedelta(days=7), pdf_path="letters/2026/00008.pdf")
            for i in range(items):
                key = f"{i:032x}"
                path = store.path(key, thumb=True)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_photo(i))
                letter.items.append(LetterItem(ticket_id=i + 1, level=2, reply_by=letter.reply_by, position=i + 1,
                                               ticket_number=f"2026-{i + 1:06d}", category_name="乱堆乱放",
                                               place=f"人民路{i + 1}号门前（人民路东段）",
                                               reported_at=AS_OF - timedelta(days=9),
                                               original_deadline=AS_OF - timedelta(days=8), days_overdue=8,
                                               photo_key=key))
            times, cpu_times, size, pages = [], [], 0, 0
            for _ in range(repeats):
                out = io.BytesIO()
                started, cpu = time.perf_counter(), time.process_time()
                build_letter_pdf(letter, out)
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu)
                size = len(out.getvalue())
            from pypdf import PdfReader
            pages = len(PdfReader(io.BytesIO(out.getvalue())).pages)
            db.session.remove()
            db.engine.dispose()
    times.sort()
    cpu_times.sort()
    return {"pdf_items": items, "pdf_best_s": round(times[0], 3), "pdf_median_s": round(times[len(times) // 2], 3),
            "pdf_cpu_median_s": round(cpu_times[len(cpu_times) // 2], 3),
            "pdf_kib": size // 1024, "pdf_pages": pages}


def run(open_tickets: int = 100_000, overdue: int = 2_000, units: int = 110, growth: int = 10,
        pdf_items: int = 50, database_url: str | None = None, skip_growth: bool = False, assists: int = 0) -> dict:
    base = time_sweep(open_tickets, overdue, units, database_url, assists=assists)
    figures: dict = {"base": base, "propose": time_sweep(open_tickets, overdue, units, database_url, "propose",
                                                         assists=assists)}
    if not skip_growth and growth > 1:
        grown = time_sweep(open_tickets * growth, overdue, units, database_url, assists=assists)
        figures["grown"] = grown
        figures["sweep_growth"] = round(grown["sweep_s"] / base["sweep_s"], 2)
        figures["issue_growth"] = round(grown["issue_s"] / base["issue_s"], 2)
        figures["sweep_cpu_growth"] = round(grown["sweep_cpu_s"] / base["sweep_cpu_s"], 2)
        figures["growth_ok"] = figures["sweep_growth"] < 1.3
    figures.update(time_letter_pdf(pdf_items))
    figures["pdf_ok"] = figures["pdf_median_s"] < 0.5
    figures["plan_ok"] = any("ix_tickets_status_level_deadline" in line for line in base["plan"]) \
        if not (database_url or "").startswith("postgresql") else None
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000, dest="open_tickets")
    parser.add_argument("--overdue", type=int, default=2_000)
    parser.add_argument("--units", type=int, default=110)
    parser.add_argument("--growth", type=int, default=10)
    parser.add_argument("--pdf-items", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--assists", type=int, default=0, help="tickets with an assisting unit (协办)")
    args = parser.parse_args()
    print(json.dumps(run(args.open_tickets, args.overdue, args.units, args.growth, args.pdf_items,
                         args.database_url, args.skip_growth, args.assists), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
