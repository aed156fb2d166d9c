"""The phone in the field (issue 16), in a real browser: filing without location (search, the schematic map, a
photo's EXIF position, a warning far from every segment), filing offline (queued on the phone, kept across a
reload, sent once when the connection returns), and the after-photo checks a verifier sees.

Run: python -m pytest tests/e2e/test_field.py   (E2E_SCREENSHOTS=folder keeps the screenshots)
"""
from __future__ import annotations

import pytest
from conftest import PHOTOS
from sqlalchemy import select

from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket

pytestmark = pytest.mark.browser

FAR_AWAY = (39.9042, 116.4074)  # Beijing: about 1,300 km from the test city
NO_GPS_PHOTO = "Canon_40D.jpg"
GPS_PHOTO = "hdr_iphone_hdr_YES.jpg"  # EXIF position in Madrid


def kept_offline(page, context, description: str) -> None:
    """A 牛皮癣 report filed with the phone offline (the page controlled by the service worker, which serves the
    queue's scripts offline), kept in the queue; the phone stays offline."""
    filled_offline(page, context, description)
    page.click("button:has-text('提交上报')")
    page.wait_for_selector(".queue:visible .queue-item")


def filled_offline(page, context, description: str) -> None:
    """kept_offline's report, filled in with the phone offline but not sent yet."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.wait_for_selector(".net-off:visible")
    page.click("label.tile:has-text('牛皮癣')")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / "mobile_HMD_Nokia_8.3_5G.jpg"))
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    page.fill("textarea[name=description]", description)


def tickets() -> list[Ticket]:
    db.session.expire_all()
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def test_without_location_the_inspector_searches_and_files_to_a_chosen_segment(city, phones):
    inspector = phones("inspector", location=None)
    page = inspector.page
    assert page.url.endswith("/tickets/new")
    page.wait_for_selector(".loc-status:has-text('未允许定位')")
    # Nothing heavy before a search (issue 17): the automatic choice only, this inspector has filed nothing yet.
    assert page.locator("select[name=segment_id] option").count() == 1
    page.fill("#segment-q", "乙街道")  # the street office's name finds its segment, asked from the server
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段')")
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)
    page.fill("#segment-q", "不存在的路")
    page.wait_for_selector(".seg-found:has-text('没有找到“不存在的路”')")
    # the segment chosen before stays chosen, listed apart
    assert page.locator("select[name=segment_id] optgroup[label='已选的路段'] option").count() == 1
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)
    page.fill("#segment-q", "建设路")
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段')")
    page.click("label.tile:has-text('牛皮癣')")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / NO_GPS_PHOTO))
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    inspector.shot("field-01-no-location-search")
    page.click("button:has-text('提交上报')")
    page.wait_for_url("**/filed")
    [ticket] = tickets()
    assert ticket.segment_id == city.seg_b.id and ticket.unit_id == city.street_b.id
    inspector.close()


def test_with_location_a_search_replaces_the_nearby_segments_until_it_is_cleared(city, phones):
    inspector = phones("inspector")  # standing on 人民路东段
    page = inspector.page
    page.wait_for_selector("select[name=segment_id] optgroup[label='附近路段（您的位置）']", state="attached")
    assert page.locator("select[name=segment_id] option").count() == 3  # automatic + the two near ones
    assert "人民路东段" in page.inner_text("select[name=segment_id] option >> nth=0")
    page.fill("#segment-q", "临江区")
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段')")
    assert page.locator("select[name=segment_id] optgroup").count() == 1
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)
    inspector.shot("field-06-search-with-location")
    page.fill("#segment-q", "")
    page.wait_for_selector("select[name=segment_id] optgroup[label='附近路段（您的位置）']", state="attached")
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)  # the choice stays
    page.click("button.seg-go")  # the search button with JavaScript: searches in place, no page load
    page.fill("#segment-q", "人民")
    page.click("button.seg-go")
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段')")
    # a new search chooses its first match, as typing does
    assert page.url.endswith("/tickets/new") and page.input_value("select[name=segment_id]") == str(city.seg_a.id)
    inspector.close()


def test_without_javascript_the_search_button_brings_the_page_back_with_the_matches(city, phones):
    inspector = phones("inspector", location=None, java_script_enabled=False)
    page = inspector.page
    page.click("label.tile:has-text('牛皮癣')")
    page.fill("input[name=address]", "建设路12号")
    page.fill("#segment-q", "乙街道")
    page.click("button.seg-go")
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段')")
    assert "csrf_token" not in page.url and "segment_q=" in page.url
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)
    assert page.input_value("input[name=address]") == "建设路12号" and page.is_checked("input[value=niupixuan]")
    inspector.shot("field-07-search-without-javascript")
    page.set_input_files("input[type=file]", str(PHOTOS / NO_GPS_PHOTO))
    page.click("button:has-text('提交上报')")
    page.wait_for_url("**/filed")
    [ticket] = tickets()
    assert ticket.segment_id == city.seg_b.id and ticket.address == "建设路12号"
    inspector.close()


def test_the_map_picks_the_tapped_segment(city, phones):
    inspector = phones("inspector", location=None)
    page = inspector.page
    page.click("button.map-toggle")
    page.wait_for_selector(".segmap-svg .seg", state="attached")  # a level line has no height: "hidden"
    assert page.locator(".segmap-svg .seg").count() == 2
    # Tap the middle of 人民路东段 on the drawing.
    page.locator(".segmap-svg").scroll_into_view_if_needed()
    box = page.locator(".segmap-svg .seg >> nth=0").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "已选：人民路东段" in page.inner_text(".segmap-pick")
    assert page.input_value("select[name=segment_id]") == str(city.seg_a.id)
    inspector.shot("field-02-map-pick")
    inspector.close()


def test_a_photos_exif_position_and_a_far_position_warn(city, phones):
    inspector = phones("inspector", location=FAR_AWAY)
    page = inspector.page
    page.wait_for_selector(".loc-far:visible")
    warning = page.inner_text(".loc-far")
    assert "您的位置距最近的责任路段" in warning and "公里" in warning and "不在本市" in warning
    assert page.locator("select[name=segment_id] option").count() == 1  # no far "nearby" ones, no full list
    assert page.inner_text("select[name=segment_id] option >> nth=0") == "不自动匹配（请选择路段）"
    inspector.shot("field-03-far-warning")
    inspector.close()

    without = phones("inspector", location=None)
    page = without.page
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / GPS_PHOTO))
    page.wait_for_selector(".loc-status:has-text('照片中的拍摄位置')")
    page.wait_for_selector(".loc-far:visible")
    assert "照片拍摄位置距最近的责任路段" in page.inner_text(".loc-far")
    without.close()


def test_offline_filing_queues_survives_a_reload_and_sends_once(city, phones, server):
    inspector = phones("inspector")
    page, context = inspector.page, inspector.context
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which has the page and its assets
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    page.wait_for_selector(".net-off:visible")
    page.fill("#segment-q", "人民")  # the search needs the server: said plainly, the form still files
    page.wait_for_selector(".seg-found:has-text('暂时无法搜索路段')")
    page.fill("#segment-q", "")
    context.set_offline(False)  # once the map was opened with a connection, the search uses its kept data offline
    page.click("button.map-toggle")
    page.wait_for_selector(".segmap-svg .seg", state="attached")
    page.click("button.map-toggle")
    context.set_offline(True)
    page.fill("#segment-q", "临江区")
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段（没有网络：按本机保存的路段地图搜索）')")
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)
    page.fill("#segment-q", "")
    page.select_option("select[name=segment_id]", "")  # matched by the phone's position, as before
    page.click("label.tile:has-text('牛皮癣')")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / "mobile_HMD_Nokia_8.3_5G.jpg"))
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    page.fill("textarea[name=description]", "离线上报：站牌小广告")
    page.click("button:has-text('提交上报')")
    page.wait_for_selector(".queue:visible .queue-item")
    assert page.inner_text(".queue-count") == "1"
    assert page.locator(".previews figure").count() == 0  # a fresh form for the next report
    inspector.shot("field-04-offline-queued")

    page.reload()  # offline: the service worker serves the page, the queue is still there
    page.wait_for_selector(".queue:visible .queue-item")
    assert "等待发送" in page.inner_text(".queue-item")
    assert tickets() == []

    # Back online, the first answer is lost on the way (the server filed it; the phone saw a broken connection):
    # the report stays queued, and the next try is answered with the ticket already made.
    lost = []

    def lose_the_answer(route):
        route.fetch()  # the server gets it and files it
        lost.append(route.request.url)
        route.abort()

    page.route("**/tickets/new", lambda route: lose_the_answer(route) if route.request.method == "POST"
               else route.fallback())
    context.set_offline(False)
    for _ in range(200):  # the queue sends by itself once the phone is online (IndexedDB first: give it time)
        if lost:
            break
        page.wait_for_timeout(100)
    page.wait_for_selector(".queue-item:has-text('等待发送')")  # the answer was lost: still queued
    assert lost and len(tickets()) == 1
    assert page.inner_text(".queue-count") == "1"
    page.unroute("**/tickets/new")
    page.click(".queue-send")
    page.wait_for_selector(".queue-done:has-text('已发送')", timeout=20000)
    page.wait_for_selector(".queue-count:text-is('0')")
    [ticket] = tickets()  # sent once
    assert ticket.description == "离线上报：站牌小广告" and ticket.segment_id == city.seg_a.id
    assert len(ticket.photos) == 1 and max(ticket.photos[0].width, ticket.photos[0].height) <= 1600
    assert page.locator(".queue-done a").get_attribute("href").endswith(f"/tickets/{ticket.id}/filed")
    inspector.shot("field-05-sent")
    inspector.close()


def test_the_kept_on_the_phone_line_goes_once_the_report_is_sent(city, phones):
    """The form's "没有网络：…已保存在手机上" line is for the report waiting; once it is sent (no reload between),
    the queue says 已发送 and the line under the form is gone."""
    inspector = phones("inspector")
    page, context = inspector.page, inspector.context
    kept_offline(page, context, "离线上报：灯杆小广告")
    assert "已保存在手机上" in page.inner_text("form.js-photos .status")
    context.set_offline(False)  # sent by itself
    page.wait_for_selector(".queue-done:has-text('已发送')", timeout=20000)
    page.wait_for_selector(".queue-count:text-is('0')")
    assert page.inner_text("form.js-photos .status").strip() == ""
    assert len(tickets()) == 1
    inspector.close()


def test_a_phone_whose_storage_is_full_keeps_the_report_in_the_form(city, phones):
    """Offline, and the phone's storage is full (IndexedDB refuses the report: QuotaExceededError). Before, the form
    showed the browser's English words ("The quota has been exceeded."); now it says why in Chinese, and the photo,
    the category and the description stay in the form, nothing queued."""
    inspector = phones("inspector")
    page, context = inspector.page, inspector.context
    filled_offline(page, context, "存储已满时的上报")
    page.wait_for_function("window.OfflineQueue !== undefined")  # loaded on going offline
    page.evaluate("""() => { OfflineQueue.add = () => Promise.reject(
        new DOMException("The quota has been exceeded.", "QuotaExceededError")); }""")
    page.click("button:has-text('提交上报')")
    page.wait_for_selector(".js-error:has-text('手机存储空间不足，这条上报没能保存在手机上。照片仍在表单中')")
    inspector.shot("field-09-phone-full")
    assert "quota" not in page.inner_text(".js-error")
    assert page.locator(".previews figure").count() == 1 and page.is_checked("label.tile:has-text('牛皮癣') input")
    assert page.input_value("textarea[name=description]") == "存储已满时的上报"
    assert page.is_enabled("button:has-text('提交上报')") and page.is_hidden(".queue-item")
    inspector.close()


def test_a_refused_kept_report_goes_back_into_the_form_and_is_sent_changed(city, phones):
    """A report kept offline is refused once sent (its category was retired meanwhile): 发送失败, with 删除 and
    改后重发. 改后重发 puts it back into the form, photo, text and what the photo said of itself (its time) included;
    it stays on the phone until the changed form is sent, then the queue is empty and one ticket is filed."""
    inspector = phones("inspector")
    page, context = inspector.page, inspector.context
    kept_offline(page, context, "离线上报：路口违停")
    city.niupixuan.active = False  # retired while the phone was offline
    db.session.commit()
    context.set_offline(False)
    page.wait_for_selector(".queue-item.failed:has-text('发送失败：请选择有效的问题类别。')", timeout=20000)
    assert not tickets()
    inspector.shot("field-05-refused-kept")

    page.click(".queue-item.failed button:has-text('改后重发')")
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    assert page.input_value("textarea[name=description]") == "离线上报：路口违停"
    assert page.locator(".previews figure").count() == 1
    assert page.is_checked("input[name=category][value=niupixuan]")
    assert "已放回表单" in page.inner_text("form.js-photos .status")
    assert page.inner_text(".queue-count") == "1"  # still on the phone until the form is sent
    inspector.shot("field-06-put-back")
    page.click("label.tile:has-text('乱停乱放')")
    page.click("button:has-text('提交上报')")
    page.wait_for_url("**/filed", timeout=20000)
    [ticket] = tickets()
    assert (ticket.category.code, ticket.description) == ("illegal_parking", "离线上报：路口违停")
    [photo] = ticket.photos
    assert photo.taken_at is not None  # the photo's EXIF time, kept in photo_meta while the photo was queued
    kept = page.evaluate("""new Promise(ok => { const r = indexedDB.open("inspect-offline");
        r.onsuccess = () => r.result.transaction("outbox").objectStore("outbox").count()
          .onsuccess = e => ok(e.target.result); })""")
    assert kept == 0
    inspector.close()


CACHED_PATHS = """caches.keys().then(names => Promise.all(names.map(name => caches.open(name).then(c => c.keys()))))
  .then(lists => lists.flat().map(request => new URL(request.url).pathname))"""


def test_the_service_worker_keeps_the_filing_page_only_for_those_who_may_file(app, city, phones, monkeypatch):
    """Installing, the worker fetches the pages it keeps offline: the filing page for an inspector, never for a
    unit's clerk, who may not open it (every unit login logged "GET /tickets/new 403")."""
    asked: list[tuple[str, str]] = []
    inner = app.wsgi_app

    def recording(environ, start_response):
        asked.append((environ["PATH_INFO"], environ.get("HTTP_SERVICE_WORKER", "")))
        return inner(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", recording)
    clerk = phones("unit_a")
    assert clerk.page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)").endswith("/sw.js")
    cached = clerk.page.evaluate(CACHED_PATHS)
    assert "/offline" in cached and "/tickets/new" not in cached
    assert [path for path, _ in asked if path == "/tickets/new"] == []
    clerk.close()

    inspector = phones("inspector")
    script = inspector.page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)")
    assert script.endswith("/sw.js?keep=/tickets/new+/patrols/checkin")
    assert {"/tickets/new", "/patrols/checkin"} <= set(inspector.page.evaluate(CACHED_PATHS))
    inspector.close()


def test_a_report_kept_overnight_is_sent_after_logging_in_again(city, phones):
    """The session ends while a report waits on the phone (the next morning, the cookie gone): the queue waits for a
    login, and once the inspector is in again the report goes with the new page's CSRF token, not the one kept
    with it, which the new session would refuse (a dead end: 发送失败, only 删除)."""
    inspector = phones("inspector")
    page, context = inspector.page, inspector.context
    kept_offline(page, context, "隔夜上报：路灯杆小广告")
    context.clear_cookies()  # the session is over
    context.set_offline(False)
    page.wait_for_selector(".queue-item:has-text('登录已过期')", timeout=20000)
    assert tickets() == []
    inspector.login("inspector")  # a new session, with a new CSRF secret
    page.goto(inspector.base + "/tickets/new")
    page.wait_for_selector(".queue-done:has-text('已发送')", timeout=20000)
    page.wait_for_selector(".queue-count:text-is('0')")
    [ticket] = tickets()
    assert ticket.description == "隔夜上报：路灯杆小广告"
    inspector.close()


def test_a_kept_report_waits_for_a_login_that_ran_out_on_the_server(city, phones):
    """The login ran out on the server (LOGIN_SESSION_HOURS) while the cookie stayed: the server answers the
    queue's sending 401 (auth/web.py unauthorized, for a page's script), and the report waits for a login, as it does
    when the cookie is gone, instead of being marked 发送失败."""
    from datetime import timedelta

    from sqlalchemy import update

    from inspect_app.auth.models import LoginSession
    from inspect_app.common.timeutil import utcnow

    inspector = phones("inspector")
    page, context = inspector.page, inspector.context
    kept_offline(page, context, "过期登录：路灯杆小广告")
    db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    context.set_offline(False)
    page.wait_for_selector(".queue-item:has-text('登录已过期')", timeout=20000)
    assert "发送失败" not in page.inner_text(".queue") and tickets() == []
    inspector.close()


def test_the_carriers_block_comes_with_its_category_and_files_lead_and_assisting_units(city, phones):
    """In a city whose 蜘蛛网 goes to the 产权 units the inspector picks, the block and its script (responsibility.js)
    come when 蜘蛛网 is picked, not with the page (issue 17: the page's own scripts stay within 10 KB); the lead
    and the assisting carrier picked there are the ticket's parts."""
    from test_web_pages import with_responsibility_block

    from inspect_app.tickets.models import TicketUnit
    from inspect_app.units.models import Unit

    with_responsibility_block(city)
    inspector = phones("inspector")
    page = inspector.page
    asked: list[str] = []
    page.on("request", lambda request: "responsibility.js" in request.url and asked.append(request.url))
    page.reload()
    page.wait_for_selector("select[name=segment_id] optgroup", state="attached")
    owner, frontage = page.locator("fieldset.resp-owner"), page.locator("fieldset.resp-frontage")
    assert owner.count() == 1 and frontage.count() == 1
    assert not owner.is_visible() and not frontage.is_visible()
    page.click("label.tile:has-text('牛皮癣')")
    page.wait_for_timeout(300)
    assert asked == [] and not owner.is_visible()
    page.click("label.tile:has-text('蜘蛛网')")
    owner.wait_for(state="visible")
    assert not frontage.is_visible()
    page.click("label.tile:has-text('牛皮癣')")
    owner.wait_for(state="hidden")
    page.click("label.tile:has-text('蜘蛛网')")
    owner.wait_for(state="visible")
    page.check("input[aria-label='中国联通临江分公司为主办']")
    page.check("input[aria-label='中国移动临江分公司为协办']")
    page.set_input_files("form.js-photos input[type=file]", str(PHOTOS / NO_GPS_PHOTO))
    page.wait_for_selector(".previews figcaption:has-text('KB')")
    inspector.shot("field-responsibility-carriers")
    page.click("button:has-text('提交上报')")
    page.wait_for_url("**/filed")
    assert len(asked) == 1  # loaded once, at the first 蜘蛛网
    [ticket] = tickets()
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    parts = {(p.unit_id, p.role)
             for p in db.session.scalars(select(TicketUnit).where(TicketUnit.ticket_id == ticket.id))}
    assert ticket.unit_id == units["QY02"]
    assert parts == {(units["QY02"], "lead"), (units["QY01"], "assist")}
    inspector.close()


def test_the_frontage_picker_says_when_it_lists_only_some_of_the_shops_found(city, phones):
    """The picker lists 8 shops: with more found (twelve 米粉店 on the street, five of one name), it says how many
    and asks for more words, so the inspector does not pick a neighbour of the same name for want of the one cut
    off; a search that narrows them down says nothing more."""
    from test_web_pages import with_responsibility_block

    from inspect_app.frontages.models import Frontage
    from inspect_app.units.models import Category, Unit

    with_responsibility_block(city)
    db.session.scalar(select(Category).where(Category.code == "frontage_dirty")).common = True  # a big button
    street = db.session.scalar(select(Unit).where(Unit.kind == "街道"))
    db.session.add_all([Frontage(code=f"JF-{n:03d}", name="小李米粉店" if n < 5 else f"米粉店{n}",
                                 address=f"太平街{100 + n}号", street_unit=street) for n in range(12)])
    db.session.commit()
    inspector = phones("inspector")
    page = inspector.page
    page.reload()
    page.click("label.tile:has-text('门前脏乱')")
    box = page.locator("fieldset.resp-frontage input[name=frontage_code]")
    box.wait_for(state="visible")
    box.fill("米粉")
    page.wait_for_selector(".resp-found li.hint")
    assert page.locator(".resp-found button").count() == 8
    assert page.inner_text(".resp-found li.hint") == "共找到 12 家，只列出前 8 家。没有要找的，请输入更多文字（如门牌号）。"
    box.fill("太平街103")
    page.locator(".resp-found button:nth-child(1)").nth(1).wait_for(state="detached")  # the new answer: one shop
    assert page.locator(".resp-found button").count() == 1
    assert "太平街103号" in page.inner_text(".resp-found button")
    assert page.locator(".resp-found li.hint").count() == 0
    inspector.close()


def test_the_filing_page_opens_from_the_phone_while_the_server_cannot_serve_it(city, phones):
    """The database is away (or the app restarting behind nginx: 502, 504): the filing page the phone keeps is
    shown instead of the server's 503, so the inspector can fill in the report, and the reports kept on the phone
    are still listed. A page the phone does not keep shows the server's own 503 page."""
    from test_database_down import database_down

    inspector = phones("inspector")
    page = inspector.page
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    with database_down():
        response = page.goto(inspector.base + "/tickets/new")
        assert response.status == 200 and page.is_visible("button:has-text('提交上报')")
        assert "服务器暂时无法处理请求" in page.inner_text("main .sw-away")  # it says whose page this is
        page.click("label.tile:has-text('牛皮癣')")  # the form works: the inspector can start the report
        inspector.shot("field-06-kept-page-while-the-server-is-away")
        response = page.goto(inspector.base + "/tickets")
        assert response.status == 503 and "数据库暂时无法访问" in page.inner_text("main")
    page.goto(inspector.base + "/tickets/new")  # back: from the server again
    page.wait_for_selector("button:has-text('提交上报')")
    assert page.locator("main .sw-away").count() == 0
    inspector.close()


def test_a_patrol_check_in_from_the_phone(city, phones):
    """巡查打卡: the phone's position brings the segments within reach, the nearest picked; the check-in is kept and
    listed; far from every segment the button stays off and says why."""
    from inspect_app.patrols.models import Patrol

    phone = phones("inspector")
    page = phone.page
    page.goto(phone.base + "/patrols/checkin")
    page.wait_for_selector("form.patrol label.tile:has-text('人民路东段')")
    assert page.is_checked("form.patrol input[name=segment_id]")
    assert "精度约15米" in page.inner_text(".loc-status")
    page.wait_for_selector(".patrol-next li:has-text('建设路西段')")  # 1.1 km away, not walked this week
    page.fill("form.patrol input[name=note]", "路面整洁")
    phone.shot("patrol-checkin")
    page.click("form.patrol button:has-text('打卡')")
    page.wait_for_selector(".patrol-today li:has-text('人民路东段')")
    assert "路面整洁" in page.inner_text(".patrol-today")
    db.session.expire_all()
    patrol = db.session.scalar(select(Patrol))
    assert (patrol.segment_id, patrol.user_id, patrol.accuracy_m) == (city.seg_a.id, city.inspector.id, 15.0)
    phone.close()

    # another inspector with a full-size phone photo: scaled on the phone as a report's is, its camera time kept
    from PIL import Image

    from inspect_app.photos.processing import process_image
    from inspect_app.photos.service import store

    original = PHOTOS / "mobile_HMD_Nokia_8.3_5G.jpg"  # 4608x1976, 2.2 MB, EXIF time
    other = phones("inspector2")
    page = other.page
    page.goto(other.base + "/patrols/checkin")
    page.wait_for_selector("form.patrol label.tile:has-text('人民路东段')")
    page.set_input_files("form.patrol input[name=photo]", str(PHOTOS / "not_an_image.jpg"))  # refused, said so
    page.click("form.patrol button:has-text('打卡')")
    page.wait_for_selector(".patrol-error:has-text('无法识别的文件格式')")
    assert page.is_enabled("form.patrol button:has-text('打卡')") and page.url.endswith("/patrols/checkin")
    page.set_input_files("form.patrol input[name=photo]", str(original))
    posts = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/patrols/checkin") and posts.append(r))
    page.click("form.patrol button:has-text('打卡')")
    page.wait_for_selector(".patrol-today img.patrol-thumb")
    other.shot("patrol-checkin-photo")
    assert len(posts[0].post_data_buffer) < original.stat().st_size / 3
    db.session.expire_all()
    with_photo = db.session.scalar(select(Patrol).where(Patrol.user_id == city.inspector2.id))
    with Image.open(store().path(with_photo.photo_key)) as stored:
        assert max(stored.size) <= 1600
    assert with_photo.photo_taken_at == process_image(original.read_bytes()).taken_at
    other.close()

    far = phones("inspector2", location=FAR_AWAY)
    far.page.goto(far.base + "/patrols/checkin")
    far.page.wait_for_selector(".loc-status:has-text('200米内没有责任路段')")
    assert far.page.is_disabled("form.patrol button:has-text('打卡')")
    assert far.page.is_hidden(".patrol-next")  # nothing within 3 km either


def test_a_check_in_without_a_connection_is_kept_and_sent_later(city, phones, clock):
    """离线打卡: offline, the check-in page opens from the phone, the check-in is kept there (with the moment it was
    made, and survives a reload), and goes by itself once the connection returns, recorded at that moment, on the
    segment the server matches to the position, marked with how long it waited."""
    from datetime import datetime, timezone

    from inspect_app.patrols.models import Patrol

    clock.set(datetime.now(timezone.utc).isoformat())  # the phone's clock is the real one: the server's too
    phone = phones("inspector")
    page, context = phone.page, phone.context
    page.goto(phone.base + "/patrols/checkin")
    page.wait_for_selector("form.patrol label.tile:has-text('人民路东段')")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker, which keeps this page and its scripts
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_selector("form.patrol label.tile:has-text('人民路东段')")

    context.set_offline(True)
    page.reload()  # from the phone
    page.wait_for_selector(".loc-status:has-text('没有网络：可以先打卡')")
    page.fill("form.patrol input[name=note]", "地下通道口，没有信号")
    page.click("form.patrol button:has-text('打卡')")
    page.wait_for_selector(".patrol-queue:visible .queue-item:has-text('巡查打卡')")
    assert "已保存在手机上" in page.inner_text(".loc-status")
    assert page.input_value("form.patrol input[name=note]") == ""
    phone.shot("patrol-offline-kept")
    page.reload()
    page.wait_for_selector(".patrol-queue:visible .queue-item:has-text('等待上传')")
    db.session.expire_all()
    assert db.session.scalar(select(Patrol)) is None

    page.wait_for_timeout(1500)  # it waited a little: the record says when it was made, not when it arrived
    context.set_offline(False)
    page.wait_for_selector(".queue-done:has-text('已上传1条')", timeout=20000)
    page.wait_for_selector(".queue-count:text-is('0')")
    # back online, the segments load again in place of the "没有网络" line (it stayed until a reload)
    page.wait_for_selector("form.patrol label.tile:has-text('人民路东段')")
    assert "没有网络" not in page.inner_text(".loc-status")
    phone.shot("patrol-offline-sent")
    db.session.expire_all()
    patrol = db.session.scalar(select(Patrol))
    assert (patrol.segment_id, patrol.note) == (city.seg_a.id, "地下通道口，没有信号")
    assert patrol.sent_at is not None and patrol.at < patrol.sent_at
    phone.close()
