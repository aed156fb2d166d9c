"""Download names: the plain `filename=` of Content-Disposition (read by clients without RFC 5987) keeps a Chinese
name's ASCII parts and an English word in front when nothing else is left, never an empty stem or a leading dash;
the UTF-8 `filename*` stays the Chinese name."""
from __future__ import annotations

import io
import re
from urllib.parse import unquote

from test_keytasks import report, tasks  # noqa: F401  (a fixture)
from test_letters import clock, file_ticket, minimal_pdf, overdue, photo, signed  # noqa: F401  (fixtures)
from test_rankings import AFTER_NOV, NOV

from inspect_app.extensions import db
from inspect_app.http import ascii_filename
from inspect_app.rankings import services as rankings


def names(response) -> tuple[str, str]:
    """(the plain filename, the UTF-8 filename*) of a response."""
    header = response.headers["Content-Disposition"]
    plain = re.search(r'filename=("[^"]*"|[^;]*)', header).group(1).strip('"')
    utf8 = unquote(re.search(r"filename\*=UTF-8''(\S+)", header).group(1))
    return plain, utf8


def test_the_fallback_keeps_ascii_parts_and_puts_a_word_in_front_of_bare_numbers():
    assert ascii_filename("红黑榜-2026-11-第1版-曝光版.pdf", "ranking") == "ranking-2026-11-v1-exposure.pdf"
    assert ascii_filename("临江文明督〔2026〕8号.pdf", "letter") == "letter-2026-8.pdf"
    assert ascii_filename("草稿-12.pdf", "letter") == "letter-draft-12.pdf"
    assert ascii_filename("附件.PDF", "attachment-3") == "attachment-3.pdf"
    assert ascii_filename("round-5-full.pdf", "x") == "round-5-full.pdf"  # an ASCII name is its own
    assert ascii_filename("report 整改方案 final.pdf", "x") == "report-final.pdf"
    assert ascii_filename('a"b\\c.pdf') == "a-b-c.pdf"  # nothing that would end the quoted string
    assert ascii_filename(".pdf") == "download.pdf"


def test_a_key_task_attachment_is_named_after_its_file(api, browser, city, tasks):  # noqa: F811
    market, _, _ = tasks
    claim = report(api, city.unit_b, market, "已全部完成", claims=True,
                   files=[(io.BytesIO(minimal_pdf()), "市场管理制度.pdf")])
    assert claim.status_code == 201, claim.get_json()
    [pdf] = claim.get_json()["files"]
    file_id = pdf["id"] if "id" in pdf else int(pdf["url"].rsplit("/", 1)[1])
    page = browser(city.unit_b).get(f"/key-tasks/{market.id}/files/{file_id}")
    for response in (page, api.get(pdf["url"], city.unit_b)):
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment;")
        assert names(response) == (f"attachment-{file_id}.pdf", "市场管理制度.pdf")


def test_a_ranking_pdf_is_named_ranking_period_version(api, browser, city):
    ranking = rankings.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    page = browser(city.leader).get(f"/rankings/{ranking.id}/pdf")
    assert page.status_code == 200
    assert names(page) == ("ranking-2026-11-v1.pdf", "红黑榜-2026-11-第1版.pdf")
    exposure = api.get(f"/api/v1/rankings/{ranking.id}/pdf?variant=exposure", city.leader)
    assert names(exposure) == ("ranking-2026-11-v1-exposure.pdf", "红黑榜-2026-11-第1版-曝光版.pdf")
    # a unit's copy, without the typical cases, is another document: it had the full version's name
    units = browser(city.unit_a).get(f"/rankings/{ranking.id}/pdf")
    assert units.status_code == 200 and len(units.data) != len(page.data)
    assert names(units) == ("ranking-2026-11-v1-units.pdf", "红黑榜-2026-11-第1版-单位版.pdf")
    assert names(api.get(f"/api/v1/rankings/{ranking.id}/pdf", city.unit_a)) == names(units)


def test_a_letter_pdf_is_named_letter_year_number(api, browser, city, overdue):  # noqa: F811
    letter = signed(city)
    page = browser(city.unit_a).get(f"/letters/{letter.id}/pdf")
    assert page.status_code == 200 and page.headers["Content-Disposition"].startswith("inline;")
    assert names(page) == ("letter-2026-1.pdf", "临江文明督〔2026〕1号.pdf")
    assert names(api.get(f"/api/v1/letters/{letter.id}/pdf", city.unit_a))[0] == "letter-2026-1.pdf"


def test_a_bulletins_fallback_name_is_not_a_letters(api, browser, city, file_ticket):  # noqa: F811
    """临江文明督〔2026〕1号 and 临江文明通〔2026〕1号 were both letter-2026-1.pdf to a client without RFC 5987."""
    from conftest import at
    from test_letters import MONDAY

    from inspect_app.escalation import compose, signing

    letter = compose.create_draft(city.admin, at(MONDAY), {"ticket_ids": [file_ticket().id]})
    bulletin = compose.create_draft(city.admin, at(MONDAY), {"ticket_ids": [file_ticket(category="illegal_parking").id],
                                                             "kind": "bulletin"})
    db.session.commit()
    draft = browser(city.admin).get(f"/letters/{bulletin.id}/pdf")
    assert names(draft) == (f"bulletin-draft-{bulletin.id}.pdf", f"草稿-{bulletin.id}.pdf")
    for row in (letter, bulletin):
        signing.sign(city.leader, row, at(MONDAY))
        db.session.commit()
    assert names(browser(city.admin).get(f"/letters/{letter.id}/pdf")) == ("letter-2026-1.pdf",
                                                                         "临江文明督〔2026〕1号.pdf")
    for response in (browser(city.admin).get(f"/letters/{bulletin.id}/pdf"),
                     api.get(f"/api/v1/letters/{bulletin.id}/pdf", city.admin)):
        assert names(response) == ("bulletin-2026-1.pdf", "临江文明通〔2026〕1号.pdf")
