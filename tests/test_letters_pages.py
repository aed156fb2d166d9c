"""The letter pages as each role uses them (forms with CSRF tokens, redirects, messages), and 签发 from three
processes at once."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import City, at, file_tuple
from sqlalchemy import func, select

from inspect_app.auth.models import User
from inspect_app.common.models import current_value
from inspect_app.common.timeutil import local
from inspect_app.common.errors import Conflict
from inspect_app.escalation import compose, proposals, signing
from inspect_app.escalation.jobs import run_sweep
from inspect_app.escalation.models import Letter, Proposal
from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket

from test_letters import FRIDAY, in_another_request, minimal_pdf  # noqa: F401  (fixtures below use them)

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clock(clock):
    """The suite's clock (conftest.clock), stopped at Friday 27 November 2026, 10:00."""
    clock.stop("2026-11-27T10:00:00+08:00")
    return clock


@pytest.fixture
def overdue(city, make_ticket):
    tickets = [make_ticket(), make_ticket(point=City.ON_A), make_ticket(point=City.ON_B)]
    run_sweep(at(FRIDAY))
    return tickets


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def test_proposal_to_done_through_the_pages(app, city, overdue, browser):
    office = browser(city.admin)
    overdue[0].source = "superior"  # found by the assessors: the office sees it among the proposals
    db.session.commit()
    page = office.get("/letters/proposals").get_data(as_text=True)
    assert "督办建议 <small>3 条，2 个单位</small>" in page
    assert page.count('<span class="badge src-superior">上级测评反馈</span>') == 1
    assert page.index("甲街道办事处") < page.index("乙街道办事处")  # grouped, the larger group first
    assert '<b class="nav-count"' in office.get("/letters").get_data(as_text=True)  # the menu's count
    ids = [str(p.id) for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
    # refused (a date gone by): the proposals again as ticked, with the date and why; nothing drafted
    refused = office.submit("/letters/proposals", "/letters/new", {"from": "proposals", "proposal_ids": ids[:1],
                                                                   "reply_by": "2026-11-01"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'role="alert">整改时限不能早于今天' in page
    assert f'name="proposal_ids" value="{ids[0]}" checked>' in page
    assert f'name="proposal_ids" value="{ids[1]}">' in page and 'name="reply_by" value="2026-11-01"' in page
    assert db.session.scalar(select(Letter)) is None
    response = office.submit("/letters/proposals", "/letters/new", {"from": "proposals", "proposal_ids": ids})
    assert response.status_code == 303 and "/edit" in response.location
    letter = db.session.scalar(select(Letter))
    edit = f"/letters/{letter.id}/edit"
    form = office.get(edit).get_data(as_text=True)
    assert "预览草稿（PDF）" in form and 'name="revision"' in form and "{count}" in form
    # a refused save: the form again as typed (the text, the 抄送, the date), the reason on top; nothing saved
    refused = office.submit(edit, edit, {"revision": str(letter.revision), "kind": "listed", "level": "2",
                                         "reply_by": "2026-11-01", "title": "改过的标题", "body": "改过的正文",
                                         "report_to": "", "cc": "市委办公室"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'role="alert">整改时限不能早于今天' in page
    for kept in ('value="2026-11-01"', 'value="改过的标题"', ">改过的正文</textarea>", 'value="市委办公室"',
                 '<option value="listed" selected>', '<option value="2" selected>'):
        assert kept in page, kept
    assert fresh(Letter, letter.id).cc != "市委办公室"
    saved = office.submit(edit, edit, {"revision": str(letter.revision), "kind": "supervision", "level": "1",
                                       "reply_by": "2026-12-03", "title": "关于督促整改人民路、建设路沿线问题的督办函",
                                       "body": "截至{as_of}，{you}有{count}个问题未整改。\n一、整改要求\n请于{reply_by}前整改。\n特此函告。",
                                       "report_to": "", "cc": "市城市管理局"})
    assert saved.status_code == 303
    letter = fresh(Letter, letter.id)
    assert letter.title == "关于督促整改人民路、建设路沿线问题的督办函" and letter.cc == "市城市管理局"
    assert letter.reply_by == at("2026-12-03T23:59:59+08:00")
    preview = office.get(f"/letters/{letter.id}/pdf")
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")

    leader = browser(city.leader)
    queue = leader.get("/letters/to-sign").get_data(as_text=True)
    assert "关于督促整改人民路、建设路沿线问题的督办函" in queue and "甲街道办事处、乙街道办事处" in queue
    detail = f"/letters/{letter.id}"
    view = leader.get(detail).get_data(as_text=True)
    assert "签发</button>" in view and "各有关单位有3个问题未整改" in view
    assert "签发</button>" not in office.get(detail).get_data(as_text=True)  # the office compiles, does not sign
    signed = leader.submit(detail, f"{detail}/sign", {"revision": str(letter.revision)})
    assert signed.status_code == 303
    assert "已签发 临江文明督〔2026〕1号" in leader.get(signed.location).get_data(as_text=True)
    again = leader.submit(detail, f"{detail}/sign", {"revision": str(letter.revision)})
    assert again.status_code == 409 and "不能重复签发" in again.get_data(as_text=True)  # the letter, the reason on top
    assert "临江文明督〔2026〕1号" in again.get_data(as_text=True)

    unit = browser(city.unit_a)
    listing = unit.get("/letters").get_data(as_text=True)
    assert "临江文明督〔2026〕1号" in listing and "未签收" in listing
    mine = unit.get(detail).get_data(as_text=True)
    assert "签收</button>" in mine and overdue[2].number not in mine  # street B's item is not listed to street A
    acknowledged = unit.submit(detail, f"{detail}/acknowledge")
    assert acknowledged.status_code == 303
    shown = unit.get(acknowledged.location).get_data(as_text=True)  # what it asks by when, as the letter says
    assert f"已签收 临江文明督〔2026〕1号，请于{letter.asks}。" in shown and "前整改反馈。" in shown
    reply = unit.submit(detail, f"{detail}/reply", {"text": "两处小广告已清除。",
                                                    "files": [file_tuple(), (__import__("io").BytesIO(minimal_pdf()),
                                                                             "整改报告.pdf")]}, multipart=True)
    assert reply.status_code == 303
    mine = unit.get(detail).get_data(as_text=True)
    assert "两处小广告已清除" in mine and "整改报告.pdf" in mine and "书面回复已提交，等待" in mine
    assert "两处小广告已清除" not in browser(city.unit_b).get(detail).get_data(as_text=True)
    # a reply from a unit that had not signed for the letter signs for it too, and says so
    other = browser(city.unit_b)
    replied = other.submit(detail, f"{detail}/reply", {"text": "已安排清理。"}, multipart=True)
    assert "书面回复已提交，本函同时已签收" in other.get(replied.location).get_data(as_text=True)
    # a written reply does not rectify the problems: both sides are told what 销号 waits for
    assert mine.count("尚未整改反馈：请在") == 2 and "书面回复不代替整改反馈" in mine
    assert office.get(detail).get_data(as_text=True).count("单位尚未在问题页提交整改反馈，暂不能销号") == 3

    for ticket in overdue:  # the units rectify, the inspector closes
        ticket = fresh(Ticket, ticket.id)
        who = city.unit_b if ticket.unit_id == city.street_b.id else city.unit_a
        from conftest import processed
        from inspect_app.tickets import services
        services.rectify(who, ticket, at("2026-11-28T10:00"), "已清理", [processed()])
    db.session.commit()
    assert "尚未整改反馈" not in unit.get(detail).get_data(as_text=True)
    assert "暂不能销号" not in office.get(detail).get_data(as_text=True)
    for ticket in overdue:
        response = office.submit(detail, f"{detail}/items/{ticket.id}/clear", {"cleared": "1"})
        assert response.status_code == 303
    page = office.get(detail).get_data(as_text=True)
    assert "已办结" in page and fresh(Letter, letter.id).status == "done"
    assert "已办结" in office.get("/letters?status=done").get_data(as_text=True)


def test_a_leader_returns_a_draft_with_comments_and_signs_it_once_revised(app, city, overdue, browser, api):
    """退回修改: the draft goes back to the office with what to change, leaves the signers' queue and count, and
    comes back once the office has saved it; nothing is numbered meanwhile."""
    office, leader = browser(city.admin), browser(city.leader)
    ids = [str(p.id) for p in db.session.scalars(select(Proposal).order_by(Proposal.id))]
    office.submit("/letters/proposals", "/letters/new", {"from": "proposals", "proposal_ids": ids})
    letter = db.session.scalar(select(Letter))
    detail = f"/letters/{letter.id}"
    assert "退回修改</button>" in leader.get(detail).get_data(as_text=True)
    assert "退回修改</button>" not in office.get(detail).get_data(as_text=True)  # the office does not return

    empty = leader.submit(detail, f"{detail}/return", {"revision": str(letter.revision), "note": "  "})
    assert empty.status_code == 400 and "请填写修改意见" in empty.get_data(as_text=True)
    # said at the top of the page too, linking to the form's own message
    assert re.search(r'id="form-error-summary"[^>]*>未能提交：请填写修改意见.*?<a href="#return-error">',
                     empty.get_data(as_text=True)) and 'id="return-error"' in empty.get_data(as_text=True)
    note = "第二段措辞再斟酌；整改时限放宽到12月5日。"
    returned = leader.submit(detail, f"{detail}/return", {"revision": str(letter.revision), "note": note})
    assert returned.status_code == 303 and returned.location.endswith("/letters/to-sign")
    letter = fresh(Letter, letter.id)
    assert letter.status == "draft" and letter.number is None and letter.return_note == note
    assert letter.returned_by_id == city.leader.id and letter.returned_at is not None
    queue = leader.get("/letters/to-sign").get_data(as_text=True)
    assert "待签发 <small>0 份</small>" in queue and "已退回文明办修改" in queue and note in queue
    from inspect_app.escalation.services import count_drafts
    from inspect_app.escalation.stats import dashboard_figures
    assert count_drafts() == 0  # the signers' menu count
    moment = at("2026-11-27T10:00:00+08:00")
    assert dashboard_figures(moment, moment, moment)["drafts"] == 0  # the dashboard's 待签发
    page = office.get(detail).get_data(as_text=True)
    assert "领导退回修改" in page and note in page and "草稿 · 已退回修改" in page
    assert note in office.get("/letters/proposals").get_data(as_text=True)
    listed = office.get("/letters?status=draft").get_data(as_text=True)  # the office's list says it is back with it
    assert '<span class="badge overdue">已退回修改</span>' in listed and f"领导意见：{note}" in listed
    assert api.get(f"/api/v1/letters/{letter.id}", city.admin).get_json()["returned"]["pending"] is True
    # while it is with the office, the leader who read it (or another) cannot sign it: no button, and refused
    shown = leader.get(detail).get_data(as_text=True)
    assert "签发</button>" not in shown and "待文明办修改保存后再签发" in shown
    held = api.post(f"/api/v1/letters/{letter.id}/sign", city.leader, json={"revision": letter.revision})
    assert held.status_code == 409 and held.get_json()["error"]["code"] == "draft_returned"
    for bad in ("x", [1], -1):  # not a revision at all: a 400, not "changed"
        wrong = api.post(f"/api/v1/letters/{letter.id}/sign", city.leader, json={"revision": bad})
        assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == "invalid_revision"
    # a unit, an inspector and the office may not return a draft
    for user in (city.unit_a, city.inspector, city.admin):
        assert api.post(f"/api/v1/letters/{letter.id}/return", user, json={"note": "x"}).status_code == 403

    edit = f"{detail}/edit"
    saved = office.submit(edit, edit, {"revision": str(letter.revision), "reply_by": "2026-12-05"})
    assert saved.status_code == 303
    letter = fresh(Letter, letter.id)
    assert letter.returned_at is None and letter.return_note == note  # back in the queue, the comment kept
    queue = leader.get("/letters/to-sign").get_data(as_text=True)
    assert "待签发 <small>1 份</small>" in queue and "已按退回意见修改" in queue and "已退回文明办修改" not in queue
    assert "已按领导退回意见修改" in leader.get(detail).get_data(as_text=True)
    signed = api.post(f"/api/v1/letters/{letter.id}/sign", city.leader, json={"revision": letter.revision})
    assert signed.status_code == 200 and signed.get_json()["number"] == "临江文明督〔2026〕1号"
    again = api.post(f"/api/v1/letters/{letter.id}/return", city.leader, json={"note": "再改"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_signed"
    assert again.get_json()["error"]["message"] == "该督办函已签发（临江文明督〔2026〕1号），不能再退回修改。"


def test_page_forms_refuse_bad_input_with_a_message(app, city, overdue, browser):
    office = browser(city.admin)
    response = office.submit("/letters/new", "/letters/new", {"ticket_ids": "abc"})
    assert response.status_code == 400 and 'role="alert">问题编号应为整数' in response.get_data(as_text=True)
    assert office.post("/letters/new", data={"ticket_ids": str(overdue[0].id)}).status_code == 400  # no CSRF token
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
    db.session.commit()
    edit = f"/letters/{draft.id}/edit"
    # a colleague saved the draft since this form was drawn: the save is refused (409), the clerk's text kept, and
    # what of it now differs from the saved draft named (the title here; the body typed is the saved one)
    seen = draft.revision
    compose.update_draft(city.admin, draft, at(FRIDAY), {"title": "同事改过的标题"})
    db.session.commit()
    stale = office.submit(edit, edit, {"revision": str(seen), "title": "我改的标题", "body": draft.body})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and 'value="我改的标题"' in page
    assert "草稿已被他人修改并保存" in page and "与现存草稿不同的有：标题；" in page
    assert f'name="revision" value="{draft.revision}"' in page  # saving the kept form again is taken
    assert db.session.get(Letter, draft.id).title == "同事改过的标题"
    compose.discard_draft(city.admin, fresh(Letter, draft.id), at(FRIDAY))  # (a problem a draft holds: not ticked)
    db.session.commit()
    page = office.get("/letters/new?unit_id=" + str(city.street_a.id)).get_data(as_text=True)
    assert overdue[0].number in page and 'name="ticket_ids"' in page
    # overdue and not yet under 督办: ticked; once under 督办, not (a letter of its level again is refused)
    ticked = f'name="ticket_ids" value="{overdue[0].id}" checked>'
    assert ticked in page
    supervised = db.session.get(Ticket, overdue[0].id)
    supervised.escalation_level = 1
    db.session.commit()
    assert ticked not in office.get("/letters/new?unit_id=" + str(city.street_a.id)).get_data(as_text=True)
    supervised.escalation_level = 0
    db.session.commit()
    refused = office.submit("/letters/new?unit_id=" + str(city.street_a.id), "/letters/new", {
        "unit_ids": str(city.street_a.id), "ticket_ids": str(overdue[0].id), "kind": "listed",
        "reply_by": "2026-11-01"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'role="alert">整改时限不能早于今天' in page
    assert f'name="ticket_ids" value="{overdue[0].id}" checked>' in page and '<option value="listed" selected>' in page
    assert office.get("/letters/new?unit_id=x").status_code == 400
    templates = office.get("/letters/templates").get_data(as_text=True)
    assert "挂牌督办函" in templates and "督查通报" in templates
    saved = office.submit("/letters/templates", "/letters/templates/listed",
                          {"title": "关于实行挂牌督办的函", "body": "{you}的问题实行挂牌督办。", "report_to": "", "cc": ""})
    assert saved.status_code == 303
    assert compose.template_for("listed")["title"] == "关于实行挂牌督办的函"
    office.submit("/letters/templates", "/letters/templates/listed", {"reset": "1", "title": "x", "body": "y"})
    assert compose.template_for("listed")["title"] == "关于对超期未整改问题实行挂牌督办的函"
    assert office.submit("/letters/templates", "/letters/templates/poem", {"title": "x", "body": "y"}).status_code == 303


def test_pages_are_phone_sized_and_script_free(app, city, overdue, browser):
    office = browser(city.admin)
    for url in ("/letters", "/letters/proposals", "/letters/to-sign", f"/letters/units/{city.street_a.id}",
                "/letters/templates", "/letters/new"):
        page = office.get(url).get_data(as_text=True)
        assert 'name="viewport"' in page and "<script>" not in page.split("<main", 1)[1], url


# ----------------------------------------------------------------------------- three processes sign at once

WORKER = r"""
import json, sys, time
from inspect_app import create_app
app = create_app()
client = app.test_client()
letter_id, token, start = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
response = client.post(f"/api/v1/letters/{letter_id}/sign", headers={"Authorization": f"Bearer {token}"})
body = response.get_json()
print(json.dumps({"letter": letter_id, "status": response.status_code,
                  "number": body.get("number") if response.status_code == 200 else None,
                  "code": (body.get("error") or {}).get("code") if response.status_code != 200 else None}))
"""


def test_three_processes_sign_at_once(app, city, make_ticket, api, tmp_path, clock):
    """Two drafts; three processes sign at the same moment, two of them the same draft. Every process is a whole
    app (own connections, own request commit): the two drafts get numbers 1 and 2 — distinct, no gap — and the
    double sign gets exactly one 409."""
    from datetime import datetime, timedelta, timezone

    from inspect_app.common.timeutil import local

    real = datetime.now(timezone.utc)  # the worker processes run on the real clock: so does this test (its token)
    clock.set(real)
    reply_by = (local(real) + timedelta(days=30)).date().isoformat()
    drafts = [compose.create_draft(city.admin, real, {"ticket_ids": [make_ticket(point=point).id],
                                                      "reply_by": reply_by})
              for point in (City.ON_A, City.ON_B)]
    year = local(real).year
    db.session.commit()
    token = api.token(city.leader.username)
    script = tmp_path / "sign_worker.py"
    script.write_text(WORKER)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "SECRET_KEY": "x", "SCHEDULER_ENABLED": "0",
           "WEBHOOK_URL": "", "PYTHONPATH": str(PROJECT)}
    start = time.time() + 4  # every process has its app ready by then
    targets = [drafts[0].id, drafts[1].id, drafts[0].id]
    processes = [subprocess.Popen([sys.executable, str(script), str(letter_id), token, str(start)], cwd=PROJECT,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for letter_id in targets]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    statuses = sorted(r["status"] for r in results)
    assert statuses == [200, 200, 409], results
    [conflict] = [r for r in results if r["status"] == 409]
    assert conflict["letter"] == drafts[0].id and conflict["code"] in ("already_signed", "draft_changed")
    numbers = sorted(r["number"] for r in results if r["number"])
    assert numbers == [f"临江文明督〔{year}〕1号", f"临江文明督〔{year}〕2号"], results
    db.session.expire_all()
    assert current_value("letter", year) == 2
    assert sorted(l.number for l in db.session.scalars(select(Letter))) == numbers
    assert all(l.status == "issued" for l in db.session.scalars(select(Letter)))


def test_the_office_dismisses_proposals_on_the_page(app, city, overdue, browser):
    office = browser(city.admin)
    first = db.session.scalars(select(Proposal).order_by(Proposal.id)).first()
    refused = office.submit("/letters/proposals", "/letters/proposals/dismiss", {"proposal_ids": str(first.id)})
    assert refused.status_code == 303
    assert "请填写不予督办的理由" in office.get("/letters/proposals").get_data(as_text=True)
    done = office.submit("/letters/proposals", "/letters/proposals/dismiss",
                         {"proposal_ids": str(first.id), "note": "施工围挡临时占用，已协调"})
    assert done.status_code == 303
    page = office.get("/letters/proposals").get_data(as_text=True)
    assert "已处理 1 条督办建议" in page and "2 条，2 个单位" in page
    assert fresh(Proposal, first.id).outcome == "dismissed"
    assert browser(city.leader).submit("/letters/proposals", "/letters/proposals/dismiss",
                                       {"proposal_ids": str(first.id), "note": "x"}).status_code == 403



def test_compiling_lists_the_problems_due_first_says_how_many_and_pages_on(app, city, overdue, make_ticket, browser,
                                                                           monkeypatch):
    """编制督办函 cut a unit's 3,011 problems at 500 by deadline without a word ("500 个在办问题"): after a letter
    took 300 the page still showed 500 with 198 ticked, 2,500 overdue ones out of reach. Those overdue and not
    yet under 督办 come first, the page says how many there are and which it shows, and pages on (or lists only
    those); a draft's 添加 list the same (it stopped at 200)."""
    monkeypatch.setattr(compose, "CHOOSE_ROWS", 2)
    monkeypatch.setattr(compose, "ADD_ROWS", 1)
    supervised = db.session.get(Ticket, overdue[0].id)
    supervised.escalation_level = 1  # under 督办, and the earliest deadline with overdue[1]'s
    db.session.commit()
    not_due = make_ticket(at_time=at("2026-11-27T09:00:00+08:00"))
    office = browser(city.admin)
    both = f"/letters/new?unit_id={city.street_a.id}&unit_id={city.street_b.id}"
    first = office.get(both).get_data(as_text=True)
    assert "共 4 个在办问题，其中超期未整改、尚未督办的 2 个排在前面；显示前 2 个，其余见下方分页；" in first
    for ticket in (overdue[1], overdue[2]):  # ticked, as before, and first
        assert f'name="ticket_ids" value="{ticket.id}" checked>' in first
    assert overdue[0].number not in first and not_due.number not in first
    assert "第 1 / 2 页，共 4 条" in first
    nxt = re.search(r'<a class="btn" href="([^"]+)">下一页</a>', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(nxt).query) == {"unit_id": [str(city.street_a.id), str(city.street_b.id)], "page": ["2"]}
    second = office.get(nxt).get_data(as_text=True)
    assert "显示第 3–4 个" in second and f'name="ticket_ids" value="{overdue[0].id}">' in second
    assert not_due.number in second and overdue[1].number not in second
    only = office.get(both + "&due=1").get_data(as_text=True)
    assert "只列这 2 个；" in only and "下一页" not in only and 'name="due" value="1" checked' in only
    assert overdue[1].number in only and overdue[2].number in only and not_due.number not in only
    assert office.get(both + "&page=9").headers["Location"].endswith("&page=2")  # past the last: the last
    # a draft's 添加主送单位的其他在办问题: the same order and count, a page at a time
    draft = compose.create_draft(city.admin, at(FRIDAY), {"unit_ids": [city.street_a.id],
                                                          "ticket_ids": [overdue[1].id]})
    db.session.commit()
    late = make_ticket(at_time=at("2026-11-25T09:00:00+08:00"))
    edit = office.get(f"/letters/{draft.id}/edit").get_data(as_text=True)
    assert "添加主送单位的其他在办问题（3）" in edit and "超期未整改、尚未督办的 1 个排在前面；显示前 1 个" in edit
    assert f'name="add_ticket_ids" value="{late.id}">' in edit and overdue[0].number not in edit
    page2 = office.get(f"/letters/{draft.id}/edit?page=2").get_data(as_text=True)
    assert '<details class="more" open>' in page2 and f'name="add_ticket_ids" value="{overdue[0].id}">' in page2
    assert f'href="/letters/{draft.id}/edit?page=3">下一页' in page2


def test_compiling_by_hand_says_which_level_each_problem_may_take(app, city, overdue, make_ticket, browser, clock):
    """编制督办函 names beside each problem the level a letter may list it at now, or from when: the office used to
    learn it only from a refusal after choosing 挂牌督办 for problems not yet due."""
    office = browser(city.admin)
    not_due = make_ticket(at_time=at("2026-11-27T09:00:00+08:00"))
    page_url = "/letters/new?unit_id=" + str(city.street_a.id)

    def step_of(ticket) -> tuple[str, str]:
        row = office.get(page_url).get_data(as_text=True).split(f'name="ticket_ids" value="{ticket.id}"', 1)[1]
        return re.search(r'class="step (ok|wait)">([^<]+)<', row).groups()

    assert step_of(overdue[0]) == ("ok", "可列入普通督办")
    due = local(fresh(Ticket, not_due.id).deadline)
    assert step_of(not_due) == ("wait", f"{due.month}月{due.day}日{due:%H:%M}后可列入普通督办")
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
    signing.sign(city.leader, draft, at(FRIDAY))
    db.session.commit()
    reply_by = fresh(Letter, draft.id).reply_by
    last_day = local(reply_by)
    assert step_of(overdue[0]) == ("wait", f"{last_day.month}月{last_day.day}日后可列入挂牌督办")
    # what the page says is what compiling does: 挂牌督办 refused now, accepted once the date has passed
    form = {"unit_ids": str(city.street_a.id), "ticket_ids": str(overdue[0].id), "kind": "listed"}
    assert office.submit(page_url, "/letters/new", form).status_code == 409
    clock.stop(reply_by + timedelta(minutes=1))
    office = browser(city.admin)  # days later: a new session
    assert step_of(overdue[0]) == ("ok", "可列入挂牌督办")
    assert office.submit(page_url, "/letters/new", form).status_code == 303


def test_a_refused_save_of_a_draft_keeps_what_was_typed(app, city, overdue, make_ticket, browser):
    """A draft's save refused by the compile rule (a problem ticked under 添加主送单位的其他在办问题 that the page
    itself says is not due yet, 409) brings the edit form back as typed with the reason, as 编制督办函 does: it
    ended on a bare 409 page, the title and text typed lost."""
    office = browser(city.admin)
    not_due = make_ticket(at_time=at("2026-11-27T09:00:00+08:00"))
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
    db.session.commit()
    edit = f"/letters/{draft.id}/edit"
    assert "后可列入普通督办" in office.get(edit).get_data(as_text=True)
    form = {"revision": str(draft.revision), "kind": "supervision", "level": "1", "reply_by": "2026-12-03",
            "title": "改过的标题", "body": "改过的正文", "report_to": "", "cc": "市城市管理局",
            "add_ticket_ids": str(not_due.id)}
    refused = office.submit(edit, edit, form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and f'role="alert">问题 {not_due.number} 的整改时限' in page
    for kept in ('value="改过的标题"', ">改过的正文</textarea>", 'value="市城市管理局"', 'value="2026-12-03"',
                 f'name="add_ticket_ids" value="{not_due.id}" checked>'):
        assert kept in page, kept
    letter = fresh(Letter, draft.id)
    assert letter.title != "改过的标题" and letter.ticket_ids == [overdue[0].id]  # nothing saved
    # unticked, the same text saves
    saved = office.submit(edit, edit, {**form, "add_ticket_ids": ""})
    assert saved.status_code == 303 and fresh(Letter, draft.id).title == "改过的标题"
    # signed meanwhile, the form is gone: back to the letter's page, which says so
    signing.sign(city.leader, fresh(Letter, draft.id), at(FRIDAY))
    db.session.commit()
    detail = f"/letters/{draft.id}"  # (its edit page now leads there)
    late = office.submit(detail, edit, {**form, "add_ticket_ids": "",
                                        "revision": str(fresh(Letter, draft.id).revision)})
    assert late.status_code == 303 and "已签发，不能再修改" in office.get(detail).get_data(as_text=True)


def test_a_proposal_whose_problem_a_draft_lists_is_not_offered_as_waiting(app, city, make_ticket, browser, api):
    """A problem in a draft composed by hand (or one a leader returned, or added while editing) may not go into a
    second draft (ticket_in_other_draft). Its 督办建议 was listed, counted and ticked as waiting all the same, so the
    default 生成督办函草稿 failed with 409 and made nothing: it waits in its draft now, shown apart with a link to
    it, counted nowhere as waiting, not announced to the office's group."""
    app.config["WEBHOOK_URL"] = "http://127.0.0.1:9/robot"
    tickets = [make_ticket(), make_ticket(point=City.ON_A), make_ticket(point=City.ON_B)]
    by_hand = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [tickets[0].id]})
    db.session.commit()
    run_sweep(at(FRIDAY))  # proposes all three; the one in the draft is not announced
    from inspect_app.outbox.models import OutboxMessage
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "proposals")).all()
    assert len(told) == 1 and "新增督办建议2条" in told[0].payload_json
    held = db.session.scalar(select(Proposal).where(Proposal.ticket_id == tickets[0].id))
    assert held.closed_at is None and held.letter_id is None

    office = browser(city.admin)
    page = office.get("/letters/proposals").get_data(as_text=True)
    assert "督办建议 <small>2 条，2 个单位</small>" in page
    assert f'name="proposal_ids" value="{held.id}"' not in page  # not offered, not ticked
    drafted = re.search(r'<section class="card drafted".*?</section>', page, re.S).group(0)
    assert tickets[0].number in drafted and f'href="/letters/{by_hand.id}">草稿 #{by_hand.id}</a>中' in drafted
    assert re.search(r'>督办建议<b class="nav-count"[^>]*>2<', page)  # the menu's count
    work = office.get("/office/work").get_data(as_text=True)
    assert re.search(r'href="/letters/proposals"[^>]*><b>2</b>', work)  # 待办事项's card
    record = office.get(f"/letters/units/{held.unit_id}").get_data(as_text=True)  # the unit's 督办记录 too
    waiting, _, apart = record.partition("已编入草稿的督办建议")
    assert tickets[0].number not in waiting and tickets[0].number in apart and f"草稿 #{by_hand.id}" in apart
    listed = api.get("/api/v1/escalation/proposals", city.admin).get_json()
    assert {p["id"]: p["letter_id"] for p in listed}[held.id] == by_hand.id
    with pytest.raises(Conflict, match=f"已在草稿（#{by_hand.id}）中"):  # 不予督办: take it out of the draft first
        proposals.dismiss(city.admin, [held.id], "施工围挡", at(FRIDAY))
    db.session.rollback()

    # the default (every proposal offered, ticked) makes a draft
    offered = re.findall(r'name="proposal_ids" value="(\d+)" checked>', page)
    made = office.submit("/letters/proposals", "/letters/new", {"from": "proposals", "proposal_ids": offered})
    assert made.status_code == 303, made.get_data(as_text=True)
    # the hand-made draft discarded, its problem's proposal waits for the office again
    compose.discard_draft(city.admin, fresh(Letter, by_hand.id), at(FRIDAY))
    db.session.commit()
    page = office.get("/letters/proposals").get_data(as_text=True)
    assert f'name="proposal_ids" value="{held.id}" checked>' in page and "督办建议 <small>1 条" in page


def test_compiling_proposals_names_every_one_refused_at_once(app, city, overdue, browser, api, clock):
    """生成督办函草稿 from the proposals named only the first problem refused (the next one only at the next try):
    every refused one is named in one answer, across the drafts of each level, and nothing is made."""
    first = db.session.scalar(select(Proposal).where(Proposal.ticket_id == overdue[0].id))
    signing.sign(city.leader, compose.create_batch(city.admin, at(FRIDAY), {"proposal_ids": [first.id]})[0],
                 at(FRIDAY))
    db.session.commit()
    clock.stop(at("2026-12-04T09:00:00+08:00"))  # past the 督办函's reply-by date: 挂牌督办 proposed for the first
    run_sweep(at("2026-12-04T09:00:00+08:00"))
    office = browser(city.admin)
    page = office.get("/letters/proposals").get_data(as_text=True)
    offered = re.findall(r'name="proposal_ids" value="(\d+)" checked>', page)
    assert len(offered) == 3 and "建议挂牌督办" in page
    # meanwhile another clerk puts two of those problems into drafts of their own, one a level
    for kind, ticket in (("listed", overdue[0]), ("supervision", overdue[1])):
        made = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [ticket.id], "kind": kind})
        assert made.status_code == 201, made.get_json()
    letters = db.session.scalar(select(func.count(Letter.id)))
    refused = office.submit("/letters/proposals", "/letters/new", {"from": "proposals", "proposal_ids": offered})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409
    alert = re.search(r'role="alert">([^<]+)<', page).group(1)
    assert alert.startswith("有2个问题不能列入督办函：")
    assert f"问题 {overdue[0].number} 已在另一份草稿" in alert and f"问题 {overdue[1].number} 已在另一份草稿" in alert
    # the page again: the one that fits still ticked, the two now shown in their drafts
    assert re.findall(r'name="proposal_ids" value="(\d+)" checked>', page) == [
        str(p.id) for p in db.session.scalars(select(Proposal).where(Proposal.ticket_id == overdue[2].id))]
    drafted = re.search(r'<section class="card drafted".*?</section>', page, re.S).group(0)
    assert overdue[0].number in drafted and overdue[1].number in drafted
    # within one draft too (the API's answer: the first one's code)
    both = api.post("/api/v1/letters", city.admin, json={"ticket_ids": [overdue[0].id, overdue[1].id]})
    error = both.get_json()["error"]
    assert both.status_code == 409 and error["code"] == "ticket_already_at_level"
    assert error["message"].startswith("有2个问题不能列入督办函：") and "已由 临江文明督〔2026〕1号 列入同级督办" in \
        error["message"] and f"问题 {overdue[1].number} 已在另一份草稿" in error["message"]
    assert db.session.scalar(select(func.count(Letter.id))) == letters  # nothing made, not even the level that fit


def test_signing_names_every_problem_refused_at_once(app, city, overdue, api):
    """签发 stopped at the first problem it refused, so the office learnt of the next one at the next try, after the
    leader's; it names them all, as compiling does."""
    from conftest import processed

    from inspect_app.tickets import services

    when = at("2026-11-27T10:00:00+08:00")
    ids = [p.id for p in db.session.scalars(select(Proposal).where(Proposal.unit_id == city.street_a.id))]
    [draft] = compose.create_batch(city.admin, when, {"proposal_ids": ids})
    db.session.commit()
    numbers = [item.ticket.number for item in draft.items]
    assert len(numbers) == 2
    for item in draft.items:
        services.rectify(city.unit_a, fresh(Ticket, item.ticket_id), when, "已清理", [processed()])
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        signing.sign(city.leader, fresh(Letter, draft.id), when)
    message = refused.value.message
    assert message.startswith("有2个问题不能列入督办函：") and all(n in message for n in numbers), message
    assert fresh(Letter, draft.id).status == "draft"


def test_a_leader_refused_for_a_draft_changed_meanwhile_keeps_the_comment_and_the_draft(app, city, overdue,
                                                                                         browser):
    """The office saved the draft while the leader read it on the phone: 退回修改 and 签发 are refused (409), on the
    draft's page again (now showing the saved draft) with why, the 修改意见 typed kept; a bare error page left the
    leader with 返回首页 only and the comment lost."""
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
    db.session.commit()
    page = f"/letters/{draft.id}"
    leader = browser(city.leader)
    seen = re.search(r'name="revision" value="(\d+)"', leader.get(page).get_data(as_text=True)).group(1)
    compose.update_draft(city.admin, fresh(Letter, draft.id), at(FRIDAY), {"title": "文明办改过的标题"})
    db.session.commit()
    refused = leader.post(f"{page}/return", data={"csrf_token": leader.token(page), "revision": seen,
                                                   "note": "请把时限改为12月20日"}, headers={})  # no Referer
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "草稿已被修改，请重新阅读后再处理。" in html
    assert "请把时限改为12月20日</textarea>" in html and "文明办改过的标题" in html
    signed = leader.post(f"{page}/sign", data={"csrf_token": leader.token(page), "revision": seen}, headers={})
    html = signed.get_data(as_text=True)
    assert signed.status_code == 409 and "草稿已被修改，请重新阅读后再签发。" in html and "文明办改过的标题" in html
    assert fresh(Letter, draft.id).status == "draft" and fresh(Letter, draft.id).returned_at is None


def test_compiling_does_not_tick_a_problem_another_draft_holds(app, city, overdue, browser):
    """编制督办函 ticked every overdue problem not yet under 督办, one already in another draft too, and the default
    form was then refused (已在另一份草稿中): it is shown unticked with the draft that holds it."""
    held, free = overdue[0], overdue[1]  # both 甲街道's
    by_hand = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [held.id]})
    db.session.commit()
    office = browser(city.admin)
    page = f"/letters/new?unit_id={held.unit_id}"
    html = office.get(page).get_data(as_text=True)
    assert f'name="ticket_ids" value="{held.id}">' in html  # listed, not ticked
    assert f"已在草稿 #{by_hand.id} 中" in html
    ticked = re.findall(r'name="ticket_ids" value="(\d+)" checked>', html)
    assert str(held.id) not in ticked and str(free.id) in ticked
    made = office.submit(page, "/letters/new", {"unit_ids": str(held.unit_id), "ticket_ids": ticked})
    assert made.status_code == 303, made.get_data(as_text=True)  # the default form makes a draft


def test_a_refused_clearing_comes_back_to_the_letter_with_the_reason(app, city, overdue, browser):
    """销号 of a problem not yet reported back: no 销号 button is offered for it, and one pressed on a page drawn
    before (or posted without a Referer) comes back to the letter's page with why, beside that item, not to an
    error page with 返回首页 alone; a 未销号 without its reason keeps the form open."""
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
    letter = signing.sign(city.leader, draft, at(FRIDAY))
    db.session.commit()
    office = browser(city.admin)
    detail = f"/letters/{letter.id}"
    page = office.get(detail).get_data(as_text=True)
    assert ">销号</button>" not in page and "暂不能销号" in page and "确认未销号" in page
    action = f"{detail}/items/{overdue[0].id}/clear"
    key = f"clear-{overdue[0].id}-{city.street_a.id}"
    for headers in ({}, {"Referer": "http://localhost" + detail}):
        refused = office.post(action, data={"csrf_token": office.token(detail), "cleared": "1",
                                            "unit_id": str(city.street_a.id)}, headers=headers)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 409 and letter.number in page and "返回首页" not in page
        assert f'id="{key}-error">问题 {overdue[0].number} 当前状态为“待整改”，尚未整改反馈，不能销号。' in page
        assert f'href="#{key}-error"' in page
    blank = office.post(action, data={"csrf_token": office.token(detail), "cleared": "0", "note": " ",
                                      "unit_id": str(city.street_a.id)})
    page = blank.get_data(as_text=True)
    assert blank.status_code == 400 and "未销号请说明原因" in page and '<details class="not-cleared" open>' in page
    assert fresh(Letter, letter.id).items[0].outcome is None


def test_a_draft_listing_a_problem_for_two_units_shows_and_takes_out_each_units_item(app, city, make_ticket,
                                                                                     browser, now):
    """A draft lists one problem for 甲 (lead) and 乙 (assisting, its own earlier deadline). Each row shows its own
    unit and deadline and takes out that unit's item alone; once 乙 has reported its part, saving the title is not
    refused for 乙's item (it was: every item checked again on every save, the only way out deleting the draft), a
    change of level is, saying to take the item out, and taking it out is accepted, 甲's item kept (both went:
    the rows took out the ticket)."""
    from conftest import processed
    from inspect_app.tickets import parts

    ticket = make_ticket()
    parts.add_assist(ticket, city.street_b, now, city.admin, deadline=at("2026-11-26T08:00:00+08:00"))
    db.session.commit()
    made = run_sweep(at(FRIDAY)).proposals
    [draft] = compose.create_batch(city.admin, at(FRIDAY), {"proposal_ids": [p.id for p in made]})
    db.session.commit()
    office = browser(city.admin)
    edit = f"/letters/{draft.id}/edit"
    page = office.get(edit).get_data(as_text=True)
    rows = page[page.index("督办事项 <small>"):page.index("保存草稿")]
    lead, assist = f"{ticket.id}:{city.street_a.id}", f"{ticket.id}:{city.street_b.id}"
    assert f'name="remove_items" value="{lead}">' in rows and f'name="remove_items" value="{assist}">' in rows
    b_row = rows[rows.index(f'value="{assist}"'):]
    assert "乙街道办事处" in b_row and "协办" in b_row and "时限 11-26 08:00" in b_row
    a_row = rows[rows.index(f'value="{lead}"'):rows.index(f'value="{assist}"')]
    assert "甲街道办事处" in a_row and "时限 11-26 10:00" in a_row and "乙街道办事处" not in a_row

    parts.rectify_part(city.unit_b, fresh(Ticket, ticket.id), at(FRIDAY), "已整改", [processed()])
    db.session.commit()
    letter = fresh(Letter, draft.id)
    form = {"kind": "supervision", "level": "1", "reply_by": "2026-12-03", "title": "改过的标题",
            "body": letter.body, "report_to": letter.report_to or "", "cc": letter.cc or ""}
    saved = office.submit(edit, edit, {**form, "revision": str(letter.revision)})
    assert saved.status_code == 303 and fresh(Letter, draft.id).title == "改过的标题"
    letter = fresh(Letter, draft.id)
    refused = office.submit(edit, edit, {**form, "revision": str(letter.revision), "kind": "listed", "level": "2"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "已反馈本单位整改情况，不能督办其整改（请将该单位的此项从草稿中移除）" in page
    saved = office.submit(edit, edit, {**form, "revision": str(letter.revision), "remove_items": assist})
    assert saved.status_code == 303
    letter = fresh(Letter, draft.id)
    assert [(i.ticket_id, i.unit_id) for i in letter.items] == [(ticket.id, city.street_a.id)]
    assert letter.unit_ids == [city.street_a.id] and letter.title == "改过的标题"


# ----------------------------------------------------------------------------- two people on one draft at once

def colleague_first(app, monkeypatch, act):
    """The next draft operation (a save, a 删除) of this test reads the draft and passes its revision check as it
    was; then `act` — a colleague's request, on its own session — commits before the first one writes. The
    interleaving of two saves at the same moment, made certain."""
    real, first = compose._draft, []

    def draft_then_colleague(letter):
        real(letter)
        if not first:
            first.append(letter)  # the colleague's own operation passes here too: it goes straight on
            colleague = in_another_request(app, act)
            assert not colleague.failed, colleague.failed
    monkeypatch.setattr(compose, "_draft", draft_then_colleague)


def test_two_saves_of_a_draft_at_once_keep_the_losers_text(app, city, overdue, browser, monkeypatch):
    """QA: two clerks saving one draft at the same moment (both read revision n): the loser was redirected with
    该问题刚被其他人处理过 (the tickets' wording) and lost what they had typed. It is now answered as a save a
    second late is: 409, the form as typed, and what differs from the draft now saved named."""
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
    db.session.commit()
    draft_id, admin_id, edit = draft.id, city.admin.id, f"/letters/{draft.id}/edit"
    office = browser(city.admin)
    token, revision = office.token(edit), str(draft.revision)
    colleague_first(app, monkeypatch, lambda: compose.update_draft(
        db.session.get(User, admin_id), db.session.get(Letter, draft_id), at(FRIDAY), {"title": "乙改的标题"}))
    lost = office.post(edit, data={"csrf_token": token, "revision": revision, "title": "甲改的标题",
                                   "body": draft.body}, headers={"Referer": "http://localhost" + edit})
    page = lost.get_data(as_text=True)
    assert lost.status_code == 409, page[:300]
    assert "您编辑期间，草稿已被他人修改并保存" in page and "与现存草稿不同的有：标题；" in page
    assert 'value="甲改的标题"' in page and "该问题刚被其他人处理过" not in page
    assert fresh(Letter, draft_id).title == "乙改的标题"


def test_a_draft_deleted_twice_says_so_on_the_proposals_page(app, city, overdue, browser, monkeypatch):
    """QA: 删除草稿 from two tabs: one said 草稿已删除, the other 该问题刚被其他人处理过 and sent the clerk back to the
    draft's page, now a 404. Deleted at the same moment or a moment before, the second now says the draft is
    deleted already, on the proposals' page where a deletion lands."""
    office = browser(city.admin)
    for together in (False, True):
        draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [overdue[0].id]})
        db.session.commit()
        draft_id, admin_id, edit = draft.id, city.admin.id, f"/letters/{draft.id}/edit"
        token = office.token(edit)
        if together:  # the colleague's deletion commits while this one is under way
            colleague_first(app, monkeypatch, lambda: compose.discard_draft(
                db.session.get(User, admin_id), db.session.get(Letter, draft_id), at(FRIDAY)))
        else:  # a moment before
            compose.discard_draft(city.admin, draft, at(FRIDAY))
            db.session.commit()
        second = office.post(f"/letters/{draft_id}/discard", data={"csrf_token": token},
                             headers={"Referer": "http://localhost" + edit})
        assert second.status_code == 303 and second.headers["Location"].endswith("/letters/proposals"), together
        page = office.get("/letters/proposals").get_data(as_text=True)
        assert "该草稿已被删除（其中的督办建议已退回待办），无需再操作。" in page, together
        assert "该问题刚被其他人处理过" not in page and fresh(Letter, draft_id) is None


def test_a_double_click_on_compiling_lands_on_the_draft_the_first_click_made(app, city, overdue, browser):
    """QA: 生成督办函草稿 clicked twice: the second answered 409 with the proposals' page saying only
    暂无待处理的督办建议 (the refusal was shown only beside proposals left to compile). The same click again now lands
    on the draft the first made; two at the same moment queue, one draft made; and a refusal is said on an empty
    page too."""
    office = browser(city.admin)
    offered = re.findall(r'name="proposal_ids" value="(\d+)" checked>',
                         office.get("/letters/proposals").get_data(as_text=True))
    token = office.token("/letters/proposals")
    form = {"csrf_token": token, "from": "proposals", "proposal_ids": offered}
    referer = {"Referer": "http://localhost/letters/proposals"}
    first, second = (office.post("/letters/new", data=form, headers=referer) for _ in range(2))
    [draft] = db.session.scalars(select(Letter)).all()
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == f"/letters/{draft.id}/edit"
    compose.discard_draft(city.admin, draft, at(FRIDAY))
    db.session.commit()

    admin_id = city.admin.id
    ids = [int(i) for i in offered]
    made = []

    def compile_():
        made.append([d.id for d in compose.create_batch(db.session.get(User, admin_id), at(FRIDAY),
                                                        {"proposal_ids": ids})])
    threads = [in_another_request(app, compile_, wait=0) for _ in range(2)]
    for thread in threads:
        thread.join(60)
        assert not thread.failed, thread.failed
    drafts = db.session.scalars(select(Letter)).all()
    assert len(drafts) == 1 and made == [[drafts[0].id]] * 2

    # nothing left to compile, and refused: the page says why
    compose.discard_draft(city.admin, drafts[0], at(FRIDAY))
    proposals.dismiss(city.admin, ids, "已现场核实", at(FRIDAY))
    db.session.commit()
    refused = office.post("/letters/new", data=form, headers=referer)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 404 and "暂无待处理的督办建议" in page
    assert re.search(r'role="alert">督办建议 [\d、]+ 不存在或已不再适用', page)
