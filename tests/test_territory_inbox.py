"""An overseeing unit's inbox (notices/services.py): the letters issued to the units of its 辖区 are news to it
(辖区单位收到督办函…), counted in its unread badge, each once, and never for a unit with nobody under it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import at
from sqlalchemy import event, insert

from inspect_app.escalation import compose, signing
from inspect_app.escalation.models import Letter, LetterUnit
from inspect_app.extensions import db
from inspect_app.notices import services as notices
from inspect_app.units.models import Unit

from test_letters import FRIDAY, draft_from_proposals, file_ticket, overdue, photo  # noqa: F401  (fixtures)
from test_notices import badge
from test_territory_reads import districts  # noqa: F401  (fixture)

NOW = "2026-11-27T10:00:00+08:00"


@pytest.fixture(autouse=True)
def clock(clock):
    clock.stop(NOW)
    return clock


def issue(kind: str, number: str, seq: int, units: list[Unit], hours_ago: int = 1) -> int:
    """An issued letter of `kind` addressed to `units`, written as 签发 leaves it."""
    letter_id = db.session.execute(insert(Letter.__table__).values(
        status="issued", kind=kind, series="letter", number=number, year=2026, seq=seq, unit_id=units[0].id,
        level={"supervision": 1, "listed": 2, "summons": 3}[kind], issued_at=at(NOW) - timedelta(hours=hours_ago),
        reply_by=at("2026-12-10T23:59:59+08:00"), created_at=at(NOW), revision=1, pdf_path="")).inserted_primary_key[0]
    for position, unit in enumerate(units):
        db.session.execute(insert(LetterUnit.__table__).values(letter_id=letter_id, unit_id=unit.id,
                                                               position=position, unit_name=unit.name))
    db.session.commit()
    return letter_id


def test_a_district_is_told_of_a_letter_issued_to_its_street_until_it_opens_the_inbox(
        app, city, districts, overdue, browser, api):  # noqa: F811  (fixtures)
    qxa, qxb = districts
    clerk = browser(qxa)
    assert badge(clerk.get("/letters").get_data(as_text=True)) == 0
    both = draft_from_proposals(city)  # 甲街道 and 乙街道: a draft is no news
    assert badge(clerk.get("/letters").get_data(as_text=True)) == 0
    signing.sign(city.leader, both, at(FRIDAY))
    only_b = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[2].id], "kind": "bulletin"})
    db.session.flush()
    signing.sign(city.leader, only_b, at(FRIDAY))
    db.session.commit()
    assert only_b.unit_ids == [city.street_b.id]

    assert badge(clerk.get("/letters").get_data(as_text=True)) == 1
    found = api.get("/api/v1/inbox", qxa).get_json()
    assert found["unread"] == 1
    [item] = found["items"]
    assert item["kind"] == "territory_letter" and item["unread"] is True
    assert item["title"] == f"辖区单位收到督办函：{both.number}"
    assert item["detail"].startswith("甲街道办事处 · ") and "乙街道办事处" not in item["detail"]  # its own street only
    assert item["url"] == f"/letters/{both.id}" and clerk.get(item["url"]).status_code == 200  # read only
    page = clerk.get("/inbox").get_data(as_text=True)
    assert f"辖区单位收到督办函：{both.number}" in page and only_b.number not in page  # 乙区's street: not 甲区's news
    assert page.count('class="dot"') == 1
    assert badge(clerk.get("/letters").get_data(as_text=True)) == 0  # read
    page = clerk.get("/inbox").get_data(as_text=True)
    assert f"辖区单位收到督办函：{both.number}" in page and 'class="dot"' not in page  # still listed, read

    # 乙区 hears of both letters to 乙街道; 甲街道, with nobody under it, of its own letter alone, as before
    other = api.get("/api/v1/inbox", qxb).get_json()
    assert other["unread"] == 2
    assert sorted(i["title"] for i in other["items"]) == [f"辖区单位收到督办函：{both.number}",
                                                         f"辖区单位收到督查通报：{only_b.number}"]
    street = api.get("/api/v1/inbox", city.unit_a).get_json()
    assert "territory_letter" not in {i["kind"] for i in street["items"]}
    assert [i["title"] for i in street["items"] if i["kind"] == "letter"] == [f"督办函：{both.number}"]


def test_a_letter_to_the_district_and_its_street_is_its_own_news_once(app, city, districts, browser, api):  # noqa: F811
    qxa, _ = districts
    district = qxa.unit
    number, street_only = "临江文明督〔2026〕31号", "临江文明督〔2026〕30号"
    issue("supervision", street_only, 30, [city.street_a], hours_ago=2)
    issue("supervision", number, 31, [district, city.street_a])
    found = api.get("/api/v1/inbox", qxa).get_json()
    assert found["unread"] == 2
    assert [(i["kind"], i["title"]) for i in found["items"]] == [("letter", f"督办函：{number}"),
                                                                ("territory_letter", f"辖区单位收到督办函：{street_only}")]
    page = browser(qxa).get("/inbox").get_data(as_text=True)
    assert page.count(number) == 1 and page.count("辖区单位收到") == 1


def test_a_district_hears_of_its_communities_and_the_street_over_them_too(
        app, city, districts, browser, api):  # noqa: F811  (fixtures)
    """Any depth: a 社区 under 甲街道 is listed 挂牌督办; 甲区 and 甲街道 (which now oversees it) are told, 乙区 not."""
    qxa, qxb = districts
    community = Unit(code="SQA", name="甲一社区居委会", kind="社区", parent_id=city.street_a.id)
    db.session.add(community)
    db.session.commit()
    number = "临江文明督〔2026〕32号"
    letter_id = issue("listed", number, 32, [community])
    for user in (qxa, city.unit_a):
        found = api.get("/api/v1/inbox", user).get_json()
        titled = [i for i in found["items"] if i["kind"] == "territory_letter"]
        assert [(i["title"], i["detail"], i["url"]) for i in titled] == [
            (f"辖区单位收到挂牌督办函：{number}", "甲一社区居委会 · 12月10日前整改反馈",
             f"/letters/{letter_id}")]
        assert browser(user).get(f"/letters/{letter_id}").status_code == 200
    other = api.get("/api/v1/inbox", qxb).get_json()
    assert other["items"] == [] and other["unread"] == 0


def test_a_unit_with_nobody_under_it_counts_nothing_more(app, city, districts):  # noqa: F811  (the fixture)
    """The badge is one statement on every page: the 辖区's count is in it only for a unit with units under it."""
    qxa, _ = districts
    issue("supervision", "临江文明督〔2026〕33号", 33, [city.street_b])
    sent = []

    def catch(conn, cursor, statement, params, context, many):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        with app.test_request_context():
            street = notices.unread_count(city.unit_a, at(NOW))
            counted_street = len(sent)
            district = notices.unread_count(qxa, at(NOW))
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    assert street == 0 and district == 0  # 乙街道's letter: neither 甲街道's nor 甲区's
    street_sql, district_sql = sent[counted_street - 1], sent[-1]
    assert district_sql.count("count(*)") == street_sql.count("count(*)") + 1
    assert notices._unread_statement(False) is not notices._unread_statement(True)


def test_the_inbox_lists_the_newest_of_the_territorys_letters_and_says_where_the_rest_are(
        app, city, districts, api, monkeypatch):  # noqa: F811  (fixtures)
    qxa, _ = districts
    monkeypatch.setattr(notices, "MAX_ITEMS", 2)
    for seq in (41, 42, 43):
        issue("summons", f"临江文明督〔2026〕{seq}号", seq, [city.street_a], hours_ago=50 - seq)
    found = api.get("/api/v1/inbox", qxa).get_json()
    assert [i["title"] for i in found["items"]] == ["辖区单位收到约谈通知：临江文明督〔2026〕43号",
                                                    "辖区单位收到约谈通知：临江文明督〔2026〕42号"]
    assert found["unread"] == 3
    assert found["unlisted"] == [{"kind": "territory_letter", "count": 1, "url": "/letters?scope=territory"}]


def test_a_districts_daily_digest_says_how_its_territory_stands(app, city, districts, overdue):  # noqa: F811
    import json

    from sqlalchemy import select

    from inspect_app.outbox.models import OutboxMessage
    from test_notices import give_robot

    qxa, _ = districts
    for unit in (qxa.unit, city.street_a):
        give_robot(unit, "https://robot.example/send", at(NOW))
    signing.sign(city.leader, draft_from_proposals(city), at(FRIDAY))  # a 督办函 to 甲街道 and 乙街道
    db.session.commit()
    morning = at("2026-11-30T08:30:00+08:00")  # Monday
    for unit in (qxa.unit, city.street_a):
        assert notices.queue_digest(db.session.get(notices.UnitRobot, unit.id), morning)
    db.session.commit()
    texts = {m.unit_id: json.loads(m.payload_json)["text"]["content"]
             for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))}
    district = texts[qxa.unit_id]
    assert district.startswith("【每日提醒】甲区人民政府 11月30日：目前没有待整改的问题。")  # nothing of its own
    assert ("辖区在办问题 2 件，其中已超期 2 件（甲街道办事处 2 件）；本月辖区单位收到督办函 1 份。详见“辖区概况”。"
            in district)  # 乙街道's problem is 乙区's
    assert district.endswith("请登录文明城市督查整改系统查看处理。")
    street = texts[city.street_a.id]
    assert "已超期 2 件" in street and "辖区" not in street  # a street with nobody under it: as before


def test_a_districts_inbox_shows_its_territorys_open_and_overdue_problems(
        app, city, districts, overdue, browser):  # noqa: F811  (fixtures)
    import html
    import re

    qxa, _ = districts
    page = browser(qxa).get("/inbox").get_data(as_text=True)
    tiles = {label: (html.unescape(url), int(n)) for url, n, label in
             re.findall(r'<a href="([^"]+)"[^>]*><b>(\d+)</b><span>(辖区在办|辖区超期)</span>', page)}
    assert tiles["辖区在办"][1] == 2 and tiles["辖区超期"][1] == 2  # 甲街道's two; 乙街道's is 乙区's
    for url, count in tiles.values():  # each opens the 辖区问题 list with as many
        listed = browser(qxa).get(url).get_data(as_text=True)
        assert f"共 {count} 件" in listed and overdue[0].number in listed and overdue[2].number not in listed
    assert "辖区在办" not in browser(city.unit_a).get("/inbox").get_data(as_text=True)  # nobody under 甲街道
