"""The table (printed and written as Markdown), with the machine, the date and the notes."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

# One line per index, query shape or cache the figures depend on (kept here so the document is regenerated whole).
CHOICES = [
    "`ix_tickets_unit_status_deadline (unit_id, status, deadline)` (tickets/models.py): a unit's open and overdue "
    "tickets are one index range; the list's count is answered from the index alone.",
    "`ix_tickets_status_deadline (status, deadline)` (tickets/models.py): the office's status lists and "
    "the dashboard's \"overdue now\" count.",
    "`ix_tickets_status_level_deadline (status, escalation_level, deadline, unit_id)` (escalation/models.py): the "
    "sweep's candidates are a few range scans over open, overdue, not-yet-top-level tickets, covering, so the "
    "sweep follows the number of overdue tickets and not the table's size.",
    "`ix_tickets_deadline_cover (deadline, unit_id, status, escalation_level, rectified_at, closed_at, rework_count, "
    "extension_count)` (rankings/models.py): the red/black list's GROUP BY reads one index range and no table rows.",
    "`ix_tickets_closed_at` (dashboard/models.py) and the `reported_at` index (tickets/models.py): the dashboard's "
    "new/closed counts per week are index-only COUNT(*)s over a range.",
    "Lists eager-load what their pages show in one extra query (`selectinload` of photos for the web lists, of "
    "events and their photos for a ticket's page and API detail) instead of one query per ticket or event; the "
    "nested units of category, segment and reporter (which lists never show) are not joined.",
    "Dashboard: every figure is a SQL aggregate over an indexed range; the page's data is cached per process for "
    "DASHBOARD_CACHE_SECONDS (60 s) and recomputed in the background of one request while others get the previous "
    "figures (dashboard/services.py).",
    "Exports read with a server-side cursor in batches of 1,000 (`yield_per`) and write CSV in chunks or xlsx with "
    "openpyxl's write-only mode into a temporary file, so memory stays flat whatever the row count.",
    "No ANALYZE on SQLite (the app never runs it, so the benchmark does not either); PostgreSQL is ANALYZEd after the "
    "bulk load, as autovacuum would do.",
]

# Why a figure misses, by benchmark name; shown only for rows that miss.
WHY: dict[str, str] = {}


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit in ("req/s",) or abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.2f}"
    return f"{text} {unit}".strip()


def rows(result: dict) -> list[list[str]]:
    out = []
    for f in result["figures"]:
        verdict = {True: "met", False: "MISSED", None: "(report)"}[f["ok"]]
        floor = _fmt(f["floor"], f["unit"]) if f["floor"] is not None else "—"
        if f["floor_what"]:
            floor += f" ({f['floor_what']})"
        ratio = f"{f['ratio']:.2f}×" if f["ratio"] is not None else "—"
        figure = _fmt(f["value"], f["unit"])
        if "p95_ms" in f["detail"] and f["unit"] != "ms":
            figure += f", p95 {f['detail']['p95_ms']:.0f} ms"
        elif "p95_ms" in f["detail"]:
            figure += f" (p95 {f['detail']['p95_ms']:.1f})"
        out.append([f["what"], f["database"] or "—", figure, floor, ratio, f["target"], verdict])
    return out


HEADERS = ["what", "database", "figure (median)", "floor", "ratio", "target", "result"]


def text_table(result: dict) -> str:
    table = [HEADERS] + rows(result)
    widths = [min(max(len(r[i]) for r in table), 90 if i == 0 else 60) for i in range(len(HEADERS))]
    lines = []
    for n, row in enumerate(table):
        lines.append("  ".join(cell[:widths[i]].ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown_table(result: dict) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows(result):
        lines.append("| " + " | ".join(_md(c) for c in row) + " |")
    return "\n".join(lines)


def header(result: dict) -> str:
    m = result["machine"]
    when = datetime.fromisoformat(result["date"])
    local = when.astimezone(ZoneInfo("Asia/Shanghai"))
    size = result["size"]
    return (f"Date: {when:%Y-%m-%d %H:%M} UTC ({local:%Y-%m-%d %H:%M} Asia/Shanghai). "
            f"Machine: {m.get('cores')} cores ({m.get('cpu', 'unknown CPU')}), {m.get('memory_gb')} GB memory, "
            f"{m.get('platform')}; Python {m.get('python')}, SQLite {m.get('sqlite')}"
            + (f"; {result['databases'][1]}" if len(result["databases"]) > 1 else "") + ".\n"
            f"Load average (1/5/15 min) before: {' / '.join(map(str, result['load_before']))}, after: "
            f"{' / '.join(map(str, result['load_after']))}. "
            f"Run: {'--quick' if result['quick'] else 'full'}, city of {size['city']:,} tickets, "
            f"{size['repeats']}–{size['fast_repeats']} interleaved runs per timing, {result['seconds']:.0f} s in all.")


def details(result: dict) -> list[str]:
    lines = []
    for f in result["figures"]:
        if f["detail"]:
            shown = ", ".join(f"{k}={v if not isinstance(v, float) else round(v, 2)}" for k, v in f["detail"].items())
            lines.append(f"- {f['what']} [{f['database'] or '—'}]: {shown}")
    return lines


def markdown(result: dict, command: str) -> str:
    missed = sorted({f["name"] for f in result["figures"] if f["ok"] is False})
    parts = [
        "# Benchmarks",
        "",
        "Written by `python -m benchmarks`; regenerate rather than edit. Every timing is the median of several runs "
        "taken in the same process as its floor and interleaved with it (the machine is shared and noisy). The city: "
        "184 units, 2,000 road segments and the tickets of three years with their events and photo rows "
        "(benchmarks/city.py).",
        "",
        "How to run, from the project root: `python -m benchmarks` (the full run; the first one builds the 1M-ticket "
        "city into benchmarks/out/, later ones reuse it until a model changes); `--quick` for a 10,000-ticket run in "
        "about a minute; `--database-url postgresql://...` (or `DATABASE_URL`) to measure PostgreSQL as well (the "
        "data goes into its own `bench_*` schema); `--only NAME` for one benchmark (`--help` lists them).",
        "",
        f"This run: `{command}`",
        "",
        header(result),
        "",
        markdown_table(result),
        "",
    ]
    if missed:
        parts += ["## Targets missed, and why", ""]
        for name in missed:
            parts.append(f"- **{name}**: {WHY.get(name, 'see the details below.')}")
        parts.append("")
    parts += ["## Indexes, query shapes and caching", ""] + [f"- {c}" for c in CHOICES] + [""]
    parts += ["## Details", ""] + details(result) + [""]
    if result["builds"]:
        parts += ["## Data sets", ""] + [f"- {b}" for b in result["builds"]] + [""]
    if result["errors"]:
        parts += ["## Errors", "", "```"] + [e.strip() for e in result["errors"]] + ["```", ""]
    return "\n".join(parts)
