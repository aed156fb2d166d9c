"""A whole 模拟测评 round in real browsers: the office draws 2 markets, 3 back lanes and 2 toilets per district on
its page; two inspectors walk their sites on phones (photos for every failure; one phone loses its signal and
sends again, one reloads the page half way); failed items become tickets for the right units; scores and the
comparison with the previous round appear; both PDFs render.

Run: python -m pytest tests/e2e/test_assessment_round.py -s (E2E_SCREENSHOTS=folder keeps the screenshots)."""
from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from assessment_world import World
from conftest import PHOTOS, processed

pytestmark = pytest.mark.browser

PHOTO = str(PHOTOS / "Canon_40D.jpg")
# Which items fail, wherever they are met: the unit each one goes to is checked at the end.
FAILING = {"NM-01", "NM-02", "BJ-02", "GC-01"}


def _previous_round(city, world, now):
    """A finished mock assessment two weeks ago (every lane fails BJ-01), to compare with."""
    from inspect_app.assessment import services
    from inspect_app.extensions import db

    earlier = now - timedelta(days=14)
    rnd, _ = services.create_round(city.admin, services.RoundInput(
        kind="mock_assessment", name="上一轮模拟测评", per_kind={"背街小巷": 2, "农贸市场": 1}, per_district=True,
        inspector_ids=[city.inspector.id], seed=5), earlier)
    for rs in rnd.sites:
        items = services.items_for(rs)
        answers = [services.Answer(i.code, i.code != "BJ-01") for i in items]
        services.submit(city.inspector, rnd, rs.site_id, answers, None, earlier + timedelta(hours=2),
                        processed={a.code: [processed()] for a in answers if not a.passed})
    services.close_round(city.admin, rnd, earlier + timedelta(days=1))
    db.session.commit()
    return rnd


def _walk(phone, server, shots_prefix, lose_signal=False, reload_half_way=False):
    """Open every assigned site from the task list and answer its checklist; returns the sites done."""
    page = phone.page
    page.goto(server + "/assessment/tasks")
    links = [a.get_attribute("href") for a in page.query_selector_all(".tasks .task:not(.done) a")]
    assert links, "no sites assigned"
    for n, href in enumerate(links):
        page.goto(server + href)
        page.wait_for_load_state("networkidle")
        assert "在地图中导航" in page.inner_text(".site-card")
        codes = [li.get_attribute("data-code") for li in page.query_selector_all(".items .item")]
        for code in codes:
            item = f'.item[data-code="{code}"]'
            if code in FAILING:
                page.click(f"{item} .yesno label.no")
                page.set_input_files(f"{item} input[type=file]", PHOTO)
                page.wait_for_selector(f"{item} .previews figure img")
                page.fill(f"{item} input[name='note_{code}']", "现场拍照")
            else:
                page.click(f"{item} .yesno label:not(.no)")
        if n == 0:
            phone.shot(f"{shots_prefix}-site-filled")
        if reload_half_way and n == 0:
            page.wait_for_timeout(400)  # the draft is written 150 ms after the last change
            page.reload()
            page.wait_for_selector(".status:has-text('已恢复')")
            for code in codes:
                state = page.is_checked(f'input[name="pass_{code}"][value="{"0" if code in FAILING else "1"}"]')
                assert state, f"{code} not restored"
                if code in FAILING:
                    assert page.query_selector(f'.item[data-code="{code}"] .previews figure img')
        if lose_signal and n == 0:
            phone.context.set_offline(True)
            page.click("form.js-check button[type=submit]")
            page.wait_for_selector(".js-error:has-text('网络不可用')")
            phone.shot(f"{shots_prefix}-offline")
            phone.context.set_offline(False)
        page.click("form.js-check button[type=submit]")
        page.wait_for_url("**/assessment/tasks")
    phone.shot(f"{shots_prefix}-tasks-done")
    return len(links)


def test_a_whole_mock_assessment_round_on_phones(app, city, server, phones, shots, now):
    from sqlalchemy import select

    from inspect_app.assessment.models import Result, Round, RoundSite
    from inspect_app.extensions import db
    from inspect_app.sites.models import SiteKind
    from inspect_app.tickets.models import Ticket

    world = World(city, now)
    previous = _previous_round(city, world, now)

    # --- the office draws the round on its page ----------------------------------------------------
    admin = phones("admin")
    page = admin.page
    page.goto(server + "/assessment/rounds/new")
    kinds = {k.name: k.id for k in db.session.scalars(select(SiteKind))}
    page.select_option("select[name=kind]", "mock_assessment")
    page.fill("input[name=name]", "十二月模拟测评")
    for name, count in (("农贸市场", 2), ("背街小巷", 3), ("公共厕所", 2)):
        page.fill(f"input[name=count_{kinds[name]}]", str(count))
    page.check("input[name=per_district]")
    page.fill("input[name=seed]", "20261201")
    for user in (city.inspector, city.inspector2):
        page.check(f"input[name=inspector_ids][value='{user.id}']")
    admin.shot("assess-01-new-round")
    page.click("button:has-text('抽取并分配')")
    page.wait_for_url("**/assessment/rounds/*")
    assert "0 / 14" in page.inner_text(".facts")
    admin.shot("assess-02-round")
    rnd = db.session.scalar(select(Round).where(Round.name == "十二月模拟测评"))
    drawn = list(db.session.scalars(select(RoundSite).where(RoundSite.round_id == rnd.id)))
    per = {}
    for rs in drawn:
        per[(rs.site.kind.name, rs.site.district)] = per.get((rs.site.kind.name, rs.site.district), 0) + 1
    assert per == {(k, d): n for k, n in (("农贸市场", 2), ("背街小巷", 3), ("公共厕所", 2))
                   for d in ("江城区", "临江区")}

    # --- two inspectors, each on a phone ----------------------------------------------------------
    first = phones("inspector")
    done_first = _walk(first, server, "assess-03-inspector", lose_signal=True)
    second = phones("inspector2")
    done_second = _walk(second, server, "assess-04-inspector2", reload_half_way=True)
    assert done_first + done_second == 14

    db.session.expire_all()
    assert all(rs.status == "submitted" for rs in db.session.scalars(
        select(RoundSite).where(RoundSite.round_id == rnd.id)))
    failures = list(db.session.scalars(select(Result).join(RoundSite).where(RoundSite.round_id == rnd.id,
                                                                            Result.passed.is_(False))))
    # 4 markets × (NM-01, NM-02) + 6 lanes × BJ-02 + 4 toilets × GC-01 = 18, one ticket each, none doubled
    assert len(failures) == 18
    tickets = list(db.session.scalars(select(Ticket).where(Ticket.id.in_([r.ticket_id for r in failures]))))
    assert len(tickets) == 18 and len({t.id for t in tickets}) == 18
    expected_unit = {"NM-01": lambda s: world.market_operator.id, "NM-02": lambda s: world.market_office.id,
                     "BJ-02": lambda s: s.territorial_unit_id, "GC-01": lambda s: world.sanitation.id}
    for result in failures:
        ticket = db.session.get(Ticket, result.ticket_id)
        site = result.round_site.site
        assert ticket.unit_id == expected_unit[result.item.code](site), result.item.code
        assert ticket.source == "mock_assessment" and ticket.site_id == site.id and ticket.status == "assigned"
        assert len(ticket.photos) == 1
    # every site: 100 − its failures (markets 95, lanes 99, toilets 98)
    scores = {rs.site.kind.name: rs.score for rs in db.session.scalars(
        select(RoundSite).where(RoundSite.round_id == rnd.id))}
    assert scores == {"农贸市场": 95.0, "背街小巷": 99.0, "公共厕所": 98.0}

    # --- scores, comparison, PDFs -----------------------------------------------------------------
    page.goto(server + f"/assessment/rounds/{rnd.id}/scores")
    text = page.inner_text("main")
    assert "较上轮" in text and previous.name in text
    admin.shot("assess-05-scores")
    page.goto(server + f"/assessment/rounds/{rnd.id}")
    asked = []  # a number is taken for good: the office is asked first
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("button:has-text('印发督查通报')")
    page.wait_for_selector(".alert.success:has-text('临江文明测')")
    assert asked and "正式文号" in asked[0]
    for name in ("bulletin", "exposure"):
        response = page.request.get(server + f"/assessment/rounds/{rnd.id}/{name}.pdf")
        assert response.status == 200 and response.body()[:4] == b"%PDF"
        path = shots / f"assess-{name}.pdf"
        path.write_bytes(response.body())
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(shots / f"assess-{name}")], check=True)
        assert list(shots.glob(f"assess-{name}-*.png"))

    # --- a unit sees its own results and tasks -------------------------------------------------------
    clerk = phones("unit_sc")
    clerk.page.goto(server + "/assessment/results")
    text = clerk.page.inner_text("main")
    assert "划行归市" in text and "公共厕所" not in text
    clerk.shot("assess-06-unit-results")
