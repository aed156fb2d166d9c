"""Ticket operations shared by the web pages and the API. Each takes `now`; callers commit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defaultload, lazyload, selectinload

from ..auth.models import User
from ..auth.permissions import ensure_visible, ticket_scope
from ..common.errors import BadRequest, Forbidden, Invalid, NotFound
from ..common.geo import valid_lat_lon
from ..common.models import next_value
from ..common.timeutil import end_of_local_day, local
from ..extensions import db
from ..photos.processing import ProcessedPhoto
from ..photos.service import photo_batch
from ..units.models import Category, Segment, Unit
from ..units.services import find_category, nearest_segments
from ..workdays.calendar import add_workdays, compute_deadline
from . import lifecycle
from .campaigns import Campaign, campaign_condition
from .models import OPEN_STATUSES, STATUSES, ExtensionRequest, Ticket, TicketEvent

MAX_TEXT = 2000


@dataclass
class NewReport:
    """What an inspector files; built by the web form or the API from their input."""

    category: str
    photos: list[ProcessedPhoto]
    photo_meta: list[dict] = field(default_factory=list)
    segment_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    description: str = ""
    idempotency_key: str | None = None


def parse_coordinate(value, name: str, low: float, high: float) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name}格式不正确。", code=f"invalid_{'lat' if name == '纬度' else 'lon'}") from None
    if not low <= number <= high:
        raise BadRequest(f"{name}超出范围。", code=f"invalid_{'lat' if name == '纬度' else 'lon'}")
    return number


def clean_text(value: str | None, name: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise BadRequest(f"{name}不能超过{limit}字。", code="text_too_long")
    return value


def find_by_idempotency_key(reporter_id: int, key: str | None) -> Ticket | None:
    if not key:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.reporter_id == reporter_id, Ticket.idempotency_key == key))


def dispatch_target(category: Category, segment: Segment | None) -> Unit | None:
    """The category's own unit if it has one, else the segment's unit; retired units get nothing."""
    for unit in (category.owner_unit, segment.unit if segment else None):
        if unit is not None and unit.active:
            return unit
    return None


def _locate_segment(report: NewReport) -> tuple[Segment | None, float | None, float | None]:
    """The segment named, else the nearest within the dispatch radius of the given or EXIF location."""
    lat, lon = report.lat, report.lon
    if not valid_lat_lon(lat, lon):
        lat = lon = None
        for photo, meta in zip(report.photos, report.photo_meta or [{}] * len(report.photos)):
            if valid_lat_lon(photo.lat, photo.lon):
                lat, lon = photo.lat, photo.lon
                break
            if valid_lat_lon(meta.get("lat"), meta.get("lon")):
                lat, lon = meta["lat"], meta["lon"]
                break
    if report.segment_id is not None:
        segment = db.session.get(Segment, report.segment_id)
        if segment is None or not segment.active:
            raise Invalid("所选责任路段不存在或已停用。", code="invalid_segment")
        return segment, lat, lon
    if lat is not None:
        radius = current_app.config["DISPATCH_RADIUS_M"]
        found = nearest_segments(lat, lon, radius_m=radius, limit=1)
        if found:
            return found[0][0], lat, lon
    return None, lat, lon


def create_ticket(reporter, report: NewReport, now: datetime) -> tuple[Ticket, bool]:
    """File a report and dispatch it. Returns (ticket, created); a repeated idempotency key
    returns the ticket made the first time and creates nothing."""
    if reporter.role not in ("inspector", "admin"):
        raise Forbidden("只有督查员和文明办可以上报问题。")
    existing = find_by_idempotency_key(reporter.id, report.idempotency_key)
    if existing is not None:
        return existing, False
    category = find_category(report.category)
    if category is None:
        raise Invalid("请选择有效的问题类别。", code="invalid_category")
    if not report.photos:
        raise BadRequest("请至少上传一张照片。", code="photos_required")
    description = clean_text(report.description, "问题描述")
    address = clean_text(report.address, "地址", 200)
    segment, lat, lon = _locate_segment(report)
    unit = dispatch_target(category, segment)

    try:
        with photo_batch() as batch:
            year = local(now).year
            seq = next_value("ticket", year)
            ticket = Ticket(number=f"{year}-{seq:06d}", year=year, seq=seq, status="pending",
                            category=category, segment=segment, description=description,
                            address=address or (segment.name if segment else ""), lat=lat, lon=lon,
                            reporter_id=reporter.id, reported_at=now, idempotency_key=report.idempotency_key)
            db.session.add(ticket)
            event = lifecycle.record(ticket, "create", reporter.id, now, note=description, to_status="pending")
            metas = report.photo_meta or [{}] * len(report.photos)
            for photo, meta in zip(report.photos, metas):
                batch.add(ticket, photo, "before", now, event=event, meta=meta)
            if unit is not None:
                how = "问题类别的责任单位" if category.owner_unit_id == unit.id else "责任路段的包抓单位"
                _assign(ticket, unit, now, actor_id=None, note=f"按{how}自动派遣")
            db.session.commit()
    except IntegrityError:
        # The same idempotency key raced in from a retry: answer with the ticket that won.
        existing = find_by_idempotency_key(reporter.id, report.idempotency_key)
        if existing is not None:
            return existing, False
        raise
    return ticket, True


def _assign(ticket: Ticket, unit: Unit, now: datetime, actor_id: int | None, note: str,
            action: str = "dispatch") -> None:
    before = ticket.status
    ticket.unit = unit
    ticket.unit_id = unit.id
    ticket.status = "assigned"
    ticket.assigned_at = now
    ticket.deadline = compute_deadline(ticket.category.deadline_rule, now)
    lifecycle.record(ticket, action, actor_id, now, note=note, from_status=before, to_status="assigned",
                     data={"unit_id": unit.id, "unit": unit.name})


# ----------------------------------------------------------------------------- reading

# Lists and a ticket's page show its category, unit, segment and reporter but never those rows' own units, which
# the models' joined loading would otherwise add to every query (three more joins, twice the columns, and on
# PostgreSQL most of the query's planning time). Accessed anyway, they load lazily.
LIST_LOAD = (defaultload(Ticket.category).lazyload(Category.owner_unit),
             defaultload(Ticket.segment).lazyload(Segment.unit),
             defaultload(Ticket.reporter).lazyload(User.unit))
# A ticket's page and its API answer show every event with its photos and every photo: three queries in all,
# instead of one per event.
DETAIL_LOAD = LIST_LOAD + (selectinload(Ticket.events).selectinload(TicketEvent.photos),
                           selectinload(Ticket.photos))


def get_ticket(user, ticket_id: int, detail: bool = False) -> Ticket:
    """detail: load the events and photos too (for showing the whole ticket)."""
    return ensure_visible(user, db.session.get(Ticket, ticket_id, options=DETAIL_LOAD if detail else ()))


@dataclass
class TicketFilter:
    status: str | None = None
    unit_id: int | None = None
    category: str | None = None
    district: str | None = None
    overdue: bool = False
    reporter_id: int | None = None
    q: str | None = None
    campaign_id: int | None = None
    page: int = 1
    per_page: int = 20


def parse_filter(args) -> TicketFilter:
    """Build a filter from request args (query string); bad values answer 400."""
    def integer(name: str, default: int | None = None, low: int = 1, high: int = 10**9) -> int | None:
        raw = args.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise BadRequest(f"参数 {name} 应为整数。", code=f"invalid_{name}") from None
        if not low <= value <= high:
            raise BadRequest(f"参数 {name} 超出范围。", code=f"invalid_{name}")
        return value

    status = (args.get("status") or "").strip() or None
    if status is not None and status not in STATUSES and status != "open":
        raise BadRequest("状态参数不正确。", code="invalid_status_filter")
    return TicketFilter(
        status=status,
        unit_id=integer("unit_id"),
        category=(args.get("category") or "").strip() or None,
        district=(args.get("district") or "").strip() or None,
        overdue=(args.get("overdue") or "") in ("1", "true", "yes"),
        q=(args.get("q") or "").strip()[:100] or None,
        campaign_id=integer("campaign_id"),
        page=integer("page", 1),
        per_page=integer("per_page", 20, high=100),
    )


def overdue_condition(now: datetime):
    """Overdue is computed, never stored: past the deadline and not yet rectified."""
    return (Ticket.status.in_(OPEN_STATUSES)) & (Ticket.deadline < now)


def filtered_query(user, flt: TicketFilter, now: datetime):
    query = select(Ticket).where(ticket_scope(user))
    if flt.status == "open":
        query = query.where(Ticket.status.in_(OPEN_STATUSES + ("rectified",)))
    elif flt.status:
        query = query.where(Ticket.status == flt.status)
    if flt.unit_id:
        query = query.where(Ticket.unit_id == flt.unit_id)
    if flt.category:
        category = find_category(flt.category)
        query = query.where(Ticket.category_id == (category.id if category else -1))
    if flt.district:
        query = query.where(Ticket.segment_id.in_(select(Segment.id).where(Segment.district == flt.district)))
    if flt.overdue:
        query = query.where(overdue_condition(now))
    if flt.reporter_id:
        query = query.where(Ticket.reporter_id == flt.reporter_id)
    if flt.q:
        like = f"%{flt.q}%"
        query = query.where(or_(Ticket.number.like(like), Ticket.address.like(like), Ticket.description.like(like)))
    if flt.campaign_id:
        query = query.where(campaign_condition(db.session.get(Campaign, flt.campaign_id)))
    return query


def list_tickets(user, flt: TicketFilter, now: datetime, overdue_first: bool = False,
                 options: tuple = ()) -> tuple[list[Ticket], int]:
    """One page of the filtered list and the total; `options`: loader options for what the caller shows
    (e.g. selectinload(Ticket.photos) for thumbnails: one query for the page, not one per ticket)."""
    query = filtered_query(user, flt, now)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    query = query.options(*LIST_LOAD, *options)
    if overdue_first:
        # Open tickets by deadline (most overdue first), then the rest newest first.
        is_open = Ticket.status.in_(OPEN_STATUSES)
        query = query.order_by(is_open.desc(), Ticket.deadline.asc(), Ticket.id.desc())
    else:
        query = query.order_by(Ticket.id.desc())
    query = query.limit(flt.per_page).offset((flt.page - 1) * flt.per_page)
    return list(db.session.scalars(query).unique()), total


# ----------------------------------------------------------------------------- actions

def _note(value: str | None, required: bool, what: str) -> str:
    value = clean_text(value, what)
    if required and not value:
        raise BadRequest(f"请填写{what}。", code="note_required")
    return value


def rectify(user, ticket: Ticket, now: datetime, note: str | None, photos: list[ProcessedPhoto],
            photo_meta: list[dict] | None = None) -> Ticket:
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "rectify", user.role)
    note = _note(note, False, "整改说明")
    if not photos:
        raise BadRequest("请上传整改后的照片。", code="photos_required")
    with photo_batch() as batch:
        event = lifecycle.transition(ticket, "rectify", user, now, note=note)
        ticket.rectified_at = now
        for photo, meta in zip(photos, photo_meta or [{}] * len(photos)):
            batch.add(ticket, photo, "after", now, event=event, meta=meta)
        db.session.commit()
    return ticket


def approve(user, ticket: Ticket, now: datetime, note: str | None) -> Ticket:
    ensure_visible(user, ticket)
    note = _note(note, False, "核查意见")
    lifecycle.transition(ticket, "approve", user, now, note=note)
    ticket.closed_at = now
    db.session.commit()
    return ticket


def reject(user, ticket: Ticket, now: datetime, note: str | None) -> Ticket:
    """Send back for rework; the original deadline stands, so lateness keeps counting."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "reject", user.role)
    note = _note(note, True, "返工原因")
    lifecycle.transition(ticket, "reject", user, now, note=note)
    ticket.rework_count = (ticket.rework_count or 0) + 1
    ticket.rectified_at = None
    db.session.commit()
    return ticket


def dispute(user, ticket: Ticket, now: datetime, reason: str | None) -> Ticket:
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "dispute", user.role)
    reason = _note(reason, True, "退单理由")
    lifecycle.transition(ticket, "dispute", user, now, note=reason)
    db.session.commit()
    return ticket


def reassign(user, ticket: Ticket, now: datetime, unit_id, note: str | None) -> Ticket:
    """The office dispatches a pending ticket, or moves it to another unit with a fresh deadline."""
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "reassign", user.role)
    try:
        unit = db.session.get(Unit, int(unit_id))
    except (TypeError, ValueError):
        raise BadRequest("请选择责任单位。", code="invalid_unit") from None
    if unit is None or not unit.active:
        raise Invalid("责任单位不存在或已停用。", code="invalid_unit")
    note = _note(note, False, "派遣说明")
    lifecycle.check(ticket, "reassign", user.role)
    before = ticket.status
    _assign(ticket, unit, now, actor_id=user.id, note=note, action="reassign")
    if before == "disputed":
        _close_open_extension(ticket, user, now, "因重新派遣关闭")
    db.session.commit()
    return ticket


def open_extension(ticket: Ticket) -> ExtensionRequest | None:
    # The ticket is in the session already: joining it again (with all it joins) would only cost planning time.
    return db.session.scalar(select(ExtensionRequest).options(lazyload(ExtensionRequest.ticket))
                             .where(ExtensionRequest.ticket_id == ticket.id, ExtensionRequest.status == "open"))


def _close_open_extension(ticket: Ticket, user, now: datetime, note: str) -> None:
    request = open_extension(ticket)
    if request is not None:
        request.status, request.decided_by, request.decided_at, request.decision_note = "rejected", user.id, now, note


def request_extension(user, ticket: Ticket, now: datetime, until: str | None = None, workdays=None,
                      reason: str | None = None) -> ExtensionRequest:
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "request_extension", user.role)
    reason = _note(reason, True, "延期理由")
    if open_extension(ticket) is not None:
        raise lifecycle.Conflict("已有待审批的延期申请。", code="extension_pending")
    if workdays not in (None, ""):
        try:
            days = int(workdays)
        except (TypeError, ValueError):
            raise BadRequest("延期工作日数应为整数。", code="invalid_workdays") from None
        if not 1 <= days <= 60:
            raise Invalid("延期工作日数应在 1 到 60 之间。", code="invalid_workdays")
        new_deadline = add_workdays(ticket.deadline or now, days)
    elif until:
        try:
            day = date.fromisoformat(str(until).strip()[:10])
        except ValueError:
            raise BadRequest("延期日期格式应为 YYYY-MM-DD。", code="invalid_until") from None
        new_deadline = end_of_local_day(day)
    else:
        raise BadRequest("请填写延期到的日期或工作日数。", code="until_required")
    if new_deadline <= max(now, ticket.deadline or now):
        raise Invalid("延期后的期限必须晚于当前期限。", code="invalid_until")
    request = ExtensionRequest(ticket=ticket, requested_by=user.id, requested_at=now, until=new_deadline,
                               reason=reason)
    db.session.add(request)
    lifecycle.transition(ticket, "request_extension", user, now, note=reason,
                         data={"until": new_deadline.isoformat()})
    db.session.commit()
    return request


def decide_extension(user, ticket: Ticket, now: datetime, approved, note: str | None) -> Ticket:
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "decide_extension", user.role)
    if not isinstance(approved, bool):
        raise BadRequest("请说明是否批准（approved 为 true 或 false）。", code="invalid_approved")
    note = _note(note, False, "审批意见")
    request = open_extension(ticket)
    if request is None:
        raise lifecycle.Conflict("没有待审批的延期申请。", code="no_extension_request")
    request.status = "approved" if approved else "rejected"
    request.decided_by, request.decided_at, request.decision_note = user.id, now, note
    data = {"approved": approved, "until": request.until.isoformat()}
    if approved:
        data["old_deadline"] = ticket.deadline.isoformat() if ticket.deadline else None
        ticket.deadline = request.until
        ticket.extension_count = (ticket.extension_count or 0) + 1
    lifecycle.transition(ticket, "decide_extension", user, now, note=note or ("同意延期" if approved else "不同意延期"),
                         data=data)
    db.session.commit()
    return ticket


def cancel(user, ticket: Ticket, now: datetime, reason: str | None) -> Ticket:
    ensure_visible(user, ticket)
    lifecycle.check(ticket, "cancel", user.role)
    reason = _note(reason, True, "作废原因")
    lifecycle.transition(ticket, "cancel", user, now, note=reason)
    _close_open_extension(ticket, user, now, "问题已作废")
    db.session.commit()
    return ticket


def pending_extensions() -> list[ExtensionRequest]:
    return list(db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.status == "open")
                                   .order_by(ExtensionRequest.requested_at)))


def get_or_404(model, ident) -> object:
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound("记录不存在。")
    return row
