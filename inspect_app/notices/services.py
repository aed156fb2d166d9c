"""The unit's inbox and unread count, and what its robot is told.

Seven kinds of news for a unit, each with the moment it happened (all seven in the inbox; its robot is pushed all
but the reminders, the letters and the 约谈 as they come, a letter's 签发 and a 约谈's scheduling having told it
already (escalation/notify.py), and the morning digest counts those; its 辖区's letters are not pushed one by one,
and the digest counts the month's with the 辖区's open and overdue problems, territory/services.digest_lines):
- a ticket given to it (its part's assigned_at: dispatched, reassigned to it, or added as 协办); a ticket the office
  sent back to it after refusing its 退单 is a decision's news instead; news while its part is still open: one
  voided, closed or reported since is neither pushed nor unread, and the inbox says what became of it (已作废…);
- a letter (督办函) issued to it;
- for a unit that oversees a 辖区 (units/territory.py: a 区县 over its 街道, a 街道 over its 社区, at any depth), a
  letter issued to units under it (辖区单位收到督办函, 挂牌督办函, 约谈通知 or 督查通报: its number, the units of the
  辖区 it names, its page, which the unit reads read only), once however many of them it names; one addressed to
  the unit itself too is its own letter's news. Its robot is not pushed these one by one (push_news): they are
  the streets' own to act on, and the district reads them here; its morning digest counts the month's;
- a 约谈 of the unit the office scheduled ahead of its time (when, where, who attends, the letter it follows), and
  its cancellation;
- the office's review of its request for a key task's 销号 (accepted, or returned with what is missing);
- one of its open parts coming within 24 hours of its deadline (deadline − 24 h), if the unit had it before then:
  a part that arrives with less than a day to go (a 24-hour 牛皮癣, a 2-hour 乱停乱放) has its deadline in its
  new-ticket news, and a reminder at the same moment, or dated before the ticket existed, would be noise;
- a decision on its own work, read from the ticket's event log: an inspector sent its rectification back (返工: the
  lead's part, or an assisting unit's part the inspector named), the office decided its extension request (the
  lead's for the ticket, or an assisting unit's for its own part), the office decided its 退单 (refused: the
  ticket came back to it; accepted: it went to another unit), the office decided its request to be taken off as
  an assisting unit (申请退出协办: approved or refused), or the office merged another outside report of the same
  problem into a ticket it leads and still owes (并案: a citizen or the 12345 hotline reported it again), or the
  hotline sent that ticket's 12345 case again with more (催办, 补充材料: intake/services.follow_up).
What happened after the clerk last opened the inbox is unread (a clerk who never did: INBOX_WINDOW_DAYS back).
Each count is one indexed query (ticket_units (unit_id, assigned_at) and (unit_id, status, deadline), letters
(unit_id, issued_at), the 辖区's by letters (issued_at), counted only for a unit with units under it, the events of
the unit's recent parts by ticket_events (ticket_id)), cheap enough for every page's header.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, g, has_request_context, url_for
from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from ..boundary import optional_write
from ..common.sql import const, consts, hours_between, insert_on_conflict, json_int, not_indexed, position_in
from ..common.timeutil import fmt, local, local_midnight
from ..escalation.models import Interview, Letter, LetterUnit
from ..extensions import db
from ..keytasks.models import KeyTaskReport
from ..keytasks.services import led_unreported, report_period, waiting_count_statement
from ..outbox import service as outbox
from ..outbox.models import UnitRobot
from ..policy import UNITS, has_role
from ..territory.services import digest_lines
from ..tickets.models import UNIT_DECISIONS, Ticket, TicketEvent, TicketUnit
from ..tickets.parts import part_overdue_condition
from ..tickets.rules import DUE_SOON, PART_OWED_TICKET_STATUSES, PART_STATUS_LABELS, UNIT_TODO_TICKET_STATUS
from ..units.models import Category, Unit
from ..units.territory import territory_ids
from .models import InboxSeen

HELD_BEFORE_REMINDER = 25  # hours from a part's arrival to its deadline, above which its last 24 hours are news
MAX_ITEMS = 50


def _since(user, now: datetime) -> datetime:
    row = db.session.get(InboxSeen, user.id)
    floor = now - timedelta(days=int(current_app.config["INBOX_WINDOW_DAYS"]))
    return max(row.seen_at, floor) if row is not None else floor


def _is_unit_user(user) -> bool:
    return has_role(user, UNITS) and bool(getattr(user, "unit_id", None))


# ----------------------------------------------------------------------------- the kinds of news

def _new_parts(unit_id: int, after: datetime, until: datetime):
    """The parts given to the unit in (after, until], whatever became of them since (the inbox lists them all, a
    part no longer open saying so: 现已作废, 现已结案, 现已整改)."""
    return select(TicketUnit).where(TicketUnit.unit_id == unit_id, TicketUnit.assigned_at > after,
                                    TicketUnit.assigned_at <= until, ~_returned_after_dispute())


def _new_work(unit_id: int, after: datetime, until: datetime):
    """Those of them the unit still has to rectify, the only ones its robot is told of and its badge counts: a
    ticket voided (误报, 重复上报, a 测评 result withdrawn) before the next push, or filed, rectified and closed
    while the unit's robot was paused, is no news any more. (A part moved to another unit is that unit's row.)"""
    return _new_parts(unit_id, after, until).where(TicketUnit.status == const("open"))


def _withdrawals_decided(unit_id: int, after: datetime, until: datetime):
    """Rows (event, ticket number and category) for the office's decisions on the unit's requests to be taken off
    a ticket (申请退出协办): approved, the unit has no part left to find them by, so they are read by time through
    the partial index of these events (ticket_events.at WHERE action = 'decide_withdraw': a handful of rows)."""
    return (select(TicketEvent.id, TicketEvent.at, TicketEvent.note, TicketEvent.data_json,
                   Ticket.id.label("ticket_id"), Ticket.number, Category.name.label("category"))
            .select_from(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .join(Category, Category.id == Ticket.category_id)
            .where(TicketEvent.action == const("decide_withdraw"), TicketEvent.at > after, TicketEvent.at <= until,
                   json_int(TicketEvent.data_json, "unit_id") == unit_id))


def _dispute_decided():
    """The office reassigned a ticket in 退单: to the same unit (refused) or another (accepted)."""
    return and_(TicketEvent.action == const("reassign"), TicketEvent.from_status == const("disputed"))


def _returned_after_dispute():
    """A lead part given back to its own unit by a refused 退单 (the part's assigned_at is that event's moment)."""
    return and_(TicketUnit.role == const("lead"), exists().where(
        TicketEvent.ticket_id == TicketUnit.ticket_id, TicketEvent.at == TicketUnit.assigned_at, _dispute_decided(),
        json_int(TicketEvent.data_json, "from_unit_id").is_(None)))


def _quoted_name(unit: Unit | None) -> str:
    """The unit's name as a JSON string, as a rework's `reopened_units` lists the assisting units sent back."""
    return json.dumps(unit.name if unit is not None else "", ensure_ascii=False)


def _decisions(unit_id: int, after: datetime, until: datetime, quoted_name: str):
    """Rows (event, its ticket's number and category, the unit's part) for decisions on the unit's own parts: a
    rework of its part (the lead's, or an assisting part named as reopened), its extension request decided (the
    lead's for the ticket, an assisting unit's for its part: the event names the unit), its 退单 refused. The part
    was the unit's at the event (assigned_at <= its moment: a reassignment since restarts it, and a unit no longer
    on the ticket has no part).

    Read from the decisions by time (the partial index ix_ticket_events_unit_decisions: what the office and the
    inspectors decided since the clerk last looked, a few hundred a week in a large city), each with a probe of
    the unit's part of that ticket: reading them from the unit's parts instead cost a busy unit's every page 12 ms
    at 1 M tickets (every open or recently due part, and every event of each). Only parts that can carry news
    after `after` count: each of these decisions leaves the part's deadline after its moment (rework, extension
    granted, ticket returned) or the part open until the unit reports (extension refused). Left out: a refused
    extension of a part long overdue whose ticket was closed or voided since; it asks nothing of the unit any
    more."""
    lead = TicketUnit.role == const("lead")
    return (select(TicketEvent.id, TicketEvent.at, TicketEvent.action, TicketEvent.note, TicketEvent.data_json,
                   Ticket.id.label("ticket_id"), Ticket.number, Category.name.label("category"), TicketUnit.role,
                   TicketUnit.deadline)
            .select_from(TicketEvent)
            # the part is probed by (ticket_id, unit_id) from each decision (not_indexed: SQLite would otherwise
            # start from the unit's parts, or the city's by status)
            .join(TicketUnit, (TicketUnit.ticket_id == TicketEvent.ticket_id)
                  & (not_indexed(TicketUnit.unit_id) == unit_id))
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .join(Category, Category.id == Ticket.category_id)
            .where(TicketEvent.action.in_(consts(UNIT_DECISIONS)),  # the partial index's own condition
                   TicketEvent.at > after, TicketEvent.at <= until, TicketUnit.assigned_at <= TicketEvent.at,
                   or_(not_indexed(TicketUnit.status).in_(consts(("open", "rectified"))),
                       and_(not_indexed(TicketUnit.status).in_(consts(("closed", "cancelled"))),
                            TicketUnit.deadline > after)),
                   or_(and_(TicketEvent.action == const("reject"),
                            or_(lead, position_in(TicketEvent.data_json, quoted_name) > 0)),
                       and_(TicketEvent.action == const("decide_extension"), lead),
                       and_(TicketEvent.action == const("decide_part_extension"),
                            json_int(TicketEvent.data_json, "unit_id") == TicketUnit.unit_id),
                       and_(_dispute_decided(), lead, TicketUnit.assigned_at == TicketEvent.at,
                            json_int(TicketEvent.data_json, "from_unit_id").is_(None)),
                       and_(TicketEvent.action.in_(consts(("merge_report", "hotline_followup"))), lead,
                            not_indexed(TicketUnit.status) == const("open")))))


def _disputes_accepted(unit_id: int, after: datetime, until: datetime):
    """Rows (event, ticket number and category) for the unit's 退单 the office accepted: the ticket went to another
    unit, and this one has no part left to find it by. Read by time through the partial index of these events
    (ticket_events.at WHERE action = 'reassign' AND from_status = 'disputed': a handful of rows)."""
    return (select(TicketEvent.id, TicketEvent.at, TicketEvent.note, TicketEvent.data_json,
                   Ticket.id.label("ticket_id"), Ticket.number, Category.name.label("category"))
            .select_from(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .join(Category, Category.id == Ticket.category_id)
            .where(_dispute_decided(), TicketEvent.at > after, TicketEvent.at <= until,
                   json_int(TicketEvent.data_json, "from_unit_id") == unit_id))


def _issued_between(after: datetime, until: datetime):
    """SQL: a letter issued (not a draft) in (after, until]."""
    return and_(Letter.status != "draft", Letter.issued_at.is_not(None), Letter.issued_at > after,
                Letter.issued_at <= until)


def _letters(unit_id: int, after: datetime, until: datetime):
    return (select(Letter).join(LetterUnit, LetterUnit.letter_id == Letter.id)
            .where(LetterUnit.unit_id == unit_id, _issued_between(after, until)))


def _territory_letters(unit_id: int, subordinates, after: datetime, until: datetime):
    """Letters issued in (after, until] to units under the unit (`subordinates`: their ids, a list or an expanding
    bindparam), each once however many of them it names; one addressed to the unit itself too is its own letter's
    news, not this. Read from the letters issued in the window (letters (issued_at): the city's few a week), each
    probing its 主送 rows (letter_units (letter_id))."""
    theirs, own = aliased(LetterUnit), aliased(LetterUnit)
    return select(Letter).where(
        _issued_between(after, until),
        exists().where(theirs.letter_id == Letter.id, theirs.unit_id.in_(subordinates)),
        ~exists().where(own.letter_id == Letter.id, own.unit_id == unit_id))


def _interviews_scheduled(unit_id: int, after: datetime, until: datetime):
    """The unit's 约谈 scheduled in (after, until] ahead of their time (interviews (unit_id): a few a year)."""
    return select(Interview).where(Interview.unit_id == unit_id, Interview.announced, Interview.created_at > after,
                                   Interview.created_at <= until)


def _interviews_cancelled(unit_id: int, after: datetime, until: datetime):
    """The unit's 约谈 it was told of and the office cancelled in (after, until]."""
    return select(Interview).where(Interview.unit_id == unit_id, Interview.announced,
                                   Interview.status == const("cancelled"), Interview.recorded_at > after,
                                   Interview.recorded_at <= until)


def upcoming_interviews(unit_id: int, now: datetime) -> list[Interview]:
    """The unit's 约谈 from today on, whatever their status (a cancelled one says so), soonest first: the inbox's
    约谈安排, where a 约谈 not tied to a letter is found."""
    return list(db.session.scalars(select(Interview).where(
        Interview.unit_id == unit_id, Interview.scheduled_at >= local_midnight(local(now).date()))
        .order_by(Interview.scheduled_at, Interview.id).limit(MAX_ITEMS)).unique())


def interview_news(interview: Interview, cancelled: bool = False) -> tuple[str, str]:
    """An inbox item's title and detail for a 约谈: as scheduled (time, place, who attends, the letter), or its
    cancellation (the office's reason is its own record)."""
    letter = interview.letter.number if interview.letter is not None and interview.letter.number else ""
    if cancelled:
        return "约谈已取消", " · ".join(filter(None, [f"原定{interview.when_label}", interview.place, letter]))
    return "约谈通知", " · ".join(filter(None, [interview.when_label, interview.place,
                                             f"参加：{interview.attendees}", letter]))


def _interview_url(interview: Interview) -> str:
    """The letter it follows, whose page shows it; else the inbox's 约谈安排."""
    if interview.letter_id is not None:
        return url_for("escalation.detail", letter_id=interview.letter_id)
    return url_for("notices.inbox") + "#interviews"


def _due_soon(unit_id: int, after: datetime, now: datetime):
    """Open parts whose last 24 hours began after `after` and have not ended: deadline in (max(now, after + 24 h),
    now + 24 h]."""
    return _due_between(unit_id, *_due_window(after, now))


def _due_window(after: datetime, now: datetime) -> tuple[datetime, datetime]:
    return max(now, after + DUE_SOON), now + DUE_SOON


def _due_between(unit_id, low, high):
    return (select(TicketUnit).join(Ticket, Ticket.id == TicketUnit.ticket_id)
            .where(TicketUnit.unit_id == unit_id, TicketUnit.status == "open",
                   Ticket.status.in_(PART_OWED_TICKET_STATUSES), TicketUnit.deadline > low, TicketUnit.deadline <= high,
                   hours_between(TicketUnit.assigned_at, TicketUnit.deadline) > HELD_BEFORE_REMINDER))


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _count_of(query):
    return select(func.count()).select_from(query.subquery()).scalar_subquery()


@functools.cache
def _unread_statement(oversees: bool = False):
    """unread_count's one statement, built once and run with its values bound: on every page a unit opens,
    building the three counts' statement (and its cache key) took twice as long as running it. `oversees`: one
    more count, the letters issued to the units under it (bound as "subordinates"); a unit with nobody under it
    runs the statement without it."""
    unit_id, since, now = bindparam("unit_id"), bindparam("since"), bindparam("now")
    territory = ([_count_of(_territory_letters(unit_id, bindparam("subordinates", expanding=True), since, now))]
                 if oversees else [])
    return select(_count_of(_new_work(unit_id, since, now)), _count_of(_letters(unit_id, since, now)),
                  _count_of(_due_between(unit_id, bindparam("due_from"), bindparam("due_until"))),
                  _count_of(_reviews(unit_id, since, now)),
                  _count_of(_decisions(unit_id, since, now, bindparam("quoted_name"))),
                  _count_of(_disputes_accepted(unit_id, since, now)),
                  _count_of(_withdrawals_decided(unit_id, since, now)),
                  _count_of(_interviews_scheduled(unit_id, since, now)),
                  _count_of(_interviews_cancelled(unit_id, since, now)), *territory)


def _reviews(unit_id: int, after: datetime, until: datetime):
    return select(KeyTaskReport).where(KeyTaskReport.unit_id == unit_id, KeyTaskReport.reviewed_at > after,
                                       KeyTaskReport.reviewed_at <= until)


def unread_count(user, now: datetime) -> int:
    """What the menu shows on every page: the counts in one statement (after reading when it was seen), sent once
    a request: the inbox page's count (inbox) and its menu's are one, and after mark_seen the menu knows it is 0."""
    if not _is_unit_user(user):
        return 0
    known = _known_unread()
    if (user.id, now) in known:
        return known[user.id, now]
    since = _since(user, now)
    due_from, due_until = _due_window(since, now)
    params = {"unit_id": user.unit_id, "since": since, "now": now, "due_from": due_from, "due_until": due_until,
              "quoted_name": _quoted_name(user.unit)}
    subordinates = _subordinates(user)
    if subordinates:
        params["subordinates"] = subordinates
    counts = db.session.execute(_unread_statement(bool(subordinates)), params).one()
    known[user.id, now] = sum(counts)
    return known[user.id, now]


def _subordinates(user) -> list[int]:
    """The units under the user's own, at any depth (none for a unit with nobody under it): territory_ids, which
    the menu asks anyway (its 辖区概况 entry), once a request."""
    return sorted((territory_ids(user) or frozenset()) - {user.unit_id})


def _known_unread() -> dict:
    """(user id, now) -> the unread count this request knows (a request's clock is one moment: http.now); outside a
    request (a job, a command) nothing is kept."""
    if not has_request_context():
        return {}
    if "unread_counts" not in g:
        g.unread_counts = {}
    return g.unread_counts


@dataclass
class InboxItem:
    kind: str        # ticket | letter | territory_letter | due | task | rework | extension | dispute | withdraw |
    #                  repeat | interview
    at: datetime     # when it happened
    title: str
    detail: str
    url: str
    unread: bool


@dataclass
class Unlisted:
    """News of one kind beyond the MAX_ITEMS the inbox lists (the oldest), and the list where all of it is."""
    kind: str        # ticket | letter | territory_letter | due | task | decision | interview
    count: int
    what: str        # 派给本单位的问题 ...: 另有N条{what}未列出
    url: str
    link: str        # what the url opens


@dataclass
class Inbox:
    items: list[InboxItem]
    summary: dict
    unread: int      # the menu's count: every unread item, listed or not
    unlisted: list[Unlisted]


# kind -> (另有N条…未列出, the page with all of them, its link's words)
UNLISTED = {
    "ticket": ("派给本单位的问题", lambda: url_for("tickets.unit_list", tab="all"), "查看本单位全部问题"),
    "letter": ("督办函、通报", lambda: url_for("escalation.letters"), "查看全部督办函"),
    "territory_letter": ("辖区单位收到的督办函、通报", lambda: url_for("escalation.letters", scope="territory"),
                         "查看辖区督办函"),
    "due": ("即将到期提醒", lambda: url_for("tickets.unit_list", tab="todo", due_soon=1), "查看24小时内到期的问题"),
    "task": ("创建任务审核结果", lambda: url_for("keytasks.index"), "查看创建任务"),
    "decision": ("审核结果（返工、延期、退单等）", lambda: url_for("tickets.unit_list", tab="all"),
                 "查看本单位全部问题"),
    "interview": ("约谈消息", lambda: url_for("notices.inbox") + "#interviews", "查看约谈安排"),
}


def _listed(kind: str, query, order, unlisted: list[Unlisted], *options) -> list:
    """The newest MAX_ITEMS rows of one kind of news (by `order`); how many more there are goes to `unlisted`,
    counted only when the list is full."""
    rows = list(db.session.scalars(query.order_by(*order).limit(MAX_ITEMS).options(*options)).unique())
    if len(rows) == MAX_ITEMS:
        _more(kind, _count(query) - MAX_ITEMS, unlisted)
    return rows


def _more(kind: str, count: int, unlisted: list[Unlisted]) -> None:
    if count <= 0:
        return
    same = next((u for u in unlisted if u.kind == kind), None)  # the 约谈 scheduled and cancelled: one line
    if same is not None:
        same.count += count
    else:
        what, url, link = UNLISTED[kind]
        unlisted.append(Unlisted(kind, count, what, url(), link))


def _letter_item(kind: str, letter: Letter, prefix: str, detail: str, since: datetime) -> InboxItem:
    """A letter's news, named by its kind (督办函, 挂牌督办函, 约谈通知, 督查通报) and number, opening its page."""
    return InboxItem(kind, letter.issued_at, f"{prefix}{letter.kind_label}：{letter.number or ''}", detail,
                     url_for("escalation.detail", letter_id=letter.id), letter.issued_at > since)


def inbox(user, now: datetime) -> Inbox:
    """The last INBOX_WINDOW_DAYS of news, newest first (unread marked), at most MAX_ITEMS of each kind (what is
    left out counted, with where to find it), the unread count the menu shows, and a summary of the unit's work
    now."""
    if not _is_unit_user(user):
        return Inbox([], {}, 0, [])
    since = _since(user, now)
    window = now - timedelta(days=int(current_app.config["INBOX_WINDOW_DAYS"]))
    items: list[InboxItem] = []
    unlisted: list[Unlisted] = []
    unit_id = user.unit_id
    # each part's ticket (with its category and segment) in one query for the page, not one per item
    for part in _listed("ticket", _new_parts(unit_id, window, now), (TicketUnit.assigned_at.desc(), TicketUnit.id),
                        unlisted, selectinload(TicketUnit.ticket)):
        ticket, owed = part.ticket, part.status == "open"
        place = f"{ticket.number} · {ticket.address or (ticket.segment.name if ticket.segment else '')}"
        # a part voided, closed or reported since is not new work: the problem given to the unit at that time,
        # with what became of it since, and not unread (its state as the title read as if it happened then)
        items.append(InboxItem("ticket", part.assigned_at,
                               f"{'新问题' if owed else '交办问题'}：{ticket.category.name}（{part.role_label}）",
                               f"{place} · 期限 {fmt(part.deadline, '%m-%d %H:%M')}" if owed
                               else f"{place} · 现{PART_STATUS_LABELS[part.status]}",
                               url_for("tickets.detail", ticket_id=ticket.id), owed and part.assigned_at > since))
    for letter in _listed("letter", _letters(unit_id, window, now), (Letter.issued_at.desc(), Letter.id), unlisted):
        items.append(_letter_item("letter", letter, "", letter.asks, since))
    subordinates = _subordinates(user)
    if subordinates:
        for letter in _listed("territory_letter", _territory_letters(unit_id, subordinates, window, now),
                              (Letter.issued_at.desc(), Letter.id), unlisted):
            names = [r.unit_name or r.unit.name for r in letter.recipients if r.unit_id in subordinates]
            items.append(_letter_item("territory_letter", letter, "辖区单位收到",
                                      " · ".join(filter(None, ["、".join(names), letter.asks])), since))
    for part in _listed("due", _due_soon(unit_id, window, now), (TicketUnit.deadline, TicketUnit.id), unlisted,
                        selectinload(TicketUnit.ticket)):
        ticket, starts = part.ticket, part.deadline - DUE_SOON
        items.append(InboxItem("due", starts, f"即将到期：{ticket.category.name}",
                               f"{ticket.number} · {fmt(part.deadline, '%m-%d %H:%M')} 到期",
                               url_for("tickets.detail", ticket_id=ticket.id), starts > since))
    for row in _listed("task", _reviews(unit_id, window, now), (KeyTaskReport.reviewed_at.desc(), KeyTaskReport.id),
                       unlisted):
        task = row.task
        accepted = row.verdict == "accepted"
        items.append(InboxItem("task", row.reviewed_at, "创建任务已销号" if accepted else "创建任务销号申请被退回",
                               f"{task.code} {task.indicator}" + ("" if accepted else f"：{row.review_note}"),
                               url_for("keytasks.detail", task_id=task.id), row.reviewed_at > since))
    found = decisions(unit_id, user.unit, window, now, limit=MAX_ITEMS)
    if len(found) >= MAX_ITEMS:  # one of its three lists may be full
        _more("decision", decisions_count(unit_id, user.unit, window, now) - len(found), unlisted)
    for decision in found:
        items.append(InboxItem(decision.kind, decision.at, f"{decision.title}：{decision.category}",
                               f"{decision.number} · {decision.detail}",
                               url_for("tickets.detail", ticket_id=decision.ticket_id) if decision.visible
                               else url_for("tickets.unit_list"), decision.at > since))
    scheduled = _listed("interview", _interviews_scheduled(unit_id, window, now),
                        (Interview.created_at.desc(), Interview.id), unlisted)
    for interview in scheduled:
        items.append(InboxItem("interview", interview.created_at, *interview_news(interview),
                               _interview_url(interview), interview.created_at > since))
    cancelled = _listed("interview", _interviews_cancelled(unit_id, window, now),
                        (Interview.recorded_at.desc(), Interview.id), unlisted)
    for interview in cancelled:
        items.append(InboxItem("interview", interview.recorded_at, *interview_news(interview, cancelled=True),
                               _interview_url(interview), interview.recorded_at > since))
    items.sort(key=lambda i: i.at, reverse=True)
    return Inbox(items, work_summary(unit_id, now), unread_count(user, now), unlisted)


@dataclass
class Decision:
    """A decision on the unit's work, as the inbox and the robot tell it."""
    kind: str        # rework | extension | dispute | withdraw | repeat
    at: datetime
    ticket_id: int
    number: str
    category: str
    title: str       # 整改被退回（返工） | 延期申请已同意 | 延期申请未同意 | 退单未通过 | 退单已通过 | 已同意退出协办 |
    #                  退出协办申请未同意 | 同一问题再次被反映 | 12345热线再次来电
    reason: str      # the inspector's or the office's words ("" when none were written)
    deadline: datetime | None  # the deadline the unit now works to (rework, extension granted, ticket returned)
    moved_to: str = ""         # an accepted 退单: the unit the ticket went to
    visible: bool = True       # an accepted 退单's ticket is no longer the unit's to open
    stands: bool = False       # the deadline did not move (a 返工 of a rectification reported late: still 超期)

    @property
    def deadline_label(self) -> str:
        """新期限 when the decision moved it; 期限 when it stands (a refused 退单, the same problem reported again, a
        late rectification sent back)."""
        return "期限" if self.stands or self.kind in ("dispute", "repeat") else "新期限"

    @property
    def detail(self) -> str:
        parts = [(self.reason if self.kind == "repeat" else f"理由：{self.reason}")] if self.reason else []
        if self.moved_to:
            parts.insert(0, f"已改派{self.moved_to}")
        if self.deadline is not None:
            parts.append(f"{self.deadline_label} {fmt(self.deadline, '%m-%d %H:%M')}")
        return " · ".join(parts)


def _data(raw: str) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _when(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def decisions(unit_id: int, unit: Unit | None, after: datetime, until: datetime,
              limit: int | None = None) -> list[Decision]:
    """The decisions on the unit's own work in (after, until], oldest first: three queries, whatever their number."""
    own = _decisions(unit_id, after, until, _quoted_name(unit)).order_by(TicketEvent.at.desc(), TicketEvent.id)
    moved = _disputes_accepted(unit_id, after, until).order_by(TicketEvent.at.desc(), TicketEvent.id)
    if limit is not None:
        own, moved = own.limit(limit), moved.limit(limit)
    found: list[Decision] = []
    for row in db.session.execute(own):
        data = _data(row.data_json)
        if row.action == "reject":
            if row.role != "lead" and (unit is None or unit.name not in data.get("reopened_units", ())):
                continue  # the name was found elsewhere in the event's data
            deadline = _when(data.get("deadline")) if row.role == "lead" else row.deadline
            found.append(Decision("rework", row.at, row.ticket_id, row.number, row.category, "整改被退回（返工）",
                                  row.note, deadline or row.deadline,
                                  stands=row.role == "lead" and bool(data.get("late"))))
        elif row.action in ("decide_extension", "decide_part_extension"):
            approved = bool(data.get("approved"))
            default = "同意延期" if approved else "不同意延期"  # what the office's decision says when it wrote nothing
            found.append(Decision("extension", row.at, row.ticket_id, row.number, row.category,
                                  "延期申请已同意" if approved else "延期申请未同意",
                                  "" if row.note == default and approved else row.note,
                                  _when(data.get("until")) if approved else None))
        elif row.action in ("merge_report", "hotline_followup"):
            title = "同一问题再次被反映" if row.action == "merge_report" else "12345热线再次来电"
            found.append(Decision("repeat", row.at, row.ticket_id, row.number, row.category, title, row.note,
                                  row.deadline))
        else:
            found.append(Decision("dispute", row.at, row.ticket_id, row.number, row.category, "退单未通过",
                                  row.note, row.deadline))
    for row in db.session.execute(moved):
        found.append(Decision("dispute", row.at, row.ticket_id, row.number, row.category, "退单已通过", row.note,
                              None, moved_to=str(_data(row.data_json).get("unit") or ""), visible=False))
    withdrawals = _withdrawals_decided(unit_id, after, until).order_by(TicketEvent.at.desc(), TicketEvent.id)
    for row in db.session.execute(withdrawals.limit(limit) if limit is not None else withdrawals):
        approved = bool(_data(row.data_json).get("approved"))
        found.append(Decision("withdraw", row.at, row.ticket_id, row.number, row.category,
                              "已同意退出协办" if approved else "退出协办申请未同意", row.note, None,
                              visible=not approved))
    found.sort(key=lambda d: (d.at, d.number))
    return found


def decisions_count(unit_id: int, unit: Unit | None, after: datetime, until: datetime) -> int:
    """How many decisions `decisions` finds in (after, until], counted as the unread badge counts them."""
    return (_count(_decisions(unit_id, after, until, _quoted_name(unit)))
            + _count(_disputes_accepted(unit_id, after, until)) + _count(_withdrawals_decided(unit_id, after, until)))


def work_summary(unit_id: int, now: datetime) -> dict:
    """What the unit owes now, each figure what the list its 消息 page links it to shows: its 待整改 (its part open
    on a ticket given to it to rectify, the unit list's 待整改 tab: one in 退单 waits in 退单中), how many of those
    overdue and how many due within 24 hours (the tab's overdue and due_soon filters), unsigned letters (the letters'
    unacknowledged filter)."""
    owed = (select(TicketUnit).join(Ticket, Ticket.id == TicketUnit.ticket_id)
            .where(TicketUnit.unit_id == unit_id, TicketUnit.status == "open",
                   Ticket.status == UNIT_TODO_TICKET_STATUS))
    overdue = owed.where(part_overdue_condition(now))
    due = owed.where(TicketUnit.deadline > now, TicketUnit.deadline <= now + DUE_SOON)
    letters = (select(LetterUnit).join(Letter, Letter.id == LetterUnit.letter_id)
               .where(LetterUnit.unit_id == unit_id, Letter.status != "draft", Letter.issued_at.is_not(None),
                      LetterUnit.acknowledged_at.is_(None)))
    period = report_period(now)
    return {"open": _count(owed), "overdue": _count(overdue), "due_soon": _count(due), "letters": _count(letters),
            "tasks": _count(led_unreported(unit_id, period.start, period.end, period.due_at)),
            "tasks_period": period.label, "tasks_year": local(period.start).year}


def mark_seen(user, now: datetime) -> None:
    """The inbox was read now (its unread badge counts from here); a read-only database leaves it unread."""
    with optional_write("the inbox marked seen"):
        # one statement: a first visit in two tabs at once inserted the row twice (500 on pk_inbox_seen)
        seen = insert_on_conflict(InboxSeen).values(user_id=user.id, seen_at=now)
        db.session.execute(seen.on_conflict_do_update(index_elements=["user_id"],
                                                      set_={"seen_at": seen.excluded.seen_at},
                                                      where=InboxSeen.seen_at < seen.excluded.seen_at))
        row = db.session.identity_map.get(db.session.identity_key(InboxSeen, user.id))
        if row is not None:  # read before, in this request
            db.session.expire(row)
        _known_unread()[user.id, now] = 0  # read up to now: the menu of this page counts nothing unread


# ----------------------------------------------------------------------------- robots: news and the daily digest

def robots() -> list[UnitRobot]:
    return list(db.session.scalars(select(UnitRobot).where(UnitRobot.enabled.is_(True)).order_by(UnitRobot.unit_id)))


def news_text(unit: Unit, parts: list[TicketUnit], letters: list[Letter], reviews: list[KeyTaskReport] = (),
              decided: list[Decision] = ()) -> str:
    """One message for what came in: tickets and letters under 【新问题】; decisions on the unit's work alone under
    【整改提醒】, the office's reviews of its 销号 requests alone under 【任务提醒】 (a DingTalk robot with 关键词
    security is told to accept 问题 and 提醒)."""
    office = current_app.config["OFFICE_SHORT_NAME"]
    lines = [f"【新问题】{unit.name}：" if parts or letters else
             f"【整改提醒】{unit.name}：" if decided else f"【任务提醒】{unit.name}："]
    for part in parts[:10]:
        ticket = part.ticket
        lines.append(f"· {ticket.number} {ticket.category.name}（{part.role_label}）"
                     f"{ticket.address or (ticket.segment.name if ticket.segment else '')}，"
                     f"期限 {fmt(part.deadline, '%m-%d %H:%M')}")
    if len(parts) > 10:
        lines.append(f"· 另有{len(parts) - 10}件")
    for letter in letters:
        lines.append(f"· {letter.kind_label} {letter.number}，{letter.asks}")
    for decision in decided[:10]:
        lines.append(f"· {decision.number} {decision.category}：{decision.title}"
                     + (f"（{decision.reason}）" if decision.reason else "")
                     + (f"，已改派{decision.moved_to}" if decision.moved_to else "")
                     + (f"，{decision.deadline_label} {fmt(decision.deadline, '%m-%d %H:%M')}"
                        if decision.deadline else ""))
    if len(decided) > 10:
        lines.append(f"· 另有{len(decided) - 10}项审核结果")
    for row in reviews:
        task = row.task
        lines.append(f"· 创建任务 {task.code} {task.indicator}：销号申请已通过" if row.verdict == "accepted" else
                     f"· 创建任务 {task.code} {task.indicator}：销号申请被退回（{row.review_note}），请补充后重新申请")
    lines.append(f"请登录文明城市督查整改系统处理。（{office}）")
    return "\n".join(lines)


def push_news(robot: UnitRobot, now: datetime) -> bool:
    """Tell one unit's robot what came in since the last push, once: the window is claimed with a conditional
    UPDATE, so two schedulers never send the same news twice. Returns whether a message was queued."""
    since = robot.pushed_until or now
    claimed = db.session.execute(
        update(UnitRobot).where(UnitRobot.unit_id == robot.unit_id,
                                UnitRobot.pushed_until.is_(None) if robot.pushed_until is None
                                else UnitRobot.pushed_until == robot.pushed_until)
        .values(pushed_until=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1 or since >= now:
        return False
    parts = list(db.session.scalars(_new_work(robot.unit_id, since, now)
                                    .order_by(TicketUnit.assigned_at, TicketUnit.id)))
    # No letters: their 签发 (or the auto-mode sweep) already told this robot, in its own 【督办函】 message
    # (escalation.notify.enqueue_letters); listed here too, the group heard of each letter twice.
    reviews = list(db.session.scalars(_reviews(robot.unit_id, since, now)
                                      .order_by(KeyTaskReport.reviewed_at, KeyTaskReport.id)))
    decided = decisions(robot.unit_id, robot.unit, since, now)
    if not parts and not reviews and not decided:
        return False
    return outbox.enqueue(news_text(robot.unit, parts, [], reviews, decided), now, unit_id=robot.unit_id,
                          kind="new_work") is not None


def digest_text(unit: Unit, summary: dict, now: datetime, territory: list[str] | None = None) -> str:
    """A unit's 每日提醒: what it owes (work_summary), then, for a unit with units under it, its 辖区's lines
    (territory.services.digest_lines)."""
    lines = [f"【每日提醒】{unit.name} {fmt(now, '%m月%d日')}：",
             f"待整改问题 {summary['open']} 件，其中已超期 {summary['overdue']} 件、24小时内到期 {summary['due_soon']} 件。"]
    if summary["letters"]:
        lines.append(f"督办函 {summary['letters']} 份尚未签收。")
    if summary.get("tasks"):
        month = summary.get("tasks_period", "本月")
        lines.append(f"牵头的创建任务 {summary['tasks']} 项{month}尚未报送进展。")
    if not summary["open"] and not summary["letters"] and not summary.get("tasks"):
        lines = [f"【每日提醒】{unit.name} {fmt(now, '%m月%d日')}：目前没有待整改的问题。"]
    lines.extend(territory or ())
    lines.append("请登录文明城市督查整改系统查看处理。")
    return "\n".join(lines)


def queue_digest(robot: UnitRobot, now: datetime) -> bool:
    """Queue today's digest for one unit's robot, once a day (claimed like push_news)."""
    today: date = local(now).date()
    claimed = db.session.execute(
        update(UnitRobot).where(UnitRobot.unit_id == robot.unit_id,
                                (UnitRobot.digest_on.is_(None)) | (UnitRobot.digest_on < today))
        .values(digest_on=today).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False
    summary = work_summary(robot.unit_id, now)
    return outbox.enqueue(digest_text(robot.unit, summary, now, digest_lines(robot.unit_id, now)), now,
                          unit_id=robot.unit_id, kind="digest") is not None


def office_digest_text(now: datetime) -> str:
    """The office's own morning summary, for its robot (WEBHOOK_URL)."""
    from ..intake.services import pending_count
    from ..tickets.rules import overdue_condition

    day_ago = now - timedelta(days=1)
    new = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.reported_at > day_ago)) or 0
    pending = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.status == "pending")) or 0
    overdue = db.session.scalar(select(func.count(Ticket.id)).where(overdue_condition(now))) or 0
    waiting = db.session.scalar(select(func.count(Ticket.id)).where(Ticket.status == "rectified")) or 0
    tasks = db.session.scalar(waiting_count_statement()) or 0
    return (f"【每日提醒】{current_app.config['OFFICE_SHORT_NAME']} {fmt(now, '%m月%d日')}：\n"
            f"近24小时新上报 {new} 件；待派遣 {pending} 件；待核查 {waiting} 件；超期未整改 {overdue} 件；"
            f"市民随手拍、12345工单待审核 {pending_count()} 件"
            + (f"；创建任务销号申请待审核 {tasks} 项。" if tasks else "。"))
