"""专项行动 over a territory: a district's clerk reads a campaign's problems and figures over its territory
(scope=territory, as the ticket list), read only, split by the units that lead them; another district's never
(404); a unit with nobody under it sees what it saw before."""
from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from test_campaigns import campaign  # noqa: F401 (the fixture)

from inspect_app.auth.services import create_user
from inspect_app.extensions import db
from inspect_app.units.models import Unit


@pytest.fixture
def districts(city, now):
    """甲区 over street A, 乙区 over street B, each with its clerk."""
    district_a = Unit(code="QXA", name="甲区人民政府", kind="区县")
    district_b = Unit(code="QXB", name="乙区人民政府", kind="区县")
    db.session.add_all([district_a, district_b])
    db.session.flush()
    city.street_a.parent_id, city.street_b.parent_id = district_a.id, district_b.id
    clerks = (create_user("qxa", "unit", PASSWORD, now, unit=district_a),
              create_user("qxb", "unit", PASSWORD, now, unit=district_b))
    db.session.commit()
    return district_a, district_b, clerks


def test_a_district_reads_a_campaign_over_its_territory(api, browser, city, campaign, districts):  # noqa: F811
    district_a, district_b, (clerk_a, clerk_b) = districts
    web = browser(clerk_a)
    # its own: it leads none of the campaign's problems; the switch to its territory
    own = web.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "本单位在该行动中暂无问题" in own and f'href="/campaigns/{campaign.id}?scope=territory">辖区问题' in own
    page = web.get(f"/campaigns/{campaign.id}?scope=territory").get_data(as_text=True)
    assert "仅可查看（辖区督导）" in page and "删除该专项行动" not in page and "进展通报" not in page
    link = re.search(r'<span>辖区问题</span><b><a href="([^"]+)">3</a>', page)
    assert link, "the territory's 3 problems link its 辖区问题 list"
    listed = web.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "中辖区的问题：共 3 件" in listed
    assert "按责任单位" in page and "甲街道办事处" in page and "乙街道办事处" not in page
    body = api.get(f"/api/v1/campaigns/{campaign.id}?scope=territory", clerk_a).get_json()
    assert (body["figures"]["total"], body["figures"]["closed"], body["figures"]["overdue"]) == (3, 2, 0)
    assert [u["name"] for u in body["by_unit"]] == ["甲街道办事处"]
    other = api.get(f"/api/v1/campaigns/{campaign.id}?scope=territory", clerk_b).get_json()
    assert (other["figures"]["total"], other["figures"]["overdue"]) == (1, 1)
    # another district's street: never
    assert api.get(f"/api/v1/campaigns/{campaign.id}?scope=territory&sub_unit={city.street_a.id}",
                   clerk_b).status_code == 404
    assert browser(clerk_b).get(f"/campaigns/{campaign.id}?sub_unit={city.street_a.id}").status_code == 404
    assert api.get(f"/api/v1/campaigns/{campaign.id}?scope=all", clerk_a).status_code == 400
    # the office names a district
    office = api.get(f"/api/v1/campaigns/{campaign.id}?scope=territory&sub_unit={district_b.id}", city.admin)
    assert office.get_json()["figures"]["total"] == 1


def test_a_street_with_nobody_under_it_sees_its_own_campaign_problems(api, browser, city, campaign,  # noqa: F811
                                                                      districts):
    unit = browser(city.unit_a)
    assert unit.get(f"/campaigns/{campaign.id}?scope=territory").status_code == 303
    page = unit.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "辖区问题" not in page and "按责任单位" not in page and "以下为本单位牵头或协办整改的问题" in page
    refused = api.get(f"/api/v1/campaigns/{campaign.id}?scope=territory", city.unit_a)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "no_territory"
    body = api.get(f"/api/v1/campaigns/{campaign.id}", city.unit_a).get_json()
    assert (body["figures"]["total"], body["by_unit"]) == (3, [])


def test_the_campaign_list_switches_to_the_territory_as_a_campaigns_page(api, browser, city, campaign,  # noqa: F811
                                                                         districts):
    """The 专项行动 list said 本单位在该行动中暂无问题 to a district leading none of its streets' problems: it now
    offers 辖区问题 too, each figure opening the 辖区问题 list and each campaign opening in the same view."""
    district_a, _, (clerk_a, clerk_b) = districts
    web = browser(clerk_a)
    own = web.get("/campaigns/").get_data(as_text=True)
    assert "本单位在该行动中暂无问题" in own and 'href="/campaigns/?scope=territory">辖区问题' in own
    page = web.get("/campaigns/?scope=territory").get_data(as_text=True)
    assert "仅可查看（辖区督导）" in page and f'href="/campaigns/{campaign.id}?scope=territory"' in page
    link = re.search(r'<span>辖区问题</span><b><a href="([^"]+)">3</a>', page)
    assert link, "the territory's 3 problems link its 辖区问题 list"
    assert "中辖区的问题：共 3 件" in web.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    items = api.get("/api/v1/campaigns?scope=territory", clerk_b).get_json()["items"]
    assert [(c["id"], c["figures"]["total"], c["figures"]["overdue"]) for c in items] == [(campaign.id, 1, 1)]
    assert api.get(f"/api/v1/campaigns?scope=territory&sub_unit={city.street_a.id}", clerk_b).status_code == 404
    office = api.get(f"/api/v1/campaigns?scope=territory&sub_unit={district_a.id}", city.admin).get_json()
    assert office["items"][0]["figures"]["total"] == 3
    # a street with nobody under it: its own list, no switch
    street = browser(city.unit_a)
    assert street.get("/campaigns/?scope=territory").status_code == 303
    assert "辖区问题" not in street.get("/campaigns/").get_data(as_text=True)
    refused = api.get("/api/v1/campaigns?scope=territory", city.unit_a)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "no_territory"
