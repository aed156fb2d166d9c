"""What the office prints from the browser (QA print walk): print rules in the stylesheet every page links, the
page's title and the time on the paper, and the ticket list printed whole (打印) rather than the 20 rows on screen."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from inspect_app.common.timeutil import utcnow

APP_CSS = Path(__file__).resolve().parents[1] / "inspect_app" / "static" / "css" / "app.css"


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    body = response.get_data(as_text=True)
    response.close()
    return body


def _print_rules() -> str:
    css = APP_CSS.read_text(encoding="utf-8")
    assert css.count("@media print {") == 1
    css = re.sub(r"/\*.*?\*/", "", css[css.index("@media print {"):], flags=re.S)  # comments out
    return re.sub(r"\s+", " ", css)


def _rule_for(css: str, selector: str) -> str:
    """The declarations of the print rules whose selector list names `selector` (joined)."""
    found = [body for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)
             if selector in [s.strip() for s in selectors.split(",")]]
    assert found, f"no print rule for {selector}"
    return " ".join(found)


def test_the_print_stylesheet_hides_the_working_parts_and_keeps_tables_and_markers():
    """The QA walk printed the menu, the filter form and its buttons, paging and the ticket page's action forms;
    cut the 红黑榜's tables at the right edge (a scroll box), the addresses with "…"; and lost the markers drawn as a
    background (超期, 约谈, a repeat offender's "4 次", the 巡查月历's red and grey days)."""
    css = _print_rules()
    for hidden in (".top", ".nav", ".filters", ".filter-actions", ".pager .btn", ".card.action", ".btn", "form.form",
                   ".tabs", ".rk-form", "details:has(form)"):
        assert "display: none !important" in _rule_for(css, hidden), hidden
    assert "overflow: visible" in _rule_for(css, ".table-wrap")
    assert "white-space: normal" in _rule_for(css, "table.data td")
    assert "display: table-header-group" in _rule_for(css, "thead")
    assert "font-size: 8.5pt" in _rule_for(css, "table.data")
    for marker in (".badge", ".month-cal .d", ".tag", "table.data tr.red td:first-child"):
        assert "print-color-adjust: exact" in _rule_for(css, marker), marker
    assert "border: 1px solid currentColor" in _rule_for(css, ".badge")  # and an outline, should none print
    assert "white-space: normal" in _rule_for(css, ".tplace") and "text-overflow: clip" in _rule_for(css, ".tplace")
    assert "display: flex !important" in _rule_for(css, ".print-head[hidden]")
    assert "break-inside: avoid" in _rule_for(css, ".tcard")


def test_pages_link_the_print_rules_and_say_what_and_when(browser, city, make_ticket):
    ticket = make_ticket()
    admin = browser(city.admin)
    for url in ("/tickets", f"/tickets/{ticket.id}", "/letters", "/frontages/", "/patrols/month",
                "/tickets?print=1"):
        html = page_text(admin.get(url))
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        assert sheets and sheets[0].startswith("/static/css/app.css"), (url, sheets)
        head = re.search(r'<div class="print-head" hidden><b>(.*?)</b>(.*?)</div>', html)
        assert head, url
        title = re.search(r"<title>(.*?) · ", html).group(1)
        assert head.group(1) == f"临江市文明办 · {title}" and re.search(r"打印时间：2026年11月25日 10:\d\d", head.group(2)), url
    assert "@media print" in page_text(admin.get("/static/css/app.css"))


def test_the_office_prints_the_whole_filtered_list(browser, city, make_ticket, monkeypatch):
    """The ticket list printed the 20 rows on screen ("第 1 / 6 页，共 113 条"): a printed 超期 list for a meeting
    held 20 of 113 cases without a word. 打印 opens the same filtered list whole, as a table, up to PRINT_LIMIT;
    beyond that the paper says how many it leaves out."""
    from inspect_app.tickets import web

    now = utcnow()
    late = [make_ticket(at_time=now - timedelta(days=3, minutes=k)) for k in range(23)]
    fresh = [make_ticket(at_time=now - timedelta(minutes=k)) for k in range(2)]
    admin = browser(city.admin)
    listed = page_text(admin.get("/tickets?overdue=1"))
    assert sum(t.number in listed for t in late) == 20  # a page on screen
    link = re.search(r'<a class="btn" href="([^"]+)"[^>]*>打印</a>', listed)
    assert link and "print=1" in link.group(1) and "overdue=1" in link.group(1)
    printed = page_text(admin.get(link.group(1).replace("&amp;", "&")))
    assert all(t.number in printed for t in late) and not any(t.number in printed for t in fresh)
    assert "共 23 件" in printed and 'class="pager"' not in printed and "只列出前" not in printed
    assert '<span class="print-filters">筛选条件：只看超期</span>' in printed
    assert printed.count('<span class="badge overdue">超期</span>') == 23
    both = page_text(admin.get(f"/tickets?print=1&q={late[0].number}&category=niupixuan"))
    assert "筛选条件：类别：" in both and f"关键词：{late[0].number}" in both
    # more than the limit: the first ones (overdue first), and the paper says how many are left out
    monkeypatch.setattr(web, "PRINT_LIMIT", 10)
    capped = page_text(admin.get("/tickets?print=1"))
    assert sum(t.number in capped for t in late + fresh) == 10
    assert "共 25 件，本清单只列出前 10 件（一次最多打印 10 件，超期的在前）" in capped
    refused = admin.get("/tickets?print=maybe")
    assert refused.status_code == 400 and "print" in refused.get_data(as_text=True)
    refused.close()
    assert browser(city.unit_a).get("/tickets?print=1").status_code == 403  # the office's list, as before


def test_rows_by_ids_beyond_the_largest_prepared_size(app, city, make_ticket):
    """A printed list of up to 500 reads its rows by ids through one prepared statement per size (at most 100):
    more ids go by hundreds (it raised StopIteration, a 500)."""
    from inspect_app.extensions import db
    from inspect_app.tickets.cards import _CARDS

    made = [make_ticket() for _ in range(3)]
    ids = [t.id for t in made] + [10**6 + k for k in range(247)]
    with app.app_context():
        rows = _CARDS.all(db.session.connection(), ids)
        assert sorted(row.id for row in rows) == sorted(t.id for t in made)
