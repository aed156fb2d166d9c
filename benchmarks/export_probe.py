"""One ticket export in a fresh process, for its peak memory: python -m benchmarks.export_probe JSON-ARGS.

Run by the suite as a subprocess, so the peak resident set (ru_maxrss) is this export's and not the suite's.
Prints one JSON line: rows, bytes, seconds, time to the first chunk, resident memory before the request and at
the peak (high-water mark).
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

    app = make_app(args["url"], Path(args["uploads"]), args.get("schema"))
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == args["user"]))
        token, _ = issue_token(user, utcnow(), 1)
        db.session.commit()
    client = app.test_client()
    url = f"/api/v1/tickets/export.{args['format']}?category={args['category']}"
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/tickets/export.csv?category=none", headers=headers).close()  # imports, first query
    before, peak_before = memory_mb()
    start = time.perf_counter()
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
    print(json.dumps({"format": args["format"], "bytes": size, "chunks": chunks, "rows": lines - 1 if lines else None,
                      "seconds": seconds, "first_chunk_s": first, "rss_before_mb": before,
                      "peak_before_mb": peak_before,
                      "peak_rss_mb": memory_mb()[1]}))


if __name__ == "__main__":
    main()
