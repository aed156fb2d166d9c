"""API throughput: gunicorn (2 sync workers) on 127.0.0.1 over a private copy of a SQLite city, driven for a fixed
time per scenario after a short warm-up by 8 client threads (http.client, keep-alive where the server allows it;
gunicorn's sync workers close every connection, so each request opens one) and, where the `wrk` command is
installed, by wrk with 8 connections too.

The clients share the machine's 2 cores with the server. The Python clients spend CPU of their own on every request
(measured here: client_cpu_ms_per_req in the details), which the server then lacks; wrk (C, epoll) spends a few
hundredths of a millisecond. So each scenario gives two rows, each against the target: the server's throughput
with each client, and the server's CPU per request (server_cpu_ms_per_req), which is the figure that moves least
with the client and the machine's other load.
"""
from __future__ import annotations

import http.client
import io
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .city import ROOT, DataSet
from .measure import Figure, percentile


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone_page_jpeg() -> bytes:
    """What the filing page uploads for a phone photo: upright, long side 1600 px, JPEG quality 0.82, no EXIF
    (the page sends the EXIF time and place it read as photo_meta instead)."""
    from PIL import Image, ImageOps

    with Image.open(ROOT / "tests/photos/mobile_HMD_Nokia_8.3_5G.jpg") as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
        img.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82)
    return out.getvalue()


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    answered: int = 0  # every request the clients sent, warm-up included (what the server's CPU is divided by)


class Server:
    """gunicorn serving create_app() on a loopback port; stopped by the id of the process started here."""

    def __init__(self, data: DataSet, workers: int = 2):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=data.url, UPLOAD_FOLDER=str(data.upload_folder), SCHEDULER_ENABLED="0",
                   SECRET_KEY="bench-secret", PYTHONPATH=str(ROOT))
        self.log = open(Path(data.upload_folder).parent / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--timeout", "120", "inspect_app:create_app()"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def cpu_seconds(self) -> float:
        """User and system CPU of gunicorn's master and its workers so far."""
        from .wrk_client import proc_cpu_seconds

        return proc_cpu_seconds([self.process.pid])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def drive(port: int, make_request, clients: int, seconds: float, warmup: float) -> tuple[Outcome, float]:
    """`clients` threads send make_request(rng) -> (method, path, body, headers) back to back."""
    outcome = Outcome()
    lock = threading.Lock()
    phase = {"measure_from": time.monotonic() + warmup}
    stop_at = phase["measure_from"] + seconds

    def client(seed: int):
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, errors, sent = [], {}, 0
        while True:
            started = time.monotonic()
            if started >= stop_at:
                break
            method, path, body, headers = make_request(rng)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                status = type(error).__name__
            ended = time.monotonic()
            sent += 1
            if started >= phase["measure_from"] and ended <= stop_at:
                if isinstance(status, int) and 200 <= status < 300:
                    mine.append(ended - started)
                else:
                    errors[status] = errors.get(status, 0) + 1
        conn.close()
        with lock:
            outcome.latencies.extend(mine)
            outcome.answered += sent
            for key, count in errors.items():
                outcome.errors[key] = outcome.errors.get(key, 0) + count

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome, seconds


@dataclass
class Scenario:
    """One workload, as both clients send it."""
    what: str
    target: int | None
    path: str  # may hold {id}: a random ticket id per request
    method: str = "GET"
    form: dict = field(default_factory=dict)  # with `file`: a multipart POST
    file: tuple[str, bytes] | None = None  # (file name, bytes), sent in the field "photos"
    auth: bool = True  # send the bearer token

    def python_request(self, auth: dict, tickets: int):
        """rng -> (method, path, body, headers) for the Python clients; the body is built once."""
        headers = dict(auth) if self.auth else {}
        body = None
        if self.form or self.file:
            body, headers["Content-Type"] = multipart(self.form, [("photos", *self.file)] if self.file else [])
        if "{id}" in self.path:
            return lambda rng: (self.method, self.path.replace("{id}", str(rng.randint(1, tickets))), body, headers)
        return lambda rng: (self.method, self.path, body, headers)


def run(data: DataSet, seconds: float, warmup: float = 1.0, clients: int = 8, workers: int = 2,
        wrk: str | None = None) -> list[Figure]:
    """`data` must be a private copy: the POST scenarios file real tickets into it. Every scenario is driven by the
    Python clients and, when the `wrk` command is there (or `wrk` names it), by wrk as well (a C client that leaves
    the CPU to the server): two rows, each against the target, with the server's and the client's CPU per request."""
    from sqlalchemy import text

    wrk = wrk or shutil.which("wrk")
    meta = data.meta
    app = data.app()
    from inspect_app.extensions import db
    with app.app_context():
        lon, lat = json.loads(db.session.execute(text("SELECT coords_json FROM segments WHERE id = 1")).scalar())[0]
        tickets = db.session.execute(text("SELECT MAX(id) FROM tickets")).scalar()
        db.session.remove()
        db.engine.dispose()
    server = Server(data, workers)
    work = Path(tempfile.mkdtemp(prefix="throughput-"))
    try:
        status, body = server.request("POST", "/api/v1/auth/token",
                                      json.dumps({"username": meta["inspector"], "password": meta["password"]}),
                                      {"Content-Type": "application/json"})
        assert status == 200, body
        auth = {"Authorization": f"Bearer {json.loads(body)['token']}"}
        small = phone_page_jpeg()
        jolla = (ROOT / "tests/photos/mobile_jolla.jpg").read_bytes()
        photo_meta = json.dumps([{"lat": lat, "lon": lon, "taken_at": "2026-11-28T09:30:00+08:00"}])
        fields = {"category": "niupixuan", "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "description": "基准测试上报",
                  "photo_meta": photo_meta}
        scenarios = [
            Scenario("GET /healthz (one SELECT 1; the stack's own ceiling)", None, "/healthz", auth=False),
            Scenario("GET /api/v1/tickets?per_page=100", 350, "/api/v1/tickets?per_page=100"),
            Scenario("GET /api/v1/tickets/<id>", 1000, "/api/v1/tickets/{id}"),
            Scenario(f"POST /api/v1/tickets, 1600 px phone-page JPEG ({len(small) // 1024} KB)", 100,
                     "/api/v1/tickets", "POST", fields, ("photo1.jpg", small)),
            Scenario(f"POST /api/v1/tickets, mobile_jolla.jpg sent raw ({len(jolla) // 1024} KB, 8 MP)", None,
                     "/api/v1/tickets", "POST", fields, ("mobile_jolla.jpg", jolla)),
        ]
        ids = work / "ids.txt"
        ids.write_text("".join(f"{k}\n" for k in range(1, tickets + 1)))
        figures = []
        for scenario in scenarios:
            cpu0, client0 = server.cpu_seconds(), time.process_time()
            outcome, elapsed = drive(server.port, scenario.python_request(auth, tickets), clients, seconds, warmup)
            cpu1, client1 = server.cpu_seconds(), time.process_time()
            # CPU is counted over the warm-up too: per request of everything answered in that time
            answered = max(1, outcome.answered)
            figures.append(_figure(scenario, f"{clients} Python clients", len(outcome.latencies) / elapsed,
                                   outcome.latencies, outcome.errors, elapsed, data.spec.tickets,
                                   server_ms=(cpu1 - cpu0) / answered * 1000,
                                   client_ms=(client1 - client0) / answered * 1000))
            if wrk:
                figures.append(_wrk_figure(scenario, wrk, server, auth, work, ids, clients, seconds, warmup,
                                           data.spec.tickets))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return figures


def _wrk_figure(scenario: Scenario, wrk: str, server: Server, auth: dict, work: Path, ids: Path, clients: int,
                seconds: float, warmup: float, tickets: int) -> Figure:
    from .wrk_client import multipart as wrk_multipart, run_wrk, script_text

    body = content_type = file_path = None
    if scenario.form or scenario.file:
        files = []
        if scenario.file:
            file_path = work / scenario.file[0]
            file_path.write_bytes(scenario.file[1])
            files = [("photos", str(file_path))]
        body, content_type = wrk_multipart(list(scenario.form.items()), files)
    script = work / "scenario.lua"
    script.write_text(script_text(scenario.method, scenario.path, body, content_type,
                                  str(file_path) if file_path else None, str(ids)))
    headers = [f"{k}: {v}" for k, v in auth.items()] if scenario.auth else []
    base = f"http://127.0.0.1:{server.port}"
    if warmup > 0:
        run_wrk(wrk, base, str(script), warmup, clients, 60, headers)
    cpu0, client0 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run_wrk(wrk, base, str(script), seconds, clients, 60, headers)
    cpu1, client1 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    n, elapsed = out["requests"], out["duration_us"] / 1e6
    errors = {k: out[k] for k in ("connect", "read", "write", "status", "timeout") if out[k]}
    client_s = client1.ru_utime - client0.ru_utime + client1.ru_stime - client0.ru_stime
    return _figure(scenario, f"wrk, {clients} connections", n / elapsed if elapsed else 0.0, None, errors, elapsed,
                   tickets, server_ms=(cpu1 - cpu0) / max(1, n) * 1000, client_ms=client_s / max(1, n) * 1000,
                   p50=out["p50_us"] / 1000, p95=out["p95_us"] / 1000, requests=n)


def _figure(scenario: Scenario, client: str, rate: float, latencies: list[float] | None, errors: dict,
            elapsed: float, tickets: int, *, server_ms: float, client_ms: float, p50: float | None = None,
            p95: float | None = None, requests: int | None = None) -> Figure:
    if latencies is not None:
        p50, p95, requests = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000, len(latencies)
    target = scenario.target
    return Figure(
        "throughput", f"{scenario.what}: gunicorn 2 sync workers, {client}, {tickets:,} tickets",
        "SQLite", rate, "req/s", f"≥ {target:,} req/s" if target else "report",
        ok=(rate >= target and not errors) if target else None,
        detail={"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "requests": requests, "seconds": elapsed,
                "errors": errors, "server_cpu_ms_per_req": round(server_ms, 2),
                "client_cpu_ms_per_req": round(client_ms, 2)})
