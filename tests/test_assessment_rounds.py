"""What a round records and says about itself: each drawn site as it was when drawn, the units that answered for it
when it was scored, the rounds its draw left out, who its sites wait on, a draft 通报 before (or with part of) its
results, and a unit's rounds newest first."""
from __future__ import annotations

import re

from assessment_world import results_form, round_body

from inspect_app.assessment.models import Round, RoundSite
from inspect_app.extensions import db
from inspect_app.sites.models import Site, SiteKind

import test_assessment
from test_assessment_qa import pdf_text, submit_all

create, world = test_assessment.create, test_assessment.world  # its round helper and its fixture, shared


def answer(api, city, round_id, site_id, answers):
    response = api.post(f"/api/v1/rounds/{round_id}/sites/{site_id}/results", city.inspector,
                        data=results_form(answers, {c: 1 for c, ok in answers.items() if not ok}),
                        content_type="multipart/form-data")
    return response


# ----------------------------------------------------------------------------- a site as drawn

def test_changing_a_sites_type_leaves_the_rounds_it_was_drawn_in_alone(api, browser, city, world, tmp_path):
    """A 公共厕所 scored 98 and then made a 农贸市场 (and renamed) was listed under 农贸市场 with the market's items,
    all 不达标, in the round that scored it; its round still open took the market's checklist."""
    scored = create(api, city, per_kind={"公共厕所": 1}, seed=1, name="上一轮")
    toilet = scored["sites"][0]["site_id"]
    assert answer(api, city, scored["id"], toilet, {"GC-01": False, "GC-02": True}).status_code == 201
    waiting = create(api, city, per_kind={"公共厕所": 6}, seed=1, name="进行中")  # every toilet, not yet walked
    old_name, old_district = db.session.get(Site, toilet).name, scored["sites"][0]["site"]["district"]
    new_district = "临江区" if old_district == "江城区" else "江城区"
    changed = api.call("PATCH", f"/api/v1/sites/{toilet}", city.admin,
                       json={"kind": "农贸市场", "name": "韶山路农贸市场", "district": new_district})
    assert changed.status_code == 200, changed.get_json()
    db.session.expire_all()

    admin = browser(city.admin)
    page = admin.get(f"/assessment/rounds/{scored['id']}/sites/{toilet}").get_data(as_text=True)
    assert "得分 98" in page and "无明显异味" in page and "有洗手设施" in page
    assert "划行归市" not in page and "无活禽散养" not in page
    assert old_name in page and "公共厕所" in page
    data = api.get(f"/api/v1/rounds/{scored['id']}/scores", city.admin).get_json()
    assert list(data["by_kind"]) == ["公共厕所"] and data["by_kind"]["公共厕所"]["score"] == 98.0
    assert list(data["by_district"]) == [old_district]
    assert (data["sites"][0]["kind"], data["sites"][0]["name"], data["sites"][0]["district"]) == \
        ("公共厕所", old_name, old_district)
    shown = api.get(f"/api/v1/rounds/{scored['id']}", city.admin).get_json()["sites"][0]["site"]
    assert (shown["kind"], shown["name"]) == ("公共厕所", old_name)
    detail = admin.get(f"/assessment/rounds/{scored['id']}").get_data(as_text=True)
    assert old_name in detail and "韶山路农贸市场" not in detail
    text = pdf_text(admin.get(f"/assessment/rounds/{scored['id']}/bulletin.pdf").data, tmp_path)
    assert old_name in text and "韶山路农贸市场" not in text and "农贸市场" not in text

    # the round still under way checks it against the toilet's items it was drawn with
    refused = answer(api, city, waiting["id"], toilet, {"NM-01": True, "NM-02": True, "NM-03": True})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "unknown_item"
    assert answer(api, city, waiting["id"], toilet, {"GC-01": True, "GC-02": True}).status_code == 201
    # a later round draws it as what it is now
    later = create(api, city, per_kind={"农贸市场": 4}, per_district=True, seed=2, name="下一轮")
    row = next(s for s in later["sites"] if s["site_id"] == toilet)
    assert (row["site"]["kind"], row["site"]["name"], row["site"]["district"]) == \
        ("农贸市场", "韶山路农贸市场", new_district)


def test_the_exposure_names_the_place_as_the_round_found_it(api, browser, city, world, tmp_path):
    """A toilet failed in a round; the office then gave it another street and address (moved to another street
    office's patch, or its address corrected). The round's 曝光版 printed the new place for what was found at the
    old one."""
    toilets = db.session.scalars(db.select(Site.id).join(SiteKind, Site.kind_id == SiteKind.id)
                                 .where(SiteKind.name == "公共厕所")).all()
    for site_id in toilets:  # the place as the round will draw it
        placed = api.call("PATCH", f"/api/v1/sites/{site_id}", city.admin,
                          json={"street": "东风路街道", "address": "东风路18号"})
        assert placed.status_code == 200, placed.get_json()
    scored = create(api, city, per_kind={"公共厕所": 1}, seed=1, name="本轮")
    toilet = scored["sites"][0]["site_id"]
    assert answer(api, city, scored["id"], toilet, {"GC-01": False, "GC-02": True}).status_code == 201
    moved = api.call("PATCH", f"/api/v1/sites/{toilet}", city.admin,
                     json={"street": "湘江路街道", "address": "湘江中路200号"})
    assert moved.status_code == 200, moved.get_json()
    db.session.expire_all()

    exposure = pdf_text(browser(city.admin).get(f"/assessment/rounds/{scored['id']}/exposure.pdf").data,
                        tmp_path, "exposure")
    assert "东风路街道" in exposure and "东风路18号" in exposure
    assert "湘江路街道" not in exposure and "湘江中路200号" not in exposure
    # a round drawn afterwards finds it at its new place
    later = create(api, city, per_kind={"公共厕所": 1}, seed=1, name="下一轮")
    assert answer(api, city, later["id"], toilet, {"GC-01": False, "GC-02": True}).status_code == 201
    exposure = pdf_text(browser(city.admin).get(f"/assessment/rounds/{later['id']}/exposure.pdf").data,
                        tmp_path, "later")
    assert "湘江路街道" in exposure and "湘江中路200号" in exposure and "东风路18号" not in exposure


def test_a_rounds_failures_by_type_open_the_tickets_of_the_type_it_drew(api, city, world):
    """The 考评看板 links a round's site type or district to its tickets (round_id with site_kind_id or
    site_district): by the type and district the round drew the site with, as the scores count them."""
    body = create(api, city, per_kind={"公共厕所": 1}, seed=1)
    toilet = body["sites"][0]["site_id"]
    district = body["sites"][0]["site"]["district"]
    assert answer(api, city, body["id"], toilet, {"GC-01": False, "GC-02": False}).status_code == 201
    assert api.call("PATCH", f"/api/v1/sites/{toilet}", city.admin,
                    json={"kind": "农贸市场", "district": "临江区" if district == "江城区" else "江城区"}
                    ).status_code == 200
    kinds = {k.name: k.id for k in db.session.scalars(db.select(SiteKind))}
    url = f"/api/v1/tickets?round_id={body['id']}"
    assert api.get(f"{url}&site_kind_id={kinds['公共厕所']}", city.admin).get_json()["total"] == 2
    assert api.get(f"{url}&site_kind_id={kinds['农贸市场']}", city.admin).get_json()["total"] == 0
    assert api.get(f"{url}&site_district={district}", city.admin).get_json()["total"] == 2
    # without a round, a site's type is what it is now
    assert api.get(f"/api/v1/tickets?site_kind_id={kinds['农贸市场']}", city.admin).get_json()["total"] == 2


# ----------------------------------------------------------------------------- the rounds a draw left out

def test_a_round_records_the_rounds_its_draw_left_out_and_its_draw_can_be_made_again(api, browser, city, world,
                                                                                        tmp_path):
    """"排除最近1轮" counted from now: the same request after the round drew other sites, and the round kept only
    the count. It keeps which rounds it left out; its recorded draw, posted again, draws the same sites."""
    first = create(api, city, per_kind={"背街小巷": 4}, seed=1, name="三月暗访")
    second = create(api, city, per_kind={"背街小巷": 2}, seed=77, exclude_recent=1, name="四月暗访")
    assert second["draw"]["exclude_rounds"] == [first["id"]]
    assert not {s["site_id"] for s in first["sites"]} & {s["site_id"] for s in second["sites"]}
    # the same request now leaves out the second round instead: other sites
    again = create(api, city, per_kind={"背街小巷": 2}, seed=77, exclude_recent=1, name="同样的请求")
    assert again["draw"]["exclude_rounds"] == [second["id"]]
    assert {s["site_id"] for s in again["sites"]} != {s["site_id"] for s in second["sites"]}
    # the round's recorded draw, made again, draws its sites
    redo = api.post("/api/v1/rounds", city.admin, json={**round_body(inspectors=(city.inspector,), name="复核"),
                                                        "draw": second["draw"]})
    assert redo.status_code == 201, redo.get_json()
    assert sorted(s["site_id"] for s in redo.get_json()["sites"]) == sorted(s["site_id"] for s in second["sites"])
    assert redo.get_json()["draw"]["exclude_rounds"] == [first["id"]]

    admin = browser(city.admin)
    page = admin.get(f"/assessment/rounds/{second['id']}").get_data(as_text=True)
    assert f'排除了<a href="/assessment/rounds/{first["id"]}">“三月暗访”</a>测评过的点位（4个）' in page
    assert "排除同样的轮次，在点位库未变动时重新抽取，结果相同" in page
    submit_all(api, city, second["id"], second["sites"][:1])
    text = pdf_text(admin.get(f"/assessment/rounds/{second['id']}/bulletin.pdf").data, tmp_path)
    # the office's words: the draw's number, not a software "seed"
    assert "排除了“三月暗访”测评过的点位（抽签编号77，抽签记录留存备查）" in text and "种子" not in text

    bad = {**round_body(inspectors=(city.inspector,)), "draw": {**second["draw"], "exclude_rounds": [9999]}}
    response = api.post("/api/v1/rounds", city.admin, json=bad)
    assert response.status_code == 422 and "9999" in response.get_json()["error"]["message"]
    bad["draw"]["exclude_rounds"] = str(first["id"])
    assert api.post("/api/v1/rounds", city.admin, json=bad).status_code == 400


# ----------------------------------------------------------------------------- who a site waits on

def _text(page: str) -> str:
    """The page's words without its tags."""
    return re.sub(r"<[^>]+>", "", page)


def _menus(page: str) -> list[list[tuple[str, bool]]]:
    """Each 改派 menu's options: (label, selected)."""
    return [[(label, " selected" in attrs) for attrs, label in re.findall(r"<option([^>]*)>([^<]*)</option>", menu)]
            for menu in re.findall(r'<select name="inspector_id"[^>]*>(.*?)</select>', page, re.S)]

def test_each_rows_controls_name_their_site(api, browser, city, world):
    """A screen reader going through a round's sites with Tab heard 督查员, 改派 and 撤回 fifteen times, never
    which site: each row's menu, button and link now name their site, as 待办事项's 派遣 menus name their problem."""
    body = create(api, city, per_kind={"背街小巷": 2})
    submitted = body["sites"][0]
    assert answer(api, city, body["id"], submitted["site_id"], {"BJ-01": True, "BJ-02": True}).status_code == 201
    page = browser(city.admin).get(f"/assessment/rounds/{body['id']}").get_data(as_text=True)
    names = {s["site_id"]: s["site"]["name"] for s in body["sites"]}
    [waiting] = [n for site_id, n in names.items() if site_id != submitted["site_id"]]
    assert re.findall(r'<select name="inspector_id" aria-label="([^"]*)"', page) == [f"{waiting}的督查员"]
    assert re.findall(r'<button type="submit" class="link-btn" aria-label="([^"]*)">改派</button>', page) == \
        [f"改派{waiting}"]
    assert re.findall(r'aria-label="([^"]*)">撤回</a>', page) == [f"撤回{names[submitted['site_id']]}的测评结果"]


def test_a_site_left_with_a_disabled_inspector_shows_them_and_is_counted(api, browser, city, world):
    """The 改派 list held only active inspectors: a site of a disabled one showed 督查员1号 as if it were theirs,
    and nothing said that nobody would walk it."""
    body = create(api, city, per_kind={"背街小巷": 3}, inspectors=(city.inspector2,))
    city.inspector2.active = False
    db.session.commit()
    admin = browser(city.admin)
    url = f"/assessment/rounds/{body['id']}"
    page = admin.get(url).get_data(as_text=True)
    assert "有 3 个待测评点位分配给了已停用的督查员" in _text(page)
    menus = _menus(page)
    assert len(menus) == 3
    for options in menus:
        assert [label for label, chosen in options if chosen] == [f"{city.inspector2.name}（已停用）"]
        assert city.inspector.name in [label for label, _ in options]  # to move it to
    site_id = body["sites"][0]["site_id"]
    response = admin.submit(url, f"{url}/sites/{site_id}/assign", {"inspector_id": str(city.inspector.id)})
    assert response.status_code == 302
    assert "有 2 个待测评点位分配给了已停用的督查员" in admin.get(url).get_data(as_text=True)
    # a leader reads who holds them, without the office's prompt
    leader = browser(city.leader).get(url).get_data(as_text=True)
    assert f"{city.inspector2.name} <span class=\"badge stranded\">已停用</span>" in leader
    assert "请在下表中改派" not in leader


def test_only_an_inspector_is_given_a_rounds_sites(api, browser, city, world):
    """The API took the office's account as an inspector (the page offered only inspectors): its sites then showed
    督查员1号 in the 改派 list. Inspectors walk the sites; the office may submit any site without holding it."""
    response = api.post("/api/v1/rounds", city.admin, json=round_body(inspectors=(city.admin,)))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_inspectors"
    body = create(api, city, per_kind={"背街小巷": 1})
    site_id = body["sites"][0]["site_id"]
    moved = api.call("PATCH", f"/api/v1/rounds/{body['id']}/sites/{site_id}", city.admin,
                     json={"inspector_id": city.admin.id})
    assert moved.status_code == 422 and moved.get_json()["error"]["code"] == "invalid_inspectors"
    empty = api.call("PATCH", f"/api/v1/rounds/{body['id']}/sites/{site_id}", city.admin, json={})
    assert empty.status_code == 400 and empty.get_json()["error"]["message"] == "请选择要改派给的督查员。"
    # one given to the office before: shown as it is, and counted
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == body["id"]))
    rs.inspector_id = city.admin.id
    db.session.commit()
    page = browser(city.admin).get(f"/assessment/rounds/{body['id']}").get_data(as_text=True)
    assert [label for options in _menus(page) for label, chosen in options if chosen] == \
        [f"{city.admin.name}（不是督查员）"]
    assert "有 1 个待测评点位" in _text(page)
    # the office still submits it itself
    assert answer(api, city, body["id"], site_id, {"BJ-01": True, "BJ-02": True}).status_code == 403
    office = api.post(f"/api/v1/rounds/{body['id']}/sites/{site_id}/results", city.admin,
                      data=results_form({"BJ-01": True, "BJ-02": True}), content_type="multipart/form-data")
    assert office.status_code == 201


# ----------------------------------------------------------------------------- a draft 通报

def test_a_draft_bulletin_before_any_result_says_none_is_in(api, city, world, tmp_path):
    """0 of N submitted: the draft said 平均得分—分, 发现不达标问题0个，均已作为整改任务派发, 相比持平 and
    本轮测评点位全部达标, under empty tables."""
    before = create(api, city, per_kind={"背街小巷": 2}, seed=1, name="上一轮")
    submit_all(api, city, before["id"], before["sites"])
    body = create(api, city, per_kind={"背街小巷": 2}, seed=2, name="本轮")
    text = pdf_text(api.get(f"/api/v1/rounds/{body['id']}/pdf", city.admin).data, tmp_path)
    assert "本轮应测评点位2个，尚无点位提交测评结果。" in text
    for wrong in ("平均得分", "—分", "相比", "持平", "全部达标", "均已作为整改任务派发", "共测评点位0个",
                  "二、各类点位得分情况", "三、各区县得分情况", "附件"):
        assert wrong not in text, wrong
    exposure = pdf_text(api.get(f"/api/v1/rounds/{body['id']}/exposure.pdf", city.admin).data, tmp_path, "exp")
    assert "尚无点位提交察看结果。" in exposure and "发现以下0个" not in exposure


def test_a_draft_bulletin_with_part_of_the_results_says_what_it_counts(api, city, world, tmp_path):
    body = create(api, city, per_kind={"背街小巷": 3}, seed=2, name="本轮")
    submit_all(api, city, body["id"], body["sites"][:2])  # both pass
    text = pdf_text(api.get(f"/api/v1/rounds/{body['id']}/pdf", city.admin).data, tmp_path)
    assert "本轮应测评点位3个，已测评2个（1个尚未提交结果，以下按已测评的点位统计），平均得分100.0分" in text
    assert "未发现不达标问题。" in text and "已测评的点位全部达标。" in text
    assert "不达标问题0个" not in text and "本轮测评点位全部达标" not in text and "附件所列" not in text
    assert api.post(f"/api/v1/rounds/{body['id']}/close", city.admin).status_code == 200
    text = pdf_text(api.get(f"/api/v1/rounds/{body['id']}/pdf", city.admin).data, tmp_path, "closed")
    assert "已测评2个（1个未测评，以下按已测评的点位统计）" in text
    exposure = pdf_text(api.get(f"/api/v1/rounds/{body['id']}/exposure.pdf", city.admin).data, tmp_path, "exp")
    assert "察看的点位未发现问题。" in exposure and "发现以下0个" not in exposure


# ----------------------------------------------------------------------------- who answered for a site then

def _move(api, city, site_id, street):
    """The office gives the site to another 属地 street office."""
    moved = api.call("PATCH", f"/api/v1/sites/{site_id}", city.admin, json={"units": {"territorial": street.id}})
    assert moved.status_code == 200, moved.get_json()
    db.session.expire_all()


def _round_as_seen(api, browser, city, world, round_id, tmp_path, name):
    """Everything a round says of who answers for what: the office's scores, each street office's and the market
    regulator's, the round as the units read it, their results pages and the draft 通报 (with its 附件)."""
    seen = {"pdf": pdf_text(api.get(f"/api/v1/rounds/{round_id}/pdf", city.admin).data, tmp_path, name)}
    for label, user in (("admin", city.admin), ("a", city.unit_a), ("b", city.unit_b), ("sj", world.unit_market)):
        seen[f"scores_{label}"] = api.get(f"/api/v1/rounds/{round_id}/scores", user).get_json()
        seen[f"round_{label}"] = api.get(f"/api/v1/rounds/{round_id}", user).get_json()
    for label, user in (("a", city.unit_a), ("b", city.unit_b)):
        page = browser(user).get("/assessment/results").get_data(as_text=True)
        seen[f"page_{label}"] = re.findall(r"<strong>([^<]+)</strong>", page)
    # the 红黑榜's 测评得分 of the month (its sites' latest round)
    from datetime import timedelta

    from inspect_app.rankings.counts import unit_counts
    from inspect_app.rankings.periods import parse_period
    figures = unit_counts(parse_period("2026-11"), db.session.get(Round, round_id).created_at + timedelta(hours=1))
    seen["ranking"] = {unit.id: (figures[unit.id].assessment, figures[unit.id].assessed_sites)
                       for unit in (city.street_a, city.street_b)}
    return seen


def test_moving_a_site_to_another_street_office_leaves_its_scored_round_as_it_was(api, browser, city, world,
                                                                                  tmp_path):
    """A lane of 甲街道 failed BJ-01 in a round; the office then made it 乙街道's. The round's unit scores, 甲's and
    乙's views of it and the 通报 moved with it: 甲 lost the result charged to it, 乙 was shown and charged with it."""
    round_id, place = test_assessment.run_round(api, city, world)
    lane = place[("背街小巷", "江城区")]  # 98: BJ-01 failed, charged to 甲街道 (street_a)
    lane_name = db.session.get(Site, lane).name
    before = _round_as_seen(api, browser, city, world, round_id, tmp_path, "before")
    units = {u["unit_id"]: u for u in before["scores_admin"]["by_unit"]}
    assert units[city.street_a.id]["sites"] == 3 and units[city.street_b.id]["sites"] == 3
    assert lane_name in before["page_a"] and lane_name not in before["page_b"]
    assert "甲街道办事处" in before["pdf"] and "整改任务清单" in before["pdf"]

    _move(api, city, lane, city.street_b)
    assert db.session.get(Site, lane).territorial_unit_id == city.street_b.id
    after = _round_as_seen(api, browser, city, world, round_id, tmp_path, "after")
    # the office's scores, both street offices' and the regulator's, the rounds, the pages and the 通报
    assert [key for key in before if after[key] != before[key]] == []
    # the site's results: 甲 still reads them, 乙 never did
    url = f"/api/v1/rounds/{round_id}/sites/{lane}/results"
    assert api.get(url, city.unit_a).status_code == 200
    assert api.get(url, city.unit_b).status_code == 404
    # its task stays with the unit it was given to
    assert {t["unit"]["id"] for t in api.get(f"/api/v1/tickets?site_id={lane}", city.admin).get_json()["items"]} \
        == {city.street_a.id}
    # a round drawn afterwards has it as 乙's
    later = create(api, city, per_kind={"背街小巷": 4}, per_district=True, seed=3, name="下一轮")
    assert answer(api, city, later["id"], lane, {"BJ-01": False, "BJ-02": True}).status_code == 201
    mine = api.get(f"/api/v1/rounds/{later['id']}/scores", city.unit_b).get_json()
    assert lane in {s["site_id"] for s in mine["sites"]}
    assert api.get(f"/api/v1/rounds/{later['id']}/sites/{lane}/results", city.unit_a).status_code == 404


def test_a_site_moved_before_it_is_scored_answers_with_its_new_unit(api, browser, city, world):
    """Corrected during the round (or withdrawn and scored again): the units it has when scored are the round's;
    a site its closed round never scored keeps the units it had at the close."""
    body = create(api, city, per_kind={"背街小巷": 4}, per_district=True, seed=5, name="本轮")
    lanes = [s["site_id"] for s in body["sites"] if db.session.get(Site, s["site_id"]).district == "江城区"]
    corrected, withdrawn, missed = lanes[:3]
    round_id = body["id"]
    _move(api, city, corrected, city.street_b)  # a correction before it is scored
    assert answer(api, city, round_id, corrected, {"BJ-01": False, "BJ-02": True}).status_code == 201
    assert answer(api, city, round_id, withdrawn, {"BJ-01": False, "BJ-02": True}).status_code == 201
    scores = {u["unit_id"]: u for u in api.get(f"/api/v1/rounds/{round_id}/scores", city.admin).get_json()["by_unit"]}
    assert (scores[city.street_b.id]["sites"], scores[city.street_b.id]["failed"]) == (1, 1)
    assert (scores[city.street_a.id]["sites"], scores[city.street_a.id]["failed"]) == (1, 1)
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{corrected}/results", city.unit_b).status_code == 200
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{corrected}/results", city.unit_a).status_code == 404

    # withdrawn, moved, scored again: the units it has at the new submission
    assert api.post(f"/api/v1/rounds/{round_id}/sites/{withdrawn}/withdraw", city.admin,
                    json={"reason": "点位测错"}).status_code == 200
    _move(api, city, withdrawn, city.street_b)
    assert answer(api, city, round_id, withdrawn, {"BJ-01": True, "BJ-02": False}).status_code == 201
    scores = {u["unit_id"]: u for u in api.get(f"/api/v1/rounds/{round_id}/scores", city.admin).get_json()["by_unit"]}
    assert (scores[city.street_b.id]["sites"], scores[city.street_b.id]["failed"]) == (2, 2)
    assert city.street_a.id not in scores
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{withdrawn}/results", city.unit_a).status_code == 404

    # closed with a site never scored: 甲 sees it 未测评 in that round, and still does once the site is 乙's
    assert api.post(f"/api/v1/rounds/{round_id}/close", city.admin).status_code == 200
    assert missed in {s["site_id"] for s in api.get(f"/api/v1/rounds/{round_id}", city.unit_a).get_json()["sites"]}
    _move(api, city, missed, city.street_b)
    assert missed in {s["site_id"] for s in api.get(f"/api/v1/rounds/{round_id}", city.unit_a).get_json()["sites"]}
    assert missed not in {s["site_id"] for s in api.get(f"/api/v1/rounds/{round_id}", city.unit_b).get_json()["sites"]}
    missed_name = db.session.get(Site, missed).name
    assert missed_name in browser(city.unit_a).get("/assessment/results").get_data(as_text=True)
    assert missed_name not in browser(city.unit_b).get("/assessment/results").get_data(as_text=True)


# ----------------------------------------------------------------------------- a unit's results

def test_a_units_results_list_the_newest_round_first(api, browser, city, world):
    names = ("一月模拟测评", "二月模拟测评", "三月模拟测评")
    for seed, name in enumerate(names, start=1):
        body = create(api, city, per_kind={"农贸市场": 1}, seed=seed, name=name)
        submit_all(api, city, body["id"], body["sites"])
    assert [r.name for r in db.session.scalars(db.select(Round).order_by(Round.id))] == list(names)
    page = browser(world.unit_market).get("/assessment/results").get_data(as_text=True)
    shown = re.findall(r"<h2>(\S+模拟测评) <small>", page)
    assert shown == list(reversed(names))


# ----------------------------------------------------------------------------- rounds drawn before the record

def test_migration_0124_records_what_each_drawn_site_was_and_the_rounds_left_out(app, now):
    """Rounds drawn before the record: a submitted site keeps the type its results were answered against, the
    others the type they have; each round names the N rounds made before it."""
    import json

    from conftest import City
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from assessment_world import World
    from inspect_app.assessment import services

    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    try:
        upgrade()
        city = City(now)
        place = World(city, now)
        rounds = []
        for seed, exclude in ((1, 0), (2, 1), (3, 2)):
            rnd, _ = services.create_round(city.admin, services.RoundInput(
                kind="spot_check", name=f"第{seed}轮", per_kind={"公共厕所": 2}, inspector_ids=[city.inspector.id],
                seed=seed, exclude_recent=exclude), now)
            rounds.append(rnd.id)
        rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == rounds[0]))
        answers = [services.Answer(i.code, True) for i in services.items_for(rs)]
        services.submit(city.admin, rs.round, rs.site_id, answers, None, now, processed={})
        site_id, market, toilet = rs.site_id, place.kinds["农贸市场"].id, place.kinds["公共厕所"].id
        db.session.commit()
        db.session.remove()
        downgrade(revision="0123")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE sites SET kind_id = :k, name = '改名后' WHERE id = :s"),
                         {"k": market, "s": site_id})
            conn.execute(text("UPDATE assessment_rounds SET draw_json = :d"),  # as rounds recorded their draw then
                         {"d": json.dumps({"exclude_recent": 2})})
        upgrade()
        with db.engine.connect() as conn:
            drawn = conn.execute(text("SELECT round_id, site_kind_id, site_name FROM round_sites WHERE site_id = :s "
                                      "ORDER BY round_id"), {"s": site_id}).all()
            specs = dict(conn.execute(text("SELECT id, draw_json FROM assessment_rounds")).all())
        assert drawn[0] == (rounds[0], toilet, "改名后")  # submitted: the type it was answered as
        assert all(kind == market for _, kind, _ in drawn[1:])  # not answered: the type it has
        assert [json.loads(specs[i])["exclude_rounds"] for i in rounds] == [[], [rounds[0]], [rounds[1], rounds[0]]]
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()


def test_migration_0132_fixes_the_units_of_scored_and_closed_rounds_sites(app, now):
    """Rounds from before the record: a submitted site, and every site of a closed round, take the units the site
    has (nothing kept the earlier ones); a site still waiting in an open round keeps answering with the site's."""
    from conftest import City
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from assessment_world import World
    from inspect_app.assessment import services

    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    try:
        upgrade()
        city = City(now)
        World(city, now)
        made = {}
        for name in ("已结束", "进行中"):
            rnd, _ = services.create_round(city.admin, services.RoundInput(
                kind="spot_check", name=name, per_kind={"公共厕所": 2}, inspector_ids=[city.inspector.id], seed=1),
                now)
            made[name] = rnd
        scored = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == made["进行中"].id)
                                   .order_by(RoundSite.id))
        services.submit(city.admin, made["进行中"], scored.site_id,
                        [services.Answer(i.code, True) for i in services.items_for(scored)], None, now, processed={})
        services.close_round(city.admin, made["已结束"], now)
        closed, open_, street_b = made["已结束"].id, made["进行中"].id, city.street_b.id
        db.session.commit()
        db.session.remove()
        downgrade(revision="0131")
        with db.engine.begin() as conn:  # moved while nothing recorded its units: the upgrade knows only these
            conn.execute(text("UPDATE sites SET territorial_unit_id = :b"), {"b": street_b})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT round_id, status, territorial_unit_id, sector_unit_id, operator_unit_id FROM round_sites "
                "ORDER BY id")).all()
            sites = {r[0]: r[1:] for r in conn.execute(text(
                "SELECT round_sites.id, sites.territorial_unit_id, sites.sector_unit_id, sites.operator_unit_id "
                "FROM round_sites JOIN sites ON sites.id = round_sites.site_id"))}
            ids = [r[0] for r in conn.execute(text("SELECT id FROM round_sites ORDER BY id"))]
        fixed = {(closed, "assigned"), (open_, "submitted")}
        assert len(rows) == 4 and sum((r[0], r[1]) in fixed for r in rows) == 3
        for rs_id, (round_id, status, *units) in zip(ids, rows):
            if (round_id, status) in fixed:
                assert tuple(units) == sites[rs_id] and units[0] == street_b
            else:  # waiting in the open round: the site's units, whatever they become
                assert units == [None, None, None]
    finally:
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
