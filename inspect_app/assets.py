"""Scripts served minified (issue 17): a phone downloads and parses less to file a report.

The readable sources under static/js/ (and the service worker, field/web.py) are what people edit; each is
minified the first time a process serves it, with calmjs.parse (local names shortened, comments and spaces
dropped), and kept in memory until the file changes (mtime and size). MINIFY_JS = false serves the sources as
they are (to debug in the browser). A script the minifier cannot parse (ES2015+ syntax: calmjs.parse reads ES5)
is served as it is, with a warning in the log; tests/test_assets.py minifies every script, so that is caught
before a release.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading

from flask import abort, current_app, request
from werkzeug.security import safe_join

log = logging.getLogger(__name__)
_cache: dict[str, tuple[tuple[int, int], bytes, str]] = {}
_lock = threading.Lock()


def minify(source: str) -> str:
    """The script minified: local names shortened (globals kept), comments and needless spaces dropped."""
    from calmjs.parse import es5
    from calmjs.parse.unparsers.es5 import minify_print

    return minify_print(es5(source), obfuscate=True, obfuscate_globals=False)


def _minified(path: str, stamp: tuple[int, int]) -> tuple[bytes, str]:
    hit = _cache.get(path)
    if hit and hit[0] == stamp:
        return hit[1], hit[2]
    with _lock:  # one minification per file and change, even when several requests ask at once
        hit = _cache.get(path)
        if hit and hit[0] == stamp:
            return hit[1], hit[2]
        with open(path, encoding="utf-8") as f:
            source = f.read()
        try:
            body = minify(source).encode()
        except Exception:  # noqa: BLE001 - a parser's error: the page still gets a working script
            log.warning("cannot minify %s: served as it is", path, exc_info=True)
            body = source.encode()
        etag = "min-" + hashlib.sha1(body).hexdigest()[:20]
        _cache[path] = (stamp, body, etag)
        return body, etag


def script_response(folder: str, filename: str, max_age: int | None = None):
    """`folder/filename` (a .js file) as the response send_from_directory would give, minified when MINIFY_JS:
    ETag and Last-Modified, so a browser's conditional request gets 304."""
    path = safe_join(folder, filename)
    if path is None or not os.path.isfile(path):
        abort(404)
    stat = os.stat(path)
    if not current_app.config["MINIFY_JS"]:
        from flask import send_from_directory
        return send_from_directory(folder, filename, mimetype="text/javascript", max_age=max_age)
    body, etag = _minified(path, (stat.st_mtime_ns, stat.st_size))
    response = current_app.response_class(body, mimetype="text/javascript")
    response.cache_control.no_cache = True  # as send_file: a fresh copy is checked for (304 when unchanged)
    if max_age is None:
        max_age = current_app.get_send_file_max_age(filename)
    if max_age:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    response.set_etag(etag)
    response.last_modified = int(stat.st_mtime)
    return response.make_conditional(request)


def register(app) -> None:
    """The app's static route serves .js files through script_response; everything else as before."""
    serve = app.view_functions["static"]

    def static(filename):
        if filename.endswith(".js"):
            return script_response(app.static_folder, filename)
        return serve(filename=filename)

    app.view_functions["static"] = static
