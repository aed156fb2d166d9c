"""A citizen's phone in a real browser (Chromium through Playwright, a Pixel 7 with no account and location
denied): 随手拍 with a full-size phone photo, the receipt code, and looking it up later; then the office accepts it
and the same code shows the unit at work.

Run: python -m pytest tests/e2e -s   (E2E_SCREENSHOTS=docs/screenshots keeps the screenshots there)
"""
from __future__ import annotations

import pytest
from conftest import PHOTOS
from sqlalchemy import select

pytestmark = pytest.mark.browser

PHONE_PHOTO = "mobile_HMD_Nokia_8.3_5G.jpg"  # 4608x1976, 2.2 MB: the page scales it before sending


def test_a_citizen_files_without_an_account_and_follows_the_receipt(app, city, server, phones):
    from inspect_app.extensions import db
    from inspect_app.intake import services as intake
    from inspect_app.intake.models import IntakeItem
    from inspect_app.tickets.models import Ticket

    citizen = phones(None, location=None)  # nobody logged in, and no position given
    page = citizen.page
    page.goto(server + "/citizen/report")
    page.wait_for_selector("[data-locate]:has-text('请填写问题地点')")  # location denied: type the place
    citizen.shot("citizen-01-form")
    assert page.context.cookies()[0]["name"] in ("citizen_device", "session")

    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / PHONE_PHOTO))
    page.wait_for_selector(".previews figure img")
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    page.select_option("select[name=category]", "niupixuan")
    page.fill("input[name=address]", "人民路东段公交站")
    page.fill("textarea[name=description]", "站牌上贴满小广告")
    page.fill("input[name=phone]", "13800000000")
    citizen.shot("citizen-02-filled")
    page.click("form.citizen button[type=submit]")
    page.wait_for_url("**/citizen/receipt/**")
    code = page.inner_text(".receipt-code").strip()
    assert "提交成功" in page.inner_text("h1") and "等待审核" in page.inner_text(".progress-label")
    citizen.shot("citizen-03-receipt")

    db.session.expire_all()
    item = db.session.scalar(select(IntakeItem))
    assert intake.format_receipt(item.receipt) == code and item.status == "pending"
    assert len(item.photos) == 1 and max(item.photos[0].width, item.photos[0].height) <= 1600  # scaled on the phone
    assert item.address == "人民路东段公交站" and item.lat is not None  # the photo's EXIF position came along

    # Later, from the lookup form, typed loosely
    page.goto(server + "/citizen/receipt")
    page.fill("input[name=code]", code.lower().replace("-", " "))
    page.click("button:has-text('查询')")
    page.wait_for_selector(".progress-label")
    assert "等待审核" in page.inner_text(".progress-label")

    # The office accepts it; the same code now shows who is dealing with it
    intake.accept(city.admin, item, {"category": "niupixuan", "segment_id": str(city.seg_a.id)}, item.created_at)
    db.session.commit()
    page.reload()
    page.wait_for_selector(".progress-label:has-text('已转交责任单位办理')")
    assert "甲街道办事处" in page.inner_text("dl.facts")
    citizen.shot("citizen-04-in-progress")
    assert db.session.scalar(select(Ticket.source)) == "citizen"


def test_the_citizens_page_stops_at_the_servers_photo_limit(app, city, server, phones):
    """The page said 最多3张 and the server took 3, but its script let a 9th be picked (MAX_PHOTOS = 9 in
    report.js): the citizen learnt of it only from the server's refusal. It now stops at the form's own limit."""
    citizen = phones(None, location=None)
    page = citizen.page
    page.goto(server + "/citizen/report")
    limit = app.config["CITIZEN_MAX_PHOTOS"]
    assert page.get_attribute("form.citizen input[type=file]", "data-max") == str(limit)
    page.set_input_files("form.js-photos input[type=file]", [str(PHOTOS / "Canon_40D.jpg")] * (limit + 1))
    page.wait_for_selector(f".previews figure:nth-child({limit}) figcaption:has-text('KB')")
    assert page.locator(".previews figure").count() == limit
    assert page.inner_text(".js-error") == f"照片最多{limit}张。"
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / "Canon_40D.jpg"))  # one more: no room
    assert page.locator(".previews figure").count() == limit


def test_the_citizens_page_asks_for_the_place_before_sending_the_photos(app, city, server, phones):
    """No position and no place typed: the server refused after the upload (请填写问题地点…). The page asks first,
    nothing sent; a photo with its own GPS position is place enough."""
    from inspect_app.extensions import db
    from inspect_app.intake.models import IntakeItem, RateCounter

    citizen = phones(None, location=None)
    page = citizen.page
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(server + "/citizen/report")
    page.wait_for_selector("[data-locate]:has-text('请填写问题地点')")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / "Canon_40D.jpg"))  # no GPS in it
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    page.select_option("select[name=category]", "niupixuan")
    page.click("form.citizen button[type=submit]")
    page.wait_for_selector(".js-error:has-text('请填写问题地点')")
    assert posts == [] and page.evaluate("document.activeElement.name") == "address"
    db.session.expire_all()
    assert db.session.query(RateCounter).count() == 0  # not even counted

    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / "gps_DSCN0010.jpg"))  # its own position
    page.wait_for_selector(".previews figcaption:has-text('含位置')")
    page.click("form.citizen button[type=submit]")
    page.wait_for_url("**/citizen/receipt/**")
    db.session.expire_all()
    assert db.session.query(IntakeItem).one().lat is not None
