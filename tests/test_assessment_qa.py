"""Defects a QA walk of the 文明测评 pages found: what the round page, its flashes and its PDFs say."""
from __future__ import annotations

from assessment_world import round_body

from inspect_app.assessment.models import RoundSite
from inspect_app.extensions import db

import test_assessment

create, world = test_assessment.create, test_assessment.world  # its round helper and its fixture, shared


def test_reassigning_names_the_new_inspector(api, browser, city, world):
    body = create(api, city, per_kind={"背街小巷": 1})
    site_id = body["sites"][0]["site_id"]
    admin = browser(city.admin)
    page = f"/assessment/rounds/{body['id']}"
    response = admin.submit(page, f"{page}/sites/{site_id}/assign", {"inspector_id": str(city.inspector2.id)})
    assert response.status_code == 302
    shown = admin.get(response.location).get_data(as_text=True)
    assert f"已改派给{city.inspector2.name}。" in shown and f"已改派给{city.inspector.name}。" not in shown
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == body["id"]))
    assert rs.inspector_id == city.inspector2.id
    from inspect_app.audit.models import AuditEntry  # recorded, as a 回头看's 改派 is
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "reassign"))
    assert entry is not None and entry.kind == "assessment" and entry.actor == city.admin.username
    assert f"→ {city.inspector2.name}（{city.inspector2.username}）" in entry.detail


def test_a_round_with_no_count_is_refused_in_plain_words(api, browser, city, world):
    admin = browser(city.admin)
    refused = admin.submit("/assessment/rounds/new", "/assessment/rounds/new",
                           {"kind": "spot_check", "seed": "", "inspector_ids": [str(city.inspector.id)]})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请至少为一类点位填写抽取数量。" in page and "draw.per_kind" not in page
    # the API keeps its field's name and code
    response = api.post("/api/v1/rounds", city.admin, json={**round_body(inspectors=(city.inspector,)),
                                                            "draw": {"per_kind": {}}})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_draw"


def test_a_site_with_no_failure_is_said_to_pass(api, browser, city, world):
    body = create(api, city, per_kind={"背街小巷": 1})
    url = f"/assessment/rounds/{body['id']}/sites/{body['sites'][0]['site_id']}"
    phone = browser(city.inspector)
    response = phone.submit(url, url, {"pass_BJ-01": "1", "pass_BJ-02": "1", "idempotency_key": "k-1"},
                            multipart=True)
    assert response.status_code == 303
    shown = phone.get(response.location).get_data(as_text=True)
    assert "100分，全部达标。" in shown and "0项不达标" not in shown


def test_an_edit_sent_after_a_lost_answer_is_told_the_site_stands_as_first_sent(api, browser, city, world):
    """The phone's first sending arrived but its answer was lost; the inspector added to a note and sent the same
    draft (its key) again. The page said 该 Idempotency-Key 已用于另一份不同的测评结果… and nothing more: now it
    says the site was submitted when, with what score, that the edit was not saved and how to correct it."""
    body = create(api, city, per_kind={"背街小巷": 1})
    url = f"/assessment/rounds/{body['id']}/sites/{body['sites'][0]['site_id']}"
    phone = browser(city.inspector)
    first = {"pass_BJ-01": "1", "pass_BJ-02": "1", "note_BJ-01": "路面干净", "idempotency_key": "draft-1"}
    assert phone.submit(url, url, first, multipart=True, script=True).status_code == 200
    edited = phone.submit(url, url, {**first, "note_BJ-01": "路面干净，无积水"}, multipart=True, script=True)
    error = edited.get_json()["error"]
    assert edited.status_code == 422 and error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" not in error["message"] and "键" not in error["message"]
    assert error["message"].startswith("该点位已于") and "提交过测评结果（得分100）" in error["message"]
    assert "之后修改的内容没有保存。如需更正，请联系文明办在轮次页撤回该点位的测评结果" in error["message"]
    shown = phone.get(url).get_data(as_text=True)
    assert "路面干净" in shown and "无积水" not in shown
    # a retry of what was sent is still the first result, and the office is told to withdraw it itself
    assert phone.submit(url, url, first, multipart=True, script=True).status_code == 200
    office = browser(city.admin).submit(url, url, {**first, "note_BJ-01": "另写"}, multipart=True, script=True)
    assert "请先在轮次页撤回该点位的测评结果" in office.get_json()["error"]["message"]


def test_reimporting_the_exported_checklist_offers_nothing_to_confirm(browser, city, world):
    import io
    admin = browser(city.admin)
    exported = admin.get("/assessment/checklist/export.xlsx")
    assert exported.status_code == 200
    page = "/assessment/checklist/import"
    preview = admin.submit(page, page, {"file": (io.BytesIO(exported.data), "测评体系.xlsx")}, multipart=True)
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "完全一致，无需导入" in shown
    assert "确认导入" not in shown and 'name="token"' not in shown
    # a file leaving an item out is a change: a new version without it
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(exported.data))
    sheet = book.worksheets[0]
    last = next(r for r in range(sheet.max_row, 1, -1) if sheet.cell(r, 1).value)
    sheet.delete_rows(last)
    smaller = io.BytesIO()
    book.save(smaller)
    preview = admin.submit(page, page, {"file": (io.BytesIO(smaller.getvalue()), "测评体系.xlsx")}, multipart=True)
    shown = preview.get_data(as_text=True)
    assert "完全一致" not in shown and "确认导入（新增 0，修改 0，不再包含 1）" in shown


def pdf_text(data: bytes, tmp_path, name="doc") -> str:
    import subprocess
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(" ", "").replace("\n", "")


def submit_all(api, city, round_id, sites, fail=()):
    """Every drawn site submitted by the API: the items in `fail` failed (with a photo), the others passed."""
    from assessment_world import ITEMS, results_form
    from inspect_app.sites.models import Site
    for entry in sites:
        site = db.session.get(Site, entry["site_id"])
        answers = {code: code not in fail for code, kind, *_ in ITEMS if kind == site.kind.name}
        response = api.post(f"/api/v1/rounds/{round_id}/sites/{site.id}/results", city.inspector,
                            data=results_form(answers, {c: 1 for c, ok in answers.items() if not ok}),
                            content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()


def test_the_exposure_version_carries_no_number_of_its_own(api, browser, city, world, tmp_path):
    body = create(api, city, per_kind={"背街小巷": 1})
    submit_all(api, city, body["id"], body["sites"], fail=("BJ-01",))
    number = api.post(f"/api/v1/rounds/{body['id']}/issue", city.admin).get_json()["bulletin_number"]
    admin = browser(city.admin)
    bulletin = pdf_text(admin.get(f"/assessment/rounds/{body['id']}/bulletin.pdf").data, tmp_path, "bulletin")
    exposure = pdf_text(admin.get(f"/assessment/rounds/{body['id']}/exposure.pdf").data, tmp_path, "exposure")
    assert number in bulletin
    assert "发现问题曝光" in exposure and number not in exposure and "〔" not in exposure


def test_a_site_its_closed_round_never_scored_says_so(api, browser, city, world):
    body = create(api, city, per_kind={"背街小巷": 2})
    done, missed = body["sites"]
    submit_all(api, city, body["id"], [done])
    assert api.post(f"/api/v1/rounds/{body['id']}/close", city.admin).status_code == 200
    url = f"/assessment/rounds/{body['id']}/sites/{missed['site_id']}"
    page = browser(city.inspector).get(url).get_data(as_text=True)
    assert "本轮测评已结束，该点位未测评。" in page
    assert "<form method=\"post\" enctype" not in page and 'name="pass_BJ-01"' not in page
    assert "assessment.js" not in page
    office = browser(city.admin)
    detail = office.get(f"/assessment/rounds/{body['id']}").get_data(as_text=True)
    assert "未测评" in detail and "待测评" not in detail
    scores = office.get(f"/assessment/rounds/{body['id']}/scores").get_data(as_text=True)
    assert "未测评（本轮已结束）：" in scores and "尚未提交" not in scores
    from inspect_app.sites.models import Site
    street = db.session.get(Site, missed["site_id"]).territorial_unit_id
    owner = next(u for u in (city.unit_a, city.unit_b) if u.unit_id == street)  # the site's 属地
    results = browser(owner).get("/assessment/results").get_data(as_text=True)
    assert "未测评" in results and "待测评" not in results


def test_a_unit_is_not_compared_with_a_round_it_had_no_site_in(api, browser, city, world):
    from inspect_app.sites.models import Site
    first = create(api, city, per_kind={"背街小巷": 8}, seed=1, name="第一轮")  # every lane, both districts
    submit_all(api, city, first["id"], first["sites"])
    second = create(api, city, per_kind={"农贸市场": 6, "背街小巷": 8}, seed=2, name="第二轮")
    submit_all(api, city, second["id"], second["sites"])
    # the market operator answers for markets only: none was in the first round
    page = browser(world.unit_operator).get(f"/assessment/rounds/{second['id']}/scores")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "<span>较上轮（" not in shown and "第一轮" not in shown
    assert "本单位负责的点位在同类型的上一轮测评中没有测评结果，暂无对比。" in shown
    data = api.get(f"/api/v1/rounds/{second['id']}/scores", world.unit_operator).get_json()
    assert data["previous_round_id"] is None and data["comparison"] is None
    assert api.get(f"/api/v1/rounds/{first['id']}", world.unit_operator).status_code == 404
    # a street office with lanes in both rounds is compared
    street = db.session.get(Site, first["sites"][0]["site_id"]).territorial_unit_id
    owner = next(u for u in (city.unit_a, city.unit_b) if u.unit_id == street)
    data = api.get(f"/api/v1/rounds/{second['id']}/scores", owner).get_json()
    assert data["previous_round_id"] == first["id"] and data["comparison"]["delta"] == 0


def test_the_bulletin_states_failures_as_failures(api, browser, city, world, tmp_path):
    from assessment_world import results_form
    body = create(api, city, per_kind={"背街小巷": 1, "公共厕所": 1})
    for entry in body["sites"]:
        lane = entry["site"]["kind"] == "背街小巷"
        answers = {"BJ-01": False, "BJ-02": False} if lane else {"GC-01": False, "GC-02": True}
        notes = {"BJ-01": "巷口堆放建筑垃圾。"} if lane else {}
        response = api.post(f"/api/v1/rounds/{body['id']}/sites/{entry['site_id']}/results", city.inspector,
                            data=results_form(answers, {c: 1 for c, ok in answers.items() if not ok}, notes),
                            content_type="multipart/form-data")
        assert response.status_code == 201, response.get_json()
    text = pdf_text(browser(city.admin).get(f"/assessment/rounds/{body['id']}/bulletin.pdf").data, tmp_path)
    # 四、得分较低的点位: the note and the standard fallen short of, or the standard alone
    assert "巷口堆放建筑垃圾，不符合“无乱堆乱放”要求（扣2分）" in text
    assert "不符合“无‘牛皮癣’”要求（扣1分）" in text and "不符合“无明显异味”要求（扣2分）" in text
    assert "无明显异味（扣2分）" not in text
    # the attachment's 问题 column alike
    attachment = text[text.index("整改任务清单"):]
    assert "不符合“无明显异味”要求" in attachment and "巷口堆放建筑垃圾，不符合“无乱堆乱放”要求" in attachment


def test_the_bulletins_lowest_sites_keep_a_tie_whole(app, api, browser, city, world, tmp_path):
    """得分较低的点位 listed ASSESSMENT_WORST_SITES sites and cut inside a tie: 红星农副产品市场 at 97.0 was listed and
    星沙花园 at 97.0 left out. Sites tied with the last listed are listed too, or, too many to list, the cut is said."""
    from inspect_app.sites.models import Site
    body = create(api, city, per_kind={"背街小巷": 4})
    tied, higher = body["sites"][:3], body["sites"][3]
    submit_all(api, city, body["id"], tied, fail=("BJ-01",))  # 98.0 each
    submit_all(api, city, body["id"], [higher], fail=("BJ-02",))  # 99.0
    names = {entry["site_id"]: db.session.get(Site, entry["site_id"]).name for entry in body["sites"]}
    url = f"/assessment/rounds/{body['id']}/bulletin.pdf"
    app.config["ASSESSMENT_WORST_SITES"] = 2
    text = pdf_text(browser(city.admin).get(url).data, tmp_path, "two")
    listed = text[text.index("四、得分较低的点位"):text.index("五、责任单位扣分情况")]
    assert all(names[entry["site_id"]] in listed for entry in tied), listed  # the third at 98.0 as well
    assert names[higher["site_id"]] not in listed and "未逐一列出" not in listed
    app.config["ASSESSMENT_WORST_SITES"] = 1  # three tied: listing them all would pass twice the number asked
    text = pdf_text(browser(city.admin).get(url).data, tmp_path, "one")
    listed = text[text.index("四、得分较低的点位"):text.index("五、责任单位扣分情况")]
    assert sum(names[entry["site_id"]] in listed for entry in tied) == 1
    assert "另有2个点位得分同为98.0分，未逐一列出。" in listed


def test_a_sites_task_count_opens_this_rounds_tasks_only(api, browser, city, world):
    import re
    from inspect_app.tickets.models import Ticket
    first = create(api, city, per_kind={"公共厕所": 6}, seed=1, name="第一轮")
    submit_all(api, city, first["id"], first["sites"], fail=("GC-01",))
    second = create(api, city, per_kind={"公共厕所": 6}, seed=1, name="第二轮")
    submit_all(api, city, second["id"], second["sites"], fail=("GC-01", "GC-02"))
    site_id = second["sites"][0]["site_id"]
    admin = browser(city.admin)
    detail = admin.get(f"/assessment/rounds/{second['id']}").get_data(as_text=True)
    link = re.search(rf'<a href="(/tickets\?[^"]*site_id={site_id}[^"]*)">2 项</a>', detail)
    assert link, detail
    url = link.group(1).replace("&amp;", "&")
    assert f"round_id={second['id']}" in url
    listed = admin.get(url).get_data(as_text=True)
    assert "测评轮次：<b>第二轮</b>" in listed and "不限轮次" in listed
    mine = db.session.scalars(db.select(Ticket).where(Ticket.site_id == site_id).order_by(Ticket.id)).all()
    assert len(mine) == 3  # one from the first round, two from the second
    assert mine[0].number not in listed and mine[1].number in listed and mine[2].number in listed
    # the API filters the same way
    body = api.get(f"/api/v1/tickets?site_id={site_id}&round_id={second['id']}", city.admin).get_json()
    assert sorted(t["id"] for t in body["items"]) == [mine[1].id, mine[2].id]
    assert api.get(f"/api/v1/tickets?round_id={first['id']}", city.admin).get_json()["total"] == 6
    assert api.get("/api/v1/tickets?round_id=0", city.admin).status_code == 400
    # the scores page's site names open the round's tasks too
    scores = admin.get(f"/assessment/rounds/{second['id']}/scores").get_data(as_text=True)
    assert f"site_id={site_id}&amp;round_id={second['id']}" in scores or \
        f"round_id={second['id']}&amp;site_id={site_id}" in scores


def test_figures_round_half_up():
    from inspect_app.common.numbers import fixed, round_half_up
    assert fixed(98.25) == "98.3" and fixed(56.25) == "56.3" and fixed(98.24) == "98.2"
    assert fixed(-0.25) == "-0.3" and fixed(-0.01) == "0.0" and fixed(None) == "—"
    assert round_half_up(97.125, 2) == 97.13 and round_half_up(2.675, 2) == 2.68  # as written, not as stored
    assert fixed(200 / 3) == "66.7"


def test_a_score_of_98_25_shows_as_98_3(api, browser, city, world, tmp_path):
    from inspect_app.assessment.models import ChecklistItem
    for item in db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.code.in_(["BJ-01", "BJ-02"]))):
        item.points = 1.5 if item.code == "BJ-01" else 2.0
    db.session.commit()
    # four lanes: 98.5, 98, 98, 98 → a mean of 98.125, kept as 98.1 (rounded once, to the tenth printed)
    body = create(api, city, per_kind={"背街小巷": 4}, seed=3)
    submit_all(api, city, body["id"], body["sites"][:1], fail=("BJ-01",))
    submit_all(api, city, body["id"], body["sites"][1:], fail=("BJ-02",))
    data = api.get(f"/api/v1/rounds/{body['id']}/scores", city.admin).get_json()
    assert data["overall"]["score"] == 98.1 and data["by_kind"]["背街小巷"]["score"] == 98.1
    # two lanes: 98.5 and 98 → 98.25, 98.3 in the API, on the page and in the 通报 (half-even said 98.2)
    second = create(api, city, per_kind={"背街小巷": 2}, seed=4, kind="spot_check")
    submit_all(api, city, second["id"], second["sites"][:1], fail=("BJ-01",))
    submit_all(api, city, second["id"], second["sites"][1:], fail=("BJ-02",))
    assert api.get(f"/api/v1/rounds/{second['id']}/scores", city.admin).get_json()["overall"]["score"] == 98.3
    page = browser(city.admin).get(f"/assessment/rounds/{second['id']}/scores").get_data(as_text=True)
    assert "<b>98.3</b>" in page and "98.2<" not in page
    text = pdf_text(browser(city.admin).get(f"/assessment/rounds/{second['id']}/bulletin.pdf").data, tmp_path)
    assert "平均得分98.3分" in text and "98.2" not in text


def test_a_survey_rate_of_56_25_shows_as_56_3(browser, city, now):
    import io

    from openpyxl import load_workbook

    from inspect_app.surveys import services as surveys
    survey = surveys.create(city.admin, {"title": "问卷", "intro": "",
                                         "questions": "您是否知道本市正在创建全国文明城市？\n*知道\n不知道"}, now)
    db.session.commit()
    for n in range(16):  # 9 of 16 know: 56.25%
        surveys.answer(survey, {"district": "江城区", "q1": "0" if n < 9 else "1"}, f"device{n:058d}", "a" * 64, now)
        db.session.commit()
    leader = browser(city.leader)
    page = leader.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "56.3%" in page and "56.2%" not in page
    sheet = load_workbook(io.BytesIO(leader.get(f"/surveys/{survey.id}/results.xlsx").data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["江城区", 16, 56.3, 56.3] in values and ["全市", 16, 56.3, 56.3] in values


def test_the_draw_is_stated_with_its_districts_and_the_numbers_drawn(api, browser, city, world, tmp_path):
    from inspect_app.sites.models import SiteKind
    admin = browser(city.admin)
    toilet = db.session.scalar(db.select(SiteKind).where(SiteKind.name == "公共厕所"))
    lane = db.session.scalar(db.select(SiteKind).where(SiteKind.name == "背街小巷"))
    form = {"kind": "spot_check", "name": "分层", f"count_{toilet.id}": "4", f"count_{lane.id}": "1",
            "per_district": "1", "seed": "5", "exclude_recent": "0", "districts": ["临江区", "江城区"],
            "inspector_ids": [str(city.inspector.id)]}
    response = admin.submit("/assessment/rounds/new", "/assessment/rounds/new", form)
    assert response.status_code == 302
    page = admin.get(response.location).get_data(as_text=True)
    said = "按区县分层，在临江区、江城区各抽取背街小巷1个、公共厕所4个（临江区实抽3个、江城区实抽3个，" \
           "符合条件的点位不足），共抽取点位8个"
    assert said in page and "临江区公共厕所要求4个、实抽3个" in page and "全市" not in page
    round_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    submit_all(api, city, round_id, api.get(f"/api/v1/rounds/{round_id}", city.admin).get_json()["sites"][:1])
    text = pdf_text(admin.get(f"/assessment/rounds/{round_id}/bulletin.pdf").data, tmp_path)
    assert f"本轮按点位类型随机抽取点位，{said}（抽签编号5，抽签记录留存备查）" in text

    # limited to one district, not stratified: that district is named, never 全市
    form = {**form, "name": "江城区", "per_district": "", "districts": ["江城区"], f"count_{lane.id}": "0"}
    response = admin.submit("/assessment/rounds/new", "/assessment/rounds/new", form)
    page = admin.get(response.location).get_data(as_text=True)
    assert "江城区公共厕所要求4个、实抽3个" in page and "全市" not in page
    assert "在江城区范围内抽取公共厕所3个（要求4个，符合条件的点位不足），共抽取点位3个" in page


def test_a_rounds_dates_name_the_year_it_ends_in_when_it_crosses_one():
    """Round.dates reads as the 通报 words it; a round from 30 December to 2 January names both years."""
    from conftest import at

    from inspect_app.assessment.models import Round

    within = Round(created_at=at("2026-11-14T09:00"), closed_at=at("2026-11-17T18:00"))
    across = Round(created_at=at("2026-12-30T09:00"), closed_at=at("2027-01-02T18:00"))
    one_day = Round(created_at=at("2026-11-14T09:00"), closed_at=at("2026-11-14T18:00"))
    assert within.dates == "2026年11月14日至11月17日"
    assert across.dates == "2026年12月30日至2027年1月2日"
    assert one_day.dates == "2026年11月14日"


def test_a_sites_task_count_leaves_out_tasks_voided(api, browser, city, world):
    """整改任务 N 项 on the round's page counted a ticket the office voided as 误判 as a task still to do."""
    import re
    from inspect_app.tickets.models import Ticket
    rnd = create(api, city, per_kind={"公共厕所": 6}, seed=1, name="第一轮")
    submit_all(api, city, rnd["id"], rnd["sites"], fail=("GC-01", "GC-02"))
    site_id = rnd["sites"][0]["site_id"]
    made = db.session.scalars(db.select(Ticket).where(Ticket.site_id == site_id).order_by(Ticket.id)).all()
    assert len(made) == 2
    voided = api.post(f"/api/v1/tickets/{made[0].id}/cancel", city.admin, json={"reason": "误判，现场符合标准"})
    assert voided.status_code == 200, voided.get_json()
    detail = browser(city.admin).get(f"/assessment/rounds/{rnd['id']}").get_data(as_text=True)
    row = re.search(rf'site_id={site_id}&amp;round_id={rnd["id"]}">(\d+) 项</a>( <small[^>]*>另作废 (\d+) 项)?', detail)
    assert row and row.group(1) == "1" and row.group(3) == "1", detail
