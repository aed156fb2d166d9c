"""A ranking group scored under a scheme of its own (ranking_groups.scheme_code): the 区县, counted over their
territory with hundreds of problems a month, are not scored with a street's per-problem deductions (which take every
district to 0 and leave the group ordered by the tie-break alone). The page, the 通报, the API and the stored list
say which scheme each group was scored under."""
from __future__ import annotations

from sqlalchemy import select
from test_rankings import AFTER_NOV, NOV, _groups_form, _pdf_text
from test_rankings_territory import _entry, districts  # noqa: F401  (the fixture)

from inspect_app.extensions import db
from inspect_app.rankings import services
from inspect_app.rankings.schemes import CITY_B_SCHEME, DEFAULT_SCHEME, DISTRICT_SCHEME, Scheme
from inspect_app.rankings.scoring import GroupRule, UnitCounts, UnitInfo, rank_groups, score

DEFAULT, CITY_B, DISTRICT = (Scheme.from_dict(d) for d in (DEFAULT_SCHEME, CITY_B_SCHEME, DISTRICT_SCHEME))


def test_a_group_with_its_own_scheme_is_scored_and_explained_under_it():
    """Two districts with a month's hundreds of problems and a street with as many: under the street's scheme all
    would score 0; the 区县 group's own scheme tells the districts apart by how they rectify."""
    units = [(UnitInfo(1, "QX1", "甲区人民政府", "区县"), "区县"), (UnitInfo(2, "QX2", "乙区人民政府", "区县"), "区县"),
             (UnitInfo(3, "JD1", "甲街道办事处", "街道"), "街道")]
    counts = {1: UnitCounts(found={"lead": {"daily": 250}}, due=200, overdue=30),
              2: UnitCounts(found={"lead": {"daily": 180}}, due=150, overdue=60),
              3: UnitCounts(found={"lead": {"daily": 250}}, due=200, overdue=30)}
    groups = [GroupRule("区县", 1, 90, 1, 100, territorial=True, scheme=DISTRICT_SCHEME),
              GroupRule("街道", 1, 90, 1, 100, order=1)]
    entries = {e.unit.id: e for e in rank_groups(units, counts, {1, 2, 3}, DEFAULT, groups)}
    assert score(counts[1], DEFAULT).score == score(counts[2], DEFAULT).score == 0
    # 100 − 250×0.05 − 30×0.2 = 81.5 for 70% (no site assessed: its share goes to the problems) + 85% on time × 30
    assert entries[1].score == 82.55 and entries[1].rank == 1
    # 100 − 180×0.05 − 60×0.2 = 79 × 70% + 60% on time × 30
    assert entries[2].score == 73.3 and entries[2].rank == 2 and entries[2].list_name == "black"
    assert entries[2].reason == ("扣分：超期未整改60件（扣12分）、日常督查发现问题180件（扣9分）；合计扣21分；"
                                 "问题扣分得分79分（占70%），按期整改率60%（占30%）")
    assert entries[3].score == 0  # the street, under the list's scheme

    # stored with a list as the whole document; a group without one stores nothing (lists published before)
    stored = [g.to_dict() for g in groups]
    assert stored[0]["scheme"] == DISTRICT_SCHEME and "scheme" not in stored[1]
    assert GroupRule.from_dict(stored[0]).own_scheme() == DISTRICT and GroupRule.from_dict(stored[1]).scheme is None
    assert GroupRule.from_dict(stored[0]).scheme_text == (
        f"区县另按“区县按辖区综合评价”计分，不适用上述扣分标准：{DISTRICT.method_text}")
    assert GroupRule.from_dict(stored[1]).scheme_text == ""


def test_the_district_group_takes_the_district_scheme_by_default(city, districts, api, browser):  # noqa: F811
    district_a, district_b, _, _ = districts
    computed = services.compute(NOV, AFTER_NOV)
    a, street = _entry(computed, district_a), _entry(computed, city.street_a)
    assert a.group == "区县" and a.score == score(a.counts, DISTRICT).score != score(a.counts, DEFAULT).score
    assert street.score == score(street.counts, DEFAULT).score
    document = computed.rules_document()
    assert document["scheme"]["code"] == "default" and document["groups"][1]["scheme"] == DISTRICT_SCHEME
    assert "scheme" not in document["groups"][0]

    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    body = api.get(f"/api/v1/rankings/{ranking.id}", city.leader).get_json()
    district_group = body["groups"][1]
    assert district_group["scheme"]["code"] == "district" and district_group["method"] == DISTRICT.method_text
    assert "method" not in body["groups"][0] and body["method"] == DEFAULT.method_text
    page = browser(city.admin).get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert f"本组另按“区县按辖区综合评价”计分，不适用上述扣分标准：{DISTRICT.method_text}" in page
    text = _pdf_text(services.ensure_pdf(ranking, "full").read_bytes())
    assert "区县另按“区县按辖区综合评价”计分，不适用上述扣分标准：满分100分，" in text
    assert "评分方案：问题扣分制（默认方案）；区县按“区县按辖区综合评价”。" in text
    groups = api.get("/api/v1/rankings/groups", city.leader).get_json()
    assert [(g["name"], g["scheme_code"], g["scheme_name"]) for g in groups][:2] == [
        ("市直部门", None, None), ("区县", "district", "区县按辖区综合评价")]
    schemes_page = browser(city.leader).get("/rankings/schemes").get_data(as_text=True)
    assert schemes_page.count("用于分组：") == 1 and "用于分组：区县（" in schemes_page

    # a trial of another scheme replaces the one in force, not the group's own
    preview = browser(city.admin).get("/rankings/preview?period=2026-11&scheme=city_b").get_data(as_text=True)
    assert "评分方案：扣分与按期整改并重（乙市方案）；区县按本组方案“区县按辖区综合评价”。" in preview
    assert "区县另设了本组评分方案，仍按本组方案计分" in preview
    trial = services.compute(NOV, AFTER_NOV, services.scheme_by_code("city_b"))
    assert _entry(trial, district_a).score == a.score
    assert _entry(trial, city.street_a).score == score(street.counts, CITY_B).score


def test_the_office_sets_a_groups_scheme_on_the_form(city, districts, browser):  # noqa: F811
    from inspect_app.audit.models import AuditEntry

    district_a, _, _, _ = districts
    admin = browser(city.admin)
    form = admin.get("/rankings/groups").get_data(as_text=True)
    assert '<option value="">现行方案</option>' in form and "启用的方案（现为“问题扣分制（默认方案）”）计分" in form
    assert '<option value="district" selected>区县按辖区综合评价</option>' in form
    published = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    before = _entry(services.compute(NOV, AFTER_NOV), district_a).score

    # a code no scheme has: refused in Chinese, the form comes back as typed, nothing saved
    refused = admin.submit("/rankings/groups", "/rankings/groups", _groups_form({"g2_scheme": "street-2027"}))
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "分组“街道/乡镇”的评分方案“street-2027”不存在，应为以下之一：default（问题扣分制（默认方案））" in body
    assert '<option value="street-2027" selected>street-2027（不存在）</option>' in body
    assert db.session.scalar(select(services.RankingGroup.id).limit(1)) is None  # the shipped groups still stand in

    # the 区县 back to the scheme in force, the streets under 乙市方案
    fields = _groups_form({"g1_scheme": "", "g2_scheme": "city_b"})
    assert admin.submit("/rankings/groups", "/rankings/groups", fields).status_code == 303
    db.session.expire_all()
    assert [g.scheme_code for g in services.groups()] == [None, None, "city_b", None]
    computed = services.compute(NOV, AFTER_NOV)
    a, street = _entry(computed, district_a), _entry(computed, city.street_a)
    assert a.score == score(a.counts, DEFAULT).score != before
    assert street.score == score(street.counts, CITY_B).score
    # the list published keeps the scheme it was scored under
    again = db.session.get(type(published), published.id)
    assert again.rules["groups"][1]["scheme"]["code"] == "district"
    assert next(e for e in again.entries if e.unit_id == district_a.id).score == before

    read_only = browser(city.leader).get("/rankings/groups").get_data(as_text=True)
    assert "<td class=\"l\">扣分与按期整改并重（乙市方案）</td>" in read_only
    assert "<td class=\"l\">现行方案（问题扣分制（默认方案））</td>" in read_only
    # the 操作日志 names the schemes, not their codes
    logged = {e.target: e.detail for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.target.in_(["排名分组 街道/乡镇", "排名分组 区县"])))}
    assert logged["排名分组 街道/乡镇"].endswith("评分方案：扣分与按期整改并重（乙市方案）（city_b）")
    assert logged["排名分组 区县"].endswith("按辖区（属地）汇总：是")  # created without a scheme of its own
    assert admin.submit("/rankings/groups", "/rankings/groups", _groups_form({"g1_scheme": "district"})).status_code == 303
    changed = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.target == "排名分组 区县")
                                 .order_by(AuditEntry.id.desc())).first()
    assert changed == "评分方案：现行方案 → 区县按辖区综合评价（district）"

def test_a_group_without_a_scheme_is_scored_under_the_one_in_force(city, districts):  # noqa: F811
    """Saved without a scheme (as every group was before 0143), a group follows the scheme in force when the office
    switches it."""
    district_a, _, _, _ = districts
    services.save_groups(city.admin, [{"name": "区县", "unit_kinds": "区县", "red_size": 1, "red_floor": 90,
                                       "black_size": 1, "black_below": 100, "territorial": True}], {}, AFTER_NOV)
    services.activate_scheme(city.admin, "city_b", AFTER_NOV)
    db.session.commit()
    a = _entry(services.compute(NOV, AFTER_NOV), district_a)
    assert a.score == score(a.counts, CITY_B).score
    assert "scheme" not in services.compute(NOV, AFTER_NOV).rules_document()["groups"][0]


def test_a_scheme_is_tried_on_one_group(city, districts, api, browser):  # noqa: F811
    """预览's 用于: the district group tried under 乙市方案 while every other group keeps its scheme; the same through
    the API (publish: false, scheme_group)."""
    district_a, _, _, _ = districts
    trial = services.compute(NOV, AFTER_NOV, services.scheme_by_code("city_b"), scheme_group="区县")
    a, street = _entry(trial, district_a), _entry(trial, city.street_a)
    assert a.score == score(a.counts, CITY_B).score != score(a.counts, DISTRICT).score
    assert street.score == score(street.counts, DEFAULT).score
    assert trial.scheme.code == "default" and trial.rules_document()["groups"][1]["scheme"] == CITY_B.to_dict()

    admin = browser(city.admin)
    page = admin.get("/rankings/preview?period=2026-11&scheme=city_b&group=区县").get_data(as_text=True)
    assert "评分方案：问题扣分制（默认方案）；区县试算按“扣分与按期整改并重（乙市方案）”。" in page
    assert '<option value="区县" selected>区县</option>' in page and '<option value="city_b" selected>' in page
    assert f"{a.score:.2f}" in page
    # the publish button says what publishing scores by: not the trial
    assert ("发布时按现行方案“问题扣分制（默认方案）”；区县按本组方案“区县按辖区综合评价”计分，上面的试算结果不发布。"
            in page)
    # the district group's own scheme named on the choice of groups, when it is not the one tried
    plain = admin.get("/rankings/preview?period=2026-11").get_data(as_text=True)
    assert '<option value="区县">区县（本组方案）</option>' in plain
    assert "选“按现行方案计分的分组”时，区县另设了本组评分方案，仍按本组方案计分" in plain
    assert "发布时按现行方案“问题扣分制（默认方案）”；区县按本组方案“区县按辖区综合评价”计分。" in plain
    missing = admin.get("/rankings/preview?period=2026-11&scheme=city_b&group=县区", follow_redirects=True)
    assert "分组“县区”不存在。" in missing.get_data(as_text=True)

    body = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11", "publish": False,
                                                          "scheme": "city_b", "scheme_group": "区县"})
    assert body.status_code == 200
    listed = {e["unit"]["id"]: e for e in body.get_json()["entries"]}
    assert listed[district_a.id]["score"] == a.score and listed[city.street_a.id]["score"] == street.score
    for payload, status, code in (({"scheme_group": "区县"}, 400, "scheme_required"),
                                  ({"scheme": "city_b", "scheme_group": "县区"}, 404, "group_not_found"),
                                  ({"scheme": "city_b", "scheme_group": ["区县"]}, 400, "invalid_scheme_group")):
        refused = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11", "publish": False, **payload})
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (status, code), payload
    published = api.post("/api/v1/rankings", city.admin, json={"period": "2026-11", "scheme_group": "区县"})
    assert published.status_code == 400 and published.get_json()["error"]["code"] == "scheme_not_in_force"


def _district_scheme_from_november(city) -> None:
    """October's list published with the groups as every office had them before 0143, November's with the 区县
    under the district scheme."""
    from inspect_app.rankings.periods import parse_period

    plain = [{"name": n, "unit_kinds": k, "red_size": rs, "red_floor": rf, "black_size": bs, "black_below": bb,
              "territorial": t} for n, k, rs, rf, bs, bb, t, _ in services.DEFAULT_GROUPS]
    services.save_groups(city.admin, plain, {}, AFTER_NOV)
    services.publish(parse_period("2026-10"), AFTER_NOV, user=city.admin)
    services.save_groups(city.admin, [{**g, "scheme_code": "district" if g["name"] == "区县" else None}
                                      for g in plain], {}, AFTER_NOV)
    services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()


def test_the_year_says_when_a_groups_scheme_changed(city, districts, api, browser):  # noqa: F811
    """The 区县 given their own scheme in November: the year's summary, its API and its 通报 draft say which months
    were scored how, since the average mixes them; the groups scored one way all year are not named."""
    from inspect_app.rankings.annual import scheme_notes, year_summary
    from inspect_app.rankings.annual_pdf import render_year_pdf

    _district_scheme_from_november(city)
    note = ("区县10月按“问题扣分制（默认方案）”、11月按“区县按辖区综合评价”计分，各月评分方案不同，"
            "全年平均分按各月实际得分计算。")
    assert scheme_notes(year_summary(2026)) == [note]
    assert note in browser(city.leader).get("/rankings/year?year=2026").get_data(as_text=True)
    assert api.get("/api/v1/rankings/year?year=2026", city.leader).get_json()["scheme_notes"] == [note]
    assert note in _pdf_text(render_year_pdf(year_summary(2026), AFTER_NOV.date()))


def test_the_dashboards_trend_says_when_a_groups_scheme_changed(city, districts, browser):  # noqa: F811
    """考评看板's six months side by side: the 区县's jump in November is named for what it is, the other groups'
    months (one scheme throughout) are not; filtered to a group, only that group's line."""

    _district_scheme_from_november(city)
    note = "区县：2026-10按“问题扣分制（默认方案）”，2026-11按“区县按辖区综合评价”计分，前后得分口径不同。"
    leader = browser(city.leader)
    page = leader.get("/rankings/dashboard").get_data(as_text=True)
    assert page.count("前后得分口径不同") == 1 and note in page
    assert note in leader.get("/rankings/dashboard?group=区县").get_data(as_text=True)
    assert "前后得分口径不同" not in leader.get("/rankings/dashboard?group=街道/乡镇").get_data(as_text=True)
