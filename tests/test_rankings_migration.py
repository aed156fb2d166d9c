"""Migration 0050 on a database with published lists: they stay readable and unchanged (no 文号), the two shipped
schemes and four groups arrive, the default in force; the downgrade runs on those rows."""
from __future__ import annotations

from conftest import migrated
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inspect_app.extensions import db


def test_0050_keeps_published_lists_and_seeds_schemes_and_groups(empty_db, now):
    from conftest import City

    migrated("0031")
    City(now)  # units and accounts
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO rankings (period, kind, period_start, period_end, version, published_at, as_of, office, "
            "rules_json, formula_text, cases_json, summary_json) VALUES ('2026-10', 'month', :s, :e, 1, :e, :e, "
            "'临江市文明办', '{}', '综合得分 = 按期结案率×50', '[]', '{}')"),
            {"s": "2026-09-30 16:00:00", "e": "2026-10-31 16:00:00"})
        ranking_id = conn.execute(text("SELECT id FROM rankings")).scalar()
        unit_id = conn.execute(text("SELECT id FROM units ORDER BY id")).scalar()
        conn.execute(text(
            "INSERT INTO ranking_entries (ranking_id, position, unit_id, unit_code, unit_name, unit_kind, rank, "
            "list_name, insufficient, score, reason, figures_json, ticket_ids_json) VALUES (:r, 1, :u, 'JDA', "
            "'甲街道办事处', '街道', 1, 'red', :f, 98.5, '按期结案率100%', '{}', '{}')"),
            {"r": ranking_id, "u": unit_id, "f": False})
        conn.execute(text("INSERT INTO ranking_settings (rules_json, saved_at) VALUES ('{}', :t)"),
                     {"t": "2026-11-01 00:00:00"})
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT period, number, formula_text FROM rankings")).one() == (
            "2026-10", None, "综合得分 = 按期结案率×50")
        assert conn.execute(text("SELECT unit_name, score, group_name FROM ranking_entries")).one() == (
            "甲街道办事处", 98.5, "")
        schemes = conn.execute(text("SELECT code, in_force FROM ranking_schemes ORDER BY id")).all()
        # 0143 adds the district scheme to the schemes stored
        assert [(c, bool(f)) for c, f in schemes] == [("default", True), ("city_b", False), ("district", False)]
        assert [r[0] for r in conn.execute(text("SELECT name FROM ranking_groups ORDER BY sort_order"))] == [
            "市直部门", "区县", "街道/乡镇", "企业"]
    from inspect_app.rankings import services
    assert services.scheme_in_force().code == "default"
    assert [g.name for g in services.groups()] == ["市直部门", "区县", "街道/乡镇", "企业"]
    db.session.remove()
    downgrade(revision="0031")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM rankings")).scalar() == 1
    db.session.remove()
    upgrade()


def test_0092_gives_the_shipped_schemes_the_new_terms_unless_the_office_changed_them(empty_db):
    import json

    from inspect_app.rankings.schemes import DEFAULT_SCHEME

    migrated("0091")
    with db.engine.begin() as conn:
        edited = json.loads(conn.execute(text("SELECT document_json FROM ranking_schemes WHERE code = 'city_b'"))
                            .scalar())
        edited["per"]["overdue"] = 3  # the office's own weight
        conn.execute(text("UPDATE ranking_schemes SET document_json = :d WHERE code = 'city_b'"),
                     {"d": json.dumps(edited, ensure_ascii=False)})
    db.session.remove()
    upgrade()

    def documents():
        with db.engine.connect() as conn:
            return {code: json.loads(doc) for code, doc in conn.execute(
                text("SELECT code, document_json FROM ranking_schemes"))}

    after = documents()
    assert after["default"] == DEFAULT_SCHEME and after["default"]["per"]["task_lagging"] == 1
    assert after["city_b"] == edited and "task_lagging" not in after["city_b"]["per"]
    from inspect_app.rankings import services
    assert "牵头的创建任务滞后每项扣1分" in services.scheme_in_force().method_text
    db.session.remove()
    downgrade(revision="0091")
    before = documents()
    assert "task_lagging" not in before["default"]["per"] and "superior" not in before["default"]["found"]
    assert before["city_b"] == edited
    db.session.remove()
    upgrade()


def test_0119_tells_the_entered_leaders_assignments_from_leaders_inspections(empty_db, now):
    """The 领导交办 entries made before were tickets of source leader (领导督导): they take leader_assigned; a
    leader's own inspection keeps leader."""
    from conftest import City
    from werkzeug.datastructures import MultiDict

    from inspect_app.intake import services as intake
    from inspect_app.tickets.services import NewReport, create_ticket

    migrated()
    city = City(now)
    assigned = intake.enter(city.admin, MultiDict({"source": "leader", "reference": "王市长批示：抓紧整治",
                                                   "category": "niupixuan", "segment_id": str(city.seg_a.id)}),
                            None, now)
    inspected, _ = create_ticket(city.admin, NewReport(category="niupixuan", photos=[], photos_required=False,
                                                       segment_id=city.seg_a.id, source="leader"), now)
    db.session.commit()
    ids = assigned.id, inspected.id
    db.session.remove()

    def sources():
        with db.engine.connect() as conn:
            return dict(conn.execute(text("SELECT id, source FROM tickets WHERE id IN (:a, :b)"),
                                     {"a": ids[0], "b": ids[1]}).all())

    downgrade(revision="0118")
    assert sources() == {ids[0]: "leader", ids[1]: "leader"}  # as they were stored before
    upgrade()
    assert sources() == {ids[0]: "leader_assigned", ids[1]: "leader"}


def test_0142_counts_the_district_group_over_its_territory(empty_db):
    """The 区县 group (by name, or by the kind 区县 among its units' kinds) is counted over its territory from now
    on; the others stay as they were, and so do published lists."""
    migrated("0141")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE ranking_groups SET name = '区县（市）' WHERE name = '区县'"))
        conn.execute(text("INSERT INTO ranking_groups (name, sort_order, unit_kinds, red_size, red_floor, black_size, "
                          "black_below) VALUES ('县区', 9, '', 1, 90, 1, 100)"))
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT name, territorial FROM ranking_groups")).all())
    assert {name: bool(on) for name, on in rows.items()} == {
        "市直部门": False, "区县（市）": True, "街道/乡镇": False, "企业": False, "县区": False}
    db.session.remove()
    downgrade(revision="0141")
    db.session.remove()
    upgrade()


def test_0143_scores_the_territorial_groups_under_the_district_scheme(empty_db):
    """The shipped district scheme joins the schemes the office stored, and the groups counted over their territory
    take it; an office's own scheme of that code is neither replaced nor given to the groups."""
    import json

    migrated("0142")
    with db.engine.connect() as conn:
        assert [c for (c,) in conn.execute(text("SELECT code FROM ranking_schemes ORDER BY id"))] == [
            "default", "city_b"]
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT name, scheme_code FROM ranking_groups")).all())
        stored = conn.execute(text("SELECT name, document_json, in_force FROM ranking_schemes "
                                   "WHERE code = 'district'")).one()
    assert rows == {"市直部门": None, "区县": "district", "街道/乡镇": None, "企业": None}
    from inspect_app.rankings.schemes import DISTRICT_SCHEME
    assert (stored[0], json.loads(stored[1]), bool(stored[2])) == ("区县按辖区综合评价", DISTRICT_SCHEME, False)
    from inspect_app.rankings import services
    assert services.group_rules()[1].scheme == DISTRICT_SCHEME

    db.session.remove()
    downgrade(revision="0142")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE ranking_schemes SET name = '本市区县办法' WHERE code = 'district'"))
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT scheme_code FROM ranking_groups WHERE name = '区县'")).scalar() is None
        assert conn.execute(text("SELECT name FROM ranking_schemes WHERE code = 'district'")).scalar() == "本市区县办法"
