"""Scripts served minified (inspect_app/assets.py, issue 17): every script parses and shrinks, the minified copy
follows the file when it changes, a browser's conditional request gets 304, MINIFY_JS = false serves the source."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspect_app import assets

STATIC = Path(assets.__file__).parent / "static"
SCRIPTS = sorted(p for p in STATIC.rglob("*.js")) + sorted(Path(assets.__file__).parent.glob("*/static/*.js"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_script_minifies(path):
    """The minifier reads ES5: a script it cannot parse would be served whole (and bigger) with a warning."""
    source = path.read_text(encoding="utf-8")
    minified = assets.minify(source)
    assert len(minified) < len(source)
    assert "/*" not in minified.replace("/*/", "")  # comments gone


def test_scripts_are_served_minified_and_follow_their_file(app, client, tmp_path):
    app.static_folder = str(tmp_path)
    (tmp_path / "js").mkdir()
    script = tmp_path / "js" / "a.js"
    script.write_text("/* readable */\n(function () {\n  var longName = 1;\n  window.x = longName + 1;\n})();\n",
                      encoding="utf-8")
    response = client.get("/static/js/a.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.data == b"(function(){var a=1;window.x=a+1;})();"
    etag = response.headers["ETag"]
    assert client.get("/static/js/a.js", headers={"If-None-Match": etag}).status_code == 304
    script.write_text("window.y = 2;\n", encoding="utf-8")
    os.utime(script, (1, 1))  # another time than the first version's, as a deploy gives
    changed = client.get("/static/js/a.js")
    assert changed.data == b"window.y=2;" and changed.headers["ETag"] != etag
    assert client.get("/static/js/missing.js").status_code == 404
    assert client.get("/static/js/../../etc/passwd.js").status_code == 404


def test_a_script_the_minifier_cannot_read_is_served_as_it_is(app, client, tmp_path, caplog):
    app.static_folder = str(tmp_path)
    (tmp_path / "m.js").write_text("const f = (a) => a * 2;\n", encoding="utf-8")
    response = client.get("/static/m.js")
    assert response.status_code == 200 and response.data == b"const f = (a) => a * 2;\n"
    assert "cannot minify" in caplog.text


def test_minify_js_off_serves_the_readable_source(app, client):
    app.config["MINIFY_JS"] = False
    source = (STATIC / "js" / "report.js").read_bytes()
    with client.get("/static/js/report.js") as response:
        assert response.data == source
    app.config["MINIFY_JS"] = True
    with client.get("/static/js/report.js") as response:
        assert len(response.data) < len(source) * 0.7


def test_the_service_worker_is_served_minified_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert b"/*" not in response.data and b"inspect-shell-" in response.data


def test_each_page_names_the_offline_pages_its_user_may_open(browser, city):
    """The worker keeps offline only what its URL names (<body data-sw>): the filing and check-in pages for those
    who file, nothing for a unit's clerk, whose worker would otherwise ask for them and get a 403."""
    both = "/sw.js?keep=/tickets/new+/patrols/checkin"  # the filing page and the check-in page (离线打卡)
    for user, url in ((city.inspector, both), (city.admin, both),
                      (city.unit_a, "/sw.js"), (city.leader, "/sw.js")):
        page = browser(user).get("/offline").get_data(as_text=True)
        assert f'<body data-sw="{url}">' in page, user.username
        assert ('href="/tickets/new"' in page) == ("keep" in url)
    assert "data-sw" not in browser().get("/login").get_data(as_text=True)
