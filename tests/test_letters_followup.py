"""What follows a letter: 约谈 and 问责 (a unit's history, the dashboard, figures for rankings), 回头看 re-checks,
and 回潮 (relapse) detection when a ticket is filed."""
from __future__ import annotations

import io

import pytest
from conftest import BEFORE_PHOTO, City, at, file_tuple, processed
from sqlalchemy import func, select

from inspect_app.common.errors import ServiceError
from inspect_app.escalation import compose, followup, signing, stats
from inspect_app.escalation.models import EscalationFile, Interview, Recheck, Referral
from inspect_app.extensions import db
from inspect_app.tickets import relapse
from inspect_app.tickets import services as ticket_services
from inspect_app.tickets.models import Ticket
from inspect_app.tickets.relapse import TicketRelapse

from test_letters import AFTER_REPLY_BY as LATER, FRIDAY, MONDAY, minimal_pdf


@pytest.fixture(autouse=True)
def clock(clock):
    """The suite's clock (conftest.clock), stopped at Monday 30 November 2026, 10:00."""
    clock.stop("2026-11-30T10:00:00+08:00")
    return clock


@pytest.fixture
def photo():
    return processed()


@pytest.fixture
def file_ticket(city, now, photo):
    def make(point=City.ON_A, category="niupixuan", at_time=None, reporter=None):
        report = ticket_services.NewReport(category=category, photos=[processed(BEFORE_PHOTO)], lat=point[0], lon=point[1])
        ticket, _ = ticket_services.create_ticket(reporter or city.inspector, report, at_time or now)
        db.session.commit()
        return ticket
    return make


@pytest.fixture
def letter(city, file_ticket):
    """An issued letter to street A with one overdue ticket."""
    ticket = file_ticket()
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [ticket.id]})
    signing.sign(city.leader, draft, at(FRIDAY))
    db.session.commit()
    return draft


def relapse_of(ticket_id: int):
    """The relapse this ticket is (回潮 of an earlier one), or None."""
    return relapse.links(ticket_id)[0]


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


# ----------------------------------------------------------------------------- 约谈 and 问责

def test_an_interview_is_scheduled_then_recorded(app, city, letter, browser):
    office = browser(city.admin)
    page = f"/letters/units/{city.street_a.id}"
    assert "安排约谈" in office.get(page).get_data(as_text=True)
    refused = office.submit(page, f"{page}/interviews", {"scheduled_at": "2026-12-01", "place": "会议室",
                                                          "attendees": "主要负责同志"})
    shown = refused.get_data(as_text=True)  # the page again, the form open as typed, the message beside it
    assert refused.status_code == 400 and "请填写约谈时间的日期和时间" in shown and 'value="主要负责同志"' in shown
    response = office.submit(page, f"{page}/interviews", {
        "scheduled_at": "2026-12-01T09:30", "place": "市文明办三楼会议室", "attendees": "甲街道办事处主任、分管副主任",
        "host": "市文明办主任", "letter_id": str(letter.id)})
    assert response.status_code == 303
    interview = db.session.scalar(select(Interview))
    assert interview.scheduled_at == at("2026-12-01T09:30:00+08:00") and interview.letter_id == letter.id
    # the record afterwards, with the minutes as a PDF
    record_url = f"/letters/interviews/{interview.id}/record"
    early = office.submit(page, record_url, {"held": "1", "record": "已约谈"}, multipart=True)
    assert early.status_code == 409 and fresh(Interview, interview.id).status == "scheduled"  # not yet held
    assert "约谈尚未开始" in early.get_data(as_text=True)


def test_an_interview_is_not_before_its_letter_and_one_past_asks_for_its_record(app, city, letter, browser):
    """A 约谈 entered afterwards (its time past) is fine, and the office is told to record it; one dated before
    the letter it follows was signed is a typing mistake, refused with what was typed kept."""
    office = browser(city.admin)
    page = f"/letters/units/{city.street_a.id}"
    fields = {"place": "市文明办三楼会议室", "attendees": "主要负责同志", "letter_id": str(letter.id)}
    early = office.submit(page, f"{page}/interviews", {**fields, "scheduled_at": "2026-11-20T09:30"})
    shown = early.get_data(as_text=True)
    assert early.status_code == 422 and f"约谈时间早于{letter.number}的签发时间" in shown
    assert 'value="市文明办三楼会议室"' in shown and db.session.scalar(select(Interview)) is None
    past = office.submit(page, f"{page}/interviews", {**fields, "scheduled_at": "2026-11-30T09:00"})
    assert past.status_code == 303
    told = office.get(past.headers["Location"]).get_data(as_text=True)
    assert "约谈时间已过，请在下方记录约谈结果" in told


def test_dates_sent_as_numbers_are_refused(app, city):
    """A JSON number is no date: refused with the field's message, not read as its digits."""
    with pytest.raises(ServiceError) as refused:
        followup.schedule_interview(city.admin, city.street_a.id, at(MONDAY), {
            "scheduled_at": 202612011000, "place": "会议室", "attendees": "主要负责同志"})
    assert refused.value.code == "invalid_scheduled_at"
    with pytest.raises(ServiceError) as refused:
        followup.refer(city.admin, city.street_a.id, at(MONDAY), {"referred_to": "市纪委监委", "reason": "x",
                                                                  "referred_at": 20261201})
    assert refused.value.code == "invalid_referred_at"


def test_interview_record_and_referral_show_in_the_history(app, city, letter, browser, clock):
    interview = followup.schedule_interview(city.admin, city.street_a.id, at(MONDAY), {
        "scheduled_at": "2026-12-01T09:30", "place": "市文明办三楼会议室", "attendees": "甲街道办事处主任"})
    db.session.commit()
    office = browser(city.admin)
    page = f"/letters/units/{city.street_a.id}"
    # refused forms come back as typed, open, the reason beside them: an interview not yet held...
    early = office.submit(page, f"/letters/interviews/{interview.id}/record", {"held": "1", "record": "约谈记录初稿"},
                          multipart=True)
    shown = early.get_data(as_text=True)
    assert early.status_code == 409 and "约谈记录初稿</textarea>" in shown and f'id="record-{interview.id}-error"' in shown
    # ... a referral dated tomorrow, a new interview without its place
    later = office.submit(page, f"{page}/referrals", {"referred_to": "市纪委监委", "referred_at": "2026-12-31",
                                                      "reason": "多次督办仍未整改", "letter_id": str(letter.id)})
    shown = later.get_data(as_text=True)
    assert later.status_code == 422 and "多次督办仍未整改</textarea>" in shown and 'id="refer-error"' in shown
    assert f'<option value="{letter.id}" selected>' in shown
    no_place = office.submit(page, f"{page}/interviews", {"scheduled_at": "2026-12-20T09:30", "place": "",
                                                          "attendees": "甲街道办事处主任"})
    assert no_place.status_code == 400 and 'value="甲街道办事处主任"' in no_place.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Referral.id))) == 0 and fresh(Interview, interview.id).record in ("", None)
    clock.set("2026-12-01T11:00:00+08:00")
    office = browser(city.admin)
    response = office.submit(page, f"/letters/interviews/{interview.id}/record",
                             {"held": "1", "record": "约谈甲街道办事处主任，要求三日内整改到位。",
                              "files": [(io.BytesIO(minimal_pdf()), "约谈记录.pdf")]}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    interview = fresh(Interview, interview.id)
    assert interview.status == "held" and interview.recorded_at == at("2026-12-01T11:00:00+08:00")
    [pdf] = interview.files
    assert pdf.kind == "pdf" and pdf.name == "约谈记录.pdf"
    got = office.get(f"/letters/interviews/{interview.id}/attachments/{pdf.id}")
    assert got.status_code == 200 and got.data == minimal_pdf()
    again = office.submit(page, f"/letters/interviews/{interview.id}/record", {"held": "0", "record": "x"})
    assert again.status_code == 409 and fresh(Interview, interview.id).status == "held"

    response = office.submit(page, f"{page}/referrals", {"referred_to": "市纪委监委", "referred_at": "2026-12-01",
                                                         "reason": "经约谈后仍未整改到位", "letter_id": str(letter.id)})
    assert response.status_code == 303
    referral = db.session.scalar(select(Referral))
    assert referral.referred_to == "市纪委监委" and referral.outcome == ""
    office.submit(page, f"/letters/referrals/{referral.id}/outcome", {"outcome": "对分管负责同志诫勉谈话"})
    assert fresh(Referral, referral.id).outcome == "对分管负责同志诫勉谈话"
    # recorded once: a second post (a double click, an old tab) does not overwrite it
    over = office.submit(page, f"/letters/referrals/{referral.id}/outcome", {"outcome": "不予处理"})
    assert over.status_code == 303 and fresh(Referral, referral.id).outcome == "对分管负责同志诫勉谈话"
    bad = office.submit(page, f"{page}/referrals", {"referred_to": "", "reason": "x"})
    assert bad.status_code == 400 and db.session.scalar(select(func.count(Referral.id))) == 1

    history = office.get(page).get_data(as_text=True)
    for expected in ("约谈甲街道办事处主任", "已约谈", "市纪委监委", "诫勉谈话", letter.number, "约谈记录.pdf"):
        assert expected in history, expected
    leader = browser(city.leader)
    leader_view = leader.get(page).get_data(as_text=True)
    assert "诫勉谈话" in leader_view and "记录问责移交" not in leader_view  # leaders read, the office writes
    assert browser(city.unit_a).get(page).status_code == 403
    assert leader.get(f"/letters/interviews/{interview.id}/attachments/{pdf.id}").status_code == 200

    counts = stats.unit_counts(at("2026-12-01"), at("2027-01-01"), at("2026-12-02T10:00"))
    assert counts[city.street_a.id].interviews == 1 and counts[city.street_a.id].referrals == 1
    assert city.street_b.id not in counts
    figures = stats.dashboard_figures(at("2026-12-02T10:00"), at("2026-12-01"), at("2027-01-01"))
    assert figures["interviews"] == 1 and figures["referrals"] == 1 and figures["open_letters"] == 1
    # sent as one statement of subqueries: each must count what it counts when sent alone
    assert figures == _dashboard_figures_one_by_one(at("2026-12-02T10:00"), at("2026-12-01"), at("2027-01-01"))


def test_a_scheduled_interview_reaches_the_unit_and_no_other(app, city, file_ticket, browser, api, clock):
    """(QA) The office scheduled a 约谈 for a letter and the unit found it nowhere: not in its inbox, not on the
    letter's page, no robot message. Now the unit is told when, where and who attends (inbox, robot, the letter's
    page, the API), and of a cancellation; another 主送 unit of the same letter sees none of it, and the office's
    record stays the office's."""
    from inspect_app.notices.services import unread_count
    from inspect_app.outbox.models import OutboxMessage, UnitRobot

    both = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [file_ticket().id,
                                                                         file_ticket(point=City.ON_B).id]})
    signing.sign(city.leader, both, at(FRIDAY))
    db.session.add(UnitRobot(unit_id=city.street_a.id, url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a",
                             enabled=True, updated_at=at(FRIDAY), pushed_until=at(MONDAY)))
    db.session.commit()
    before = unread_count(city.unit_a, at(MONDAY))
    office = browser(city.admin)
    page = f"/letters/units/{city.street_a.id}"
    response = office.submit(page, f"{page}/interviews", {
        "scheduled_at": "2026-12-10T15:00", "place": "市政府1号楼203会议室", "attendees": "单位主要负责同志",
        "host": "市文明办主任", "letter_id": str(both.id)})
    assert response.status_code == 303
    interview = db.session.scalar(select(Interview))
    when = "2026年12月10日（周四）15:00"
    assert unread_count(city.unit_a, at(MONDAY)) == before + 1
    clerk, other = browser(city.unit_a), browser(city.unit_b)
    inbox = clerk.get("/inbox").get_data(as_text=True)
    assert "约谈通知" in inbox and f"{when} · 市政府1号楼203会议室 · 参加：单位主要负责同志 · {both.number}" in inbox
    assert f'href="/letters/{both.id}"' in inbox and 'id="interviews"' in inbox  # and under 约谈安排
    shown = clerk.get(f"/letters/{both.id}").get_data(as_text=True)
    assert "约谈安排" in shown and when in shown and "市政府1号楼203会议室" in shown and "待约谈" in shown
    [told] = api.get(f"/api/v1/letters/{both.id}", city.unit_a).get_json()["interviews"]
    assert told["place"] == "市政府1号楼203会议室" and told["status"] == "scheduled" and "record" not in told
    [message] = db.session.scalars(select(OutboxMessage))
    assert message.unit_id == city.street_a.id and message.kind == "interview"
    text = message.payload["text"]["content"]
    assert text.startswith("【约谈提醒】甲街道办事处") and when in text and "请单位主要负责同志准时参加" in text
    # street B is a 主送 of the same letter: it sees the letter, not street A's 约谈
    for body in (other.get(f"/letters/{both.id}").get_data(as_text=True), other.get("/inbox").get_data(as_text=True)):
        assert "市政府1号楼203会议室" not in body and "约谈安排" not in body
    assert api.get(f"/api/v1/letters/{both.id}", city.unit_b).get_json()["interviews"] == []

    # cancelled: told again, without the office's reason
    clock.set("2026-12-01T09:00:00+08:00")
    office = browser(city.admin)
    cancelled = office.submit(page, f"/letters/interviews/{interview.id}/record", {"held": "0", "record": "主任出差"},
                              multipart=True)
    assert cancelled.status_code == 303
    clerk = browser(city.unit_a)
    inbox = clerk.get("/inbox").get_data(as_text=True)
    assert "约谈已取消" in inbox and f"原定{when}" in inbox and "主任出差" not in inbox
    shown = clerk.get(f"/letters/{both.id}").get_data(as_text=True)
    assert "已取消" in shown and "主任出差" not in shown
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2

    # one held, recorded: the unit reads 已约谈, not the record; one entered after it took place is no news
    followup.schedule_interview(city.admin, city.street_a.id, at("2026-12-01T09:00"), {
        "scheduled_at": "2026-11-30T16:00", "place": "市文明办三楼会议室", "attendees": "分管负责同志",
        "letter_id": both.id})
    held = followup.record_interview(city.admin, db.session.scalar(select(Interview).where(
        Interview.status == "scheduled")), at("2026-12-01T09:00"), {"held": "1", "record": "要求三日内整改到位"})
    db.session.commit()
    assert held.status == "held" and db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    clerk = browser(city.unit_a)
    assert "市文明办三楼会议室" not in clerk.get("/inbox").get_data(as_text=True).split('id="interviews"')[0]
    shown = clerk.get(f"/letters/{both.id}").get_data(as_text=True)
    assert "已约谈" in shown and "要求三日内整改到位" not in shown


def _dashboard_figures_one_by_one(now, start, end) -> dict:
    from inspect_app.escalation.models import Letter
    from inspect_app.escalation.proposals import count_open

    count = lambda model, *where: db.session.scalar(select(func.count(model.id)).where(*where))  # noqa: E731
    return {
        "proposals": count_open(now),
        "drafts": count(Letter, Letter.status == "draft"),
        "open_letters": count(Letter, Letter.status == "issued"),
        "overdue_replies": stats.overdue_replies_now(now),
        "open_bulletins": count(Letter, Letter.status == "issued", Letter.kind == "bulletin"),
        "overdue_bulletins": db.session.scalar(stats.overdue_replies_query(now).where(Letter.kind == "bulletin")),
        "interviews": count(Interview, Interview.status != "cancelled", Interview.scheduled_at >= start,
                            Interview.scheduled_at < end),
        "interviews_upcoming": count(Interview, Interview.status == "scheduled", Interview.scheduled_at >= now),
        "referrals": count(Referral, Referral.referred_at >= start, Referral.referred_at < end),
        "relapses": count(TicketRelapse, TicketRelapse.created_at >= start, TicketRelapse.created_at < end),
        "rechecks_due": count(Recheck, Recheck.status == "open", Recheck.due_at <= now),
        "issued": count(Letter, Letter.issued_at >= start, Letter.issued_at < end),
    }


def test_the_dashboard_shows_escalation_figures(app, city, letter, browser):
    followup.refer(city.admin, city.street_a.id, at(MONDAY), {"referred_to": "市纪委监委", "reason": "整改不力"})
    db.session.commit()
    page = browser(city.leader).get("/dashboard/").get_data(as_text=True)
    assert "问责" in page and "逾期未回复" in page


# ----------------------------------------------------------------------------- 回头看

def test_recheck_queued_done_and_failed(app, city, letter, browser, clock, photo):
    [item] = letter.items
    ticket = item.ticket
    ticket_services.rectify(city.unit_a, ticket, at(MONDAY), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, ticket.id), at(MONDAY), "")
    db.session.commit()
    office = browser(city.admin)
    detail = f"/letters/{letter.id}"
    assert "安排回头看" in office.get(detail).get_data(as_text=True)
    response = office.submit(detail, f"{detail}/rechecks", {"ticket_ids": str(ticket.id), "days": "10",
                                                            "inspector_id": str(city.inspector.id)})
    assert response.status_code == 303
    recheck = db.session.scalar(select(Recheck))
    assert recheck.due_at == at("2026-12-10T00:00:00+08:00") and recheck.inspector_id == city.inspector.id
    office.submit(detail, f"{detail}/rechecks", {"ticket_ids": str(ticket.id)})  # again: nothing new
    assert db.session.scalar(select(func.count(Recheck.id))) == 1

    inspector = browser(city.inspector)
    assert f"/rechecks/{recheck.id}" in inspector.get("/rechecks").get_data(as_text=True)
    assert browser(city.inspector2).get(f"/rechecks/{recheck.id}").status_code == 404  # another's task
    assert browser(city.unit_a).get("/rechecks").status_code == 403
    page = f"/rechecks/{recheck.id}"
    early = inspector.submit(page, page, {"passed": "1"})
    assert early.status_code == 303 and fresh(Recheck, recheck.id).status == "open"  # not due yet
    clock.set("2026-12-10T10:00:00+08:00")
    inspector = browser(city.inspector)  # signed in again: the session of 30 November has expired
    no_photo = inspector.submit(page, page, {"passed": "0", "note": "又有小广告"}, multipart=True)
    assert no_photo.status_code == 400 and fresh(Recheck, recheck.id).status == "open"
    shown = no_photo.get_data(as_text=True)  # the page again: the reason beside the form, the note as typed
    assert "复查未通过，请上传现场照片。" in shown and ">又有小广告</textarea>" in shown
    broken = inspector.submit(page, page, {"passed": "0", "note": "又有小广告", "photos": [
        (io.BytesIO(b"not a photo at all"), "x.jpg", "image/jpeg")]}, multipart=True)
    assert broken.status_code in (400, 415, 422) and ">又有小广告</textarea>" in broken.get_data(as_text=True)
    assert fresh(Recheck, recheck.id).status == "open" and db.session.scalar(select(func.count(Ticket.id))) == 1
    failed = inspector.submit(page, page, {"passed": "0", "note": "电线杆上又贴满小广告", "photos": [file_tuple()]},
                              multipart=True)
    assert failed.status_code == 303, failed.get_data(as_text=True)[:300]
    recheck = fresh(Recheck, recheck.id)
    assert recheck.status == "failed" and recheck.new_ticket_id
    new = db.session.get(Ticket, recheck.new_ticket_id)
    assert new.category_id == ticket.category_id and new.unit_id == city.street_a.id and new.source == "spot_check"
    assert "回头看" in new.description and ticket.number in new.description
    link = relapse_of(new.id)
    assert link.earlier_id == ticket.id
    page_text = inspector.get(f"/tickets/{new.id}").get_data(as_text=True)
    assert "回潮" in page_text and ticket.number in page_text
    done = inspector.submit(page, page, {"passed": "1"})
    assert done.status_code == 303 and fresh(Recheck, recheck.id).status == "failed"


def _fail_recheck(city, letter, clock) -> int:
    """The letter's closed problem queued for 回头看 (10 days on) and failed there with a photo: the new ticket's id."""
    [recheck] = followup.queue_rechecks(city.admin, fresh(type(letter), letter.id), at(MONDAY), days=10)
    db.session.commit()
    clock.set("2026-12-10T10:00:00+08:00")
    followup.do_recheck(city.inspector, recheck, at("2026-12-10T10:00:00+08:00"), "0", "又贴上了",
                        photos=[processed()])
    db.session.commit()
    return fresh(Recheck, recheck.id).new_ticket_id


def test_a_relapse_found_by_recheck_is_marked_so(app, city, letter, browser, clock, photo):
    """回头看 failed: the new ticket is the 回潮 of the re-checked one, found by the re-check (the filing's own search
    linked it first, as found by filing, and the re-check's link was ignored: the pages never said 回头看发现)."""
    [item] = letter.items
    ticket = item.ticket
    ticket_services.rectify(city.unit_a, ticket, at(MONDAY), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, ticket.id), at(MONDAY), "")
    new_id = _fail_recheck(city, letter, clock)
    link = relapse_of(new_id)
    assert (link.earlier_id, link.found_by) == (ticket.id, "recheck")
    assert "回头看发现" in browser(city.admin).get(f"/tickets/{new_id}").get_data(as_text=True)
    assert "（回头看发现）" in browser(city.admin).get(f"/letters/units/{city.street_a.id}").get_data(as_text=True)


def _closed_in_two_letters(city, letter, photo):
    """The letter's ticket put in a 挂牌督办 letter too, then rectified and closed: (its item, the ticket, the
    second letter). The 挂牌督办 once the 督办函's time has run out (reply by Wednesday 2 December)."""
    [item] = letter.items
    ticket = item.ticket
    listed = compose.create_draft(city.admin, at(LATER), {"ticket_ids": [ticket.id], "level": 2})
    signing.sign(city.leader, listed, at(LATER))
    ticket_services.rectify(city.unit_a, fresh(Ticket, ticket.id), at(LATER), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, ticket.id), at(LATER), "")
    return item, ticket, listed


def test_a_ticket_in_two_letters_is_rechecked_once(app, city, letter, clock, photo):
    """督办 then 挂牌督办: the same problem is in both letters. Clearing it in each must not send an inspector to the
    same spot twice, nor let a second 未通过 file the same 回潮 again."""
    item, ticket, listed = _closed_in_two_letters(city, letter, photo)
    db.session.commit()
    assert len(followup.queue_rechecks(city.admin, fresh(type(letter), letter.id), at(LATER))) == 1
    assert followup.queue_rechecks(city.admin, fresh(type(listed), listed.id), at(LATER)) == []  # already queued
    db.session.commit()
    [recheck] = db.session.scalars(select(Recheck)).all()
    assert recheck.letter_id == letter.id and recheck.ticket_id == ticket.id
    # once that re-check is done, a later letter may send someone again
    recheck.status, recheck.done_at = "passed", at(LATER)
    db.session.commit()
    assert len(followup.queue_rechecks(city.admin, fresh(type(listed), listed.id), at(LATER))) == 1


def test_a_duplicate_recheck_left_from_before_is_done_with_the_first(app, city, letter, clock, photo):
    """Databases from before one re-check per problem may hold two open ones for a problem: doing one does both."""
    item, ticket, listed = _closed_in_two_letters(city, letter, photo)
    for each in (letter, listed):  # as the old code queued them
        db.session.add(Recheck(letter_id=each.id, ticket_id=ticket.id, unit_id=item.unit_id, due_at=at(LATER),
                               created_at=at(LATER)))
    db.session.commit()
    first, second = db.session.scalars(select(Recheck).order_by(Recheck.id)).all()
    followup.do_recheck(city.inspector, first, at("2026-12-07T10:00:00+08:00"), "0", "又贴上了",
                        photos=[processed()])
    db.session.commit()
    first, second = fresh(Recheck, first.id), fresh(Recheck, second.id)
    assert first.status == second.status == "failed" and first.new_ticket_id == second.new_ticket_id
    assert f"#{first.id}" in second.note
    assert db.session.scalar(select(func.count(relapse.TicketRelapse.id))) == 1  # one 回潮, not two


def test_a_recheck_of_an_inspector_since_disabled_is_flagged_open_to_all_and_reassigned(app, city, letter, browser,
                                                                                         clock, photo):
    """A 回头看 given to an inspector who is then disabled (or no longer an inspector) waited on nobody: out of every
    other inspector's list, 404 for them, and no 改派. It is open to every inspector now, the office sees it flagged
    and 改派s it (to one inspector or to any), and the 操作日志 says from whom to whom."""
    from conftest import PASSWORD

    from inspect_app.audit.models import AuditEntry
    from inspect_app.auth.services import create_user
    from inspect_app.office.accounts import set_account_active

    [item] = letter.items
    ticket = item.ticket
    ticket_services.rectify(city.unit_a, ticket, at(MONDAY), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, ticket.id), at(MONDAY), "")
    [recheck] = followup.queue_rechecks(city.admin, fresh(type(letter), letter.id), at(MONDAY), days=1,
                                        inspector_id=city.inspector2.id)
    db.session.commit()
    page = f"/rechecks/{recheck.id}"
    assert browser(city.inspector).get(page).status_code == 404  # inspector2's, in post
    clock.set("2026-12-01T10:00:00+08:00")
    set_account_active(city.inspector2, False, city.admin)
    db.session.commit()

    inspector = browser(city.inspector)
    assert page in inspector.get("/rechecks").get_data(as_text=True)
    assert followup.count_due(city.inspector, at("2026-12-01T10:00:00+08:00")) == 1  # the menu's count too
    assert inspector.get(page).status_code == 200
    office = browser(city.admin)
    listed = office.get("/rechecks").get_data(as_text=True)
    assert "有 1 个回头看任务分配给了已停用的督查员" in listed and "（已停用）" in listed

    gone = office.submit("/rechecks", f"{page}/assign", {"inspector_id": str(city.inspector2.id)})
    assert gone.status_code == 303 and fresh(Recheck, recheck.id).inspector_id == city.inspector2.id  # refused
    assert office.get("/rechecks").status_code == 200
    moved = office.submit("/rechecks", f"{page}/assign", {"inspector_id": str(city.inspector.id)})
    assert moved.status_code == 303 and fresh(Recheck, recheck.id).inspector_id == city.inspector.id
    listed = office.get("/rechecks").get_data(as_text=True)
    assert "已改派给" in listed and "已停用的督查员" not in listed
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reassign")).all()
    assert (entry.kind, entry.actor) == ("escalation", city.admin.username)
    assert entry.target == f"回头看 #{recheck.id} · {ticket.number}"
    assert entry.detail == "督查员：inspector2（inspector2，已停用） → inspector（inspector）"
    assert "改派" in office.get("/audit?kind=escalation").get_data(as_text=True)

    # the one now given it becomes a leader: no longer an inspector, so flagged again and open to every inspector
    user = fresh(type(city.inspector), city.inspector.id)
    user.role = "leader"
    db.session.commit()
    assert "（不是督查员）" in office.get("/rechecks").get_data(as_text=True)
    third = create_user("inspector3", "inspector", PASSWORD, at(MONDAY))
    db.session.commit()
    assert page in browser(third).get("/rechecks").get_data(as_text=True)
    assert office.submit("/rechecks", f"{page}/assign", {"inspector_id": ""}).status_code == 303  # 不指定
    assert fresh(Recheck, recheck.id).inspector_id is None
    assert office.submit("/rechecks", f"{page}/assign", {}).status_code == 303  # no choice sent: refused, kept
    assert fresh(Recheck, recheck.id).inspector_id is None
    with pytest.raises(ServiceError) as missing:
        followup.reassign_recheck(city.admin, fresh(Recheck, recheck.id), at("2026-12-01T10:00:00+08:00"), None)
    assert missing.value.status == 400
    done = fresh(Recheck, recheck.id)
    done.status, done.done_at = "passed", at("2026-12-01T10:00:00+08:00")
    db.session.commit()
    with pytest.raises(ServiceError) as finished:
        followup.reassign_recheck(city.admin, fresh(Recheck, recheck.id), at("2026-12-01T10:00:00+08:00"),
                                  str(city.inspector2.id))
    assert finished.value.status == 409


def test_recheck_needs_closed_items(app, city, letter):
    with pytest.raises(Exception) as refused:
        followup.queue_rechecks(city.admin, letter, at(MONDAY))
    assert getattr(refused.value, "status", None) == 409


# ----------------------------------------------------------------------------- 回潮

def test_a_new_ticket_near_a_closed_one_is_a_relapse(app, city, file_ticket, photo, now):
    old = file_ticket()
    ticket_services.rectify(city.unit_a, old, at("2026-11-25T12:00"), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, old.id), at("2026-11-25T14:00"), "")
    db.session.commit()
    near = (City.ON_A[0] + 0.0002, City.ON_A[1])  # about 22 m north
    again = file_ticket(near, at_time=at("2026-12-05T10:00"))
    link = relapse_of(again.id)
    assert link is not None and link.earlier_id == old.id and 15 <= link.distance_m <= 30 and link.days == 9
    assert link.unit_id == city.street_a.id
    # another category, too far, too late: none
    assert relapse_of(file_ticket(near, category="spider_web", at_time=at("2026-12-05T11:00")).id) is None
    assert relapse_of(file_ticket((City.ON_A[0] + 0.001, City.ON_A[1]),
                                          at_time=at("2026-12-05T11:00")).id) is None  # ~110 m
    assert relapse_of(file_ticket(near, at_time=at("2027-01-10T10:00")).id) is None  # 46 days
    # settings: a wider radius finds the far one
    app.config["RELAPSE_RADIUS_M"] = 200
    assert relapse_of(file_ticket((City.ON_A[0] + 0.001, City.ON_A[1]),
                                          at_time=at("2026-12-06T11:00")).id) is not None
    app.config["RELAPSE_RADIUS_M"] = 0
    assert relapse_of(file_ticket(near, at_time=at("2026-12-06T12:00")).id) is None
    counts = stats.unit_counts(at("2026-12-01"), at("2027-01-01"), at("2026-12-07"))
    assert counts[city.street_a.id].relapses == 2
    assert db.session.scalar(select(func.count(TicketRelapse.id))) == 2


def test_an_open_ticket_nearby_is_no_relapse(app, city, file_ticket):
    file_ticket()
    assert relapse_of(file_ticket(at_time=at("2026-11-26T10:00")).id) is None


def test_a_retry_that_loses_to_its_twin_leaves_nothing(app, city, file_ticket, photo, now, uploads):
    """A retry that passed the early replay check while its twin was still filing: create_ticket builds the ticket
    (events, parts, deadline, the relapse link) before taking the number, then finds the twin and drops all of it."""
    old = file_ticket()
    ticket_services.rectify(city.unit_a, old, at("2026-11-25T12:00"), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, old.id), at("2026-11-25T14:00"), "")
    db.session.commit()
    near = (City.ON_A[0] + 0.0002, City.ON_A[1])

    def report(key="walk-7", fingerprint="the same report"):
        return ticket_services.NewReport(category="niupixuan", photos=[processed(BEFORE_PHOTO)], lat=near[0],
                                         lon=near[1], idempotency_key=key, fingerprint=fingerprint)

    def count():
        return {t: db.session.execute(db.text(f"SELECT COUNT(*) FROM {t}")).scalar()
                for t in ("tickets", "ticket_events", "ticket_units", "photos", "ticket_relapses")}

    first, created = ticket_services.create_ticket(city.inspector, report(), at("2026-12-05T10:00"))
    db.session.commit()
    assert created and relapse_of(first.id).earlier_id == old.id
    before, files = count(), sorted(uploads.rglob("*.jpg"))
    counter = db.session.execute(db.text("SELECT value FROM counters WHERE name = 'ticket'")).scalar()

    again, created = ticket_services.create_ticket(city.inspector, report(), at("2026-12-05T10:01"))
    assert not created and again.id == first.id and not db.session.new
    with pytest.raises(ServiceError) as refused:  # the same key with another report: 422, and nothing left behind
        ticket_services.create_ticket(city.inspector, report(fingerprint="another"), at("2026-12-05T10:01"))
    assert refused.value.code == "idempotency_key_reused" and not db.session.new
    db.session.flush()
    db.session.commit()
    assert count() == before and sorted(uploads.rglob("*.jpg")) == files
    assert db.session.execute(db.text("SELECT value FROM counters WHERE name = 'ticket'")).scalar() == counter
    # and the next filing takes the next number
    nxt, _ = ticket_services.create_ticket(city.inspector, report(key=None), at("2026-12-05T10:02"))
    assert nxt.seq == first.seq + 1 and nxt.number.endswith(f"{first.seq + 1:06d}")


def test_relapse_links_are_shown_only_to_who_may_see_them(app, city, file_ticket, photo, browser):
    old = file_ticket(City.ON_B)  # street B's
    ticket_services.rectify(city.unit_b, old, at("2026-11-25T12:00"), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, old.id), at("2026-11-25T14:00"), "")
    db.session.commit()
    again = file_ticket(City.ON_B, at_time=at("2026-11-28T10:00"))
    ticket_services.reassign(city.admin, fresh(Ticket, again.id), at("2026-11-28T11:00"), city.street_a.id, "改派")
    db.session.commit()
    page = browser(city.unit_a).get(f"/tickets/{again.id}").get_data(as_text=True)
    assert old.number not in page  # street A cannot see street B's ticket, so no link to it
    assert old.number in browser(city.admin).get(f"/tickets/{again.id}").get_data(as_text=True)


def test_letter_files_of_other_units_are_hidden(app, city, letter, api):
    from test_letters import file_tuple as photo_file

    response = api.post(f"/api/v1/letters/{letter.id}/reply", city.unit_a, data={"text": "已整改", "files": [photo_file()]},
                        content_type="multipart/form-data")
    file_id = response.get_json()["files"][0]["id"]
    assert api.get(f"/api/v1/letters/{letter.id}/files/{file_id}", city.unit_b).status_code == 404
    assert api.get(f"/api/v1/letters/{letter.id}/files/{file_id}", city.inspector).status_code == 200
    assert db.session.scalar(select(func.count(EscalationFile.id))) == 1


def test_a_failed_recheck_files_the_problem_again_for_the_unit_it_is_charged_to(app, city, letter, clock, photo):
    """The problem was the unit's it had been given to (改派 to 乙街道, not the segment's 属地 甲街道): a failed 回头看
    charged the 回潮 to 乙街道 but dispatched the new ticket by the segment to 甲街道, which owed nothing."""
    [item] = letter.items
    ticket = item.ticket
    ticket_services.reassign(city.admin, fresh(Ticket, ticket.id), at(MONDAY), city.street_b.id, "属乙街道")
    ticket_services.rectify(city.unit_b, fresh(Ticket, ticket.id), at(MONDAY), "已清理", [photo])
    ticket_services.approve(city.inspector, fresh(Ticket, ticket.id), at(MONDAY), "")
    new = fresh(Ticket, _fail_recheck(city, letter, clock))
    assert fresh(Ticket, ticket.id).segment.unit_id == city.street_a.id  # the segment's 属地: not whose it was
    assert new.unit_id == city.street_b.id and relapse_of(new.id).earlier_id == ticket.id
    dispatched = [e for e in new.events if e.action == "dispatch"]
    assert dispatched and "派原责任单位" in (dispatched[0].note or "")


def test_lists_cut_at_fifty_break_ties_of_time_by_id(app, city, letter, file_ticket):
    """QA on PostgreSQL: 复查 done at the same minute, two 约谈 set for the same hour and 回潮 found together showed in
    another order after any UPDATE of their rows (PostgreSQL's heap order), and where the list is cut at 50, which
    ones appeared at all was arbitrary. The newest first, then the higher id first, on both databases."""
    tickets = [file_ticket() for _ in range(3)]
    same = at("2026-11-27T16:30:00+08:00")
    rechecks = [Recheck(letter_id=letter.id, ticket_id=t.id, unit_id=city.street_a.id, due_at=same, created_at=same,
                        status="passed", done_at=same) for t in tickets]
    interviews = [Interview(unit_id=city.street_a.id, scheduled_at=same, place="会议室", attendees="主任",
                            created_at=same) for _ in tickets]
    relapses = [TicketRelapse(ticket_id=t.id, earlier_id=letter.items[0].ticket_id, unit_id=city.street_a.id, days=3,
                              created_at=same) for t in tickets]
    db.session.add_all(rechecks + interviews + relapses)
    db.session.commit()
    for model in (Recheck, Interview, TicketRelapse):  # PostgreSQL writes the updated row at the heap's end
        db.session.execute(model.__table__.update().where(model.id == min(r.id for r in (
            rechecks if model is Recheck else interviews if model is Interview else relapses))).values(id=model.id))
    db.session.commit()
    newest_first = lambda rows: sorted((r.id for r in rows), reverse=True)  # noqa: E731
    assert [r.id for r in followup.rechecks_for(city.admin, at(LATER), done=True)] == newest_first(rechecks)
    history = stats.unit_history(city.street_a.id)
    assert [r.id for r in history["rechecks"]] == newest_first(rechecks)
    assert [i.id for i in history["interviews"]] == newest_first(interviews)
    assert [r.id for r in history["relapses"]] == newest_first(relapses)
