"""python -m benchmarks [--quick] [--database-url URL] [--only NAME ...] [--out docs/benchmarks.md]

Builds (or reuses, from benchmarks/out/) a synthetic city — 184 units, 2,000 road segments, 1,000,000 tickets over
three years with their events and photo rows — on SQLite, and on PostgreSQL too when --database-url (or
DATABASE_URL) points at one (the data goes into its own schema, bench_*). Then measures every figure of issue 7
against its floor, prints one table and writes it, with the machine and the date, to --out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import peer, report
from .bench_assessment import keep_block as keep_assessment
from .city import DEFAULT_CACHE, ROOT, is_postgres
from .suite import BENCHMARKS, Suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="benchmarks: " + "; ".join(f"{k}: {v}" for k, v in BENCHMARKS.items()))
    parser.add_argument("--quick", action="store_true",
                        help="a small city (10,000 tickets) and few repeats: checks that everything runs")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL to measure as well (default: DATABASE_URL if it is PostgreSQL)")
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), metavar="NAME",
                        help="run only this benchmark (repeatable): " + ", ".join(BENCHMARKS))
    parser.add_argument("--out", default=None,
                        help="Markdown report (default docs/benchmarks.md; with --quick benchmarks/out/quick.md)")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="where built data sets are kept")
    parser.add_argument("--json", default=None, help="where to keep the raw figures as JSON (default: in --cache, named after --out)")
    parser.add_argument("--render", default=None, metavar="JSON",
                        help="measure nothing: write --out again from a saved JSON result (e.g. after editing notes)")
    parser.add_argument("--peer", action="store_true",
                        help="measure nothing else: run side by side with the peer (benchmarks/peer.py) and write "
                             "its table into docs/benchmarks.md")
    parser.add_argument("--peer-dir", default=os.environ.get("PEER"), help="the peer's scratch folder (default: PEER)")
    parser.add_argument("--peer-harness", default=None, help="folder of side-by-side.sh (default: ../shared/bench/peer)")
    parser.add_argument("--peer-rounds", type=int, default=2)
    parser.add_argument("--peer-ceiling", action="store_true",
                        help="with --peer: also run our empty requests (/api/v1/auth/me, /healthz) against the peer's "
                             "one ticket, the ceiling of the one-ticket ratio")
    parser.add_argument("--peer-floor", action="store_true",
                        help="with --peer: also run the peer's filing against benchmarks/upload_floor.py's bare "
                             "upload, cheapest full check and photo work alone, the floors of the filing ratio")
    parser.add_argument("--peer-client", choices=("bench", "wrk"), default="bench",
                        help="with --peer: the harness's load generator (bench.py, Python threads) or wrk "
                             "(benchmarks/wrk_client.py: the same workloads, a C client that leaves the CPU to the "
                             "servers)")
    parser.add_argument("--peer-duration", type=int, default=15, help="seconds per run")
    parser.add_argument("--peer-key", default="latest", help="which table in the section to replace")
    parser.add_argument("--peer-title", default=None)
    parser.add_argument("--peer-render", default=None, metavar="JSONL",
                        help="measure nothing: write a table from a saved side-by-side JSONL")
    parser.add_argument("--peer-note", default="", help="with --peer-render: what was measured (e.g. a commit)")
    args = parser.parse_args(argv)
    if args.peer_render:
        return peer.render_file(args.peer_render, args.peer_key, args.peer_title, args.peer_note)
    if args.peer:
        return peer.run(args.peer_dir, args.peer_harness, args.peer_rounds, args.peer_duration, args.peer_key,
                        args.peer_title, args.peer_ceiling, args.peer_client, args.peer_floor)
    if args.render:
        saved = json.loads(Path(args.render).read_text(encoding="utf-8"))
        out = Path(args.out) if args.out else ROOT / "docs/benchmarks.md"
        old = out.read_text(encoding="utf-8") if out.exists() else ""
        out.write_text(keep_assessment(old, peer.keep_peer_block(old, report.markdown(saved["result"], saved["command"]))),
                       encoding="utf-8")
        print(report.text_table(saved["result"]))
        print(f"\nwritten: {out}")
        return 0

    database_url = args.database_url or os.environ.get("DATABASE_URL") or None
    if database_url and not is_postgres(database_url):
        database_url = None  # SQLite is always measured; another URL only matters when it is PostgreSQL
    out = Path(args.out) if args.out else (Path(args.cache) / "quick.md" if args.quick else ROOT / "docs/benchmarks.md")

    suite = Suite(args.quick, args.only, database_url, Path(args.cache), log=lambda m: print(m, flush=True))
    result = suite.run()
    print()
    print(report.text_table(result))
    print()
    print(report.header(result))
    command = "python -m benchmarks" + (" --quick" if args.quick else "") + \
        (" --database-url $DATABASE_URL" if database_url else "") + "".join(f" --only {n}" for n in args.only or [])
    saved = Path(args.json) if args.json else Path(args.cache) / (out.stem + ".json")
    saved.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"command": command, "result": result}, ensure_ascii=False, indent=1, default=str)
    saved.write_text(text, encoding="utf-8")
    stamp = result["date"][:16].replace(":", "").replace("-", "")
    saved.with_name(f"{saved.stem}-{stamp}.json").write_text(text, encoding="utf-8")  # every run kept
    out.parent.mkdir(parents=True, exist_ok=True)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    out.write_text(keep_assessment(old, peer.keep_peer_block(old, report.markdown(result, command))), encoding="utf-8")
    print(f"\nwritten: {out} (figures: {saved})")
    if result["errors"]:
        print("\nERRORS:\n" + "\n".join(result["errors"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
