"""The 红黑榜's 区县 group counted over its territory (按辖区（属地）汇总: rankings/counts.territory_counts): a district
answers for its streets' and communities' problems and for those on its ground, each once; another district's
never; with the setting off the figures are the units' own, as before."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import at
from sqlalchemy import insert
from test_rankings import AFTER_NOV, NOV, Maker, _pdf_text

from inspect_app.extensions import db
from inspect_app.rankings import counts as counting
from inspect_app.rankings import services
from inspect_app.tickets.models import TicketUnit
from inspect_app.units.models import Unit


def _letter(units, issued: str, n=[0], level: int = 1) -> None:
    """One issued 督办函 (level 2: 挂牌督办) addressed to every unit of `units`."""
    from inspect_app.escalation.models import Letter, LetterUnit

    n[0] += 1
    letter_id = db.session.execute(insert(Letter.__table__).values(
        status="issued", kind="supervision", series="letter", number=f"临江文明督〔2026〕{700 + n[0]}号", year=2026,
        seq=700 + n[0], unit_id=units[0].id, level=level, issued_at=at(issued),
        reply_by=at(issued) + timedelta(days=5), created_at=at(issued), revision=1, pdf_path="")).inserted_primary_key[0]
    for position, unit in enumerate(units):
        db.session.execute(insert(LetterUnit.__table__).values(letter_id=letter_id, unit_id=unit.id, position=position))
    db.session.commit()


def _assist(ticket, unit, status: str = "open") -> None:
    db.session.add(TicketUnit(ticket_id=ticket.id, unit_id=unit.id, role="assist", status=status,
                              assigned_at=ticket.reported_at, deadline=ticket.deadline))
    db.session.commit()


@pytest.fixture
def districts(city):
    """甲区 over 甲街道 and its 社区; 乙区 over 乙街道; November's problems in both."""
    district_a = Unit(code="QXA", name="甲区人民政府", kind="区县")
    district_b = Unit(code="QXB", name="乙区人民政府", kind="区县")
    db.session.add_all([district_a, district_b])
    db.session.flush()
    community = Unit(code="SQA", name="甲社区居委会", kind="社区", parent_id=city.street_a.id)
    city.street_a.parent_id, city.street_b.parent_id = district_a.id, district_b.id
    db.session.add(community)
    db.session.commit()
    add = Maker(city)
    t = {
        "street": add(city.street_a, "2026-11-15T18:00", status="assigned"),             # overdue
        "community": add(community, "2026-11-10T18:00", rectified="2026-11-10T09:00"),   # on time
        "police_on_a": add(city.police, "2026-11-12T18:00", status="assigned", segment=city.seg_a),  # overdue
        "district": add(district_a, "2026-11-20T18:00", rectified="2026-11-20T09:00"),
        "police_assisted": add(city.police, "2026-11-18T18:00", status="assigned"),      # 甲街道 assists only
        "street_b": add(city.street_b, "2026-11-16T18:00", status="assigned"),
        "taken_off": add(city.roads, "2026-11-17T18:00", status="assigned"),             # 甲's part taken off
    }
    _assist(t["district"], city.street_a)      # a district's own problem its street assists: still one problem
    _assist(t["police_assisted"], city.street_a)
    _assist(t["taken_off"], community, status="cancelled")
    _letter([district_a, city.street_a], "2026-11-16T10:00")   # one letter to two units of the territory
    _letter([community], "2026-11-20T10:00")
    return district_a, district_b, community, t


def _entry(computed, unit):
    return next(e for e in computed.entries if e.unit.id == unit.id)


def _groups(city, territorial: bool) -> None:
    services.save_groups(city.admin, [{"name": n, "unit_kinds": k, "red_size": rs, "red_floor": rf,
                                       "black_size": bs, "black_below": bb, "territorial": t and territorial,
                                       "scheme_code": sc if territorial else None}
                                      for n, k, rs, rf, bs, bb, t, sc in services.DEFAULT_GROUPS], {}, AFTER_NOV)
    db.session.commit()


def test_a_district_counts_its_territory_each_problem_once(city, districts):
    district_a, district_b, community, t = districts
    computed = services.compute(NOV, AFTER_NOV)
    a, b = _entry(computed, district_a), _entry(computed, district_b)
    assert a.group == "区县" and b.group == "区县"
    # its street's, its community's, its own (its street assisting: once) and 交警's on its street's segment, in
    # full; 交警's that its street only assists, as 协办; not the part taken off, never 乙街道's
    assert a.counts.found == {"lead": {"daily": 4}, "assist": {"daily": 1}}
    assert (a.counts.due, a.counts.overdue, a.counts.closed) == (4, 2, 2)
    assert a.counts.supervised == 2            # the letter to the district and its street counts once
    assert a.counts.segments == 1               # 甲街道's segment
    assert b.counts.found == {"lead": {"daily": 1}} and (b.counts.due, b.counts.overdue) == (1, 1)
    assert "超期未整改2件" in a.reason and a.score < 100
    # the streets keep their own figures in their own group
    street = _entry(computed, city.street_a)
    assert street.group == "街道/乡镇" and street.counts == counting.unit_counts(NOV, AFTER_NOV)[city.street_a.id]
    # the totals count each problem once: the same as with the setting off
    totals_on = computed.summary()["totals"]
    _groups(city, territorial=False)
    assert services.compute(NOV, AFTER_NOV).summary()["totals"] == totals_on

    # published: the ids behind the figures are the territory's, so the page opens them as counted
    _groups(city, territorial=True)
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    stored = next(e for e in ranking.entries if e.unit_id == district_a.id)
    assert sorted(stored.ticket_ids["found"]) == sorted(t[k].id for k in (
        "street", "community", "police_on_a", "district", "police_assisted"))
    assert sorted(stored.ticket_ids["overdue"]) == sorted([t["street"].id, t["police_on_a"].id])
    assert {"found", "overdue"} <= set(services.stored_figures(stored.figures, stored.ticket_ids))
    assert stored.figures["territory"] is True
    assert "territory" not in next(e for e in ranking.entries if e.unit_id == city.street_a.id).figures
    assert ranking.rules["groups"][1] == {**ranking.rules["groups"][1], "name": "区县", "territorial": True}


def test_a_district_goes_black_whatever_its_score_only_when_itself_escalated(city, districts):
    """A street's 挂牌督办 counts in its district's figures (and score) but does not put the district on the black
    list whatever its score: a 挂牌督办 addressed to the district itself does."""
    district_a, _, _, _ = districts
    _letter([city.street_a], "2026-11-21T10:00", level=2)
    computed = services.compute(NOV, AFTER_NOV)
    a = _entry(computed, district_a)
    assert a.counts.listed == 1 and not a.counts.escalated
    assert _entry(computed, city.street_a).counts.escalated
    _letter([district_a], "2026-11-22T10:00", level=2)
    a = _entry(services.compute(NOV, AFTER_NOV), district_a)
    assert a.counts.listed == 2 and a.counts.escalated and a.list_name == "black"


def test_off_gives_the_units_own_figures_exactly(city, districts):
    district_a, district_b, _, _ = districts
    _groups(city, territorial=False)
    computed = services.compute(NOV, AFTER_NOV)
    own = counting.unit_counts(NOV, AFTER_NOV)
    for e in computed.entries:
        assert e.counts == own.get(e.unit.id, counting.UnitCounts())
    assert _entry(computed, district_a).counts.found == {"lead": {"daily": 1}}
    assert "territorial" not in computed.rules_document()["groups"][1]


def test_the_page_the_pdf_and_the_groups_form_say_so(city, districts, browser, api):
    ranking = services.publish(NOV, AFTER_NOV, user=city.admin)
    db.session.commit()
    admin = browser(city.admin)
    # the preview links the district's figures to no list (the list has no filter for its territory now), its
    # street's to the street's problems
    preview = admin.get("/rankings/preview?period=2026-11").get_data(as_text=True)
    assert f"answering_unit_id={city.street_a.id}&" in preview
    assert f"answering_unit_id={districts[0].id}&" not in preview and f"unit_id={districts[0].id}&" not in preview
    page = admin.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "区县</b>" in page and "按辖区（属地）汇总计分：含下属街道、社区及辖区内的问题" in page
    text = _pdf_text(services.ensure_pdf(ranking, "full").read_bytes())
    assert "区县按辖区（属地）汇总计分：含下属街道、社区及辖区内的问题" in text
    groups = api.get("/api/v1/rankings/groups", city.admin).get_json()
    assert [(g["name"], g["territorial"]) for g in groups][:4] == [
        ("市直部门", False), ("区县", True), ("街道/乡镇", False), ("企业", False)]
    form = admin.get("/rankings/groups").get_data(as_text=True)
    assert 'name="g1_territorial" value="1" checked' in form and 'name="g0_territorial" value="1" checked' not in form

    # the office turns it off on the form: the next list counts the district's own problems; the one published
    # keeps its figures and its line
    from test_rankings import _groups_form
    _groups(city, territorial=True)
    fields = _groups_form()
    fields.pop("g1_territorial")
    assert admin.submit("/rankings/groups", "/rankings/groups", fields).status_code == 303
    assert [g.territorial for g in services.groups()] == [False, False, False, False]
    assert "区县</b>" in admin.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    later = services.compute(NOV, AFTER_NOV)
    assert _entry(later, districts[0]).counts.found == {"lead": {"daily": 1}}
    again = db.session.get(type(ranking), ranking.id)
    assert next(e for e in again.entries if e.unit_id == districts[0].id).figures["found_total"] == 5


def _links(page: str, unit) -> dict[str, str]:
    """The preview's links to a district's territory lists, by figure (found, overdue, rework)."""
    import html
    import re
    hrefs = {html.unescape(h) for h in re.findall(r'href="([^"]*sub_unit=%d&[^"]*)"' % unit.id, page)}
    return {("found" if "territory_role=answering" in h else "rework" if "reworked=1" in h else "overdue"): h
            for h in hrefs}


def test_a_districts_preview_figures_open_its_territory_as_counted(city, districts, browser, api, clock):
    """A district's 发现问题 and 超期 on a preview open the 全部问题 list over its territory with the period's
    arguments (scope=territory, sub_unit, territory_role), and the list has as many problems as the figure: not the
    交警 problem its street only assists (超期), nor the one whose 协办 part was taken off (发现问题)."""
    import re
    district_a, district_b, community, t = districts
    clock.set(AFTER_NOV)
    admin = browser(city.admin)
    preview = admin.get("/rankings/preview?period=2026-11").get_data(as_text=True)
    a = _entry(services.compute(NOV, AFTER_NOV), district_a)
    links = _links(preview, district_a)
    assert set(links) == {"found", "overdue"}  # no 返工 in November
    for figure, expected in (("found", a.figures()["found_total"]), ("overdue", a.figures()["overdue"])):
        assert expected == {"found": 5, "overdue": 2}[figure]
        listed = admin.get(links[figure])
        assert listed.status_code == 200
        body = listed.get_data(as_text=True)
        assert re.search(r"全部问题 <small>(\d+) 件</small>", body).group(1) == str(expected), figure
        assert "辖区：<b>甲区人民政府</b>" in body
        assert t["street_b"].number not in body and (t["taken_off"].number in body) is False
        # the API's list, the same arguments: the same problems
        body = api.get("/api/v1/tickets?per_page=100&" + links[figure].split("?", 1)[1], city.admin).get_json()
        assert body["total"] == expected, figure
    assert t["police_assisted"].number in admin.get(links["found"]).get_data(as_text=True)
    assert t["police_assisted"].number not in admin.get(links["overdue"]).get_data(as_text=True)
    # 乙区's links list its own territory
    b = _links(preview, district_b)
    assert api.get("/api/v1/tickets?" + b["found"].split("?", 1)[1], city.admin).get_json()["total"] == 1
    # the plain territory list: every problem any of its units takes part in (Maker writes no lead parts: those
    # with a part) or on its ground, the part taken off too
    listed = api.get(f"/api/v1/tickets?scope=territory&sub_unit={district_a.id}&per_page=100", city.admin)
    assert {i["id"] for i in listed.get_json()["items"]} == {t[k].id for k in (
        "police_on_a", "district", "police_assisted", "taken_off")}


def test_naming_a_territory_is_the_citywide_readers(city, districts, api, browser, now):
    """A unit clerk names no other unit's territory: its own territory's units only (404 beyond it), and a unit
    with nobody under it none (403, as before); a citywide reader must name one (400) that exists (404)."""
    from conftest import PASSWORD
    from inspect_app.auth.services import create_user
    district_a, district_b, community, t = districts
    clerk_b = create_user("qxb", "unit", PASSWORD, now, unit=district_b)
    db.session.commit()
    assert api.get(f"/api/v1/tickets?scope=territory&sub_unit={district_a.id}", clerk_b).status_code == 404
    assert api.get(f"/api/v1/tickets?scope=territory&sub_unit={district_a.id}&territory_role=whole",
                   clerk_b).status_code == 404
    own = api.get("/api/v1/tickets?scope=territory&territory_role=answering", clerk_b).get_json()
    assert [i["id"] for i in own["items"]] == [t["street_b"].id]
    refused = api.get(f"/api/v1/tickets?scope=territory&sub_unit={community.id}", city.unit_b)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "no_territory"
    assert api.get("/api/v1/tickets?scope=territory", city.admin).status_code == 400
    assert api.get("/api/v1/tickets?scope=territory&sub_unit=999999", city.admin).status_code == 404
    assert api.get(f"/api/v1/tickets?scope=territory&sub_unit={district_a.id}&territory_role=x",
                   city.admin).status_code == 400
    # the office list: an unknown role is dropped with why, the rest kept
    answer = browser(city.admin).get(f"/tickets?scope=territory&sub_unit={district_a.id}&territory_role=x")
    assert answer.status_code == 303 and "territory_role" not in answer.headers["Location"]
