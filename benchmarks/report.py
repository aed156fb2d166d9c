"""The table (printed and written as Markdown), with the machine, the date and the notes."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

# One line per index, query shape or cache the figures depend on (kept here so the document is regenerated whole).
CHOICES = [
    "`ix_tickets_unit_status_deadline (unit_id, status, deadline)` (tickets/models.py): a unit's open and overdue "
    "tickets are one index range; the API list's count is answered from the index alone and its page sorts only "
    "that unit's matching rows.",
    "`ix_tickets_status_level_deadline (status, escalation_level, deadline, unit_id)` (escalation/models.py): the "
    "sweep's candidates are a few covering range scans over open, overdue, not-yet-top-level tickets, so the sweep "
    "follows the number of overdue tickets, not the table's size.",
    "`ix_tickets_deadline_cover (deadline, unit_id, status, escalation_level, rectified_at, closed_at, rework_count, "
    "extension_count)` (rankings/models.py): the red/black list's GROUP BY reads one index range and no table rows.",
    "`ix_tickets_reported_cover`, `ix_tickets_closed_cover`, `ix_tickets_open_cover` (dashboard/models.py): each "
    "dashboard count or breakdown is a range over one column with the grouped columns (category, unit, segment) in "
    "the index, answered from the index alone.",
    "`ix_tickets_category_status (category_id, status)` (tickets/models.py): a category's tickets in one status "
    "(the dashboard's 在办 and 超期 by category link to that list) are counted from the index and paged newest first "
    "without a sort; through ix_tickets_category_id SQLite walked the category's 100,000 tickets of a million "
    "(140-250 ms a page, about 20 ms now).",
    "Query shapes (tickets/services.py, tickets/web.py, tickets/api.py): the models load category, unit, segment "
    "and reporter joined, and each of those their own unit; lists and a ticket's page skip the nested units "
    "(`lazyload`), a ticket's page and API detail load events, their photos and the photos with `selectinload` "
    "(3 queries instead of one per event), web lists load the cards' photos with one `selectinload` (instead of one "
    "query per ticket), and the open extension request no longer re-joins its ticket. Ticket page: 15 → 7 queries; "
    "unit list: 23 → 4.",
    "API reads (tickets/rows.py, issue 17): the ticket list, a ticket's detail and the answers to filing and to "
    "actions are built from Core rows of one joined SELECT (plus one query for the page's 主办/协办 parts, and "
    "events and photos for a detail) instead of ORM objects, with statements built once where they can be, and "
    "encoded with orjson; tests/test_api_rows.py holds them equal to serialize.ticket_dict. A detail's three "
    "statements are compiled once and run on the driver's cursor with the dialect's own type conversions "
    "(common/prepared.py): 0.22 ms of CPU for the three instead of 0.54 through SQLAlchemy, the whole request "
    "2.2 → 1.5 ms in process (stop 37). So are a list page's three (the count, the page's ids, and its rows by "
    "one statement per page size instead of an expanding IN of the ids): 2.3 ms of CPU in rows.list_page instead "
    "of 2.9 for a page of 100 (stop 44). Bearer tokens: a "
    "per-process cache of valid tokens (auth/token_cache.py, API_TOKEN_CACHE_SECONDS, 30 s), emptied on every "
    "commit that changes a user, unit or token, in every process of the host through a stamp file, so a "
    "revocation takes effect at once. Web ticket cards load their photos as id and kind only and the open "
    "extension without re-joining its ticket.",
    "Dashboard (dashboard/services.py): every figure is a range over a covering index; the breakdown sets are "
    "fetched as plain (category, unit, segment, flags) tuples and tallied with Counter (SQLite's GROUP BY sorts every "
    "row of the range first: ~4× the scan for a month's 27,000 due tickets). The result is stored in the database "
    "(snapshots.py) for DASHBOARD_CACHE_SECONDS (60 s) and renewed ahead of readers by the dashboard.refresh job "
    "every 30 s, so a page reads one row, links the map (one URL per unit, not per dot) and renders. Kept for "
    "DASHBOARD_SETTLED_SECONDS (1 h): ended weeks (one value) and months, the month's new and closed tickets of the "
    "days before today and its due tickets closed before today, and the map's lines and dot positions while the "
    "segments stay the same.",
    "Exports read one Core select through a server-side cursor in batches of 1,000 (tuples, timestamps formatted "
    "without per-value time-zone work) and write CSV in chunks or xlsx with the streaming SpreadsheetML writer "
    "(office/spreadsheets.py, about six times faster than XlsxWriter or openpyxl here) into a temporary file, so "
    "memory stays flat whatever the row count. The probe streams in the request; above EXPORT_INLINE_MAX_ROWS the "
    "app itself runs the export as a background job (python -m benchmarks.bench_export measures both).",
    "No ANALYZE on SQLite (the app never runs it, so the benchmark does not either); PostgreSQL is vacuumed and "
    "ANALYZEd after the bulk load (VACUUM (ANALYZE)), as autovacuum would do shortly after.",
    "Trade-off to watch: the tickets table now carries 18 secondary indexes, every one maintained on each filing "
    "and status change; `ix_tickets_reported_at` and `ix_tickets_status_deadline` are prefixes of the dashboard's "
    "covering indexes and could go.",
]

METHOD = [
    "Floors for the list pages and the red/black list are the SQL the app itself sent (captured from the engine) "
    "replayed as plain SQL on the same pooled connection (a pool of one), rows fetched; only the SQL is timed. "
    "Requests are the app's WSGI call outside any app context, each with a fresh session, logged in with a real "
    "bearer token or through the login form: the request's environ (cookies included) is built by Flask's test "
    "client once per URL, as a server builds its own in its own code, and the body is read and the response closed "
    "(benchmarks/inprocess.py, Client.get). Through the test client every time, a request costs about 0.3 ms more "
    "(its environ building and cookie jar); the API list's details give that figure too (through_test_client_ms).",
    "The list benchmarks use the busiest unit (the traffic police: every 乱停乱放 ticket, a tenth of the city) and "
    "its overdue tickets; the ticket page is a closed ticket with 10 events and 6 photos whose JPEGs exist on disk.",
    "Ingest: tests/photos has no 12 MP photo, so the Nokia 8.3 sample (9.1 MP) is scaled to 12 MP with its EXIF "
    "(quality 92); the figure is process_image() plus the photo row (insert, flush); the floor and the naive "
    "pipeline are benchmarks/bench_ingest.py's. Writing the two files (fsync'd) is reported in the details.",
    "Escalation: two `open` data sets (1,000,000 and 100,000 assigned tickets, 2,000 of each a few hours overdue, "
    "spread over the units); every run undoes the previous run's writes first (untimed).",
    "Phone: Chromium as a Pixel 7 with location on, cache disabled; the app leaves compression to its reverse "
    "proxy, so it is served through a gzip middleware equivalent to nginx `gzip on`; bytes are Chromium's encoded "
    "sizes per response (headers included) for every request of the page (HTML, CSS, JS, the nearest-segments "
    "JSON). The photo row is the POST body the page sends after scaling the 12 MP JPEG in the browser.",
    "Export: a fresh process per format (so the peak is the export's), peak resident memory from VmHWM; 100,000 "
    "rows are one category of the 1M city.",
    "Throughput: gunicorn with 2 sync workers on 127.0.0.1 over a copy of a 10,000-ticket city, 8 client threads "
    "(http.client; sync workers close each connection), 2 s warm-up then 15 s per scenario; p50/p95 of the requests "
    "completed inside the window.",
]


def _find(figures: list[dict], name: str, what: str = "", database: str | None = None) -> dict | None:
    for f in figures:
        if f["name"] == name and what in f["what"] and (database is None or f["database"] == database):
            return f
    return None


def _ms(value) -> str:
    return "?" if value is None else f"{value:.1f} ms"


def _why_api_list(figures):
    parts = []
    for f in (x for x in figures if x["name"] == "api_list"):
        d = f["detail"]
        parts.append(f"{f['database']}: {f['value']:.1f} ms wall, {_ms(d.get('cpu_ms'))} of CPU, of which its SQL "
                     f"takes {f['floor']:.1f} ms ({d.get('total')} overdue tickets of the busiest unit)")
    return ("the SQL is three indexed statements (the count from `ix_tickets_unit_status_deadline` alone, the page's "
            "20 ids, their rows by primary key) and does not grow with the table. Issue 17's third pass made both "
            "sides faster: the page went from 16.1 to about 8 ms on SQLite, its SQL from 6.5 to about 2.5 ms (the "
            "database now formats the times and picks the ids first), so the same ~5 ms of per-request Python "
            "(Flask's dispatch, the bearer token, 20 dicts, JSON) is now a larger share of a smaller figure. On "
            "PostgreSQL every request used to plan its statements anew (26.9 ms at stop 21): psycopg prepares a "
            "statement after 5 runs on a connection but forgets them all at a ROLLBACK, and every request that only "
            "read ended with one. Such requests now end with a COMMIT (boundary._end_read), so the page's row "
            "statement, 8 joined tables and about 10 ms of planning at 1 M tickets against 1.5 ms of execution, is "
            "planned once per connection; the floor's replay ends the same way and shares the prepared statements. "
            + "; ".join(parts) + ".")


def _why_unit_list(figures):
    parts = [f"{f['database']}: {f['value']:.1f} ms ({_ms(f['detail'].get('cpu_ms'))} CPU) against {f['floor']:.1f} ms "
             f"of SQL" for f in figures if f["name"] == "unit_list"]
    worst = max((f for f in figures if f["name"] == "unit_list" and f["ok"] is False), key=lambda f: f["ratio"],
                default=None)
    extra = f"about {worst['value'] - worst['floor']:.0f} ms" if worst else "about a dozen ms"
    return ("the page's SQL is three indexed queries (count, page, the page's photos); the rest is rendering 20 "
            "ticket cards through Jinja macros (two url_for and a status badge each), the navigation and the CSRF "
            f"token, plus the ORM objects: {extra} of Python, the same at any table size, that a ratio against "
            "4 ms of SQLite cannot hide (PostgreSQL's slower round trips make the same page pass). Fixed on the way: "
            "the cards' photos were one query per ticket (23 queries per page, now 4). " + "; ".join(parts) + ".")


def _why_ticket_page(figures):
    parts = [f"{f['database']}: {f['value']:.1f} ms wall, {_ms(f['detail'].get('cpu_ms'))} CPU, "
             f"{f['detail'].get('sql_statements')} queries" for f in figures if f["name"] == "ticket_page"]
    return ("issue 17's fourth pass took the page from 29–32 ms (SQLite) and 58 ms (PostgreSQL) down: the ticket, "
            "its parts, events and photos come from five statements built once (tickets/queries.py page_ticket), "
            "not from loader options whose cache keys SQLAlchemy rebuilt on every view; the 回潮 links are one "
            "prebuilt statement and the 督办建议 badge's count is built once (13 statements to 9). On PostgreSQL every "
            "statement was also planned on every view until read-only requests began to end with a COMMIT "
            "(boundary._end_read), which keeps psycopg's prepared statements (31 ms → 22 ms on a quiet machine). "
            "SQLite now meets the target in every run (15–18 ms); PostgreSQL sat at it, 22–27 ms over the runs of "
            "that stop with its load of 0.2–5, the rest being a dozen round trips (session user, page, badges) "
            "and the template. Since the office's menu counts its 待办事项 and 待核查 (stop 41) its one counting "
            "statement holds eleven counts. On SQLite one of them read every open ticket (42 ms at 1 M tickets, "
            "the page 55 ms) until the assisting units' requests were read from their partial indexes (stop 42: "
            "0.3 ms). On PostgreSQL it runs in 0.9 ms but is planned on every view, 2.5–4.3 ms, because its status "
            "values are bound parameters: PostgreSQL keeps custom plans (a generic plan for `status = $1` takes the "
            "wrong index, 13 ms a run), while with the values written into the SQL it keeps a generic plan, 1.0–1.4 ms "
            "a run. Stop 43 wrote them in (a list filter's known status among them, which the 待核查 count shares): "
            "the statement 3.7 → 0.7 ms, the page 19.9 → 12.6–16.8 ms. " + "; ".join(parts) + ".")


def _why_phone(figures):
    page = _find(figures, "phone", "filing page")
    detail = page["detail"] if page else {}
    html = next((v for k, v in detail.get("per_url_bytes", {}).items() if k.startswith("/tickets/new")), None)
    sizes = (f" (now {page['value']:.1f} KB in all, the page's HTML {html / 1024:.1f} KB, its scripts "
             f"{detail.get('js_kb')} KB, {detail.get('js_wire_kb')} KB gzipped)") if page and html else ""
    return ("the segment fallback is a search that loads on demand since issue 17 (the page carried every road "
            "segment of the city before: 2,000 options, 18 KB of its 39 KB), which brings the page under 30 KB. The "
            "scripts are served minified (inspect_app/assets.py: calmjs.parse, local names shortened; MINIFY_JS) and "
            "the page loads only what every filing uses: the common script and report.js (photo scaling, EXIF, "
            "geolocation, the nearest segments, the upload); the segment search (at the first words typed), the "
            "schematic map (when opened), the no-position/far-away messages (report-place.js) and the offline queue "
            "(offline, a submit lost to the network, or reports waiting on the phone) are loaded when used, and "
            "the service worker keeps them for offline use" + sizes + ". The photo bytes the page sends are met.")


def _why_throughput(figures):
    """Only the rows that missed: each is explained by what its request costs, measured where it is spent."""
    rows = [f for f in figures if f["name"] == "throughput"]
    missed = [f for f in rows if f["ok"] is False]

    def spread(client: str, key: str) -> str:
        values = [f["detail"][key] for f in rows if client in f["what"] and f["detail"].get(key) is not None]
        return f"{min(values):.2f}–{max(values):.2f} ms" if values else "?"

    text = ("the clients share the machine's 2 cores with the server (and, here, with other people's work): in "
            f"this run the Python clients spent {spread('Python', 'client_cpu_ms_per_req')} of CPU per request of "
            f"their own, wrk {spread('wrk', 'client_cpu_ms_per_req')}. The server's CPU per request "
            "(server_cpu_ms_per_req in the details: gunicorn's master and workers, warm-up included) moves least "
            "with the client and the machine. ")
    for f in missed:
        cpu = f["detail"].get("server_cpu_ms_per_req")
        if cpu:
            client = "wrk" if "wrk" in f["what"] else "the Python clients"
            text += (f"{f['what'].split(':')[0]} with {client}: {f['value']:,.0f} req/s at "
                     f"{cpu:.1f} ms of server CPU each, where 2 whole cores would allow {2000 / cpu:,.0f}. ")
    if any("POST" in f["what"] for f in missed):
        text += ("Filing: since stop 31 SQLite writers wait for the write lock in steps of 0.2–2 ms "
                 "(common/sqlite.py) instead of SQLite's own sleeps of up to 100 ms, never woken when the lock "
                 "frees. A filing holds the lock from its ticket number to its commit; with two workers filing at "
                 "once, the one waiting overslept, and a quarter to a third of the CPU stood idle. This harness, old "
                 "and new code interleaved (two pairs, stop 31): with wrk 58 and 74 req/s before, 88 and 86 after; "
                 "with the Python clients 67 and 81 before, 83 and 80 after; the server's CPU per filing the same "
                 "(19–23 ms), the cores it kept busy 1.33–1.63 before and 1.64–1.74 after. Since stop 32 a filing "
                 "builds its events, its dispatch with the deadline and its relapse check before it takes the "
                 "number (tickets/services.create_ticket), and the counter's UPDATE costs half what it did: in "
                 "process, from the first write to the response's reads took 8.9–9.1 ms instead of 10.5–10.9 "
                 "(two runs each, interleaved). Left in that stretch: the number, the stamped copy (it shows the "
                 "number), the INSERTs and the commit; two workers could pass it about 110 times a second. With "
                 "wrk, old and new interleaved (seven pairs, stop 32), the filings per second did not move "
                 "(64–77 either way): on that day's machine a filing took 22–27 ms of server CPU, so the 2 cores, "
                 "not the lock, bounded it. Since stop 50 a filing also writes its photo's files and draws all of "
                 "its stamp but the first line (the one showing the number) before it takes the number "
                 "(photos/service.stage_photo), and the counter's UPDATE and the category lookup are statements "
                 "built once: in process, from the first write to the commit took 5.7–6.2 ms instead of 7.2–7.3 "
                 "(two runs each, interleaved); with wrk, old and new interleaved (four pairs of 15 s), 89–97 "
                 "filings a second before and 103–112 after, at 18.1–19.8 ms of server CPU a filing before and "
                 "15.9–17.5 after. "
                 "Since stop 29 a filing's photo files are fsync'd in a helper thread while the request builds the "
                 "ticket (boundary.commit_waits_for), and since stop 30 the thumbnail is a DCT scale or box reduce "
                 "with no filter pass. Sampled with py-spy over 1,500 filings in process (stop 31): the ticket's one "
                 "flush 24 %, the photo's check and processing 17 %, the form's parsing 7 %, the stamped copy 7 %, "
                 "the category lookup 7 %, the commit 6 %, the ticket number 5 %, writing the three files 4 %: no "
                 "single part left would close the gap. ")
    if any("GET" in f["what"] for f in missed):
        text += ("Lists and details come from Core rows with orjson, statements built once per filter shape and a "
                 "cached token lookup (issue 17): what is left per request is mostly the stack's own (gunicorn, "
                 "Flask, the session); compare GET /healthz, an empty request, in the same run.")
    return text


def _why_ingest(figures):
    f = _find(figures, "ingest", "12 MP")
    if not f:
        return ""
    return ("on the bound, not over it by design: ingest is the floor's Pillow work plus a SHA-256 of the upload "
            "(~1.3 ms for 2 MB), the EXIF read (~1 ms) and the photo row (ORM insert and flush, ~2–3 ms), about "
            "5–8 % on a ~100 ms figure; profiled, the two pipelines' Pillow calls take the same time. Full runs "
            f"on this machine give 1.08–1.16× ({f['value']:.0f} ms against {f['floor']:.0f} ms this run).")


def _why_rankings(figures):
    parts = [f"{f['database']}: {f['value']:.1f} ms against {f['floor']:.1f} ms ({f['ratio']:.2f}×; CPU "
             f"{f['detail'].get('cpu_ms', float('nan')):.0f} against {f['detail'].get('floor_cpu_ms', float('nan')):.0f} ms)"
             for f in figures if f["name"] == "rankings"]
    return ("the floor is every GROUP BY the list sends (problems found by unit and source, by 包抓 unit, by 协办 "
            "part; problems due; the letters feature's six small counts), replayed raw; compute() adds the ORM's "
            "result handling, three small reads (units, groups, the standing areas as one UNION) and scoring, ranking "
            "and reasons for 184 units: 15–25 ms of CPU (profiled: letters' six queries 7 ms, scoring 7 ms, segments "
            "4 ms, units 2 ms, assessment 2 ms). A ratio above 1.5× with the CPU ratio below it is the machine's "
            "load, not the code (compare cpu_ms with floor_cpu_ms in the details). "
            + "; ".join(parts) + ".")


def _why_dashboard(figures):
    parts = [f"{f['database']}: {f['value']:.0f} ms ({f['detail'].get('cpu_ms', float('nan')):.0f} ms CPU) against "
             f"{f['floor']:.0f} ms of SQL, as of {f['detail'].get('as_of', 'now')}" for f in figures
             if f["name"] == "dashboard" and f["floor"]]
    return ("one refresh is its SQL (11 statements: the open tickets with their flags, the month's due tickets not "
            "yet settled, today's three reads in one, the period counts, the escalation counts) plus Python: "
            "tallying ~8,000 open tickets, the map's dots, the stored JSON (~0.4 MB) encoded and written. It is "
            "measured at a fixed moment late in the data's last day (a refresh early in a month is much lighter). "
            "Its CPU fell by a third in this pass (old and new code interleaved at the same moment: SQLite 152 → 102 ms, PostgreSQL "
            "193 → 113 ms at load 2–4), but the benchmark's own runs move by ±40 ms from one run to the next on this "
            "shared machine (139 ms on SQLite a few minutes earlier). It runs in the scheduler every 30 s, never on "
            "a reader's request; " + "; ".join(parts) + ".")


# Why a figure misses, by benchmark name; shown only for benchmarks with a missed row.
WHY = {"api_list": _why_api_list, "unit_list": _why_unit_list, "ticket_page": _why_ticket_page,
       "throughput": _why_throughput, "ingest": _why_ingest, "rankings": _why_rankings, "dashboard": _why_dashboard,
       "phone": _why_phone}


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
        bound = re.search(r"≤\s*([\d.]+)×", f["target"])
        if f["ratio"] is not None and bound and f["ok"] is False and round(f["ratio"], 2) <= float(bound.group(1)):
            ratio = f"{f['ratio']:.3f}×"  # a miss must not read as the bound itself
        figure = _fmt(f["value"], f["unit"])
        if "p95_ms" in f["detail"] and f["unit"] != "ms":
            figure += f", p95 {f['detail']['p95_ms']:.0f} ms"
            if f["detail"].get("server_cpu_ms_per_req"):
                figure += f", server CPU {f['detail']['server_cpu_ms_per_req']:.1f} ms/req"
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


def _miss(f: dict) -> str:
    """By how much: the figure against the target's bounds."""
    target, value, said = f["target"], f["value"], []
    times = re.search(r"≤\s*([\d.]+)×", target)
    if times and f["ratio"] is not None:
        bound = float(times.group(1))
        said.append(f"{f['ratio']:.3f}× the floor against {bound:g}× allowed")
    most_ms = re.search(r"≤\s*([\d.,]+)\s*ms", target)
    if most_ms and f["unit"] == "ms":
        bound = float(most_ms.group(1).replace(",", ""))
        said.append(f"{value:.1f} ms against {bound:g} ms")
    least = re.search(r"≥\s*([\d.,]+)\s*req/s", target)
    if least and f["unit"] == "req/s":
        bound = float(least.group(1).replace(",", ""))
        said.append(f"{value:,.0f} req/s, {value / bound:.0%} of {bound:,.0f}")
    return "; ".join(said) or f"{value} {f['unit']} against {target}"


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
            why = WHY.get(name)
            by = [f for f in result["figures"] if f["name"] == name and f["ok"] is False]
            misses = "; ".join(f"{f['what']} [{f['database'] or '—'}]: {_miss(f)}" for f in by)
            try:
                because = why(result["figures"]) if why else "see the details below."
            except Exception as error:  # a note must never lose a run's figures
                because = f"(note unavailable: {error!r}; see the details below)"
            parts.append(f"- **{name}** ({misses}): {because}")
        parts.append("")
    parts += ["## Indexes, query shapes and caching", ""] + [f"- {c}" for c in CHOICES] + [""]
    parts += ["## How each figure is taken", ""] + [f"- {m}" for m in METHOD] + [""]
    parts += ["## Details", ""] + details(result) + [""]
    if result["builds"]:
        builds = list(dict.fromkeys(result["builds"]))
        parts += ["## Data sets", ""] + [f"- {b}" for b in builds] + [
            "- Built afresh (first run, or after a model change alters the schema), the 1M-ticket city took 6 min on "
            "SQLite and 7 min on PostgreSQL on this machine while it was busy (load ≈ 5); the 1M open set 3–4 min.",
            ""]
    if result["errors"]:
        parts += ["## Errors", "", "```"] + [e.strip() for e in result["errors"]] + ["```", ""]
    return "\n".join(parts)
