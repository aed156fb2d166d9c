"""Migration 0060 on a database with tickets, parts and letters: an existing assisting part starts at level 0 in its
ticket's current assignment, an item without a unit gets its letter's, and two units of one ticket may then each have
a level-1 item; the downgrade runs on rows without per-part letters."""
from __future__ import annotations

import pytest
from conftest import migrated
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from inspect_app.extensions import db


def test_0060_keeps_parts_and_items_and_lets_two_units_share_a_level(empty_db, now):
    from conftest import City

    migrated("0050")
    city = City(now)
    t = "2026-11-25 02:00:00"
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO tickets (number, year, seq, status, category_id, unit_id, description, address, reporter_id, "
            "reported_at, deadline, rework_count, extension_count, escalation_level, assignment, source, version) "
            "VALUES ('2026-000001', 2026, 1, 'assigned', :c, :a, '', '', :r, :t, :t, 0, 0, 1, 2, 'inspection', 1)"),
            {"c": city.niupixuan.id, "a": city.street_a.id, "r": city.inspector.id, "t": t})
        ticket_id = conn.execute(text("SELECT id FROM tickets")).scalar()
        for unit_id, role in ((city.street_a.id, "lead"), (city.street_b.id, "assist")):
            conn.execute(text("INSERT INTO ticket_units (ticket_id, unit_id, role, status, assigned_at, deadline, note) "
                              "VALUES (:k, :u, :role, 'open', :t, :t, '')"),
                         {"k": ticket_id, "u": unit_id, "role": role, "t": t})
        conn.execute(text(
            "INSERT INTO letters (status, kind, series, number, year, seq, unit_id, level, reply_by, pdf_path, revision) "
            "VALUES ('issued', 'supervision', 'letter', 'X1', 2026, 1, :a, 1, :t, '', 1)"),
            {"a": city.street_a.id, "t": t})
        letter_id = conn.execute(text("SELECT id FROM letters")).scalar()
        conn.execute(text("INSERT INTO letter_items (letter_id, ticket_id, level, assignment, position, ticket_number, "
                          "category_name, place, days_overdue, clear_note) "
                          "VALUES (:l, :k, 1, 2, 1, '2026-000001', '', '', 1, '')"), {"l": letter_id, "k": ticket_id})
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT role, escalation_level, assignment FROM ticket_units ORDER BY id")).all() == [
            ("lead", 0, 2), ("assist", 0, 2)]
        assert conn.execute(text("SELECT unit_id FROM letter_items")).scalar() == city.street_a.id
    item = ("INSERT INTO letter_items (letter_id, ticket_id, unit_id, level, assignment, position, ticket_number, "
            "category_name, place, days_overdue, clear_note) VALUES (:l, :k, :u, 1, 2, 2, '', '', '', 0, '')")
    with db.engine.begin() as conn:  # B's own level-1 item beside A's
        conn.execute(text(item), {"l": letter_id, "k": ticket_id, "u": city.street_b.id})
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # but not a second one for B
        conn.execute(text(item), {"l": letter_id, "k": ticket_id, "u": city.street_b.id})
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM letter_items WHERE unit_id = :u"), {"u": city.street_b.id})
    db.session.remove()
    downgrade(revision="0050")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM letter_items")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM ticket_units")).scalar() == 2
    db.session.remove()
    upgrade()
