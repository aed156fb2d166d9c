"""What an overseeing unit's clerk reads of its 辖区 (units/territory.py), read only: the letters issued to its units
(督办函, 督查通报) and the assessment results of the sites its units answer for."""
from __future__ import annotations

import re

import pytest
from assessment_world import World
from conftest import PASSWORD, at
from sqlalchemy import func, select

from inspect_app.assessment.models import Result, RoundSite
from inspect_app.escalation import compose, followup, signing
from inspect_app.escalation.models import EscalationFile, LetterReply, LetterUnit
from inspect_app.extensions import db
from inspect_app.units.models import Unit

from test_assessment import run_round
from test_letters import FRIDAY, draft_from_proposals, file_ticket, overdue, photo  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def clock(clock):
    clock.stop("2026-11-27T10:00:00+08:00")
    return clock


@pytest.fixture
def districts(city, now):
    """甲区 over 甲街道, 乙区 over 乙街道, each with a clerk."""
    from inspect_app.auth.services import create_user
    qxa = Unit(code="QXA", name="甲区人民政府", kind="区县")
    qxb = Unit(code="QXB", name="乙区人民政府", kind="区县")
    db.session.add_all([qxa, qxb])
    db.session.flush()
    city.street_a.parent_id, city.street_b.parent_id = qxa.id, qxb.id
    a = create_user("qxa", "unit", PASSWORD, now, unit=qxa)
    b = create_user("qxb", "unit", PASSWORD, now, unit=qxb)
    db.session.commit()
    return a, b


@pytest.fixture
def letters(city, overdue):  # noqa: F811  (the fixture imported above)
    """An issued letter to 甲街道 and 乙街道, an issued 督查通报 to 乙街道 alone, a draft 督查通报 to 甲街道."""
    both = draft_from_proposals(city)
    signing.sign(city.leader, both, at(FRIDAY))
    only_b = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[2].id], "kind": "bulletin"})
    db.session.flush()
    signing.sign(city.leader, only_b, at(FRIDAY))
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id], "kind": "bulletin"})
    db.session.commit()
    assert both.unit_ids == [city.street_a.id, city.street_b.id] and only_b.unit_ids == [city.street_b.id]
    assert draft.status == "draft" and draft.unit_ids == [city.street_a.id]
    return both, only_b, draft


def _written() -> tuple:
    """Everything a 签收 or a reply would write."""
    return (db.session.scalar(select(func.count(LetterReply.id))), db.session.scalar(select(func.count(EscalationFile.id))),
            tuple(db.session.scalars(select(LetterUnit.acknowledged_at).order_by(LetterUnit.id))),
            tuple(db.session.scalars(select(LetterUnit.replied_at).order_by(LetterUnit.id))))


def test_a_district_reads_the_letters_issued_to_its_streets(app, city, districts, letters, browser, api):
    qxa, qxb = districts
    both, only_b, draft = letters
    clerk = browser(qxa)
    own = clerk.get("/letters").get_data(as_text=True)
    assert "本单位暂无督办函" in own and 'href="/letters?scope=territory"' in own  # 本单位 | 辖区
    page = clerk.get("/letters?scope=territory").get_data(as_text=True)
    assert both.number in page and only_b.number not in page and "草稿" not in page
    assert "主送：甲街道办事处</span>" in page and "问题 2 件" in page  # what 甲街道 reads of it, not 乙街道's part
    detail = clerk.get(f"/letters/{both.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "仅可查看（辖区督导）" in text
    assert "甲街道办事处" in text and "乙街道办事处" not in text
    assert all(n in text for n in _numbers(both, city.street_a))
    assert not any(n in text for n in _numbers(both, city.street_b))
    assert 'action="/letters/%d/acknowledge"' % both.id not in text and 'name="text"' not in text  # no 签收, no reply
    assert clerk.get(f"/letters/{both.id}/pdf").status_code == 200
    # another district's letter and a draft: absent
    for letter in (only_b, draft):
        assert clerk.get(f"/letters/{letter.id}").status_code == 404
        assert clerk.get(f"/letters/{letter.id}/pdf").status_code == 404
        assert api.get(f"/api/v1/letters/{letter.id}", qxa).status_code == 404
    # 乙区 reads both of 乙街道's, 甲区's neither
    assert {x["id"] for x in api.get("/api/v1/letters?scope=territory", qxb).get_json()} == {both.id, only_b.id}
    found = api.get("/api/v1/letters?scope=territory", qxa).get_json()
    assert [x["id"] for x in found] == [both.id] and found[0]["read_only"] is True
    assert [u["name"] for u in found[0]["units"]] == ["甲街道办事处"]
    shown = api.get(f"/api/v1/letters/{both.id}", qxa).get_json()
    assert {i["unit_id"] for i in shown["items"]} == {city.street_a.id} and len(shown["items"]) == 2
    assert api.get("/api/v1/letters", qxa).get_json() == []  # the default stays its own
    assert api.get("/api/v1/letters?scope=all", qxa).status_code == 400
    # the 督办函 menu's count stays about its own letters: 甲街道 has one to sign for, 甲区 none (its 消息 tell it of
    # its street's letter: test_territory_inbox.py)
    assert '督办函<b class="nav-count"' in browser(city.unit_a).get("/letters").get_data(as_text=True)
    assert '督办函<b class="nav-count"' not in clerk.get("/letters?scope=territory").get_data(as_text=True)


def _numbers(letter, unit) -> set[str]:
    return {item.ticket_number for item in letter.items if item.unit_id == unit.id}


def test_the_district_cannot_sign_for_or_reply_to_its_streets_letters(app, city, districts, letters, browser, api):
    qxa, _ = districts
    both, only_b, draft = letters
    clerk = browser(qxa)
    before = _written()
    page = f"/letters/{both.id}"
    for action, data in ((f"/letters/{both.id}/acknowledge", {}), (f"/letters/{both.id}/reply", {"text": "已整改"})):
        assert clerk.submit(page, action, data).status_code == 403
    assert api.post(f"/api/v1/letters/{both.id}/acknowledge", qxa).status_code == 403
    refused = api.post(f"/api/v1/letters/{both.id}/reply", qxa, data={"text": "已整改"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "read_only"
    for letter in (only_b, draft):  # not its to read: absent, as before
        assert api.post(f"/api/v1/letters/{letter.id}/acknowledge", qxa).status_code == 404
    for action in ("sign", "return", f"items/{both.items[0].ticket_id}/clear"):
        assert api.post(f"/api/v1/letters/{both.id}/{action}", qxa, json={}).status_code == 403
    db.session.expire_all()
    assert _written() == before


def test_a_district_reads_its_streets_replies_but_not_others(app, city, districts, letters, api):
    qxa, _ = districts
    both, _, _ = letters
    for unit_user, text in ((city.unit_a, "甲街道已整改"), (city.unit_b, "乙街道已整改")):
        assert api.post(f"/api/v1/letters/{both.id}/reply", unit_user, data={"text": text}).status_code == 201
    assert [r["text"] for r in api.get(f"/api/v1/letters/{both.id}/replies", qxa).get_json()] == ["甲街道已整改"]
    shown = api.get(f"/api/v1/letters/{both.id}", qxa).get_json()
    assert shown["acknowledged_at"] is not None  # 甲街道 signed for it (a reply does), whatever 乙街道 did
    # the 约谈 scheduled for its street, not the other district's street's
    for unit in (city.street_a, city.street_b):
        followup.schedule_interview(city.admin, unit.id, at(FRIDAY), {
            "scheduled_at": "2026-12-01T09:00", "place": "区文明办会议室", "attendees": f"{unit.name}主要负责人",
            "letter_id": str(both.id)})
    db.session.commit()
    interviews = api.get(f"/api/v1/letters/{both.id}", qxa).get_json()["interviews"]
    assert [i["unit_id"] for i in interviews] == [city.street_a.id]


def test_a_unit_with_nobody_under_it_reads_as_before(app, city, districts, letters, api):
    both, only_b, _ = letters
    for scope in ("", "?scope=territory"):
        seen = api.get(f"/api/v1/letters{scope}", city.unit_a).get_json()
        assert [x["id"] for x in seen] == [both.id] and seen[0]["read_only"] is False
        assert [u["name"] for u in seen[0]["units"]] == ["甲街道办事处"]
    assert api.get(f"/api/v1/letters/{only_b.id}", city.unit_a).status_code == 404
    assert len(api.get(f"/api/v1/letters/{both.id}", city.unit_a).get_json()["items"]) == 2


@pytest.fixture
def county(city, now):
    """丙区 over both streets (甲街道 and 乙街道), with its clerk."""
    from inspect_app.auth.services import create_user
    qxc = Unit(code="QXC", name="丙区人民政府", kind="区县")
    db.session.add(qxc)
    db.session.flush()
    city.street_a.parent_id = city.street_b.parent_id = qxc.id
    clerk = create_user("qxc", "unit", PASSWORD, now, unit=qxc)
    db.session.commit()
    return clerk


def _letter_ids(found) -> set[int]:
    return {x["id"] for x in found.get_json()}


def test_a_district_narrows_its_letters_to_one_street_and_those_under_it(app, city, county, letters, browser, api):
    both, only_b, _ = letters
    clerk = browser(county)
    whole = clerk.get("/letters?scope=territory").get_data(as_text=True)
    assert both.number in whole and only_b.number in whole
    assert '<label class="sub-unit">下属单位<select name="sub_unit">' in whole
    assert f'<option value="{city.street_a.id}">甲街道办事处</option>' in whole
    # 甲街道: the letter to both streets alone, with 甲街道's row and items only
    page = clerk.get(f"/letters?scope=territory&sub_unit={city.street_a.id}").get_data(as_text=True)
    assert both.number in page and only_b.number not in page
    assert "主送：甲街道办事处</span>" in page and "乙街道办事处</span>" not in page
    assert f'<option value="{city.street_a.id}" selected>' in page and 'href="/letters?scope=territory">清除</a>' in page
    street_b = clerk.get(f"/letters?sub_unit={city.street_b.id}").get_data(as_text=True)  # sub_unit: the 辖区 scope
    assert both.number in street_b and only_b.number in street_b and "主送：乙街道办事处</span>" in street_b
    # the pages keep it
    paged = clerk.get(f"/letters?scope=territory&sub_unit={city.street_b.id}&per_page=1").get_data(as_text=True)
    assert f"sub_unit={city.street_b.id}" in re.search(r'<nav class="pager".*?</nav>', paged, re.S).group(0)
    # the API: the same letters; a 下属单位 with a unit under it (乙街道 under 甲街道, as a 社区) takes in its letters
    url = "/api/v1/letters?scope=territory&sub_unit={}"
    assert _letter_ids(api.get(url.format(city.street_a.id), county)) == {both.id}
    assert _letter_ids(api.get(f"/api/v1/letters?sub_unit={city.street_b.id}", county)) == {both.id, only_b.id}
    # each letter with the 下属单位's 主送 row and items only, as the page shows it
    [listed] = api.get(url.format(city.street_a.id), county).get_json()
    assert [u["name"] for u in listed["units"]] == ["甲街道办事处"]
    assert set(listed["ticket_ids"]) == {item.ticket_id for item in both.items if item.unit_id == city.street_a.id}
    assert len(listed["ticket_ids"]) < len(both.items)
    whole = {x["id"]: x for x in api.get("/api/v1/letters?scope=territory", county).get_json()}
    assert [u["name"] for u in whole[both.id]["units"]] == ["甲街道办事处", "乙街道办事处"]
    city.street_b.parent_id = city.street_a.id
    db.session.commit()
    assert _letter_ids(api.get(url.format(city.street_a.id), county)) == {both.id, only_b.id}
    assert _letter_ids(api.get(url.format(city.street_b.id), county)) == {both.id, only_b.id}
    page = clerk.get(f"/letters?scope=territory&sub_unit={city.street_a.id}").get_data(as_text=True)
    assert only_b.number in page and "主送：甲街道办事处、乙街道办事处</span>" in page


def test_a_street_outside_the_district_is_refused_on_the_letters_list(app, city, districts, letters, browser, api):
    qxa, _ = districts
    both, only_b, _ = letters
    refused = browser(qxa).get(f"/letters?scope=territory&sub_unit={city.street_b.id}")
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert ('<div autofocus tabindex="-1" class="alert error" role="alert">'
            "所选下属单位不在本单位辖区内，请从“下属单位”中重新选择。</div>") in body
    assert both.number not in body and only_b.number not in body and "暂无督办函" not in body
    outside = api.get(f"/api/v1/letters?scope=territory&sub_unit={city.street_b.id}", qxa)
    assert outside.status_code == 404 and outside.get_json()["error"]["code"] == "not_found"
    answer = api.get("/api/v1/letters?scope=territory&sub_unit=abc", qxa)
    assert answer.status_code == 400 and answer.get_json()["error"]["message"] == "下属单位（sub_unit）应为整数。"
    page = browser(qxa).get("/letters?scope=territory&sub_unit=abc")
    assert page.status_code == 400 and "下属单位（sub_unit）应为整数。" in page.get_data(as_text=True)


# ----------------------------------------------------------------------------- 测评结果

def _main(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def test_a_district_reads_the_results_of_its_streets_sites(app, city, districts, browser, api, now):
    qxa, qxb = districts
    world = World(city, now)
    round_id, place = run_round(api, city, world)
    clerk = browser(qxa)
    own = clerk.get("/assessment/results").get_data(as_text=True)
    assert "本单位负责的点位还没有被抽中测评" in own and 'href="/assessment/results?scope=territory"' in own
    page = _main(clerk.get("/assessment/results?scope=territory").get_data(as_text=True))
    assert "江城区背街小巷" in page and "江城区公共厕所" in page and "临江区" not in page
    assert "属地：甲街道办事处" in page and "管理主体：市环卫处" in page
    lane = db.session.scalar(select(Result).join(RoundSite).where(RoundSite.site_id == place[("背街小巷", "江城区")],
                                                                   Result.passed.is_(False)))
    assert f'href="/tickets/{lane.ticket_id}">整改任务</a> <small class="muted">由甲街道办事处整改' in page
    # every task at a site on the district's ground is one of its 辖区问题 (tickets/territory.py), a city
    # department's too: linked, named with the unit that rectifies it, and it opens
    tasks = set(db.session.scalars(select(Result.ticket_id).join(RoundSite).where(
        RoundSite.site_id.in_([s for (_, district), s in place.items() if district == "江城区"]),
        Result.ticket_id.is_not(None))))
    linked = re.findall(r'href="/tickets/(\d+)">整改任务</a>', page)
    assert len(tasks) > 1 and sorted(map(int, linked)) == sorted(tasks)
    assert re.search(r'">整改任务</a> <small class="muted">由市环卫处整改', page)
    assert all(clerk.get(f"/tickets/{task}").status_code == 200 for task in tasks)
    assert f"/assessment/rounds/{round_id}/scores" not in page  # the round's scores page is not its to open
    # the API: the same sites with scope=territory, none by default; 乙区 its own street's, never 甲区's
    assert api.get("/api/v1/rounds", qxa).get_json() == []
    assert [r["id"] for r in api.get("/api/v1/rounds?scope=territory", qxa).get_json()] == [round_id]
    sites = api.get(f"/api/v1/rounds/{round_id}?scope=territory", qxa).get_json()["sites"]
    assert {s["site"]["district"] for s in sites} == {"江城区"} and len(sites) == 3
    assert {s["site"]["district"] for s in api.get(f"/api/v1/rounds/{round_id}?scope=territory", qxb)
            .get_json()["sites"]} == {"临江区"}
    results = f"/api/v1/rounds/{round_id}/sites/{{}}/results?scope=territory"
    assert api.get(results.format(place[("背街小巷", "江城区")]), qxa).status_code == 200
    assert api.get(results.format(place[("背街小巷", "临江区")]), qxa).status_code == 404
    assert api.get(f"/api/v1/rounds/{round_id}", qxa).status_code == 404
    assert api.get("/api/v1/rounds?scope=all", qxa).status_code == 400
    # nothing to act on: a submission or a withdrawal is refused, nothing changes
    before = (db.session.scalar(select(func.count(Result.id))),
              tuple(db.session.scalars(select(RoundSite.status).order_by(RoundSite.id))))
    site = place[("背街小巷", "江城区")]
    assert api.post(f"/api/v1/rounds/{round_id}/sites/{site}/results", qxa, data={}).status_code == 403
    assert api.post(f"/api/v1/rounds/{round_id}/sites/{site}/withdraw", qxa, json={"reason": "错"}).status_code == 403
    db.session.expire_all()
    assert before == (db.session.scalar(select(func.count(Result.id))),
                      tuple(db.session.scalars(select(RoundSite.status).order_by(RoundSite.id))))
    # a street with nobody under it: as before, with or without the argument
    street = browser(city.unit_a)
    mine = _main(street.get("/assessment/results").get_data(as_text=True))
    assert "辖区" not in mine and "江城区背街小巷" in mine
    assert _main(street.get("/assessment/results?scope=territory").get_data(as_text=True)) == mine


def test_a_district_narrows_its_results_to_one_street(app, city, county, browser, api, now):
    world = World(city, now)
    round_id, place = run_round(api, city, world)
    clerk = browser(county)
    whole = _main(clerk.get("/assessment/results?scope=territory").get_data(as_text=True))
    assert "江城区背街小巷" in whole and "临江区背街小巷" in whole
    assert '<label class="sub-unit">下属单位<select name="sub_unit">' in whole
    page = _main(clerk.get(f"/assessment/results?scope=territory&sub_unit={city.street_a.id}").get_data(as_text=True))
    assert "江城区背街小巷" in page and "临江区" not in page and "属地：甲街道办事处" in page
    assert f'<option value="{city.street_a.id}" selected>' in page
    assert 'href="/assessment/results?scope=territory">清除</a>' in page
    other = _main(clerk.get(f"/assessment/results?sub_unit={city.street_b.id}").get_data(as_text=True))
    assert "临江区背街小巷" in other and "江城区" not in other  # sub_unit: the 辖区 scope
    # the API: the round, its sites and a site's results of that street alone
    assert [r["id"] for r in api.get(f"/api/v1/rounds?scope=territory&sub_unit={city.street_a.id}", county)
            .get_json()] == [round_id]
    sites = api.get(f"/api/v1/rounds/{round_id}?scope=territory&sub_unit={city.street_a.id}", county).get_json()
    assert {s["site"]["district"] for s in sites["sites"]} == {"江城区"}
    results = f"/api/v1/rounds/{round_id}/sites/{{}}/results?sub_unit={city.street_a.id}"
    assert api.get(results.format(place[("背街小巷", "江城区")]), county).status_code == 200
    assert api.get(results.format(place[("背街小巷", "临江区")]), county).status_code == 404


def test_a_street_outside_the_district_is_refused_on_the_results(app, city, districts, browser, api, now):
    qxa, _ = districts
    world = World(city, now)
    round_id, _ = run_round(api, city, world)
    refused = browser(qxa).get(f"/assessment/results?scope=territory&sub_unit={city.street_b.id}")
    assert refused.status_code == 400
    body = _main(refused.get_data(as_text=True))
    assert ('<div autofocus tabindex="-1" class="alert error" role="alert">'
            "所选下属单位不在本单位辖区内，请从“下属单位”中重新选择。</div>") in body
    assert "背街小巷" not in body and "还没有被抽中测评" not in body
    for url in ("/api/v1/rounds?scope=territory&sub_unit={}", f"/api/v1/rounds/{round_id}?scope=territory&sub_unit={{}}"):
        outside = api.get(url.format(city.street_b.id), qxa)
        assert outside.status_code == 404 and outside.get_json()["error"]["code"] == "not_found"
    answer = api.get("/api/v1/rounds?scope=territory&sub_unit=abc", qxa)
    assert answer.status_code == 400 and answer.get_json()["error"]["message"] == "下属单位（sub_unit）应为整数。"
    page = browser(qxa).get("/assessment/results?scope=territory&sub_unit=abc")
    assert page.status_code == 400 and "下属单位（sub_unit）应为整数。" in page.get_data(as_text=True)
