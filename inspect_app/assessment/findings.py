"""Which failed items of a round count, and against which unit, as things stand now.

A failed item (Result.passed false) became a ticket. What the office decides on that ticket afterwards decides the
finding too:
- voided (作废) as wrong — the inspector misjudged (误判), the site met the standard after all — the finding no
  longer stands: it deducts nothing and is no failure in any score, 通报, 曝光版 or ranking;
- voided as a repeat of another problem (作废 with 与…重复, tickets/services.cancel duplicate_of) it still stands: the
  site did fall short, and the other ticket follows the problem;
- moved to another unit (重新派遣, as after a 退单 the office accepted: the first unit did not answer for it), it is
  charged to the unit the ticket is with now. Without a ticket (none was made), to the unit the checklist named at
  submission (Result.unit_id).

Read from the tickets at query time, never copied onto the results: every page, the API, the 曝光版 and the
rankings then agree with the ticket's own page, for rounds scored before this too. RoundSite.score and .deducted
stay what the inspector submitted; the figures here are the ones shown."""
from __future__ import annotations

from sqlalchemy import String, case, exists, func, literal_column, select

from ..common.numbers import round_half_up
from ..common.sql import const, position_in
from ..extensions import db
from ..tickets.models import Ticket, TicketEvent
from .models import ChecklistVersion, Result, Round, RoundSite, answered_by, unit_is

_DUPLICATE_KEY = literal_column("'\"duplicate_of\"'", String())  # the cancel event's data: {"duplicate_of": "…"}


def voided_as_repeat():
    """SQL (correlated to Ticket): the ticket was voided as a repeat of another problem."""
    return exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.action == const("cancel"),
                          position_in(TicketEvent.data_json, _DUPLICATE_KEY) > 0).correlate(Ticket)


def withdrawn():
    """SQL (correlated to Result): the finding's ticket was voided, and not as a repeat: the finding was wrong."""
    return (exists().where(Ticket.id == Result.ticket_id, Ticket.status == const("cancelled"), ~voided_as_repeat())
            .correlate(Result))


def standing():
    """SQL (correlated to Result): a failed item that counts now."""
    return Result.passed.is_(False) & ~withdrawn()


def charged_unit():
    """SQL (correlated to Result): the unit the finding is charged to now: its ticket's, else the one named at
    submission. (Result.charged_unit_id says the same of a loaded result.)"""
    return func.coalesce(select(Ticket.unit_id).where(Ticket.id == Result.ticket_id).correlate(Result)
                         .scalar_subquery(), Result.unit_id)


def charged_at(unit_id):
    """SQL (correlated to RoundSite): a finding that stands at the drawn site is charged to `unit_id` now (or to
    any of a collection of ids)."""
    return exists().where(Result.round_site_id == RoundSite.id, standing(), unit_is(charged_unit(), unit_id))


def concerns(unit_id):
    """SQL (RoundSite and Site joined): the drawn site is `unit_id`'s in its round: it answered for the site then
    in any role (models.answered_by), or a finding there is charged to it now (a 退单 moved the task to it, though
    it holds no role at the site). The one rule for which of a round's sites a unit sees: its scores, its 测评结果,
    the round and the site's results in the API. Given a unit's 辖区 (a collection of ids), the sites any of them
    concerns: what its overseeing clerk reads (services.round_site_scope)."""
    return answered_by(unit_id) | charged_at(unit_id)


def deducted():
    """SQL (correlated to RoundSite): the points its standing failures deduct."""
    return (select(func.coalesce(func.sum(Result.deducted), 0.0))
            .where(Result.round_site_id == RoundSite.id, standing()).correlate(RoundSite).scalar_subquery())


def score():
    """SQL (correlated to RoundSite): a submitted site's score now, full marks less its standing deductions (never
    below 0); NULL for a site not submitted."""
    full = (select(ChecklistVersion.full_score).join(Round, Round.checklist_version_id == ChecklistVersion.id)
            .where(Round.id == RoundSite.round_id).correlate(RoundSite).scalar_subquery())
    raw = full - deducted()
    return case((RoundSite.status != const("submitted"), None), (raw < 0, 0.0), else_=raw)


def site_scores(rs_ids) -> dict[int, tuple[float, float]]:
    """{round site id: (deducted, score)} now, for the submitted ones of these drawn sites (one query)."""
    ids = list(rs_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(RoundSite.id, deducted(), score())
                              .where(RoundSite.id.in_(ids), RoundSite.status == const("submitted")))
    return {rs_id: (round_half_up(points or 0.0, 2), round_half_up(value, 2)) for rs_id, points, value in rows}


def withdrawn_ids(rs_ids) -> set[int]:
    """The ids of the failed results of these drawn sites whose finding was withdrawn (voided as wrong)."""
    ids = list(rs_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Result.id).where(Result.round_site_id.in_(ids), Result.passed.is_(False),
                                                           withdrawn())))


def withdrawn_count(round_id: int) -> int:
    """How many of the round's failed items were voided as wrong (the 通报 says so beside the count)."""
    return db.session.scalar(select(func.count()).select_from(Result)
                             .join(RoundSite, RoundSite.id == Result.round_site_id)
                             .where(RoundSite.round_id == round_id, Result.passed.is_(False), withdrawn())) or 0
