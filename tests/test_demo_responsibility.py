"""The demo city shows issue 15: 包抓 departments with their tickets, carriers with 蜘蛛网 tickets, a pole three
carriers share, 门前四包 frontages and repeat offenders, citizens' reports and 12345 cases waiting."""
from __future__ import annotations

from sqlalchemy import func, select

from inspect_app.auth.models import User
from inspect_app.common.timeutil import local
from inspect_app.demo.activity import seed_activity
from inspect_app.demo.outside import seed_outside, summary_line
from inspect_app.extensions import db
from inspect_app.frontages import services as frontages
from inspect_app.intake.models import IntakeItem
from inspect_app.tickets.models import Ticket, TicketUnit
from inspect_app.units.models import Category, Segment, Unit


def test_the_demo_city_shows_responsibility_and_intake(app, now, demo_city):
    demo_city("city")  # seed_demo(now)
    adopted = dict(db.session.execute(select(Segment.adopting_unit_id, func.count()).group_by(
        Segment.adopting_unit_id)).all())
    # the 40 city departments (codes SZ..; the assessment's hospitals and window units are 市直单位 too, and adopt none)
    departments = set(db.session.scalars(select(Unit.id).where(Unit.kind == "市直单位", Unit.code.like("SZ%"))))
    assert len(departments) == 40
    assert set(adopted) == departments and set(adopted.values()) == {6}  # 6 segments each

    seed_activity(now, tickets=80)
    result = seed_outside(now)
    kinds = dict(db.session.execute(select(Unit.kind, func.count(TicketUnit.id)).join(
        TicketUnit, TicketUnit.unit_id == Unit.id).group_by(Unit.kind)).all())
    assert kinds.get("市直单位", 0) >= 10 and kinds.get("企业", 0) >= 3, kinds  # departments and carriers answer

    pole = db.session.scalar(select(Ticket).where(Ticket.address.like("%共用电杆%")))
    assert [p.unit.code for p in pole.parts] == ["QY03", "QY01", "QY02"]
    assert [p.status for p in pole.parts] == ["open", "rectified", "open"]

    admin = db.session.scalar(select(User).where(User.role == "admin"))
    offenders = frontages.repeat_offenders(admin, now)
    assert len(offenders) == 3 and result["frontages"] == 30
    from inspect_app.frontages.models import FrontageNotice
    notice = db.session.scalar(select(FrontageNotice))  # an offender's street office gave it notice
    assert result["notices"] == 1 and notice.frontage in [o.frontage for o in offenders] and notice.seq == 1
    statuses = dict(db.session.execute(select(IntakeItem.status, func.count()).group_by(IntakeItem.status)).all())
    assert statuses["pending"] >= 6 and statuses["accepted"] == 4 and statuses["declined"] == 1
    merged = db.session.scalar(select(IntakeItem).where(IntakeItem.status == "merged"))
    assert (merged.source, merged.ticket_id) == ("hotline", pole.id)  # the caller's report of the pole, 并案
    assert {t.source for t in db.session.scalars(select(Ticket))} >= {"citizen", "hotline", "superior"}
    feedback = list(db.session.scalars(select(Ticket).where(Ticket.source == "superior")))
    assert len(feedback) == 2 and all("省级文明城市测评实地考察反馈问题清单第" in t.description and t.unit_id
                                      for t in feedback)
    assert "屡次违反 3 家" in summary_line(result) and "上级测评反馈问题 2 件" in summary_line(result)
    # an inspector's 门前四包 finds, and the fixes, come in the daytime, as the rest of the demo's work does
    menqian = list(db.session.scalars(select(Ticket).join(Ticket.category).where(Category.code == "menqian")))
    assert len(menqian) >= 10
    assert all(8 <= local(t.reported_at).hour < 18 for t in menqian)
    assert all(8 <= local(t.rectified_at).hour < 18 for t in menqian if t.rectified_at)
    assert seed_outside(now)["frontages"] == 0  # a second run adds nothing
