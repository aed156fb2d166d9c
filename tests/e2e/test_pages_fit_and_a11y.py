"""Every page, for every role and for a stranger, in a real browser: no page wider than the screen at 320, 360 and 390 px or on a
1366 px desktop (where the whole menu shows, too), no button squeezed to a character a line, no serious or critical axe-core violation at phone size
(contrast 4.5:1, labels on every control ...), touch targets of at least 44 px, and the filing page usable with
the keyboard alone.

The pages are found, not listed: every GET route of the app that answers the role with an HTML page (from the
route map, as tests/test_route_permissions.py walks it). axe-core is the npm package axe-core, pinned and vendored
as tests/e2e/vendor/axe.min.js (see tests/e2e/vendor/README.md), injected into each page from the test; nothing
loads from another host.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import City

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = (320, 360, 390, 1366)
ROLES = {"admin": "admin", "inspector": "inspector", "leader": "leader", "unit": "unit_b"}
SKIP_ENDPOINTS = {"static", "office.static", "auth.logout", "field.service_worker", "field.favicon"}
NOT_PAGES = (".pdf", ".xlsx", ".csv", "/photos/", "/thumb", ".json", "/near")

# Interactive things a thumb must hit: at least 44 px high (WCAG 2.5.5 AAA size, Apple/Android guidance), except
# links inside running text and controls that are visually part of a larger label (tiles, checkboxes' labels).
# A plain file input counts too (its button is what a thumb hits).
SMALL_TARGETS = """
() => {
  const out = [];
  const sel = 'button, .btn, select, input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([type=file]),'
            + ' textarea, summary, nav a, .tabs a, label.check, .tile, .pick-btn, input[type=file]';
  for (const el of document.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width || !r.height || cs.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (el.type === 'file' && cs.opacity === '0') continue;  // a photo picker's input: its .pick-btn is the target
    if (r.height < 43.5) out.push(`${el.tagName.toLowerCase()}.${el.className || ''} "${(el.innerText || el.value || el.name || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out;
}"""

# A button or link of two or more characters narrower than two characters: text wrapping a character a line (a
# label squeezed to no width at all beside a float counts: its text still runs down the page).
SQUEEZED = """
() => {
  const out = [];
  for (const el of document.querySelectorAll('button, .btn, nav a, .tabs a, th, label')) {
    const text = (el.innerText || '').trim(), r = el.getBoundingClientRect();
    if (text.length < 2 || !(r.width || r.height) || el.closest('[hidden]')) continue;
    const em = parseFloat(getComputedStyle(el).fontSize);
    if (r.width < 1.9 * em && r.height > 2.5 * em) out.push(`${el.tagName.toLowerCase()} "${text.slice(0, 12)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out;
}"""

WIDER = """
() => {
  const doc = document.documentElement, out = [];
  if (doc.scrollWidth > doc.clientWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > doc.clientWidth + 1 && r.width && !el.closest('.nav, .tabs, .table-scroll, .scroll-x')) {
        out.push(`${el.tagName.toLowerCase()}.${el.className || ''} right=${Math.round(r.right)}`);
        if (out.length > 4) break;
      }
    }
    out.unshift(`scrollWidth ${doc.scrollWidth} > clientWidth ${doc.clientWidth}`);
  }
  return out;
}"""

# Every <details> of the page opened; how many were folded.
OPEN_FOLDS = """
() => { const folded = [...document.querySelectorAll('details:not([open])')]; folded.forEach(d => d.open = true);
        return folded.length; }"""

# On a desk screen the whole menu shows: no item past the right edge, reachable only by a sideways scroll.
NAV_CUT = """
() => [...document.querySelectorAll('.nav a')]
  .filter(a => a.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(a => `menu item "${a.innerText.trim()}" past the edge`)"""


@pytest.fixture
def world(app, city, make_ticket, now):
    """Something on every page: tickets in each state; 督办 the way the office works now (the sweep proposes,
    the office compiles, the leader signs): an issued letter to unit B with its reply, a draft waiting for the
    leader and a proposal still open, a 约谈, a 问责 referral and a 回头看; a published list, a campaign; an
    assessment round finished with scores and an open one with a site drawn for the inspector; a frontage, a
    citizen's report and a 12345 case waiting."""
    import io

    from werkzeug.datastructures import FileStorage

    from conftest import photo_bytes, processed
    from inspect_app.escalation import compose, followup, proposals, replies, signing
    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.models import Recheck
    from inspect_app.extensions import db
    from inspect_app.rankings.periods import parse_period
    from inspect_app.rankings.services import publish
    from inspect_app.tickets import services
    from inspect_app.tickets.campaigns import Campaign

    def upload(name):
        return FileStorage(io.BytesIO(photo_bytes("Canon_40D.jpg")), name)

    old = make_ticket(point=City.ON_B, at_time=now - timedelta(days=10))
    later = make_ticket(point=City.ON_B, at_time=now - timedelta(days=6), category="niupixuan")
    old_a = make_ticket(point=City.ON_A, at_time=now - timedelta(days=9))
    done = make_ticket(point=City.ON_B, at_time=now - timedelta(days=3), reporter=city.inspector)
    services.rectify(city.unit_b, done, now - timedelta(days=2), "已清除小广告并冲洗墙面", [processed()])
    disputed = make_ticket(point=City.ON_B, category="spider_web")
    services.dispute(city.unit_b, disputed, now, "该处线缆属于运营商")
    waiting = make_ticket(point=City.ON_B, category="spider_web")
    services.request_extension(city.unit_b, waiting, now, workdays=3, reason="需协调供电部门")
    make_ticket(point=City.FAR, address="城外某处一个很长很长的地址：临江大道与滨江路交叉口东北角公交站台旁边")
    db.session.commit()

    run_sweep(now)
    proposed = {p.ticket_id: p for p in proposals.open_proposals(now)}
    assert {old.id, later.id, old_a.id} <= set(proposed), proposed
    [letter] = compose.create_batch(city.admin, now, {"proposal_ids": [proposed[old.id].id]})
    signing.sign(city.leader, letter, now)
    answer = replies.reply(city.unit_b, letter, now, "已整改，附现场照片", [upload("a.jpg")])
    draft = compose.create_draft(city.admin, now, {"proposal_ids": [proposed[old_a.id].id]})  # waits for signing
    # the proposal for `later` stays open on the proposals page
    interview = followup.schedule_interview(city.admin, city.street_b.id, now,
                                            {"scheduled_at": "2026-11-25T08:00", "place": "会议室", "attendees": "主任"})
    followup.record_interview(city.admin, interview, now, {"record": "已约谈"}, [upload("b.jpg")])
    followup.refer(city.admin, city.street_b.id, now, {"referred_to": "市纪委监委", "reason": "整改不力"})
    recheck = Recheck(letter_id=letter.id, ticket_id=old.id, unit_id=city.street_b.id,
                      inspector_id=city.inspector.id, due_at=now, created_at=now, created_by_id=city.admin.id)
    db.session.add(recheck)

    ranking = publish(parse_period("2026-11"), now)
    campaign = Campaign(name="牛皮癣专项整治", start_date=date(2026, 11, 1), end_date=date(2026, 12, 31))
    db.session.add(campaign)
    frontage, citizen, case = _intake_world(city, now)
    task = _key_task_world(city, now, upload)
    survey = _survey_world(city, citizen.receipt, now)
    db.session.commit()
    assessment = _assessment_world(city, now)
    return {**assessment, "ticket_id": old.id, "photo_id": old.photos[0].id, "letter_id": letter.id,
            "ranking_id": ranking.id, "campaign_id": campaign.id, "user_id": city.inspector2.id,
            "unit_id": city.street_b.id, "segment_id": city.seg_b.id, "category_id": city.niupixuan.id,
            "kind": "units", "fmt": "csv", "action": "approve", "day": "2027-01-01", "number": letter.number,
            "file_id": answer.files[0].id, "interview_id": interview.id, "attachment_id": interview.files[0].id,
            "recheck_id": recheck.id, "frontage_id": frontage.id, "item_id": citizen.id,
            "intake_photo_id": citizen.photos[0].id, "code": citizen.receipt, "task_id": task.id,
            "survey_id": survey.id, "sheet": "results",
            # endpoints worth opening for more than one object: {endpoint: [arguments, ...]}
            "variants": {
                "tickets.detail": [{"ticket_id": t.id} for t in (old, done, disputed, waiting)]
                + [{"ticket_id": old.id, "site_q": "东风"}],  # the 关联点位 box's search, a site found
                "escalation.detail": [{"letter_id": letter.id}, {"letter_id": draft.id}],
                # 更多筛选 folded, and open by what it holds; a list of several pages (上一页 not a link)
                "tickets.office_list": [{}, {"source": "hotline"}, {"per_page": 1}],
                "tickets.unit_list": [{}, {"tab": "all", "per_page": 1}],
                "escalation.edit": [{"letter_id": draft.id}],
                "intake.item": [{"item_id": citizen.id}, {"item_id": case.id}],
                "office.import_form": [{"kind": k} for k in ("units", "frontages", "hotline", "feedback",
                                                                      "keytasks")],
                "assessment.round_detail": [{"round_id": assessment["round_id"]},
                                            {"round_id": assessment["finished_round_id"]}],
                "assessment.round_scores": [{"round_id": assessment["round_id"]},
                                            {"round_id": assessment["finished_round_id"]}],
            }}


def _survey_world(city, code: str, now):
    """The usual questionnaire, open at the receipt code's address (the route map's one <code>), answered in both
    districts."""
    from inspect_app.surveys import questionnaire, services

    survey = services.create(city.admin, {"title": "2026年第四季度创建全国文明城市市民问卷",
                                          "questions": questionnaire.default_text()}, now)
    survey.code = code.lower()
    for n, district in enumerate(["江城区", "临江区", "临江区"]):
        services.answer(survey, {"district": district, **{f"q{q}": str(n % 2) for q in range(1, 12)}},
                        f"{n:064d}", "a" * 64, now)
    return survey


def _key_task_world(city, now, upload):
    """A key task led by street B with street A assisting: a month's progress, then the request for 销号 with a
    photo, waiting for the office."""
    from inspect_app.keytasks import services

    task = services.save_task(services.TaskValues(
        2026, "3.2.1", "农贸市场", "全市农贸市场划行归市，地面无积水无垃圾，无活禽散养，公益广告规范", "实地考察",
        "市场管理制度、整改前后照片、日常巡查台账", city.street_b, [city.street_a], date(2026, 11, 30)), now)
    services.report(city.unit_a, task, now - timedelta(days=20), "已清理市场周边乱停车", 40)
    services.report(city.unit_b, task, now, "已全部完成，佐证材料见附件", claims_done=True, files=[upload("c.jpg")])
    return task


def _assessment_world(city, now) -> dict:
    """Two lanes of unit B and a checklist; a round two weeks ago (one lane failed an item, bulletin issued)
    and an open round that drew a lane for the inspector."""
    from conftest import processed
    from inspect_app.assessment import checklist, services
    from inspect_app.extensions import db
    from inspect_app.sites.models import Site, SiteKind

    kind = SiteKind(name="背街小巷", sort_order=1, active=True)
    sites = [Site(code=f"BJ-{n}", name=name, kind=kind, district="临江区", lat=City.ON_B[0], lon=City.ON_B[1],
                  territorial_unit=city.street_b, created_at=now) for n, name in ((1, "青石巷"), (2, "东风里"))]
    db.session.add_all([kind, *sites])
    db.session.flush()
    checklist.create_version([
        {"code": "BJ-01", "kind": kind, "text": "无乱堆乱放、无暴露垃圾", "points": 2.0,
         "answerable_by": "territorial", "deadline": {"hours": 24}, "category": None},
        {"code": "BJ-02", "kind": kind, "text": "墙面无小广告、无乱涂乱画", "points": 1.5,
         "answerable_by": "territorial", "deadline": {"hours": 48}, "category": None}], now)
    earlier = now - timedelta(days=14)
    finished, _ = services.create_round(city.admin, services.RoundInput(
        kind="mock_assessment", name="上一轮模拟测评", per_kind={"背街小巷": 2}, inspector_ids=[city.inspector.id],
        seed=5), earlier)
    for rs in finished.sites:
        answers = [services.Answer(i.code, i.code != "BJ-01") for i in services.items_for(rs)]
        services.submit(city.inspector, finished, rs.site_id, answers, None, earlier + timedelta(hours=2),
                        processed={a.code: [processed()] for a in answers if not a.passed})
    services.close_round(city.admin, finished, earlier + timedelta(days=1))
    services.issue_bulletin(city.admin, finished, earlier + timedelta(days=1), "文明督查")
    rnd, _ = services.create_round(city.admin, services.RoundInput(
        kind="mock_assessment", name="本周模拟测评", per_kind={"背街小巷": 1}, inspector_ids=[city.inspector.id], seed=1),
        now)
    db.session.commit()
    return {"round_id": rnd.id, "site_id": rnd.sites[0].site_id, "kind_id": kind.id,
            "finished_round_id": finished.id}


def _intake_world(city, now):
    """A frontage of street B, a citizen's report waiting with a photo, and a 12345 case waiting."""
    from conftest import processed
    from inspect_app.extensions import db
    from inspect_app.frontages.models import Frontage
    from inspect_app.intake.models import IntakeItem, IntakePhoto
    from inspect_app.photos.service import save_files

    frontage = Frontage(code="F-B1", name="乙街米粉店", address="建设路1号", street_unit=city.street_b)
    photo = processed()
    citizen = IntakeItem(source="citizen", status="pending", receipt="K7M3X9QD2H", description="路边堆满垃圾，已经好几天没人清理",
                         address="建设路2号", received_at=now, created_at=now, updated_at=now,
                         device_hash="d" * 64, address_hash="a" * 64)
    citizen.photos.append(IntakePhoto(key=save_files(photo), sha256=photo.sha256, width=photo.width,
                                      height=photo.height, bytes=len(photo.jpeg), created_at=now))
    case = IntakeItem(source="hotline", status="pending", case_number="12345-0001", description="占道经营",
                      address="建设路3号", received_at=now, created_at=now, updated_at=now)
    feedback = IntakeItem(source="superior", status="pending", case_number="2026年省级文明城市测评实地考察反馈问题清单第12条",
                          description="【公共厕所·建设路公厕】无洗手液、厕纸，地面有积水", address="建设路公厕（建设路5号）",
                          received_at=now, due_at=now + timedelta(days=10), created_at=now, updated_at=now)
    db.session.add_all([frontage, citizen, case, feedback])
    return frontage, citizen, case


def pages_for(app, client, user, world) -> list[str]:
    """Every GET route that answers this user with an HTML page."""
    from conftest import sign_in

    with client.session_transaction() as session:
        session.clear()
    sign_in(client, user)
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in world["variants"]:
            candidates = [adapter.build(rule.endpoint, values) for values in world["variants"][rule.endpoint]]
        else:
            values = {name: world[name] for name in rule.arguments if name in world}
            if len(values) != len(rule.arguments):
                continue
            converter = rule._converters.get("action")
            if converter is not None and getattr(converter, "items", None):
                continue  # retire/restore: posts
            candidates = [adapter.build(rule.endpoint, values)]
        for url in candidates:
            if any(part in url for part in NOT_PAGES):
                continue
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                urls.append(url)
    return sorted(set(urls))


def problems_on(page, server, urls) -> dict[str, list[str]]:
    """{url: problems} for each page: overflow and squeezed text at every width (as loaded, then with its folds
    open), small targets and axe at 390 px with its folds open."""
    problems: dict[str, list[str]] = {}
    for url in urls:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(server + url)
        page.wait_for_load_state("load")
        found = []
        # as loaded, then with every fold opened (a ticket's 作废 and 申请延期 forms, 更多筛选 ...): axe passes over
        # what is folded away, and an open fold is as wide as its form
        for folds in ("", "opened: "):
            if folds and not page.evaluate(OPEN_FOLDS):
                break
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 844 if width < 1000 else 900})
                found += [f"{folds}{width}px: {w}" for w in page.evaluate(WIDER)]
                found += [f"{folds}{width}px squeezed: {s}" for s in page.evaluate(SQUEEZED)]
                if width >= 1000:
                    found += [f"{folds}{width}px: {s}" for s in page.evaluate(NAV_CUT)]
        page.set_viewport_size({"width": 390, "height": 844})
        found += [f"small target: {s}" for s in page.evaluate(SMALL_TARGETS)]
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations'],
                                               runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => `${v.impact} ${v.id}: ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }""")
        found += [f"axe {v}" for v in violations]
        if found:
            problems[url] = found
    return problems


def report(who: str, problems: dict[str, list[str]]) -> None:
    if problems:
        pytest.fail(f"{who}: " + "\n".join(f"{url}\n  " + "\n  ".join(p) for url, p in problems.items()),
                    pytrace=False)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_fits_the_screen_and_passes_axe(app, city, client, world, phones, server, role):
    user = {"admin": city.admin, "inspector": city.inspector, "leader": city.leader, "unit": city.unit_b}[role]
    urls = pages_for(app, client, user, world)
    assert len(urls) >= 4, urls
    phone = phones(ROLES[role], device="Pixel 7", bypass_csp=True)  # to inject axe; the app's own CSP is unchanged
    problems = problems_on(phone.page, server, urls)
    phone.close()
    report(role, problems)


def test_the_public_pages_fit_a_phone_and_pass_axe(app, city, client, world, phones, server):
    """What a citizen opens without an account: the 随手拍 page, the receipt look-up and a receipt, the login
    and offline pages (every GET route that answers a stranger with a page)."""
    with client.session_transaction() as session:
        session.clear()
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        values = {name: world[name] for name in rule.arguments if name in world}
        if len(values) != len(rule.arguments):
            continue
        url = adapter.build(rule.endpoint, values)
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html" and not any(p in url for p in NOT_PAGES):
            urls.append(url)
    assert {"/citizen/report", "/citizen/receipt", f"/citizen/receipt/{world['code']}"} <= set(urls), urls
    phone = phones(None, device="Pixel 7", bypass_csp=True)
    problems = problems_on(phone.page, server, sorted(urls))
    phone.close()
    report("stranger", problems)


def test_a_list_of_several_pages_passes_axe(city, make_ticket, phones, server):
    """QA walk: 上一页 on a list's first page (下一页 on its last), a faded span, was 3.2:1 against its button: axe's
    serious color-contrast on every list longer than a page (全部问题, 本单位问题, 门前四包, 市民来件 ...), which the
    pages above, a page of each list, never were."""
    for _ in range(2):
        make_ticket(point=City.ON_B)
    office = phones("admin", bypass_csp=True)  # to inject axe
    assert problems_on(office.page, server, ["/tickets?per_page=1", "/tickets?per_page=1&page=2"]) == {}
    # at 320 px 上一页 and 下一页 broke after their second character (上一 / 页): each stays on one line
    page = office.page
    page.set_viewport_size({"width": 320, "height": 640})
    heights = page.eval_on_selector_all(".pager .btn", "els => els.map(e => e.getBoundingClientRect().height)")
    assert len(heights) == 2 and max(heights) < 48, heights  # one line: 44 px (two made 66)
    office.close()


def test_the_filing_pages_responsibility_block_fits_a_phone(city, phones, server):
    """QA walk: with 门前四包 picked, the shop's search box was 22 px wide at the card's right edge and its label ran
    down a character a line (the rule clearing the legend's float met the hidden frontage_id after it, not the
    label). Each block of the filing page shown by its category, at every phone width: nothing wider than the
    screen, nothing squeezed, the shop's box as wide as its card."""
    from test_web_pages import with_responsibility_block

    with_responsibility_block(city)
    inspector = phones("inspector")
    page = inspector.page
    page.goto(server + "/tickets/new")
    page.wait_for_selector("select[name=segment_id] optgroup", state="attached")
    page.click("summary:has-text('更多类别')")  # 门前脏乱 among them
    for tile, block in (("门前脏乱", "fieldset.resp-frontage"), ("蜘蛛网", "fieldset.resp-owner")):
        page.click(f"label.tile:has-text('{tile}')")
        page.locator(block).wait_for(state="visible")
        for width in WIDTHS[:-1]:
            page.set_viewport_size({"width": width, "height": 844})
            found = page.evaluate(WIDER) + page.evaluate(SQUEEZED)
            assert found == [], (tile, width, found)
            if block == "fieldset.resp-frontage":
                card = page.locator(block).bounding_box()
                box = page.locator("input[name=frontage_code]").bounding_box()
                assert box["width"] >= card["width"] - 2 * 12 - 1, (width, card, box)  # the card's padding aside
                assert box["y"] > page.locator(f"{block} > legend").bounding_box()["y"]
    inspector.close()


def test_the_interview_form_fits_a_phone(city, phones, server):
    """安排约谈 on a unit's page: beside the date-and-time box, the 地点 box was 22 px wide at 320 px (38 at 360)."""
    office = phones("admin")
    page = office.page
    page.goto(f"{server}/letters/units/{city.street_a.id}")
    page.click("summary:has-text('安排约谈')")
    for width in WIDTHS[:-1]:
        page.set_viewport_size({"width": width, "height": 844})
        for name in ("scheduled_at", "place", "attendees"):
            box = page.locator(f"input[name={name}]").bounding_box()
            assert box["width"] >= width * 0.6, (width, name, box)
    office.close()


def test_the_ranking_groups_form_shows_every_field_on_a_phone(city, phones, server):
    """排名分组 as a table of eight columns put 按辖区（属地）汇总 and 评分方案 off the right edge of a phone, behind a
    sideways scroll: each group is a card of labelled fields there, every one inside the screen."""
    office = phones("admin")
    page = office.page
    page.goto(f"{server}/rankings/groups")
    for width in WIDTHS[:-1]:
        page.set_viewport_size({"width": width, "height": 844})
        for name in ("g1_name", "g1_red_size", "g1_black_below", "g1_territorial", "g1_scheme"):
            box = page.locator(f"[name={name}]").bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, name, box)
        assert page.locator("[name=g1_scheme]").bounding_box()["width"] >= width * 0.6
    office.close()


def test_the_territory_overview_shows_every_figure_on_a_phone(city, phones, server, now):
    """辖区概况 as a table of eight columns put 按期办结率, 督办函 and 最新红黑榜 off the right edge of a phone,
    digits cut, with nothing to say the box scrolled: each unit is a card of labelled figures there."""
    from conftest import PASSWORD

    from inspect_app.auth.services import create_user
    from inspect_app.extensions import db
    from inspect_app.units.models import Unit

    district = Unit(code="QXA", name="甲区人民政府", kind="区县")
    db.session.add(district)
    db.session.flush()
    city.street_a.parent_id = city.street_b.parent_id = district.id
    create_user("qxa", "unit", PASSWORD, now, unit=district)
    db.session.commit()
    clerk = phones("qxa")
    page = clerk.page
    page.goto(f"{server}/territory/")
    for width in WIDTHS[:-1]:
        page.set_viewport_size({"width": width, "height": 844})
        for label in ("按期办结率", "督办函", "最新红黑榜"):
            cells = page.locator(f"table.territory td[data-label={label}]")
            assert cells.count() >= 3, label  # two streets and the district's own
            for i in range(cells.count()):
                box = cells.nth(i).bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, label, box)
    clerk.close()


def test_the_filing_page_works_with_the_keyboard(city, phones):
    inspector = phones("inspector", location=None)
    page = inspector.page
    reached = []
    page.focus("body")
    for _ in range(40):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement, cs = getComputedStyle(el);
            const ring = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0 || cs.boxShadow !== 'none'
                || getComputedStyle(el.closest('label') || el).outlineStyle !== 'none'
                || (el.closest('.pick') && getComputedStyle(el.closest('.pick').querySelector('.pick-btn')).outlineStyle !== 'none')
                || (el.type === 'radio' && getComputedStyle(el.nextElementSibling).outlineStyle !== 'none');
            return {name: el.name || el.id || el.className || el.tagName, ring: ring};
        }""")
        reached.append(info)
    names = [r["name"] for r in reached]
    for expected in ("category", "photos", "segment_q", "seg-go", "segment_id", "map-toggle", "address", "description"):
        assert any(expected in n for n in names), (expected, names)
    assert all(r["ring"] for r in reached if r["name"] not in ("BODY",)), [r for r in reached if not r["ring"]]
    # Choose a category and a segment with keys only.
    page.focus("input[name=category] >> nth=0")
    page.keyboard.press("Space")
    assert page.is_checked("input[name=category] >> nth=0")
    page.focus("#segment-q")
    page.keyboard.type("建设路")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "segment_id"
    page.wait_for_selector(".seg-found:text-is('找到 1 条路段')")  # the server's answer (no polling script: CSP)
    assert page.input_value("select[name=segment_id]") == str(city.seg_b.id)
    inspector.close()


def test_the_keyboard_skips_the_menu_and_lands_on_a_refusal(city, phones):
    """The first Tab offers 跳到正文 (past the header and the whole menu: 25 Tabs to the 派遣 select on a ticket),
    and a refused form's page puts the keyboard and a screen reader on the reason, not on the page's top."""
    office = phones("admin", location=None)
    page = office.page
    page.goto(office.base + "/office/units/new")
    page.focus("body")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.goto(office.base + "/office/units/new")  # (a form posted from …#content comes back to #content)
    page.fill("input[name=code]", city.street_a.code)
    page.fill("input[name=name]", "重复编码的单位")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent]")
    assert "alert error" in focused[0] and city.street_a.code in focused[1], focused


def test_a_long_menu_narrows_as_one_types(app, city, phones, server):
    """A menu of hundreds of units (thousands of segments) had only its own type-ahead, which Chinese input does not
    reach: a menu of more than 30 options gets a labelled box above it (static/js/select-filter.js) that narrows it
    to the names holding what is typed, picks the first with Enter and keeps what was chosen, in a menu of several
    too; a short menu gets none. The page passes axe with the boxes."""
    from inspect_app.extensions import db
    from inspect_app.units.models import Unit

    db.session.add_all([Unit(code=f"ZZ{i:02d}", name=f"第{i}号测试单位", kind="市直") for i in range(40)]
                       + [Unit(code="ZZ99", name="中国移动临江分公司", kind="企业")])
    db.session.commit()
    office = phones("admin", device="Desktop Chrome", location=None, bypass_csp=True)  # axe injected below
    page = office.page
    page.goto(server + "/letters/new")
    units = page.locator("select[name=unit_id]")
    everything = units.locator("option").all_inner_texts()
    assert len(everything) == 45 and page.locator("input.select-filter").count() == 1  # not 文种's short menu
    box = page.get_by_role("searchbox", name="筛选“主送单位（可多选）”的选项")
    assert box.get_attribute("placeholder") == "输入文字筛选（共 45 项）"
    box.type("移动")
    # the menu's name still its label's words, not the box's text and count
    assert page.get_by_role("listbox", name="主送单位（可多选）", exact=True).count() == 1
    assert units.locator("option").all_inner_texts() == ["中国移动临江分公司"]
    assert page.inner_text(".select-filter-said") == "找到 1 项"
    page.keyboard.press("Enter")  # picked, the form not sent
    assert page.url == server + "/letters/new"
    assert page.inner_text(".select-filter-said") == "已选：中国移动临江分公司"
    box.fill("")
    box.type("甲街道")
    page.keyboard.press("Enter")  # a second one, the first kept (shown, chosen)
    assert units.locator("option").all_inner_texts() == ["甲街道办事处", "中国移动临江分公司"]
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.name") == "unit_id"
    box.focus()
    page.keyboard.press("Escape")  # every option back, in its order, the two still chosen
    assert box.input_value() == "" and units.locator("option").all_inner_texts() == everything
    box.type("第3 测试单位")  # every word: 第3号 and 第30号 to 第39号
    assert len(units.locator("option").all_inner_texts()) == 2 + 11
    page.click("button:has-text('列出这些单位的在办问题')")  # hidden options are not sent; the chosen ones are
    page.wait_for_load_state()
    chosen = page.locator("select[name=unit_id] option:checked").all_inner_texts()
    assert chosen == ["甲街道办事处", "中国移动临江分公司"]
    # a menu of one choice: Enter sets it, the empty option (全部) stays
    page.goto(server + "/tickets")
    page.get_by_role("searchbox", name="筛选“责任单位”的选项").type("乙街道")
    assert page.locator("select[name=unit_id] option").all_inner_texts() == ["全部", "乙街道办事处"]
    page.keyboard.press("Enter")
    assert page.input_value("select[name=unit_id]") == str(city.street_b.id)
    assert problems_on(page, server, ["/letters/new", "/tickets"]) == {}
    office.close()
