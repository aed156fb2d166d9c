"""The 点位 a problem is at: linked, changed and unlinked from the ticket's page (the office, or the inspector who
filed it, while the ticket is open), each change an event; a site named in the filing page's address
(/tickets/new?site_id=N) goes with the report. No API call changes a ticket's site (API.md names none)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import City, file_tuple

from inspect_app.extensions import db
from inspect_app.tickets import services
from inspect_app.tickets.models import Ticket, TicketEvent


@pytest.fixture
def sites(city, now):
    """Three active sites near City.ON_A (about 1, 110 and 250 m), one retired beside them, one 1.1 km off."""
    from inspect_app.sites.models import Site, SiteKind

    lane, market = SiteKind(name="背街小巷", sort_order=1), SiteKind(name="农贸市场", sort_order=2)
    lat, lon = City.ON_A

    def site(code, name, kind, dlat, active=True):
        return Site(code=code, name=name, kind=kind, district="江城区", lat=lat + dlat, lon=lon, active=active,
                    territorial_unit=city.street_a, created_at=now)

    made = {"lane": site("BJ-1", "青石巷", lane, 0.00001), "market": site("NM-1", "人民路农贸市场", market, 0.001),
            "far_lane": site("BJ-2", "竹篙巷", lane, 0.00225), "retired": site("BJ-3", "旧米巷", lane, 0.0005, False),
            "other_road": site("NM-2", "建设路农贸市场", market, City.ON_B[0] - lat)}
    db.session.add_all([lane, market, *made.values()])
    db.session.commit()
    return made


def page(client, ticket) -> str:
    response = client.get(f"/tickets/{ticket.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def box(html: str) -> str:
    """The 关联点位 box of a ticket's page ("" when the page has none)."""
    found = re.search(r'<section class="card action site-link".*?</section>', html, re.S)
    return found.group(0) if found else ""


def post(client, ticket, action, **form):
    return client.submit(f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/{action}", form)


def site_events(ticket_id):
    return list(db.session.scalars(db.select(TicketEvent).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.action.in_(("link_site", "unlink_site")))
        .order_by(TicketEvent.id)))


# ----------------------------------------------------------------------------- the page's box

def test_the_box_lists_the_active_sites_nearby_nearest_first_with_their_distance(browser, city, make_ticket, sites):
    ticket = make_ticket()
    html = box(page(browser(city.inspector), ticket))
    assert "关联点位" in html and "尚未关联点位" in html
    names = re.findall(r"<b>([^<]+)</b><br><small class=\"muted\">([^<]+)</small>", html)
    assert names == [("青石巷", "背街小巷 · 不足10米"), ("人民路农贸市场", "农贸市场 · 约110米"),
                     ("竹篙巷", "背街小巷 · 约250米")]  # not the retired one, nor the one 1.1 km off
    assert html.count('name="csrf_token"') == 1 and 'name="site_id"' in html


def test_the_box_says_so_when_no_site_is_near_or_the_ticket_has_no_position(browser, city, make_ticket, sites):
    admin = browser(city.admin)
    assert "附近300米内没有点位" in box(page(admin, make_ticket(point=City.FAR)))
    assert "该问题没有定位" in box(page(admin, make_ticket(point=None, segment=city.seg_a)))


def test_who_sees_the_box(browser, city, make_ticket, sites):
    ticket = make_ticket()  # filed by city.inspector, on street A's road
    assert box(page(browser(city.admin), ticket))
    assert box(page(browser(city.inspector), ticket))
    for user in (city.inspector2, city.leader, city.unit_a):
        html = page(browser(user), ticket)
        assert not box(html) and "/link_site" not in html


# ----------------------------------------------------------------------------- link, change, unlink

def test_link_change_and_unlink_each_write_an_event(browser, city, make_ticket, sites, now):
    ticket = make_ticket()
    inspector = browser(city.inspector)
    response = post(inspector, ticket, "link_site", site_id=sites["lane"].id)
    assert response.status_code == 303 and response.location.endswith(f"/tickets/{ticket.id}")
    assert db.session.get(Ticket, ticket.id).site_id == sites["lane"].id
    html = page(inspector, ticket)
    assert "已关联点位" in html and "当前点位：<b>青石巷</b>" in box(html)
    assert "取消关联" in box(html) and ">青石巷</b><br>" not in box(html)  # not offered again

    admin = browser(city.admin)
    assert post(admin, ticket, "link_site", site_id=sites["market"].id).status_code == 303
    assert db.session.get(Ticket, ticket.id).site_id == sites["market"].id
    assert post(admin, ticket, "unlink_site").status_code == 303
    assert db.session.get(Ticket, ticket.id).site_id is None

    linked, changed, unlinked = site_events(ticket.id)
    assert (linked.actor_id, linked.note) == (city.inspector.id, "关联点位：青石巷")
    assert (changed.actor_id, changed.note) == (city.admin.id, "关联点位：人民路农贸市场（原点位：青石巷）")
    assert (unlinked.actor_id, unlinked.note) == (city.admin.id, "取消关联点位：人民路农贸市场")
    assert linked.at.utcoffset() == timedelta(0)  # stored in UTC
    assert [e.from_status == e.to_status == "assigned" for e in (linked, changed, unlinked)] == [True] * 3
    history = page(admin, ticket).split('<section class="card history">')[1]
    for text in ("关联点位：青石巷", "关联点位：人民路农贸市场（原点位：青石巷）", "取消关联点位：人民路农贸市场"):
        assert text in history
    assert history.count("inspector") >= 1 and history.count("admin") >= 2  # who


def test_the_service_takes_now(city, make_ticket, sites, now):
    ticket = make_ticket()
    later = now + timedelta(hours=3)
    services.link_site(city.admin, ticket, later, str(sites["lane"].id))
    db.session.commit()
    assert ticket.site_id == sites["lane"].id and ticket.events[-1].at == later


def test_linking_the_same_site_again_or_unlinking_nothing_is_refused(browser, city, make_ticket, sites):
    ticket = make_ticket()
    admin = browser(city.admin)
    response = post(admin, ticket, "unlink_site")
    assert response.status_code == 303  # back to the page, which says why
    assert "该问题没有关联点位" in admin.get(response.location).get_data(as_text=True)
    post(admin, ticket, "link_site", site_id=sites["lane"].id)
    response = post(admin, ticket, "link_site", site_id=sites["lane"].id)
    assert "该问题已关联点位“青石巷”" in admin.get(response.location).get_data(as_text=True)
    assert len(site_events(ticket.id)) == 1


# ----------------------------------------------------------------------------- who may

def test_a_unit_gets_404_for_a_ticket_it_cannot_see_and_403_for_one_it_can(browser, city, make_ticket, sites):
    ticket = make_ticket()  # street A's
    for action, form in (("link_site", {"site_id": sites["lane"].id}), ("unlink_site", {})):
        assert post(browser(city.unit_b), ticket, action, **form).status_code == 404
        assert post(browser(city.unit_a), ticket, action, **form).status_code == 403
    assert db.session.get(Ticket, ticket.id).site_id is None and not site_events(ticket.id)


def test_only_the_inspector_who_filed_it_and_the_office(browser, city, make_ticket, sites):
    """Inspectors see every ticket (so no 404), and verify any; the site is the filer's or the office's word."""
    ticket = make_ticket(reporter=city.inspector)
    response = post(browser(city.inspector2), ticket, "link_site", site_id=sites["lane"].id)
    assert response.status_code == 403
    assert "只有文明办和上报该问题的督查员可以更改问题的点位" in response.get_data(as_text=True)
    assert post(browser(city.leader), ticket, "link_site", site_id=sites["lane"].id).status_code == 403
    assert db.session.get(Ticket, ticket.id).site_id is None and not site_events(ticket.id)


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_a_closed_or_voided_ticket_keeps_its_site(browser, city, make_ticket, sites, status, now):
    ticket = make_ticket(site_id=sites["lane"].id)
    ticket.status = status
    db.session.commit()
    admin = browser(city.admin)
    assert not box(page(admin, ticket))
    for action, form in (("link_site", {"site_id": sites["market"].id}), ("unlink_site", {})):
        response = post(admin, ticket, action, **form)
        assert response.status_code == 303  # 409 shown on the page it came from
        assert "不能" in admin.get(response.location).get_data(as_text=True)
    assert db.session.get(Ticket, ticket.id).site_id == sites["lane"].id and not site_events(ticket.id)


def test_the_site_of_an_assessment_finding_stays(browser, city, make_ticket, sites, now):
    """A round's failed item became the ticket: it was found at the round's site, which the page does not offer
    to change, and the service refuses to."""
    from inspect_app.assessment import checklist
    from inspect_app.assessment import services as rounds
    from inspect_app.assessment.models import ChecklistItem, Result, RoundSite
    from inspect_app.common.errors import Conflict

    checklist.create_version([{"code": "BJ-01", "kind": sites["lane"].kind, "text": "无乱堆乱放", "points": 2.0,
                               "answerable_by": "territorial", "deadline": {"hours": 24}, "category": None}], now)
    rnd, _ = rounds.create_round(city.admin, rounds.RoundInput(
        kind="mock_assessment", name="十一月模拟测评", per_kind={"背街小巷": 1}, inspector_ids=[city.inspector.id],
        seed=1), now)
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == rnd.id))
    ticket = make_ticket(site_id=rs.site_id, source="mock_assessment")
    db.session.add(Result(round_site_id=rs.id, item_id=db.session.scalar(db.select(ChecklistItem.id)),
                          passed=False, deducted=2.0, ticket_id=ticket.id))
    db.session.commit()
    assert not box(page(browser(city.admin), ticket))
    with pytest.raises(Conflict, match="十一月模拟测评"):
        services.unlink_site(city.admin, ticket, now)
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).site_id == rs.site_id


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("given,status,message", [
    ("", 400, "请选择要关联的点位。"),
    ("abc", 400, "点位参数不正确。"),
    ("-1", 400, "点位参数不正确。"),
    ("99999", 422, "所选点位不存在。"),
    ("99999999999999999999", 422, "所选点位不存在。"),
    ("retired", 422, "点位“旧米巷”已停用，不能关联。"),
])
def test_a_bad_site_is_refused_in_chinese_and_changes_nothing(browser, city, make_ticket, sites, given, status,
                                                               message):
    ticket = make_ticket(site_id=sites["market"].id)
    version = ticket.version
    site_id = str(sites["retired"].id) if given == "retired" else given
    response = post(browser(city.admin), ticket, "link_site", site_id=site_id)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and 'id="link_site-error"' in html  # the page again, the box with the reason
    fresh = db.session.get(Ticket, ticket.id)
    assert fresh.site_id == sites["market"].id and fresh.version == version and not site_events(ticket.id)


def test_the_forms_need_their_csrf_token(browser, city, make_ticket, sites):
    ticket = make_ticket()
    admin = browser(city.admin)
    html = box(page(admin, ticket))
    assert len(re.findall(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrf_token"', html)) == 1
    response = admin.post(f"/tickets/{ticket.id}/link_site", data={"site_id": sites["lane"].id})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    post(admin, ticket, "link_site", site_id=sites["lane"].id)
    assert len(re.findall(r'name="csrf_token"', box(page(admin, ticket)))) == 2  # unlink and change
    assert admin.post(f"/tickets/{ticket.id}/unlink_site").status_code == 400
    assert db.session.get(Ticket, ticket.id).site_id == sites["lane"].id


def test_the_api_has_no_call_to_change_a_ticket_site(api, city, make_ticket, sites):
    ticket = make_ticket()
    for action in ("link_site", "unlink_site"):
        response = api.post(f"/api/v1/tickets/{ticket.id}/{action}", city.admin, json={"site_id": sites["lane"].id})
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_action"
    assert db.session.get(Ticket, ticket.id).site_id is None


# ----------------------------------------------------------------------------- the filing page

def test_the_filing_page_takes_a_site_from_its_address_and_the_report_carries_it(browser, city, sites):
    inspector = browser(city.inspector)
    site = sites["lane"]
    html = inspector.get(f"/tickets/new?site_id={site.id}").get_data(as_text=True)
    assert f'<input type="hidden" name="site_id" value="{site.id}">' in html
    assert "点位：<b>青石巷</b>" in html and '<a href="/tickets/new">不关联点位</a>' in html
    response = inspector.submit(f"/tickets/new?site_id={site.id}", "/tickets/new", {
        "category": "niupixuan", "site_id": str(site.id), "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
        "idempotency_key": "k" * 32, "photos": file_tuple("orientation_landscape_3.jpg")}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(db.select(Ticket).order_by(Ticket.id.desc()))
    assert ticket.site_id == site.id
    filed = inspector.get(response.location).get_data(as_text=True)
    assert "青石巷" in filed and f'href="/tickets/new?site_id={site.id}"' in filed  # 继续在此点位上报


@pytest.mark.parametrize("given", ["abc", "99999", "99999999999999999999", "", "retired"])
def test_a_bad_site_in_the_filing_address_is_ignored(browser, city, sites, given):
    site_id = str(sites["retired"].id) if given == "retired" else given
    response = browser(city.inspector).get(f"/tickets/new?site_id={site_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="site_id"' not in html and "点位：" not in html


def test_an_inspector_finds_the_link_on_a_drawn_site(browser, city, sites, now):
    from inspect_app.assessment import checklist
    from inspect_app.assessment import services as rounds
    from inspect_app.assessment.models import RoundSite

    checklist.create_version([{"code": "BJ-01", "kind": sites["lane"].kind, "text": "无乱堆乱放", "points": 2.0,
                               "answerable_by": "territorial", "deadline": {"hours": 24}, "category": None}], now)
    rnd, _ = rounds.create_round(city.admin, rounds.RoundInput(
        kind="undercover", name="暗访", per_kind={"背街小巷": 1}, inspector_ids=[city.inspector.id], seed=3), now)
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == rnd.id))
    db.session.commit()
    inspector = browser(city.inspector)
    html = inspector.get(f"/assessment/rounds/{rnd.id}/sites/{rs.site_id}").get_data(as_text=True)
    # the link carries the round's kind: a problem seen on an 暗访 is filed as 暗访, not as 日常督查 (QA)
    link = f"/tickets/new?site_id={rs.site_id}&source=undercover"
    assert f'href="{link.replace("&", "&amp;")}">在此点位上报问题</a>' in html
    filing = inspector.get(link).get_data(as_text=True)
    assert '<option value="undercover" selected>暗访</option>' in filing and "点位：<b>" in filing
    # each item's note is named for a screen reader (its placeholder alone is not a name)
    assert '<input name="note_BJ-01" maxlength="500" placeholder="情况说明（选填）" aria-label="第1项情况说明（选填）">' in html


def test_a_problem_reported_at_a_mock_assessment_site_is_filed_as_the_rounds_kind(browser, city, sites, now):
    """模拟测评 is no 督查方式 of the street (FIELD_SOURCES): the site page's link brought the filing page up with
    日常督查 and no 模拟测评 to choose, so the problem weighed as daily in the rankings and was missed by the lists
    of 模拟测评 findings. The link carries the round's kind, the page offers and keeps it, the report carries it, and
    继续在此点位上报 does too."""
    from inspect_app.assessment import checklist
    from inspect_app.assessment import services as rounds
    from inspect_app.assessment.models import RoundSite

    checklist.create_version([{"code": "BJ-01", "kind": sites["lane"].kind, "text": "无乱堆乱放", "points": 2.0,
                               "answerable_by": "territorial", "deadline": {"hours": 24}, "category": None}], now)
    rnd, _ = rounds.create_round(city.admin, rounds.RoundInput(
        kind="mock_assessment", name="模拟测评", per_kind={"背街小巷": 1}, inspector_ids=[city.inspector.id],
        seed=3), now)
    rs = db.session.scalar(db.select(RoundSite).where(RoundSite.round_id == rnd.id))
    db.session.commit()
    inspector = browser(city.inspector)
    link = f"/tickets/new?site_id={rs.site_id}&source=mock_assessment"
    assert f'href="{link.replace("&", "&amp;")}"' in inspector.get(
        f"/assessment/rounds/{rnd.id}/sites/{rs.site_id}").get_data(as_text=True)
    filing = inspector.get(link).get_data(as_text=True)
    assert '<option value="mock_assessment" selected>模拟测评</option>' in filing
    response = inspector.submit(link, "/tickets/new", {
        "category": "niupixuan", "site_id": str(rs.site_id), "source": "mock_assessment",
        "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "idempotency_key": "m" * 32,
        "photos": file_tuple("orientation_landscape_3.jpg")}, multipart=True)
    assert response.status_code == 303, response.get_data(as_text=True)
    ticket = db.session.scalar(db.select(Ticket).order_by(Ticket.id.desc()))
    assert (ticket.source, ticket.site_id) == ("mock_assessment", rs.site_id)
    filed = inspector.get(response.location).get_data(as_text=True)
    assert f'href="{link.replace("&", "&amp;")}">继续在此点位上报</a>' in filed
