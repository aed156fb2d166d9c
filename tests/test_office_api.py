"""Office API: holidays (and their effect on deadlines); failed-login throttling; imports' preview flag."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from conftest import PASSWORD, at
from office_helpers import csv_bytes

from inspect_app.auth import throttle
from inspect_app.auth.models import User
from inspect_app.common.timeutil import local
from inspect_app.extensions import db
from inspect_app.units.models import Unit


def put(api, user, day, **body):
    return api.call("PUT", f"/api/v1/admin/holidays/{day}", user, json=body)


def test_holidays_merged_over_the_package(api, city):
    body = api.get("/api/v1/admin/holidays?year=2026", city.admin).get_json()
    national = [e for e in body if e["date"] == "2026-10-01"][0]
    assert national["kind"] == "holiday" and national["name"] == "国庆节" and national["source"] == "package"
    assert any(e["date"] == "2026-10-10" and e["kind"] == "workday" for e in body)  # make-up Saturday
    # the office overrides a package day and adds its own
    assert put(api, city.admin, "2026-10-10", kind="holiday", name="临时放假").status_code == 201
    assert put(api, city.admin, "2026-10-10", kind="holiday", name="临时放假（改）").status_code == 200
    body = api.get("/api/v1/admin/holidays?year=2026", city.admin).get_json()
    entry = [e for e in body if e["date"] == "2026-10-10"][0]
    assert (entry["kind"], entry["name"], entry["source"]) == ("holiday", "临时放假（改）", "office")
    assert api.call("DELETE", "/api/v1/admin/holidays/2026-10-10", city.admin).status_code == 204
    assert api.call("DELETE", "/api/v1/admin/holidays/2026-10-10", city.admin).status_code == 404
    assert [e for e in api.get("/api/v1/admin/holidays?year=2026", city.admin).get_json()
            if e["date"] == "2026-10-10"][0]["source"] == "package"


def test_holiday_api_validation(api, city):
    assert put(api, city.admin, "2027-02-30", kind="holiday").status_code == 400
    response = put(api, city.admin, "2027-02-10", kind="vacation")
    assert response.status_code == 422 and response.get_json()["error"]["message"]
    assert api.get("/api/v1/admin/holidays", city.admin).status_code == 400
    assert api.get("/api/v1/admin/holidays?year=abc", city.admin).status_code == 400
    # 2027 is unknown to chinese-calendar: the days off the law fixes, until the office enters the notice
    body = api.get("/api/v1/admin/holidays?year=2027", city.admin).get_json()
    assert len(body) == 13 and {(e["kind"], e["source"]) for e in body} == {("holiday", "law")}
    assert body[0] == {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "source": "law", "weekday": "周五"}



def test_a_make_up_working_day_on_a_weekday_is_a_mistyped_date(api, city, browser):
    """调休上班 on a Wednesday changes nothing (it works anyway) while the Saturday meant stays a rest day in every
    deadline: refused, on the page with the date as typed. A weekday off in the calendar may be cancelled."""
    response = put(api, city.admin, "2027-02-17", kind="workday", name="春节调休")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "not_a_rest_day"
    assert "2027年2月17日是周三，本来就是工作日" in response.get_json()["error"]["message"]
    assert put(api, city.admin, "2027-02-20", kind="workday", name="春节调休").status_code == 201  # a Saturday
    assert put(api, city.admin, "2026-10-01", kind="workday", name="取消放假").status_code == 201  # a day off cancelled
    office = browser(city.admin)
    page = office.submit("/office/holidays?year=2027", "/office/holidays?year=2027",
                         {"date": "2027-02-18", "kind": "workday", "name": "春节调休"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and "2027年2月18日是周四" in text and 'value="2027-02-18"' in text
    days = {e["date"]: e for e in api.get("/api/v1/admin/holidays?year=2027", city.admin).get_json()}
    assert "2027-02-17" not in days and "2027-02-18" not in days and days["2027-02-20"]["kind"] == "workday"


def test_entering_next_years_schedule_changes_deadlines(api, city, make_ticket):
    """Filed Thursday 31 Dec 2026 with 10 working days. 2027 is unknown to chinese-calendar, so until the
    office enters the schedule the statutory holidays are off and Monday to Friday count. An invented 2027
    schedule (1, 4 and 5 Jan off) moves the deadline of tickets filed afterwards, not of those filed before."""
    filed = at("2026-12-31T10:00")
    before = make_ticket(category="spider_web", at_time=filed)  # 10 working days
    assert put(api, city.admin, "2027-01-01", kind="holiday", name="元旦").status_code == 201
    assert put(api, city.admin, "2027-01-04", kind="holiday", name="元旦").status_code == 201
    assert put(api, city.admin, "2027-01-05", kind="holiday", name="元旦").status_code == 201
    after = make_ticket(category="spider_web", at_time=filed)
    # Without entries: Jan 4–8, 11–15 → 15 Jan (1 Jan is 元旦 by law). With them: Jan 6–8, 11–15, 18–19 → 19 Jan.
    assert local(before.deadline).date().isoformat() == "2027-01-15"
    assert local(after.deadline).date().isoformat() == "2027-01-19"
    db.session.refresh(before)
    assert local(before.deadline).date().isoformat() == "2027-01-15"  # deadlines already set do not move


# ----------------------------------------------------------------------------- throttling

def token(client, username, password="wrong-pass-1", address="10.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_five_failures_lock_the_account_with_a_chinese_message(client, city):
    for _ in range(5):
        assert token(client, "inspector").status_code == 401
    response = token(client, "inspector", PASSWORD)
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"]["code"] == "too_many_attempts" and "分钟后再试" in body["error"]["message"]
    # another account from the same address is not locked
    assert token(client, "leader", PASSWORD).status_code == 200


def test_success_clears_the_account_counter(client, city):
    for _ in range(4):
        token(client, "inspector")
    assert token(client, "inspector", PASSWORD).status_code == 200
    for _ in range(4):
        assert token(client, "inspector").status_code == 401
    assert token(client, "inspector", PASSWORD).status_code == 200


def test_many_failures_lock_the_address(app, client, city):
    app.config["LOGIN_ADDRESS_LIMIT"] = 20
    for i in range(20):
        assert token(client, f"nobody{i}", address="10.0.0.9").status_code == 401
    assert token(client, "leader", PASSWORD, address="10.0.0.9").status_code == 429
    assert token(client, "leader", PASSWORD, address="10.0.0.10").status_code == 200


def test_lock_expires_after_the_wait(app, city):
    now = at("2026-11-25T10:00")
    for _ in range(5):
        throttle.admit("inspector", "1.1.1.1", now)
    with pytest.raises(throttle.TooManyAttempts) as refused:
        throttle.admit("inspector", "1.1.1.1", now + timedelta(seconds=10))
    assert refused.value.status == 429 and 0 < refused.value.retry_after <= 60
    throttle.admit("inspector", "1.1.1.1", now + timedelta(seconds=60))


def test_attempts_live_in_the_database(client, city):
    from inspect_app.auth.models import LoginThrottle
    token(client, "Inspector")
    rows = db.session.scalars(db.select(LoginThrottle).order_by(LoginThrottle.scope)).all()
    assert [(r.scope, r.username, r.address, r.failures) for r in rows] == [
        ("account", "inspector", "10.0.0.1", 1), ("address", "", "10.0.0.1", 1)]


def test_web_login_is_throttled_too(client, city, app):
    app.config["WTF_CSRF_ENABLED"] = False
    for _ in range(5):
        response = client.post("/login", data={"username": "unit_a", "password": "nope-nope-1"})
        assert response.status_code == 401
    response = client.post("/login", data={"username": "unit_a", "password": PASSWORD})
    assert response.status_code == 429 and "登录失败次数过多" in response.get_data(as_text=True)


def test_must_change_password_after_reset(client, city, app):
    from inspect_app.office.accounts import reset_password
    app.config["WTF_CSRF_ENABLED"] = False
    reset_password(city.unit_b, "Temp-pass-77")
    db.session.commit()
    response = client.post("/login", data={"username": "unit_b", "password": "Temp-pass-77"})
    assert response.status_code == 302 and "/password" in response.headers["Location"]


# ----------------------------------------------------------------------------- imports: dry_run

NEW_UNIT = [["单位编码", "单位名称", "类型"], ["JDX", "新街道办事处", "街道"]]
NEW_ACCOUNT = [["用户名", "角色"], ["insp_new", "督查员"]]


def import_rows(api, user, kind: str, rows: list[list], **fields):
    form = {"file": (io.BytesIO(csv_bytes(rows)), f"{kind}.csv"), **fields}
    return api.post(f"/api/v1/admin/import/{kind}", user, data=form, content_type="multipart/form-data")


def written() -> tuple:
    return (db.session.scalar(db.select(Unit.id).where(Unit.code == "JDX")),
            db.session.scalar(db.select(User.id).where(User.username == "insp_new")))


@pytest.mark.parametrize("spelling", ["True", "TRUE", "on", "y", " Yes "])
def test_a_preview_writes_nothing_however_dry_run_is_spelt(api, city, spelling):
    """dry_run=True was not "1", "true" or "yes": the preview wrote the units, and real accounts with passwords."""
    for kind, rows in (("units", NEW_UNIT), ("accounts", NEW_ACCOUNT)):
        response = import_rows(api, city.admin, kind, rows, dry_run=spelling)
        body = response.get_json()
        assert response.status_code == 200 and body["added"] == 1, body
        assert body["dry_run"] is True and body["written"] is False
    assert written() == (None, None)


def test_a_dry_run_neither_yes_nor_no_is_refused_and_no_applies(api, city):
    refused = import_rows(api, city.admin, "units", NEW_UNIT, dry_run="preview")
    error = refused.get_json()["error"]
    assert refused.status_code == 400 and error["code"] == "invalid_dry_run"
    assert "dry_run" in error["message"] and "preview" in error["message"]
    assert written() == (None, None)
    applied = import_rows(api, city.admin, "units", NEW_UNIT, dry_run="No")
    assert applied.status_code == 200 and applied.get_json()["written"] is True
    assert written()[0] is not None


def test_a_refused_import_says_whether_it_was_a_preview(api, city):
    """The rows are checked before anything is written; a refused import answered that check's "dry_run": true
    for a caller who had not asked for a preview."""
    bad = [["单位编码", "单位名称", "类型"], ["JDX", "新街道办事处", "宇宙"]]
    applied = import_rows(api, city.admin, "units", bad)
    assert applied.status_code == 422
    assert (applied.get_json()["dry_run"], applied.get_json()["written"]) == (False, False)
    preview = import_rows(api, city.admin, "units", bad, dry_run="1")
    assert preview.status_code == 422 and preview.get_json()["dry_run"] is True
    assert written() == (None, None)

