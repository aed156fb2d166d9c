"""The lifecycle table: every allowed move, every refused move, events and counters."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import migrated, processed

from inspect_app.common.errors import BadRequest, Conflict, Forbidden, NotFound
from inspect_app.tickets import lifecycle, queries, services
from inspect_app.tickets.rules import STATUSES


def force_status(ticket, status):
    """Put a ticket in a status directly, to test the table from every starting point."""
    from inspect_app.extensions import db
    ticket.status = status
    db.session.commit()
    return ticket


def a_site(city):
    """An active site (点位) of street A, for the site actions."""
    from inspect_app.extensions import db
    from inspect_app.sites.models import Site, SiteKind
    site = Site(code="BJ-1", name="青石巷", kind=SiteKind(name="背街小巷"), district="江城区",
                territorial_unit=city.street_a)
    db.session.add(site)
    db.session.flush()
    return site


def do(action, city, ticket, now, user=None):
    """Perform an action with sensible inputs as the role that may do it."""
    photos = [processed()]

    def unlink():  # a site to unlink first (refused in the same statuses as unlinking)
        services.link_site(user or city.admin, ticket, now, a_site(city).id)
        return services.unlink_site(user or city.admin, ticket, now)
    performers = {
        "rectify": lambda: services.rectify(user or city.unit_a, ticket, now, "已清理", photos),
        "approve": lambda: services.approve(user or city.inspector, ticket, now, "整改到位"),
        "reject": lambda: services.reject(user or city.inspector, ticket, now, "仍有残留"),
        "dispute": lambda: services.dispute(user or city.unit_a, ticket, now, "不属于本单位路段"),
        "reassign": lambda: services.reassign(user or city.admin, ticket, now, city.street_b.id, "改派"),
        "request_extension": lambda: services.request_extension(user or city.unit_a, ticket, now, workdays=3,
                                                                reason="需协调施工"),
        "decide_extension": lambda: services.decide_extension(user or city.admin, ticket, now, True, "同意"),
        "cancel": lambda: services.cancel(user or city.admin, ticket, now, "重复上报"),
        "link_site": lambda: services.link_site(user or city.admin, ticket, now, a_site(city).id),
        "unlink_site": unlink,
        "dispatch": lambda: lifecycle.transition(ticket, "dispatch", user or lifecycle.SYSTEM, now),
    }
    return performers[action]()


ALL_MOVES = sorted({(s, a) for s in STATUSES for a in lifecycle.ACTIONS})


@pytest.mark.parametrize("status,action", ALL_MOVES)
def test_every_status_action_pair_follows_the_table(city, make_ticket, now, status, action):
    ticket = force_status(make_ticket(), status)
    if action == "decide_extension" and status == "assigned":
        services.request_extension(city.unit_a, ticket, now, workdays=2, reason="需要时间")
    move = lifecycle.TRANSITIONS.get((status, action))
    if move is None:
        with pytest.raises(Conflict):
            do(action, city, ticket, now)
        assert ticket.status == status
    else:
        do(action, city, ticket, now)
        assert ticket.status == (move.to or status)
        assert ticket.events[-1].action == action
        assert ticket.events[-1].from_status == status


def test_full_flow_with_rework(city, make_ticket, now):
    ticket = make_ticket()
    assert ticket.status == "assigned" and ticket.unit_id == city.street_a.id
    services.rectify(city.unit_a, ticket, now + timedelta(hours=1), "已清理", [processed()])
    services.reject(city.inspector, ticket, now + timedelta(hours=2), "仍有残留")
    assert ticket.status == "assigned" and ticket.rework_count == 1
    services.rectify(city.unit_a, ticket, now + timedelta(hours=3), "再次清理", [processed()])
    services.approve(city.inspector2, ticket, now + timedelta(hours=4), "")
    assert ticket.status == "closed" and ticket.closed_at == now + timedelta(hours=4)
    assert [e.action for e in ticket.events] == ["create", "dispatch", "rectify", "reject", "rectify", "approve"]
    assert len(ticket.photos_of("after")) == 2
    assert ticket.events[2].photos and ticket.events[2].photos[0].kind == "after"


def test_roles_are_refused_with_forbidden(city, make_ticket, now):
    ticket = make_ticket()
    with pytest.raises(Forbidden):
        services.rectify(city.inspector, ticket, now, "x", [processed()])
    with pytest.raises(Forbidden):
        services.cancel(city.leader, ticket, now, "x")
    with pytest.raises(Forbidden):
        services.reassign(city.inspector, ticket, now, city.street_b.id, "")


def test_another_units_ticket_is_not_found(city, make_ticket, now):
    ticket = make_ticket()
    with pytest.raises(NotFound):
        services.rectify(city.unit_b, ticket, now, "x", [processed()])
    with pytest.raises(NotFound):
        queries.get_ticket(city.unit_b, ticket.id)


def test_reasons_are_required(city, make_ticket, now):
    ticket = make_ticket()
    with pytest.raises(BadRequest):
        services.dispute(city.unit_a, ticket, now, "  ")
    with pytest.raises(BadRequest):
        services.cancel(city.admin, ticket, now, "")
    with pytest.raises(BadRequest):
        services.rectify(city.unit_a, ticket, now, "done", [])


def test_extension_one_open_request_then_deadline_moves(city, make_ticket, now):
    ticket = make_ticket(category="spider_web")
    old = ticket.deadline
    services.request_extension(city.unit_a, ticket, now, until="2027-01-20", reason="线路迁改")
    with pytest.raises(Conflict):
        services.request_extension(city.unit_a, ticket, now, workdays=2, reason="再延")
    services.decide_extension(city.admin, ticket, now, True, "同意")
    assert ticket.deadline > old and ticket.extension_count == 1
    assert ticket.deadline.isoformat().startswith("2027-01-20T15:59:59")
    with pytest.raises(Conflict):
        services.decide_extension(city.admin, ticket, now, True, "")


def test_extension_refused_keeps_deadline(city, make_ticket, now):
    ticket = make_ticket()
    old = ticket.deadline
    services.request_extension(city.unit_a, ticket, now, workdays=2, reason="需协调")
    services.decide_extension(city.admin, ticket, now, False, "不同意")
    assert ticket.deadline == old and ticket.extension_count == 0


def test_dispute_then_reassign_gives_new_unit_and_deadline(city, make_ticket, now):
    ticket = make_ticket()
    services.dispute(city.unit_a, ticket, now, "非本单位路段")
    later = now + timedelta(days=1)
    services.reassign(city.admin, ticket, later, city.street_b.id, "改派乙街道")
    assert ticket.unit_id == city.street_b.id and ticket.status == "assigned"
    assert ticket.deadline == later + timedelta(hours=24)


def test_a_unit_disputes_once_per_assignment(city, make_ticket, now):
    """The office sends a 退单 back to the same unit: that unit may not dispute again (each refusal would give it a
    fresh deadline); a unit the ticket comes to later, or back to after another unit, may."""
    from inspect_app.tickets.policy import can
    ticket = make_ticket()
    services.dispute(city.unit_a, ticket, now, "非本单位路段")
    services.reassign(city.admin, ticket, now + timedelta(hours=1), city.street_a.id, "经核实属本单位路段")
    assert ticket.status == "assigned" and not can(city.unit_a, "dispute", ticket)
    with pytest.raises(Conflict) as refused:
        services.dispute(city.unit_a, ticket, now + timedelta(hours=2), "再次申请")
    assert refused.value.code == "dispute_turned_down" and "不能再次申请退单" in refused.value.message
    assert ticket.status == "assigned" and sum(e.action == "dispute" for e in ticket.events) == 1
    assert can(city.unit_a, "rectify", ticket)

    services.reassign(city.admin, ticket, now + timedelta(hours=3), city.street_b.id, "改派乙街道")
    assert can(city.unit_b, "dispute", ticket)
    services.dispute(city.unit_b, ticket, now + timedelta(hours=4), "也不是乙街道的")
    services.reassign(city.admin, ticket, now + timedelta(hours=5), city.street_a.id, "交回甲街道")
    assert can(city.unit_a, "dispute", ticket)


def test_no_person_may_dispatch_only_the_system(city, make_ticket, now):
    """Dispatch on filing is the system's move; people reassign (which the office may)."""
    ticket = force_status(make_ticket(), "pending")
    for user in (city.admin, city.inspector, city.unit_a, city.leader):
        with pytest.raises(Forbidden):
            lifecycle.transition(ticket, "dispatch", user, now)
    lifecycle.transition(ticket, "dispatch", lifecycle.SYSTEM, now)
    assert ticket.status == "assigned" and ticket.events[-1].actor_id is None


# ----------------------------------------------------------------------------- found walking the lifecycle (stop 64)

def test_a_request_for_more_time_stays_with_the_unit_that_asked(city, make_ticket, now):
    """改派 to another unit left the old unit's 延期 request open: the new unit read it as its own, could not ask,
    and the office's 同意 moved its deadline to the old unit's date. A 退单 withdraws it too: the office's 延期申请
    listed it with buttons that always failed while the 退单 waited."""
    moved = make_ticket()
    request = services.request_extension(city.unit_a, moved, now, workdays=2, reason="需联系车主")
    services.reassign(city.admin, moved, now + timedelta(hours=1), city.street_b.id, "属乙街道")
    assert request.status == "rejected" and "改派" in request.decision_note
    assert services.open_extension(moved) is None and queries.pending_extensions() == []
    assert json.loads(moved.events[-1].data_json)["extension_dropped"] is True
    services.request_extension(city.unit_b, moved, now + timedelta(hours=2), workdays=1, reason="乙街道自己的")

    disputed = make_ticket()
    asked = services.request_extension(city.unit_a, disputed, now, workdays=2, reason="需协调")
    services.dispute(city.unit_a, disputed, now + timedelta(hours=1), "不属于本单位")
    assert asked.status == "rejected" and "退单" in asked.decision_note
    assert json.loads(disputed.events[-1].data_json)["extension_dropped"] is True
    assert [x.ticket_id for x in queries.pending_extensions()] == [moved.id]  # the office decides only what it can


def test_granting_more_time_never_shortens_the_deadline(city, make_ticket, now):
    """The deadline moved past the date asked for (a 协办 added later moves the lead's): 同意 kept the asked date,
    earlier, and the lead went overdue waiting for the assisting unit."""
    ticket = make_ticket(category="spider_web")
    services.request_extension(city.unit_a, ticket, now, workdays=1, reason="需协调")
    later = ticket.deadline + timedelta(days=5)
    ticket.deadline = later
    services.decide_extension(city.admin, ticket, now, True, "")
    assert ticket.deadline == later and ticket.extension_count == 0
    data = json.loads(ticket.events[-1].data_json)
    assert data["kept"] is True and data["until"] == later.isoformat()


def test_a_new_unit_is_not_charged_the_old_units_rework(city, make_ticket, now):
    """The 红黑榜 counts a problem's 返工 for the unit it is with: one sent back under 甲 and moved to 乙 charged 乙
    with 甲's 返工 (返工 1 次 on its page, in its 返工 figure)."""
    ticket = make_ticket()
    services.rectify(city.unit_a, ticket, now + timedelta(hours=1), "已清理", [processed()])
    services.reject(city.inspector, ticket, now + timedelta(hours=2), "仍有残留")
    assert ticket.rework_count == 1
    services.reassign(city.admin, ticket, now + timedelta(hours=3), city.street_b.id, "属乙街道")
    assert (ticket.rework_count, ticket.extension_count) == (0, 0)
    assert json.loads(ticket.events[-1].data_json)["from_reworks"] == 1
    assert sum(e.action == "reject" for e in ticket.events) == 1  # the history keeps it


def test_the_history_names_a_first_dispatch_and_a_rework_to_the_minute(city, make_ticket, now):
    ticket = force_status(make_ticket(), "pending")
    services.reassign(city.admin, ticket, now, city.street_b.id, "文明办派遣")
    assert lifecycle.event_label(ticket.events[-1]) == "派遣"  # the office's first: not 重新派遣
    services.reassign(city.admin, ticket, now, city.street_a.id, "属甲街道")
    assert lifecycle.event_label(ticket.events[-1]) == "重新派遣"
    # a rework time seconds after the deadline read 返工期限 18:23（原期限 18:23）
    services.rectify(city.unit_a, ticket, now + timedelta(hours=1), "已清理", [processed()])
    ticket.deadline = services.compute_deadline(services.rework_rule(ticket.category), now + timedelta(hours=2)) \
        - timedelta(seconds=20)
    services.reject(city.inspector, ticket, now + timedelta(hours=2), "仍有残留")
    assert "old_deadline" not in json.loads(ticket.events[-1].data_json)


def test_the_migration_closes_requests_of_a_disputed_problem_or_of_a_unit_it_left(empty_db, now):
    """0122: the requests left open before dispute and reassign closed them."""
    from conftest import City
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select, update

    from inspect_app.extensions import db
    from inspect_app.tickets.models import ExtensionRequest, Ticket

    migrated()
    city = City(now)

    def filed_and_asked(point):
        ticket, _ = services.create_ticket(city.inspector, services.NewReport(
            category="niupixuan", photos=[processed()], lat=point[0], lon=point[1]), now)
        unit = city.unit_a if ticket.unit_id == city.street_a.id else city.unit_b
        return ticket.id, services.request_extension(unit, ticket, now, workdays=2, reason="需协调").id

    disputed, moved, kept = filed_and_asked(City.ON_A), filed_and_asked(City.ON_A), filed_and_asked(City.ON_B)
    db.session.commit()
    # as an older release left them: the status and unit changed, the requests open
    db.session.execute(update(Ticket).where(Ticket.id == disputed[0]).values(status="disputed"))
    db.session.execute(update(Ticket).where(Ticket.id == moved[0]).values(unit_id=city.street_b.id))
    db.session.commit()
    db.session.remove()
    downgrade(revision="0121")
    upgrade()
    states = dict(db.session.execute(select(ExtensionRequest.id, ExtensionRequest.status)).all())
    assert (states[disputed[1]], states[moved[1]], states[kept[1]]) == ("rejected", "rejected", "open")
