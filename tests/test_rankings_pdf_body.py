"""The 通报's 一、考评办法 is body text throughout (GB/T 9704: 3号): the ranking rules and each group's quotas are
rules of the method, not small print."""
from __future__ import annotations

import io
import os
from datetime import timedelta

from conftest import at
from pypdf import PdfReader

from inspect_app.extensions import db
from inspect_app.rankings import services
from inspect_app.rankings.periods import parse_period
from inspect_app.tickets.models import Ticket


def _sized_text(data: bytes) -> tuple[str, list[float]]:
    """The pages' text without white space, and the font size in points of each of its characters."""
    chars: list[str] = []
    sizes: list[float] = []
    for page in PdfReader(io.BytesIO(data)).pages:
        def visit(text, cm, tm, font, size):
            scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
            for char in "".join(text.split()):
                chars.append(char)
                sizes.append(round(size * scale, 1))
        page.extract_text(visitor_text=visit)
    return "".join(chars), sizes


def _size_of(sized, words: str) -> float:
    text, sizes = sized
    start = text.find(words)
    assert start >= 0, words
    found = set(sizes[start:start + len(words)])
    assert len(found) == 1, (words, found)
    return found.pop()


def _a_list(city, **publish):
    due = at("2026-11-10T18:00")
    db.session.add(Ticket(number="2026-900001", year=2026, seq=900001, status="closed",
                          category_id=city.niupixuan.id, unit_id=city.street_a.id, reporter_id=city.inspector.id,
                          reported_at=due - timedelta(days=1), deadline=due, rectified_at=due - timedelta(hours=2),
                          closed_at=due - timedelta(hours=1), source="daily"))
    db.session.commit()
    return services.publish(parse_period("2026-11"), city_now(**publish), user=city.admin, **publish)


def city_now(early: bool = False):
    return at("2026-11-26T10:00") if early else at("2026-12-01T10:00")


def test_the_method_rules_and_quotas_are_set_in_the_body_size(city):
    ranking = _a_list(city)
    data = services.ensure_pdf(ranking, "full").read_bytes()
    if os.environ.get("RANKINGS_PDF_OUT"):  # to look at it: pdftoppm -r 60 -png
        with open(os.environ["RANKINGS_PDF_OUT"], "wb") as out:
            out.write(data)
    runs = _sized_text(data)
    body = _size_of(runs, "根据文明城市创建问题整改考评办法")
    assert 15.5 <= body <= 16.0  # 3号
    assert _size_of(runs, "各单位只与同组单位比较排名") == body
    assert _size_of(runs, "街道/乡镇：红榜") == body
    assert _size_of(runs, "评分方案：") == body


def test_an_early_list_says_so_in_the_bulletin(city):
    ranking = _a_list(city, early=True)
    text = "".join("".join(page.extract_text().split())
                   for page in PdfReader(io.BytesIO(services.ensure_pdf(ranking, "full").read_bytes())).pages)
    assert "数据截至2026年11月26日10:00（统计周期至11月30日结束，本期提前发布）" in text


def test_the_method_heading_starts_on_page_1_and_no_heading_ends_a_page(city):
    """Page 1 ends with 2.95 lines of room under the introduction: 一、考评办法 and the first two lines of the method
    stay there (they went to page 2 together, leaving the gap), and no heading is a page's last line."""
    from inspect_app.pdf.document import Heading
    from inspect_app.rankings.pdf import ranking_document

    ranking = _a_list(city)
    headings = {b.text for b in ranking_document(ranking).body if isinstance(b, Heading)}
    pages = [[line.strip() for line in (page.extract_text() or "").splitlines()
              if line.strip() and not line.strip().startswith("—")]
             for page in PdfReader(io.BytesIO(services.ensure_pdf(ranking, "full").read_bytes())).pages]
    first = pages[0]
    assert "一、考评办法" in first, first
    assert first[-1] != "一、考评办法" and len(first) - first.index("一、考评办法") - 1 >= 2, first
    assert first[first.index("一、考评办法") + 1].startswith("满分100分")
    for number, lines in enumerate(pages, start=1):
        assert lines[-1] not in headings, f"page {number} ends with the heading {lines[-1]}"
