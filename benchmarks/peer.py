"""Side by side with the peer (6aika/issue-reporting, Helsinki's Open311 server): `python -m benchmarks --peer`.

Runs the shared harness (shared/bench/peer/side-by-side.sh: both servers under gunicorn with 2 sync workers on
the same box, SQLite, 10,000 tickets each, 8 closed-loop clients, each workload interleaved peer, ours, ours,
peer), then writes its figures into docs/benchmarks.md between <!-- peer:KEY --> markers, with the date, the
commit and the machine's load before and after. The peer's code lives in a scratch folder outside the project
(PEER, set up as the harness's README says); nothing of it is ever committed.

    PEER=/tmp/peer python -m benchmarks --peer [--peer-rounds 2] [--peer-duration 15]
    python -m benchmarks --peer --peer-render $PEER/side-by-side.jsonl --peer-key before --peer-title "..."

Figures per workload: median req/s of each side's runs, median p95, ours/peer of the medians and its range over
the rounds (each round pairs one peer run with one of ours), and the server CPU per request (the servers'
processes' CPU time over requests served: the steadiest figure on a shared machine).
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs/benchmarks.md"
WORKLOADS = {
    "list-100": "list, 100 per page (peer `GET requests.json`, ours `GET /api/v1/tickets?per_page=100`)",
    "detail": "one ticket, a random id (peer `GET requests/{id}.json`, ours `GET /api/v1/tickets/{id}`)",
    "photo-post-raw": "file a report with the raw 8 MP `mobile_jolla.jpg` (793 KiB) (peer stores the file raw; "
                      "ours checks it by content, decodes it fully, orients, strips EXIF, stores it and a thumbnail)",
    "ceiling-me": "ceiling (--peer-ceiling): the peer's one ticket against our emptiest API call, `GET /api/v1/auth/me` "
                  "(token from the cache, the user as JSON, no ticket read)",
    "ceiling-healthz": "ceiling (--peer-ceiling): the peer's one ticket against our `GET /healthz` (no token, one "
                       "SELECT 1)",
    "floor-store": "floor (--peer-floor): the peer's filing against a bare upload of the same photo "
                   "(benchmarks/upload_floor.py /store: Flask parses the form, the file is written and fsync'd; "
                   "no check, no ticket)",
    "floor-check": "floor (--peer-floor): the peer's filing against the cheapest full check of the same photo "
                   "(/check: /store plus the marker walk and every scan decoded at 1/8 scale; no ticket)",
    "floor-photo": "floor (--peer-floor): the peer's filing against our photo work alone (/photo: process_image, "
                   "the stamped copy, the three files fsync'd; no token, no ticket, no database)",
}
# With --peer-ceiling, after the harness's three workloads: how far an empty request of ours goes against the peer's
# one-ticket read, in the same run and with the same client and servers. A detail cannot beat its own empty request.
CEILING_SCENARIOS = (
    'scenario ceiling-me --path "/api/georeport/v2/requests/{id}.json" --ids-file "$PEER/ids.txt" -- '
    '--path /api/v1/auth/me\n'
    'scenario ceiling-healthz --path "/api/georeport/v2/requests/{id}.json" --ids-file "$PEER/ids.txt" -- '
    '--path /healthz\n')
# With --peer-floor, after those: the peer's filing against benchmarks/upload_floor.py (a third gunicorn with 2 sync
# workers, port 8314), whose routes do only a prefix of a filing's photo work. /check is as far as any filing that
# checks the whole photo can go on this stack, whatever the rest of it costs.
_PEER_PHOTO = ('--method POST --path "/api/georeport/v2/requests.json?extensions=media" --form service_code=ad '
               '--form lat={lat} --form long={long} --form "description=Photo report {rand}" --file "media=$PHOTO"')
FLOOR_SCENARIOS = r"""
rm -rf "$OURS/floor"  # what an earlier run uploaded: nothing reads it, and one run writes gigabytes
(cd "$PROJ" && FLOOR_UPLOADS="$OURS/floor" exec "$PROJ_VENV/bin/gunicorn" 'benchmarks.upload_floor:create_app()' \
   --bind 127.0.0.1:8314 --workers 2 --access-logfile /dev/null --error-logfile "$OURS/floor-error.log" \
   --pid "$OURS/floor.pid" --no-control-socket) &
trap 'kill $(cat "$PEER/gunicorn.pid" "$OURS/gunicorn.pid" "$OURS/floor.pid" 2>/dev/null) 2>/dev/null || true' EXIT
for _ in $(seq 60); do [ -s "$OURS/floor.pid" ] && curl -s -o /dev/null http://127.0.0.1:8314/ && break; sleep 1; done
FPID=$(cat "$OURS/floor.pid")
floor() { # name route
  "$PY" "$PEER/bench.py" --base http://127.0.0.1:8314 --server-pid "$FPID" --json-out "$OUT" -d "$DUR" \
     --label "ours:floor-$1" --method POST --path "/$1" --file "photos=$PHOTO" >/dev/null
}
for f in store check photo; do
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then peer "floor-$f" PEER_PHOTO; sleep 2; floor "$f"
    else floor "$f"; sleep 2; peer "floor-$f" PEER_PHOTO; fi
    sleep 2
  done
done
kill "$FPID" 2>/dev/null || true
sleep 1; rm -rf "$OURS/floor"
""".replace("PEER_PHOTO", _PEER_PHOTO)
TARGETS = {"list-100": 3.0, "detail": 3.0, "photo-post-raw": 1.5}  # issue 17


def harness_dir(given: str | None) -> Path:
    candidates = [Path(given)] if given else []
    if os.environ.get("PEER_HARNESS"):
        candidates.append(Path(os.environ["PEER_HARNESS"]))
    candidates += [ROOT.parent / "shared/bench/peer", ROOT.parent.parent / "shared/bench/peer"]
    for folder in candidates:
        if (folder / "side-by-side.sh").is_file():
            return folder.resolve()
    raise SystemExit("side-by-side.sh not found: pass --peer-harness or set PEER_HARNESS "
                     "(the shared folder's bench/peer)")


def loadavg() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def adapted(script: Path, folder: Path, into: Path, ceiling: bool, client: str, floor: bool = False) -> Path:
    """A copy of side-by-side.sh that also runs CEILING_SCENARIOS and/or FLOOR_SCENARIOS before printing its
    table, and/or drives the same workloads with wrk (benchmarks/wrk_client.py) instead of bench.py (the harness
    itself is shared and left as it is)."""
    text = script.read_text(encoding="utf-8")
    table = '"$PY" - "$OUT" <<'
    if table not in text or 'HERE=$(cd "$(dirname "$0")" && pwd)' not in text or '"$PEER/bench.py"' not in text:
        raise SystemExit(f"{script} has changed: cannot adapt it")
    text = text.replace('HERE=$(cd "$(dirname "$0")" && pwd)', f"HERE={folder}")
    if ceiling:
        text = text.replace(table, CEILING_SCENARIOS + "\n" + table, 1)
    if floor:
        text = text.replace(table, FLOOR_SCENARIOS + "\n" + table, 1)
    if client == "wrk":
        text = text.replace('"$PEER/bench.py"', f'"{ROOT / "benchmarks/wrk_client.py"}"')
    into.write_text(text, encoding="utf-8")
    return into


def run(peer: str | None, harness: str | None, rounds: int, duration: int, key: str, title: str | None,
        ceiling: bool = False, client: str = "bench", floor: bool = False) -> int:
    peer_dir = Path(peer or os.environ.get("PEER", ""))
    folder = harness_dir(harness)
    if not peer or not (peer_dir / "venv").is_dir() or not (peer_dir / "ids.txt").is_file():
        print(f"PEER must be a scratch folder set up as {folder / 'README.md'} says (venv, env.sh, bench.py, "
              "seeded db and ids.txt); pass --peer-dir or set PEER.", file=sys.stderr)
        return 2
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M")
    out = peer_dir / f"side-by-side-{stamp}.jsonl"
    env = {**os.environ, "PEER": str(peer_dir), "PROJ": str(ROOT), "PROJ_VENV": sys.prefix, "OUT": str(out),
           "ROUNDS": str(rounds), "DUR": str(duration)}
    before, started = loadavg(), time.monotonic()
    script = folder / "side-by-side.sh"
    if client == "wrk" and not shutil.which("wrk"):
        print("--peer-client wrk needs the wrk command (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    if ceiling or floor or client != "bench":
        script = adapted(script, folder, peer_dir / "side-by-side-adapted.sh", ceiling, client, floor)
    print(f"side by side: {rounds} rounds x {duration} s per run, {3 + 2 * ceiling + 3 * floor} workloads; load before "
          f"{before}", flush=True)
    result = subprocess.run(["bash", str(script)], env=env, cwd=ROOT)
    after = loadavg()
    if result.returncode != 0 or not out.is_file():
        print(f"side-by-side.sh failed (exit {result.returncode})", file=sys.stderr)
        return 1
    kept = ROOT / "benchmarks/out" / out.name  # every run's raw lines kept beside the other benchmark figures
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, kept)
    meta = {"date": datetime.now(timezone.utc), "load_before": before, "load_after": after, "rounds": rounds,
            "client": "wrk (benchmarks/wrk_client.py)" if client == "wrk" else "bench.py",
            "duration": duration, "seconds": time.monotonic() - started, "commit": commit(), "raw": kept.name}
    section = render(load(out), meta, title or "Latest run")
    write_section(key, section)
    print(section)
    print(f"written: {DOC} (raw figures: {kept})")
    return 0


def render_file(path: str, key: str, title: str | None, note: str = "") -> int:
    rows = load(Path(path))
    stat = Path(path).stat()
    # the load generator as the raw lines name it (a run with wrk rendered again is not a bench.py run)
    client = "wrk (benchmarks/wrk_client.py)" if rows and all(r.get("client") == "wrk" for r in rows) else "bench.py"
    meta = {"date": datetime.fromtimestamp(stat.st_mtime, timezone.utc), "load_before": "n/a", "load_after": "n/a",
            "rounds": None, "duration": None, "seconds": None, "commit": note or "unknown", "raw": Path(path).name,
            "client": client}
    section = render(rows, meta, title or "Run")
    write_section(key, section)
    print(section)
    return 0


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def summarise(rows: list[dict]) -> dict[str, dict]:
    by: dict[str, dict[str, list[dict]]] = {}
    for row in rows:
        side, name = row["label"].split(":", 1)
        by.setdefault(name, {}).setdefault(side, []).append(row)
    result = {}
    for name, sides in by.items():
        peer, ours = sides.get("peer", []), sides.get("ours", [])
        if not peer or not ours:
            continue
        med = lambda runs, k: statistics.median(r[k] for r in runs if r.get(k) is not None)  # noqa: E731
        pairs = [o["rps"] / p["rps"] for p, o in zip(peer, ours) if p.get("rps")]
        result[name] = {
            "peer_rps": med(peer, "rps"), "ours_rps": med(ours, "rps"),
            "peer_p95": med(peer, "p95_ms"), "ours_p95": med(ours, "p95_ms"),
            "peer_cpu": med(peer, "server_cpu_ms_per_req"), "ours_cpu": med(ours, "server_cpu_ms_per_req"),
            "errors": (sum(r.get("errors", 0) for r in peer), sum(r.get("errors", 0) for r in ours)),
            "runs": (len(peer), len(ours)), "pair_ratios": pairs,
        }
        result[name]["ratio"] = result[name]["ours_rps"] / result[name]["peer_rps"]
    return result


def render(rows: list[dict], meta: dict, title: str) -> str:
    figures = summarise(rows)
    shanghai = meta["date"].astimezone(ZoneInfo("Asia/Shanghai"))
    lines = [f"### {title}", ""]
    how = (f"{meta['rounds']} rounds of {meta['duration']} s per run, " if meta["rounds"] else "")
    lines.append(f"Date: {meta['date']:%Y-%m-%d %H:%M} UTC ({shanghai:%Y-%m-%d %H:%M} Asia/Shanghai). "
                 f"Commit: {meta['commit']}. Machine: {os.cpu_count()} cores "
                 f"({platform.processor() or platform.machine()}), {platform.platform()}. "
                 f"Client: {meta.get('client', 'bench.py')}. {how}load average (1/5/15 min) "
                 f"before: {meta['load_before']}, after: {meta['load_after']}. "
                 f"Raw figures: benchmarks/out/{meta['raw']}.")
    lines += ["", "| workload | peer req/s | ours req/s | ours/peer (range over rounds) | target | peer p95 ms | "
              "ours p95 ms | server CPU per request, peer / ours | errors peer/ours |", "|---|---|---|---|---|---|---|---|---|"]
    for name, f in figures.items():
        target = TARGETS.get(name)
        spread = (f" ({min(f['pair_ratios']):.2f}–{max(f['pair_ratios']):.2f})" if len(f["pair_ratios"]) > 1 else "")
        verdict = "" if target is None else f"≥ {target:g}× ({'met' if f['ratio'] >= target else 'MISSED'})"
        lines.append(f"| {WORKLOADS.get(name, name)} | {f['peer_rps']:.1f} | {f['ours_rps']:.1f} | "
                     f"{f['ratio']:.2f}×{spread} | {verdict} | {f['peer_p95']:.0f} | {f['ours_p95']:.0f} | "
                     f"{f['peer_cpu']:.1f} / {f['ours_cpu']:.1f} ms | {f['errors'][0]}/{f['errors'][1]} |")
    return "\n".join(lines) + "\n"


_SECTION_HEAD = "## Side by side with the peer (`python -m benchmarks --peer`)"
_SECTION_INTRO = (
    "6aika/issue-reporting (Helsinki's Open311 GeoReport v2 server, Django 3.2 + DRF), set up in a scratch folder "
    "outside the project and run by shared/bench/peer/side-by-side.sh on the same machine in the same run: gunicorn "
    "with 2 sync workers each, SQLite, 10,000 tickets each, 8 closed-loop clients, 15 s per run, each workload "
    "interleaved peer, ours, ours, peer. Absolute figures move with other load on the shared machine; the ratios and "
    "the server CPU per request are what count. Targets from issue 17. This section is kept when the rest of the "
    "file is regenerated.")


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- peer:{key} -->", f"<!-- /peer:{key} -->"


def peer_block(text: str) -> str:
    """The side-by-side part of docs/benchmarks.md (heading, intro and every keyed section), or ''."""
    start = text.find(_SECTION_HEAD)
    if start < 0:
        return ""
    end = text.find("<!-- /peer-section -->", start)
    return text[start:end + len("<!-- /peer-section -->")] if end >= 0 else ""


def keep_peer_block(old: str, new: str) -> str:
    """Used when `python -m benchmarks` rewrites the file: carry the side-by-side part over."""
    block = peer_block(old)
    return new if not block or peer_block(new) else new.rstrip("\n") + "\n\n" + block + "\n"


def write_section(key: str, section: str, doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    block = peer_block(text)
    if not block:
        block = f"{_SECTION_HEAD}\n\n{_SECTION_INTRO}\n\n<!-- /peer-section -->"
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    begin, end = _markers(key)
    wrapped = f"{begin}\n{section.rstrip()}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(block):
        new_block = pattern.sub(lambda _: wrapped, block)
    else:  # newest first, right after the intro
        head, _, rest = block.partition(_SECTION_INTRO)
        new_block = head + _SECTION_INTRO + "\n\n" + wrapped + rest
    doc.write_text(text.replace(block, new_block), encoding="utf-8")
