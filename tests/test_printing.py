"""What the office prints from the browser (QA print walk): print rules in the stylesheet every page links, the
page's title and the time on the paper."""
from __future__ import annotations

import re
from pathlib import Path

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
    for url in ("/tickets", f"/tickets/{ticket.id}", "/letters", "/frontages/", "/patrols/month"):
        html = page_text(admin.get(url))
        sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
        assert sheets and sheets[0].startswith("/static/css/app.css"), (url, sheets)
        head = re.search(r'<div class="print-head" hidden><b>(.*?)</b>(.*?)</div>', html)
        assert head, url
        title = re.search(r"<title>(.*?) · ", html).group(1)
        assert head.group(1) == f"临江市文明办 · {title}", url
        assert re.search(r"打印时间：2026年11月25日 10:\d\d", head.group(2)), url
    assert "@media print" in page_text(admin.get("/static/css/app.css"))
