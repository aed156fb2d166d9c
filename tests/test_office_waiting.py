"""The office's start page (待办事项) shows first what waits for it elsewhere (待核查, 市民来件, 督办建议, 待签发), each
count the list it links to; the menu's 待办事项 carries the total of the page's own sections and 待核查 its queue's
count, for the roles that see them; the page's counts and the menu's reach the database in one statement."""
from __future__ import annotations

import re

import pytest

from test_assist_extension import ask as ask_part_extension
from test_assist_withdraw import ask as ask_withdraw
from test_intake import file_report
from test_letters import FRIDAY, clock, file_ticket, overdue, photo  # noqa: F401  (fixtures)
from test_responsibility import carriers, rectify, shared_pole  # noqa: F401  (fixtures)

from conftest import City, at, sql_sent
from inspect_app.escalation import compose, proposals
from inspect_app.extensions import db


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def badge(page: str, label: str) -> int:
    found = re.search(rf'>{label}<b class="nav-count"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else 0


def card(page: str, url: str) -> int | None:
    found = re.search(rf'<div class="work-summary".*?href="{re.escape(url)}"[^>]*><b>(\d+)</b>', page, re.S)
    return int(found.group(1)) if found else None


def jumps(page: str) -> dict[str, int]:
    """The page's own sections: label -> count, from its jump links."""
    nav = re.search(r'<nav class="tabs jump".*?</nav>', page, re.S).group(0)
    return {label: int(n) for label, n in re.findall(r'<a href="#[a-z-]+">(\S+) <b>(\d+)</b>', nav)}


def small_total(page: str) -> int:
    return int(re.search(r'<h1 class="page-title">[^<]*<small>(\d+) ', page).group(1))


def test_everything_waiting_for_the_office_is_counted_and_equals_its_list(
        api, browser, city, make_ticket, overdue, carriers, shared_pole):  # noqa: F811
    # 督办建议: three (the overdue tickets); one taken into a draft that waits for a leader's 签发
    first = proposals.open_proposals(at(FRIDAY))[0]
    compose.create_batch(city.admin, at(FRIDAY), {"proposal_ids": [first.id]})
    db.session.commit()
    make_ticket(point=City.FAR)  # 待派遣: no segment near
    disputed, rectified, extended = make_ticket(), make_ticket(), make_ticket()
    assert api.post(f"/api/v1/tickets/{disputed.id}/dispute", city.unit_a,
                    json={"reason": "非本单位"}).status_code == 200
    assert rectify(api, city.unit_a, rectified).status_code == 200  # 待核查
    assert api.post(f"/api/v1/tickets/{extended.id}/request_extension", city.unit_a,
                    json={"until": "2027-01-30", "reason": "线路迁改"}).status_code == 200
    _, (mobile_user, unicom_user, _) = carriers
    assert ask_withdraw(api, mobile_user, shared_pole).status_code == 200
    assert ask_part_extension(api, unicom_user, shared_pole).status_code == 200
    file_report(browser)  # 市民来件

    office = browser(city.admin)
    work = text(office.get("/office/work"))
    own = jumps(work)
    assert own == {"待派遣": 1, "退单待审": 1, "延期申请": 1, "协办延期": 1, "退出协办": 1}
    cards = {url: card(work, url) for url in ("/tickets/verify", "/intake", "/letters/proposals", "/letters/to-sign")}
    assert cards == {"/tickets/verify": 1, "/intake": 1, "/letters/proposals": 2, "/letters/to-sign": 1}
    assert "待领导签发" in work  # the office compiles, a leader signs
    # each card is what its list holds
    assert small_total(text(office.get("/tickets/verify"))) == cards["/tickets/verify"]
    assert "共 1 件" in text(office.get("/intake"))
    assert small_total(text(office.get("/letters/proposals"))) == cards["/letters/proposals"]
    assert small_total(text(office.get("/letters/to-sign"))) == cards["/letters/to-sign"]
    # the menu: 待办事项 = the page's own sections, 待核查 = its queue, on this page and any other
    for page in (work, text(office.get("/tickets"))):
        assert badge(page, "待办事项") == sum(own.values()) == 5
        assert badge(page, "待核查") == 1
    # an inspector verifies (the badge, no 待办事项 entry); a unit sees neither; a leader signs
    inspector = text(browser(city.inspector).get("/tickets/new"))
    assert badge(inspector, "待核查") == 1 and "待办事项" not in inspector
    clerk = text(browser(city.unit_a).get("/unit/tickets"))
    assert "待核查" not in clerk and "待办事项" not in clerk
    assert badge(text(browser(city.leader).get("/dashboard/")), "待签发") == 1


def test_the_sign_card_shows_for_an_office_that_signs_or_has_drafts(app, browser, city):
    work = text(browser(city.admin).get("/office/work"))
    assert card(work, "/tickets/verify") == 0 and card(work, "/letters/to-sign") is None  # no draft, no signer
    assert badge(work, "待办事项") == 0 and badge(work, "待核查") == 0
    app.config["LETTER_ADMIN_MAY_SIGN"] = True  # the city lets the office sign
    work = text(browser(city.admin).get("/office/work"))
    assert card(work, "/letters/to-sign") == 0 and "待领导签发" not in work


def test_the_start_page_and_the_menu_count_in_one_statement(app, browser, city, make_ticket):
    make_ticket(point=City.FAR)
    file_report(browser)
    office = browser(city.admin)
    for url in ("/office/work", "/tickets"):
        with sql_sent() as sent:
            page = text(office.get(url))
        counting = [s for s, _ in sent if "intake_items" in s or "escalation_proposals" in s]
        assert len(counting) == 1, (url, counting)  # the page's cards (/office/work) and the menu's badges
        assert badge(page, "待办事项") == 1 and badge(page, "市民来件") == 1


def test_the_assisting_units_requests_are_counted_from_their_partial_indexes(app, city, make_ticket):
    """The menu's 待办事项 on every office page counts the assisting units' open requests (协办延期, 退出协办) from the
    partial indexes of those requests (a handful of rows), each probing its ticket: not from the city's open
    tickets, each probing its parts (20 ms a count at 1 M tickets). SQLite has no statistics to choose by; the plan
    is held here."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan checked is SQLite's; PostgreSQL plans by its statistics")
    from inspect_app.tickets import waiting

    make_ticket()
    statement = waiting.office_work().statement.compile(db.engine)
    plan = [row[-1] for row in db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + str(statement), tuple(statement.params.values()))]
    for index in ("ix_ticket_units_extension_open", "ix_ticket_units_withdraw_open"):
        start = next(i for i, line in enumerate(plan) if index in line)
        assert "SUBQUERY" in plan[start - 1], plan  # the first table read of its count, not a probe in a loop
        assert "tickets USING INTEGER PRIMARY KEY" in plan[start + 1], plan


def test_each_queue_lists_the_rows_waiting_longest_and_says_how_many_more_wait(app, browser, city, make_ticket):
    """待派遣 lists the WORK_ROWS tickets waiting longest, oldest first (a queue), each with its dispatch menu of
    every unit, and names how many more wait, with the full list one tap away; the jump link and the menu count
    them all. The next one takes the place of one dispatched."""
    from inspect_app.tickets.web import WORK_ROWS

    tickets = [make_ticket(point=City.FAR) for _ in range(WORK_ROWS + 2)]
    office = browser(city.admin)
    work = text(office.get("/office/work"))
    section = re.search(r'<section id="pending".*?</section>', work, re.S).group(0)
    listed = [int(n) for n in re.findall(r'action="/tickets/(\d+)/reassign"', section)]
    assert listed == [t.id for t in tickets][:WORK_ROWS]  # the oldest, oldest first
    assert f"以上为等待最久的 {WORK_ROWS} 项，另有 2 项待派遣" in section
    assert 'href="/tickets?status=pending"' in section and f"查看全部 {WORK_ROWS + 2} 项" in section
    assert jumps(work)["待派遣"] == WORK_ROWS + 2 and badge(work, "待办事项") == WORK_ROWS + 2
    assert "另有" not in re.search(r'<section id="disputed".*?</section>', work, re.S).group(0)

    response = office.submit("/office/work", f"/tickets/{tickets[0].id}/reassign",
                             {"unit_id": city.street_a.id, "note": "文明办派遣", "next": "/office/work#pending"})
    assert response.status_code == 303, response.get_data(as_text=True)
    section = re.search(r'<section id="pending".*?</section>', text(office.get("/office/work")), re.S).group(0)
    listed = [int(n) for n in re.findall(r'action="/tickets/(\d+)/reassign"', section)]
    assert listed == [t.id for t in tickets[1:]][:WORK_ROWS] and "另有 1 项待派遣" in section


def test_a_draft_a_leader_returned_is_counted_for_the_office(api, browser, city, overdue):  # noqa: F811
    """退回修改 takes a draft out of 待签发 and the signers' count, for the office to revise: it was in no count the
    office sees (no menu count, no card on 待办事项). The office's 督办建议 counts it (its page lists returned drafts
    first) and 待办事项 has a card 领导退回修改 leading there, until the office saves the draft."""
    moment = at(FRIDAY)
    ids = [p.id for p in proposals.open_proposals(moment)]
    draft = compose.create_batch(city.admin, moment, {"proposal_ids": ids})[0]
    db.session.commit()
    office = browser(city.admin)
    work = text(office.get("/office/work"))
    assert badge(work, "督办建议") == 0 and "领导退回修改" not in work
    returned = api.post(f"/api/v1/letters/{draft.id}/return", city.leader, json={"note": "第二段措辞再斟酌"})
    assert returned.status_code == 200
    assert badge(text(browser(city.leader).get("/dashboard/")), "待签发") == 0  # the leader's count clears
    work = text(office.get("/office/work"))
    assert card(work, "/letters/proposals#returned") == 1 and "领导退回修改" in work
    for page in (work, text(office.get("/tickets"))):
        assert badge(page, "督办建议") == 1  # no proposal waits; the returned draft does
    listed = text(office.get("/letters/proposals"))
    assert 'id="returned"' in listed and "第二段措辞再斟酌" in listed
    # revised and saved: back with the signers, nothing left for the office
    saved = api.call("PATCH", f"/api/v1/letters/{draft.id}", city.admin, json={"reply_by": "2026-12-05"})
    assert saved.status_code == 200, saved.get_json()
    work = text(office.get("/office/work"))
    assert badge(work, "督办建议") == 0 and card(work, "/letters/proposals#returned") is None
    assert badge(text(browser(city.leader).get("/dashboard/")), "待签发") == 1


def test_unit_menus_list_the_city_departments_first(city, browser):
    """The office's unit menus by kind (市直单位, 区县, 街道, 社区, 企业), by code within: by code alone the 街道
    (JD…) came before the 市直 (JJ, SZ), and in a real city eighty 社区 before 市城市管理局."""
    from inspect_app.units.services import active_units

    assert [u.code for u in active_units()] == ["JJ", "SZ", "JDA", "JDB"]
    page = browser(city.admin).get("/tickets").get_data(as_text=True)
    assert page.index(">市交警支队</option>") < page.index(">甲街道办事处</option>")
