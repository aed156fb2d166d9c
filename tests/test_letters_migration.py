"""Migration 0020 keeps the letters issued before it: issued, numbered, with their items and their 签收."""
from __future__ import annotations

from conftest import PASSWORD, City, at, migrated, processed
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inspect_app.extensions import db


def test_existing_letters_stay_issued_letters(empty_db, now, client):
    from inspect_app.tickets.services import NewReport, create_ticket

    # The city and its ticket are made with today's models, then the schema goes back to before 0020 (the
    # downgrades keep the rows), where the letters are written as the old code wrote them.
    migrated()
    city = City(now)
    ticket, _ = create_ticket(city.inspector, NewReport(category="niupixuan", photos=[processed()],
                                                        lat=City.ON_A[0], lon=City.ON_A[1]), now)
    db.session.commit()
    street_a, clerk, ticket_id, ticket_number = city.street_a.id, city.unit_a.id, ticket.id, ticket.number
    db.session.remove()
    downgrade(revision="0010")
    issued, reply_by, acked = "2026-11-27 01:00:00", "2026-12-02 15:59:59", "2026-11-27 02:00:00"
    with db.engine.begin() as conn:
        for seq, (level, ack) in enumerate(((1, acked), (2, None)), start=1):
            conn.execute(text(
                "INSERT INTO letters (number, year, seq, unit_id, level, issued_at, reply_by, pdf_path, "
                "acknowledged_at, acknowledged_by) VALUES (:number, 2026, :seq, :unit, :level, :issued, :reply_by, "
                ":path, :ack, :by)"), {"number": f"临江文明督〔2026〕{seq}号", "seq": seq, "unit": street_a,
                                       "level": level, "issued": issued, "reply_by": reply_by,
                                       "path": f"letters/2026/{seq:05d}.pdf", "ack": ack,
                                       "by": clerk if ack else None})
            conn.execute(text(
                "INSERT INTO letter_items (letter_id, ticket_id, level, reply_by, position, ticket_number, "
                "category_name, place, days_overdue) VALUES (:letter, :ticket, :level, :reply_by, 1, :number, "
                "'牛皮癣', '人民路', 1)"), {"letter": seq, "ticket": ticket_id, "level": level, "reply_by": reply_by,
                                          "number": ticket_number})
    db.session.remove()
    upgrade()

    from inspect_app.escalation.models import Letter
    letters = db.session.scalars(db.select(Letter).order_by(Letter.id)).all()
    assert [(l.status, l.kind, l.series, l.number, l.seq) for l in letters] == [
        ("issued", "supervision", "letter", "临江文明督〔2026〕1号", 1),
        ("issued", "listed", "letter", "临江文明督〔2026〕2号", 2)]
    first, second = letters
    assert [r.unit_id for r in first.recipients] == [street_a]
    assert first.recipients[0].acknowledged_at == at("2026-11-27T10:00:00+08:00")
    assert first.recipients[0].acknowledged_by == clerk and first.acknowledged_by == clerk
    assert second.recipients[0].acknowledged_at is None
    assert [(i.ticket_id, i.unit_id, i.level) for i in first.items] == [(ticket_id, street_a, 1)]
    assert first.created_at == first.issued_at and first.title is None and first.revision == 1
    # they read and print as before (their level's built-in wording)
    def get(url, username):
        token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()
        return client.get(url, headers={"Authorization": f"Bearer {token['token']}"})

    body = get(f"/api/v1/letters/{first.id}", "unit_a").get_json()
    assert body["status"] == "issued" and body["number"] == "临江文明督〔2026〕1号"
    assert body["acknowledged_at"] == "2026-11-27T10:00:00+08:00" and body["ticket_ids"] == [ticket_id]
    pdf = get(f"/api/v1/letters/{second.id}/pdf", "admin")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    db.session.remove()

    downgrade(revision="0010")
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT number, acknowledged_by FROM letters ORDER BY id")).all()
    assert [(r[0], r[1]) for r in rows] == [("临江文明督〔2026〕1号", clerk), ("临江文明督〔2026〕2号", None)]


def test_0125_settles_the_items_of_units_that_left_their_problem(empty_db, now, app):
    """Items left open by an older release after their unit left the problem (here 乙, taken off as 协办) are
    moved on, and a letter with nothing else open is 办结; the lead's item, still owed, stays open."""
    from sqlalchemy import delete, select

    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.models import Letter
    from inspect_app.tickets import parts
    from inspect_app.tickets.models import TicketUnit
    from inspect_app.tickets.services import NewReport, create_ticket

    migrated()
    city = City(now)
    ticket, _ = create_ticket(city.inspector, NewReport(category="niupixuan", photos=[processed()],
                                                        lat=City.ON_A[0], lon=City.ON_A[1]), now)
    parts.add_assist(ticket, city.street_b, now, city.admin)
    db.session.commit()
    app.config["ESCALATION_MODE"] = "auto"
    to_a, to_b = [letter.id for letter in run_sweep(at("2026-11-27T09:00:00+08:00")).letters]
    db.session.execute(delete(TicketUnit).where(TicketUnit.unit_id == city.street_b.id))  # as it was left
    db.session.commit()
    db.session.remove()
    downgrade(revision="0124")
    upgrade()
    letters = {letter.id: letter for letter in db.session.scalars(select(Letter))}
    [moved], [owed] = letters[to_b].items, letters[to_a].items
    assert (moved.outcome, moved.clear_note, letters[to_b].status) == (
        "moved", "该单位已不再负责本问题（现由甲街道办事处主办）", "done")
    assert letters[to_b].done_at is not None
    assert (owed.outcome, letters[to_a].status) == (None, "issued")
