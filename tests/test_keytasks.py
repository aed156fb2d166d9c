"""创建任务清单: the office's task breakdown (imported or added one by one), who sees which task, the units' monthly
progress reports with their material, the lead unit's request for 销号 and the office's review, the 调度 figures by
unit and the progress table."""
from __future__ import annotations

import html
import io
import re
from datetime import date, timedelta

import pytest
from conftest import PASSWORD, at, file_tuple, saved_meanwhile, upload_files
from openpyxl import load_workbook
from sqlalchemy import func, select

from inspect_app.auth.services import create_user
from inspect_app.escalation.models import EscalationFile
from inspect_app.extensions import db
from inspect_app.keytasks import services
from inspect_app.keytasks.models import KeyTask, KeyTaskReport
from test_letters import minimal_pdf

HEAD = ["年度", "任务编号", "测评项目", "任务内容", "测评方法", "完成标准及佐证材料", "牵头单位", "配合单位", "完成时限", "状态"]


def csv_bytes(rows) -> bytes:
    return "\n".join(",".join(str(c) for c in row) for row in rows).encode("utf-8-sig")


def import_rows(api, user, rows, dry_run=False):
    fields = {"file": (io.BytesIO(csv_bytes([HEAD, *rows])), "任务分解表.csv")}
    if dry_run:
        fields["dry_run"] = "1"
    return api.post("/api/v1/admin/import/keytasks", user, content_type="multipart/form-data", data=fields)


@pytest.fixture
def tasks(api, city):
    """Three tasks of 2026: the market task led by street B with the traffic police assisting (due 2026-11-20,
    so lagging on the 25th), the toilets led by street A (due at the end of the year), and a standing task of the
    roads office; and a clerk of the police."""
    response = import_rows(api, city.admin, [
        ["2026", "3.2.1", "农贸市场", "划行归市，地面无积水无垃圾，无活禽散养", "实地考察", "制度、照片、台账", "JDB", "市交警支队",
         "2026-11-20", ""],
        ["2026", "3.2.2", "公共厕所", "无明显异味，设施完好", "实地考察", "", "甲街道办事处", "", "2026-12-31", ""],
        ["2026", "5.1", "志愿服务", "志愿服务站点规范运行", "材料审核", "工作台账", "SZ", "JDA、JDB", "", ""],
    ])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["added"] == 3
    found = {t.code: t for t in db.session.scalars(select(KeyTask)).unique()}
    for task in found.values():  # the list came out in the spring (the import ran at the suite's clock)
        task.created_at = at("2026-03-02T09:00:00+08:00")
    db.session.commit()
    return found["3.2.1"], found["3.2.2"], found["5.1"]


def report(api, user, task, text="本月完成3个市场改造", progress=None, claims=False, files=()):
    """A report through the API: 60% unless told, none for a claim (which is 100%)."""
    data = {"text": text, "progress": progress if progress is not None else "" if claims else "60"}
    if claims:
        data["claims_done"] = "1"
    if files:
        data["files"] = list(files)
    return api.post(f"/api/v1/key-tasks/{task.id}/reports", user, content_type="multipart/form-data", data=data)


# ----------------------------------------------------------------------------- the breakdown

def test_the_breakdown_imports_by_unit_code_or_name_and_again_changes_nothing(api, city, tasks):
    market, toilets, volunteers = tasks
    assert market.lead_unit_id == city.street_b.id and [u.id for u in market.assist_units] == [city.police.id]
    assert toilets.lead_unit_id == city.street_a.id and toilets.due_on.isoformat() == "2026-12-31"
    assert volunteers.method == "材料审核" and volunteers.due_on is None
    assert {u.id for u in volunteers.assist_units} == {city.street_a.id, city.street_b.id}
    again = import_rows(api, city.admin, [
        ["2026", "3.2.1", "农贸市场", "划行归市，地面无积水无垃圾，无活禽散养", "实地考察", "制度、照片、台账", "JDB", "JJ",
         "2026-11-20", ""]])
    assert again.get_json()["unchanged"] == 1 and again.get_json()["changed"] == 0


def test_a_breakdown_with_a_bad_row_writes_nothing(api, city):
    response = import_rows(api, city.admin, [
        ["2026", "1.1", "公共文化设施", "图书馆免费开放", "材料审核", "", "JDA", "", "", ""],
        ["2026", "1.2", "公共文化设施", "文化馆免费开放", "走访", "", "市文化局", "", "2026-13-01", ""],
        ["2026", "1.1", "公共文化设施", "重复的编号", "实地考察", "", "JDA", "", "", ""],
    ])
    assert response.status_code == 422
    messages = {row["row"]: row["message"] for row in response.get_json()["rows"]}
    assert "测评方法“走访”不正确" in messages[3] and "单位“市文化局”不存在" in messages[3]
    assert "完成时限" in messages[3]
    assert "与第2行重复" in messages[4]
    assert db.session.scalar(select(func.count(KeyTask.id))) == 0


def test_the_office_adds_and_changes_a_task_and_a_code_is_taken_once_a_year(api, city, tasks):
    created = api.post("/api/v1/key-tasks", city.admin, json={
        "year": 2026, "code": "7.1", "indicator": "未成年人思想道德建设", "content": "乡村学校少年宫正常运行",
        "method": "材料审核", "lead_unit_id": city.roads.id, "assist_unit_ids": [city.street_a.id, city.roads.id],
        "due_on": "2026-12-15"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["lead_unit"]["name"] == "市市政设施管理处"
    assert [u["id"] for u in body["assist_units"]] == [city.street_a.id]  # the lead is not its own assistant
    clash = api.post("/api/v1/key-tasks", city.admin, json={**{"code": "3.2.1"}, "year": 2026, "indicator": "x",
                                                             "content": "y", "method": "实地考察",
                                                             "lead_unit_id": city.roads.id})
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "duplicate_code"
    changed = api.call("PATCH", f"/api/v1/key-tasks/{body['id']}", city.admin, json={"due_on": "2026-12-20"})
    assert changed.status_code == 200 and changed.get_json()["due_on"] == "2026-12-20"
    assert changed.get_json()["assist_units"][0]["id"] == city.street_a.id
    bad = api.post("/api/v1/key-tasks", city.admin, json={"code": "7.2", "indicator": "x", "content": "y",
                                                           "method": "实地考察", "lead_unit_id": 99999})
    assert bad.status_code == 422 and "牵头单位不存在" in bad.get_json()["error"]["message"]


@pytest.mark.parametrize("by", ["page", "api"])
def test_a_task_sent_twice_at_once_refuses_the_second_as_if_sent_after(app, api, browser, city, now, monkeypatch, by):
    """保存 on /key-tasks/new clicked twice, or POST /api/v1/key-tasks sent twice: the second, whose check found the
    number free just before the first one's row was committed, is refused as one sent a moment later is (409
    duplicate_code; the page with the form as typed) instead of a 500, and one task stays."""
    typed = {"year": "2026", "code": "BFK03", "indicator": "并发任务", "content": "内容", "method": "实地考察",
             "lead_unit_id": str(city.street_a.id), "due_on": "2026-12-31"}
    saved_meanwhile(monkeypatch, app, services, "_refuse_code_taken",
                    lambda: services.save_task(services.read_values(typed, now), now))
    if by == "page":
        response = browser(city.admin).submit("/key-tasks/new", "/key-tasks/new", typed)
        page = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 409 and "2026年已有编号为“BFK03”的任务。" in page and 'value="BFK03"' in page
    else:
        response = api.post("/api/v1/key-tasks", city.admin, json=typed)
        assert response.status_code == 409 and response.get_json()["error"] == {
            "code": "duplicate_code", "message": "2026年已有编号为“BFK03”的任务。"}
    assert db.session.scalar(select(func.count(KeyTask.id)).where(KeyTask.code == "BFK03")) == 1


def test_a_task_number_matches_whatever_its_case(api, city):
    """a-12 is the task A-12 of its year: a re-import typing it in lower case changes A-12 rather than adding it a
    second time, two rows A-13 and a-13 are one number twice, and the form refuses a-12 beside A-12."""
    assert import_rows(api, city.admin, [
        ["2026", "A-12", "公共文化设施", "图书馆免费开放", "材料审核", "", "JDA", "", "", ""]]).status_code == 200
    body = import_rows(api, city.admin, [
        ["2026", "a-12", "公共文化设施", "图书馆、文化馆免费开放", "材料审核", "", "JDA", "", "", ""],
        ["2026", "A-13", "公共文化设施", "文化馆免费开放", "材料审核", "", "JDA", "", "", ""],
        ["2026", "a-13", "公共文化设施", "博物馆免费开放", "材料审核", "", "JDA", "", "", ""]], dry_run=True).get_json()
    assert [r["action"] for r in body["rows"]] == ["change", "add", "error"], body["rows"]
    assert "与第3行重复" in body["rows"][2]["message"]
    again = import_rows(api, city.admin, [
        ["2026", "a-12", "公共文化设施", "图书馆、文化馆免费开放", "材料审核", "", "JDA", "", "", ""]])
    assert again.status_code == 200 and again.get_json()["changed"] == 1
    assert [t.code for t in db.session.scalars(select(KeyTask))] == ["A-12"]
    clash = api.post("/api/v1/key-tasks", city.admin, json={"year": 2026, "code": "a-12", "indicator": "x",
                                                             "content": "y", "method": "实地考察",
                                                             "lead_unit_id": city.roads.id})
    assert clash.status_code == 409 and "“A-12”的任务（仅大小写不同）" in clash.get_json()["error"]["message"]


def test_a_time_limit_outside_the_tasks_year_is_refused(api, city, browser):
    """A 2027 task due on 1 January 2026 was taken, and was 滞后 the day it was added."""
    refused = import_rows(api, city.admin, [
        ["2027", "1.1", "公共文化设施", "图书馆免费开放", "材料审核", "", "JDA", "", "2027-06-30", ""],
        ["2027", "1.2", "公共文化设施", "文化馆免费开放", "材料审核", "", "JDA", "", "2026-01-01", ""]])
    assert refused.status_code == 422
    rows = {row["row"]: row for row in refused.get_json()["rows"]}
    assert rows[3]["action"] == "error" and "完成时限“2026-01-01”不在任务的年度内：2027年度的任务" in rows[3]["message"]
    assert rows[2]["action"] != "error"
    typed = {"year": "2027", "code": "1.2", "indicator": "公共文化设施", "content": "文化馆免费开放",
             "method": "材料审核", "lead_unit_id": str(city.street_a.id), "due_on": "2026-01-01"}
    sent = api.post("/api/v1/key-tasks", city.admin, json=typed)
    assert sent.status_code == 422 and sent.get_json()["error"]["code"] == "due_outside_year"
    office = browser(city.admin)
    page = office.submit("/key-tasks/new", "/key-tasks/new", typed)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "完成时限“2026-01-01”不在任务的年度内：2027年度的任务，完成时限应在2027年1月1日至12月31日之间。" in html
    assert 'name="due_on" value="2026-01-01"' in html and ">文化馆免费开放</textarea>" in html
    assert db.session.scalar(select(func.count(KeyTask.id))) == 0
    assert api.post("/api/v1/key-tasks", city.admin, json={**typed, "due_on": "2027-12-31"}).status_code == 201


# ----------------------------------------------------------------------------- who sees what

def test_a_unit_sees_the_tasks_it_leads_or_assists_and_no_other(api, city, tasks):
    market, toilets, volunteers = tasks
    police_clerk = city.unit_police
    codes = lambda user: sorted(t["code"] for t in api.get("/api/v1/key-tasks", user).get_json()["items"])  # noqa: E731
    assert codes(city.unit_b) == ["3.2.1", "5.1"]
    assert codes(police_clerk) == ["3.2.1"]
    assert codes(city.unit_a) == ["3.2.2", "5.1"]
    assert codes(city.leader) == ["3.2.1", "3.2.2", "5.1"]
    assert api.get(f"/api/v1/key-tasks/{toilets.id}", city.unit_b).status_code == 404
    assert api.get(f"/api/v1/key-tasks/{market.id}", police_clerk).status_code == 200
    assert api.get("/api/v1/key-tasks/units", city.unit_b).status_code == 403


# ----------------------------------------------------------------------------- reports and review

def test_progress_then_a_claim_with_material_then_returned_then_accepted(api, city, tasks, tmp_path):
    market, _, _ = tasks
    police_clerk = city.unit_police
    assert report(api, police_clerk, market, "已清理市场周边乱停车", "").status_code == 201
    refused = report(api, police_clerk, market, "完成了", claims=True, files=[file_tuple()])
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_lead_unit"
    bare = report(api, city.unit_b, market, "已全部完成", claims=True)
    assert bare.status_code == 400 and bare.get_json()["error"]["code"] == "material_required"
    assert db.session.get(KeyTask, market.id).status == "open"

    claim = report(api, city.unit_b, market, "已全部完成", claims=True,
                   files=[file_tuple(), (io.BytesIO(minimal_pdf()), "市场管理制度.pdf")])
    assert claim.status_code == 201, claim.get_json()
    body = claim.get_json()
    assert body["task"]["status"] == "submitted" and body["progress"] == 100
    assert sorted(f["kind"] for f in body["files"]) == ["pdf", "photo"]
    pdf = next(f for f in body["files"] if f["kind"] == "pdf")
    download = api.get(pdf["url"], city.unit_b)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert api.get(pdf["url"], city.unit_a).status_code == 404  # not street A's task
    again = report(api, city.unit_b, market, "再次申请", claims=True, files=[file_tuple()])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_submitted"

    no_note = api.post(f"/api/v1/key-tasks/{market.id}/review", city.admin, json={"verdict": "returned"})
    assert no_note.status_code == 400 and no_note.get_json()["error"]["code"] == "note_required"
    assert api.post(f"/api/v1/key-tasks/{market.id}/review", city.leader,
                    json={"verdict": "accepted"}).status_code == 403
    returned = api.post(f"/api/v1/key-tasks/{market.id}/review", city.admin,
                        json={"verdict": "returned", "note": "缺少日常巡查台账"})
    assert returned.status_code == 200 and returned.get_json()["task"]["status"] == "open"
    assert returned.get_json()["review_note"] == "缺少日常巡查台账"

    second = report(api, city.unit_b, market, "补充了巡查台账", claims=True, files=[(io.BytesIO(minimal_pdf()), "台账.pdf")])
    assert second.status_code == 201
    accepted = api.post(f"/api/v1/key-tasks/{market.id}/review", city.admin, json={"verdict": "accepted"})
    assert accepted.status_code == 200 and accepted.get_json()["task"]["status"] == "done"
    assert accepted.get_json()["task"]["done_at"] is not None
    late = report(api, police_clerk, market, "还想补充")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "task_done"
    nothing = api.post(f"/api/v1/key-tasks/{market.id}/review", city.admin, json={"verdict": "accepted"})
    assert nothing.status_code == 409

    shown = api.get(f"/api/v1/key-tasks/{market.id}", police_clerk).get_json()
    assert [r["verdict"] for r in shown["reports"]] == ["accepted", "returned", None]


@pytest.mark.parametrize("name", ["not_an_image.jpg", "truncated_half.jpg"])
def test_a_broken_photo_as_material_writes_nothing(api, city, tasks, tmp_path, name):
    market, _, _ = tasks
    before = upload_files(tmp_path)
    response = report(api, city.unit_b, market, "已完成", claims=True, files=[file_tuple(), file_tuple(name)])
    assert response.status_code in (400, 415, 422), response.get_json()
    assert "message" in response.get_json()["error"]
    assert db.session.scalar(select(func.count(KeyTaskReport.id))) == 0
    assert db.session.scalar(select(func.count(EscalationFile.id))) == 0
    assert db.session.get(KeyTask, market.id).status == "open"
    assert upload_files(tmp_path) == before


def test_a_half_uploaded_pdf_is_refused(api, city, tasks):
    market, _, _ = tasks
    response = report(api, city.unit_b, market, "已完成", claims=True, files=[(io.BytesIO(b"%PDF-1.4\n1 0 obj"), "x.pdf")])
    assert response.status_code == 415
    assert db.session.scalar(select(func.count(KeyTaskReport.id))) == 0


# ----------------------------------------------------------------------------- 调度 figures

def test_lagging_and_unreported_follow_the_clock_and_the_month(api, city, tasks, now):
    market, toilets, volunteers = tasks
    # street B reported on the market task last month, street A on the toilets this month
    db.session.add_all([
        KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                      created_at=at("2026-10-30T10:00:00+08:00"), text="十月进展", progress=40),
        KeyTaskReport(task_id=toilets.id, unit_id=city.street_a.id, created_by_id=city.unit_a.id,
                      created_at=at("2026-11-01T00:10:00+08:00"), text="十一月进展", progress=30)])
    db.session.commit()
    figures = {f.unit.code: f for f in services.by_unit(2026, now)}
    assert (figures["JDB"].lead, figures["JDB"].lagging, figures["JDB"].unreported, figures["JDB"].assist) == (1, 1, 1, 1)
    assert (figures["JDA"].lead, figures["JDA"].lagging, figures["JDA"].unreported) == (1, 0, 0)
    assert (figures["SZ"].lead, figures["SZ"].lagging, figures["SZ"].unreported) == (1, 0, 1)  # standing: never lags
    assert figures["JJ"].lead == 0 and figures["JJ"].assist == 1
    assert list(figures)[0] == "JDB"  # the unit most behind first

    # each month's progress is due by the 25th (KEYTASK_REPORT_DUE_DAY): until 24 December November is the
    # month checked, the same two; from 25 December every task not done and not reported in December
    assert services.totals(city.admin, 2026, at("2026-12-01T08:00:00+08:00")).unreported == 2
    assert services.totals(city.admin, 2026, at("2026-12-24T23:59:00+08:00")).unreported == 2
    assert services.totals(city.admin, 2026, at("2026-12-25T00:01:00+08:00")).unreported == 3
    assert services.totals(city.admin, 2026, now).unreported == 2
    assert services.totals(city.admin, 2026, now).lagging == 1
    # the page and the API filter with the request's own clock (today): the market task's time limit is past
    lagging = api.get("/api/v1/key-tasks?status=lagging", city.admin).get_json()["items"]
    assert "3.2.1" in [t["code"] for t in lagging] and lagging[0]["lagging"] is True
    by_unit = api.get("/api/v1/key-tasks/units?year=2026", city.leader).get_json()
    assert by_unit["items"][0]["unit"]["code"] == "JDB" and by_unit["items"][0]["lagging"] == 1



def test_a_units_inbox_figure_opens_the_tasks_it_leads_that_owe_a_report(city, tasks, browser, clock):
    """消息's 创建任务…未报送 counts the tasks the unit leads (it owes their report); its link opened the unit's list
    with the tasks it assists on too (street B: 1 led, a list of 2). A unit's list filters by its own role now."""
    clock.stop("2026-12-01T10:00:00+08:00")  # November's reports are due and checked
    clerk = browser(city.unit_b)
    inbox = clerk.get("/inbox").get_data(as_text=True)
    url, n = re.search(r'<a href="([^"]+)"[^>]*><b>(\d+)</b><span>创建任务11月未报送</span>', inbox).groups()
    page = clerk.get(html.unescape(url)).get_data(as_text=True)
    assert n == "1" and page.count('data-label="编号"') == 1 and ">3.2.1</td>" in page
    both = clerk.get("/key-tasks/?status=unreported&year=2026").get_data(as_text=True)
    assert both.count('data-label="编号"') == 2  # without the role: led and assisted
    assisted = clerk.get("/key-tasks/?unit_role=assist&year=2026").get_data(as_text=True)
    assert assisted.count('data-label="编号"') == 1 and ">5.1</td>" in assisted


def test_a_units_role_in_the_api_is_its_own_place_on_the_task_as_on_its_list(api, city, tasks, browser):
    """Street B leads 3.2.1 and assists 5.1: the API's unit_role=lead and unit_role=assist gave it both, as
    without the role, while its list gave one each; a unit_id of another unit filters a unit's list nothing."""
    clerk = browser(city.unit_b)
    for role, expected in (("lead", ["3.2.1"]), ("assist", ["5.1"]), ("", ["3.2.1", "5.1"])):
        items = api.get(f"/api/v1/key-tasks?year=2026&unit_role={role}", city.unit_b).get_json()["items"]
        assert [t["code"] for t in items] == expected, role
        assert listed_codes(clerk, f"/key-tasks/?year=2026&unit_role={role}") == expected, role
        other = api.get(f"/api/v1/key-tasks?year=2026&unit_role={role}&unit_id={city.street_a.id}", city.unit_b)
        assert [t["code"] for t in other.get_json()["items"]] == expected, role


def test_the_done_rate_is_rounded_half_up_on_every_page_and_in_the_api(api, city, browser):
    """One of 16 tasks done is 6.25%: 6.3% (四舍五入, as every rate of the project), not Jinja's round()'s 6.2%;
    one of 32 is 0.03125: 0.0313 in the API."""
    def toilets(numbers):
        return [["2026", f"9.{n}", "公共厕所", f"第{n}座公厕提质改造", "实地考察", "", "JDA", "", "2026-12-31", ""]
                for n in numbers]

    assert import_rows(api, city.admin, toilets(range(1, 17))).get_json()["added"] == 16
    db.session.scalar(select(KeyTask).where(KeyTask.code == "9.1")).status = "done"
    db.session.commit()
    leader = browser(city.leader)
    units = leader.get("/key-tasks/units?year=2026").get_data(as_text=True)
    assert "已完成 1 项（6.3%）" in units and 'data-label="完成率">6.3%</td>' in units and "6.2%" not in units
    listing = leader.get("/key-tasks/?year=2026").get_data(as_text=True)
    assert "已完成 6.3%" in listing and "6.2%" not in listing
    assert "已完成 1 · 6.3%" in leader.get("/dashboard/").get_data(as_text=True)
    assert import_rows(api, city.admin, toilets(range(17, 33))).get_json()["added"] == 16
    items = api.get("/api/v1/key-tasks/units?year=2026", city.leader).get_json()["items"]
    assert [i["done_rate"] for i in items if i["unit"]["code"] == "JDA"] == [0.0313]


def test_the_list_filters_by_the_month_a_report_falls_in(city, tasks):
    market, toilets, volunteers = tasks
    db.session.add(KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                                 created_at=at("2026-11-30T23:59:00+08:00"), text="十一月底报送", progress=80))
    db.session.commit()
    codes = lambda when: sorted(t.code for t in services.list_tasks(  # noqa: E731
        city.admin, at(when), year=2026, status="unreported")[0])
    assert codes("2026-11-30T23:59:30+08:00") == ["3.2.2", "5.1"]
    assert codes("2026-12-24T23:59:30+08:00") == ["3.2.2", "5.1"]  # November's report still stands
    assert codes("2026-12-25T00:00:30+08:00") == ["3.2.1", "3.2.2", "5.1"]  # December's is due
    latest = services.latest_reports([market, toilets], at("2026-11-30T23:59:30+08:00"))
    assert latest[market.id].progress == 80 and latest[market.id].this_month and toilets.id not in latest


def test_a_report_after_the_month_checked_is_not_that_months_report(city, tasks, browser, clock):
    """On 3 December November is checked: a report of 2 December is December's. The list's count and badge, the
    unit's menu, the progress table and November's 通报 all still name the task 11月未报送."""
    from inspect_app.keytasks.bulletin import month_status
    from inspect_app.notices.services import work_summary

    market, toilets, volunteers = tasks
    db.session.add_all([
        KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                      created_at=at("2026-12-02T09:00:00+08:00"), text="十二月进展", progress=70),
        KeyTaskReport(task_id=toilets.id, unit_id=city.street_a.id, created_by_id=city.unit_a.id,
                      created_at=at("2026-11-30T23:59:00+08:00"), text="十一月进展", progress=30)])
    db.session.commit()
    december = at("2026-12-03T09:00:00+08:00")
    period = services.report_period(december)
    assert services.owing(list(tasks), period) == {market.id, volunteers.id}
    assert services.totals(city.admin, 2026, december).unreported == 2
    assert sorted(t.code for t in services.list_tasks(city.admin, december, year=2026, status="unreported")[0]) \
        == ["3.2.1", "5.1"]
    assert {f.unit.code: f.unreported for f in services.by_unit(2026, december)}["JDB"] == 1
    assert work_summary(city.street_b.id, december)["tasks"] == 1
    assert [t.task.code for t in month_status(2026, 11, december).unreported] == ["3.2.1", "5.1"]
    clock.set(december)
    listing = browser(city.admin).get("/key-tasks/?year=2026&q=3.2.1").get_data(as_text=True)
    assert "11月未报送</span>" in listing
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(
        browser(city.admin).get("/key-tasks/export.xlsx?year=2026").data)).active.iter_rows()]
    assert {r[0]: r[9] for r in rows[1:]} == {"3.2.1": "未报送", "3.2.2": "已报送", "5.1": "未报送"}


def test_a_task_claimed_after_the_month_still_owes_that_months_report(api, city, tasks, browser, clock):
    """Street B did not report the market task in November and asked for its 销号 on 3 December. On 6 December the
    page, the dashboard's card and the list dropped it from 11月未报送 (its state now is 待审核) while November's
    通报 still named it: all tell the task as it stood at November's end."""
    from inspect_app.keytasks.bulletin import month_status

    market, toilets, volunteers = tasks
    db.session.add(KeyTaskReport(task_id=toilets.id, unit_id=city.street_a.id, created_by_id=city.unit_a.id,
                                 created_at=at("2026-11-12T09:00:00+08:00"), text="十一月进展", progress=30))
    db.session.commit()
    clock.set(at("2026-12-03T09:00:00+08:00"))
    assert report(api, city.unit_b, market, "已全部完成", claims=True, files=[file_tuple()]).status_code == 201
    december = at("2026-12-06T09:00:00+08:00")
    clock.set(december)
    told = [t.task.code for t in month_status(2026, 11, december).unreported]
    assert told == ["3.2.1", "5.1"]
    assert services.totals(city.admin, 2026, december).unreported == 2
    assert sorted(t.code for t in services.list_tasks(city.admin, december, year=2026, status="unreported")[0]) \
        == told
    assert {f.unit.code: f.unreported for f in services.by_unit(2026, december)}["JDB"] == 1
    assert services.owing([market], services.report_period(december)) == {market.id}
    office = browser(city.admin)
    listing = office.get("/key-tasks/?year=2026").get_data(as_text=True)
    assert "<b>2</b><span>11月未报送进展</span>" in listing
    dashboard = office.get("/dashboard/").get_data(as_text=True)
    assert "<span>11月未报送</span><b><a href=\"/key-tasks/?year=2026&amp;status=unreported\">2</a></b>" in dashboard
    # returned in December, or accepted: November is still told as it stood at its end
    api.post(f"/api/v1/key-tasks/{market.id}/review", city.admin, json={"verdict": "accepted"})
    assert services.totals(city.admin, 2026, december).unreported == 2
    assert [t.task.code for t in month_status(2026, 11, december).unreported] == told


def test_in_january_the_menus_count_opens_the_year_of_the_december_it_counts(city, tasks, browser, clock):
    """On 2 January, the 2027 breakdown imported, December is still the month checked: a unit's menu counted its
    2026 task with no December report, and the entry (and ?status=unreported) opened the 2027 list, 0 12月未报送
    and the task nowhere; the office's dashboard card counted 2027's. From the due day on January is checked, in
    2027's list."""
    market, toilets, volunteers = tasks
    services.save_task(services.TaskValues(2027, "1.1", "公共厕所", "无明显异味", "实地考察", "", city.street_a, [],
                                           None), at("2027-01-02T08:00:00+08:00"))
    db.session.add(KeyTaskReport(task_id=volunteers.id, unit_id=city.roads.id, created_by_id=city.admin.id,
                                 created_at=at("2026-12-20T09:00:00+08:00"), text="十二月进展", progress=50))
    db.session.commit()
    clock.set("2027-01-02T09:00:00+08:00")
    clerk = browser(city.unit_a)
    page = clerk.get("/key-tasks/").get_data(as_text=True)
    entry, count = re.search(r'<a href="([^"]+)"[^>]*>创建任务<b class="nav-count">(\d+)<span class="sr-only">项待办</span>',
                             page).groups()
    assert (entry, count) == ("/key-tasks/", "1")  # 3.2.2, led by street A, with no December report
    assert "<b>1</b><span>12月未报送进展</span>" in page and "3.2.2" in page and "1.1" not in page
    unreported = clerk.get("/key-tasks/?status=unreported").get_data(as_text=True)
    assert "3.2.2" in unreported and "没有符合条件的任务" not in unreported
    assert "2027年</a>" in page  # the new year's list a tab away
    card = browser(city.admin).get("/dashboard/").get_data(as_text=True)
    assert '<span>12月未报送</span><b><a href="/key-tasks/?year=2026&amp;status=unreported">2</a></b>' in card

    clock.set("2027-01-25T09:00:00+08:00")  # January's due day: January is checked, in the new year's list
    page = browser(city.unit_a).get("/key-tasks/").get_data(as_text=True)
    assert "本月未报送进展" in page and "1.1" in page and "3.2.2" not in page
    # 3.2.2, a 2026 task not yet 销号, owes January's report too: the menu counts it, and the 2027 list says where
    assert re.search(r'创建任务<b class="nav-count">2<span class="sr-only">项待办</span>', page)
    assert "2026年的创建任务还有 1 项本月未报送进展" in page
    assert 'href="/key-tasks/?year=2026&amp;status=unreported">查看2026年未报送的任务' in page
    assert "3.2.2" in browser(city.unit_a).get("/key-tasks/?year=2026&status=unreported").get_data(as_text=True)
    last_year = browser(city.unit_a).get("/key-tasks/?year=2026").get_data(as_text=True)
    assert "2027年的创建任务还有 1 项本月未报送进展。" in last_year and "2026年的创建任务还有" not in last_year


def test_the_month_checked_turns_on_the_due_day(app):
    period = lambda when, day=None: services.report_period(at(when), day)  # noqa: E731
    before, on = period("2026-12-24T23:59:59+08:00"), period("2026-12-25T00:00:00+08:00")
    assert (before.month, before.current, before.label) == (11, False, "11月")
    assert before.start == at("2026-11-01T00:00:00+08:00") and before.due_at == at("2026-11-26T00:00:00+08:00")
    assert (on.month, on.current, on.label) == (12, True, "本月") and on.start == at("2026-12-01T00:00:00+08:00")
    january = period("2027-01-03T09:00:00+08:00")
    assert (january.month, january.start) == (12, at("2026-12-01T00:00:00+08:00"))  # across the year
    first = period("2026-12-01T00:00:00+08:00", 1)  # a due day of 1: the calendar month, from its first day
    assert (first.month, first.current) == (12, True)
    assert period("2026-12-31T09:00:00+08:00", 31).due_at == at("2026-12-29T00:00:00+08:00")  # at most the 28th


def test_a_task_added_after_the_due_day_owes_nothing_for_that_month(api, city, tasks):
    market, toilets, volunteers = tasks
    late = services.save_task(services.TaskValues(
        2026, "6.1", "背街小巷", "路面平整，无乱堆乱放", "实地考察", "", city.street_b, [], None),
        at("2026-11-27T09:00:00+08:00"))
    db.session.commit()
    codes = lambda when: sorted(t.code for t in services.list_tasks(  # noqa: E731
        city.admin, at(when), year=2026, status="unreported")[0])
    assert "6.1" not in codes("2026-11-28T09:00:00+08:00")  # added after November's due day
    assert "6.1" not in codes("2026-12-10T09:00:00+08:00")  # November is still the month checked
    assert "6.1" in codes("2026-12-25T09:00:00+08:00")  # December's report is due
    assert services.owing([late], services.report_period(at("2026-12-10T09:00:00+08:00"))) == set()
    assert services.owing([late], services.report_period(at("2026-12-25T09:00:00+08:00"))) == {late.id}
    figures = {f.unit.code: f for f in services.by_unit(2026, at("2026-12-10T09:00:00+08:00"))}
    assert figures["JDB"].unreported == 1  # the market task only
    from inspect_app.keytasks.bulletin import month_status  # November's 通报 counts the same way
    assert [t.task.code for t in month_status(2026, 11, at("2026-12-10T09:00:00+08:00")).unreported] == ["3.2.1",
                                                                                                       "3.2.2", "5.1"]


def test_pages_name_the_month_checked(city, tasks, browser, clock):
    clock.set(at("2026-12-02T09:00:00+08:00"))
    page = browser(city.admin).get("/key-tasks/?year=2026").get_data(as_text=True)
    assert "11月未报送进展" in page and "本月未报送" not in page
    units = browser(city.leader).get("/key-tasks/units?year=2026").get_data(as_text=True)
    assert "11月未报送" in units and "每月25日前报送当月进展" in units
    inbox = browser(city.unit_b).get("/inbox").get_data(as_text=True)
    assert "创建任务11月未报送" in inbox
    from inspect_app.notices.services import digest_text, work_summary
    december = at("2026-12-02T09:00:00+08:00")
    summary = work_summary(city.street_b.id, december)
    assert summary["tasks"] == 1 and "牵头的创建任务 1 项11月尚未报送进展" in digest_text(city.street_b, summary, december)
    late = services.save_task(services.TaskValues(  # added after November's due day: owes December's report
        2026, "6.1", "背街小巷", "路面平整，无乱堆乱放", "实地考察", "", city.street_b, [], None),
        at("2026-11-27T09:00:00+08:00"))
    db.session.commit()
    listing = browser(city.admin).get("/key-tasks/?year=2026&q=6.1").get_data(as_text=True)
    assert "尚无报送" in listing and "11月未报送</span>" not in listing
    clock.set(at("2026-12-25T09:00:00+08:00"))
    listing = browser(city.admin).get("/key-tasks/?year=2026").get_data(as_text=True)
    assert "本月未报送进展" in listing and "尚无报送" not in listing and late.code in listing


def test_a_returned_request_is_still_a_report_sent_on_the_row_and_in_the_counts(city, tasks, browser, clock):
    market, _, _ = tasks
    db.session.add(KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                                 created_at=at("2026-11-20T09:00:00+08:00"), text="申请销号", progress=100,
                                 claims_done=True, verdict="returned", reviewed_at=at("2026-11-21T09:00:00+08:00"),
                                 review_note="缺台账"))
    db.session.commit()
    december = at("2026-12-02T09:00:00+08:00")
    period = services.report_period(december)
    assert market.id not in services.owing(list(tasks), period)
    assert services.totals(city.admin, 2026, december).unreported == 2
    latest = services.latest_reports([market], december)[market.id]
    assert (latest.at, latest.progress) == (at("2026-11-20T09:00:00+08:00"), None)  # its 100% does not stand
    db.session.add(KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                                 created_at=at("2026-10-10T09:00:00+08:00"), text="十月进展", progress=70))
    db.session.commit()
    latest = services.latest_reports([market], at("2026-11-25T09:00:00+08:00"))[market.id]
    assert (latest.progress, latest.this_month) == (70, True)  # October's 70% stands; November's request was sent
    clock.set(december)
    page = browser(city.admin).get("/key-tasks/?year=2026&q=3.2.1").get_data(as_text=True)
    assert "11-20" in page and "100%" not in page and "未报送</span>" not in page and "尚无报送" not in page


def test_the_progress_table_lists_each_task_as_the_office_reads_it(api, city, tasks, browser, clock):
    market, toilets, _ = tasks
    db.session.add(KeyTaskReport(task_id=toilets.id, unit_id=city.street_a.id, created_by_id=city.unit_a.id,
                                 created_at=at("2026-11-20T09:00:00+08:00"), text="十一月进展", progress=40))
    db.session.commit()
    clock.set(at("2026-12-02T09:00:00+08:00"))
    report(api, city.unit_b, market, "本月完成3个市场改造", "60")
    page = browser(city.admin)

    def table():
        response = page.get("/key-tasks/export.xlsx?year=2026")
        assert response.status_code == 200
        return [[c.value for c in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()]

    rows = table()
    # on 2 December the month checked is November, as on the pages (11月未报送)
    assert rows[0][:4] == ["任务编号", "测评项目", "任务内容", "测评方法"] and rows[0][9] == "11月报送"
    first = dict(zip(rows[0], rows[1]))
    assert first["任务编号"] == "3.2.1" and first["牵头单位"] == "乙街道办事处" and first["配合单位"] == "市交警支队"
    # reported on 2 December: that is December's report, not November's (the 通报 of November lists it too)
    assert first["办理状态"] == "推进中（滞后）" and first["完成进度"] == "60%" and first["11月报送"] == "未报送"
    assert first["最近进展"] == "本月完成3个市场改造"
    assert dict(zip(rows[0], rows[2]))["11月报送"] == "已报送"  # 20 November: not 未报送 on 2 December
    standing = dict(zip(rows[0], rows[3]))
    assert standing["完成时限"] == "常态长效" and standing["11月报送"] == "未报送"
    # from the 25th December is checked: the report of 2 December counts for it
    clock.set(at("2026-12-25T09:00:00+08:00"))
    page = browser(city.admin)  # signed in again: the session of 2 December has expired
    rows = table()
    assert rows[0][9] == "本月报送" and [r[9] for r in rows[1:4]] == ["已报送", "未报送", "未报送"]
    assert browser(city.unit_b).get("/key-tasks/export.xlsx").status_code == 403


# ----------------------------------------------------------------------------- the pages

def listed_codes(client, url: str) -> list[str]:
    """The task codes a list page shows (its first page)."""
    import re
    page = client.get(url)
    assert page.status_code == 200, url
    return re.findall(r'<td class="nowrap" data-label="编号">([^<]+)</td>', page.get_data(as_text=True))


def test_every_figure_on_the_units_page_opens_the_tasks_it_counts(api, city, tasks, browser):
    """滞后 and 未报送 count the tasks a unit leads; their links opened every task the unit led or assisted (乙街道
    滞后 1 opened 2: it assists street A's task past its limit)."""
    import html
    import re

    services.save_task(services.TaskValues(2026, "6.2", "背街小巷", "无乱堆乱放", "实地考察", "", city.street_a,
                                           [city.street_b], date(2026, 10, 31)), at("2026-03-02T09:00:00+08:00"))
    db.session.commit()
    leader = browser(city.leader)
    page = leader.get("/key-tasks/units?year=2026").get_data(as_text=True)
    figures = {f.unit.name: f for f in services.by_unit(2026, at("2026-11-25T10:00:00+08:00"))}
    assert (figures["乙街道办事处"].lagging, figures["乙街道办事处"].assist) == (1, 2)
    links = 0
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        name_link = re.search(r'data-label="单位"><a href="([^"]+)">([^<]+)</a>', row)
        if name_link is None:
            continue
        f = figures[name_link.group(2)]
        assert len(listed_codes(leader, html.unescape(name_link.group(1)))) == f.lead + f.assist
        for href, figure in re.findall(r'<a class="badge [^"]+" href="([^"]+)">(\d+)</a>', row):
            links += 1
            assert len(listed_codes(leader, html.unescape(href))) == int(figure), (f.unit.name, href)
    assert links >= 4  # 乙 and 甲: 滞后 and 未报送
    # the API's list takes the same filter
    lagging = api.get(f"/api/v1/key-tasks?year=2026&status=lagging&unit_id={city.street_b.id}&unit_role=lead",
                      city.leader).get_json()
    assert [t["code"] for t in lagging["items"]] == ["3.2.1"]
    assisted = api.get(f"/api/v1/key-tasks?year=2026&unit_id={city.street_b.id}&unit_role=assist",
                       city.leader).get_json()
    assert sorted(t["code"] for t in assisted["items"]) == ["5.1", "6.2"]
    # a status or role of neither list is refused, naming it (it was dropped, and every task listed)
    for query, code in (("status=late", "invalid_status"), ("unit_role=owner", "invalid_unit_role")):
        refused = api.get(f"/api/v1/key-tasks?year=2026&{query}", city.leader)
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == code, query
        assert query.split("=")[1] in refused.get_json()["error"]["message"]
        assert leader.get(f"/key-tasks/?year=2026&{query}").status_code == 400
    # the list's form keeps the filter
    listing = leader.get(f"/key-tasks/?year=2026&unit_id={city.street_b.id}&unit_role=lead").get_data(as_text=True)
    assert '<option value="lead" selected>牵头</option>' in listing


def test_a_unit_reports_and_the_office_reviews_on_the_pages(city, tasks, browser):
    market, _, _ = tasks
    clerk = browser(city.unit_b)
    listing = clerk.get("/key-tasks/").get_data(as_text=True)
    assert "3.2.1" in listing and "3.2.2" not in listing and "牵头" in listing and "配合" in listing
    page = f"/key-tasks/{market.id}"
    sent = clerk.submit(page, f"{page}/report", {"text": "全部完成", "claims_done": "1",
                                                 "files": [file_tuple()]}, multipart=True)
    assert sent.status_code == 302
    assert "已申请销号" in clerk.get(page).get_data(as_text=True)
    office = browser(city.admin)
    shown = office.get(page).get_data(as_text=True)
    assert "审核销号申请" in shown and "乙街道办事处 于" in shown
    assert office.submit(page, f"{page}/review", {"verdict": "accepted"}).status_code == 302
    assert db.session.get(KeyTask, market.id).status == "done"
    assert "审核通过" in clerk.get(page).get_data(as_text=True)
    assert browser(city.unit_a).get(page).status_code == 404


def stored_files(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_refused_report_comes_back_with_what_was_typed(city, tasks, browser, uploads):
    market, _, _ = tasks
    clerk = browser(city.unit_b)
    page = f"/key-tasks/{market.id}"
    before = stored_files(uploads)
    # 销号 without material: the page again with the reason, the text, the progress and the box still ticked
    refused = clerk.submit(page, f"{page}/report", {"text": "全部完成<3>个市场", "progress": "100",
                                                    "claims_done": "1"}, multipart=True)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert 'id="report-error"' in html and "申请销号须上传佐证材料（照片或 PDF）。" in html
    assert 'id="form-error-summary">未能提交：申请销号须上传佐证材料（照片或 PDF）。 <a href="#report-error">' in html
    assert ">全部完成&lt;3&gt;个市场</textarea>" in html
    assert 'name="progress" min="0" max="100" step="5" inputmode="numeric" value="100"' in html
    assert 'name="claims_done" value="1" checked' in html
    # a file that is no photo beside a good one: the same, and neither file is kept
    refused = clerk.submit(page, f"{page}/report", {"text": "本月进展", "progress": "40",
                                                    "files": [file_tuple(), file_tuple("not_an_image.jpg")]},
                           multipart=True)
    assert refused.status_code == 415
    html = refused.get_data(as_text=True)
    assert 'id="report-error"' in html and ">本月进展</textarea>" in html and 'value="40"' in html
    # it takes PDFs: the file is named as an attachment, by its place among all and its name
    assert "第2个附件（not_an_image.jpg）：无法识别的文件格式，请上传照片（JPEG、PNG、WebP 或 HEIC）或 PDF 文件。" in html
    # a PDF first: the bad photo is still the second attachment, not the first photo
    refused = clerk.submit(page, f"{page}/report", {"text": "本月进展", "progress": "40",
                                                    "files": [(io.BytesIO(b"%PDF-1.4\n1 0 obj\n%%EOF\n"), "方案.pdf"),
                                                              file_tuple("truncated_half.jpg")]}, multipart=True)
    assert "第2个附件（truncated_half.jpg）：照片文件不完整或已损坏" in refused.get_data(as_text=True)
    assert 'name="claims_done" value="1">' in html  # not ticked this time
    assert db.session.scalar(select(func.count(KeyTaskReport.id))) == 0
    assert db.session.scalar(select(func.count(EscalationFile.id))) == 0
    assert db.session.get(KeyTask, market.id).status == "open"
    assert stored_files(uploads) == before
    # a plain visit shows an empty form
    fresh = clerk.get(page).get_data(as_text=True)
    assert "report-error" not in fresh and "全部完成" not in fresh


def menu_entry(page_html: str) -> str:
    """The menu's 创建任务 link, with its count if any ("" when the menu has no such entry)."""
    import re
    found = re.search(r'<a href="/key-tasks/"[^>]*>创建任务(?:<b class="nav-count"[^>]*>(\d+)<span class="sr-only">[^<]*</span></b>)?</a>', page_html)
    return "" if found is None else (found.group(1) or "0")


def test_the_menu_counts_what_waits(city, tasks, browser, now):
    market, _, _ = tasks
    clerk = browser(city.unit_b)
    assert menu_entry(clerk.get("/key-tasks/").get_data(as_text=True)) == "1"  # leads 3.2.1, not reported
    assert menu_entry(browser(city.unit_police).get("/notices/").get_data(as_text=True)) == "0"  # assists only
    from inspect_app.units.models import Unit
    parks = Unit(code="GY", name="市园林局", kind="市直单位")
    db.session.add(parks)
    db.session.flush()
    free = create_user("unit_free", "unit", PASSWORD, now, unit=parks)
    db.session.commit()
    assert menu_entry(browser(free).get("/notices/").get_data(as_text=True)) == ""  # no task: no entry
    office = browser(city.admin)
    assert menu_entry(office.get("/key-tasks/").get_data(as_text=True)) == "0"
    clerk.submit(f"/key-tasks/{market.id}", f"/key-tasks/{market.id}/report",
                 {"text": "完成", "claims_done": "1", "files": [file_tuple()]}, multipart=True)
    assert menu_entry(office.get("/key-tasks/").get_data(as_text=True)) == "1"
    assert menu_entry(clerk.get("/key-tasks/").get_data(as_text=True)) == "0"  # claimed: waits for the office


def test_a_retired_task_leaves_the_lists_and_the_figures(api, city, tasks, now):
    _, toilets, _ = tasks
    assert api.call("PATCH", f"/api/v1/key-tasks/{toilets.id}", city.admin, json={"active": False}).status_code == 200
    assert services.totals(city.admin, 2026, now).tasks == 2
    assert api.get(f"/api/v1/key-tasks/{toilets.id}", city.unit_a).status_code == 404
    assert "3.2.2" not in [t["code"] for t in api.get("/api/v1/key-tasks", city.admin).get_json()["items"]]
    assert services.totals(city.admin, 2026, now + timedelta(days=1)).done == 0


def test_a_year_tab_shows_only_where_the_user_has_tasks_to_see(api, city, tasks, browser, clock):
    """A year whose only task was withdrawn (撤销) was a tab for everyone, units included, opening an empty list;
    a unit saw the tabs (and by January landed on) years of other units' tasks."""
    old = services.save_task(services.TaskValues(2025, "9.1", "公共文化设施", "图书馆免费开放", "材料审核", "",
                                                 city.street_b, [], None), at("2025-03-02T09:00:00+08:00"))
    services.set_active(old, False)
    services.save_task(services.TaskValues(2027, "1.1", "公共厕所", "无明显异味", "实地考察", "", city.street_a, [],
                                           None), at("2026-11-20T09:00:00+08:00"))
    db.session.commit()
    assert services.years(city.admin) == [2027, 2026]
    assert services.years(city.unit_b) == [2026] and services.years(city.unit_a) == [2027, 2026]
    clock.set(at("2027-01-05T09:00:00+08:00"))
    office = browser(city.admin)
    for page in ("/key-tasks/", "/key-tasks/units"):
        html = office.get(page).get_data(as_text=True)
        assert "2027年</a>" in html and "2026年</a>" in html and "2025年" not in html, page
    clerk = browser(city.unit_b).get("/key-tasks/").get_data(as_text=True)
    assert 'aria-label="年度"' not in clerk and "2026年" in clerk and "3.2.1" in clerk  # its one year, not 2027's


# ----------------------------------------------------------------------------- the 调度 通报

def test_a_past_month_is_told_as_it_stood_at_its_end(city, tasks):
    from inspect_app.keytasks.bulletin import month_status

    market, toilets, volunteers = tasks
    claim = KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                          created_at=at("2026-10-28T09:00:00+08:00"), text="已完成", progress=100, claims_done=True,
                          verdict="returned", reviewed_at=at("2026-11-03T09:00:00+08:00"), review_note="缺台账")
    db.session.add_all([
        KeyTaskReport(task_id=market.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                      created_at=at("2026-10-10T09:00:00+08:00"), text="十月进展", progress=70), claim,
        KeyTaskReport(task_id=toilets.id, unit_id=city.street_a.id, created_by_id=city.unit_a.id,
                      created_at=at("2026-11-12T09:00:00+08:00"), text="十一月进展", progress=30)])
    for task in tasks:
        task.created_at = at("2026-09-01T09:00:00+08:00")
    db.session.commit()
    later = at("2026-12-02T09:00:00+08:00")
    october = month_status(2026, 10, later)
    assert october.as_of.isoformat() == "2026-10-31"
    assert {t.task.code: t.status for t in october.tasks} == {"3.2.1": "submitted", "3.2.2": "open", "5.1": "open"}
    assert [t.task.code for t in october.unreported] == ["3.2.2", "5.1"] and october.lagging == []
    assert october.reports == 2
    november = month_status(2026, 11, later)
    market_then = next(t for t in november.tasks if t.task.code == "3.2.1")
    # sent back on 3 November: open again, behind its 20 November limit by 10 days at the month's end, and its
    # progress is the last figure that stands (70%, not the returned request's 100%)
    assert (market_then.status, market_then.overdue_days, market_then.progress) == ("open", 10, 70)
    assert [t.task.code for t in november.unreported] == ["3.2.1", "5.1"]
    units = {u.code: u for u in november.units()}
    assert (units["JDB"].lagging, units["JDB"].unreported, units["JDA"].unreported) == (1, 1, 0)


def test_the_month_bulletin_is_a_draft_the_office_can_read(api, city, tasks, browser):
    from test_letters import pdf_text

    for task in tasks:  # the breakdown was imported in September
        task.created_at = at("2026-09-01T09:00:00+08:00")
    db.session.commit()
    response = browser(city.leader).get("/key-tasks/bulletin.pdf?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "关于2026年11月文明城市创建任务推进情况的通报" in text
    assert "3项任务中已完成销号0项" in text and "超过完成时限的1项" in text
    assert "划行归市" in text and "乙街道办事处" in text and "滞后任务的牵头单位" in text
    assert "草稿" in text
    assert "11月未报送" in text and "本月" not in text  # the attachment's column names the month told
    assert browser(city.unit_b).get("/key-tasks/bulletin.pdf").status_code == 403
    bad = api.get("/api/v1/key-tasks/bulletin.pdf?month=2026-13", city.admin)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_month"
    future = api.get("/api/v1/key-tasks/bulletin.pdf?month=2099-01", city.admin)
    assert future.status_code == 400
    empty = api.get("/api/v1/key-tasks/bulletin.pdf?month=2025-11", city.admin)
    assert empty.status_code == 404 and "没有在用的创建任务" in empty.get_json()["error"]["message"]


def test_this_months_draft_faults_no_unit_before_the_reports_are_due(city, tasks, browser, clock):
    """On 6 December the draft for December named every lead unit 未报送 for a month whose reports are due by the
    25th, while the pages still checked November: until the due day it says so, and has no 未报送 column."""
    from inspect_app.keytasks.bulletin import month_status
    from test_letters import pdf_text

    early = at("2026-12-06T09:00:00+08:00")
    assert month_status(2026, 12, early).unreported == []
    clock.set(early)
    text = pdf_text(browser(city.leader).get("/key-tasks/bulletin.pdf?month=2026-12").data)
    assert "各牵头单位应于12月25日前报送12月进展，截至12月6日尚未到报送截止日，本通报不列未报送情况。" in text
    assert "未报送进展" not in text and "12月未报送" not in text
    assert "滞后任务多的单位排在前面" in text and "划行归市" in text  # the rest is told as it stands
    due = at("2026-12-25T09:00:00+08:00")  # from the due day on, as the pages (本月未报送)
    assert [t.task.code for t in month_status(2026, 12, due).unreported] == \
        sorted(t.code for t in services.list_tasks(city.admin, due, year=2026, status="unreported")[0]) == \
        ["3.2.1", "3.2.2", "5.1"]
    clock.set(due)
    text = pdf_text(browser(city.leader).get("/key-tasks/bulletin.pdf?month=2026-12").data)
    assert "12月未报送" in text and "尚未到报送截止日" not in text


def test_the_units_page_offers_only_the_drafts_a_task_list_stands_behind(city, tasks, browser, clock):
    office = browser(city.admin)
    page = office.get("/key-tasks/units").get_data(as_text=True)  # November: this month's and October's
    assert "month=2026-11" in page and "month=2026-10" in page
    clock.set(at("2027-01-11T09:00:00+08:00"))  # January, before the office has entered 2027's list
    office = browser(city.admin)  # signed in again: the November session has long expired
    page = office.get("/key-tasks/units").get_data(as_text=True)
    assert "上月通报（草稿）" in page and "本月推进情况通报" not in page and "month=2027-01" not in page
    december = office.get("/key-tasks/bulletin.pdf?month=2026-12")
    assert december.status_code == 200 and december.mimetype == "application/pdf"
    assert office.get("/key-tasks/bulletin.pdf?month=2027-01").status_code == 404  # what the page no longer offers


def test_the_exported_breakdown_imports_back_unchanged(api, city, tasks):
    exported = api.get("/api/v1/admin/export/keytasks.csv?encoding=utf-8", city.admin)
    assert exported.status_code == 200
    text = exported.data.decode("utf-8-sig")
    assert text.splitlines()[0].split(",")[:3] == ["年度", "任务编号", "测评项目"]
    again = api.post("/api/v1/admin/import/keytasks", city.admin, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(exported.data), "任务分解表.csv")})
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["unchanged"] == 3 and again.get_json()["added"] == 0


def test_the_lead_unit_hears_of_the_review_in_its_inbox(api, city, tasks):
    market, _, _ = tasks
    before = api.get("/api/v1/inbox", city.unit_b).get_json()
    assert before["summary"]["tasks"] == 1  # leads the market task, no report this month
    api.post("/api/v1/inbox/seen", city.unit_b)
    report(api, city.unit_b, market, "已全部完成", claims=True, files=[file_tuple()])
    api.post(f"/api/v1/key-tasks/{market.id}/review", city.admin, json={"verdict": "returned", "note": "缺少台账"})
    inbox = api.get("/api/v1/inbox", city.unit_b).get_json()
    assert inbox["unread"] == 1 and inbox["summary"]["tasks"] == 0  # reported this month (the request)
    item = inbox["items"][0]
    assert item["title"] == "创建任务销号申请被退回" and "缺少台账" in item["detail"] and item["unread"]
    assert api.get("/api/v1/inbox", city.unit_a).get_json()["unread"] == 0


def test_a_task_shows_what_the_rounds_found_at_its_sites(api, city, tasks, now, browser):
    """A task checked at a site type (农贸市场) shows the year's rounds at such sites: how many were checked, their
    mean score (rounded once, half up, to the tenth the page prints: 96.25 and 100 make 98.1), how many failed an
    item."""
    from conftest import processed

    from inspect_app.assessment import checklist
    from inspect_app.assessment import services as rounds
    from inspect_app.sites.models import Site, SiteKind

    market, _, _ = tasks
    kind = SiteKind(name="农贸市场", sort_order=1, active=True)
    sites = [Site(code=f"NM-{n}", name=f"第{n}农贸市场", kind=kind, district="临江区", lat=28.24, lon=112.935,
                  territorial_unit=city.street_b, created_at=now) for n in (1, 2)]
    db.session.add_all([kind, *sites])
    db.session.flush()
    checklist.create_version([
        {"code": "NM-01", "kind": kind, "text": "划行归市", "points": 2.0, "answerable_by": "territorial",
         "deadline": {"hours": 24}, "category": None},
        {"code": "NM-02", "kind": kind, "text": "无活禽散养", "points": 3.75, "answerable_by": "territorial",
         "deadline": {"hours": 24}, "category": None}], now)
    rnd, _ = rounds.create_round(city.admin, rounds.RoundInput(
        kind="mock_assessment", name="11月模拟测评", per_kind={"农贸市场": 2}, inspector_ids=[city.inspector.id],
        seed=3), now)
    for rs in rnd.sites:
        answers = [rounds.Answer(i.code, not (rs.site.code == "NM-1" and i.code == "NM-02"))
                   for i in rounds.items_for(rs)]
        rounds.submit(city.inspector, rnd, rs.site_id, answers, None, now + timedelta(hours=1),
                      processed={a.code: [processed()] for a in answers if not a.passed})
    db.session.commit()
    assert services.field_results(market) == []  # no site type yet
    changed = api.call("PATCH", f"/api/v1/key-tasks/{market.id}", city.admin, json={"site_kind_id": kind.id})
    assert changed.status_code == 200 and changed.get_json()["site_kind"]["name"] == "农贸市场"
    shown = api.get(f"/api/v1/key-tasks/{market.id}", city.unit_b).get_json()["field_results"]
    assert [(r["name"], r["sites"], r["score"], r["failed"]) for r in shown] == [("11月模拟测评", 2, 98.1, 1)]
    page = browser(city.unit_b).get(f"/key-tasks/{market.id}").get_data(as_text=True)
    assert "实地测评情况" in page and "测评 2 个点位，平均 98.1 分" in page and "1 个点位有未达标项目" in page
    bad = api.call("PATCH", f"/api/v1/key-tasks/{market.id}", city.admin, json={"site_kind_id": 9999})
    assert bad.status_code == 422


def test_the_demos_reviews_are_not_in_the_future(app):
    """Loaded on 6 December, the demo had a task 销号 on 9 December (three days after a request of 3 December)."""
    from inspect_app.demo.keytasks import seed_key_tasks
    from inspect_app.demo.seed import seed_demo
    from inspect_app.keytasks.models import KeyTask, KeyTaskReport

    moment = at("2026-12-06T09:00")
    seed_demo(moment)
    assert seed_key_tasks(moment)["done"] > 0
    latest = [*db.session.execute(select(func.max(KeyTaskReport.reviewed_at), func.max(KeyTaskReport.created_at)))
              .one(), db.session.scalar(select(func.max(KeyTask.done_at)))]
    assert all(value <= moment for value in latest), latest


def test_a_progress_figure_that_contradicts_the_claim_is_refused(api, city, tasks):
    """销号 at 50% was taken as 100%; a report at 10% while the claim waited showed the task going backwards."""
    market, _, _ = tasks
    contradicts = report(api, city.unit_b, market, "已全部完成", progress="50", claims=True, files=[file_tuple()])
    assert contradicts.status_code == 422
    assert "申请销号即表示任务已完成，完成进度应为100%（或不填），不能是50%。" in \
        contradicts.get_json()["error"]["message"]
    assert report(api, city.unit_b, market, "已全部完成", progress="100", claims=True,
                  files=[file_tuple()]).status_code == 201
    # while the office reviews it: no lower figure from the lead unit; a note, or 100%, is fine
    backwards = report(api, city.unit_b, market, "补充台账", progress="10")
    assert backwards.status_code == 422 and "已申请销号（完成进度100%）" in backwards.get_json()["error"]["message"]
    assert report(api, city.unit_b, market, "补充台账", progress="").status_code == 201
    assert report(api, city.unit_b, market, "补充台账", progress="100").status_code == 201
    # an assisting unit reports its own part's figure as it stands
    police = create_user("jj_clerk2", "unit", PASSWORD, at("2026-11-25T10:00"), unit=city.police)
    db.session.commit()
    assert report(api, police, market, "配合情况", progress="40").status_code == 201
    figures = [r.progress for r in db.session.scalars(select(KeyTaskReport).order_by(KeyTaskReport.id))]
    assert figures == [100, None, 100, 40]
