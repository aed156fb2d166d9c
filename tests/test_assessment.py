"""Assessment rounds: the draw, scores computed by hand, tickets from failures, who sees and submits what, bad
input, retries, the 通报 number."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from assessment_world import World, photo_bytes, results_form, round_body

from inspect_app.assessment.draw import DrawRequest, pick
from inspect_app.assessment.models import ChecklistItem, Result, Round, RoundSite
from inspect_app.extensions import db
from inspect_app.tickets.models import Ticket


@pytest.fixture
def world(city, now):
    return World(city, now)


def create(api, city, **kw):
    kw.setdefault("inspectors", (city.inspector,))
    response = api.post("/api/v1/rounds", city.admin, json=round_body(**kw))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def site_ids(body) -> list[int]:
    return sorted(s["site_id"] for s in body["sites"])


def submit(api, user, round_id, site_id, answers, photos=None, key=None, notes=None):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"/api/v1/rounds/{round_id}/sites/{site_id}/results", user, headers=headers,
                    data=results_form(answers, photos, notes), content_type="multipart/form-data")


def kinds_of(world, ids):
    by_id = {s.id: s for s in world.sites}
    return [(by_id[i].kind.name, by_id[i].district) for i in ids]


# ----------------------------------------------------------------------------- the draw

def test_draw_counts_per_type(api, city, world):
    body = create(api, city, per_kind={"农贸市场": 2, "背街小巷": 3})
    drawn = kinds_of(world, site_ids(body))
    assert sum(1 for k, _ in drawn if k == "农贸市场") == 2
    assert sum(1 for k, _ in drawn if k == "背街小巷") == 3
    assert len(drawn) == 5 and body["seed"] == 7
    assert all(s["inspector_id"] == city.inspector.id and s["status"] == "assigned" for s in body["sites"])


def test_draw_per_district_takes_the_counts_in_every_district(api, city, world):
    body = create(api, city, per_kind={"农贸市场": 2, "背街小巷": 3, "公共厕所": 2}, per_district=True,
                  inspectors=(city.inspector, city.inspector2))
    drawn = kinds_of(world, site_ids(body))
    for district in ("江城区", "临江区"):
        assert sum(1 for k, d in drawn if (k, d) == ("农贸市场", district)) == 2
        assert sum(1 for k, d in drawn if (k, d) == ("背街小巷", district)) == 3
        assert sum(1 for k, d in drawn if (k, d) == ("公共厕所", district)) == 2
    # shared between the two inspectors, neighbouring sites together
    shares = [s["inspector_id"] for s in body["sites"]]
    assert shares.count(city.inspector.id) == 7 and shares.count(city.inspector2.id) == 7


def test_draw_reports_a_stratum_with_too_few_sites(api, city, world):
    body = create(api, city, per_kind={"农贸市场": 5}, per_district=True)
    assert len(body["sites"]) == 6  # 3 in each district, all there are
    shortages = body["draw"]["shortages"]
    assert sorted(s["district"] for s in shortages) == ["临江区", "江城区"]
    assert all(s["wanted"] == 5 and s["drawn"] == 3 for s in shortages)


def test_same_seed_same_draw_different_seed_different_draw(api, city, world):
    spec = {"per_kind": {"农贸市场": 1, "背街小巷": 3, "公共厕所": 1}, "per_district": True}
    first = create(api, city, seed=12345, **spec)
    again = create(api, city, seed=12345, **spec)
    other = create(api, city, seed=54321, **spec)
    assert site_ids(first) == site_ids(again)
    assert site_ids(first) != site_ids(other)
    assert db.session.get(Round, first["id"]).seed == 12345


def test_pick_is_reproducible_and_stratum_independent_on_a_large_register():
    pools = {("背街小巷", None): list(range(1, 5001)), ("农贸市场", None): list(range(5001, 5301))}
    a = pick(pools, DrawRequest({"背街小巷": 40, "农贸市场": 5}, seed=99))
    b = pick(dict(reversed(list(pools.items()))), DrawRequest({"背街小巷": 40, "农贸市场": 5}, seed=99))
    c = pick(pools, DrawRequest({"背街小巷": 40, "农贸市场": 5}, seed=100))
    only_lanes = pick(pools, DrawRequest({"背街小巷": 40}, seed=99))
    assert a.site_ids == b.site_ids and len(a.site_ids) == 45 and len(set(a.site_ids)) == 45
    assert a.site_ids != c.site_ids
    assert set(only_lanes.site_ids) <= set(a.site_ids)  # asking for markets too changes no lane


def test_exclusion_leaves_out_sites_of_the_last_rounds(api, city, world):
    first = create(api, city, per_kind={"背街小巷": 4}, seed=1)
    second = create(api, city, per_kind={"背街小巷": 4}, seed=2, exclude_recent=1)
    assert not set(site_ids(first)) & set(site_ids(second))
    assert len(site_ids(second)) == 4  # 8 lanes in all: the other four
    # every lane was visited in the last two rounds: nothing left to draw
    response = api.post("/api/v1/rounds", city.admin,
                        json=round_body(per_kind={"背街小巷": 4}, seed=3, exclude_recent=2, inspectors=(city.inspector,)))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "no_sites"
    mixed = create(api, city, per_kind={"背街小巷": 4, "公共厕所": 1}, seed=3, exclude_recent=2)
    assert kinds_of(world, site_ids(mixed)) == [("公共厕所", d) for d in [kinds_of(world, site_ids(mixed))[0][1]]]
    assert mixed["draw"]["excluded"] == 8 and mixed["draw"]["shortages"][0]["drawn"] == 0


def test_a_round_with_nothing_to_draw_is_refused(api, city, world):
    response = api.post("/api/v1/rounds", city.admin, json=round_body(per_kind={"农贸市场": 0}))
    assert response.status_code == 422
    response = api.post("/api/v1/rounds", city.admin, json=round_body(per_kind={"景区景点": 2},
                                                                       inspectors=(city.inspector,)))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_site_kind"
    response = api.post("/api/v1/rounds", city.admin, json={**round_body(inspectors=(city.inspector,)),
                                                            "kind": "picnic"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_kind"
    # the list refuses the kind as the draw does (it answered an empty list)
    listed = api.get("/api/v1/rounds?kind=picnic", city.admin)
    assert listed.status_code == 400 and listed.get_json()["error"]["code"] == "invalid_kind"
    assert "“picnic”" in listed.get_json()["error"]["message"]
    response = api.post("/api/v1/rounds", city.admin, json=round_body(inspectors=(city.unit_a,)))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_inspectors"
    assert db.session.scalar(db.select(db.func.count(Round.id))) == 0


# ----------------------------------------------------------------------------- a whole round, scored by hand

# (type, district) → the answers given there; the hand-computed scores are in the tests below.
ANSWERS = {
    ("农贸市场", "江城区"): {"NM-01": False, "NM-02": False, "NM-03": True},   # 100 − 2 − 3 = 95
    ("农贸市场", "临江区"): {"NM-01": True, "NM-02": True, "NM-03": True},     # 100
    ("背街小巷", "江城区"): {"BJ-01": False, "BJ-02": True},                   # 98
    ("背街小巷", "临江区"): {"BJ-01": False, "BJ-02": False},                  # 97
    ("公共厕所", "江城区"): {"GC-01": False, "GC-02": False},                  # 97
    ("公共厕所", "临江区"): {"GC-01": True, "GC-02": True},                    # 100
}


def run_round(api, city, world, seed=7, answers=ANSWERS):
    body = create(api, city, per_kind={"农贸市场": 1, "背街小巷": 1, "公共厕所": 1}, per_district=True, seed=seed)
    by_place = {}
    for site_id in site_ids(body):
        place = kinds_of(world, [site_id])[0]
        by_place[place] = site_id
        given = answers[place]
        response = submit(api, city.inspector, body["id"], site_id, given,
                          photos={c: 1 for c, ok in given.items() if not ok})
        assert response.status_code == 201, response.get_json()
    return body["id"], by_place


@pytest.fixture
def scored(api, city, world):
    return run_round(api, city, world)


def test_scores_by_site_type_district_and_unit(api, city, world, scored):
    round_id, place = scored
    data = api.get(f"/api/v1/rounds/{round_id}/scores", city.admin).get_json()
    sites = {s["site_id"]: s for s in data["sites"]}
    assert sites[place[("农贸市场", "江城区")]]["score"] == 95.0
    assert sorted(sites[place[("农贸市场", "江城区")]]["failed"]) == ["NM-01", "NM-02"]
    assert sites[place[("农贸市场", "临江区")]]["score"] == 100.0
    assert sites[place[("背街小巷", "江城区")]]["score"] == 98.0
    assert sites[place[("背街小巷", "临江区")]]["score"] == 97.0
    assert sites[place[("公共厕所", "江城区")]]["score"] == 97.0
    assert data["by_kind"]["农贸市场"] == {"sites": 2, "score": 97.5, "failed": 2, "full_marks": 1}
    assert data["by_kind"]["背街小巷"]["score"] == 97.5
    assert data["by_kind"]["公共厕所"]["score"] == 98.5
    assert data["by_district"]["江城区"]["score"] == 96.7  # (95 + 98 + 97) / 3, rounded once to the tenth
    assert data["by_district"]["临江区"]["score"] == 99.0   # (100 + 97 + 100) / 3
    units = {u["unit_id"]: u for u in data["by_unit"]}
    # 100 − the unit's deductions ÷ the sites it answers for
    assert units[city.street_a.id]["score"] == 99.3 and units[city.street_a.id]["failed"] == 1
    assert units[city.street_b.id]["score"] == 99.0 and units[city.street_b.id]["failed"] == 2
    assert units[world.market_office.id] == {"unit_id": world.market_office.id, "name": "市市场监管局", "sites": 2,
                                             "deducted": 3.0, "score": 98.5, "failed": 1}
    assert units[world.market_operator.id]["score"] == 99.0
    assert units[world.sanitation.id]["score"] == 99.0
    assert units[city.roads.id]["score"] == 99.5
    assert data["by_unit"][0]["unit_id"] == world.market_office.id  # worst first
    assert data["overall"] == {"drawn": 6, "submitted": 6, "score": 97.8, "failed": 7, "full_marks": 2}
    assert data["previous_round_id"] is None


def test_comparison_with_the_previous_round_of_the_same_kind(api, city, world, scored):
    first_id, _ = scored
    perfect = {place: {code: True for code in given} for place, given in ANSWERS.items()}
    second_id, place = run_round(api, city, world, seed=7, answers=perfect)
    data = api.get(f"/api/v1/rounds/{second_id}/scores", city.admin).get_json()
    assert data["previous_round_id"] == first_id
    assert data["comparison"]["previous_score"] == 97.8 and data["comparison"]["delta"] == 2.2
    assert data["comparison"]["by_kind"]["农贸市场"] == {"previous": 97.5, "delta": 2.5}
    assert data["comparison"]["sites"][str(place[("农贸市场", "江城区")])] == {"previous": 95.0, "delta": 5.0}
    # another kind of round is not compared with a mock assessment
    other = api.post("/api/v1/rounds", city.admin, json=round_body(kind="undercover", inspectors=(city.inspector,)))
    data = api.get(f"/api/v1/rounds/{other.get_json()['id']}/scores", city.admin).get_json()
    assert data["previous_round_id"] is None


def test_each_failure_is_a_ticket_for_the_unit_answering_for_the_item(api, city, world, scored, now):
    round_id, place = scored
    tickets = list(db.session.scalars(db.select(Ticket).order_by(Ticket.id)))
    assert len(tickets) == 7
    results = {r.item.code + "@" + str(r.round_site.site_id): r for r in db.session.scalars(
        db.select(Result).where(Result.passed.is_(False)))}
    market = place[("农贸市场", "江城区")]
    operator_ticket = db.session.get(Ticket, results[f"NM-01@{market}"].ticket_id)
    sector_ticket = db.session.get(Ticket, results[f"NM-02@{market}"].ticket_id)
    lane_ticket = db.session.get(Ticket, results[f"BJ-01@{place[('背街小巷', '江城区')]}"].ticket_id)
    toilet_sector = db.session.get(Ticket, results[f"GC-02@{place[('公共厕所', '江城区')]}"].ticket_id)
    assert operator_ticket.unit_id == world.market_operator.id
    assert sector_ticket.unit_id == world.market_office.id
    assert lane_ticket.unit_id == city.street_a.id
    assert toilet_sector.unit_id == city.roads.id
    for ticket in tickets:
        assert ticket.status == "assigned" and ticket.source == "mock_assessment" and ticket.site_id is not None
        assert len(ticket.photos) == 1
        assert [e.action for e in ticket.events] == ["create", "dispatch"] and ticket.events[1].actor_id is None
    # deadlines are the items': NM-02 24 hours, NM-01 three working days
    assert sector_ticket.deadline - sector_ticket.assigned_at == timedelta(hours=24)
    assert operator_ticket.deadline - operator_ticket.assigned_at >= timedelta(days=3)
    assert "”未达标：无活禽散养" in sector_ticket.description and "扣3分" in sector_ticket.description  # the item is the standard
    # the ticket API shows the site, and filters by site and by source
    shown = api.get(f"/api/v1/tickets/{sector_ticket.id}", city.admin).get_json()
    assert shown["site"] == {"id": market, "name": sector_ticket.site.name}
    listed = api.get(f"/api/v1/tickets?site_id={market}", city.admin).get_json()
    assert sorted(t["id"] for t in listed["items"]) == sorted([operator_ticket.id, sector_ticket.id])
    assert api.get("/api/v1/tickets?source=mock_assessment", city.admin).get_json()["total"] == 7
    assert api.get("/api/v1/tickets?source=undercover", city.admin).get_json()["total"] == 0
    # the normal lifecycle takes over: the operator's clerk rectifies
    from conftest import file_tuple
    response = api.post(f"/api/v1/tickets/{operator_ticket.id}/rectify", world.unit_operator,
                        data={"note": "已整改", "photos": [file_tuple("gps_DSCN0010.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json()["status"] == "rectified"


def test_an_undercover_checklist_does_not_choose_the_filing_pages_way_of_checking(api, browser, city, world):
    """The filing page starts from the 督查方式 of the inspector's last report of the day; the problems an 暗访
    round's checklist filed (source undercover) were not filed on that page, so the next report stays 日常督查."""
    body = create(api, city, kind="undercover", per_kind={"背街小巷": 1})
    site = body["sites"][0]["site_id"]
    assert submit(api, city.inspector, body["id"], site, {"BJ-01": False, "BJ-02": True},
                  photos={"BJ-01": 1}).status_code == 201
    assert db.session.scalar(db.select(Ticket.source).where(Ticket.site_id == site)) == "undercover"
    page = browser(city.inspector).get("/tickets/new").get_data(as_text=True)
    assert '<option value="daily" selected>日常督查</option>' in page


def test_ticket_page_names_the_round_site_and_item(browser, city, world, scored):
    ticket = db.session.scalar(db.select(Ticket).order_by(Ticket.id))
    result = db.session.scalar(db.select(Result).where(Result.ticket_id == ticket.id))
    for user in (city.admin, db.session.get(type(city.admin), _clerk(ticket))):
        page = browser(user).get(f"/tickets/{ticket.id}").get_data(as_text=True)
        assert "<dt>测评点位</dt>" in page and ticket.site.code in page
        # the round's name leads to its scores (the unit's: its own sites there)
        scores = f"/assessment/rounds/{result.round_site.round_id}/scores"
        assert f'模拟测评“<a href="{scores}">测试轮次</a>” · 测评项目 {result.item.code}：{result.item.text}' in page


def _clerk(ticket):
    from inspect_app.auth.models import User
    return db.session.scalar(db.select(User.id).where(User.unit_id == ticket.unit_id))


# ----------------------------------------------------------------------------- who sees and submits what

def test_a_unit_sees_only_its_own_sites_results(api, city, world, scored):
    round_id, place = scored
    mine = api.get(f"/api/v1/rounds/{round_id}/scores", city.unit_a).get_json()
    assert sorted(s["district"] for s in mine["sites"]) == ["江城区"] * 3
    assert [u["unit_id"] for u in mine["by_unit"]] == [city.street_a.id]
    assert set(mine["by_district"]) == {"江城区"}
    # nor who walked them (an undercover inspector goes again), as the round's own answer withholds it
    assert {s["inspector_id"] for s in mine["sites"]} == {None}
    assert None not in {s["inspector_id"] for s in api.get(f"/api/v1/rounds/{round_id}/scores",
                                                           city.admin).get_json()["sites"]}
    shown = api.get(f"/api/v1/rounds/{round_id}", city.unit_a).get_json()
    assert {s["site"]["district"] for s in shown["sites"]} == {"江城区"}
    other_site = place[("农贸市场", "临江区")]
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{other_site}/results", city.unit_a).status_code == 404
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{place[('农贸市场', '江城区')]}/results",
                   city.unit_a).status_code == 200
    # the market regulator sees both markets, nothing else
    markets = api.get(f"/api/v1/rounds/{round_id}/scores", world.unit_market).get_json()
    assert sorted(s["kind"] for s in markets["sites"]) == ["农贸市场", "农贸市场"]
    # a unit with no site in the round does not see it; nor its PDF
    assert api.get(f"/api/v1/rounds/{round_id}", city.unit_police).status_code == 404
    assert api.get(f"/api/v1/rounds/{round_id}/scores", city.unit_police).status_code == 404
    assert api.get(f"/api/v1/rounds/{round_id}/pdf", city.unit_a).status_code == 403
    assert api.get("/api/v1/rounds", city.unit_police).get_json() == []
    # tasks: a unit's own tickets only
    listed = api.get("/api/v1/tickets?source=mock_assessment", city.unit_a).get_json()
    assert listed["total"] == 1 and listed["items"][0]["unit"]["id"] == city.street_a.id


def test_a_unit_learns_of_a_drawn_site_only_once_it_is_scored_or_the_round_is_closed(api, browser, city, world):
    """An 暗访's draw is the office's: a unit told which of its sites will be visited could tidy just those."""
    body = create(api, city, kind="undercover", per_kind={"农贸市场": 1, "背街小巷": 1, "公共厕所": 1},
                  per_district=True, seed=7)
    round_id, ids = body["id"], site_ids(body)
    mine = [i for i in ids if kinds_of(world, [i])[0][1] == "江城区"]
    assert len(mine) == 3
    # nothing scored: the unit does not see the round at all, by the API or on its results page
    assert api.get("/api/v1/rounds", city.unit_a).get_json() == []
    assert api.get(f"/api/v1/rounds/{round_id}", city.unit_a).status_code == 404
    assert api.get(f"/api/v1/rounds/{round_id}/scores", city.unit_a).status_code == 404
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{mine[0]}/results", city.unit_a).status_code == 404
    page = browser(city.unit_a).get("/assessment/results").get_data(as_text=True)
    assert body["name"] not in page and "待测评" not in page

    given = ANSWERS[kinds_of(world, [mine[0]])[0]]
    assert submit(api, city.inspector, round_id, mine[0], given,
                  photos={c: 1 for c, ok in given.items() if not ok}).status_code == 201
    # one scored: that site only, without the seed that reproduces the draw or the inspector who went
    shown = api.get(f"/api/v1/rounds/{round_id}", city.unit_a).get_json()
    assert [s["site_id"] for s in shown["sites"]] == [mine[0]]
    assert shown["seed"] is None and shown["draw"] is None and shown["sites"][0]["inspector_id"] is None
    assert [s["site_id"] for s in api.get(f"/api/v1/rounds/{round_id}/scores", city.unit_a).get_json()["sites"]] \
        == [mine[0]]
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{mine[0]}/results", city.unit_a).status_code == 200
    assert api.get(f"/api/v1/rounds/{round_id}/sites/{mine[1]}/results", city.unit_a).status_code == 404
    page = browser(city.unit_a).get("/assessment/results").get_data(as_text=True)
    assert body["name"] in page and "待测评" not in page
    # the office and the inspector still see the whole draw
    assert len(api.get(f"/api/v1/rounds/{round_id}", city.admin).get_json()["sites"]) == len(ids)
    assert api.get(f"/api/v1/rounds/{round_id}", city.admin).get_json()["seed"] == 7

    # closed: the unit sees its three sites, the two never visited as such, and the seed
    assert api.post(f"/api/v1/rounds/{round_id}/close", city.admin).status_code == 200
    shown = api.get(f"/api/v1/rounds/{round_id}", city.unit_a).get_json()
    assert sorted(s["site_id"] for s in shown["sites"]) == sorted(mine) and shown["seed"] == 7
    assert len(api.get(f"/api/v1/rounds/{round_id}/scores", city.unit_a).get_json()["sites"]) == 3
    page = browser(city.unit_a).get("/assessment/results").get_data(as_text=True)
    assert "未测评" in page and "待测评" not in page  # never to be scored now, not waiting


def test_unit_results_page_shows_own_sites_and_links_own_tasks(browser, city, world, scored):
    page = browser(city.unit_a).get("/assessment/results").get_data(as_text=True)
    assert "江城区农贸市场" in page or "江城区" in page
    assert "临江区" not in page
    assert "整改任务" in page and "由市农贸市场管理公司整改" in page


def test_a_leader_reads_and_cannot_submit(api, city, world):
    body = create(api, city, per_kind={"背街小巷": 1})
    site_id = body["sites"][0]["site_id"]
    assert api.get(f"/api/v1/rounds/{body['id']}/scores", city.leader).status_code == 200
    assert api.get(f"/api/v1/rounds/{body['id']}/pdf", city.leader).status_code == 200
    assert submit(api, city.leader, body["id"], site_id, {"BJ-01": True, "BJ-02": True}).status_code == 403
    assert api.post("/api/v1/rounds", city.leader, json=round_body()).status_code == 403


def test_an_inspector_submits_only_sites_assigned_to_them(api, city, world):
    body = create(api, city, per_kind={"背街小巷": 1})
    site_id = body["sites"][0]["site_id"]
    response = submit(api, city.inspector2, body["id"], site_id, {"BJ-01": True, "BJ-02": True})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_assigned"
    not_drawn = next(s for s in world.sites if s.id != site_id)
    assert submit(api, city.inspector, body["id"], not_drawn.id, {"BJ-01": True}).status_code == 404
    # the office moves it to inspector2, who may then submit
    moved = api.call("PATCH", f"/api/v1/rounds/{body['id']}/sites/{site_id}", city.admin,
                     json={"inspector_id": city.inspector2.id})
    assert moved.status_code == 200 and moved.get_json()["inspector_id"] == city.inspector2.id
    assert submit(api, city.inspector, body["id"], site_id, {"BJ-01": True, "BJ-02": True}).status_code == 403
    assert submit(api, city.inspector2, body["id"], site_id, {"BJ-01": True, "BJ-02": True}).status_code == 201


# ----------------------------------------------------------------------------- bad input and retries

@pytest.fixture
def lane(api, city, world):
    body = create(api, city, per_kind={"背街小巷": 1})
    return body["id"], body["sites"][0]["site_id"]


def _nothing_written(round_id, site_id):
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == round_id, RoundSite.site_id == site_id))
    assert rs.status == "assigned" and not rs.results
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0


def test_unknown_item_is_refused(api, city, lane):
    response = submit(api, city.inspector, *lane, {"BJ-01": True, "BJ-02": True, "NM-01": True})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "unknown_item"
    _nothing_written(*lane)


def test_a_failure_without_a_photo_is_refused(api, city, lane, uploads):
    response = submit(api, city.inspector, *lane, {"BJ-01": False, "BJ-02": False}, photos={"BJ-01": 1})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "photo_required"
    assert "须拍照" in response.get_json()["error"]["message"]
    _nothing_written(*lane)
    assert not list(uploads.rglob("*.jpg"))  # no orphan file of the photo that was given



def test_a_broken_photo_is_refused_naming_its_item(api, city, lane, uploads):
    """Five items, each with photos: the message says which item's photo to take again, as the page numbers
    them, and nothing of the submission is kept."""
    fields = results_form({"BJ-01": True, "BJ-02": False})
    fields["photos_BJ-02"] = [(io.BytesIO(photo_bytes("Canon_40D.jpg")), "a.jpg"),
                              (io.BytesIO(photo_bytes("truncated_half.jpg")), "b.jpg")]
    response = api.post(f"/api/v1/rounds/{lane[0]}/sites/{lane[1]}/results", city.inspector, data=fields,
                        content_type="multipart/form-data")
    assert response.status_code == 415, response.get_json()
    message = response.get_json()["error"]["message"]
    assert message.startswith("第2项（无“牛皮癣”）的第2张照片：") and "不完整" in message, message
    _nothing_written(*lane)
    assert not list(uploads.rglob("*.jpg"))


def test_a_refusal_names_its_item_whole_or_marks_the_cut(api, city, lane, uploads):
    """An item's text is never cut mid-word without a sign: whole when short, else cut with "…"."""
    def item_text(code, text):
        for item in db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.code == code)):
            item.text = text
        db.session.commit()

    def refusal():
        fields = results_form({"BJ-01": True, "BJ-02": False})
        fields["photos_BJ-02"] = [(io.BytesIO(photo_bytes("truncated_half.jpg")), "a.jpg")]
        response = api.post(f"/api/v1/rounds/{lane[0]}/sites/{lane[1]}/results", city.inspector, data=fields,
                            content_type="multipart/form-data")
        assert response.status_code == 415, response.get_json()
        return response.get_json()["error"]["message"]

    item_text("BJ-02", "无明显异味，地面干净无积水、无积尘")
    assert refusal().startswith("第2项（无明显异味，地面干净无积水、无积尘）：照片文件不完整"), refusal()
    long = "路面干净整洁，无暴露垃圾、无卫生死角、无积存污水、无乱扔烟头纸屑果皮、无乱泼乱倒污水现象"
    item_text("BJ-02", long)
    message = refusal()
    assert message.startswith(f"第2项（{long[:29]}…）："), message
    response = submit(api, city.inspector, *lane, {"BJ-01": True})
    assert response.status_code == 422 and f"{long[:29]}…" in response.get_json()["error"]["message"]
    _nothing_written(*lane)


def test_missing_items_and_malformed_results_are_refused(api, city, lane):
    response = submit(api, city.inspector, *lane, {"BJ-01": True})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "incomplete"
    response = api.post(f"/api/v1/rounds/{lane[0]}/sites/{lane[1]}/results", city.inspector,
                        data={"results": "[{\"item\": \"BJ-01\", \"pass\": \"yes\"}]"},
                        content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_results"
    response = api.post(f"/api/v1/rounds/{lane[0]}/sites/{lane[1]}/results", city.inspector,
                        data={"results": "not json"}, content_type="multipart/form-data")
    assert response.status_code == 400
    response = api.post(f"/api/v1/rounds/{lane[0]}/sites/{lane[1]}/results", city.inspector, json={})
    assert response.status_code == 400
    _nothing_written(*lane)


def test_a_result_note_or_item_that_is_not_text_is_refused(api, city, lane):
    """A note sent as an object, a list, a number or true was stored as Python's text of it ("{'a': [1]}", "True")
    and printed so in the ticket and the 督查通报: 400 invalid_text naming the field, as every text field."""
    url = f"/api/v1/rounds/{lane[0]}/sites/{lane[1]}/results"
    for note in ({"a": [1]}, ["x"], 5, True, False):
        results = [{"item": "BJ-01", "pass": True, "note": note}, {"item": "BJ-02", "pass": True}]
        response = api.post(url, city.inspector, data={"results": json.dumps(results)},
                            content_type="multipart/form-data")
        assert response.status_code == 400, (note, response.status_code)
        assert response.get_json()["error"] == {"code": "invalid_text", "message": "情况说明应为文字。"}, note
    results = [{"item": 7, "pass": True}, {"item": "BJ-02", "pass": True}]
    response = api.post(url, city.inspector, data={"results": json.dumps(results)}, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_text"
    _nothing_written(*lane)
    results = [{"item": "BJ-01", "pass": True, "note": None}, {"item": "BJ-02", "pass": True, "note": "干净"}]
    response = api.post(url, city.inspector, data={"results": json.dumps(results)}, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def test_the_same_retry_makes_one_result_and_a_different_second_submission_is_409(api, city, lane):
    answers = {"BJ-01": False, "BJ-02": True}
    first = submit(api, city.inspector, *lane, answers, photos={"BJ-01": 1}, key="k-1")
    again = submit(api, city.inspector, *lane, answers, photos={"BJ-01": 1}, key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert db.session.scalar(db.select(db.func.count(Result.id))) == 2
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 1
    # the same content without the key (a form resent) is the same submission too
    assert submit(api, city.inspector, *lane, answers, photos={"BJ-01": 1}).status_code == 200
    different = submit(api, city.inspector, *lane, {"BJ-01": True, "BJ-02": True}, key="k-2")
    assert different.status_code == 409 and different.get_json()["error"]["code"] == "already_submitted"
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 1


def test_the_same_key_with_other_answers_is_refused_as_a_reused_key(api, city, lane):
    """The same Idempotency-Key with a failed item and its photo answered 200 with the first result (all passed):
    the failure and its photo were dropped without a word. Refused as a ticket's filing refuses a reused key."""
    first = submit(api, city.inspector, *lane, {"BJ-01": True, "BJ-02": True}, key="k-1")
    assert first.status_code == 201
    other = submit(api, city.inspector, *lane, {"BJ-01": False, "BJ-02": True}, photos={"BJ-01": 1}, key="k-1")
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    # said in the page's words: the site was submitted, what was later changed was not saved, how to correct it
    assert "该点位已于" in other.get_json()["error"]["message"] and "Idempotency-Key" not in \
        other.get_json()["error"]["message"]
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0
    again = submit(api, city.inspector, *lane, {"BJ-01": True, "BJ-02": True}, key="k-1")
    assert again.status_code == 200 and again.get_json() == first.get_json()


def test_a_closed_round_takes_no_more_results(api, city, lane):
    assert api.post(f"/api/v1/rounds/{lane[0]}/close", city.admin).status_code == 200
    assert api.post(f"/api/v1/rounds/{lane[0]}/close", city.admin).status_code == 409
    response = submit(api, city.inspector, *lane, {"BJ-01": True, "BJ-02": True})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "round_closed"


# ----------------------------------------------------------------------------- the 通报

def test_bulletin_is_numbered_once_in_its_own_series(api, city, world, scored, app):
    round_id, _ = scored
    draft = api.get(f"/api/v1/rounds/{round_id}/pdf", city.admin)
    assert draft.status_code == 200 and draft.data.startswith(b"%PDF")
    issued = api.post(f"/api/v1/rounds/{round_id}/issue", city.admin)
    assert issued.status_code == 200
    assert issued.get_json()["bulletin_number"] == "临江文明测〔2026〕1号"
    assert api.post(f"/api/v1/rounds/{round_id}/issue", city.admin).status_code == 409
    second_id, _ = run_round(api, city, world, seed=8)
    assert api.post(f"/api/v1/rounds/{second_id}/issue", city.admin).get_json()["bulletin_number"] \
        == "临江文明测〔2026〕2号"
    empty = create(api, city, per_kind={"背街小巷": 1}, seed=9)
    assert api.post(f"/api/v1/rounds/{empty['id']}/issue", city.admin).status_code == 409


def test_closing_a_round_and_issuing_its_bulletin_are_in_the_audit_log(api, browser, city, world, scored):
    """(QA) Ending a round and issuing its 通报 (taking its 文号 for good) left no 操作日志 entry, while a 红黑榜's
    publication is recorded as 发文 · 发布 with its 文号."""
    from inspect_app.audit.models import AuditEntry

    round_id, _ = scored
    name = db.session.get(Round, round_id).name
    assert api.post(f"/api/v1/rounds/{round_id}/close", city.admin).status_code == 200
    assert api.post(f"/api/v1/rounds/{round_id}/close", city.admin).status_code == 409  # refused: no second entry
    number = api.post(f"/api/v1/rounds/{round_id}/issue", city.admin).get_json()["bulletin_number"]
    entries = db.session.scalars(db.select(AuditEntry).where(AuditEntry.kind.in_(("assessment", "document")))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.kind, e.action, e.actor, e.target) for e in entries] == [
        ("assessment", "close", "admin", name), ("document", "issue", "admin", f"督查通报 {name}")]
    assert "已提交" in entries[0].detail and f"文号：{number}" in entries[1].detail
    page = browser(city.admin).get("/audit?kind=document").get_data(as_text=True)
    assert "印发" in page and number in page and f"督查通报 {name}" in page


def test_pdfs_say_what_the_round_found(api, city, world, scored, tmp_path):
    import subprocess
    round_id, _ = scored
    from inspect_app.assessment.models import Round
    db.session.get(Round, round_id).name = "第二轮模拟测评"  # a name that says it: not said twice
    db.session.commit()
    path = tmp_path / "renamed.pdf"
    path.write_bytes(api.get(f"/api/v1/rounds/{round_id}/pdf", city.admin).data)  # the draft, built afresh
    renamed = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                             check=True).stdout.replace(" ", "").replace("\n", "")
    assert "组织开展了第二轮模拟测评。" in renamed and "（模拟测评）" not in renamed
    db.session.get(Round, round_id).name = "测试轮次"
    db.session.commit()
    api.post(f"/api/v1/rounds/{round_id}/issue", city.admin)
    texts = {}
    for name, url in (("bulletin", f"/api/v1/rounds/{round_id}/pdf"),
                      ("exposure", f"/api/v1/rounds/{round_id}/exposure.pdf")):
        response = api.get(url, city.admin)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(response.data)
        texts[name] = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                                     check=True).stdout.replace(" ", "").replace("\n", "")
    bulletin, exposure = texts["bulletin"], texts["exposure"]
    assert "临江文明测〔2026〕1号" in bulletin and "关于测试轮次情况的通报" in bulletin
    assert "组织开展了测试轮次（模拟测评）。" in bulletin  # the kind, which the name does not say
    assert "97.8" in bulletin and "整改任务清单" in bulletin and "市市场监管局" in bulletin
    assert "无活禽散养" in exposure and "市农贸市场管理公司" in exposure
    assert "得分" not in exposure and "97.8" not in exposure  # no scores for the media


def test_the_rankings_board_links_each_districts_and_site_types_failures_of_its_round(api, browser, city, world,
                                                                                       scored, clock, now):
    """考评看板's 测评得分: each district's and site type's 失分项 open that round's failures there, as many as it
    says (they all opened one list, every 暗访 or 模拟测评 problem reported since the round began)."""
    import re

    clock.set(now + timedelta(hours=1))
    run_round(api, city, world, seed=8)  # a later round: the board reads it, the first one's tickets stay out
    leader = browser(city.leader)
    board = leader.get("/rankings/dashboard").get_data(as_text=True)
    links = re.findall(r'<td>(?:<a href="(/tickets\?[^"]+)">)?(\d+)(?:</a>)?</td></tr>', board)
    assert len(links) == 2 + 3  # two districts, three site types
    urls = set()
    for url, figure in links:
        if figure == "0":
            continue
        assert "round_id=" in url and ("site_district=" in url or "site_kind_id=" in url), url
        listed = leader.get(url.replace("&amp;", "&")).get_data(as_text=True)
        assert f"<small>{figure} 件</small>" in listed, url
        assert "不限轮次" in listed and ("不限点位区县" in listed or "不限点位类型" in listed)
        urls.add(url)
    assert len(urls) == sum(1 for _, figure in links if figure != "0")  # each row its own list
