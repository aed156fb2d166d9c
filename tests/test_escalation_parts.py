"""Escalation per part (issue 15): an assisting unit (协办) whose own part is still open past its own deadline is
supervised for its unit — 督办函, then 挂牌督办, then 约谈 — exactly like the lead (主办), in auto mode (letters) and
propose mode (督办建议 → draft → 签发); the lead's level stays on the ticket.

The suite's clock: Wednesday 2026-11-25 10:00 (Shanghai). 牛皮癣 has a 24-hour deadline: Thursday 11-26 10:00, for
the lead and for an assisting unit added at filing time alike. Letters issued Friday 11-27 give 3 working days (reply
by Wednesday 12-02 23:59:59); a level-2 letter issued Thursday 12-03 gives 5 (reply by Thursday 12-10).
"""
from __future__ import annotations

import json

import pytest
from conftest import at, processed
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from inspect_app.escalation import compose, proposals, signing
from inspect_app.escalation import sweep as sweep_module
from inspect_app.escalation.jobs import run_sweep
from inspect_app.escalation.models import Letter, LetterItem, Proposal
from inspect_app.extensions import db
from inspect_app.tickets import parts, services
from inspect_app.tickets.models import Ticket, TicketEvent, TicketUnit

FRIDAY = "2026-11-27T09:00:00+08:00"          # both 24-hour deadlines (Thursday 10:00) have passed
AFTER_LEVEL1 = "2026-12-03T09:00:00+08:00"    # the Friday letters' reply-by (Wednesday 12-02) has passed
AFTER_LEVEL2 = "2026-12-11T09:00:00+08:00"    # a level-2 letter of 12-03 ran out on Thursday 12-10
EXTENDED = "2026-12-31"                       # the lead's approved extension


def auto(app):
    app.config["ESCALATION_MODE"] = "auto"


@pytest.fixture
def shared(city, make_ticket, now):
    """A ticket led by 甲街道 (A) with 乙街道 (B) assisting, both due Thursday 10:00."""
    ticket = make_ticket()
    parts.add_assist(ticket, city.street_b, now, city.admin)
    db.session.commit()
    return ticket


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def part_of(ticket, unit) -> TicketUnit:
    db.session.expire_all()
    return db.session.scalar(select(TicketUnit).where(TicketUnit.ticket_id == ticket.id,
                                                      TicketUnit.unit_id == unit.id))


def extend_lead(city, ticket, when="2026-11-26T09:00:00+08:00"):
    """The lead asked for more time before its deadline and the office agreed: only the lead's deadline moves."""
    services.request_extension(city.unit_a, fresh(Ticket, ticket.id), at(when), until=EXTENDED, reason="需协调")
    services.decide_extension(city.admin, fresh(Ticket, ticket.id), at(when), True, "同意")
    db.session.commit()


def escalations(ticket) -> list[tuple]:
    db.session.expire_all()
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                          TicketEvent.action == "escalate")
                                .order_by(TicketEvent.id))
    data = [json.loads(e.data_json) for e in events]
    return [(d["unit"], d["level"], d.get("role")) for d in data]


def items_of(letter) -> list[tuple]:
    return [(i.ticket_id, i.unit_id, i.level) for i in letter.items]


# ----------------------------------------------------------------------------- auto mode

def test_only_the_late_assisting_unit_is_supervised_then_listed_then_stops(app, city, shared):
    auto(app)
    extend_lead(city, shared)
    assert run_sweep(at("2026-11-26T09:00:00+08:00")).letters == []  # nobody late yet

    [letter] = run_sweep(at(FRIDAY)).letters
    assert (letter.unit_id, letter.level, letter.kind, letter.number) == (
        city.street_b.id, 1, "supervision", "临江文明督〔2026〕1号")
    assert [r.unit_id for r in letter.recipients] == [city.street_b.id]
    assert items_of(letter) == [(shared.id, city.street_b.id, 1)]
    assert letter.items[0].original_deadline == at("2026-11-26T10:00:00+08:00")  # B's own deadline
    assert letter.items[0].days_overdue == 0  # 23 hours: no whole day
    assert letter.reply_by == at("2026-12-02T23:59:59+08:00")
    assert fresh(Ticket, shared.id).escalation_level == 0  # the lead is on time
    assert part_of(shared, city.street_b).escalation_level == 1
    assert escalations(shared) == [("乙街道办事处", 1, "assist")]
    event = db.session.scalar(select(TicketEvent).where(TicketEvent.action == "escalate"))
    assert event.note == "普通督办（协办单位乙街道办事处）：临江文明督〔2026〕1号"

    assert run_sweep(at(FRIDAY)).letters == []  # the same time again: nothing
    assert run_sweep(at("2026-12-02T09:00:00+08:00")).letters == []  # B's letter has not run out
    [listed] = run_sweep(at(AFTER_LEVEL1)).letters
    assert (listed.unit_id, listed.level, listed.kind, listed.number) == (
        city.street_b.id, 2, "listed", "临江文明督〔2026〕2号")
    assert listed.reply_by == at("2026-12-10T23:59:59+08:00")
    assert part_of(shared, city.street_b).escalation_level == 2

    parts.rectify_part(city.unit_b, fresh(Ticket, shared.id), at("2026-12-04T10:00:00+08:00"), "已整改",
                       [processed()])
    db.session.commit()
    assert run_sweep(at(AFTER_LEVEL2)).letters == []  # B reported its part: no 约谈
    assert part_of(shared, city.street_b).escalation_level == 2
    assert fresh(Ticket, shared.id).escalation_level == 0
    assert len(db.session.scalars(select(Letter)).all()) == 2


def test_both_units_late_two_letters_in_one_sweep(app, city, shared):
    auto(app)
    result = run_sweep(at(FRIDAY))
    assert [(x.unit_id, x.level, x.number) for x in result.letters] == [
        (city.street_a.id, 1, "临江文明督〔2026〕1号"), (city.street_b.id, 1, "临江文明督〔2026〕2号")]
    assert [items_of(x) for x in result.letters] == [[(shared.id, city.street_a.id, 1)],
                                                     [(shared.id, city.street_b.id, 1)]]
    assert result.tickets == 2  # two (ticket, unit) escalations
    assert fresh(Ticket, shared.id).escalation_level == 1
    assert part_of(shared, city.street_b).escalation_level == 1
    assert escalations(shared) == [("甲街道办事处", 1, None), ("乙街道办事处", 1, "assist")]
    assert run_sweep(at(FRIDAY)).letters == []
    assert run_sweep(at("2026-11-27T15:00:00+08:00")).letters == []

    # Both still open after their letters ran out: both listed, in one sweep.
    second = run_sweep(at(AFTER_LEVEL1))
    assert [(x.unit_id, x.level) for x in second.letters] == [(city.street_a.id, 2), (city.street_b.id, 2)]


def test_one_letter_per_unit_lists_its_tickets_whatever_its_role(app, city, shared, make_ticket):
    """乙街道 leads one ticket and assists on another: one 督办函 to it lists both."""
    auto(app)
    own = make_ticket(point=city.ON_B)
    [_, to_b] = run_sweep(at(FRIDAY)).letters
    assert to_b.unit_id == city.street_b.id
    assert sorted(items_of(to_b)) == sorted([(shared.id, city.street_b.id, 1), (own.id, city.street_b.id, 1)])


def test_a_slipped_second_sweep_is_stopped_per_unit(app, city, shared, monkeypatch):
    """A sweep that read the parts before another sweep raised their levels fails at flush on the unique
    (ticket, unit, assignment, level) item, and writes nothing."""
    auto(app)
    extend_lead(city, shared)
    real = sweep_module.escalation_levels
    monkeypatch.setattr(sweep_module, "escalation_levels", lambda updates: None)  # as if not seen yet
    assert len(run_sweep(at(FRIDAY)).letters) == 1
    monkeypatch.setattr(sweep_module, "escalation_levels", real)
    assert run_sweep(at(FRIDAY)).letters == []  # IntegrityError, rolled back
    assert len(db.session.scalars(select(Letter)).all()) == 1
    db.session.add(LetterItem(letter_id=db.session.scalar(select(Letter.id)), ticket_id=shared.id,
                              unit_id=city.street_b.id, level=1, ticket_number="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_assisting_part_waits_while_the_ticket_is_not_escalating(app, city, shared, make_ticket, now):
    """A disputed ticket (退单, not in ESCALATION_STATUSES) holds every part; a part rectified before its deadline
    never escalates."""
    auto(app)
    extend_lead(city, shared)
    other = make_ticket()
    parts.add_assist(other, city.police, now, city.admin)
    services.dispute(city.unit_a, other, at("2026-11-26T09:00:00+08:00"), "不属于本单位")
    parts.rectify_part(city.unit_b, fresh(Ticket, shared.id), at("2026-11-26T09:00:00+08:00"), "已整改",
                       [processed()])
    db.session.commit()
    assert run_sweep(at(FRIDAY)).letters == []
    app.config["ESCALATION_STATUSES"] = ("assigned", "disputed")  # a city that escalates 退单 too
    assert sorted((x.unit_id, x.level) for x in run_sweep(at(FRIDAY)).letters) == [
        (city.street_a.id, 1), (city.police.id, 1)]


def test_a_reassignment_of_the_lead_keeps_the_assisting_units_count(app, city, shared):
    """B keeps counting from its own letter; the new lead starts afresh."""
    auto(app)
    run_sweep(at(FRIDAY))  # A and B level 1
    services.reassign(city.admin, fresh(Ticket, shared.id), at("2026-11-27T11:00:00+08:00"), city.police.id, "改派")
    db.session.commit()
    assert part_of(shared, city.street_b).escalation_level == 1
    assert part_of(shared, city.street_b).assignment == 1
    result = run_sweep(at(AFTER_LEVEL1))  # the police's own 24 hours ran out on Saturday; B's letter on 12-02
    assert [(x.unit_id, x.level) for x in result.letters] == [(city.police.id, 1), (city.street_b.id, 2)]
    ticket = fresh(Ticket, shared.id)
    assert (ticket.escalation_level, ticket.assignment) == (1, 2)


def test_a_unit_taken_off_and_added_again_keeps_its_level(app, city, shared, now):
    auto(app)
    extend_lead(city, shared)
    run_sweep(at(FRIDAY))
    ticket = fresh(Ticket, shared.id)
    parts.remove_unit(city.admin, ticket, at("2026-11-27T10:00:00+08:00"), city.street_b.id)
    db.session.commit()
    parts.add_unit(city.admin, fresh(Ticket, shared.id), at("2026-11-27T11:00:00+08:00"), city.street_b.id)
    db.session.commit()
    part = part_of(shared, city.street_b)
    assert (part.escalation_level, part.deadline) == (1, at("2026-11-28T11:00:00+08:00"))
    assert run_sweep(at("2026-11-30T09:00:00+08:00")).letters == []  # level 1 holds until the letter runs out
    [listed] = run_sweep(at(AFTER_LEVEL1)).letters  # no second level-1 letter: straight on to 挂牌
    assert (listed.unit_id, listed.level) == (city.street_b.id, 2)


# ----------------------------------------------------------------------------- propose mode

def test_propose_mode_the_assisting_unit_gets_its_proposal_draft_and_letter(app, api, city, shared, browser,
                                                                          clock):
    extend_lead(city, shared)
    [proposal] = run_sweep(at(FRIDAY)).proposals
    assert (proposal.ticket_id, proposal.unit_id, proposal.level) == (shared.id, city.street_b.id, 1)
    assert "超过整改时限23小时仍未整改" in proposal.reason  # not "1天": it is 23 hours late
    assert run_sweep(at("2026-11-27T15:00:00+08:00")).proposals == []  # one open per (ticket, unit, level)
    assert [p.id for p in proposals.open_proposals(at(FRIDAY), unit_id=city.street_b.id)] == [proposal.id]
    from inspect_app.escalation.stats import dashboard_figures  # the dashboard's count, sent inside one statement
    assert dashboard_figures(at(FRIDAY), at(FRIDAY), at(FRIDAY))["proposals"] == proposals.count_open(at(FRIDAY)) == 1
    clock.set(at("2026-11-27T10:00:00+08:00"))  # the page's clock
    page = browser(city.admin).get("/letters/proposals").get_data(as_text=True)
    assert "乙街道办事处" in page and '<span class="badge role-assist"' in page
    # the reason counts the time overdue up to the page's clock, not up to the sweep that proposed it
    assert "超过整改时限1天仍未整改" in page and "23小时" not in page
    assert "超过整改时限1天仍未整改" in browser(city.admin).get(f"/letters/units/{city.street_b.id}").get_data(True)
    assert api.get("/api/v1/escalation/proposals", city.admin).get_json()[0]["reason"].startswith("超过整改时限1天")
    assert fresh(Proposal, proposal.id).reason.startswith("超过整改时限23小时")  # as written: a page writes nothing

    signed_at = at("2026-11-27T10:00:00+08:00")
    [draft] = compose.create_batch(city.admin, signed_at, {"proposal_ids": [proposal.id]})
    assert [r.unit_id for r in draft.recipients] == [city.street_b.id]
    assert [(i.ticket_id, i.unit_id) for i in draft.items] == [(shared.id, city.street_b.id)]
    letter = signing.sign(city.leader, draft, signed_at)
    db.session.commit()
    assert (letter.number, letter.level) == ("临江文明督〔2026〕1号", 1)
    assert items_of(fresh(Letter, letter.id)) == [(shared.id, city.street_b.id, 1)]
    assert part_of(shared, city.street_b).escalation_level == 1
    assert fresh(Ticket, shared.id).escalation_level == 0
    assert escalations(shared) == [("乙街道办事处", 1, "assist")]
    assert fresh(Proposal, proposal.id).outcome == "issued"

    [listed] = run_sweep(at(AFTER_LEVEL1)).proposals
    assert (listed.unit_id, listed.level) == (city.street_b.id, 2)
    assert "经临江文明督〔2026〕1号督办" in listed.reason

    parts.rectify_part(city.unit_b, fresh(Ticket, shared.id), at("2026-12-03T10:00:00+08:00"), "已整改",
                       [processed()])
    db.session.commit()
    assert proposals.open_proposals(at("2026-12-03T10:00:00+08:00")) == []  # at once
    result = run_sweep(at("2026-12-04T09:00:00+08:00"))
    assert (result.proposals, result.lapsed) == ([], 1)
    assert fresh(Proposal, listed.id).close_note == "协办单位已整改"


def test_propose_mode_both_units_two_proposals_one_draft_addressed_to_both(app, city, shared):
    made = run_sweep(at(FRIDAY)).proposals
    assert sorted((p.unit_id, p.level) for p in made) == [(city.street_a.id, 1), (city.street_b.id, 1)]
    when = at("2026-11-27T10:00:00+08:00")
    [draft] = compose.create_batch(city.admin, when, {"proposal_ids": [p.id for p in made]})
    assert sorted(r.unit_id for r in draft.recipients) == [city.street_a.id, city.street_b.id]
    assert sorted((i.ticket_id, i.unit_id) for i in draft.items) == [(shared.id, city.street_a.id),
                                                                      (shared.id, city.street_b.id)]
    signing.sign(city.leader, draft, when)
    db.session.commit()
    assert fresh(Ticket, shared.id).escalation_level == 1
    assert part_of(shared, city.street_b).escalation_level == 1
    assert sorted(p.outcome for p in db.session.scalars(select(Proposal))) == ["issued", "issued"]


def test_a_letter_listing_a_ticket_for_two_units_clears_each_units_item(app, city, shared, api):
    """One signed letter lists the ticket for 甲 (lead) and 乙 (assisting). 乙 reports its part: the office may 销号
    乙's item (unit_id given) while 甲's waits; once the ticket is rectified, 销号 by ticket clears what is left."""
    made = run_sweep(at(FRIDAY)).proposals
    when = at("2026-11-27T10:00:00+08:00")
    [draft] = compose.create_batch(city.admin, when, {"proposal_ids": [p.id for p in made]})
    signing.sign(city.leader, draft, when)
    db.session.commit()
    url = f"/api/v1/letters/{draft.id}/items/{shared.id}/clear"
    refused = api.post(url, city.admin, json={"cleared": True, "unit_id": city.street_b.id})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_rectified"
    parts.rectify_part(city.unit_b, fresh(Ticket, shared.id), when, "已整改", [processed()])
    db.session.commit()
    assert api.post(url, city.admin, json={"cleared": True, "unit_id": city.street_b.id}).status_code == 200
    outcomes = {i.unit_id: i.outcome for i in fresh(Letter, draft.id).items}
    assert outcomes == {city.street_a.id: None, city.street_b.id: "cleared"}
    again = api.post(url, city.admin, json={"cleared": True, "unit_id": city.street_b.id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_cleared"
    assert api.post(url, city.admin, json={"cleared": True}).status_code == 409  # 甲 has not reported yet
    assert api.post(url, city.admin, json={"cleared": True, "unit_id": city.police.id}).status_code == 404
    services.rectify(city.unit_a, fresh(Ticket, shared.id), when, "已整改", [processed()])
    db.session.commit()
    assert api.post(url, city.admin, json={"cleared": True}).status_code == 200
    letter = fresh(Letter, draft.id)
    assert [i.outcome for i in letter.items] == ["cleared", "cleared"] and letter.status == "done"


def test_propose_mode_a_removed_part_s_proposal_lapses(app, city, shared):
    extend_lead(city, shared)
    [proposal] = run_sweep(at(FRIDAY)).proposals
    parts.remove_unit(city.admin, fresh(Ticket, shared.id), at("2026-11-27T10:00:00+08:00"), city.street_b.id)
    db.session.commit()
    assert proposals.open_proposals(at("2026-11-27T10:00:00+08:00")) == []
    assert run_sweep(at("2026-11-27T11:00:00+08:00")).lapsed == 1
    assert fresh(Proposal, proposal.id).close_note == "该单位已不再协办本问题"


def test_signing_refuses_a_part_reported_since_the_draft(app, city, shared):
    extend_lead(city, shared)
    [proposal] = run_sweep(at(FRIDAY)).proposals
    when = at("2026-11-27T10:00:00+08:00")
    [draft] = compose.create_batch(city.admin, when, {"proposal_ids": [proposal.id]})
    db.session.commit()
    parts.rectify_part(city.unit_b, fresh(Ticket, shared.id), when, "已整改", [processed()])
    db.session.commit()
    from inspect_app.common.errors import Conflict
    with pytest.raises(Conflict) as refused:
        signing.sign(city.leader, fresh(Letter, draft.id), when)
    assert refused.value.code == "part_not_open"


# ----------------------------------------------------------------------------- who sees it, who it counts against

def test_the_assisting_unit_sees_its_letter_another_unit_does_not(app, city, shared, api, browser):
    auto(app)
    extend_lead(city, shared)
    [letter] = run_sweep(at(FRIDAY)).letters
    assert api.get(f"/api/v1/letters/{letter.id}", city.unit_b).status_code == 200
    assert api.get(f"/api/v1/letters/{letter.id}", city.unit_police).status_code == 404
    assert api.get(f"/api/v1/letters/{letter.id}", city.unit_a).status_code == 404  # the lead: not its letter
    assert [x["id"] for x in api.get("/api/v1/letters", city.unit_b).get_json()] == [letter.id]
    assert api.get("/api/v1/letters", city.unit_a).get_json() == []
    assert api.get("/api/v1/letters", city.unit_police).get_json() == []
    page = browser(city.unit_b).get(f"/letters/{letter.id}")
    assert page.status_code == 200 and "乙街道办事处" in page.get_data(as_text=True)
    assert browser(city.unit_police).get(f"/letters/{letter.id}").status_code == 404


def test_rankings_count_the_assisting_units_letter_against_it(app, city, shared):
    from inspect_app.rankings.counts import unit_counts
    from inspect_app.rankings.periods import month

    auto(app)
    extend_lead(city, shared)
    run_sweep(at(FRIDAY))
    counts = unit_counts(month(2026, 11), at("2026-11-30T12:00:00+08:00"))
    assert counts[city.street_b.id].supervised == 1
    assert counts.get(city.street_a.id) is None or counts[city.street_a.id].supervised == 0


def test_each_units_level_shows_in_the_api_and_on_the_ticket_page(app, city, shared, api, browser):
    auto(app)
    extend_lead(city, shared)
    run_sweep(at(FRIDAY))
    body = api.get(f"/api/v1/tickets/{shared.id}", city.unit_b).get_json()
    assert body["escalation_level"] == 0
    assert [(u["id"], u["role"], u["escalation_level"]) for u in body["units"]] == [
        (city.street_a.id, "lead", 0), (city.street_b.id, "assist", 1)]
    page = browser(city.admin).get(f"/tickets/{shared.id}").get_data(as_text=True)
    units = page[page.index('id="units"'):]
    assert units.index("乙街道办事处") < units.index('<span class="badge esc">督办</span>')
    assert "普通督办（协办单位乙街道办事处）" in page  # the ticket's history names the unit


# ----------------------------------------------------------------------------- a unit that left the problem

def test_an_item_whose_unit_left_the_problem_is_moved_on_not_owed(app, city, shared, api, browser, clock):
    """甲 (lead) and 乙 (assisting) each have a 督办函 for the ticket. 甲's 退单 is granted (改派 to 交警) and 乙 is
    taken off: neither can report on the problem any more, so their items are settled as moved on (已移出, saying
    where the problem went), their letters 办结, never 逾期未回复; 销号 is refused as needless, not as "not yet
    reported". 乙 added back (same assignment) owes its item again."""
    from inspect_app.escalation import services as letter_services
    from inspect_app.escalation import stats
    from inspect_app.escalation.stats import overdue_replies_now

    auto(app)
    to_a, to_b = run_sweep(at(FRIDAY)).letters
    when = at("2026-11-27T11:00:00+08:00")
    services.dispute(city.unit_a, fresh(Ticket, shared.id), when, "不属于本单位职责")
    services.reassign(city.admin, fresh(Ticket, shared.id), when, city.police.id, "同意退单，改派交警")
    parts.remove_unit(city.admin, fresh(Ticket, shared.id), when, city.street_b.id)
    db.session.commit()
    for letter, unit in ((to_a, city.street_a), (to_b, city.street_b)):
        letter = fresh(Letter, letter.id)
        [item] = letter.items
        assert (item.outcome, item.outcome_label, letter.status) == ("moved", "已移出", "done")
        assert letter.settled_for(unit.id)
    assert fresh(Letter, to_a.id).items[0].clear_note == "问题已改派市交警支队整改"
    assert fresh(Letter, to_b.id).items[0].clear_note == "该单位已不再协办本问题"

    late = at("2026-12-04T09:00:00+08:00")  # both letters' reply-by dates have passed, nobody replied
    clock.set(late)
    assert overdue_replies_now(late) == 0
    assert not letter_services.reply_overdue(fresh(Letter, to_a.id).recipients[0], fresh(Letter, to_a.id), late)
    # nor on the 红黑榜: the letters were settled (moved on) before their reply-by dates, so no reply was owed then
    figures = stats.unit_counts(at("2026-12-01T00:00:00+08:00"), at("2027-01-01T00:00:00+08:00"), late)
    assert [figures[u.id].overdue_replies for u in (city.street_a, city.street_b) if u.id in figures] in ([], [0], [0, 0])
    page = browser(city.unit_a).get(f"/letters/{to_a.id}").get_data(as_text=True)
    assert "已移出：问题已改派市交警支队整改" in page and "逾期未回复" not in page
    assert "尚未整改反馈" not in page and f'href="/tickets/{shared.id}"' not in page  # it 404s for 甲 now
    assert browser(city.unit_a).get(f"/tickets/{shared.id}").status_code == 404
    office = browser(city.admin).get(f"/letters/{to_b.id}").get_data(as_text=True)
    assert "已移出 1 件" in office and "暂不能销号" not in office and ">销号</button>" not in office
    refused = api.post(f"/api/v1/letters/{to_b.id}/items/{shared.id}/clear", city.admin,
                       json={"cleared": True, "unit_id": city.street_b.id})
    assert refused.status_code == 409  # the letter is 办结
    assert api.get(f"/api/v1/letters/{to_b.id}", city.unit_b).get_json()["items"][0]["outcome"] == "moved"

    parts.add_unit(city.admin, fresh(Ticket, shared.id), late, city.street_b.id)  # back, in the same assignment
    db.session.commit()
    letter = fresh(Letter, to_b.id)
    assert (letter.items[0].outcome, letter.items[0].clear_note, letter.status) == (None, "", "issued")
    assert letter_services.reply_overdue(letter.recipients[0], letter, late)


def test_in_a_letter_to_both_units_the_one_taken_off_is_settled_the_other_still_owes(app, city, shared, api,
                                                                                      browser):
    made = run_sweep(at(FRIDAY)).proposals
    when = at("2026-11-27T10:00:00+08:00")
    [draft] = compose.create_batch(city.admin, when, {"proposal_ids": [p.id for p in made]})
    signing.sign(city.leader, draft, when)
    db.session.commit()
    parts.request_withdraw(city.unit_b, fresh(Ticket, shared.id), when, "不属于本单位职责")
    parts.decide_withdraw(city.admin, fresh(Ticket, shared.id), when, city.street_b.id, True, "同意")
    db.session.commit()
    letter = fresh(Letter, draft.id)
    assert {i.unit_id: i.outcome for i in letter.items} == {city.street_a.id: None, city.street_b.id: "moved"}
    assert letter.status == "issued"
    assert letter.settled_for(city.street_b.id) and not letter.settled_for(city.street_a.id)
    late = at("2026-12-04T09:00:00+08:00")
    from inspect_app.escalation.services import LetterFilter, list_letters
    assert list_letters(city.unit_b, LetterFilter(overdue=True), late)[1] == 0  # the SQL reads it too
    assert list_letters(city.unit_a, LetterFilter(overdue=True), late)[1] == 1
    url = f"/api/v1/letters/{draft.id}/items/{shared.id}/clear"
    refused = api.post(url, city.admin, json={"cleared": True, "unit_id": city.street_b.id})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "item_moved"
    assert "该项已移出，无需销号" in refused.get_json()["error"]["message"]
    services.rectify(city.unit_a, fresh(Ticket, shared.id), late, "已整改", [processed()])
    db.session.commit()
    office = browser(city.admin)  # 甲's, the one left: the letter is 办结, and not every problem was 销号
    detail = f"/letters/{draft.id}"
    done = office.post(f"{detail}/items/{shared.id}/clear", data={"csrf_token": office.token(detail), "cleared": "1",
                                                                  "unit_id": str(city.street_a.id)})
    assert done.status_code == 303 and fresh(Letter, draft.id).status == "done"
    page = office.get(detail).get_data(as_text=True)
    assert "已办结：其余问题已销号，1件已移出（责任单位已不再负责）。" in page and "全部问题已销号" not in page


def test_the_api_takes_one_units_item_out_of_a_draft(app, city, shared, api):
    made = run_sweep(at(FRIDAY)).proposals
    [draft] = compose.create_batch(city.admin, at(FRIDAY), {"proposal_ids": [p.id for p in made]})
    db.session.commit()
    url = f"/api/v1/letters/{draft.id}"
    bad = api.call("PATCH", url, city.admin, json={"remove_items": ["12"]})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_remove_items"
    body = api.call("PATCH", url, city.admin, json={"remove_items": [[shared.id, city.street_a.id]]}).get_json()
    assert [(i["ticket_id"], i["unit_id"]) for i in body["items"]] == [(shared.id, city.street_b.id)]
    assert [u["id"] for u in body["units"]] == [city.street_b.id]
    [of_a] = [p.id for p in made if p.unit_id == city.street_a.id]
    assert fresh(Proposal, of_a).letter_id is None  # 甲's proposal goes back to the office
