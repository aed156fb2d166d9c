"""Telling units (issue 15): the unread count in the menu and the inbox, each unit's own group robot (through the
shared outbox, with retries), the news push and the daily digest, sent once whatever runs them twice."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import City, at, processed
from sqlalchemy import select
from test_escalation_jobs import Robot

from inspect_app.common.timeutil import utcnow
from inspect_app.escalation.jobs import run_sweep
from inspect_app.extensions import db
from inspect_app.notices import jobs
from inspect_app.outbox.jobs import deliver_due
from inspect_app.outbox.models import OutboxMessage, UnitRobot
from inspect_app.outbox.service import check_robot_url

WEDNESDAY = "2026-11-25T10:00:00+08:00"


@pytest.fixture
def robot(app):
    server = Robot()
    yield server
    server.close()


def give_robot(unit, url, now, secret=""):
    """A unit's robot as its clerk would save it (the URL check is tested on its own: here it is a local robot)."""
    db.session.add(UnitRobot(unit_id=unit.id, url=url, secret=secret, enabled=True, updated_at=now,
                             pushed_until=now))
    db.session.commit()


def badge(page: str) -> int:
    match = re.search(r'消息<b class="nav-count"[^>]*>(\d+)<', page)
    return int(match.group(1)) if match else 0


# ----------------------------------------------------------------------------- unread count and inbox

def test_new_tickets_letters_and_near_deadlines_are_unread_until_the_inbox_is_opened(app, browser, city, make_ticket):
    app.config["ESCALATION_MODE"] = "auto"  # the sweep issues the letter itself (propose mode: test_letters.py)
    moment = utcnow()  # the pages' clock (conftest.clock)
    clerk = browser(city.unit_b)
    assert badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 0
    make_ticket(point=City.ON_B, at_time=moment - timedelta(hours=1))  # 牛皮癣: 24 hours, due within a day
    make_ticket(point=City.ON_B, at_time=moment - timedelta(hours=1), category="spider_web")
    make_ticket(point=City.ON_A, at_time=moment - timedelta(hours=1))  # street A's
    page = clerk.get("/unit/tickets").get_data(as_text=True)
    # two new tickets; the 牛皮癣 one came with less than a day to go, which its own news says (no reminder on top)
    assert badge(page) == 2
    inbox = clerk.get("/inbox").get_data(as_text=True)
    assert inbox.count("新问题：") == 2 and "即将到期" not in inbox and inbox.count('class="dot"') == 2
    assert badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 0  # read
    assert browser(city.unit_a).get("/inbox").get_data(as_text=True).count("新问题：") == 1

    make_ticket(point=City.ON_B, at_time=moment - timedelta(days=6))  # long overdue, filed before the last visit
    run_sweep(utcnow())  # ...so a letter goes to street B now
    db.session.commit()
    assert badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 1
    body = clerk.get("/inbox").get_data(as_text=True)
    assert "督办函" in body and "已超期" in body



def test_the_unread_dot_and_the_menus_count_say_so_in_words_screen_readers_read(app, browser, city, make_ticket,
                                                                                monkeypatch):
    """未读 and 2条未读消息 were only aria-label on a plain <span> and <b>, which some screen readers skip: they are
    text now, drawn for no one (.sr-only), the dot and the count looking as before."""
    from pathlib import Path

    from inspect_app import navigation

    make_ticket(point=City.ON_B, at_time=utcnow() - timedelta(hours=1))
    make_ticket(point=City.ON_B, at_time=utcnow() - timedelta(hours=1), category="spider_web")
    clerk = browser(city.unit_b)
    page = clerk.get("/unit/tickets").get_data(as_text=True)
    assert '消息<b class="nav-count">2<span class="sr-only">条未读消息</span></b>' in page
    inbox = clerk.get("/inbox").get_data(as_text=True)
    assert inbox.count('<span class="dot"><span class="sr-only">未读</span></span>') == 2
    assert 'aria-label="未读"' not in inbox and "nav-count\" aria-label" not in page
    css = (Path(app.root_path) / "static" / "css" / "app.css").read_text(encoding="utf-8")
    rule = re.search(r"\.sr-only \{([^}]*)\}", css).group(1)
    assert "position: absolute" in rule and "clip" in rule and "width: 1px" in rule and "display: none" not in rule
    # past 99 the count shows 99+ and says the number
    monkeypatch.setitem(navigation.BADGES, "notices.inbox", lambda user: 150)
    page = clerk.get("/unit/tickets").get_data(as_text=True)
    assert ('消息<b class="nav-count"><span aria-hidden="true">99+</span><span class="sr-only">150</span>'
            '<span class="sr-only">条未读消息</span></b>') in page

def test_the_inbox_and_the_robot_name_each_document_by_its_kind(app, browser, city):
    """A 约谈通知 and a 督查通报 are not 督办函 (the inbox called every document one, each 前整改反馈): each is named by
    its kind, with what it asks by its date."""
    from sqlalchemy import insert

    from inspect_app.escalation.models import Letter, LetterUnit
    from inspect_app.notices.services import news_text

    moment = utcnow()
    for seq, kind, series, number in ((22, "summons", "letter", "临江文明督〔2026〕22号"),
                                      (1, "bulletin", "bulletin", "临江文明通〔2026〕1号"),
                                      (23, "supervision", "letter", "临江文明督〔2026〕23号")):
        letter_id = db.session.execute(insert(Letter.__table__).values(
            status="issued", kind=kind, series=series, number=number, year=2026, seq=seq, unit_id=city.street_b.id,
            level=3 if kind == "summons" else 1, issued_at=moment - timedelta(hours=seq),
            reply_by=at("2026-12-10T23:59:59+08:00"), created_at=moment, revision=1,
            pdf_path="")).inserted_primary_key[0]
        db.session.execute(insert(LetterUnit.__table__).values(letter_id=letter_id, unit_id=city.street_b.id,
                                                               position=0))
    db.session.commit()
    inbox = browser(city.unit_b).get("/inbox").get_data(as_text=True)
    assert "约谈通知：临江文明督〔2026〕22号" in inbox and "督查通报：临江文明通〔2026〕1号" in inbox
    assert "督办函：临江文明督〔2026〕23号" in inbox and inbox.count("督办函：") == 1
    assert inbox.count("12月10日前书面报送整改情况") == 2 and inbox.count("12月10日前整改反馈") == 1
    letters = list(db.session.scalars(select(Letter).order_by(Letter.seq)))
    text = news_text(city.street_b, [], letters)
    assert "· 督查通报 临江文明通〔2026〕1号，12月10日前书面报送整改情况" in text
    assert "· 约谈通知 临江文明督〔2026〕22号，12月10日前书面报送整改情况" in text
    assert "· 督办函 临江文明督〔2026〕23号，12月10日前整改反馈" in text


def test_a_reminder_comes_only_for_work_held_from_before_its_last_day(app, browser, city, make_ticket):
    moment = utcnow()  # the pages' clock (conftest.clock)
    fresh = make_ticket(point=City.ON_B, at_time=moment - timedelta(hours=1))  # 牛皮癣: arrives with 23 hours to go
    held = make_ticket(point=City.ON_B, at_time=moment - timedelta(hours=3), category="spider_web")
    part = held.parts[0]  # given to street B three days ago, due in five hours: its last day began after it came
    part.assigned_at, part.deadline = moment - timedelta(days=3), moment + timedelta(hours=5)
    held.deadline = part.deadline
    db.session.commit()
    clerk = browser(city.unit_b)
    assert badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 3  # two new tickets and one reminder
    inbox = clerk.get("/inbox").get_data(as_text=True)
    reminders = re.findall(r"即将到期：[^<]*</[^>]+>\s*<[^>]+>([^<]*)", inbox)
    assert len(reminders) == 1 and held.number in reminders[0], reminders
    assert inbox.count(fresh.number) == 1  # in its new-ticket news only


def test_the_inbox_api_reads_without_marking(api, city, make_ticket):
    make_ticket(point=City.ON_B, at_time=utcnow() - timedelta(hours=2))
    body = api.get("/api/v1/inbox", city.unit_b).get_json()
    # one new ticket; it is due within 24 hours (the summary says so) but came that way, so no separate reminder
    assert body["unread"] == 1 and body["summary"]["open"] == 1 and body["summary"]["due_soon"] == 1
    assert api.get("/api/v1/inbox", city.unit_b).get_json()["unread"] == 1
    assert api.post("/api/v1/inbox/seen", city.unit_b).get_json() == {"unread": 0}
    assert api.get("/api/v1/inbox", city.unit_b).get_json()["unread"] == 0
    assert api.get("/api/v1/inbox", city.admin).status_code == 403


def test_the_inbox_says_what_it_leaves_out_and_counts_unread_as_the_menu_does(app, api, browser, city, make_ticket,
                                                                             monkeypatch):
    """(QA) After 55 new tickets the menu said 消息 55, /inbox listed 50 (the 5 oldest nowhere) and the API said
    unread 50, nothing saying the list was cut. (Here a list of 3.)"""
    from inspect_app.notices import services

    monkeypatch.setattr(services, "MAX_ITEMS", 3)
    moment = utcnow()  # the pages' clock (conftest.clock)
    tickets = [make_ticket(point=City.ON_B, at_time=moment - timedelta(minutes=10 - i)) for i in range(5)]
    body = api.get("/api/v1/inbox", city.unit_b).get_json()
    assert body["unread"] == 5 and len(body["items"]) == 3  # the badge's count; the newest three listed
    assert {t.number for t in tickets[2:]} == {i["detail"].split(" · ")[0] for i in body["items"]}
    assert body["unlisted"] == [{"kind": "ticket", "count": 2, "url": "/unit/tickets?tab=all"}]
    clerk = browser(city.unit_b)
    assert badge(clerk.get("/unit/tickets").get_data(as_text=True)) == 5
    page = clerk.get("/inbox").get_data(as_text=True)
    assert page.count("新问题：") == 3
    assert re.search(r'另有2条派给本单位的问题未列出[^<]*<a href="/unit/tickets\?tab=all">查看本单位全部问题</a>', page)
    assert api.get("/api/v1/inbox", city.unit_b).get_json()["unlisted"] == body["unlisted"]  # read or not


def test_each_figure_on_top_of_the_inbox_opens_a_list_of_that_many(app, browser, api, city, make_ticket, clock):
    """(QA) 待整改 counted a ticket in 退单 that its list keeps under 退单中; 24小时内到期 and 督办函未签收 opened the
    whole 待整改 list and every letter."""
    from inspect_app.escalation.models import Letter
    from inspect_app.escalation.replies import acknowledge
    from inspect_app.tickets import services

    app.config["ESCALATION_MODE"] = "auto"  # the sweep issues the letters itself
    late = [make_ticket(), make_ticket()]   # Wednesday's 牛皮癣: overdue by Friday, a letter; still open, a second
    first = run_sweep(at("2026-11-27T09:00")).letters
    acknowledge(city.unit_a, db.session.get(Letter, first[0].id), at("2026-11-27T10:00"))
    db.session.commit()
    assert len(run_sweep(at("2026-12-03T09:00")).letters) == 1  # 挂牌督办, not yet signed for
    moment = at("2026-12-03T10:00")
    soon = make_ticket(category="spider_web", at_time=moment - timedelta(days=3))
    soon.deadline = soon.parts[0].deadline = moment + timedelta(hours=5)
    make_ticket(category="spider_web", at_time=moment - timedelta(hours=1))  # ten working days to go
    disputed = make_ticket(at_time=moment - timedelta(hours=2))              # due within 24 hours, in 退单
    services.dispute(city.unit_a, disputed, moment - timedelta(hours=1), "不属于本单位路段")
    db.session.commit()
    clock.stop(moment)
    clerk = browser(city.unit_a)
    inbox = clerk.get("/inbox").get_data(as_text=True)
    figures = re.findall(r'<a href="([^"]+)"[^>]*><b>(\d+)</b><span>([^<]+)</span></a>', inbox)
    shown = {label: int(n) for _, n, label in figures}
    assert shown == {"待整改": 4, "已超期": 2, "24小时内到期": 1, "督办函未签收": 1}, shown
    assert len(late) == shown["已超期"]
    for url, n, label in figures:
        page = clerk.get(url.replace("&amp;", "&")).get_data(as_text=True)
        assert re.search(r"共 (\d+) 条", page).group(1) == n, (label, url)
    # the office's due_soon: any open ticket due within 24 hours, in 退单 too
    listed = api.get("/api/v1/tickets?due_soon=1", city.admin).get_json()["items"]
    assert sorted(t["id"] for t in listed) == sorted([soon.id, disputed.id])


# ----------------------------------------------------------------------------- each unit's own robot

def test_a_robot_url_must_be_a_wecom_or_dingtalk_robot(app, browser, city):
    with app.test_request_context():
        assert check_robot_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
        assert check_robot_url("https://oapi.dingtalk.com/robot/send?access_token=abc")
        for url in ("http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",  # not https
                    "https://127.0.0.1/send", "https://intranet.local/robot",
                    "https://qyapi.weixin.qq.com.evil.cn/send", "https://user@oapi.dingtalk.com/robot/send",
                    "https://oapi.dingtalk.com:8443/robot/send", "file:///etc/passwd"):
            with pytest.raises(Exception) as refused:
                check_robot_url(url)
            assert "机器人" in str(refused.value), url
    clerk = browser(city.unit_b)
    response = clerk.submit("/inbox/robot", "/inbox/robot", {"url": "http://10.0.0.5/hook", "enabled": "1"})
    assert response.status_code == 422 and db.session.get(UnitRobot, city.street_b.id) is None
    response = clerk.submit("/inbox/robot", "/inbox/robot", {
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "secret": "", "enabled": "1"})
    assert response.status_code == 302
    saved = db.session.get(UnitRobot, city.street_b.id)
    assert saved.enabled and saved.url.endswith("key=abc") and saved.updated_by == city.unit_b.id


def test_new_work_reaches_the_units_robot_once(app, robot, city, make_ticket, now):
    give_robot(city.street_b, robot.url, now)
    make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=1))
    make_ticket(point=City.ON_A, at_time=now + timedelta(minutes=1))  # street A has no robot
    later = now + timedelta(minutes=5)
    assert jobs.push_job(later) == 1
    assert jobs.push_job(later) == 0  # the same window is claimed once
    assert jobs.push_job(later + timedelta(minutes=5)) == 0  # nothing new
    assert deliver_due(later) == {"sent": 1, "failed": 0, "skipped": 0}
    text = robot.received[0]["text"]["content"]
    assert text.startswith("【新问题】乙街道办事处") and "牛皮癣（主办）" in text
    rows = list(db.session.scalars(select(OutboxMessage)))
    assert [(r.unit_id, r.kind) for r in rows] == [(city.street_b.id, "new_work")] and rows[0].sent_at


def test_a_ticket_voided_before_the_push_is_not_pushed_nor_left_unread(app, robot, browser, city, make_ticket, now,
                                                                       clock):
    """(QA) A ticket voided as 误报 or as 重复上报 before the next push still went out as 【新问题】, and stayed an
    unread 新问题 in the unit's 消息 with nothing saying 已作废."""
    from inspect_app.tickets import services

    give_robot(city.street_b, robot.url, now)
    kept = make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=1))
    wrong = make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=1), category="spider_web")
    repeat = make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=2))
    services.cancel(city.admin, wrong, now + timedelta(minutes=3), "误报")
    services.cancel(city.admin, repeat, now + timedelta(minutes=3), None, duplicate_of=kept.number)
    db.session.commit()
    later = now + timedelta(minutes=5)
    assert jobs.push_job(later) == 1 and deliver_due(later)["sent"] == 1
    text = robot.received[0]["text"]["content"]
    assert kept.number in text and wrong.number not in text and repeat.number not in text
    # the inbox: the one still open is unread news; the voided ones say so and are not counted
    items = inbox_of(app, city.unit_b, later)
    assert sorted((i[1], i[3]) for i in items if i[0] == "ticket") == [
        ("交办问题：牛皮癣（主办）", False), ("交办问题：蜘蛛网（主办）", False), ("新问题：牛皮癣（主办）", True)]
    assert sum(i[2].endswith(" · 现已作废") for i in items) == 2  # what became of it, after where it is
    assert unread_of(city.unit_b, later) == 1
    clock.set(later)
    assert badge(browser(city.unit_b).get("/unit/tickets").get_data(as_text=True)) == 1


def test_a_ticket_closed_while_the_robot_was_paused_is_not_news_when_it_is_enabled_again(app, robot, city,
                                                                                        make_ticket, now):
    """(QA) A unit paused its robot; a ticket was filed, rectified and closed meanwhile; the first push after it was
    enabled again listed the closed ticket as 【新问题】."""
    from inspect_app.tickets import services

    give_robot(city.street_b, robot.url, now)
    db.session.get(UnitRobot, city.street_b.id).enabled = False
    db.session.commit()
    done = make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=1))
    services.rectify(city.unit_b, done, now + timedelta(hours=1), "已清理", [processed()])
    services.approve(city.inspector, done, now + timedelta(hours=2), "")
    db.session.commit()
    assert jobs.push_job(now + timedelta(hours=3)) == 0  # paused: nothing
    db.session.get(UnitRobot, city.street_b.id).enabled = True
    db.session.commit()
    assert jobs.push_job(now + timedelta(hours=4)) == 0  # the closed ticket is no news
    open_one = make_ticket(point=City.ON_B, at_time=now + timedelta(hours=5))
    assert jobs.push_job(now + timedelta(hours=6)) == 1 and deliver_due(now + timedelta(hours=6))["sent"] == 1
    [message] = robot.received
    assert open_one.number in message["text"]["content"] and done.number not in message["text"]["content"]
    closed = [i for i in inbox_of(app, city.unit_b, now + timedelta(hours=6)) if done.number in i[2]]
    assert [(i[1], i[3]) for i in closed] == [("交办问题：牛皮癣（主办）", False)] and "期限" not in closed[0][2]
    assert closed[0][2].endswith(" · 现已结案")


def test_a_failing_robot_is_retried_and_a_removed_one_given_up(app, robot, city, make_ticket, now):
    give_robot(city.street_b, robot.url, now, secret="SECtest")
    make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=1))
    moment = now + timedelta(minutes=5)
    jobs.push_job(moment)
    robot.answers.append((200, {"errcode": 310000, "errmsg": "sign not match"}))
    assert deliver_due(moment)["failed"] == 1
    row = db.session.scalar(select(OutboxMessage))
    db.session.refresh(row)
    assert row.attempts == 1 and row.next_attempt_at > moment and "310000" in row.last_error
    assert "timestamp=" in robot.paths[0] and "sign=" in robot.paths[0]  # DingTalk 加签
    assert deliver_due(row.next_attempt_at)["sent"] == 1
    # a message whose robot was removed meanwhile is given up at once, not retried for hours
    make_ticket(point=City.ON_B, at_time=moment + timedelta(minutes=1))
    jobs.push_job(moment + timedelta(minutes=10))
    db.session.delete(db.session.get(UnitRobot, city.street_b.id))
    db.session.commit()
    assert deliver_due(moment + timedelta(minutes=10))["failed"] == 1
    last = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert last.failed_at is not None and len(robot.received) == 2


def test_the_robot_page_says_in_chinese_why_a_message_did_not_arrive(app, robot, browser, city, make_ticket, now):
    """(QA) 最近的推送 showed urllib's English: 重试中（HTTP Error 500: Internal Server Error）, 发送失败：HTTP Error
    500: …. Each reason is Chinese, the robot's own errmsg quoted as it came; rows written before read the same."""
    import socket

    give_robot(city.street_b, robot.url, now)
    make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=1))
    moment = now + timedelta(minutes=5)
    jobs.push_job(moment)
    robot.answers.append((500, {"error": "down"}))
    assert deliver_due(moment)["failed"] == 1
    row = db.session.scalar(select(OutboxMessage))
    db.session.refresh(row)
    assert row.last_error == "对方服务器返回错误（HTTP 500）"
    robot.answers.append((200, {"errcode": 310000, "errmsg": "keywords not in content"}))
    assert deliver_due(row.next_attempt_at)["failed"] == 1
    db.session.refresh(row)
    assert row.last_error == "机器人拒收（errcode 310000：“keywords not in content”）"
    with socket.socket() as probe:  # a local port with nobody listening
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/send"
    db.session.get(UnitRobot, city.street_b.id).url = closed
    db.session.commit()
    assert deliver_due(row.next_attempt_at)["failed"] == 1
    db.session.refresh(row)
    assert row.last_error == "无法连接：对方拒绝连接"
    # rows written before, in urllib's words
    for text, error in (("旧消息一", "HTTP Error 500: Internal Server Error"),
                        ("旧消息二", "<urlopen error timed out>"),
                        ("旧消息三", "errcode 300001: token is not exist")):
        db.session.add(OutboxMessage(created_at=now, unit_id=city.street_b.id, kind="new_work", next_attempt_at=now,
                                     attempts=10, failed_at=now, last_error=error,
                                     payload_json=f'{{"msgtype": "text", "text": {{"content": "{text}"}}}}'))
    db.session.commit()
    page = browser(city.unit_b).get("/inbox/robot").get_data(as_text=True)
    assert "重试中（无法连接：对方拒绝连接）" in page
    assert "发送失败：对方服务器返回错误（HTTP 500）" in page and "发送失败：连接超时" in page
    assert "发送失败：机器人拒收（errcode 300001：“token is not exist”）" in page
    assert "HTTP Error" not in page and "urlopen" not in page


def test_the_daily_digest_goes_once_a_day_to_each_robot_and_the_office(app, robot, city, make_ticket, now):
    give_robot(city.street_b, robot.url, now)
    app.config["WEBHOOK_URL"] = robot.url
    make_ticket(point=City.ON_B, at_time=now - timedelta(days=3))  # overdue
    morning = at("2026-11-26T08:30:00+08:00")
    assert jobs.digest_job(morning) == 2
    assert jobs.digest_job(morning + timedelta(minutes=1)) == 0  # run twice: sent once
    assert deliver_due(morning)["sent"] == 2
    texts = sorted(m["text"]["content"] for m in robot.received)
    assert any(t.startswith("【每日提醒】乙街道办事处") and "已超期 1 件" in t for t in texts)
    assert any("待审核 0 件" in t and "超期未整改 1 件" in t for t in texts)
    assert jobs.digest_job(morning + timedelta(days=1)) == 2  # the next day, again
    assert jobs.is_digest_day(at("2026-11-28T08:30:00+08:00")) is False  # a Saturday


def test_escalation_letters_still_reach_the_office_robot_through_the_shared_outbox(app, robot, city, make_ticket,
                                                                                   now):
    app.config.update(WEBHOOK_URL=robot.url, ESCALATION_MODE="auto")  # the sweep issues letters by itself
    make_ticket(point=City.ON_B, at_time=now - timedelta(days=5))
    run_sweep(now)
    db.session.commit()
    assert deliver_due(now)["sent"] == 1
    assert robot.received[0]["text"]["content"].startswith("【督办函】")
    assert db.session.scalar(select(OutboxMessage.unit_id)) is None


def test_a_letter_reaches_the_units_robot_once(app, robot, city, make_ticket, now):
    # 签发 (here the auto-mode sweep's) tells the unit's robot of its letter at once; the news push a few minutes
    # later, with a new ticket in its window, does not tell it again
    give_robot(city.street_b, robot.url, now)
    app.config.update(ESCALATION_MODE="auto")
    make_ticket(point=City.ON_B, at_time=now - timedelta(days=5))
    run_sweep(now + timedelta(minutes=1))
    db.session.commit()
    assert jobs.push_job(now + timedelta(minutes=2)) == 0  # the letter alone: no news to push
    make_ticket(point=City.ON_B, at_time=now + timedelta(minutes=3))
    assert jobs.push_job(now + timedelta(minutes=5)) == 1
    assert deliver_due(now + timedelta(minutes=5))["sent"] == 2
    letter, news = (m["text"]["content"] for m in robot.received)
    number = re.search(r"临江文明督〔2026〕\d+号", letter).group()
    assert letter.startswith("【督办函】") and "向乙街道办事处发出" in letter
    assert news.startswith("【新问题】乙街道办事处") and "牛皮癣（主办）" in news
    assert number not in news and "督办函" not in news


def test_the_offices_review_of_a_key_task_reaches_the_lead_units_robot(app, robot, city, now):
    from inspect_app.keytasks import services as keytasks
    from inspect_app.keytasks.models import KeyTaskReport

    give_robot(city.street_b, robot.url, now)
    app.config["WEBHOOK_URL"] = robot.url
    task = keytasks.save_task(keytasks.TaskValues(2026, "6.1", "背街小巷", "路面平整，无乱堆乱放", "实地考察", "",
                                                  city.street_b, [], None), now - timedelta(days=30))
    db.session.flush()
    db.session.add(KeyTaskReport(task_id=task.id, unit_id=city.street_b.id, created_by_id=city.unit_b.id,
                                 created_at=now - timedelta(days=2), text="申请销号", progress=100, claims_done=True,
                                 verdict="returned", reviewed_at=now + timedelta(minutes=1),
                                 review_note="缺少巡查台账"))
    db.session.commit()
    assert jobs.push_job(now + timedelta(minutes=5)) == 1
    assert deliver_due(now + timedelta(minutes=5))["sent"] == 1
    text = robot.received[0]["text"]["content"]
    assert text.startswith("【任务提醒】乙街道办事处") and "提醒" in text  # the keyword a DingTalk robot is told
    assert "6.1 背街小巷：销号申请被退回（缺少巡查台账），请补充后重新申请" in text
    assert jobs.push_job(now + timedelta(minutes=10)) == 0  # told once
    task.status = "submitted"  # a new request waits for the office
    db.session.commit()
    from inspect_app.notices.services import office_digest_text
    assert "创建任务销号申请待审核 1 项" in office_digest_text(now)


# ----------------------------------------------------------------------------- decisions on a unit's work

def inbox_of(app, user, moment):
    """The unit's inbox items at `moment` (the service, with the clock passed in), as (kind, title, detail, unread)."""
    from inspect_app.notices.services import inbox

    with app.test_request_context():
        items = inbox(user, moment).items
    return [(i.kind, i.title, i.detail, i.unread) for i in items]


def unread_of(user, moment):
    from inspect_app.notices.services import unread_count

    return unread_count(user, moment)


def test_a_rework_reaches_the_units_inbox_with_its_reason_and_new_deadline(app, city, make_ticket, now):
    from inspect_app.common.timeutil import fmt
    from inspect_app.tickets import services

    ticket = make_ticket(point=City.ON_A)  # 牛皮癣, street A
    services.rectify(city.unit_a, ticket, now + timedelta(hours=1), "已清理", [processed()])
    services.reject(city.inspector, ticket, now + timedelta(hours=30), "墙面仍有残留")
    db.session.commit()
    items = inbox_of(app, city.unit_a, now + timedelta(hours=31))
    rework = [i for i in items if i[0] == "rework"]
    assert len(rework) == 1, items
    kind, title, detail, unread = rework[0]
    assert title == "整改被退回（返工）：牛皮癣"
    assert ticket.number in detail and "墙面仍有残留" in detail
    assert f"新期限 {fmt(ticket.deadline, '%m-%d %H:%M')}" in detail  # the rework time from the late check
    assert ticket.deadline == now + timedelta(hours=54)
    # unread, and counted in the menu's badge like every unread item (the ticket, its rework, its last day)
    assert unread and unread_of(city.unit_a, now + timedelta(hours=31)) == sum(i[3] for i in items) == 3
    assert all(ticket.number not in i[2] for i in inbox_of(app, city.unit_b, now + timedelta(hours=31)))
    assert unread_of(city.unit_b, now + timedelta(hours=31)) == 0


def test_a_late_rectification_sent_back_is_told_its_deadline_stands(app, city, make_ticket, now):
    """Reported after its deadline and sent back, the problem keeps its deadline (still 超期): the 消息 said 新期限
    for a date ten days past."""
    from inspect_app.common.timeutil import fmt
    from inspect_app.tickets import services

    ticket = make_ticket(point=City.ON_A)
    kept = ticket.deadline
    services.rectify(city.unit_a, ticket, kept + timedelta(hours=2), "已清理", [processed()])
    services.reject(city.inspector, ticket, kept + timedelta(hours=3), "墙面仍有残留")
    db.session.commit()
    rework = [i for i in inbox_of(app, city.unit_a, kept + timedelta(hours=4)) if i[0] == "rework"]
    assert ticket.deadline == kept and len(rework) == 1
    assert f"期限 {fmt(kept, '%m-%d %H:%M')}" in rework[0][2] and "新期限" not in rework[0][2]


def test_a_rework_reaches_an_assisting_unit_only_when_its_own_part_is_sent_back(app, city, make_ticket, now):
    from inspect_app.tickets import parts, services

    ticket = make_ticket(point=City.ON_A, category="spider_web")
    parts.add_unit(city.admin, ticket, now, city.street_b.id)
    db.session.commit()
    parts.rectify_part(city.unit_b, ticket, now + timedelta(hours=1), "乙已整改", [processed()])
    services.rectify(city.unit_a, ticket, now + timedelta(hours=2), "已整改", [processed()])
    services.reject(city.inspector, ticket, now + timedelta(hours=3), "主线仍下垂")  # the lead's part only
    db.session.commit()
    moment = now + timedelta(hours=4)
    assert [i[1] for i in inbox_of(app, city.unit_a, moment) if i[0] == "rework"] == ["整改被退回（返工）：蜘蛛网"]
    assert not [i for i in inbox_of(app, city.unit_b, moment) if i[0] == "rework"]

    services.rectify(city.unit_a, ticket, now + timedelta(hours=5), "再次整改", [processed()])
    services.reject(city.inspector, ticket, now + timedelta(hours=6), "乙单位线缆未捆扎",
                    reopen_unit_ids=[city.street_b.id])
    db.session.commit()
    moment = now + timedelta(hours=7)
    mine = [i for i in inbox_of(app, city.unit_b, moment) if i[0] == "rework"]
    assert len(mine) == 1 and "乙单位线缆未捆扎" in mine[0][2] and ticket.number in mine[0][2]
    assert len([i for i in inbox_of(app, city.unit_a, moment) if i[0] == "rework"]) == 2


def test_extension_decisions_reach_the_unit_that_asked(app, city, make_ticket, now):
    from inspect_app.common.timeutil import fmt
    from inspect_app.tickets import services

    ticket = make_ticket(point=City.ON_A, category="spider_web")
    services.request_extension(city.unit_a, ticket, now + timedelta(minutes=10), workdays=3, reason="需协调运营商")
    services.decide_extension(city.admin, ticket, now + timedelta(hours=1), True, "")
    db.session.commit()
    approved_until = ticket.deadline
    services.request_extension(city.unit_a, ticket, now + timedelta(hours=2), workdays=5, reason="还需时间")
    services.decide_extension(city.admin, ticket, now + timedelta(hours=3), False, "已延期一次，请按期完成")
    db.session.commit()
    items = inbox_of(app, city.unit_a, now + timedelta(hours=4))
    decided = [i for i in items if i[0] == "extension"]
    assert [i[1] for i in decided] == ["延期申请未同意：蜘蛛网", "延期申请已同意：蜘蛛网"], items
    assert f"新期限 {fmt(approved_until, '%m-%d %H:%M')}" in decided[1][2] and ticket.number in decided[1][2]
    assert "已延期一次，请按期完成" in decided[0][2]
    assert not [i for i in inbox_of(app, city.unit_b, now + timedelta(hours=4)) if i[0] == "extension"]


def test_a_refused_dispute_is_news_of_its_own_not_a_new_ticket(app, city, make_ticket, now):
    from inspect_app.notices.services import mark_seen
    from inspect_app.tickets import services

    kept = make_ticket(point=City.ON_A)
    moved = make_ticket(point=City.ON_A)
    services.dispute(city.unit_a, kept, now + timedelta(minutes=10), "不属于本单位路段")
    services.dispute(city.unit_a, moved, now + timedelta(minutes=10), "属乙街道辖区")
    mark_seen(city.unit_a, now + timedelta(minutes=20))
    mark_seen(city.unit_b, now + timedelta(minutes=20))
    services.reassign(city.admin, kept, now + timedelta(hours=1), city.street_a.id, "经核实属本单位责任路段")
    services.reassign(city.admin, moved, now + timedelta(hours=1), city.street_b.id, "")
    db.session.commit()
    moment = now + timedelta(hours=2)
    items = inbox_of(app, city.unit_a, moment)
    refused = [i for i in items if i[0] == "dispute" and kept.number in i[2]]
    assert [i[1] for i in refused] == ["退单未通过：牛皮癣"] and "经核实属本单位责任路段" in refused[0][2]
    assert not [i for i in items if i[0] == "ticket" and kept.number in i[2]]  # not "新问题" as well
    accepted = [i for i in items if i[0] == "dispute" and moved.number in i[2]]
    assert [i[1] for i in accepted] == ["退单已通过：牛皮癣"] and "乙街道办事处" in accepted[0][2]
    assert unread_of(city.unit_a, moment) == 2
    # the unit it went to gets a new ticket, and nothing of street A's dispute
    theirs = inbox_of(app, city.unit_b, moment)
    assert [i[1] for i in theirs] == ["新问题：牛皮癣（主办）"] and unread_of(city.unit_b, moment) == 1


def test_decisions_reach_the_units_robot_once(app, robot, city, make_ticket, now):
    from inspect_app.tickets import services

    give_robot(city.street_a, robot.url, now)
    give_robot(city.street_b, robot.url, now)
    reworked = make_ticket(point=City.ON_A)
    extended = make_ticket(point=City.ON_A, category="spider_web")
    kept = make_ticket(point=City.ON_A)
    services.rectify(city.unit_a, reworked, now + timedelta(minutes=1), "已清理", [processed()])
    services.reject(city.inspector, reworked, now + timedelta(minutes=2), "仍有残留")
    services.request_extension(city.unit_a, extended, now + timedelta(minutes=1), workdays=3, reason="需协调")
    services.decide_extension(city.admin, extended, now + timedelta(minutes=2), False, "理由不充分")
    services.dispute(city.unit_a, kept, now + timedelta(minutes=1), "不属于本单位")
    services.reassign(city.admin, kept, now + timedelta(minutes=2), city.street_a.id, "属本单位")
    db.session.commit()
    later = now + timedelta(minutes=5)
    assert jobs.push_job(later) == 1  # street A's; street B has no news
    assert jobs.push_job(later) == 0
    assert jobs.push_job(later + timedelta(minutes=5)) == 0  # told once
    assert deliver_due(later)["sent"] == 1
    text = robot.received[0]["text"]["content"]
    assert text.startswith("【整改提醒】甲街道办事处") and "新问题" not in text
    assert f"{reworked.number} 牛皮癣：整改被退回（返工）（仍有残留）" in text
    assert f"{extended.number} 蜘蛛网：延期申请未同意（理由不充分）" in text
    assert f"{kept.number} 牛皮癣：退单未通过（属本单位）" in text


def test_the_same_problem_reported_again_reaches_the_lead_unit(app, robot, city, make_ticket, now):
    """并案: a 12345 case merged into a ticket the unit leads and still owes is news for it (and its robot), with
    the deadline, which stands; not for an assisting unit, and not once the unit has reported its rectification."""
    from inspect_app.common.timeutil import fmt
    from inspect_app.intake import services as intake
    from inspect_app.intake.models import IntakeItem
    from inspect_app.tickets import parts, services

    give_robot(city.street_a, robot.url, now)
    ticket = make_ticket(point=City.ON_A)
    parts.add_unit(city.admin, ticket, now, city.street_b.id)
    done = make_ticket(point=City.ON_A)
    services.rectify(city.unit_a, done, now + timedelta(minutes=1), "已清理", [processed()])
    cases = []
    for n in (1, 2):
        case = IntakeItem(source="hotline", status="pending", case_number=f"GD20261201{n:02d}", description="小广告",
                          received_at=now, created_at=now, updated_at=now)
        db.session.add(case)
        cases.append(case)
    db.session.flush()
    intake.merge(city.admin, cases[0], {"ticket": ticket.number}, now + timedelta(minutes=2))
    intake.merge(city.admin, cases[1], {"ticket": done.number}, now + timedelta(minutes=2))
    db.session.commit()
    later = now + timedelta(minutes=5)
    repeat = [i for i in inbox_of(app, city.unit_a, later) if i[0] == "repeat"]
    assert repeat == [("repeat", "同一问题再次被反映：牛皮癣",
                       f"{ticket.number} · 并入12345热线工单 GD2026120101 · 期限 {fmt(ticket.deadline, '%m-%d %H:%M')}",
                       True)]
    assert not [i for i in inbox_of(app, city.unit_b, later) if i[0] == "repeat"]  # the assisting unit
    assert jobs.push_job(later) == 1 and deliver_due(later)["sent"] == 1
    text = robot.received[-1]["text"]["content"]
    assert f"{ticket.number} 牛皮癣：同一问题再次被反映（并入12345热线工单 GD2026120101），期限" in text
    assert done.number not in text


def test_the_unread_badge_reads_decisions_by_time_not_the_units_parts(app, city, make_ticket, now):
    """Every page a unit opens counts its news: the decisions on its work are read from the decisions since the
    clerk last looked (the partial index of those events), each probing the unit's part, not from every open or
    recently due part of a busy unit (12 ms at 1 M tickets). SQLite has no statistics to choose by; the plan is
    held here."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan checked is SQLite's; PostgreSQL plans by its statistics")
    from sqlalchemy import event

    from inspect_app.notices import services as notices
    make_ticket()
    seen = []

    def catch(conn, cursor, statement, params, context, many):
        seen.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        notices.unread_count(city.unit_a, now)
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    statement, params = seen[-1]
    plan = [row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
    # the decisions' count: its own subquery of the plan, from the partial index, then the part by its ticket
    start = next(i for i, line in enumerate(plan) if "ix_ticket_events_unit_decisions" in line)
    end = next((i for i in range(start, len(plan)) if "SUBQUERY" in plan[i]), len(plan))
    assert "SUBQUERY" in plan[start - 1], plan  # the first table read, not a probe inside another loop
    [part] = [line for line in plan[start:end] if "ticket_units" in line]
    assert "(ticket_id=?)" in part, plan
