"""The office's 待办事项, the menu's counts and the cards: a deleted 督办函 draft on the record (who, when,
what it said); the late 红黑榜 warning told from an indexed query, not the whole list computed on every
visit; the unread count of 消息 sent once a request (the inbox page and its menu); an assisting unit's
(协办) card showing its own part, not the lead's 返工 and 督办; what waited on a voided (作废) problem
withdrawn with it, out of every 待办."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from conftest import City, at, sql_sent
from sqlalchemy import select
from test_assist_extension import ask as ask_part_extension
from test_assist_withdraw import ask as ask_withdraw
from test_letters_pages import FRIDAY, clock, overdue  # noqa: F401  (fixtures: Friday 27 November, three overdue)
from test_office_waiting import badge, card
from test_responsibility import carriers, rectify_part, shared_pole  # noqa: F401  (电信 leads, 移动 and 联通 assist)

from inspect_app.audit.models import AuditEntry
from inspect_app.escalation import compose, proposals
from inspect_app.escalation.models import Letter, Proposal
from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket, TicketUnit

CLOCK = "2026-11-27T10:00:00+08:00"  # test_letters_pages' clock


def audit(**where) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(query))


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def compiled(city) -> Letter:
    [letter] = compose.create_batch(city.admin, at(FRIDAY),
                                    {"proposal_ids": [p.id for p in proposals.open_proposals(at(FRIDAY))]})
    db.session.commit()
    return letter


def test_a_deleted_draft_is_in_the_log_with_who_deleted_it_and_when(app, city, overdue, browser):  # noqa: F811
    letter = compiled(city)
    letter_id = letter.id
    assert audit(kind="document", action="delete") == []
    office = browser(city.admin)
    response = office.submit(f"/letters/{letter_id}/edit", f"/letters/{letter_id}/discard")
    assert response.status_code == 303
    assert db.session.get(Letter, letter_id) is None
    [entry] = audit(kind="document", action="delete")
    assert (entry.actor, entry.actor_id, entry.at, entry.ok) == ("admin", city.admin.id, at(CLOCK), True)
    assert entry.target == f"督办函草稿 #{letter_id}"
    assert "主送：甲街道办事处、乙街道办事处" in entry.detail and "级别：督办" in entry.detail
    assert all(t.number in entry.detail for t in overdue) and "编制：admin" in entry.detail
    # where the office reads the other documents' entries (发文: 红黑榜 published, 督查通报 issued)
    page = office.get("/audit?kind=document").get_data(as_text=True)
    assert f"督办函草稿 #{letter_id}" in page and "删除" in page
    # a second tab's 删除 finds it gone and adds nothing
    again = office.submit("/letters/proposals", f"/letters/{letter_id}/discard")
    assert again.status_code == 303 and len(audit(kind="document", action="delete")) == 1


# ----------------------------------------------------------------------------- the monthly list's warning

def test_a_late_monthly_list_is_told_from_an_indexed_query_not_the_whole_list_computed(app, city, make_ticket,
                                                                                      browser):
    """October found a problem, and its list, due Monday 2 November 09:00, is not there: 待办事项 says so on every
    visit, from a query or two, not by computing October's whole list each time."""
    from inspect_app.rankings.jobs import monthly_list_late

    make_ticket(at_time=at("2026-10-20T10:00:00+08:00"))
    with sql_sent() as sent:
        late = monthly_list_late(at(CLOCK))
    assert late is not None and late.period.key == "2026-10"
    assert len(sent) <= 3, [statement for statement, _ in sent]
    page = browser(city.admin).get("/office/work").get_data(as_text=True)
    assert "红黑榜没有按时发布：2026年10月的红黑榜应于 2026-11-02 09:00 自动发布" in page


# ----------------------------------------------------------------------------- the unread count, once a request

def unread_counts(sent) -> list[str]:
    """The unread count's statement (notices.services._unread_statement: nine counts, 约谈 and 任务 among them; ten
    for a unit over a 辖区)."""
    return [statement for statement, _ in sent
            if statement.count("SELECT count(*)") >= 9 and "key_task_reports" in statement]


def messages_badge(page: str) -> int:
    found = re.search(r'消息<b class="nav-count"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_the_inbox_and_its_menu_count_unread_news_once(app, api, browser, city, make_ticket, clock):  # noqa: F811
    make_ticket(point=City.ON_B, at_time=at(CLOCK) - timedelta(hours=1))  # street B's new problem: unread
    clerk = browser(city.unit_b)
    with sql_sent() as sent:
        page = clerk.get("/unit/tickets").get_data(as_text=True)
    assert messages_badge(page) == 1 and len(unread_counts(sent)) == 1
    with sql_sent() as sent:  # opening the inbox reads it: its menu then counts nothing unread, without asking
        page = clerk.get("/inbox").get_data(as_text=True)
    assert page.count("新问题：") == 1 and messages_badge(page) == 0
    assert len(unread_counts(sent)) == 1, len(unread_counts(sent))
    assert messages_badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 0
    clock.set("2026-11-27T10:30:00+08:00")
    make_ticket(point=City.ON_B, at_time=at("2026-11-27T10:20:00+08:00"))  # filed since: unread again
    assert api.get("/api/v1/inbox", city.unit_b).get_json()["unread"] == 1
    assert messages_badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 1


# ----------------------------------------------------------------------------- an assisting unit's card

def unit_card(browser, user, ticket_id: int) -> str:
    page = browser(user).get("/unit/tickets?tab=all").get_data(as_text=True)
    return re.search(rf'<li class="tcard[^"]*">\s*<a href="/tickets/{ticket_id}">.*?</li>', page, re.S).group(0)


def test_an_assisting_units_card_shows_its_own_part_not_the_leads_handling(
        app, api, browser, city, carriers, shared_pole):  # noqa: F811
    """电信 leads, 移动 and 联通 assist (docs/office.md, 主办 and 协办): the ticket's 返工 and 督办 are the lead's
    handling; an assisting unit's card shows its own part, its own deadline and its own 督办 level."""
    _, (mobile_user, unicom_user, telecom_user) = carriers
    ticket_id = shared_pole.id
    ticket = db.session.get(Ticket, ticket_id)
    ticket.rework_count, ticket.escalation_level = 2, 1  # the lead sent back twice, and under 督办
    db.session.commit()
    lead = unit_card(browser, telecom_user, ticket_id)
    assert "返工2次" in lead and '<span class="badge esc">督办</span>' in lead and "role-assist" not in lead
    assisting = unit_card(browser, mobile_user, ticket_id)
    assert "role-assist" in assisting and '<span class="badge ps-open">本单位待整改</span>' in assisting
    assert "返工" not in assisting and "badge esc" not in assisting and "s-assigned" not in assisting
    assert "本单位期限" in assisting and "超期" not in assisting
    # its own part: reported (本单位已整改); its own 督办 (the sweep raised its part's level)
    assert rectify_part(api, mobile_user, ticket).status_code == 200
    part = db.session.scalar(select(TicketUnit).where(TicketUnit.ticket_id == ticket_id,
                                                      TicketUnit.unit_id == mobile_user.unit_id))
    part.escalation_level = 1
    # 联通's own part is past its own deadline; the lead's is not
    unicom = db.session.scalar(select(TicketUnit).where(TicketUnit.ticket_id == ticket_id,
                                                        TicketUnit.unit_id == unicom_user.unit_id))
    unicom.deadline = at(CLOCK) - timedelta(hours=1)
    ticket = db.session.get(Ticket, ticket_id)
    ticket.deadline = at(CLOCK) + timedelta(days=3)
    db.session.commit()
    assisting = unit_card(browser, mobile_user, ticket_id)
    assert '<span class="badge ps-rectified">本单位已整改</span>' in assisting
    assert '<span class="badge esc">督办</span>' in assisting and "返工" not in assisting and "本单位期限" not in assisting
    late = unit_card(browser, unicom_user, ticket_id)
    assert '<span class="badge overdue">超期</span>' in late and 'class="tcard is-late"' in late
    assert "badge esc" not in late and "返工" not in late
    lead = unit_card(browser, telecom_user, ticket_id)
    assert "超期" not in lead and "返工2次" in lead


# ----------------------------------------------------------------------------- a problem voided

def test_what_waits_on_a_voided_problem_is_withdrawn_and_leaves_every_inbox(app, api, browser, city,
                                                                          overdue):  # noqa: F811
    """作废 withdraws every decision still pending about the problem, 事由 问题已作废: its extension request, its
    督办建议 and its place in a draft waiting for 签发 (a draft left with nothing to sign goes, on the record), so
    none stays in 待办事项, 督办建议 or 待签发, and the problem's 处理记录 says what went with it."""
    first, second, third = overdue  # street A, street A, street B: a 督办建议 each
    waiting = {p.ticket_id: p for p in proposals.open_proposals(at(FRIDAY))}
    assert api.post(f"/api/v1/tickets/{first.id}/request_extension", city.unit_a,
                    json={"until": "2026-12-20", "reason": "需协调产权单位"}).status_code == 200
    [draft] = compose.create_batch(city.admin, at(FRIDAY), {"proposal_ids": [waiting[second.id].id,
                                                                               waiting[third.id].id]})
    db.session.commit()
    draft_id, revision = draft.id, draft.revision
    office, leader = browser(city.admin), browser(city.leader)

    def counts() -> tuple:
        work = office.get("/office/work").get_data(as_text=True)
        signer = leader.get("/dashboard/").get_data(as_text=True)
        return (badge(work, "待办事项"), card(work, "/letters/proposals"), card(work, "/letters/to-sign"),
                badge(signer, "待签发"))

    assert counts() == (1, 1, 1, 1)  # the extension; the first's proposal; the draft, for the leader
    # street B's problem voided: it leaves the draft, which still has street A's to sign
    assert api.post(f"/api/v1/tickets/{third.id}/cancel", city.admin, json={"reason": "重复上报"}).status_code == 200
    draft = fresh(Letter, draft_id)
    assert [i.ticket_id for i in draft.items] == [second.id] and draft.unit_ids == [city.street_a.id]
    assert draft.revision > revision
    assert counts() == (1, 1, 1, 1)
    history = office.get(f"/tickets/{third.id}").get_data(as_text=True)
    assert f"随之撤回（问题已作废）：督办建议（乙街道办事处，督办）；督办函草稿 #{draft_id}中的本问题" in history
    # the first voided: its extension request and its 督办建议 are withdrawn, by whoever voided it
    assert api.post(f"/api/v1/tickets/{first.id}/cancel", city.admin, json={"reason": "误报"}).status_code == 200
    proposal = fresh(Proposal, waiting[first.id].id)
    assert (proposal.outcome, proposal.close_note, proposal.closed_by_id, proposal.closed_at) == (
        "lapsed", "问题已作废", city.admin.id, at(CLOCK))
    assert counts() == (0, 0, 1, 1)
    assert "随之撤回（问题已作废）：延期申请；督办建议（甲街道办事处，督办）" in office.get(
        f"/tickets/{first.id}").get_data(as_text=True)
    # the draft's last problem voided: nothing is left to sign, and the draft goes, on the record
    assert api.post(f"/api/v1/tickets/{second.id}/cancel", city.admin, json={"reason": "误报"}).status_code == 200
    assert fresh(Letter, draft_id) is None
    assert counts() == (0, 0, None, 0)
    [entry] = audit(kind="document", action="delete")
    assert entry.target == f"督办函草稿 #{draft_id}" and entry.actor == "admin"
    assert f"所列问题已作废（{second.number}），草稿随之删除" in entry.detail
    assert "督办函草稿" in office.get(f"/tickets/{second.id}").get_data(as_text=True)
    assert all(p.closed_at is not None for p in db.session.scalars(select(Proposal)))


def test_an_assisting_units_requests_on_a_voided_problem_are_closed_with_it(
        app, api, city, carriers, shared_pole):  # noqa: F811
    _, (mobile_user, unicom_user, _) = carriers
    assert ask_withdraw(api, mobile_user, shared_pole).status_code == 200
    assert ask_part_extension(api, unicom_user, shared_pole).status_code == 200
    assert api.post(f"/api/v1/tickets/{shared_pole.id}/cancel", city.admin, json={"reason": "误报"}).status_code == 200
    parts = {p.unit_id: p for p in fresh(Ticket, shared_pole.id).parts}
    mobile, unicom = parts[mobile_user.unit_id], parts[unicom_user.unit_id]
    assert (mobile.status, mobile.withdraw_status, mobile.withdraw_note) == ("cancelled", "refused", "问题已作废")
    assert (unicom.status, unicom.extension_status, unicom.extension_note) == ("cancelled", "refused", "问题已作废")
    units = {u["name"]: u for u in api.get(f"/api/v1/tickets/{shared_pole.id}", unicom_user).get_json()["units"]}
    assert units["中国联通临江分公司"]["extension_request"] is None  # nothing pending any more
    event = [e for e in fresh(Ticket, shared_pole.id).events if e.action == "cancel"][0]
    assert "中国移动临江分公司的退出协办申请" in event.data_json and "中国联通临江分公司的延期申请" in event.data_json


def test_a_unit_is_not_told_what_the_office_withdrew_with_its_voided_problem(app, api, browser, city,
                                                                             overdue):  # noqa: F811
    """A unit never sees a 督办建议 or a draft letter (escalation/services.py): voiding its problem withdraws them,
    and the unit's 处理记录 (page and API) names what it had asked for (its extension request), not that the office
    was about to send it a 督办函. The office and the leaders read all of it; an inspector what the unit reads. An
    event written before the office's part was kept apart (withdrawn_office) shows a unit its requests alone."""
    first = overdue[0]
    waiting = {p.ticket_id: p for p in proposals.open_proposals(at(FRIDAY))}
    assert api.post(f"/api/v1/tickets/{first.id}/request_extension", city.unit_a,
                    json={"until": "2026-12-20", "reason": "需协调产权单位"}).status_code == 200
    [draft] = compose.create_batch(city.admin, at(FRIDAY), {"proposal_ids": [waiting[first.id].id]})
    db.session.commit()
    draft_id = draft.id
    assert api.post(f"/api/v1/tickets/{first.id}/cancel", city.admin, json={"reason": "误报"}).status_code == 200
    everything = ["延期申请", "督办建议（甲街道办事处，督办）", f"督办函草稿 #{draft_id}（所列问题均已作废，草稿已删除）"]

    def withdrawn(user) -> tuple:
        page = browser(user).get(f"/tickets/{first.id}").get_data(as_text=True)
        shown = re.search(r'class="muted withdrawn">随之撤回（问题已作废）：([^<]*)</p>', page)
        [event] = [e for e in api.get(f"/api/v1/tickets/{first.id}", user).get_json()["events"]
                   if e["action"] == "cancel"]
        return shown.group(1) if shown else None, event["data"].get("withdrawn"), "withdrawn_office" in event["data"]

    for reader in (city.admin, city.leader):
        assert withdrawn(reader) == ("；".join(everything), everything, True)
    for reader in (city.unit_a, city.inspector):
        assert withdrawn(reader) == ("延期申请", ["延期申请"], False)
    event = [e for e in fresh(Ticket, first.id).events if e.action == "cancel"][0]
    event.data_json = json.dumps({"withdrawn": everything}, ensure_ascii=False)  # as the 作废 wrote it before
    db.session.commit()
    assert withdrawn(city.unit_a) == ("延期申请", ["延期申请"], False)
    assert withdrawn(city.admin) == ("；".join(everything), everything, False)
