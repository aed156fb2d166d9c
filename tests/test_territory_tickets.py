"""辖区问题: a unit with units under it reads the problems of its territory (tickets/policy.py can_read_ticket,
the unit list's scope=territory, the API), read only; it acts on none of them; a unit with nobody under it sees
what it saw before."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from conftest import PASSWORD, City, file_tuple, sql_sent

from inspect_app.auth.services import create_user
from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.tickets import actions, services
from inspect_app.tickets.models import Ticket, TicketEvent, TicketUnit
from inspect_app.units.models import Unit




class Ground:
    """甲区 (street A and its 社区 under it) and 乙区 (street B under it), each with its clerk, and problems: street
    A's own, the traffic police's parking on street A's road, the 社区's, and street B's."""

    def __init__(self, city, make_ticket, now):
        self.district = Unit(code="QXA", name="甲区人民政府", kind="区县")
        self.other_district = Unit(code="QXB", name="乙区人民政府", kind="区县")
        db.session.add_all([self.district, self.other_district])
        db.session.flush()
        city.street_a.parent_id = self.district.id
        city.street_b.parent_id = self.other_district.id
        self.community = Unit(code="SQA", name="甲社区居委会", kind="社区", parent_id=city.street_a.id)
        db.session.add(self.community)
        db.session.flush()
        self.clerk = create_user("qxa", "unit", PASSWORD, now, unit=self.district)
        self.other_clerk = create_user("qxb", "unit", PASSWORD, now, unit=self.other_district)
        self.community_clerk = create_user("sqa", "unit", PASSWORD, now, unit=self.community)
        db.session.commit()
        self.street = make_ticket()                                   # street A leads
        self.parked = make_ticket("illegal_parking")                  # on street A's road, the police lead
        self.on_b = make_ticket(point=City.ON_B)                      # 乙区's
        self.of_community = make_ticket()
        services.reassign(city.admin, db.session.get(Ticket, self.of_community.id), now,
                          unit_id=self.community.id, note=None)
        db.session.commit()
        assert self.parked.unit_id == city.police.id and self.of_community.unit_id == self.community.id


@pytest.fixture
def ground(city, make_ticket, now):
    return Ground(city, make_ticket, now)


def _state(ticket_id: int) -> tuple:
    """Everything an action could change about a ticket."""
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    return (ticket.status, ticket.version, ticket.unit_id, ticket.deadline, ticket.site_id,
            db.session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)),
            db.session.scalar(select(func.count()).select_from(Photo).where(Photo.ticket_id == ticket_id)),
            sorted(db.session.execute(select(TicketUnit.unit_id, TicketUnit.status, TicketUnit.deadline,
                                             TicketUnit.withdraw_requested_at, TicketUnit.extension_requested_at)
                                      .where(TicketUnit.ticket_id == ticket_id)).all()))


def _numbers(body: str, *tickets) -> list[bool]:
    return [t.number in body for t in tickets]


def test_a_district_reads_its_streets_communities_and_the_problems_on_its_ground(city, ground, browser, api):
    g = ground
    web = browser(g.clerk)
    for ticket in (g.street, g.parked, g.of_community):
        page = web.get(f"/tickets/{ticket.id}")
        assert page.status_code == 200, ticket.number
        body = page.get_data(as_text=True)
        assert "仅可查看（辖区督导）" in body
        assert f'action="/tickets/{ticket.id}/' not in body  # no action form
        photo = db.session.scalar(select(Photo.id).where(Photo.ticket_id == ticket.id))
        assert web.get(f"/tickets/photos/{photo}").status_code == 200
        assert web.get(f"/tickets/photos/{photo}/thumb").status_code == 200
        assert api.get(f"/api/v1/tickets/{ticket.id}", g.clerk).status_code == 200
        assert api.get(f"/api/v1/photos/{photo}", g.clerk).status_code == 200
        assert api.get(f"/api/v1/photos/{photo}/thumb", g.clerk).status_code == 200
    street_page = web.get(f"/tickets/{g.street.id}").get_data(as_text=True)
    assert "本问题由甲街道办事处办理；本单位为其上级单位，仅可查看（辖区督导）。" in street_page
    assert "本问题由市交警支队办理，发生在本单位辖区内" in web.get(f"/tickets/{g.parked.id}").get_data(as_text=True)
    detail = api.get(f"/api/v1/tickets/{g.street.id}", g.clerk).get_json()
    assert detail["number"] == g.street.number and detail["events"] and detail["photos"]

    # the list: 本单位 | 辖区问题, every problem of the territory with the unit that leads it
    plain = web.get("/unit/tickets").get_data(as_text=True)
    assert "辖区问题" in plain and _numbers(plain, g.street, g.parked, g.on_b) == [False, False, False]
    listed = web.get("/unit/tickets?scope=territory&tab=all").get_data(as_text=True)
    assert _numbers(listed, g.street, g.parked, g.of_community, g.on_b) == [True, True, True, False]
    assert "市交警支队" in listed and "甲社区居委会" in listed and "下属单位" in listed
    items = api.get("/api/v1/tickets?scope=territory&per_page=100", g.clerk).get_json()
    assert sorted(t["id"] for t in items["items"]) == sorted([g.street.id, g.parked.id, g.of_community.id])
    assert items["total"] == 3
    # a unit under it: that unit's subtree (the 社区's problem is street A's too); filters keep working
    only = api.get(f"/api/v1/tickets?scope=territory&sub_unit={g.community.id}", g.clerk).get_json()
    assert [t["id"] for t in only["items"]] == [g.of_community.id]
    searched = api.get(f"/api/v1/tickets?scope=territory&sub_unit={city.street_a.id}&category=illegal_parking",
                       g.clerk).get_json()
    assert [t["id"] for t in searched["items"]] == [g.parked.id]
    narrowed = web.get(f"/unit/tickets?scope=territory&tab=all&sub_unit={g.community.id}").get_data(as_text=True)
    assert _numbers(narrowed, g.street, g.of_community) == [False, True]
    searched = web.get(f"/unit/tickets?scope=territory&tab=all&q={g.parked.number}").get_data(as_text=True)
    assert _numbers(searched, g.street, g.parked, g.of_community) == [False, True, False]
    # the export follows the same arguments
    exported = web.get("/office/export/tickets.csv?scope=territory")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("gb18030"))))
    text = "\n".join(",".join(r) for r in rows)
    assert _numbers(text, g.street, g.parked, g.of_community, g.on_b) == [True, True, True, False]


def test_never_another_districts_problems(city, ground, browser, api):
    g = ground
    web = browser(g.clerk)
    photo = db.session.scalar(select(Photo.id).where(Photo.ticket_id == g.on_b.id))
    assert web.get(f"/tickets/{g.on_b.id}").status_code == 404
    assert web.get(f"/tickets/photos/{photo}").status_code == 404
    assert web.get(f"/tickets/photos/{photo}/thumb").status_code == 404
    assert api.get(f"/api/v1/tickets/{g.on_b.id}", g.clerk).status_code == 404
    assert api.get(f"/api/v1/photos/{photo}", g.clerk).status_code == 404
    assert api.get(f"/api/v1/photos/{photo}/thumb", g.clerk).status_code == 404
    # a unit outside the territory: 404 in the API, a message and nothing listed on the page
    outside = api.get(f"/api/v1/tickets?scope=territory&sub_unit={city.street_b.id}", g.clerk)
    assert outside.status_code == 404 and outside.get_json()["error"]["code"] == "not_found"
    page = web.get(f"/unit/tickets?scope=territory&tab=all&sub_unit={city.street_b.id}")
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert "不在本单位辖区内" in body and not any(_numbers(body, g.street, g.parked, g.on_b))
    # 乙区 sees its own street's and nothing of 甲区
    theirs = api.get("/api/v1/tickets?scope=territory", g.other_clerk).get_json()
    assert [t["id"] for t in theirs["items"]] == [g.on_b.id]
    assert api.get(f"/api/v1/tickets/{g.street.id}", g.other_clerk).status_code == 404


def _fields(city) -> dict:
    return {"note": "查看而已", "reason": "不属于本单位", "unit_id": str(city.street_b.id), "approved": "true",
            "until": "2030-01-01", "workdays": "3", "site_id": "1", "reopen_units": str(city.street_a.id)}


def test_a_district_cannot_act_on_a_territory_problem(city, ground, browser, api):
    """Every action, on the page and in the API: 403 territory_read_only on a problem it reads, 404 on one it does
    not, and nothing written."""
    g = ground
    web = browser(g.clerk)
    for ticket, status in ((g.street, 403), (g.parked, 403), (g.of_community, 403), (g.on_b, 404)):
        before = _state(ticket.id)
        token_page = f"/tickets/{ticket.id}" if status == 403 else "/unit/tickets"
        for name, action in actions.ACTIONS.items():
            fields = _fields(city)
            if action.multipart:
                answer = web.submit(token_page, f"/tickets/{ticket.id}/{name}",
                                    {**fields, "photos": file_tuple()}, multipart=True)
            else:
                answer = web.submit(token_page, f"/tickets/{ticket.id}/{name}", fields)
            assert answer.status_code == status, (ticket.number, name, answer.status_code)
            if action.api:
                if action.multipart:
                    answer = api.post(f"/api/v1/tickets/{ticket.id}/{name}", g.clerk,
                                      data={**fields, "photos": file_tuple()}, content_type="multipart/form-data")
                else:
                    answer = api.post(f"/api/v1/tickets/{ticket.id}/{name}", g.clerk,
                                      json={**fields, "approved": True, "reopen_units": [city.street_a.id]})
                assert answer.status_code == status, (ticket.number, name, "api", answer.status_code)
                if status == 403:
                    assert answer.get_json()["error"]["code"] == "territory_read_only"
            assert _state(ticket.id) == before, (ticket.number, name)


def test_a_street_with_nobody_under_it_sees_what_it_saw_before(city, ground, browser, api):
    g = ground
    web = browser(city.unit_b)
    page = web.get("/unit/tickets?tab=all").get_data(as_text=True)
    assert "辖区问题" not in page and g.on_b.number in page and g.street.number not in page
    # asking for a territory it has not: its own list (page), 403 (API)
    assert web.get("/unit/tickets?scope=territory").status_code == 303
    refused = api.get("/api/v1/tickets?scope=territory", city.unit_b)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "no_territory"
    assert "仅可查看" not in web.get(f"/tickets/{g.on_b.id}").get_data(as_text=True)
    assert web.get(f"/tickets/{g.street.id}").status_code == 404
    assert api.get(f"/api/v1/tickets/{g.street.id}", city.unit_b).status_code == 404
    # its own problem it still works on: the forms are there
    assert "/tickets/%d/rectify" % g.on_b.id in web.get(f"/tickets/{g.on_b.id}").get_data(as_text=True)
    # the 社区 under street A has nobody under it either
    assert api.get(f"/api/v1/tickets/{g.street.id}", g.community_clerk).status_code == 404
    assert api.get("/api/v1/tickets?scope=territory", g.community_clerk).status_code == 403


def test_a_street_with_a_community_under_it_oversees_the_community(city, ground, browser, api):
    g = ground
    web = browser(city.unit_a)
    page = web.get(f"/tickets/{g.of_community.id}")
    assert page.status_code == 200
    assert "本问题由甲社区居委会办理；本单位为其上级单位，仅可查看（辖区督导）。" in page.get_data(as_text=True)
    listed = api.get("/api/v1/tickets?scope=territory&per_page=100", city.unit_a).get_json()
    # its own, the police's on its road, the 社区's; not 乙区's
    assert sorted(t["id"] for t in listed["items"]) == sorted([g.street.id, g.parked.id, g.of_community.id])
    # its own page: no read-only line, its forms
    own = web.get(f"/tickets/{g.street.id}").get_data(as_text=True)
    assert "仅可查看" not in own and f"/tickets/{g.street.id}/rectify" in own
    answer = api.post(f"/api/v1/tickets/{g.of_community.id}/dispute", city.unit_a, json={"reason": "不是本单位"})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "territory_read_only"


def test_the_plain_reads_never_ask_for_a_territory(app, city, ground, api):
    """A citywide reader's and a party's read of one ticket cost no more than before: the territory (every unit's
    上级单位) is asked only when the plain check fails."""
    g = ground
    for user, ticket in ((city.admin, g.street), (city.unit_a, g.street), (city.unit_police, g.parked),
                         (g.clerk, g.of_community)):
        api.get(f"/api/v1/tickets/{ticket.id}", user)  # the token and the statements' first run
        with app.app_context(), sql_sent() as sent:
            assert api.get(f"/api/v1/tickets/{ticket.id}", user).status_code == 200
        asked = any("parent_id IS NOT NULL" in statement for statement, _ in sent)
        assert asked == (user is g.clerk), user.username


def test_a_territory_problems_letter_to_another_unit_is_named_not_linked(city, ground, browser, now):
    """督办记录 of a problem read for the 辖区: a letter to the unit that leads it (here the traffic police) is not one
    the district may open (404), so the page names it without a link; the police's clerk still has the link."""
    from inspect_app.escalation import compose, signing
    letter = compose.create_draft(city.admin, now, {"ticket_ids": [ground.parked.id], "kind": "bulletin"})
    db.session.flush()
    signing.sign(city.leader, letter, now)
    db.session.commit()
    assert letter.number and letter.unit_ids == [city.police.id]
    web = browser(ground.clerk)
    page = web.get(f"/tickets/{ground.parked.id}").get_data(as_text=True)
    assert "督办记录" in page and letter.number in page
    assert f'href="/letters/{letter.id}"' not in page
    assert web.get(f"/letters/{letter.id}").status_code == 404
    police = browser(city.unit_police).get(f"/tickets/{ground.parked.id}").get_data(as_text=True)
    assert f'href="/letters/{letter.id}">{letter.number}</a>' in police


def test_a_sub_unit_that_is_not_a_number_is_named_in_chinese(city, ground, browser, api):
    answer = api.get("/api/v1/tickets?scope=territory&sub_unit=abc", ground.clerk)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"] == "下属单位（sub_unit）应为整数。"
    page = browser(ground.clerk).get("/unit/tickets?scope=territory&sub_unit=abc", follow_redirects=True)
    assert "下属单位（sub_unit）应为整数。" in page.get_data(as_text=True)


def test_a_problems_shop_is_linked_only_for_a_reader_who_may_open_its_register(city, ground, browser):
    """门前四包: a problem's shop is a street's register entry. The district reads its streets' registers (read
    only), so its page links such a shop; a shop on a street outside its 辖区 (another district's register) is named
    without a link that would answer 404, while that street and the unit leading the problem still link it."""
    from inspect_app.frontages.models import Frontage
    ours = Frontage(code="JA-901", name="人民路茶叶店", kind="商户", address="人民路5号", street_unit=city.street_a)
    theirs = Frontage(code="JB-901", name="解放路烟酒店", kind="商户", address="解放路8号", street_unit=city.street_b)
    db.session.add_all([ours, theirs])
    db.session.flush()
    db.session.get(Ticket, ground.street.id).frontage_id = ours.id
    db.session.get(Ticket, ground.parked.id).frontage_id = theirs.id
    db.session.commit()
    web = browser(ground.clerk)
    assert f'href="/frontages/{ours.id}">人民路茶叶店</a>' in web.get(f"/tickets/{ground.street.id}").get_data(as_text=True)
    assert web.get(f"/frontages/{ours.id}").status_code == 200
    page = web.get(f"/tickets/{ground.parked.id}").get_data(as_text=True)
    assert "解放路烟酒店" in page and f'href="/frontages/{theirs.id}"' not in page
    assert web.get(f"/frontages/{theirs.id}").status_code == 404
    police = browser(city.unit_police).get(f"/tickets/{ground.parked.id}").get_data(as_text=True)
    assert f'href="/frontages/{theirs.id}">解放路烟酒店</a>' in police


def test_a_campaigns_territory_list_offers_no_clear_that_leaves_the_campaign(city, ground, browser, now):
    """A campaign's 辖区问题 on its 全部 tab lists its problems but the voided ones, as the campaign's page counts them:
    that is the campaign's own rule, not a filter the link asked for, so the page offers no 清除 (which would leave
    the campaign) and its search keeps no status of its own."""
    from datetime import timedelta

    from inspect_app.tickets.campaigns import Campaign
    campaign = Campaign(name="牛皮癣集中清理", start_date=(now - timedelta(days=2)).date(),
                        end_date=(now + timedelta(days=5)).date())
    db.session.add(campaign)
    db.session.commit()
    page = browser(ground.clerk).get(f"/unit/tickets?scope=territory&tab=all&campaign_id={campaign.id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "专项行动“牛皮癣集中清理”中辖区的问题" in body
    assert ">清除</a>" not in body and 'name="status"' not in body
