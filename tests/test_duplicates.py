"""疑似重复: the same category's open problems near a place, on the filing page (/tickets/nearby and the page's
note, in a real browser), on a ticket's page for those who see the whole city, and on a citizen's report waiting
in the office's queue."""
from __future__ import annotations

import pytest
from conftest import City, at

from inspect_app.extensions import db
from inspect_app.tickets import duplicates
from inspect_app.tickets import services as tickets

# About 20 m and 80 m east of City.ON_A, on the same road.
NEAR = (City.ON_A[0], City.ON_A[1] + 0.0002)
FARTHER = (City.ON_A[0], City.ON_A[1] + 0.0008)


@pytest.fixture
def street(city, make_ticket):
    """Open 牛皮癣 at ON_A (filed first) and 20 m from it; one 80 m off; a closed and a voided one on the spot; a
    蜘蛛网 on the spot."""
    first = make_ticket(at_time=at("2026-11-24T09:00"))
    near = make_ticket(at_time=at("2026-11-24T15:00"), point=NEAR, reporter=city.inspector2)
    farther = make_ticket(at_time=at("2026-11-24T10:00"), point=FARTHER)
    closed = make_ticket(at_time=at("2026-11-20T09:00"))
    voided = make_ticket(at_time=at("2026-11-21T09:00"))
    spider = make_ticket("spider_web", at_time=at("2026-11-22T09:00"))
    from conftest import processed
    tickets.rectify(city.unit_a, closed, at("2026-11-21T09:00"), "已清除", [processed()])
    tickets.approve(city.inspector, closed, at("2026-11-21T12:00"), None)
    tickets.cancel(city.admin, voided, at("2026-11-21T12:00"), "误报")
    db.session.commit()
    return {"first": first, "near": near, "farther": farther, "closed": closed, "voided": voided, "spider": spider}


def test_only_open_problems_of_the_category_within_the_radius(app, city, street):
    found = duplicates.open_nearby(city.niupixuan.id, *City.ON_A)
    assert [n.number for n in found] == [street["first"].number, street["near"].number]  # nearest first
    assert found[0].distance_m < 1 and 15 < found[1].distance_m < 25 and found[1].status_label == "待整改"
    assert duplicates.open_nearby(city.niupixuan.id, *City.ON_A, exclude_id=street["first"].id)[0].id == \
        street["near"].id
    assert [n.id for n in duplicates.open_nearby(city.spider.id, *City.ON_A)] == [street["spider"].id]
    assert duplicates.open_nearby(city.niupixuan.id, None, None) == []  # no position: nothing to compare
    assert duplicates.open_nearby(None, *City.ON_A) == []
    app.config["DUPLICATE_RADIUS_M"] = 100
    assert len(duplicates.open_nearby(city.niupixuan.id, *City.ON_A)) == 3
    app.config["DUPLICATE_RADIUS_M"] = 0  # turned off
    assert duplicates.open_nearby(city.niupixuan.id, *City.ON_A) == []


def test_the_filing_pages_question(app, city, street, browser):
    inspector = browser(city.inspector)
    answer = inspector.get(f"/tickets/nearby?category=niupixuan&lat={City.ON_A[0]}&lon={City.ON_A[1]}")
    body = answer.get_json()
    assert answer.status_code == 200 and body["radius_m"] == 50
    assert [i["number"] for i in body["items"]] == [street["first"].number, street["near"].number]
    assert body["items"][1] == {"number": street["near"].number, "status": "待整改", "reported": "11-24 15:00",
                                "place": "人民路东段", "distance_m": 20, "url": f"/tickets/{street['near'].id}"}
    for query, code in (("category=nope&lat=28.23&lon=112.93", "invalid_category"),
                        ("category=niupixuan&lat=28.23", "invalid_location"),
                        ("category=niupixuan&lat=abc&lon=112.93", None)):
        refused = inspector.get(f"/tickets/nearby?{query}", headers={"X-Requested-With": "XMLHttpRequest"})
        assert refused.status_code == 400, query
        assert code is None or refused.get_json()["error"]["code"] == code
    assert browser(city.unit_a).get("/tickets/nearby?category=niupixuan&lat=28.23&lon=112.93").status_code in \
        (403, 404)
    page = inspector.get("/tickets/new").get_data(as_text=True)
    assert 'data-dup="/tickets/nearby"' in page and "report-dup.js" in page and 'class="alert warn dup-note"' in page
    app.config["DUPLICATE_RADIUS_M"] = 0
    assert "report-dup.js" not in inspector.get("/tickets/new").get_data(as_text=True)


def test_a_tickets_page_names_its_likely_duplicates_to_the_city_not_to_units(app, city, street, browser):
    near = street["near"]
    office = browser(city.admin).get(f"/tickets/{near.id}").get_data(as_text=True)
    assert "疑似重复" in office and street["first"].number in office and "（较早）" in office
    assert street["farther"].number not in office and street["closed"].number not in office
    assert "可作废较晚上报的一件" in office and f"作废本件（与{street['first'].number}重复）" in office
    assert f'name="reason" value="与{street["first"].number}重复上报"' in office
    assert "可作废" not in browser(city.inspector).get(f"/tickets/{near.id}").get_data(as_text=True)
    # a unit sees its own ticket, never another's number through it
    assert "疑似重复" not in browser(city.unit_a).get(f"/tickets/{near.id}").get_data(as_text=True)
    closed = browser(city.admin).get(f"/tickets/{street['closed'].id}").get_data(as_text=True)
    assert "疑似重复" not in closed  # done with: nothing to void

    # the later one is voided in one step, its reason naming the earlier
    first = browser(city.admin).get(f"/tickets/{street['first'].id}").get_data(as_text=True)
    assert "作废本件" not in first  # the earlier one is kept
    office = browser(city.admin)
    page = f"/tickets/{near.id}"
    assert office.submit(page, f"{page}/cancel", {"reason": f"与{street['first'].number}重复上报"}).status_code == 303
    db.session.expire_all()
    assert near.status == "cancelled" and near.events[-1].note == f"与{street['first'].number}重复上报"
    assert "疑似重复" not in office.get(f"/tickets/{street['first'].id}").get_data(as_text=True)  # none left


def test_a_citizens_report_in_the_queue_names_what_is_already_being_handled(app, city, street, browser):
    from inspect_app.intake.models import IntakeItem

    item = IntakeItem(source="citizen", status="pending", category_id=city.niupixuan.id, description="电线杆小广告",
                      lat=NEAR[0], lon=NEAR[1], received_at=at("2026-11-25T09:00"), created_at=at("2026-11-25T09:00"),
                      updated_at=at("2026-11-25T09:00"))
    db.session.add(item)
    db.session.commit()
    page = browser(city.admin).get(f"/intake/{item.id}").get_data(as_text=True)
    assert "疑似重复" in page and street["first"].number in page and street["near"].number in page
    assert "如是同一处问题，并入该问题" in page and f"并入 {street['first'].number}" in page


def test_a_busy_spot_says_how_many_are_open_not_only_the_five_listed(app, city, street, browser, make_ticket):
    """At a spot with 36 open 牛皮癣 the pages said 已有5件 / 还有5件: the count was the list's, cut at 5. The true
    number is said, and that the nearest (or latest) 5 are listed."""
    from inspect_app.intake.models import IntakeItem

    office = browser(city.admin)
    quiet = office.get(f"/tickets/{street['near'].id}").get_data(as_text=True)  # the list is all there is
    assert "相距50米内还有1件同类问题在办。" in quiet or "相距50米内还有1件同类问题在办，" in quiet
    assert "列出距离最近" not in quiet
    for hour in range(10, 17):  # seven more on the spot: nine open within 50 m of NEAR, eight besides `near`
        make_ticket(at_time=at(f"2026-11-25T{hour}:00"))
    ticket_page = office.get(f"/tickets/{street['near'].id}").get_data(as_text=True)
    assert "相距50米内还有8件同类问题在办（列出距离最近的5件）" in ticket_page
    assert ticket_page.count('<li><a href="/tickets/') == 5
    answer = office.get(f"/tickets/nearby?category=niupixuan&lat={NEAR[0]}&lon={NEAR[1]}").get_json()
    assert answer["total"] == 9 and len(answer["items"]) == 5

    located = IntakeItem(source="citizen", status="pending", category_id=city.niupixuan.id, description="小广告",
                         lat=NEAR[0], lon=NEAR[1], received_at=at("2026-11-26T09:00"),
                         created_at=at("2026-11-26T09:00"), updated_at=at("2026-11-26T09:00"))
    # no position, the road in words (a 12345 case): the open ones on the segments its address names
    in_words = IntakeItem(source="hotline", status="pending", category_id=city.niupixuan.id, description="小广告",
                          address=f"{city.seg_a.name}公交站", received_at=at("2026-11-26T09:00"),
                          created_at=at("2026-11-26T09:00"), updated_at=at("2026-11-26T09:00"))
    db.session.add_all([located, in_words])
    db.session.commit()
    page = office.get(f"/intake/{located.id}").get_data(as_text=True)
    assert "相距50米内已有9件同类问题在办，列出距离最近的5件" in page
    on_road = duplicates.open_on_segments(city.niupixuan.id, [city.seg_a.id])
    assert on_road.total == 10 and len(on_road) == 5  # the farther one is on the road too
    page = office.get(f"/intake/{in_words.id}").get_data(as_text=True)
    assert "地址中提到的道路上已有10件同类问题在办，列出最近上报的5件" in page
    assert duplicates.open_on_segments(city.niupixuan.id, [city.seg_a.id], limit=20).total == 10


@pytest.mark.browser
def test_the_filing_page_says_what_is_open_nearby_before_sending(app, city, street, server, phones):
    inspector = phones()
    page = inspector.page
    page.goto(server + "/login")
    inspector.login("inspector")
    page.wait_for_selector("select[name=segment_id] option:nth-child(2)", state="attached")  # located
    assert page.is_hidden(".dup-note")
    page.click("label.tile:has-text('牛皮癣')")
    page.wait_for_selector(".dup-note:not([hidden]) li")
    note = page.inner_text(".dup-note")
    assert "附近50米内已有2件同类问题正在办理" in note and street["first"].number in note
    assert page.get_attribute(f".dup-note a:has-text('{street['first'].number}')", "target") == "_blank"
    inspector.shot("dup-note")
    page.click("label.tile:has-text('乱停乱放')")  # nothing of that kind here
    page.wait_for_selector(".dup-note", state="hidden")


def test_an_assessment_rounds_findings_are_not_each_others_repeats(app, city, make_ticket, browser):
    # Found on the demo city: a site's two failed checklist items, both 测评问题 at the site's point, were named
    # as each other's repeat. Each is one item of one site; the round made them, nobody filed them twice.
    from inspect_app.assessment import checklist
    from inspect_app.assessment.models import Result, Round, RoundSite
    from inspect_app.sites.models import Site, SiteKind

    kind = SiteKind(name="公共厕所", sort_order=1, active=True)
    site = Site(code="GC-1", name="万家丽路公厕1号", kind=kind, district="江城区", territorial_unit=city.street_a,
                lat=City.ON_A[0], lon=City.ON_A[1], created_at=at("2026-10-01T10:00"))
    db.session.add_all([kind, site])
    db.session.flush()
    version = checklist.create_version([
        {"code": f"GC-0{n}", "kind": kind, "text": text, "points": 1.5, "answerable_by": "territorial",
         "deadline": {"hours": 24}, "category": None} for n, text in ((1, "有洗手液"), (2, "有厕纸"))],
        at("2026-10-01T10:00"))
    rnd = Round(kind="mock_assessment", name="第二轮模拟测评", seed=1, checklist_version_id=version.id,
                created_at=at("2026-11-24T09:00"))
    db.session.add(rnd)
    db.session.flush()
    rs = RoundSite.drawn(site, round_id=rnd.id, status="submitted", submitted_at=at("2026-11-24T10:00"))
    db.session.add(rs)
    db.session.flush()
    made = [make_ticket("spider_web", at_time=at("2026-11-24T10:00"), source="mock_assessment") for _ in range(2)]
    for ticket, item in zip(made, version.items):
        db.session.add(Result(round_site_id=rs.id, item_id=item.id, passed=False, deducted=1.5, ticket_id=ticket.id))
    filed = make_ticket("spider_web", at_time=at("2026-11-25T09:00"))  # an inspector's own, at the same spot
    db.session.commit()

    assert duplicates.of_ticket(made[0]) == [] and duplicates.of_ticket(made[1]) == []
    assert duplicates.of_ticket(filed) == []  # the round's findings are not offered either
    assert "疑似重复" not in browser(city.admin).get(f"/tickets/{made[0].id}").get_data(as_text=True)
    assert [n.id for n in duplicates.open_nearby(city.spider.id, *City.ON_A)] == [filed.id]  # the filing page's


def test_the_office_sweeps_the_citys_likely_repeats(app, city, street, browser, make_ticket):
    later = make_ticket(at_time=at("2026-11-25T08:00"), point=NEAR)  # a third copy, 0 m from `near`
    pairs = duplicates.open_pairs()
    # each pair once, the later member first, the most recent first; the 80 m one and the closed one are not here
    assert [(p.later.id, p.earlier.id) for p in pairs] == [
        (later.id, street["near"].id), (later.id, street["first"].id), (street["near"].id, street["first"].id)]
    assert pairs[0].category == "牛皮癣" and pairs[0].distance_m < 1

    office = browser(city.admin)
    page = office.get("/tickets/duplicates").get_data(as_text=True)
    assert "疑似重复 <small>3 对</small>" in page and f"作废 {later.number}（与{street['near'].number}重复）" in page
    assert "疑似重复" in office.get("/office/work").get_data(as_text=True)  # linked from 待办事项
    response = office.submit("/tickets/duplicates", f"/tickets/{later.id}/cancel",
                             {"reason": f"与{street['near'].number}重复上报", "next": "/tickets/duplicates"})
    assert response.status_code == 303 and response.headers["Location"] == "/tickets/duplicates"
    assert [(p.later.id, p.earlier.id) for p in duplicates.open_pairs()] == [(street["near"].id, street["first"].id)]
    for user in (city.inspector, city.leader, city.unit_a):
        assert browser(user).get("/tickets/duplicates").status_code in (403, 404)

    # two problems after all (不是重复): neither is named as the other's again, on any page
    pair = {"ticket_id": str(street["near"].id), "other_id": str(street["first"].id), "next": "/tickets/duplicates"}
    assert office.submit("/tickets/duplicates", "/tickets/duplicates/not-repeat", pair).status_code == 303
    assert office.submit("/tickets/duplicates", "/tickets/duplicates/not-repeat", pair).status_code == 303  # twice
    assert duplicates.open_pairs() == []
    assert "疑似重复：" not in office.get(f"/tickets/{street['first'].id}").get_data(as_text=True)
    assert duplicates.of_ticket(street["near"]) == []
    assert len(duplicates.open_nearby(city.niupixuan.id, *City.ON_A)) == 2  # a new report is still told of both
    one = str(street["near"].id)  # ids, not 1: PostgreSQL's sequences go on from the tests before
    for bad, status in (({"ticket_id": one}, 400), ({"ticket_id": one, "other_id": one}, 422),
                        ({"ticket_id": one, "other_id": "999999999"}, 404), ({"ticket_id": "x", "other_id": one}, 400)):
        answer = office.submit("/tickets/duplicates", "/tickets/duplicates/not-repeat", bad, script=True)
        assert answer.status_code == status, bad
    refused = browser(city.inspector).submit("/tickets/new", "/tickets/duplicates/not-repeat", pair, script=True)
    assert refused.status_code == 403
    app.config["DUPLICATE_RADIUS_M"] = 0
    assert duplicates.open_pairs() == []
    assert "没有疑似重复的问题" in office.get("/tickets/duplicates").get_data(as_text=True)


def test_the_sweep_lists_the_most_recent_pairs_and_counts_them_all(app, city, make_ticket):
    """/tickets/duplicates shows the 100 most recent pairs and how many there are: open_pairs(limit) finds the same
    pairs, in the same order, as comparing every open problem with every other, and reads the numbers and places
    of the listed pairs alone (where 100,000 problems were open, reading them all and making an object of each of
    257,000 pairs took 17-22 s)."""
    import random

    from conftest import sql_sent

    from inspect_app.common.geo import distance_m
    from inspect_app.tickets.rules import ACTIVE_STATUSES

    rng = random.Random(7)
    made = []
    for k in range(18):  # within about 70 m of ON_A, some at one spot, some reported at the same minute
        point = City.ON_A if k % 5 == 0 else (City.ON_A[0] + rng.uniform(-6e-4, 6e-4),
                                              City.ON_A[1] + rng.uniform(-6e-4, 6e-4))
        made.append(make_ticket("niupixuan" if k % 3 else "spider_web", at_time=at(f"2026-11-2{k % 4}T09:{k // 2:02d}"),
                                point=point))
    tickets.cancel(city.admin, made[4], at("2026-11-25T09:00"), "误报")
    first, second = sorted((made[7].id, made[8].id))
    db.session.add(duplicates.NotRepeat(first_id=first, second_id=second, decided_by=city.admin.id,
                                        decided_at=at("2026-11-25T09:00")))
    db.session.commit()

    radius = duplicates.radius_m()
    open_ = sorted((t for t in made if t.status in ACTIVE_STATUSES), key=lambda t: (t.reported_at, t.id))
    expected = [(later.id, earlier.id) for i, later in enumerate(open_) for earlier in open_[:i]
                if later.category_id == earlier.category_id and (min(later.id, earlier.id), max(later.id, earlier.id))
                != (first, second) and distance_m(later.lat, later.lon, earlier.lat, earlier.lon) <= radius]
    expected.sort(key=lambda p: [(t.reported_at, t.id) for t in (db.session.get(type(made[0]), i) for i in p)],
                  reverse=True)
    assert len(expected) > 20  # enough pairs to list a few of

    assert [(p.later.id, p.earlier.id) for p in duplicates.open_pairs()] == expected
    with sql_sent() as sent:
        listed = duplicates.open_pairs(5)
    assert [(p.later.id, p.earlier.id) for p in listed] == expected[:5] and listed.total == len(expected)
    by_id = {t.id: t for t in made}
    for pair in listed:
        later, earlier = by_id[pair.later.id], by_id[pair.earlier.id]
        assert (pair.later.number, pair.earlier.number, pair.later.reported_at) == \
            (later.number, earlier.number, later.reported_at)
        assert pair.category == later.category.name and pair.later.status_label == "待整改"
        assert pair.distance_m == distance_m(later.lat, later.lon, earlier.lat, earlier.lon)
    # the open problems read as positions; the numbers and places of the ten listed, in one more statement
    assert len(sent) == 3, sent
    assert "tickets.address" not in sent[0][0] and "tickets.number" not in sent[0][0], sent[0]
    assert duplicates.open_pairs(0) == [] and duplicates.open_pairs(0).total == len(expected)


def _pair_forms(page: str, later, earlier) -> tuple[dict, dict]:
    """The 作废 and 不是重复 forms the 疑似重复 page drew for this pair: each one's hidden fields as a browser sends
    them (the page's token aside)."""
    import html
    import re

    forms = {}
    for action, body in re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S):
        fields = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                            body) if k != "csrf_token"}
        if action == f"/tickets/{later.id}/cancel" and fields.get("duplicate_of") == earlier.number:
            forms["cancel"] = fields
        elif action == "/tickets/duplicates/not-repeat" and \
                (fields.get("ticket_id"), fields.get("other_id")) == (str(later.id), str(earlier.id)):
            forms["not_repeat"] = fields
    return forms["cancel"], forms["not_repeat"]


def test_a_pair_judged_on_a_page_left_open_is_refused_once_either_problem_moved_on(app, city, street, browser,
                                                                                   make_ticket):
    """The 疑似重复 page's forms sent an empty version (the pair's members had none): a 作废 as a repeat, or a 不是重复,
    from a page left open went through over what another person had done to either problem meanwhile (the unit's
    退单 of the later one voided under it, a colleague's 改派 of the earlier one merged into). Each form carries
    both problems' versions as drawn; one changed since is refused (409, the usual message) and nothing changes."""
    from inspect_app.tickets.models import Ticket

    later = make_ticket(at_time=at("2026-11-25T08:00"), point=NEAR)
    near = street["near"]
    office, colleague = browser(city.admin), browser(city.admin)  # two sessions of the office
    page = "/tickets/duplicates"
    cancel, not_repeat = _pair_forms(office.get(page).get_data(as_text=True), later, near)
    assert cancel["version"] == str(later.version) and cancel["duplicate_of_version"] == str(near.version)
    assert (not_repeat["version"], not_repeat["other_version"]) == (str(later.version), str(near.version))

    # the unit says the later one is not its job (退单) while the page is open
    unit = browser(city.unit_a)
    mine = f"/tickets/{later.id}"
    assert unit.submit(mine, f"{mine}/dispute", {"reason": "不属于本单位职责", "version": str(later.version)}) \
        .status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "disputed"
    message = f"{later.number}在您打开页面后已有新的处理（现为“退单待审”），请查看最新情况后再操作。"
    refused = office.submit(page, f"/tickets/{later.id}/cancel", cancel)
    assert refused.status_code == 303 and message in office.get(refused.location).get_data(as_text=True)
    for action, fields in ((f"/tickets/{later.id}/cancel", cancel), ("/tickets/duplicates/not-repeat", not_repeat)):
        answer = office.submit(page, action, fields, script=True)
        assert answer.status_code == 409 and answer.get_json()["error"] == {"code": "ticket_changed",
                                                                            "message": message}, action
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "disputed" and db.session.get(duplicates.NotRepeat,
                                                                                     (near.id, later.id)) is None
    assert [e.action for e in db.session.get(Ticket, later.id).events][-1] == "dispute"

    # drawn again; then a colleague moves the earlier one to another unit: a merge into it is refused as well
    cancel, not_repeat = _pair_forms(office.get(page).get_data(as_text=True), later, near)
    before = db.session.get(Ticket, near.id).version
    assert colleague.submit(f"/tickets/{near.id}", f"/tickets/{near.id}/reassign",
                            {"unit_id": str(city.street_b.id), "note": "属乙街道", "version": str(before)}) \
        .status_code == 303
    db.session.expire_all()
    assert db.session.get(Ticket, near.id).version > before
    message = f"{near.number}在您打开页面后已有新的处理（现为“待整改”），请查看最新情况后再操作。"
    for action, fields in ((f"/tickets/{later.id}/cancel", cancel), ("/tickets/duplicates/not-repeat", not_repeat)):
        answer = office.submit(page, action, fields, script=True)
        assert answer.status_code == 409 and answer.get_json()["error"]["message"] == message, action
    db.session.expire_all()
    assert db.session.get(Ticket, later.id).status == "disputed" and db.session.get(duplicates.NotRepeat,
                                                                                     (near.id, later.id)) is None

    # on the page as it is now, the merge goes through
    cancel, _ = _pair_forms(office.get(page).get_data(as_text=True), later, near)
    assert office.submit(page, f"/tickets/{later.id}/cancel", cancel).status_code == 303
    db.session.expire_all()
    voided = db.session.get(Ticket, later.id)
    assert voided.status == "cancelled" and voided.events[-1].note == f"与{near.number}重复上报"


def test_a_tickets_page_sends_the_earlier_problems_version_with_its_void_as_a_repeat(app, city, street, browser):
    """作废本件（与…重复） on a ticket's page names the earlier problem as it was shown: moved on since, refused."""
    import re

    near, first = street["near"], street["first"]
    office = browser(city.admin)
    page = f"/tickets/{near.id}"
    drawn = office.get(page).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/tickets/%d/cancel"[^>]*>(.*?)</form>' % near.id, drawn, re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)))
    fields.pop("csrf_token", None)
    assert fields["duplicate_of"] == first.number and fields["duplicate_of_version"] == str(first.version)
    tickets.reassign(city.admin, first, at("2026-11-25T09:00"), city.street_b.id, "属乙街道")
    db.session.commit()
    answer = office.submit(page, f"{page}/cancel", fields, script=True)
    assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "ticket_changed"
    db.session.expire_all()
    assert db.session.get(type(near), near.id).status == "assigned"


def _every_pair(tickets_, radius, dismissed):
    """The definition the sweep keeps to, by comparing every open problem with every other: each two open ones of
    one category with a position within the radius (the checklist's and the dismissed pairs left out), the later
    member first, the most recent first."""
    from inspect_app.common.geo import distance_m, valid_lat_lon
    from inspect_app.tickets.rules import ACTIVE_STATUSES

    open_ = sorted((t for t in tickets_ if t.status in ACTIVE_STATUSES and valid_lat_lon(t.lat, t.lon)),
                   key=lambda t: (t.reported_at, t.id))
    pairs = []
    for i, later in enumerate(open_):
        for j, earlier in enumerate(open_[:i]):
            metres = 0.0 if (later.lat, later.lon) == (earlier.lat, earlier.lon) else \
                distance_m(later.lat, later.lon, earlier.lat, earlier.lon)
            if later.category_id == earlier.category_id and metres <= radius and \
                    (min(later.id, earlier.id), max(later.id, earlier.id)) not in dismissed:
                pairs.append(((i, j), (later.id, earlier.id, metres)))
    return [pair for _, pair in sorted(pairs, reverse=True)]


def test_the_sweep_finds_every_pair_by_spots_and_cells_as_comparing_every_two_does(app, city, make_ticket):
    """The sweep counts the pairs of a spot (one category's problems at one point: a pole filed again and again)
    without comparing them, and compares spots with their neighbours' only (100,000 open problems took 3.6-6.4 s,
    benchmarks/bench_duplicates.py). On a city seeded with the pairs such a shortcut could lose or invent, it lists
    and counts exactly the pairs that comparing every open problem with every other finds: across a segment's end
    and between two roads, either side of midnight (Shanghai's and UTC's), at 49.5 m and not at 50.5 m, across the
    grid's lines, at one spot three and four deep and two such spots side by side, and not with a closed or a
    voided problem, another category's, or a pair the office found two problems."""
    import random

    from inspect_app.common.geo import distance_m
    from inspect_app.units.models import Segment

    from conftest import processed

    east = Segment(name="人民路东延段", district="江城区", unit=city.street_a)
    east.coords = [[112.9400, 28.2300], [112.9500, 28.2300]]
    db.session.add(east)
    db.session.commit()
    lat0, lon0 = 28.2301, 112.9400  # where 人民路东段 ends and 东延段 begins
    metre_lon = 1 / distance_m(lat0, lon0, lat0, lon0 + 1)  # degrees of longitude a metre here
    made = {}

    def put(name, when, dx_m=0.0, dy_m=0.0, category="niupixuan", segment=None):
        point = (lat0 + dy_m / 111_195.08, lon0 + dx_m * metre_lon)
        made[name] = make_ticket(category, at_time=at(when), point=point, segment=segment)
        return made[name]

    put("west_end", "2026-11-20T10:00", -8, segment=city.seg_a)       # 16 m apart, either side of the segments' end
    put("east_start", "2026-11-20T10:05", 8, segment=east)
    put("other_road", "2026-11-20T11:00", 30, 20, segment=city.seg_b)  # named on the other road (a wrong pick)
    put("before_midnight", "2026-11-21T23:59", 200)                    # Shanghai's midnight between them
    put("after_midnight", "2026-11-22T00:01", 210)
    put("before_utc", "2026-11-22T07:59", 400)                         # UTC's midnight (08:00 in Shanghai)
    put("after_utc", "2026-11-22T08:01", 400, 30)
    put("at_49_5", "2026-11-22T09:00", 600)
    put("from_49_5", "2026-11-22T09:01", 649.5)
    put("at_50_5", "2026-11-22T09:02", 800)
    put("from_50_5", "2026-11-22T09:03", 850.5)
    for k in range(3):                                                 # one spot three deep, one four deep, 5 m off
        put(f"spot3_{k}", f"2026-11-23T09:0{k}", 1000)
    for k in range(4):
        put(f"spot4_{k}", f"2026-11-23T10:0{k}", 1005)
    put("spot_spider", "2026-11-23T11:00", 1000, category="spider_web")  # another category at the spot
    put("closed", "2026-11-19T09:00", -200)                            # done with: no pair with its neighbour
    put("open_by_closed", "2026-11-24T09:00", -210)
    put("voided", "2026-11-19T09:30", -400)
    put("open_by_voided", "2026-11-24T09:30", -400)
    put("rectified", "2026-11-19T10:00", -600)                         # still being handled: a pair
    put("open_by_rectified", "2026-11-24T10:00", -620)
    put("dismissed_a", "2026-11-24T11:00", -800)
    put("dismissed_b", "2026-11-24T11:00", -810)                       # the same minute: the id decides the order
    put("dismissed_c", "2026-11-24T11:00", -820)
    rng = random.Random(71)
    for k in range(16):  # a scatter across the grid's lines, some at the same minute
        put(f"scatter{k}", f"2026-11-25T{9 + k % 3:02d}:{k // 3:02d}", 2000 + rng.uniform(-45, 45),
            rng.uniform(-45, 45), category="niupixuan" if k % 4 else "spider_web")

    tickets.rectify(city.unit_a, made["closed"], at("2026-11-20T09:00"), "已清除", [processed()])
    tickets.approve(city.inspector, made["closed"], at("2026-11-20T12:00"), None)
    tickets.cancel(city.admin, made["voided"], at("2026-11-20T12:00"), "误报")
    tickets.rectify(city.unit_a, made["rectified"], at("2026-11-20T09:00"), "已清除", [processed()])
    first, second = sorted((made["dismissed_a"].id, made["dismissed_c"].id))
    db.session.add(duplicates.NotRepeat(first_id=first, second_id=second, decided_by=city.admin.id,
                                        decided_at=at("2026-11-25T09:00")))
    db.session.commit()
    assert {made[n].segment_id for n in ("west_end", "east_start", "other_road")} == \
        {city.seg_a.id, east.id, city.seg_b.id}

    expected = _every_pair(made.values(), duplicates.radius_m(), {(first, second)})
    names = {t.id: name for name, t in made.items()}
    found = {(names[later], names[earlier]) for later, earlier, _ in expected}
    assert {("east_start", "west_end"), ("other_road", "east_start"), ("after_midnight", "before_midnight"),
            ("after_utc", "before_utc"), ("from_49_5", "at_49_5"), ("spot4_3", "spot3_0"),
            ("open_by_rectified", "rectified"), ("dismissed_b", "dismissed_a"), ("dismissed_c", "dismissed_b")} <= found
    assert not {("from_50_5", "at_50_5"), ("open_by_closed", "closed"), ("open_by_voided", "voided"),
                ("dismissed_c", "dismissed_a"), ("spot_spider", "spot3_0")} & found
    assert len(expected) > 50

    every = duplicates.open_pairs()
    assert [(p.later.id, p.earlier.id, p.distance_m) for p in every] == expected and every.total == len(expected)
    for limit in (0, 1, 7, 100):
        listed = duplicates.open_pairs(limit)
        assert [(p.later.id, p.earlier.id, p.distance_m) for p in listed] == expected[:limit], limit
        assert listed.total == len(expected)


def test_the_pairing_of_many_scattered_and_stacked_problems_is_every_two_compared():
    """find_pairs on 1,500 problems in 3 categories over a 600 m square (cells of 50 m, so every direction of
    neighbouring cells is crossed), a third of them stacked on 60 spots, some pairs dismissed: the same pairs, in
    the same order, and the same count as comparing every two."""
    import random

    from inspect_app.common.geo import distance_m

    rng = random.Random(2026)
    spots = [(28.2301 + rng.uniform(0, 0.0054), 112.9350 + rng.uniform(0, 0.0061)) for _ in range(60)]
    rows = []
    for rank in range(1500):
        lat, lon = rng.choice(spots) if rank % 3 == 0 else (28.2301 + rng.uniform(0, 0.0054),
                                                          112.9350 + rng.uniform(0, 0.0061))
        rows.append((10_000 + rank * 7 % 1500, lat, lon, rank % 3))  # ids not in report order
    radius = 50.0
    every = []
    for later in range(len(rows)):
        for earlier in range(later):
            (_, lat, lon, category), (_, other_lat, other_lon, other_category) = rows[later], rows[earlier]
            metres = 0.0 if (lat, lon) == (other_lat, other_lon) else distance_m(lat, lon, other_lat, other_lon)
            if category == other_category and metres <= radius:
                every.append((later, earlier, metres))
    every.reverse()  # the latest first, each one's earlier ones latest first
    dismissed = {tuple(sorted((rows[later][0], rows[earlier][0]))) for later, earlier, _ in every[5::40]}
    kept = [p for p in every if tuple(sorted((rows[p[0]][0], rows[p[1]][0]))) not in dismissed]
    assert len(kept) > 2_000 and len(dismissed) > 50 and any(metres == 0.0 for *_, metres in kept)

    assert duplicates.find_pairs(rows, radius) == (len(every), every)
    assert duplicates.find_pairs(rows, radius, dismissed) == (len(kept), kept)
    for limit in (0, 1, 100):
        assert duplicates.find_pairs(rows, radius, dismissed, limit) == (len(kept), kept[:limit])
