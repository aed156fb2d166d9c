"""门前四包 (issue 15): the register and its import, a problem naming its frontage and going to the street office,
repeat offenders for the street office, a frontage's history, and who sees which frontages."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from conftest import City, file_tuple, processed, saved_meanwhile
from sqlalchemy import func, select

from inspect_app.common.errors import Invalid
from inspect_app.extensions import db
from inspect_app.frontages.models import Frontage
from inspect_app.tickets import services
from inspect_app.tickets.models import Ticket
from inspect_app.units.models import Category

HEAD = ["编号", "名称", "类型", "地址", "所属街道编码", "责任路段", "责任书签订日期", "联系人", "联系电话", "状态"]


def csv_bytes(rows) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8-sig")


def upload(api, user, data: bytes, dry_run=False):
    fields = {"file": (__import__("io").BytesIO(data), "frontages.csv")}
    if dry_run:
        fields["dry_run"] = "1"
    return api.post("/api/v1/admin/import/frontages", user, content_type="multipart/form-data", data=fields)


@pytest.fixture
def register(city):
    """A 门前四包 category, two frontages on street B's road and one on street A's."""
    db.session.add(Category(code="menqian", name="门前四包", group="市容环境", deadline_hours=24, route="frontage"))
    noodles = Frontage(code="JB-001", name="老杨家米粉店", kind="商户", address="建设路18号", street_unit=city.street_b,
                       segment=city.seg_b, contact_person="杨师傅", contact_phone="13800000001")
    bank = Frontage(code="JB-002", name="临江银行建设路支行", kind="单位", address="建设路20号",
                    street_unit=city.street_b, segment=city.seg_b)
    tea = Frontage(code="JA-001", name="人民路茶叶店", kind="商户", address="人民路5号", street_unit=city.street_a,
                   segment=city.seg_a)
    db.session.add_all([noodles, bank, tea])
    db.session.commit()
    return noodles, bank, tea


def file_against(city, frontage, when, status_after=None):
    ticket, _ = services.create_ticket(city.inspector, services.NewReport(
        category="menqian", photos=[processed()], frontage_id=frontage.id, description="门前乱堆杂物"), when)
    if status_after == "cancel":
        services.cancel(city.admin, ticket, when, "重复上报")
    db.session.commit()
    return ticket


# ----------------------------------------------------------------------------- the register

def test_the_register_imports_from_a_spreadsheet_and_again_changes_nothing(api, city):
    rows = [HEAD,
            ["JB-101", "好再来餐馆", "商户", "建设路30号", "JDB", "建设路西段", "2026-03-15", "王老板", "13900000000", ""],
            ["JB-102", "临江一中", "单位", "建设路40号", "JDB", "临江区/建设路西段", "2026/4/1", "", "", ""]]
    preview = upload(api, city.admin, csv_bytes(rows), dry_run=True).get_json()
    assert preview["added"] == 2 and preview["errors"] == 0
    assert db.session.scalar(select(func.count(Frontage.id))) == 0  # a preview writes nothing
    assert upload(api, city.admin, csv_bytes(rows)).get_json()["added"] == 2
    again = upload(api, city.admin, csv_bytes(rows)).get_json()
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, 2)
    school = db.session.scalar(select(Frontage).where(Frontage.code == "JB-102"))
    assert school.segment_id == city.seg_b.id and school.signed_on.isoformat() == "2026-04-01"
    assert school.street_unit_id == city.street_b.id and school.kind == "单位"

    rows[1][2], rows[1][6] = "单位", "2026-03-20"
    changed = upload(api, city.admin, csv_bytes(rows)).get_json()
    assert changed["changed"] == 1 and "类型" in changed["rows"][0]["message"]

    bad = [HEAD, ["JB-201", "甲店", "商户", "建设路1号", "NOPE", "", "", "", "", ""],
           ["JB-202", "乙店", "商户", "建设路2号", "JDB", "没有这条路", "", "", "", ""],
           ["JB-203", "丙店", "商户", "建设路3号", "JDB", "", "2026-13-40", "", "", ""],
           ["JB-204", "丁店", "商户", "建设路4号", "JDB", "", "", "", "", ""],
           ["JB-205", "戊店", "商户", "建设路5号", "JJ", "", "", "", "", ""]]  # the traffic police: not a street
    response = upload(api, city.admin, csv_bytes(bad))
    body = response.get_json()
    assert response.status_code == 422 and body["errors"] == 4 and body["added"] == 1
    messages = [r["message"] for r in body["rows"]]
    assert "NOPE" in messages[0] and "没有这条路" in messages[1] and "2026-13-40" in messages[2]
    assert "不是街道" in messages[4]
    assert db.session.scalar(select(Frontage).where(Frontage.code == "JB-204")) is None  # nothing written


def test_register_numbers_match_whatever_their_case(api, browser, city, register):
    """jb-001 is the frontage JB-001: a re-import typed in lower case changed it rather than adding it twice, the form
    refuses it, a problem filed naming it finds it, and JB-301 and jb-301 in one file are one number twice."""
    noodles = register[0]
    rows = [HEAD, ["jb-001", "老杨家米粉店（新址）", "商户", "建设路18号", "JDB", "", "", "", "", ""],
            ["JB-301", "甲店", "商户", "建设路1号", "JDB", "", "", "", "", ""],
            ["jb-301", "乙店", "商户", "建设路2号", "JDB", "", "", "", "", ""]]
    body = upload(api, city.admin, csv_bytes(rows), dry_run=True).get_json()
    assert [r["action"] for r in body["rows"]] == ["change", "add", "error"], body["rows"]
    assert "与第3行重复" in body["rows"][2]["message"]
    assert upload(api, city.admin, csv_bytes(rows[:2])).get_json()["changed"] == 1
    assert db.session.scalar(select(func.count(Frontage.id)).where(func.upper(Frontage.code) == "JB-001")) == 1
    db.session.refresh(noodles)
    assert (noodles.code, noodles.name) == ("JB-001", "老杨家米粉店（新址）")
    response = browser(city.unit_b).submit("/frontages/new", "/frontages/new", {
        "code": "jb-002", "name": "又一家", "kind": "商户", "address": "建设路22号",
        "street_unit_id": str(city.street_b.id)})
    assert response.status_code == 422 and "（JB-002，仅大小写不同）" in response.get_data(as_text=True)
    from inspect_app.tickets.inputs import frontage_id
    assert frontage_id({"frontage_code": "jb-001"}) == noodles.id


def test_the_register_exports_in_its_import_columns(api, city, register):
    response = api.get("/api/v1/admin/export/frontages.csv?encoding=utf-8", city.admin)
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == HEAD and any("老杨家米粉店" in line and "临江区/建设路西段" in line for line in lines)
    # ...and the export imports back unchanged
    body = upload(api, city.admin, response.get_data()).get_json()
    assert body["unchanged"] == 3 and body["added"] == body["changed"] == 0


def test_a_street_office_keeps_its_own_street_only(browser, city, register):
    noodles, _, tea = register
    clerk = browser(city.unit_b)
    listing = clerk.get("/frontages/").get_data(as_text=True)
    assert "老杨家米粉店" in listing and "人民路茶叶店" not in listing
    assert clerk.get(f"/frontages/{tea.id}").status_code == 404
    assert clerk.get(f"/frontages/{tea.id}/edit").status_code == 404
    response = clerk.submit("/frontages/new", "/frontages/new", {
        "code": "JA-009", "name": "越界登记", "kind": "商户", "address": "人民路9号",
        "street_unit_id": str(city.street_a.id)})
    assert response.status_code == 422 and "只能登记本街道" in response.get_data(as_text=True)
    response = clerk.submit("/frontages/new", "/frontages/new", {
        "code": "JB-009", "name": "新开便利店", "kind": "商户", "address": "建设路9号",
        "street_unit_id": str(city.street_b.id), "signed_on": "2026-11-01"})
    assert response.status_code == 302
    assert db.session.scalar(select(Frontage).where(Frontage.code == "JB-009")).street_unit_id == city.street_b.id
    # a 责任书 is dated when it was signed: not after today (25 November), on the form as in the import
    response = clerk.submit("/frontages/new", "/frontages/new", {
        "code": "JB-010", "name": "未来签订", "kind": "商户", "address": "建设路10号",
        "street_unit_id": str(city.street_b.id), "signed_on": "2030-01-01"})
    assert response.status_code == 422 and "晚于今天" in response.get_data(as_text=True)
    assert db.session.scalar(select(Frontage).where(Frontage.code == "JB-010")) is None
    from inspect_app.frontages.services import parse_date
    with pytest.raises(Invalid, match="晚于今天"):
        parse_date("2026年11月26日", latest=date(2026, 11, 25))
    assert parse_date("2026/11/25", latest=date(2026, 11, 25)) == date(2026, 11, 25)
    # a unit that is not a street office keeps no register: no form, nothing saved by posting
    police = browser(city.unit_police)
    assert police.get("/frontages/new").status_code == 404
    response = police.submit("/frontages/", "/frontages/new", {
        "code": "JJ-001", "name": "交警登记", "kind": "商户", "address": "人民路1号",
        "street_unit_id": str(city.police.id)})
    assert response.status_code == 404 and db.session.scalar(select(Frontage).where(Frontage.code == "JJ-001")) is None
    # nor does the office file one under a unit that is not a street
    response = browser(city.admin).submit("/frontages/new", "/frontages/new", {
        "code": "JJ-002", "name": "错挂单位", "kind": "商户", "address": "人民路2号",
        "street_unit_id": str(city.police.id)})
    assert response.status_code == 422 and "不是街道" in response.get_data(as_text=True)
    # the office sees every street; an inspector reads them
    assert "人民路茶叶店" in browser(city.admin).get("/frontages/").get_data(as_text=True)
    assert browser(city.inspector).get(f"/frontages/{tea.id}").status_code == 200


def test_a_shop_sent_twice_at_once_refuses_the_second_as_if_sent_after(app, browser, city, now, monkeypatch):
    """保存 on /frontages/new clicked twice (QA: one shop and a 500, the database refusing the second INSERT): the
    second request, whose check found the number free just before the first one's row was committed, is refused as
    one sent a moment later is: 422, the form as typed, one shop."""
    from inspect_app.frontages import services as frontages

    form = {"code": "BFM03", "name": "并发商户", "kind": "商户", "address": "东风路1号",
            "street_unit_id": str(city.street_a.id)}
    saved_meanwhile(monkeypatch, app, frontages, "_refuse_code_taken",
                    lambda: frontages.save(city.admin, form, now))
    response = browser(city.admin).submit("/frontages/new", "/frontages/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "编号“BFM03”已被其他商户使用。" in html and 'value="BFM03"' in html
    assert db.session.scalar(select(func.count()).select_from(Frontage).where(Frontage.code == "BFM03")) == 1


def test_a_street_office_registers_shops_on_its_own_streets_segments(browser, city, register):
    """(QA) A street office could put a shop on any road of the city, another district's too: a problem filed
    against it then went to this street while it sat on the other district's segment. Its menu offers the segments
    of its street (属地), the save refuses another with the form as typed; the office chooses any."""
    noodles, _, _ = register

    def menu(page: str) -> str:
        return re.search(r'<select name="segment_id">.*?</select>', page, re.S).group(0)

    clerk = browser(city.unit_b)
    offered = menu(clerk.get("/frontages/new").get_data(as_text=True))
    assert f'value="{city.seg_b.id}"' in offered and f'value="{city.seg_a.id}"' not in offered
    typed = {"code": "JB-020", "name": "越界米粉店", "kind": "商户", "address": "人民路20号",
             "street_unit_id": str(city.street_b.id), "segment_id": str(city.seg_a.id), "contact_person": "王师傅"}
    response = clerk.submit("/frontages/new", "/frontages/new", typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "责任路段“人民路东段”不属于本街道" in page
    assert 'value="JB-020"' in page and 'value="越界米粉店"' in page and 'value="王师傅"' in page
    assert db.session.scalar(select(Frontage).where(Frontage.code == "JB-020")) is None
    response = clerk.submit("/frontages/new", "/frontages/new", {**typed, "segment_id": str(city.seg_b.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(Frontage).where(Frontage.code == "JB-020")).segment_id == city.seg_b.id
    # the office registers anywhere
    admin = browser(city.admin)
    assert f'value="{city.seg_a.id}"' in menu(admin.get("/frontages/new").get_data(as_text=True))
    response = admin.submit("/frontages/new", "/frontages/new", {**typed, "code": "JB-021"})
    assert response.status_code == 302
    assert db.session.scalar(select(Frontage).where(Frontage.code == "JB-021")).segment_id == city.seg_a.id
    # a frontage kept from before the rule on another street's road: its street edits it without losing the road
    noodles.segment = city.seg_a
    db.session.commit()
    edit = f"/frontages/{noodles.id}/edit"
    assert f'value="{city.seg_a.id}" selected' in menu(clerk.get(edit).get_data(as_text=True))
    response = clerk.submit(edit, edit, {"code": noodles.code, "name": noodles.name, "kind": "商户",
                                         "address": "建设路18号", "street_unit_id": str(city.street_b.id),
                                         "segment_id": str(city.seg_a.id), "contact_phone": "13800000009"})
    assert response.status_code == 302
    assert (db.session.get(Frontage, noodles.id).segment_id, noodles.contact_phone) == (city.seg_a.id, "13800000009")


# ----------------------------------------------------------------------------- problems naming a frontage

def test_a_menqian_problem_names_its_frontage_and_goes_to_its_street(api, city, register):
    noodles, _, _ = register
    response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data", data={
        "category": "menqian", "frontage_id": str(noodles.id), "photos": [file_tuple()]})
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["frontage"] == {"id": noodles.id, "name": "老杨家米粉店"}
    assert body["unit"]["id"] == city.street_b.id and body["segment"]["id"] == city.seg_b.id  # from the register
    assert body["address"] == "建设路18号（老杨家米粉店门前）"  # nothing typed: the shop, not the road
    # standing where the nearest segment is street A's (the crossing road): the register still decides
    response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data", data={
        "category": "menqian", "frontage_id": str(noodles.id), "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
        "address": "建设路18号门口台阶", "photos": [file_tuple()]})
    body = response.get_json()
    assert body["segment"]["id"] == city.seg_b.id and body["unit"]["id"] == city.street_b.id
    assert body["address"] == "建设路18号门口台阶" and body["lat"] == City.ON_A[0]  # what was typed and where it was
    # by register number, as the page without JavaScript sends it
    response = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data", data={
        "category": "menqian", "frontage_code": "JB-002", "photos": [file_tuple()]})
    assert response.get_json()["frontage"]["name"] == "临江银行建设路支行"
    for data, status in (({"category": "niupixuan", "frontage_id": str(noodles.id)}, 422),  # not a 门前四包 category
                         ({"category": "menqian", "frontage_code": "NOPE"}, 422),
                         ({"category": "menqian", "frontage_id": "abc"}, 400)):
        data = {**data, "lat": str(City.ON_B[0]), "lon": str(City.ON_B[1]), "photos": [file_tuple()]}
        assert api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data",
                        data=data).status_code == status, data


def test_the_filing_page_searches_the_register(browser, city, register):
    inspector = browser(city.inspector)
    assert 'data-resp-for="menqian"' in inspector.get("/tickets/new").get_data(as_text=True)
    found = inspector.get("/frontages/search?q=建设路").get_json()
    assert {f["name"] for f in found} == {"老杨家米粉店", "临江银行建设路支行"}
    assert {f["segment"] for f in found} == {city.seg_b.name}  # the picker says which segment will decide
    assert inspector.get("/frontages/search?q=").get_json() == []
    noodles = register[0]
    response = inspector.submit("/tickets/new", "/tickets/new", {
        "category": "menqian", "frontage_id": str(noodles.id), "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
        "photos": [file_tuple()]}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    filed = inspector.get(response.location).get_data(as_text=True)
    assert "<dt>门前四包</dt><dd>老杨家米粉店" in filed and "建设路18号（老杨家米粉店门前）" in filed
    assert f"{city.seg_b.name}（" in filed and city.street_b.name in filed


def test_repeat_offenders_are_listed_for_their_street_office(app, api, browser, city, register, now):
    noodles, bank, tea = register
    for days in (80, 30, 2):
        file_against(city, noodles, now - timedelta(days=days))
    file_against(city, bank, now - timedelta(days=100))  # outside the 90 days
    file_against(city, bank, now - timedelta(days=10))
    file_against(city, bank, now - timedelta(days=5))
    file_against(city, bank, now - timedelta(days=1), status_after="cancel")  # voided: not counted
    for days in (3, 2, 1):
        file_against(city, tea, now - timedelta(days=days))

    def offenders(user):
        return [o["frontage"]["name"] for o in api.get("/api/v1/frontages/offenders", user).get_json()["items"]]
    assert offenders(city.unit_b) == ["老杨家米粉店"]  # street B's own; street A's tea shop is not its business
    assert offenders(city.unit_a) == ["人民路茶叶店"]
    assert set(offenders(city.admin)) == {"老杨家米粉店", "人民路茶叶店"}
    page = browser(city.unit_b).get("/frontages/offenders").get_data(as_text=True)
    assert "老杨家米粉店" in page and "3 次" in page and "人民路茶叶店" not in page

    # the office's 通报 naming them, a draft; a street office reads the list but does not publish
    import io

    from pypdf import PdfReader
    office = browser(city.admin)
    assert 'href="/frontages/offenders.pdf">生成通报（草稿）</a>' in office.get("/frontages/offenders") \
        .get_data(as_text=True)
    assert "生成通报" not in page and browser(city.unit_b).get("/frontages/offenders.pdf").status_code == 403
    pdf = office.get("/frontages/offenders.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for words in ("关于门前四包责任落实不到位商户（单位）的通报", "各街道办事处：", "草稿",
                  "近90天内有2家商户（单位）", "门前四包问题3次及以上的商户（单位）如下", "老杨家米粉店",
                  "人民路茶叶店", "建设路18号", city.street_a.name, city.street_b.name, "特此通报"):
        assert words in text, words
    assert "临江银行建设路支行" not in text

    app.config["FRONTAGE_REPEAT_COUNT"] = 4
    assert offenders(city.admin) == []
    answer = office.get("/frontages/offenders.pdf")
    assert answer.status_code == 302 and answer.location.endswith("/frontages/offenders")
    assert "近90天没有屡次违反门前四包责任的商户，无需通报。" in office.get("/frontages/offenders") \
        .get_data(as_text=True)
    app.config["FRONTAGE_REPEAT_COUNT"], app.config["FRONTAGE_REPEAT_DAYS"] = 2, 120
    assert set(offenders(city.admin)) == {"老杨家米粉店", "临江银行建设路支行", "人民路茶叶店"}


def test_a_frontages_history_page(browser, api, city, register, now):
    noodles, _, _ = register
    tickets = [file_against(city, noodles, now - timedelta(days=d)) for d in (40, 20, 1)]
    page = browser(city.unit_b).get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert all(t.number in page for t in tickets) and "屡次违反名单" in page and "杨师傅" in page
    body = api.get(f"/api/v1/frontages/{noodles.id}", city.unit_b).get_json()
    assert [t["number"] for t in body["tickets"]] == [t.number for t in reversed(tickets)]
    assert body["recent_problems"] == 3
    assert api.get(f"/api/v1/frontages/{noodles.id}", city.unit_a).status_code == 404
    # the ticket's page links to the frontage
    detail = browser(city.unit_b).get(f"/tickets/{tickets[0].id}").get_data(as_text=True)
    assert f"/frontages/{noodles.id}" in detail and "门前四包" in detail
    assert db.session.scalar(select(Ticket.frontage_id).where(Ticket.id == tickets[0].id)) == noodles.id


HUGE = "99999999999999999999"  # past a bigint: PostgreSQL refused the OFFSET or the id with a 500


@pytest.mark.parametrize("url", [f"/frontages/?page={HUGE}", f"/frontages/?street_unit_id={HUGE}",
                                 f"/sites/?page={HUGE}", f"/intake?page={HUGE}", f"/office/segments?page={HUGE}",
                                 f"/office/segments?unit_id={HUGE}", "/office/holidays?year=99999",
                                 "/frontages/?page=abc"])
def test_list_pages_refuse_a_page_or_id_out_of_range_plainly(browser, city, url):
    response = browser(city.admin).get(url)
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and ("超出范围" in text or "应为整数" in text)


@pytest.mark.parametrize("url", [f"/api/v1/frontages?page={HUGE}", f"/api/v1/frontages?per_page={HUGE}",
                                 f"/api/v1/intake?page={HUGE}", f"/api/v1/sites?limit={HUGE}",
                                 f"/api/v1/segments?lat=28.23&lon=112.93&limit={HUGE}"])
def test_the_api_refuses_a_page_or_limit_out_of_range_with_400(api, city, url):
    response = api.get(url, city.admin)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"].startswith("invalid_")


def test_the_form_offers_the_active_segments_by_district(browser, city, now):
    """The 责任路段 menu of the frontage form and of the office's intake entry: every active segment under its
    district, by name; a retired one is not offered."""
    from inspect_app.units.models import Segment

    db.session.add(Segment(name="旧城巷", district="江城区", unit=city.street_a, active=False))
    db.session.commit()
    admin = browser(city.admin)
    for url in ("/frontages/new", "/intake/entry"):
        html = admin.get(url).get_data(as_text=True)
        menu = re.search(r'<select name="segment_id">.*?</select>', html, re.S).group(0)
        groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', menu, re.S)
        offered = {district: re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', options)
                   for district, options in groups}
        assert offered["江城区"] == [(str(city.seg_a.id), "人民路东段")], url
        assert offered["临江区"] == [(str(city.seg_b.id), "建设路西段")], url
        assert "旧城巷" not in menu


# ----------------------------------------------------------------------------- 整改通知书

def test_a_street_office_gives_a_frontage_notice_of_its_open_problems(app, api, browser, city, register, now,
                                                                     clock):
    """门前四包责任整改通知书: the frontage's street office lists the problems still open (not the closed or voided
    ones) with a date to put them right; numbered per street and year, kept on the frontage's page and in the
    操作日志, printed as a 函 from the street office; other streets, leaders and inspectors cannot give one."""
    import io

    from pypdf import PdfReader

    from inspect_app.audit.models import AuditEntry
    from inspect_app.frontages.models import FrontageNotice

    noodles, bank, tea = register
    old = file_against(city, noodles, now - timedelta(days=20))
    services.rectify(city.unit_b, old, now - timedelta(days=19), "已清理", [processed("gps_DSCN0010.jpg")])
    services.approve(city.admin, old, now - timedelta(days=18), None)
    file_against(city, noodles, now - timedelta(days=3), status_after="cancel")
    put_right = file_against(city, noodles, now - timedelta(days=3))  # reported put right, waiting to be checked
    services.rectify(city.unit_b, put_right, now - timedelta(days=2), "已清理", [processed("gps_DSCN0010.jpg")])
    first = file_against(city, noodles, now - timedelta(days=2))
    second = file_against(city, noodles, now - timedelta(hours=5))
    clock.stop(now)
    street = browser(city.unit_b)
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    # three working days on from Wednesday 25 November: Monday the 30th
    assert "尚未办结的 2 件问题" in page and 'name="due_on" required value="2026-11-30"' in page
    for fields, status, words in (({}, 400, "请填写整改期限"), ({"due_on": "11/30"}, 400, "整改期限格式不正确"),
                                  ({"due_on": "2026-11-24"}, 422, "整改期限应在今天至30天以内"),
                                  ({"due_on": "2026-12-26"}, 422, "整改期限应在今天至30天以内")):
        answer = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", fields, script=True)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], fields
    for user in (city.unit_a, city.inspector, city.leader):
        answer = browser(user).submit("/frontages/", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-28"},
                                      script=True)
        assert answer.status_code in (403, 404), user
    answer = browser(city.unit_b).submit(f"/frontages/{bank.id}", f"/frontages/{bank.id}/notices",
                                         {"due_on": "2026-11-28"}, script=True)
    assert answer.status_code == 409 and "没有待整改的门前四包问题" in answer.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(FrontageNotice)) == 0
    # on the page (no script): the form again with the date as typed, and why, beside it and at the top
    refused = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-12-26"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="notice-error">整改期限应在今天至30天以内' in html
    assert 'name="due_on" required value="2026-12-26"' in html and 'href="#notice-error"' in html

    answer = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-28"})
    assert answer.status_code == 303
    again = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-28"})
    assert again.headers["Location"] == answer.headers["Location"]  # a double click: the notice given, not a 2号
    notice = db.session.scalar(select(FrontageNotice))
    assert answer.headers["Location"].endswith(f"/frontages/{noodles.id}#notice-{notice.id}")
    assert (notice.number, notice.street_unit_id, notice.issued_by) == ("门前四包〔2026〕1号", city.street_b.id,
                                                                       city.unit_b.id)
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "已生成整改通知书 门前四包〔2026〕1号" in page and "整改期限 2026年11月28日" in page
    # 送达: when it was handed over, and who signed for it; recorded once
    assert '<span class="badge off">未登记送达</span>' in page
    url = f"/frontages/notices/{notice.id}/delivered"
    for fields, status, words in (({"received_by": "杨师傅"}, 400, "请填写送达日期"),
                                  ({"delivered_on": "2026-11-25"}, 400, "请填写签收人"),
                                  ({"delivered_on": "2026-11-25", "received_by": "杨" * 41}, 400, "不能超过40字"),
                                  ({"delivered_on": "2026-11-24", "received_by": "杨师傅"}, 422, "送达日期应在"),
                                  ({"delivered_on": "2026-11-26", "received_by": "杨师傅"}, 422, "送达日期应在")):
        answer = street.submit(f"/frontages/{noodles.id}", url, fields, script=True)
        assert answer.status_code == status and words in answer.get_json()["error"]["message"], fields
    assert browser(city.unit_a).submit("/frontages/", url, {"delivered_on": "2026-11-25", "received_by": "杨师傅"},
                                       script=True).status_code == 404
    refused = street.submit(f"/frontages/{noodles.id}", url, {"delivered_on": "2026-11-26", "received_by": "张三"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'id="deliver-{notice.id}-error">送达日期应在' in html
    assert 'name="delivered_on" required value="2026-11-26"' in html and 'maxlength="40" value="张三"' in html
    answer = street.submit(f"/frontages/{noodles.id}", url, {"delivered_on": "2026-11-25", "received_by": "杨师傅"})
    assert answer.status_code == 303
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "已登记送达：门前四包〔2026〕1号，杨师傅。" in page and "2026年11月25日送达，杨师傅" in page
    answer = street.submit(f"/frontages/{noodles.id}", url, {"delivered_on": "2026-11-25", "received_by": "拒收"},
                           script=True)
    assert answer.status_code == 409 and "已登记送达（11月25日，杨师傅）" in answer.get_json()["error"]["message"]
    pdf = street.get(f"/frontages/notices/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for words in (city.street_b.name, "门前四包〔2026〕1号", "门前四包责任整改通知书", "老杨家米粉店：",
                  "你店（建设路18号）门前责任区内存在以下2处问题，未履行包环境卫生", first.number,
                  second.number, "请于2026年11月28日前整改完毕", "通报曝光", "2026年11月25日"):
        assert words in text, words
    assert old.number not in text and put_right.number not in text  # closed, or put right: not named
    # numbered on per street; another street's count is its own (one open notice a shop: see the test below)
    file_against(city, tea, now - timedelta(days=1))
    browser(city.admin).submit(f"/frontages/{tea.id}", f"/frontages/{tea.id}/notices", {"due_on": "2026-11-27"})
    numbers = {(n.frontage_id, n.number) for n in db.session.scalars(select(FrontageNotice))}
    assert numbers == {(noodles.id, "门前四包〔2026〕1号"), (tea.id, "门前四包〔2026〕1号")}
    assert browser(city.unit_a).get(f"/frontages/notices/{notice.id}.pdf").status_code == 404  # another street's
    assert browser(city.leader).get(f"/frontages/notices/{notice.id}.pdf").status_code == 200
    offenders = street.get("/frontages/offenders").get_data(as_text=True)
    assert f'href="/frontages/{noodles.id}#notices">1 份</a>' in offenders
    # the API: the frontage's notices, and giving one
    body = api.get(f"/api/v1/frontages/{noodles.id}", city.unit_b).get_json()
    assert [(n["number"], n["due_on"], n["tickets"], n["received_by"]) for n in body["notices"]] == [
        ("门前四包〔2026〕1号", "2026-11-28", 2, "杨师傅")]
    assert api.post(f"/api/v1/frontages/notices/{notice.id}/delivered", city.unit_b,
                    json={"delivered_on": "2026-11-25", "received_by": "拒收"}).get_json()["error"]["code"] == \
        "already_delivered"
    assert body["notices"][0]["pdf"] == f"/frontages/notices/{notice.id}.pdf"
    assert api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_a, json={"due_on": "2026-12-01"}) \
        .status_code == 404
    answer = api.post(f"/api/v1/frontages/{bank.id}/notices", city.unit_b, json={"due_on": "2026-12-01"})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "no_open_problems"
    # the date passes with the problems still open: 逾期未整改, on the frontage's page and the offenders list
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert '<span class="badge waited">待整改 2 件</span>' in page and "逾期未整改" not in page
    clock.stop(now + timedelta(days=4))  # the 29th: past the notice's date (the 28th)
    street = browser(city.unit_b)
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert '<span class="badge overdue">逾期未整改 2 件</span>' in page
    assert '#notices">1 份</a> <span class="badge overdue">逾期未整改</span>' in street.get("/frontages/offenders") \
        .get_data(as_text=True)
    # its date passed, a new notice may be given: numbered on
    answer = api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_b, json={"due_on": "2026-12-01"})
    assert answer.status_code == 201 and answer.get_json()["number"] == "门前四包〔2026〕2号"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target.like("门前四包整改通知书%"))
                                 .order_by(AuditEntry.id)).all()
    assert len(entries) == 4 and "门前四包整改通知书 门前四包〔2026〕1号 · 老杨家米粉店" in entries[0].target
    assert any("签收人" in (e.detail or "") and "杨师傅" in e.detail for e in entries)
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert page.count('<span class="badge waited">待整改 2 件</span>') == 1  # the new one, due the 1st
    services.rectify(city.unit_b, first, now + timedelta(days=4), "已清理", [processed("gps_DSCN0010.jpg")])
    db.session.commit()
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert '<span class="badge overdue">逾期未整改 1 件</span>' in page


def test_a_shop_is_given_one_open_notice_at_a_time(api, browser, city, register, now, clock):
    """Walker: a second numbered notice was given while the first was pending and undelivered: two numbers and two
    dates for the same problems. Refused (409, naming the open notice and what to do), on the page and in the API,
    nothing written; the page offers no form then. Once its problems are put right, or its date has passed, a new
    one may be given."""
    from inspect_app.frontages.models import FrontageNotice

    noodles = register[0]
    first, _ = (file_against(city, noodles, now - timedelta(days=d)) for d in (2, 1))
    clock.stop(now)
    street = browser(city.unit_b)
    assert street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices",
                         {"due_on": "2026-11-28"}).status_code == 303
    again = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-30"},
                          script=True)  # a page left open: another date
    message = again.get_json()["error"]["message"]
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "notice_open"
    assert "整改通知书门前四包〔2026〕1号（整改期限2026年11月28日）尚未办结" in message and "请先送达并登记送达" in message
    refused = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-30"})
    assert refused.status_code == 303 and refused.location.endswith(f"/frontages/{noodles.id}")  # back, saying why
    assert "1号（整改期限2026年11月28日）尚未办结" in street.get(refused.location).get_data(as_text=True)
    answer = api.post(f"/api/v1/frontages/{noodles.id}/notices", city.admin, json={"due_on": "2026-12-01"})
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "notice_open"
    assert db.session.scalar(select(func.count()).select_from(FrontageNotice)) == 1
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "整改通知书门前四包〔2026〕1号尚未办结（整改期限2026年11月28日，尚未登记送达）" in page
    assert 'class="form notice-form"' not in page
    notice = db.session.scalar(select(FrontageNotice))
    assert api.post(f"/api/v1/frontages/notices/{notice.id}/delivered", city.unit_b,
                    json={"delivered_on": "2026-11-25", "received_by": "杨师傅"}).status_code == 200
    answer = api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_b, json={"due_on": "2026-12-01"})
    assert answer.status_code == 409 and "请先送达" not in answer.get_json()["error"]["message"]  # delivered: wait
    # put right: closed, a new problem gets a new notice
    for ticket in noodles_open(noodles):
        services.rectify(city.unit_b, ticket, now, "已清理", [processed("gps_DSCN0010.jpg")])
    db.session.commit()
    file_against(city, noodles, now - timedelta(minutes=5))
    answer = api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_b, json={"due_on": "2026-12-01"})
    assert answer.status_code == 201 and answer.get_json()["number"] == "门前四包〔2026〕2号"
    # its date passed (served or not): a new one may be given
    clock.stop(now + timedelta(days=7))  # 12月2日
    answer = api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_b, json={"due_on": "2026-12-04"})
    assert answer.status_code == 201 and answer.get_json()["number"] == "门前四包〔2026〕3号"
    assert first.id not in [t["ticket_id"] for t in answer.get_json()["problems"]]  # put right before


def noodles_open(frontage) -> list:
    from inspect_app.tickets.rules import OPEN_STATUSES

    return list(db.session.scalars(select(Ticket).where(Ticket.frontage_id == frontage.id,
                                                        Ticket.status.in_(OPEN_STATUSES))))


def pdf_words(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def test_a_given_notice_prints_again_as_given_after_the_register_changes(api, browser, city, register, now):
    """QA walk: a numbered notice was rebuilt from the register each time it printed. The shop renamed, given
    another address, number and signing date, then moved to another street, and the street office renamed with a
    new contact: the notice it was handed still prints the 主送, address, 责任书 and 落款 it was given with; a notice
    given after the change says what the register says then."""
    from inspect_app.frontages.models import FrontageNotice

    noodles = register[0]
    noodles.signed_on = date(2026, 3, 15)
    city.street_b.contact_person, city.street_b.contact_phone = "王主任", "0771-1234567"
    db.session.commit()
    file_against(city, noodles, now - timedelta(days=2))
    street = browser(city.unit_b)
    answer = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-30"})
    assert answer.status_code == 303
    notice = db.session.scalar(select(FrontageNotice))
    url = f"/frontages/notices/{notice.id}.pdf"
    given = pdf_words(street.get(url).data)
    as_given = (city.street_b.name, "老杨家米粉店：", "你店（建设路18号）门前责任区",
                "不符合2026年3月15日签订的门前四包责任书（编号JB-001）", "联系人：王主任，电话：0771-1234567")
    for words in as_given:
        assert words in given, words

    office = browser(city.admin)
    answer = office.submit(f"/frontages/{noodles.id}/edit", f"/frontages/{noodles.id}/edit", {
        "code": "JA-100", "name": "杨记米粉（总店）", "kind": "单位", "address": "人民路66号",
        "street_unit_id": str(city.street_a.id), "segment_id": str(city.seg_a.id), "signed_on": "2026-11-20",
        "contact_person": "", "contact_phone": "", "note": ""})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    city.street_b.name, city.street_b.contact_person = "临江区乙街道办事处（新）", "李主任"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Frontage, noodles.id).address == "人民路66号"

    again = office.get(url)
    text = pdf_words(again.data)
    for words in as_given:
        assert words in text, words
    for changed in ("杨记米粉", "人民路66号", "JA-100", "2026年11月20日", "你单位", "（新）", "李主任", city.street_a.name):
        assert changed not in text, changed
    from urllib.parse import unquote
    assert "_老杨家米粉店_" in unquote(again.headers["Content-Disposition"])  # the download's name too
    # a notice given now (by street A, whose shop it is now) says what the register says now
    file_against(city, db.session.get(Frontage, noodles.id), now - timedelta(hours=1))
    answer = browser(city.unit_a).submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices",
                                         {"due_on": "2026-11-30"})
    assert answer.status_code == 303
    later = db.session.scalar(select(FrontageNotice).where(FrontageNotice.id != notice.id))
    text = pdf_words(office.get(f"/frontages/notices/{later.id}.pdf").data)
    for words in (city.street_a.name, "杨记米粉（总店）：", "你单位（人民路66号）",
                  "不符合2026年11月20日签订的门前四包责任书（编号JA-100）"):
        assert words in text, words


def test_a_given_notice_keeps_its_problem_rows_and_the_api_shows_what_it_printed(api, browser, city, register, now):
    """A notice kept its 主送 and 落款 but read its problems from the tickets each time it printed: the category and
    the road renamed afterwards changed the rows of a notice already handed over. Its rows are kept as given now,
    and the API's notice shows what it printed."""
    from inspect_app.frontages.models import FrontageNotice

    noodles = register[0]
    noodles.signed_on = date(2026, 3, 15)
    db.session.commit()
    ticket = file_against(city, noodles, now - timedelta(days=2))
    street = browser(city.unit_b)
    answer = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-30"})
    assert answer.status_code == 303
    notice = db.session.scalar(select(FrontageNotice))
    given = pdf_words(street.get(f"/frontages/notices/{notice.id}.pdf").data)
    assert "门前四包" in given and "建设路西段" in given and ticket.number in given

    menqian = db.session.scalar(select(Category).where(Category.code == "menqian"))
    menqian.name, city.seg_b.name = "店外经营秩序", "建设路（西段改造）"
    db.session.commit()
    text = pdf_words(street.get(f"/frontages/notices/{notice.id}.pdf").data)
    assert "店外经营秩序" not in text and "西段改造" not in text
    assert "建设路西段" in text and ticket.number in text and "门前乱堆杂物" in text

    body = api.get(f"/api/v1/frontages/{noodles.id}", city.unit_b).get_json()["notices"][0]
    assert (body["addressee"], body["addressee_kind"], body["address"], body["frontage_code"], body["signed_on"],
            body["issuer_name"]) == ("老杨家米粉店", "商户", "建设路18号", "JB-001", "2026-03-15", city.street_b.name)
    assert body["tickets"] == 1 and len(body["problems"]) == 1
    problem = body["problems"][0]
    assert (problem["ticket_id"], problem["number"], problem["category"], problem["description"]) == \
        (ticket.id, ticket.number, "门前四包", "门前乱堆杂物")
    assert "建设路西段" in problem["place"] and problem["reported_at"].endswith("+08:00")


def test_a_shop_that_signed_no_agreement_is_held_to_its_duty_and_named_only_once_served(api, browser, city, register,
                                                                                       now, clock):
    """QA walk: a shop marked 未签订 got a notice citing "门前四包责任书（编号…）" and "按照责任书的约定予以通报曝光",
    and the office's 通报 named for 曝光 as 逾期仍未整改, "依照门前四包责任书的约定", a shop that had signed none
    and whose notice was never recorded as delivered. Now the notice of a shop with no 责任书 rests on the 门前四包
    duty under the city's 市容和环境卫生责任区 rules and asks it to sign one; the 通报 names for 曝光 only shops
    whose notice was delivered by its date, each on what binds it, and asks the street to serve the others first."""
    from inspect_app.frontages.models import FrontageNotice

    noodles, bank, tea = register  # noodles: no 责任书; bank: signed; tea: street A's, no 责任书
    bank.signed_on = date(2026, 4, 1)
    db.session.commit()
    for frontage in (noodles, bank, tea):
        for days in (3, 2, 1):
            file_against(city, frontage, now - timedelta(days=days))
    clock.stop(now)
    for user, frontage in ((city.unit_b, noodles), (city.unit_b, bank), (city.unit_a, tea)):
        answer = browser(user).submit(f"/frontages/{frontage.id}", f"/frontages/{frontage.id}/notices",
                                      {"due_on": "2026-11-27"})
        assert answer.status_code == 303
    given = {n.frontage_id: n for n in db.session.scalars(select(FrontageNotice))}
    page = browser(city.unit_b).get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "该商户尚未签订门前四包责任书：通知书依照本市市容和环境卫生责任区管理的有关规定" in page
    assert "尚未签订门前四包责任书" not in browser(city.unit_b).get(f"/frontages/{bank.id}").get_data(as_text=True)

    text = pdf_words(browser(city.unit_b).get(f"/frontages/notices/{given[noodles.id].id}.pdf").data)
    for words in ("老杨家米粉店：", "你店（建设路18号）门前责任区内存在以下3处问题，未履行包环境卫生、包秩序、包绿化（设施）、"
                  "包市容的门前四包责任，不符合本市市容和环境卫生责任区管理的有关规定：",
                  "逾期未整改或整改后反复出现的，将予以通报曝光，并依法依规处理。"):
        assert words in text, words
    assert "责任书（编号" not in text and "责任书的约定" not in text
    text = pdf_words(browser(city.unit_b).get(f"/frontages/notices/{given[bank.id].id}.pdf").data)
    assert "你单位（建设路20号）门前责任区内存在以下3处问题，不符合2026年4月1日签订的门前四包责任书（编号JB-002）" in text
    assert "将按照责任书的约定予以通报曝光" in text and "尚未签订" not in text

    # 送达: noodles and bank in time; tea's notice never recorded as delivered
    for frontage in (noodles, bank):
        answer = api.post(f"/api/v1/frontages/notices/{given[frontage.id].id}/delivered", city.unit_b,
                          json={"delivered_on": "2026-11-25", "received_by": "店主"})
        assert answer.status_code == 200
    clock.stop(now + timedelta(days=5))  # the 30th: every notice past its date, the problems still open
    listing = browser(city.admin).get("/frontages/offenders").get_data(as_text=True)
    assert listing.count('<span class="badge overdue">逾期未整改</span>') == 2
    assert f'href="/frontages/{tea.id}#notices">1 份</a> <span class="badge off">通知书未按期送达</span>' in listing
    tea_page = browser(city.unit_a).get(f"/frontages/{tea.id}").get_data(as_text=True)
    assert "未按期送达 · 待整改 3 件" in tea_page and "逾期未整改" not in tea_page
    text = pdf_words(browser(city.admin).get("/frontages/offenders.pdf").data)
    for words in ("其中临江银行建设路支行已送达整改通知书、逾期仍未整改，要依照门前四包责任书的约定严肃处理，并予以曝光。",
                  "老杨家米粉店未签订门前四包责任书，已送达整改通知书、逾期仍未整改，要依照市容和环境卫生管理的有关规定"
                  "严肃处理，并予以曝光，同时督促其签订门前四包责任书。",
                  "人民路茶叶店的整改通知书已过整改期限，但未在期限内登记送达，暂不作逾期未整改处理",
                  "1份逾期未改", "1份未送达"):
        assert words in text, words
    assert text.count("逾期仍未整改") == 2 and "人民路茶叶店已送达" not in text
    # delivered only after its date: not told in time either
    db.session.get(FrontageNotice, given[tea.id].id).delivered_on = date(2026, 11, 29)
    db.session.commit()
    text = pdf_words(browser(city.admin).get("/frontages/offenders.pdf").data)
    assert "人民路茶叶店的整改通知书已过整改期限，但未在期限内登记送达" in text


def test_the_bulletin_names_a_shop_on_the_agreement_its_notice_cited_not_the_register_today(api, browser, city,
                                                                                            register, now, clock):
    """The office's 通报 named a shop for 曝光 on its signing as the register has it today: a shop that signed its
    责任书 only after it was given (and did not heed) a notice under the city's rules was to be dealt with "依照门前四包
    责任书的约定", and a shop that moved street, whose new street has it signed nothing yet, was "未签订门前四包责任书"
    under its old street, which had held it to the 责任书 it signed there. Each is now named on what its notice
    cited (the 责任书 as it stood when the notice was given, kept with it)."""
    from inspect_app.frontages.models import FrontageNotice

    noodles, bank, _ = register  # noodles: no 责任书 when told; bank: signed, then moved to street A
    bank.signed_on = date(2026, 4, 1)
    db.session.commit()
    for frontage in (noodles, bank):
        for days in (3, 2, 1):
            file_against(city, frontage, now - timedelta(days=days))
    clock.stop(now)
    for frontage in (noodles, bank):
        answer = api.post(f"/api/v1/frontages/{frontage.id}/notices", city.unit_b, json={"due_on": "2026-11-27"})
        assert answer.status_code == 201
        answer = api.post(f"/api/v1/frontages/notices/{answer.get_json()['id']}/delivered", city.unit_b,
                          json={"delivered_on": "2026-11-25", "received_by": "店主"})
        assert answer.status_code == 200
    assert {n.frontage_id: n.signed_on for n in db.session.scalars(select(FrontageNotice))} \
        == {noodles.id: None, bank.id: date(2026, 4, 1)}
    noodles.signed_on = date(2026, 11, 28)  # signed after its notice, its problems still open
    bank.street_unit, bank.signed_on = city.street_a, None  # moved: nothing signed with street A yet
    db.session.commit()
    clock.stop(now + timedelta(days=5))
    text = pdf_words(browser(city.admin).get("/frontages/offenders.pdf").data)
    for words in ("其中临江银行建设路支行已送达整改通知书、逾期仍未整改，要依照门前四包责任书的约定严肃处理，并予以曝光。",
                  "老杨家米粉店下达整改通知书时尚未签订门前四包责任书，已送达整改通知书、逾期仍未整改，要依照市容和环境卫生"
                  "管理的有关规定严肃处理，并予以曝光。"):
        assert words in text, words
    assert "督促其签订" not in text and text.count("逾期仍未整改") == 2


def test_a_notice_gives_the_description_the_width(app, browser, city, register, now):
    """QA print walk: 地点及情况 was about 10 characters wide beside 问题编号, 发现时间 and a mostly empty 照片 column,
    so seven problems of 150 characters ran to four pages (one of twelve long ones to fourteen). The description
    column now takes the width: the same problems (150 characters each with the place) take two pages."""
    import io

    from pypdf import PdfReader

    noodles = register[0]
    text = "店门口摆放水果摊位和纸箱，占用人行道约两米，行人需绕行至机动车道，存在安全隐患。" * 3  # 117 characters
    tickets = []
    for k in range(7):
        ticket, _ = services.create_ticket(city.inspector, services.NewReport(
            category="menqian", photos=[processed()], frontage_id=noodles.id, description=f"第{k + 1}次：{text}"),
            now - timedelta(hours=10 - k))
        tickets.append(ticket)
    db.session.commit()
    street = browser(city.unit_b)
    answer = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/notices", {"due_on": "2026-11-30"})
    assert answer.status_code == 303
    from inspect_app.frontages.models import FrontageNotice
    notice = db.session.scalar(select(FrontageNotice))
    data = street.get(f"/frontages/notices/{notice.id}.pdf").data
    pages = ["".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) <= 3, len(pages)  # was 4
    table = "".join(pages[:2])  # the seven problems on two pages (the 落款 may follow on a third)
    assert all(t.number in table for t in tickets) and table.count(text[:20]) == 21


def test_a_shop_moved_to_another_street_leaves_its_problems_and_notices_with_the_old_one(api, browser, city, register,
                                                                                         now, clock):
    """The import moves a shop with open problems and a notice to another street: the preview says they stay; the
    old street still reads the shop, its problems and its notice and records the 送达; the new street counts none
    of them (no repeat-offender badge, no list entry, no notice of another street, no 送达 of it); the office's
    通报 does not tell the new street to put right what was found at the old address. Those problems were on no
    street's offenders list nor in the 通报: they count for the street they were found in, the old one."""
    from inspect_app.frontages.models import FrontageNotice

    noodles = register[0]
    tickets = [file_against(city, noodles, now - timedelta(days=d)) for d in (5, 3, 1)]
    clock.stop(now)
    assert api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_b,
                    json={"due_on": (now + timedelta(days=3)).date().isoformat()}).status_code == 201
    notice = db.session.scalar(select(FrontageNotice))
    row = [HEAD, ["JB-001", "老杨家米粉店", "商户", "人民路66号", "JDA", "人民路东段", "", "", "", ""]]
    preview = upload(api, city.admin, csv_bytes(row), dry_run=True).get_json()["rows"][0]
    assert preview["action"] == "change", preview
    assert "3件未办结的门前四包问题、整改通知书门前四包〔2026〕1号" in preview["message"]
    assert f"迁移后仍由{city.street_b.name}跟进办结" in preview["message"]
    assert upload(api, city.admin, csv_bytes(row)).get_json()["changed"] == 1

    old, new = browser(city.unit_b), browser(city.unit_a)
    page = old.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "该商户现由甲街道办事处负责" in page and all(t.number in page for t in tickets)
    assert notice.number in page and "近90天已有 3 次门前四包问题（迁出前在本街道发现），列入本街道屡次违反名单" in page
    assert old.get(f"/frontages/notices/{notice.id}.pdf").status_code == 200
    assert api.get(f"/api/v1/frontages/{noodles.id}", city.unit_b).get_json()["recent_problems"] == 3

    page = new.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "列入屡次违反名单" not in page and notice.number not in page and "共 0 件，近90天 0 件" in page
    body = api.get(f"/api/v1/frontages/{noodles.id}", city.unit_a).get_json()
    assert (body["recent_problems"], body["tickets"], body["notices"]) == (0, [], [])
    assert new.get(f"/frontages/notices/{notice.id}.pdf").status_code == 404
    answer = api.post(f"/api/v1/frontages/notices/{notice.id}/delivered", city.unit_a,
                      json={"delivered_on": now.date().isoformat(), "received_by": "杨师傅"})
    assert answer.status_code == 404
    assert api.get("/api/v1/frontages/offenders", city.unit_a).get_json()["items"] == []  # the new street's list
    for user in (city.unit_b, city.admin):  # the old street's, the office's: under the old street
        items = api.get("/api/v1/frontages/offenders", user).get_json()["items"]
        assert [(o["frontage"]["id"], o["frontage"]["street_unit"]["id"], o["street_unit"]["id"], o["problems"])
                for o in items] == [(noodles.id, city.street_a.id, city.street_b.id, 3)], user
    listing = old.get("/frontages/offenders").get_data(as_text=True)
    assert f"{city.street_b.name} <small class=\"muted\">（商户已迁至{city.street_a.name}）</small>" in listing
    assert f'href="/frontages/{noodles.id}#notices">1 份</a>' in listing  # the notice the old street gave
    assert "老杨家米粉店" not in new.get("/frontages/offenders").get_data(as_text=True)
    bulletin = pdf_words(browser(city.admin).get("/frontages/offenders.pdf").data)
    assert "近90天内有1家商户" in bulletin and "商户已迁出" in bulletin and "老杨家米粉店" in bulletin
    assert f"请{city.street_b.name}督促上述商户" in bulletin and f"请{city.street_a.name}" not in bulletin
    office = browser(city.admin).get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "其中 3 件不由甲街道办事处跟进" in office and "近90天 0 件" in office
    assert "门前四包〔2026〕1号</a> <small class=\"muted\">" in office and "乙街道办事处（商户迁入前）" in office

    answer = api.post(f"/api/v1/frontages/notices/{notice.id}/delivered", city.unit_b,
                      json={"delivered_on": now.date().isoformat(), "received_by": "杨师傅"})
    assert answer.status_code == 200 and answer.get_json()["received_by"] == "杨师傅"
    # the new street has nothing of its own to give a notice for, as its page says
    answer = api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_a,
                      json={"due_on": (now + timedelta(days=3)).date().isoformat()})
    assert answer.status_code == 409 and "目前没有待整改的门前四包问题" in page
    # a problem found at the new address counts for the new street
    for days in (2, 1, 0):
        file_against(city, noodles, now - timedelta(days=days, hours=1))
    assert [o["frontage"]["id"] for o in api.get("/api/v1/frontages/offenders", city.unit_a).get_json()["items"]] \
        == [noodles.id]
    items = api.get("/api/v1/frontages/offenders", city.admin).get_json()["items"]
    assert sorted((o["street_unit"]["id"], o["problems"]) for o in items) == sorted([(city.street_a.id, 3),
                                                                                    (city.street_b.id, 3)])
    assert "近90天已有 3 次门前四包问题" in new.get(f"/frontages/{noodles.id}").get_data(as_text=True)


def test_a_moved_shops_row_under_its_old_street_shows_the_address_it_had_there(api, browser, city, register, now,
                                                                               clock):
    """Walker: on the offenders list and in the 通报, a moved shop's row under its old street showed its new address.
    It shows the address it had there: the register's then, as the latest notice that street gave it printed it, or,
    with no notice, where its latest problem there was found (the ticket's address as filed, 门前 aside)."""
    noodles, bank, _ = register
    for days in (5, 3, 1):
        file_against(city, noodles, now - timedelta(days=days))
        services.create_ticket(city.inspector, services.NewReport(
            category="menqian", photos=[processed()], frontage_id=bank.id, description="门前乱停车",
            address="建设路20号东侧人行道"), now - timedelta(days=days, hours=1))
    db.session.commit()
    clock.stop(now)
    assert api.post(f"/api/v1/frontages/{bank.id}/notices", city.unit_b,
                    json={"due_on": (now + timedelta(days=3)).date().isoformat()}).status_code == 201
    rows = [HEAD, ["JB-001", "老杨家米粉店", "商户", "人民路66号", "JDA", "人民路东段", "", "", "", ""],
            ["JB-002", "临江银行建设路支行", "单位", "人民路68号", "JDA", "人民路东段", "", "", "", ""]]
    assert upload(api, city.admin, csv_bytes(rows)).get_json()["changed"] == 2
    items = api.get("/api/v1/frontages/offenders", city.unit_b).get_json()["items"]
    assert sorted((o["frontage"]["name"], o["address"], o["frontage"]["address"]) for o in items) == [
        ("临江银行建设路支行", "建设路20号", "人民路68号"), ("老杨家米粉店", "建设路18号", "人民路66号")]
    listing = browser(city.unit_b).get("/frontages/offenders").get_data(as_text=True)
    assert '<td data-label="地址">建设路18号</td>' in listing and '<td data-label="地址">建设路20号</td>' in listing
    assert "人民路66号" not in listing and "人民路68号" not in listing
    bulletin = pdf_words(browser(city.admin).get("/frontages/offenders.pdf").data)
    assert "建设路18号" in bulletin and "建设路20号" in bulletin and "人民路6" not in bulletin


def test_a_moved_shop_opened_from_its_old_streets_register_shows_the_address_it_had_there(api, browser, city,
                                                                                          register, now, clock):
    """Walker: the old street's clerk, following a link from its offenders list, saw the shop's new address under
    its new street. Its page shows the shop as it was under that street (the address its latest notice there
    printed, as the offenders list has it) and says it has moved; the new street and the office see the new one."""
    noodles = register[0]
    for days in (5, 3, 1):
        file_against(city, noodles, now - timedelta(days=days))
    clock.stop(now)
    assert api.post(f"/api/v1/frontages/{noodles.id}/notices", city.unit_b,
                    json={"due_on": (now + timedelta(days=3)).date().isoformat()}).status_code == 201
    row = [HEAD, ["JB-001", "老杨家米粉店", "商户", "人民路66号", "JDA", "人民路东段", "", "", "", ""]]
    assert upload(api, city.admin, csv_bytes(row)).get_json()["changed"] == 1

    page = browser(city.unit_b).get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert "<dd>建设路18号<br>" in page and "人民路66号" not in page and "人民路东段" not in page
    assert f"{city.street_b.name} <small class=\"muted\">（商户已迁至{city.street_a.name}）</small>" in page
    body = api.get(f"/api/v1/frontages/{noodles.id}", city.unit_b).get_json()
    assert body["former"] == {"street_unit": {"id": city.street_b.id, "name": city.street_b.name},
                              "address": "建设路18号"}
    assert body["address"] == "人民路66号"  # its register entry, as before
    for user in (city.unit_a, city.admin):  # its street now, the office: the register as it is
        page = browser(user).get(f"/frontages/{noodles.id}").get_data(as_text=True)
        assert "<dd>人民路66号<br>" in page and "<dd>建设路18号" not in page and "商户已迁至" not in page
        assert api.get(f"/api/v1/frontages/{noodles.id}", user).get_json()["former"] is None


def test_a_retired_shop_is_marked_on_the_offenders_list_and_left_out_of_the_bulletin(api, browser, city, register,
                                                                                     now):
    """停用 asks first and says what becomes of the shop's open problems; the retired shop stays on the offenders
    list marked 已停用 (last), and the office's 通报, which asks for it to be put right in 5 working days and
    exposed, leaves it out; two shops of one name in the 通报's 逾期 sentence are told apart by their address."""
    import io

    from pypdf import PdfReader

    from inspect_app.frontages import bulletin
    from inspect_app.frontages.services import Offender

    noodles, bank, tea = register
    for days in (3, 2, 1):
        file_against(city, noodles, now - timedelta(days=days))
        file_against(city, tea, now - timedelta(days=days, hours=2))
    street = browser(city.unit_b)
    page = street.get(f"/frontages/{noodles.id}").get_data(as_text=True)
    assert 'data-confirm="确认停用“老杨家米粉店”（停业或搬迁）？' in page
    assert "如停用该商户：其尚未办结的 3 件问题不会撤销，仍由本街道跟进办结" in page
    answer = street.submit(f"/frontages/{noodles.id}", f"/frontages/{noodles.id}/retire", {})
    assert answer.status_code in (302, 303)
    assert "其尚未办结的 3 件问题不会撤销" in street.get(answer.headers["Location"]).get_data(as_text=True)

    listing = browser(city.admin).get("/frontages/offenders").get_data(as_text=True)
    assert listing.index("人民路茶叶店") < listing.index("老杨家米粉店") and '<span class="badge off">已停用</span>' in listing
    items = api.get("/api/v1/frontages/offenders", city.admin).get_json()["items"]
    assert [(o["frontage"]["name"], o["frontage"]["active"]) for o in items] == [("人民路茶叶店", True),
                                                                                ("老杨家米粉店", False)]
    pdf = browser(city.admin).get("/frontages/offenders.pdf")
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "人民路茶叶店" in text and "近90天内有1家商户" in text and "老杨家米粉店" not in text
    # street B's only offender is closed: no 通报 button on its list for the office, an old link says why
    tea.active = False
    db.session.commit()
    office = browser(city.admin)
    assert "生成通报" not in office.get("/frontages/offenders").get_data(as_text=True)
    answer = office.get("/frontages/offenders.pdf")
    assert answer.status_code == 302 and "屡次违反门前四包责任的商户均已停用，无需通报" in office.get(answer.location) \
        .get_data(as_text=True)

    twin = Frontage(code="JB-009", name="老杨家米粉店", address="建设路99号", street_unit=city.street_b)
    noodles.active = True
    db.session.add(twin)
    db.session.commit()
    rows = [Offender(noodles, 3, now, 3), Offender(twin, 3, now, 3)]
    body = " ".join(getattr(block, "text", "") for block in
                    bulletin.document(rows, {}, {rows[0].key, rows[1].key}, 3, 90, now.date()).body)
    assert "老杨家米粉店（建设路18号）、老杨家米粉店（建设路99号）" in body


def test_the_bulletin_asks_the_streets_with_the_most_offenders_first(city, register, now):
    """Walker: the 通报's 工作要求 listed the streets in the order of their names. A director reads it as a ranking:
    the street with the most offenders first, then the most problems among them, ties by unit code."""
    from inspect_app.frontages import bulletin
    from inspect_app.frontages.services import Offender

    noodles, bank, tea = register  # noodles, bank: street B's (乙, JDB); tea: street A's (甲, JDA)
    shoes = Frontage(code="JA-002", name="人民路鞋店", address="人民路7号", street_unit=city.street_a)
    db.session.add(shoes)
    db.session.commit()

    def asks(rows) -> str:
        text = " ".join(getattr(block, "text", "") for block in bulletin.document(rows, {}, set(), 3, 90,
                                                                                  now.date()).body)
        return re.search(r"请(\S+?)督促上述商户", text).group(1)

    a, b = city.street_a.name, city.street_b.name
    # more offenders first, whatever the problems
    assert asks([Offender(noodles, 9, now, 0), Offender(tea, 3, now, 0), Offender(shoes, 3, now, 0)]) == f"{a}、{b}"
    # as many offenders: more problems first
    assert asks([Offender(tea, 3, now, 0), Offender(noodles, 4, now, 0)]) == f"{b}、{a}"
    # a tie: by unit code (JDA before JDB)
    assert asks([Offender(noodles, 3, now, 0), Offender(tea, 3, now, 0)]) == f"{a}、{b}"
    assert asks([Offender(noodles, 3, now, 0), Offender(bank, 3, now, 0)]) == b


def test_a_retired_shop_is_found_again_with_the_status_filter(api, browser, city, register):
    """停用 took a shop out of every search: the register's form now offers 状态 (在用 / 已停用 / 全部)."""
    noodles, bank, _ = register
    noodles.active = False
    db.session.commit()
    clerk = browser(city.unit_b)
    page = clerk.get("/frontages/").get_data(as_text=True)
    assert '<select name="status"><option value="active" selected>在用</option>' in page
    assert '<option value="retired">已停用</option><option value="all">全部</option>' in page
    assert "老杨家米粉店" not in page and "临江银行建设路支行" in page
    assert "没有符合条件的商户" in clerk.get("/frontages/?q=JB-001").get_data(as_text=True)
    retired = clerk.get("/frontages/?q=JB-001&status=retired").get_data(as_text=True)
    assert "老杨家米粉店" in retired and '<option value="retired" selected>' in retired
    every = clerk.get("/frontages/?status=all").get_data(as_text=True)
    assert "老杨家米粉店" in every and "临江银行建设路支行" in every
    assert "老杨家米粉店" in clerk.get("/frontages/?retired=1").get_data(as_text=True)  # an old link
    assert clerk.get("/frontages/?status=closed").status_code == 400
    names = [f["name"] for f in api.get("/api/v1/frontages?status=retired", city.unit_b).get_json()["items"]]
    assert names == ["老杨家米粉店"]
    assert api.get("/api/v1/frontages?status=closed", city.unit_b).status_code == 400


def test_the_register_filters_by_signing_and_road_and_a_street_office_exports_its_own(api, browser, city, register):
    """QA: a street office could not list the shops that have not signed a 责任书 (未签订), nor one road's, nor take
    its register away as a spreadsheet. The filters combine with each other, the status and the search, the page
    and the API alike; 导出名册 gives the register as filtered, its own street's shops only, formulas neutralised;
    another street's or road's id answers 404."""
    import io

    from openpyxl import load_workbook

    from inspect_app.units.models import Segment

    noodles, bank, tea = register
    bank.signed_on = date(2026, 4, 1)
    east = Segment(name="建设路东段", district="临江区", unit=city.street_b)
    trap = Frontage(code="JB-003", name='=HYPERLINK("http://example.com","点我")', kind="商户", address="+建设路1号",
                    street_unit=city.street_b, segment=east)
    db.session.add_all([east, trap])
    db.session.commit()
    clerk = browser(city.unit_b)
    page = clerk.get("/frontages/").get_data(as_text=True)
    assert f'<option value="{east.id}">临江区 · 建设路东段</option>' in page and "人民路东段" not in page
    assert '<select name="signing"><option value="">全部</option><option value="unsigned">未签订</option>' in page
    assert 'href="/frontages/export.xlsx">导出名册</a>' in page

    def names(url):
        text = clerk.get(url).get_data(as_text=True)
        return {name for name in ("老杨家米粉店", "临江银行建设路支行", "HYPERLINK", "人民路茶叶店") if name in text}

    assert names("/frontages/?signing=unsigned") == {"老杨家米粉店", "HYPERLINK"}
    assert names("/frontages/?signing=signed") == {"临江银行建设路支行"}
    assert names(f"/frontages/?signing=unsigned&segment_id={city.seg_b.id}") == {"老杨家米粉店"}
    assert names(f"/frontages/?segment_id={east.id}") == {"HYPERLINK"}
    assert names("/frontages/?signing=signed&q=米粉") == set()
    noodles.active = False
    db.session.commit()
    assert names("/frontages/?signing=unsigned") == {"HYPERLINK"}
    assert names("/frontages/?signing=unsigned&status=retired") == {"老杨家米粉店"}
    items = api.get(f"/api/v1/frontages?signing=unsigned&segment_id={city.seg_b.id}&status=all",
                    city.unit_b).get_json()["items"]
    assert [f["name"] for f in items] == ["老杨家米粉店"]
    assert api.get("/api/v1/frontages?signing=maybe", city.unit_b).status_code == 400
    assert clerk.get("/frontages/?signing=maybe").status_code == 400

    # another street's (or no such) street or road: 404, on the page, in the API and the export
    for url in (f"/frontages/?street_unit_id={city.street_a.id}", f"/frontages/?segment_id={city.seg_a.id}",
                f"/frontages/export.xlsx?segment_id={city.seg_a.id}",
                f"/frontages/export.xlsx?street_unit_id={city.street_a.id}", "/frontages/export.xlsx?segment_id=99999"):
        assert clerk.get(url).status_code == 404, url
    assert api.get(f"/api/v1/frontages/export.xlsx?street_unit_id={city.street_a.id}", city.unit_b).status_code == 404
    assert api.get("/api/v1/frontages?segment_id=99999", city.admin).status_code == 404

    def sheet(response):
        assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
        return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()]

    rows = sheet(clerk.get("/frontages/export.xlsx?status=all"))
    assert rows[0] == ["编号", "名称", "类型", "地址", "所属街道", "责任路段", "责任书", "签订日期", "联系人", "联系电话",
                       "状态", "近90天问题"]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {"JB-001", "JB-002", "JB-003"}  # never street A's 人民路茶叶店
    assert by_code["JB-003"][1] == "'" + trap.name and by_code["JB-003"][3] == "'+建设路1号"
    assert by_code["JB-002"][5:8] == ["临江区/建设路西段", "已签订", "2026-04-01"]
    assert by_code["JB-001"][6] == "未签订" and by_code["JB-001"][10] == "已停用"
    rows = sheet(api.get(f"/api/v1/frontages/export.xlsx?signing=unsigned&segment_id={east.id}", city.unit_b))
    assert [row[0] for row in rows[1:]] == ["JB-003"]
    assert {row[0] for row in sheet(browser(city.admin).get("/frontages/export.xlsx"))[1:]} == {"JB-002", "JB-003",
                                                                                                "JA-001"}
    assert sheet(browser(city.unit_a).get("/frontages/export.xlsx"))[1:] == [
        ["JA-001", "人民路茶叶店", "商户", "人民路5号", city.street_a.name, "江城区/人民路东段", "未签订", None, None,
         None, "在用", 0]]


@pytest.mark.parametrize("many", [1_000, pytest.param(32_767, marks=pytest.mark.slow)])  # old builds' 999; 32766
def test_the_register_export_counts_problems_for_more_shops_than_a_statement_may_bind(browser, city, register, now,
                                                                                     clock, many):
    """导出名册 counted each listed shop's recent problems with one query naming every listed id, a bound parameter
    each: a city register of tens of thousands of shops passes SQLite's limit (32766 on modern builds, 999 on old
    ones; the export then fails) and makes PostgreSQL parse a huge IN list. The counts are now joined in, grouped
    over the same filter: no statement binds a parameter per shop, and the counts are the same. (With 32767 shops
    the export takes seconds: marked slow; the 1000 shops' run fails the same way without the join.)"""
    import csv
    import io

    from conftest import sql_sent
    from sqlalchemy import insert

    noodles, bank, tea = register
    for days in (3, 2):
        file_against(city, noodles, now - timedelta(days=days))
    file_against(city, noodles, now - timedelta(days=120))  # before the 90 days
    file_against(city, bank, now - timedelta(days=1), status_after="cancel")  # voided
    file_against(city, tea, now - timedelta(days=1))
    db.session.execute(insert(Frontage), [{"code": f"ZB-{k:05d}", "name": f"商户{k:05d}", "kind": "商户",
                                           "address": f"建设路{k}号", "street_unit_id": city.street_b.id}
                                          for k in range(many)])
    db.session.commit()
    clock.stop(now)

    def export(user, query=""):
        with sql_sent() as sent:
            answer = browser(user).get(f"/frontages/export.csv?encoding=utf-8{query}")
        assert answer.status_code == 200
        widest = max(len(parameters or ()) for _, parameters in sent)
        assert widest < 999, widest
        rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
        return {row[0]: row[-1] for row in rows[1:]}

    counts = export(city.admin)
    assert len(counts) == many + 3
    assert (counts["JB-001"], counts["JB-002"], counts["JA-001"], counts["ZB-00000"]) == ("2", "0", "1", "0")
    assert set(counts.values()) == {"0", "1", "2"}
    counts = export(city.unit_b, "&q=米粉")  # a street office's, filtered: its own shops only
    assert counts == {"JB-001": "2"}


def test_a_street_office_prints_the_agreement_for_a_shop_to_sign(browser, city, register, tmp_path):
    """QA: there was no 门前四包责任书 to print. The shop's page links it for its street office (and the office): one
    A4 page with the shop, its address, the four duties as the city words them, the street office, room for both
    signatures and the date, and the signing status; the longest name and address still fit the page."""
    import io
    import shutil
    import subprocess

    from pypdf import PdfReader

    from inspect_app.frontages.models import DUTY_ITEMS

    noodles, bank, tea = register
    bank.signed_on = date(2026, 4, 1)
    db.session.commit()
    clerk = browser(city.unit_b)
    assert f'href="/frontages/{noodles.id}/agreement.pdf">打印责任书</a>' in clerk.get(f"/frontages/{noodles.id}") \
        .get_data(as_text=True)
    assert "打印责任书" not in browser(city.inspector).get(f"/frontages/{noodles.id}").get_data(as_text=True)
    answer = clerk.get(f"/frontages/{noodles.id}/agreement.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(answer.data)).pages) == 1
    text = pdf_words(answer.data)
    for words in ("门前四包责任书", "编号：JB-001", "签订状态：未签订", f"甲方（街道办事处）：{city.street_b.name}",
                  "乙方（商户）：老杨家米粉店", "门前责任区：建设路18号（临江区建设路西段）门前", "杨师傅13800000001",
                  *(f"{n}．{duty}：{words}" for n, (duty, words) in enumerate(DUTY_ITEMS, 1)),
                  f"甲方（盖章）：{city.street_b.name}", "乙方（签字或盖章）：老杨家米粉店", "负责人（签字）：", "日期：年月日",
                  "打印日期：2026年11月25日"):
        assert words in text, words
    text = pdf_words(clerk.get(f"/frontages/{bank.id}/agreement.pdf").data)
    assert "签订状态：已于2026年4月1日签订（本件为补打）" in text and "乙方（单位）：临江银行建设路支行" in text
    assert clerk.get(f"/frontages/{tea.id}/agreement.pdf").status_code == 404  # another street's shop
    assert browser(city.admin).get(f"/frontages/{tea.id}/agreement.pdf").status_code == 200

    noodles.name, noodles.address = "老杨家米粉店（建设路西段分店）" * 6 + "老杨家米粉店老杨", "建设路十八号附一号" * 22 + "附楼"
    noodles.contact_person = "杨师傅杨师傅杨师傅"
    db.session.commit()
    data = clerk.get(f"/frontages/{noodles.id}/agreement.pdf").data
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_words(data)
    assert noodles.address in text and "日期：年月日" in text and DUTY_ITEMS[3][1] in text
    if shutil.which("pdftoppm"):  # the page drawn: Chinese shows as glyphs, not empty boxes
        (tmp_path / "agreement.pdf").write_bytes(answer.data)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(tmp_path / "agreement.pdf"), str(tmp_path / "page")],
                       check=True)
        assert len(list(tmp_path.glob("page*.png"))) == 1


def test_a_shop_moved_to_another_street_has_signed_no_agreement_with_it(api, browser, city, register, now):
    """Walker: a signed shop moved to another street kept its signing date: the new street's register showed it
    已签订 and its 责任书 printed “已于…签订（本件为补打）” with the new street as 甲方, which never signed it. It counts
    as signed only with the street it signed with (badge, filters, export, API, 责任书, a notice given now); the form
    says it is to sign a new 责任书 with its new street; its page and the API keep the old signing; a new date signs
    with the new street."""
    import io

    from openpyxl import load_workbook

    _, bank, _ = register
    bank.signed_on = date(2026, 3, 13)
    db.session.commit()
    admin, clerk = browser(city.admin), browser(city.unit_a)
    edit = f"/frontages/{bank.id}/edit"
    assert "改为其他街道的，原责任书不随迁移，需与新街道重新签订" in admin.get(edit).get_data(as_text=True)
    typed = {"code": bank.code, "name": bank.name, "kind": "单位", "address": "人民路30号",
             "street_unit_id": str(city.street_a.id), "segment_id": str(city.seg_a.id), "signed_on": "2026-03-13"}
    response = admin.submit(edit, edit, typed)
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert (f"该单位已于2026-03-13与{city.street_b.name}签订门前四包责任书，迁至{city.street_a.name}后需与"
            f"{city.street_a.name}重新签订责任书（原签订记录保留），在此之前按未签订计。") in page
    assert f"曾于2026年3月13日与{city.street_b.name}签订；迁至{city.street_a.name}后尚未与其重新签订" in page
    assert (bank.signed_on, bank.signed_with_unit_id, bank.signed) == (date(2026, 3, 13), city.street_b.id, False)

    def names(url):
        text = clerk.get(url).get_data(as_text=True)
        return {name for name in ("临江银行建设路支行", "人民路茶叶店") if name in text}

    assert names("/frontages/?signing=signed") == set()
    assert names("/frontages/?signing=unsigned") == {"临江银行建设路支行", "人民路茶叶店"}
    row = re.search(r"临江银行建设路支行.*?</tr>", clerk.get("/frontages/").get_data(as_text=True), re.S).group(0)
    assert '<span class="badge off">未签订</span>' in row and "签订</td>" not in row
    sheet = load_workbook(io.BytesIO(clerk.get("/frontages/export.xlsx").data)).active
    assert [[c.value for c in r][6:8] for r in sheet.iter_rows() if r[0].value == "JB-002"] == [["未签订", None]]
    body = api.get(f"/api/v1/frontages/{bank.id}", city.unit_a).get_json()
    assert body["signed_on"] is None
    assert body["signed_before"] == {"signed_on": "2026-03-13",
                                     "street_unit": {"id": city.street_b.id, "name": city.street_b.name}}
    text = pdf_words(clerk.get(f"/frontages/{bank.id}/agreement.pdf").data)
    assert f"签订状态：未签订（原与{city.street_b.name}签订，迁入后需重新签订）" in text and "已于" not in text
    assert f"甲方（街道办事处）：{city.street_a.name}" in text
    assert 'name="signed_on" value=""' in clerk.get(edit).get_data(as_text=True)
    file_against(city, bank, now - timedelta(hours=1))
    notice = api.post(f"/api/v1/frontages/{bank.id}/notices", city.unit_a,
                      json={"due_on": (now + timedelta(days=3)).date().isoformat()}).get_json()
    assert notice["signed_on"] is None  # told under the city's rules, not a 责任书 it never signed here

    # saved again with the date left blank, the old signing stays on record; a new date signs with its street now
    response = clerk.submit(edit, edit, {**typed, "signed_on": ""})
    assert response.status_code == 302 and (bank.signed_on, bank.signed_with_unit_id) == (date(2026, 3, 13),
                                                                                            city.street_b.id)
    assert clerk.submit(edit, edit, {**typed, "signed_on": "2026-11-20"}).status_code == 302
    assert (bank.signed_on, bank.signed_with_unit_id, bank.signed) == (date(2026, 11, 20), city.street_a.id, True)
    assert names("/frontages/?signing=signed") == {"临江银行建设路支行"}
    assert "签订状态：已于2026年11月20日签订（本件为补打）" in pdf_words(clerk.get(f"/frontages/{bank.id}/agreement.pdf").data)


def test_the_import_moving_a_signed_shop_says_it_is_to_sign_with_its_new_street(api, city, register):
    """Walker: the import moved a signed shop with its signing date. The preview says it is to sign a new 责任书 with
    its new street; the sheet's date (the one it signed with the old street) stays the old street's; the export
    leaves it blank, and importing that back changes nothing; a new date is a signing with the new street."""
    _, bank, _ = register
    bank.signed_on = date(2026, 3, 13)
    db.session.commit()
    row = [HEAD, ["JB-002", "临江银行建设路支行", "单位", "人民路30号", "JDA", "人民路东段", "2026-03-13", "", "", ""]]
    preview = upload(api, city.admin, csv_bytes(row), dry_run=True).get_json()["rows"][0]
    assert (f"注意：该单位已于2026-03-13与{city.street_b.name}签订门前四包责任书，迁至{city.street_a.name}后需与"
            f"{city.street_a.name}重新签订责任书") in preview["message"], preview
    assert "责任书签订日期" not in preview["message"].replace("签订门前四包责任书", "")
    assert upload(api, city.admin, csv_bytes(row)).get_json()["changed"] == 1
    assert (bank.street_unit_id, bank.signed_on, bank.signed_with_unit_id, bank.signed) == (
        city.street_a.id, date(2026, 3, 13), city.street_b.id, False)
    item = api.get(f"/api/v1/frontages/{bank.id}", city.unit_a).get_json()
    assert item["signed_on"] is None and item["signed_before"]["street_unit"]["id"] == city.street_b.id
    blank = [HEAD, [*row[1][:6], "", "", "", ""]]  # as the export has it now
    assert upload(api, city.admin, csv_bytes(blank), dry_run=True).get_json()["rows"][0]["action"] == "unchanged"
    signed = [HEAD, [*row[1][:6], "2026-11-20", "", "", ""]]
    assert upload(api, city.admin, csv_bytes(signed)).get_json()["changed"] == 1
    assert (bank.signed_on, bank.signed_with_unit_id, bank.signed) == (date(2026, 11, 20), city.street_a.id, True)


def test_full_width_input_is_folded_and_found_either_way(api, browser, city, register):
    """A register typed on a Chinese input method: ＪＤＢ and ＪＢ－４０１ are the codes JDB and JB-401 (not 不存在,
    not 编号不正确), the address 建设路１２０号 is stored as 建设路120号 and a search for either finds it, a name with
    an ideographic space is found without it, and the Chinese punctuation stays as written."""
    rows = [HEAD, ["ＪＢ－４０１", "华莱士（建设路店）", "商户", "建设路１２０号", "ＪＤＢ", "", "", "", "", ""],
            ["JB-402", "老杨　米粉", "商户", "建设路208号", "jdb", "", "", "", "", ""]]
    body = upload(api, city.admin, csv_bytes(rows)).get_json()
    assert body["added"] == 2, body["rows"]
    shop = db.session.scalar(select(Frontage).where(Frontage.code == "JB-401"))
    assert (shop.name, shop.address, shop.street_unit_id) == ("华莱士（建设路店）", "建设路120号", city.street_b.id)
    assert upload(api, city.admin, csv_bytes(rows)).get_json()["unchanged"] == 2  # the same sheet again: nothing
    response = browser(city.unit_b).submit("/frontages/new", "/frontages/new", {
        "code": "ＪＢ－４０３", "name": "ＫＦＣ（建设路店）", "kind": "商户", "address": "建设路２０８号",
        "street_unit_id": str(city.street_b.id), "contact_phone": "１３９００００７７７７"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    added = db.session.scalar(select(Frontage).where(Frontage.code == "JB-403"))
    assert (added.name, added.address, added.contact_phone) == ("KFC（建设路店）", "建设路208号", "13900007777")

    clerk, inspector = browser(city.unit_b), browser(city.inspector)
    for q, names in (("建设路120号", {"华莱士（建设路店）"}), ("建设路１２０号", {"华莱士（建设路店）"}),
                     ("老杨米粉", {"老杨 米粉"}), ("208号", {"老杨 米粉", "KFC（建设路店）"}),
                     ("ｋｆｃ", {"KFC（建设路店）"}), ("jb－401", {"华莱士（建设路店）"})):
        found = {f["name"] for f in inspector.get(f"/frontages/search?q={q}").get_json()}
        assert found == names, q
        listing = clerk.get(f"/frontages/?q={q}").get_data(as_text=True)
        assert all(name in listing for name in names), q
        assert {f["name"] for f in api.get(f"/api/v1/frontages?q={q}", city.unit_b).get_json()["items"]} == names, q
    from inspect_app.tickets.inputs import frontage_id
    assert frontage_id({"frontage_code": "ｊｂ－４０１"}) == shop.id


def test_the_filing_page_search_says_how_many_match(browser, city, register):
    """The picker lists 8 of up to 20: the answer says how many match in all (X-Total-Count), so the page can say
    the rest were left out and ask for more words."""
    db.session.add_all([Frontage(code=f"JB-5{n:02d}", name=f"小李米粉店{n}", address=f"建设路{n}号",
                                 street_unit=city.street_b) for n in range(25)])
    db.session.commit()
    inspector = browser(city.inspector)
    answer = inspector.get("/frontages/search?q=米粉")
    assert len(answer.get_json()) == 20 and answer.headers["X-Total-Count"] == "26"  # and 老杨家米粉店
    answer = inspector.get("/frontages/search?q=小李米粉店1")
    assert len(answer.get_json()) == 11 and answer.headers["X-Total-Count"] == "11"
    assert inspector.get("/frontages/search?q=").headers["X-Total-Count"] == "0"


def test_a_unit_that_keeps_no_register_is_told_so_not_that_the_city_has_no_shops(browser, city, register, now):
    """A city bureau (it keeps no 门前四包 register: the street offices do) that opened the register, from a shop's
    page it follows up or a link, read "没有在用的门前四包责任商户（已停用的请在“状态”中选择“已停用”查找）" and, on the
    offenders list, "近90天没有屡次违反门前四包责任的商户", while the city has both. It is now told the register is
    the street offices' and it has none of its own; a street office with no shop still reads the old words."""
    for days in (3, 2, 1):
        file_against(city, register[0], now - timedelta(days=days))
    bureau = browser(city.unit_police)
    page = bureau.get("/frontages/").get_data(as_text=True)
    assert "门前四包责任商户由所在街道办事处登记和管理，本单位没有登记的商户。" in page
    assert "没有在用的门前四包责任商户" not in page
    page = bureau.get("/frontages/offenders").get_data(as_text=True)
    assert "屡次违反名单由各街道办事处跟进，本单位没有负责的商户。" in page and "近90天没有屡次违反" not in page
    for frontage in register:
        frontage.active = False
    db.session.commit()
    page = browser(city.unit_b).get("/frontages/").get_data(as_text=True)
    assert "没有在用的门前四包责任商户（已停用的请在“状态”中选择“已停用”查找）。" in page
    assert "近90天没有屡次违反" not in browser(city.unit_b).get("/frontages/offenders").get_data(as_text=True)


def test_a_unit_that_keeps_no_register_is_told_so_when_it_exports_it(api, browser, city, register):
    """Walker: a city bureau's 导出名册 gave an empty sheet, which reads as a city without shops. The register is
    the street offices': the page offers no 导出名册 then, and the export (page and API) says so (404 no_register),
    as the register page does; a street office, the office and a leader still export it."""
    bureau = browser(city.unit_police)
    assert "导出名册" not in bureau.get("/frontages/").get_data(as_text=True)
    words = "门前四包责任商户由所在街道办事处登记和管理，本单位没有登记的商户"
    for url in ("/frontages/export.xlsx", "/frontages/export.csv?status=all"):
        answer = bureau.get(url)
        assert answer.status_code == 404 and words in answer.get_data(as_text=True), url
    answer = api.get("/api/v1/frontages/export.xlsx", city.unit_police)
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "no_register"
    assert words in answer.get_json()["error"]["message"]
    for user, shops in ((city.unit_b, 2), (city.admin, 3), (city.leader, 3)):
        assert "导出名册" in browser(user).get("/frontages/").get_data(as_text=True), user
        answer = api.get("/api/v1/frontages/export.csv?encoding=utf-8", user)
        assert answer.status_code == 200 and len(answer.get_data().decode("utf-8-sig").splitlines()) == 1 + shops


@pytest.mark.parametrize("value, words", [("0", "所属街道（street_unit_id）超出范围。"),
                                          ("abc", "所属街道（street_unit_id）应为整数。")])
def test_a_malformed_street_in_the_register_filter_is_named_in_chinese(api, browser, city, value, words):
    """The register's 所属街道 filter refused a malformed id with "参数 street_unit_id 超出范围。" (the road's said
    "责任路段（segment_id）…"): the page, its export and the API now name it 所属街道."""
    for url in (f"/frontages/?street_unit_id={value}", f"/frontages/export.xlsx?street_unit_id={value}"):
        answer = browser(city.admin).get(url)
        assert answer.status_code == 400 and words in answer.get_data(as_text=True), url
    answer = api.get(f"/api/v1/frontages?street_unit_id={value}", city.admin)
    assert answer.status_code == 400 and words in answer.get_json()["error"]["message"]
