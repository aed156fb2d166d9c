"""What follows a letter: 约谈 (scheduled, then held with its record, or cancelled), 问责 (a referral to an organ
and what came of it), and 回头看 (closed items checked again on the spot N days later: passed, or filed again as
a new ticket linked to the old one as a 回潮)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, func, or_, select, true, update

from ..auth.models import User
from ..common.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..common.flags import flag
from ..common.ids import MAX_ID
from ..common.sql import const
from ..common.text import clean_text
from ..common.timeutil import fmt, fmt_cn_date, local, local_midnight
from ..extensions import db
from ..policy import ADMIN, INSPECTOR, LEADERSHIP, OFFICE, UNITS, VERIFIERS, has_role
from ..tickets.services import NewReport, create_ticket
from ..units.models import Unit
from . import inputs, notify, uploads
from .models import Interview, Letter, Recheck, Referral
from .services import reader_units


def _office(user, what: str) -> None:
    if not has_role(user, OFFICE):
        raise Forbidden(f"只有文明办可以{what}。")


def _unit(unit_id) -> Unit:
    unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None:
        raise NotFound("责任单位不存在。", code="unit_not_found")
    return unit


def _letter_for(unit: Unit, letter_id) -> Letter | None:
    letter_id = inputs.integer(letter_id, "督办函", 1, MAX_ID, "invalid_letter_id")
    if letter_id is None:
        return None
    letter = db.session.get(Letter, letter_id)
    if letter is None or letter.status == "draft" or unit.id not in letter.unit_ids:
        raise Invalid("所选督办函不存在、尚未签发或未主送该单位。", code="invalid_letter")
    return letter


def _required(value, what: str, limit: int, multiline: bool = False) -> str:
    text = clean_text(value, what, limit, multiline=multiline)
    if not text:
        raise BadRequest(f"请填写{what}。", code="field_required")
    return text


# ----------------------------------------------------------------------------- 约谈

def schedule_interview(user, unit_id, now: datetime, fields) -> Interview:
    """The unit is told (its inbox reads the interview; its robot gets a message here): when, where, who attends.
    A time already past (up to 30 days: a 约谈 held before it was entered) waits for its record; it cannot come
    before the letter it follows was signed."""
    _office(user, "安排约谈")
    unit = _unit(unit_id)
    when = inputs.moment(fields.get("scheduled_at"), "约谈时间", "invalid_scheduled_at")
    if when is None:
        raise BadRequest("请填写约谈时间。", code="field_required")
    if not now - timedelta(days=30) <= when <= now + timedelta(days=366):
        raise Invalid("约谈时间应在近30天至一年之内。", code="invalid_scheduled_at")
    letter = _letter_for(unit, fields.get("letter_id"))
    if letter is not None and letter.issued_at is not None and when < letter.issued_at:
        raise Invalid(f"约谈时间早于{letter.number}的签发时间（{fmt(letter.issued_at)}），请核对约谈时间或所依据的文书。",
                      code="invalid_scheduled_at")
    interview = Interview(unit=unit, letter=letter, scheduled_at=when,
                          place=_required(fields.get("place"), "约谈地点", 100),
                          attendees=_required(fields.get("attendees"), "参加人员", 500),
                          host=clean_text(fields.get("host"), "约谈人", 200),
                          created_at=now, created_by_id=user.id)
    db.session.add(interview)
    db.session.flush()
    notify.enqueue_interview(interview, now)
    return interview


def record_interview(user, interview: Interview, now: datetime, fields, files=()) -> Interview:
    """The record afterwards (held: the record text, with the minutes as PDF or photos; the office's own), or a
    cancellation, which the unit is told of as it was of the 约谈 (without the office's reason)."""
    _office(user, "记录约谈")
    if interview.status != "scheduled":
        raise Conflict("该约谈已记录。", code="interview_recorded")
    held = flag(fields.get("held"), "held", True, label="是否已约谈（held）")
    if held:
        if interview.scheduled_at > now:
            raise Conflict("约谈尚未开始，不能记录。", code="interview_not_held")
        interview.record = _required(fields.get("record"), "约谈记录", 5000, multiline=True)
        attached = uploads.read_files(list(files or ()), now=now, user=user)
        uploads.store(attached, now, interview=interview)
        interview.status = "held"
    else:
        interview.record = _required(fields.get("record"), "取消原因", 1000, multiline=True)
        interview.status = "cancelled"
    interview.recorded_at = now
    db.session.flush()
    if interview.status == "cancelled":
        notify.enqueue_interview(interview, now)
    return interview


def letter_interviews(user, letter: Letter) -> list[Interview]:
    """The 约谈 scheduled for a letter, as its page shows them to this user: the office and leaders every unit's,
    a 主送 unit its own (never another unit's; with units under it, its 辖区's too), anyone else none. Only their time, place, who attends and their
    status are for a unit; the record and its minutes stay on the unit's 督办记录 page (office and leaders)."""
    if letter.status == "draft":
        return []
    query = select(Interview).where(Interview.letter_id == letter.id)
    if has_role(user, UNITS) and user.unit_id:
        query = query.where(Interview.unit_id.in_(sorted(reader_units(user))))
    elif not has_role(user, LEADERSHIP):
        return []
    return list(db.session.scalars(query.order_by(Interview.scheduled_at, Interview.id)).unique())


# ----------------------------------------------------------------------------- 问责

def refer(user, unit_id, now: datetime, fields) -> Referral:
    _office(user, "记录问责")
    unit = _unit(unit_id)
    day = inputs.day(fields.get("referred_at"), "移交日期", "invalid_referred_at") or local(now).date()
    if day > local(now).date():
        raise Invalid("移交日期不能晚于今天。", code="invalid_referred_at")
    referral = Referral(unit=unit, letter=_letter_for(unit, fields.get("letter_id")),
                        referred_to=_required(fields.get("referred_to"), "移交机关", 100),
                        referred_at=local_midnight(day), reason=_required(fields.get("reason"), "问责事由", 2000, True),
                        created_at=now, created_by_id=user.id)
    db.session.add(referral)
    db.session.flush()
    return referral


def referral_outcome(user, referral: Referral, now: datetime, fields) -> Referral:
    """The outcome, recorded once: a second post (a double click, an old tab) would overwrite it without a trace."""
    _office(user, "记录问责结果")
    if referral.outcome:
        raise Conflict("该问责的处理结果已记录，不能覆盖。", code="outcome_recorded")
    outcome = _required(fields.get("outcome"), "处理结果", 2000, multiline=True)
    recorded = db.session.execute(  # at most once, however many posts arrive together
        update(Referral).where(Referral.id == referral.id, or_(Referral.outcome.is_(None), Referral.outcome == ""))
        .values(outcome=outcome, outcome_at=now)).rowcount
    if not recorded:
        raise Conflict("该问责的处理结果已记录，不能覆盖。", code="outcome_recorded")
    db.session.refresh(referral)
    return referral


# ----------------------------------------------------------------------------- 回头看

def queue_rechecks(user, letter: Letter, now: datetime, ticket_ids=None, days=None, inspector_id=None) -> list[Recheck]:
    """Queue closed items of an issued letter for a re-check `days` (RECHECK_DAYS) from today. Items already
    queued are left as they are: by this letter, or still open from another letter the ticket is in (督办 then
    挂牌督办 put the same problem in two), so no spot is visited twice for one closure."""
    from flask import current_app

    _office(user, "安排回头看")
    if letter.status == "draft":
        raise Conflict("草稿尚未签发。", code="not_issued")
    days = inputs.integer(days, "天数", 1, 365, "invalid_days") or int(current_app.config["RECHECK_DAYS"])
    inspector = _inspector(inspector_id)
    closed = {item.ticket_id: item for item in letter.items if item.ticket.status == "closed"}
    wanted = ticket_ids if ticket_ids else list(closed)
    if not wanted:
        raise Conflict("该督办函还没有已结案的问题可以回头看。", code="nothing_closed")
    done = set(db.session.scalars(select(Recheck.ticket_id).where(
        (Recheck.letter_id == letter.id) | ((Recheck.status == "open") & Recheck.ticket_id.in_(list(closed))))))
    due = local_midnight(local(now).date() + timedelta(days=days))
    queued = []
    for ticket_id in wanted:
        item = closed.get(ticket_id)
        if item is None:
            raise Conflict(f"问题 {ticket_id} 不在该督办函中或尚未结案，不能回头看。", code="not_closed")
        if ticket_id in done:
            continue
        recheck = Recheck(letter_id=letter.id, ticket_id=ticket_id, unit_id=item.unit_id,
                          inspector_id=inspector.id if inspector else None, due_at=due, created_at=now,
                          created_by_id=user.id)
        db.session.add(recheck)
        queued.append(recheck)
    db.session.flush()
    return queued


def _inspector(inspector_id) -> User | None:
    """The inspector a 回头看 is given to, or None for 不指定 (any inspector): one in post, never a disabled account."""
    inspector_id = inputs.integer(inspector_id, "督查员", 1, MAX_ID, "invalid_inspector")
    if inspector_id is None:
        return None
    inspector = db.session.get(User, inspector_id)
    if not in_post(inspector):
        raise Invalid("请选择在岗的督查员。", code="invalid_inspector")
    return inspector


def in_post(user: User | None) -> bool:
    """An account that can walk a 回头看: an active 督查员."""
    return user is not None and user.active and user.role == INSPECTOR


def _out_of_post(user: User) -> str | None:
    return None if in_post(user) else "已停用" if not user.active else "不是督查员"


def assignee_problem(recheck: Recheck) -> str | None:
    """Why an open task waits on nobody (its inspector disabled, or no longer an inspector): such a task is open
    to every inspector, and the office is shown it to 改派. None for a task in good hands, for any, or done."""
    if recheck.status != "open" or recheck.inspector is None:
        return None
    return _out_of_post(recheck.inspector)


def may_do_recheck(user, recheck: Recheck) -> bool:
    if has_role(user, {ADMIN}):
        return True
    return has_role(user, {INSPECTOR}) and (recheck.inspector_id in (None, user.id) or not in_post(recheck.inspector))


# An inspector's tasks: those given to them, to any inspector, or to an account that can no longer walk them (a
# disabled inspector's, or one whose role changed) — otherwise nobody's. Constants in the SQL: the menu's count
# keeps one plan (test_navigation).
_ASSIGNEE_IN_POST = exists().where(User.id == Recheck.inspector_id, User.active.is_(true()),
                                   User.role == const(INSPECTOR))


def _theirs(user_id):
    return (Recheck.inspector_id == user_id) | ~_ASSIGNEE_IN_POST


def rechecks_for(user, now: datetime, *, done: bool = False) -> list[Recheck]:
    """Open tasks (due first), or the last ones done, that this user may do."""
    query = select(Recheck)
    if has_role(user, {INSPECTOR}):
        query = query.where(_theirs(user.id))
    if done:
        query = query.where(Recheck.status != "open").order_by(Recheck.done_at.desc(), Recheck.id.desc()).limit(50)
    else:
        query = query.where(Recheck.status == "open").order_by(Recheck.due_at, Recheck.id)
    return list(db.session.scalars(query).unique())


def count_due(user, now: datetime) -> int:
    """Open re-checks due by now that this user may do (the menu's count)."""
    return db.session.scalar(*due_count(user, now)) or 0


def due_count(user, now: datetime) -> tuple:
    """count_due as (statement built once, parameters), for the menu to send with its other counts."""
    if has_role(user, {INSPECTOR}):
        return _DUE_FOR_INSPECTOR, {"now": now, "user_id": user.id}
    return _DUE, {"now": now}


_DUE = select(func.count(Recheck.id)).where(Recheck.status == const("open"), Recheck.due_at <= bindparam("now"))
_DUE_FOR_INSPECTOR = _DUE.where(_theirs(bindparam("user_id")))


def reassign_recheck(user, recheck: Recheck, now: datetime, inspector_id) -> Recheck:
    """改派 an open task to another inspector in post, or to 不指定 (any inspector: `inspector_id` ""), recorded in
    the 操作日志 from whom to whom."""
    from ..audit import trail

    _office(user, "改派回头看")
    if recheck.status != "open":
        raise Conflict("该回头看任务已完成，不能改派。", code="recheck_done")
    if inspector_id is None:  # the field missing (a form that sent none): not the same as 不指定, which is ""
        raise BadRequest("请选择要改派给的督查员（或“不指定”）。", code="inspector_required")
    inspector = _inspector(inspector_id)
    before = _assignee_label(recheck.inspector)
    if (inspector.id if inspector else None) == recheck.inspector_id:
        return recheck
    recheck.inspector = inspector  # the relationship too: the id alone left it naming the previous inspector
    db.session.flush()
    trail.record("escalation", "reassign", f"回头看 #{recheck.id} · {recheck.ticket.number}",
                 f"督查员：{before} → {_assignee_label(inspector)}", now=now)
    return recheck


def _assignee_label(inspector: User | None) -> str:
    if inspector is None:
        return "不指定"
    problem = _out_of_post(inspector)
    return f"{inspector.name}（{inspector.username}{'，' + problem if problem else ''}）"


def get_recheck(user, recheck_id: int) -> Recheck:
    recheck = db.session.get(Recheck, recheck_id)
    if recheck is None or not has_role(user, VERIFIERS) or not may_do_recheck(user, recheck):
        raise NotFound("回头看任务不存在或不是您的任务。")
    return recheck


def do_recheck(user, recheck: Recheck, now: datetime, passed, note, photos=(), photo_meta=None) -> Recheck:
    """Pass, or fail: the problem is back — filed again (photos required) and linked to the old ticket."""
    if not may_do_recheck(user, recheck):
        raise NotFound("回头看任务不存在或不是您的任务。")
    if recheck.status != "open":
        raise Conflict("该回头看任务已完成。", code="recheck_done")
    if recheck.due_at > now:
        raise Conflict(f"回头看应于{fmt_cn_date(local(recheck.due_at).date())}起进行。", code="recheck_not_due")
    passed = flag(passed, "passed", None, label="复查结果（passed）")
    if passed is None:
        raise BadRequest("请选择复查结果（通过或未通过）。", code="invalid_passed")
    note = clean_text(note, "复查说明", 2000, multiline=True)
    if passed:
        recheck.status = "passed"
    else:
        if not note:
            raise BadRequest("复查未通过，请说明现场情况。", code="note_required")
        if not photos:
            raise BadRequest("复查未通过，请上传现场照片。", code="photos_required")
        old = recheck.ticket
        # the problem back where it was, for the unit that answered for it (the 回潮 is charged to it): its 点位
        # and 门前四包 商户 too; by the segment's 属地 it could go to another unit than the one charged
        report = NewReport(category=old.category.code, photos=list(photos), photo_meta=photo_meta or [],
                           segment_id=old.segment_id if old.segment is not None and old.segment.active else None,
                           lat=old.lat, lon=old.lon, address=old.address,
                           description=f"回头看发现问题反弹：{note}（原问题{old.number}）"[:2000], source="spot_check",
                           relapse_of=old, unit=old.unit,
                           unit_how=f"回头看发现问题反弹，派原责任单位（原问题{old.number}）",
                           site_id=old.site_id if old.site is not None and old.site.active else None,
                           frontage_id=old.frontage_id if old.frontage is not None and old.frontage.active else None)
        ticket, _ = create_ticket(user, report, now)  # linked to `old` as a 回潮 found by 回头看
        recheck.status, recheck.new_ticket_id = "failed", ticket.id
    recheck.note, recheck.done_at, recheck.done_by_id = note, now, user.id
    # The same problem queued again by another letter before queue_rechecks kept one per problem: that visit is
    # this one, so it is done with the same result (and a failure files one 回潮, not two).
    for twin in db.session.scalars(select(Recheck).where(Recheck.ticket_id == recheck.ticket_id,
                                                         Recheck.status == "open", Recheck.id != recheck.id)):
        twin.status, twin.new_ticket_id, twin.done_at, twin.done_by_id = (recheck.status, recheck.new_ticket_id,
                                                                          now, user.id)
        twin.note = f"同一问题已随回头看任务 #{recheck.id} 复查。"
    db.session.flush()
    return recheck


def due_label(recheck: Recheck) -> str:
    return f"{local(recheck.due_at):%Y-%m-%d}起"

