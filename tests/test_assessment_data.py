"""Sites and the checklist as office data: API, pages, spreadsheet import (preview, errors, versions), export,
the phone page's plain form, and the migration on a database with data."""
from __future__ import annotations

import io

import pytest
from assessment_world import ITEMS, World, round_body
from conftest import multipart, saved_meanwhile

from inspect_app.assessment.models import ChecklistVersion, Result, RoundSite
from inspect_app.extensions import db
from inspect_app.sites.models import Site
from inspect_app.tickets.models import Ticket


@pytest.fixture
def world(city, now):
    return World(city, now)


def upload(api, user, url, text: str, dry_run=False, name="data.csv"):
    data = {"file": (io.BytesIO(text.encode("utf-8")), name)}
    if dry_run:
        data["dry_run"] = "1"
    return api.post(url, user, data=data, content_type="multipart/form-data")


# ----------------------------------------------------------------------------- sites API

def test_sites_api_lists_filters_and_scopes(api, city, world):
    everything = api.get("/api/v1/sites", city.admin).get_json()
    assert len(everything) == 20
    first = everything[0]
    assert set(first) >= {"id", "code", "name", "kind", "district", "lat", "lon", "units"}
    assert set(first["units"]) == {"territorial", "sector", "operator"}
    markets = api.get("/api/v1/sites?kind=农贸市场&district=江城区", city.inspector).get_json()
    assert [s["code"] for s in markets] == ["JC-NM-1", "JC-NM-2", "JC-NM-3"]
    assert markets[0]["units"] == {"territorial": city.street_a.id, "sector": world.market_office.id,
                                   "operator": world.market_operator.id}
    near = api.get("/api/v1/sites?lat=28.2399&lon=112.935", city.inspector).get_json()
    assert near[0]["district"] == "临江区" and near[0]["distance_m"] < 5
    # a unit sees the sites it answers for
    assert {s["district"] for s in api.get("/api/v1/sites", city.unit_a).get_json()} == {"江城区"}
    assert len(api.get("/api/v1/sites", world.unit_market).get_json()) == 6
    other = world.site("LJ-BJ-1")
    assert api.get(f"/api/v1/sites/{other.id}", city.unit_a).status_code == 404
    assert api.get("/api/v1/sites?lat=91&lon=1", city.admin).status_code == 400
    # a type that does not exist is refused, naming it, as /checklist?site_kind= is (it answered an empty list)
    for url in ("/api/v1/sites?kind=nope", "/api/v1/checklist?site_kind=nope"):
        refused = api.get(url, city.admin)
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_site_kind", url
        assert "“nope”不存在" in refused.get_json()["error"]["message"]


def test_sites_api_creates_and_changes_a_site(api, city, world):
    body = {"code": "JC-NM-9", "name": "新河农贸市场", "kind": "农贸市场", "district": "江城区",
            "area": "112.93,28.23;112.931,28.23;112.931,28.231", "coord_system": "GCJ02",
            "units": {"territorial": city.street_a.code, "sector": world.market_office.id, "operator": None}}
    created = api.post("/api/v1/sites", city.admin, json=body)
    assert created.status_code == 201, created.get_json()
    site = created.get_json()
    assert len(site["area"]) == 3 and abs(site["lon"] - 112.93) < 0.01  # GCJ-02 moved to WGS-84
    assert site["units"] == {"territorial": city.street_a.id, "sector": world.market_office.id, "operator": None}
    changed = api.call("PATCH", f"/api/v1/sites/{site['id']}", city.admin,
                       json={"name": "新河农贸市场（改造后）", "units": {"operator": world.market_operator.id}})
    assert changed.status_code == 200
    assert changed.get_json()["name"] == "新河农贸市场（改造后）"
    assert changed.get_json()["units"]["operator"] == world.market_operator.id
    assert changed.get_json()["units"]["sector"] == world.market_office.id  # untouched
    from inspect_app.audit.models import AuditEntry  # the 操作日志 names the change, from what to what
    entry = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor, entry.action, entry.target) == ("admin", "update", "点位 新河农贸市场（改造后）")
    assert entry.detail == (f"名称：新河农贸市场 → 新河农贸市场（改造后）；管理主体：无 → {world.market_operator.name}")
    for bad, code in (({**body, "code": "JC-NM-1"}, "duplicate_code"), ({**body, "code": "X1", "kind": "景区"}, "invalid_kind"),
                      ({**body, "code": "X2", "units": {}}, "unit_required"),
                      ({**body, "code": "X3", "area": "", "point": "28.23,112.93"}, "invalid_coordinates"),
                      ({**body, "code": "X4", "area": "112.93,28.23;112.94,28.23"}, "invalid_coordinates")):
        response = api.post("/api/v1/sites", city.admin, json=bad)
        assert response.status_code == 422 and response.get_json()["error"]["code"] == code, (bad, response.get_json())
    assert api.post("/api/v1/sites", city.inspector, json=body).status_code == 403


@pytest.mark.parametrize("by", ["page", "api"])
def test_a_site_sent_twice_at_once_refuses_the_second_as_if_sent_after(app, api, browser, city, world, now,
                                                                       monkeypatch, by):
    """保存 on /sites/new clicked twice, or POST /api/v1/sites sent twice (QA: one site and a 500, the database
    refusing the second INSERT): the second, whose check found the code free just before the first one's row was
    committed, is refused as one sent a moment later is (422 duplicate_code; the page with the form as typed)."""
    from inspect_app.sites import services

    form = {"code": "BFS03", "name": "并发点位", "kind": str(world.kinds["农贸市场"].id), "district": "江城区",
            "territorial_unit": str(city.street_a.id), "point": "112.93,28.23", "coord_system": "WGS84"}
    saved_meanwhile(monkeypatch, app, services, "_refuse_code_taken", lambda: services.save_site(form, now))
    if by == "page":
        response = browser(city.admin).submit("/sites/new", "/sites/new", form)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "点位编码“BFS03”已被“并发点位”使用。" in html and 'value="BFS03"' in html
    else:
        response = api.post("/api/v1/sites", city.admin, json=form)
        assert response.status_code == 422 and response.get_json()["error"] == {
            "code": "duplicate_code", "message": "点位编码“BFS03”已被“并发点位”使用。"}
    assert db.session.scalar(db.select(db.func.count()).select_from(Site).where(Site.code == "BFS03")) == 1


def test_a_site_kind_sent_twice_at_once_refuses_the_second_as_if_sent_after(app, api, city, world, monkeypatch):
    from inspect_app.sites import services
    from inspect_app.sites.models import SiteKind

    saved_meanwhile(monkeypatch, app, services, "_refuse_kind_taken", lambda: services.save_kind("景区景点"))
    response = api.post("/api/v1/site-kinds", city.admin, json={"name": "景区景点"})
    assert response.status_code == 422 and response.get_json()["error"] == {
        "code": "duplicate_kind", "message": "点位类型“景区景点”已存在。"}
    assert db.session.scalar(db.select(db.func.count()).select_from(SiteKind).where(SiteKind.name == "景区景点")) == 1


def test_site_kinds_are_the_offices_list(api, city, world):
    created = api.post("/api/v1/site-kinds", city.admin, json={"name": "景区景点"})
    assert created.status_code == 201 and created.get_json()["active"] is True
    kind_id = created.get_json()["id"]
    assert api.post("/api/v1/site-kinds", city.admin, json={"name": "景区景点"}).status_code == 422
    assert api.post("/api/v1/site-kinds", city.admin, json={"name": ""}).status_code == 422
    assert api.post("/api/v1/site-kinds", city.inspector, json={"name": "x"}).status_code == 403
    renamed = api.call("PATCH", f"/api/v1/site-kinds/{kind_id}", city.admin, json={"name": "景区", "active": False})
    assert renamed.get_json() == {"id": kind_id, "name": "景区", "sort_order": renamed.get_json()["sort_order"],
                                  "active": False}
    # a retired type is neither drawn nor accepted for new sites
    response = api.post("/api/v1/rounds", city.admin, json=round_body(per_kind={"景区": 1}, inspectors=(city.inspector,)))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_site_kind"
    names = [k["name"] for k in api.get("/api/v1/site-kinds", city.unit_a).get_json()]
    assert "景区" in names and "农贸市场" in names


# ----------------------------------------------------------------------------- site import

HEADER = "点位编码,点位名称,类型,区县,街道,地址,坐标,区域范围,坐标系,属地单位编码,行业主管单位编码,管理主体单位编码,点位说明,状态\n"


def test_site_import_previews_then_writes_all_or_nothing(api, city, world):
    good = HEADER + ("NM-NEW,月湖农贸市场,农贸市场,江城区,解放街道,,\"112.93,28.23\",,WGS84,JDA,SJ,SC,入口在北门,\n"
                     "JC-NM-1,江城区农贸市场1号（更名）,农贸市场,江城区,,,\"112.935,28.2301\",,,JDA,SJ,SC,,\n")
    preview = upload(api, city.admin, "/api/v1/admin/import/sites", good, dry_run=True)
    assert preview.status_code == 200, preview.get_json()
    assert [r["action"] for r in preview.get_json()["rows"]] == ["add", "change"]
    assert db.session.scalar(db.select(Site).where(Site.code == "NM-NEW")) is None
    bad = good + "BAD-1,坏点位,景区景点,江城区,,,,,,,NOPE,,,,\n"
    refused = upload(api, city.admin, "/api/v1/admin/import/sites", bad)
    assert refused.status_code == 422
    message = refused.get_json()["rows"][2]["message"]
    assert "景区景点" in message and "NOPE" in message and "坐标" in message
    assert db.session.scalar(db.select(Site).where(Site.code == "NM-NEW")) is None  # nothing written
    done = upload(api, city.admin, "/api/v1/admin/import/sites", good)
    assert done.status_code == 200 and done.get_json()["added"] == 1 and done.get_json()["changed"] == 1
    site = db.session.scalar(db.select(Site).where(Site.code == "NM-NEW"))
    assert site.operator_unit_id == world.market_operator.id and site.description == "入口在北门"
    # the export reads back as "unchanged"
    exported = api.get("/api/v1/admin/export/sites.csv?encoding=utf-8", city.admin)
    again = upload(api, city.admin, "/api/v1/admin/import/sites", exported.data.decode("utf-8-sig"), dry_run=True)
    assert again.status_code == 200 and again.get_json()["changed"] == 0 and again.get_json()["added"] == 0
    template = api.get("/api/v1/admin/import/sites/template.xlsx", city.admin)
    assert template.status_code == 200 and template.data[:2] == b"PK"


def test_site_import_through_the_pages(browser, city, world):
    admin = browser(city.admin)
    body, content_type = multipart({"csrf_token": admin.token("/sites/import"),
                                    "file": (io.BytesIO((HEADER + "NM-P,页面导入市场,农贸市场,临江区,,,\"112.93,28.24\",,,JDB,,,,\n")
                                                        .encode("gbk")), "sites.csv")})
    preview = admin.post("/sites/import", data=body, content_type=content_type)
    assert preview.status_code == 200 and "确认导入" in preview.get_data(as_text=True)
    token = preview.get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    confirmed = admin.submit("/sites/import", "/sites/import/confirm", {"token": token})
    assert confirmed.status_code == 302
    assert db.session.scalar(db.select(Site).where(Site.code == "NM-P")).district == "临江区"
    assert "页面导入市场" in admin.get("/sites/?q=页面").get_data(as_text=True)


def test_a_site_or_checklist_preview_writes_nothing_however_dry_run_is_spelt(api, city, world):
    """dry_run=True (or TRUE, on, y) was none of "1", "true", "yes": the preview wrote the sites, and a new
    checklist version."""
    versions = db.session.scalar(db.select(db.func.count(ChecklistVersion.id)))
    site = HEADER + "NM-NEW,月湖农贸市场,农贸市场,江城区,,,\"112.93,28.23\",,,JDA,,,,\n"
    items = CHECKLIST_HEADER + "BJ-09,背街小巷,无积水,1,属地,24小时,\n"
    for url, text in (("/api/v1/admin/import/sites", site), ("/api/v1/admin/import/checklist", items)):
        for spelling in ("True", "TRUE", "on", "y"):
            form = {"file": (io.BytesIO(text.encode("utf-8")), "data.csv"), "dry_run": spelling}
            response = api.post(url, city.admin, data=form, content_type="multipart/form-data")
            assert response.status_code == 200 and response.get_json()["dry_run"] is True, (url, spelling)
        form = {"file": (io.BytesIO(text.encode("utf-8")), "data.csv"), "dry_run": "preview"}
        response = api.post(url, city.admin, data=form, content_type="multipart/form-data")
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_dry_run"
    assert db.session.scalar(db.select(Site).where(Site.code == "NM-NEW")) is None
    assert db.session.scalar(db.select(db.func.count(ChecklistVersion.id))) == versions


def test_a_site_file_with_a_misspelt_column_is_refused_naming_it(api, city, world):
    """点位说朋 (点位说明 misspelt) was read past and the site saved without its description."""
    text = (HEADER.replace("点位说明", "点位说朋")
            + "NM-NEW,月湖农贸市场,农贸市场,江城区,,,\"112.93,28.23\",,,JDA,,,入口在北门,\n")
    response = upload(api, city.admin, "/api/v1/admin/import/sites", text, dry_run=True)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_columns"
    assert "“点位说朋”（应为“点位说明”？）" in response.get_json()["error"]["message"]
    text = CHECKLIST_HEADER.replace("扣分", "扣分值") + "BJ-09,背街小巷,无积水,1,属地,24小时,\n"
    response = upload(api, city.admin, "/api/v1/admin/import/checklist", text, dry_run=True)
    assert response.status_code == 422 and "缺少“扣分”列" in response.get_json()["error"]["message"]
    text = CHECKLIST_HEADER.replace("问题类别编码", "问题类别编吗") + "BJ-09,背街小巷,无积水,1,属地,24小时,niupixuan\n"
    response = upload(api, city.admin, "/api/v1/admin/import/checklist", text, dry_run=True)
    assert response.status_code == 422 and "“问题类别编吗”" in response.get_json()["error"]["message"]


def test_a_site_far_outside_the_city_is_refused(api, browser, city, world):
    """-74.0,40.7 (New York) was saved as a site of this city, by the import and on /sites/new: refused as a typo, as
    a segment is (farther than SEGMENT_CITY_MARGIN_KM from the city's segments), the row and the point named."""
    text = HEADER + ("NM-NEW,月湖农贸市场,农贸市场,江城区,,,\"112.93,28.23\",,,JDA,,,,\n"
                     "NY-1,纽约点位,农贸市场,江城区,,,\"-74.0,40.7\",,,JDA,,,,\n"
                     "FAR-2,远方区域,农贸市场,江城区,,,,\"112.93,28.23;113.93,28.23;113.93,28.24\",,JDA,,,,\n")
    body = upload(api, city.admin, "/api/v1/admin/import/sites", text).get_json()
    assert [r["action"] for r in body["rows"]] == ["add", "error", "error"] and not body["written"]
    assert body["rows"][1]["row"] == 3 and "该点（-74.00000,40.70000）距本市已有路段约" in body["rows"][1]["message"]
    assert "第2个点（113.93000,28.23000）" in body["rows"][2]["message"]
    form = {"code": "NY-2", "name": "纽约点位", "kind": str(world.kinds["农贸市场"].id), "district": "江城区",
            "territorial_unit": str(city.street_a.id), "point": "-74.0,40.7", "coord_system": "WGS84"}
    refused = browser(city.admin).submit("/sites/new", "/sites/new", form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "距本市已有路段约" in html and 'value="-74.0,40.7"' in html
    response = api.post("/api/v1/sites", city.admin, json={"code": "NY-3", "name": "纽约", "kind": "农贸市场",
                                                           "district": "江城区", "lat": 40.7, "lon": -74.0,
                                                           "units": {"territorial": city.street_a.id}})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_coordinates"
    assert db.session.scalar(db.select(db.func.count()).select_from(Site).where(Site.code.like("NY-%"))) == 0


def test_a_site_file_on_a_city_without_segments_checks_its_rows_against_each_other(api, city, world):
    """With no segment yet there was no box, and a site typed 113.93 for 112.93 was imported: the rows are now held
    to the box of the file's other rows."""
    for segment in (city.seg_a, city.seg_b):
        segment.active = False
    db.session.commit()
    text = HEADER + ("NM-A,甲市场,农贸市场,江城区,,,\"112.93,28.23\",,,JDA,,,,\n"
                     "NM-B,乙市场,农贸市场,江城区,,,\"112.95,28.24\",,,JDA,,,,\n"
                     "NM-C,丙市场,农贸市场,江城区,,,\"113.94,28.23\",,,JDA,,,,\n"
                     "NM-D,丁广场,农贸市场,江城区,,,,\"112.93,28.22;112.94,28.22;112.94,28.21\",,JDA,,,,\n")
    body = upload(api, city.admin, "/api/v1/admin/import/sites", text).get_json()
    assert [r["action"] for r in body["rows"]] == ["add", "add", "error", "add"] and not body["written"]
    assert "该点（113.94000,28.23000）距本市已有路段约" in body["rows"][2]["message"]


def test_a_site_district_written_another_way_is_refused_and_a_new_one_named(api, city, world):
    """"临江" for 临江区 made a phantom district in /sites/'s filter and 组织测评's list: refused, naming the known
    one; a district the city never had is named in the preview, on an added site and on a changed one."""
    text = HEADER + ("NM-A,甲市场,农贸市场,临江,,,\"112.93,28.23\",,,JDA,,,,\n"
                     "NM-B,乙市场,农贸市场,河西区,,,\"112.93,28.23\",,,JDA,,,,\n"
                     "JC-NM-1,江城区农贸市场1号,农贸市场,河西区,,,\"112.935,28.2301\",,,JDA,SJ,SC,,\n"
                     "NM-C,丙市场,农贸市场,临江区,,,\"112.93,28.23\",,,JDA,,,,\n")
    rows = upload(api, city.admin, "/api/v1/admin/import/sites", text, dry_run=True).get_json()["rows"]
    assert [r["action"] for r in rows] == ["error", "add", "change", "add"]
    assert rows[0]["message"] == "区县“临江”与已有的区县“临江区”写法不同，请改为“临江区”"
    assert rows[1]["message"].startswith("新增区县“河西区”（此前没有用过的区县名称，请确认无误）；新增农贸市场点位")
    assert rows[2]["message"].startswith("新增区县“河西区”") and "区县：江城区 → 河西区" in rows[2]["message"]
    assert "区县" not in rows[3]["message"]


def test_site_codes_match_whatever_their_case(api, browser, city, world):
    """jc-nm-1 is the site JC-NM-1: a re-import with the code typed in lower case changed it instead of adding it a
    second time, /sites/new refuses it, and QA-S1 and qa-s1 in one file are one code twice."""
    rows = HEADER + ("jc-nm-1,江城区农贸市场1号（更名）,农贸市场,江城区,,,\"112.935,28.2301\",,,JDA,SJ,SC,,\n"
                     "QA-S1,甲点位,背街小巷,江城区,,,\"112.935,28.2301\",,,jda,,,,\n"
                     "qa-s1,乙点位,背街小巷,江城区,,,\"112.935,28.2301\",,,JDA,,,,\n")
    body = upload(api, city.admin, "/api/v1/admin/import/sites", rows, dry_run=True).get_json()
    assert [r["action"] for r in body["rows"]] == ["change", "add", "error"], body["rows"]
    assert "名称" in body["rows"][0]["message"] and "与第3行重复" in body["rows"][2]["message"]
    rows = HEADER + "jc-nm-1,江城区农贸市场1号（更名）,农贸市场,江城区,,,\"112.935,28.2301\",,,JDA,SJ,SC,,\n"
    assert upload(api, city.admin, "/api/v1/admin/import/sites", rows).get_json()["changed"] == 1
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Site).where(
        db.func.upper(Site.code) == "JC-NM-1")) == 1
    assert world.site("JC-NM-1").name == "江城区农贸市场1号（更名）"
    form = {"code": "jc-nm-1", "name": "重复点位", "kind": str(world.kinds["农贸市场"].id), "district": "江城区",
            "territorial_unit": str(city.street_a.id), "point": "112.935,28.2301", "coord_system": "WGS84"}
    refused = browser(city.admin).submit("/sites/new", "/sites/new", form)
    assert refused.status_code == 422 and "（JC-NM-1，仅大小写不同）" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(Site).where(Site.code == "jc-nm-1")) is None


# ----------------------------------------------------------------------------- checklist

CHECKLIST_HEADER = "项目编码,点位类型,测评内容,扣分,责任主体,整改时限,问题类别编码\n"


def test_checklist_api_gives_the_version_in_force(api, city, world):
    items = api.get("/api/v1/checklist?site_kind=农贸市场", city.inspector).get_json()
    assert [i["code"] for i in items] == ["NM-01", "NM-02", "NM-03"]
    assert items[1] == {"code": "NM-02", "site_kind": "农贸市场", "text": "无活禽散养", "points": 3.0,
                        "answerable_by": "sector", "answerable_label": "行业主管", "deadline": {"hours": 24},
                        "category": None, "version": 1}
    assert len(api.get("/api/v1/checklist", city.unit_a).get_json()) == 7
    assert api.get("/api/v1/checklist?site_kind=景区", city.admin).status_code == 400


def test_a_new_checklist_version_leaves_existing_rounds_alone(api, city, world):
    round_id = api.post("/api/v1/rounds", city.admin, json=round_body(per_kind={"背街小巷": 1},
                                                                       inspectors=(city.inspector,))).get_json()["id"]
    text = CHECKLIST_HEADER + ("BJ-01,背街小巷,无乱堆乱放、乱搭乱建,2.5,属地,24小时,niupixuan\n"
                               "BJ-03,背街小巷,无蜘蛛网式线缆,1,行业主管,10个工作日,\n")
    preview = upload(api, city.admin, "/api/v1/admin/import/checklist", text, dry_run=True)
    assert [r["action"] for r in preview.get_json()["rows"]] == ["change", "add"]
    assert "不再包含" in preview.get_json()["rows"][-1]["message"]
    done = upload(api, city.admin, "/api/v1/admin/import/checklist", text)
    assert done.status_code == 200 and done.get_json()["version"] == 2
    assert [i["code"] for i in api.get("/api/v1/checklist", city.admin).get_json()] == ["BJ-01", "BJ-03"]
    # the round drawn before keeps version 1: its lane still has BJ-01 (2 points) and BJ-02
    shown = api.get(f"/api/v1/rounds/{round_id}", city.admin).get_json()
    assert shown["checklist_version"] == 1
    site_id = shown["sites"][0]["site_id"]
    from assessment_world import results_form
    response = api.post(f"/api/v1/rounds/{round_id}/sites/{site_id}/results", city.inspector,
                        data=results_form({"BJ-01": False, "BJ-02": True}, {"BJ-01": 1}),
                        content_type="multipart/form-data")
    assert response.status_code == 201 and response.get_json()["score"] == 98.0
    # bad rows: nothing written
    bad = CHECKLIST_HEADER + "X-1,背街小巷,内容,abc,谁,明天,nope\nX-1,景区,,1,属地,24小时,\n"
    refused = upload(api, city.admin, "/api/v1/admin/import/checklist", bad)
    assert refused.status_code == 422 and refused.get_json()["errors"] == 2
    assert db.session.scalar(db.select(db.func.count(ChecklistVersion.id))) == 2
    same = upload(api, city.admin, "/api/v1/admin/import/checklist", text)
    assert same.status_code == 200 and same.get_json()["version"] is None  # no change, no new version


def test_checklist_item_codes_match_whatever_their_case(api, city, world):
    """bj-01 is the item BJ-01 (a change, keeping its code for the rounds), BJ-05 and bj-05 in one file are one code
    twice, and a 问题类别编码 typed NIUPIXUAN is the category niupixuan."""
    from inspect_app.sites.models import ROLE_LABELS
    keep = "".join(f"{code},{kind},{text},{points:g},{ROLE_LABELS[role]},"
                   + (f"{rule['hours']}小时" if "hours" in rule else f"{rule['workdays']}个工作日") + ",\n"
                   for code, kind, text, points, role, rule in ITEMS if code != "BJ-01")  # the rest as they are
    text = CHECKLIST_HEADER + "bj-01,背街小巷,无乱堆乱放,2,属地,24小时,NIUPIXUAN\n" + keep
    preview = upload(api, city.admin, "/api/v1/admin/import/checklist", text, dry_run=True).get_json()
    assert preview["errors"] == 0 and preview["removed"] == 0, preview["rows"]
    assert preview["rows"][0]["action"] == "change" and preview["rows"][0]["message"] == "问题类别：（空） → niupixuan"
    assert all(r["action"] == "unchanged" for r in preview["rows"][1:])
    assert upload(api, city.admin, "/api/v1/admin/import/checklist", text).get_json()["version"] == 2
    assert "BJ-01" in [i["code"] for i in api.get("/api/v1/checklist", city.admin).get_json()]
    twice = CHECKLIST_HEADER + "BJ-05,背街小巷,无积水,1,属地,24小时,\nbj-05,背街小巷,无积雪,1,属地,24小时,\n"
    refused = upload(api, city.admin, "/api/v1/admin/import/checklist", twice, dry_run=True).get_json()
    assert refused["rows"][1]["action"] == "error" and "与第2行重复" in refused["rows"][1]["message"]


def test_a_checklist_row_names_its_category_by_code_or_by_name(api, city, world):
    """A category added with a blank 类别编码 is cat7, and the template asked for a code: "牛皮癣" was refused as
    问题类别编码“牛皮癣”不存在. The column takes a category's name as well; a retired one's is still refused."""
    from inspect_app.office.reference import save_category
    added = save_category({"name": "门前乱摆", "group": "街面秩序", "deadline_kind": "hours", "deadline_value": "24"})
    retired = save_category({"name": "旧类别", "group": "街面秩序", "deadline_kind": "hours", "deadline_value": "24"})
    retired.active = False
    db.session.commit()
    assert added.code.startswith("cat")
    text = CHECKLIST_HEADER + ("BJ-01,背街小巷,无乱堆乱放,2,属地,24小时,门前乱摆\n"
                               "BJ-02,背街小巷,无牛皮癣,1,属地,24小时,牛皮癣\n"
                               "BJ-03,背街小巷,无蜘蛛网,1,属地,24小时,SPIDER_WEB\n"
                               "BJ-04,背街小巷,无旧问题,1,属地,24小时,旧类别\n"
                               "BJ-05,背街小巷,无新问题,1,属地,24小时,没有的类别\n")
    rows = upload(api, city.admin, "/api/v1/admin/import/checklist", text, dry_run=True).get_json()["rows"]
    assert [r["action"] for r in rows] == ["change", "change", "add", "error", "error"]
    assert rows[0]["message"] == f"问题类别：（空） → {added.code}"
    assert rows[1]["message"].endswith("问题类别：（空） → niupixuan")
    assert rows[3]["message"] == "问题类别“旧类别”不存在或已停用（请填类别编码或类别名称）"
    assert rows[4]["message"].startswith("问题类别“没有的类别”不存在或已停用（请填类别编码或类别名称）；")
    text = CHECKLIST_HEADER + "BJ-01,背街小巷,无乱堆乱放,2,属地,24小时,门前乱摆\n"
    assert upload(api, city.admin, "/api/v1/admin/import/checklist", text).get_json()["version"] == 2
    assert api.get("/api/v1/checklist", city.admin).get_json()[0]["category"] == added.code
    from inspect_app.assessment.checklist import SPEC
    assert "类别编码或类别名称（如 牛皮癣）" in SPEC.help["问题类别编码"]


# ----------------------------------------------------------------------------- phone pages without script

def test_an_inspector_walks_a_site_with_the_plain_form(browser, api, city, world, uploads):
    from conftest import photo_bytes
    body = api.post("/api/v1/rounds", city.admin, json=round_body(per_kind={"农贸市场": 1},
                                                                  inspectors=(city.inspector,))).get_json()
    round_id, site_id = body["id"], body["sites"][0]["site_id"]
    phone = browser(city.inspector)
    tasks = phone.get("/assessment/tasks").get_data(as_text=True)
    page_url = f"/assessment/rounds/{round_id}/sites/{site_id}"
    assert page_url in tasks
    page = phone.get(page_url).get_data(as_text=True)
    assert "划行归市" in page and "geo:" in page and 'name="photos_NM-02"' in page
    assert browser(city.inspector2).get(page_url).status_code == 403
    form = {"pass_NM-01": "1", "pass_NM-02": "0", "note_NM-02": "发现活禽笼养", "pass_NM-03": "1",
            "photos_NM-02": (io.BytesIO(photo_bytes("Canon_40D.jpg")), "live.jpg"), "idempotency_key": "page-1"}
    response = phone.submit(page_url, page_url, form, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == round_id))
    assert rs.status == "submitted" and rs.score == 97.0
    ticket = db.session.scalar(db.select(Ticket))
    assert ticket.unit_id == world.market_office.id and "发现活禽笼养" in ticket.description
    done_page = phone.get(page_url).get_data(as_text=True)
    assert "已于" in done_page and "不达标" in done_page
    again = phone.submit(page_url, page_url, {**form, "photos_NM-02": (io.BytesIO(photo_bytes("Canon_40D.jpg")),
                                                                       "live.jpg")}, multipart=True)
    assert again.status_code == 303 and db.session.scalar(db.select(db.func.count(Result.id))) == 3


def test_office_pages_render(browser, api, city, world):
    round_id = api.post("/api/v1/rounds", city.admin, json=round_body(inspectors=(city.inspector,))).get_json()["id"]
    admin = browser(city.admin)
    for url, text in (("/sites/", "测评点位"), ("/sites/kinds", "点位类型"), (f"/sites/{world.sites[0].id}", "属地"),
                      ("/sites/new", "新增点位"), ("/assessment/checklist", "第 1 版"), ("/assessment/rounds", "测试轮次"),
                      ("/assessment/rounds/new", "抽取并分配"), (f"/assessment/rounds/{round_id}", "抽签编号"),
                      (f"/assessment/rounds/{round_id}/scores", "各类点位"), ("/assessment/checklist/import", "导入测评体系")):
        response = admin.get(url)
        assert response.status_code == 200 and text in response.get_data(as_text=True), url
    leader = browser(city.leader).get(f"/assessment/rounds/{round_id}").get_data(as_text=True)
    assert "印发督查通报" not in leader and "改派" not in leader


def test_round_made_on_the_page(browser, city, world):
    from inspect_app.sites.models import SiteKind
    admin = browser(city.admin)
    market = db.session.scalar(db.select(SiteKind).where(SiteKind.name == "农贸市场"))
    lane = db.session.scalar(db.select(SiteKind).where(SiteKind.name == "背街小巷"))
    markets = [s for s in world.sites if s.kind_id == market.id]
    markets[0].active = False  # retired: not in the pool
    db.session.commit()
    form = admin.get("/assessment/rounds/new").get_data(as_text=True)
    assert f'农贸市场 <small class="muted">共{len(markets) - 1}个</small>' in form  # the pool, before choosing counts
    response = admin.submit("/assessment/rounds/new", "/assessment/rounds/new",
                            {"kind": "spot_check", "name": "", f"count_{market.id}": "1", f"count_{lane.id}": "2",
                             "per_district": "1", "seed": "42", "exclude_recent": "0",
                             "inspector_ids": [str(city.inspector.id), str(city.inspector2.id)]})
    assert response.status_code == 302
    detail = admin.get(response.location).get_data(as_text=True)
    assert "随机抽查" in detail and "42" in detail and "0 / 6" in detail
    refused = admin.submit("/assessment/rounds/new", "/assessment/rounds/new", {"kind": "spot_check", "seed": "x",
                                                                                f"count_{market.id}": "1"})
    assert refused.status_code == 422 and "抽签编号应为整数" in refused.get_data(as_text=True)


# ----------------------------------------------------------------------------- migration

def test_migration_0010_keeps_tickets_and_adds_the_site_types(app, now):
    from conftest import City, processed
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from inspect_app.tickets.services import NewReport, create_ticket

    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    try:
        upgrade(revision="0004")
        db.session.remove()
        upgrade()
        city = City(now)
        ticket, _ = create_ticket(city.inspector, NewReport(category="niupixuan", photos=[processed()],
                                                            lat=City.ON_A[0], lon=City.ON_A[1]), now)
        number = ticket.number
        db.session.commit()
        db.session.remove()  # no transaction of ours may hold the tables the downgrade alters (PostgreSQL waits)
        downgrade(revision="0004")
        db.session.remove()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT number FROM tickets")).scalar() == number
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT number, site_id FROM tickets")).one() == (number, None)
            kinds = [r[0] for r in conn.execute(text("SELECT name FROM site_kinds ORDER BY sort_order"))]
        assert kinds[:3] == ["主次干道", "商业大街", "背街小巷"] and len(kinds) == 14
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()


def test_the_site_form_and_api_refuse_a_district_written_another_way(api, browser, city, world):
    """As the sites import does (and the segment form): 江城 for 江城区 is refused, naming the one to use; a new
    district is taken and named after the save."""
    form = {"code": "JC-9", "name": "江城市场", "kind": str(world.kinds["农贸市场"].id), "district": "江城",
            "territorial_unit": str(city.street_a.id), "point": "112.93,28.23", "coord_system": "WGS84"}
    office = browser(city.admin)
    refused = office.submit("/sites/new", "/sites/new", form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "区县“江城”与已有的区县“江城区”写法不同，请改为“江城区”" in html
    assert 'value="江城市场"' in html  # as typed
    response = api.post("/api/v1/sites", city.admin, json={"code": "JC-9", "name": "江城市场", "kind": "农贸市场",
                                                           "district": "江城县", "lat": 28.23, "lon": 112.93,
                                                           "units": {"territorial": city.street_a.id}})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_district"
    saved = office.submit("/sites/new", "/sites/new", {**form, "district": "高新区"})
    assert saved.status_code == 302
    assert "已新增区县“高新区”" in office.get(saved.location).get_data(as_text=True)
