"""门前四包 over a territory: a district (a unit with street offices under it) reads its streets' registers, shops,
notices and repeat offenders and exports them, read only (the streets keep them); another district's never (404);
a unit with no street under it sees what it saw before."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select
from test_frontages import file_against, register  # noqa: F401 (the fixture)

from inspect_app.auth.services import create_user
from inspect_app.extensions import db
from inspect_app.frontages.models import Frontage, FrontageNotice
from inspect_app.units.models import Unit


@pytest.fixture
def districts(city, now):
    """甲区 over street A (and its 社区), 乙区 over street B, each with its clerk."""
    district_a = Unit(code="QXA", name="甲区人民政府", kind="区县")
    district_b = Unit(code="QXB", name="乙区人民政府", kind="区县")
    db.session.add_all([district_a, district_b])
    db.session.flush()
    city.street_a.parent_id, city.street_b.parent_id = district_a.id, district_b.id
    community = Unit(code="SQA", name="甲社区居委会", kind="社区", parent_id=city.street_a.id)
    db.session.add(community)
    db.session.flush()
    clerks = (create_user("qxa", "unit", PASSWORD, now, unit=district_a),
              create_user("qxb", "unit", PASSWORD, now, unit=district_b),
              create_user("sqa", "unit", PASSWORD, now, unit=community))
    db.session.commit()
    return clerks


def _state() -> tuple:
    return (db.session.scalar(select(func.count()).select_from(FrontageNotice)),
            sorted(db.session.execute(select(Frontage.id, Frontage.name, Frontage.active, Frontage.street_unit_id))
                   .all()))


def test_a_district_reads_its_streets_registers_read_only(api, browser, city, register, districts, now,  # noqa: F811
                                                          clock):
    noodles, bank, tea = register
    clerk_a, clerk_b, _ = districts
    clock.stop(now)
    tickets = [file_against(city, noodles, now - timedelta(days=d)) for d in (5, 3, 1)]
    for d in (4, 2, 1):
        file_against(city, tea, now - timedelta(days=d))
    street = browser(city.unit_b)  # street B gives the noodle shop a notice
    assert street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices",
                         {"due_on": "2026-11-28"}).status_code == 303
    notice = db.session.scalar(select(FrontageNotice))

    web = browser(clerk_b)
    page = web.get("/frontages/").get_data(as_text=True)
    assert "老杨家米粉店" in page and "临江银行建设路支行" in page and "人民路茶叶店" not in page
    assert "由所在街道办事处登记和管理" not in page and "登记商户" not in page
    assert f'<option value="{city.street_b.id}"' in page and f'<option value="{city.street_a.id}"' not in page
    assert 'name="street_unit_id"' in page  # 所属街道 over its streets
    narrowed = web.get(f"/frontages/?street_unit_id={city.street_b.id}").get_data(as_text=True)
    assert "老杨家米粉店" in narrowed
    assert web.get(f"/frontages/?street_unit_id={city.street_a.id}").status_code == 404
    listed = api.get("/api/v1/frontages", clerk_b).get_json()
    assert sorted(f["name"] for f in listed["items"]) == ["临江银行建设路支行", "老杨家米粉店"]
    assert api.get(f"/api/v1/frontages?street_unit_id={city.street_a.id}", clerk_b).status_code == 404
    sheet = web.get("/frontages/export.csv")
    assert sheet.status_code == 200
    text = sheet.data.decode("gb18030")
    assert "老杨家米粉店" in text and "人民路茶叶店" not in text
    assert api.get("/api/v1/frontages/export.xlsx", clerk_b).status_code == 200

    # a shop's page: its problems, its street's count and notice; no form to act on it
    detail = web.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert all(t.number in detail for t in tickets) and notice.number in detail
    assert 'name="due_on"' not in detail and f"/frontages/{noodles.id}/edit" not in detail
    assert "/delivered" not in detail and "仅可查看（辖区督导）：该商户由乙街道办事处登记和管理" in detail
    body = api.get(f"/api/v1/frontages/{noodles.id}", clerk_b).get_json()
    assert body["recent_problems"] == 3 and body["former"] is None
    assert [n["id"] for n in body["notices"]] == [notice.id] and len(body["tickets"]) == 3
    assert web.get(f"/frontages/notices/{notice.id}.pdf").status_code == 200
    offenders = api.get("/api/v1/frontages/offenders", clerk_b).get_json()["items"]
    assert [o["frontage"]["name"] for o in offenders] == ["老杨家米粉店"]
    assert "老杨家米粉店" in web.get("/frontages/offenders").get_data(as_text=True)

    # read only: nothing it posts is written
    before = _state()
    for action, fields in ((f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-28"}),
                           (f"/frontages/notices/{notice.id}/delivered", {"delivered_on": "2026-11-25",
                                                                         "signed_by": "杨师傅"}),
                           (f"/frontages/{noodles.id}/retire", {}),
                           (f"/frontages/{noodles.id}/edit", {"code": "JB-001", "name": "改名", "kind": "商户",
                                                              "address": "建设路18号",
                                                              "street_unit_id": str(city.street_b.id)}),
                           ("/frontages/new", {"code": "JB-009", "name": "新店", "kind": "商户",
                                               "address": "建设路1号", "street_unit_id": str(city.street_b.id)})):
        answer = web.submit(f"/frontages/{noodles.id}", action, fields)
        assert answer.status_code in (403, 404), action
    for action, fields in ((f"/api/v1/frontages/{noodles.id}/notices", {"due_on": "2026-11-28"}),
                           (f"/api/v1/frontages/notices/{notice.id}/delivered", {"delivered_on": "2026-11-25",
                                                                                "signed_by": "杨师傅"})):
        assert api.post(action, clerk_b, json=fields).status_code in (403, 404), action
    assert web.get(f"/frontages/{noodles.id}/agreement.pdf").status_code in (403, 404)
    assert _state() == before

    # another district's: never
    assert web.get(f"/frontages/{tea.id}").status_code == 404
    assert api.get(f"/api/v1/frontages/{tea.id}", clerk_b).status_code == 404
    assert browser(clerk_a).get(f"/frontages/notices/{notice.id}.pdf").status_code == 404
    assert api.get(f"/api/v1/frontages/{noodles.id}", clerk_a).status_code == 404
    assert [o["frontage"]["name"] for o in api.get("/api/v1/frontages/offenders", clerk_a).get_json()["items"]] \
        == ["人民路茶叶店"]
    assert "老杨家米粉店" not in browser(clerk_a).get("/frontages/export.csv").data.decode("gb18030")


def test_a_unit_with_no_street_under_it_sees_what_it_saw_before(api, browser, city, register,  # noqa: F811
                                                                districts):
    noodles, bank, tea = register
    _, _, community_clerk = districts
    # a bureau with a unit under it that is no street, and a 社区 with nobody under it: no register
    db.session.add(Unit(code="JJ1", name="交警一大队", kind="市直单位", parent_id=city.police.id))
    db.session.commit()
    for user in (city.unit_police, community_clerk):
        page = browser(user).get("/frontages/").get_data(as_text=True)
        assert "门前四包责任商户由所在街道办事处登记和管理，本单位没有登记的商户。" in page, user.username
        assert "老杨家米粉店" not in page and 'name="street_unit_id"' not in page
        refused = api.get("/api/v1/frontages/export.csv", user)
        assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "no_register"
        assert api.get(f"/api/v1/frontages/{noodles.id}", user).status_code == 404
        assert api.get("/api/v1/frontages", user).get_json()["total"] == 0
    # street A (it has a 社区 under it) keeps its own register as before
    assert [f["name"] for f in api.get("/api/v1/frontages", city.unit_a).get_json()["items"]] == ["人民路茶叶店"]
    own = browser(city.unit_a).get(f"/frontages/{tea.id}").get_data(as_text=True)
    assert "/edit" in own and "仅可查看" not in own
