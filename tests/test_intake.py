"""Problems from outside (issue 15): citizens' 随手拍 without an account, the receipt code, the moderation queue,
floods refused, 12345 hotline cases imported and posted (never twice) and reported back, 媒体曝光 / 领导交办,
and the superiors' assessment feedback lists."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from conftest import BEFORE_PHOTO, City, file_tuple, multipart, processed, upload_files
from office_helpers import xlsx_bytes
from sqlalchemy import event, func, select

from inspect_app.common.timeutil import fmt
from inspect_app.extensions import db
from inspect_app.intake import services as intake
from inspect_app.intake.models import IntakeItem, IntakePhoto
from inspect_app.photos.models import Photo
from inspect_app.tickets import services as ticket_services
from inspect_app.tickets.models import Ticket
from inspect_app.units import services as units
from inspect_app.units.models import Category

REPORT = {"category": "niupixuan", "address": "人民路东段公交站", "description": "站牌上贴满小广告",
          "phone": "138 0000 0000", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1])}


def file_report(browser, fields=None, photo="Canon_40D.jpg"):
    """A stranger's phone: open the page (device cookie, CSRF token), then submit as the page's script does."""
    phone = browser()
    data = {**REPORT, **(fields or {}), "photos": [file_tuple(photo)]}
    return phone, phone.submit("/citizen/report", "/citizen/report", data, script=True, multipart=True)


def receipt_of(response) -> str:
    url = response.get_json()["redirect"]
    return re.search(r"/citizen/receipt/([A-Z0-9]+)", url).group(1)


def pending(count: int, device="d" * 64, address="a" * 64, now=None):
    """Reports that got in over time (past the limits' windows) from one sender."""
    for n in range(count):
        db.session.add(IntakeItem(source="citizen", status="pending", receipt=intake.new_receipt(),
                                  description=f"刷屏{n}", address="某处", received_at=now, created_at=now,
                                  updated_at=now, device_hash=device, address_hash=address))
    db.session.commit()


# ----------------------------------------------------------------------------- the citizen

def test_a_citizen_files_without_an_account_and_follows_the_receipt(browser, city, uploads):
    phone, response = file_report(browser)
    assert response.status_code == 200, response.get_data(as_text=True)
    code = receipt_of(response)
    page = phone.get(response.get_json()["redirect"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and f"{code[:5]}-{code[5:]}" in text and "已收到，等待审核" in text
    assert "13800000000" not in text.replace(" ", "") and "站牌" not in text  # their phone and words stay inside
    assert page.headers["Cache-Control"] == "no-store"
    item = db.session.scalar(select(IntakeItem))
    assert (item.source, item.status, item.receipt, item.contact_phone) == ("citizen", "pending", code,
                                                                           "138 0000 0000")
    assert item.category.code == "niupixuan" and item.lat == pytest.approx(City.ON_A[0])
    assert len(item.photos) == 1 and len(upload_files(uploads)) == 2  # the photo and its thumbnail
    assert db.session.scalar(select(Ticket.id)) is None  # nothing reaches a unit before the office accepts

    # anyone with the code (typed loosely) finds it; nobody finds anything else
    stranger = browser()
    lookup = stranger.get(f"/citizen/receipt?code={code[:5].lower()}-{code[5:].lower()}")
    assert lookup.status_code == 302 and lookup.location.endswith(f"/citizen/receipt/{code}")
    assert stranger.get(f"/citizen/receipt/{'2' * 10}").status_code == 404
    assert stranger.get("/citizen/receipt?code=0000").status_code == 400


def test_the_public_form_checks_its_input(browser, city, uploads):
    for fields, code in (({"category": "nope"}, "invalid_category"),
                         ({"lat": "", "lon": "", "address": ""}, "place_required"),
                         ({"phone": "call me"}, "invalid_phone")):
        _, response = file_report(browser, fields, photo="gps_DSCN0012.jpg" if code != "place_required"
                                  else "Canon_40D.jpg")
        assert response.status_code == 400 and response.get_json()["error"]["code"] == code, fields
    _, response = file_report(browser, photo="not_an_image.jpg")
    assert response.status_code == 415
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 0 and upload_files(uploads) == []
    # without a place typed, a photo's GPS position is enough
    _, response = file_report(browser, {"lat": "", "lon": "", "address": ""}, photo="gps_DSCN0010.jpg")
    assert response.status_code == 200 and db.session.scalar(select(IntakeItem.lat)) is not None


def test_a_citizen_is_offered_and_may_file_only_the_problems_a_citizen_knows(browser, city, uploads):
    from inspect_app.assessment.checklist import assessment_category
    assessment_category()  # 测评问题: the office's category for checklist failures
    db.session.add(Category(code="menqian", name="门前四包", group="市容环境", deadline_hours=24, route="frontage"))
    db.session.commit()
    text = browser().get("/citizen/report").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]*)">([^<]*)</option>', text)
    names = [name for _, name in offered]
    assert "牛皮癣" in names and "其他问题" in names
    assert "测评问题" not in names and "门前四包" not in names, names
    for code in ("assessment", "menqian"):  # nor taken when posted by hand
        _, response = file_report(browser, {"category": code}, photo="gps_DSCN0012.jpg")
        assert response.status_code == 400, code
        assert response.get_json()["error"]["code"] == "invalid_category" and "问题类型" in \
            response.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 0
    # the office still files and accepts with every category
    assert {"assessment", "menqian"} <= {c.code for c in units.active_categories()}


def test_csrf_and_the_device_cookie_guard_the_public_form(app, browser, city):
    phone = browser()
    token = phone.token("/citizen/report")
    body = {**REPORT, "photos": [file_tuple()]}
    no_token = phone.post("/citizen/report", data=body, content_type="multipart/form-data")
    assert no_token.status_code == 400
    phone.delete_cookie("citizen_device", domain="localhost")
    response = phone.post("/citizen/report", data={**body, "csrf_token": token, "photos": [file_tuple()]},
                          content_type="multipart/form-data", headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "device_cookie_missing"
    assert db.session.scalar(select(IntakeItem.id)) is None
    # a browser that keeps no cookies at all: refreshing cannot help, so the page says to allow cookies
    blocked = browser()
    token = blocked.token("/citizen/report")
    for name in (app.config["SESSION_COOKIE_NAME"], "citizen_device"):
        blocked.delete_cookie(name, domain="localhost")
    page = blocked.post("/citizen/report", data={**body, "csrf_token": token, "photos": [file_tuple()]},
                        content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "允许本站使用Cookie" in text and "页面已过期" not in text
    # with its cookies, a wrong token is still 页面已过期
    stale = phone.post("/citizen/report", data={**body, "csrf_token": "x" + token, "photos": [file_tuple()]},
                       content_type="multipart/form-data")
    assert stale.status_code == 400 and "页面已过期" in stale.get_data(as_text=True)
    assert db.session.scalar(select(IntakeItem.id)) is None


def test_the_public_page_refuses_floods(app, browser, city, uploads):
    app.config.update(CITIZEN_DEVICE_PER_HOUR=2, CITIZEN_ADDRESS_PER_HOUR=3)
    phone = browser()
    data = lambda: {**REPORT, "photos": [file_tuple()]}  # noqa: E731
    for _ in range(2):
        assert phone.submit("/citizen/report", "/citizen/report", data(), script=True,
                            multipart=True).status_code == 200
    files = len(upload_files(uploads))
    refused = phone.submit("/citizen/report", "/citizen/report", data(), script=True, multipart=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "频繁" in refused.get_json()["error"]["message"]
    assert len(upload_files(uploads)) == files  # refused before any photo was read or stored
    # a new device from the same address gets one more, then the address is full
    other = browser()
    assert other.submit("/citizen/report", "/citizen/report", data(), script=True, multipart=True).status_code == 200
    assert other.submit("/citizen/report", "/citizen/report", data(), script=True,
                        multipart=True).status_code == 429
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 3
    # everyone together
    app.config.update(CITIZEN_ADDRESS_PER_HOUR=100, CITIZEN_ALL_PER_HOUR=4)
    third = browser()
    assert third.submit("/citizen/report", "/citizen/report", data(), script=True, multipart=True).status_code == 200
    busy = third.submit("/citizen/report", "/citizen/report", data(), script=True, multipart=True)
    assert busy.status_code == 429 and "12345" in busy.get_json()["error"]["message"]


def test_a_report_refused_for_what_it_sent_does_not_use_up_the_devices_allowance(app, browser, city, uploads):
    """A photo too many and a missing place each used one of the device's 5 an hour: after two refusals and three
    reports the citizen was locked out. Refusals give the allowance back; every try still counts against the
    device's looser count of tries, so a flood of refused posts is stopped all the same."""
    app.config.update(CITIZEN_DEVICE_PER_HOUR=2, CITIZEN_DEVICE_TRIES_PER_HOUR=5, CITIZEN_MAX_PHOTOS=3)

    def send(phone, fields=None, photos=1):
        return phone.submit("/citizen/report", "/citizen/report",
                            {**REPORT, **(fields or {}), "photos": [file_tuple() for _ in range(photos)]},
                            script=True, multipart=True)

    phone = browser()
    too_many = send(phone, photos=4)
    assert too_many.status_code == 400 and too_many.get_json()["error"]["code"] == "too_many_photos"
    no_place = send(phone, {"lat": "", "lon": "", "address": ""})
    assert no_place.status_code == 400 and no_place.get_json()["error"]["code"] == "place_required"
    assert send(phone).status_code == 200 and send(phone).status_code == 200
    over = send(phone)
    assert over.status_code == 429 and "频繁" in over.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 2

    flood = browser()
    for _ in range(5):
        assert send(flood, photos=4).status_code == 400
    stopped = send(flood)
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 2 and len(upload_files(uploads)) == 4


def test_a_citizens_day_is_the_calendar_day_in_shanghai(app, browser, city, uploads, clock):
    """CITIZEN_DEVICE_PER_DAY counts a Shanghai day: windows aligned to the epoch ran 08:00 to 08:00, so at 07:52 a
    device was told 请明天再提交 (约8分钟后可再提交) and at 08:01 sent two more."""
    app.config.update(CITIZEN_DEVICE_PER_DAY=2, CITIZEN_DEVICE_PER_HOUR=100)
    phone = browser()
    send = lambda: phone.submit("/citizen/report", "/citizen/report",  # noqa: E731
                                {**REPORT, "photos": [file_tuple()]}, script=True, multipart=True)
    clock.stop("2026-11-26T07:40:00+08:00")
    assert send().status_code == 200 and send().status_code == 200
    clock.stop("2026-11-26T07:52:00+08:00")
    refused = send()
    assert refused.status_code == 429 and "请明天再提交" in refused.get_json()["error"]["message"]
    wait = int(refused.headers["Retry-After"])
    assert wait == (16 * 60 + 8) * 60  # until midnight
    assert "约17小时后可再提交" in refused.get_json()["error"]["message"]
    clock.stop("2026-11-26T08:01:00+08:00")
    assert send().status_code == 429  # the same day
    clock.stop("2026-11-26T23:59:00+08:00")
    assert "约1分钟后可再提交" in send().get_json()["error"]["message"]
    clock.stop("2026-11-27T00:00:00+08:00")
    assert send().status_code == 200  # tomorrow
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 3


def test_a_citizens_refusal_page_leads_back_to_the_citizens_pages(app, browser, city):
    """Refused outside the page's script (no cookie: 400; over a limit: 429, the form again), a citizen is offered
    返回随手拍 (or the form itself) and 查询进度, not 去登录: they have no account."""
    app.config.update(CITIZEN_DEVICE_PER_HOUR=0)
    phone = browser()
    token = phone.token("/citizen/report")
    over = phone.post("/citizen/report", data={**REPORT, "csrf_token": token, "photos": [file_tuple()]},
                      content_type="multipart/form-data")
    phone.delete_cookie("citizen_device", domain="localhost")
    no_cookie = phone.post("/citizen/report", data={**REPORT, "csrf_token": token, "photos": [file_tuple()]},
                           content_type="multipart/form-data")
    for response, status, back in ((over, 429, 'name="address"'), (no_cookie, 400, ">返回随手拍</a>")):
        page = response.get_data(as_text=True)
        assert response.status_code == status and "去登录" not in page, status
        assert back in page and 'href="/citizen/receipt">查询进度</a>' in page


def test_a_report_refused_without_the_pages_script_comes_back_as_typed(app, browser, city, uploads):
    """Where report.js does not take the form over (an old iOS or WeChat browser without createImageBitmap, the
    script not loaded), the browser posts the form itself: a refusal redirected to an empty form and the kind,
    place, words and phone were lost. The form comes back as typed with why; the photos are to be chosen again."""
    app.config.update(CITIZEN_DEVICE_PER_HOUR=2, CITIZEN_MAX_PHOTOS=3)
    typed = {"category": "niupixuan", "address": "人民路10号", "description": "无脚本测试", "phone": "13900001111",
             "lat": "", "lon": ""}
    phone = browser()

    def post(photos):
        return phone.submit("/citizen/report", "/citizen/report", {**typed, "photos": photos}, multipart=True)

    for photos, status, why in (([file_tuple("not_an_image.jpg")], 415, "无法识别"),
                                ([file_tuple() for _ in range(4)], 400, "照片最多3张"),
                                ([file_tuple()], 429, "频繁")):
        if status == 429:
            app.config.update(CITIZEN_DEVICE_PER_HOUR=0)
        response = post(photos)
        page = response.get_data(as_text=True)
        assert response.status_code == status, (status, page[:300])
        assert why in page and "请重新选择照片" in page, status
        assert '<option value="niupixuan" selected>' in page
        assert 'value="人民路10号"' in page and ">无脚本测试</textarea>" in page and 'value="13900001111"' in page
        assert response.headers["Cache-Control"] == "no-store"
        assert ("Retry-After" in response.headers) == (status == 429)
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 0 and upload_files(uploads) == []
    # the page's script still hears the refusal as JSON
    app.config.update(CITIZEN_DEVICE_PER_HOUR=2)
    scripted = phone.submit("/citizen/report", "/citizen/report", {**typed, "photos": [file_tuple("not_an_image.jpg")]},
                            script=True, multipart=True)
    assert scripted.status_code == 415 and scripted.get_json()["error"]["code"]


def test_receipt_lookups_are_limited_per_address(app, browser, city):
    app.config["RECEIPT_LOOKUPS_PER_ADDRESS"] = 3
    guesser = browser()
    for _ in range(3):
        assert guesser.get(f"/citizen/receipt/{'3' * 10}").status_code == 404
    assert guesser.get(f"/citizen/receipt/{'3' * 10}").status_code == 429


def test_the_page_after_filing_shows_the_code_when_the_addresss_lookups_are_used_up(app, browser, city, uploads):
    """The receipt page a report leads to counted as a lookup: with the address's lookups used up (a carrier's NAT,
    someone trying codes), the citizen saw 429 and never the code of the report just saved. Their own code is
    shown; it opens nothing else, and nobody else's session."""
    app.config["RECEIPT_LOOKUPS_PER_ADDRESS"] = 2
    guesser = browser()
    for _ in range(2):
        assert guesser.get(f"/citizen/receipt/{'3' * 10}").status_code == 404
    refused = guesser.get(f"/citizen/receipt/{'3' * 10}")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "查询过于频繁" in refused.get_data(as_text=True) and "随手拍" in refused.get_data(as_text=True)

    phone, response = file_report(browser)  # the page's script
    code = receipt_of(response)
    page = phone.get(response.get_json()["redirect"])
    assert page.status_code == 200 and f"{code[:5]}-{code[5:]}" in page.get_data(as_text=True)
    assert "提交成功" in page.get_data(as_text=True)
    assert phone.get(f"/citizen/receipt/{code.lower()}").status_code == 200  # again, typed loosely
    without_script = browser()  # the form posted by the browser itself
    posted = without_script.submit("/citizen/report", "/citizen/report", {**REPORT, "photos": [file_tuple()]},
                                   multipart=True)
    assert posted.status_code == 303
    followed = without_script.get(posted.location)
    assert followed.status_code == 200 and "提交成功" in followed.get_data(as_text=True)

    # the lookups stay counted for every other code, and for anyone else asking for this one
    assert phone.get(f"/citizen/receipt/{'3' * 10}").status_code == 429
    assert without_script.get(f"/citizen/receipt/{code}").status_code == 429
    assert guesser.get(f"/citizen/receipt/{code}").status_code == 429


def test_the_public_page_can_be_closed(app, browser, city):
    app.config["CITIZEN_REPORTS_ENABLED"] = False
    assert "暂停受理" in browser().get("/citizen/report").get_data(as_text=True)


# ----------------------------------------------------------------------------- moderation

def test_the_office_accepts_a_report_and_the_citizen_sees_it_through(api, browser, city, now):
    phone, response = file_report(browser)
    code, item = receipt_of(response), db.session.scalar(select(IntakeItem))
    office = browser(city.admin)
    queue = office.get("/intake").get_data(as_text=True)
    assert "牛皮癣" in queue and "人民路东段公交站" in queue
    assert "市民来件" in queue and re.search(r'nav-count[^>]*>1<', queue)  # the menu counts what waits
    page = f"/intake/{item.id}"
    assert "13800000000" in office.get(page).get_data(as_text=True).replace(" ", "")  # the office may call back
    # the office emptied the place and the words: the ticket keeps the citizen's (it went out saying nothing)
    response = office.submit(page, f"/intake/{item.id}/accept", {"category": "niupixuan", "segment_id": "",
                                                                 "unit_ids": "", "address": " ", "description": ""})
    assert response.status_code == 303
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.source, ticket.unit_id, ticket.status) == ("citizen", city.street_a.id, "assigned")
    assert ticket.reporter_id == city.admin.id and ticket.description == "站牌上贴满小广告"
    assert ticket.address == item.address == "人民路东段公交站"
    assert [p.key for p in ticket.photos] == [p.key for p in item.photos]  # the same files, not copies
    assert office.submit(page, f"/intake/{item.id}/accept", {"category": "niupixuan"}).status_code == 303
    assert db.session.scalar(select(func.count(Ticket.id))) == 1  # a second accept made nothing
    assert api.post(f"/api/v1/intake/{item.id}/accept", city.admin, json={"category": "niupixuan"}
                    ).status_code == 409

    text = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    assert "已转交责任单位办理" in text and "甲街道办事处" in text
    ticket_services.rectify(city.unit_a, ticket, now, "已清除小广告", [processed(BEFORE_PHOTO)])
    ticket_services.approve(city.inspector, ticket, now, "整改到位")
    db.session.commit()
    text = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    assert "已办结" in text and "已清除小广告" in text and "inspector" not in text



def test_a_located_report_without_an_address_names_its_nearest_segment(browser, city, uploads):
    """The office reads a place, not coordinates, and sees where "按位置匹配" will send the report."""
    file_report(browser, {"address": ""})
    file_report(browser, {"address": "", "lat": "28.3301"})  # 11 km north: no segment within the radius
    near, far = db.session.scalars(select(IntakeItem).order_by(IntakeItem.id)).all()
    office = browser(city.admin)
    queue = office.get("/intake").get_data(as_text=True)
    assert "人民路东段附近" in queue and "28.33010, 112.93500" in queue
    page = office.get(f"/intake/{near.id}").get_data(as_text=True)
    assert re.search(r"最近责任路段：人民路东段（约\d+米，江城区）", page) and "按位置匹配（人民路东段）" in page
    page = office.get(f"/intake/{far.id}").get_data(as_text=True)
    assert "定位500米内没有责任路段" in page and "最近责任路段" not in page


def test_an_address_without_a_location_offers_the_segments_of_the_roads_it_names(browser, city, now):
    """A 12345 case comes with words only: the roads it names come first in the segment list."""
    assert units.roads_in("人民路与建设路交叉口") == ["人民路", "建设路"]
    assert units.roads_in("坡子街小吃街旁") == ["坡子街"] and units.roads_in("五一广场3号出口") == []
    item = IntakeItem(source="hotline", status="pending", case_number="GD1", address="建设路与人民路交叉口",
                      description="井盖缺失", received_at=now, created_at=now, updated_at=now)
    db.session.add(item)
    db.session.commit()
    page = browser(city.admin).get(f"/intake/{item.id}").get_data(as_text=True)
    named = page[page.index('<optgroup label="地址中提到的道路">'):]
    named = named[:named.index("</optgroup>")]
    assert named.index("建设路西段（临江区）") < named.index("人民路东段（江城区）")  # in the address's order
    assert "来件没有定位" in page and "最近责任路段" not in page

def test_a_declined_report_shows_its_reason_to_the_citizen(api, browser, city):
    phone, response = file_report(browser)
    code, item = receipt_of(response), db.session.scalar(select(IntakeItem))
    assert api.post(f"/api/v1/intake/{item.id}/decline", city.admin, json={}).status_code == 400
    body = api.post(f"/api/v1/intake/{item.id}/decline", city.admin,
                    json={"reason": "照片中的小广告已被清除，无需处理"}).get_json()
    assert body["status"] == "declined"
    text = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    assert "未受理" in text and "已被清除" in text
    assert db.session.scalar(select(Ticket.id)) is None


def test_a_refused_merge_or_decline_comes_back_on_the_items_page_as_typed(browser, city, now):
    """并案 with a number that is no problem, 不予受理 without a reason: the item's page again with that form as
    typed and why, not a bare error page; the accept form keeps the item's own words."""
    pending(2, now=now)
    item = db.session.scalar(select(IntakeItem).order_by(IntakeItem.id))
    office = browser(city.admin)
    page = f"/intake/{item.id}"
    answer = office.submit(page, f"{page}/merge", {"ticket": "2026-999999"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "没有编号为 2026-999999 的问题，请核对。" in text
    assert 'value="2026-999999"' in text and "并入已有问题" in text and 'value="某处"' in text
    assert text.index("没有编号为") > text.index('id="merge"')  # the message by the form it is about
    answer = office.submit(page, f"{page}/decline", {"reason": "  "})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "请填写不予受理的理由" in text
    assert text.index("请填写") > text.index('id="decline"')
    answer = office.submit(page, f"{page}/decline-sender", {"by": "device", "reason": ""})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "请填写不予受理的理由。" in text
    assert '<details class="flood-tools" open>' in text
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "pending"


def test_declining_an_item_decided_long_ago_says_it_is_handled(api, city, now):
    """Not 刚被其他人处理过 (a race) for an item decided days ago: 该来件已处理（…）, as accepting says."""
    pending(2, now=now)
    item, other = db.session.scalars(select(IntakeItem).order_by(IntakeItem.id)).all()
    assert api.post(f"/api/v1/intake/{item.id}/decline", city.admin, json={"reason": "重复"}).status_code == 200
    for url in (f"/api/v1/intake/{item.id}/decline", f"/api/v1/intake/{item.id}/accept"):
        answer = api.post(url, city.admin, json={"reason": "无效", "category": "niupixuan"})
        assert answer.status_code == 409, url
        assert answer.get_json()["error"] == {"code": "already_decided", "message": "该来件已处理（未受理）。"}
    from inspect_app.common.errors import Conflict
    with pytest.raises(Conflict, match="该来件已处理（未受理）。"):
        intake.decline_from_sender(city.admin, item, "device", "刷屏", now)
    db.session.rollback()
    assert db.session.get(IntakeItem, other.id).status == "pending"


def test_the_moderation_queue_takes_a_flood_in_one_go(app, browser, city, now):
    pending(120, now=now)
    pending(1, device="e" * 64, address="b" * 64, now=now)
    office = browser(city.admin)

    def statements(url):
        seen = []
        listener = lambda *_: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = office.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return response, len(seen)

    response, count = statements("/intake")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and text.count('class="tcard"') == 50 and "共 121 件" in text
    assert "同一设备待审核 120 件" in text
    assert count < 20  # a page of the queue, not a query per report
    first = db.session.scalar(select(IntakeItem).order_by(IntakeItem.id))
    response = office.submit(f"/intake/{first.id}", f"/intake/{first.id}/decline-sender",
                             {"by": "device", "reason": "重复无效提交"})
    assert response.status_code == 303
    statuses = dict(db.session.execute(select(IntakeItem.status, func.count()).group_by(IntakeItem.status)).all())
    assert statuses == {"declined": 120, "pending": 1}
    assert "同一设备待审核" not in office.get("/intake").get_data(as_text=True)


# ----------------------------------------------------------------------------- the 12345 hotline

HOTLINE = [["工单号", "来电时间", "诉求类别", "来电内容", "事发地址", "区县", "来电号码", "办理时限"],
           ["GD2026112001", "2026/11/20 9:30", "占道经营", "早市摊贩占用人行道", "人民路东段菜市场门口", "江城区",
            "13911112222", "2026-11-27"],
           ["GD2026112002", "2026-11-20 10:05", "井盖破损", "井盖松动有响声", "建设路西段12号", "临江区", "", ""]]


def hotline_csv(rows) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode("gbk")


def import_hotline(api, city, rows, dry_run=False):
    data = {"file": (io.BytesIO(hotline_csv(rows)), "12345导出.csv")}
    if dry_run:
        data["dry_run"] = "1"
    return api.post("/api/v1/admin/import/hotline", city.admin, content_type="multipart/form-data", data=data)


def test_a_hotline_exports_own_columns_are_named_on_the_preview(api, browser, city):
    """The hotline's export carries columns of its own (办理状态) beside ours, so they are not refused; but a column
    dropped is named on the preview, where a misspelt 来电号玛 shows as not read."""
    rows = [[h.replace("来电号码", "来电号玛") for h in HOTLINE[0]] + ["办理状态"], HOTLINE[1] + ["已办结"]]
    body = import_hotline(api, city, rows, dry_run=True).get_json()
    assert body["errors"] == 0 and body["ignored_columns"] == ["来电号玛", "办理状态"], body
    assert import_hotline(api, city, HOTLINE, dry_run=True).get_json()["ignored_columns"] == []
    noted = [HOTLINE[0], HOTLINE[1] + ["", "催办过两次"]]  # a note typed beside the table, under no header
    body = import_hotline(api, city, noted, dry_run=True).get_json()
    assert body["errors"] == 0 and body["ignored_columns"] == ["第J列（无列名）"], body
    page = browser(city.admin)
    data, content_type = multipart({"csrf_token": page.token("/office/import/hotline"),
                                    "file": (io.BytesIO(hotline_csv(rows)), "12345导出.csv")})
    html = page.post("/office/import/hotline", data=data, content_type=content_type).get_data(as_text=True)
    assert "以下列不是本导入的列，其中的数据不会导入：</b>“来电号玛”、“办理状态”" in html


def test_the_import_takes_a_decided_case_sent_again_as_a_follow_up_and_an_error_row_says_only_its_error(
        api, browser, city):
    """A decided case in the file with other content (催办, 补充材料, 重办) is a follow-up, as the API takes it: the
    preview says where it will go (a declined case back to the queue; an open problem's history and its unit), not
    内容不再更新 (dropped). A repeated case number reads as an error only, not as 新增热线工单…"""
    from inspect_app.tickets.models import TicketEvent

    assert import_hotline(api, city, HOTLINE).get_json()["added"] == 2
    items = {i.case_number: i for i in db.session.scalars(select(IntakeItem))}
    api.post(f"/api/v1/intake/{items['GD2026112001'].id}/decline", city.admin, json={"reason": "不属于城市管理问题"})
    ticket = api.post(f"/api/v1/intake/{items['GD2026112002'].id}/accept", city.admin,
                      json={"segment_id": city.seg_a.id, "category": "niupixuan"}).get_json()
    changed = [row[:] for row in HOTLINE]
    changed[1][3] = "摊贩又来了"
    changed[2][3] = "井盖松动有响声【催办】市民再次来电"
    office = browser(city.admin)

    def preview(rows):
        data, content_type = multipart({"csrf_token": office.token("/office/import/hotline"),
                                        "file": (io.BytesIO(hotline_csv(rows)), "12345导出.csv")})
        return office.post("/office/import/hotline", data=data, content_type=content_type).get_data(as_text=True)

    html = preview(changed)
    assert "内容不再更新" not in html
    assert "该热线工单已处理（未受理），再次来件（诉求内容有变化），将作为追加内容重新提交文明办审核" in html
    assert (f"该热线工单已处理（已受理，问题 {ticket['number']}），再次来件（诉求内容有变化），"
            "将作为追加内容记入问题办理记录并告知责任单位") in html
    assert "文件中的数据与系统中完全一致，无需导入。" in preview(HOTLINE)
    assert db.session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.action == "hotline_followup")) == 0
    done = import_hotline(api, city, changed).get_json()
    assert (done["changed"], done["errors"]) == (2, 0), done
    db.session.expire_all()
    back = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == "GD2026112001"))
    assert (back.status, back.description) == ("pending", "摊贩又来了")
    notes = db.session.scalars(select(TicketEvent.note).where(TicketEvent.action == "hotline_followup")).all()
    assert notes == ["12345热线追加（催办）：市民再次来电（工单 GD2026112002）"], notes
    assert import_hotline(api, city, changed).get_json()["changed"] == 0  # the same file again: nothing new
    third = ["GD2026112003"] + HOTLINE[2][1:]
    repeated = [HOTLINE[0], changed[1], changed[1], third, third]
    rows = import_hotline(api, city, repeated, dry_run=True).get_json()["rows"]
    assert [row["action"] for row in rows] == ["unchanged", "error", "add", "error"], rows
    assert (rows[1]["message"], rows[3]["message"]) == ("工单编号与第2行重复", "工单编号与第4行重复"), rows


def test_hotline_import_is_idempotent_and_keyed_by_case_number(api, city):
    street_vending = Category(code="street_vending", name="占道经营", group="街面秩序", deadline_hours=24)
    db.session.add(street_vending)
    db.session.commit()
    first = import_hotline(api, city, HOTLINE).get_json()
    assert (first["added"], first["errors"]) == (2, 0), first
    items = {i.case_number: i for i in db.session.scalars(select(IntakeItem))}
    assert items["GD2026112001"].category.code == "street_vending"  # mapped by name
    assert items["GD2026112002"].category is None and items["GD2026112002"].category_text == "井盖破损"
    assert items["GD2026112001"].due_at is not None and items["GD2026112001"].contact_phone == "13911112222"
    again = import_hotline(api, city, HOTLINE).get_json()
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 2)

    changed = [row[:] for row in HOTLINE]
    changed[2][3] = "井盖松动，夜间有响声"
    body = import_hotline(api, city, changed).get_json()
    assert body["changed"] == 1 and "诉求内容" in body["rows"][1]["message"]

    item = items["GD2026112001"]
    api.post(f"/api/v1/intake/{item.id}/accept", city.admin, json={"category": "street_vending",
                                                                   "segment_id": city.seg_a.id})
    changed[1][3] = "摊贩又来了"
    body = import_hotline(api, city, changed).get_json()
    assert body["changed"] == 1 and "将作为追加内容记入问题办理记录" in body["rows"][0]["message"]  # a follow-up
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 2
    ticket = db.session.get(IntakeItem, item.id).ticket
    assert ticket.source == "hotline" and "GD2026112001" in ticket.description

    duplicate = [HOTLINE[0], HOTLINE[1], HOTLINE[1]]
    body = import_hotline(api, city, duplicate).get_json()
    assert body["errors"] == 1 and "重复" in body["rows"][1]["message"]
    by_code = [HOTLINE[0], ["GD2026112009", "2026-11-20 11:00", "Street_Vending", "摊贩", "人民路", "江城区", "", ""]]
    assert import_hotline(api, city, by_code).get_json()["added"] == 1  # …or by code, whatever its case
    assert db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == "GD2026112009")).category.code \
        == "street_vending"


def test_a_hotline_category_is_found_however_its_name_or_code_is_written(api, city):
    """The 问题类别 was matched to a name exactly: a sheet's ＂牛皮癣 ＂ (full-width quotes, a stray space), ＬＥＤ屏
    typed on a Chinese input method or led屏 came in 未分类 for the office to pick again. The name is compared as the
    问题类别 page compares names (one in use of a name, letter case and full width aside), the code in any case; the
    hotline's own wording is kept for the office."""
    led = Category(code="NPX", name="LED屏 不亮", group="市容环境", deadline_hours=24)
    db.session.add(led)
    db.session.commit()
    found = {}
    for n, words in enumerate(["＂牛皮癣 ＂", "“牛皮癣”", "牛皮癣　", "ＬＥＤ屏　不亮", "led屏  不亮", "'npx'", "ｎｐｘ",
                               "NIUPIXUAN", "城市牛皮癣"]):
        answer = api.post("/api/v1/intake/hotline", city.admin,
                          json={"case_number": f"GDC{n}", "category": words, "description": "小广告", "address": "人民路"})
        assert answer.status_code == 201, answer.get_json()
        item = answer.get_json()["item"]
        found[words] = (item["category"] or {}).get("code"), item["category_text"]
    assert found == {"＂牛皮癣 ＂": ("niupixuan", "＂牛皮癣 ＂"), "“牛皮癣”": ("niupixuan", "“牛皮癣”"),
                     "牛皮癣　": ("niupixuan", "牛皮癣"), "ＬＥＤ屏　不亮": ("NPX", "ＬＥＤ屏 不亮"),
                     "led屏  不亮": ("NPX", "led屏 不亮"), "'npx'": ("NPX", "'npx'"), "ｎｐｘ": ("NPX", "ｎｐｘ"),
                     "NIUPIXUAN": ("niupixuan", "NIUPIXUAN"), "城市牛皮癣": (None, "城市牛皮癣")}
    rows = [HOTLINE[0], ["GD2026112011", "2026-11-20 10:05", "＂ＬＥＤ屏 不亮＂", "屏幕黑了", "人民路", "江城区", "", ""]]
    assert import_hotline(api, city, rows).get_json()["added"] == 1  # the import reads it the same way
    item = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == "GD2026112011"))
    assert item.category.code == "NPX" and item.category_text == "＂ＬＥＤ屏 不亮＂"
    led.active = False  # a retired category is found no more
    db.session.commit()
    retired = api.post("/api/v1/intake/hotline", city.admin,
                       json={"case_number": "GDC99", "category": "LED屏 不亮", "description": "小广告", "address": "人民路"})
    assert retired.get_json()["item"]["category"] is None


def test_the_queue_waits_by_when_the_source_received_each_and_shows_its_time_limit(api, browser, city, now):
    """A 12345 case received five days ago and imported today is older than a citizen's photo of this morning: it
    comes first (the queue went by import time, so it came last), with the hotline's 办理时限 on its card."""
    pending(1, now=now)
    assert import_hotline(api, city, HOTLINE[:2]).get_json()["added"] == 1
    queue = browser(city.admin).get("/intake").get_data(as_text=True)
    assert queue.index("GD2026112001") < queue.index("刷屏0")
    assert "热线办理时限 11-27 23:59" in queue
    body = api.get("/api/v1/intake", city.admin).get_json()
    assert [i["case_number"] for i in body["items"]] == ["GD2026112001", None]


def test_a_hotline_time_with_a_fraction_of_a_second_is_read(city):
    """Hotline systems export 2026-12-04 08:05:00.0: the fraction is dropped, not the row refused."""
    from inspect_app.intake.hotline import parse_time

    assert fmt(parse_time("2026-12-04 08:05:00.0", "受理时间"), "%Y-%m-%d %H:%M:%S") == "2026-12-04 08:05:00"
    assert fmt(parse_time("2026-12-04T08:05:00.250+08:00", "受理时间")) == "2026-12-04 08:05"
    assert fmt(parse_time("2026.12.04", "办理时限", end_of_day=True), "%H:%M") == "23:59"  # a date's dots stay


def test_hotline_errors_read_as_one_sentence_and_the_time_limit_takes_a_date(api, city):
    """Each message once with one 。 at the end (the API's said …09:30。。 and the preview …。；…), and the 办理时限
    message offers a date, as the template does (a date is accepted: until the day's end)."""
    case = {"case_number": "GD2026112105", "description": "电线杆上小广告", "address": "人民路东段"}
    for bad, words in (({"received_at": "昨天"}, "受理时间“昨天”格式不正确，应为 2026-11-20 09:30。"),
                       ({"due_at": "下周"}, "应为 2026-11-27（当天24时前）或 2026-11-27 18:00。"),
                       ({"lon": City.ON_A[1], "lat": City.ON_A[0], "coord_system": "ABC"},
                        "应为 WGS84、GCJ02 或 BD09。"),
                       ({"received_at": "昨天", "coord_system": "ABC", "lon": City.ON_A[1], "lat": City.ON_A[0]},
                        "应为 2026-11-20 09:30；坐标系“ABC”")):
        answer = api.post("/api/v1/intake/hotline", city.admin, json={**case, **bad})
        message = answer.get_json()["error"]["message"]
        assert answer.status_code == 422 and words in message and "。。" not in message and "。；" not in message, bad
        assert message.endswith("。") and message.count("。") == 1, message
    assert api.post("/api/v1/intake/hotline", city.admin, json={**case, "due_at": "2026-11-27"}).status_code == 201
    from inspect_app.intake.hotline import HELP
    assert "2026-11-27（当天24时前）" in HELP["办理时限"]
    rows = [HOTLINE[0], ["GD2026112003", "昨天", "牛皮癣", "小广告", "人民路", "江城区", "", "下周"]]
    preview = import_hotline(api, city, rows, dry_run=True).get_json()
    message = preview["rows"][0]["message"]
    assert message == ("受理时间“昨天”格式不正确，应为 2026-11-20 09:30；"
                       "办理时限“下周”格式不正确，应为 2026-11-27（当天24时前）或 2026-11-27 18:00"), message


def test_declining_a_hotline_case_says_the_reason_goes_back_to_the_hotline(api, browser, city):
    """A 12345 caller has no receipt code: the form says the reason goes back to the hotline (in the export's
    办理结果), a citizen's report that the citizen reads it by receipt code."""
    body = import_hotline(api, city, HOTLINE).get_json()
    assert body["added"] == 2
    case = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == "GD2026112002"))
    office = browser(city.admin)
    page = office.get(f"/intake/{case.id}").get_data(as_text=True)
    assert "（随办理结果回复12345热线）" in page and "回执码" not in page
    answer = office.submit(f"/intake/{case.id}", f"/intake/{case.id}/decline", {"reason": "不属于城市管理问题"})
    assert answer.status_code == 303
    assert "已不予受理，理由随办理结果回复12345热线。" in office.get(answer.headers["Location"]).get_data(as_text=True)
    rows = api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin).data.decode("utf-8-sig")
    assert "不属于城市管理问题" in rows
    declined = next(line for line in rows.splitlines() if line.startswith("GD2026112002")).split(",")
    assert declined[1] == "未受理" and declined[6] == "" and declined[9], declined  # no 转办时间; 办结时间
    citizen = IntakeItem(source="citizen", status="pending", receipt="K7M3X9QD2H", description="小广告",
                         received_at=case.received_at, created_at=case.created_at, updated_at=case.created_at)
    db.session.add(citizen)
    db.session.commit()
    assert "（市民凭回执码可以看到）" in office.get(f"/intake/{citizen.id}").get_data(as_text=True)


def test_the_units_account_goes_out_only_once_verified(api, browser, city, now, make_ticket):
    """A unit's 整改说明 is written for the office: the receipt and the hotline's export say it is being verified
    until an inspector closes the problem, and only then give the result; the unit's form says where it goes."""
    phone, response = file_report(browser)
    code, report = receipt_of(response), db.session.scalar(select(IntakeItem))
    assert import_hotline(api, city, HOTLINE).get_json()["added"] == 2
    case = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == "GD2026112001"))
    tickets = [intake.accept(city.admin, item, {"category": "niupixuan", "segment_id": str(city.seg_a.id)}, now)
               for item in (report, case)]
    db.session.commit()
    form = browser(city.unit_a).get(f"/tickets/{tickets[0].id}").get_data(as_text=True)
    assert "核查结案后作为办理结果告知反映问题的市民、12345热线或上级，请勿填写姓名、电话等个人信息" in form
    account = "已清理纸箱，联系人王小明 13900001111"
    for ticket in tickets:
        ticket_services.rectify(city.unit_a, ticket, now, account, [processed(BEFORE_PHOTO)])
    db.session.commit()

    def published():
        receipt = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
        export = api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin).get_data().decode(
            "utf-8-sig")
        return receipt, next(line for line in export.splitlines() if line.startswith("GD2026112001"))

    receipt, row = published()
    assert "13900001111" not in receipt and "13900001111" not in row  # 待核查: not yet
    assert intake.VERIFYING in receipt and row.split(",")[10:] == ["", intake.VERIFYING]
    for ticket in tickets:
        ticket_services.approve(city.inspector, ticket, now, "整改到位")
    db.session.commit()
    receipt, row = published()
    assert "已整改到位，经现场核查结案。整改情况：已清理纸箱" in receipt and intake.VERIFYING not in receipt
    assert "已整改到位，经现场核查结案。整改情况：已清理纸箱" in row
    own = make_ticket()  # an inspector's find: its 整改说明 stays with the office
    assert "请勿填写姓名" not in browser(city.unit_a).get(f"/tickets/{own.id}").get_data(as_text=True)


def test_a_voided_problem_tells_the_citizen_and_the_hotline_why_and_when(api, browser, city, now):
    """作废 is an answer, as 不予受理 is: its reason is the 办理结果 and its time the 办结时间, on the receipt and in
    the hotline's export, and no unit is named as handling it any more."""
    phone, response = file_report(browser)
    code, report = receipt_of(response), db.session.scalar(select(IntakeItem))
    assert import_hotline(api, city, HOTLINE).get_json()["added"] == 2
    case = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == "GD2026112001"))
    voided_at = now + timedelta(hours=2)
    for item in (report, case):
        ticket = intake.accept(city.admin, item, {"category": "niupixuan", "segment_id": str(city.seg_a.id)}, now)
        ticket_services.cancel(city.admin, ticket, voided_at, "经现场核实，该处无此问题")
    db.session.commit()

    text = phone.get(f"/citizen/receipt/{code}").get_data(as_text=True)
    assert "已作废，不再办理" in text and "经现场核实，该处无此问题" in text
    assert "办结时间" in text and "办理单位" not in text and "甲街道办事处" not in text
    lines = api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin).get_data().decode(
        "utf-8-sig").splitlines()
    cells = next(line for line in lines if line.startswith("GD2026112001")).split(",")
    assert cells[1] == "已作废，不再办理" and cells[3] == "" and cells[10] == "经现场核实，该处无此问题", cells
    assert cells[9] == fmt(voided_at), cells
    progress = api.get("/api/v1/intake/hotline/GD2026112001", city.admin).get_json()["progress"]
    assert progress["result"] == "经现场核实，该处无此问题" and progress["unit"] is None and progress["ended_at"]
    page = browser(city.admin).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "作为办理结果告知反映人" not in page  # voided: no form left; a live hotline problem's form says so
    live = intake.accept(city.admin, db.session.scalar(select(IntakeItem).where(
        IntakeItem.case_number == "GD2026112002")), {"category": "niupixuan", "segment_id": str(city.seg_a.id)}, now)
    db.session.commit()
    assert "作为办理结果告知反映人" in browser(city.admin).get(f"/tickets/{live.id}").get_data(as_text=True)


def test_a_hotline_export_with_a_title_above_its_header_imports(api, city):
    """The 12345 platform's export starts with a title merged across the columns and a line of when it was made;
    the header is found below them. A merge anywhere else is still refused."""
    title = ["临江市12345政务服务便民热线工单明细（2026年11月）"] + [""] * 7
    made = ["导出时间：2026-11-21 08:00", "", "", "", "", "", "", "导出人：张三"]
    data = xlsx_bytes([title, made] + HOTLINE, merge="A1:H1")
    response = api.post("/api/v1/admin/import/hotline", city.admin, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(data), "12345工单明细.xlsx")})
    body = response.get_json()
    assert response.status_code == 200 and (body["added"], body["errors"]) == (2, 0), body
    assert body["rows"][0]["row"] == 4  # the row numbers are the file's own
    assert {i.case_number for i in db.session.scalars(select(IntakeItem))} == {"GD2026112001", "GD2026112002"}

    response = api.post("/api/v1/admin/import/hotline", city.admin, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(hotline_csv([title[:1]] + HOTLINE)), "12345.csv")})
    assert response.status_code == 200 and response.get_json()["unchanged"] == 2

    for rows, merge in (([title, made] + HOTLINE, "A4:A5"), ([title, made] + HOTLINE, "A1:H2"),
                        (HOTLINE, "D2:E2")):  # data over two rows, a title over two rows, a data row near the top
        data = xlsx_bytes(rows, merge=merge)
        response = api.post("/api/v1/admin/import/hotline", city.admin, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(data), "12345工单明细.xlsx")})
        assert response.status_code == 422 and merge in response.get_json()["error"]["message"], merge
    far_down = [title, made, ["说明：以下为本月工单"], ["（空行前的备注）"]] + HOTLINE
    response = api.post("/api/v1/admin/import/hotline", city.admin, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(hotline_csv(far_down)), "12345.csv")})
    message = response.get_json()["error"]["message"]
    assert response.status_code == 422 and "表头不符合模板" in message and "文件第1行" in message


def test_the_hotline_system_posts_cases_and_takes_their_progress_back(api, city, now):
    case = {"case_number": "GD2026112101", "received_at": "2026-11-21T08:00:00+08:00", "category": "牛皮癣",
            "description": "电线杆上小广告", "address": "人民路东段", "lon": City.ON_A[1], "lat": City.ON_A[0],
            "coord_system": "WGS84"}
    first = api.post("/api/v1/intake/hotline", city.admin, json=case)
    assert first.status_code == 201 and first.get_json()["action"] == "add"
    again = api.post("/api/v1/intake/hotline", city.admin, json=case)
    assert again.status_code == 200 and again.get_json()["action"] == "unchanged"
    assert again.get_json()["item"]["id"] == first.get_json()["item"]["id"]
    assert api.post("/api/v1/intake/hotline", city.admin, json={**case, "description": "又贴了"}
                    ).get_json()["action"] == "change"
    for bad in ({**case, "case_number": ""}, {**case, "received_at": "昨天"}, {**case, "lat": None},
                {**case, "colour": "red"}):
        assert api.post("/api/v1/intake/hotline", city.admin, json=bad).status_code == 422, bad
    assert api.post("/api/v1/intake/hotline", city.inspector, json=case).status_code == 403
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 1

    item_id = first.get_json()["item"]["id"]
    ticket = api.post(f"/api/v1/intake/{item_id}/accept", city.admin, json={}).get_json()
    assert ticket["source"] == "hotline" and ticket["unit"]["id"] == city.street_a.id
    ticket_services.rectify(city.unit_a, db.session.get(Ticket, ticket["id"]), now, "已清除", [processed()])
    db.session.commit()
    status = api.get("/api/v1/intake/hotline/GD2026112101", city.admin).get_json()
    assert status["progress"]["label"] == "责任单位已整改，等待核查" and status["ticket_id"] == ticket["id"]
    export = api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin)
    lines = export.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("工单编号,办理状态,问题编号,承办单位")
    assert lines[1].startswith(f"GD2026112101,责任单位已整改，等待核查,{ticket['number']},甲街道办事处")
    assert lines[1].split(",")[6] == fmt(now)  # 转办时间: when the office handed it on
    assert "已清除" not in lines[1] and lines[1].endswith(",," + intake.VERIFYING)  # the result once verified
    reversed_range = api.get("/api/v1/intake/hotline/export.csv?from=2026-12-01&to=2026-11-01", city.admin)
    assert reversed_range.status_code == 400
    assert reversed_range.get_json()["error"] == {"code": "invalid_date_range", "message": "开始日期不能晚于结束日期。"}
    assert api.get("/api/v1/intake/hotline/NOPE", city.admin).status_code == 404


def test_a_later_post_naming_only_what_changed_keeps_the_rest(api, city):
    """A 补充材料 posted with only its new words keeps the caller's phone, the 办理时限, the category and the district
    (they were wiped), and the answer shows what is stored."""
    case = {"case_number": "GDP0001", "received_at": "2026-11-21 10:00", "category": "牛皮癣",
            "description": "电线杆小广告", "address": "人民路88号", "district": "江城区", "phone": "13900001234",
            "due_at": "2026-11-27 18:00"}
    first = api.post("/api/v1/intake/hotline", city.admin, json=case).get_json()["item"]
    later = api.post("/api/v1/intake/hotline", city.admin, json={
        "case_number": "GDP0001", "description": "电线杆小广告\n【补充】墙上也贴满了", "address": "人民路88号"})
    assert later.status_code == 200 and later.get_json()["action"] == "change"
    for answer in (later.get_json()["item"], api.get("/api/v1/intake/hotline/GDP0001", city.admin).get_json()):
        assert answer["description"].endswith("墙上也贴满了")
        for name in ("category", "category_text", "contact_phone", "due_at", "district", "received_at"):
            assert answer[name] == first[name], name
    cleared = api.post("/api/v1/intake/hotline", city.admin, json={**case, "category": ""}).get_json()["item"]
    assert cleared["category"] is None and cleared["contact_phone"] == "13900001234"  # the answer is what is stored


def test_a_later_post_need_not_repeat_the_words_or_the_place(api, city):
    """诉求内容 and 事发地址 are required of a new case only: a later post moving the 办理时限, changing the phone or
    adding words (a waiting case), or a 催办 of a decided case, was refused 422 缺少诉求内容；缺少事发地址。"""
    hotline = "/api/v1/intake/hotline"
    new = api.post(hotline, city.admin, json={"case_number": "GDP0009", "phone": "13900001234"})
    assert new.status_code == 422 and new.get_json()["error"]["message"] == "缺少诉求内容；缺少事发地址。"
    case = {"case_number": "GDP0009", "received_at": "2026-11-21 10:00", "description": "井盖缺失",
            "address": "人民路88号", "phone": "13900001234", "due_at": "2026-11-27 18:00"}
    assert api.post(hotline, city.admin, json=case).status_code == 201
    moved = api.post(hotline, city.admin, json={"case_number": "GDP0009", "due_at": "2026-11-28 18:00"})
    assert moved.status_code == 200 and moved.get_json()["action"] == "change", moved.get_json()
    phone = api.post(hotline, city.admin, json={"case_number": "GDP0009", "phone": "13900005678"})
    assert phone.status_code == 200 and phone.get_json()["action"] == "change"
    words = api.post(hotline, city.admin, json={"case_number": "GDP0009", "description": "井盖缺失，已有人跌倒"})
    assert words.status_code == 200 and words.get_json()["action"] == "change"
    stored = api.get("/api/v1/intake/hotline/GDP0009", city.admin).get_json()
    assert (stored["description"], stored["address"], stored["contact_phone"]) == (
        "井盖缺失，已有人跌倒", "人民路88号", "13900005678")
    assert stored["due_at"] == "2026-11-28T18:00:00+08:00"
    emptied = api.post(hotline, city.admin, json={"case_number": "GDP0009", "address": ""})  # sent empty: missing
    assert emptied.status_code == 422 and emptied.get_json()["error"]["message"] == "缺少事发地址。"
    accepted = api.post(f"/api/v1/intake/{stored['id']}/accept", city.admin,
                        json={"category": "niupixuan", "segment_id": city.seg_a.id})
    assert accepted.status_code == 201, accepted.get_json()
    pushed = api.post(hotline, city.admin, json={"case_number": "GDP0009", "description": "井盖缺失\n【催办】还没修"})
    assert pushed.status_code == 200 and pushed.get_json()["action"] == "follow_up", pushed.get_json()


def test_a_case_sent_again_after_the_office_decided_it_reaches_the_unit_or_the_queue(app, api, browser, city, now):
    """催办, 补充材料, 重办: a 12345 case posted again with other content once the office decided it was answered 200
    unchanged and dropped. Now its open problem's history records it and the lead unit hears of it; a closed
    problem's case (不满意重办) or a declined one goes back to the office's queue. The same post again stays
    unchanged."""
    from inspect_app.notices.services import inbox

    case = {"case_number": "GDP0002", "category": "牛皮癣", "description": "电线杆小广告", "address": "人民路东段",
            "phone": "13900001234"}
    item_id = api.post("/api/v1/intake/hotline", city.admin, json=case).get_json()["item"]["id"]
    ticket = api.post(f"/api/v1/intake/{item_id}/accept", city.admin, json={"segment_id": city.seg_a.id}).get_json()
    pushed = {**case, "description": "电线杆小广告\n【催办】市民第二次来电催办"}
    answer = api.post("/api/v1/intake/hotline", city.admin, json=pushed)
    body = answer.get_json()
    assert answer.status_code == 200 and body["action"] == "follow_up", body
    assert body["messages"] == [f"追加内容已记入问题 {ticket['number']} 的办理记录，已告知责任单位"]
    assert body["item"]["status"] == "accepted" and body["item"]["description"].endswith("第二次来电催办")
    again = api.post("/api/v1/intake/hotline", city.admin, json=pushed).get_json()
    assert (again["action"], again["messages"]) == ("unchanged", [])
    line = "12345热线追加（催办）：市民第二次来电催办（工单 GDP0002）"
    events = api.get(f"/api/v1/tickets/{ticket['id']}", city.unit_a).get_json()["events"]
    assert [e["note"] for e in events if e["action"] == "hotline_followup"] == [line]
    assert "13900001234" not in str(events)
    with app.test_request_context():
        news = [(i.title, i.detail) for i in inbox(city.unit_a, now + timedelta(minutes=5)).items if i.kind == "repeat"]
    assert news and news[0][0].startswith("12345热线再次来电") and line in news[0][1], news
    # the caller came back: the problem is 群众再次反映, as a 并案 makes it (the list and the office's 待办事项)
    repeated = api.get("/api/v1/tickets?repeated=1&status=open", city.admin).get_json()["items"]
    assert [t["number"] for t in repeated] == [ticket["number"]]
    assert "群众再次反映 1 件" in browser(city.admin).get("/office/work").get_data(as_text=True)

    problem = db.session.get(Ticket, ticket["id"])  # rectified, verified and closed; the caller is not satisfied
    ticket_services.rectify(city.unit_a, problem, now, "已清除", [processed()])
    ticket_services.approve(city.inspector, problem, now, "")
    db.session.commit()
    redo = api.post("/api/v1/intake/hotline", city.admin,
                    json={**pushed, "description": pushed["description"] + "\n【不满意重办】回访不满意，小广告又贴上了"})
    assert redo.status_code == 200 and redo.get_json()["action"] == "follow_up"
    assert "已重新提交文明办审核" in redo.get_json()["messages"][0]
    assert redo.get_json()["item"]["status"] == "pending"
    queue = api.get("/api/v1/intake?status=pending", city.admin).get_json()["items"]
    assert [i["case_number"] for i in queue] == ["GDP0002"]
    events = api.get(f"/api/v1/tickets/{ticket['id']}", city.admin).get_json()["events"]
    assert "回访不满意" in events[-1]["note"] and events[-1]["action"] == "hotline_followup"
    office = browser(city.admin)
    assert f"再次来件：原问题 {ticket['number']} 已结案" in office.get("/intake").get_data(as_text=True)
    assert "请重新审核" in office.get(f"/intake/{item_id}").get_data(as_text=True)

    declined = api.post("/api/v1/intake/hotline", city.admin, json={**case, "case_number": "GDP0003"}).get_json()
    api.post(f"/api/v1/intake/{declined['item']['id']}/decline", city.admin, json={"reason": "不属于城市管理问题"})
    back = api.post("/api/v1/intake/hotline", city.admin, json={**case, "case_number": "GDP0003",
                                                                 "description": "电线杆小广告，市民再次来电"})
    assert back.get_json()["action"] == "follow_up" and back.get_json()["item"]["status"] == "pending"


def test_full_width_case_numbers_and_phones_are_folded_and_circled_digits_are_no_phone(api, city):
    """ＧＤ２０２６… typed on a Chinese input method became a second case (two tickets for one 12345 case), a
    full-width phone was stored undiallable, ①②③④⑤ passed as a phone, and a 办理时限 before the 受理时间 was taken."""
    from inspect_app.common.errors import Invalid
    from inspect_app.office import fields

    case = {"case_number": "GD202612060002", "received_at": "2026-11-21 10:00", "description": "路边垃圾",
            "address": "人民路东段"}
    first = api.post("/api/v1/intake/hotline", city.admin, json=case).get_json()["item"]
    wide = api.post("/api/v1/intake/hotline", city.admin,
                    json={**case, "case_number": "ＧＤ２０２６１２０６０００２", "phone": "１３８００１３８０００"})
    assert wide.status_code == 200 and wide.get_json()["action"] == "change", wide.get_json()
    assert wide.get_json()["item"]["id"] == first["id"] and wide.get_json()["item"]["contact_phone"] == "13800138000"
    assert api.get("/api/v1/intake/hotline/ＧＤ２０２６１２０６０００２", city.admin).get_json()["id"] == first["id"]
    rows = [HOTLINE[0], ["ＧＤ２０２６１２０６０００２"] + HOTLINE[1][1:]]
    assert import_hotline(api, city, rows, dry_run=True).get_json()["rows"][0]["action"] == "change"
    circled = api.post("/api/v1/intake/hotline", city.admin, json={**case, "case_number": "GD1", "phone": "①②③④⑤"})
    assert circled.status_code == 422 and "来电人电话“①②③④⑤”格式不正确" in circled.get_json()["error"]["message"]
    early = api.post("/api/v1/intake/hotline", city.admin,
                     json={**case, "case_number": "GD2", "received_at": "2026-11-21 10:00", "due_at": "2026-11-01"})
    assert early.status_code == 422, early.get_json()
    assert "办理时限（2026-11-01 23:59）早于受理时间（2026-11-21 10:00）" in early.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 1
    assert fields.phone("０７３１－８８８８ 转 801") == "0731-8888 转 801"  # every phone field, the units' too
    with pytest.raises(Invalid):
        fields.phone("１²③④⑤")


def test_the_hotline_export_hands_a_case_on_when_a_unit_first_got_it(api, city, clock, make_ticket, now):
    """转办时间 was the office's decision: a case accepted on Friday night with no unit found and dispatched on
    Monday read as handed on on Friday. It is the problem's first 派遣, or, merged into a problem a unit already
    had, the 并案."""
    case = {"case_number": "GD202612060025", "received_at": "2026-11-25 09:00", "category": "牛皮癣",
            "description": "乱堆乱放", "address": "某小区门口"}
    item_id = api.post("/api/v1/intake/hotline", city.admin, json=case).get_json()["item"]["id"]
    clock.stop(now)
    ticket = api.post(f"/api/v1/intake/{item_id}/accept", city.admin, json={}).get_json()
    assert ticket["status"] == "pending" and ticket["unit"] is None  # no place a unit answers for
    earlier = make_ticket(point=City.ON_A)  # a unit has had this one since before
    merged = api.post("/api/v1/intake/hotline", city.admin, json={**case, "case_number": "GD202612060026"})
    clock.stop(now + timedelta(hours=1))
    api.post(f"/api/v1/intake/{merged.get_json()['item']['id']}/merge", city.admin, json={"ticket": earlier.number})
    clock.stop(now + timedelta(days=2, hours=3))
    moved = api.post(f"/api/v1/tickets/{ticket['id']}/reassign", city.admin, json={"unit_id": city.street_b.id})
    assert moved.status_code == 200, moved.get_json()
    clock.stop(now + timedelta(days=3))
    api.post(f"/api/v1/tickets/{ticket['id']}/reassign", city.admin, json={"unit_id": city.street_a.id})
    lines = api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin).get_data().decode(
        "utf-8-sig").splitlines()
    handed = {line.split(",")[0]: line.split(",")[6] for line in lines[1:]}
    assert handed == {"GD202612060025": fmt(now + timedelta(days=2, hours=3)),
                      "GD202612060026": fmt(now + timedelta(hours=1))}, handed


def test_a_case_number_with_a_slash_or_other_url_characters_is_looked_up(api, city):
    """GD/2026/0019 was taken at the post and then answered 404 at its look-up, as typed or with %2F."""
    numbers = ["GD/2026/0019", "GD-2026-0020", "GD 2026?0021#a", "GD%2026"]
    for number in numbers:
        posted = api.post("/api/v1/intake/hotline", city.admin,
                          json={"case_number": number, "description": "井盖缺失", "address": "建设路"})
        assert posted.status_code == 201, posted.get_json()
    for path in ("GD/2026/0019", "GD%2F2026%2F0019", "GD-2026-0020", "GD%202026%3F0021%23a", "GD%252026"):
        answer = api.get(f"/api/v1/intake/hotline/{path}", city.admin)
        assert answer.status_code == 200, path
        assert answer.get_json()["case_number"] in numbers
    assert api.get("/api/v1/intake/hotline/GD/2026", city.admin).status_code == 404
    assert api.get("/api/v1/intake/hotline/export.csv?encoding=utf-8", city.admin).mimetype == "text/csv"


@pytest.mark.parametrize("field, value", [("description", ["x"]), ("address", {"road": "人民路"}),
                                          ("description", 123), ("category", ["niupixuan"]),
                                          ("frontage_code", ["JB-001"])])
def test_accepting_with_a_field_that_is_not_text_is_400_and_decides_nothing(api, city, now, field, value):
    item = IntakeItem(source="hotline", status="pending", case_number="GD1", description="井盖缺失",
                      address="建设路", received_at=now, created_at=now, updated_at=now)
    db.session.add(item)
    db.session.commit()
    answer = api.post(f"/api/v1/intake/{item.id}/accept", city.admin,
                      json={"category": "niupixuan", "segment_id": city.seg_b.id, field: value})
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_text", answer.get_json()
    assert "应为文字" in answer.get_json()["error"]["message"]
    db.session.expire_all()
    assert db.session.get(IntakeItem, item.id).status == "pending" and db.session.scalar(select(Ticket.id)) is None


def test_the_hotline_system_posting_values_that_are_not_text_is_400_and_a_bad_phone_422(api, city):
    case = {"case_number": "GD2026112109", "description": "路边垃圾", "address": "人民路东段"}
    for bad, words in (({"description": {"text": "垃圾"}}, "诉求内容应为文字"),
                       ({"address": True}, "事发地址应为文字"), ({"case_number": 2026112109}, "工单编号应为文字"),
                       ({"lat": [28.2], "lon": 112.9}, "纬度应为数字"),
                       ({"phone": ["13911112222"]}, "来电人电话应为文字")):
        answer = api.post("/api/v1/intake/hotline", city.admin, json={**case, **bad})
        assert answer.status_code == 400 and words in answer.get_json()["error"]["message"], (bad, answer.get_json())
    answer = api.post("/api/v1/intake/hotline", city.admin, json={**case, "phone": "请回电"})
    assert answer.status_code == 422 and "来电人电话“请回电”格式不正确" in answer.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 0
    rows = [HOTLINE[0], HOTLINE[1][:6] + ["请回电"] + HOTLINE[1][7:]]  # the import checks it the same way
    message = import_hotline(api, city, rows, dry_run=True).get_json()["rows"][0]["message"]
    assert "来电人电话“请回电”格式不正确" in message
    posted = api.post("/api/v1/intake/hotline", city.admin,
                      json={**case, "phone": "139****2222", "lat": 28.2, "lon": "112.93", "coord_system": "WGS84"})
    assert posted.status_code == 201 and posted.get_json()["item"]["contact_phone"] == "139****2222"


def test_a_hotline_text_over_its_limit_is_400_text_too_long_and_the_import_row_says_it(api, city):
    """A 诉求内容 over 2,000 characters answered 422 invalid_case, the code of a row's checks; every other API field
    over its limit answers 400 text_too_long naming it (docs/api.md). The post is refused whole, new or known; the
    import's row still lists it among its problems, in Chinese."""
    case = {"case_number": "GD2026112110", "description": "路边垃圾", "address": "人民路东段"}
    for bad, words in (({"description": "长" * 2001}, "诉求内容不能超过2000个字符。"),
                       ({"address": "长" * 201, "received_at": "昨天"}, "事发地址不能超过200个字符。"),
                       ({"case_number": "G" * 65}, "工单编号不能超过64个字符。"),
                       ({"category": "长" * 65, "district": "长" * 33}, "所属区县不能超过32个字符；问题类别不能超过64个字符。")):
        answer = api.post("/api/v1/intake/hotline", city.admin, json={**case, **bad})
        assert answer.status_code == 400, (bad, answer.get_json())
        assert answer.get_json()["error"] == {"code": "text_too_long", "message": words}
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 0
    assert api.post("/api/v1/intake/hotline", city.admin, json=case).status_code == 201
    longer = api.post("/api/v1/intake/hotline", city.admin, json={**case, "description": "补充" * 1001})
    assert longer.status_code == 400 and longer.get_json()["error"]["code"] == "text_too_long"
    assert db.session.scalar(select(IntakeItem.description)) == "路边垃圾"
    rows = [HOTLINE[0], HOTLINE[1][:3] + ["长" * 2001] + HOTLINE[1][4:]]
    row = import_hotline(api, city, rows, dry_run=True).get_json()["rows"][0]
    assert row["action"] == "error" and row["message"] == "诉求内容不能超过2000个字符", row


# ----------------------------------------------------------------------------- the office's own entries

def test_media_and_leader_entries_become_tickets_at_once(browser, city):
    office = browser(city.admin)
    response = office.submit("/intake/entry", "/intake/entry", {
        "source": "media", "reference": "临江日报 11月20日《人行道成了停车场》", "category": "niupixuan",
        "segment_id": str(city.seg_b.id), "address": "建设路西段", "description": "媒体曝光人行道小广告",
        "unit_ids": ""}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.source, ticket.unit_id, ticket.photos) == ("media", city.street_b.id, [])
    assert "临江日报" in ticket.description
    item = db.session.scalar(select(IntakeItem))
    assert (item.source, item.status, item.ticket_id) == ("media", "accepted", ticket.id)
    response = office.submit("/intake/entry", "/intake/entry", {"source": "leader", "reference": "",
                                                                "category": "niupixuan"}, multipart=True)
    assert response.status_code == 422 and "出处" in response.get_data(as_text=True)
    response = office.submit("/intake/entry", "/intake/entry", {
        "source": "leader", "reference": "王市长批示：抓紧整治", "category": "niupixuan",
        "unit_ids": str(city.police.id), "photos": [file_tuple()]}, multipart=True)
    leader = db.session.scalar(select(Ticket).where(Ticket.source == "leader_assigned"))
    assert leader.unit_id == city.police.id and len(leader.photos) == 1  # the office may name the unit
    assert db.session.scalar(select(func.count(Photo.id))) == 1 and db.session.scalar(
        select(func.count(IntakePhoto.id))) == 0


def test_the_history_says_the_office_named_the_unit_on_accepting_or_entering(browser, city, now):
    """The office naming the units is not an inspector's choice of 产权 units at filing: the dispatch (and an
    assisting unit's note) says 文明办受理时指定 or 文明办登记时指定."""
    item = IntakeItem(source="citizen", status="pending", receipt="K7M3X9QD2H", description="小广告", address="人民路",
                      received_at=now, created_at=now, updated_at=now)
    db.session.add(item)
    db.session.flush()
    accepted = intake.accept(city.admin, item, {"category": "niupixuan", "segment_id": str(city.seg_a.id),
                                                "unit_ids": [city.roads.id, city.police.id]}, now)
    entered = intake.enter(city.admin, {"source": "leader", "reference": "市长批示", "category": "niupixuan",
                                        "segment_id": str(city.seg_b.id), "unit_ids": str(city.roads.id)}, None, now)
    notes = {t.id: [(e.action, e.note) for e in t.events if e.action in ("dispatch", "add_unit")]
             for t in (accepted, entered)}
    assert ("dispatch", "按文明办受理时指定的责任单位派遣") in notes[accepted.id], notes
    assert ("dispatch", "按文明办登记时指定的责任单位派遣") in notes[entered.id], notes
    assert "上报时" not in str(notes)
    assist = next(p for p in accepted.parts if p.role == "assist")
    assert assist.unit_id == city.police.id


def test_a_leaders_assignment_is_told_apart_from_a_leaders_inspection(api, browser, city):
    """领导交办 (a problem a leader handed over) is not 领导督导 (a leader's own inspection): its own source on the
    ticket's page, in the API and the list's filter (source=leader_assigned; API.md's source=leader, 领导督导/交办,
    keeps both); a ranking scheme that does not name it weighs it as 领导督导."""
    from inspect_app.rankings.schemes import DEFAULT_SCHEME, Scheme

    office = browser(city.admin)
    response = office.submit("/intake/entry", "/intake/entry", {
        "source": "leader", "reference": "王市长批示：抓紧整治", "category": "niupixuan",
        "segment_id": str(city.seg_b.id)}, multipart=True)
    assert response.status_code == 303
    ticket = db.session.scalar(select(Ticket))
    assert ticket.source == "leader_assigned" and db.session.scalar(select(IntakeItem.source)) == "leader"
    page = office.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "领导交办" in page and "领导督导" not in page
    body = api.get(f"/api/v1/tickets/{ticket.id}", city.admin).get_json()
    assert (body["source"], body["source_label"]) == ("leader_assigned", "领导交办")
    listed = api.get("/api/v1/tickets?source=leader_assigned", city.admin).get_json()["items"]
    assert [t["id"] for t in listed] == [ticket.id]
    # API.md's `leader` is 领导督导/交办: its filter keeps the problems leaders handed over too
    assert [t["id"] for t in api.get("/api/v1/tickets?source=leader", city.admin).get_json()["items"]] == [ticket.id]
    assert '<option value="leader_assigned">领导交办</option>' in office.get("/tickets").get_data(as_text=True)
    scheme = Scheme.from_dict(DEFAULT_SCHEME)
    assert scheme.found_points("leader_assigned") == scheme.found_points("leader") == 1
    assert "领导督导、领导交办" in scheme.method_lines()[0]
    own = Scheme.from_dict({**DEFAULT_SCHEME, "found": {**DEFAULT_SCHEME["found"], "leader_assigned": 2}})
    assert own.found_points("leader_assigned") == 2 and "领导交办发现问题每件扣2分" in own.method_text


def test_a_refused_entry_keeps_the_unit_chosen(browser, city):
    """A refusal (a broken photo, no 出处) shows the form as typed, the 主办单位 too: back at 按规则派遣 a resubmission
    sent the problem elsewhere."""
    office = browser(city.admin)
    for fields in ({"reference": "王市长批示：抓紧整治", "photos": [(io.BytesIO(b"not a photo"), "x.jpg")]},
                   {"reference": ""}):
        response = office.submit("/intake/entry", "/intake/entry", {
            "source": "leader", "category": "niupixuan", "unit_ids": str(city.police.id), **fields}, multipart=True)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert f'<option value="{city.police.id}" selected>' in page
        assert page.count("selected>") == 3  # 来源, 问题类别 and 主办单位, nothing else
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_a_superiors_feedback_item_is_entered_and_weighs_most_in_the_lists(browser, api, city):
    """省级/全国测评反馈: the assessors' own findings cost the city its score, so the shipped schemes weigh them most."""
    from inspect_app.rankings.schemes import CITY_B_SCHEME, DEFAULT_SCHEME, Scheme

    office = browser(city.admin)
    assert "上级测评反馈" in office.get("/intake/entry").get_data(as_text=True)
    response = office.submit("/intake/entry", "/intake/entry", {
        "source": "superior", "reference": "2026年省级测评实地考察反馈问题清单第12条", "category": "niupixuan",
        "segment_id": str(city.seg_b.id), "description": "建设路公交站亭张贴小广告", "photos": [file_tuple()]},
        multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.source, ticket.unit_id) == ("superior", city.street_b.id)
    assert ticket.description.endswith("（上级测评反馈：2026年省级测评实地考察反馈问题清单第12条）")
    assert db.session.scalar(select(IntakeItem.source)) == "superior"
    listed = api.get("/api/v1/tickets?source=superior", city.admin).get_json()
    assert [t["id"] for t in listed["items"]] == [ticket.id] and listed["items"][0]["source"] == "superior"
    for document in (DEFAULT_SCHEME, CITY_B_SCHEME):
        scheme = Scheme.from_dict(document)
        assert scheme.found_points("superior") > max(v for k, v in scheme.found.items() if k != "superior")
        assert f"上级测评反馈发现问题每件扣{scheme.found_points('superior'):g}分" in scheme.method_lines()[0]


FEEDBACK_LIST = "2026年省级文明城市测评实地考察反馈问题清单"
FEEDBACK = [["清单名称", "序号", "点位类型", "点位名称", "问题描述", "所属区县", "地址", "问题类别", "整改时限"],
            [FEEDBACK_LIST, "1", "公共厕所", "人民路公厕", "无洗手液", "", "", "", "2026-12-15"],
            [FEEDBACK_LIST, "第2条", "背街小巷", "", "楼道口堆放废旧家具", "临江区", "建设路18号楼道口", "", ""]]


def import_feedback(api, city, rows, dry_run=False):
    data = {"file": (io.BytesIO(hotline_csv(rows)), "反馈清单.csv")}
    if dry_run:
        data["dry_run"] = "1"
    return api.post("/api/v1/admin/import/feedback", city.admin, content_type="multipart/form-data", data=data)


def test_a_superiors_feedback_list_is_imported_dispatched_and_reported_back(api, browser, city, now):
    from inspect_app.sites.models import Site, SiteKind

    toilets = SiteKind(name="公共厕所")
    db.session.add(Site(code="GC-01", name="人民路公厕", kind=toilets, district="临江区", lat=City.ON_A[0],
                        lon=City.ON_A[1], territorial_unit_id=city.street_a.id))
    db.session.commit()
    preview = import_feedback(api, city, FEEDBACK, dry_run=True).get_json()
    assert (preview["added"], preview["errors"], preview["written"]) == (2, 0, False), preview
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 0
    assert import_feedback(api, city, FEEDBACK).get_json()["added"] == 2
    items = {i.case_number: i for i in db.session.scalars(select(IntakeItem))}
    toilet, lane = items[FEEDBACK_LIST + "第1条"], items[FEEDBACK_LIST + "第2条"]  # "第2条" read as item 2
    assert (toilet.source, toilet.status, toilet.description) == ("superior", "pending", "【公共厕所·人民路公厕】无洗手液")
    assert (toilet.lat, toilet.lon, toilet.district) == (City.ON_A[0], City.ON_A[1], "临江区")  # the registered site
    assert toilet.site.name == "人民路公厕" and lane.site_id is None
    assert toilet.due_at is not None and toilet.category_text == "公共厕所"
    assert lane.address == "建设路18号楼道口" and lane.lat is None
    again = import_feedback(api, city, FEEDBACK).get_json()
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 2)  # the same list twice adds nothing
    bad = import_feedback(api, city, [FEEDBACK[0], [FEEDBACK_LIST, "3", "", "", "路面破损", "", "", "", "明天"],
                                      ["", "", "公共厕所", "某公厕", "", "", "", "", ""]]).get_json()
    assert bad["errors"] == 2 and not bad["written"]
    assert "点位名称和地址至少填写一项" in bad["rows"][0]["message"] and "整改时限" in bad["rows"][0]["message"]
    assert "缺少清单名称" in bad["rows"][1]["message"] and "缺少存在问题" in bad["rows"][1]["message"]
    headless = import_feedback(api, city, [["清单名称", "序号", "地址"], [FEEDBACK_LIST, "9", "建设路"]])
    assert headless.status_code == 422 and "缺少“存在问题”列" in headless.get_json()["error"]["message"]
    not_a_sheet = api.post("/api/v1/admin/import/feedback", city.admin, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "反馈清单.xlsx")})
    assert not_a_sheet.status_code == 415, not_a_sheet.get_json()  # sniffed by content: a PNG named .xlsx
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 2  # nothing written by any of them

    office = browser(city.admin)
    queue = office.get("/intake?status=pending").get_data(as_text=True)
    assert f"反馈 {FEEDBACK_LIST}第1条" in queue and "导入上级反馈清单" in queue
    page = office.get(f"/intake/{toilet.id}").get_data(as_text=True)
    assert "上级整改时限 2026-12-15 23:59" in page and "热线" not in page
    ticket = api.post(f"/api/v1/intake/{toilet.id}/accept", city.admin, json={"category": "niupixuan"}).get_json()
    assert ticket["source"] == "superior" and ticket["unit"]["id"] == city.street_a.id  # nearest to the site
    assert ticket["description"].endswith(f"（上级测评反馈：{FEEDBACK_LIST}第1条）")
    assert ticket["site"] == {"id": toilet.site_id, "name": "人民路公厕"}  # the site's history shows it
    ticket_services.rectify(city.unit_a, db.session.get(Ticket, ticket["id"]), now, "已补充洗手液", [processed()])
    office.submit("/intake/entry", "/intake/entry", {  # one entered by hand, from another list
        "source": "superior", "reference": "2026年全国文明城市测评反馈第5条", "category": "niupixuan",
        "segment_id": str(city.seg_b.id), "description": "公交站亭小广告"}, multipart=True)
    db.session.commit()

    lines = api.get("/api/v1/intake/feedback/export.csv?encoding=utf-8", city.admin).get_data().decode(
        "utf-8-sig").splitlines()
    assert lines[0].startswith("反馈条目,存在问题,点位/地址,办理状态,问题编号,责任单位")
    assert lines[1].startswith(f"{FEEDBACK_LIST}第1条,【公共厕所·人民路公厕】无洗手液,人民路公厕,"
                               f"责任单位已整改，等待核查,{ticket['number']},甲街道办事处")
    assert "2026-12-15 23:59" in lines[1] and "已补充洗手液" not in lines[1]  # not before it is verified
    assert lines[1].endswith(",," + intake.VERIFYING)
    assert lines[2].startswith(f"{FEEDBACK_LIST}第2条,") and "已收到，等待审核" in lines[2]
    assert lines[3].startswith("2026年全国文明城市测评反馈第5条,公交站亭小广告") and len(lines) == 4
    only = office.get("/intake/feedback/export.csv?encoding=utf-8&list=全国").get_data().decode("utf-8-sig")
    assert len(only.splitlines()) == 2 and "第5条" in only
    assert browser(city.unit_a).get("/intake/feedback/export.xlsx").status_code == 403

    from inspect_app.intake.feedback import lists_progress
    lists = lists_progress(now)
    assert [(entry["name"], entry["total"]) for entry in lists] == [("2026年全国文明城市测评反馈", 1), (FEEDBACK_LIST, 2)]
    province = lists[1]
    assert [(row["number"], row["stage"]) for row in province["items"]] == [("1", "rectified"), ("2", "pending")]
    entered = lists[0]["items"][0]["ticket"]
    assert lists[0]["items"][0]["stage"] == "working"
    entered.deadline = now - timedelta(minutes=1)  # past its deadline, still open
    assert lists_progress(now)[0]["counts"]["overdue"] == 1
    db.session.rollback()
    page = browser(city.leader).get("/intake/feedback").get_data(as_text=True)  # leaders read it too
    assert FEEDBACK_LIST in page and "待核查 1" in page and "待交办 1" in page and "销号率 0.0%" in page
    assert f'href="/tickets/{ticket["id"]}"' in page and "导出" not in page  # the export is the office's
    assert 'href="/intake/feedback"' in browser(city.leader).get("/dashboard/").get_data(as_text=True)
    assert browser(city.unit_a).get("/intake/feedback").status_code == 403
    assert api.get("/api/v1/intake/feedback/export.csv", city.leader).status_code == 403


def test_a_feedback_item_is_taken_once_whether_imported_or_entered(api, browser, city, now):
    """"清单名称第N条" is one item however it comes in: entered by hand and then in the imported list, or imported
    and then entered, the second is shown as 已处理 (import) or refused naming the first (entry, 409): never a
    second ticket for the unit."""
    office = browser(city.admin)

    def enter(reference):
        return office.submit("/intake/entry", "/intake/entry", {
            "source": "superior", "reference": reference, "category": "niupixuan",
            "segment_id": str(city.seg_b.id), "description": "楼道口堆放废旧家具"}, multipart=True)

    assert enter(f"{FEEDBACK_LIST} 第2条").status_code == 303  # written with a space: the same key
    entered = db.session.scalar(select(Ticket))
    preview = import_feedback(api, city, FEEDBACK, dry_run=True).get_json()
    assert (preview["added"], preview["unchanged"], preview["errors"]) == (1, 1, 0), preview
    assert f"已处理（已受理，问题 {entered.number}），内容不再更新" in preview["rows"][1]["message"]
    assert import_feedback(api, city, FEEDBACK).get_json()["added"] == 1
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 2

    refused = enter(f"{FEEDBACK_LIST}第1条")  # imported, waiting in the queue
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409, page
    assert f"“{FEEDBACK_LIST}第1条”已登记（等待审核），同一反馈条目只登记一次。" in page
    assert 'value="2026年省级文明城市测评实地考察反馈问题清单第1条"' in page  # the form as typed
    toilet = db.session.scalar(select(IntakeItem).where(IntakeItem.case_number == f"{FEEDBACK_LIST}第1条"))
    accepted = api.post(f"/api/v1/intake/{toilet.id}/accept", city.admin, json={"category": "niupixuan"}).get_json()
    again = enter(f"{FEEDBACK_LIST}第2条").get_data(as_text=True)
    assert f"已登记（已受理，问题 {entered.number}）" in again
    assert f"已登记（已受理，问题 {accepted['number']}）" in enter(f"{FEEDBACK_LIST}第1条").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Ticket.id))) == 2

    # an item entered before entries kept their key has it only as its 出处: an import still finds it
    db.session.add(IntakeItem(source="superior", status="accepted", reference=f"{FEEDBACK_LIST}第3条",
                              description="路面坑洼", received_at=now, created_at=now, updated_at=now))
    db.session.commit()
    row = [FEEDBACK_LIST, "3", "背街小巷", "", "路面坑洼", "临江区", "建设路", "", ""]
    body = import_feedback(api, city, [FEEDBACK[0], row]).get_json()
    assert (body["added"], body["unchanged"]) == (0, 1) and "已处理（已受理）" in body["rows"][0]["message"]
    assert "已登记（已受理）" in enter(f"{FEEDBACK_LIST}第3条").get_data(as_text=True)


def test_a_feedback_item_entered_at_the_same_moment_twice_is_refused_not_a_500(city, now, monkeypatch):
    """Two entries of one item at once: the second's check sees nothing yet, its INSERT meets the unique key, and
    it is refused (409, naming the first) with nothing of it kept."""
    from inspect_app.common.errors import Conflict
    from inspect_app.intake import hotline

    fields = {"source": "superior", "reference": f"{FEEDBACK_LIST}第4条", "category": "niupixuan",
              "segment_id": str(city.seg_b.id), "description": "小广告"}
    first = intake.enter(city.admin, fields, None, now)
    db.session.commit()
    looked = []
    real = hotline.existing_case

    def not_yet_seen(key, source="hotline"):  # the first entry not committed when the second checked
        looked.append(key)
        return None if len(looked) == 1 else real(key, source)

    monkeypatch.setattr(hotline, "existing_case", not_yet_seen)
    with pytest.raises(Conflict) as refused:
        intake.enter(city.admin, fields, None, now)
    assert f"已登记（已受理，问题 {first.number}）" in refused.value.message
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


def test_a_lists_own_export_leaves_out_lists_named_after_it(api, browser, city):
    """导出本清单整改情况 exports that one list: not its （复查） list, whose name contains this one's; ?list= alone
    still finds lists by part of their name."""
    review = FEEDBACK_LIST + "（复查）"
    assert import_feedback(api, city, FEEDBACK + [[review, "1", "背街小巷", "", "仍有小广告", "临江区", "建设路", "",
                                                    ""]]).get_json()["added"] == 3
    office = browser(city.admin)
    page = office.get("/intake/feedback").get_data(as_text=True)
    links = re.findall(r'href="(/intake/feedback/export\.xlsx\?[^"]+)"', page)
    assert len(links) == 2 and all("exact=1" in link for link in links), links

    def keys(url):
        text = office.get(url.replace(".xlsx", ".csv") + "&encoding=utf-8").get_data().decode("utf-8-sig")
        return [line.split(",")[0] for line in text.splitlines()[1:]]

    own = next(link for link in links if "%EF%BC%88" not in link)  # the list without （复查）
    assert keys(own.replace("&amp;", "&")) == [FEEDBACK_LIST + "第1条", FEEDBACK_LIST + "第2条"]
    from urllib.parse import quote
    assert keys(f"/intake/feedback/export.xlsx?list={quote(review)}&exact=1") == [review + "第1条"]
    assert len(keys(f"/intake/feedback/export.xlsx?list={quote(FEEDBACK_LIST)}")) == 3  # part of a name
    answer = api.get(f"/api/v1/intake/feedback/export.csv?encoding=utf-8&exact=1&list={quote(FEEDBACK_LIST)}",
                     city.admin)
    assert len(answer.get_data().decode("utf-8-sig").splitlines()) == 3


def test_an_outside_deadline_is_never_passed_by_the_categorys(city, now):
    """A superior's 整改时限 (or the hotline's 办理时限) still ahead caps the rule's deadline; one already past does
    not make the ticket overdue at birth."""
    def accepted(due_at, source="superior"):
        item = IntakeItem(source=source, status="pending", case_number=f"清单第{due_at}条", description="路面坑洼",
                          address="建设路", received_at=now, due_at=due_at, created_at=now, updated_at=now)
        db.session.add(item)
        db.session.flush()
        return intake.accept(city.admin, item, {"category": "road_damage", "segment_id": str(city.seg_b.id)}, now)

    soon = now + timedelta(days=2)
    ticket = accepted(soon)
    assert ticket.deadline == soon and ticket.lead_part.deadline == soon  # 5 working days would be later
    rule = accepted(None).deadline
    assert rule > soon
    assert accepted(now + timedelta(days=30)).deadline == rule  # later than the rule: the rule stands
    assert accepted(now - timedelta(hours=1)).deadline == rule  # already past: not overdue at birth
    assert accepted(soon, source="hotline").deadline == soon

    # the office hands it to another unit: the superior's time limit still binds the new unit
    from inspect_app.tickets import services as tickets
    assert ticket.unit_id == city.roads.id
    moved = tickets.reassign(city.admin, ticket, now + timedelta(hours=3), city.street_b.id, "改派属地街道")
    assert moved.unit_id == city.street_b.id and moved.deadline == soon and moved.lead_part.deadline == soon
    assert moved.due_by == soon
    assert tickets.reassign(city.admin, moved, soon + timedelta(hours=1), city.street_a.id, "").deadline > soon


def test_the_orphan_sweep_keeps_the_photos_of_reports_waiting(app, browser, city, uploads, now):
    from datetime import timedelta

    from inspect_app.ops.files import find_orphans

    file_report(browser)
    key = db.session.scalar(select(IntakePhoto.key))
    with db.engine.connect() as conn:
        orphans = find_orphans(conn, uploads, now + timedelta(days=30), min_age=timedelta(0))
    assert key not in orphans.keys and orphans.count == 0


def test_a_list_names_a_site_as_people_write_it(city):
    """A 点位名称 with spaces or the other kind of brackets, or the site's code, finds the registered site; two sites
    of one name are told apart by the row's 所属区县, and stay unmatched without it."""
    from inspect_app.sites.models import Site, SiteKind
    from inspect_app.sites.services import find_by_name

    kind = SiteKind(name="广场/公园")
    east = Site(code="GY-01", name="五一广场（东区）", kind=kind, district="江城区", territorial_unit_id=city.street_a.id)
    river_a = Site(code="GY-02", name="沿江风光带", kind=kind, district="江城区", territorial_unit_id=city.street_a.id)
    river_b = Site(code="GY-03", name="沿江风光带", kind=kind, district="临江区", territorial_unit_id=city.street_b.id)
    db.session.add_all([east, river_a, river_b])
    db.session.commit()
    assert find_by_name("五一广场（东区）") is east
    assert find_by_name("五一广场 (东区)") is east
    assert find_by_name("五一广场(东区)") is east
    assert find_by_name("GY-01") is east
    assert find_by_name("沿江风光带") is None  # two of that name, no district
    assert find_by_name("沿江风光带", "临江区") is river_b
    assert find_by_name("五一广场") is None and find_by_name("") is None
    river_b.active = False
    db.session.commit()
    assert find_by_name("沿江风光带") is river_a  # a retired site is never matched


# ------------------------------------------------------------------- 门前四包 and far photos on the office's forms

@pytest.fixture
def menqian(city):
    """A 门前四包 category and a frontage on street B's road."""
    from inspect_app.frontages.models import Frontage

    db.session.add(Category(code="menqian", name="门前四包", group="市容环境", deadline_hours=24, route="frontage"))
    noodles = Frontage(code="JB-001", name="老杨家米粉店", kind="商户", address="建设路18号", street_unit=city.street_b,
                       segment=city.seg_b)
    db.session.add(noodles)
    db.session.commit()
    return noodles


def waiting_report(lat=None, lon=None, description="门前堆放纸箱"):
    from conftest import at

    when = at("2026-11-25T09:00:00+08:00")
    item = IntakeItem(source="citizen", status="pending", receipt=intake.new_receipt(), description=description,
                      address="建设路18号", lat=lat, lon=lon, received_at=when, created_at=when, updated_at=when)
    db.session.add(item)
    db.session.commit()
    return item


def test_the_office_names_the_frontage_of_a_menqian_problem_or_is_refused_with_what_it_typed(browser, city, menqian):
    """/intake/entry and accepting a report offer the frontage (its register number, typed or picked from the list:
    no script needed) and refuse 门前四包 without one, keeping what was typed: without it the ticket went to the
    street and never counted in the frontage's register (its repeat offences, its 整改通知书)."""
    office = browser(city.admin)
    page = office.get("/intake/entry").get_data(as_text=True)
    assert 'name="frontage_code"' in page and 'data-frontage-for="menqian"' in page
    assert '<option value="JB-001">老杨家米粉店 · 建设路18号</option>' in page
    typed = {"source": "media", "reference": "临江日报《店外堆物占道》", "category": "menqian",
             "address": "建设路18号门前", "description": "纸箱堆满人行道"}
    response = office.submit("/intake/entry", "/intake/entry", typed, multipart=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "“门前四包”问题须填写责任商户的门前四包责任书编号" in text
    assert "临江日报《店外堆物占道》" in text and "纸箱堆满人行道" in text
    assert '<option value="menqian" selected>' in text
    response = office.submit("/intake/entry", "/intake/entry", {**typed, "frontage_code": "JB-404"}, multipart=True)
    assert response.status_code == 422 and "没有编号为“JB-404”的门前四包责任商户" in response.get_data(as_text=True)
    assert 'value="JB-404"' in response.get_data(as_text=True)
    response = office.submit("/intake/entry", "/intake/entry", {**typed, "frontage_code": "JB-001"}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.frontage_id, ticket.unit_id, ticket.source) == (menqian.id, city.street_b.id, "media")

    item = waiting_report()
    page = f"/intake/{item.id}"
    assert 'name="frontage_code"' in office.get(page).get_data(as_text=True)
    response = office.submit(page, f"/intake/{item.id}/accept", {"category": "menqian", "description": "改写的描述"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "须填写责任商户的门前四包责任书编号" in text
    assert "改写的描述" in text and '<option value="menqian" selected>' in text
    assert db.session.get(IntakeItem, item.id).status == "pending"
    response = office.submit(page, f"/intake/{item.id}/accept", {"category": "menqian", "frontage_code": "JB-001"})
    assert response.status_code == 303
    accepted = db.session.get(IntakeItem, item.id).ticket
    assert (accepted.frontage_id, accepted.unit_id) == (menqian.id, city.street_b.id)


def test_a_far_position_does_not_move_a_problem_off_the_segment_the_office_chose(browser, city, api):
    """A photo's GPS far from the segment chosen (the sample photos were taken in Italy) placed the ticket 2,000 km
    away: beyond FAR_FROM_SEGMENTS_M the segment's place stands and the office is told; near, or with no segment
    chosen, the photo's position is used as before. Accepting a report with a far position does the same."""
    office = browser(city.admin)
    response = office.submit("/intake/entry", "/intake/entry", {
        "source": "leader", "reference": "王市长批示：抓紧整治", "category": "niupixuan",
        "segment_id": str(city.seg_b.id), "photos": [file_tuple("gps_DSCN0010.jpg")]}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.segment_id, ticket.lat, ticket.lon) == (city.seg_b.id, None, None)
    told = office.get(response.location).get_data(as_text=True)
    assert re.search(r"照片位置距所选路段约\d+公里，未采用", told), told
    response = office.submit("/intake/entry", "/intake/entry", {
        "source": "leader", "reference": "王市长批示：再查", "category": "niupixuan",
        "photos": [file_tuple("gps_DSCN0010.jpg")]}, multipart=True)
    unplaced = db.session.scalar(select(Ticket).where(Ticket.id != ticket.id))
    assert unplaced.lat is not None and unplaced.lat > 40  # no segment chosen: where the photo says
    assert "未采用" not in office.get(response.location).get_data(as_text=True)

    item = waiting_report(lat=43.47, lon=11.88, description="站牌小广告")
    response = office.submit(f"/intake/{item.id}", f"/intake/{item.id}/accept",
                             {"category": "niupixuan", "segment_id": str(city.seg_a.id)})
    assert response.status_code == 303
    accepted = db.session.get(IntakeItem, item.id).ticket
    assert (accepted.segment_id, accepted.lat) == (city.seg_a.id, None)
    assert re.search(r"来件位置距所选路段约\d+公里，未采用", office.get(response.location).get_data(as_text=True))
    near = waiting_report(lat=City.ON_A[0], lon=City.ON_A[1])
    office.submit(f"/intake/{near.id}", f"/intake/{near.id}/accept",
                  {"category": "niupixuan", "segment_id": str(city.seg_a.id)})
    assert db.session.get(IntakeItem, near.id).ticket.lat == City.ON_A[0]
    # the API says so too
    far_again = waiting_report(lat=43.47, lon=11.88, description="站牌小广告")
    body = api.post(f"/api/v1/intake/{far_again.id}/accept", city.admin,
                    json={"category": "niupixuan", "segment_id": city.seg_a.id}).get_json()
    assert body["lat"] is None and len(body["notes"]) == 1 and "未采用" in body["notes"][0]
    close = waiting_report(lat=City.ON_A[0], lon=City.ON_A[1])
    assert api.post(f"/api/v1/intake/{close.id}/accept", city.admin,
                    json={"category": "niupixuan", "segment_id": city.seg_a.id}).get_json()["notes"] == []


def test_a_queue_filter_mistyped_is_named_in_the_400(api, browser, city):
    """?status=pendng answered 状态参数不正确 / status 或 source 参数不正确: which one, and what it may be, untold."""
    body = api.get("/api/v1/intake?source=wechat", city.admin)
    assert body.status_code == 400 and body.get_json()["error"]["code"] == "invalid_filter"
    assert "“wechat”" in body.get_json()["error"]["message"] and "citizen" in body.get_json()["error"]["message"]
    body = api.get("/api/v1/intake?status=pendng", city.admin)
    assert body.status_code == 400 and "状态（status）“pendng”不正确，应为：pending" in body.get_json()["error"]["message"]
    page = browser(city.admin).get("/intake?status=pendng")
    assert page.status_code == 400 and "“pendng”不正确" in page.get_data(as_text=True)
    assert browser(city.admin).get("/intake?source=wechat").status_code == 400
