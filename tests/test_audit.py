"""操作日志: sign-ins (and failed ones), changes to accounts and reference data with their old and new values,
exports, refused requests; the office's page; entries that cannot be changed or deleted."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD, City
from sqlalchemy import select

from inspect_app.audit.models import AuditEntry, AuditImmutable
from inspect_app.extensions import db
from inspect_app.units.models import Category


def entries(**where) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(query))


def last(**where) -> AuditEntry:
    found = entries(**where)
    assert found, f"no audit entry with {where}"
    return found[-1]


def test_sign_ins_failed_sign_ins_tokens_and_sign_outs_are_recorded(app, city, browser, client):
    stranger = browser()
    assert stranger.login("inspector", "wrong-password").status_code == 401
    assert stranger.login("nobody-here", "whatever").status_code == 401
    failed = entries(action="login_failed")
    assert [(e.actor, e.actor_id, e.ok, e.detail, e.address) for e in failed] == [
        ("inspector", None, False, "网页：用户名或密码错误", "127.0.0.1"),
        ("nobody-here", None, False, "网页：用户名或密码错误", "127.0.0.1")]

    inspector = browser(city.inspector)
    entry = last(action="login")
    assert (entry.actor, entry.actor_id, entry.kind, entry.ok) == ("inspector", city.inspector.id, "login", True)
    inspector.submit("/password", "/logout")
    assert last(action="logout").actor == "inspector"

    assert client.post("/api/v1/auth/token", json={"username": "unit_a", "password": PASSWORD}).status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": "unit_a", "password": "nope"}).status_code == 401
    assert (last(action="token").actor, last(action="token").detail) == ("unit_a", "接口")
    assert last(action="login_failed").detail == "接口：用户名或密码错误"


def test_account_changes_are_recorded_with_old_and_new_values(app, city, browser):
    office = browser(city.admin)
    page = f"/office/accounts/{city.inspector.id}"
    made = office.submit("/office/accounts/new", "/office/accounts/new",
                         {"username": "jda_li", "display_name": "李四", "role": "unit",
                          "unit_id": str(city.street_a.id), "phone": "13800138000", "password": ""})
    assert made.status_code == 200
    entry = last(action="create")
    assert (entry.actor, entry.kind, entry.target) == ("admin", "account", "账号 jda_li")
    assert f"角色：责任单位；单位：{city.street_a.name}" in entry.detail and "13800138000" in entry.detail
    assert "密码" not in entry.detail  # never a password, not even a hash

    office.submit(page, page, {"display_name": city.inspector.display_name, "role": "leader", "unit_id": "",
                               "phone": ""})
    entry = last(action="update")
    assert (entry.target, entry.detail) == ("账号 inspector", "角色：督查员 → 领导")
    assert entry.address == "127.0.0.1" and entry.actor_id == city.admin.id
    office.submit(page, page, {"display_name": city.inspector.display_name, "role": "unit",
                               "unit_id": str(city.street_a.id), "phone": ""})  # the unit set through its relation
    assert last(action="update").detail == f"角色：领导 → 责任单位；单位：无 → {city.street_a.name}"

    office.submit(page, f"/office/accounts/{city.inspector.id}/reset-password", {"password": "Temp-2026-x"})
    assert last(action="update").detail == "密码由管理员重置（首次登录须修改）"  # not the owner's own change
    office.submit("/office/accounts", f"/office/accounts/{city.leader.id}/disable")
    assert (last(action="update").target, last(action="update").detail) == ("账号 leader", "状态：启用 → 停用")

    # A change the office's rules refuse is rolled back, and so is its entry: the log says what was kept.
    before = len(entries())
    refused = office.submit(f"/office/accounts/{city.admin.id}", f"/office/accounts/{city.admin.id}",
                            {"role": "inspector", "display_name": "x"})
    assert refused.status_code == 422 and len(entries()) == before


def test_a_password_reset_by_the_office_and_one_changed_by_its_owner_read_differently(app, city, browser):
    """Both read 修改 | 账号 inspector | 密码已更改: the log could not tell an office reset from the owner's change."""
    office = browser(city.admin)
    page = f"/office/accounts/{city.inspector.id}"
    office.submit(page, f"{page}/reset-password", {"password": "Temp-2026-x"})
    reset = last(action="update", target="账号 inspector")
    assert (reset.actor, reset.detail) == ("admin", "密码由管理员重置（首次登录须修改）")
    owner = browser()
    assert owner.login(city.inspector, "Temp-2026-x").status_code == 302
    changed = owner.submit("/password", "/password", {"old_password": "Temp-2026-x", "new_password": "Lantern-42-quay",
                                                      "confirm_password": "Lantern-42-quay"})
    assert changed.status_code == 302
    own = last(action="update", target="账号 inspector")
    assert own.id != reset.id and (own.actor, own.detail) == ("inspector", "本人修改密码")


def test_reference_data_changes_and_exports_are_recorded(app, city, browser):
    office = browser(city.admin)
    category = db.session.scalar(select(Category).where(Category.code == "niupixuan"))
    page = f"/office/categories/{category.id}"
    response = office.submit(page, page, {"name": category.name, "group": category.group, "deadline_kind": "hours",
                                          "deadline_value": "48", "code": category.code})
    assert response.status_code == 302
    entry = last(action="update", kind="reference")
    assert entry.target == f"问题类别 {category.name}"
    assert "整改时限（小时）：24 → 48" in entry.detail

    office.submit(f"/office/units/{city.street_a.id}", f"/office/units/{city.street_a.id}/retire")
    assert last(kind="reference").detail == "状态：启用 → 停用"

    export = office.get("/office/export/tickets.csv?status=pending")
    assert export.status_code == 200
    entry = last(action="export")
    assert entry.kind == "data" and entry.target.startswith("问题清单") and entry.target.endswith(".csv")
    assert entry.detail.endswith("筛选条件：status=pending")
    before = len(entries())
    assert office.get("/office/import/units/template.xlsx").status_code == 200  # an empty template: not data
    assert len(entries()) == before


def test_commands_are_recorded_as_the_command_line(app, runner):
    result = runner.invoke(args=["create-user", "someone", "--role", "inspector", "--password", "Good-pass-2026"])
    assert result.exit_code == 0, result.output
    entry = last(action="create")
    assert (entry.actor, entry.actor_id, entry.address, entry.target) == ("命令行", None, "", "账号 someone")


def test_the_office_reads_the_log_and_no_one_else_does(app, city, browser):
    office = browser(city.admin)
    browser().login("inspector", "wrong-password")
    page = office.get("/audit")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "操作日志" in text and "登录失败" in text and "未成功" in text
    assert "用户名或密码错误" in office.get("/audit?q=INSPECTOR&kind=login").get_data(as_text=True)
    assert "用户名或密码错误" not in office.get("/audit?kind=account").get_data(as_text=True)
    assert "没有符合条件的记录" in office.get("/audit?from=2030-01-01").get_data(as_text=True)
    assert office.get("/audit?kind=nonsense").status_code == 400
    assert office.get("/audit?from=2026-12-01&to=2026-11-01").status_code == 400
    assert "操作日志" in office.get("/office/").get_data(as_text=True)
    for user in (city.inspector, city.unit_a, city.leader):
        assert browser(user).get("/audit").status_code in (403, 404)


def test_entries_cannot_be_changed_or_deleted(app, city, browser):
    browser(city.admin)
    entry = last(action="login")
    entry.detail = "改过"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(last(action="login"))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()


def test_an_export_while_the_database_only_reads_is_served_and_its_entry_logged(app, city, browser, monkeypatch,
                                                                                 caplog):
    from test_disk_full import driver_refusal

    from inspect_app.audit import trail

    office = browser(city.admin)

    def read_only(_table):
        raise driver_refusal("read-only")  # a standby after a fail-over
    monkeypatch.setattr(trail, "insert", read_only)
    export = office.get("/office/export/units.csv")
    assert export.status_code == 200 and "名称" in export.data.decode("gb18030")
    assert "audit entry not saved" in caplog.text and "'actor': 'admin'" in caplog.text


def test_the_accounts_page_shows_the_last_sign_in_and_names_accounts_long_unused(app, city, browser, client, clock,
                                                                                now):
    from datetime import timedelta

    from inspect_app.auth.models import LastSignIn

    browser(city.inspector)  # a page's sign-in
    assert client.post("/api/v1/auth/token", json={"username": "unit_a", "password": PASSWORD}).status_code == 200
    db.session.expire_all()
    for user in (city.inspector, city.unit_a):
        assert abs(db.session.get(LastSignIn, user.id).at - now) < timedelta(minutes=1)
    assert db.session.get(LastSignIn, city.leader.id) is None
    clock.set(now + timedelta(days=91))
    office = browser(city.admin)
    idle = office.get("/office/accounts?idle=1").get_data(as_text=True)
    for user in (city.inspector, city.unit_a, city.leader):  # signed in 91 days ago, or made then and never since
        assert f">{user.username}</a>" in idle
    assert ">admin</a>" not in idle  # signed in just now
    every = office.get("/office/accounts").get_data(as_text=True)
    assert "从未登录" in every and "90 天以上未用" in every and "2026-11-25" in every
    office.submit("/office/accounts", f"/office/accounts/{city.leader.id}/disable")
    browser(city.inspector)  # back at work: signed in again today
    idle = office.get("/office/accounts?idle=1").get_data(as_text=True)
    assert ">leader</a>" not in idle and ">inspector</a>" not in idle and ">unit_a</a>" in idle


def test_the_log_exports_what_the_page_selects_and_the_export_is_itself_recorded(app, city, browser):
    import io

    from openpyxl import load_workbook

    office = browser(city.admin)
    browser().login("inspector", "wrong-password")
    sheet = office.get("/audit/export.xlsx?kind=login")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "IP 地址", "类别", "操作", "结果", "对象", "详情")
    assert [(r[1], r[4], r[5]) for r in rows[1:]] == [("admin", "登录", "成功"), ("inspector", "登录失败", "未成功")]
    entry = last(action="export")
    assert entry.target.startswith("操作日志_") and entry.target.endswith(".xlsx")
    assert office.get("/audit/export.csv?kind=x").status_code == 400
    assert browser(city.leader).get("/audit/export.csv").status_code in (403, 404)


def test_site_kinds_letter_wording_and_group_robots_are_recorded(app, city, browser):
    office = browser(city.admin)
    office.submit("/sites/kinds", "/sites/kinds", {"name": "农贸市场", "sort_order": "5"})
    entry = last(kind="reference", action="create")
    assert entry.target == "点位类型 农贸市场" and entry.detail == "排序：5" and entry.actor == city.admin.username

    wording = {"title": "关于实行挂牌督办的函", "body": "{you}的问题实行挂牌督办。", "report_to": "市委", "cc": ""}
    assert office.submit("/letters/templates", "/letters/templates/listed", wording).status_code == 303
    entry = last(kind="reference")
    assert entry.action == "create" and entry.target == "文书模板 挂牌督办函" and "报送：市委" in entry.detail
    assert "{you}" not in entry.detail  # the body is long: said to have changed, not printed
    office.submit("/letters/templates", "/letters/templates/listed", {**wording, "body": "新的正文。"})
    assert last(kind="reference").detail == "正文已更改"
    office.submit("/letters/templates", "/letters/templates/listed", {"reset": "1", "title": "x", "body": "y"})
    entry = last(kind="reference")
    assert (entry.action, entry.detail) == ("delete", "恢复为系统内置措辞")

    # A unit's robot is where its news goes: its clerk sets it, and the address (its key is in it) is never shown.
    clerk = browser(city.unit_b)
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc123"
    clerk.submit("/inbox/robot", "/inbox/robot", {"url": hook, "secret": "", "enabled": "1"})
    entry = last(kind="reference")
    assert (entry.action, entry.target, entry.actor) == ("create", f"单位群机器人 {city.street_b.name}",
                                                         city.unit_b.username)
    clerk.submit("/inbox/robot", "/inbox/robot", {"url": hook.replace("abc123", "xyz789"), "secret": ""})
    assert last(kind="reference").detail == "群机器人地址已更改；推送：是 → 否"
    clerk.submit("/inbox/robot", "/inbox/robot/remove")
    assert last(kind="reference").action == "delete"
    assert not any("abc123" in e.detail or "xyz789" in e.detail for e in entries())


def test_the_menqian_register_is_recorded(app, city, browser):
    """A frontage's street decides which street office its problems go to: who moved it, and from where, is kept."""
    from inspect_app.frontages.models import Frontage

    clerk = browser(city.unit_b)
    fields = {"code": "JB-021", "name": "建设路水果店", "kind": "商户", "address": "建设路21号",
              "street_unit_id": str(city.street_b.id), "segment_id": str(city.seg_b.id), "signed_on": "2026-11-01",
              "contact_person": "周老板", "contact_phone": "13900000021"}
    assert clerk.submit("/frontages/new", "/frontages/new", fields).status_code == 302
    entry = last(kind="reference")
    assert (entry.action, entry.target) == ("create", "门前四包责任商户 建设路水果店")
    assert entry.actor == city.unit_b.username
    assert f"属地街道：{city.street_b.name}" in entry.detail and f"所在路段：{city.seg_b.district}{city.seg_b.name}" \
        in entry.detail and "责任书签订日期：2026-11-01" in entry.detail
    shop = db.session.scalar(select(Frontage).where(Frontage.code == "JB-021"))
    office = browser(city.admin)
    page = f"/frontages/{shop.id}/edit"
    office.submit(page, page, {**fields, "street_unit_id": str(city.street_a.id), "segment_id": ""})
    entry = last(kind="reference")
    assert entry.action == "update" and entry.actor == city.admin.username
    assert entry.detail == (f"属地街道：{city.street_b.name} → {city.street_a.name}；"
                            f"所在路段：{city.seg_b.district}{city.seg_b.name} → 无")
    office.submit(f"/frontages/{shop.id}", f"/frontages/{shop.id}/retire")
    assert last(kind="reference").detail == "状态：启用 → 停用"


def test_refused_requests_are_recorded_once_a_quarter_hour(app, city, browser, api, clock):
    """越权访问: a role asking for what is not its own (403) is in the log with who, from where, what and why; the
    same refusal again within a quarter of an hour adds nothing, so a script hammering a page cannot flood it."""
    clerk = browser(city.unit_a)
    for _ in range(3):
        assert clerk.get("/audit").status_code == 403
    refused = entries(kind="access")
    assert len(refused) == 1
    entry = refused[0]
    assert (entry.action, entry.actor, entry.target, entry.ok) == ("refused", city.unit_a.username, "GET /audit",
                                                                  False)
    assert entry.detail and entry.address
    assert api.post("/api/v1/intake/1/merge", city.inspector, json={"ticket": "2026-000001"}).status_code == 403
    assert last(kind="access").target == "POST /api/v1/intake/1/merge"
    assert last(kind="access").actor == city.inspector.username
    clock.set(clock() + timedelta(minutes=16))
    assert clerk.get("/audit").status_code == 403
    assert len(entries(kind="access", actor=city.unit_a.username)) == 2
    page = browser(city.admin).get("/audit?kind=access").get_data(as_text=True)
    assert "越权访问" in page and "拒绝访问" in page and "GET /audit" in page


def test_another_units_ticket_is_a_404_and_a_recorded_probe(app, city, browser, api, make_ticket, clock):
    """A unit asking for another unit's ticket gets 404, as for one that does not exist (ids cannot be probed),
    and the office finds the probe in the 操作日志 with the ticket's number; a ticket that does not exist, or the
    unit's own, records nothing; the same probe again within a quarter of an hour adds nothing."""
    theirs = make_ticket(point=City.ON_B)   # 建设路西段: street B's
    own = make_ticket()                      # 人民路东段: street A's
    clerk = browser(city.unit_a)
    for _ in range(2):
        assert clerk.get(f"/tickets/{theirs.id}").status_code == 404
    assert clerk.get(f"/tickets/{own.id}").status_code == 200
    assert clerk.get("/tickets/999999").status_code == 404
    probes = entries(kind="access")
    assert [(e.actor, e.target, e.detail, e.ok) for e in probes] == [
        (city.unit_a.username, f"GET /tickets/{theirs.id}", f"查看其他单位的问题 {theirs.number}（已按不存在答复）",
         False)]
    answer = api.get(f"/api/v1/tickets/{theirs.id}", city.unit_a)
    assert answer.status_code == 404 and theirs.number not in answer.get_data(as_text=True)
    assert last(kind="access").target == f"GET /api/v1/tickets/{theirs.id}"
    assert api.get("/api/v1/tickets/999999", city.unit_a).status_code == 404
    assert len(entries(kind="access")) == 2
    clock.set(clock() + timedelta(minutes=16))
    assert clerk.get(f"/tickets/{theirs.id}").status_code == 404
    assert len(entries(kind="access")) == 3
