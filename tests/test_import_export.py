"""Excel/CSV import and export: round trips, every validation error, encodings, bad files, the API."""
from __future__ import annotations

import io

import pytest
from conftest import City, at, multipart, sign_in
from office_helpers import csv_bytes, demo_city_names, read_csv, read_xlsx, xlsx_bytes

from inspect_app.auth.models import User
from inspect_app.common.coords import GCJ02, from_wgs84
from inspect_app.extensions import db
from inspect_app.office import reference
from inspect_app.units.models import Segment, Unit

UNIT_HEAD = ["单位编码", "单位名称", "类型", "上级单位编码", "联系人", "联系电话", "状态"]
SEG_HEAD = ["路段名称", "区县", "类型", "责任单位编码", "坐标", "坐标系", "状态"]  # files made before 包抓 still import
SEG_TEMPLATE = ["路段名称", "区县", "类型", "责任单位编码", "包抓单位编码", "坐标", "坐标系", "状态"]


def upload(api, user, kind: str, data: bytes, filename: str = "data.xlsx", dry_run: bool = False):
    form = {"file": (io.BytesIO(data), filename)}
    if dry_run:
        form["dry_run"] = "1"
    return api.post(f"/api/v1/admin/import/{kind}", user, data=form, content_type="multipart/form-data")


def snapshot_units():
    return sorted((u.code, u.name, u.kind, u.parent.code if u.parent else "", u.contact_person, u.contact_phone,
                   u.active) for u in db.session.scalars(db.select(Unit)))


def snapshot_segments():
    return sorted((s.district, s.name, s.kind, s.unit.code, tuple(map(tuple, s.coords)), s.active)
                  for s in db.session.scalars(db.select(Segment)))


# ----------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_round_trip_units_and_segments(app, client, fmt):
    """The demo city (110 units, 240 segments) exported, wiped and imported back is the same city."""
    from inspect_app.demo.seed import seed_demo
    from inspect_app.units.models import Category, category_owner_choices
    seed_demo(at("2026-11-01T09:00"), "Demo-pass-2026")
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "Demo-pass-2026"}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}

    def send(kind, data, dry_run=False):
        form = {"file": (io.BytesIO(data), f"x.{fmt}"), **({"dry_run": "1"} if dry_run else {})}
        return client.post(f"/api/v1/admin/import/{kind}", headers=auth, data=form, content_type="multipart/form-data")

    units, segments = snapshot_units(), snapshot_segments()
    assert len(units) > 100 and len(segments) > 200
    unit_file = client.get(f"/api/v1/admin/export/units.{fmt}", headers=auth).data
    segment_file = client.get(f"/api/v1/admin/export/segments.{fmt}", headers=auth).data
    for kind, data in (("units", unit_file), ("segments", segment_file)):
        body = send(kind, data, dry_run=True).get_json()
        assert (body["errors"], body["added"], body["changed"]) == (0, 0, 0), body["rows"][:3]
    db.session.execute(db.delete(Segment))
    from inspect_app.sites.models import Site
    db.session.execute(db.delete(Site))  # the demo's assessment sites name units too
    db.session.execute(db.update(User).values(unit_id=None))
    db.session.execute(db.update(Category).values(owner_unit_id=None))
    db.session.execute(category_owner_choices.delete())  # the demo's 产权 choices name units too
    db.session.execute(db.update(Unit).values(parent_id=None))
    db.session.execute(db.delete(Unit))
    db.session.commit()
    response = send("units", unit_file)
    assert response.status_code == 200 and response.get_json()["added"] == len(units)
    response = send("segments", segment_file)
    assert response.status_code == 200 and response.get_json()["added"] == len(segments)
    db.session.expire_all()
    assert snapshot_units() == units
    assert snapshot_segments() == segments


def test_round_trip_accounts_keeps_passwords(api, city):
    exported = api.get("/api/v1/admin/export/accounts.xlsx", city.admin).data
    rows = read_xlsx(exported)
    assert rows[0][:3] == ["用户名", "姓名", "角色"] and any(r[0] == "unit_a" and r[3] == "JDA" for r in rows)
    body = upload(api, city.admin, "accounts", exported).get_json()
    assert body["added"] == 0 and body["changed"] == 0 and body["errors"] == 0


# ----------------------------------------------------------------------------- units

def test_units_preview_add_change_unchanged_error(api, city):
    data = xlsx_bytes([
        UNIT_HEAD,
        ["JDA", "甲街道办事处", "街道", "", "", "", ""],                    # unchanged
        ["JDB", "乙街道办事处", "社区", "", "张三", "0731-1234567", ""],    # change
        ["QX09", "丙区人民政府", "区县", "", "", "", ""],                   # add
        ["JD0901", "丙区某街道", "街道", "QX09", "", "", ""],               # add, parent in the same file
        ["", "无编码单位", "街道", "", "", "", ""],                          # missing code
        ["BAD1", "坏类型", "居委会", "", "", "", ""],                        # bad kind
        ["QX09", "重复编码", "区县", "", "", "", ""],                        # duplicate code in file
        ["NEW2", "市交警支队", "市直单位", "", "", "", ""],                  # duplicate name (existing)
        ["NEW3", "新单位", "企业", "NOPE", "", "", ""],                      # missing parent
        ["NEW4", "电话坏", "企业", "", "", "abc#", ""],                      # bad phone
        ["NEW5", "状态坏", "企业", "", "", "", "也许"],                      # bad status
    ])
    response = upload(api, city.admin, "units", data, dry_run=True)
    assert response.status_code == 422
    body = response.get_json()
    actions = [(r["row"], r["action"]) for r in body["rows"]]
    assert actions == [(2, "unchanged"), (3, "change"), (4, "add"), (5, "add"), (6, "error"), (7, "error"),
                       (8, "error"), (9, "error"), (10, "error"), (11, "error"), (12, "error")]
    messages = {r["row"]: r["message"] for r in body["rows"]}
    assert "类型：街道 → 社区" in messages[3] and "联系人" in messages[3]
    assert "单位编码不能为空" in messages[6]
    assert "居委会" in messages[7]
    assert "与第4行重复" in messages[8]
    assert "市交警支队" in messages[9] and "重复" in messages[9]
    assert "NOPE" in messages[10] and "不存在" in messages[10]
    assert "联系电话" in messages[11]
    assert "在用" in messages[12]
    assert body["added"] == 2 and body["changed"] == 1 and body["errors"] == 7
    # not a dry run: with errors nothing is written
    before = snapshot_units()
    response = upload(api, city.admin, "units", data)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_rows"
    db.session.expire_all()
    assert snapshot_units() == before


def test_units_import_is_one_transaction_and_sets_parents(api, city):
    data = csv_bytes([UNIT_HEAD, ["JD0901", "丙区某街道", "街道", "QX09", "李", "13800138000", ""],
                      ["QX09", "丙区人民政府", "区县", "", "", "", ""], ["JJ", "市交警支队", "市直单位", "", "", "", "停用"]])
    response = upload(api, city.admin, "units", data, "units.csv")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["added"], body["changed"]) == (2, 1)
    street = db.session.scalar(db.select(Unit).where(Unit.code == "JD0901"))
    assert street.parent.code == "QX09" and street.contact_phone == "13800138000"
    assert not db.session.scalar(db.select(Unit).where(Unit.code == "JJ")).active



def test_a_new_districts_streets_may_name_it_in_any_case(api, city):
    """A new 区县 and its 街道 in one file, the streets naming it qx09 (or ＱＸ０９ typed on a Chinese input method):
    the district the file adds, as a unit already kept is found whatever the case of its code. They were refused,
    上级单位编码“qx09”不存在, beside the row adding QX09."""
    data = csv_bytes([UNIT_HEAD, ["QX09", "丙区人民政府", "区县", "", "", "", ""],
                      ["JD0901", "丙区甲街道办事处", "街道", "qx09", "", "", ""],
                      ["JD0902", "丙区乙街道办事处", "街道", "ＱＸ０９", "", "", ""]])
    response = upload(api, city.admin, "units", data, "units.csv")
    assert response.status_code == 200, response.get_json()["rows"]
    assert response.get_json()["added"] == 3
    streets = db.session.scalars(db.select(Unit).where(Unit.code.in_(["JD0901", "JD0902"]))).all()
    assert sorted((u.code, u.parent.code) for u in streets) == [("JD0901", "QX09"), ("JD0902", "QX09")]

def test_unit_parent_cycle_is_refused(api, city):
    data = xlsx_bytes([UNIT_HEAD, ["JDA", "甲街道办事处", "街道", "JDB", "", "", ""],
                       ["JDB", "乙街道办事处", "街道", "JDA", "", "", ""]])
    body = upload(api, city.admin, "units", data, dry_run=True).get_json()
    assert all(r["action"] == "error" and "循环" in r["message"] for r in body["rows"])


def test_gbk_and_utf8_csv_read_the_same(api, city):
    rows = [UNIT_HEAD, ["QX09", "丙区人民政府", "区县", "", "赵六", "", ""]]
    for encoding in ("utf-8", "utf-8-sig", "gbk"):
        body = upload(api, city.admin, "units", csv_bytes(rows, encoding), "u.csv", dry_run=True).get_json()
        assert body["added"] == 1 and body["errors"] == 0, encoding
        assert body["rows"][0]["key"] == "QX09 丙区人民政府"


def test_template_downloads(api, city):
    for kind, head in (("units", UNIT_HEAD), ("segments", SEG_TEMPLATE)):
        response = api.get(f"/api/v1/admin/import/{kind}/template.xlsx", city.admin)
        assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
        assert read_xlsx(response.data) == [head]
        response = api.get(f"/api/v1/admin/import/{kind}/template.csv", city.admin)
        assert read_csv(response.data) == [head]
        # an empty template imports as "no data rows", clearly
        response = upload(api, city.admin, kind, api.get(f"/api/v1/admin/import/{kind}/template.xlsx", city.admin).data)
        assert response.status_code == 422 and "没有数据" in response.get_json()["error"]["message"]


# ----------------------------------------------------------------------------- segments

def test_unit_codes_match_whatever_their_case(api, city, browser):
    """JDA typed jda is unit JDA, in every import and on the form: one wrong-case letter in a spreadsheet sent its
    segments to another unit (a unit jda had been accepted beside JDA) or to none."""
    form = {"code": "jda", "name": "另一个街道", "kind": "街道"}
    refused = browser(city.admin).submit("/office/units/new", "/office/units/new", form)
    assert refused.status_code == 422 and "（JDA，仅大小写不同）" in refused.get_data(as_text=True)
    rows = [SEG_HEAD, ["小写路", "江城区", "主次干道", "jda", "112.93,28.235;112.94,28.235", "WGS84", ""]]
    body = upload(api, city.admin, "segments", xlsx_bytes(rows), dry_run=True).get_json()
    assert body["rows"][0]["action"] == "add" and city.street_a.name in body["rows"][0]["message"]
    rows = [UNIT_HEAD, ["jda", "甲街道办事处", "街道", "", "王五", "", ""], ["JDA", "甲街道办事处", "街道", "", "", "", ""]]
    body = upload(api, city.admin, "units", xlsx_bytes(rows), dry_run=True).get_json()
    assert body["rows"][0]["action"] == "change"  # JDA's contact, not a second unit
    assert body["rows"][1]["action"] == "error" and "与第2行重复" in body["rows"][1]["message"]


def test_segments_preview_and_every_error(api, city):
    gcj = [from_wgs84(112.95, 28.25, GCJ02), from_wgs84(112.96, 28.25, GCJ02)]
    gcj_text = ";".join(f"{lon:.7f},{lat:.7f}" for lon, lat in gcj)
    data = xlsx_bytes([
        SEG_HEAD,
        ["人民路东段", "江城区", "主次干道", "JDA", "112.930000,28.230000;112.940000,28.230000", "WGS84", ""],  # same
        ["建设路西段", "临江区", "背街小巷", "JDB", "112.930000,28.240000;112.940000,28.240000", "WGS84", ""],  # kind
        ["五一大道", "江城区", "主次干道", "JDA", gcj_text, "GCJ02", ""],                                     # add
        ["无单位路", "江城区", "主次干道", "NOPE", "112.93,28.23;112.94,28.23", "WGS84", ""],                 # missing unit
        ["坐标坏路", "江城区", "主次干道", "JDA", "112.93;28.23", "WGS84", ""],                               # bad coords
        ["颠倒路", "江城区", "主次干道", "JDA", "28.23,112.93;28.24,112.94", "WGS84", ""],                     # swapped
        ["五一大道", "江城区", "主次干道", "JDB", "112.93,28.23", "WGS84", ""],                               # duplicate
        ["坐标系坏", "江城区", "主次干道", "JDA", "112.93,28.23", "MARS", ""],                               # system
        ["类型坏", "江城区", "高速", "JDA", "112.93,28.23", "WGS84", ""],                                     # kind
        ["纽约路", "江城区", "主次干道", "JDA", "-74.0,40.7;-74.01,40.71", "WGS84", ""],                      # far off
    ])
    body = upload(api, city.admin, "segments", data, dry_run=True).get_json()
    by_row = {r["row"]: r for r in body["rows"]}
    assert [by_row[n]["action"] for n in range(2, 12)] == ["unchanged", "change", "add"] + ["error"] * 7
    assert "NOPE" in by_row[5]["message"] and "不存在" in by_row[5]["message"]
    assert "坐标有误" in by_row[6]["message"]
    assert "顺序" in by_row[7]["message"]
    assert "与第4行重复" in by_row[8]["message"]
    assert "MARS" in by_row[9]["message"]
    assert "高速" in by_row[10]["message"]
    assert "距本市已有路段约" in by_row[11]["message"]


def test_a_new_citys_first_segment_import_checks_its_rows_against_each_other(api, city):
    """Without any segment yet, a row typed 117.414 for 116.414 (about 85 km off) was let through: the city had no
    box. Each row is now held to the box of the file's other rows, as it would be to the city's segments."""
    for segment in (city.seg_a, city.seg_b):
        segment.active = False  # a city that has no segments (retired ones are no place of it)
    db.session.commit()
    rows = [SEG_HEAD, ["长安街东段", "江城区", "主次干道", "JDA", "116.404,39.915;116.414,39.915", "WGS84", ""],
            ["长安街西段", "江城区", "主次干道", "JDA", "116.384,39.915;116.394,39.915", "WGS84", ""],
            ["王府井大街", "江城区", "商业大街", "JDB", "116.410,39.910;116.410,39.920", "WGS84", ""],
            ["东单北大街", "江城区", "主次干道", "JDB", "116.417,39.910;117.417,39.920", "WGS84", ""]]
    body = upload(api, city.admin, "segments", xlsx_bytes(rows), dry_run=True).get_json()
    assert [r["action"] for r in body["rows"]] == ["add", "add", "add", "error"]
    assert "第2个点（117.41700,39.92000）距本市已有路段约" in body["rows"][3]["message"]
    rows[4][4] = "116.417,39.910;116.417,39.920"  # typed right: the file is the city
    assert upload(api, city.admin, "segments", xlsx_bytes(rows)).get_json()["added"] == 4
    assert db.session.scalar(db.select(db.func.count(Segment.id)).where(Segment.active.is_(True))) == 4


def test_a_district_written_another_way_is_refused_and_a_new_one_named(api, city):
    """区县 is typed text: "河东" for 河东区 made a second district in every district list and on the map. A district
    no segment, site or 区县 unit has is named in the preview, and refused where a known one is meant."""
    db.session.add(Unit(code="QX01", name="清源市河东区人民政府", kind="区县"))
    db.session.commit()
    line = "112.93,28.235;112.94,28.235"
    rows = [SEG_HEAD] + [[f"新{n}路", district, "主次干道", "JDA", line, "WGS84", ""] for n, district in
                         enumerate(("河东", "江城", "清源市河东区", "河东县", "河东区", "江城区", "河西区", "河西区"))]
    body = upload(api, city.admin, "segments", xlsx_bytes(rows), dry_run=True).get_json()
    actions = [(r["action"], r["message"]) for r in body["rows"]]
    assert actions[:4] == [("error", "区县“河东”与已有的区县“河东区”写法不同，请改为“河东区”"),
                           ("error", "区县“江城”与已有的区县“江城区”写法不同，请改为“江城区”"),
                           ("error", "区县“清源市河东区”与已有的区县“河东区”写法不同，请改为“河东区”"),
                           ("error", "区县“河东县”与已有的区县“河东区”写法不同，请改为“河东区”")]
    assert [a for a, _ in actions[4:]] == ["add"] * 4
    assert "区县" not in actions[4][1] and "区县" not in actions[5][1]  # named by a 区县 unit; a segment's
    assert actions[6][1].startswith("新增区县“河西区”（此前没有用过的区县名称，请确认无误）；新增路段")
    assert actions[7][1] == actions[6][1]
    rows = [SEG_HEAD] + rows[5:8]
    assert upload(api, city.admin, "segments", xlsx_bytes(rows)).get_json()["added"] == 3
    assert reference.districts() == ["临江区", "江城区", "河东区", "河西区"]


def test_segment_import_converts_gcj02_and_retired_unit_is_an_error(api, city):
    gcj = [from_wgs84(112.95, 28.25, GCJ02), from_wgs84(112.96, 28.25, GCJ02)]
    data = csv_bytes([SEG_HEAD, ["五一大道", "江城区", "主次干道", "JDA",
                                 ";".join(f"{lon:.7f},{lat:.7f}" for lon, lat in gcj), "高德", ""]], "gbk")
    assert upload(api, city.admin, "segments", data, "s.csv").status_code == 200
    segment = db.session.scalar(db.select(Segment).where(Segment.name == "五一大道"))
    assert segment.coords[0] == pytest.approx([112.95, 28.25], abs=2e-6)
    city.street_b.active = False
    db.session.commit()
    data = csv_bytes([SEG_HEAD, ["新路", "临江区", "社区", "JDB", "112.93,28.24", "WGS84", ""]])
    body = upload(api, city.admin, "segments", data, "s.csv").get_json()
    assert "已停用" in body["rows"][0]["message"]


# ----------------------------------------------------------------------------- accounts

def test_accounts_import_creates_with_generated_passwords(api, city):
    data = xlsx_bytes([["用户名", "姓名", "角色", "单位编码", "手机号码", "状态", "初始密码"],
                       ["jda_1", "李一", "责任单位", "JDA", "13800000001", "", ""],
                       ["insp_9", "王九", "督查员", "", "", "", "Strong-pass-9"],
                       ["unit_b", "", "责任单位", "JDB", "", "停用", ""],
                       ["nounit", "", "责任单位", "", "", "", ""],
                       ["weak", "", "督查员", "", "", "", "123"],
                       ["admin", "", "督查员", "", "", "", ""],
                       ["JDA_1", "", "领导", "", "", "", ""]])
    body = upload(api, city.admin, "accounts", data, dry_run=True).get_json()
    assert [r["action"] for r in body["rows"]] == ["add", "add", "change", "error", "error", "error", "error"]
    messages = [r["message"] for r in body["rows"]]
    assert "单位编码" in messages[3] and "密码" in messages[4] and "自己" in messages[5] and "重复" in messages[6]
    data = xlsx_bytes([["用户名", "姓名", "角色", "单位编码", "手机号码", "状态", "初始密码"],
                       ["jda_1", "李一", "责任单位", "JDA", "13800000001", "", ""],
                       ["insp_9", "王九", "督查员", "", "", "", "Strong-pass-9"],
                       ["unit_b", "", "责任单位", "JDB", "", "停用", ""]])
    body = upload(api, city.admin, "accounts", data).get_json()
    generated = {r["key"]: r.get("password") for r in body["rows"]}
    assert generated["jda_1"] and not generated["insp_9"]
    new = db.session.scalar(db.select(User).where(User.username == "jda_1"))
    assert new.must_change_password and new.check_password(generated["jda_1"]) and new.unit.code == "JDA"
    assert not db.session.scalar(db.select(User).where(User.username == "unit_b")).active


def test_accounts_import_normalises_usernames_and_refuses_invisible_ones(api, city, client):
    """ＷＡＮＧ imported as 新增 was kept full width and could never log in; a zero-width space passed unseen."""
    head = ["用户名", "姓名", "角色", "单位编码", "手机号码", "状态", "初始密码"]
    data = xlsx_bytes([head, ["ＷＡＮＧ", "王", "督查员", "", "", "", "Harbour-lamp-42"],
                       ["jd0105\u200b", "", "督查员", "", "", "", ""],
                       ["ｗａｎｇ", "", "领导", "", "", "", ""],
                       ["ＡＤＭＩＮ", "", "管理员", "", "", "", ""]])
    body = upload(api, city.admin, "accounts", data, dry_run=True).get_json()
    assert [(r["key"], r["action"]) for r in body["rows"]] == [("WANG", "add"), ("jd0105\u200b", "error"),
                                                               ("wang", "error"), ("ADMIN", "unchanged")]
    assert "不可见字符" in body["rows"][1]["message"] and "重复" in body["rows"][2]["message"]
    data = xlsx_bytes([head, ["ＷＡＮＧ", "王", "督查员", "", "", "", "Harbour-lamp-42"]])
    assert upload(api, city.admin, "accounts", data).status_code == 200
    assert db.session.scalar(db.select(User).where(User.username == "WANG")) is not None
    answer = client.post("/api/v1/auth/token", json={"username": "ＷＡＮＧ", "password": "Harbour-lamp-42"})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "password_change_required"


# ----------------------------------------------------------------------------- bad files

@pytest.mark.parametrize("name, data, status, message", [
    ("photo.xlsx", b"\xff\xd8\xff\xe0" + b"\x00" * 100, 415, "不是有效"),
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, 415, "无法识别"),
    ("broken.xlsx", b"PK\x03\x04garbage", 415, "不是有效"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, 415, ".xls"),
    ("empty.csv", b"", 422, "空的"),
    ("wrong.csv", "名称,地址\n甲,乙\n".encode(), 422, "缺少"),
    ("latin.csv", "单位编码,单位名称,类型\nA,\udcff,街道\n".encode("utf-8", "surrogateescape"), 415, "编码"),
])
def test_bad_files_get_clear_messages(api, city, name, data, status, message):
    response = upload(api, city.admin, "units", data, name)
    assert response.status_code == status, response.get_json()
    assert message in response.get_json()["error"]["message"]


def test_formulas_and_merged_cells_are_refused(api, city):
    data = xlsx_bytes([UNIT_HEAD, ["QX09", "丙区", "区县", "", "", "=1+1", ""]])
    response = upload(api, city.admin, "units", data)
    assert response.status_code == 422 and "公式" in response.get_json()["error"]["message"]
    data = xlsx_bytes([UNIT_HEAD, ["QX09", "丙区", "区县", "", "", "", ""], ["QX10", "丁区", "区县", "", "", "", ""]],
                      merge="A2:A3")
    response = upload(api, city.admin, "units", data)
    assert response.status_code == 422 and "合并单元格" in response.get_json()["error"]["message"]
    assert "A2:A3" in response.get_json()["error"]["message"]
    data = csv_bytes([UNIT_HEAD, ["QX09", "丙区", "区县", "", "", "=HYPERLINK(\"x\")", ""]])
    assert "公式" in upload(api, city.admin, "units", data, "u.csv").get_json()["error"]["message"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_fifty_thousand_rows_are_refused(api, city, fmt):
    rows = [UNIT_HEAD[:3]] + [[i, i, 1] for i in range(50_000)]  # numbers: quick to build; refused before checks
    data = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
    response = upload(api, city.admin, "units", data, f"big.{fmt}")
    assert response.status_code == 413
    assert "5000" in response.get_json()["error"]["message"]


def test_an_oversized_import_is_told_to_split_the_sheet(app, api, browser, city):
    """A spreadsheet over the upload cap was told to take fewer photos (请减少照片数量): an import is told to split the
    sheet, on the page and in the API; a filing with photos keeps the photo advice."""
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    big = csv_bytes([UNIT_HEAD] + [[f"QX{i:05d}", f"区{i}", "区县", "", "某" * 100, "", ""] for i in range(4000)])
    assert len(big) > 1024 * 1024
    for url in ("/api/v1/admin/import/units", "/api/v1/admin/import/sites", "/api/v1/admin/import/checklist"):
        response = api.post(url, city.admin, data={"file": (io.BytesIO(big), "u.csv")},
                            content_type="multipart/form-data")
        message = response.get_json()["error"]["message"]
        assert response.status_code == 413 and message == "上传内容过大（单次上传上限1MB），请拆分表格后分批导入。", url
    page = browser(city.admin)
    body, content_type = multipart({"csrf_token": page.token("/office/import/units"),
                                    "file": (io.BytesIO(big), "u.csv")})
    shown = page.post("/office/import/units", data=body, content_type=content_type,
                      headers={"X-Requested-With": "XMLHttpRequest"})
    assert shown.status_code == 413 and "请拆分表格后分批导入" in shown.get_json()["error"]["message"]
    photos = api.post("/api/v1/tickets", city.inspector, data={"category": "niupixuan",
                                                               "photos": (io.BytesIO(big), "a.jpg")},
                      content_type="multipart/form-data")
    assert photos.status_code == 413 and "请减少照片数量或压缩后重试" in photos.get_json()["error"]["message"]


def test_duplicate_header_and_missing_file(api, city):
    data = csv_bytes([UNIT_HEAD + ["单位名称"], ["A", "B", "街道", "", "", "", "", "C"]])
    assert "重复" in upload(api, city.admin, "units", data, "u.csv").get_json()["error"]["message"]
    response = api.post("/api/v1/admin/import/units", city.admin, data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "file_required"


def test_a_misspelt_optional_column_is_refused_naming_it(api, city, browser):
    """上级单位编玛 and 联系电活 (an optional column misspelt) were read past: the preview said every row passed and the
    unit came without its parent and phone, a segment's 包抓 change read 不变. The file is refused, naming them."""
    head = ["单位编码", "单位名称", "类型", "上级单位编玛", "联系人", "联系电活"]
    response = upload(api, city.admin, "units", xlsx_bytes([head, ["JD0199", "新街道", "街道", "QX01", "王五",
                                                                   "0731-88888888"]]), dry_run=True)
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["code"] == "unknown_columns", error
    assert "“上级单位编玛”（应为“上级单位编码”？）" in error["message"]
    assert "“联系电活”（应为“联系电话”？）" in error["message"]
    assert "本导入的列为：单位编码、单位名称、类型、上级单位编码、联系人、联系电话、状态" in error["message"]
    rows = [SEG_TEMPLATE, ["人民路东段", "江城区", "主次干道", "JDA", "JJ", "112.93,28.23;112.94,28.23", "WGS84", ""]]
    rows[0] = [h.replace("包抓单位编码", "包抓单位编玛") for h in rows[0]]
    response = upload(api, city.admin, "segments", csv_bytes(rows), "s.csv", dry_run=True)
    assert response.status_code == 422 and "“包抓单位编玛”" in response.get_json()["error"]["message"]
    page = browser(city.admin)
    body, content_type = multipart({"csrf_token": page.token("/office/import/units"),
                                    "file": (io.BytesIO(csv_bytes([head, ["JD0199", "新街道", "街道", "", "", ""]])),
                                             "u.csv")})
    shown = page.post("/office/import/units", data=body, content_type=content_type)
    assert shown.status_code == 422 and "“联系电活”（应为“联系电话”？）" in shown.get_data(as_text=True)
    assert db.session.scalar(db.select(Unit).where(Unit.code == "JD0199")) is None


def test_two_units_may_swap_names_in_one_file(api, city):
    """甲 renamed 乙 and 乙 renamed 甲 in one file passed the preview, then the database refused the confirm (a name is
    unique and the first rename met the other's old name): the file is written, each change in the 操作日志 once."""
    from inspect_app.audit.models import AuditEntry
    rows = [UNIT_HEAD, ["JDA", "乙街道办事处", "街道", "", "", "", ""], ["JDB", "甲街道办事处", "街道", "", "", "", ""]]
    preview = upload(api, city.admin, "units", xlsx_bytes(rows), dry_run=True).get_json()
    assert preview["errors"] == 0 and preview["rows"][0]["message"] == "名称：甲街道办事处 → 乙街道办事处", preview
    response = upload(api, city.admin, "units", xlsx_bytes(rows))
    assert response.status_code == 200 and response.get_json()["written"], response.get_json()
    db.session.expire_all()
    assert (city.street_a.name, city.street_b.name) == ("乙街道办事处", "甲街道办事处")
    details = sorted(db.session.scalars(db.select(AuditEntry.detail).where(AuditEntry.detail.like("名称：%"))))
    assert details == ["名称：乙街道办事处 → 甲街道办事处", "名称：甲街道办事处 → 乙街道办事处"], details


def test_data_under_an_empty_header_is_refused_naming_its_column(api, city):
    """A clerk's column typed beside the table without a name (a parent code, a phone) was skipped without a word:
    the preview said every row passed. It is refused naming the column; empty columns and blank cells are fine."""
    rows = [UNIT_HEAD + ["", ""], ["JD0199", "新街道", "街道", "", "", "", "在用", "", "QX01"]]
    response = upload(api, city.admin, "units", xlsx_bytes(rows), dry_run=True)
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["code"] == "unknown_columns", error
    assert error["message"].startswith("表头不符合模板：第I列（无列名）有数据但没有列名"), error["message"]
    rows[1][8] = ""
    assert upload(api, city.admin, "units", xlsx_bytes(rows), dry_run=True).status_code == 200
    beyond = [UNIT_HEAD, ["JD0199", "新街道", "街道", "", "", "", "在用", "QX01"]]  # past the header's last column
    response = upload(api, city.admin, "units", csv_bytes(beyond), "u.csv", dry_run=True)
    assert response.status_code == 422 and "第H列（无列名）" in response.get_json()["error"]["message"]
    assert db.session.scalar(db.select(Unit).where(Unit.code == "JD0199")) is None


# ----------------------------------------------------------------------------- access

@pytest.mark.parametrize("role", ["inspector", "unit_a", "leader"])
def test_admin_api_refused_to_other_roles(api, city, role):
    user = getattr(city, role)
    assert upload(api, user, "units", csv_bytes([UNIT_HEAD]), "u.csv").status_code == 403
    for url in ("/api/v1/admin/import/units/template.xlsx", "/api/v1/admin/export/units.csv",
                "/api/v1/admin/holidays?year=2027"):
        assert api.get(url, user).status_code == 403, url
    assert api.call("PUT", "/api/v1/admin/holidays/2027-01-01", user, json={"kind": "holiday"}).status_code == 403


def test_admin_api_needs_a_token(client, city):
    assert client.get("/api/v1/admin/holidays?year=2027").status_code == 401
    assert client.post("/api/v1/admin/import/units").status_code == 401
    assert client.get("/api/v1/tickets/export.csv").status_code == 401


# ----------------------------------------------------------------------------- web import flow

def test_web_preview_then_confirm(client, city, app):
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, city.admin)
    data = xlsx_bytes([UNIT_HEAD, ["QX09", "丙区人民政府", "区县", "", "", "", ""]])
    response = client.post("/office/import/units", data={"file": (io.BytesIO(data), "u.xlsx")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "确认导入" in html and "新增" in html
    assert db.session.scalar(db.select(Unit).where(Unit.code == "QX09")) is None  # preview writes nothing
    import re
    token = re.search(r'name="token" value="([0-9a-f]+)"', html).group(1)
    response = client.post("/office/import/units/confirm", data={"token": token})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Unit).where(Unit.code == "QX09")) is not None
    # the same token cannot be used twice
    response = client.post("/office/import/units/confirm", data={"token": token})
    assert response.status_code == 302 and "/office/import/units" in response.headers["Location"]
    # errors: the preview says why and offers no confirmation
    bad = xlsx_bytes([UNIT_HEAD, ["", "无编码", "区县", "", "", "", ""]])
    response = client.post("/office/import/units", data={"file": (io.BytesIO(bad), "u.xlsx")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "单位编码不能为空" in html and "确认导入" not in html
    # a bad file shows its message on the form, not a 500
    response = client.post("/office/import/units", data={"file": (io.BytesIO(b"hello"), "u.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 415 and "不是有效" in response.get_data(as_text=True)


# ----------------------------------------------------------------------------- ticket export

def test_ticket_export_xlsx_and_csv_with_filters(api, city, make_ticket):
    late = make_ticket(at_time=at("2026-11-20T09:00"))  # 24 h deadline, open: overdue at the export's now
    make_ticket(category="illegal_parking", at_time=at("2026-11-20T09:00"))
    make_ticket(category="spider_web", at_time=at("2026-11-20T09:00"), description="=cmd|' /C calc'!A0")
    response = api.get("/api/v1/tickets/export.xlsx", city.admin)
    assert response.status_code == 200
    rows = read_xlsx(response.data)
    assert rows[0][:7] == ["问题编号", "状态", "问题类别", "类别分组", "责任单位", "责任路段", "区县"]
    assert len(rows) == 4
    row = next(r for r in rows if r[0] == late.number)
    head = rows[0]
    assert row[head.index("超期天数")] > 3 and row[head.index("责任单位")] == "甲街道办事处"
    assert any(str(r[head.index("问题描述")]).startswith("'=") for r in rows[1:])  # no formula injection
    # the list's filters apply
    rows = read_xlsx(api.get("/api/v1/tickets/export.xlsx?category=illegal_parking", city.admin).data)
    assert len(rows) == 2 and rows[1][2] == "乱停乱放"
    # CSV in GBK by default, UTF-8 with BOM on request
    response = api.get("/api/v1/tickets/export.csv?unit_id=%d" % city.street_a.id, city.admin)
    rows = read_csv(response.data, "gbk")
    assert rows[0][0] == "问题编号" and len(rows) == 3
    response = api.get("/api/v1/tickets/export.csv?encoding=utf-8", city.admin)
    assert response.data.startswith("\ufeff".encode()) and len(read_csv(response.data, "utf-8-sig")) == 4
    assert api.get("/api/v1/tickets/export.csv?status=nonsense", city.admin).status_code == 400


def test_unit_exports_only_its_own_and_export_is_not_shadowed(api, city, make_ticket):
    make_ticket()
    make_ticket(point=(28.2399, 112.9350))
    rows = read_csv(api.get("/api/v1/tickets/export.csv", city.unit_a).data)
    assert len(rows) == 2 and rows[1][4] == "甲街道办事处"
    rows = read_csv(api.get("/api/v1/tickets/export.csv", city.leader).data)
    assert len(rows) == 3
    from flask import current_app
    adapter = current_app.url_map.bind("localhost")
    assert adapter.match("/api/v1/tickets/export.xlsx")[0] == "api_office.tickets_xlsx"
    assert adapter.match("/api/v1/tickets/export.csv")[0] == "api_office.tickets_csv"
    assert adapter.match("/api/v1/tickets/12")[0] == "api_tickets.show"


def test_ticket_export_names_the_units_sharing_a_problem_and_the_exporting_units_own_part(api, city, make_ticket,
                                                                                          now):
    """The export kept 责任单位 (the lead) alone: an assisting unit's own export listed its rows under the lead's name,
    with the lead's deadline and 督办 level, nothing saying it assists. 协办单位 and 包抓单位 follow the old columns
    (kept in place), and a unit's own export ends with its own part: 本单位职责, its state, deadline and level."""
    from inspect_app.tickets import parts

    city.seg_a.adopting_unit = city.roads  # 市政 adopts 人民路东段
    shared = make_ticket()
    parts.add_assist(shared, city.street_b, now, city.admin, deadline=at("2026-11-25T18:00:00+08:00"))
    parts.add_assist(shared, city.police, now, city.admin)
    shared.part_of(city.street_b.id).escalation_level = 1  # 乙 was supervised for its own part, 甲 not
    db.session.commit()
    make_ticket(point=City.ON_B)  # 乙's own, on a segment nobody adopts
    rows = read_xlsx(api.get("/api/v1/tickets/export.xlsx", city.admin).data)
    head = rows[0]
    assert head[:19] == ["问题编号", "状态", "问题类别", "类别分组", "责任单位", "责任路段", "区县", "地址",
                         "问题描述", "上报人", "上报时间", "派遣时间", "整改期限", "整改反馈时间", "结案时间",
                         "超期天数", "督办级别", "返工次数", "延期次数"]
    assert head[19:] == ["协办单位", "包抓单位", "来源", "12345工单编号"]  # the office's export: nobody's own part
    row = next(r for r in rows if r[0] == shared.number)
    assert sorted(row[19].split("、")) == sorted(["乙街道办事处", "市交警支队"]) and row[20] == "市市政设施管理处"
    own = read_csv(api.get("/api/v1/tickets/export.csv?encoding=utf-8", city.unit_b).data, "utf-8-sig")
    head = own[0]
    assert head[19:] == ["协办单位", "包抓单位", "本单位职责", "本单位整改状态", "本单位整改期限", "本单位督办级别",
                         "来源", "12345工单编号"]
    by_number = {r[0]: dict(zip(head, r)) for r in own[1:]}
    mine = by_number[shared.number]
    assert (mine["责任单位"], mine["本单位职责"], mine["本单位整改状态"]) == ("甲街道办事处", "协办", "待整改")
    assert (mine["本单位整改期限"], mine["整改期限"]) == ("2026-11-25 18:00", "2026-11-26 10:00")
    assert (mine["本单位督办级别"], mine["督办级别"]) == ("督办", "")
    led = next(r for n, r in by_number.items() if n != shared.number)
    assert (led["本单位职责"], led["协办单位"], led["包抓单位"]) == ("主办", "", "")


def test_ticket_export_ends_with_the_source_and_the_12345_case_numbers(api, city, make_ticket, now):
    """A director's monthly sheet could not count or filter the 12345 problems: their case number was only inside
    问题描述. 来源 and 12345工单编号 (the case it was filed from and any merged into it) now end every export."""
    from inspect_app.intake.models import IntakeItem

    daily = make_ticket()
    cases = [IntakeItem(source="hotline", status="pending", case_number=f"GD-2026-00{n}", description="小广告",
                        address="人民路东段", received_at=now, created_at=now, updated_at=now) for n in (19, 20)]
    db.session.add_all(cases)
    db.session.commit()
    ticket = api.post(f"/api/v1/intake/{cases[0].id}/accept", city.admin,
                      json={"category": "niupixuan", "segment_id": city.seg_a.id}).get_json()
    api.post(f"/api/v1/intake/{cases[1].id}/merge", city.admin, json={"ticket": ticket["number"]})
    for user, extra in ((city.admin, 0), (city.unit_a, 4)):
        rows = read_csv(api.get("/api/v1/tickets/export.csv?encoding=utf-8", user).data, "utf-8-sig")
        assert rows[0][-2:] == ["来源", "12345工单编号"] and len(rows[0]) == 23 + extra
        by_number = {r[0]: r[-2:] for r in rows[1:]}
        assert by_number[daily.number] == ["日常督查", ""]
        assert by_number[ticket["number"]][0] == "12345热线"
        assert sorted(by_number[ticket["number"]][1].split("、")) == ["GD-2026-0019", "GD-2026-0020"]
    rows = read_xlsx(api.get("/api/v1/tickets/export.xlsx?source=hotline", city.admin).data)
    assert [r[0] for r in rows[1:]] == [ticket["number"]] and rows[1][21] == "12345热线"


def test_ticket_export_names_the_adopting_unit_a_problem_was_found_under(api, city, make_ticket):
    """包抓单位 is the unit that held the segment's 包抓 when the problem was found, as the 红黑榜 charges it: a
    segment given to another unit since keeps its earlier problems' unit (the export named the new one)."""
    city.seg_a.adopting_unit = city.roads
    db.session.commit()
    earlier = make_ticket(at_time=at("2026-11-20T10:00:00+08:00"))
    reference.save_segment({"name": "人民路东段", "district": "江城区", "kind": "主次干道",
                            "unit_id": str(city.street_a.id), "adopting_unit_id": str(city.police.id),
                            "coord_system": "WGS84", "coords": ""}, segment=city.seg_a)
    db.session.commit()
    later = make_ticket()
    rows = read_xlsx(api.get("/api/v1/tickets/export.xlsx", city.admin).data)
    adopting = {row[0]: row[20] for row in rows[1:]}
    assert adopting == {earlier.number: "市市政设施管理处", later.number: "市交警支队"}


def test_web_ticket_export_for_every_role(client, city, make_ticket):
    make_ticket()
    for user, expected in ((city.admin, 2), (city.unit_b, 1), (city.inspector, 2)):
        sign_in(client, user)
        response = client.get("/office/export/tickets.csv")
        assert response.status_code == 200
        assert len(read_csv(response.data)) == expected
    from flask import g
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/office/export/tickets.xlsx").status_code == 302


def test_xml_entity_bomb_in_an_xlsx_is_refused(api, city):
    import zipfile
    good = xlsx_bytes([UNIT_HEAD[:3], ["A", "B", "街道"]])
    source, out = zipfile.ZipFile(io.BytesIO(good)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                        + body.replace(b"</sheetData>", b"<row r=\"9\"><c r=\"A9\" t=\"inlineStr\"><is><t>&b;</t></is></c></row></sheetData>"))
            bomb.writestr(info, data)
    response = upload(api, city.admin, "units", out.getvalue(), "bomb.xlsx")
    assert response.status_code == 415 and "不是有效" in response.get_json()["error"]["message"]


def test_every_code_column_says_what_a_code_may_hold(app):
    """fields.code takes letters, digits, dots, underscores and hyphens; its refusal named no dot, and the import
    pages each told a part of the rule (任务编号 no underscore, 单位编码 and 点位编码 no dot, 编号 neither)."""
    from inspect_app.assessment.checklist import SPEC as checklist
    from inspect_app.common.errors import Invalid
    from inspect_app.office import fields
    from inspect_app.office.imports import SPECS
    from inspect_app.sites.imports import SPEC as sites

    assert fields.code("A-1_2.3b", "任务编号") == "A-1_2.3b"  # each kind of character the rule names
    with pytest.raises(Invalid) as refused:
        fields.code("3.2 1", "任务编号")
    assert refused.value.message == "任务编号“3.2 1”不正确：应为字母、数字、点、下划线或短横线，最多32位。"
    for spec, column in [(SPECS["units"], "单位编码"), (SPECS["frontages"], "编号"), (SPECS["keytasks"], "任务编号"),
                         (sites, "点位编码"), (checklist, "项目编码")]:
        assert "字母、数字、点、下划线或短横线，最多32位" in spec.help[column], spec.kind


def test_no_import_template_gives_the_demo_city_as_its_example(app):
    """A new city's templates read "区县：必填，如 江城区", "街道：如 解放街道", "如 临江市第一中学": the demo's."""
    from inspect_app.assessment.checklist import SPEC as checklist
    from inspect_app.office.imports import SPECS
    from inspect_app.sites.imports import SPEC as sites

    names = demo_city_names()
    for spec in [*SPECS.values(), sites, checklist]:
        for column, hint in spec.help.items():
            assert not [name for name in names if name in hint], (spec.kind, column, hint)
