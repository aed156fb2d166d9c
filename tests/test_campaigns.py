"""专项整治行动: the campaigns for every citywide reader, one campaign's progress week by week and by unit (counted
by hand below), its 进展通报 draft, the API, who may see what, and the office's old links."""
from __future__ import annotations

import io
from datetime import date

import pytest
from conftest import PASSWORD, City, at, processed
from pypdf import PdfReader
from sqlalchemy import select

from inspect_app.auth.services import create_user
from inspect_app.campaigns import bulletin, progress
from inspect_app.extensions import db
from inspect_app.tickets import services as tickets
from inspect_app.tickets.campaigns import Campaign
from inspect_app.tickets.models import Ticket


def pdf_text(data: bytes) -> str:
    return "".join("".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def campaign(city, make_ticket, clock):
    """牛皮癣 from Monday 16 to Sunday 13 December, four weeks; seen on Wednesday 25 November at 10:00.

    one  16 Nov, put right that afternoon, closed on the 17th: on time, closed in week 1
    two  18 Nov, put right on the 20th (its deadline was the 19th, 10:00), closed Monday 23rd: week 2
    three 19 Nov on 乙街道's road, still open: overdue since the 20th
    four 25 Nov 08:00, open, due the 26th: not overdue
    void 20 Nov, voided as a duplicate: not a problem found
    and, outside it, a 蜘蛛网 and a 牛皮癣 of the Sunday before."""
    clock.stop("2026-11-25T10:00")
    one = make_ticket(at_time=at("2026-11-16T10:00"))
    tickets.rectify(city.unit_a, one, at("2026-11-16T15:00"), "已清除", [processed()])
    tickets.approve(city.inspector, one, at("2026-11-17T09:00"), "整改到位")
    two = make_ticket(at_time=at("2026-11-18T10:00"))
    tickets.rectify(city.unit_a, two, at("2026-11-20T10:00"), "已清除", [processed()])
    tickets.approve(city.inspector, two, at("2026-11-23T10:00"), "整改到位")
    make_ticket(at_time=at("2026-11-19T10:00"), point=City.ON_B)
    make_ticket(at_time=at("2026-11-25T08:00"))
    void = make_ticket(at_time=at("2026-11-20T10:00"))
    tickets.cancel(city.admin, void, at("2026-11-20T11:00"), "重复上报")
    make_ticket(category="spider_web", at_time=at("2026-11-20T10:00"))
    make_ticket(at_time=at("2026-11-15T23:00"))
    found = Campaign(name="牛皮癣集中清理", start_date=date(2026, 11, 16), end_date=date(2026, 12, 13),
                     note="重点清理主次干道")
    found.categories = [city.niupixuan]
    db.session.add(found)
    db.session.commit()
    return found


def test_progress_counted_by_hand(campaign, now):
    f = progress.figures(campaign, at("2026-11-25T10:00"))
    assert {k: f[k] for k in ("total", "closed", "due", "on_time", "overdue", "open", "closed_rate", "on_time_rate",
                              "voided", "status", "day", "length", "left")} == {
        "total": 4, "closed": 2, "due": 3, "on_time": 1, "overdue": 1, "open": 2, "closed_rate": 50.0,
        "on_time_rate": 33.3, "voided": 1, "status": "进行中", "day": 10, "length": 28, "left": 18}
    # the one count (the list, the 领导看板) agrees with the page's tally
    assert progress.summary(campaign, at("2026-11-25T10:00")) == {k: f[k] for k in (
        "total", "closed", "due", "on_time", "overdue", "open", "closed_rate", "on_time_rate")}
    assert [w.as_dict() for w in f["weeks"]] == [
        {"first": "2026-11-16", "last": "2026-11-22", "new": 3, "closed": 1, "open_at_end": 2, "due": 3,
         "on_time": 1, "on_time_rate": 33.3, "current": False},
        {"first": "2026-11-23", "last": "2026-11-25", "new": 1, "closed": 1, "open_at_end": 2, "due": 0,
         "on_time": 0, "on_time_rate": None, "current": True}]
    # the week that runs ends open with what the summary calls 在办
    assert f["weeks"][-1].open_at_end == f["open"]
    # 乙街道 has the overdue problem: first, though 甲街道 found more
    assert [(u["name"], u["total"], u["overdue"]) for u in f["by_unit"]] == [
        ("乙街道办事处", 1, 1), ("甲街道办事处", 3, 0)]
    assert [(d["key"], d["total"]) for d in f["by_district"]] == [("江城区", 3), ("临江区", 1)]
    assert f["dates"] == "2026年11月16日至12月13日"
    campaign.end_date = date(2027, 1, 10)  # over the new year: both years named
    assert progress.dates(campaign) == "2026年11月16日至2027年1月10日"
    campaign.end_date = date(2026, 12, 13)
    # before it starts, no week; after it ends, its four weeks, the last ending on its last day
    assert progress.weeks(campaign, at("2026-11-15T12:00"), []) == []
    ended = progress.figures(campaign, at("2026-12-20T10:00"))
    assert ended["status"] == "已结束" and len(ended["weeks"]) == 4
    assert ended["weeks"][-1].last == date(2026, 12, 13) and not ended["weeks"][-1].current
    # the two still open stay open at each week's end
    assert [w.open_at_end for w in ended["weeks"]] == [2, 2, 2, 2] and ended["overdue"] == 2


def test_rates_round_half_up_as_everywhere_else():
    """13 of 16 closed is 81.25%: 81.3% (四舍五入) as the rankings, 测评 and surveys show it, not round()'s 81.2%."""
    rates = progress.Tally(total=16, closed=13, due=16, on_time=1).as_dict()
    assert (rates["closed_rate"], rates["on_time_rate"]) == (81.3, 6.3)
    assert progress.Week(date(2026, 11, 16), date(2026, 11, 22), False, due=16, on_time=5).on_time_rate == 31.3


def test_pages_for_each_role(browser, city, campaign):
    leader = browser(city.leader)
    listing = leader.get("/campaigns/").get_data(as_text=True)
    assert "牛皮癣集中清理" in listing and "第10天，共28天" in listing and "新建专项行动" not in listing
    assert f'/tickets?campaign_id={campaign.id}&amp;status=valid">4</a>' in listing
    page = leader.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    for words in ("第10天，共28天，还有18天结束", "重点清理主次干道", "另作废 1 件", "结案率 50%", "应结案 3 · 按期 1",
                  "11/16—11/22", "11/23—11/25", "33.3%", "2026年11月16日至12月13日", "乙街道办事处", "江城区",
                  "进展通报（草稿）", "<svg"):
        assert words in page, words
    assert "删除该专项行动" not in page and "编辑" not in page
    # the week running comes first in the table
    assert page.index("11/23—11/25") < page.index("11/16—11/22")
    inspector = browser(city.inspector).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "乙街道办事处" in inspector and "进展通报" not in inspector
    office = browser(city.admin).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "删除该专项行动" in office and f"/office/campaigns/{campaign.id}/edit" in office
    assert leader.get("/campaigns/999999").status_code == 404
    assert "均已结案" not in page
    # a unit whose problems are all closed folds under the table of those with problems in hand
    theirs = db.session.scalar(select(Ticket).where(Ticket.unit_id == city.street_b.id))
    tickets.rectify(city.unit_b, theirs, at("2026-11-25T09:00"), "已清除", [processed()])
    tickets.approve(city.inspector, theirs, at("2026-11-25T09:30"), "整改到位")
    db.session.commit()
    page = leader.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    folded = page[page.index("<details>"):page.index("</details>")]
    assert "其余1个责任单位的问题均已结案" in folded and "乙街道办事处" in folded and "甲街道办事处" not in folded
    assert 'href="/campaigns/"' in listing  # the menu's entry


def test_a_unit_sees_its_own_problems_in_a_campaign(browser, api, city, campaign, clock):
    """甲街道 has three of the four (one closed on time, one closed late, one open): its own figures, its weeks, no
    other unit's; the menu offers 专项行动 while a campaign runs."""
    unit = browser(city.unit_a)
    listing = unit.get("/campaigns/").get_data(as_text=True)
    assert "以下为本单位牵头或协办整改的问题" in listing and "本单位问题" in listing
    assert f'href="/unit/tickets?tab=all&amp;campaign_id={campaign.id}">3</a>' in listing
    assert 'href="/campaigns/"' in listing  # the menu, while it runs
    # the police have none in it: said plainly, not a page of zeros
    police = create_user("jj_clerk", "unit", PASSWORD, at("2026-11-01T09:00"), unit=city.police)
    db.session.commit()
    assert "本单位在该行动中暂无问题" in browser(police).get("/campaigns/").get_data(as_text=True)
    none = browser(police).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "本单位在该行动中暂无问题。请对照牛皮癣问题开展自查。" in none and "逐周进展" not in none
    page = unit.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "按责任单位" not in page and "乙街道办事处" not in page and "进展通报" not in page
    assert "结案率 66.7%" in page and "删除该专项行动" not in page
    f = api.get(f"/api/v1/campaigns/{campaign.id}", city.unit_a).get_json()
    assert (f["figures"]["total"], f["figures"]["closed"], f["figures"]["overdue"], f["by_unit"]) == (3, 2, 0, [])
    assert [(w["new"], w["closed"], w["open_at_end"]) for w in f["weeks"]] == [(2, 1, 1), (1, 1, 1)]
    assert api.get("/api/v1/campaigns", city.unit_b).get_json()["items"][0]["figures"]["overdue"] == 1
    # its list, narrowed to the campaign, says so
    narrowed = unit.get(f"/unit/tickets?tab=all&campaign_id={campaign.id}").get_data(as_text=True)
    assert "专项行动“牛皮癣集中清理”中本单位的问题：共 3 件" in narrowed
    assert browser(city.unit_a).get(f"/campaigns/{campaign.id}/bulletin.pdf").status_code == 403
    # after it ends, no menu entry for a unit (the page stays open to it)
    clock.stop("2026-12-20T10:00")
    after = browser(city.unit_a)
    assert 'href="/campaigns/"' not in after.get("/unit/tickets").get_data(as_text=True)
    assert after.get(f"/campaigns/{campaign.id}").status_code == 200
    assert 'href="/campaigns/"' in browser(city.leader).get("/dashboard/").get_data(as_text=True)


def test_the_offices_old_links_lead_to_the_new_pages(browser, city, campaign):
    office = browser(city.admin)
    assert office.get("/office/campaigns").location.endswith("/campaigns/")
    assert office.get(f"/office/campaigns/{campaign.id}").location.endswith(f"/campaigns/{campaign.id}")
    assert office.get("/office/campaigns/999999").status_code == 404
    edit = f"/office/campaigns/{campaign.id}/edit"
    saved = office.submit(edit, edit, {
        "name": "牛皮癣集中清理", "start_date": "2026-11-16", "end_date": "2026-12-13",
        "category_ids": [str(city.niupixuan.id)], "districts": ["江城区"]})
    assert saved.status_code == 302 and saved.location.endswith(f"/campaigns/{campaign.id}")
    assert progress.summary(campaign, at("2026-11-25T10:00"))["total"] == 3  # 乙街道's road is in 临江区


def test_a_one_day_week_is_named_by_its_day(browser, city, campaign, clock):
    """On a Monday the week running is that day alone: the chart named it 11月30日至11月30日 (the 通报's table too)."""
    clock.stop("2026-11-30T10:00")
    page = browser(city.leader).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<title>11月30日（11/30起）：新增0件" in page and "11月30日至11月30日" not in page
    assert "<title>11月23日至11月29日（11/23起）" in page
    text = pdf_text(browser(city.leader).get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "11月30日（本周）" in text and "11月30日至11月30日" not in text


def test_the_last_day_says_it_ends_today(browser, city, campaign, clock):
    """On the campaign's last day the page said （第28天，共28天，还有0天结束）."""
    clock.stop("2026-12-12T10:00")
    page = browser(city.leader).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "（第27天，共28天，还有1天结束）" in page
    clock.stop("2026-12-13T10:00")
    page = browser(city.leader).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "（第28天，共28天，今天结束）" in page and "还有0天" not in page


def test_the_progress_bulletin(browser, city, campaign, clock):
    leader = browser(city.leader)
    pdf = leader.get(f"/campaigns/{campaign.id}/bulletin.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for words in ("关于“牛皮癣集中清理”进展情况的通报", "各有关责任单位：", "草稿", "2026年11月16日起在全市开展",
                  "行动至12月13日结束", "截至11月25日", "共发现问题4件", "已结案2件，结案率50%",
                  "已到整改期限的3件中按期整改1件，按期结案率33.3%",
                  "尚在整改2件，其中超期未整改1件", "乙街道办事处（1件）有问题超过整改期限仍未整改",
                  "请乙街道办事处于通报之日起3个工作日内", "特此通报", "逐周情况", "第1周",
                  "尚有问题在整改的2个单位如下（超期未整改问题多的单位排在前面）：",
                  "11月23日至11月25日（本周）"):
        assert words in text, words
    # only one whole week so far: no week against week
    assert "上周" not in text
    assert browser(city.inspector).get(f"/campaigns/{campaign.id}/bulletin.pdf").status_code == 403
    assert browser(city.unit_a).get(f"/campaigns/{campaign.id}/bulletin.pdf").status_code == 403

    # a week later 甲街道's new problem is overdue too, and last week is set against the week before it
    clock.stop("2026-12-02T10:00")
    leader = browser(city.leader)  # signed in again: a week idle ends a session
    text = pdf_text(leader.get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "上周（11月23日至11月29日）新发现问题1件，比前一周减少2件" in text
    assert "甲街道办事处（1件）、乙街道办事处（1件）" in text

    # after its end: 开展情况, and what follows is keeping it so
    clock.stop("2026-12-20T10:00")
    leader = browser(city.leader)
    text = pdf_text(leader.get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "关于“牛皮癣集中清理”开展情况的通报" in text and "行动已于2026年12月13日结束" in text
    assert "巩固整治成果" in text
    # a unit whose problems are all closed leaves the table, named in a count
    theirs = db.session.scalar(select(Ticket).where(Ticket.unit_id == city.street_b.id))
    tickets.rectify(city.unit_b, theirs, at("2026-12-19T09:00"), "已清除", [processed()])
    tickets.approve(city.inspector, theirs, at("2026-12-19T10:00"), "整改到位")
    db.session.commit()
    text = pdf_text(leader.get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "尚有问题在整改的1个单位如下（超期未整改问题多的单位排在前面），其余1个单位的问题均已整改结案：" in text


def test_an_ended_campaigns_bulletin_names_its_last_week_and_says_when_nothing_is_open(browser, city, campaign,
                                                                                       clock):
    """Ended on Thursday 26 November, read on 6 December: its last week (four days) is not 上周, and is not set
    against the whole week before it as if they were alike."""
    campaign.end_date = date(2026, 11, 26)
    db.session.commit()
    clock.stop("2026-12-06T10:00")
    text = pdf_text(browser(city.leader).get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "行动最后一周（11月23日至11月26日，共4天）新发现问题1件，前一周（11月16日至11月22日）新发现3件。" in text
    assert "上周" not in text and "比前一周" not in text
    assert "尚在整改2件，其中超期未整改2件" in text
    # everything put right: said so, not 尚在整改0件，其中超期未整改0件
    for ticket in db.session.scalars(select(Ticket).where(Ticket.status == "assigned")):
        unit = city.unit_a if ticket.unit_id == city.street_a.id else city.unit_b
        tickets.rectify(unit, ticket, at("2026-12-04T09:00"), "已清除", [processed()])
        tickets.approve(city.inspector, ticket, at("2026-12-04T10:00"), "整改到位")
    db.session.commit()
    text = pdf_text(browser(city.leader).get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "结案率100%；已到整改期限的4件中按期整改1件，按期结案率25%；发现的问题均已整改结案。" in text
    assert "尚在整改" not in text and "0件" not in text and "均在整改期限内开展整改" not in text
    # ending on a Sunday, its last week is whole and compared with the one before
    campaign.end_date = date(2026, 11, 29)
    db.session.commit()
    text = pdf_text(browser(city.leader).get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "行动最后一周（11月23日至11月29日）新发现问题1件，比前一周减少2件。" in text


def test_the_bulletins_week_against_a_first_week_cut_short_and_a_campaign_with_nothing_due(browser, city,
                                                                                            make_ticket, clock):
    # begun on a Thursday: its first week has four days, said so rather than compared with last week's seven
    weeks = [progress.Week(date(2026, 11, 19), date(2026, 11, 22), False, new=2),
             progress.Week(date(2026, 11, 23), date(2026, 11, 29), False, new=1),
             progress.Week(date(2026, 11, 30), date(2026, 12, 2), True, new=1)]
    assert bulletin._weeks_line(weeks) == (
        "上周（11月23日至11月29日）新发现问题1件，前一周（11月19日至11月22日，共4天）新发现2件。")
    assert bulletin._weeks_line(weeks[1:]) == ""  # one week done: nothing to set it against
    # begun today with one problem, due tomorrow: no 按期结案率 of nothing, no bare dash
    clock.stop("2026-11-25T10:00")
    make_ticket(at_time=at("2026-11-25T08:00"))
    new = Campaign(name="牛皮癣百日攻坚", start_date=date(2026, 11, 25), end_date=date(2026, 12, 31))
    new.categories = [city.niupixuan]
    db.session.add(new)
    db.session.commit()
    text = pdf_text(browser(city.leader).get(f"/campaigns/{new.id}/bulletin.pdf").data)
    assert "共发现问题1件，已结案0件，结案率0%；尚无问题到整改期限；尚在整改1件。" in text
    assert "0件中" not in text and "按期结案率—" not in text


def test_a_campaign_not_begun(browser, city, clock):
    clock.stop("2026-11-25T10:00")
    later = Campaign(name="蜘蛛网整治", start_date=date(2026, 12, 1), end_date=date(2026, 12, 31))
    later.categories = [city.spider]
    db.session.add(later)
    db.session.commit()
    leader = browser(city.leader)
    page = leader.get(f"/campaigns/{later.id}").get_data(as_text=True)
    assert "尚未开始" in page and "进展通报" not in page
    answer = leader.get(f"/campaigns/{later.id}/bulletin.pdf")
    assert answer.status_code == 302 and answer.location.endswith(f"/campaigns/{later.id}")
    assert "“蜘蛛网整治”12月1日开始，尚无进展可通报。" in leader.get(f"/campaigns/{later.id}").get_data(as_text=True)


def test_api(api, city, campaign):
    items = api.get("/api/v1/campaigns", city.inspector).get_json()["items"]
    assert [(c["name"], c["status"], c["figures"]["total"], c["figures"]["overdue"]) for c in items] == [
        ("牛皮癣集中清理", "进行中", 4, 1)]
    body = api.get(f"/api/v1/campaigns/{campaign.id}", city.leader).get_json()
    assert body["categories"] == [{"id": city.niupixuan.id, "code": "niupixuan", "name": "牛皮癣"}]
    assert body["figures"]["voided"] == 1 and body["figures"]["on_time_rate"] == 33.3
    assert [(w["first"], w["new"], w["closed"], w["open_at_end"]) for w in body["weeks"]] == [
        ("2026-11-16", 3, 1, 2), ("2026-11-23", 1, 1, 2)]
    assert body["by_unit"][0]["key"] == city.street_b.id and body["by_category"][0]["key"] == "niupixuan"
    assert api.get("/api/v1/campaigns/999999", city.leader).status_code == 404


def test_the_dashboard_shows_campaigns_under_way(browser, city, campaign):
    page = browser(city.leader).get("/dashboard/").get_data(as_text=True)
    card = page[page.index('aria-label="专项整治行动"'):]
    assert "进行中 1 项" in card and f'href="/campaigns/{campaign.id}">牛皮癣集中清理</a>' in card
    assert "第10天，共28天" in card and "50%" in card
    assert f'/tickets?campaign_id={campaign.id}&amp;overdue=1">1</a>' in card


def test_the_campaign_form_refuses_what_matches_nothing(browser, city, clock):
    clock.stop("2026-11-25T10:00")
    office = browser(city.admin)
    fields = {"name": "火星整治", "start_date": "2026-11-20", "end_date": "2026-12-20",
              "category_ids": [str(city.niupixuan.id)], "districts": ["火星区"]}
    refused = office.submit("/office/campaigns/new", "/office/campaigns/new", fields)
    assert refused.status_code == 422 and "没有这个区县：火星区。" in refused.get_data(as_text=True)
    refused = office.submit("/office/campaigns/new", "/office/campaigns/new",
                            {**fields, "districts": [], "start_date": "1990-01-01", "end_date": "1990-12-20"})
    assert refused.status_code == 422 and "开始日期应在今天前后一年以内。" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Campaign)) is None
    # over the new year: the 通报 names the year it ends in
    saved = office.submit("/office/campaigns/new", "/office/campaigns/new",
                          {**fields, "districts": ["江城区"], "end_date": "2027-01-10"})
    assert saved.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    text = pdf_text(browser(city.leader).get(f"/campaigns/{campaign.id}/bulletin.pdf").data)
    assert "2026年11月20日起在江城区开展“火星整治”" in text and "行动至2027年1月10日结束" in text
