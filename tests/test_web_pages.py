"""People-facing pages: who may open what, filing without JavaScript, the action forms, CSRF and escaping."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import BASE, City, file_tuple, upload_files
from sqlalchemy import func, select

from inspect_app.common.timeutil import fmt, utcnow
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.tickets.models import ExtensionRequest, Ticket
ACTIONS = ("rectify", "approve", "reject", "dispute", "reassign", "request_extension", "decide_extension", "cancel")


def text(response) -> str:
    return response.get_data(as_text=True)


def status(client, url: str) -> int:
    with client.get(url) as response:  # photo files are streamed: close them
        return response.status_code


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def follow(client, response):
    assert response.status_code in (302, 303), (response.status_code, text(response)[:500])
    return client.get(response.headers["Location"])


# ----------------------------------------------------------------------------- who may open what

def test_login_page_wrong_password_and_logout(browser, city):
    anon = browser()
    page = anon.get("/login")
    assert page.status_code == 200 and "登录" in text(page) and 'name="csrf_token"' in text(page)
    bad = anon.post("/login", data={"username": "inspector", "password": "nope", "csrf_token": anon.token()})
    assert bad.status_code == 401 and "用户名或密码错误" in text(bad)
    assert text(bad).count("autofocus") == 1  # the message is read first; the username box asked for focus too
    assert text(page).count("autofocus") == 1
    anon.login(city.inspector)
    home = anon.get("/", follow_redirects=True)
    assert "上报问题" in text(home) and "督查员" in text(home)
    out = anon.submit("/tickets/new", "/logout")
    assert out.status_code == 302 and anon.get("/tickets/new").status_code == 302


def test_password_page(browser, city):
    user = browser(city.inspector)
    assert user.get("/password").status_code == 200
    wrong = user.submit("/password", "/password", {"old_password": "x", "new_password": "abc12345",
                                                    "confirm_password": "abc12345"})
    assert wrong.status_code == 422 and "原密码不正确" in text(wrong)


@pytest.mark.parametrize("who,start,menu", [
    ("inspector", "/tickets/new", ["上报问题", "我的上报", "待核查", "全部问题"]),
    ("admin", "/office/work", ["上报问题", "待核查", "全部问题", "待办事项"]),
    ("unit_a", "/unit/tickets", ["本单位问题"]),
    ("leader", "/tickets", ["全部问题"]),
])
def test_each_role_lands_on_its_start_page(browser, city, who, start, menu):
    user = browser(getattr(city, who))
    response = user.get("/")
    assert response.status_code == 302
    location = response.headers["Location"]
    if who == "leader" and "dashboard" in location:  # once the dashboard feature is registered
        return
    assert location.endswith(start)
    page = text(user.get(start))
    for label in menu:
        assert f">{label}</a>" in page
    if who in ("unit_a", "leader"):
        assert "上报问题</a>" not in page


PAGES = {
    "/tickets/new": {"inspector", "admin"},
    "/tickets/mine": {"inspector"},
    "/unit/tickets": {"unit_a"},
    "/tickets/verify": {"inspector", "admin"},
    "/tickets": {"admin", "leader", "inspector"},
    "/office/work": {"admin"},
}


@pytest.mark.parametrize("url", sorted(PAGES))
def test_pages_open_for_their_roles_only(browser, city, make_ticket, url):
    make_ticket()
    for who in ("inspector", "admin", "unit_a", "leader"):
        response = browser(getattr(city, who)).get(url)
        expected = 200 if who in PAGES[url] else 403
        assert response.status_code == expected, (who, url, response.status_code)
        if expected == 403:
            assert "无权访问" in text(response)
    anon = browser().get(url)
    assert anon.status_code == 302 and "/login" in anon.headers["Location"]


def test_post_without_csrf_token_is_refused(browser, city):
    inspector = browser(city.inspector)
    response = inspector.post("/tickets/new", data={"category": "niupixuan", "photos": file_tuple()},
                              content_type="multipart/form-data")
    assert response.status_code == 400 and "页面已过期" in text(response)
    assert count(Ticket) == 0


# ----------------------------------------------------------------------------- filing without JavaScript

def test_filing_form_offers_common_categories_first_and_a_camera_input(browser, city, app):
    from inspect_app.units.models import Category
    db.session.add(Category(code="rubbish", name="暴露垃圾", group="市容环境", deadline_hours=12))
    db.session.commit()
    page = text(browser(city.inspector).get("/tickets/new"))
    assert page.index("牛皮癣") < page.index("更多类别") < page.index("暴露垃圾")
    assert re.search(r'<input class="photo-input" type="file" name="photos" accept="image/\*" '
                     r'capture="environment" multiple', page)
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', page)
    assert "自动匹配最近路段" in page and "report.js" in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows neither


def file_report(client, photo="gps_DSCN0010.jpg", script=False, **fields):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
            "address": "人民路88号", "description": "电线杆上小广告3处", "idempotency_key": "k-1",
            "photos": [file_tuple(photo)], **fields}
    return client.submit("/tickets/new", "/tickets/new", data, script=script, multipart=True)


def test_filing_without_javascript_creates_a_ticket_and_shows_the_result(browser, city, uploads):
    inspector = browser(city.inspector)
    response = file_report(inspector)
    assert response.status_code == 303
    ticket = db.session.scalar(select(Ticket))
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}/filed")
    assert ticket.unit_id == city.street_a.id and ticket.segment_id == city.seg_a.id
    assert len(ticket.photos) == 1 and len(upload_files(uploads)) == 3  # the photo, its thumbnail, its stamped copy
    page = text(inspector.get(response.headers["Location"]))
    assert ticket.number in page and "甲街道办事处" in page and "人民路东段" in page
    assert fmt(ticket.deadline) in page


def test_no_form_gives_the_demo_city_as_its_example(browser, city):
    """The filing page's search read "如：人民路、江城区、解放街道" in every city, the site form "如 解放街道" and the
    office's entry form "如：临江日报…": the demo's names. The examples are neutral now."""
    from office_helpers import demo_city_names

    names = demo_city_names()
    for user, page in ((city.inspector, "/tickets/new"), (city.admin, "/sites/new"), (city.admin, "/intake/entry")):
        html = text(browser(user).get(page))
        examples = re.findall(r'placeholder="([^"]*)"', html)
        assert examples and not [e for e in examples if any(name in e for name in names)], (page, examples)


def test_the_way_of_checking_is_chosen_on_the_page_and_kept_for_the_day(browser, city):
    """An 暗访 filed from the phone is filed as 暗访 (it weighs more in the rankings), and the next report of the
    day starts from it; a refused form keeps it."""
    inspector = browser(city.inspector)
    page = inspector.get("/tickets/new").get_data(as_text=True)
    assert '<option value="daily" selected>日常督查</option>' in page and ">暗访</option>" in page
    assert ">12345热线<" not in page  # outside sources come in through the office's intake
    assert file_report(inspector, source="undercover").status_code == 303
    assert db.session.scalar(select(Ticket)).source == "undercover"
    page = inspector.get("/tickets/new").get_data(as_text=True)
    assert '<option value="undercover" selected>暗访</option>' in page
    refused = file_report(inspector, source="spot_check", category="", photo="Canon_40D.jpg", idempotency_key="k-2")
    assert refused.status_code == 400 and '<option value="spot_check" selected>随机抽查</option>' in \
        refused.get_data(as_text=True)
    other = browser(city.admin).get("/tickets/new").get_data(as_text=True)  # someone else's day is their own
    assert '<option value="daily" selected>日常督查</option>' in other


def test_report_far_from_any_segment_waits_for_the_office(browser, city):
    inspector = browser(city.inspector)
    response = file_report(inspector, lat=str(City.FAR[0]), lon=str(City.FAR[1]), photo="Canon_40D.jpg")
    page = text(follow(inspector, response))
    assert "待文明办派遣" in page and db.session.scalar(select(Ticket)).status == "pending"


def test_segment_chosen_by_hand_wins(browser, city):
    inspector = browser(city.inspector)
    file_report(inspector, segment_id=str(city.seg_b.id), photo="Canon_40D.jpg")
    assert db.session.scalar(select(Ticket)).unit_id == city.street_b.id


def test_repeated_post_with_the_same_key_makes_no_second_ticket(browser, city, uploads):
    inspector = browser(city.inspector)
    first = file_report(inspector, photo="Canon_40D.jpg")
    again = file_report(inspector, photo="Canon_40D.jpg")
    by_script = file_report(inspector, photo="Canon_40D.jpg", script=True)
    assert first.headers["Location"] == again.headers["Location"]
    assert by_script.status_code == 200 and by_script.get_json()["redirect"] == first.headers["Location"]
    assert count(Ticket) == 1 and count(Photo) == 1 and len(upload_files(uploads)) == 3
    file_report(inspector, photo="Canon_40D.jpg", idempotency_key="k-2")
    assert count(Ticket) == 2


@pytest.mark.parametrize("photo,message", [
    ("truncated_half.jpg", "照片文件不完整或已损坏"),
    ("not_an_image.jpg", "无法识别的文件格式"),
])
def test_broken_photo_is_refused_in_chinese_and_nothing_is_stored(browser, city, uploads, photo, message):
    inspector = browser(city.inspector)
    response = file_report(inspector, photo=photo, description="井盖旁<b>小广告</b>")
    page = text(response)
    assert response.status_code == 415 and message in page
    assert "井盖旁&lt;b&gt;小广告&lt;/b&gt;" in page  # what was typed is kept (and escaped)
    assert 'value="k-1"' in page  # a retry reuses the key
    by_script = file_report(inspector, photo=photo, script=True)
    assert by_script.status_code == 415 and message in by_script.get_json()["error"]["message"]
    assert count(Ticket) == 0 and count(Photo) == 0 and upload_files(uploads) == []


def test_missing_category_and_photo_messages(browser, city):
    inspector = browser(city.inspector)
    response = file_report(inspector, category="")
    assert response.status_code == 400 and "请选择问题类别" in text(response)
    response = file_report(inspector, photos=[])
    assert response.status_code == 400 and "请至少上传一张照片" in text(response)
    assert count(Ticket) == 0


def test_nearest_segments_for_the_phone_page(browser, city):
    inspector = browser(city.inspector)
    found = inspector.get(f"/segments/near?lat={City.ON_B[0]}&lon={City.ON_B[1]}").get_json()
    assert found[0]["name"] == "建设路西段" and found[0]["unit_name"] == "乙街道办事处"
    assert found[0]["distance_m"] < 20 and found[1]["id"] == city.seg_a.id
    bad = inspector.get("/segments/near?lat=abc&lon=1", headers={"X-Requested-With": "XMLHttpRequest"})
    assert bad.status_code == 400 and bad.get_json()["error"]["message"] == "纬度格式不正确。"
    assert browser(city.unit_a).get(f"/segments/near?lat={City.ON_B[0]}&lon={City.ON_B[1]}").status_code == 403


# ----------------------------------------------------------------------------- seeing tickets

def test_unit_never_sees_another_units_ticket_or_photo(browser, city, make_ticket):
    ticket = make_ticket(point=City.ON_A)  # street A's
    photo = ticket.photos[0]
    unit_b = browser(city.unit_b)
    for url in (f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/filed", f"/tickets/photos/{photo.id}",
                f"/tickets/photos/{photo.id}/thumb"):
        assert status(unit_b, url) == 404, url
    assert ticket.number not in text(unit_b.get("/unit/tickets?tab=all"))
    refused = unit_b.submit("/unit/tickets", f"/tickets/{ticket.id}/dispute", {"reason": "不是我们的"})
    assert refused.status_code == 404 and fresh(ticket).status == "assigned"
    unit_a = browser(city.unit_a)
    assert ticket.number in text(unit_a.get("/unit/tickets"))
    with unit_a.get(f"/tickets/photos/{photo.id}") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert status(unit_a, f"/tickets/photos/{photo.id}/thumb") == 200
    assert status(browser(), f"/tickets/photos/{photo.id}") == 302  # to the login page
    assert status(browser(city.leader), f"/tickets/photos/{photo.id}") == 200


def test_unit_list_puts_overdue_first_with_time_left(browser, city, make_ticket):
    now = utcnow()
    fresh_one = make_ticket(at_time=now - timedelta(hours=1))
    late_one = make_ticket(at_time=now - timedelta(hours=50))
    page = text(browser(city.unit_a).get("/unit/tickets"))
    assert page.index(late_one.number) < page.index(fresh_one.number)
    assert re.search(r"超期1天\d+小时", page) and re.search(r"剩余2\d小时", page)
    assert 'class="badge overdue"' in page and "is-late" in page


def test_unit_list_tabs(browser, city, make_ticket, now):
    from inspect_app.tickets import services
    from conftest import processed
    done = make_ticket()
    services.rectify(city.unit_a, done, now, "已清理", [processed()])
    todo = make_ticket()
    unit = browser(city.unit_a)
    todo_page, feedback_page, all_page = (text(unit.get(f"/unit/tickets?tab={t}")) for t in ("todo", "feedback", "all"))
    assert todo.number in todo_page and done.number not in todo_page
    assert done.number in feedback_page and todo.number not in feedback_page
    assert done.number in all_page and todo.number in all_page
    assert "暂无问题" in text(unit.get("/unit/tickets?tab=closed"))


def test_unit_list_counts_its_tabs_and_finds_by_number_or_its_own_lateness(browser, city, make_ticket):
    """A clerk with forty tickets finds one by its number, or the unit's own overdue ones; the tabs say how many
    wait. Lateness is the unit's part's: an assisting unit added late has its own deadline."""
    from inspect_app.extensions import db
    from inspect_app.tickets.parts import add_unit
    now = utcnow()
    late = make_ticket(at_time=now - timedelta(hours=50))
    fresh = make_ticket(at_time=now - timedelta(hours=1))
    add_unit(city.admin, late, now - timedelta(hours=1), city.unit_b.unit_id, "协助清理")
    db.session.commit()
    clerk = browser(city.unit_a)
    page = text(clerk.get("/unit/tickets"))
    assert re.search(r"待整改\s*<b>2</b>", page)
    late_only = text(clerk.get("/unit/tickets?tab=todo&overdue=1"))
    assert late.number in late_only and fresh.number not in late_only and "本单位已超期：共 1 件" in late_only
    found = text(clerk.get(f"/unit/tickets?tab=all&q={fresh.number}"))
    assert fresh.number in found and late.number not in found
    assert "没有符合条件的问题" in text(clerk.get("/unit/tickets?q=不存在的编号"))
    helper = browser(city.unit_b)
    assert late.number in text(helper.get("/unit/tickets"))  # its part is open...
    assert late.number not in text(helper.get("/unit/tickets?overdue=1"))  # ...and not late: its own deadline
    # what waits for the office is counted too, but not in the red of what the unit has to do
    from conftest import processed
    from inspect_app.tickets import services
    services.rectify(city.unit_a, db.session.get(Ticket, fresh.id), utcnow(), "已清理", [processed("Canon_40D.jpg")])
    db.session.commit()
    page = text(clerk.get("/unit/tickets"))
    assert re.search(r"待整改\s*<b>1</b>", page)
    assert re.search(r'已反馈\s*<b class="waiting" title="等待文明办处理">1</b>', page)


def test_mine_shows_only_my_reports(browser, city, make_ticket):
    mine = make_ticket(reporter=city.inspector)
    other = make_ticket(reporter=city.inspector2)
    page = text(browser(city.inspector).get("/tickets/mine"))
    assert mine.number in page and other.number not in page and "待整改" in page


def test_office_list_filters_and_pages(browser, city, make_ticket):
    a = make_ticket(point=City.ON_A)
    b = make_ticket(point=City.ON_B, description="乙街道的垃圾")
    c = make_ticket(point=City.FAR)
    admin = browser(city.admin)
    page = text(admin.get(f"/tickets?unit_id={city.street_b.id}"))
    assert b.number in page and a.number not in page
    page = text(admin.get("/tickets?status=pending"))
    assert c.number in page and a.number not in page
    page = text(admin.get("/tickets?district=江城区"))
    assert a.number in page and b.number not in page
    page = text(admin.get("/tickets?q=垃圾"))
    assert b.number in page and a.number not in page
    page = text(admin.get("/tickets?per_page=2"))
    assert "第 1 / 2 页" in page and "下一页</a>" in page
    assert "page=2" in page
    second = text(admin.get("/tickets?per_page=2&page=2"))
    assert a.number in second and "上一页</a>" in second
    # a mistyped filter: the list again without it, the rest kept, and why on top (a bare 400 page lost the search)
    bad = admin.get("/tickets?page=abc&q=垃圾")
    assert bad.status_code == 303 and bad.location.endswith("/tickets?q=%E5%9E%83%E5%9C%BE")
    assert "页码（page）应为整数" in text(admin.get(bad.location))
    backwards = admin.get("/tickets?from=2026-12-05&to=2026-12-01&q=垃圾")
    assert backwards.status_code == 303 and "from=" not in backwards.location and "q=" in backwards.location
    page = text(admin.get(backwards.location))
    assert "开始日期不能晚于结束日期" in page and b.number in page
    backwards = admin.get("/tickets?due_from=2026-12-05&due_to=2026-12-01&q=垃圾")
    assert backwards.status_code == 303 and "due_" not in backwards.location and "q=" in backwards.location
    assert "整改期限开始日期不能晚于整改期限结束日期" in text(admin.get(backwards.location))
    assert admin.get("/api/v1/tickets?page=abc").status_code in (400, 401)  # the API still answers 400


def test_office_list_folds_the_filters_used_now_and_then(browser, city):
    """QA walk: on a Pixel 7 a director scrolled past eleven filter boxes and five buttons to reach 全部问题's list.
    The filters used daily (and set by the 领导看板's links) stay in sight; 来源, 专项行动 and 上报日期 fold under
    更多筛选, which opens by itself when one of them is set, so a shared link shows what it filters. The fields
    keep their names (the list's URL is the same as the API's)."""
    from datetime import date

    from inspect_app.tickets.campaigns import Campaign

    campaign = Campaign(name="牛皮癣专项整治", start_date=date(2026, 11, 1), end_date=date(2026, 12, 31))
    db.session.add(campaign)
    db.session.commit()
    admin = browser(city.admin)

    def fold(query: str = "") -> tuple[bool, set[str], set[str]]:
        page = text(admin.get(f"/tickets?{query}"))
        form = page[page.index('<form method="get" class="filters">'):]
        form = form[:form.index("</form>")]
        found = re.search(r'<details class="more-filters"( open)?>(.*?)</details>', form, re.S)
        assert found, query
        names = re.compile(r'<(?:input|select)[^>]* name="(\w+)"')
        return (found.group(1) is not None, set(names.findall(form.replace(found.group(0), ""))),
                set(names.findall(found.group(2))))

    is_open, in_sight, folded = fold()
    assert not is_open
    assert in_sight == {"q", "status", "district", "unit_id", "category", "overdue"}
    assert folded == {"source", "campaign_id", "from", "to"}
    for query in ("status=open", f"unit_id={city.street_b.id}", "overdue=1", "category=niupixuan",
                  "district=江城区", "q=垃圾"):
        assert fold(query)[0] is False, query
    for query in ("source=hotline", "from=2026-11-01", "to=2026-11-30", f"campaign_id={campaign.id}&status=valid"):
        assert fold(query)[0] is True, query
    assert "（已选 2 项）" in text(admin.get(f"/tickets?source=hotline&campaign_id={campaign.id}"))


@pytest.mark.parametrize("who,url,last", [
    ("unit_a", "/unit/tickets?tab=all&per_page=1", "2"), ("inspector", "/tickets/mine?per_page=1", "3"),
    ("admin", "/tickets?per_page=1&district=江城区", "2"), ("admin", "/tickets/verify", None),
    ("admin", "/letters", None), ("admin", "/audit", None), ("admin", "/key-tasks/", None),
    ("admin", "/intake?status=pending", None), ("admin", "/frontages/", None), ("admin", "/sites/", None),
    ("admin", "/office/segments?district=江城区", None),
])
def test_a_page_past_the_last_goes_to_the_last(browser, city, make_ticket, who, url, last):
    """/unit/tickets?page=200 said "第 200 / 151 页，共 3011 条" over 暂无 (a link kept while rows went, a page
    typed): every paged list goes to its last page instead (the first: no page argument), its filters kept."""
    for point in (City.ON_A, City.ON_B, City.ON_A):
        make_ticket(point=point, reporter=city.inspector)
    user = browser(getattr(city, who))
    past = user.get(url + ("&" if "?" in url else "?") + "page=200")
    assert past.status_code == 302, past.status_code
    query = parse_qs(urlsplit(past.headers["Location"]).query)
    assert query.pop("page", None) == ([last] if last else None)
    assert query == parse_qs(urlsplit(url).query)  # the filters kept
    page = user.get(past.headers["Location"])
    assert page.status_code == 200 and (last is None or f"第 {last} / {last} 页" in text(page))


def test_missing_ticket_page(browser, city):
    response = browser(city.admin).get("/tickets/999")
    assert response.status_code == 404 and "问题不存在或无权查看" in text(response)


# ----------------------------------------------------------------------------- action forms

def forms_on(page: str, ticket) -> set[str]:
    return {a for a in ACTIONS if f'action="/tickets/{ticket.id}/{a}"' in page}


def test_each_person_sees_only_the_forms_they_may_use(browser, city, make_ticket, now):
    from inspect_app.tickets import services
    ticket = make_ticket()
    url = f"/tickets/{ticket.id}"
    assert forms_on(text(browser(city.unit_a).get(url)), ticket) == {"rectify", "dispute", "request_extension"}
    assert forms_on(text(browser(city.inspector).get(url)), ticket) == set()
    assert forms_on(text(browser(city.admin).get(url)), ticket) == {"reassign", "cancel"}
    services.request_extension(city.unit_a, ticket, now, workdays=2, reason="需协调")
    assert forms_on(text(browser(city.admin).get(url)), ticket) == {"reassign", "cancel", "decide_extension"}
    unit_page = text(browser(city.unit_a).get(url))
    assert forms_on(unit_page, ticket) == {"rectify", "dispute"} and "等待文明办审批" in unit_page
    from conftest import processed
    services.rectify(city.unit_a, ticket, now, "已清理", [processed()])
    assert forms_on(text(browser(city.inspector).get(url)), ticket) == {"approve", "reject"}
    assert forms_on(text(browser(city.unit_a).get(url)), ticket) == set()


def test_leader_sees_no_action_forms_anywhere(browser, city, make_ticket, now):
    from conftest import processed
    from inspect_app.tickets import services
    assigned, rectified, pending = make_ticket(), make_ticket(), make_ticket(point=City.FAR)
    services.rectify(city.unit_a, rectified, now, "已清理", [processed()])
    leader = browser(city.leader)
    for url in ["/tickets"] + [f"/tickets/{t.id}" for t in (assigned, rectified, pending)]:
        page = text(leader.get(url))
        forms = re.findall(r'<form[^>]*method="post"[^>]*>', page)
        assert forms == ['<form method="post" action="/logout" class="inline">'], (url, forms)
        assert all(forms_on(page, t) == set() for t in (assigned, rectified, pending))


def test_rectify_reject_and_approve_through_the_forms(browser, city, make_ticket, uploads):
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    unit = browser(city.unit_a)
    response = unit.submit(page, f"{page}/rectify", {"note": "已清除", "photos": [file_tuple("gps_DSCN0012.jpg")],
                                                     "photo_meta": '[{"taken_at": "2026-11-25T11:00:00"}]'}, multipart=True)
    shown = text(follow(unit, response))
    assert "整改情况已反馈" in shown and "待核查" in shown
    ticket = fresh(ticket)
    after = ticket.photos_of("after")
    assert ticket.status == "rectified" and len(after) == 1 and after[0].event.action == "rectify"
    assert f"/tickets/photos/{after[0].id}/thumb" in shown

    inspector = browser(city.inspector)
    queue = text(inspector.get("/tickets/verify"))
    assert ticket.number in queue and "整改前" in queue and "整改后" in queue
    assert f"/tickets/photos/{after[0].id}/thumb" in queue
    no_reason = inspector.submit("/tickets/verify", f"{page}/reject", {"note": "  "})
    assert no_reason.status_code == 400  # the ticket's page, its reject form open with the reason
    assert "请填写返工原因" in text(no_reason) and 'id="reject-error"' in text(no_reason)
    inspector.submit("/tickets/verify", f"{page}/reject", {"note": "仍有残留", "next": "/tickets/verify"})
    ticket = fresh(ticket)
    assert ticket.status == "assigned" and ticket.rework_count == 1
    reworked = text(unit.get(page))  # the refused photos are kept, folded away, and no longer called 整改后
    assert '<h2 class="sub">整改后</h2>' not in reworked and "已退回返工：仍有残留" in reworked
    assert f"/tickets/photos/{after[0].id}/thumb" in reworked and "整改后照片1" not in reworked

    unit.submit(page, f"{page}/rectify", {"photos": [file_tuple()]}, multipart=True)
    assert '<h2 class="sub">整改后</h2>' in text(unit.get(page))
    done = inspector.submit("/tickets/verify", f"{page}/approve", {"note": "到位", "next": "/tickets/verify"})
    assert done.headers["Location"] == "/tickets/verify"
    assert "已核查结案" in text(inspector.get("/tickets/verify"))
    assert fresh(ticket).status == "closed"
    timeline = text(inspector.get(page))
    for label in ("上报", "派遣", "整改反馈", "返工", "核查结案", "仍有残留", "待核查 → 待整改"):
        assert label in timeline


def test_the_ticket_page_flags_an_old_or_distant_before_photo(browser, city, now):
    """A picture from the album filed as a new finding, or taken far from the place reported, is flagged for the
    office and the unit; a fresh one from the spot is not."""
    from dataclasses import replace

    from conftest import BEFORE_PHOTO, processed

    from inspect_app.tickets.services import NewReport, create_ticket
    base = processed(BEFORE_PHOTO)
    lat, lon = City.ON_A
    old = replace(base, taken_at=now - timedelta(days=5), lat=lat + 0.01, lon=lon)  # about 1.1 km north
    fresh = replace(processed("Canon_40D.jpg"), taken_at=now - timedelta(hours=1), lat=lat, lon=lon)
    ticket, _ = create_ticket(city.inspector, NewReport(category="niupixuan", photos=[fresh, old], lat=lat, lon=lon),
                              now)
    db.session.commit()
    page = text(browser(city.admin).get(f"/tickets/{ticket.id}"))
    assert "整改前照片2" in page and "⚠ 拍摄于上报前5天" in page and "⚠ 拍摄位置距上报位置 1.1 公里" in page
    assert "整改前照片1" not in page  # the fresh photo passes silently
    assert "⚠ 拍摄于上报前5天" in text(browser(city.unit_a).get(f"/tickets/{ticket.id}"))


def test_rectify_by_script_answers_json(browser, city, make_ticket):
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    unit = browser(city.unit_a)
    broken = unit.submit(page, f"{page}/rectify", {"photos": [file_tuple("not_an_image.jpg")]}, script=True, multipart=True)
    assert broken.status_code == 415 and "无法识别的文件格式" in broken.get_json()["error"]["message"]
    none = unit.submit(page, f"{page}/rectify", {"note": "x"}, script=True, multipart=True)
    assert none.status_code == 400 and none.get_json()["error"]["message"] == "请至少上传一张照片。"
    ok = unit.submit(page, f"{page}/rectify", {"photos": [file_tuple()]}, script=True, multipart=True)
    assert ok.status_code == 200 and ok.get_json() == {"redirect": page}


def test_dispute_reassign_extension_and_cancel_through_the_forms(browser, city, make_ticket):
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    unit_a, admin, unit_b = browser(city.unit_a), browser(city.admin), browser(city.unit_b)
    unit_a.submit(page, f"{page}/dispute", {"reason": "该处属于乙街道"})
    assert fresh(ticket).status == "disputed"
    work = html = text(admin.get("/office/work"))
    assert ticket.number in work and "该处属于乙街道" in work
    # 改派 names no unit until the office picks one; sending it back to the unit that refused it is its own button
    assert f'<option value="{city.street_a.id}" selected' not in html
    assert f'name="version" value="{fresh(ticket).version}"' in html  # a decision on a ticket changed since: 409
    assert f'name="unit_id" value="{city.street_a.id}">' in html and f"退回{city.street_a.name}</button>" in html
    moved = admin.submit("/office/work", f"{page}/reassign", {"unit_id": str(city.street_b.id), "note": "改派",
                                                              "next": "/office/work#disputed"})
    assert moved.headers["Location"] == "/office/work#disputed"
    assert f"{ticket.number}：已派遣至{city.street_b.name}。" in text(follow(admin, moved))  # says where it went
    ticket = fresh(ticket)
    assert ticket.status == "assigned" and ticket.unit_id == city.street_b.id
    old_deadline = ticket.deadline

    unit_b.submit(page, f"{page}/request_extension", {"workdays": "3", "reason": "需协调施工"})
    assert count(ExtensionRequest) == 1
    again = unit_b.submit(page, f"{page}/request_extension", {"workdays": "3", "reason": "再申请"})
    assert "已有待审批的延期申请" in text(follow(unit_b, again))
    assert "需协调施工" in text(admin.get("/office/work"))
    granted = admin.submit("/office/work", f"{page}/decide_extension", {"approved": "1", "note": "同意"})
    ticket = fresh(ticket)
    assert ticket.deadline > old_deadline and ticket.extension_count == 1
    assert f"{ticket.number}：已同意延期，整改时限为{fmt(ticket.deadline)}。" in text(follow(admin, granted))
    assert "同意延期" in text(admin.get(page))
    unit_b.submit(page, f"{page}/request_extension", {"until": "2027-01-20", "reason": "还要更久"})
    # a refusal tells the unit why: without a reason it is refused, the form kept open
    bare = admin.submit(page, f"{page}/decide_extension", {"approved": "0", "note": " "})
    assert bare.status_code == 400 and "不同意延期时，请填写审批意见（理由）。" in text(bare)
    assert db.session.scalar(select(ExtensionRequest.status).order_by(ExtensionRequest.id.desc()).limit(1)) == "open"
    said = admin.submit(page, f"{page}/decide_extension", {"approved": "0", "note": "不同意"})
    assert f"{ticket.number}：已不同意延期，整改时限不变。" in text(follow(admin, said))
    refused = fresh(ticket)
    assert refused.deadline == ticket.deadline and refused.extension_count == 1
    assert "不同意延期" in text(admin.get(page))

    no_reason = admin.submit(page, f"{page}/cancel", {"reason": ""})
    assert no_reason.status_code == 400 and "请填写作废原因" in text(no_reason)
    admin.submit(page, f"{page}/cancel", {"reason": "重复上报"})
    assert fresh(ticket).status == "cancelled"


def test_office_dispatches_a_pending_ticket(browser, city, make_ticket):
    ticket = make_ticket(point=City.FAR)
    admin = browser(city.admin)
    assert ticket.number in text(admin.get("/office/work"))
    admin.submit("/office/work", f"/tickets/{ticket.id}/reassign", {"unit_id": str(city.roads.id)})
    ticket = fresh(ticket)
    assert ticket.status == "assigned" and ticket.unit_id == city.roads.id and ticket.deadline is not None


def test_the_work_list_menus_propose_a_unit_and_name_the_last_dispute(browser, city, make_ticket):
    """待办事项: each row's 派遣 menu offers every active unit (names escaped) with the proposed one selected (a
    待派遣's segment's unit); a 退单's 改派 menu proposes none, and sending it back to the unit that refused it is a
    button of its own; a 待派遣 shows its description, a 退单 its last reason and who."""
    city.roads.name = "市政<设施>管理处"
    db.session.commit()
    far = make_ticket(point=City.FAR, description="路灯杆上小广告")
    placed = make_ticket(point=City.FAR)
    placed.segment_id = city.seg_b.id  # a pending ticket on a segment (its unit is street_b): proposed, not chosen
    db.session.commit()
    disputed = make_ticket()
    page = f"/tickets/{disputed.id}"
    browser(city.unit_a).submit(page, f"{page}/dispute", {"reason": "该处属于乙街道"})
    browser(city.admin).submit("/office/work", f"{page}/reassign", {"unit_id": str(city.street_b.id)})
    browser(city.unit_b).submit(page, f"{page}/dispute", {"reason": "该处在两街道交界，应属甲街道"})
    assert fresh(disputed).status == "disputed" and fresh(far).status == "pending"

    page = text(browser(city.admin).get("/office/work"))
    menus = dict(re.findall(r'<select name="unit_id" required aria-label="(\S+) 派遣给哪个责任单位">(.*?)</select>',
                            page, re.S))
    assert set(menus) == {far.number, placed.number, disputed.number}
    for menu in menus.values():
        assert menu.count("<option") == 1 + 4 and "市政&lt;设施&gt;管理处" in menu and "<设施>" not in menu
    selected = {number: re.findall(r'<option value="(\d+)" selected>', menu) for number, menu in menus.items()}
    assert selected == {far.number: [], placed.number: [str(city.street_b.id)], disputed.number: []}
    assert f"退回{city.street_b.name}</button>" in page
    assert "路灯杆上小广告" in page
    assert "应属甲街道" in page and "该处属于乙街道" not in page and "（unit_b，" in page


def test_each_control_on_the_work_list_names_its_problem(browser, city, make_ticket, now):
    """待办事项 read aloud: Tab through two 延期申请 and a screen reader said 审批意见, 同意延期, 不同意 twice over
    (and 派遣 for each 待派遣), never for which problem. Every field and button of the page's sections has a name
    of its own, holding its problem's number; what a sighted user reads on it stays first (or, for a field, is the
    placeholder)."""
    from inspect_app.tickets import services

    pending = [make_ticket(point=City.FAR) for _ in range(2)]
    waiting = [make_ticket(point=City.ON_B) for _ in range(2)]
    for ticket in waiting:
        services.request_extension(city.unit_b, ticket, now, workdays=3, reason="需协调供电部门")
    disputed = make_ticket(point=City.ON_B)
    services.dispute(city.unit_b, disputed, now, "该处线缆属于运营商")
    db.session.commit()
    page = text(browser(city.admin).get("/office/work"))
    sections = page[page.index('<section id="pending"'):]
    names = []
    for tag, attrs, inner in re.findall(r"<(input|select|textarea|button)\b([^>]*)>(?:([^<]*)</button>)?", sections):
        if 'type="hidden"' in attrs:
            continue
        label = re.search(r'aria-label="([^"]*)"', attrs)
        name = label.group(1) if label else inner
        visible = inner or (re.search(r'placeholder="([^"]*)"', attrs) or label).group(1)
        assert visible.split("（")[0] in name, (tag, name, visible)
        names.append(name)
    # 派遣 menu and button; 改派 menu, note, button and 退回 note, button; note and two buttons
    assert len(names) == 2 * 2 + 5 + 2 * 3, names
    assert len(set(names)) == len(names), sorted(names)
    for ticket in pending + waiting + [disputed]:
        assert sum(ticket.number in name for name in names) == (2 if ticket in pending else 5 if ticket is disputed
                                                                else 3), ticket.number


def test_a_move_the_status_does_not_allow_shows_the_409_message(browser, city, make_ticket):
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    inspector = browser(city.inspector)
    refused = inspector.submit(page, f"{page}/approve", {"note": "好"})
    assert refused.status_code == 303 and refused.headers["Location"] == BASE + page
    shown = text(inspector.get(page))
    assert "问题当前状态为“待整改”，不能核查结案。" in shown and 'class="alert error"' in shown
    by_script = inspector.submit(page, f"{page}/approve", {}, script=True)
    assert by_script.status_code == 409 and "不能核查结案" in by_script.get_json()["error"]["message"]
    wrong_role = browser(city.unit_a).submit(page, f"{page}/approve", {})
    assert wrong_role.status_code == 403 and "无权" in text(wrong_role)
    unknown = inspector.submit(page, f"{page}/explode", {})
    assert unknown.status_code == 404
    assert fresh(ticket).status == "assigned"


def test_user_text_is_escaped(browser, city):
    inspector = browser(city.inspector)
    evil = "<script>alert(1)</script>"
    file_report(inspector, photo="Canon_40D.jpg", description=evil, address='<img src=x onerror="alert(2)">')
    ticket = db.session.scalar(select(Ticket))
    for url in (f"/tickets/{ticket.id}", "/tickets", "/tickets/mine", f"/tickets/{ticket.id}/filed"):
        page = text(inspector.get(url))
        assert "<script>alert" not in page and "<img src=x" not in page, url
    detail = text(inspector.get(f"/tickets/{ticket.id}"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail and "&lt;img src=x" in detail


def test_pages_send_a_strict_content_security_policy(browser, city):
    response = browser(city.inspector).get("/tickets/new")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"
    css = browser().get("/static/css/app.css")
    assert css.status_code == 200 and b"PingFang SC" in css.data
    css.close()


def test_uploads_too_large_for_the_server_get_a_chinese_message(browser, city, app):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    inspector = browser(city.inspector)
    big = {"photos": [(io.BytesIO(b"\xff" * 100_000), "big.jpg")], "category": "niupixuan"}
    by_script = inspector.submit("/tickets/new", "/tickets/new", big, script=True, multipart=True)
    assert by_script.status_code == 413 and "上传内容过大" in by_script.get_json()["error"]["message"]
    assert count(Ticket) == 0


def test_every_http_error_is_answered_in_chinese(app, browser, city, make_ticket):
    """Werkzeug's own words for an HTTP error are English ("The server cannot provide the requested range."): a
    code the office's list does not name gets a plain Chinese line, on a page and in the API. Found with a Range
    header past a photo's end (416)."""
    from werkzeug.exceptions import default_exceptions

    ticket = make_ticket()
    photo = ticket.photos[0].id
    office = browser(city.admin)
    response = office.get(f"/tickets/photos/{photo}/thumb", headers={"Range": "bytes=99999999-"})
    html = response.get_data(as_text=True)
    assert response.status_code == 416 and "请求的文件范围无效" in html and "cannot" not in html
    assert office.get(f"/tickets/photos/{photo}/thumb", headers={"Range": "bytes=0-9"}).status_code == 206

    cjk = re.compile(r"[\u4e00-\u9fff]")
    for status, error in sorted(default_exceptions.items()):
        with app.test_request_context("/api/v1/tickets"):
            answer = app.handle_http_exception(error())
        message = answer.get_json()["error"]["message"]
        assert answer.status_code == status and cjk.search(message) and error.description not in message, status
    with app.test_request_context("/api/v1/tickets"):  # our own words for a code not listed stay as they are
        answer = app.handle_http_exception(default_exceptions[410]("这张照片已按保存期限删除。"))
    assert answer.get_json()["error"]["message"] == "这张照片已按保存期限删除。"


def with_responsibility_block(city) -> None:
    """蜘蛛网 goes to the 产权 units the inspector picks (two carriers), and a 门前四包 category: the filing page
    shows the responsibility block (templates/tickets/_responsibility_fields.html)."""
    from inspect_app.units.models import Category, Unit

    carriers = [Unit(code="QY01", name="中国移动临江分公司", kind="企业"),
                Unit(code="QY02", name="中国联通临江分公司", kind="企业")]
    db.session.add_all(carriers)
    city.spider.route = "owner"
    city.spider.owner_choices = carriers
    db.session.add(Category(code="frontage_dirty", name="门前脏乱", group="市容环境", deadline_hours=24,
                            route="frontage", owner_unit=None))
    db.session.commit()


@pytest.mark.parametrize("responsibility", [False, True], ids=["plain", "with-responsibility-block"])
def test_filing_page_is_light_for_a_phone(browser, city, responsibility):
    """HTML + CSS + JS of the filing page, gzipped as a server would send them (photos not counted); the scripts
    it loads are minified and within 10 KB, the rest (search, map, no position, offline queue, 疑似重复, and the
    产权 / 门前四包 block's script in a city that has one) loaded on use."""
    import gzip
    if responsibility:
        with_responsibility_block(city)
    inspector = browser(city.inspector)
    html = inspector.get("/tickets/new").data
    assert (b"data-resp-for" in html) == responsibility
    assets = re.findall(rb'(?:href|src)="(/static/[^"?]+)', html)
    # one stylesheet, the page script and the small script of every page; nothing elsewhere
    assert len(assets) == 3
    assert not re.search(rb'(?:href|src)="(?:https?:)?//', html)
    bodies = {"html": html}
    for path in assets:
        with inspector.get(path.decode()) as response:
            bodies[path.decode()] = response.data
    assert sum(len(body) for name, body in bodies.items() if name.endswith(".js")) <= 10 * 1024
    on_use = re.findall(rb'data-js-(\w+)="([^"]+)"', html)
    assert sorted(name for name, _ in on_use) == \
        [b"dup", b"map", b"place", b"queue"] + [b"resp"] * responsibility + [b"search"]
    for _, urls in on_use:
        for url in urls.decode().split():
            with inspector.get(url) as response:
                assert response.status_code == 200 and response.mimetype == "text/javascript"
    zipped = sum(len(gzip.compress(body)) for body in bodies.values())
    assert zipped <= 30 * 1024, {name: len(body) for name, body in bodies.items()}
