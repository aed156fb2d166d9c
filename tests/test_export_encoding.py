"""CSV encodings (issue 16, item 6) and one implementation of exports and templates for pages and API (issue 10).

Exports are GB18030 by default (what Excel on Chinese Windows reads; unlike GBK it covers all of Unicode, so emoji
and rare characters survive) or UTF-8 with a BOM, with exactly one charset in Content-Type. Uploaded CSVs are read
as UTF-8 (with or without BOM), else GB18030, on the pages and in the API alike."""
from __future__ import annotations

import io

import pytest
from conftest import sign_in
from office_helpers import csv_bytes, read_csv

from inspect_app.extensions import db
from inspect_app.units.models import Unit

EMOJI = "井盖破损🚧有安全隐患😡"
RARE = "𠀀𪚥"  # CJK Extension B (U+20000) and another four-byte character GBK cannot write
UNIT_HEAD = ["单位编码", "单位名称", "类型", "上级单位编码", "联系人", "联系电话", "状态"]


def web_get(client, user, url):
    sign_in(client, user)
    return client.get(url)


@pytest.fixture
def rare_ticket(make_ticket):
    return make_ticket(description=EMOJI + RARE, address="人民路" + RARE + "号")


def test_ticket_csv_is_gb18030_and_keeps_emoji_and_rare_characters(api, city, client, rare_ticket):
    for response in (api.get("/api/v1/tickets/export.csv", city.admin),
                     web_get(client, city.admin, "/office/export/tickets.csv")):
        assert response.status_code == 200
        assert response.headers.getlist("Content-Type") == ["text/csv; charset=gb18030"]
        assert b"?" not in response.data  # nothing replaced (GB18030 never uses the byte 0x3F inside a character)
        rows = read_csv(response.data, "gb18030")
        row = rows[1]
        assert row[rows[0].index("问题描述")] == EMOJI + RARE
        assert row[rows[0].index("地址")] == "人民路" + RARE + "号"
        assert not response.data.startswith(b"\xef\xbb\xbf")  # no BOM in GB18030


def test_gbk_request_gets_gb18030_and_utf8_gets_a_bom(api, city, client, rare_ticket):
    gbk = api.get("/api/v1/tickets/export.csv?encoding=gbk", city.admin)
    assert gbk.headers["Content-Type"] == "text/csv; charset=gb18030"
    assert read_csv(gbk.data, "gb18030")[1][8] == EMOJI + RARE
    for response in (api.get("/api/v1/tickets/export.csv?encoding=utf-8", city.admin),
                     web_get(client, city.admin, "/office/export/tickets.csv?encoding=UTF8")):
        assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"]
        assert response.data.startswith("\ufeff".encode())
        assert read_csv(response.data, "utf-8-sig")[1][8] == EMOJI + RARE


def test_an_unknown_encoding_is_the_same_400_on_pages_and_api(api, city, client):
    """Before, the page fell back to GBK while the API answered 400: one rule now."""
    response = api.get("/api/v1/tickets/export.csv?encoding=latin-1", city.admin)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_encoding"
    assert web_get(client, city.admin, "/office/export/tickets.csv?encoding=latin-1").status_code == 400
    assert web_get(client, city.admin, "/office/export/units.csv?encoding=latin-1").status_code == 400
    assert api.get("/api/v1/admin/import/units/template.csv?encoding=big5", city.admin).status_code == 400


def test_pages_and_api_send_the_same_files(api, city, client, make_ticket):
    make_ticket()
    for web, rest in (("/office/export/units.csv", "/api/v1/admin/export/units.csv"),
                      ("/office/import/segments/template.csv", "/api/v1/admin/import/segments/template.csv"),
                      ("/office/export/tickets.csv", "/api/v1/tickets/export.csv")):
        page, body = web_get(client, city.admin, web), api.get(rest, city.admin)
        assert page.status_code == body.status_code == 200, web
        assert page.headers["Content-Type"] == body.headers["Content-Type"] == "text/csv; charset=gb18030"
        assert page.data == body.data, web
        assert page.headers["Content-Disposition"].split("filename*=")[1][:20] == \
            body.headers["Content-Disposition"].split("filename*=")[1][:20]
    for web, rest in (("/office/export/accounts.xlsx", "/api/v1/admin/export/accounts.xlsx"),
                      ("/office/import/units/template.xlsx", "/api/v1/admin/import/units/template.xlsx")):
        page, body = web_get(client, city.admin, web), api.get(rest, city.admin)
        assert page.headers["Content-Type"] == body.headers["Content-Type"] == \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert page.status_code == body.status_code == 200


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_uploaded_csv_in_any_of_the_encodings_reads_the_same_on_pages_and_api(api, city, client, app, encoding):
    name = "丙区人民政府" + (RARE if encoding in ("utf-8", "utf-8-sig", "gb18030") else "")
    data = csv_bytes([UNIT_HEAD, ["QX09", name, "区县", "", "赵六", "", ""]], encoding)
    body = api.post("/api/v1/admin/import/units", city.admin, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(data), "u.csv"), "dry_run": "1"}).get_json()
    assert body["errors"] == 0 and body["rows"][0]["key"] == f"QX09 {name}", encoding
    app.config["WTF_CSRF_ENABLED"] = False
    sign_in(client, city.admin)
    page = client.post("/office/import/units", data={"file": (io.BytesIO(data), "u.csv")},
                       content_type="multipart/form-data")
    assert page.status_code == 200 and name in page.get_data(as_text=True), encoding


def test_a_gb18030_export_imports_back(api, city, client):
    """A unit with a rare character in its contact survives export → import unchanged."""
    city.street_a.contact_person = "王" + RARE
    db.session.commit()
    exported = api.get("/api/v1/admin/export/units.csv", city.admin).data
    body = api.post("/api/v1/admin/import/units", city.admin, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(exported), "units.csv"), "dry_run": "1"}).get_json()
    assert body["errors"] == 0 and body["changed"] == 0 and body["added"] == 0
    assert db.session.get(Unit, city.street_a.id).contact_person == "王" + RARE
