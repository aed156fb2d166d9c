"""The demo's six weeks of activity: believable, complete, self-contained and loaded only once."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inspect_app.demo.activity import seed_activity, summary_line
from inspect_app.demo.seed import seed_demo
from inspect_app.escalation.models import Letter
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.photos.storage import PhotoStore
from inspect_app.rankings.models import Ranking
from inspect_app.tickets.models import Ticket, TicketEvent
from conftest import at


def test_demo_activity(app, now, demo_city):
    result = demo_city("activity")["activity"]  # seed_demo(now), then seed_activity(now, tickets=60)

    statuses = dict(db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    assert result["tickets"] == sum(statuses.values()) >= 55
    assert {"closed", "assigned", "cancelled"} <= set(statuses), statuses
    assert len(statuses) >= 4, statuses
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.deadline < now,
                                                                 Ticket.status == "assigned")) >= 1
    assert db.session.scalar(select(func.max(Ticket.reported_at))) <= now
    assert db.session.scalar(select(func.min(Ticket.reported_at))) >= now - timedelta(days=43)
    actions = set(db.session.scalars(select(TicketEvent.action).distinct()))
    assert {"create", "dispatch", "rectify", "approve", "escalate"} <= actions, actions

    letters = list(db.session.scalars(select(Letter)))
    issued = [letter for letter in letters if letter.status != "draft"]
    assert issued and result["letters"] == len(issued)
    assert all(letter.issued_at <= now for letter in issued)
    # 督办 is the office's decision (ESCALATION_MODE=propose): one or two batches a week, signed by the leader,
    # one letter per level in a batch, not one letter per unit and level every day
    from inspect_app.common.timeutil import local
    from inspect_app.escalation.models import Proposal
    weeks: dict = {}
    for letter in issued:
        day = local(letter.issued_at).date()
        weeks.setdefault(day.isocalendar()[:2], set()).add(day)
        assert letter.signed_by is not None and letter.signed_by.role == "leader"
    assert weeks and all(len(days) <= 2 for days in weeks.values()), weeks
    batches = {(local(l.issued_at).date(), l.level) for l in issued}
    assert len(batches) == len(issued)  # one letter per level and batch
    assert db.session.scalar(select(func.count(Proposal.id))) >= len(issued)
    assert any(len(letter.recipients) > 1 for letter in issued)  # batches go to several units at once
    assert db.session.scalar(select(func.count(Ranking.id))) >= 1
    assert "问题" in summary_line(result)

    # the special campaigns (专项整治行动) hold the demo's tickets of their categories: two run, one has ended
    from inspect_app.campaigns.progress import figures
    from inspect_app.office.campaigns import list_campaigns
    campaigns = {c.name: c for c in list_campaigns()}
    assert len(campaigns) == 3
    assert sorted(c.status(local(now).date()) for c in campaigns.values()) == ["已结束", "进行中", "进行中"]
    assert figures(campaigns["牛皮癣集中清理专项行动"], now)["total"] == db.session.scalar(
        select(func.count(Ticket.id)).join(Ticket.category).where(Ticket.category.has(code="niupixuan"),
                                                                  Ticket.status != "cancelled")) > 0
    assert seed_demo(now)["campaigns"] == 0  # loaded once

    # No orphan files: every stored photo file has its row, and every row its files.
    store = PhotoStore(app.config["UPLOAD_FOLDER"])
    keys = set(store.iter_keys())
    rows = set(db.session.scalars(select(Photo.key)))
    assert keys == rows and rows
    assert all(store.path(k).is_file() and store.path(k, thumb=True).is_file() for k in rows)
    upload = Path(app.config["UPLOAD_FOLDER"])
    for path in upload.rglob("*"):
        if path.is_file() and path.suffix == ".jpg":
            assert path.name.removesuffix(".jpg").removesuffix("_t").removesuffix("_st") in rows, path

    # A second run adds nothing.
    files = sorted(p for p in upload.rglob("*") if p.is_file())
    counts = (db.session.scalar(select(func.count(Ticket.id))), len(letters),
              db.session.scalar(select(func.count(Ranking.id))))
    again = seed_activity(now, tickets=60)
    assert again["tickets"] == 0
    assert (db.session.scalar(select(func.count(Ticket.id))), db.session.scalar(select(func.count(Letter.id))),
            db.session.scalar(select(func.count(Ranking.id)))) == counts
    assert sorted(p for p in upload.rglob("*") if p.is_file()) == files


@pytest.mark.parametrize("now", [at("2026-12-07T08:30:00+08:00"), at("2026-12-11T16:00:00+08:00")],
                         ids=["monday-before-the-sweep", "friday-after-the-signing"])
def test_the_demo_ends_with_what_the_tour_shows(app, now):
    """Whatever the day and hour it is loaded (README's tour): a batch waiting for the leader's 签发 that can be
    signed, a letter 交警支队 (sz03) has not signed for, a 约谈通知 whose 约谈 was held and recorded, one 约谈 still to
    come, and a 问责."""
    seed_demo(now)
    seed_activity(now)

    from inspect_app.escalation.models import Interview, LetterUnit, Referral
    from inspect_app.escalation.signing import check_ready
    from inspect_app.units.models import Unit
    drafts = list(db.session.scalars(select(Letter).where(Letter.status == "draft")))
    assert drafts
    for draft in drafts:
        check_ready(draft, now)  # nothing in the batch went stale: the leader can sign it as it is
    assert all(draft.created_at <= now for draft in drafts)

    sz03 = db.session.scalar(select(Unit).where(Unit.code == "SZ03"))
    unsigned = list(db.session.scalars(select(Letter).join(LetterUnit, LetterUnit.letter_id == Letter.id).where(
        LetterUnit.unit_id == sz03.id, LetterUnit.acknowledged_at.is_(None), Letter.status == "issued")))
    assert unsigned and all(letter.issued_at <= now for letter in unsigned)

    summonses = list(db.session.scalars(select(Letter).where(Letter.kind == "summons", Letter.level == 3,
                                                             Letter.status != "draft")))
    assert summonses
    held = list(db.session.scalars(select(Interview).where(Interview.letter_id.in_([s.id for s in summonses]),
                                                           Interview.status == "held")))
    assert held and all(i.record and i.scheduled_at <= i.recorded_at <= now for i in held)
    assert sz03.id in {i.unit_id for i in held}
    # and one still to come, so the tour can show a 待约谈 and the step that records it: in the coming days, for a
    # letter to its unit, the unit's 约谈安排 in 消息
    upcoming = list(db.session.scalars(select(Interview).where(Interview.status == "scheduled")))
    assert upcoming
    for coming in upcoming:
        assert now < coming.scheduled_at <= now + timedelta(days=7) and coming.created_at <= now and coming.announced
        assert coming.letter.status == "issued" and coming.unit_id in coming.letter.unit_ids and not coming.record
    referrals = list(db.session.scalars(select(Referral)))
    assert referrals and all(r.referred_to == "市纪委监委" and r.letter.level >= 2 for r in referrals)


def test_every_problem_the_sweep_would_propose_has_its_proposal(app, now):
    """The 测评 rounds' findings and the 上级测评反馈 tickets were written after the replay's last sweep: a director
    opening the demo saw overdue problems the system had never proposed for 督办, unlike every other overdue one.
    Loaded whole (`python run.py --demo`), every (problem, unit, level) the sweep would propose as of `now` has its
    督办建议, decided as the sweep decides (proposals.write_proposals)."""
    from inspect_app.demo import load
    from inspect_app.demo.seed import DEFAULT_PASSWORD
    from inspect_app.escalation.levels import target_level
    from inspect_app.escalation.models import Proposal
    from inspect_app.escalation.sweep import candidates

    load(now, DEFAULT_PASSWORD, say=lambda line: None)
    due = set()
    for ticket_id, unit_id, level, deadline, reply_by, _part in candidates(now, lock=False):
        target = target_level(deadline, level, {level: reply_by}, now)
        if target > level:
            due.add((ticket_id, unit_id, target))
    proposed = set(db.session.execute(select(Proposal.ticket_id, Proposal.unit_id, Proposal.level).where(
        Proposal.closed_at.is_(None) | Proposal.outcome.in_(("dismissed", "issued")))).tuples())
    assert due, "the demo has overdue problems to propose"
    sources = {ticket_id: source for ticket_id, source in db.session.execute(
        select(Ticket.id, Ticket.source).where(Ticket.id.in_([ticket_id for ticket_id, _, _ in due])))}
    missing = sorted((sources[t], t, u, level) for t, u, level in due - proposed)
    assert not missing, missing
