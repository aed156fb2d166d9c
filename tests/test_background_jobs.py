"""Background jobs (issue 11, item 8): big exports and imports run outside the request, with progress and a
download; one job runs once however many runners look; a lost runner's job is retried then failed; results
are kept N days and secrets only until shown; a user sees only their own jobs."""
from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta

import pytest
from conftest import sign_in
from office_helpers import read_csv, read_xlsx, xlsx_bytes

from inspect_app.auth.models import User
from inspect_app.background import runner, service, worker
from inspect_app.background.models import Job
from inspect_app.common.errors import ServiceError
from inspect_app.common.timeutil import utcnow
from inspect_app.extensions import db


@pytest.fixture
def three_tickets(make_ticket, city):
    tickets = [make_ticket(), make_ticket(), make_ticket(point=city.ON_B)]
    return tickets


@pytest.fixture
def small_threshold(app):
    app.config["EXPORT_INLINE_MAX_ROWS"] = 2  # three tickets make a "big" export


def job_of(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


# ----------------------------------------------------------------------------- API

def test_big_api_export_answers_202_with_a_job_then_the_file(api, app, city, three_tickets, small_threshold):
    response = api.get("/api/v1/tickets/export.xlsx?status=assigned", city.admin)
    assert response.status_code == 202
    job = response.get_json()["job"]
    assert {"id", "status", "progress", "url"} <= set(job)
    assert job["status"] == "queued" and job["progress"] == 0 and job["total"] == 3
    assert response.headers["Location"] == job["url"] == f"/api/v1/jobs/{job['id']}"
    # nobody ran it yet: the download is not there
    assert api.get(f"/api/v1/jobs/{job['id']}/download", city.admin).status_code == 409
    assert runner.run_pending(app) == 1
    done = api.get(job["url"], city.admin).get_json()["job"]
    assert done["status"] == "done" and done["progress"] == 100 and done["done"] == 3
    assert done["download_url"] == f"/api/v1/jobs/{job['id']}/download" and done["expires_at"]
    file = api.get(done["download_url"], city.admin)
    assert file.status_code == 200 and file.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''%E9%97%AE%E9%A2%98%E6%B8%85%E5%8D%95" in file.headers["Content-Disposition"]
    rows = read_xlsx(file.data)
    assert len(rows) == 4 and rows[0][0] == "问题编号"
    assert sorted(r[0] for r in rows[1:]) == sorted(t.number for t in three_tickets)
    # small exports still stream at once
    assert api.get("/api/v1/tickets/export.csv?category=spider_web", city.admin).status_code == 200


def test_a_job_is_its_owners_only(api, app, city, three_tickets, small_threshold):
    job = api.get("/api/v1/tickets/export.csv", city.inspector).get_json()["job"]
    runner.run_pending(app)
    for other in (city.admin, city.leader, city.unit_a, city.inspector2):
        assert api.get(job["url"], other).status_code == 404
        assert api.get(job["url"] + "/download", other).status_code == 404
        assert all(j["id"] != job["id"] for j in api.get("/api/v1/jobs", other).get_json()["items"])
    assert api.get(job["url"] + "/download", city.inspector).status_code == 200
    assert [j["id"] for j in api.get("/api/v1/jobs", city.inspector).get_json()["items"]] == [job["id"]]


def test_a_unit_job_exports_only_the_units_tickets(api, app, city, make_ticket):
    app.config["EXPORT_INLINE_MAX_ROWS"] = 0
    mine = make_ticket()
    make_ticket(point=city.ON_B)
    job = api.get("/api/v1/tickets/export.csv", city.unit_a).get_json()["job"]
    runner.run_pending(app)
    rows = read_csv(api.get(job["url"] + "/download", city.unit_a).data, "gb18030")
    assert [r[0] for r in rows[1:]] == [mine.number]


def test_a_repeated_click_reuses_the_job_and_too_many_are_refused(api, app, city, three_tickets, small_threshold):
    first = api.get("/api/v1/tickets/export.xlsx", city.admin).get_json()["job"]
    assert api.get("/api/v1/tickets/export.xlsx", city.admin).get_json()["job"]["id"] == first["id"]
    api.get("/api/v1/tickets/export.csv", city.admin)
    api.get("/api/v1/tickets/export.xlsx?overdue=", city.admin)  # blank filters are the same export
    api.get("/api/v1/tickets/export.xlsx?q=%E8%B7%AF", city.admin)
    response = api.get("/api/v1/tickets/export.xlsx?status=open", city.admin)
    assert response.status_code == 429 and response.get_json()["error"]["code"] == "too_many_jobs"
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 3


def test_an_xlsx_over_excels_sheet_limit_is_refused_up_front(api, city, three_tickets, monkeypatch):
    from inspect_app.office import downloads
    monkeypatch.setattr(downloads, "EXCEL_MAX_ROWS", 3)
    response = api.get("/api/v1/tickets/export.xlsx", city.admin)
    assert response.status_code == 413 and "CSV" in response.get_json()["error"]["message"]
    assert api.get("/api/v1/tickets/export.csv", city.admin).status_code == 200


# ----------------------------------------------------------------------------- pages

def test_big_page_export_shows_progress_then_a_download(client, app, city, three_tickets, small_threshold):
    sign_in(client, city.leader)
    response = client.get("/office/export/tickets.csv?status=assigned")
    assert response.status_code == 303
    match = re.fullmatch(r"/jobs/(\d+)", response.headers["Location"])
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "排队中" in html and "<progress" in html and "job.js" in html
    assert "文件较大，正在后台生成" in html and "中下载" in html
    assert 'http-equiv="refresh"' in html  # without JavaScript the page refreshes itself
    status = client.get(f"/jobs/{match.group(1)}.json").get_json()["job"]
    assert status["status"] == "queued" and status["total"] == 3
    runner.run_pending(app)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已完成" in html and f"/jobs/{match.group(1)}/download" in html and "job.js" not in html
    file = client.get(f"/jobs/{match.group(1)}/download")
    assert file.headers["Content-Type"] == "text/csv; charset=gb18030" and len(read_csv(file.data, "gb18030")) == 4
    assert "问题清单" in client.get("/jobs/").get_data(as_text=True)
    sign_in(client, city.admin)
    assert client.get(response.headers["Location"]).status_code == 404
    assert client.get(f"/jobs/{match.group(1)}/download").status_code == 404
    assert client.get(f"/jobs/{match.group(1)}.json").status_code == 404


def test_the_progress_page_script_is_served_and_keeps_to_the_csp(client, city):
    sign_in(client, city.admin)
    script = client.get("/jobs/static/job.js")
    body = script.data
    script.close()
    assert script.status_code == 200 and b"fetch(" in body and b"eval" not in body and b"innerHTML" not in body


# ----------------------------------------------------------------------------- runners

def _queue(city, now, count: int) -> list[int]:
    ids = []
    for n in range(count):
        owner = (city.admin, city.leader, city.inspector, city.inspector2)[n % 4]
        job = service.enqueue("tickets_export", owner, f"导出 {n}", {"fmt": "csv", "encoding": "gb18030",
                                                                      "args": {"q": str(n)}, "mine": False},
                              now, total=0)
        ids.append(job.id)
    db.session.commit()
    return ids


def test_several_runners_never_claim_one_job_twice(app, city, now):
    ids = _queue(city, now, 12)
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer(name: str):
        with app.app_context():
            start.wait()
            while (job_id := runner.claim_next(utcnow(), name)) is not None:
                with lock:
                    claimed.append((name, job_id))
            db.session.remove()

    threads = [threading.Thread(target=claimer, args=(f"runner-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(job_id for _, job_id in claimed) == ids  # each once, none lost
    db.session.expire_all()
    assert {j.worker for j in db.session.scalars(db.select(Job))} == {name for name, _ in claimed}
    assert all(j.attempts == 1 and j.status == "running" for j in db.session.scalars(db.select(Job)))


def test_a_lost_runners_job_is_retried_then_failed(app, city, now):
    job_id, = _queue(city, now, 1)
    assert runner.claim_next(now, "gone-1") == job_id
    later = now + timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 1)
    assert runner.claim_next(later, "second") == job_id  # queued again and claimed by the next runner
    assert job_of(job_id).attempts == 2 and job_of(job_id).worker == "second"
    # the first runner, still alive somewhere, finds the job is no longer its own
    ctx = runner.TaskContext(job_of(job_id), now, "gone-1")
    with pytest.raises(runner.JobLost):
        ctx.progress(1, force=True)
    # the second one dies too: after JOBS_MAX_ATTEMPTS the job fails with a message
    much_later = later + timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 1)
    assert runner.claim_next(much_later, "third") is None
    job = job_of(job_id)
    assert job.status == "failed" and job.error_code == "job_lost" and "中断" in job.error


def test_a_beating_job_is_not_stale(app, city, now):
    job_id, = _queue(city, now, 1)
    assert runner.claim_next(now, "alive") == job_id
    runner.TaskContext(job_of(job_id), now, "alive").progress(5, total=10, force=True)
    db.session.commit()
    assert service.recover_stale(utcnow() + timedelta(seconds=10)) == 0
    assert job_of(job_id).progress == 5 and job_of(job_id).percent == 50


def test_a_failing_task_fails_its_job_with_its_message_and_leaves_no_file(app, city, now, monkeypatch):
    job_id, = _queue(city, now, 1)

    def broken(ctx):
        ctx.output.write_bytes(b"half")
        raise ServiceError("筛选条件已失效。", code="gone", status=422)

    def crashing(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "tasks", lambda: {"tickets_export": broken})
    assert runner.run_one(app) == "failed"
    job = job_of(job_id)
    assert (job.status, job.error_code, job.error) == ("failed", "gone", "筛选条件已失效。")
    assert list(service.folder().iterdir()) == []
    job_id, = _queue(city, now, 1)
    monkeypatch.setattr(runner, "tasks", lambda: {"tickets_export": crashing})
    assert runner.run_one(app) == "failed"
    assert job_of(job_id).error_code == "job_failed" and "boom" not in job_of(job_id).error

    def disk_full(ctx):  # the export's disk fills up: the person is told that, not a generic 出错
        ctx.output.write_bytes(b"half")
        raise OSError(28, "No space left on device")
    job_id, = _queue(city, now, 1)
    monkeypatch.setattr(runner, "tasks", lambda: {"tickets_export": disk_full})
    assert runner.run_one(app) == "failed"
    job = job_of(job_id)
    assert job.error_code == "storage_failed" and job.error.startswith("文件未能保存到服务器磁盘（磁盘已满或无法写入）")
    assert list(service.folder().iterdir()) == []


def test_results_expire_and_old_jobs_are_forgotten(api, app, city, three_tickets, small_threshold, now):
    job = api.get("/api/v1/tickets/export.csv", city.admin).get_json()["job"]
    runner.run_pending(app)
    stored = job_of(job["id"])
    path = service.folder() / stored.result_key
    assert path.exists()
    stray = service.folder() / "abandoned.part"
    stray.write_bytes(b"x")
    import os
    os.utime(stray, (time.time() - 2 * 86400,) * 2)
    result = service.sweep(stored.expires_at + timedelta(minutes=1))
    db.session.commit()
    assert result["expired"] == 1 and result["stray"] == 1 and not path.exists() and not stray.exists()
    response = api.get(job["url"] + "/download", city.admin)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "result_expired"
    assert api.get(job["url"], city.admin).get_json()["job"]["download_url"] is None
    service.sweep(stored.finished_at + timedelta(days=app.config["JOBS_KEEP_DAYS"] + 31))
    db.session.commit()
    assert job_of(job["id"]) is None


def test_a_web_process_thread_runs_the_job(api, app, city, three_tickets, small_threshold):
    app.config["JOBS_WORKER_THREADS"] = 1
    job = api.get("/api/v1/tickets/export.csv", city.admin).get_json()["job"]  # kicks a runner thread
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if api.get(job["url"], city.admin).get_json()["job"]["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    body = api.get(job["url"], city.admin).get_json()["job"]
    assert body["status"] == "done", body
    while worker.busy(app) and time.monotonic() < deadline:  # the thread ends once the queue is empty
        time.sleep(0.05)
    assert not worker.busy(app)


# ----------------------------------------------------------------------------- account imports

ACCOUNT_HEAD = ["用户名", "姓名", "角色", "单位编码", "手机号码", "状态", "初始密码"]


def many_accounts(count: int) -> bytes:
    return xlsx_bytes([ACCOUNT_HEAD] + [[f"jda_{n:03d}", f"李{n}", "责任单位", "JDA", "", "", ""]
                                        for n in range(count)])


def test_a_big_account_import_hashes_in_a_job_and_shows_passwords_once(client, app, city):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["IMPORT_INLINE_MAX_NEW_ACCOUNTS"] = 5
    sign_in(client, city.admin)
    preview = client.post("/office/import/accounts", data={"file": (io.BytesIO(many_accounts(12)), "a.xlsx")},
                          content_type="multipart/form-data")
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview.get_data(as_text=True)).group(1)
    response = client.post("/office/import/accounts/confirm", data={"token": token})
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
    assert db.session.scalar(db.select(User).where(User.username == "jda_000")) is None  # nothing yet
    waiting = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "正在后台导入" in waiting and "查看导入结果（系统生成的初始密码只显示一次）" in waiting
    assert "后台生成" not in waiting and "中下载" not in waiting  # an import has nothing to download
    assert runner.run_pending(app) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入完成：新增 12 条" in page and "查看导入结果" in page
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = client.get(f"/office/import/jobs/{job_id}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "系统生成的初始密码" in html and html.count('class="secret"') == 12
    password = re.search(r'jda_000</td>\s*<td data-label="初始密码"><span class="secret">(\w+)</span>', html).group(1)
    user = db.session.scalar(db.select(User).where(User.username == "jda_000"))
    assert user.check_password(password) and user.must_change_password and user.unit.code == "JDA"
    from inspect_app.audit.models import AuditEntry
    made = db.session.scalars(db.select(AuditEntry).where(AuditEntry.target.like("账号 jda_%"))).all()
    assert len(made) == 12 and {(e.actor, e.address, e.action) for e in made} == {("admin", "后台任务", "create")}
    again = client.get(f"/office/import/jobs/{job_id}")  # shown once: the file is gone
    assert again.status_code == 302 and not list(service.folder().iterdir())
    assert "初始密码已显示过一次" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_big_api_import_is_a_job_whose_result_is_read_once(api, app, city):
    app.config["IMPORT_INLINE_MAX_NEW_ACCOUNTS"] = 5
    form = {"file": (io.BytesIO(many_accounts(8)), "a.xlsx")}
    response = api.post("/api/v1/admin/import/accounts", city.admin, data=form, content_type="multipart/form-data")
    assert response.status_code == 202
    job = response.get_json()["job"]
    # a dry run, or a small import, still answers at once
    form = {"file": (io.BytesIO(many_accounts(8)), "a.xlsx"), "dry_run": "1"}
    assert api.post("/api/v1/admin/import/accounts", city.admin, data=form,
                    content_type="multipart/form-data").get_json()["added"] == 8
    runner.run_pending(app)
    body = api.get(job["url"], city.admin).get_json()["job"]
    assert body["status"] == "done" and body["result"]["added"] == 8 and body["result"]["passwords"] == 8
    result = api.get(body["download_url"], city.admin)
    assert result.status_code == 200 and len([r for r in result.get_json()["rows"] if r.get("password")]) == 8
    assert api.get(body["download_url"], city.admin).status_code == 404  # secrets: once
    assert db.session.scalar(db.select(db.func.count(User.id)).where(User.username.like("jda_%"))) == 8


def test_an_import_that_went_stale_writes_nothing(api, app, city):
    """Rows checked at the request can be invalid by the time the job runs: the job fails, nothing is written."""
    app.config["IMPORT_INLINE_MAX_NEW_ACCOUNTS"] = 1
    form = {"file": (io.BytesIO(xlsx_bytes([ACCOUNT_HEAD, ["new_1", "", "责任单位", "JDA", "", "", ""],
                                            ["new_2", "", "责任单位", "JDA", "", "", ""]])), "a.xlsx")}
    job = api.post("/api/v1/admin/import/accounts", city.admin, data=form,
                   content_type="multipart/form-data").get_json()["job"]
    city.street_a.active = False  # JDA retired meanwhile
    db.session.commit()
    runner.run_pending(app)
    body = api.get(job["url"], city.admin).get_json()["job"]
    assert body["status"] == "failed" and body["error"]["code"] == "invalid_rows"
    assert db.session.scalar(db.select(User).where(User.username == "new_1")) is None
    assert list(service.folder().iterdir()) == []  # the uploaded copy is gone too


def test_a_link_from_another_site_does_not_start_an_export(client, city, three_tickets, small_threshold):
    sign_in(client, city.admin)
    response = client.get("/office/export/tickets.xlsx?status=assigned", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200 and "来自其他网站" in response.get_data(as_text=True)
    assert 'href="/office/export/tickets.xlsx?status=assigned"' in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Job.id))) == 0
    response = client.get("/office/export/tickets.xlsx?status=assigned", headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303 and db.session.scalar(db.select(db.func.count(Job.id))) == 1
