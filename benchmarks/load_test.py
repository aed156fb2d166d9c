"""Load and fault test on loopback: gunicorn + PostgreSQL, many inspectors filing photos at once.

    /work/venv/bin/python benchmarks/load_test.py [--seconds 60] [--clients 50] [--units 10]
        [--database-url URL | --sqlite] [--port P] [--pg-port P] [--race-rounds 60] [--no-faults]
        [--report PATH] [--keep]

1. Starts a throwaway PostgreSQL (.ci/pg-start) unless --database-url (or --sqlite) is given, loads the demo
   city (`flask --app run seed-demo --no-activity`), and starts `gunicorn -w 4 -b 127.0.0.1:PORT 'inspect_app:create_app()'`
   with its own UPLOAD_FOLDER.
2. Scheduler fault: files overdue tickets, starts `flask --app run scheduler` (its catch-up sweep writes
   letters), kills it with SIGKILL while the letters' PDFs are being written, restarts it, runs one
   `flask --app run escalate`, and checks that no letter is lost, doubled or left without its PDF.
3. Load: --clients inspector threads file reports (one real phone photo scaled to 1600 px) for --seconds,
   while one thread per unit account lists its open tickets and rectifies them, and one escalation sweep
   (`escalate --now` 40 days ahead, so it has work) runs half-way. Reports requests/s, p50/p95 latency and
   errors, then checks that every 201 has its ticket and photos, every photo row its files, and that no file
   lacks a row.
4. Race: --race-rounds times, a unit rectifies while the office cancels the same ticket (two threads released
   together): exactly one may win, the other must get 409, and the event log must agree.
5. Worker fault: uploads with retries (same Idempotency-Key, as the phone page does) while worker processes
   are killed with SIGKILL; every report answered exists exactly once with its photos; files the killed
   requests left behind are counted, then removed by `flask --app run cleanup-orphans --older-than 0`.

Every request goes to 127.0.0.1, every loop ends by a deadline or a count, every child process is stopped by
its own pid. No third-party load tool: threads and http.client.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOST = "127.0.0.1"
PASSWORD = "Load-test-2026"
PHOTO_SOURCE = ROOT / "tests" / "photos" / "mobile_jolla.jpg"
BIN = Path(sys.executable).parent


# ----------------------------------------------------------------------------- pure helpers

@dataclass
class Sample:
    kind: str  # "file", "list", "rectify", ...
    status: int  # 0: no HTTP answer (connection refused, reset, timed out)
    seconds: float
    ticket_id: int | None = None
    key: str | None = None
    code: str | None = None  # the API's error code, if any


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


EXPECTED = {"file": {201}, "list": {200}, "rectify": {200, 409}}  # 409: someone else moved it first


def is_error(sample: Sample) -> bool:
    return sample.status not in EXPECTED.get(sample.kind, {200, 201})


def summarize(samples: list[Sample], seconds: float) -> dict:
    """Per kind and overall: count, requests/s, p50/p95/max latency (ms), status counts, errors."""
    kinds: dict[str, list[Sample]] = {}
    for sample in samples:
        kinds.setdefault(sample.kind, []).append(sample)
    result = {}
    for kind, group in sorted(kinds.items()) + [("all", samples)]:
        latencies = [s.seconds * 1000 for s in group]
        result[kind] = {
            "count": len(group),
            "rps": round(len(group) / seconds, 2) if seconds > 0 else 0.0,
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies, default=0.0), 1),
            "statuses": dict(sorted(Counter(s.status for s in group).items())),
            "errors": sum(1 for s in group if is_error(s)),
        }
    return result


def phone_photo(source: Path = PHOTO_SOURCE, long_side: int = 1600, quality: int = 85) -> bytes:
    """A real phone photo scaled to `long_side`, as the filing page sends it (EXIF kept)."""
    from PIL import Image

    with Image.open(source) as img:
        exif = img.info.get("exif")
        scale = long_side / max(img.size)
        size = (round(img.width * scale), round(img.height * scale)) if scale < 1 else img.size
        out = io.BytesIO()
        kwargs = {"exif": exif} if exif else {}
        img.convert("RGB").resize(size).save(out, "JPEG", quality=quality, **kwargs)
    return out.getvalue()


def multipart_body(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """multipart/form-data: text fields, then (field, filename, bytes) files."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def parse_exports(text: str) -> dict[str, str]:
    """The `export NAME=value` lines .ci/pg-start prints."""
    return dict(re.findall(r"^export (\w+)=(\S+)$", text, flags=re.M))


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 right now."""
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(entry.name))
    return sorted(pids)


def table(rows: list[list], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- HTTP

class Client:
    """One person: a bearer token and a fresh connection per request (gunicorn's sync workers close it)."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.token = token

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 60) -> tuple[int, object, float]:
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            return 0, None, time.perf_counter() - started
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        if data[:1] in (b"{", b"["):
            try:
                return status, json.loads(data), elapsed
            except ValueError:
                pass
        return status, data, elapsed

    def json(self, method: str, path: str, payload: dict) -> tuple[int, object, float]:
        return self.request(method, path, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def login(self, username: str) -> Client:
        status, body, _ = Client(self.port).json("POST", "/api/v1/auth/token",
                                                 {"username": username, "password": PASSWORD})
        if status != 200:
            raise RuntimeError(f"login {username}: {status} {body}")
        return Client(self.port, body["token"])


def error_code(body) -> str | None:
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


# ----------------------------------------------------------------------------- the stack

class Stack:
    """PostgreSQL (unless given), gunicorn, flask commands: all on loopback, all stopped by pid."""

    def __init__(self, args, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.uploads = workdir / "uploads"
        self.uploads.mkdir()
        self.pgdata: str | None = None
        self.gunicorn: subprocess.Popen | None = None
        self.children: list[subprocess.Popen] = []
        self.url = ""
        self.port = args.port or free_port()
        self._app = None

    def start_database(self) -> None:
        if self.args.database_url:
            self.url = self.args.database_url
        elif self.args.sqlite:
            self.url = f"sqlite:///{self.workdir / 'load.db'}"
        else:
            out = subprocess.run([str(ROOT / ".ci" / "pg-start"), str(self.args.pg_port or free_port())],
                                 capture_output=True,
                                 text=True, timeout=120, check=True).stdout
            exports = parse_exports(out)
            self.pgdata, self.url = exports["PGDATA_DIR"], exports["PG_TEST_URL"]

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.url, "UPLOAD_FOLDER": str(self.uploads),
                "SECRET_KEY": "load-test-secret", "SCHEDULER_ENABLED": "0", "PYTHONUNBUFFERED": "1",
                "ESCALATION_MODE": "auto",  # the scheduler fault test counts the letters a killed sweep left
                "ESCALATION_WORKDAYS_ONLY": "0"}  # and needs the catch-up sweep at start, on a weekend too

    def flask(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "flask"), "--app", "run", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def spawn_flask(self, log: Path, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(BIN / "flask"), "--app", "run", *args], cwd=ROOT, env=self.env,
                                stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append(proc)
        return proc

    def start_gunicorn(self) -> None:
        log = open(self.workdir / "gunicorn.log", "ab")
        self.gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(self.args.workers), "-b", f"{HOST}:{self.port}",
             "inspect_app:create_app()"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, _ = Client(self.port).request("GET", "/healthz", timeout=5)
            if status == 200 and len(self.workers()) >= self.args.workers:
                return
            if self.gunicorn.poll() is not None:
                raise RuntimeError("gunicorn exited; see gunicorn.log")
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not become healthy")

    def workers(self) -> list[int]:
        return child_pids(self.gunicorn.pid) if self.gunicorn else []

    def app(self):
        """The app in this process, on the same database and folder, for checking results."""
        if self._app is None:
            from inspect_app import create_app
            self._app = create_app({"SQLALCHEMY_DATABASE_URI": self.url, "UPLOAD_FOLDER": str(self.uploads),
                                    "SECRET_KEY": "load-test-secret", "SCHEDULER_ENABLED": False})
        return self._app

    def stop(self) -> None:
        for proc in [*self.children, self.gunicorn]:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        if self._app is not None:
            from inspect_app.extensions import db
            with self._app.app_context():
                db.engine.dispose()
        if self.pgdata:
            subprocess.run([str(ROOT / ".ci" / "pg-stop"), self.pgdata], timeout=60, check=False)


@dataclass
class Refs:
    segments: list[tuple[int, str]] = field(default_factory=list)  # (segment id, unit code) of the units under load
    all_segments: list[tuple[int, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # without an own unit: dispatched to the segment's unit
    units: list[str] = field(default_factory=list)  # unit codes with a client


def reference_data(stack: Stack, units: int) -> Refs:
    from sqlalchemy import select

    from inspect_app.extensions import db
    from inspect_app.units.models import Category, Segment, Unit

    with stack.app().app_context():
        rows = db.session.execute(select(Segment.id, Unit.code).join(Unit, Segment.unit_id == Unit.id)
                                  .where(Segment.active.is_(True))).all()
        per_unit = Counter(code for _, code in rows)
        chosen = [code for code, _ in per_unit.most_common(units)]
        categories = list(db.session.scalars(select(Category.code).where(Category.owner_unit_id.is_(None))))
    return Refs(segments=[(s, c) for s, c in rows if c in chosen], all_segments=[tuple(r) for r in rows],
                categories=categories, units=chosen)


# ----------------------------------------------------------------------------- checks

def check_files(stack: Stack, min_age: timedelta = timedelta(0)) -> dict:
    from inspect_app.common.timeutil import utcnow
    from inspect_app.extensions import db
    from inspect_app.ops.files import find_orphans, missing_files

    with stack.app().app_context():
        with db.engine.connect() as conn:
            orphans = find_orphans(conn, stack.uploads, utcnow() + timedelta(seconds=1), min_age)
            missing = missing_files(conn, stack.uploads)
    temp = [str(p.relative_to(stack.uploads)) for p in stack.uploads.rglob(".*.tmp")]
    return {"rows_without_files": len(missing), "orphan_photos": len(orphans.keys),
            "orphan_temp_files": len(orphans.temp_files), "temp_files": temp, "missing": missing[:5]}


def tickets_by_key(stack: Stack, keys: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Idempotency key -> [(ticket id, before-photo count)]."""
    from sqlalchemy import func, select

    from inspect_app.extensions import db
    from inspect_app.photos.models import Photo
    from inspect_app.tickets.models import Ticket

    found: dict[str, list[tuple[int, int]]] = {k: [] for k in keys}
    with stack.app().app_context():
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            photos = (select(Photo.ticket_id, func.count().label("n")).where(Photo.kind == "before")
                      .group_by(Photo.ticket_id).subquery())
            rows = db.session.execute(select(Ticket.idempotency_key, Ticket.id, func.coalesce(photos.c.n, 0))
                                      .outerjoin(photos, photos.c.ticket_id == Ticket.id)
                                      .where(Ticket.idempotency_key.in_(chunk)))
            for key, ticket_id, count in rows:
                found[key].append((ticket_id, count))
        db.session.remove()
    return found


# ----------------------------------------------------------------------------- phases

def seed_overdue(stack: Stack, refs: Refs, photo: bytes, count: int) -> int:
    """Tickets filed 40 days ago across many units, so the scheduler's catch-up sweep writes many letters."""
    from inspect_app.auth.models import User
    from inspect_app.common.timeutil import utcnow
    from inspect_app.extensions import db
    from inspect_app.photos.processing import process_image
    from inspect_app.tickets.services import NewReport, create_ticket

    processed = process_image(photo)
    then = utcnow() - timedelta(days=40)
    with stack.app().app_context():
        inspector = db.session.scalar(db.select(User).where(User.username == "inspector1"))
        for i in range(count):
            segment_id, _ = refs.all_segments[i % len(refs.all_segments)]
            report = NewReport(category=refs.categories[i % len(refs.categories)], photos=[processed],
                               segment_id=segment_id, description=f"超期问题{i}", address=f"超期路{i}号")
            create_ticket(inspector, report, then + timedelta(minutes=i))
        db.session.remove()
    return count


def letters_state(stack: Stack) -> dict:
    from sqlalchemy import func, select

    from inspect_app.escalation.models import Letter, LetterItem, SweepRun
    from inspect_app.extensions import db

    with stack.app().app_context():
        letters = db.session.execute(select(Letter.year, Letter.seq, Letter.pdf_path, Letter.pdf_written_at)
                                     .order_by(Letter.year, Letter.seq)).all()
        items = db.session.scalar(select(func.count()).select_from(LetterItem))
        distinct = db.session.scalar(select(func.count()).select_from(
            select(LetterItem.ticket_id, LetterItem.level).distinct().subquery()))
        runs = db.session.scalar(select(func.count()).select_from(SweepRun))
        db.session.remove()
    by_year: dict[int, list[int]] = {}
    for year, seq, _, _ in letters:
        by_year.setdefault(year, []).append(seq)
    return {"letters": len(letters), "pdf_pending": sum(1 for *_, done in letters if done is None),
            "pdf_missing_on_disk": sum(1 for _, _, path, done in letters
                                       if done and not (stack.uploads / path).is_file()),
            "items": items, "duplicate_items": items - distinct,
            "numbers_gap_free": all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_year.values()),
            "sweep_runs": runs}


def scheduler_fault(stack: Stack, refs: Refs, photo: bytes, overdue: int) -> dict:
    seed_overdue(stack, refs, photo, overdue)
    base = letters_state(stack)  # the demo city comes with letters of its own
    log = stack.workdir / "scheduler.log"
    proc = stack.spawn_flask(log, "scheduler")
    result: dict = {"overdue_tickets": overdue, "before": base}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and "job escalation.sweep running" not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError("scheduler exited: " + log.read_text(errors="replace")[-2000:])
        time.sleep(0.05)
    killed = None
    while time.monotonic() < deadline and proc.poll() is None:
        state = letters_state(stack)
        new, pending = state["letters"] - base["letters"], state["pdf_pending"]
        if new and 0 < pending < new + base["pdf_pending"]:  # committed, PDFs half written
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            killed = state
            break
        if new and not pending:
            break  # finished before we caught it
        time.sleep(0.02)
    result["killed_mid_sweep"] = killed is not None
    result["at_kill"] = killed or letters_state(stack)
    result["temp_files_after_kill"] = len(list(stack.uploads.rglob(".*.tmp")))
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)

    restart = stack.spawn_flask(log, "scheduler")  # a restart: catches up only if no sweep was recorded
    time.sleep(6)
    restart.send_signal(signal.SIGTERM)
    restart.wait(30)
    sweep = stack.flask("escalate", timeout=600)  # the next sweep (here by hand): repairs missing PDFs
    result["after_restart_and_sweep"] = letters_state(stack)
    result["escalate_output"] = (sweep.stdout + sweep.stderr).strip()[-500:]
    return result


def load_phase(stack: Stack, refs: Refs, photo: bytes, seconds: float, clients: int) -> dict:
    inspectors = [Client(stack.port).login(f"inspector{i}") for i in range(1, 6)]
    units = {code: Client(stack.port).login(code.lower()) for code in refs.units}
    samples: list[Sample] = []
    started = time.monotonic()
    deadline = started + seconds

    def inspector(index: int) -> None:
        client, rng, n = inspectors[index % len(inspectors)], random.Random(index), 0
        while time.monotonic() < deadline:
            n += 1
            segment_id, _ = rng.choice(refs.segments)
            key = uuid.uuid4().hex
            body, content_type = multipart_body(
                {"category": rng.choice(refs.categories), "segment_id": str(segment_id),
                 "address": f"压力测试路{index}-{n}号", "description": f"压测上报 {index}-{n}"},
                [("photos", f"IMG_{index:02d}{n:04d}.jpg", photo)])
            status, data, secs = client.request("POST", "/api/v1/tickets", body,
                                                {"Content-Type": content_type, "Idempotency-Key": key})
            ticket_id = data.get("id") if isinstance(data, dict) and status in (200, 201) else None
            samples.append(Sample("file", status, secs, ticket_id, key, error_code(data)))

    def unit(code: str) -> None:
        client, rng = units[code], random.Random(code)
        while time.monotonic() < deadline:
            status, data, secs = client.request("GET", "/api/v1/tickets?status=assigned&per_page=20")
            samples.append(Sample("list", status, secs, code=error_code(data)))
            items = data.get("items", []) if isinstance(data, dict) else []
            if not items:
                time.sleep(0.5)
                continue
            ticket_id = rng.choice(items)["id"]
            body, content_type = multipart_body({"note": "已整改（压测）"}, [("photos", "after.jpg", photo)])
            status, data, secs = client.request("POST", f"/api/v1/tickets/{ticket_id}/rectify", body,
                                                {"Content-Type": content_type})
            samples.append(Sample("rectify", status, secs, ticket_id, code=error_code(data)))

    sweep: dict = {}

    def escalation() -> None:
        time.sleep(seconds / 2)
        from inspect_app.common.timeutil import isoformat, utcnow
        t0 = time.perf_counter()
        out = stack.flask("escalate", "--now", isoformat(utcnow() + timedelta(days=40)), timeout=600)
        sweep.update(seconds=round(time.perf_counter() - t0, 1), exit_code=out.returncode,
                     output=(out.stdout + out.stderr).strip().splitlines()[:1])

    threads = [threading.Thread(target=inspector, args=(i,)) for i in range(clients)]
    threads += [threading.Thread(target=unit, args=(code,)) for code in refs.units]
    sweeper = threading.Thread(target=escalation)
    for thread in [*threads, sweeper]:
        thread.start()
    for thread in threads:
        thread.join(seconds + 600)
    elapsed = time.monotonic() - started  # until the last answer of the window arrived
    sweeper.join(600)

    filed = [s for s in samples if s.kind == "file" and s.status == 201]
    found = tickets_by_key(stack, [s.key for s in filed])
    rectified = [s.ticket_id for s in samples if s.kind == "rectify" and s.status == 200]
    return {"seconds": round(elapsed, 1), "clients": clients, "unit_clients": len(units),
            "summary": summarize(samples, elapsed), "escalation": sweep,
            "answered_201": len(filed),
            "201_without_ticket": sum(1 for s in filed if not found[s.key]),
            "201_with_duplicate": sum(1 for s in filed if len(found[s.key]) > 1),
            "tickets_without_photo": sum(1 for s in filed if any(n == 0 for _, n in found[s.key])),
            "rectified": len(rectified), "rectified_without_after_photo": _without_after(stack, rectified),
            "files": check_files(stack)}


def _without_after(stack: Stack, ticket_ids: list[int]) -> int:
    from sqlalchemy import select

    from inspect_app.extensions import db
    from inspect_app.photos.models import Photo

    with stack.app().app_context():
        have = set(db.session.scalars(select(Photo.ticket_id).where(Photo.kind == "after")))
        db.session.remove()
    return sum(1 for t in ticket_ids if t not in have)


def race_phase(stack: Stack, refs: Refs, photo: bytes, rounds: int) -> dict:
    admin = Client(stack.port).login("admin")
    units = {code: Client(stack.port).login(code.lower()) for code in refs.units}
    outcomes: Counter = Counter()
    codes: Counter = Counter()
    rounds_seen = []
    rng = random.Random(2026)
    for _ in range(rounds):
        segment_id, code = rng.choice(refs.segments)
        body, content_type = multipart_body({"category": refs.categories[0], "segment_id": str(segment_id)},
                                            [("photos", "p.jpg", photo)])
        status, data, _ = admin.request("POST", "/api/v1/tickets", body, {"Content-Type": content_type})
        if status != 201 or data.get("status") != "assigned":
            outcomes["setup_failed"] += 1
            continue
        ticket_id = data["id"]
        barrier = threading.Barrier(2, timeout=30)
        answers: dict[str, tuple[int, str | None]] = {}
        delay = {"rectify": 0.0, "cancel": 0.0}
        delay[rng.choice(["rectify", "cancel"])] = rng.uniform(0, 0.1)  # vary who gets there first

        def rectify() -> None:
            payload, kind = multipart_body({"note": "已整改"}, [("photos", "a.jpg", photo)])
            barrier.wait()
            time.sleep(delay["rectify"])
            status, body, _ = units[code].request("POST", f"/api/v1/tickets/{ticket_id}/rectify", payload,
                                                  {"Content-Type": kind})
            answers["rectify"] = (status, error_code(body))

        def cancel() -> None:
            barrier.wait()
            time.sleep(delay["cancel"])
            status, body, _ = admin.json("POST", f"/api/v1/tickets/{ticket_id}/cancel", {"reason": "重复上报"})
            answers["cancel"] = (status, error_code(body))

        threads = [threading.Thread(target=rectify), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        statuses = (answers.get("rectify", (0,))[0], answers.get("cancel", (0,))[0])
        outcomes[RACE_OUTCOMES.get(statuses, f"bad {statuses}")] += 1
        for action, (status, err) in answers.items():
            if status == 409:
                codes[err] += 1
        rounds_seen.append((ticket_id, statuses))
    return {"rounds": rounds, "outcomes": dict(outcomes), "loser_codes": dict(codes),
            "log_inconsistent": _race_log_check(stack, rounds_seen), "files": check_files(stack)}


# (rectify, cancel) answers. Both 200 is legitimate only one after the other: the cancel loaded the ticket
# after the rectification had committed (cancelling a rectified ticket is allowed); the other way round is not.
RACE_OUTCOMES = {(200, 409): "rectify won, cancel 409", (409, 200): "cancel won, rectify 409",
                 (200, 200): "one after the other: rectified, then cancelled"}
RACE_LOGS = {(200, 409): ("rectified", ["rectify"], 1), (409, 200): ("cancelled", ["cancel"], 0),
             (200, 200): ("cancelled", ["rectify", "cancel"], 1)}


def race_log_ok(status: str, actions: list[str], after_photos: int, statuses: tuple[int, int]) -> bool:
    """Whether a ticket's status, event log (after create/dispatch) and after-photos fit the two answers."""
    if statuses not in RACE_LOGS:
        return False
    want_status, want_actions, want_after = RACE_LOGS[statuses]
    return status == want_status and actions[2:] == want_actions and after_photos == want_after


def _race_log_check(stack: Stack, rounds: list[tuple[int, tuple[int, int]]]) -> int:
    """Rounds whose ticket, events or photos disagree with the answers the two people got."""
    from inspect_app.extensions import db
    from inspect_app.tickets.models import Ticket

    bad = 0
    with stack.app().app_context():
        for ticket_id, statuses in rounds:
            ticket = db.session.get(Ticket, ticket_id)
            bad += not race_log_ok(ticket.status, [e.action for e in ticket.events], len(ticket.photos_of("after")),
                                   statuses)
        db.session.remove()
    return bad


def worker_fault(stack: Stack, refs: Refs, photo: bytes, kills: int, uploaders: int = 16) -> dict:
    client = Client(stack.port).login("inspector2")
    stop = threading.Event()
    reports: list[dict] = []

    def uploader(index: int) -> None:
        rng = random.Random(1000 + index)
        while not stop.is_set():
            key, tries, final = uuid.uuid4().hex, 0, None
            segment_id, _ = rng.choice(refs.segments)
            body, content_type = multipart_body({"category": refs.categories[0], "segment_id": str(segment_id)},
                                                [("photos", "k.jpg", photo)])
            while tries < 6:  # the phone page retries a failed upload with the same key
                tries += 1
                status, data, _ = client.request("POST", "/api/v1/tickets", body,
                                                 {"Content-Type": content_type, "Idempotency-Key": key})
                if status != 0 and status < 500:
                    final = status
                    break
                time.sleep(0.3)
            reports.append({"key": key, "tries": tries, "final": final})

    threads = [threading.Thread(target=uploader, args=(i,)) for i in range(uploaders)]
    for thread in threads:
        thread.start()
    killed = []
    for _ in range(kills):  # one worker at a random moment: usually mid-decode of a photo
        time.sleep(1.5)
        workers = stack.workers()
        if workers:
            victim = random.choice(workers)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
    time.sleep(1.0)
    caught = _kill_between_file_and_row(stack)  # every worker, the moment a photo file has no row yet
    killed += caught
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join(120)
    found = tickets_by_key(stack, [r["key"] for r in reports])
    answered = [r for r in reports if r["final"] in (200, 201)]
    orphans_before = check_files(stack)
    cleanup = stack.flask("cleanup-orphans", "--older-than", "0")
    stack.wait_healthy()
    return {
        "workers_killed": len(killed), "killed_between_file_and_row": bool(caught),
        "reports": len(reports), "answered": len(answered),
        "retried": sum(1 for r in reports if r["tries"] > 1),
        "answered_200_on_retry": sum(1 for r in reports if r["tries"] > 1 and r["final"] == 200),
        "gave_up": sum(1 for r in reports if r["final"] is None),
        "answered_without_ticket": sum(1 for r in answered if not found[r["key"]]),
        "duplicates": sum(1 for r in reports if len(found[r["key"]]) > 1),
        "tickets_without_photo": sum(1 for r in reports for _, n in found[r["key"]] if n == 0),
        "files_before_cleanup": orphans_before,
        "cleanup_output": cleanup.stdout.strip().splitlines()[-1:] if cleanup.stdout else cleanup.stderr[-300:],
        "files_after_cleanup": check_files(stack),
        "workers_after": len(stack.workers()),
    }


def _kill_between_file_and_row(stack: Stack, timeout: float = 15) -> list[int]:
    """Watch UPLOAD_FOLDER; when a photo file appears whose row is not committed yet, SIGKILL every worker
    (one of them is between writing the file and committing the row). Returns the pids killed."""
    from sqlalchemy import select

    from inspect_app.extensions import db
    from inspect_app.photos.models import Photo
    from inspect_app.photos.storage import PhotoStore

    store = PhotoStore(stack.uploads)
    known = set(store.iter_keys())
    deadline = time.monotonic() + timeout
    with stack.app().app_context():
        try:
            while time.monotonic() < deadline:
                fresh = set(store.iter_keys()) - known
                if fresh:
                    named = set(db.session.scalars(select(Photo.key).where(Photo.key.in_(fresh))))
                    db.session.rollback()
                    if fresh - named:
                        victims = stack.workers()
                        for pid in victims:
                            os.kill(pid, signal.SIGKILL)
                        return victims
                    known |= fresh
                time.sleep(0.002)
        finally:
            db.session.remove()
    return []


# ----------------------------------------------------------------------------- report

def report(meta: dict, results: dict) -> str:
    lines = [f"# Load test {meta['date']}", "", "```", json.dumps(meta, ensure_ascii=False), "```", ""]
    load = results.get("load")
    if load:
        rows = [[kind, s["count"], s["rps"], s["p50_ms"], s["p95_ms"], s["max_ms"], s["errors"], s["statuses"]]
                for kind, s in load["summary"].items()]
        lines += ["## Load", "", table(rows, ["kind", "requests", "req/s", "p50 ms", "p95 ms", "max ms", "errors",
                                               "statuses"]), ""]
    for name, value in results.items():
        lines += [f"## {name}", "", "```json", json.dumps(value, ensure_ascii=False, indent=1, default=str), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--units", type=int, default=10, help="unit accounts rectifying (one thread each)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of a throwaway PostgreSQL")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--pg-port", type=int, default=0, help="the throwaway PostgreSQL's port (default: a free one)")
    parser.add_argument("--race-rounds", type=int, default=60)
    parser.add_argument("--overdue", type=int, default=240, help="overdue tickets for the scheduler fault")
    parser.add_argument("--kills", type=int, default=3, help="workers killed in the worker fault")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, uploads)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="inspect-load."))
    stack = Stack(args, workdir)
    results: dict = {}
    try:
        stack.start_database()
        # The demo city without its six weeks of activity: the scheduler's catch-up sweep must find work.
        quiet = ["--no-activity"] if "--no-activity" in stack.flask("seed-demo", "--help").stdout else []
        seeded = stack.flask("seed-demo", "--password", PASSWORD, *quiet, timeout=300)
        if seeded.returncode != 0:
            raise RuntimeError(seeded.stderr)
        has_scheduler = "scheduler" in stack.flask("--help").stdout
        has_escalate = "escalate" in stack.flask("--help").stdout
        photo = phone_photo()
        refs = reference_data(stack, args.units)
        stack.start_gunicorn()
        meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "database": stack.url.split("://")[0],
                "workers": args.workers, "cpus": os.cpu_count(), "photo_bytes": len(photo),
                "seconds": args.seconds, "clients": args.clients, "unit_clients": len(refs.units)}
        print(json.dumps(meta, ensure_ascii=False), flush=True)
        if not args.no_faults:
            if has_scheduler:
                results["scheduler_kill"] = scheduler_fault(stack, refs, photo, args.overdue)
            else:
                results["scheduler_kill"] = "skipped: no `flask --app run scheduler` command"
            print(json.dumps(results["scheduler_kill"], ensure_ascii=False, default=str), flush=True)
        if not has_escalate:
            results["note"] = "no `flask --app run escalate` command: load ran without a sweep"
        results["load"] = load_phase(stack, refs, photo, args.seconds, args.clients)
        print(json.dumps(results["load"], ensure_ascii=False, default=str), flush=True)
        if args.race_rounds:
            results["race"] = race_phase(stack, refs, photo, args.race_rounds)
            print(json.dumps(results["race"], ensure_ascii=False, default=str), flush=True)
        if not args.no_faults:
            results["worker_kill"] = worker_fault(stack, refs, photo, args.kills)
            print(json.dumps(results["worker_kill"], ensure_ascii=False, default=str), flush=True)
        text = report(meta, results)
        if args.report:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(text, encoding="utf-8")
        print(text)
        return 0
    finally:
        stack.stop()
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
