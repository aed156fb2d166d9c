"""A site's checklist on a phone (Pixel 7) when the day goes wrong: an answer lost and the draft edited before
sending again.

Run: python -m pytest tests/e2e/test_assessment_phone.py -n0 (E2E_SCREENSHOTS=folder keeps the screenshots)."""
from __future__ import annotations

import pytest
from assessment_world import World
from conftest import PASSWORD, PHOTOS

pytestmark = pytest.mark.browser

PHOTO = str(PHOTOS / "Canon_40D.jpg")


@pytest.fixture
def lane(city, now):
    """An open round with one back lane, assigned to `inspector`: its site page's path."""
    from inspect_app.assessment import services
    from inspect_app.extensions import db

    World(city, now)
    rnd, _ = services.create_round(city.admin, services.RoundInput(
        kind="undercover", name="暗访", per_kind={"背街小巷": 1}, inspector_ids=[city.inspector.id], seed=3), now)
    db.session.commit()
    return f"/assessment/rounds/{rnd.id}/sites/{rnd.sites[0].site_id}"


def _fill(page, note: str):
    """BJ-01 fails (a photo, a note), BJ-02 passes."""
    page.click('.item[data-code="BJ-01"] .yesno label.no')
    page.set_input_files('.item[data-code="BJ-01"] input[type=file]', PHOTO)
    page.wait_for_selector('.item[data-code="BJ-01"] .previews figure img')
    page.fill("input[name='note_BJ-01']", note)
    page.click('.item[data-code="BJ-02"] .yesno label:not(.no)')


def test_an_edit_after_a_lost_answer_is_told_what_was_kept(phones, lane):
    """The results reached the server but the answer never reached the phone; the inspector added to the note and
    tapped 提交 again: the page said 该 Idempotency-Key 已用于另一份不同的测评结果… Now it says the site was
    submitted, that the edit was not saved and how to correct it, with a way to see what was stored."""
    phone = phones("inspector")
    page = phone.page
    page.goto(phone.base + lane)
    _fill(page, "导诊台无人")

    def arrives_unanswered(route):
        route.fetch()  # the server has it ...
        route.abort()  # ... the phone hears nothing

    page.route("**" + lane, arrives_unanswered)
    page.click("form.js-check button[type=submit]")
    page.wait_for_selector(".js-error:has-text('网络不可用')")
    page.unroute("**" + lane)

    page.fill("input[name='note_BJ-01']", "导诊台无人值守，志愿服务站关闭")
    page.click("form.js-check button[type=submit]")
    error = page.wait_for_selector(".js-error:has-text('之后修改的内容没有保存')")
    said = error.inner_text()
    assert "Idempotency-Key" not in said and "联系文明办" in said and "撤回" in said
    phone.shot("assess-phone-edited-after-lost-answer")
    page.click(".js-error a:has-text('查看已提交的结果')")
    page.wait_for_selector(".alert.success:has-text('已于')")
    shown = page.inner_text("main")
    assert "导诊台无人" in shown and "志愿服务站关闭" not in shown


def test_a_login_run_out_mid_day_says_to_log_in_again_and_comes_back_to_the_site(phones, lane):
    """The login ended (LOGIN_SESSION_HOURS) while the inspector filled a site in; 提交 was redirected to the login
    page and the page said 提交失败（200）…请稍后重试 at every try. Now it says to log in again, the draft kept,
    and its link logs in and comes back to the site, where the draft is restored and goes."""
    from datetime import timedelta

    from sqlalchemy import update

    from inspect_app.auth.models import LoginSession
    from inspect_app.common.timeutil import utcnow
    from inspect_app.extensions import db

    phone = phones("inspector")
    page = phone.page
    page.goto(phone.base + lane)
    _fill(page, "墙面小广告")
    page.wait_for_timeout(400)  # the draft is written 150 ms after the last change
    db.session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    page.click("form.js-check button[type=submit]")
    error = page.wait_for_selector(".js-error:has-text('登录已过期')")
    assert "已保存在本机" in error.inner_text() and "200" not in error.inner_text()
    phone.shot("assess-phone-login-ran-out")
    page.click(".js-error a:has-text('重新登录')")
    page.wait_for_url("**/login**")
    assert "没有保存" not in page.inner_text("main")
    page.fill("input[name=username]", "inspector")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_url("**" + lane)
    page.wait_for_selector(".status:has-text('已恢复')")
    assert page.input_value("input[name='note_BJ-01']") == "墙面小广告"
    page.click("form.js-check button[type=submit]")
    page.wait_for_url("**/assessment/tasks")
    assert "已提交" in page.inner_text("main")


def test_photos_over_the_limit_are_said_not_dropped_silently(app, phones, lane, monkeypatch):
    """The phone kept 3 photos per failed item and dropped the rest without a word, while the server takes
    MAX_PHOTOS_PER_REPORT (9). The page now takes the server's number, says it, and says which were left out."""
    monkeypatch.setitem(app.config, "MAX_PHOTOS_PER_REPORT", 4)
    phone = phones("inspector")
    page = phone.page
    page.goto(phone.base + lane)
    assert "每项最多4张" in page.inner_text("form .hint")
    page.click('.item[data-code="BJ-01"] .yesno label.no')
    item = '.item[data-code="BJ-01"]'
    assert page.inner_text(f"{item} .photo-limit") == "每项最多4张"
    names = ["Canon_40D.jpg", "gps_DSCN0010.jpg", "gps_DSCN0012.jpg"]
    page.set_input_files(f"{item} input[type=file]", [str(PHOTOS / n) for n in names])
    page.wait_for_selector(f"{item} .previews figure:nth-child(3)")  # (the page's CSP allows no eval)
    assert page.inner_text(f"{item} .photo-limit") == "每项最多4张"  # under the limit: nothing left out
    more = ["mobile_jolla.jpg", "orient_Landscape_6.jpg"]
    page.set_input_files(f"{item} input[type=file]", [str(PHOTOS / n) for n in more])
    page.wait_for_selector(f"{item} .photo-limit:has-text('未加入')")
    assert page.inner_text(f"{item} .photo-limit") == "每项最多4张：已保留前4张，另1张未加入"
    assert len(page.query_selector_all(f"{item} .previews figure")) == 4
    phone.shot("assess-phone-photo-limit")
    page.click('.item[data-code="BJ-02"] .yesno label:not(.no)')
    page.click("form.js-check button[type=submit]")
    page.wait_for_url("**/assessment/tasks")  # the server takes the four

    from inspect_app.assessment.models import Result
    from inspect_app.extensions import db
    from inspect_app.tickets.models import Ticket
    db.session.expire_all()
    failed = db.session.scalar(db.select(Result).where(Result.passed.is_(False)))
    assert len(db.session.get(Ticket, failed.ticket_id).photos) == 4
