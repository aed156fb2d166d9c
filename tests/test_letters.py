"""督办 as a decision (ESCALATION_MODE=propose, the default): proposals, drafts, 签发, 签收, written replies, 销号 and
办结, permissions, immutability of issued letters. (The automatic mode's tests: test_escalation*.py.)"""
from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import BEFORE_PHOTO, City, at, file_tuple, photo_bytes, processed, sql_sent
from pypdf import PdfReader
from sqlalchemy import func, select

from inspect_app.auth.models import User
from inspect_app.common.errors import Conflict
from inspect_app.common.models import current_value
from inspect_app.common.timeutil import local
from inspect_app.escalation import compose, proposals, replies, signing
from inspect_app.escalation.jobs import run_sweep
from inspect_app.escalation.sweep import pdf_path
from inspect_app.escalation.models import (
    KIND_LEVELS, EscalationFile, Letter, LetterImmutable, LetterItem, LetterReply, Notification, Proposal, SweepRun,
)
from inspect_app.extensions import db
from inspect_app.tickets import services as ticket_services
from inspect_app.tickets.models import Ticket, TicketEvent

FRIDAY = "2026-11-27T09:00:00+08:00"          # the 24-hour 牛皮癣 tickets of Wednesday are overdue
MONDAY = "2026-11-30T10:00:00+08:00"
AFTER_REPLY_BY = "2026-12-04T09:00:00+08:00"  # a level-1 letter signed Friday: reply by Wednesday 12-02


@pytest.fixture(autouse=True)
def clock(clock):
    """The suite's clock (conftest.clock), stopped at Friday 27 November 2026, 10:00."""
    clock.stop("2026-11-27T10:00:00+08:00")
    return clock


@pytest.fixture
def photo():
    return processed()


@pytest.fixture
def file_ticket(city, now, photo):
    def make(point=City.ON_A, category="niupixuan", at_time=None, address=""):
        report = ticket_services.NewReport(category=category, photos=[processed(BEFORE_PHOTO)], lat=point[0],
                                           lon=point[1], address=address)
        ticket, _ = ticket_services.create_ticket(city.inspector, report, at_time or now)
        db.session.commit()
        return ticket
    return make


@pytest.fixture
def overdue(city, file_ticket):
    """Street A: two overdue tickets; street B: one. The Friday sweep proposes level 1 for all three."""
    tickets = [file_ticket(), file_ticket(address="人民路18号"), file_ticket(City.ON_B)]
    run_sweep(at(FRIDAY))
    return tickets


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def pdf_text(data: bytes) -> str:
    return "".join("".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


def draft_from_proposals(city, when=FRIDAY) -> Letter:
    ids = [p.id for p in proposals.open_proposals(at(when))]
    [letter] = compose.create_batch(city.admin, at(when), {"proposal_ids": ids})
    db.session.commit()
    return letter


def signed(city, when=FRIDAY) -> Letter:
    letter = draft_from_proposals(city, when)
    signing.sign(city.leader, letter, at(when))
    db.session.commit()
    return letter


def minimal_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


# ----------------------------------------------------------------------------- the sweep proposes

def test_sweep_proposes_and_issues_nothing(app, city, overdue, runner):
    assert db.session.scalar(select(func.count(Letter.id))) == 0
    assert current_value("letter", 2026) == 0  # no number is taken by a proposal
    open_ = proposals.open_proposals(at(FRIDAY))
    assert sorted((p.unit.code, p.level) for p in open_) == [("JDA", 1), ("JDA", 1), ("JDB", 1)]
    assert all("超过整改时限" in p.reason for p in open_)
    assert all(fresh(Ticket, t.id).escalation_level == 0 for t in overdue)
    assert db.session.scalar(select(SweepRun.proposals).order_by(SweepRun.id.desc())) == 3
    groups = proposals.by_unit(open_)
    assert [(g.unit.code, len(g.proposals)) for g in groups] == [("JDA", 2), ("JDB", 1)]
    # again: nothing new
    assert run_sweep(at("2026-11-27T15:00:00+08:00")).proposals == []
    result = runner.invoke(args=["escalate", "--now", "2026-11-30T09:00:00+08:00"])
    assert result.exit_code == 0 and "没有新达到督办条件的问题" in result.output
    assert db.session.scalar(select(func.count(Proposal.id))) == 3


def test_escalate_command_reports_proposals(app, city, file_ticket, runner):
    file_ticket()
    result = runner.invoke(args=["escalate", "--now", FRIDAY])
    assert result.exit_code == 0 and "新增督办建议 1 条，涉及 1 个单位" in result.output


def test_proposals_that_stop_applying_disappear(app, city, overdue, photo):
    rectified, reassigned, cancelled = overdue
    ticket_services.rectify(city.unit_a, fresh(Ticket, rectified.id), at(MONDAY), "已清理", [photo])
    ticket_services.reassign(city.admin, fresh(Ticket, reassigned.id), at(MONDAY), city.police.id, "改派")
    ticket_services.cancel(city.admin, fresh(Ticket, cancelled.id), at(MONDAY), "重复上报")
    db.session.commit()
    assert proposals.open_proposals(at(MONDAY)) == []  # at once, before any sweep
    assert proposals.count_open(at(MONDAY)) == 0
    run_sweep(at("2026-11-30T11:00:00+08:00"))
    rows = db.session.scalars(select(Proposal).order_by(Proposal.id)).all()
    assert [(r.outcome, r.close_note) for r in rows] == [
        ("lapsed", "问题已整改、结案或作废"), ("lapsed", "问题已改派其他单位"), ("lapsed", "问题已作废")]  # voided: at once


def test_an_extension_withdraws_the_proposal(app, city, file_ticket):
    ticket = file_ticket(category="spider_web")  # 10 working days: due 2026-12-09
    run_sweep(at("2026-12-10T09:00:00+08:00"))
    assert len(proposals.open_proposals(at("2026-12-10T09:00:00+08:00"))) == 1
    ticket.deadline = at("2026-12-20T18:00:00+08:00")  # as an approved extension would
    db.session.commit()
    assert proposals.open_proposals(at("2026-12-10T10:00:00+08:00")) == []
    run_sweep(at("2026-12-11T09:00:00+08:00"))
    assert db.session.scalar(select(Proposal.close_note)) == "整改时限已延长"


def test_the_office_group_is_told_of_new_proposals(app, city, file_ticket):
    app.config.update(WEBHOOK_URL="http://127.0.0.1:9/office")
    file_ticket()
    file_ticket(City.ON_B)
    run_sweep(at(FRIDAY))
    [row] = db.session.scalars(select(Notification)).all()
    assert (row.unit_id, row.kind) == (None, "proposals")  # the office's robot
    text = row.payload["text"]["content"]
    assert "督办建议2条" in text and "涉及2个单位" in text
    assert "问题" in text  # a keyword a DingTalk robot with 关键词 security accepts: without one it refused them all
    run_sweep(at("2026-11-27T10:00:00+08:00"))  # nothing new: no second message
    assert db.session.scalar(select(func.count(Notification.id))) == 1


# ----------------------------------------------------------------------------- drafts

def test_a_batch_draft_from_proposals_takes_no_number(app, city, overdue, client):
    letter = draft_from_proposals(city)
    assert letter.status == "draft" and letter.number is None and letter.seq is None and letter.issued_at is None
    assert current_value("letter", 2026) == 0
    assert [r.unit.code for r in letter.recipients] == ["JDA", "JDB"]
    assert sorted(letter.ticket_ids) == sorted(t.id for t in overdue)
    assert {p.letter_id for p in db.session.scalars(select(Proposal))} == {letter.id}
    assert letter.kind == "supervision" and letter.level == 1
    assert letter.reply_by == at("2026-12-02T23:59:59+08:00")  # 3 working days
    assert "{count}" in letter.body and letter.title == "关于督促整改超期未办结问题的督办函"
    # the preview: 草稿, no number, both units in the 主送 and in the grouped 问题清单
    from conftest import sign_in
    sign_in(client, city.admin)
    response = client.get(f"/letters/{letter.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "草稿" in text and "临江文明督〔" not in text
    assert "甲街道办事处、乙街道办事处：" in text and "各有关单位有3个问题" in text
    assert "甲街道办事处（2件）" in text and "乙街道办事处（1件）" in text
    assert current_value("letter", 2026) == 0  # a preview takes no number either


def test_proposals_of_different_levels_make_one_draft_per_level(app, city, file_ticket):
    first = file_ticket()
    run_sweep(at(FRIDAY))
    signed(city)
    file_ticket(City.ON_B, at_time=at("2026-12-01T10:00:00+08:00"))
    run_sweep(at("2026-12-03T09:00:00+08:00"))  # the first ticket: level 2; the new one: level 1
    moment = at("2026-12-03T09:30:00+08:00")
    open_ = proposals.open_proposals(moment)
    assert sorted(p.level for p in open_) == [1, 2]
    assert "临江文明督〔2026〕1号" in next(p.reason for p in open_ if p.level == 2)
    with pytest.raises(Exception) as refused:
        compose.create_draft(city.admin, moment, {"proposal_ids": [p.id for p in open_]})
    assert getattr(refused.value, "code", "") == "mixed_levels"
    db.session.rollback()
    drafts = compose.create_batch(city.admin, moment, {"proposal_ids": [p.id for p in open_]})
    assert [(d.level, d.kind, d.unit_ids) for d in drafts] == [
        (2, "listed", [city.street_a.id]), (1, "supervision", [city.street_b.id])]
    assert drafts[0].report_to == "市文明委主任、副主任" and first.id in drafts[0].ticket_ids


def test_compose_refuses_bad_input(app, city, overdue, api, photo):
    url = "/api/v1/letters"
    closed = overdue[0]
    ticket_services.rectify(city.unit_a, fresh(Ticket, closed.id), at(MONDAY), "已清理", [photo])
    db.session.commit()
    cases = [
        ({}, 400, "nothing_to_compile"),
        ({"ticket_ids": ["x"]}, 400, "invalid_ticket_ids"),
        ({"ticket_ids": "1,2,abc"}, 400, "invalid_ticket_ids"),
        ({"ticket_ids": [99999]}, 404, "ticket_not_found"),
        ({"ticket_ids": [closed.id]}, 409, "ticket_not_open"),
        ({"ticket_ids": [overdue[1].id], "level": 7}, 400, "invalid_level"),
        ({"ticket_ids": [overdue[1].id], "kind": "poem"}, 400, "invalid_kind"),
        ({"ticket_ids": [overdue[1].id], "kind": ["supervision"]}, 400, "invalid_kind"),
        ({"ticket_ids": [overdue[1].id], "kind": {"a": 1}}, 400, "invalid_kind"),
        ({"ticket_ids": [overdue[1].id], "reply_by": "2020-01-01"}, 422, "invalid_reply_by"),
        # Friday: today, or the weekend before Monday, leaves the unit no whole working day (签发 would refuse it)
        ({"ticket_ids": [overdue[1].id], "reply_by": "2026-11-27"}, 422, "invalid_reply_by"),
        ({"ticket_ids": [overdue[1].id], "reply_by": "2026-11-29"}, 422, "invalid_reply_by"),
        ({"ticket_ids": [overdue[1].id], "reply_by": "tomorrow"}, 400, "invalid_reply_by"),
        ({"ticket_ids": [overdue[1].id], "reply_by": 20261231}, 400, "invalid_reply_by"),  # a number is no day
        ({"ticket_ids": [overdue[1].id], "reply_by": "2026-12-18 if possible"}, 400, "invalid_reply_by"),
        ({"ticket_ids": [overdue[1].id], "reply_by": "20261218"}, 400, "invalid_reply_by"),
        ({"unit_ids": [99999]}, 422, "invalid_unit"),
        ({"proposal_ids": [99999]}, 404, "proposal_not_found"),
        ({"ticket_ids": [overdue[1].id], "title": "x" * 201}, 400, "text_too_long"),
    ]
    for body, status, code in cases:
        response = api.post(url, city.admin, json=body)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), body
    assert api.post(url, city.unit_a, json={"ticket_ids": [overdue[1].id]}).status_code == 403
    assert api.post(url, city.leader, json={"ticket_ids": [overdue[1].id]}).status_code == 403
    assert api.post(url, city.admin, data="ticket_ids=1").status_code == 415
    assert db.session.scalar(select(func.count(Letter.id))) == 0  # nothing half-written
    message = api.post(url, city.admin, json={"ticket_ids": [overdue[1].id], "reply_by": "2026-11-28"}).get_json()
    assert "整改时限最早可定为2026年11月30日" in message["error"]["message"]
    made = api.post(url, city.admin, json={"ticket_ids": [overdue[1].id], "reply_by": "2026-11-30"})
    assert made.status_code == 201 and made.get_json()["reply_by"] == "2026-11-30T23:59:59+08:00"


def test_supervision_goes_a_step_at_a_time(app, city, file_ticket, api, clock):
    """A 督办函 says its problems are past their deadline, a 挂牌督办函 that a 督办函 came first, a 约谈通知 that
    挂牌督办 did; each letter gives the unit until its date. A letter by hand that skips a step, or comes before the
    unit's time is up, is refused (as the sweep would not propose it), at compiling and again at 签发."""
    url = "/api/v1/letters"
    late = file_ticket(at_time=at("2026-11-25T09:00:00+08:00"))   # 24 hours: late since Thursday 09:00
    fresh_one = file_ticket(at_time=at("2026-11-27T08:00:00+08:00"))  # late only from Saturday 08:00

    def compose_(ticket, kind):
        response = api.post(url, city.admin, json={"ticket_ids": [ticket.id], "kind": kind})
        return response.status_code, (response.get_json().get("error") or {}).get("code"), response.get_json()

    status, code, body = compose_(fresh_one, "supervision")
    assert (status, code) == (409, "ticket_not_overdue") and "尚未超期" in body["error"]["message"]
    assert compose_(late, "listed")[:2] == (409, "level_skipped")
    status, code, body = compose_(late, "summons")
    assert (status, code) == (409, "level_skipped") and "应先普通督办，不能直接约谈" in body["error"]["message"]
    # a 督查通报 only names problems: any open one may be in it
    assert compose_(fresh_one, "bulletin")[0] == 201
    status, _, letter = compose_(late, "supervision")
    assert status == 201
    assert api.post(f"{url}/{letter['id']}/sign", city.leader, json={}).status_code == 200
    reply_by = db.session.get(Letter, letter["id"]).reply_by
    status, code, body = compose_(late, "listed")  # the unit's time under the 督办函 has not run out
    assert (status, code) == (409, "level_not_due") and "临江文明督〔2026〕1号" in body["error"]["message"]
    assert compose_(late, "supervision")[:2] == (409, "ticket_already_at_level")
    clock.stop(reply_by + timedelta(minutes=1))
    status, _, listed = compose_(late, "listed")
    assert status == 201
    assert compose_(late, "summons")[:2] == (409, "level_skipped")  # not before the 挂牌督办 is issued
    # a draft that fitted when compiled is checked again at 签发: an extension since gives the unit more time
    ticket = db.session.get(Ticket, late.id)
    ticket.deadline = reply_by + timedelta(days=30)
    db.session.commit()
    refused = api.post(f"{url}/{listed['id']}/sign", city.leader, json={})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "level_not_due")
    assert db.session.get(Letter, listed["id"]).status == "draft"



@pytest.mark.parametrize("threads", [0, 1], ids=["first_reader", "after_commit"])
def test_a_signed_letter_is_written_as_signed_whatever_changes_after(app, city, overdue, api, threads):
    """签发 keeps the 主送 as signed (LetterUnit.unit_name), and the PDF is written after the commit, out of the
    leader's request: by a thread of the process, or (JOBS_WORKER_THREADS = 0) by the sweep or its first reader.
    Built from the units' names of the day it was built, a unit renamed after 签发 changed a signed letter's 主送."""
    from inspect_app.escalation import jobs

    app.config["JOBS_WORKER_THREADS"] = threads
    body = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [overdue[0].id], "kind": "supervision"})
    letter_id = body.get_json()["id"]
    assert api.post(f"/api/v1/letters/{letter_id}/sign", city.leader, json={}).status_code == 200
    if threads:
        assert jobs.wait_for_pdfs()
        letter = fresh(Letter, letter_id)
        assert letter.pdf_written_at is not None and pdf_path(letter).is_file()
    assert [r.unit_name for r in fresh(Letter, letter_id).recipients] == ["甲街道办事处"]
    city.street_a.name = "甲街道办事处（更名）"
    db.session.commit()
    text = "".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(
        api.get(f"/api/v1/letters/{letter_id}/pdf", city.admin).data)).pages)
    assert "甲街道办事处：" in text.replace(" ", "") and "更名" not in text


def test_signing_sends_the_same_statements_however_many_problems(app, city, file_ticket, api):
    """签发 of a draft of 300 problems took 5.4 s in the request: each problem's checks read the other letters again
    (the letter listing it at its level, another draft holding it), each item read its ticket again after they had
    been locked and read, and the PDF was printed before the answer. The checks now read the other letters once for
    the whole draft, and the PDF is written after the commit: a draft of 8 problems sends no more statements than
    one of 2."""
    tickets = [file_ticket(address=f"人民路{n}号") for n in range(10)]
    run_sweep(at(FRIDAY))
    counts = []
    for chosen in (tickets[:2], tickets[2:]):
        body = api.post("/api/v1/letters", city.admin,
                        json={"ticket_ids": [t.id for t in chosen], "kind": "supervision"}).get_json()
        with sql_sent() as sent:
            assert api.post(f"/api/v1/letters/{body['id']}/sign", city.leader, json={}).status_code == 200
        counts.append(len([s for s, _ in sent if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]))
        assert fresh(Letter, body["id"]).status == "issued"
    assert counts[1] <= counts[0] + 2, counts


def test_a_draft_by_hand_from_tickets_and_its_edits(app, city, overdue, api):
    body = api.post("/api/v1/letters", city.admin,
                    json={"ticket_ids": [overdue[0].id], "kind": "bulletin", "reply_by": "2026-12-10"}).get_json()
    assert body["number"] is None and body["status"] == "draft" and body["kind"] == "bulletin"
    assert body["units"][0]["name"] == "甲街道办事处" and body["reply_by"] == "2026-12-10T23:59:59+08:00"
    assert body["title"] == "关于近期城市管理突出问题整改情况的督查通报"
    url = f"/api/v1/letters/{body['id']}"
    # the reply_by the API gives back is taken back; an offset counts by the Shanghai day it falls on
    echoed = api.call("PATCH", url, city.admin, json={"reply_by": body["reply_by"]}).get_json()
    assert echoed["reply_by"] == "2026-12-10T23:59:59+08:00"
    moved = api.call("PATCH", url, city.admin, json={"reply_by": "2026-12-10T23:00:00-05:00"}).get_json()
    assert moved["reply_by"] == "2026-12-11T23:59:59+08:00"
    body = api.call("PATCH", url, city.admin, json={"reply_by": "2026-12-10"}).get_json()
    # adding street B's ticket adds street B to the 主送; wording untouched by the office follows the kind
    changed = api.call("PATCH", url, city.admin, json={"add_ticket_ids": [overdue[2].id], "kind": "supervision",
                                                       "revision": body["revision"]}).get_json()
    assert [u["name"] for u in changed["units"]] == ["甲街道办事处", "乙街道办事处"]
    assert changed["title"] == "关于督促整改超期未办结问题的督办函" and changed["level"] == 1
    assert changed["revision"] > body["revision"]
    stale = api.call("PATCH", url, city.admin, json={"title": "旧版本上的修改", "revision": body["revision"]})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "draft_changed"
    own = api.call("PATCH", url, city.admin, json={"title": "关于限期整改人民路沿线问题的督办函",
                                                   "body": "经市文明办督查发现，{you}有{count}个问题。\n一、整改要求\n请于{reply_by}前整改。",
                                                   "remove_ticket_ids": [overdue[2].id]}).get_json()
    assert [u["name"] for u in own["units"]] == ["甲街道办事处"] and own["ticket_ids"] == [overdue[0].id]
    pdf = api.get(f"{url}/pdf", city.admin)
    text = pdf_text(pdf.data)
    assert "关于限期整改人民路沿线问题的督办函" in text and "你单位有1个问题" in text and "2026年12月10日前整改" in text
    # the API gives the wording as stored (for editing) and as printed (placeholders filled)
    assert own["body"].startswith("经市文明办督查发现，{you}有{count}个问题。")
    shown = api.get(url, city.admin).get_json()
    assert shown["body_text"] == "经市文明办督查发现，你单位有1个问题。\n一、整改要求\n请于2026年12月10日前整改。"
    assert shown["title_text"] == "关于限期整改人民路沿线问题的督办函"
    assert api.call("PATCH", url, city.admin, json={"title": ""}).status_code == 400
    assert api.call("PATCH", url, city.unit_a, json={"title": "x"}).status_code == 403
    assert api.call("PATCH", url, city.leader, json={"title": "x"}).status_code == 403
    # discarding gives the proposals back
    assert api.call("DELETE", url, city.admin).status_code == 204
    assert fresh(Letter, body["id"]) is None


# ----------------------------------------------------------------------------- 签发

def test_a_leader_signs_and_the_letter_is_issued(app, city, overdue, api):
    from inspect_app.outbox.models import UnitRobot

    app.config.update(WEBHOOK_URL="http://127.0.0.1:9/city")
    db.session.add(UnitRobot(unit_id=city.street_b.id, url="https://oapi.dingtalk.com/robot/send?access_token=b",
                             enabled=True, updated_at=at(FRIDAY)))  # street B's own robot; street A has none
    letter = draft_from_proposals(city)
    url = f"/api/v1/letters/{letter.id}/sign"
    assert api.post(url, city.admin).status_code == 403  # the office compiles, a leader signs
    assert api.post(url, city.inspector).status_code == 403  # the route is for leaders (and the office)
    assert api.post(url, city.unit_a).status_code == 403
    stale = api.post(url, city.leader, json={"revision": letter.revision + 5})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "draft_changed"
    response = api.post(url, city.leader, json={"revision": letter.revision})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["number"] == "临江文明督〔2026〕1号" and body["status"] == "issued"
    assert body["issued_at"] == "2026-11-27T10:00:00+08:00"
    again = api.post(url, city.leader)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_signed"
    letter = fresh(Letter, letter.id)
    assert (letter.year, letter.seq, letter.signed_by_id) == (2026, 1, city.leader.id)
    assert current_value("letter", 2026) == 1
    assert all(item.level == 1 and item.ticket_number and item.days_overdue >= 1 for item in letter.items)
    for ticket in overdue:
        assert fresh(Ticket, ticket.id).escalation_level == 1
        [event] = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                               TicketEvent.action == "escalate")).all()
        assert event.actor_id == city.leader.id and "临江文明督〔2026〕1号" in event.note
    assert {p.outcome for p in db.session.scalars(select(Proposal))} == {"issued"}
    targets = sorted(str(n.unit_id) for n in db.session.scalars(select(Notification).where(Notification.kind == "letters")))
    assert targets == sorted(["None", str(city.street_b.id)])  # the office's robot and street B's own
    # the issued PDF: its number, no 草稿
    pdf = api.get(f"/api/v1/letters/{letter.id}/pdf", city.unit_a)
    text = pdf_text(pdf.data)
    assert "临江文明督〔2026〕1号" in text and "草稿" not in text
    # the next sweep proposes nothing for these tickets until the letter's time is up
    assert run_sweep(at("2026-12-01T09:00:00+08:00")).proposals == []
    assert len(run_sweep(at(AFTER_REPLY_BY)).proposals) == 3


def test_admins_sign_where_the_setting_allows(app, city, overdue, api):
    app.config["LETTER_ADMIN_MAY_SIGN"] = True
    letter = draft_from_proposals(city)
    assert api.post(f"/api/v1/letters/{letter.id}/sign", city.admin).status_code == 200


def test_a_reply_by_left_at_its_default_counts_from_signing(app, city, overdue, api, clock):
    """整改时限 left blank is the level's working days from 签发 (the 成文日期), not from the draft: a draft of Friday
    (3 working days: Wednesday 12-02) signed Wednesday at 22:00 went out as 「请于2026年12月2日前整改到位」, two hours,
    and the next sweep proposed 挂牌督办. The same for every kind (a 督查通报's is its level's too)."""
    made = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [overdue[0].id, overdue[1].id]}).get_json()
    assert made["reply_by_default"] is True and made["reply_by"] == "2026-12-02T23:59:59+08:00"  # if signed now
    bulletin = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [overdue[2].id], "kind": "bulletin"})
    bulletin = bulletin.get_json()
    clock.stop("2026-12-02T22:00:00+08:00")
    shown = api.get(f"/api/v1/letters/{made['id']}", city.leader).get_json()
    assert shown["reply_by_default"] is True and shown["reply_by"] == "2026-12-07T23:59:59+08:00"
    signed = api.post(f"/api/v1/letters/{made['id']}/sign", city.leader, json={})
    assert signed.status_code == 200, signed.get_json()
    # Thursday, Friday, Monday: three working days from the signing
    assert signed.get_json()["reply_by"] == "2026-12-07T23:59:59+08:00"
    letter = fresh(Letter, made["id"])
    assert {local(item.reply_by).date().isoformat() for item in letter.items} == {"2026-12-07"}
    text = pdf_text(api.get(f"/api/v1/letters/{letter.id}/pdf", city.unit_a).data)
    assert "请于2026年12月7日前整改到位" in text and "2026年12月2日前" not in text
    other = api.post(f"/api/v1/letters/{bulletin['id']}/sign", city.leader, json={}).get_json()
    assert other["reply_by"] == "2026-12-07T23:59:59+08:00"
    # the unit has its days: no 挂牌督办 proposed before they are up
    assert run_sweep(at("2026-12-03T09:00:00+08:00")).proposals == []
    assert run_sweep(at("2026-12-07T09:00:00+08:00")).proposals == []
    assert {p.level for p in run_sweep(at("2026-12-08T09:00:00+08:00")).proposals} == {2}


def test_a_reply_by_set_by_hand_leaves_a_working_day_at_signing(app, city, overdue, api, clock, browser):
    """A date the office typed is kept, but 签发 refuses one that leaves the unit less than a whole working day,
    saying to what date it may be moved, or to leave it blank (the level's days from 签发)."""
    made = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [overdue[0].id],
                                                         "reply_by": "2026-12-02"}).get_json()
    assert made["reply_by_default"] is False and made["reply_by"] == "2026-12-02T23:59:59+08:00"
    url = f"/api/v1/letters/{made['id']}"
    clock.stop("2026-12-02T22:00:00+08:00")
    refused = api.post(f"{url}/sign", city.leader, json={})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_reply_by"
    message = refused.get_json()["error"]["message"]
    assert "整改时限（2026年12月2日）距签发不足一个工作日" in message and "2026年12月3日或以后" in message
    assert "留空（签发后3个工作日）" in message
    assert fresh(Letter, made["id"]).status == "draft" and current_value("letter", 2026) in (None, 0)
    # the leader's page says so before the button is pressed
    page = browser(city.leader).get(f"/letters/{made['id']}").get_data(as_text=True)
    assert "签发前需处理：整改时限（2026年12月2日）距签发不足一个工作日" in page
    # Friday's date: a whole working day (Thursday) is left, so it may go out
    clock.stop("2026-12-02T09:00:00+08:00")
    assert api.post(f"{url}/sign", city.leader, json={}).status_code == 422  # today's date: hours only
    api.call("PATCH", url, city.admin, json={"reply_by": "2026-12-03"})
    assert api.post(f"{url}/sign", city.leader, json={}).status_code == 200
    assert fresh(Letter, made["id"]).reply_by == at("2026-12-03T23:59:59+08:00")


def test_a_draft_goes_back_to_the_default_reply_by(app, city, overdue, api, clock, browser):
    """The edit page shows a default as blank, with the days and the date if signed today; cleared, a date typed
    goes back to the default (the API: reply_by "" or null)."""
    made = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [overdue[0].id],
                                                         "reply_by": "2026-12-10"}).get_json()
    url = f"/api/v1/letters/{made['id']}"
    back = api.call("PATCH", url, city.admin, json={"reply_by": None}).get_json()
    assert back["reply_by_default"] is True and back["reply_by"] == "2026-12-02T23:59:59+08:00"
    kept = api.call("PATCH", url, city.admin, json={"title": "关于督促整改人民路问题的督办函"}).get_json()
    assert kept["reply_by_default"] is True  # a field not sent stays
    office = browser(city.admin)
    edit = office.get(f"/letters/{made['id']}/edit").get_data(as_text=True)
    assert 'name="reply_by" value=""' in edit and "留空为签发后3个工作日，今天签发即2026-12-02" in edit
    detail = office.get(f"/letters/{made['id']}").get_data(as_text=True)
    assert "签发后3个工作日（今天签发即 2026-12-02 前）整改反馈" in detail
    listed = office.get("/letters?status=draft").get_data(as_text=True)
    assert "签发后3个工作日内回复" in listed
    typed = office.submit(f"/letters/{made['id']}/edit", f"/letters/{made['id']}/edit",
                          {"revision": str(fresh(Letter, made["id"]).revision), "reply_by": "2026-12-09",
                           "title": "关于督促整改人民路问题的督办函", "body": fresh(Letter, made["id"]).body,
                           "kind": "supervision", "level": "1"})
    assert typed.status_code == 303 and fresh(Letter, made["id"]).reply_by_default is False
    cleared = office.submit(f"/letters/{made['id']}/edit", f"/letters/{made['id']}/edit",
                            {"revision": str(fresh(Letter, made["id"]).revision), "reply_by": "",
                             "title": "关于督促整改人民路问题的督办函", "body": fresh(Letter, made["id"]).body,
                             "kind": "supervision", "level": "1"})
    assert cleared.status_code == 303 and fresh(Letter, made["id"]).reply_by_default is True


def test_a_draft_that_no_longer_fits_is_not_signed(app, city, overdue, api, photo):
    letter = draft_from_proposals(city)
    ticket_services.rectify(city.unit_a, fresh(Ticket, overdue[0].id), at(MONDAY), "已清理", [photo])
    db.session.commit()
    response = api.post(f"/api/v1/letters/{letter.id}/sign", city.leader)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "ticket_not_open"
    assert "已整改" in response.get_json()["error"]["message"] or overdue[0].number in response.get_json()["error"]["message"]
    assert fresh(Letter, letter.id).status == "draft" and current_value("letter", 2026) == 0
    # the office takes it out; then it signs
    api.call("PATCH", f"/api/v1/letters/{letter.id}", city.admin, json={"remove_ticket_ids": [overdue[0].id]})
    assert api.post(f"/api/v1/letters/{letter.id}/sign", city.leader).status_code == 200


def test_numbers_are_taken_at_signing_in_signing_order(app, city, file_ticket):
    a = compose.create_draft(city.admin, at(MONDAY), {"ticket_ids": [file_ticket().id]})
    b = compose.create_draft(city.admin, at(MONDAY), {"ticket_ids": [file_ticket(City.ON_B).id]})
    c = compose.create_draft(city.admin, at(MONDAY), {"ticket_ids": [file_ticket(category="illegal_parking").id],
                                                      "kind": "bulletin"})
    db.session.commit()
    for letter in (b, c, a):
        signing.sign(city.leader, letter, at(MONDAY))
        db.session.commit()
    assert (b.number, a.number) == ("临江文明督〔2026〕1号", "临江文明督〔2026〕2号")
    assert c.number == "临江文明通〔2026〕1号"  # 督查通报 run in the 通报 series
    assert a.pdf_path.endswith("00002.pdf") and c.pdf_path.endswith("tb00001.pdf")


# ----------------------------------------------------------------------------- 签发 beside 改派 and 作废

def in_another_request(app, act, wait: float = 60) -> threading.Thread:
    """act() in a thread with its own app context (its own session and connection), committed, as another person's
    request; waits up to `wait` seconds for it (a request held by a lock goes on after: join the thread returned)."""
    failed: list[BaseException] = []

    def run():
        with app.app_context():
            try:
                act()
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - the test reads it
                db.session.rollback()
                failed.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.failed = failed
    thread.start()
    thread.join(wait)
    return thread


def _change(city, action: str, ticket_id: int):
    """The office's 改派 (to the traffic police) or 作废 of a ticket, for in_another_request."""
    admin_id, police_id = city.admin.id, city.police.id  # read here: the city's rows belong to the test's session

    def act():
        ticket, admin = db.session.get(Ticket, ticket_id), db.session.get(User, admin_id)
        if action == "reassign":
            ticket_services.reassign(admin, ticket, at(FRIDAY), police_id, "改派交警")
        else:
            ticket_services.cancel(admin, ticket, at(FRIDAY), "重复上报")
    return act


@pytest.mark.parametrize("action, said", [("reassign", "已改派其他单位"), ("cancel", "已作废")])
def test_a_problem_reassigned_or_voided_while_the_leader_signs_is_not_signed(app, city, overdue, action, said):
    """QA: 签发 at the moment the office 改派s (or 作废s) one of the draft's problems: both succeeded on PostgreSQL,
    the letter went to the old unit about a problem no longer theirs, and the ticket ended with its new unit at
    level 1 (later sweeps skipped it). The 签发's request had read the draft and its problems before the 改派
    committed: it now reads them again once it holds them, and is refused as when the 改派 came first."""
    letter = draft_from_proposals(city)
    moved = overdue[0].id
    letter = fresh(Letter, letter.id)
    assert [item.ticket.unit_id for item in letter.items][0] == city.street_a.id  # the leader's request read them
    other = in_another_request(app, _change(city, action, moved))
    assert not other.is_alive() and not other.failed, other.failed
    with pytest.raises(Conflict) as refused:
        signing.sign(city.leader, letter, at(FRIDAY))
    db.session.rollback()
    assert refused.value.status == 409 and said in refused.value.message and overdue[0].number in refused.value.message
    assert fresh(Letter, letter.id).status == "draft" and current_value("letter", 2026) == 0  # the number went back
    ticket = fresh(Ticket, moved)
    assert ticket.escalation_level == 0
    assert (ticket.unit_id, ticket.status) == ((city.police.id, "assigned") if action == "reassign"
                                               else (city.street_a.id, "cancelled"))


def test_a_reassignment_read_before_a_signing_starts_the_new_unit_at_level_0(app, city, overdue):
    """The other order: the office's 改派 read the ticket (level 0) before the 签发 committed and raised it to 1. The
    改派 still passes (签发 leaves the ticket's version alone), and the new unit starts at level 0: the ORM wrote no
    level when it "changed" 0 to 0, and the ticket stayed at the old unit's level 1."""
    letter = draft_from_proposals(city)
    ticket = fresh(Ticket, overdue[0].id)  # the office's request has read it
    assert ticket.escalation_level == 0
    letter_id, leader_id = letter.id, city.leader.id
    signer = in_another_request(app, lambda: signing.sign(db.session.get(User, leader_id),
                                                          db.session.get(Letter, letter_id), at(FRIDAY)))
    assert not signer.failed, signer.failed
    ticket_services.reassign(city.admin, ticket, at(FRIDAY), city.police.id, "改派交警")
    db.session.commit()
    ticket = fresh(Ticket, overdue[0].id)
    assert (ticket.unit_id, ticket.escalation_level, ticket.assignment) == (city.police.id, 0, 2)
    assert fresh(Letter, letter_id).status == "issued"  # signed while the problem was still street A's


def test_a_reassignment_during_a_signing_waits_for_it(app, city, overdue, monkeypatch):
    """The 改派 comes after the 签发 has checked its draft, before it raised the levels. It waits for the 签发 (the
    tickets are locked from before the check) and then starts the new unit at level 0; it used to commit in
    between, and the 签发's level UPDATE (WHERE level = 0) put the new unit at level 1."""
    letter = draft_from_proposals(city)
    moved = overdue[0].id
    real = signing.check_ready
    others = []

    def check_then_reassign(draft, now):
        real(draft, now)
        if not others:  # the office's 改派, as another request; held back by the 签发's locks, it goes on after
            others.append(in_another_request(app, _change(city, "reassign", moved), wait=2))

    monkeypatch.setattr(signing, "check_ready", check_then_reassign)
    signing.sign(city.leader, fresh(Letter, letter.id), at(FRIDAY))
    db.session.commit()
    others[0].join(60)
    assert not others[0].failed, others[0].failed
    ticket = fresh(Ticket, moved)
    assert (ticket.unit_id, ticket.escalation_level) == (city.police.id, 0)
    item = next(i for i in fresh(Letter, letter.id).items if i.ticket_id == moved)
    assert (item.unit_id, item.level) == (city.street_a.id, 1)  # the letter as signed: street A's, then


# ----------------------------------------------------------------------------- what 签发 fixes

def test_an_issued_letter_cannot_change(app, city, overdue):
    letter = signed(city)
    letter.title = "改过的标题"
    with pytest.raises(LetterImmutable):
        db.session.flush()
    db.session.rollback()
    letter = fresh(Letter, letter.id)
    letter.items[0].place = "别处"
    with pytest.raises(LetterImmutable):
        db.session.flush()
    db.session.rollback()
    letter = fresh(Letter, letter.id)
    db.session.delete(letter)
    with pytest.raises(LetterImmutable):
        db.session.flush()
    db.session.rollback()
    letter = fresh(Letter, letter.id)
    letter.recipients[0].acknowledged_at = at(MONDAY)  # what happens afterwards may be recorded
    letter.items[0].clear_note = "说明"
    db.session.commit()
    assert fresh(Letter, letter.id).title == "关于督促整改超期未办结问题的督办函"
    with pytest.raises(Exception):
        compose.update_draft(city.admin, fresh(Letter, letter.id), at(MONDAY), {"title": "x"})


# ----------------------------------------------------------------------------- who sees what

def test_units_see_only_issued_letters_addressed_to_them(app, city, overdue, api):
    draft = draft_from_proposals(city)
    for user in (city.unit_a, city.unit_b, city.inspector):
        assert api.get(f"/api/v1/letters/{draft.id}", user).status_code == 404
        assert api.get(f"/api/v1/letters/{draft.id}/pdf", user).status_code == 404
        assert api.get("/api/v1/letters", user).get_json() == []
    assert [x["id"] for x in api.get("/api/v1/letters?status=draft", city.leader).get_json()] == [draft.id]
    signing.sign(city.leader, draft, at(FRIDAY))
    db.session.commit()
    a = api.get(f"/api/v1/letters/{draft.id}", city.unit_a).get_json()
    assert a["ticket_ids"] == [overdue[0].id, overdue[1].id] and [u["name"] for u in a["units"]] == ["甲街道办事处"]
    b = api.get(f"/api/v1/letters/{draft.id}", city.unit_b).get_json()
    assert b["ticket_ids"] == [overdue[2].id] and len(b["items"]) == 1
    assert api.get(f"/api/v1/letters/{draft.id}", city.unit_police).status_code == 404
    assert api.get("/api/v1/letters?status=issued", city.inspector).get_json()[0]["id"] == draft.id
    refused = api.get("/api/v1/letters?status=nope", city.admin)
    assert refused.status_code == 400 and "状态（status）“nope”不正确" in refused.get_json()["error"]["message"]


def test_proposals_api(app, city, overdue, api):
    body = api.get("/api/v1/escalation/proposals", city.leader).get_json()
    assert len(body) == 3 and set(body[0]) >= {"id", "ticket_id", "unit_id", "level", "reason", "created_at"}
    assert api.get("/api/v1/escalation/proposals", city.inspector).status_code == 403
    assert api.get("/api/v1/escalation/proposals", city.unit_a).status_code == 403
    assert api.get(f"/api/v1/escalation/proposals?unit_id={city.street_b.id}", city.admin).get_json()[0]["unit_id"] \
        == city.street_b.id
    assert api.get("/api/v1/escalation/proposals?unit_id=x", city.admin).status_code == 400
    created = api.post("/api/v1/letters", city.admin, json={"unit_ids": [city.street_b.id]})
    assert created.status_code == 201 and created.get_json()["ticket_ids"] == [overdue[2].id]
    assert len(api.get("/api/v1/escalation/proposals", city.admin).get_json()) == 3  # drafted ones stay listed
    assert proposals.count_open(at(FRIDAY)) == 2  # ... but no longer wait for the office


def test_the_office_dismisses_a_proposal(app, city, overdue):
    first = proposals.open_proposals(at(FRIDAY))[0]
    with pytest.raises(Exception):
        proposals.dismiss(city.admin, [first.id], "", at(FRIDAY))
    proposals.dismiss(city.admin, [first.id], "已现场核实，属施工临时占用", at(FRIDAY))
    db.session.commit()
    assert first.id not in [p.id for p in proposals.open_proposals(at(FRIDAY))]
    run_sweep(at("2026-11-27T15:00:00+08:00"))
    assert first.ticket_id not in [p.ticket_id for p in proposals.open_proposals(at("2026-11-27T15:00:00+08:00"))]


# ----------------------------------------------------------------------------- 签收, written replies, 销号, 办结

def test_reply_with_photos_and_a_pdf(app, city, overdue, api, uploads):
    letter = signed(city)
    url = f"/api/v1/letters/{letter.id}/reply"
    form = {"text": "1. 两处小广告已于11月30日清除；\n2. 安排专人每日巡查。",
            "files": [file_tuple(), (io.BytesIO(minimal_pdf()), "整改报告（盖章）.pdf")]}
    response = api.post(url, city.unit_a, data=form, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [f["kind"] for f in body["files"]] == ["photo", "pdf"] and body["files"][1]["name"] == "整改报告（盖章）.pdf"
    row = fresh(Letter, letter.id).recipient(city.street_a.id)
    assert row.replied_at == row.acknowledged_at and row.replied_at is not None  # replying signs for it too
    pdf_row = db.session.scalar(select(EscalationFile).where(EscalationFile.kind == "pdf"))
    stored = uploads / pdf_row.path
    assert stored.read_bytes() == minimal_pdf() and "整改报告" not in pdf_row.path and stored.name != "整改报告（盖章）.pdf"
    # the files are served to the office and to street A, not to street B
    file_url = body["files"][1]["url"]
    got = api.get(file_url, city.admin)
    assert got.status_code == 200 and got.data == minimal_pdf() and "attachment" in got.headers["Content-Disposition"]
    assert api.get(file_url, city.unit_b).status_code == 404
    assert api.get(body["files"][0]["url"] + "?thumb=1", city.unit_a).mimetype == "image/jpeg"
    assert [r["id"] for r in api.get(f"/api/v1/letters/{letter.id}/replies", city.unit_b).get_json()] == []
    assert len(api.get(f"/api/v1/letters/{letter.id}/replies", city.leader).get_json()) == 1


def test_bad_replies_are_refused_and_leave_nothing(app, city, overdue, api, uploads):
    letter = signed(city)
    url = f"/api/v1/letters/{letter.id}/reply"

    def send(user, **form):
        return api.post(url, user, data=form, content_type="multipart/form-data")

    def files_on_disk():
        return sorted(p for p in uploads.rglob("*") if p.is_file() and "letters" not in p.parts)

    before = files_on_disk()
    cases = [
        ({"text": ""}, 400, "text_required"),
        ({"text": "x" * 5001}, 400, "text_too_long"),
        ({"text": "见附件", "files": [(io.BytesIO(b"GIF89a not really"), "a.jpg")]}, 415, None),
        ({"text": "见附件", "files": [file_tuple(), (io.BytesIO(b"%PDF-1.4 cut short"), "b.pdf")]}, 415,
         "unsupported_media_type"),
        ({"text": "见附件", "files": [file_tuple("not_an_image.jpg")]}, 415, None),
        ({"text": "见附件", "files": [(io.BytesIO(minimal_pdf()), f"{i}.pdf") for i in range(10)]}, 400,
         "too_many_files"),
    ]
    for form, status, code in cases:
        response = send(city.unit_a, **form)
        assert response.status_code == status, (form.get("text", "")[:5], response.get_json())
        if code:
            assert response.get_json()["error"]["code"] == code
    as_json = api.post(url, city.unit_a, json={"text": "已整改"})  # a reply takes a form (its files), not JSON
    assert as_json.status_code == 415 and as_json.get_json()["error"]["code"] == "unsupported_media_type"
    app.config["LETTER_PDF_MAX_MB"] = 0.001
    big = send(city.unit_a, text="见附件", files=[(io.BytesIO(minimal_pdf() + b" " * 2000 + b"%%EOF"), "big.pdf")])
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "file_too_large"
    assert send(city.unit_b, text="x").status_code == 201  # street B is a 主送 too
    assert send(city.unit_police, text="x").status_code == 404
    assert send(city.admin, text="x").status_code == 403
    assert db.session.scalar(select(func.count(LetterReply.id))) == 1
    assert files_on_disk() == before  # nothing was left behind by the refused ones
    assert fresh(Letter, letter.id).recipient(city.street_a.id).replied_at is None


def test_a_reply_sent_twice_is_kept_once(app, city, overdue, api, uploads):
    """QA: a double tap on 书面回复 (three identical submissions at once) filed three replies, the office reading
    书面回复 3 份 with the same text and three copies of the PDF. The same reply again from the same person is the
    same tap, as 红黑榜's publication tells one: answered with the first, no copy and no second set of files. A
    supplement (other words or files) is a reply of its own."""
    letter = signed(city)
    url = f"/api/v1/letters/{letter.id}/reply"
    text = "已按要求整改完毕，现将整改情况报告如下。"

    def stored() -> list[Path]:
        return sorted(p for p in uploads.rglob("*") if p.is_file() and "letters" not in p.parts)

    def send(words=text):
        return api.post(url, city.unit_a, content_type="multipart/form-data",
                        data={"text": words, "files": [file_tuple(), (io.BytesIO(minimal_pdf()), "整改报告.pdf")]})

    first, again = send(), send()
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    files = stored()
    assert db.session.scalar(select(func.count(LetterReply.id))) == 1 and len(files) >= 2

    # three at the same moment, each its own request: they queue, and two find the first's reply
    letter_id, user_id = letter.id, city.unit_a.id
    answers = []

    def reply():
        from werkzeug.datastructures import FileStorage

        answers.append(replies.reply(db.session.get(User, user_id), db.session.get(Letter, letter_id), at(MONDAY),
                                     "补充说明：已安排专人每日巡查。",
                                     [FileStorage(io.BytesIO(minimal_pdf() + b"%"), "巡查记录.pdf")]).id)
    threads = [in_another_request(app, reply, wait=0) for _ in range(3)]
    for thread in threads:
        thread.join(60)
        assert not thread.failed, thread.failed
    assert len(answers) == 3 and len(set(answers)) == 1
    assert db.session.scalar(select(func.count(LetterReply.id))) == 2  # the supplement, once
    assert len(stored()) == len(files) + 1  # its PDF, once
    assert send("已按要求整改完毕。").status_code == 201  # other words: a reply of its own
    assert db.session.scalar(select(func.count(LetterReply.id))) == 3


def test_a_failed_reply_removes_the_files_it_wrote(app, city, overdue, uploads, monkeypatch):
    letter = signed(city)
    from inspect_app.escalation import uploads as upload_module
    from werkzeug.datastructures import FileStorage

    real = upload_module.store

    def store_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(upload_module, "store", store_then_fail)
    files = [FileStorage(io.BytesIO(photo_bytes("Canon_40D.jpg")), "a.jpg"),
             FileStorage(io.BytesIO(minimal_pdf()), "b.pdf")]
    with pytest.raises(RuntimeError):
        replies.reply(city.unit_a, letter, at(MONDAY), "见附件", files)
    db.session.rollback()
    leftovers = [p for p in uploads.rglob("*") if p.is_file() and ("escalation" in p.parts or p.suffix == ".jpg")
                 and "letters" not in p.parts]
    ticket_photos = {str(p) for t in db.session.scalars(select(Ticket)) for ph in t.photos
                     for p in (Path(uploads) / ph.key[:2] / f"{ph.key}{suffix}.jpg" for suffix in ("", "_t", "_st"))}
    assert [str(p) for p in leftovers if str(p) not in ticket_photos] == []


def test_clearing_items_until_the_letter_is_done(app, city, overdue, api, photo):
    letter = signed(city)
    base = f"/api/v1/letters/{letter.id}/items"
    first, second, third = overdue
    response = api.post(f"{base}/{first.id}/clear", city.admin)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_rectified"
    assert api.post(f"{base}/{first.id}/clear", city.admin, json={"cleared": False}).status_code == 400
    not_text = api.post(f"{base}/{first.id}/clear", city.admin, json={"cleared": False, "note": ["仍未整改"]})
    assert not_text.status_code == 400 and not_text.get_json()["error"]["code"] == "invalid_text"
    body = api.post(f"{base}/{first.id}/clear", city.admin, json={"cleared": False, "note": "仍未整改"}).get_json()
    assert body["items"][0]["outcome"] == "not_cleared" and body["status"] == "issued"
    assert api.post(f"{base}/99999/clear", city.admin).status_code == 404
    assert api.post(f"{base}/{first.id}/clear", city.leader).status_code == 403
    assert api.post(f"{base}/{first.id}/clear", city.unit_a).status_code == 403
    for ticket, user in ((first, city.unit_a), (second, city.unit_a), (third, city.unit_b)):
        ticket_services.rectify(user, fresh(Ticket, ticket.id), at(MONDAY), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, first.id), at(MONDAY), "")
    db.session.commit()
    assert api.post(f"{base}/{first.id}/clear", city.admin).get_json()["status"] == "issued"
    again = api.post(f"{base}/{first.id}/clear", city.admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_cleared"
    api.post(f"{base}/{second.id}/clear", city.admin, json={"cleared": True, "note": "核实已清理"})
    done = api.post(f"{base}/{third.id}/clear", city.admin).get_json()
    assert done["status"] == "done" and done["done_at"] is not None
    assert all(item["outcome"] == "cleared" for item in done["items"])
    assert api.post(f"{base}/{third.id}/clear", city.admin).status_code == 409
    reply = api.post(f"/api/v1/letters/{letter.id}/reply", city.unit_a, data={"text": "x"},
                     content_type="multipart/form-data")
    assert reply.status_code == 409 and reply.get_json()["error"]["code"] == "letter_done"


def test_rework_after_clearing_opens_the_item_and_the_letter_again(app, city, overdue, api, photo):
    """The office may 销号 on the unit's report before the inspector's 核查; an inspector's 返工 then makes the item
    未销号 again, with why, and the letter 办结 on it open again (it read 已办结 beside a problem being reworked)."""
    letter = signed(city)
    base = f"/api/v1/letters/{letter.id}/items"
    first, second, third = overdue
    for ticket, user in ((first, city.unit_a), (second, city.unit_a), (third, city.unit_b)):
        ticket_services.rectify(user, fresh(Ticket, ticket.id), at(MONDAY), "已清理", [photo])
    db.session.commit()
    for ticket in overdue:
        api.post(f"{base}/{ticket.id}/clear", city.admin)
    assert fresh(Letter, letter.id).status == "done"
    sent_back = api.post(f"/api/v1/tickets/{second.id}/reject", city.inspector, json={"note": "背面仍有小广告"})
    assert sent_back.status_code == 200
    body = api.get(f"/api/v1/letters/{letter.id}", city.admin).get_json()
    assert body["status"] == "issued" and body["done_at"] is None
    outcome = {item["ticket_id"]: (item["outcome"], item.get("clear_note")) for item in body["items"]}
    assert outcome[second.id] == ("not_cleared", "核查未通过，已退回返工：背面仍有小广告")
    assert outcome[first.id][0] == outcome[third.id][0] == "cleared"
    # rectified again and cleared again, the letter is done again
    ticket_services.rectify(city.unit_a, fresh(Ticket, second.id), at(MONDAY), "背面也已清理", [photo])
    db.session.commit()
    assert api.post(f"{base}/{second.id}/clear", city.admin).get_json()["status"] == "done"


def test_a_unit_whose_own_items_are_cleared_is_settled_in_a_letter_to_several(app, city, overdue, api, browser,
                                                                                clock, photo):
    """One letter to 甲 (two problems) and 乙 (one): once 乙's own problem is 销号, the letter is 已办结 for 乙 — its
    督办记录 counts it no more as 待销号, its own list and the letter's page say 已办结, it is no longer 逾期未回复 —
    while the letter stays 已签发 for 甲 (乙 read 待销号 until 甲's problems were cleared too)."""
    letter = signed(city)
    third = overdue[2]
    ticket_services.rectify(city.unit_b, fresh(Ticket, third.id), at(MONDAY), "已清理", [photo])
    db.session.commit()
    assert api.post(f"/api/v1/letters/{letter.id}/items/{third.id}/clear", city.admin).get_json()["status"] == "issued"
    clock.stop(AFTER_REPLY_BY)  # nobody replied in writing
    units = {u["code"]: u["settled"] for u in api.get(f"/api/v1/letters/{letter.id}", city.admin).get_json()["units"]}
    assert units == {"JDA": False, "JDB": True}
    history = browser(city.admin).get(f"/letters/units/{city.street_b.id}").get_data(as_text=True)
    assert '<span>待销号</span><b>0</b>' in history and "已办结" in history and "逾期未回复" not in history
    history_a = browser(city.admin).get(f"/letters/units/{city.street_a.id}").get_data(as_text=True)
    assert '<span>待销号</span><b>1</b>' in history_a and "已办结" not in history_a and "逾期未回复" in history_a
    unit_b = browser(city.unit_b)
    assert "已办结" in unit_b.get("/letters").get_data(as_text=True)
    page = unit_b.get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "已办结" in page and "逾期未回复" not in page
    assert "已办结" not in browser(city.unit_a).get("/letters").get_data(as_text=True)
    from inspect_app.escalation import stats
    from inspect_app.escalation.services import LetterFilter, list_letters
    assert (stats.overdue_replies_now(at(AFTER_REPLY_BY)), stats.overdue_reply_units_now(at(AFTER_REPLY_BY))) == (1, 1)
    assert list_letters(city.unit_b, LetterFilter(overdue=True), at(AFTER_REPLY_BY))[1] == 0
    assert list_letters(city.unit_a, LetterFilter(overdue=True), at(AFTER_REPLY_BY))[1] == 1
    assert fresh(Letter, letter.id).status == "issued"


def test_clearing_a_problem_clears_it_in_the_units_other_open_letters(app, city, overdue, api, photo):
    """A problem moved on from a 督办函 to a 挂牌督办函, and named in a 督查通报: 销号 in the 挂牌 letter clears it in
    the other two (they stayed 待销号, the 督办函 逾期未回复, until cleared again letter by letter); each is 办结 when
    all its items are. A 未销号 stays in its letter; another unit's items are not touched."""
    first, second, third = overdue
    supervision = signed(city)
    issued = []
    for fields in ({"level": 2}, {"kind": "bulletin"}):  # a problem is in one draft at a time
        draft = compose.create_draft(city.admin, at(AFTER_REPLY_BY), {"ticket_ids": [first.id], **fields})
        issued.append(signing.sign(city.leader, draft, at(AFTER_REPLY_BY)))
        db.session.commit()
    listed, bulletin = issued
    not_yet = api.post(f"/api/v1/letters/{listed.id}/items/{first.id}/clear", city.admin,
                       json={"cleared": False, "note": "仍未整改"})
    assert not_yet.status_code == 200
    outcomes = {i["ticket_id"]: i["outcome"] for i in api.get(f"/api/v1/letters/{supervision.id}",
                                                               city.admin).get_json()["items"]}
    assert outcomes[first.id] is None  # 未销号 is said of one letter
    ticket_services.rectify(city.unit_a, fresh(Ticket, first.id), at(AFTER_REPLY_BY), "已清理", [photo])
    db.session.commit()
    body = api.post(f"/api/v1/letters/{listed.id}/items/{first.id}/clear", city.admin,
                    json={"note": "核实已清理"}).get_json()
    assert body["status"] == "done"
    earlier = api.get(f"/api/v1/letters/{supervision.id}", city.admin).get_json()
    items = {i["ticket_id"]: (i["outcome"], i["clear_note"]) for i in earlier["items"]}
    assert items[first.id] == ("cleared", f"随{listed.number}一并销号（核实已清理）")
    assert items[second.id][0] is None and items[third.id][0] is None and earlier["status"] == "issued"
    assert api.get(f"/api/v1/letters/{bulletin.id}", city.admin).get_json()["status"] == "done"
    for ticket, user in ((second, city.unit_a), (third, city.unit_b)):
        ticket_services.rectify(user, fresh(Ticket, ticket.id), at(AFTER_REPLY_BY), "已清理", [photo])
        db.session.commit()
        last = api.post(f"/api/v1/letters/{supervision.id}/items/{ticket.id}/clear", city.admin).get_json()
    assert last["status"] == "done"


def test_overdue_replies_show_up(app, city, overdue, api):
    letter = signed(city)
    api.post(f"/api/v1/letters/{letter.id}/reply", city.unit_b, data={"text": "已整改"},
             content_type="multipart/form-data")
    from inspect_app.escalation import stats
    assert stats.overdue_replies_now(at(MONDAY)) == 0
    assert stats.overdue_replies_now(at(AFTER_REPLY_BY)) == 1  # street A never replied
    from inspect_app.escalation.services import LetterFilter, list_letters
    late, total = list_letters(city.admin, LetterFilter(overdue=True), at(AFTER_REPLY_BY))
    assert [x.id for x in late] == [letter.id]
    assert list_letters(city.unit_b, LetterFilter(overdue=True), at(AFTER_REPLY_BY))[1] == 0
    assert list_letters(city.unit_a, LetterFilter(overdue=True), at(AFTER_REPLY_BY))[1] == 1
    counts = stats.unit_counts(at("2026-11-01"), at("2026-12-31"), at(AFTER_REPLY_BY))
    assert counts[city.street_a.id].overdue_replies == 1 and counts[city.street_b.id].overdue_replies == 0
    assert counts[city.street_a.id].letters == 1 and counts[city.street_a.id].items == 2
    # street A's items 销号 after the reply-by date: its reply was still late when it was owed
    own = [item for item in fresh(Letter, letter.id).items if item.unit_id == city.street_a.id]
    for item in own:
        item.outcome, item.cleared_at = "cleared", at(AFTER_REPLY_BY)
    db.session.commit()
    assert stats.unit_counts(at("2026-11-01"), at("2026-12-31"), at(AFTER_REPLY_BY))[
        city.street_a.id].overdue_replies == 1
    # settled before it: no reply was owed when the date came (the 红黑榜 read it as late)
    for item in own:
        fresh(LetterItem, item.id).cleared_at = fresh(Letter, letter.id).reply_by - timedelta(hours=1)
    db.session.commit()
    assert stats.unit_counts(at("2026-11-01"), at("2026-12-31"), at(AFTER_REPLY_BY))[
        city.street_a.id].overdue_replies == 0


def test_a_units_history_counts_a_bulletin_apart_from_its_letters(app, city, overdue, browser):
    """A 督查通报 names problems without 督办: the unit's page counts it as a 通报, not as a 督办函."""
    signed(city)
    bulletin = compose.create_draft(city.admin, at(MONDAY), {"ticket_ids": [overdue[0].id], "kind": "bulletin"})
    signing.sign(city.leader, bulletin, at(MONDAY))
    db.session.commit()
    page = browser(city.admin).get(f"/letters/units/{city.street_a.id}").get_data(as_text=True)
    assert '<span>督办函</span><b>1</b>' in page and '<span>督查通报</span><b>1</b>' in page


# ----------------------------------------------------------------------------- every kind in its 公文 form

@pytest.mark.parametrize("kind,name,asks,batch", [
    ("supervision", "督办函", "整改反馈", "督办函1件"),
    ("summons", "约谈通知", "书面报送整改情况", "督办函2件、约谈通知1件"),
    ("bulletin", "督查通报", "书面报送整改情况", "督办函1件、督查通报1件")])
def test_the_robots_name_each_document_by_its_kind(app, city, file_ticket, kind, name, asks, batch):
    """(QA) A 督查通报 was announced by the office's robot as 签发督办函1件 …前整改并书面回复 and by the unit's as
    【督办函】…请于…前签收、整改并书面回复, a 约谈通知 likewise, while the unit's 消息 named each by its kind: each
    is named by its kind, with what it asks by its date (Letter.asks), a batch counting each kind; and each names
    its 问题, a keyword a DingTalk robot accepts."""
    from inspect_app.escalation import notify
    from inspect_app.outbox.models import UnitRobot

    app.config.update(WEBHOOK_URL="http://127.0.0.1:9/city")
    db.session.add(UnitRobot(unit_id=city.street_a.id, url="https://oapi.dingtalk.com/robot/send?access_token=a",
                             enabled=True, updated_at=at(FRIDAY)))
    ids = [file_ticket().id]
    moment, earlier = at(MONDAY), []
    for lower in range(1, KIND_LEVELS[kind] if kind != "bulletin" else 2):  # 督办 goes a step at a time
        below = compose.create_draft(city.admin, moment, {"ticket_ids": ids, "level": lower})
        signing.sign(city.leader, below, moment)
        db.session.commit()
        earlier.append(below)
        moment = below.reply_by + timedelta(minutes=1)
    letter = compose.create_draft(city.admin, moment, {"ticket_ids": ids, "kind": kind})
    signing.sign(city.leader, letter, moment)
    db.session.commit()
    office, unit = [row.payload["text"]["content"] for row in db.session.scalars(
        select(Notification).where(Notification.kind == "letters").order_by(Notification.id.desc()).limit(2))][::-1]
    assert office.startswith(f"【{name}】临江市文明办于") and f"签发{name}1件：" in office
    assert f"{letter.number}（" in office and f"问题1件，{letter.asks}" in office and asks in letter.asks
    assert unit == (f"【{name}】临江市文明办向甲街道办事处发出{letter.number}（{letter.kind_label}），问题1件，"
                    f"请于{local(letter.reply_by).month}月{local(letter.reply_by).day}日前签收并{asks}。")  # 12月2日
    if kind != "supervision":
        assert "督办函" not in office + unit and "整改并书面回复" not in office + unit
    mixed = notify.message_text(earlier + [letter], moment)
    assert f"签发{batch}：" in mixed and mixed.count("问题") == len(earlier) + 1


@pytest.mark.parametrize("kind,form", [("supervision", "letter"), ("listed", "letter"), ("summons", "file"),
                                        ("bulletin", "file")])
def test_each_kind_prints_in_its_form(app, city, file_ticket, kind, form):
    """函 (督办函, 挂牌督办函) in 信函格式: no page number on page 1, no 印发; 约谈通知 and 督查通报 in 文件格式: the
    "…文件" mark, numbered pages, 版记 with 印发. The draft says 草稿 and has no number; the issued one its number."""
    from inspect_app.escalation.letters_pdf import build_letter_pdf

    ids = [file_ticket().id, file_ticket(City.ON_B).id]
    moment = at(MONDAY)
    for lower in range(1, KIND_LEVELS[kind] if kind != "bulletin" else 1):  # 督办 goes a step at a time
        below = compose.create_draft(city.admin, moment, {"ticket_ids": ids, "level": lower})
        signing.sign(city.leader, below, moment)
        db.session.commit()
        moment = below.reply_by + timedelta(minutes=1)
    draft = compose.create_draft(city.admin, moment, {"ticket_ids": ids, "kind": kind})
    db.session.commit()
    out = io.BytesIO()
    build_letter_pdf(draft, out, moment)
    pages = [("".join((p.extract_text() or "").split())) for p in PdfReader(io.BytesIO(out.getvalue())).pages]
    assert "草稿" in pages[0] and "〔2026〕" not in "".join(pages)
    signing.sign(city.leader, draft, moment)
    db.session.commit()
    out = io.BytesIO()
    build_letter_pdf(draft, out)
    pages = [("".join((p.extract_text() or "").split())) for p in PdfReader(io.BytesIO(out.getvalue())).pages]
    text = "".join(pages)
    prefix = "临江文明通" if kind == "bulletin" else "临江文明督"
    assert f"{prefix}〔2026〕{draft.seq}号" in pages[0] and "草稿" not in text
    assert "甲街道办事处、乙街道办事处：" in pages[0]
    assert "甲街道办事处（1件）" in text and "乙街道办事处（1件）" in text  # the 问题清单 grouped by unit
    assert "经系统核查" not in text and "系统核查" not in text
    if form == "letter":
        assert "文件" not in pages[0][:40] and "—1—" not in pages[0] and "印发" not in text
    else:
        assert "办公室文件" in pages[0] and "—1—" in pages[0] and "印发" in pages[-1]
    assert ("抄送：" in text) == (kind != "supervision")  # 挂牌督办, 约谈, 通报 copy organs; a 督办函 does not


def test_a_proposal_after_an_extension_names_the_extended_deadline(app, city, file_ticket):
    """Under a 督办函 whose reply-by passed, a granted 延期 holds the next level back until the new deadline; the
    proposal then read "经…督办，<the letter's reply-by>前仍未整改到位", as if the unit had missed that date."""
    ticket = file_ticket()
    run_sweep(at(FRIDAY))
    letter = signed(city)
    extended = letter.reply_by + timedelta(days=7)
    fresh(Ticket, ticket.id).deadline = extended  # as an approved extension would
    db.session.commit()
    run_sweep(letter.reply_by + timedelta(days=3))
    assert not proposals.open_proposals(letter.reply_by + timedelta(days=3))
    later = extended + timedelta(days=3)
    run_sweep(later)
    (proposal,) = proposals.open_proposals(later)
    assert proposal.level == 2 and proposal.reason == (
        f"经{letter.number}督办，延期至{local(extended).year}年{local(extended).month}月{local(extended).day}日仍未整改到位")


def test_proposal_reasons_write_dates_as_the_letters_do(app, city, file_ticket):
    """「经临江文明督〔2026〕1号督办，2026年12月2日前仍未整改到位」 as the letter said 请于2026年12月2日前, not
    2026年12月02日 (nor 整改时限2026年12月02日10:00 in a first level's reason)."""
    file_ticket()
    run_sweep(at(FRIDAY))
    letter = signed(city)
    late = file_ticket(City.ON_B, at_time=at("2026-12-01T10:00:00+08:00"))  # due 12-02 10:00
    run_sweep(at(AFTER_REPLY_BY))
    reasons = {p.ticket_id: p.reason for p in proposals.open_proposals(at(AFTER_REPLY_BY))}
    assert reasons[letter.items[0].ticket_id] == f"经{letter.number}督办，2026年12月2日前仍未整改到位"
    assert reasons[late.id] == "超过整改时限1天仍未整改（整改时限2026年12月2日10:00）"


def test_robot_messages_and_the_recheck_page_write_days_without_a_leading_zero(app):
    """12月2日, as the letters and the 消息 write it: the units' robots said 12月02日, a 回头看 2026年12月02日."""
    from datetime import datetime, timezone

    from flask import render_template_string

    from inspect_app.escalation import notify
    moment = datetime(2026, 12, 1, 16, 30, tzinfo=timezone.utc)  # 2 December, 00:30 in Shanghai
    assert notify._month_day(moment) == "12月2日"
    with app.test_request_context():
        assert render_template_string("{{ moment|cn_day }}", moment=moment) == "2026年12月2日"
