"""The phone flow in a real browser (Chromium through Playwright, as a Pixel 7 with location on):
an inspector files a report with a full-size phone photo, the unit rectifies, the inspector approves.

Run: python -m pytest tests/e2e -s   (E2E_SCREENSHOTS=docs/screenshots keeps the screenshots there)
"""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import PHOTOS, City

pytestmark = pytest.mark.browser

PHONE_PHOTO = "mobile_HMD_Nokia_8.3_5G.jpg"  # 4608x1976, 2.2 MB, EXIF time and GPS


@pytest.fixture
def rotated_photo(tmp_path) -> Path:
    """A 2400x1800 photo stored sideways with EXIF Orientation 6 (upright it is portrait), big enough that the
    page scales it in the browser, so the stored result shows whether the browser applied the orientation."""
    from PIL import Image

    source = Image.open(PHOTOS / "orientation_portrait_6.jpg")
    exif = source.getexif()
    assert exif.get(0x0112) == 6 and source.width > source.height
    path = tmp_path / "sideways.jpg"
    source.resize((2400, 1800)).save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def test_phone_flow_file_rectify_approve(app, city, server, phones, rotated_photo):
    from sqlalchemy import select

    from inspect_app.extensions import db
    from inspect_app.photos.processing import process_image
    from inspect_app.tickets.models import Ticket

    # --- the inspector files a report ------------------------------------------------------------
    inspector = phones()
    page = inspector.page
    page.goto(server + "/login")
    inspector.shot("01-login")
    inspector.login("inspector")
    assert page.url.endswith("/tickets/new")
    page.wait_for_selector("select[name=segment_id] option:nth-child(2)", state="attached")
    assert "已定位" in page.inner_text(".loc-status")
    assert "人民路东段" in page.inner_text("select[name=segment_id] option:first-child")
    inspector.shot("02-new-report")
    weight = {url: page.request.get(server + url).body() for url in (
        "/tickets/new", page.get_attribute("link[rel=stylesheet]", "href"), page.get_attribute("script[src*=report]", "src"))}
    print(f"\nfiling page: {sum(map(len, weight.values())):,} bytes of HTML+CSS+JS, "
          f"{sum(len(gzip.compress(b)) for b in weight.values()):,} gzipped")

    page.click("label.tile:has-text('牛皮癣')")
    # A file that is no photo: the browser cannot scale it, the server refuses it, the form stays.
    key = page.input_value("input[name=idempotency_key]")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / "not_an_image.jpg"))
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    page.click("button:has-text('提交上报')")
    page.wait_for_selector(".js-error:has-text('无法识别的文件格式')")
    assert page.url.endswith("/tickets/new") and page.is_enabled("button:has-text('提交上报')")
    assert page.input_value("input[name=idempotency_key]") == key  # a retry is the same report
    inspector.shot("03-refused-file")
    page.click(".previews .rm")
    db.session.expire_all()
    assert db.session.scalar(select(Ticket)) is None

    page.click("button:has-text('提交上报')")  # no photo: said; choosing one takes the message away
    page.wait_for_selector(".js-error:has-text('请至少拍摄或选择一张照片。')")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / PHONE_PHOTO))
    page.wait_for_selector(".js-error", state="hidden")
    page.wait_for_selector(".previews figure img")
    page.wait_for_selector(".previews figcaption:has-text('KB')")  # scaled (no eval: the CSP forbids it)
    page.fill("textarea[name=description]", "公交站牌上张贴小广告")
    inspector.shot("04-photo-chosen")

    posts = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/tickets/new") and posts.append(r))
    page.click("button:has-text('提交上报')")
    page.wait_for_url("**/filed")
    inspector.shot("05-filed")
    body = posts[0].post_data_buffer
    original = (PHOTOS / PHONE_PHOTO).stat().st_size
    print(f"\nphone page sent {len(body):,} bytes for a {original:,}-byte photo "
          f"({len(body) / original:.0%})")
    assert len(body) < original / 3

    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket))
    assert ticket.number in page.inner_text("main")
    assert "甲街道办事处" in page.inner_text("main")
    assert ticket.segment_id == city.seg_a.id and ticket.unit_id == city.street_a.id
    assert abs(ticket.lat - City.ON_A[0]) < 1e-5 and abs(ticket.lon - City.ON_A[1]) < 1e-5
    [photo] = ticket.photos
    assert max(photo.width, photo.height) <= 1600  # scaled in the browser (the server keeps 2560)
    assert photo.width > photo.height
    exif = process_image((PHOTOS / PHONE_PHOTO).read_bytes())  # what the original's EXIF says
    assert abs(photo.lat - exif.lat) < 1e-6 and abs(photo.lon - exif.lon) < 1e-6
    assert photo.taken_at == exif.taken_at
    inspector.close()

    # --- the unit rectifies ------------------------------------------------------------------
    unit = phones()
    page = unit.page
    unit.login("unit_a")
    assert page.url.endswith("/unit/tickets")
    unit.shot("06-unit-list")
    page.click(f"text={ticket.number}")
    page.wait_for_selector("#rectify")
    unit.shot("07-unit-ticket")
    page.set_input_files("#rectify input[type=file]", str(rotated_photo))
    page.wait_for_selector("#rectify figcaption:has-text('KB')")
    page.fill("#rectify textarea[name=note]", "已清除小广告")
    page.click("button:has-text('提交整改反馈')")
    page.wait_for_selector(".alert.success")
    assert "整改情况已反馈" in page.inner_text(".alert.success")
    unit.shot("08-rectified")
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    [after] = ticket.photos_of("after")
    assert ticket.status == "rectified"
    assert after.height > after.width and after.height <= 1600  # upright portrait, scaled by the page
    unit.close()

    # --- the inspector approves ------------------------------------------------------------------
    checker = phones()
    page = checker.page
    checker.login("inspector")
    page.click("nav >> text=待核查")
    page.wait_for_selector(".compare")
    checker.shot("09-verify-queue")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("button:has-text('整改到位，结案')")  # dismissed: nothing happens
    assert asked and "结案" in asked[0]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "rectified"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('整改到位，结案')")
    page.wait_for_selector(".alert.success")
    assert "已核查结案" in page.inner_text(".alert.success")
    page.goto(f"{server}/tickets/{ticket.id}")
    assert "已结案" in page.inner_text(".dhead")
    checker.shot("10-closed")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "closed"
    checker.close()


def test_a_disk_that_fails_keeps_the_report_on_the_phone(app, city, server, phones, monkeypatch):
    """The photo's files cannot be made durable (the server's disk fails: 503): the report is kept on the phone as
    when there is no network, the form is fresh for the next one, and the server keeps no ticket and no file. Once
    the disk is mended the queue sends it, once. (Before, it stayed in the form, to be sent again by hand.)"""
    from sqlalchemy import func, select

    from conftest import upload_files
    from inspect_app.extensions import db
    from inspect_app.photos import storage
    from inspect_app.tickets.models import Ticket

    def broken_disk(paths, folder):
        raise OSError(5, "Input/output error")
    mended = storage.fsync_files
    monkeypatch.setattr(storage, "fsync_files", broken_disk)
    inspector = phones()
    page = inspector.page
    page.goto(server + "/login")
    inspector.login("inspector")
    page.wait_for_selector("select[name=segment_id] option:nth-child(2)", state="attached")
    page.click("label.tile:has-text('牛皮癣')")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / PHONE_PHOTO))
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    page.click("button:has-text('提交上报')")
    page.wait_for_selector(".status:has-text('服务器暂时无法处理（正在重启或维护）：这条上报已保存在手机上')")
    page.wait_for_selector(".queue:visible .queue-item")
    inspector.shot("11-disk-failed-kept")
    assert page.inner_text(".queue-count") == "1" and page.is_hidden(".js-error")
    assert page.locator(".previews figure").count() == 0  # a fresh form for the next report
    db.session.expire_all()
    assert db.session.scalar(select(Ticket)) is None
    assert upload_files(Path(app.config["UPLOAD_FOLDER"])) == []

    monkeypatch.setattr(storage, "fsync_files", mended)  # the disk is mended
    page.click(".queue-send")
    page.wait_for_selector(".queue-done:has-text('已发送')", timeout=20000)
    page.wait_for_selector(".queue-count:text-is('0')")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
