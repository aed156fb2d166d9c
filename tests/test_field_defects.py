"""Issue 16 defects 1-3: a reassignment starts the new unit afresh, 返工 gets a rework deadline, an extension on an
overdue ticket counts from today, and a refused form keeps what was typed."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from conftest import City, at, processed
from sqlalchemy import select

from inspect_app.escalation.jobs import run_sweep
from inspect_app.escalation.models import Letter
from inspect_app.extensions import db
from inspect_app.rankings.counts import unit_counts
from inspect_app.rankings.periods import month
from inspect_app.tickets import queries, services
from inspect_app.tickets.models import Ticket, TicketEvent

FRIDAY = "2026-11-27T09:00:00+08:00"  # a 牛皮癣 filed Wednesday 10:00 (24 h) is overdue: level 1


@pytest.fixture
def auto_mode(app):
    """The sweep issues letters itself (ESCALATION_MODE=auto), so its levels show at once."""
    app.config["ESCALATION_MODE"] = "auto"


def fresh(ticket):
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


# ----------------------------------------------------------------------------- 1. reassignment

def test_reassignment_starts_the_new_units_clock_and_level_afresh(app, city, make_ticket, auto_mode):
    ticket = make_ticket()
    [first] = run_sweep(at(FRIDAY)).letters
    assert first.unit_id == city.street_a.id and fresh(ticket).escalation_level == 1

    moved_at = at("2026-11-27T11:00")
    services.reassign(city.admin, fresh(ticket), moved_at, city.street_b.id, "改派乙街道")
    db.session.commit()
    ticket = fresh(ticket)
    assert ticket.unit_id == city.street_b.id
    assert ticket.escalation_level == 0, "the new unit does not inherit the old unit's 督办"
    assert ticket.deadline == moved_at + timedelta(hours=24)
    # Nothing for the new unit before its own deadline...
    assert run_sweep(at("2026-11-28T10:00")).letters == []
    assert fresh(ticket).escalation_level == 0
    # ... and its own level 1 once its deadline passes.
    late = run_sweep(at("2026-11-28T12:00")).letters
    assert [(letter.unit_id, letter.level) for letter in late] == [(city.street_b.id, 1)]
    assert fresh(ticket).escalation_level == 1
    # The old unit's letter stays in the ticket's history.
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                          TicketEvent.action == "escalate")
                                  .order_by(TicketEvent.id)).all()
    assert [json.loads(e.data_json)["unit"] for e in events] == ["甲街道办事处", "乙街道办事处"]
    assert db.session.get(Letter, first.id).unit_id == city.street_a.id


def test_reassignment_moves_proposals_to_the_new_unit(app, city, make_ticket):
    """ESCALATION_MODE=propose: the old unit's 督办建议 lapses with the reassignment, the new unit gets its own once
    its own deadline has passed."""
    from inspect_app.escalation import proposals

    ticket = make_ticket()
    [first] = run_sweep(at(FRIDAY)).proposals
    assert (first.unit_id, first.level) == (city.street_a.id, 1)
    services.reassign(city.admin, fresh(ticket), at("2026-11-27T11:00"), city.street_b.id, "改派乙街道")
    db.session.commit()
    assert run_sweep(at("2026-11-28T10:00")).lapsed == 1
    assert proposals.open_proposals(at("2026-11-28T10:00")) == []
    [second] = run_sweep(at("2026-11-28T12:00")).proposals
    assert (second.unit_id, second.level, second.ticket_id) == (city.street_b.id, 1, ticket.id)


def test_reassignment_page_says_the_level_starts_afresh(app, city, make_ticket, browser, auto_mode):
    ticket = make_ticket()
    run_sweep(at(FRIDAY))
    services.reassign(city.admin, fresh(ticket), at("2026-11-27T11:00"), city.street_b.id, "")
    db.session.commit()
    page = browser(city.admin).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "新单位督办等级从零开始" in page


def test_returned_to_the_same_unit_keeps_its_level(app, city, make_ticket, auto_mode):
    ticket = make_ticket()
    run_sweep(at(FRIDAY))
    ticket = fresh(ticket)
    services.dispute(city.unit_a, ticket, at("2026-11-27T10:00"), "不属于本单位")
    services.reassign(city.admin, ticket, at("2026-11-27T11:00"), city.street_a.id, "退回原单位")
    assert ticket.escalation_level == 1 and ticket.assignment == 1



def test_a_dispute_turned_down_gives_back_only_the_time_the_unit_had_left(app, city, make_ticket, auto_mode):
    """退单 turned down, the problem back with its unit: a fresh deadline took away a late unit's 超期 and held back
    its next 督办 step (a 挂牌督办 problem 18 days late was due again in 12 hours). The time the office took to
    decide is not the unit's: it gets back what it had left when it asked, and nothing when it asked late."""
    late = make_ticket()  # due Thursday 11-26 10:00
    run_sweep(at(FRIDAY))
    kept = fresh(late).deadline
    services.dispute(city.unit_a, fresh(late), at("2026-11-27T10:00"), "不属于本单位")
    services.reassign(city.admin, fresh(late), at("2026-11-30T11:00"), city.street_a.id, "经核实属本单位")
    db.session.commit()
    late = fresh(late)
    assert late.deadline == kept and late.is_overdue(at("2026-11-30T11:05")) and late.escalation_level == 1
    assert late.lead_part.deadline == kept
    early = make_ticket(at_time=at("2026-11-27T09:00"))  # due Saturday 09:00
    services.dispute(city.unit_a, fresh(early), at("2026-11-27T15:00"), "不属于本单位")  # 18 hours left
    services.reassign(city.admin, fresh(early), at("2026-11-30T10:00"), city.street_a.id, "经核实属本单位")
    db.session.commit()
    assert fresh(early).deadline == at("2026-12-01T04:00")  # the 18 hours it had, from the office's decision
    quick = make_ticket(at_time=at("2026-11-27T09:00"))
    services.dispute(city.unit_a, fresh(quick), at("2026-11-27T15:00"), "不属于本单位")
    services.reassign(city.admin, fresh(quick), at("2026-11-27T16:00"), city.street_a.id, "经核实属本单位")
    db.session.commit()
    assert fresh(quick).deadline == at("2026-11-28T10:00")  # an hour of the office's added to its time


# ----------------------------------------------------------------------------- 2. rework deadline

def test_rework_after_a_late_verification_gets_time_from_the_rejection(app, city, make_ticket, auto_mode):
    ticket = make_ticket()  # due Thursday 11-26 10:00
    services.rectify(city.unit_a, ticket, at("2026-11-26T09:00"), "已清理", [processed()])
    db.session.commit()
    rejected_at = at("2026-11-27T10:00")  # verified a day late
    services.reject(city.inspector, fresh(ticket), rejected_at, "仍有残留")
    db.session.commit()
    ticket = fresh(ticket)
    assert ticket.deadline == rejected_at + timedelta(hours=app.config["REWORK_DEADLINE_HOURS"])
    assert not ticket.is_overdue(at("2026-11-27T10:30"))
    assert run_sweep(at("2026-11-27T10:30")).letters == [], "not supervised for the inspector's delay"
    assert [letter.level for letter in run_sweep(at("2026-11-28T10:30")).letters] == [1]



def test_a_late_rectification_sent_back_stays_late(app, city, make_ticket, now):
    """A unit that reported ten days past its deadline and was sent back got a fresh rework time: the problem left
    the month it fell due in, and was 按期 once the rework came in time, its unit's score going up for the 返工.
    Its deadline stays: 超期 in its month until it is put right, and the 督办 sweep sees it so."""
    ticket = make_ticket()  # due Thursday 11-26 10:00
    original = ticket.deadline
    november = month(2026, 11)
    services.rectify(city.unit_a, ticket, at("2026-11-30T09:00"), "已清理", [processed()])  # four days late
    db.session.commit()
    assert unit_counts(november, at("2026-12-01T09:00"))[city.street_a.id].overdue == 1
    services.reject(city.inspector, fresh(ticket), at("2026-12-01T10:00"), "仍有残留")
    db.session.commit()
    ticket = fresh(ticket)
    assert ticket.deadline == original and ticket.is_overdue(at("2026-12-01T10:30"))
    figures = unit_counts(november, at("2026-12-01T11:00"))[city.street_a.id]
    assert (figures.due, figures.overdue, figures.rework) == (1, 1, 1)
    event = ticket.events[-1]
    assert json.loads(event.data_json)["late"] is True
    # put right within what would have been the rework time: still 超期 in November
    services.rectify(city.unit_a, ticket, at("2026-12-01T15:00"), "已彻底清理", [processed("mobile_jolla.jpg")])
    db.session.commit()
    assert unit_counts(november, at("2026-12-02T09:00"))[city.street_a.id].overdue == 1


def test_rework_never_shortens_the_original_deadline(app, city, make_ticket, now):
    ticket = make_ticket(category="spider_web")  # 10 working days
    original = ticket.deadline
    services.rectify(city.unit_a, ticket, now + timedelta(hours=1), "已整改", [processed()])
    services.reject(city.inspector, ticket, now + timedelta(hours=2), "未整改到位")
    assert ticket.deadline == original


def test_rework_time_per_category(app, city, make_ticket, now):
    city.niupixuan.rework_workdays = 2
    db.session.commit()
    ticket = make_ticket()
    services.rectify(city.unit_a, ticket, now + timedelta(hours=1), "已清理", [processed()])
    services.reject(city.inspector, ticket, at("2026-11-27T10:00"), "仍有残留")  # Friday
    # Two working days after Friday: Monday, Tuesday 12-01, end of day.
    assert ticket.deadline == at("2026-12-01T23:59:59")


def test_rework_time_is_set_on_the_category_form(app, city, browser):
    office = browser(city.admin)
    page = f"/office/categories/{city.niupixuan.id}"
    response = office.submit(page, page, {"name": "牛皮癣", "group": "宣传广告", "deadline_kind": "hours",
                                          "deadline_value": "24", "rework_kind": "hours", "rework_value": "8"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert city.niupixuan.rework_hours == 8 and city.niupixuan.rework_workdays is None
    assert "8小时" in office.get("/office/categories").get_data(as_text=True)
    bad = office.submit(page, page, {"name": "牛皮癣", "group": "宣传广告", "deadline_kind": "hours",
                                     "deadline_value": "24", "rework_kind": "workdays", "rework_value": "99"})
    assert bad.status_code == 422 and "返工时限" in bad.get_data(as_text=True)


# ----------------------------------------------------------------------------- 3. extension, refused forms

def test_extension_in_workdays_on_an_overdue_ticket_counts_from_today(app, city, make_ticket):
    ticket = make_ticket()  # due 11-26 10:00
    monday = at("2026-11-30T10:00")
    request = services.request_extension(city.unit_a, ticket, monday, workdays=1, reason="需协调")
    assert request.until == at("2026-12-01T23:59:59")



def test_reporting_rectified_withdraws_the_units_open_extension_request(app, city, make_ticket, browser):
    """A unit asked for more time, then did the work: the request stayed open, in the office's 延期申请 for good
    (同意 and 不同意 refused: 问题当前状态为“待核查”), and after a 返工 the unit read it as waiting and could not ask
    again. Reporting rectified withdraws it; the ticket's history says so."""
    ticket = make_ticket()
    services.request_extension(city.unit_a, ticket, at("2026-11-25T12:00"), workdays=2, reason="需协调")
    services.rectify(city.unit_a, fresh(ticket), at("2026-11-25T15:00"), "已清理", [processed()])
    db.session.commit()
    assert queries.pending_extensions() == [] and queries.open_extension(fresh(ticket)) is None
    office = browser(city.admin)
    assert "已报送整改，延期申请随之撤回" in office.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    services.reject(city.inspector, fresh(ticket), at("2026-11-25T16:00"), "仍有残留")
    again = services.request_extension(city.unit_a, fresh(ticket), at("2026-11-25T17:00"), workdays=1,
                                       reason="返工需协调")  # may ask again
    assert queries.pending_extensions() == [again]


def test_a_refused_extension_keeps_the_typed_reason(app, city, make_ticket, browser):
    ticket = make_ticket()
    unit = browser(city.unit_a)
    page = f"/tickets/{ticket.id}"
    reason = "需协调供电公司停电后施工，预计下周完成"
    response = unit.submit(page, f"/tickets/{ticket.id}/request_extension", {"workdays": "99", "reason": reason})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "延期工作日数应在 1 到 60 之间" in html
    assert reason in html and 'value="99"' in html
    assert '<details id="request_extension" open' in html


def test_a_refused_reject_keeps_the_form_open_with_its_error(app, city, make_ticket, browser):
    ticket = make_ticket()
    services.rectify(city.unit_a, ticket, at("2026-11-25T12:00"), "已清理", [processed()])
    db.session.commit()
    inspector = browser(city.inspector)
    response = inspector.submit(f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/reject", {"note": "   "})
    assert response.status_code == 400
    assert "请填写返工原因" in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- 7. small things a phone walk found

def test_favicon_is_a_real_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_the_phone_trend_chart_says_how_many_weeks_it_shows(app, city, browser):
    page = browser(city.leader).get("/dashboard/").get_data(as_text=True)
    assert '<span class="narrow-only">近8周趋势</span>' in page
    assert '<span class="wide-only">近12周趋势</span>' in page
    assert page.count('aria-label="近8周') == 1 and page.count('aria-label="近12周') == 1


def test_approving_asks_for_confirmation(app, city, make_ticket, browser):
    ticket = make_ticket()
    services.rectify(city.unit_a, ticket, at("2026-11-25T12:00"), "已清理", [processed()])
    db.session.commit()
    inspector = browser(city.inspector)
    for url in (f"/tickets/{ticket.id}", "/tickets/verify"):
        html = inspector.get(url).get_data(as_text=True)
        assert 'action="/tickets/%d/approve"' % ticket.id in html
        assert "data-confirm=" in html.split('/approve"')[1][:80]
        assert f'name="version" value="{ticket.version}"' in html.split('/approve"')[1][:600]  # 409 if changed since
        assert "<script>" not in html and "onclick" not in html


def test_a_pending_extension_shows_on_list_cards(app, city, make_ticket, browser):
    ticket = make_ticket()
    services.request_extension(city.unit_a, ticket, at("2026-11-25T12:00"), workdays=2, reason="需协调")
    db.session.commit()
    for user, url in ((city.unit_a, "/unit/tickets"), (city.admin, "/tickets"), (city.inspector, "/tickets/mine")):
        assert "延期申请待审批" in browser(user).get(url).get_data(as_text=True), url


def test_disputed_tickets_have_their_own_tabs(app, city, make_ticket, browser):
    ticket = make_ticket()
    services.dispute(city.unit_a, ticket, at("2026-11-25T12:00"), "不属于本单位")
    db.session.commit()
    unit = browser(city.unit_a)
    assert ticket.number not in unit.get("/unit/tickets").get_data(as_text=True)
    tab = unit.get("/unit/tickets?tab=disputed").get_data(as_text=True)
    assert "退单中" in tab and ticket.number in tab
    office = browser(city.admin).get("/tickets").get_data(as_text=True)
    assert 'href="/tickets?status=disputed"' in office
    assert ticket.number in browser(city.admin).get("/tickets?status=disputed").get_data(as_text=True)
    assert 'href="/tickets/mine?status=disputed"' in browser(city.inspector).get("/tickets/mine").get_data(as_text=True)


def test_every_reassign_select_on_the_work_page_has_a_label(app, city, make_ticket, browser):
    make_ticket(point=City.FAR)
    html = browser(city.admin).get("/office/work").get_data(as_text=True)
    selects = html.count('<select name="unit_id"')
    assert selects >= 1 and html.count('派遣给哪个责任单位"') == selects


# ----------------------------------------------------------------------------- trustworthy photos

def test_an_after_photo_identical_to_a_before_photo_is_refused(app, city, make_ticket, api, uploads):
    from conftest import BEFORE_PHOTO, file_tuple, upload_files

    ticket = make_ticket()
    files_before = upload_files(uploads)
    response = api.post(f"/api/v1/tickets/{ticket.id}/rectify", city.unit_a,
                        data={"note": "已整改", "photos": [file_tuple(BEFORE_PHOTO)]}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["error"] == {"code": "after_photo_same_as_before",
                                            "message": "该照片与整改前照片完全相同，请在现场拍摄整改后的照片。"}
    assert fresh(ticket).status == "assigned" and upload_files(uploads) == files_before  # no orphan file


def test_the_verifier_sees_capture_time_and_distance_and_flags(app, city, make_ticket, browser, now):
    from inspect_app.photos.processing import process_image
    from conftest import photo_bytes

    ticket = make_ticket()  # reported at 2026-11-25 10:00 on 人民路东段
    old = processed()  # Canon_40D: taken 2008, no position
    far = process_image(photo_bytes("hdr_iphone_hdr_YES.jpg"))  # a position in Madrid
    services.rectify(city.unit_a, ticket, now + timedelta(hours=2), "已清理", [old, far],
                     [{}, {}])
    db.session.commit()
    html = browser(city.inspector).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "拍摄：2008-05-30 15:56" in html and "拍摄时间早于上报时间" in html
    assert "照片无位置信息" in html
    assert "距上报位置超过 200 米" in html
    assert re.search(r"距上报位置：\d{1,2},\d{3} 公里", html)  # Madrid, in kilometres, not 9,000,000 米


def test_distances_read_as_people_say_them():
    from inspect_app.tickets.web import distance

    assert [distance(m) for m in (0, 85.4, 999.4, 1234, 9_949, 12_345, 9_269_490)] == [
        "0 米", "85 米", "999 米", "1.2 公里", "9.9 公里", "12 公里", "9,269 公里"]


def test_lists_and_letters_use_the_stamped_copy_and_the_original_stays_clean(app, city, make_ticket, browser, uploads):
    from PIL import Image, ImageStat

    from inspect_app.photos.service import store
    from inspect_app.escalation.letters_pdf import _photo

    ticket = make_ticket(address="人民路88号公交站旁")
    [photo] = ticket.photos
    files = store()
    clean_thumb, stamped = files.path(photo.key, thumb=True), files.path(photo.key, stamped=True)
    assert stamped.is_file() and stamped != clean_thumb
    # The band along the bottom darkens the stamped copy there; the clean thumbnail is the photo as taken.
    def bottom_mean(path):
        with Image.open(path) as img:
            gray = img.convert("L")
            return ImageStat.Stat(gray.crop((0, gray.height - 8, gray.width, gray.height))).mean[0]
    assert bottom_mean(stamped) < bottom_mean(clean_thumb) - 20
    inspector = browser(city.inspector)
    assert inspector.get(f"/tickets/photos/{photo.id}/thumb").data == stamped.read_bytes()
    assert inspector.get(f"/tickets/photos/{photo.id}").data == files.path(photo.key).read_bytes()
    assert _photo(files, photo.key) == str(stamped)


def test_the_stamp_says_when_where_and_who(app, city, make_ticket):
    from inspect_app.photos.service import stamp_lines

    ticket = make_ticket(address="人民路88号公交站旁")
    lines = stamp_lines(ticket, "before", None, at("2026-11-25T10:00"), 28.2301, 112.935, "张三 上报")
    assert lines[0].startswith("整改前 · 上传 2026-11-25 10:00 · ") and ticket.number in lines[0]
    assert lines[1] == "人民路88号公交站旁（人民路东段） · 28.23010, 112.93500" and lines[2] == "张三 上报"


def test_a_filed_photo_is_stamped_as_if_drawn_at_once(app, city, make_ticket, now):
    """Filing draws its stamp in two steps: every line but the first before the ticket takes its number, the first
    (it shows the number) after, so other filings wait less. The copy is still the very one stamp() draws in one
    go, and the clean photo and thumbnail are the processed ones."""
    from inspect_app.photos.service import stamp_lines, store
    from inspect_app.photos.stamp import stamp

    ticket = make_ticket(address="人民路88号公交站旁", photo="gps_DSCN0010.jpg")
    [row] = ticket.photos
    source = processed("gps_DSCN0010.jpg")
    lines = stamp_lines(ticket, "before", row.taken_at, now, row.lat, row.lon, f"{city.inspector.name} 上报")
    assert ticket.number in lines[0] and row.taken_at is not None
    files = store()
    assert files.path(row.key, stamped=True).read_bytes() == stamp(source.thumb_image, lines)
    assert files.path(row.key).read_bytes() == source.jpeg
    assert files.path(row.key, thumb=True).read_bytes() == source.thumb


def test_an_after_photo_stamp_names_the_unit_once(app, city, make_ticket, monkeypatch):
    """A unit's account is often named after the unit: the stamp says "市环境卫生管理处 整改", not the name twice."""
    import inspect_app.photos.service as photo_service

    stamped = []
    real = photo_service.stamp_lines
    monkeypatch.setattr(photo_service, "stamp_lines", lambda *a: stamped.append(a[-1]) or real(*a))
    city.unit_a.display_name = city.street_a.name  # the account named exactly as its unit
    ticket = make_ticket()
    services.rectify(city.unit_a, ticket, at("2026-11-25T12:00"), "已清理", [processed()])
    assert stamped[-1] == "甲街道办事处 整改"
    for display_name, who in (("甲街道", "甲街道办事处"), ("甲街道办事处王五", "甲街道办事处王五"),
                              ("王五", "甲街道办事处 王五"), ("", "甲街道办事处 unit_a")):
        city.unit_a.display_name = display_name
        assert services.who_rectified(city.unit_a) == who, display_name
    assert services.who_rectified(city.inspector) == "inspector"
