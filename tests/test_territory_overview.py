"""辖区概况 (territory/): a district's figures by street, each street with its 社区, counted by hand from the tickets
made here; another district's streets never show; a clerk whose unit oversees nobody is refused."""
from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, at

from inspect_app.escalation.models import Letter, LetterUnit
from inspect_app.extensions import db
from inspect_app.rankings.models import Ranking, RankingEntry
from inspect_app.rankings.periods import parse_period
from inspect_app.territory import services
from inspect_app.tickets.models import Ticket, TicketUnit
from inspect_app.units.models import Segment, Unit

NOW = at("2026-11-25T10:00:00")


@pytest.fixture
def district(app, city, now):
    """甲区: 甲街道 (with 甲社区 under it) and 丙街道; 乙区: 乙街道. A clerk for each district, one for 丙街道."""
    from inspect_app.auth.services import create_user

    qa = Unit(code="QXA", name="甲区人民政府", kind="区县")
    qb = Unit(code="QXB", name="乙区人民政府", kind="区县")
    db.session.add_all([qa, qb])
    db.session.flush()
    city.street_a.parent_id = qa.id
    city.street_b.parent_id = qb.id
    community = Unit(code="SQA", name="甲社区居委会", kind="社区", parent_id=city.street_a.id)
    street_c = Unit(code="JDC", name="丙街道办事处", kind="街道", parent_id=qa.id)
    db.session.add_all([community, street_c])
    db.session.flush()
    seg_q = Segment(name="区府路", district="江城区", unit=community)  # the 社区's own ground
    db.session.add(seg_q)
    clerk = create_user("qxa", "unit", PASSWORD, now, unit=qa)
    other = create_user("qxb", "unit", PASSWORD, now, unit=qb)
    lone = create_user("jdc", "unit", PASSWORD, now, unit=street_c)
    db.session.commit()
    return {"qa": qa, "qb": qb, "community": community, "street_c": street_c, "seg_q": seg_q, "clerk": clerk,
            "other": other, "lone": lone}


@pytest.fixture
def tickets(district, city):
    """Tickets whose figures the tests count by hand (NOW: 2026-11-25 10:00; the period: November)."""
    rows = {}

    def add(name, unit, reported, status, deadline, rectified=None, closed=None, segment=None, category=None):
        n = len(rows) + 1
        ticket = Ticket(number=f"2026-9{n:05d}", year=2026, seq=90000 + n, status=status,
                        category_id=(category or city.niupixuan).id, unit_id=unit.id if unit else None,
                        segment_id=segment.id if segment else None, reporter_id=city.inspector.id,
                        reported_at=at(reported), deadline=at(deadline) if deadline else None,
                        rectified_at=at(rectified) if rectified else None, closed_at=at(closed) if closed else None)
        if unit is not None:  # the 主办 part, as dispatching makes it
            part = {"closed": "closed", "cancelled": "cancelled", "rectified": "rectified"}.get(status, "open")
            ticket.parts.append(TicketUnit(unit_id=unit.id, role="lead", status=part, assigned_at=at(reported),
                                           deadline=ticket.deadline, rectified_at=ticket.rectified_at))
        db.session.add(ticket)
        rows[name] = ticket
        return ticket

    a, c, q = city.street_a, district["street_c"], district["community"]
    # 甲街道 (with 甲社区)
    add("a_overdue", a, "2026-11-03T09:00", "assigned", "2026-11-04T18:00", segment=city.seg_a)
    add("a_on_time", a, "2026-11-05T09:00", "closed", "2026-11-06T18:00", "2026-11-06T10:00", "2026-11-06T12:00",
        segment=city.seg_a)
    add("a_late_closed", a, "2026-10-20T09:00", "closed", "2026-11-02T18:00", "2026-11-03T10:00",
        "2026-11-03T12:00", segment=city.seg_a)  # found in October, due and closed (late) in November
    add("q_waiting", q, "2026-11-24T09:00", "rectified", "2026-11-26T18:00", "2026-11-24T15:00",
        segment=district["seg_q"])
    # on 甲街道's ground, led by the traffic police: counts for 甲街道, not for 丙街道
    add("police_on_a", city.police, "2026-11-20T09:00", "pending", "2026-11-20T11:00", segment=city.seg_a,
        category=city.parking)
    add("a_cancelled", a, "2026-11-10T09:00", "cancelled", "2026-11-11T18:00", segment=city.seg_a)
    # 丙街道: led by it, assisted by 甲社区 (so in both rows)
    shared = add("c_shared", c, "2026-11-15T09:00", "assigned", "2026-11-30T18:00")
    db.session.flush()
    db.session.add(TicketUnit(ticket_id=shared.id, unit_id=q.id, role="assist", status="open",
                              assigned_at=at("2026-11-15T09:00"), deadline=at("2026-11-30T18:00")))
    # the district's own
    add("qa_own", district["qa"], "2026-11-18T09:00", "assigned", "2026-11-19T18:00")
    # 乙区: never on 甲区's page
    add("b_overdue", city.street_b, "2026-11-03T09:00", "assigned", "2026-11-04T18:00", segment=city.seg_b)
    # letters of 督办 in November: to 甲社区 (counts for 甲街道), a 督查通报 to 甲街道 (not counted), and one in
    # October to 丙街道 (another period)
    for seq, kind, unit, issued in ((1, "supervision", q, "2026-11-10T09:00"), (2, "bulletin", a, "2026-11-11T09:00"),
                                    (3, "supervision", c, "2026-10-10T09:00"),
                                    (4, "supervision", city.street_b, "2026-11-12T09:00")):
        letter = Letter(status="issued", kind=kind, number=f"临江文明督〔2026〕{seq}号", year=2026, seq=seq,
                        unit_id=unit.id, level=1, issued_at=at(issued), reply_by=at("2026-11-30T18:00"))
        letter.recipients.append(LetterUnit(unit_id=unit.id))
        db.session.add(letter)
    db.session.commit()
    return rows


def _ranking(city, district):
    ranking = Ranking(period="2026-10", kind="month", period_start=at("2026-10-01T00:00"),
                      period_end=at("2026-11-01T00:00"), version=1, published_at=at("2026-11-02T09:00"),
                      as_of=at("2026-11-01T00:00"), office="临江市文明办", rules_json="{}", formula_text="")
    db.session.add(ranking)
    db.session.flush()
    for position, (unit, rank, list_name, score) in enumerate(((city.street_a, 3, "black", 81.5),
                                                               (district["street_c"], 1, "red", 98.0),
                                                               (city.street_b, 2, None, 90.0))):
        db.session.add(RankingEntry(ranking_id=ranking.id, position=position, unit_id=unit.id, unit_code=unit.code,
                                    unit_name=unit.name, group_name="街道", rank=rank, list_name=list_name,
                                    score=score, figures_json="{}"))
    db.session.commit()
    return ranking


def _figures(row) -> tuple:
    return row.active, row.overdue, row.found, row.closed, row.due, row.on_time, row.letters


def test_each_street_counts_its_subtree_and_the_ground_it_holds(tickets, district, city):
    data = services.overview(district["clerk"], parse_period("2026-11"), NOW)
    rows = {r.unit_id: r for r in data.rows}
    assert set(rows) == {city.street_a.id, district["street_c"].id}  # 乙街道 is 乙区's
    a, c = rows[city.street_a.id], rows[district["street_c"].id]
    # 甲街道: 在办 a_overdue, q_waiting, police_on_a, c_shared (甲社区 assists); 超期 a_overdue, police_on_a;
    # found in November: all five but a_late_closed (October) and a_cancelled; closed in November: a_on_time,
    # a_late_closed; due by now in November: a_overdue, a_on_time, a_late_closed, police_on_a (on time: a_on_time);
    # letters: the one to 甲社区 (the 督查通报 is no 督办)
    assert _figures(a) == (4, 2, 5, 2, 4, 1, 1)
    assert a.on_time_rate == pytest.approx(0.25)
    assert a.units == 2
    # 丙街道: c_shared only; its letter was October's
    assert _figures(c) == (1, 0, 1, 0, 0, 0, 0) and c.on_time_rate is None
    # the district's own problem, and the whole territory (c_shared once, though in both rows)
    assert _figures(data.own) == (1, 1, 1, 0, 1, 0, 0)
    assert _figures(data.total) == (5, 3, 6, 2, 5, 1, 1)
    assert [r.unit_id for r in data.rows] == [city.street_a.id, district["street_c"].id]  # most 超期 first


def test_the_period_moves_the_period_figures_not_the_current_ones(tickets, district, city):
    data = services.overview(district["clerk"], parse_period("2026-10"), NOW)
    a = next(r for r in data.rows if r.unit_id == city.street_a.id)
    c = next(r for r in data.rows if r.unit_id == district["street_c"].id)
    assert _figures(a) == (4, 2, 1, 0, 0, 0, 0)  # found in October: a_late_closed
    assert _figures(c) == (1, 0, 0, 0, 0, 0, 1)  # October's letter


def test_the_page_shows_figures_links_and_places(tickets, district, city, browser, clock):
    ranking = _ranking(city, district)
    clock.stop(NOW)
    response = browser(district["clerk"]).get("/territory/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "甲街道办事处" in page and "丙街道办事处" in page and "甲区人民政府" in page
    assert "乙街道办事处" not in page and "乙区" not in page
    sub = city.street_a.id
    assert re.search(rf'href="/unit/tickets\?scope=territory&amp;sub_unit={sub}&amp;tab=all&amp;overdue=1">2</a>', page)
    assert re.search(rf'href="/unit/tickets\?scope=territory&amp;sub_unit={sub}&amp;tab=all&amp;status=open">4</a>', page)
    assert 'href="/unit/tickets?scope=territory&amp;tab=all&amp;overdue=1">3</a>' in page  # the whole territory
    # every figure's link asks the list with filters it reads (a name it did not know would be a 400 there)
    from html import unescape
    from urllib.parse import parse_qsl, urlsplit

    from werkzeug.datastructures import MultiDict

    from inspect_app.tickets.queries import parse_filter
    links = [urlsplit(unescape(href)) for href in re.findall(r'href="(/unit/tickets\?[^"]+)"', page)]
    assert len(links) > 10
    for link in links:
        args = MultiDict(parse_qsl(link.query))
        assert args["scope"] == "territory" and args["tab"] == "all"
        parse_filter(args)
    assert any(dict(parse_qsl(link.query)) == {"scope": "territory", "sub_unit": str(sub), "tab": "all",
                                               "status": "dispatched", "from": "2026-11-01", "to": "2026-11-30"}
               for link in links)  # 本期发现: the 红黑榜's 发现问题 link (rankings.figure_list_url)
    # the latest list's places: 甲街道 black, 丙街道 red
    detail = f'/rankings/{ranking.id}'
    assert page.count(f'href="{detail}" title="街道组内名次"><span class="tag black">黑榜</span> 第3名</a> <small>81.5分</small>') == 1
    assert page.count(f'href="{detail}" title="街道组内名次"><span class="tag red">红榜</span> 第1名</a> <small>98.0分</small>') == 1
    # worst first on the page too
    assert page.index("甲街道办事处") < page.index("丙街道办事处")
    # another period, chosen as the 红黑榜 names them
    october = browser(district["clerk"]).get("/territory/?period=2026-10")
    assert october.status_code == 200 and "2026年10月" in october.get_data(as_text=True)


def test_another_district_sees_only_its_own_streets(tickets, district, city, browser, clock):
    clock.stop(NOW)
    page = browser(district["other"]).get("/territory/").get_data(as_text=True)
    assert "乙街道办事处" in page
    for name in ("甲街道办事处", "丙街道办事处", "甲社区居委会"):
        assert name not in page


def test_a_clerk_who_oversees_nobody_is_refused_and_sees_no_menu_entry(tickets, district, city, browser):
    for user in (district["lone"], city.unit_police):
        client = browser(user)
        response = client.get("/territory/")
        assert response.status_code == 403
        assert "本单位没有下属单位" in response.get_data(as_text=True)
        assert 'href="/territory/"' not in client.get("/unit/tickets").get_data(as_text=True)
    menu = browser(district["clerk"]).get("/unit/tickets").get_data(as_text=True)
    assert 'href="/territory/"' in menu and "辖区概况" in menu
    for user in (city.admin, city.leader, city.inspector):
        assert browser(user).get("/territory/").status_code == 403


def test_a_bad_period_is_a_chinese_400(district, browser):
    response = browser(district["clerk"]).get("/territory/?period=2026-13")
    assert response.status_code == 400 and "统计周期格式" in response.get_data(as_text=True)



def test_each_figure_opens_a_list_of_as_many_problems(tickets, district, city, browser, clock):
    """A figure and the list it opens agree: the 全部 tab keeps the status the link asks (在办 lists no closed
    problem, 本期发现 no voided one)."""
    from html import unescape
    clock.stop(NOW)
    client = browser(district["clerk"])
    page = client.get("/territory/").get_data(as_text=True)
    figures = [(unescape(href), int(n)) for href, n in re.findall(r'href="(/unit/tickets\?[^"]+)">(\d+)</a>', page)]
    assert len(figures) > 10 and any(n for _, n in figures)
    for href, n in figures:
        listed = client.get(href).get_data(as_text=True)
        shown = re.search(r"共 (\d+) 条", listed)
        assert (int(shown.group(1)) if shown else 0) == n, href


def test_a_figures_list_says_what_narrows_its_all_tab_and_keeps_it_in_a_search(tickets, district, city, browser,
                                                                                clock):
    """The 全部 tab a figure opens lists fewer than 全部 (本期发现: neither voided nor awaiting dispatch, found in the period): the page says so,
    its search form keeps those filters, and 清除 drops them."""
    from html import unescape
    clock.stop(NOW)
    client = browser(district["clerk"])
    page = client.get("/territory/").get_data(as_text=True)
    found = next(unescape(href) for href in re.findall(r'href="(/unit/tickets\?[^"]+)"', page)
                 if "from=2026-11-01" in unescape(href) and "sub_unit" not in href)
    listed = client.get(found).get_data(as_text=True)
    assert "筛选条件：状态：不含已作废和未派遣；上报日期：2026年11月1日至2026年11月30日。共 " in listed
    form = listed[listed.index('class="searchbar"'):listed.index("</form>", listed.index('class="searchbar"'))]
    for name, value in (("status", "dispatched"), ("from", "2026-11-01"), ("to", "2026-11-30")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in form
    assert 'href="/unit/tickets?tab=all&amp;scope=territory">清除</a>' in form
    due = next(unescape(href) for href in re.findall(r'href="(/unit/tickets\?[^"]+)"', page)
               if "due_passed=1" in unescape(href) and "sub_unit" not in href)
    assert "整改期限：2026年11月1日至2026年11月30日；期限已到" in client.get(due).get_data(as_text=True)
    # 在办 (status=open) of the whole territory
    opened = client.get("/unit/tickets?scope=territory&tab=all&status=open").get_data(as_text=True)
    assert "筛选条件：状态：未结案。共 " in opened
    # a plain 全部 tab says nothing of the kind
    assert "筛选条件" not in client.get("/unit/tickets?scope=territory&tab=all").get_data(as_text=True)


def test_a_problem_awaiting_dispatch_on_the_ground_is_counted_as_the_list_shows_it(tickets, district, city, browser,
                                                                                     clock):
    """A problem on a street's road still 待派遣 (no unit yet, e.g. of a category the office routes by hand) lies in
    the territory (its road's 属地): the list the 本期发现 figure opens shows it, so the figure counts it too."""
    from html import unescape
    db.session.add(Ticket(number="2026-990099", year=2026, seq=99099, status="pending", category_id=city.niupixuan.id,
                          unit_id=None, segment_id=city.seg_a.id, reporter_id=city.inspector.id,
                          reported_at=at("2026-11-20T09:00")))
    db.session.commit()
    clock.stop(NOW)
    client = browser(district["clerk"])
    page = client.get("/territory/").get_data(as_text=True)
    for href, n in re.findall(r'href="(/unit/tickets\?[^"]+)">(\d+)</a>', page):
        listed = client.get(unescape(href)).get_data(as_text=True)
        shown = re.search(r"共 (\d+) 条", listed)
        assert (int(shown.group(1)) if shown else 0) == int(n), unescape(href)
