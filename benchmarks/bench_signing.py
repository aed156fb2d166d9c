"""签发 of a big draft: how long a leader's 签发 takes, and where the time goes.

    python benchmarks/bench_signing.py [--items 300] [--units 16] [--repeats 3] [--profile 25]
                                       [--database-url URL]

Builds, for each repeat, a fresh city of `units` units and `items` open tickets a few hours past their deadline
(level 0), each with its "before" photo (thumbnail and stamped display copy on disk, as filing leaves them); the
propose sweep writes their 督办建议, the office compiles them into one draft (one letter to every unit, as a
batch of 督办函 is), and the leader signs it: `signing.sign` and the commit, as the request runs them (the route
adds a few milliseconds). Reports the best and the median wall time and the process CPU time of the 签发, the
number of SQL statements it sent, and with --profile N the N costliest functions of one 签发 (cProfile,
cumulative). Target: under 1 s for 300 items. With --database-url (a scratch PostgreSQL database, emptied) the
city is built there instead of a temporary SQLite file.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert, select  # noqa: E402

from benchmarks.bench_escalation import _app, _photo, _reset  # noqa: E402
from inspect_app.common.timeutil import parse_iso  # noqa: E402
from inspect_app.extensions import db  # noqa: E402

SWEEP_AT = parse_iso("2026-11-27T09:00:00+08:00")  # a Friday: the tickets of the day before are overdue
SIGN_AT = parse_iso("2026-11-27T10:00:00+08:00")


def build(items: int, units: int, upload_folder: Path) -> dict:
    """Units, accounts, one category and `items` overdue tickets with their lead parts and "before" photos."""
    from inspect_app.auth.models import User
    from inspect_app.photos.models import Photo
    from inspect_app.photos.storage import PhotoStore
    from inspect_app.tickets.models import Ticket, TicketUnit
    from inspect_app.units.models import Category, Unit

    store = PhotoStore(upload_folder)
    names = ["临江市城市管理局", "江城区解放街道办事处", "市交警支队", "中国移动临江分公司",
             "临江市江城区东城街道办事处", "市市场监管局", "市住房和城乡建设局", "江城区人民政府",
             "临江高新技术产业开发区管理委员会", "市卫健委", "市教育局", "市公安局交通警察支队", "市环境卫生管理处",
             "中国联通临江分公司", "临江市园林绿化中心", "市水务局"]
    reported = SWEEP_AT - timedelta(days=2)
    with db.engine.begin() as conn:
        conn.execute(insert(Unit.__table__), [{"code": f"U{i:03d}", "name": names[i % len(names)] + (
            f"{i // len(names)}" if i >= len(names) else ""), "kind": "市直单位", "active": True}
            for i in range(units)])
        conn.execute(insert(Category.__table__), [{"code": "niupixuan", "name": "牛皮癣", "group": "宣传广告",
                                                   "deadline_hours": 24, "active": True}])
        conn.execute(insert(User.__table__), [
            {"username": name, "password_hash": "x", "role": role, "active": True}
            for name, role in (("inspector", "inspector"), ("admin", "admin"), ("leader", "leader"))])
        unit_ids = list(conn.scalars(select(Unit.id).order_by(Unit.id)))
        category_id = conn.scalar(select(Category.id))
        inspector_id = conn.scalar(select(User.id).where(User.username == "inspector"))
        conn.execute(insert(Ticket.__table__), [{
            "number": f"2026-{i + 1:06d}", "year": 2026, "seq": i + 1, "status": "assigned",
            "category_id": category_id, "unit_id": unit_ids[i % units], "reporter_id": inspector_id,
            "description": "", "address": f"人民路{i + 1}号门前", "reported_at": reported, "assigned_at": reported,
            "deadline": SWEEP_AT - timedelta(hours=2, minutes=i % 300), "rework_count": 0, "extension_count": 0,
            "escalation_level": 0, "version": 1} for i in range(items)])
        tickets = conn.execute(select(Ticket.id, Ticket.unit_id, Ticket.deadline).order_by(Ticket.id)).all()
        conn.execute(insert(TicketUnit.__table__), [
            {"ticket_id": t.id, "unit_id": t.unit_id, "role": "lead", "status": "open", "assigned_at": reported,
             "deadline": t.deadline, "note": ""} for t in tickets])
        photos = []
        for n, t in enumerate(tickets):
            key = f"{n + 1:032x}"
            data = _photo(n)
            for path in (store.path(key, thumb=True), store.path(key, stamped=True), store.path(key)):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            photos.append({"ticket_id": t.id, "kind": "before", "key": key, "sha256": f"{n:064x}", "width": 480,
                           "height": 360, "bytes": len(data), "created_at": reported})
        conn.execute(insert(Photo.__table__), photos)
    return {"units": len(unit_ids), "tickets": len(tickets)}


def draft(items: int) -> int:
    """The propose sweep's 督办建议, compiled into one draft by the office; the draft's id."""
    from inspect_app.auth.models import User
    from inspect_app.escalation import compose, proposals
    from inspect_app.escalation.jobs import run_sweep

    run_sweep(SWEEP_AT)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    ids = [p.id for p in proposals.open_proposals(SIGN_AT)]
    assert len(ids) == items, (len(ids), items)
    letter = compose.create_draft(admin, SIGN_AT, {"proposal_ids": ids})
    db.session.commit()
    return letter.id


def sign_once(letter_id: int, profile: cProfile.Profile | None = None) -> dict:
    """One 签发 in a fresh session, as a request runs it: read the draft, sign, commit."""
    from inspect_app.auth.models import User
    from inspect_app.escalation import signing
    from inspect_app.escalation.models import Letter
    from inspect_app.escalation.sweep import pdf_path

    db.session.remove()
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        leader = db.session.scalar(select(User).where(User.username == "leader"))
        letter = db.session.get(Letter, letter_id)
        signing.sign(leader, letter, SIGN_AT)
        db.session.commit()
        if profile is not None:
            profile.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    letter = db.session.get(Letter, letter_id)
    path = pdf_path(letter)
    return {"sign_s": wall, "sign_cpu_s": cpu, "statements": len(statements), "number": letter.number,
            "items": len(letter.items), "pdf_written": letter.pdf_written_at is not None and path.is_file(),
            "pdf_kib": path.stat().st_size // 1024 if path.is_file() else None}


def run(items: int = 300, units: int = 16, repeats: int = 3, database_url: str | None = None,
        profile_top: int = 0) -> dict:
    from inspect_app.pdf import register_fonts

    register_fonts()  # once per process: no request pays for it
    runs, profile_text = [], None
    for n in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-signing-") as folder:
            app = _app(database_url, Path(folder), mode="propose")
            with app.app_context():
                _reset(app)
                build(items, units, Path(app.config["UPLOAD_FOLDER"]))
                letter_id = draft(items)
                profile = cProfile.Profile() if profile_top and n == repeats - 1 else None
                runs.append(sign_once(letter_id, profile))
                if profile is not None:
                    out = io.StringIO()
                    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(profile_top)
                    profile_text = out.getvalue()
                db.session.remove()
                if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                    db.drop_all()
                db.engine.dispose()
    walls = sorted(r["sign_s"] for r in runs)
    cpus = sorted(r["sign_cpu_s"] for r in runs)
    return {"items": items, "units": units, "repeats": repeats,
            "sign_best_s": round(walls[0], 3), "sign_median_s": round(walls[len(walls) // 2], 3),
            "sign_cpu_median_s": round(cpus[len(cpus) // 2], 3), "statements": runs[-1]["statements"],
            "pdf_written_in_request": runs[-1]["pdf_written"], "pdf_kib": runs[-1]["pdf_kib"],
            "ok": walls[len(walls) // 2] < 1.0, "profile": profile_text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--units", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, dest="profile_top",
                        help="print the N costliest functions of the last 签发 (cProfile)")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    figures = run(args.items, args.units, args.repeats, args.database_url, args.profile_top)
    profile = figures.pop("profile")
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    if profile:
        print(profile)


if __name__ == "__main__":
    main()
