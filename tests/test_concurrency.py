"""Two people acting on one ticket at the same moment: exactly one wins, the other gets 409, and the event log,
the ticket's version and the photo files agree with whoever won.

Each side runs in its own thread with its own app context (so its own session and connection), against the
SQLite file of the test or PostgreSQL when TEST_DATABASE_URL is set. A barrier releases both only after each
has loaded the ticket, so both act on the same version: the loser's `UPDATE ... WHERE version = n` matches no
row (on PostgreSQL it first waits for the winner's row lock, then sees the new version under READ COMMITTED)
and SQLAlchemy raises StaleDataError, which errors.py answers with 409.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import PASSWORD, processed
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from inspect_app.auth.models import User
from inspect_app.common.errors import ServiceError
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.tickets import queries, services
from inspect_app.tickets.models import Ticket, TicketEvent

ROUNDS = 9


def stored(uploads: Path) -> int:
    return sum(1 for p in uploads.rglob("*") if p.is_file())


def together(run, calls: list[tuple]) -> None:
    """run(*call) for each call in a thread of its own; returns when all have ended."""
    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)


def race(app, sides: list[tuple[int, int, callable]], delays: tuple[float, ...] = ()) -> list[str]:
    """Run each (user id, ticket id, act(user, ticket)) in its own thread, released together after loading
    (side i then waits delays[i] seconds, to let a chosen side commit first).
    Returns what each got: "ok", "stale" (the version check) or "conflict" (the status check), or the error."""
    barrier = threading.Barrier(len(sides), timeout=30)
    results: list[str] = [""] * len(sides)

    def run(index: int, user_id: int, ticket_id: int, act) -> None:
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                ticket = queries.get_ticket(user, ticket_id)  # each side holds its copy, at the same version
                barrier.wait()
                time.sleep(delays[index] if index < len(delays) else 0)
                act(user, ticket)
                db.session.commit()  # each side is an edge (a request): it commits its own work
                results[index] = "ok"
            except StaleDataError:
                db.session.rollback()
                results[index] = "stale"
            except ServiceError as error:
                db.session.rollback()
                results[index] = "conflict" if error.status == 409 else f"{error.status} {error.message}"
            except Exception as error:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                results[index] = f"{type(error).__name__}: {error}"
            finally:
                db.session.remove()

    together(run, [(i, *side) for i, side in enumerate(sides)])
    return results


def test_unit_rectifies_while_the_office_cancels(app, city, make_ticket, now, uploads):
    after = processed("gps_DSCN0010.jpg")
    wins = {"rectify": 0, "cancel": 0}
    # At the same instant (the cancel, with no photos to store, is usually first), or one side held back a
    # little so that the other commits first: either way both act on the version they loaded.
    delays = [(0, 0), (0, 0.15), (0.15, 0)]
    for round_ in range(ROUNDS):
        filed = make_ticket()
        ticket_id, version = filed.id, filed.version
        files_before = stored(uploads)
        results = race(app, [
            (city.unit_a.id, ticket_id, lambda u, t: services.rectify(u, t, now, "已清理", [after])),
            (city.admin.id, ticket_id, lambda u, t: services.cancel(u, t, now, "重复上报")),
        ], delays[round_ % len(delays)])
        assert sorted(results) == ["ok", "stale"], results  # the version check decided, not luck
        winner = "rectify" if results[0] == "ok" else "cancel"
        wins[winner] += 1

        db.session.expire_all()
        ticket = db.session.get(Ticket, ticket_id)
        actions = [e.action for e in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))]
        assert actions == ["create", "dispatch", winner], actions
        assert ticket.status == {"rectify": "rectified", "cancel": "cancelled"}[winner]
        assert ticket.version == version + 1  # one update, none lost
        after_photos = db.session.scalars(select(Photo).where(Photo.ticket_id == ticket_id, Photo.kind == "after"))
        assert len(list(after_photos)) == (1 if winner == "rectify" else 0)
        # The loser's photo files went with its rolled-back transaction.
        assert stored(uploads) == files_before + (3 if winner == "rectify" else 0)
    assert wins["rectify"] >= ROUNDS // 3 and wins["cancel"] >= ROUNDS // 3, wins


def test_two_inspectors_decide_the_same_rectification(app, city, make_ticket, now, uploads):
    for round_ in range(ROUNDS // 2):
        ticket = make_ticket()
        services.rectify(city.unit_a, ticket, now, "已清理", [processed()])
        db.session.commit()
        version = ticket.version
        results = race(app, [
            (city.inspector.id, ticket.id, lambda u, t: services.approve(u, t, now, "整改到位")),
            (city.inspector2.id, ticket.id, lambda u, t: services.reject(u, t, now, "仍有残留")),
        ], [(0, 0.15), (0.15, 0)][round_ % 2])
        assert sorted(results) == ["ok", "stale"], results
        db.session.expire_all()
        fresh = db.session.get(Ticket, ticket.id)
        last = [e.action for e in fresh.events][-1]
        assert last == ("approve" if results[0] == "ok" else "reject")
        assert fresh.status == ("closed" if last == "approve" else "assigned")
        assert fresh.rework_count == (1 if last == "reject" else 0) and fresh.version == version + 1


@pytest.mark.parametrize("rounds", [4])
def test_over_http_one_gets_200_and_the_other_409(app, city, make_ticket, rounds):
    """The same race through the API (each side its own client and thread): 200 and 409, never a 500."""
    from conftest import file_tuple, multipart

    def token(username: str) -> str:
        return app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}
                                      ).get_json()["token"]

    auth = {name: {"Authorization": f"Bearer {token(name)}"} for name in ("unit_a", "admin")}
    for _ in range(rounds):
        ticket_id = make_ticket().id
        barrier = threading.Barrier(2, timeout=30)
        answers: dict[str, int] = {}

        def rectify():
            body, content_type = multipart({"note": "已清理", "photos": [file_tuple()]})
            barrier.wait()
            answers["rectify"] = app.test_client().post(f"/api/v1/tickets/{ticket_id}/rectify", data=body,
                                                        content_type=content_type, headers=auth["unit_a"]).status_code

        def cancel():
            barrier.wait()
            answers["cancel"] = app.test_client().post(f"/api/v1/tickets/{ticket_id}/cancel", json={"reason": "重复"},
                                                       headers=auth["admin"]).status_code

        threads = [threading.Thread(target=rectify), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(answers.values()) == [200, 409], answers
        db.session.expire_all()
        assert db.session.get(Ticket, ticket_id).status == ("rectified" if answers["rectify"] == 200 else "cancelled")


def test_load_test_helpers():
    """benchmarks/load_test.py stays out of the suite; its pure helpers are checked here."""
    import importlib.util
    import os
    import sys

    from werkzeug.formparser import parse_form_data
    from werkzeug.test import EnvironBuilder

    spec = importlib.util.spec_from_file_location("load_test", Path(__file__).parent.parent / "benchmarks" / "load_test.py")
    load_test = importlib.util.module_from_spec(spec)
    sys.modules["load_test"] = load_test  # dataclasses look their module up there
    spec.loader.exec_module(load_test)

    assert load_test.percentile([], 95) == 0.0
    assert load_test.percentile([5, 1, 4, 2, 3], 50) == 3 and load_test.percentile(list(range(1, 101)), 95) == 95
    samples = [load_test.Sample("file", 201, 0.1), load_test.Sample("file", 500, 0.3),
               load_test.Sample("rectify", 409, 0.2), load_test.Sample("list", 0, 1.0)]
    summary = load_test.summarize(samples, seconds=2)
    assert summary["all"]["count"] == 4 and summary["all"]["rps"] == 2.0 and summary["all"]["errors"] == 2
    assert summary["file"]["statuses"] == {201: 1, 500: 1} and summary["rectify"]["errors"] == 0
    assert summary["file"]["p50_ms"] == 100.0 and summary["file"]["max_ms"] == 300.0

    body, content_type = load_test.multipart_body({"category": "牛皮癣", "segment_id": "3"},
                                                  [("photos", "a.jpg", b"\xff\xd8jpeg")])
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    _, form, files = parse_form_data(environ)
    photo = files["photos"]
    try:
        assert form.to_dict() == {"category": "牛皮癣", "segment_id": "3"} and photo.read() == b"\xff\xd8jpeg"
    finally:
        photo.close()

    assert load_test.parse_exports("export PGDATA_DIR=/tmp/x\nexport PG_TEST_URL=postgresql+psycopg://p@h:1/d\n") == \
        {"PGDATA_DIR": "/tmp/x", "PG_TEST_URL": "postgresql+psycopg://p@h:1/d"}
    assert os.getpid() in load_test.child_pids(os.getppid())
    assert 1024 <= load_test.free_port() <= 65535

    from io import BytesIO

    from PIL import Image
    with Image.open(BytesIO(load_test.phone_photo(Path(__file__).parent / "photos" / "Canon_40D.jpg", 50))) as small:
        assert max(small.size) == 50 and small.format == "JPEG"

    assert load_test.race_log_ok("rectified", ["create", "dispatch", "rectify"], 1, (200, 409))
    assert load_test.race_log_ok("cancelled", ["create", "dispatch", "rectify", "cancel"], 1, (200, 200))
    assert not load_test.race_log_ok("cancelled", ["create", "dispatch", "cancel", "rectify"], 1, (200, 200))
    assert not load_test.race_log_ok("rectified", ["create", "dispatch", "rectify"], 1, (200, 200))
    assert not load_test.race_log_ok("cancelled", ["create", "dispatch", "cancel"], 0, (409, 409))


def at_once(app, acts: list, user_id: int) -> list[str]:
    """Run each act(user) in its own thread and app context, released together; "ok" or the error each got."""
    barrier = threading.Barrier(len(acts), timeout=30)
    results: list[str] = [""] * len(acts)

    def run(index: int, act) -> None:
        results[index] = outcome(app, user_id, act, ready=barrier.wait)

    together(run, list(enumerate(acts)))
    return results


def outcome(app, user_id: int, act, ready=lambda: None) -> str:
    """One side, as a request is: in an app context (its own session and connection) it loads the user, waits on
    `ready`, runs act(user) and commits. "ok", or the error it got (rolled back)."""
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            ready()
            act(user)
            db.session.commit()
            return "ok"
        except Exception as error:  # noqa: BLE001 - reported by the test
            db.session.rollback()
            return f"{type(error).__name__}: {error}"
        finally:
            db.session.remove()


PAUSE_S = 1.0  # how long `interleaved`'s first side waits for a second side that cannot go on meanwhile


def interleaved(app, first, second, user_id: int) -> list[str]:
    """first(user) runs until it is about to write what it made (its session's first flush with changes), having
    looked for the row and found none. There it waits until second(user) has run and committed, or PAUSE_S while
    second queues behind a lock first holds; then first goes on. The meeting `at_once` leaves to chance, every time.
    Returns what each got, as at_once does."""
    from sqlalchemy import event

    paused, second_done = threading.Event(), threading.Event()
    results = ["", ""]

    def pause(_session, _context, _instances) -> None:
        if threading.current_thread().name == "first" and not paused.is_set():
            paused.set()
            second_done.wait(PAUSE_S)

    def run(index: int, act) -> None:
        try:
            results[index] = outcome(app, user_id, act)
        finally:
            if index == 1:
                second_done.set()

    event.listen(db.session, "before_flush", pause)
    try:
        one = threading.Thread(target=run, args=(0, first), name="first")
        one.start()
        assert paused.wait(30), "the first side wrote nothing"
        other = threading.Thread(target=run, args=(1, second))
        other.start()
        for thread in (one, other):
            thread.join(60)
        assert not one.is_alive() and not other.is_alive()
    finally:
        event.remove(db.session, "before_flush", pause)
    return results


# Found by posting every form four times at once in the demo city on PostgreSQL: the letters' wording and the
# ranking groups (pages that replace a setting whole) answered 500 to a double click or a second tab, both saves
# inserting the same new row. They now queue behind each other (common.models.lock_setting), the later one winning.

def test_the_letters_wording_saved_four_times_at_once(app, city, now):
    from inspect_app.escalation import wording
    from inspect_app.escalation.models import LetterTemplate
    from inspect_app.escalation.settings import default_template

    base = default_template("listed")
    results = at_once(app, [lambda u, i=i: wording.save_template(u, "listed", {**base, "cc": f"第{i}稿"}, now)
                            for i in range(4)], city.admin.id)
    assert results == ["ok"] * 4, results
    rows = db.session.scalars(select(LetterTemplate).where(LetterTemplate.kind == "listed")).all()
    assert len(rows) == 1 and rows[0].cc in {f"第{i}稿" for i in range(4)}


def test_the_ranking_groups_saved_four_times_at_once(app, city, now):
    from inspect_app.rankings import services as rankings
    from inspect_app.rankings.models import RankingGroup, RankingGroupMember

    def groups(user, i):
        rankings.save_groups(user, [{"name": name, "red_size": 2, "red_floor": 90, "black_size": i, "black_below": 80}
                                    for name in ("区县", "街道")], {city.street_a.id: "街道", city.police.id: "区县"},
                             now)

    results = at_once(app, [lambda u, i=i: groups(u, i) for i in range(4)], city.admin.id)
    assert results == ["ok"] * 4, results
    db.session.expire_all()
    saved = db.session.scalars(select(RankingGroup)).all()
    assert sorted(g.name for g in saved) == ["区县", "街道"] and len({g.black_size for g in saved}) == 1
    assert db.session.scalar(select(func.count()).select_from(RankingGroupMember)) == 2


def test_four_check_ins_at_once_keep_one(app, city, now):
    """巡查打卡 tapped four times in the same instant (a double tap, retries over a bad connection): one check-in."""
    from inspect_app.patrols.models import Patrol
    from inspect_app.patrols.services import check_in

    place = {"lat": "28.2301", "lon": "112.9350", "accuracy": "10"}
    results = at_once(app, [lambda u: check_in(u, place, now) for _ in range(4)], city.inspector.id)
    assert results == ["ok"] * 4, results
    assert db.session.scalar(select(func.count()).select_from(Patrol)) == 1


def test_the_patrol_areas_and_cycles_saved_four_times_at_once(app, city, now):
    """督查片区 and 巡查周期 replace a setting whole: saved at once, they queue, the later one winning."""
    from inspect_app.patrols.models import PatrolArea, PatrolCycle
    from inspect_app.patrols.services import save_areas, save_cycles

    areas = [lambda u, i=i: save_areas([f"{city.inspector.id}:临江区"] + ([f"{city.inspector2.id}:江城区"] if i % 2
                                                                         else [])) for i in range(4)]
    assert at_once(app, areas, city.admin.id) == ["ok"] * 4
    assert db.session.scalar(select(func.count()).select_from(PatrolArea)) in (1, 2)
    cycles = [lambda u, i=i: save_cycles(["主次干道"], [str(7 + i)]) for i in range(4)]
    assert at_once(app, cycles, city.admin.id) == ["ok"] * 4
    assert db.session.scalar(select(func.count()).select_from(PatrolCycle)) == 1


def test_the_same_leave_recorded_four_times_at_once_keeps_one(app, city, now):
    """请假外出登记 sent four times at once (a double click, two tabs): one record, the others 409 (overlap)."""
    from inspect_app.patrols.absences import record
    from inspect_app.patrols.models import PatrolAbsence

    leave = {"user_id": str(city.inspector.id), "first_day": "2026-12-07", "last_day": "2026-12-08", "kind": "leave"}
    results = at_once(app, [lambda u: record(leave, u, now) for _ in range(4)], city.admin.id)
    assert results.count("ok") == 1, results
    assert all("与本次登记的日期重叠" in r for r in results if r != "ok")
    assert db.session.scalar(select(func.count()).select_from(PatrolAbsence)) == 1


def test_a_leave_request_agreed_four_times_at_once_is_recorded_once(app, city, now):
    """请假外出申请 agreed from two tabs (and a double click) at once: one record, the others 409 (decided); the
    same for a take-back racing an agreement: one of the two wins."""
    from inspect_app.patrols.absences import approve, ask, take_back
    from inspect_app.patrols.models import AbsenceRequest, PatrolAbsence

    first = ask({"first_day": "2026-12-07", "last_day": "2026-12-08", "kind": "leave"}, city.inspector, now).id
    second = ask({"first_day": "2026-12-14", "kind": "desk"}, city.inspector, now).id
    db.session.commit()
    results = at_once(app, [lambda u: approve(first, u, now) for _ in range(4)], city.admin.id)
    assert results.count("ok") == 1, results
    assert all("这条申请已处理（已同意）" in r for r in results if r != "ok")
    assert db.session.scalar(select(func.count()).select_from(PatrolAbsence)) == 1

    inspector = city.inspector.id
    results = at_once(app, [lambda u: approve(second, u, now),
                            lambda u: take_back(second, db.session.get(User, inspector))], city.admin.id)
    assert results.count("ok") == 1, results
    db.session.expire_all()
    left = db.session.get(AbsenceRequest, second)
    assert db.session.scalar(select(func.count()).select_from(PatrolAbsence)) == (2 if left else 1)
    assert left is None or left.state == "approved"


def test_a_frontage_notice_asked_for_four_times_at_once_is_given_once(app, city, now):
    """门前四包整改通知书 sent four times at once (a double click, two tabs): one notice, one number."""
    from inspect_app.frontages.models import Frontage, FrontageNotice
    from inspect_app.frontages.notices import issue
    from inspect_app.tickets import services as tickets
    from inspect_app.units.models import Category

    db.session.add(Category(code="menqian", name="门前四包", group="市容环境", deadline_hours=24, route="frontage"))
    shop = Frontage(code="JB-001", name="老杨家米粉店", kind="商户", address="建设路18号", street_unit=city.street_b,
                    segment=city.seg_b)
    db.session.add(shop)
    db.session.flush()
    tickets.create_ticket(city.inspector, tickets.NewReport(category="menqian", photos=[processed()],
                                                            frontage_id=shop.id, description="门前乱堆杂物"), now)
    db.session.commit()
    shop_id = shop.id
    results = at_once(app, [lambda u: issue(u, db.session.get(Frontage, shop_id), {"due_on": "2026-11-27"}, now)
                            for _ in range(4)], city.admin.id)
    assert results == ["ok"] * 4, results  # each answered with the notice
    assert [n.number for n in db.session.scalars(select(FrontageNotice))] == ["门前四包〔2026〕1号"]


def test_a_ranking_scheme_saved_twice_at_once_is_stored_once(app, city, now):
    """PUT /api/v1/rankings/schemes/<code> sent twice at once (a retry, two tabs): each save stored the shipped
    schemes and the new code when it found none, and the later one met the unique constraint (a 500). They now
    queue (common.models.lock_setting), the later one replacing the first."""
    from inspect_app.rankings import services as rankings
    from inspect_app.rankings.models import RankingScheme
    from inspect_app.rankings.schemes import SHIPPED

    document = {**SHIPPED[0], "code": "city-2027", "name": "2027年方案"}
    results = interleaved(app, *[lambda u: rankings.save_scheme(u, document, now)] * 2, city.admin.id)
    assert results == ["ok"] * 2, results
    codes = list(db.session.scalars(select(RankingScheme.code)))
    assert sorted(codes) == sorted([d["code"] for d in SHIPPED] + ["city-2027"])


def test_the_checklist_imported_twice_at_once_makes_one_version(app, city, now):
    """The same 测评体系 file imported twice at once (a double click, two tabs): each numbered its version the next
    after the one in force, and the later one met the unique constraint (a 500). They now queue
    (common.models.lock_setting): the first makes version 2, the second finds nothing changed since."""
    from assessment_world import World

    from inspect_app.assessment import checklist
    from inspect_app.assessment.models import ChecklistVersion

    World(city, now)
    db.session.commit()
    text = ("项目编码,点位类型,测评内容,扣分,责任主体,整改时限,问题类别编码\n"
            "BJ-01,背街小巷,无乱堆乱放、乱搭乱建,2.5,属地,24小时,niupixuan\n").encode()
    versions: list = []
    results = interleaved(app, *[lambda u: versions.append(checklist.run_import("体系.csv", text, now, u, False)[1])]
                          * 2, city.admin.id)
    assert results == ["ok"] * 2, results
    assert versions == [2, None]
    assert sorted(db.session.scalars(select(ChecklistVersion.number))) == [1, 2]


def test_the_same_holiday_and_the_same_robot_saved_twice_at_once_keep_one_row(app, city, now):
    """An office entry for a day (PUT /api/v1/admin/holidays/<day>, the holidays page) and a unit's group robot
    (/inbox/robot) saved twice at once (a double click, two tabs): each found no row and inserted one, and the later
    one met the primary key (a 500). They now queue (common.models.lock_setting), the later one replacing."""
    from datetime import date

    from inspect_app.office.holidays import put_holiday
    from inspect_app.outbox.models import UnitRobot
    from inspect_app.outbox.service import set_robot
    from inspect_app.workdays.models import Holiday

    results = interleaved(app, *[lambda u: put_holiday(date(2027, 1, 1), "holiday", "元旦")] * 2, city.admin.id)
    assert results == ["ok"] * 2, results
    assert [(h.day, h.name) for h in db.session.scalars(select(Holiday))] == [(date(2027, 1, 1), "元旦")]
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    street = city.street_a.id
    results = interleaved(app, *[lambda u: set_robot(street, url, None, True, u.id, now)] * 2, city.unit_a.id)
    assert results == ["ok"] * 2, results
    assert [(r.unit_id, r.url) for r in db.session.scalars(select(UnitRobot))] == [(street, url)]


def test_a_units_inbox_opened_first_in_four_tabs_at_once(app, city, now):
    """Its first visit writes when it was read (inbox_seen): four at once each found no row and inserted one, and
    all but one answered 500 (pk_inbox_seen on PostgreSQL). One row now, the latest time kept."""
    from inspect_app.notices.models import InboxSeen
    from inspect_app.notices.services import mark_seen

    results = at_once(app, [lambda u, i=i: mark_seen(u, now + timedelta(seconds=i)) for i in range(4)],
                      city.unit_a.id)
    assert results == ["ok"] * 4, results
    [row] = db.session.scalars(select(InboxSeen)).all()
    assert row.seen_at == now + timedelta(seconds=3)


def test_a_key_task_given_the_same_assisting_unit_by_two_edits_at_once(app, city, now):
    """Two people (or two tabs) add the same 配合单位 to a key task: the second INSERT of (task, unit) broke the key
    and answered 500. On PostgreSQL the edits now queue on the task's row and the second finds the unit there; on
    SQLite, where neither waits, the second is told that someone changed it meanwhile (409), nothing half-saved."""
    from inspect_app.keytasks import services as keytasks
    from inspect_app.keytasks.models import KeyTaskAssist

    task = keytasks.save_task(keytasks.TaskValues(2026, "8.1", "农贸市场", "划行归市", "实地考察", "",
                                                  city.street_a), now)
    db.session.commit()
    task_id, lead_id, assist_id = task.id, city.street_a.id, city.street_b.id

    def add_assist(user):
        from inspect_app.units.models import Unit
        keytasks.save_task(keytasks.TaskValues(2026, "8.1", "农贸市场", "划行归市", "实地考察", "",
                                               db.session.get(Unit, lead_id), [db.session.get(Unit, assist_id)]),
                           now, keytasks.get_task(user, task_id))

    results = interleaved(app, add_assist, add_assist, city.admin.id)
    assert results[1] == "ok", results
    assert results[0] in ("ok", "Conflict: 其他人正在同时处理相同的数据，本次操作没有保存，请刷新后重试。"), results
    db.session.expire_all()
    assert db.session.scalars(select(KeyTaskAssist.unit_id).where(KeyTaskAssist.task_id == task_id)).all() == \
        [assist_id]


def test_the_same_new_12345_case_posted_twice_at_once_is_kept_once_and_the_later_told_unchanged(app, city, now):
    """The hotline retries a push after a timeout, or two of its workers send the same case: the post that finds
    no case and then meets the other's row at its INSERT answered 500 on PostgreSQL (uq_intake_items_source_case_number).
    It is now taken as coming after the other: unchanged, the one row kept."""
    from inspect_app.intake import hotline
    from inspect_app.intake.models import IntakeItem

    case = {"case_number": "GDPG0001", "description": "并发推送", "address": "人民路88号"}
    actions: list[tuple[str, str]] = []

    def post(user, side: str, number: str = "GDPG0001") -> None:
        item, action, _messages = hotline.post_case(user, {**case, "case_number": number}, now)
        actions.append((side, action))

    results = interleaved(app, lambda u: post(u, "first"), lambda u: post(u, "second"), city.admin.id)
    assert results == ["ok", "ok"], results
    # the second side's add, the first's unchanged; or, on a slow machine, the first writes after its pause and the
    # second, queued behind its lock, meets its row
    assert sorted(a for _side, a in actions) == ["add", "unchanged"], actions
    assert db.session.scalar(select(func.count(IntakeItem.id)).where(IntakeItem.case_number == "GDPG0001")) == 1
    results = at_once(app, [lambda u: post(u, "four", "GDPG0002")] * 4, city.admin.id)  # as the hotline did it
    assert results == ["ok"] * 4, results
    assert sorted(a for side, a in actions if side == "four") == ["add"] + ["unchanged"] * 3, actions
    assert db.session.scalar(select(func.count(IntakeItem.id))) == 2


def test_a_category_name_saved_four_times_at_once_is_kept_once(app, city, now):
    """问题类别 saved at the same moment by two admins (and a double click), the same new name in other letter cases:
    each found the name free and all were saved, several categories in use of one name. The database now keeps
    one (uq_categories_active_upper_name); the others are told what a save of a name taken is told (422)."""
    from inspect_app.office.reference import save_category
    from inspect_app.units.models import Category

    form = {"group": "市容环境", "deadline_kind": "hours", "deadline_value": "24"}
    names = ["共享单车乱停放Ab", "共享单车乱停放AB", "共享单车乱停放ab", "共享单车乱停放Ab"]
    results = at_once(app, [lambda u, name=name: save_category({**form, "name": name}) for name in names],
                      city.admin.id)
    assert results.count("ok") == 1, results
    kept = db.session.scalar(select(Category.name).where(Category.name.like("共享单车乱停放%")))
    refused = [r for r in results if r != "ok"]
    assert all(r.startswith("Invalid: 已有名为“") and "的类别" in r and kept in r for r in refused), results
    assert db.session.scalar(select(func.count()).select_from(Category).where(Category.name.like("共享单车%"))) == 1


def _decided_12345_case(city, now, number: str):
    """A 12345 case posted and accepted: its problem is open with unit_a. (case fields, ticket id)"""
    from inspect_app.intake import hotline
    from inspect_app.intake import services as intake

    case = {"case_number": number, "description": "电线杆小广告", "address": "人民路东段"}
    item, _, _ = hotline.post_case(city.admin, case, now)
    ticket = intake.accept(city.admin, item, {"category": "niupixuan", "segment_id": str(city.seg_a.id)}, now)
    db.session.commit()
    return case, ticket.id


def _followups(ticket_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(TicketEvent.note).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action == "hotline_followup").order_by(TicketEvent.id)))


def test_one_follow_up_of_a_decided_12345_case_posted_twice_at_once_is_recorded_once(app, city, now):
    """The hotline resends a 催办 after a timeout, or two of its workers send it: both posts read the case, found it
    changed and followed it up, so the open problem's history and the unit's news had the 催办 twice; with the
    problem closed, the case went back to the office's queue twice. The posts of one case now queue on its row
    (intake/services.hold): the later one reads the case as the first left it."""
    from inspect_app.intake import hotline
    from inspect_app.tickets import services as tickets

    case, ticket_id = _decided_12345_case(city, now, "GDFU0001")
    actions: list[str] = []

    def post(user, words: str) -> None:
        actions.append(hotline.post_case(user, {**case, "description": words}, now)[1])

    pushed = "电线杆小广告\n【催办】市民第二次来电催办"
    results = interleaved(app, lambda u: post(u, pushed), lambda u: post(u, pushed), city.admin.id)
    assert results == ["ok", "ok"], results
    assert sorted(actions) == ["follow_up", "unchanged"], actions
    assert _followups(ticket_id) == ["12345热线追加（催办）：市民第二次来电催办（工单 GDFU0001）"]

    # closed, and the caller not satisfied, twice at once in other words: the case goes back to the queue once, the
    # later post's words taken as the newer wording of a case waiting (a change)
    problem = db.session.get(Ticket, ticket_id)
    tickets.rectify(city.unit_a, problem, now, "已清除", [processed()])
    tickets.approve(city.inspector, problem, now, "")
    db.session.commit()
    actions.clear()
    results = interleaved(app, lambda u: post(u, pushed + "\n【不满意重办】小广告又贴上了"),
                          lambda u: post(u, pushed + "\n【不满意重办】小广告又贴上了，还有新的"), city.admin.id)
    assert results == ["ok", "ok"], results
    assert sorted(actions) == ["change", "follow_up"], actions
    assert sum("已退回文明办重新审核" in note for note in _followups(ticket_id)) == 1


def test_a_follow_up_posted_while_the_import_takes_the_same_one_is_recorded_once(app, city, now):
    """The office imports the hotline's file while the hotline posts the same 催办: the import planned a follow-up
    from the case as it read it, and applied it after the post had committed its own, so the 催办 was recorded
    twice. The import's follow-up now holds the case's row and decides again on what it finds: unchanged."""
    from inspect_app.auth.models import User
    from inspect_app.intake import hotline

    case, ticket_id = _decided_12345_case(city, now, "GDFU0002")
    pushed = "电线杆小广告\n【催办】市民第二次来电催办"
    cells = {"工单编号": case["case_number"], "诉求内容": pushed, "事发地址": case["address"]}
    planned = hotline.parse_case(cells, now)
    action, _messages, apply = hotline.plan_case(planned, now, actor=city.admin)
    assert action == "change"
    admin_id = city.admin.id
    with app.app_context():  # the hotline's post, a request of its own, committed first
        assert hotline.post_case(db.session.get(User, admin_id), {**case, "description": pushed}, now)[1] == \
            "follow_up"
        db.session.commit()
        db.session.remove()
    apply()
    db.session.commit()
    assert _followups(ticket_id) == ["12345热线追加（催办）：市民第二次来电催办（工单 GDFU0002）"]
