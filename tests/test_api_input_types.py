"""JSON values of the wrong type (an API tester's report): a list, an object, a number or true/false where the API
takes text, a fraction or a boolean where it takes whole days, a string where it takes a boolean. Each answers 400
with a Chinese message naming the field, and nothing is stored; the pages' forms, which send strings, are not
concerned."""
from __future__ import annotations

import pytest
from assessment_world import World, round_body

from inspect_app.extensions import db
from inspect_app.sites.models import Site
from inspect_app.tickets.models import ExtensionRequest, Ticket


@pytest.fixture
def world(city, now):
    return World(city, now)


def refused(response, code: str, words: str = "") -> dict:
    assert response.status_code == 400, (response.status_code, response.get_json())
    error = response.get_json()["error"]
    assert error["code"] == code, error
    assert words in error["message"], error
    return error


SITE = {"code": "JC-NM-9", "name": "新河农贸市场", "kind": "农贸市场", "district": "江城区", "point": "112.93,28.23",
        "units": {"territorial": "JDA"}}


@pytest.mark.parametrize("system", [["GCJ02"], {"name": "GCJ02"}, 2, True])
def test_a_coordinate_system_that_is_not_text_is_400_not_500(api, city, world, system):
    refused(api.post("/api/v1/sites", city.admin, json={**SITE, "coord_system": system}), "invalid_text", "坐标系")
    site = world.sites[0]
    refused(api.call("PATCH", f"/api/v1/sites/{site.id}", city.admin,
                     json={"point": "112.93,28.23", "coord_system": system}), "invalid_text", "坐标系")
    refused(api.post("/api/v1/sites", city.admin, json={**SITE, "point": [112.93, 28.23]}), "invalid_text", "点位坐标")
    assert db.session.scalar(db.select(Site).where(Site.code == "JC-NM-9")) is None
    assert api.post("/api/v1/sites", city.admin, json={**SITE, "coord_system": "GCJ02"}).status_code == 201


def test_the_coordinate_parser_refuses_a_system_that_is_not_text():
    from inspect_app.common import coords
    for value in (["WGS84"], {"a": 1}, 84):
        with pytest.raises(coords.CoordinateError):
            coords.parse_system(value, default=coords.WGS84)


@pytest.mark.parametrize("value", [["x"], {"a": 1}, 123, True])
def test_a_site_text_field_that_is_not_text_is_400(api, city, world, value):
    refused(api.post("/api/v1/sites", city.admin, json={**SITE, "name": value}), "invalid_text", "点位名称应为文字")
    refused(api.post("/api/v1/sites", city.admin, json={**SITE, "code": value}), "invalid_text", "点位编码应为文字")
    site = world.sites[0]
    refused(api.call("PATCH", f"/api/v1/sites/{site.id}", city.admin, json={"name": value}), "invalid_text")
    assert db.session.scalar(db.select(Site).where(Site.code == "JC-NM-9")) is None
    db.session.expire_all()
    assert db.session.get(Site, site.id).name == "江城区农贸市场1号"


def test_a_holiday_name_that_is_not_text_is_400(api, city):
    for value in (["x"], {"a": 1}, 5, False):
        response = api.call("PUT", "/api/v1/admin/holidays/2027-02-10", city.admin, json={"kind": "holiday",
                                                                                            "name": value})
        refused(response, "invalid_text", "名称应为文字")
    assert api.get("/api/v1/admin/holidays?year=2027", city.admin).get_json()  # nothing of ours in it
    assert not [e for e in api.get("/api/v1/admin/holidays?year=2027", city.admin).get_json()
                if e["date"] == "2027-02-10" and e["source"] == "office"]


def test_a_round_name_that_is_not_text_is_400(api, city, world):
    body = round_body(inspectors=(city.inspector,))
    refused(api.post("/api/v1/rounds", city.admin, json={**body, "name": ["a"]}), "invalid_text", "轮次名称")
    assert api.get("/api/v1/rounds", city.admin).get_json() == []
    assert api.post("/api/v1/rounds", city.admin, json=body).status_code == 201


@pytest.mark.parametrize("value", ["no", "false", 0, 1, "yes", [True]])
def test_per_district_is_a_json_boolean(api, city, world, value):
    body = round_body(inspectors=(city.inspector,))
    body["draw"]["per_district"] = value
    refused(api.post("/api/v1/rounds", city.admin, json=body), "invalid_draw", "per_district")
    assert api.get("/api/v1/rounds", city.admin).get_json() == []


def test_per_district_false_and_true_draw_as_asked(api, city, world):
    body = round_body(per_kind={"农贸市场": 1}, inspectors=(city.inspector,))
    body["draw"]["per_district"] = False
    assert len(api.post("/api/v1/rounds", city.admin, json=body).get_json()["sites"]) == 1
    body["draw"]["per_district"] = True
    assert len(api.post("/api/v1/rounds", city.admin, json=body).get_json()["sites"]) == 2


@pytest.mark.parametrize("value", [[1], {"a": 1}, True, 7])
def test_ticket_reasons_and_notes_that_are_not_text_are_400(api, city, make_ticket, value):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.id}"
    refused(api.post(f"{url}/dispute", city.unit_a, json={"reason": value}), "invalid_text", "理由应为文字")
    refused(api.post(f"{url}/request_extension", city.unit_a, json={"workdays": 3, "reason": value}),
            "invalid_text", "延期理由应为文字")
    assert api.post(f"{url}/request_extension", city.unit_a, json={"workdays": 3, "reason": "等待材料"}).status_code \
        == 200
    refused(api.post(f"{url}/decide_extension", city.admin, json={"approved": True, "note": value}),
            "invalid_text", "审批意见应为文字")
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "assigned"
    request = db.session.scalar(db.select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id))
    assert request.status == "open" and request.reason == "等待材料"


@pytest.mark.parametrize("workdays", [1.5, 2.0, True, False, [2], {"n": 2}, "1.5"])
def test_extension_workdays_are_a_whole_number(api, city, make_ticket, workdays):
    ticket = make_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/request_extension", city.unit_a,
                        json={"workdays": workdays, "reason": "等待材料"})
    refused(response, "invalid_workdays", "整数")
    assert db.session.scalar(db.select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id)) is None


def test_an_extension_names_a_day_or_working_days_not_both(api, city, make_ticket, now):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.id}/request_extension"
    refused(api.post(url, city.unit_a, json={"until": "2099-01-01", "workdays": 2, "reason": "等待材料"}),
            "until_or_workdays", "只能填写一项")
    assert db.session.scalar(db.select(ExtensionRequest).where(ExtensionRequest.ticket_id == ticket.id)) is None
    # a page's form sends the box left empty as "": one of them is given
    assert api.post(url, city.unit_a, json={"until": "", "workdays": "2", "reason": "等待材料"}).status_code == 200


@pytest.mark.parametrize("field, value, words", [("username", 123, "用户名"), ("username", ["inspector"], "用户名"),
                                                 ("password", {"p": 1}, "密码")])
def test_a_login_name_or_password_that_is_not_text_is_400(client, city, field, value, words):
    """{"username": 123} answered 401 invalid_credentials (str() made a login attempt of it), and was counted as a
    failed login."""
    from inspect_app.auth.models import LoginThrottle
    body = {"username": "inspector", "password": "test-pass-1", field: value}
    refused(client.post("/api/v1/auth/token", json=body), "invalid_text", words)
    assert db.session.scalars(db.select(LoginThrottle)).all() == []


def test_the_pages_forms_still_send_text(browser, city, make_ticket):
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    unit = browser(city.unit_a)
    refused_page = unit.submit(page, f"/tickets/{ticket.id}/request_extension",
                               {"until": "2099-01-01", "workdays": "2", "reason": "等待材料"})
    assert "只能填写一项" in refused_page.get_data(as_text=True)
    assert unit.submit(page, f"/tickets/{ticket.id}/request_extension",
                       {"until": "", "workdays": "2", "reason": "等待材料"}).status_code in (302, 303)
