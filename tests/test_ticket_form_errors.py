"""A refused form on a ticket's page (the page again, 400 or 422) says why twice: at the top of the page, where a
phone user lands, with a link to the form, and in the form itself, open, with what was typed. Every action form of
the page has its place for the reason, the 协办 forms (增加, 移除, 协办整改反馈) included."""
from __future__ import annotations

import re
from html import unescape
from io import BytesIO

import pytest
from test_responsibility import carriers, shared_pole  # noqa: F401 (fixtures)

from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket


def summary(html: str) -> tuple[str, str] | None:
    """(the message, the link's target) of the note at the top of the page, or None."""
    found = re.search(r'<p [^>]*class="alert error" id="form-error-summary">未能提交：(.*?) <a href="#([^"]+)">转到表单</a>',
                      html, re.S)
    return (unescape(found.group(1)), found.group(2)) if found else None


def top_of(html: str) -> str:
    """The page from its heading to the first card: what a phone shows first."""
    return html.split('<header class="dhead">', 1)[1].split('<section class="card info">', 1)[0]


def inline(html: str, action: str) -> str | None:
    found = re.search(rf'<div [^>]*class="alert error" role="alert" id="{action}-error">(.*?)</div>', html, re.S)
    return unescape(found.group(1)) if found else None


def test_a_refused_reject_is_said_at_the_top_with_a_link_to_its_form(browser, city, make_ticket, now):
    from conftest import processed

    from inspect_app.tickets import services

    ticket = make_ticket()
    services.rectify(city.unit_a, db.session.get(Ticket, ticket.id), now, "已清理", [processed("Canon_40D.jpg")])
    db.session.commit()
    inspector = browser(city.inspector)
    response = inspector.submit(f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/reject", {"note": "  "})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert summary(top_of(html)) == ("请填写返工原因。", "reject-error")
    assert inline(html, "reject") == "请填写返工原因。"
    # an accepted page has none
    assert summary(inspector.get(f"/tickets/{ticket.id}").get_data(as_text=True)) is None


def test_a_refused_add_unit_opens_its_form_with_the_reason_and_what_was_typed(browser, city, make_ticket):
    ticket = make_ticket()
    admin = browser(city.admin)
    response = admin.submit(f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/add_unit",
                            {"unit_id": "", "note": "该杆线同时挂有联通光缆"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert summary(top_of(html)) == ("请选择协办单位。", "add_unit-error")
    assert inline(html, "add_unit") == "请选择协办单位。"
    assert '<details id="add_unit" open>' in html and 'value="该杆线同时挂有联通光缆"' in html
    retired = city.street_b
    retired.active = False
    db.session.commit()
    response = admin.submit(f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/add_unit",
                            {"unit_id": str(retired.id), "note": ""})
    assert response.status_code == 422
    assert inline(response.get_data(as_text=True), "add_unit") == "协办单位不存在或已停用。"
    assert not db.session.get(Ticket, ticket.id).assist_parts


def test_a_refused_remove_unit_says_why(browser, city, make_ticket):
    ticket = make_ticket()
    admin = browser(city.admin)
    response = admin.submit(f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/remove_unit",
                            {"unit_id": str(city.street_b.id)})
    assert response.status_code == 422
    message = f"{city.street_b.name}不是本问题的协办单位。"
    assert summary(top_of(response.get_data(as_text=True)))[0] == message


@pytest.mark.parametrize("photos", [[], ["not a photo"]])
def test_a_refused_part_rectification_without_script_says_why(browser, city, carriers,  # noqa: F811
                                                              shared_pole, photos):  # noqa: F811
    (mobile, _, _), (mobile_user, _, _) = carriers
    page = f"/tickets/{shared_pole.id}"
    clerk = browser(mobile_user)
    assert 'id="rectify_part"' in clerk.get(page).get_data(as_text=True)
    files = {"photos": [(BytesIO(text.encode()), "x.jpg") for text in photos]} if photos else {}
    response = clerk.submit(page, f"{page}/rectify_part", {"note": "已整理", **files})
    assert response.status_code == (400 if not photos else 415)  # no photo; a file that is no picture
    html = response.get_data(as_text=True)
    said = inline(html, "rectify_part")
    assert said and summary(top_of(html)) == (said, "rectify_part-error")
    assert re.search(r'<textarea name="note"[^>]*>已整理</textarea>', html.split('id="rectify_part"', 1)[1])  # kept
    assert db.session.get(Ticket, shared_pole.id).part_of(mobile.id).status == "open"


def test_a_decision_taken_on_a_page_left_open_is_refused_once_the_ticket_moved_on(browser, api, city, make_ticket,
                                                                                 now):
    """Every action form carries the ticket's version as drawn: an inspector's 结案 from a page opened before a
    colleague's 返工 and the unit's second rectification closed it on photos never seen, and a second officer's
    退单 decision overturned the first one's."""
    from conftest import processed

    from inspect_app.tickets import services

    ticket = make_ticket()
    services.rectify(city.unit_a, db.session.get(Ticket, ticket.id), now, "已清理", [processed("Canon_40D.jpg")])
    db.session.commit()
    page = f"/tickets/{ticket.id}"
    inspector = browser(city.inspector)
    drawn = re.search(r'name="version" value="(\d+)"', inspector.get(page).get_data(as_text=True)).group(1)
    assert int(drawn) == db.session.get(Ticket, ticket.id).version
    services.reject(city.inspector2, db.session.get(Ticket, ticket.id), now, "仍有残留")
    services.rectify(city.unit_a, db.session.get(Ticket, ticket.id), now, "再次清理", [processed("Canon_40D.jpg")])
    db.session.commit()
    stale = inspector.submit(page, f"{page}/approve", {"version": drawn, "note": ""})
    assert stale.status_code == 303  # back to the page, which now shows what happened, and says why
    shown = inspector.get(stale.location).get_data(as_text=True)
    assert f"{ticket.number}在您打开页面后已有新的处理（现为“待核查”），请查看最新情况后再操作。" in shown
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "rectified"
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.inspector).get_json()["version"] > int(drawn)
    api_stale = api.post(f"/api/v1/tickets/{ticket.id}/approve", city.inspector, json={"version": int(drawn)})
    assert api_stale.status_code == 409 and api_stale.get_json()["error"]["code"] == "ticket_changed"
    current = re.search(r'name="version" value="(\d+)"', inspector.get(page).get_data(as_text=True)).group(1)
    assert inspector.submit(page, f"{page}/approve", {"version": current, "note": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "closed"


def test_a_units_rectification_is_taken_from_a_page_drawn_before_a_change_that_does_not_bear_on_it(
        browser, city, make_ticket, now):
    """The lead's 整改反馈 is a report, not a decision on what a page showed: what may change while the clerk takes
    the after-photos (the office grants the 延期 asked for, an inspector links the 点位) leaves it as good, and what
    would not (reassigned, 作废, already reported) the lifecycle's own check refuses. Refused for the version, the
    photos chosen on the phone were lost and had to be taken again."""
    from conftest import file_tuple

    from inspect_app.tickets import services

    ticket = make_ticket()
    services.request_extension(city.unit_a, db.session.get(Ticket, ticket.id), now, workdays="3", reason="需协调")
    db.session.commit()
    page = f"/tickets/{ticket.id}"
    clerk = browser(city.unit_a)
    form = clerk.get(page).get_data(as_text=True).split('id="rectify"', 1)[1].split("</form>", 1)[0]
    drawn = re.search(r'name="version" value="(\d+)"', form)
    services.decide_extension(city.admin, db.session.get(Ticket, ticket.id), now, True, "同意")
    db.session.commit()
    data = {"note": "已清理", "photos": [file_tuple()], **({"version": drawn.group(1)} if drawn else {})}
    response = clerk.submit(page, f"{page}/rectify", data, multipart=True)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "rectified"
