"""Escalation: levels over time, letters and their numbers, crash safety, concurrency, the PDF."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import BEFORE_PHOTO, City, at, processed
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from inspect_app.common.models import current_value
from inspect_app.escalation import sweep as sweep_module
from inspect_app.escalation.levels import target_level
from inspect_app.escalation.models import Letter, LetterItem, SweepRun
from inspect_app.escalation import jobs as jobs_module
from inspect_app.escalation.jobs import run_sweep
from inspect_app.escalation.sweep import issue_letters, pdf_path
from inspect_app.extensions import db
from inspect_app.tickets import services as ticket_services
from inspect_app.tickets.models import Ticket, TicketEvent
from inspect_app.tickets.rules import overdue_span
from inspect_app.workdays.models import Holiday

PROJECT = Path(__file__).resolve().parent.parent

# The suite's clock: Wednesday 2026-11-25 10:00. 牛皮癣 has a 24-hour deadline: Thursday 10:00.
FRIDAY = "2026-11-27T09:00:00+08:00"            # overdue → level 1, reply by Wednesday 12-02 (3 working days)
AFTER_LEVEL1 = "2026-12-03T09:00:00+08:00"      # → level 2, reply by Thursday 12-10 (5 working days)
AFTER_LEVEL2 = "2026-12-11T09:00:00+08:00"      # → level 3


@pytest.fixture(autouse=True)
def auto_mode(app):
    """These tests describe ESCALATION_MODE=auto: the sweep issues letters by itself (propose mode: test_letters.py)."""
    app.config["ESCALATION_MODE"] = "auto"



@pytest.fixture
def photo():
    return processed()


@pytest.fixture
def file_ticket(city, now, photo):
    """File tickets quickly (one processed photo reused; `photo` is the after-photo)."""
    before = processed(BEFORE_PHOTO)

    def make(category="niupixuan", at_time=None, point=City.ON_A, address=""):
        report = ticket_services.NewReport(category=category, photos=[before], lat=point[0], lon=point[1],
                                           address=address)
        ticket, _ = ticket_services.create_ticket(city.inspector, report, at_time or now)
        db.session.commit()  # filed: its own request
        return ticket
    return make


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def letters() -> list[Letter]:
    db.session.expire_all()
    return list(db.session.scalars(select(Letter).order_by(Letter.id)))


def pdf_text(path: Path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages)


def compact(text: str) -> str:
    return "".join(text.split())


# ----------------------------------------------------------------------------- the pure rule

def test_target_level_rule():
    deadline = at("2026-11-26T10:00")
    assert target_level(deadline, 0, {}, at("2026-11-26T09:59")) == 0
    assert target_level(deadline, 0, {}, at("2026-11-26T10:01")) == 1
    reply = at("2026-12-02T23:59:59")
    assert target_level(deadline, 1, {1: reply}, at("2026-12-02T12:00")) == 1
    assert target_level(deadline, 1, {1: reply}, at("2026-12-03T09:00")) == 2
    assert target_level(deadline, 3, {3: reply}, at("2027-06-01")) == 3      # the top level stays
    assert target_level(None, 0, {}, at("2027-06-01")) == 0                   # no deadline, nothing to count
    assert target_level(deadline, 1, {}, at("2027-06-01")) == 1               # a level without its letter holds
    # an approved extension beyond the letter's date holds the next level back until it passes
    assert target_level(at("2026-12-20T23:59:59"), 1, {1: reply}, at("2026-12-10")) == 1
    # one step at a time, however late
    assert target_level(deadline, 0, {}, at("2027-06-01")) == 1


# ----------------------------------------------------------------------------- levels through time

def test_ticket_goes_through_levels_1_2_3(app, city, file_ticket):
    ticket = file_ticket(address="人民路18号门前")
    other = file_ticket(point=City.ON_B)  # another unit's ticket, same timing
    version = fresh(Ticket, ticket.id).version

    assert run_sweep(at("2026-11-26T09:00")).letters == []  # not yet overdue

    first = run_sweep(at(FRIDAY))
    assert [letter.level for letter in first.letters] == [1, 1]
    assert first.numbers == ["临江文明督〔2026〕1号", "临江文明督〔2026〕2号"]
    letter1 = next(letter for letter in letters() if letter.unit_id == city.street_a.id)
    assert letter1.ticket_ids == [ticket.id]
    assert letter1.reply_by == at("2026-12-02T23:59:59")
    assert fresh(Ticket, ticket.id).escalation_level == 1

    assert run_sweep(at("2026-12-02T09:00")).letters == []  # the letter's time has not run out
    second = run_sweep(at(AFTER_LEVEL1))
    assert [(letter.level, letter.number) for letter in second.letters] == [
        (2, "临江文明督〔2026〕3号"), (2, "临江文明督〔2026〕4号")]
    assert second.letters[0].reply_by == at("2026-12-10T23:59:59")
    third = run_sweep(at(AFTER_LEVEL2))
    assert [letter.level for letter in third.letters] == [3, 3]
    assert run_sweep(at("2027-03-01T09:00")).letters == []  # level 3 is the last
    assert fresh(Ticket, ticket.id).escalation_level == 3 and fresh(Ticket, other.id).escalation_level == 3

    events = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                          TicketEvent.action == "escalate")
                                  .order_by(TicketEvent.id)).all()
    assert [e.actor_id for e in events] == [None, None, None]
    assert "挂牌督办：临江文明督〔2026〕3号" in [e.note for e in events]
    # the optimistic-lock version is untouched: a person editing the ticket meanwhile is not refused
    assert fresh(Ticket, ticket.id).status == "assigned" and fresh(Ticket, ticket.id).version == version
    assert [run.letters for run in db.session.scalars(select(SweepRun).order_by(SweepRun.id))] == [0, 2, 0, 2, 2, 0]


def test_rectification_in_time_stops_escalation(app, city, file_ticket, photo):
    done = file_ticket()
    late = file_ticket()
    ticket_services.rectify(city.unit_a, done, at("2026-11-26T09:00"), "已清理", [photo])
    result = run_sweep(at(FRIDAY))
    assert [letter.ticket_ids for letter in result.letters] == [[late.id]]
    # rectified after level 1, before its reply-by date: no level 2
    ticket_services.rectify(city.unit_a, fresh(Ticket, late.id), at("2026-12-01T09:00"), "已清理", [photo])
    assert run_sweep(at(AFTER_LEVEL1)).letters == []
    # closed tickets never come back
    ticket_services.approve(city.inspector, fresh(Ticket, late.id), at("2026-12-01T10:00"), "")
    assert run_sweep(at("2027-01-10T09:00")).letters == []


def test_rejected_rectification_gets_the_rework_time_then_escalates(app, city, file_ticket, photo):
    ticket = file_ticket()
    ticket_services.rectify(city.unit_a, ticket, at("2026-11-26T09:00"), "已清理", [photo])
    assert run_sweep(at(FRIDAY)).letters == []  # waiting for verification: not the unit's delay
    ticket_services.reject(city.inspector, fresh(Ticket, ticket.id), at("2026-11-27T10:00"), "仍有残留")
    assert run_sweep(at("2026-11-27T10:30")).letters == []  # 24 h of rework time from the rejection
    result = run_sweep(at("2026-11-28T10:30"))
    assert [letter.level for letter in result.letters] == [1]
    assert result.letters[0].items[0].days_overdue == 0  # half an hour: no whole day


def test_disputed_tickets_wait_for_the_office(app, city, file_ticket):
    ticket = file_ticket()
    ticket_services.dispute(city.unit_a, ticket, at("2026-11-25T12:00"), "不属于本单位")
    assert run_sweep(at(FRIDAY)).letters == []
    app.config["ESCALATION_STATUSES"] = ("assigned", "disputed")
    assert len(run_sweep(at(FRIDAY)).letters) == 1


def test_deadlines_across_a_holiday(app, city, file_ticket):
    # Filed Monday 09-28, due Tuesday 09-29; the National Day holiday runs 10-01 to 10-07 and Saturday 10-10
    # is a make-up working day: three working days after 09-30 end on Saturday 10-10.
    file_ticket(at_time=at("2026-09-28T10:00"))
    letter = run_sweep(at("2026-09-30T09:00")).letters[0]
    assert letter.reply_by == at("2026-10-10T23:59:59")
    assert run_sweep(at("2026-10-10T09:00")).letters == []
    assert [letter.level for letter in run_sweep(at("2026-10-11T09:00")).letters] == [2]
    # the office's own entries count too: a local holiday on 10-12 moves the level-2 date one day on
    # (5 working days after Sunday 10-11: 10-13 .. 10-16, 10-19)
    second = letters()[-1]
    assert second.reply_by == at("2026-10-16T23:59:59")
    db.session.add(Holiday(day=at("2026-11-02T12:00").date(), kind="holiday", name="地方假日"))
    db.session.commit()
    third = file_ticket(at_time=at("2026-10-29T10:00"))
    letter = run_sweep(at("2026-10-30T11:00")).letters[0]
    assert letter.ticket_ids == [third.id]
    assert letter.reply_by == at("2026-11-05T23:59:59")  # Nov 2 skipped: 3, 4, 5


def test_level_delays_and_wording_are_configurable(app, city, file_ticket):
    app.config["ESCALATION_LEVEL_DELAYS"] = {1: 1, 2: 2}
    app.config["LETTER_NUMBER_PREFIX"] = "江城文明督"
    app.config["ESCALATION_LEVEL_TEXT"] = {1: {"title": "关于限期整改的督办通知"}}
    file_ticket()
    letter = run_sweep(at(FRIDAY)).letters[0]
    assert letter.number == "江城文明督〔2026〕1号"
    assert letter.reply_by == at("2026-11-30T23:59:59")  # one working day after Friday: Monday
    assert "关于限期整改的督办通知" in compact(pdf_text(pdf_path(letter)))


def test_one_letter_per_unit_and_level(app, city, file_ticket):
    a1, a2 = file_ticket(), file_ticket(at_time=at("2026-11-25T11:00"))
    b1 = file_ticket(point=City.ON_B)
    police = file_ticket(category="illegal_parking")  # the category's own unit, 2-hour deadline
    early = file_ticket(at_time=at("2026-11-20T10:00"))  # already at level 1 when the others arrive
    run_sweep(at("2026-11-25T09:00"))
    result = run_sweep(at(FRIDAY))
    got = sorted((letter.unit.code, letter.level, letter.ticket_ids) for letter in result.letters)
    assert got == [("JDA", 1, [a1.id, a2.id]), ("JDB", 1, [b1.id]), ("JJ", 1, [police.id])]
    assert fresh(Ticket, early.id).escalation_level == 1
    assert db.session.scalar(select(func.count(LetterItem.id))) == 5


# ----------------------------------------------------------------------------- numbers

def test_numbers_run_per_year_without_gaps(app, city, file_ticket):
    file_ticket(at_time=at("2026-12-28T10:00"))
    assert run_sweep(at("2026-12-31T09:00")).numbers == ["临江文明督〔2026〕1号"]
    file_ticket(at_time=at("2026-12-30T10:00"), point=City.ON_B)
    # 2027 is unknown to chinese-calendar: Monday to Friday count, nothing fails
    result = run_sweep(at("2027-01-04T09:00"))
    assert result.numbers == ["临江文明督〔2027〕1号"]
    assert (result.letters[0].year, result.letters[0].seq) == (2027, 1)
    assert current_value("letter", 2026) == 1 and current_value("letter", 2027) == 1
    file_ticket(at_time=at("2027-01-04T10:00"))
    assert run_sweep(at("2027-01-05T11:00")).numbers == ["临江文明督〔2027〕2号"]
    assert Path(pdf_path(letters()[-1])).name == "00002.pdf" and "2027" in str(pdf_path(letters()[-1]))


def test_a_new_citys_numbers_take_its_own_place_not_the_demos(app, city, file_ticket):
    """Prefixes left unset come from OFFICE_SHORT_NAME: 清源市文明办 signs 清源文明督〔2026〕1号, never 临江文明督."""
    from inspect_app import create_app
    from inspect_app.config import NUMBER_SERIES, office_place

    def prefixes(**settings) -> list[str]:
        config = {k: v for k, v in app.config.items() if k.isupper()}
        made = create_app({**config, **{key: "" for key in NUMBER_SERIES}, **settings})
        return [made.config[key] for key in ("LETTER_NUMBER_PREFIX", "BULLETIN_NUMBER_PREFIX",
                                             "ASSESSMENT_BULLETIN_PREFIX", "RANKINGS_NUMBER_PREFIX")]

    assert prefixes(OFFICE_NAME="清源市精神文明建设指导委员会办公室", OFFICE_SHORT_NAME="清源市文明办") == [
        "清源文明督", "清源文明通", "清源文明测", "清源文明榜"]
    assert prefixes(OFFICE_SHORT_NAME="河西县文明办", RANKINGS_NUMBER_PREFIX="河西榜")[::3] == ["河西文明督", "河西榜"]
    assert prefixes(OFFICE_SHORT_NAME="临江市文明办") == ["临江文明督", "临江文明通", "临江文明测", "临江文明榜"]
    assert office_place("沙县文明办") == "沙县"
    assert office_place("文明办", "清源市精神文明建设指导委员会办公室") == "清源"
    # and the letters take it: the suite's app is the demo's 临江市文明办, its prefixes set at start
    app.config["LETTER_NUMBER_PREFIX"] = prefixes(OFFICE_SHORT_NAME="清源市文明办")[0]
    file_ticket()
    assert run_sweep(at(FRIDAY)).numbers == ["清源文明督〔2026〕1号"]


def test_failed_sweep_writes_nothing_and_gives_its_number_back(app, city, file_ticket, monkeypatch):
    file_ticket()
    file_ticket(point=City.ON_B)
    calls = {"n": 0}
    real = sweep_module.lifecycle.record

    def dies_on_second_ticket(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module.lifecycle, "record", dies_on_second_ticket)
    with pytest.raises(RuntimeError):
        run_sweep(at(FRIDAY))
    assert letters() == [] and current_value("letter", 2026) == 0
    assert db.session.scalar(select(func.max(Ticket.escalation_level))) == 0
    monkeypatch.undo()
    assert run_sweep(at(FRIDAY)).numbers == ["临江文明督〔2026〕1号", "临江文明督〔2026〕2号"]


# ----------------------------------------------------------------------------- crash safety

def test_sweep_killed_before_the_pdf_is_repaired_by_the_next(app, city, file_ticket, monkeypatch):
    file_ticket()
    written, _ = issue_letters(at(FRIDAY))  # the letter rows are committed; then the process "dies"
    letter = written[0]
    assert letter.pdf_written_at is None and not pdf_path(letter).exists()

    # a PDF build that dies half-way leaves no file behind (temporary file, then rename)
    def broken(letter, out):
        out.write(b"%PDF-1.4 half")
        raise KeyboardInterrupt

    monkeypatch.setattr("inspect_app.escalation.letters_pdf.build_letter_pdf", broken)
    with pytest.raises(KeyboardInterrupt):
        sweep_module.write_pdf(letter)
    assert not pdf_path(letter).exists() and list(pdf_path(letter).parent.iterdir()) == []
    monkeypatch.undo()

    result = run_sweep(at("2026-11-27T09:05"))
    assert result.letters == [] and result.pdfs == 1
    letter = fresh(Letter, letter.id)
    assert letter.pdf_written_at == at("2026-11-27T09:05")
    assert "临江文明督〔2026〕1号" in compact(pdf_text(pdf_path(letter)))


def test_a_lost_pdf_is_rebuilt_when_asked_for(app, city, file_ticket):
    file_ticket()
    letter = run_sweep(at(FRIDAY)).letters[0]
    path = pdf_path(letter)
    path.unlink()
    assert sweep_module.ensure_pdf(fresh(Letter, letter.id), at(FRIDAY)) == path and path.is_file()


def test_a_file_left_at_an_unwritten_letters_path_is_not_served_as_its_pdf(app, city, file_ticket):
    """A file already at letters/2026/00001.pdf that this letter never wrote (left by a database since reset or
    restored from another backup, which numbered its own 1号): opened before the sweep wrote the letter's PDF, the
    stranger was served under the letter's 文号."""
    file_ticket()
    written, _ = issue_letters(at(FRIDAY))
    letter = written[0]
    path = pdf_path(letter)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.4 another database's letter")
    assert sweep_module.ensure_pdf(fresh(Letter, letter.id), at(FRIDAY)) == path
    assert "临江文明督〔2026〕1号" in compact(pdf_text(path))
    assert fresh(Letter, letter.id).pdf_written_at == at(FRIDAY)


# ----------------------------------------------------------------------------- once, however many sweeps

def test_running_the_sweep_twice_gives_one_letter(app, city, file_ticket):
    file_ticket()
    assert len(run_sweep(at(FRIDAY)).letters) == 1
    assert run_sweep(at(FRIDAY)).letters == []
    assert run_sweep(at("2026-11-27T15:00")).letters == []
    assert len(letters()) == 1


def test_unique_ticket_level_is_the_backstop(app, city, file_ticket):
    """Unique per (ticket, unit, assignment, level): each unit of a ticket (主办, 协办) has its own levels."""
    ticket = file_ticket()
    letter = run_sweep(at(FRIDAY)).letters[0]
    db.session.add(LetterItem(letter_id=letter.id, ticket_id=ticket.id, unit_id=ticket.unit_id, level=1,
                              reply_by=letter.reply_by, ticket_number="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("with_lock", [True, False])
def test_two_sweeps_at_once_give_one_letter(app, city, file_ticket, monkeypatch, with_lock):
    """Two threads, each with its own app context, session and connection to the same database file.
    Without the lock the first write of each sweep serialises them, and the second finds nothing to do."""
    for _ in range(3):
        file_ticket()
    file_ticket(point=City.ON_B)
    if not with_lock:
        from contextlib import contextmanager

        @contextmanager
        def no_lock(*_args, **_kwargs):
            yield True

        monkeypatch.setattr(jobs_module, "exclusive", no_lock)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                result = run_sweep(at(FRIDAY))
                results.append((result.skipped, result.numbers))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(len(numbers) for _, numbers in results) == [0, 2]
    assert [letter.number for letter in letters()] == ["临江文明督〔2026〕1号", "临江文明督〔2026〕2号"]
    assert db.session.scalar(select(func.count(LetterItem.id))) == 4
    assert all(pdf_path(letter).is_file() for letter in letters())


def test_a_signing_and_the_sweep_at_once_do_not_deadlock(app, city, file_ticket, monkeypatch):
    """QA (PostgreSQL): 签发 took the letters' counter, then wrote its tickets; the automatic sweep locked its
    tickets, then took the counter: each waited for the other and PostgreSQL ended one (told 数据库暂时无法访问).
    Both now take the counter first. The 签发 holds its number while the sweep starts; the sweep queues behind
    it, and finds its tickets escalated by the letter. (SQLite: the number's write lock serialised them anyway.)"""
    from inspect_app.auth.models import User
    from inspect_app.escalation import compose, signing

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's write lock lets one transaction write at a time")
    tickets = [file_ticket(), file_ticket(point=City.ON_B)]
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [t.id for t in tickets]})
    db.session.commit()
    draft_id, leader_id = draft.id, city.leader.id
    real, swept, errors, started = signing.next_value, [], [], []

    def sweep():
        with app.app_context():
            try:
                swept.append(run_sweep(at(FRIDAY)))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

    def number_then_let_the_sweep_start(*args):
        value = real(*args)
        started.append(threading.Thread(target=sweep))
        started[0].start()
        started[0].join(1.5)  # the sweep has locked what it takes first (its tickets, before): waiting for ours
        return value

    monkeypatch.setattr(signing, "next_value", number_then_let_the_sweep_start)
    with app.app_context():  # the leader's request
        signing.sign(db.session.get(User, leader_id), db.session.get(Letter, draft_id), at(FRIDAY))
        db.session.commit()
        db.session.remove()
    started[0].join(60)
    assert not errors, errors
    assert [letter.number for letter in letters()] == ["临江文明督〔2026〕1号"]  # the sweep found them escalated
    assert [fresh(Ticket, t.id).escalation_level for t in tickets] == [1, 1]
    assert len(swept) == 1 and swept[0].numbers == []


def _lock_waits(conn) -> int:
    """How many other sessions of this database are waiting for a lock now (PostgreSQL)."""
    from sqlalchemy import text

    try:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"))
    finally:
        conn.rollback()  # the view is read once a transaction


def _until(condition, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("kind, mode", [("bulletin", "auto"), ("bulletin", "propose"), ("supervision", "propose")])
def test_a_signing_queues_with_the_sweep_whatever_its_kind_and_the_sweeps_mode(app, city, file_ticket, now, kind,
                                                                              mode):
    """Stop 71 (PostgreSQL): a 督查通报 签发 racing the sweep deadlocked, and PostgreSQL ended one of them (the leader
    told 请刷新后重试, or the day's sweep made up later). The 通报 took its own series' counter (临江文明通), not the
    letters' one the sweep queues on, then locked its problems in id order, while the sweep locked the same problems
    in another: the auto sweep as its index returns them (by deadline), the propose sweep through its 督办建议's
    foreign keys (unit by unit); and the propose sweep took no counter at all, so a 督办函's 签发 met it the same way.
    Here another transaction holds the first problem for a moment; the 签发 queues for it, then the sweep starts.
    Every 签发 and both sweeps now take the letters' counter before any problem: the sweep waits for the 签发 and
    both succeed."""
    from inspect_app.auth.models import User
    from inspect_app.escalation import compose, signing
    from inspect_app.escalation.models import Proposal

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's write lock lets one transaction write at a time")
    app.config["ESCALATION_MODE"] = mode
    first = file_ticket(point=City.ON_B)  # 乙街道: its 督办建议 comes second
    second = file_ticket(at_time=now - timedelta(hours=1))  # 甲街道, due an hour earlier: the sweep meets it first
    draft = compose.create_draft(city.admin, at(FRIDAY), {"ticket_ids": [first.id, second.id], "kind": kind})
    db.session.commit()
    draft_id, leader_id, ids = draft.id, city.leader.id, [first.id, second.id]
    db.session.remove()
    errors, swept = [], []

    def sign():
        with app.app_context():
            try:
                signing.sign(db.session.get(User, leader_id), db.session.get(Letter, draft_id), at(FRIDAY))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    def sweep():
        with app.app_context():
            try:
                swept.append(run_sweep(at(FRIDAY)))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    from sqlalchemy import text

    holder, watcher = db.engine.connect(), db.engine.connect()
    threads = []
    try:
        holder.execute(text("SELECT id FROM tickets WHERE id = :id FOR UPDATE"), {"id": first.id})
        for target, waiting in ((sign, 1), (sweep, 2)):
            threads.append(threading.Thread(target=target))
            threads[-1].start()
            assert _until(lambda: _lock_waits(watcher) >= waiting), f"{target.__name__} is not waiting"
    finally:
        holder.rollback()
        holder.close()
        watcher.close()
        for thread in threads:
            thread.join(60)
    assert not errors, errors
    signed = fresh(Letter, draft_id)
    assert signed.status == "issued"
    assert signed.number == ("临江文明通〔2026〕1号" if kind == "bulletin" else "临江文明督〔2026〕1号")
    assert len(swept) == 1 and not swept[0].skipped
    proposed = sorted(db.session.scalars(select(Proposal.ticket_id).where(Proposal.closed_at.is_(None))))
    if kind == "bulletin":  # it names them without escalating: the sweep does, after it
        if mode == "auto":
            assert [letter.number for letter in letters() if letter.series == "letter"] == \
                ["临江文明督〔2026〕1号", "临江文明督〔2026〕2号"]
            assert [fresh(Ticket, i).escalation_level for i in ids] == [1, 1]
        else:
            assert proposed == sorted(ids)
    else:  # the letter escalated them first: nothing left to propose
        assert proposed == [] and [fresh(Ticket, i).escalation_level for i in ids] == [1, 1]


def test_two_escalate_processes_give_one_letter(app, city, file_ticket, tmp_path):
    """`flask --app run escalate --now ...` twice at once, as two real processes on the same database."""
    file_ticket()
    file_ticket(point=City.ON_B)
    db.session.commit()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"], "SECRET_KEY": "x", "SCHEDULER_ENABLED": "0",
           "WEBHOOK_URL": "", "ESCALATION_MODE": "auto"}
    command = [sys.executable, "-m", "flask", "--app", "run", "escalate", "--now", FRIDAY]
    processes = [subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    stdout = "".join(out for out, _ in outputs)
    assert stdout.count("已印发督办函 2 件") == 1, stdout
    assert [letter.number for letter in letters()] == ["临江文明督〔2026〕1号", "临江文明督〔2026〕2号"]


# ----------------------------------------------------------------------------- the PDF

def test_letter_pdf_content(app, city, file_ticket):
    ticket = file_ticket(address="人民路18号门前")
    letter = run_sweep(at(FRIDAY)).letters[0]
    path = pdf_path(letter)
    assert path.is_relative_to(Path(app.config["UPLOAD_FOLDER"]) / "letters" / "2026")
    text = compact(pdf_text(path))
    for expected in ("临江市精神文明建设指导委员会办公室", "临江文明督〔2026〕1号", "甲街道办事处：", ticket.number,
                     "牛皮癣", "人民路18号门前", "经市文明办督查发现", "现予督办", "2026年12月2日前", "2026年11月27日",
                     "—2—", "附件：问题清单"):
        assert expected in text, expected
    assert "系统核查" not in text  # the office's wording, not the software's
    assert "—1—" not in text  # a 函 (信函格式) has no page number on its first page
    assert "抄送" not in text and "报：" not in text  # level 1: no leadership copied
    reader = PdfReader(path)
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4
    images = [name for page in reader.pages for name in page.images]
    assert images, "the ticket's photo is in the table"
    # every font is embedded
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font \
                else font["/FontDescriptor"]
            assert "/FontFile2" in descriptor.get_object()



def test_a_letter_says_hours_late_within_the_first_day(app, city, file_ticket, browser):
    """A 24-hour 牛皮癣 five hours past its deadline is five hours late, not "1天" (days begun, as before)."""
    ticket = file_ticket(at_time=at("2026-11-26T04:00:00+08:00"))  # due Friday 04:00
    letter = run_sweep(at(FRIDAY)).letters[0]
    assert letter.items[0].days_overdue == 0  # whole days, as the letter says them
    text = compact(pdf_text(pdf_path(letter)))
    assert "超期时长" in text and f"{ticket.number}" in text and "5小时" in text and "1天" not in text
    page = browser(city.admin).get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "签发时已超期 5小时" in page and "超期 1 天" not in page


def test_a_letter_item_gives_one_figure_of_days_overdue(app, city, file_ticket, browser, api):
    """34 days and 14 hours late at the letter's issue: the API said days_overdue 35 (days begun) where the letter's
    page said 签发时已超期 34天 and its PDF 34天. One figure now, the letter's, in the API beside its words; a
    letter issued before, whose item stored days begun, is read the same way."""
    ticket = file_ticket(at_time=at("2026-10-22T19:00:00+08:00"))  # due 10-23 19:00
    other = file_ticket(at_time=at("2026-11-26T04:00:00+08:00"))  # due Friday 04:00: five hours
    letter = run_sweep(at(FRIDAY)).letters[0]
    items = {item.ticket_id: item for item in letter.items}
    assert (items[ticket.id].days_overdue, items[ticket.id].overdue) == (34, "34天")
    body = api.get(f"/api/v1/letters/{letter.id}", city.admin).get_json()
    said = {item["ticket_id"]: (item["days_overdue"], item["overdue"]) for item in body["items"]}
    assert said == {ticket.id: (34, "34天"), other.id: (0, "5小时")}
    page = browser(city.admin).get(f"/letters/{letter.id}").get_data(as_text=True)
    assert "签发时已超期 34天" in page and "签发时已超期 5小时" in page
    text = compact(pdf_text(pdf_path(letter)))
    assert "34天" in text and "35天" not in text
    # an item stored by the days begun before keeps its letter's figure
    db.session.execute(LetterItem.__table__.update().where(LetterItem.__table__.c.ticket_id == ticket.id)
                       .values(days_overdue=35))
    db.session.commit()
    body = api.get(f"/api/v1/letters/{letter.id}", city.admin).get_json()
    assert [(i["days_overdue"], i["overdue"]) for i in body["items"] if i["ticket_id"] == ticket.id] == [(34, "34天")]


def test_overdue_span_reads_as_a_person_would_say_it():
    deadline = at("2026-11-27T04:00:00+08:00")
    late = [(None, ""), ("03:59", ""), ("04:00", ""), ("04:00:20", "1分钟"), ("04:43", "43分钟"),
            ("05:00", "1小时"), ("2026-11-28T03:59", "23小时"), ("2026-11-28T04:00", "1天"),
            ("2026-11-29T03:00", "1天"), ("2026-11-30T04:00", "3天")]
    for until, expected in late:
        moment = None if until is None else at(until if "T" in until else f"2026-11-27T{until}")
        assert overdue_span(deadline, moment) == expected, until
    assert overdue_span(None, deadline) == ""

def test_level_2_letter_copies_leadership(app, city, file_ticket):
    file_ticket()
    run_sweep(at(FRIDAY))
    letter = run_sweep(at(AFTER_LEVEL1)).letters[0]
    text = compact(pdf_text(pdf_path(letter)))
    assert "挂牌督办" in text and "抄送：市委督查室" in text and "临江文明督〔2026〕2号" in text
    assert "分管领导" not in text and "报：市文明委主任、副主任。" in text  # 抄送 names organs; 报 the leaders


def test_letter_spanning_several_pages(app, city, file_ticket):
    tickets = [file_ticket(address=f"人民路{i}号门前") for i in range(1, 26)]
    letter = run_sweep(at(FRIDAY)).letters[0]
    assert len(letter.items) == 25
    path = pdf_path(letter)
    pages = [compact(page.extract_text() or "") for page in PdfReader(path).pages]
    assert len(pages) >= 3
    assert "—1—" not in pages[0]  # 信函格式: no page number on page 1
    for n, page in enumerate(pages[1:], start=2):
        assert f"—{n}—" in page
    table_pages = [page for page in pages if "问题编号" in page]
    assert len(table_pages) >= 2 and "附件问题清单" in table_pages[0]  # the 附件 starts on its own page
    for page in table_pages:
        assert "原整改时限" in page  # the header row repeats
    everything = "".join(pages)
    assert all(t.number in everything for t in tickets)
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "临江文明督〔2026〕1号" in out and tickets[-1].number in out and "甲街道办事处" in out
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(path), str(path.parent / "p")],
                       check=True)
        assert list(path.parent.glob("p*.png"))
    if os.environ.get("PDF_SAMPLE_DIR"):  # PDF_SAMPLE_DIR=/tmp/x pytest ... keeps a copy to look at
        shutil.copy(path, Path(os.environ["PDF_SAMPLE_DIR"]) / "escalation_letter.pdf")


def test_configured_banner_and_font(app, city, file_ticket, tmp_path):
    from inspect_app.pdf.fonts import BUNDLED_FONT_PATH

    office_font = tmp_path / "fangsong.ttc"
    shutil.copy(BUNDLED_FONT_PATH, office_font)  # stands in for the office's 仿宋 TrueType file
    app.config.update(LETTER_BANNER="江城区文明办", LETTER_FONT_PATH=str(office_font),
                      LETTER_CONTACT="联系人：王敏，电话：0731-12345678")
    file_ticket()
    path = pdf_path(run_sweep(at(FRIDAY)).letters[0])
    text = compact(pdf_text(path))
    assert "江城区文明办" in text and "联系人：王敏" in text
    fonts = {str(font.get_object()["/BaseFont"]) for page in PdfReader(path).pages
             for font in page["/Resources"]["/Font"].values()}
    assert len(fonts) == 2  # the office's body face beside the bundled heading face


def test_a_full_length_address_still_fits_the_letter_item(app, city, file_ticket):
    """A 200-character address plus its segment's name used to overflow the letter item's place column, and the
    whole sweep failed on PostgreSQL."""
    ticket = file_ticket(address="人民路" * 66 + "口")
    assert len(ticket.address) == 199
    result = run_sweep(at(FRIDAY))
    assert result.numbers == ["临江文明督〔2026〕1号"]
    [item] = letters()[0].items
    assert len(item.place) <= 200 and item.place.endswith("（人民路东段）") and "…" in item.place
