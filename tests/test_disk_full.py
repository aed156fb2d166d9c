"""When the server's disk refuses a file (full, over quota, read-only, failing, or the folder not the app's to
write), the request answers 503 `storage_failed` in Chinese with nothing kept, not a 500 internal_error; the office
is told before that, when the disk runs low; and a scheduled job the disk failed is looked at again. When the
database will not write (its disk full, or read-only), a write says why, and pages that only read are shown.

Found by filling a small tmpfs under a demo city's UPLOAD_FOLDER: a filing with a 2 MB photo answered 500
internal_error, and a 红黑榜's PDF the same. Only a failed fsync at the commit was answered 503 before.
"""
from __future__ import annotations

import errno
import logging
from collections import namedtuple
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from conftest import City, at, file_tuple, upload_files
from test_escalation_jobs import probe  # noqa: F401  (a fixture)
from test_rankings import AFTER_NOV, NOV

from inspect_app import scheduler
from inspect_app.extensions import db
from inspect_app.ops import disk
from inspect_app.photos import storage
from inspect_app.rankings import services as rankings
from inspect_app.tickets.models import Ticket

MESSAGE = "文件未能保存到服务器磁盘（磁盘已满或无法写入），本次操作没有保存"


def full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def file_report(api, user):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "description": "墙上小广告",
            "photos": [file_tuple("Canon_40D.jpg"), file_tuple("gps_DSCN0010.jpg")]}
    return api.post("/api/v1/tickets", user, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EIO, errno.ESTALE])
def test_a_filing_the_disk_refuses_answers_503_and_keeps_nothing(api, city, uploads, monkeypatch, caplog, code):
    # The first photo's two files are written; the disk fills up on the second photo's.
    real, writes = storage._write_atomic, []

    def fills_up(path, data, **kwargs):
        writes.append(path)
        if len(writes) > 2:
            raise OSError(code, "the disk refused it", str(path))
        return real(path, data, **kwargs)
    monkeypatch.setattr(storage, "_write_atomic", fills_up)
    api.token(city.inspector.username)
    db.session.commit()

    response = file_report(api, city.inspector)
    assert response.status_code == 503, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "storage_failed" and error["message"].startswith(MESSAGE)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert len(writes) == 3 and upload_files(uploads) == []  # the first photo's files are gone too
    assert not [p for p in uploads.rglob("*") if p.is_file()]  # and no temp file
    assert "storage failed on POST /api/v1/tickets" in caplog.text and "Traceback" not in caplog.text

    monkeypatch.setattr(storage, "_write_atomic", real)  # room again: the same report goes in
    assert file_report(api, city.inspector).status_code == 201


def test_a_pdf_the_disk_refuses_answers_503_on_the_page_and_in_the_api(api, browser, city, monkeypatch):
    from inspect_app.rankings import pdf

    ranking = rankings.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    real = pdf.render_ranking_pdf

    def fills_up(ranking, out, **kwargs):
        out.write(b"%PDF-1.4 half a list")
        full()
    monkeypatch.setattr(pdf, "render_ranking_pdf", fills_up)
    page = browser(city.leader).get(f"/rankings/{ranking.id}/pdf")
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and MESSAGE in html and "服务器内部错误" not in html
    answer = api.get(f"/api/v1/rankings/{ranking.id}/pdf", city.leader)
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "storage_failed"
    folder = rankings.pdf_path(ranking, "full").parent
    assert not [p for p in folder.rglob("*") if p.is_file()]  # no half-written PDF, no temp file

    monkeypatch.setattr(pdf, "render_ranking_pdf", real)
    assert api.get(f"/api/v1/rankings/{ranking.id}/pdf", city.leader).status_code == 200


def test_an_os_error_that_is_not_the_disk_is_still_a_bug(app, browser, city, monkeypatch, caplog):
    from inspect_app.rankings import pdf

    ranking = rankings.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()

    def bug(*_args, **_kwargs):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/nowhere/logo.png")
    monkeypatch.setattr(pdf, "render_ranking_pdf", bug)
    page = browser(city.leader).get(f"/rankings/{ranking.id}/pdf")
    assert page.status_code == 500 and "服务器内部错误" in page.get_data(as_text=True)
    assert "Unhandled error on GET" in caplog.text


Usage = namedtuple("Usage", "total used free")


def test_the_office_is_told_when_the_disk_runs_low(app, city, browser, monkeypatch):
    room = {"mb": 50 * 1024}
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda _path: Usage(0, 0, room["mb"] * 1024 * 1024))
    office = browser(city.admin)

    def work() -> str:
        return office.get("/office/work").get_data(as_text=True)
    assert "服务器磁盘" not in work()
    # With SQLite the test's database file is on the photos' disk, and the notice names both.
    where = f"{'数据库文件和' if db.engine.dialect.name == 'sqlite' else ''}照片文件夹（UPLOAD_FOLDER）"
    room["mb"] = 700
    assert f"服务器磁盘空间不足：{where}所在的磁盘只剩 700 MB" in work()
    room["mb"] = 3
    page = work()
    assert f"服务器磁盘已满：{where}所在的磁盘只剩 3 MB，" in page and "照片、督办函和红黑榜 PDF 已无法保存" in page
    leader = browser(city.leader).get("/", follow_redirects=True)
    assert leader.status_code == 200 and "服务器磁盘" not in leader.get_data(as_text=True)  # the office's page only
    app.config["DISK_FREE_WARN_MB"] = 4096  # an office that wants a week's warning, not a day's
    room["mb"] = 3 * 1024
    assert "所在的磁盘只剩 3.0 GB" in work()
    app.config["DISK_FREE_WARN_MB"] = 2
    assert "服务器磁盘" not in work()

    # The folder is there but the service may not write it (made by root with a `sudo flask …`).
    monkeypatch.setattr(disk.os, "access", lambda path, mode: path != app.config["UPLOAD_FOLDER"])
    assert f"服务器无法写入照片文件夹：{app.config['UPLOAD_FOLDER']} 不允许本服务写入" in work()


def test_an_upload_folder_that_cannot_be_made_is_named_at_start(tmp_path):
    import click

    from inspect_app import create_app

    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(click.ClickException) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "t",
                    "UPLOAD_FOLDER": str(tmp_path / "a-file" / "uploads")})
    assert refused.value.message.startswith(f"UPLOAD_FOLDER 无法创建：{tmp_path / 'a-file' / 'uploads'}（")


def test_the_database_disk_is_watched_with_sqlite(app, monkeypatch, tmp_path):
    # SQLite on its own disk (the database on the system disk, photos on a data disk): the lower one is named, in
    # words of what it holds. A full database disk said "照片、督办函和红黑榜 PDF 已无法保存" while photos still saved
    # and nobody could sign in; a disk holding both says both.
    rooms = {str(tmp_path / "photos"): 900, str(tmp_path / "db"): 0}
    disks = {str(tmp_path / "photos"): 1, str(tmp_path / "db"): 2}

    def usage(path):
        if str(path) not in rooms:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        return Usage(0, 0, rooms[str(path)] * 1024 * 1024)
    monkeypatch.setattr(disk.shutil, "disk_usage", usage)
    monkeypatch.setattr(disk, "device", lambda folder: disks.get(str(folder)))
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "photos")
    (tmp_path / "photos").mkdir()
    (tmp_path / "db").mkdir()
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'db' / 'inspect.db'}"
    with app.app_context():
        assert disk.watched_folders() == {"照片文件夹（UPLOAD_FOLDER）": tmp_path / "photos",
                                          "数据库文件": tmp_path / "db"}
        assert disk.lowest() == (["数据库文件"], 0)
        notice = disk.disk_notice()
        assert notice.startswith("服务器磁盘已满：数据库文件所在的磁盘只剩 0 MB，数据库已无法写入：无人能登录，任何保存"
                                 "都会失败，已登录的人只能查看。") and "照片" not in notice
        rooms[str(tmp_path / "db")] = 500
        assert disk.disk_notice().startswith("服务器磁盘空间不足：数据库文件所在的磁盘只剩 500 MB，数据库即将无法写入")
        disks[str(tmp_path / "db")] = 1  # one disk for both
        assert disk.disk_notice() == (
            "服务器磁盘空间不足：数据库文件和照片文件夹（UPLOAD_FOLDER）所在的磁盘只剩 500 MB，"
            "数据库即将无法写入（写满后无人能登录，任何保存都会失败）；"
            "照片、督办函和红黑榜 PDF 即将无法保存（上报会失败）。请系统管理员清理或扩容磁盘。")
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://inspect@db/inspect"
        assert disk.lowest() == (["照片文件夹（UPLOAD_FOLDER）"], 900)
        app.config["UPLOAD_FOLDER"] = str(tmp_path / "not-made-yet" / "photos")  # asked of the parent: None
        assert disk.lowest() is None and disk.disk_notice() is None


def test_storage_errors_name_the_disk_not_every_os_error():
    from inspect_app.common.errors import is_storage_error, outage

    assert is_storage_error(OSError(errno.ENOSPC, "full")) and is_storage_error(PermissionError(errno.EACCES, "x"))
    assert not is_storage_error(FileNotFoundError(errno.ENOENT, "gone")) and not is_storage_error(ValueError())
    assert outage(OSError(errno.EDQUOT, "quota")) == "the disk refused a file" and outage(KeyError()) is None


def driver_refusal(kind: str):
    """The driver's own error for a database that will not write, as SQLAlchemy wraps it: its disk full (SQLite's
    SQLITE_FULL, PostgreSQL's 53100), or read-only (SQLITE_READONLY; PostgreSQL's 25006, an InternalError)."""
    from sqlalchemy.exc import InternalError, OperationalError

    if db.engine.dialect.name == "sqlite":
        import sqlite3
        orig = sqlite3.OperationalError("database or disk is full" if kind == "full"
                                        else "attempt to write a readonly database")
        orig.sqlite_errorcode = sqlite3.SQLITE_FULL if kind == "full" else sqlite3.SQLITE_READONLY_DIRECTORY
        return OperationalError("INSERT INTO ...", {}, orig)
    import psycopg.errors
    if kind == "full":
        return OperationalError("INSERT INTO ...", {}, psycopg.errors.DiskFull(
            'could not extend file "base/16384/16402": No space left on device'))
    return InternalError("INSERT INTO ...", {}, psycopg.errors.ReadOnlySqlTransaction(
        "cannot execute INSERT in a read-only transaction"))


ANSWERS = {"full": ("storage_failed",
                    "服务器磁盘已满，数据无法写入数据库，本次操作没有保存。请联系系统管理员清理或扩容磁盘。"),
           "read-only": ("database_read_only", "数据库当前只能读取、不能写入（可能正在主备切换或维护），本次操作没有"
                                               "保存，请稍后重试；如持续出现，请联系系统管理员。")}


@pytest.mark.parametrize("kind", ["full", "read-only"])
@pytest.mark.parametrize("when", ["flush", "commit"])
def test_a_database_that_will_not_write_says_why(app, city, browser, make_ticket, caplog, when, kind):
    # Found with SQLite on a full disk: nobody could sign in (a sign-in writes its session), and the page said
    # 数据库暂时无法访问 while the log said "database or disk is full". A PostgreSQL standby (read-only after a
    # fail-over) answered a write with a 500.
    from flask import has_request_context
    from sqlalchemy import event

    from conftest import PASSWORD
    from inspect_app.boundary import wrote

    ticket_id = make_ticket().id
    office = browser(city.admin)
    form_token = office.token("/tickets")
    db.session.commit()

    def refuse(session, *_args):
        if has_request_context() and wrote(session):  # ending a read (a COMMIT on PostgreSQL) writes nothing
            raise driver_refusal(kind)
    event.listen(db.session, f"before_{when}", refuse)
    try:
        answer = app.test_client().post("/api/v1/auth/token", json={"username": city.inspector.username,
                                                                     "password": PASSWORD})
        page = office.post(f"/tickets/{ticket_id}/cancel", data={"csrf_token": form_token, "reason": "重复"})
        reading = office.get(f"/tickets/{ticket_id}")  # reads go on
    finally:
        event.remove(db.session, f"before_{when}", refuse)
    code, message = ANSWERS[kind]
    assert answer.status_code == 503 and answer.get_json()["error"] == {"code": code, "message": message}
    assert page.status_code == 503 and message in page.get_data(as_text=True)
    assert "退出" in page.get_data(as_text=True)  # the menu stays: the database still answers reads
    assert page.headers["Retry-After"] == "10" and answer.headers["Retry-After"] == "10"
    assert "数据库暂时无法访问" not in page.get_data(as_text=True) and reading.status_code == 200
    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).status == "assigned"  # nothing kept
    assert "Traceback" not in caplog.text


def refused_by_the_database(_now):
    raise driver_refusal("read-only")


@pytest.mark.parametrize("job, logged", [(full, "the disk refused a file"),
                                         (refused_by_the_database, "the database is read-only")],
                         ids=["disk", "read-only-database"])
def test_a_job_the_disk_or_a_read_only_database_refused_is_looked_at_again(app, probe, clock, caplog,  # noqa: F811
                                                                            job, logged):
    spec = scheduler.JobSpec(id="test.pdf", func=job, trigger={"cron": {"hour": 9}}, catch_up=True,
                             last_run=lambda: None)
    clock.set("2026-11-30T09:00")
    with caplog.at_level(logging.INFO, logger="inspect_app.scheduler"):
        assert scheduler.run_job(app, spec, scheduler=probe) is False
    assert probe.get_job("scheduler.retry:test.pdf").next_run_time == at("2026-11-30T09:05")
    assert f"test.pdf failed: {logged}" in caplog.text and "Traceback" not in caplog.text


def test_an_internal_error_that_is_not_read_only_is_still_a_bug(app, city, browser, make_ticket, caplog):
    from flask import has_request_context
    from sqlalchemy import event
    from sqlalchemy.exc import InternalError

    ticket_id = make_ticket().id
    office = browser(city.admin)
    form_token = office.token("/tickets")
    db.session.commit()

    def refuse(*_args):
        if has_request_context():
            raise InternalError("INSERT INTO ...", {}, Exception("invalid transaction termination"))
    event.listen(db.session, "before_flush", refuse)
    try:
        page = office.post(f"/tickets/{ticket_id}/cancel", data={"csrf_token": form_token, "reason": "重复"})
    finally:
        event.remove(db.session, "before_flush", refuse)
    assert page.status_code == 500 and "服务器内部错误" in page.get_data(as_text=True)


@contextmanager
def read_only():
    """Every INSERT, UPDATE and DELETE is refused as by a read-only PostgreSQL (a standby after a fail-over)."""
    from sqlalchemy import event

    def refuse(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            raise driver_refusal("read-only")
    event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", refuse)


def test_pages_that_only_read_are_shown_while_the_database_is_read_only(app, city, browser, make_ticket, caplog):
    # Found by crawling a demo city on a read-only PostgreSQL: the leader's dashboard (it keeps its figures) and a
    # unit's inbox (marked seen) answered 503, and so would a browser coming back with its 记住我 cookie (a new
    # token each time). Their writes are ones a page can do without.
    from test_auth_hardening import logged_in

    from inspect_app.dashboard.models import DashboardSnapshot
    from inspect_app.notices.models import InboxSeen

    app.config.update(DASHBOARD_CACHE_SECONDS=60, DASHBOARD_SETTLED_SECONDS=3600)  # as shipped: figures kept
    ticket_id = make_ticket().id
    db.session.commit()
    leader, unit, office = browser(city.leader), browser(city.unit_a), browser(city.admin)
    form_token = office.token("/tickets")
    phone = browser()
    assert phone.login(city.inspector, remember=True).status_code == 302
    remembered = phone.get_cookie("remember_token").value
    restarted = browser()  # the phone's browser was closed: only the remember-me cookie is left
    restarted.set_cookie("remember_token", remembered)

    with read_only():
        dashboard = leader.get("/dashboard/")
        assert dashboard.status_code == 200 and "领导看板" in dashboard.get_data(as_text=True)
        assert unit.get("/inbox").status_code == 200
        assert logged_in(restarted) and restarted.get_cookie("remember_token").value == remembered
        refused = office.post(f"/tickets/{ticket_id}/cancel", data={"csrf_token": form_token, "reason": "重复"})
        assert refused.status_code == 503 and ANSWERS["read-only"][1] in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(DashboardSnapshot.key))) == 0  # shown, not kept
    assert db.session.get(InboxSeen, city.unit_a.id) is None
    assert "dashboard figures" in caplog.text and "not saved" in caplog.text

    # Writable again: kept, marked, rotated.
    assert leader.get("/dashboard/").status_code == 200 and unit.get("/inbox").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count(DashboardSnapshot.key))) > 0
    assert db.session.get(InboxSeen, city.unit_a.id) is not None
    assert logged_in(restarted)  # on the session the remember-me cookie restored
    again = browser()  # closed and opened once more: now the token is rotated
    again.set_cookie("remember_token", remembered)
    assert logged_in(again) and again.get_cookie("remember_token").value != remembered


def test_a_read_whose_commit_the_full_disk_refuses_is_shown(app, city, browser):
    # SQLite on a full disk: the dashboard's figures go into the page's transaction, and only its COMMIT fails.
    from flask import has_request_context
    from sqlalchemy import event

    from inspect_app.boundary import wrote

    app.config.update(DASHBOARD_CACHE_SECONDS=60, DASHBOARD_SETTLED_SECONDS=3600)
    leader = browser(city.leader)

    def refuse(session):
        if has_request_context() and wrote(session):
            raise driver_refusal("full")
    event.listen(db.session, "before_commit", refuse)
    try:
        assert leader.get("/dashboard/").status_code == 200
    finally:
        event.remove(db.session, "before_commit", refuse)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EIO])
def test_a_photo_the_disk_will_not_give_back_says_it_could_not_be_read(api, browser, city, make_ticket, monkeypatch,
                                                                        caplog, code):
    # A photo file the service may not read (restored by root with a umask of 077) or a failing disk: 503 as
    # before, but not in the words of a file that was being saved. A write that fails still says 未能保存.
    from inspect_app.tickets import photo_files

    ticket = make_ticket()
    photo = ticket.photos[0]

    def unreadable(target, *_args, **_kwargs):
        raise OSError(code, "Permission denied" if code == errno.EACCES else "Input/output error", str(target))
    monkeypatch.setattr(photo_files, "send_file", unreadable)
    answer = api.get(f"/api/v1/photos/{photo.id}", city.inspector)
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "storage_failed"
    assert answer.get_json()["error"]["message"].startswith("文件暂时无法从服务器磁盘读取（文件不可读或磁盘故障）")
    page = browser(city.inspector).get(f"/tickets/photos/{photo.id}")
    assert page.status_code == 503 and "文件暂时无法从服务器磁盘读取" in page.get_data(as_text=True)
    assert "storage failed on GET" in caplog.text
