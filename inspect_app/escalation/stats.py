"""Figures of the escalation feature for other features: per unit and period for the 红黑榜 (rankings), the
dashboard's, and one unit's history for its page.

`unit_counts(start, end, now)` is the function rankings read: for each unit, in [start, end):
- letters: issued letters of 督办 addressed to it (Letter.step: supervision 督办函, listed 挂牌督办函, summons 约谈通知,
  each counted apart too); bulletins: 督查通报 addressed to it, which name problems without 督办 and are not letters;
- items: problems listed to it in issued letters (通报 too); cleared: of those, 销号 (by now);
- overdue_replies: letters whose reply-by date fell in the period and passed with no written reply by then (a letter
  settled for the unit by then owed none);
- interviews: 约谈 held (or scheduled, not cancelled) in the period; referrals: 问责 referrals in the period;
- relapses: 回潮 flagged in the period on its earlier ticket's unit.
Units with nothing are left out.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..common.sql import count_where
from ..extensions import db
from ..tickets.relapse import TicketRelapse
from .models import Interview, Letter, LetterItem, LetterUnit, Recheck, Referral
from .services import late_reply

STEPS = ("supervision", "listed", "summons", "bulletin")  # Letter.step, in UnitFigures' order


@dataclass
class UnitFigures:
    letters: int = 0
    supervision: int = 0
    listed: int = 0
    summons: int = 0
    bulletins: int = 0
    items: int = 0
    cleared: int = 0
    overdue_replies: int = 0
    interviews: int = 0
    referrals: int = 0
    relapses: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _settled_by_reply_by():
    """A recipient owed no reply when its letter's reply-by date came: the letter was 办结 by then, or every item of
    the unit's own was settled (销号 or moved on, LetterItem.settled) by then — as late_reply reads it today."""
    own = (LetterItem.letter_id == LetterUnit.letter_id, LetterItem.unit_id == LetterUnit.unit_id)
    settled_in_time = and_(LetterItem.settled, LetterItem.cleared_at.is_not(None),
                           LetterItem.cleared_at <= Letter.reply_by)
    return or_(and_(Letter.done_at.is_not(None), Letter.done_at <= Letter.reply_by),
               and_(exists(select(LetterItem.id).where(*own)),
                    ~exists(select(LetterItem.id).where(*own, ~settled_in_time))))


@cache
def _unit_statements() -> tuple:
    """unit_counts' six GROUP BYs, built once with the period (start, end) and now as parameters: built on every
    red/black list, SQLAlchemy spent about as long walking them for their cache keys as the database ran them."""
    start, end, now = bindparam("start"), bindparam("end"), bindparam("now")
    issued = and_(Letter.status != "draft", Letter.issued_at >= start, Letter.issued_at < end)
    return (
        select(LetterUnit.unit_id, *(count_where(Letter.step == step) for step in STEPS))
        .join(Letter, Letter.id == LetterUnit.letter_id).where(issued).group_by(LetterUnit.unit_id),
        select(LetterItem.unit_id, func.count(), count_where(LetterItem.outcome == "cleared"))
        .join(Letter, Letter.id == LetterItem.letter_id).where(issued).group_by(LetterItem.unit_id),
        select(LetterUnit.unit_id, func.count()).join(Letter, Letter.id == LetterUnit.letter_id)
        .where(Letter.status != "draft", Letter.reply_by >= start, Letter.reply_by < end, Letter.reply_by < now,
               or_(LetterUnit.replied_at.is_(None), LetterUnit.replied_at > Letter.reply_by),
               ~_settled_by_reply_by())
        .group_by(LetterUnit.unit_id),
        select(Interview.unit_id, func.count()).where(Interview.status != "cancelled",
                                                      Interview.scheduled_at >= start, Interview.scheduled_at < end)
        .group_by(Interview.unit_id),
        select(Referral.unit_id, func.count()).where(Referral.referred_at >= start, Referral.referred_at < end)
        .group_by(Referral.unit_id),
        select(TicketRelapse.unit_id, func.count()).where(TicketRelapse.created_at >= start,
                                                          TicketRelapse.created_at < end)
        .group_by(TicketRelapse.unit_id),
    )


def unit_counts(start: datetime, end: datetime, now: datetime) -> dict[int, UnitFigures]:
    figures: dict[int, UnitFigures] = defaultdict(UnitFigures)
    letters, items, late_replies, interviews, referrals, relapses = _unit_statements()
    bounds = {"start": start, "end": end}
    for unit_id, *by_step in db.session.execute(letters, bounds):
        f = figures[unit_id]
        f.supervision, f.listed, f.summons, f.bulletins = (int(n) for n in by_step)
        f.letters = f.supervision + f.listed + f.summons
    for unit_id, n_items, cleared in db.session.execute(items, bounds):
        if unit_id is not None:
            figures[unit_id].items, figures[unit_id].cleared = int(n_items), int(cleared)
    for unit_id, n in db.session.execute(late_replies, {**bounds, "now": now}):
        figures[unit_id].overdue_replies = int(n)
    for unit_id, n in db.session.execute(interviews, bounds):
        figures[unit_id].interviews = int(n)
    for unit_id, n in db.session.execute(referrals, bounds):
        figures[unit_id].referrals = int(n)
    for unit_id, n in db.session.execute(relapses, bounds):
        if unit_id is not None:
            figures[unit_id].relapses = int(n)
    return dict(figures)


def overdue_replies_now(now: datetime) -> int:
    """逾期未回复督办函: issued (not done) letters whose reply-by date passed while a 主送 unit has not replied in
    writing — the letters the list /letters?overdue=1 shows, so a figure and the page it links to agree."""
    return db.session.scalar(overdue_replies_query(now)) or 0


def overdue_replies_query(now: datetime):
    """Letters (not recipients): one letter to four units that have not replied is one letter."""
    return select(func.count(Letter.id)).where(
        exists(select(LetterUnit.id).where(LetterUnit.letter_id == Letter.id, late_reply(now))))


def overdue_reply_units_query(now: datetime):
    """The 主送 units behind those letters that have not replied (a unit late on two letters counts once)."""
    return (select(func.count(func.distinct(LetterUnit.unit_id))).join(Letter, Letter.id == LetterUnit.letter_id)
            .where(late_reply(now)))


def overdue_reply_units_now(now: datetime) -> int:
    return db.session.scalar(overdue_reply_units_query(now)) or 0


def issued_query(start: datetime, end: datetime):
    """督办函 issued in [start, end): the letters of 督办 (督办函, 挂牌督办函, 约谈通知), not the 督查通报, which
    name problems without 督办 (the dashboard's 本月督办函 and its months before)."""
    return select(func.count(Letter.id)).where(Letter.issued_at >= start, Letter.issued_at < end, Letter.escalates)


def dashboard_figures(now: datetime, start: datetime, end: datetime) -> dict:
    """Plain numbers (the dashboard stores its result): what waits for a decision and what the period held
    (issued: 督办函 issued in it, issued_query).
    One statement of scalar subqueries: the dashboard refreshes every 30 s, and on PostgreSQL each statement is a
    round trip."""
    from .proposals import count_open_query
    from .services import DRAFTS

    counts = {
        "proposals": count_open_query(now),
        "drafts": DRAFTS,  # waiting for a signature, as 待签发 lists them (a returned draft waits for the office)
        "open_letters": select(func.count(Letter.id)).where(Letter.status == "issued"),
        "overdue_replies": overdue_replies_query(now),
        # of those two, the 督查通报 (they ask for a written reply too, but are no 督办函: the card says how many)
        "open_bulletins": select(func.count(Letter.id)).where(Letter.status == "issued", ~Letter.escalates),
        "overdue_bulletins": overdue_replies_query(now).where(~Letter.escalates),
        "interviews": select(func.count(Interview.id)).where(
            Interview.status != "cancelled", Interview.scheduled_at >= start, Interview.scheduled_at < end),
        "interviews_upcoming": select(func.count(Interview.id)).where(
            Interview.status == "scheduled", Interview.scheduled_at >= now),
        "referrals": select(func.count(Referral.id)).where(Referral.referred_at >= start, Referral.referred_at < end),
        "relapses": select(func.count(TicketRelapse.id)).where(
            TicketRelapse.created_at >= start, TicketRelapse.created_at < end),
        "rechecks_due": select(func.count(Recheck.id)).where(Recheck.status == "open", Recheck.due_at <= now),
        "issued": issued_query(start, end),
    }
    row = db.session.execute(select(*(query.scalar_subquery().label(name) for name, query in counts.items()))).one()
    return {name: int(value or 0) for name, value in zip(counts, row)}


def unit_history(unit_id: int) -> dict:
    """Everything escalation holds about one unit, newest first; `unsettled`: its letters not settled for it (待销号:
    an item of its own not yet 销号, Letter.settled_for), whatever the other 主送 units' items."""
    letters = list(db.session.scalars(
        select(Letter).join(LetterUnit, LetterUnit.letter_id == Letter.id)
        .where(LetterUnit.unit_id == unit_id, Letter.status != "draft")
        .options(selectinload(Letter.items))
        .order_by(Letter.issued_at.desc(), Letter.id.desc())).unique())
    return {
        "letters": letters,
        "unsettled": sum(1 for letter in letters if not letter.settled_for(unit_id)),
        "interviews": list(db.session.scalars(select(Interview).where(Interview.unit_id == unit_id)
                                              .order_by(Interview.scheduled_at.desc(), Interview.id.desc())).unique()),
        "referrals": list(db.session.scalars(select(Referral).where(Referral.unit_id == unit_id)
                                             .order_by(Referral.referred_at.desc(), Referral.id.desc())).unique()),
        "relapses": list(db.session.scalars(select(TicketRelapse).where(TicketRelapse.unit_id == unit_id)
                                            .order_by(TicketRelapse.created_at.desc(), TicketRelapse.id.desc())
                                            .limit(50)).unique()),
        "rechecks": list(db.session.scalars(select(Recheck).where(Recheck.unit_id == unit_id)
                                            .order_by(Recheck.due_at.desc(), Recheck.id.desc()).limit(50)).unique()),
    }
