"""Ticket operations: filing and every move of the lifecycle. Shared by the pages, the API, the demo and the jobs.

Each operation takes the acting user and `now`, checks its rules (visibility, the lifecycle table, its input),
changes rows and flushes; the edge commits (see inspect_app/boundary.py). Status changes go through
lifecycle.transition() only, and a part's (主办/协办, parts.py) through parts.move() only. Actions on one ticket bump its version, so two people acting on the same ticket at
once cannot both succeed: the second gets 409 (the first's change is what they would have overwritten).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import flag_modified

from ..common.errors import BadRequest, Conflict, Forbidden, Invalid, ServiceError
from ..common.geo import distance_to_polyline_m, valid_lat_lon
from ..common.ids import row_id
from ..common.models import lock_sequence, next_value
from ..common.sql import const
from ..common.text import clean_text, text_value
from ..common.timeutil import end_of_local_day, fmt_cn_date, local, shanghai_day
from ..extensions import db
from ..photos.processing import ProcessedPhoto
from ..photos.service import add_photo, add_staged, attach_stored, discard_staged, stage_photo
from ..policy import FILERS
from ..sites.models import Site
from ..sites.services import visible_site
from ..units.models import Category, Segment, Unit
from ..units.services import find_category, nearest_segments
from ..workdays.calendar import add_workdays, compute_deadline
from . import dispatch, duplicates, lifecycle, parts, relapse
from .models import ExtensionRequest, Ticket, TicketEvent
from .photo_checks import refuse_reused_before_photos
from .policy import dispute_turned_down, ensure_lead, ensure_site_changer, ensure_visible
from .queries import open_extension
from .rules import DEFAULT_SOURCE, OPEN_STATUSES, SOURCES, VOIDED_NOTE

MAX_TEXT = 2000
MAX_ADDRESS = 200
SEQUENCE = "ticket"

# Features that took a unit's report back as done and must hear that it was sent back (a 督办函's 销号): each is
# called as follow(user, ticket, reopened parts, now, note) inside reject's transaction. Tickets import none of them.
REWORK_FOLLOWERS: list = []
# Features holding a decision about a ticket that waits for someone (a 督办建议 for the office, a draft letter listing
# it for a leader's 签发) and must withdraw it when the ticket is voided (作废): each is called as
# follow(user, ticket, now) inside cancel's transaction and returns what it withdrew, in the office's words, for the
# 作废 event. What they withdraw is the office's and the leaders' own business (a unit never sees a 督办建议 or a
# draft): the event keeps it apart too (`withdrawn_office`), and policy.withdrawn_shown leaves it out for everyone
# else. Tickets import none of them.
CANCEL_FOLLOWERS: list = []


@dataclass
class NewReport:
    """What an inspector files; built by the web form or the API from their input (tickets/inputs.py)."""

    category: str
    photos: list[ProcessedPhoto]
    photo_meta: list[dict] = field(default_factory=list)
    segment_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    description: str = ""
    idempotency_key: str | None = None
    fingerprint: str | None = None  # what the request said, to tell a retry from a reused key
    source: str = DEFAULT_SOURCE    # rules.SOURCES
    site_id: int | None = None      # an assessment site (点位), shown on the ticket and filterable
    # Set by other features filing on the system's behalf (an assessment round's failed item), never from a
    # request: dispatch to this unit with this deadline rule instead of the category's and the segment's.
    unit: Unit | None = None
    deadline_rule: dict | None = None
    unit_how: str = "按测评项目的责任单位自动派遣"  # the history's dispatch note for `unit`
    unit_ids: list[int] = field(default_factory=list)  # units named at filing (产权 owners): lead first
    frontage_id: int | None = None  # 门前四包: the frontage whose duty it is
    stored_photos: list = field(default_factory=list)  # photos already stored (an outside report's), see attach_stored
    photos_required: bool = True    # outside reports (12345, 领导交办) may come without a photo
    due_by: datetime | None = None  # an outside source's own deadline (12345 办理时限, a superior's 整改时限)
    photo_position: bool = True     # False: a photo's EXIF position is not the problem's (far from the segment named)
    # who named unit_ids when not the reporter at filing: the office accepting or entering an outside report
    units_named_by: str | None = None
    # Set by 回头看 (never from a request): the closed ticket this filing finds back, linked as a 回潮 found by the
    # re-check instead of the filing's own search (relapse.flag), which might name another ticket or none.
    relapse_of: Ticket | None = None


# ----------------------------------------------------------------------------- filing

def find_by_idempotency_key(reporter_id: int, key: str | None) -> Ticket | None:
    if not key:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reporter_id == reporter_id, Ticket.idempotency_key == key))


def replay(reporter, key: str | None, fingerprint: str | None) -> Ticket | None:
    """The ticket an earlier request with this Idempotency-Key made, if any. The same key with a different request
    is refused (422): answering with the first ticket would silently drop the second report."""
    ticket = find_by_idempotency_key(reporter.id, key)
    if ticket is not None:
        refuse_reused_key(ticket.idempotency_fingerprint, fingerprint, "上报")
    return ticket


def refuse_reused_key(stored: str | None, given: str | None, what: str, message=None) -> None:
    """An Idempotency-Key seen before came with a request that says something else (its fingerprint differs from
    the one stored with the first): 422 idempotency_key_reused, as a retry it is not. `what` names the request
    (上报, 测评结果); `message()`, when given, says it in the words of the page that sent it (a person edited a
    form whose first sending arrived, unseen). Nothing is refused when either fingerprint is unknown."""
    if stored and given and stored != given:
        said = message() if message else f"该 Idempotency-Key 已用于另一份不同的{what}，请为新的{what}使用新的键。"
        raise Invalid(said, code="idempotency_key_reused")


def _frontage(frontage_id: int | None):
    if frontage_id is None:
        return None
    from ..frontages.models import Frontage

    frontage = db.session.get(Frontage, frontage_id)
    if frontage is None or not frontage.active:
        raise Invalid("所选门前四包责任商户不存在或已停用。", code="invalid_frontage")
    return frontage


def photo_position(report: NewReport) -> tuple[float | None, float | None]:
    """Where the first photo that knows it was taken (its EXIF, else the page's note of the phone's position)."""
    for photo, meta in zip(report.photos, report.photo_meta or [{}] * len(report.photos)):
        if valid_lat_lon(photo.lat, photo.lon):
            return photo.lat, photo.lon
        if valid_lat_lon(meta.get("lat"), meta.get("lon")):
            return meta["lat"], meta["lon"]
    return None, None


def far_from_segment(segment_id: int | None, lat, lon) -> float | None:
    """How far (metres) a position lies from the segment named, when farther than FAR_FROM_SEGMENTS_M: such a
    position (a photo's, a caller's phone) is somewhere else, and the segment's place stands. None when near, or
    when there is no segment or no position to compare."""
    if segment_id is None or not valid_lat_lon(lat, lon):
        return None
    segment = db.session.get(Segment, segment_id)
    if segment is None or not segment.coords:
        return None
    away = distance_to_polyline_m(lat, lon, segment.coords)
    return away if away > current_app.config["FAR_FROM_SEGMENTS_M"] else None


def _locate_segment(report: NewReport, frontage=None) -> tuple[Segment | None, float | None, float | None]:
    """The segment and the problem's position: the segment named, else the named frontage's (the register ties the
    shop to its segment, where a position a few dozen metres off could pick the crossing road), else the nearest
    within the dispatch radius of the given location, else of the first photo's (EXIF). A given location with no
    segment near (a stale fix, a phone's default) no longer leaves pending a problem whose photo was taken beside
    one: the position that found the segment is the one kept. Without a segment, the given location, else the
    photo's."""
    given = (report.lat, report.lon) if valid_lat_lon(report.lat, report.lon) else (None, None)
    photo = photo_position(report) if report.photo_position else (None, None)
    lat, lon = given if given[0] is not None else photo
    if report.segment_id is not None:
        segment = db.session.get(Segment, report.segment_id)
        if segment is None or not segment.active:
            raise Invalid("所选责任路段不存在或已停用。", code="invalid_segment")
        return segment, lat, lon
    if frontage is not None and frontage.segment is not None and frontage.segment.active:
        return frontage.segment, lat, lon
    for position in dict.fromkeys((given, photo)):  # the photo's is not searched again when it is the given one
        if position[0] is not None:
            found = nearest_segments(*position, radius_m=current_app.config["DISPATCH_RADIUS_M"], limit=1)
            if found:
                return found[0][0], *position
    return None, lat, lon


def _adopting_unit_id(segment: Segment | None) -> int | None:
    """The segment's 包抓 unit as the problem is filed, kept with it (Ticket.adopting_unit_id); a retired one holds
    none, as dispatch and the API have it."""
    adopting = segment.adopting_unit if segment is not None else None
    return adopting.id if adopting is not None and adopting.active else None


def _default_address(segment: Segment | None, frontage) -> str:
    """Where the problem is when the reporter wrote nothing: before the named frontage, else on the segment."""
    if frontage is not None:
        return (f"{frontage.address}（{frontage.name}门前）" if frontage.address else f"{frontage.name}门前")[:MAX_ADDRESS]
    return segment.name if segment else ""


def create_ticket(reporter, report: NewReport, now: datetime) -> tuple[Ticket, bool]:
    """File a report and dispatch it. Returns (ticket, created); a repeated idempotency key returns the ticket
    made the first time and creates nothing (422 if the key came with a different report)."""
    if reporter.role not in FILERS:
        raise Forbidden("只有督查员和文明办可以上报问题。")
    category = find_category(report.category)
    if category is None:
        raise Invalid("请选择有效的问题类别。", code="invalid_category")
    if not report.photos and not report.stored_photos and report.photos_required:
        raise BadRequest("请至少上传一张照片。", code="photos_required")
    if report.source not in SOURCES:
        raise BadRequest("问题来源不正确。", code="invalid_source")
    description = clean_text(report.description, "问题描述", MAX_TEXT, multiline=True)
    address = clean_text(report.address, "地址", MAX_ADDRESS)
    site = db.session.get(Site, report.site_id) if report.site_id is not None else None
    if report.site_id is not None and site is None:
        raise Invalid("所选点位不存在。", code="invalid_site")
    picked = dispatch.picked_units(reporter, category, report.unit_ids)
    frontage = _frontage(report.frontage_id)
    if frontage is not None and category.route != "frontage":
        raise Invalid(f"“{category.name}”不是门前四包类问题，不能指定责任商户。", code="frontage_not_allowed")
    segment, lat, lon = _locate_segment(report, frontage)
    if report.unit is not None and report.unit.active:  # filed by another feature for a unit it names
        route = dispatch.Route(report.unit, [], report.unit_how)
    else:
        route = dispatch.route_for(category, segment, frontage, picked, site, report.units_named_by)

    year = local(now).year
    ticket = Ticket(year=year, status="pending", category=category, segment=segment, description=description,
                    adopting_unit_id=_adopting_unit_id(segment),
                    address=address or _default_address(segment, frontage), lat=lat, lon=lon,
                    reporter_id=reporter.id, reported_at=now, source=report.source, site_id=report.site_id,
                    due_by=report.due_by,
                    frontage=frontage, parts=[],  # a new ticket has no parts yet: no query to learn it
                    idempotency_key=report.idempotency_key,
                    idempotency_fingerprint=report.fingerprint if report.idempotency_key else None)
    # Everything that does not need the number is built first, unflushed: from the number to the commit, every
    # other filing waits (the counter's row lock; SQLite's write lock), so that stretch holds only the numbering,
    # the first line of each photo's stamp (it shows the number) with its file, the INSERTs and the commit.
    with db.session.no_autoflush:
        db.session.add(ticket)
        event = lifecycle.record(ticket, "create", reporter.id, now, note=description, to_status="pending")
        if route.lead is not None:
            _assign(ticket, route.lead, now, lifecycle.SYSTEM, "dispatch", route.how, report.deadline_rule)
            for unit in route.assists:
                parts.add_assist(ticket, unit, now, lifecycle.SYSTEM, note=route.named)
        # 回潮: the same problem where one was just closed (tickets/relapse.py), or the one a 回头看 found back
        relapsed = (relapse.link(ticket, report.relapse_of, now, found_by="recheck") if report.relapse_of is not None
                    else relapse.flag(ticket, now))
        # The photos' files and all of their stamps but the number, before the number too.
        metas = report.photo_meta or [{}] * len(report.photos)
        staged = [stage_photo(ticket, photo, "before", now, meta=meta, by=f"{reporter.name} 上报")
                  for photo, meta in zip(report.photos, metas)]
        if report.idempotency_key:
            # A retry racing its twin waits here for the twin's commit, then finds its ticket.
            lock_sequence(SEQUENCE, year)
            try:
                existing = replay(reporter, report.idempotency_key, report.fingerprint)
            except ServiceError:  # the key came with another report (422): the caller's transaction goes on clean
                _discard(ticket, relapsed, staged)
                raise
            if existing is not None:
                _discard(ticket, relapsed, staged)
                return existing, False
        ticket.seq = next_value(SEQUENCE, year)
        ticket.number = f"{year}-{ticket.seq:06d}"
        for photo in staged:
            add_staged(ticket, photo, event=event)
        for stored in report.stored_photos:
            attach_stored(ticket, stored, "before", now, event=event)
    db.session.flush()
    return ticket, True


def _discard(ticket: Ticket, relapsed, staged) -> None:
    """Drop a filing built but never flushed (its twin got there first, or its key came with another report): the
    ticket with its events and parts (cascaded), its relapse link, and its staged photos' files."""
    db.session.expunge(ticket)
    if relapsed is not None:
        db.session.expunge(relapsed)
    discard_staged(staged)


def _assign(ticket: Ticket, unit: Unit, now: datetime, actor, action: str, note: str,
            deadline_rule: dict | None = None, data: dict | None = None) -> None:
    """Dispatch (the system, on filing) or reassign (the office): the unit gets a fresh deadline and the lead
    part (parts.set_lead). Another unit also starts at escalation level 0 in a new assignment: it answers for its
    own lateness, never for the old unit's (whose letters stay with the ticket's events and the letters' items).
    `ticket.due_by`, an outside source's own time limit, caps the rule's deadline while it is still ahead (on a
    reassignment too: the 12345 case's 办理时限 binds whichever unit has it). Its 返工 and 延期 counts start again
    too: the 红黑榜 charges a problem's counts to the unit it is with, and the old unit's 返工 is not the new one's
    (the ticket's events keep them all)."""
    data = {"unit_id": unit.id, "unit": unit.name, **(data or {})}
    if ticket.unit_id is not None and ticket.unit_id != unit.id:
        data["from_unit_id"] = ticket.unit_id
        if ticket.escalation_level:
            data["from_level"] = ticket.escalation_level
        if ticket.rework_count:
            data["from_reworks"] = ticket.rework_count
        ticket.assignment = (ticket.assignment or 1) + 1
        ticket.escalation_level = 0
        # written even when it read 0: a 签发 or a sweep raises the level without moving the version, and one that
        # committed after this request read the ticket left the new unit at the old unit's level
        flag_modified(ticket, "escalation_level")
        ticket.rework_count = ticket.extension_count = 0
    lifecycle.transition(ticket, action, actor, now, note=note, data=data)
    ticket.unit = unit
    ticket.assigned_at = now
    ticket.deadline = compute_deadline(deadline_rule or ticket.category.deadline_rule, now)
    if ticket.due_by is not None and now < ticket.due_by < ticket.deadline:
        ticket.deadline = ticket.due_by
    parts.set_lead(ticket, unit, now)


def bind_due_by(ticket: Ticket, due_by: datetime | None, now: datetime) -> datetime | None:
    """An outside case with its own time limit (a 12345 case's 办理时限) joins the ticket (并案): the ticket keeps the
    earliest limit still ahead (`due_by`, which caps a later dispatch as on filing; one already past caps nothing,
    so it never replaces one still ahead), and while a unit owes action its deadline, the lead's and the assisting
    units' move up to the limit when it is still ahead and earlier. Returns the new deadline when it moved."""
    if due_by is None:
        return None
    kept = ticket.due_by
    if kept is None or now < due_by < kept or kept <= now < due_by:
        ticket.due_by = due_by
    if ticket.status not in OPEN_STATUSES or ticket.deadline is None or not now < due_by < ticket.deadline:
        return None
    ticket.deadline = due_by
    parts.follow_deadline(ticket)
    for part in ticket.assist_parts:
        if part.status == "open" and part.deadline is not None and part.deadline > due_by:
            part.deadline = due_by
    _touch(ticket)
    return due_by


# ----------------------------------------------------------------------------- actions

def _note(value, required: bool, what: str) -> str:
    value = clean_text(value, what, MAX_TEXT, multiline=True)
    if required and not value:
        raise BadRequest(f"请填写{what}。", code="note_required")
    return value


def _touch(ticket: Ticket) -> None:
    """Make the flush UPDATE the ticket (and check its version) even when no column of it changed."""
    flag_modified(ticket, "status")


def who_rectified(user) -> str:
    """The unit and the account for an after-photo's stamp; once only when one name holds the other (a unit's
    account is often named after the unit: "市环境卫生管理处", not "市环境卫生管理处 市环境卫生管理处")."""
    unit = (user.unit.name if getattr(user, "unit", None) else "").strip()
    name = (user.name or "").strip()
    if not unit or unit in name:
        return name
    if name in unit:
        return unit
    return f"{unit} {name}"


def rectify(user, ticket: Ticket, now: datetime, note: str | None, photos: list[ProcessedPhoto],
            photo_meta: list[dict] | None = None) -> Ticket:
    """The lead unit reports the whole ticket rectified (refused while an assisting part is still open)."""
    ensure_lead(user, ticket)
    lifecycle.check(ticket, "rectify", user.role)
    note = _note(note, False, "整改说明")
    if not photos:
        raise BadRequest("请上传整改后的照片。", code="photos_required")
    refuse_reused_before_photos(ticket, photos)
    # done after all: its request for more time is moot (left open it stayed in the office's 延期申请 for good,
    # undecidable, and came back as waiting after a 返工, the unit unable to ask again). Read before any change: a
    # query's autoflush would write the unit's part ahead of the ticket's version check, and a concurrent 作废
    # (ticket, then parts) deadlocked against it on PostgreSQL instead of one of them answering 409.
    moot = open_extension(ticket)
    lead = parts.lead_reported(ticket, now, note)
    event = lifecycle.transition(ticket, "rectify", user, now, note=note,
                                 data={"extension_dropped": True} if moot is not None else None)
    _close_extension(moot, user, now, "单位已报送整改，延期申请随之撤回")
    ticket.rectified_at = now
    for photo, meta in zip(photos, photo_meta or [{}] * len(photos)):
        add_photo(ticket, photo, "after", now, event=event, meta=meta, part=lead,
                  by=f"{who_rectified(user)} 整改".strip())
    db.session.flush()
    return ticket


def approve(user, ticket: Ticket, now: datetime, note: str | None) -> Ticket:
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "approve", user.role)
    note = _note(note, False, "核查意见")
    lifecycle.transition(ticket, "approve", user, now, note=note)
    ticket.closed_at = now
    parts.ticket_closed(ticket)
    db.session.flush()
    return ticket


def rework_rule(category: Category) -> dict:
    """How long a unit gets to redo a rectification sent back: the category's own rule, else the setting."""
    own = category.own_rework_rule if category is not None else None
    if own:
        return own
    config = current_app.config
    if config["REWORK_DEADLINE_WORKDAYS"]:
        return {"workdays": int(config["REWORK_DEADLINE_WORKDAYS"])}
    return {"hours": int(config["REWORK_DEADLINE_HOURS"])}


def reject(user, ticket: Ticket, now: datetime, note: str | None, reopen_unit_ids=()) -> Ticket:
    """Send back for rework. The new deadline is the later of the original one and the rework time from now: a
    verification that came late never makes the unit overdue the moment the ticket returns, and a quick one never
    shortens the original time. A rectification reported after its deadline keeps that deadline: the problem was
    超期 and is still not put right, and a fresh rework time would take its lateness out of the period it fell due in
    (the 红黑榜 counted a unit ten days late as 按期 once the rework was done in time). The lead's part opens again,
    and so does each assisting unit's named in `reopen_unit_ids`; a reopened part gets the rework time too, unless
    it had reported late."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "reject", user.role)
    note = _note(note, True, "返工原因")
    rework = compute_deadline(rework_rule(ticket.category), now)  # reads the calendar: before any change
    late = _rectified_late(ticket)
    deadline = ticket.deadline if late else rework if ticket.deadline is None else max(ticket.deadline, rework)
    late_parts = {part.id for part in ticket.assist_parts if _rectified_late(part)}
    reopened = parts.ticket_rejected(ticket, dispatch.parse_unit_ids(reopen_unit_ids or ()))
    data = {"deadline": deadline.isoformat()}
    if late:
        data["late"] = True
    if ticket.deadline is not None and deadline - ticket.deadline >= timedelta(minutes=1):  # as shown, to the minute
        data["old_deadline"] = ticket.deadline.isoformat()
    assists = [p.unit.name for p in reopened if p.role == "assist"]
    if assists:
        data["reopened_units"] = assists
    lifecycle.transition(ticket, "reject", user, now, note=note, data=data)
    ticket.deadline = deadline
    parts.follow_deadline(ticket)
    for part in reopened:
        if part.role == "assist" and part.id not in late_parts:
            part.deadline = rework if part.deadline is None else max(part.deadline, rework)
    ticket.rework_count = (ticket.rework_count or 0) + 1
    ticket.rectified_at = None
    for follow in REWORK_FOLLOWERS:
        follow(user, ticket, reopened, now, note)
    db.session.flush()
    return ticket


def _rectified_late(row) -> bool:
    """A ticket (or a unit's part) reported rectified after its deadline."""
    return row.deadline is not None and row.rectified_at is not None and row.rectified_at > row.deadline


def dispute(user, ticket: Ticket, now: datetime, reason: str | None) -> Ticket:
    ensure_lead(user, ticket)
    lifecycle.check(ticket, "dispute", user.role)
    if dispute_turned_down(ticket):
        raise Conflict("文明办已审核过本单位对该问题的退单申请并退回本单位整改，不能再次申请退单；"
                       "如有新的情况，请与文明办联系。", code="dispute_turned_down")
    reason = _note(reason, True, "退单理由")
    # a unit saying the problem is not its own no longer asks for more time to fix it: left open, the request sat in
    # the office's 延期申请 undecidable (a 退单 waits) until the 退单 was decided. Read before any change.
    moot = open_extension(ticket)
    data = {"assignment": ticket.assignment or 1}
    if moot is not None:
        data["extension_dropped"] = True
    lifecycle.transition(ticket, "dispute", user, now, note=reason, data=data)
    _close_extension(moot, user, now, "单位已申请退单，延期申请随之撤回")
    db.session.flush()
    return ticket


def reassign(user, ticket: Ticket, now: datetime, unit_id, note: str | None) -> Ticket:
    """The office dispatches a pending ticket, or moves it to another unit with a fresh deadline; a disputed one
    returned to its unit (退单 turned down) keeps the time it had left."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "reassign", user.role)
    ident = row_id(unit_id)
    if ident is None:
        raise BadRequest("请选择责任单位。", code="invalid_unit")
    unit = db.session.get(Unit, ident)
    if unit is None or not unit.active:
        raise Invalid("责任单位不存在或已停用。", code="invalid_unit")
    if ticket.status == "assigned" and unit.id == ticket.unit_id:
        # the same unit again would give it a fresh deadline: its 超期 and 督办 gone, without an extension's trace
        raise Invalid(f"该问题已由{unit.name}整改中。重新派遣给同一单位会重新计算整改期限；如需更多时间，"
                      "请由该单位申请延期、文明办审批。", code="same_unit")
    note = _note(note, False, "派遣说明")
    was_disputed = ticket.status == "disputed"
    kept, disputed_at = ticket.deadline, None
    if was_disputed and unit.id == ticket.unit_id:
        disputed_at = db.session.scalar(select(func.max(TicketEvent.at)).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "dispute"))
    # a request for more time is the unit's that asked: moved to another unit, the new one was shown it as its own
    # and could not ask (nor the office approve but to the old unit's date). Read before any change (rectify's note)
    moved = unit.id != ticket.unit_id
    moot = open_extension(ticket) if was_disputed or moved else None
    _assign(ticket, unit, now, user, "reassign", note, data={"extension_dropped": True} if moot else None)
    if kept is not None and disputed_at is not None:
        # 退单 turned down, the problem back with the unit that asked: the time the office took to decide is not
        # the unit's, so it gets back the time it had left when it asked; one that asked when already late stays
        # late (a fresh deadline took away its 超期 and held back the next 督办 step: a 退单 was a way to reset them)
        left = kept - disputed_at
        ticket.deadline = kept if left <= timedelta(0) else max(kept, now + left)
        if ticket.due_by is not None and now < ticket.due_by < ticket.deadline:
            ticket.deadline = ticket.due_by
        parts.follow_deadline(ticket)
    _close_extension(moot, user, now, "问题已改派其他单位，延期申请随之关闭" if moved else "因重新派遣关闭")
    db.session.flush()
    return ticket


def _close_extension(request: ExtensionRequest | None, user, now: datetime, note: str) -> None:
    if request is not None:
        request.status, request.decided_by, request.decided_at, request.decision_note = "rejected", user.id, now, note


MAX_EXTENSION_WORKDAYS = 60  # an extension reaches at most this far past the current deadline (or now)


def extension_deadline(current: datetime | None, now: datetime, until, workdays) -> datetime:
    """The deadline asked for: `until` (a day, its end: YYYY-MM-DD, or a whole ISO date and time, whose Shanghai
    day counts; other text 400 invalid_until, a number 400 invalid_text) or `workdays` working days (the holiday
    calendar's) counted from the current deadline, or from now when it has passed already. It must be later than
    both (422 invalid_until). The lead's request (for the ticket) and an assisting unit's (for its part, parts.py)
    alike."""
    base = max(current or now, now)
    until = until.strip() if isinstance(until, str) else until
    if workdays not in (None, "") and until not in (None, ""):
        raise BadRequest("延期到的日期和延期工作日数只能填写一项。", code="until_or_workdays")
    if workdays not in (None, ""):
        try:  # 1.5 and true are not a number of days (int() read them as 1); "3" from a form is
            if isinstance(workdays, (bool, float)):
                raise ValueError
            days = int(str(workdays).strip())
        except (TypeError, ValueError, OverflowError):
            raise BadRequest("延期工作日数应为整数。", code="invalid_workdays") from None
        if not 1 <= days <= MAX_EXTENSION_WORKDAYS:
            raise Invalid(f"延期工作日数应在 1 到 {MAX_EXTENSION_WORKDAYS} 之间。", code="invalid_workdays")
        asked = add_workdays(base, days)
    elif until not in (None, ""):
        try:  # "2026-12-18 is fine" was read as its first ten characters, an offset was dropped, 20261220 taken
            day = shanghai_day(text_value(until, "延期日期"))
        except (ValueError, OverflowError):
            raise BadRequest("延期日期格式应为 YYYY-MM-DD（或带时区的完整时间，按北京时间取日期）。",
                             code="invalid_until") from None
        asked = end_of_local_day(day)
    else:
        raise BadRequest("请填写延期到的日期或工作日数。", code="until_required")
    if asked <= base:
        raise Invalid("延期后的期限必须晚于当前期限。", code="invalid_until")
    furthest = end_of_local_day(local(add_workdays(base, MAX_EXTENSION_WORKDAYS)).date())
    if asked > furthest:  # as far as the working days' box reaches (a date in 2099 was taken)
        raise Invalid(f"延期最多{MAX_EXTENSION_WORKDAYS}个工作日，即不晚于{fmt_cn_date(local(furthest).date())}。",
                      code="invalid_until")
    return asked


def request_extension(user, ticket: Ticket, now: datetime, until: str | None = None, workdays=None,
                      reason: str | None = None) -> ExtensionRequest:
    """One open request per ticket: checked here, enforced by a unique index, and the ticket's version makes two
    requests sent at once conflict (409) rather than both pass the check. The lead unit asks, for the ticket."""
    ensure_lead(user, ticket)
    lifecycle.check(ticket, "request_extension", user.role)
    reason = _note(reason, True, "延期理由")
    if open_extension(ticket) is not None:
        raise Conflict("已有待审批的延期申请。", code="extension_pending")
    new_deadline = extension_deadline(ticket.deadline, now, until, workdays)
    request = ExtensionRequest(ticket=ticket, requested_by=user.id, requested_at=now, until=new_deadline,
                               reason=reason)
    db.session.add(request)
    lifecycle.transition(ticket, "request_extension", user, now, note=reason,
                         data={"until": new_deadline.isoformat()})
    _touch(ticket)
    db.session.flush()
    return request


def decide_extension(user, ticket: Ticket, now: datetime, approved, note: str | None) -> Ticket:
    """Decide the open request. The decision is written only if the request is still open at that moment, so two
    decisions sent at once cannot both count (the second gets 409)."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "decide_extension", user.role)
    if not isinstance(approved, bool):
        raise BadRequest("请说明是否批准（approved 为 true 或 false）。", code="invalid_approved")
    note = _note(note, False, "审批意见")
    request = open_extension(ticket)
    if request is None:
        raise Conflict("没有待审批的延期申请。", code="no_extension_request")
    parts.refuse_without_note(approved, note)
    decided = db.session.execute(
        update(ExtensionRequest).where(ExtensionRequest.id == request.id, ExtensionRequest.status == const("open"))
        .values(status="approved" if approved else "rejected", decided_by=user.id, decided_at=now,
                decision_note=note).execution_options(synchronize_session="fetch"))
    if decided.rowcount != 1:
        raise Conflict("该延期申请刚被处理过，请刷新后查看。", code="extension_decided")
    data = {"approved": approved, "until": request.until.isoformat()}
    if approved:
        data["old_deadline"] = ticket.deadline.isoformat() if ticket.deadline else None
        if ticket.deadline is not None and ticket.deadline >= request.until:
            # the deadline moved past the date asked for since (a 协办 added later): granting never shortens it
            data["until"], data["kept"] = ticket.deadline.isoformat(), True
        else:
            ticket.deadline = request.until
            ticket.extension_count = (ticket.extension_count or 0) + 1
            parts.follow_deadline(ticket)
    lifecycle.transition(ticket, "decide_extension", user, now, note=note or ("同意延期" if approved else "不同意延期"),
                         data=data)
    _touch(ticket)
    db.session.flush()
    return ticket


def cancel(user, ticket: Ticket, now: datetime, reason: str | None, duplicate_of=None,
           duplicate_of_version=None) -> Ticket:
    """作废. With `duplicate_of` (the number of an open problem this one repeats) the reason defaults to 与…重复上报
    and the outside reports behind this ticket (a citizen's, a 12345 case) follow that problem from now on; with
    `duplicate_of_version` too (that problem's version as the page showed it: the 疑似重复 page and a ticket's page
    send it), a problem changed since is refused (409) and nothing is voided: the pair was judged on what it was."""
    kept = repeat_target(user, ticket, duplicate_of)
    if kept is not None:
        lifecycle.ensure_unchanged(kept, duplicate_of_version)
        reason = reason if str(reason or "").strip() else f"与{kept.number}重复上报"
    reason = _note(reason, True, "作废原因")
    moot = open_extension(ticket)  # read before any change, as rectify's note says
    event = lifecycle.transition(ticket, "cancel", user, now, note=reason,
                                 data={"duplicate_of": kept.number} if kept else None)
    # every decision still waiting on the problem is withdrawn with it (VOIDED_NOTE), so none stays in anyone's
    # 待办事项: the lead's extension request, the assisting units' requests, and the other features' (a 督办建议,
    # a draft letter listing it)
    withdrawn = ["延期申请"] if moot is not None else []
    _close_extension(moot, user, now, VOIDED_NOTE)
    withdrawn += parts.ticket_cancelled(ticket, now)
    office_only = [item for follow in CANCEL_FOLLOWERS for item in follow(user, ticket, now)]
    if withdrawn or office_only:
        data = {**json.loads(event.data_json or "{}"), "withdrawn": withdrawn + office_only}
        if office_only:
            data["withdrawn_office"] = office_only
        event.data_json = json.dumps(data, ensure_ascii=False)
    if kept is not None:
        from ..intake.services import carry_over  # intake builds on tickets, not the other way round
        carry_over(ticket, kept, user, now)
    db.session.flush()
    return ticket


def repeat_target(user, ticket: Ticket, duplicate_of) -> Ticket | None:
    """The open problem `duplicate_of` names, checked as `cancel` checks it (this ticket may be voided by this user;
    that one is open, seen by them, not this one), nothing written; None when no number is given. The 作废 form's
    typed 与哪件问题重复 shows it to be confirmed, with its version as drawn, before voiding."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "cancel", user.role)
    if not str(duplicate_of or "").strip():
        return None
    kept = duplicates.open_by_number(user, duplicate_of, refused="不能作废为与其重复")
    if kept.id == ticket.id:
        raise Invalid("不能作废为与本件自身重复。", code="same_ticket")
    return kept


# ----------------------------------------------------------------------------- the site (点位) a problem is at

def _site_to_link(user, site_id) -> Site:
    """The active site named by `site_id` (a form's text or an int), as this user may see it; 400 for no or a
    malformed id, 422 for a site that does not exist (or is hidden) or is retired."""
    raw = str(site_id if site_id is not None else "").strip()
    if not raw:
        raise BadRequest("请选择要关联的点位。", code="site_required")
    if not raw.isdigit():
        raise BadRequest("点位参数不正确。", code="invalid_site")
    site = visible_site(user, raw)
    if site is None:
        raise Invalid("所选点位不存在。", code="invalid_site")
    if not site.active:
        raise Invalid(f"点位“{site.name}”已停用，不能关联。", code="invalid_site")
    return site


def link_site(user, ticket: Ticket, now: datetime, site_id) -> Ticket:
    """Say which 点位 the problem is at (or change it), so it counts toward that site's record. The office, or the
    inspector who filed it, while the ticket is open (policy.ensure_site_changer)."""
    ensure_site_changer(user, ticket, "link_site")
    site = _site_to_link(user, site_id)
    old = ticket.site if ticket.site_id is not None else None
    if old is not None and old.id == site.id:
        raise Conflict(f"该问题已关联点位“{site.name}”。", code="site_unchanged")
    data = {"site_id": site.id, "site": site.name}
    note = f"关联点位：{site.name}"
    if old is not None:
        data.update(from_site_id=old.id, from_site=old.name)
        note += f"（原点位：{old.name}）"
    lifecycle.transition(ticket, "link_site", user, now, note=note, data=data)
    ticket.site = site
    db.session.flush()
    return ticket


def unlink_site(user, ticket: Ticket, now: datetime) -> Ticket:
    """The problem is at no 点位 after all (linked by mistake)."""
    ensure_site_changer(user, ticket, "unlink_site")
    if ticket.site_id is None:
        raise Conflict("该问题没有关联点位。", code="no_site")
    old = ticket.site
    lifecycle.transition(ticket, "unlink_site", user, now, note=f"取消关联点位：{old.name}",
                         data={"site_id": old.id, "site": old.name})
    ticket.site = None
    db.session.flush()
    return ticket
