"""The filing page's segment choice as a search (issue 17: the page no longer carries every segment of the city).

With JavaScript the page asks GET /segments/search as one types; without it, the page's search button sends the form
as a GET (?segment_q=...) and the page comes back with the matches in the <select>. Before anything is searched the
page offers only the chosen segment and the user's recent ones.
"""
from __future__ import annotations

import re

from conftest import file_tuple
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket
from inspect_app.units.models import Segment


def text(response) -> str:
    return response.get_data(as_text=True)


def options(page: str) -> list[tuple[str, bool, str]]:
    """(value, selected, label) of every option of the segment <select>."""
    select_html = re.search(r'<select name="segment_id".*?</select>', page, re.S).group(0)
    return [(v, bool(s), label) for v, s, label in
            re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select_html)]


def find(client, q):
    return client.get("/segments/search", query_string={"q": q}, headers={"X-Requested-With": "XMLHttpRequest"})


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [s["name"] for s in response.get_json()["segments"]]


def add_segments(city, n: int, name: str = "测试路", district: str = "江城区") -> None:
    for i in range(n):
        s = Segment(name=f"{name}{i:03d}", district=district, unit=city.street_a)
        s.coords = [[112.95, 28.25 + i / 1000], [112.96, 28.25 + i / 1000]]
        db.session.add(s)
    db.session.commit()


# ----------------------------------------------------------------------------- the JSON search

def test_search_finds_segments_by_name_district_or_street(browser, city):
    me = browser(city.inspector)
    response = find(me, "人民")
    assert response.get_json() == {"q": "人民", "more": False, "segments": [
        {"id": city.seg_a.id, "name": "人民路东段", "district": "江城区", "unit_name": "甲街道办事处"}]}
    assert names(find(me, "临江区")) == ["建设路西段"]      # district
    assert names(find(me, "乙街道")) == ["建设路西段"]      # street (the 属地 unit)
    assert names(find(me, "西段")) == ["建设路西段"]        # anywhere in the name
    assert names(find(me, "江城区  人民")) == ["人民路东段"]  # every word must match
    assert names(find(me, "江城区 建设")) == []
    assert names(find(me, "街道办")) == ["建设路西段", "人民路东段"]  # by district, then name
    assert names(find(me, "不存在的路")) == []


def test_the_unit_beside_the_district_does_not_repeat_it(browser, city):
    """A street office named with its district (江城区解放街道办事处) is shown beside the district without it:
    a phone's picker cuts a long option off, and the district was being read twice."""
    city.street_a.name = "江城区解放街道办事处"
    db.session.commit()
    me = browser(city.inspector)
    [found] = find(me, "人民路东段").get_json()["segments"]
    assert (found["district"], found["unit_name"]) == ("江城区", "解放街道办事处")
    assert ("人民路东段（江城区 · 解放街道办事处）" in
            [label for _, _, label in options(text(me.get("/tickets/new?segment_q=人民路")))])
    near = me.get(f"/segments/near?lat={city.ON_A[0]}&lon={city.ON_A[1]}").get_json()
    assert near[0]["unit_name"] == "解放街道办事处"
    assert city.seg_b.unit_label == "乙街道办事处"  # no district in front: as it is
    assert names(find(me, "")) == [] and names(me.get("/segments/search")) == []


def test_search_lists_at_most_twenty_name_matches_first_and_says_there_are_more(browser, city):
    me = browser(city.inspector)
    add_segments(city, 25, name="测试路", district="测试区")
    add_segments(city, 1, name="城东大道", district="一测试路片区")  # district matches, sorted first, listed last
    body = find(me, "测试路").get_json()
    assert len(body["segments"]) == 20 and body["more"] is True
    assert [s["name"] for s in body["segments"]] == [f"测试路{i:03d}" for i in range(20)]
    assert names(find(me, "测试路 024")) == ["测试路024"]
    body = find(me, "城东").get_json()
    assert body["more"] is False and [s["name"] for s in body["segments"]] == ["城东大道000"]


def test_search_leaves_out_retired_segments(browser, city):
    me = browser(city.inspector)
    city.seg_b.active = False
    db.session.commit()
    assert names(find(me, "建设路")) == []


def test_odd_or_long_search_words_get_an_answer_never_an_error(browser, city):
    me = browser(city.inspector)
    for odd in ("%", "_", "\\", "'; DROP TABLE segments; --", "<script>alert(1)</script>", "😀"):
        response = find(me, odd)
        assert response.status_code == 200 and response.get_json()["segments"] == [], odd
    for spaced in ("\t人民\n", "人民路\u3000东段", "\u202e人民"):  # spaces split words; controls go
        assert names(find(me, spaced)) == ["人民路东段"], spaced
    nul = find(me, "人民\x00路")  # the app's input guard answers any NUL
    assert nul.status_code == 400 and nul.get_json()["error"]["message"]
    too_long = find(me, "人" * 41)
    assert too_long.status_code == 400
    error = too_long.get_json()["error"]
    assert error["code"] == "text_too_long" and error["message"] == "路段搜索词不能超过40字。"
    assert find(me, "人" * 5000).status_code == 400


def test_only_filers_may_search(browser, city):
    assert names(find(browser(city.admin), "建设")) == ["建设路西段"]
    for user in (city.unit_a, city.unit_b, city.leader):  # FILERS leaves them out
        response = find(browser(user), "人民")
        assert response.status_code == 403 and "segments" not in (response.get_json() or {})
    assert find(browser(), "人民").status_code in (302, 401)


# ----------------------------------------------------------------------------- the page without JavaScript

def test_the_page_no_longer_carries_every_segment(browser, city):
    inspector = browser(city.inspector)
    before = text(inspector.get("/tickets/new"))
    assert options(before) == [("", False, "自动匹配最近路段")]
    assert 'name="segment_q"' in before and 'formmethod="get"' in before and "formnovalidate" in before
    add_segments(city, 300)
    after = text(inspector.get("/tickets/new"))
    assert len(options(after)) == 1 and "测试路" not in after
    # only the fresh idempotency key differs: 300 more segments cost the page nothing
    assert abs(len(after.encode()) - len(before.encode())) < 50


def test_enter_in_a_field_files_the_report_not_a_search(browser, city):
    """Implicit submission (Enter in a text field) uses the form's first submit button: it must be the filing one,
    not 搜索 (which also answers a click with JavaScript)."""
    page = text(browser(city.inspector).get("/tickets/new"))
    form = page[page.index('data-offline="report"'):]
    first = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form).group(0)
    assert "formmethod" not in first and "formaction" not in first


def test_search_without_javascript_lists_the_matches_and_keeps_what_was_typed(browser, city):
    inspector = browser(city.inspector)
    page = text(inspector.get("/tickets/new", query_string={
        "segment_q": "乙街道", "category": "niupixuan", "address": "建设路12号", "description": "小广告"}))
    assert options(page) == [("", False, "自动匹配最近路段"), (str(city.seg_b.id), True, "建设路西段（临江区 · 乙街道办事处）")]
    assert '<optgroup label="临江区">' in page and "找到 1 条路段" in page
    assert 'value="乙街道"' in page and 'value="建设路12号"' in page and ">小广告</textarea>" in page
    assert re.search(r'value="niupixuan" required checked', page)

    add_segments(city, 25)
    page = text(inspector.get("/tickets/new?segment_q=测试路"))
    found = options(page)
    assert len(found) == 21 and found[1][1] and "只列出前 20 条" in page

    nothing = text(inspector.get("/tickets/new?segment_q=不存在的路"))
    assert options(nothing) == [("", False, "自动匹配最近路段")] and "没有找到“不存在的路”" in nothing


def test_a_new_search_picks_its_first_match_but_keeps_the_old_choice_listed(browser, city):
    inspector = browser(city.inspector)
    page = text(inspector.get(f"/tickets/new?segment_q=人民&segment_id={city.seg_b.id}"))
    assert options(page) == [("", False, "自动匹配最近路段"), (str(city.seg_b.id), False, "建设路西段（临江区 · 乙街道办事处）"),
                             (str(city.seg_a.id), True, "人民路东段（江城区 · 甲街道办事处）")]
    assert '<optgroup label="已选的路段">' in page
    for bad in ("abc", "99999999", "-1", "1" * 40):  # nothing chosen, nothing broken
        assert options(text(inspector.get(f"/tickets/new?segment_id={bad}"))) == [("", False, "自动匹配最近路段")]


def test_the_search_button_sends_no_csrf_token_or_idempotency_key_along(browser, city):
    inspector = browser(city.inspector)
    response = inspector.get("/tickets/new?csrf_token=abc&idempotency_key=k-1&category=niupixuan&lat=&segment_q=建设"
                             "&photos=a.jpg")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/tickets/new?category=niupixuan&segment_q=%E5%BB%BA%E8%AE%BE")
    page = text(inspector.get("/tickets/new?idempotency_key=k-1"))  # a key in a link is never reused
    assert 'value="k-1"' not in page and re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', page)


def test_bad_search_words_on_the_page_get_a_chinese_message(browser, city):
    inspector = browser(city.inspector)
    page = inspector.get("/tickets/new", query_string={"segment_q": "人" * 41})
    assert page.status_code == 200 and "路段搜索词不能超过40字。" in text(page)
    evil = text(inspector.get("/tickets/new", query_string={"segment_q": '"><script>alert(1)</script>'}))
    assert "<script>alert" not in evil and 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in evil
    assert "没有找到“&#34;&gt;&lt;script&gt;" in evil


def test_a_form_shown_again_after_an_error_keeps_the_chosen_segment(browser, city):
    inspector = browser(city.inspector)
    response = inspector.submit("/tickets/new", "/tickets/new", {
        "category": "niupixuan", "segment_id": str(city.seg_b.id), "segment_q": "人民", "address": "建设路12号"},
        multipart=True)  # no photo: refused, the page comes back
    assert response.status_code in (400, 422)
    page = text(response)
    assert "照片" in page
    assert (str(city.seg_b.id), True, "建设路西段（临江区 · 乙街道办事处）") in options(page)
    assert (str(city.seg_a.id), False, "人民路东段（江城区 · 甲街道办事处）") in options(page)
    response = inspector.submit("/tickets/new", "/tickets/new", {"segment_id": str(city.seg_b.id)}, multipart=True)
    assert options(text(response))[1] == (str(city.seg_b.id), True, "建设路西段（临江区 · 乙街道办事处）")


def test_the_page_offers_the_users_recent_segments(browser, city):
    inspector = browser(city.inspector)
    for segment, key in ((city.seg_b, "k-1"), (city.seg_a, "k-2"), (city.seg_b, "k-3")):
        response = inspector.submit("/tickets/new", "/tickets/new", {
            "category": "niupixuan", "segment_id": str(segment.id), "idempotency_key": key,
            "photos": [file_tuple("Canon_40D.jpg")]}, multipart=True)
        assert response.status_code == 303, text(response)[:300]
    assert db.session.scalar(select(Ticket.segment_id).order_by(Ticket.id.desc()).limit(1)) == city.seg_b.id
    page = text(inspector.get("/tickets/new"))
    assert '<optgroup label="最近上报过的路段">' in page
    assert [v for v, _, _ in options(page)] == ["", str(city.seg_b.id), str(city.seg_a.id)]  # newest first, once
    assert not any(selected for _, selected, _ in options(page))
    other = browser(city.admin)  # another filer's page shows none of them
    assert options(text(other.get("/tickets/new"))) == [("", False, "自动匹配最近路段")]
    city.seg_a.active = False
    db.session.commit()
    assert [v for v, _, _ in options(text(inspector.get("/tickets/new")))] == ["", str(city.seg_b.id)]
