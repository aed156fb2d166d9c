"""The filing page as a phone gets it: Chromium (Playwright) emulating a Pixel 7 against the app on loopback.

The app leaves compression to the HTTPS reverse proxy in front of it (nginx `gzip on`), so the page is served
here through an equivalent gzip middleware, and what crosses the wire is what Chromium reports per response
(encoded body + headers). Every request the page makes while loading (and locating itself) is counted;
requests to any other host are refused and reported. Then a 12 MP photo is chosen and the report submitted:
the POST body is what the page sends for it (scaled in the browser), compared with the original file.
"""
from __future__ import annotations

import gzip
import threading
from pathlib import Path

from .city import DataSet
from .measure import Figure

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


class Gzip:
    """What `gzip on; gzip_types text/css application/javascript application/json;` in nginx does."""

    def __init__(self, app, level: int = 6, minimum: int = 256):
        self.app, self.level, self.minimum = app, level, minimum

    def __call__(self, environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return self.app(environ, start_response)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = captured["headers"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        encoded = any(k.lower() == "content-encoding" for k, _ in headers)
        if len(body) >= self.minimum and kind.startswith(COMPRESSIBLE) and not encoded:
            body = gzip.compress(body, self.level)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body))), ("Vary", "Accept-Encoding")]
        start_response(captured["status"], headers)
        return [body]


def _serve(app):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, Gzip(app.wsgi_app), threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def run(data: DataSet, photo: Path) -> list[Figure]:
    """`data` is a private copy (the report is really filed)."""
    from playwright.sync_api import sync_playwright

    import json

    from sqlalchemy import text

    from inspect_app.extensions import db

    app = data.app(MAX_CONTENT_LENGTH=64 * 1024 * 1024)
    with app.app_context():  # stand on the first road segment
        lon, lat = json.loads(db.session.execute(text("SELECT coords_json FROM segments WHERE id = 1")).scalar())[0]
    server, thread = _serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    meta = data.meta
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                context = browser.new_context(**p.devices["Pixel 7"], locale="zh-CN", timezone_id="Asia/Shanghai",
                                              permissions=["geolocation"],
                                              geolocation={"latitude": lat, "longitude": lon, "accuracy": 15})
                outside: list[str] = []

                def only_local(route):
                    if route.request.url.startswith(base):
                        route.continue_()
                    else:
                        outside.append(route.request.url)
                        route.abort()

                context.route("**/*", only_local)
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("input[name=username]", meta["inspector"])
                page.fill("input[name=password]", meta["password"])
                page.click("button[type=submit]")
                page.wait_for_load_state()
                # A fresh load of the filing page, as the phone sees it the first time (cache disabled).
                responses = []
                page.on("response", lambda r: responses.append(r))
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                wire: dict[str, int] = {}
                urls: dict[str, str] = {}
                cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
                cdp.on("Network.loadingFinished",
                       lambda e: wire.__setitem__(e["requestId"], int(e["encodedDataLength"])))
                page.goto(base + "/tickets/new")
                page.wait_for_selector("select[name=segment_id] option:nth-child(2)", state="attached", timeout=15000)
                page.wait_for_load_state("networkidle")
                loaded = list(responses)
                by_url: dict[str, int] = {}
                for request_id, size in wire.items():
                    by_url[urls.get(request_id, request_id)] = size
                total = sum(by_url.values())
                js_raw = sum(len(r.body()) for r in loaded if r.request.resource_type == "script")
                js_wire = sum(size for url, size in by_url.items() if url.split("?")[0].endswith(".js"))
                hosts = sorted({r.url.split("/")[2] for r in loaded})
                requests = len(by_url)

                # The report with a 12 MP photo: what does the page send?
                page.click("label.tile >> nth=0")
                page.set_input_files("form.js-photos input[type=file]", str(photo))
                page.wait_for_selector(".previews figcaption:has-text('KB')", timeout=60000)
                posts = []
                page.on("request", lambda r: r.method == "POST" and r.url.endswith("/tickets/new") and posts.append(r))
                page.click("button:has-text('提交上报')")
                page.wait_for_url("**/filed", timeout=60000)
                sent = len(posts[0].post_data_buffer)
                context.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    original = photo.stat().st_size
    return [
        Figure("phone", "filing page for a phone, everything but photos, over the wire (gzip)", "", total / 1024,
               "KB", "≤ 30 KB, ≤ 10 KB JS, no other host",
               ok=total <= 30 * 1024 and js_raw <= 10 * 1024 and not outside and hosts == [base.split("/")[2]],
               detail={"requests": requests, "js_kb": round(js_raw / 1024, 1), "js_wire_kb": round(js_wire / 1024, 1),
                       "other_hosts": outside, "per_url_bytes": {u.replace(base, ""): s for u, s in by_url.items()}}),
        Figure("phone", f"bytes the phone page sends for a 12 MP photo ({original / 1e6:.1f} MB original)", "",
               sent / 1024, "KB", "≤ 1/8 of the original", ok=sent <= original / 8, floor=original / 1024,
               floor_what="the original file", ratio=sent / original,
               detail={"post_bytes": sent, "original_bytes": original}),
    ]
