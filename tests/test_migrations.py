"""Alembic migrations: they build exactly the models' schema, keep data on upgrade, and init-db is idempotent."""
from __future__ import annotations

import warnings

import click
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from conftest import migrated
from inspect_app.cli import init_schema
from inspect_app.extensions import db


def _diff() -> list:
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite's reflection cannot read expression indexes (0131's upper(code)...): Alembic skips them there, and
        # test_the_case_blind_indexes_are_the_models checks them by name; PostgreSQL compares them
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": False, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


CASE_BLIND = {"uq_units_upper_code", "uq_users_lower_username", "uq_categories_upper_code", "uq_sites_upper_code",
              "uq_frontages_upper_code", "uq_key_tasks_year_upper_code"}


def _index_names() -> set[str]:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
        return set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")).scalars())


def test_migrations_build_the_models_schema(empty_db):
    assert init_schema() == "upgraded"
    assert "alembic_version" in inspect(db.engine).get_table_names()
    assert _diff() == [], "models changed without a migration: run `flask --app run db migrate -m ...`"


def test_the_case_blind_indexes_are_the_models(empty_db):
    assert init_schema() == "upgraded"
    migrated = _index_names()
    assert CASE_BLIND <= migrated
    _wipe_and_create_all()
    assert CASE_BLIND <= _index_names()


def _before(revision: str) -> str:
    """The revision a migration follows (its down_revision), whatever was merged in between."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


def _wipe_and_create_all() -> None:
    from conftest import _wipe_schema

    _wipe_schema()
    db.create_all()


def test_codes_differing_only_in_case_stop_the_upgrade_with_their_names(empty_db, now):
    """0131 makes codes and usernames unique in any letter case. Rows already saved twice that way (two saves at the
    same moment before it) are not merged behind the office's back: the upgrade stops before changing anything and
    names them, and goes through once they are renamed."""
    before = _before("0131")
    migrated(before)
    with db.engine.begin() as conn:
        for code, name in (("QR00", "竞态单位甲"), ("qr00", "竞态单位乙"), ("JDA", "甲街道")):
            conn.execute(text("INSERT INTO units (code, name, kind, contact_person, contact_phone, active) "
                              "VALUES (:code, :name, '市直单位', '', '', :yes)"), {"code": code, "name": name, "yes": True})
        for username in ("qbrace00", "QBRACE00"):
            conn.execute(text("INSERT INTO users (username, display_name, password_hash, role, phone, active, "
                              "must_change_password, session_version) VALUES (:u, '', 'x', 'admin', '', :yes, :no, 1)"),
                         {"u": username, "yes": True, "no": False})
        ids = dict(conn.execute(text("SELECT code, id FROM units")).all())
        user_ids = dict(conn.execute(text("SELECT username, id FROM users")).all())
    with pytest.raises(click.ClickException) as refused:
        init_schema()
    message = refused.value.message
    assert f"单位编码 QR00（id {ids['QR00']}）、qr00（id {ids['qr00']}）" in message
    assert f"用户名 QBRACE00（id {user_ids['QBRACE00']}）、qbrace00（id {user_ids['qbrace00']}）" in message \
        or f"用户名 qbrace00（id {user_ids['qbrace00']}）、QBRACE00（id {user_ids['QBRACE00']}）" in message
    assert "JDA" not in message
    db.session.remove()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == before
    assert not CASE_BLIND & _index_names()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE units SET code = 'QR01' WHERE code = 'qr00'"))
        conn.execute(text("UPDATE users SET username = 'qbrace01' WHERE username = 'QBRACE00'"))
    assert init_schema() == "upgraded"
    assert CASE_BLIND <= _index_names()


def test_upgrade_keeps_data_and_init_db_runs_again(empty_db, now):
    from conftest import City

    from inspect_app.tickets.services import NewReport, create_ticket
    from inspect_app.units.models import Unit

    # A database with data in it, taken back to the first migration's schema (every later migration's
    # downgrade runs on rows), then upgraded again: what the first schema held must survive every upgrade.
    migrated()
    city = City(now)
    from conftest import processed
    ticket, _ = create_ticket(city.inspector, NewReport(category="niupixuan", photos=[processed()],
                                                        lat=City.ON_A[0], lon=City.ON_A[1]), now)
    number = ticket.number
    db.session.commit()
    db.session.remove()
    downgrade(revision="0001")
    assert init_schema() == "upgraded"  # to head
    assert init_schema() == "upgraded"  # and again: nothing to do, nothing lost
    units = set(db.session.scalars(select(Unit.code)))
    assert units == {"JDA", "JDB", "JJ", "SZ"}
    from inspect_app.tickets.models import Ticket
    kept = db.session.scalar(select(Ticket).where(Ticket.number == number))
    assert kept is not None and len(kept.photos) == 1 and [e.action for e in kept.events] == ["create", "dispatch"]


def test_database_made_before_migrations_is_stamped(empty_db):
    db.create_all()
    assert init_schema() == "stamped"
    assert init_schema() == "upgraded"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_downgrade_to_base_and_back(empty_db):
    migrated()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert _diff() == []


def test_stored_dashboard_is_compressed_with_lz4_on_postgresql(empty_db):
    """0070: the dashboard's ~0.4 MB stored JSON is compressed with lz4 (about half pglz's server time)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("column compression is PostgreSQL's (0070 does nothing on SQLite)")

    def compression() -> str:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT attcompression FROM pg_attribute WHERE attname = 'data_json' "
                                     "AND attrelid = 'dashboard_snapshots'::regclass")).scalar()
    upgrade()
    assert compression() == "l"
    downgrade(revision="0060")
    assert compression() == ""  # the server's default again
    upgrade()
    assert compression() == "l"


def test_code_ahead_of_its_database_says_so_until_init_db(empty_db):
    """New code deployed without `init-db`: every request 503 in words (not a 500 on a column not made yet),
    /healthz 503, the scheduler refuses to start; after init-db all is served again."""
    app = empty_db
    migrated()
    with db.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    downgrade(revision="-1")
    app.extensions.pop("schema_checked", None)
    client = app.test_client()
    page = client.get("/login")
    assert page.status_code == 503 and page.headers["Retry-After"]
    body = page.get_data(as_text=True)
    assert "数据库结构还没有升级" in body and "flask --app run init-db" in body and head in body
    api = client.get("/api/v1/categories")
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "schema_outdated"
    health = client.get("/healthz")
    assert health.status_code == 503 and "init-db" in health.get_json()["message"]
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 1 and "调度器没有启动" in result.output
    assert init_schema() == "upgraded"
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_database_ahead_of_the_code_is_served_but_not_scheduled(empty_db):
    """The upgrade's window (init-db ran, the old workers not reloaded yet): pages still served; the scheduler,
    started after the reload, refuses the mismatch."""
    app = empty_db
    migrated()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    app.extensions.pop("schema_checked", None)
    client = app.test_client()
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 1 and "较新的程序版本" in result.output


def test_sign_ins_an_older_release_kept_fill_the_accounts_last_sign_in(empty_db, now):
    # 0104 made last_sign_ins empty: after an upgrade every account read 从未登录, and 90 天以上未登录 named every
    # working account made long ago. 0129 takes each account's latest login session or API token (both made only by
    # a sign-in), and leaves an account that has signed in since 0104 as it is.
    from datetime import timedelta

    from sqlalchemy import column, insert, table

    from inspect_app.auth.models import LastSignIn
    from inspect_app.common.types import UTCDateTime
    from inspect_app.office.accounts import list_accounts

    migrated("0103")
    users = table("users", column("id"), column("username"), column("display_name"), column("password_hash"),
                  column("role"), column("phone"), column("active"), column("must_change_password"),
                  column("session_version"), column("created_at", UTCDateTime()))
    sessions = table("login_sessions", column("user_id"), column("token_hash"), column("remember"),
                     column("created_at", UTCDateTime()), column("expires_at", UTCDateTime()))
    tokens = table("api_tokens", column("user_id"), column("token_hash"), column("created_at", UTCDateTime()),
                   column("expires_at", UTCDateTime()), column("session_version"))
    long_ago, days = now - timedelta(days=400), [now - timedelta(days=n) for n in range(10)]
    names = ("inspector1", "sz03", "leader", "unused", "since")
    with db.engine.begin() as conn:
        for n, name in enumerate(names, start=1):
            conn.execute(insert(users).values(id=n, username=name, display_name=name, password_hash="x",
                                              role="admin", phone="", active=True, must_change_password=False,
                                              session_version=1, created_at=long_ago))
        conn.execute(insert(sessions), [
            {"user_id": 1, "token_hash": "a1", "remember": True, "created_at": days[5], "expires_at": now},
            {"user_id": 1, "token_hash": "a2", "remember": False, "created_at": days[2], "expires_at": now},
            {"user_id": 3, "token_hash": "c1", "remember": True, "created_at": days[1], "expires_at": now},
            {"user_id": 5, "token_hash": "e1", "remember": False, "created_at": days[9], "expires_at": now}])
        conn.execute(insert(tokens), [  # the inspector's phone and a unit's system through the API
            {"user_id": 1, "token_hash": "t1", "created_at": days[3], "expires_at": now, "session_version": 1},
            {"user_id": 2, "token_hash": "t2", "created_at": days[4], "expires_at": now, "session_version": 1}])
    upgrade(revision="0104")
    with db.engine.begin() as conn:  # signed in once the upgrade was running
        conn.execute(insert(LastSignIn.__table__).values(user_id=5, at=days[0]))
    assert init_schema() == "upgraded"

    signed = {row.user_id: row.at for row in db.session.scalars(select(LastSignIn))}
    assert signed == {1: days[2], 2: days[4], 3: days[1], 5: days[0]}
    idle = [user.username for user in list_accounts(idle_since=now - timedelta(days=90))]
    assert idle == ["unused"]


def test_frontage_names_and_addresses_typed_full_width_are_folded(empty_db):
    """0134: a register typed on a Chinese input method (太平街１２０号, 老杨　米粉) is stored as the form and the
    import now store it, so a search typed in ASCII digits finds it; the Chinese punctuation stays."""
    before = _before("0134")
    migrated(before)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO units (code, name, kind, contact_person, contact_phone, active) "
                          "VALUES ('JD0101', '解放街道', '街道', '', '', :yes)"), {"yes": True})
        street = conn.execute(text("SELECT id FROM units")).scalar()
        for code, name, address in (("JF-0001", "华莱士（太平街店）", "太平街１２０号"),
                                    ("JF-0002", "老杨　米粉", "桂花路１１５－２号"), ("JF-0003", "大众面馆", "红旗路1号")):
            conn.execute(text("INSERT INTO frontages (code, name, kind, address, street_unit_id, contact_person, "
                              "contact_phone, note, active) VALUES (:code, :name, '商户', :address, :street, "
                              "'王　ＡＢ', '', '', :yes)"),
                         {"code": code, "name": name, "address": address, "street": street, "yes": True})
    assert init_schema() == "upgraded"
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT code, name, address, contact_person FROM frontages ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("JF-0001", "华莱士（太平街店）", "太平街120号", "王 AB"),
                                        ("JF-0002", "老杨 米粉", "桂花路115-2号", "王 AB"),
                                        ("JF-0003", "大众面馆", "红旗路1号", "王 AB")]


def test_notices_given_before_they_kept_what_they_print_are_filled_from_the_records(empty_db, now):
    """0135: a 整改通知书 keeps the 主送, address, 责任书 and the street office it prints (it was rebuilt from the
    register each time). Notices given before are filled from the frontage and the issuing street office as they
    stand at the upgrade: a notice given by a street the shop has since left still names that street."""
    from datetime import date

    from sqlalchemy import column, insert, table

    from inspect_app.common.types import UTCDateTime

    before = _before("0135")
    migrated(before)
    units = table("units", column("id"), column("code"), column("name"), column("kind"), column("contact_person"),
                  column("contact_phone"), column("active"))
    frontages = table("frontages", column("id"), column("code"), column("name"), column("kind"), column("address"),
                      column("street_unit_id"), column("signed_on"), column("contact_person"),
                      column("contact_phone"), column("note"), column("active"))
    notices = table("frontage_notices", column("id"), column("frontage_id"), column("street_unit_id"), column("year"),
                    column("seq"), column("due_on"), column("ticket_ids"), column("issued_at", UTCDateTime()),
                    column("received_by"))
    with db.engine.begin() as conn:
        conn.execute(insert(units), [
            {"id": 1, "code": "JD01", "name": "解放街道办事处", "kind": "街道", "contact_person": "赵主任",
             "contact_phone": "0771-5550001", "active": True},
            {"id": 2, "code": "JD02", "name": "五一街道办事处", "kind": "街道", "contact_person": "",
             "contact_phone": "", "active": True}])
        conn.execute(insert(frontages), [
            {"id": 1, "code": "JF-0001", "name": "老王米粉店", "kind": "商户", "address": "太平街372号",
             "street_unit_id": 1, "signed_on": date(2026, 3, 1), "contact_person": "", "contact_phone": "",
             "note": "", "active": True},
            {"id": 2, "code": "JF-0002", "name": "临江银行", "kind": "单位", "address": "红旗路66号",
             "street_unit_id": 2, "signed_on": None, "contact_person": "", "contact_phone": "", "note": "",
             "active": True}])  # moved from street 1 after its notice
        conn.execute(insert(notices), [
            {"id": 1, "frontage_id": 1, "street_unit_id": 1, "year": 2026, "seq": 1, "due_on": date(2026, 12, 10),
             "ticket_ids": "[]", "issued_at": now, "received_by": ""},
            {"id": 2, "frontage_id": 2, "street_unit_id": 1, "year": 2026, "seq": 2, "due_on": date(2026, 12, 10),
             "ticket_ids": "[]", "issued_at": now, "received_by": ""}])
    upgrade(revision="0135")
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, addressee, addressee_kind, address, frontage_code, signed_on, issuer_name, contact_person, "
            "contact_phone FROM frontage_notices ORDER BY id")).all()
    assert [tuple(str(v) if v is not None else None for v in row) for row in rows] == [
        ("1", "老王米粉店", "商户", "太平街372号", "JF-0001", "2026-03-01", "解放街道办事处", "赵主任", "0771-5550001"),
        ("2", "临江银行", "单位", "红旗路66号", "JF-0002", None, "解放街道办事处", "赵主任", "0771-5550001")]
    downgrade(revision=before)
    assert "addressee" not in {c["name"] for c in inspect(db.engine).get_columns("frontage_notices")}


def test_categories_in_use_of_one_name_stop_the_upgrade_with_their_names(empty_db):
    """0136: one category in use of a name (letter case and full width aside). Categories in use that already share
    one (saved at the same moment before it) are not retired behind the office's back: the upgrade stops before
    changing anything and names them; a retired one may share the name. Once one of them is retired the upgrade goes
    through, the names stored as the form now stores them, and the database refuses a second of one name."""
    from sqlalchemy import column, insert, table
    from sqlalchemy.exc import IntegrityError

    before = _before("0136")
    upgrade(revision=before)
    categories = table("categories", column("id"), column("code"), column("name"), column("group"),
                       column("urgent"), column("common"), column("sort_order"), column("active"))
    rows = [(1, "niupixuan", "牛皮癣", True), (2, "cat2", "ＬＥＤ屏　不亮", True), (3, "cat3", "led屏 不亮", True),
            (4, "cat4", "牛皮癣", False), (5, "cat5", "蜘蛛网", True)]
    with db.engine.begin() as conn:
        conn.execute(insert(categories), [{"id": i, "code": code, "name": name, "group": "市容环境", "urgent": False,
                                           "common": False, "sort_order": 100, "active": active}
                                          for i, code, name, active in rows])
    with pytest.raises(click.ClickException) as refused:
        init_schema()
    message = refused.value.message
    assert "问题类别 ＬＥＤ屏　不亮（id 2，编码 cat2）、led屏 不亮（id 3，编码 cat3）" in message
    assert "牛皮癣" not in message and "蜘蛛网" not in message  # a retired one may share its name
    db.session.remove()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == before
        assert conn.execute(text("SELECT name FROM categories WHERE id = 2")).scalar() == "ＬＥＤ屏　不亮"
    assert "uq_categories_active_upper_name" not in _index_names()
    with db.engine.begin() as conn:
        conn.execute(categories.update().where(categories.c.id == 3).values(active=False))
    assert init_schema() == "upgraded"
    assert "uq_categories_active_upper_name" in _index_names()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM categories WHERE id = 2")).scalar() == "LED屏 不亮"
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(categories.update().where(categories.c.id == 3).values(active=True))
    downgrade(revision=before)
    assert "uq_categories_active_upper_name" not in _index_names()


def test_rounds_drawn_before_they_kept_the_place_take_the_sites_place_now(empty_db, now):
    """0137: a round keeps each drawn site's street and address (its 曝光版 names the place as found). Rows drawn
    before take the site's street and address as they stand at the upgrade."""
    from sqlalchemy import column, insert, table

    from inspect_app.common.types import UTCDateTime

    before = _before("0137")
    upgrade(revision=before)
    rows = {
        "units": [{"id": 1, "code": "JD01", "name": "东风路街道办事处", "kind": "街道", "contact_person": "",
                   "contact_phone": "", "active": True}],
        "sites": [{"id": 1, "code": "GC-001", "name": "东风路公厕", "kind_id": 1, "district": "江城区",
                   "street": "东风路街道", "address": "东风路18号", "description": "", "area_json": "",
                   "territorial_unit_id": 1, "active": True}],
        "checklist_versions": [{"id": 1, "number": 1, "full_score": 100.0, "note": "", "created_at": now}],
        "assessment_rounds": [{"id": 1, "kind": "mock", "name": "第一轮", "status": "closed", "seed": 1,
                               "draw_json": "{}", "checklist_version_id": 1, "created_at": now}],
        "round_sites": [{"id": 1, "round_id": 1, "site_id": 1, "site_code": "GC-001", "site_name": "东风路公厕",
                         "site_kind_id": 1, "district": "江城区", "status": "submitted"}]}
    with db.engine.begin() as conn:
        kind = conn.execute(text("SELECT min(id) FROM site_kinds")).scalar()  # the migrations' own list
        if kind is None:
            conn.execute(text("INSERT INTO site_kinds (id, name, sort_order, active) VALUES (1, '公共厕所', 1, :y)"),
                         {"y": True})
        rows["sites"][0]["kind_id"] = rows["round_sites"][0]["site_kind_id"] = kind or 1
        for name, values in rows.items():
            conn.execute(insert(table(name, *(column(key, UTCDateTime()) if key == "created_at" else column(key)
                                              for key in values[0]))), values)
    upgrade(revision="0137")
    with db.engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT site_street, site_address FROM round_sites")).one()) == \
            ("东风路街道", "东风路18号")
    downgrade(revision=before)
    assert "site_street" not in {c["name"] for c in inspect(db.engine).get_columns("round_sites")}


def test_notices_given_before_they_kept_their_problems_are_filled_from_the_tickets(empty_db, now):
    """0139: a 整改通知书 keeps its problem rows as printed (it read them from the tickets each time). Notices given
    before are filled from the tickets as they stand at the upgrade, in the notice's order, a problem since gone
    left out."""
    import json

    from conftest import City, processed

    from inspect_app.common.timeutil import isoformat
    from inspect_app.frontages.models import Frontage, FrontageNotice
    from inspect_app.tickets.services import NewReport, create_ticket

    upgrade()
    city = City(now)
    tickets = [create_ticket(city.inspector, NewReport(category="niupixuan", photos=[processed()], lat=City.ON_B[0],
                                                       lon=City.ON_B[1], address=f"建设路{n}号",
                                                       description=f"  第{n}处小广告 "), now)[0] for n in (1, 2)]
    frontage = Frontage(code="JB-001", name="老杨家米粉店", address="建设路18号", street_unit=city.street_b)
    notice = FrontageNotice(frontage=frontage, street_unit=city.street_b, year=2026, seq=1, due_on=now.date(),
                            ticket_ids=json.dumps([tickets[1].id, 999999, tickets[0].id]), issued_at=now)
    db.session.add_all([frontage, notice])
    db.session.commit()
    expected = [(t.id, t.number, isoformat(t.reported_at), t.category.name, f"建设路{n}号（{t.segment.name}）",
                 f"第{n}处小广告", t.photos[0].key) for n, t in ((2, tickets[1]), (1, tickets[0]))]
    db.session.remove()
    before = _before("0139")
    downgrade(revision=before)
    assert "problems" not in {c["name"] for c in inspect(db.engine).get_columns("frontage_notices")}
    upgrade(revision="0139")
    with db.engine.connect() as conn:
        rows = json.loads(conn.execute(text("SELECT problems FROM frontage_notices")).scalar())
    assert [(r["id"], r["number"], r["reported_at"], r["category"], r["place"], r["description"], r["photo"])
            for r in rows] == expected


def test_hotline_case_numbers_stored_full_width_are_folded_and_a_case_stored_twice_keeps_both(empty_db, now, capsys):
    """0140: a 12345 case number stored full-width before numbers were read in NFKC (ＳＨ２０２６…) is folded, so a
    later post or import of SH2026… finds its case instead of making a second one. A case already stored twice keeps
    both rows (each its own history): the row holding the folded number keeps it, else the first stored takes it; the
    other keeps its number and the upgrade names both. A feedback item's key stays as written."""
    from sqlalchemy import column, insert, table

    from inspect_app.common.types import UTCDateTime
    from inspect_app.intake.hotline import existing_case

    before = _before("0140")
    migrated(before)
    numbers = [("hotline", "ＧＤ２０２６１２０１０００１"),  # 1: alone, folded
               ("hotline", "ＧＤ２０２６１２０１０００２"), ("hotline", "GD202612010002"),  # 2, 3: posted again half-width
               ("hotline", "ＳＨ２０２６１２０１０００３"), ("hotline", "SH２０２６１２０１０００３"),  # 4, 5: two ways
               ("hotline", "GD202612010004"), ("superior", "２０２６年省级测评反馈问题清单第１２条"), ("citizen", None)]
    items = table("intake_items", column("id"), column("source"), column("status"), column("case_number"),
                  *(column(name) for name in ("category_text", "description", "address", "district", "contact_phone",
                                              "reference", "decline_reason")),
                  *(column(name, UTCDateTime()) for name in ("received_at", "created_at", "updated_at")))
    with db.engine.begin() as conn:
        conn.execute(insert(items), [
            {"id": n, "source": source, "status": "pending", "case_number": number, "category_text": "",
             "description": "小广告", "address": "人民路", "district": "", "contact_phone": "", "reference": "",
             "decline_reason": "", "received_at": now, "created_at": now, "updated_at": now}
            for n, (source, number) in enumerate(numbers, start=1)])
    assert init_schema() == "upgraded"
    with db.engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, case_number FROM intake_items")).all())
    assert stored == {1: "GD202612010001", 2: "ＧＤ２０２６１２０１０００２", 3: "GD202612010002", 4: "SH202612010003",
                      5: "SH２０２６１２０１０００３", 6: "GD202612010004", 7: "２０２６年省级测评反馈问题清单第１２条", 8: None}
    said = capsys.readouterr().err
    assert "来件 id 2（工单编号 ＧＤ２０２６１２０１０００２）与来件 id 3（GD202612010002）" in said
    assert "来件 id 5（工单编号 SH２０２６１２０１０００３）与来件 id 4（SH202612010003）" in said
    assert "id 1" not in said and "id 6" not in said
    assert existing_case("GD202612010001").id == 1 and existing_case("SH202612010003").id == 4


def test_frontages_signed_before_the_street_was_kept_are_signed_with_their_street(empty_db):
    """0141: a 责任书 records the street it was signed with; the rows signed before take the street they are with
    (none was kept), an unsigned one none, and each counts as signed as it did."""
    from inspect_app.frontages.models import Frontage

    before = _before("0141")
    migrated(before)
    with db.engine.begin() as conn:
        for code, name in (("JD0101", "解放街道"), ("JD0102", "胜利街道")):
            conn.execute(text("INSERT INTO units (code, name, kind, contact_person, contact_phone, active) "
                              "VALUES (:code, :name, '街道', '', '', :yes)"), {"code": code, "name": name, "yes": True})
        streets = dict(conn.execute(text("SELECT code, id FROM units")).all())
        for code, street, signed_on in (("JF-0001", "JD0101", "2026-03-13"), ("JF-0002", "JD0102", "2026-04-01"),
                                        ("JF-0003", "JD0101", None)):
            conn.execute(text("INSERT INTO frontages (code, name, kind, address, street_unit_id, signed_on, "
                              "contact_person, contact_phone, note, active) VALUES (:code, '米粉店', '商户', '人民路1号', "
                              ":street, :signed_on, '', '', '', :yes)"),
                         {"code": code, "street": streets[street], "signed_on": signed_on, "yes": True})
    assert init_schema() == "upgraded"
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT code, signed_with_unit_id FROM frontages ORDER BY code")).all()
    assert [tuple(r) for r in rows] == [("JF-0001", streets["JD0101"]), ("JF-0002", streets["JD0102"]),
                                        ("JF-0003", None)]
    signed = {f.code: f.signed for f in db.session.scalars(select(Frontage))}
    assert signed == {"JF-0001": True, "JF-0002": True, "JF-0003": False}
