"""One ticket export in a fresh process, for its peak memory: python -m benchmarks.export_probe JSON-ARGS.

Run by the suite (and benchmarks/bench_export.py) as a subprocess, so the peak resident set is this export's and
not the suite's. Prints one JSON line: rows, bytes, seconds, time to the first chunk, resident memory before the
request and at the peak (high-water mark).

JSON-ARGS: url, schema, uploads, user, format (xlsx|csv), category (optional: the list's filter; none: every
ticket), mode: "stream" (default: GET /api/v1/tickets/export.<format> streamed in the request, whatever its size)
or "job" (the same GET with every export sent to a background job: the 202, then the job run in this process as a
runner thread would, then its file downloaded).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def memory_mb() -> tuple[float, float]:
    """(resident now, resident high-water mark) of this process. VmHWM belongs to this process's memory map;
    ru_maxrss would not do: Linux carries the parent's peak over into a child across fork and exec."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def main() -> None:
    args = json.loads(sys.argv[1])
    from benchmarks.city import make_app
    from inspect_app.auth.models import User
    from inspect_app.auth.services import issue_token
    from inspect_app.common.timeutil import utcnow
    from inspect_app.extensions import db

    mode = args.get("mode", "stream")
    app = make_app(args["url"], Path(args["uploads"]), args.get("schema"),
                   EXPORT_INLINE_MAX_ROWS=0 if mode == "job" else 10**9, JOBS_WORKER_THREADS=0)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == args["user"]))
        token, _ = issue_token(user, utcnow(), 1)
        db.session.commit()
    client = app.test_client()
    url = f"/api/v1/tickets/export.{args['format']}" + (f"?category={args['category']}" if args.get("category") else "")
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():  # imports, first query (EXPORT_INLINE_MAX_ROWS does not apply to an empty export)
        app.config["EXPORT_INLINE_MAX_ROWS"], inline = 10**9, app.config["EXPORT_INLINE_MAX_ROWS"]
        client.get("/api/v1/tickets/export.csv?category=none", headers=headers).close()
        app.config["EXPORT_INLINE_MAX_ROWS"] = inline
    before, peak_before = memory_mb()
    start = time.perf_counter()
    job_s = None
    if mode == "job":
        from inspect_app.background.runner import run_pending
        queued = client.get(url, headers=headers)
        assert queued.status_code == 202, queued.status_code
        assert run_pending(app) == 1
        job_s = time.perf_counter() - start
        job = client.get(queued.get_json()["job"]["url"], headers=headers).get_json()["job"]
        assert job["status"] == "done", job
        url = job["download_url"]
    response = client.get(url, headers=headers, buffered=False)
    assert response.status_code == 200, response.status_code
    size, first, chunks, lines = 0, None, 0, 0
    for chunk in response.response:
        if first is None:
            first = time.perf_counter() - start
        size += len(chunk)
        chunks += 1
        if args["format"] == "csv":
            lines += chunk.count(b"\n")
    response.close()
    seconds = time.perf_counter() - start
    print(json.dumps({"format": args["format"], "mode": mode, "job_s": job_s, "bytes": size, "chunks": chunks, "rows": lines - 1 if lines else None,
                      "seconds": seconds, "first_chunk_s": first, "rss_before_mb": before,
                      "peak_before_mb": peak_before,
                      "peak_rss_mb": memory_mb()[1]}))


if __name__ == "__main__":
    main()
