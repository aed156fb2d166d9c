"""role="alert" makes a screen reader break in and read the message at once: it is for what answers the user's own
doing (a refused form's message, which takes focus; a flash after a form; a script's answer to a tap). Warnings
that stand on a page whenever it is opened (门前四包's 屡次违反 banner, the office's notices on 待办事项, a task
past its time limit) are role="status": read in their place, not shouted on every visit."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from test_frontages import file_against, register  # noqa: F401 (fixture)

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# answers to what the user just did that take no focus: the columns of the file just uploaded that the import will
# not read (shown on the preview of that upload)
ANSWERS = {("office/import_preview.html", "summary.ignored_columns")}


def _role_of(page: str, words: str) -> str:
    """The role of the element whose text starts with `words`."""
    found = re.search(r'<(?:div|p)\b([^>]*)>\s*' + re.escape(words), page)
    assert found, words
    role = re.search(r'role="([^"]+)"', found.group(1))
    return role.group(1) if role else ""


def test_every_alert_in_the_templates_answers_what_the_user_just_did():
    standing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for tag in re.findall(r'<[a-z]+\b[^>]*role="alert"[^>]*>', line):
                if "autofocus" in tag or re.search(r"\bhidden\b", tag):  # a refused form's; filled by a script
                    continue
                if any(name == file and words in line for file, words in ANSWERS):
                    continue
                standing.append(f"{name}:{number}")
    assert standing == []


def test_the_repeat_offender_banner_is_a_status_not_an_alert(browser, city, register, now):  # noqa: F811
    noodles = register[0]
    for days in (5, 3, 1):
        file_against(city, noodles, now - timedelta(days=days))
    page = browser(city.unit_b).get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "列入屡次违反名单" in page
    assert _role_of(page, "近90天已有 3 次门前四包问题") == "status"


def test_the_offices_notices_on_its_work_page_are_status_and_a_refused_sign_in_still_alerts(app, browser, city):
    app.config["DISK_FREE_WARN_MB"] = 1 << 40  # more room than any disk has: the notice stands on the page
    page = browser(city.admin).get("/office/work").get_data(as_text=True)
    assert _role_of(page, "服务器磁盘") == "status"
    assert 'role="alert"' not in page
    # what answers the user's own doing keeps role="alert" and takes focus
    refused = browser().submit("/login", "/login", {"username": city.admin.username, "password": "wrong"})
    assert re.search(r'<div autofocus tabindex="-1" class="alert error" role="alert">', refused.get_data(as_text=True))
