"""The API's ticket reads (list and detail) from Core rows: the same JSON as serialize.ticket_dict, without ORM objects.

A 100-ticket page through the ORM spent most of its CPU building objects (a ticket, its category, unit, segment and
reporter, with identity map and attribute instrumentation) only to read a few attributes of each; a ticket's detail
did the same for its events and photos. Here one SELECT with the joins it needs gives plain rows, turned straight
into dicts (issue 17). The database also writes the times as the API shows them (common.sql.shanghai_iso) and
says which tickets are overdue, so no datetime is built only to be formatted again. Visibility and filters are the
very conditions of queries.filter_shape and policy.ticket_scope; the shapes are serialize.ticket_dict's, and
tests/test_api_rows.py holds the two equal for every status and every optional part, so a field added to one and
not the other fails there.

Writes (filing, actions) still answer through the ORM and ticket_dict: they have just loaded the objects anyway.
"""
from __future__ import annotations

import json
from datetime import datetime
from functools import cache, lru_cache

from flask import current_app, request, url_for
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import True_

from ..auth.models import User
from ..common.errors import NotFound
from ..common.prepared import ByIds, PreparedSelect
from ..common.sql import const, shanghai_iso
from ..common.timeutil import shown_moments
from ..extensions import db
from ..frontages.models import Frontage
from ..photos.models import Photo
from ..policy import LEADERSHIP, has_role
from ..sites.models import Site
from ..units.models import Category, Segment, Unit
from .models import ExtensionRequest, Ticket, TicketEvent, TicketUnit
from ..units.territory import territory_ids
from .policy import ticket_scope, withdrawn_shown
from .queries import TicketFilter, count_statement, filter_condition, filter_shape, on_page, page_params, paged
from .territory import in_territory
from .rules import PART_OWED_TICKET_STATUSES, PART_STATUS_LABELS, SOURCES, STATUS_LABELS, overdue_condition
from .serialize import extension_request_dict, withdraw_request_dict

_Reporter = aliased(User, name="reporter")
_Actor = aliased(User, name="actor")
_Lead = aliased(TicketUnit, name="lead_part")
_Assist = aliased(TicketUnit, name="assist_part")
_PartUnit = aliased(Unit, name="part_unit")
_OpenExtension = aliased(ExtensionRequest, name="open_extension")


def _late(part):
    """rules.is_part_overdue but for the ticket's status (added in Python), at the request's clock ("now")."""
    return (part.status == const("open")) & (part.deadline < bindparam("now"))


TICKET_COLUMNS = (
    Ticket.id, Ticket.number, Ticket.status,
    Category.id.label("category_id"), Category.code.label("category_code"), Category.name.label("category_name"),
    Unit.id.label("unit_id"), Unit.name.label("unit_name"),
    Segment.id.label("segment_id"), Segment.name.label("segment_name"),
    Ticket.description, Ticket.address, Ticket.lat, Ticket.lon,
    _Reporter.username.label("reporter"),
    shanghai_iso(Ticket.reported_at).label("reported_at"), shanghai_iso(Ticket.deadline).label("deadline"),
    Ticket.escalation_level, Ticket.rework_count, shanghai_iso(Ticket.closed_at).label("closed_at"),
    Ticket.source, Site.id.label("site_id"), Site.name.label("site_name"),
    Frontage.id.label("frontage_id"), Frontage.name.label("frontage_name"),
    # rules.is_overdue at the request's clock (the "now" parameter)
    overdue_condition(bindparam("now")).label("overdue"),
    # The lead part (主办; at most one per ticket, uq_ticket_units_one_lead) joined with its ticket, and whether
    # assisting parts (协办) exist: most tickets have none, and then no second query is needed for their `units`.
    _Lead.unit_id.label("lead_unit_id"), _Lead.status.label("lead_status"),
    shanghai_iso(_Lead.deadline).label("lead_deadline"), shanghai_iso(_Lead.rectified_at).label("lead_rectified_at"),
    _late(_Lead).label("lead_late"),
    # the lead's open request for more time (at most one per ticket: uq_extension_requests_one_open)
    shanghai_iso(_OpenExtension.until).label("extension_until"), _OpenExtension.reason.label("extension_reason"),
    shanghai_iso(_OpenExtension.requested_at).label("extension_requested_at"),
    select(_Assist.id).where(_Assist.ticket_id == Ticket.id, _Assist.role == const("assist")).exists()
    .label("assisted"),
    Ticket.version,
)
_JOINED = (Ticket.__table__
           .join(Category.__table__, Category.id == Ticket.category_id)
           .outerjoin(Unit.__table__, Unit.id == Ticket.unit_id)
           .outerjoin(Segment.__table__, Segment.id == Ticket.segment_id)
           .outerjoin(_Reporter, _Reporter.id == Ticket.reporter_id)
           .outerjoin(Site.__table__, Site.id == Ticket.site_id)
           .outerjoin(Frontage.__table__, Frontage.id == Ticket.frontage_id)
           .outerjoin(_Lead, (_Lead.ticket_id == Ticket.id) & (_Lead.role == const("lead")))
           .outerjoin(_OpenExtension,
                      (_OpenExtension.ticket_id == Ticket.id) & (_OpenExtension.status == const("open"))))
# The assisting units of tickets, in the order of Ticket.parts (after the lead).
ASSISTS = (select(TicketUnit.ticket_id, _PartUnit.id, _PartUnit.name, TicketUnit.status,
                  shanghai_iso(TicketUnit.deadline), shanghai_iso(TicketUnit.rectified_at), TicketUnit.escalation_level,
                  _late(TicketUnit),
                  # its open requests (申请延期, 申请退出协办): parts.request_part_extension, parts.request_withdraw
                  shanghai_iso(TicketUnit.extension_until), TicketUnit.extension_reason,
                  shanghai_iso(TicketUnit.extension_requested_at), TicketUnit.extension_decided_at.is_(None),
                  TicketUnit.withdraw_reason, shanghai_iso(TicketUnit.withdraw_requested_at),
                  TicketUnit.withdraw_decided_at.is_(None))
           .join(_PartUnit, _PartUnit.id == TicketUnit.unit_id)
           .where(TicketUnit.ticket_id.in_(bindparam("ticket_ids", expanding=True)), TicketUnit.role == const("assist"))
           .order_by(TicketUnit.ticket_id, TicketUnit.id))


def _part(unit_id, unit_name, role, status, deadline, rectified_at, level, late, ticket_status,
          extension=None, withdraw=None) -> dict:
    """serialize.part_dict."""
    return {"id": unit_id, "name": unit_name, "role": role, "status": status,
            "status_label": PART_STATUS_LABELS.get(status, status), "deadline": deadline,
            "overdue": bool(late) and ticket_status in PART_OWED_TICKET_STATUSES,
            "rectified_at": rectified_at, "escalation_level": level or 0,
            "extension_request": extension, "withdraw_request": withdraw}


def _assists(rows, now: datetime) -> dict[int, list[dict]]:
    """The assisting parts of these rows' tickets (those that have any), by ticket id: one query, or none."""
    statuses = {row.id: row.status for row in rows if row.assisted}
    result: dict[int, list[dict]] = {}
    if statuses:
        for (ticket_id, unit_id, unit_name, status, deadline, rectified_at, level, late, extension_until,
             extension_reason, extension_requested_at, extension_open, withdraw_reason, withdraw_requested_at,
             withdraw_open) in db.session.connection().execute(ASSISTS, {"ticket_ids": list(statuses), "now": now}):
            extension = withdraw = None
            if extension_requested_at is not None and extension_open:
                extension = extension_request_dict(extension_until, extension_reason, extension_requested_at)
            if withdraw_requested_at is not None and withdraw_open:
                withdraw = withdraw_request_dict(withdraw_reason, withdraw_requested_at)
            result.setdefault(ticket_id, []).append(
                _part(unit_id, unit_name, "assist", status, deadline, rectified_at, level, late, statuses[ticket_id],
                      extension, withdraw))
    return result


def ticket_row_dict(row, assists: list[dict]) -> dict:
    """serialize.ticket_dict for a row of TICKET_COLUMNS and its assisting parts (_assists)."""
    (id_, number, status, category_id, category_code, category_name, unit_id, unit_name, segment_id, segment_name,
     description, address, lat, lon, reporter, reported_at, deadline, escalation_level, rework_count, closed_at,
     source, site_id, site_name, frontage_id, frontage_name, overdue,
     lead_unit_id, lead_status, lead_deadline, lead_rectified_at, lead_late,
     extension_until, extension_reason, extension_requested_at, _assisted, version) = row
    units = assists
    if lead_unit_id is not None:
        # The lead part's unit is the ticket's (parts.set_lead keeps them one); its name is already in the row.
        lead_name = unit_name if lead_unit_id == unit_id else db.session.get(Unit, lead_unit_id).name
        units = [_part(lead_unit_id, lead_name, "lead", lead_status, lead_deadline, lead_rectified_at,
                       escalation_level, lead_late, status,
                       extension_request_dict(extension_until, extension_reason, extension_requested_at)), *assists]
    return {
        "id": id_,
        "number": number,
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "category": {"id": category_id, "code": category_code, "name": category_name},
        "unit": {"id": unit_id, "name": unit_name} if unit_id is not None else None,
        "segment": {"id": segment_id, "name": segment_name} if segment_id is not None else None,
        "description": description,
        "address": address,
        "lat": lat,
        "lon": lon,
        "reported_by": reporter,
        "reported_at": reported_at,
        "deadline": deadline,
        "overdue": bool(overdue),
        "escalation_level": escalation_level,
        "rework_count": rework_count,
        "closed_at": closed_at,
        "source": source,
        "source_label": SOURCES.get(source, source),
        "site": {"id": site_id, "name": site_name} if site_id else None,
        "units": units,
        "frontage": {"id": frontage_id, "name": frontage_name} if frontage_id else None,
        "version": version,
    }


def _core():
    """The session's connection (its transaction): statements of plain columns run as Core, skipping the ORM's
    per-statement setup and per-row processing, which is most of their cost."""
    return db.session.connection()


def list_page(user, flt: TicketFilter, now: datetime) -> tuple[list[dict], int]:
    """One page of the filtered list (newest first) as API dicts, and the total: queries.list_tickets's rows.

    The filters choose the page's ids with two small statements (count, ids), built once per filter shape; the
    page's rows then come from one statement built once (_PAGE_ROWS): SQLAlchemy finds a statement's compiled SQL
    by walking it for a cache key, and walking the 26 joined columns anew on every request cost more than running
    them. The ids are fetched first rather than picked by a subquery of the rows' statement: PostgreSQL planned
    that one statement badly at 1 M tickets (2.3 s instead of 7 ms)."""
    shape, params = filter_shape(user, flt, now)
    count_query, ids_query = _list_statements(shape)
    connection = _core()
    total = count_query.scalar(connection, params)
    ids = ids_query.scalars(connection, params | page_params(flt)) if on_page(flt, total) else []
    if not ids:
        return [], total
    rows = _PAGE_ROWS.all(connection, ids, {"now": now})
    assists = _assists(rows, now)
    return [ticket_row_dict(row, assists.get(row.id, [])) for row in rows], total


@lru_cache(maxsize=256)
def _list_statements(shape: tuple[str, ...]) -> tuple[PreparedSelect, PreparedSelect]:
    """The count and the page's ids of a filter shape, run on the driver's cursor (common.prepared) unless the
    shape's SQL depends on its values (a campaign's districts)."""
    return (PreparedSelect(count_statement(shape), dynamic="sqlalchemy"),
            PreparedSelect(paged(select(Ticket.id).where(filter_condition(shape))), dynamic="sqlalchemy"))


# A page's rows are read by one statement of fixed SQL per page size (common.prepared.ByIds): compiled once and run
# on the driver's cursor. An expanding IN of the ids was rendered anew on every request; with the count and the ids
# also on the cursor, a page of 100 costs 2.3 ms of CPU in list_page instead of 2.9 (SQLite, 10,000 tickets,
# interleaved in one process).
_PAGE_ROWS = ByIds(select(*TICKET_COLUMNS).select_from(_JOINED).order_by(Ticket.id.desc()), Ticket.id)


@cache
def _statements() -> tuple[PreparedSelect, PreparedSelect, PreparedSelect]:
    """The detail's three statements, built and compiled once: they run on the driver's cursor (common.prepared),
    which costs two fifths of SQLAlchemy's execution of the same SQL."""
    ticket = select(*TICKET_COLUMNS).select_from(_JOINED).where(Ticket.id == bindparam("ticket_id"))
    events = (select(TicketEvent.id, shanghai_iso(TicketEvent.at).label("at"), _Actor.username.label("actor"),
                     TicketEvent.action,
                     TicketEvent.from_status, TicketEvent.to_status, TicketEvent.note, TicketEvent.data_json)
              .select_from(TicketEvent).outerjoin(_Actor, _Actor.id == TicketEvent.actor_id)
              .where(TicketEvent.ticket_id == bindparam("ticket_id")).order_by(TicketEvent.id))
    # The ticket's photos and its events' photos (the same ones: a photo is filed with its ticket's event).
    photos = (select(Photo.id, Photo.ticket_id, Photo.event_id, Photo.kind, Photo.width, Photo.height, Photo.lat,
                     Photo.lon, shanghai_iso(Photo.taken_at).label("taken_at"))
              .where(or_(Photo.ticket_id == bindparam("ticket_id"),
                         Photo.event_id.in_(select(TicketEvent.id)
                                            .where(TicketEvent.ticket_id == bindparam("ticket_id")))))
              .order_by(Photo.id))
    return PreparedSelect(ticket), PreparedSelect(events), PreparedSelect(photos)


@cache
def _territory_ticket():
    """The detail's ticket if it lies in a territory (tickets/territory.py; the ids an expanding parameter), built
    once: built anew with the ids in it, it cost 3.9 ms a read against 1 ms (SQLite, 10,000 tickets, a district of
    57 units)."""
    return _statements()[0].statement.where(in_territory(bindparam("territory", expanding=True)))


def detail(user, ticket_id: int, now: datetime, scoped: bool = True) -> dict:
    """The ticket with its events and photos as the API shows it; 404 when absent or hidden from this user.
    `scoped=False`: the answer to the user's own filing, whatever the unit it went to."""
    ticket_query, events_query, photos_query = _statements()
    params = {"ticket_id": ticket_id, "now": now}
    connection = _core()
    scope = ticket_scope(user)
    if scoped and not isinstance(scope, True_):
        # A unit's scope holds its own values: SQLAlchemy's statement cache serves these.
        row = connection.execute(ticket_query.statement.where(scope), params).first()
    else:  # those who see every ticket share the prepared statement
        row = ticket_query.first(connection, params)
    if row is None and scoped and (territory := territory_ids(user)) is not None:
        # not the unit's own: one of its 辖区's (read only), asked only now, so a citywide reader and a unit's own
        # ticket cost nothing more
        row = connection.execute(_territory_ticket(), params | {"territory": sorted(territory)}).first()
    if row is None:
        hidden = (connection.execute(select(Ticket.number).where(Ticket.id == ticket_id)).scalar()
                  if scoped and not isinstance(scope, True_) else None)  # another unit's: a probe, recorded
        raise NotFound("问题不存在或无权查看。", hidden=f"查看其他单位的问题 {hidden}" if hidden else "")
    result = ticket_row_dict(row, _assists([row], now).get(row.id, []))
    events = events_query.all(connection, params)
    photos = photos_query.all(connection, params)
    by_event: dict[int, list[int]] = {}
    for photo in photos:
        if photo.event_id is not None:
            by_event.setdefault(photo.event_id, []).append(photo.id)
    result["events"] = [_event_dict(e, by_event.get(e.id, []), user) for e in events]
    urls = _photo_urls()
    result["photos"] = [_photo_dict(p, *urls) for p in photos if p.ticket_id == ticket_id]
    return result


def _event_dict(event, photo_ids: list[int], user) -> dict:
    try:
        data = json.loads(event.data_json or "{}")
    except ValueError:
        data = {}
    if isinstance(data, dict) and "withdrawn" in data:
        data = _withdrawn_as_shown(user, data)
    return {
        "id": event.id,
        "at": event.at,
        "actor": event.actor if event.actor is not None else "system",
        "action": event.action,
        "from": event.from_status,
        "to": event.to_status,
        "note": event.note,
        "data": shown_moments(data),
        "photo_ids": photo_ids,
    }


def _withdrawn_as_shown(user, data: dict) -> dict:
    """A 作废 event's data as this user may read it: what the office withdrew with the problem (a 督办建议, a draft
    letter) left out for all but the office and the leaders (policy.withdrawn_shown)."""
    if has_role(user, LEADERSHIP):
        return data
    shown = withdrawn_shown(user, data)
    kept = {key: value for key, value in data.items() if key not in ("withdrawn", "withdrawn_office")}
    return {**kept, "withdrawn": shown} if shown else kept


def _photo_urls() -> tuple[tuple[str, str], tuple[str, str]]:
    """The photo and thumbnail URLs as (before, after) the id, made once per app and mount point."""
    known = current_app.extensions.setdefault("ticket_photo_urls", {})
    urls = known.get(request.script_root)
    if urls is None:
        urls = known[request.script_root] = _make_photo_urls()
    return urls


def _make_photo_urls() -> tuple[tuple[str, str], tuple[str, str]]:
    mark = "2147483647"
    file_url = url_for("api_tickets.photo_file", photo_id=int(mark)).partition(mark)
    thumb_url = url_for("api_tickets.photo_thumb", photo_id=int(mark)).partition(mark)
    return (file_url[0], file_url[2]), (thumb_url[0], thumb_url[2])


def _photo_dict(photo, url: tuple[str, str], thumb_url: tuple[str, str]) -> dict:
    return {
        "id": photo.id,
        "kind": photo.kind,
        "url": f"{url[0]}{photo.id}{url[1]}",
        "thumb_url": f"{thumb_url[0]}{photo.id}{thumb_url[1]}",
        "width": photo.width,
        "height": photo.height,
        "lat": photo.lat,
        "lon": photo.lon,
        "taken_at": photo.taken_at,
    }
