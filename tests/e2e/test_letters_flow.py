"""督办 as a decision in a real browser: the office (desktop) compiles a letter from the sweep's proposals, edits and
previews it; the leader (phone) signs it; the unit (phone) signs for it and replies in writing with a photo and a
PDF; the office clears (销号) every item and the letter is 办结.

Run: python -m pytest tests/e2e/test_letters_flow.py -s   (E2E_SCREENSHOTS=folder keeps the screenshots)
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from conftest import BEFORE_PHOTO, PHOTOS, City, processed
from pypdf import PdfReader

pytestmark = pytest.mark.browser


def _narrow(phone, name: str) -> None:
    """The same page at 320 px (the smallest phones still in use), screenshotted, then back."""
    size = phone.page.viewport_size
    phone.page.set_viewport_size({"width": 320, "height": 640})
    phone.shot(name + "-320")
    phone.page.set_viewport_size(size)


def test_proposal_to_done_in_the_browser(app, city, server, phones, tmp_path):
    from sqlalchemy import select

    from inspect_app.common.timeutil import local, utcnow
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.models import Letter
    from inspect_app.extensions import db
    from inspect_app.tickets import services
    from inspect_app.tickets.models import Ticket

    # Three problems reported three days ago (24-hour deadlines), two streets; this morning's sweep proposed them.
    real = utcnow()
    filed = real - timedelta(days=3)
    photo = processed(BEFORE_PHOTO)
    tickets = []
    for point, address in ((City.ON_A, "人民路18号门前"), (City.ON_A, "人民路26号公交站"), (City.ON_B, "建设路3号")):
        report = services.NewReport(category="niupixuan", photos=[photo], lat=point[0], lon=point[1], address=address)
        tickets.append(services.create_ticket(city.inspector, report, filed)[0])
    db.session.commit()
    result = run_sweep(real - timedelta(minutes=30))
    assert len(result.proposals) == 3 and result.letters == []

    # --- the office compiles the batch (desktop) ---------------------------------------------------
    office = phones("admin", device="Desktop Chrome", location=None)
    page = office.page
    count = page.locator("nav a:has-text('督办建议') .nav-count")
    assert count.evaluate("el => el.firstChild.textContent") == "3"  # the menu shows what waits
    assert count.locator(".sr-only").inner_text() == "项待办"  # and a screen reader hears what it counts
    page.click("nav >> text=督办建议")
    page.wait_for_selector(".unit-group")
    assert page.locator(".unit-group").count() == 2
    office.shot("letters-01-proposals")
    # 不予督办 asks first (the button's own question, not the form's): declined, nothing is dismissed
    asked = []
    page.click("summary:has-text('不予督办')")
    page.fill("input[name=note]", "试一下")
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('对勾选的建议不予督办')")
    assert asked and "不予督办" in asked[0] and "/letters/proposals" in page.url
    assert page.locator(".unit-group").count() == 2
    page.fill("input[name=note]", "")
    page.click("button:has-text('生成督办函草稿')")  # the form itself asks nothing
    page.wait_for_selector("textarea[name=body]")
    assert "/edit" in page.url
    office.shot("letters-02-draft-edit")
    page.fill("input[name=title]", "关于督促整改人民路、建设路沿线牛皮癣问题的督办函")
    page.click("button:has-text('保存草稿')")
    page.wait_for_selector(".alert.success")
    preview = page.get_attribute("a:has-text('预览草稿（PDF）')", "href")
    pdf = page.request.get(server + preview)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "草稿" in text and "人民路、建设路沿线牛皮癣问题" in text and "文明督〔" not in text
    (tmp_path / "draft.pdf").write_bytes(pdf.body())
    db.session.expire_all()
    letter = db.session.scalar(select(Letter))
    assert letter.status == "draft" and letter.number is None and len(letter.recipients) == 2
    office.close()

    # --- the leader signs (phone) -------------------------------------------------------------------
    leader = phones("leader")
    page = leader.page
    page.click("nav >> text=待签发")
    page.wait_for_selector(".tcard.is-draft")
    leader.shot("letters-03-sign-queue")
    page.click(".tcard.is-draft a")
    page.wait_for_selector("button:has-text('签发')")
    leader.shot("letters-04-before-signing")
    _narrow(leader, "letters-04-before-signing")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('签发')")  # asked, declined: still a draft
    assert asked and "签发" in asked[0] and "不可再改" in asked[0]
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).number is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('签发')")
    page.wait_for_selector(".alert.success")
    number = f"临江文明督〔{local(utcnow()).year}〕1号"
    assert f"已签发 {number}" in page.inner_text(".alert.success")
    leader.shot("letters-05-signed")
    leader.close()
    db.session.expire_all()
    letter = db.session.get(Letter, letter.id)
    assert letter.status == "issued" and letter.number == number
    assert all(db.session.get(Ticket, t.id).escalation_level == 1 for t in tickets)

    # --- street A signs for it and replies in writing (phone) ---------------------------------------
    unit = phones("unit_a")
    page = unit.page
    page.click("nav >> text=督办函")
    page.wait_for_selector(f"text={number}")
    assert "未签收" in page.inner_text("main")
    unit.shot("letters-06-unit-list")
    page.click(f"text={number}")
    page.wait_for_selector("button:has-text('签收')")
    assert tickets[2].number not in page.inner_text("main")  # street B's problem is street B's
    page.click("button:has-text('签收')")
    page.wait_for_selector(".alert.success")
    pdf_path = tmp_path / "整改报告.pdf"
    pdf_path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
                         b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    page.fill("textarea[name=text]", "1. 人民路18号、26号小广告已于当日清除；\n2. 已安排专人每日巡查，防止反弹。")
    # two photos as the camera took them (4.2 MB) under a 2 MB limit: scaled on the phone first (shrink.js), they fit
    page.set_input_files(".reply-form input[type=file]", [str(PHOTOS / "mobile_HMD_Nokia_8.3_5G.jpg"),
                                                          str(PHOTOS / "hdr_iphone_hdr_YES.jpg"), str(pdf_path)])
    unit.shot("letters-07-reply-form")
    limit, app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_CONTENT_LENGTH"], 2 * 1024 * 1024
    page.click("button:has-text('提交书面回复')")
    page.wait_for_selector(".alert.success:has-text('书面回复已提交')")  # not the 签收's, still on the page
    app.config["MAX_CONTENT_LENGTH"] = limit
    assert page.locator("#replies .photos img").count() == 2
    assert "书面回复已提交" in page.inner_text(".alert.success")
    assert "整改报告.pdf" in page.inner_text("#replies")
    unit.shot("letters-08-replied")
    _narrow(unit, "letters-08-replied")
    unit.close()

    # the units rectify, the inspector verifies (their own pages, tested elsewhere)
    for ticket in tickets:
        ticket = db.session.get(Ticket, ticket.id)
        clerk = city.unit_b if ticket.unit_id == city.street_b.id else city.unit_a
        services.rectify(clerk, ticket, utcnow(), "已清理", [processed()])
        services.approve(city.inspector, ticket, utcnow(), "")
    db.session.commit()

    # --- the office clears every item; the letter is done (desktop) ---------------------------------
    office = phones("admin", device="Desktop Chrome", location=None)
    page = office.page
    page.goto(f"{server}/letters/{letter.id}")
    page.wait_for_selector("#items")
    assert "两处" not in page.inner_text("#replies") and "人民路18号、26号小广告已于当日清除" in page.inner_text("#replies")
    office.shot("letters-09-office-letter")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    for _ in tickets:
        page.click("#items button:has-text('销号') >> nth=0")
        page.wait_for_selector(".alert.success")
    assert len(asked) == len(tickets) and all(q.startswith("确认 ") and "销号？" in q for q in asked)  # each asked
    assert "已办结" in page.inner_text(".dhead")
    office.shot("letters-10-done")
    office.close()
    db.session.expire_all()
    letter = db.session.get(Letter, letter.id)
    assert letter.status == "done" and all(item.outcome == "cleared" for item in letter.items)
