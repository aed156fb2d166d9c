"""Outside reports: a citizen's 随手拍 and its receipt, the moderation queue (accept → a ticket, merge into the
same problem already open, decline with a reason, decline a sender's flood at once), and the office's own
entries (媒体曝光, 领导交办, 上级测评反馈). Callers commit.

Nothing here shows one citizen another's report: the receipt view (`progress`) says only what became of the one
report whose code was given, in words meant for the public.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..common.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, ServiceError
from ..common.geo import valid_lat_lon
from ..common.ids import get_row, optional_id
from ..common.sql import const
from ..common.text import ascii_digits, clean_text, narrow, text_value
from ..common.timeutil import fmt
from ..extensions import db
from ..photos.service import parse_photo_meta, read_uploads, save_files
from ..policy import OFFICE, has_role
from ..tickets import lifecycle
from ..tickets.dispatch import parse_unit_ids
from ..tickets.duplicates import open_by_number
from ..tickets.inputs import frontage_id, many, parse_coordinate
from ..tickets.models import Ticket, TicketEvent
from ..tickets.services import (MAX_ADDRESS, MAX_TEXT, NewReport, bind_due_by, create_ticket, far_from_segment,
                                photo_position)
from ..units.models import Category
from ..units.services import find_category, nearest_segments
from . import feedback, hotline
from .models import IntakeItem, IntakePhoto

RECEIPT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed from a screenshot
RECEIPT_LENGTH = 10
PER_PAGE = 50
MAX_DESCRIPTION = 500


# ----------------------------------------------------------------------------- receipt codes

def new_receipt() -> str:
    while True:
        code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
        if db.session.scalar(select(IntakeItem.id).where(IntakeItem.receipt == code)) is None:
            return code


def normalize_receipt(text) -> str | None:
    """The code as stored, from what a citizen typed ("k7m3x-9qd2h", with spaces or dashes); None if it cannot
    be one."""
    code = "".join(c for c in str(text or "").upper() if c.isalnum())
    if len(code) != RECEIPT_LENGTH or any(c not in RECEIPT_ALPHABET for c in code):
        return None
    return code


def format_receipt(code: str | None) -> str:
    return f"{code[:5]}-{code[5:]}" if code else ""


def by_receipt(text) -> IntakeItem | None:
    code = normalize_receipt(text)
    if code is None:
        return None
    return db.session.scalar(select(IntakeItem).where(IntakeItem.receipt == code, IntakeItem.source == "citizen"))


# ----------------------------------------------------------------------------- a citizen's report

@dataclass
class CitizenReport:
    category: Category | None
    description: str
    address: str
    lat: float | None
    lon: float | None
    phone: str


def for_citizens(category: Category) -> bool:
    """Whether a citizen may pick this category. Not the office's own: the 测评问题 category of tickets made from
    checklist failures, nor those routed to a 门前四包 frontage (only an inspector names the registered frontage)."""
    from ..assessment.checklist import DEFAULT_CATEGORY
    return category.code != DEFAULT_CATEGORY[0] and category.route != "frontage"


def citizen_categories() -> list[Category]:
    from ..units.services import active_categories
    return [c for c in active_categories() if for_citizens(c)]


def _phone(value) -> str:
    raw = narrow(clean_text(value, "手机号码", 32))  # full-width digits as ASCII; ①② are not a phone's
    if not raw:
        return ""
    if not 7 <= ascii_digits(raw) <= 15 or any(not ("0" <= c <= "9" or c in " -+") for c in raw):
        raise BadRequest("手机号码格式不正确（选填，可以不填）。", code="invalid_phone")
    return raw


def parse_citizen(form: Mapping) -> CitizenReport:
    """The cheap checks, before any photo is read."""
    raw_category = (form.get("category") or "").strip()
    category = None
    if raw_category and raw_category != "other":
        category = find_category(raw_category)
        if category is None or not for_citizens(category):
            raise BadRequest("请选择问题类型。", code="invalid_category")
    lat = parse_coordinate(form.get("lat"), "纬度", -90, 90)
    lon = parse_coordinate(form.get("lon"), "经度", -180, 180)
    if (lat is None) != (lon is None):
        raise BadRequest("经纬度须同时提供。", code="invalid_location")
    address = clean_text(form.get("address"), "问题地点", 200)
    description = clean_text(form.get("description"), "问题描述", MAX_DESCRIPTION, multiline=True)
    return CitizenReport(category, description, address, lat, lon, _phone(form.get("phone")))


def enabled() -> bool:
    return bool(current_app.config["CITIZEN_REPORTS_ENABLED"])


def submit_citizen(form: Mapping, files, device_hash: str, address_hash: str, now: datetime) -> IntakeItem:
    """A citizen's report into the moderation queue, with its receipt code. The caller has counted it against the
    limits already (limits.admit_citizen_report) and commits."""
    if not enabled():
        raise ServiceError("随手拍暂停受理，请拨打12345热线反映。", code="intake_closed", status=503)
    report = parse_citizen(form)
    photos = read_uploads(files.getlist("photos"), required=True, now=now, gate_key=f"citizen:{address_hash[:24]}",
                          max_count=int(current_app.config["CITIZEN_MAX_PHOTOS"]))
    meta = parse_photo_meta(form.get("photo_meta"), len(photos), now)
    lat, lon = report.lat, report.lon
    if lat is None:  # the place from the first photo that knows it
        for photo, m in zip(photos, meta):
            if valid_lat_lon(photo.lat, photo.lon):
                lat, lon = photo.lat, photo.lon
                break
            if valid_lat_lon(m.get("lat"), m.get("lon")):
                lat, lon = m["lat"], m["lon"]
                break
    if not report.address and lat is None:
        raise BadRequest("请填写问题地点（如 人民路88号门前），或允许手机定位。", code="place_required")
    item = IntakeItem(source="citizen", status="pending", receipt=new_receipt(), category=report.category,
                      category_text=report.category.name if report.category else "其他",
                      description=report.description, address=report.address, lat=lat, lon=lon,
                      contact_phone=report.phone, received_at=now, created_at=now, updated_at=now,
                      device_hash=device_hash, address_hash=address_hash)
    db.session.add(item)
    for photo, m in zip(photos, meta):
        from ..photos.processing import plausible_taken_at
        taken_at = plausible_taken_at(photo.taken_at, now) or plausible_taken_at(m.get("taken_at"), now)
        plat, plon = (photo.lat, photo.lon) if photo.lat is not None else (m.get("lat"), m.get("lon"))
        item.photos.append(IntakePhoto(key=save_files(photo), sha256=photo.sha256, width=photo.width,
                                       height=photo.height, bytes=len(photo.jpeg), lat=plat, lon=plon,
                                       taken_at=taken_at, created_at=now))
    db.session.flush()
    return item


# ----------------------------------------------------------------------------- what became of it

TICKET_WORDS = {
    "pending": "已受理，正在转交责任单位",
    "assigned": "已转交责任单位办理",
    "disputed": "已转交责任单位办理",
    "rectified": "责任单位已整改，等待核查",
    "closed": "已办结",
    "cancelled": "已作废，不再办理",
}


VERIFYING = "责任单位已报整改，正在现场核查，核查结案后告知办理结果。"


@dataclass
class Progress:
    label: str                     # in words for the public and the hotline
    result: str = ""               # the decline's or the void's reason, or how it was dealt with
    note: str = ""                 # 说明 while the problem is open: it was merged (并案); not a result yet
    unit: str = ""                 # the lead unit, once dispatched (none once voided: nobody is working on it)
    assists: list[str] = field(default_factory=list)
    done: bool = False
    ended_at: datetime | None = None  # 办结时间: closed, voided or declined


def voids(ticket_ids) -> dict[int, tuple[str, datetime]]:
    """The 作废 of each of these voided tickets, by ticket id: its reason and when (the last, should there be
    two)."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(TicketEvent.ticket_id, TicketEvent.note, TicketEvent.at)
                              .where(TicketEvent.ticket_id.in_(ids), TicketEvent.action == const("cancel"))
                              .order_by(TicketEvent.id))
    return {ticket_id: (note or "", at) for ticket_id, note, at in rows}


def first_handed(ticket_ids) -> dict[int, datetime]:
    """When each of these tickets was first given to a unit (its first 派遣, on filing or by the office), by
    ticket id; a ticket never given to one is not in the result. Not `assigned_at`: a reassignment (a 退单's) moves
    that."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(TicketEvent.ticket_id, func.min(TicketEvent.at))
                              .where(TicketEvent.ticket_id.in_(ids),
                                     TicketEvent.action.in_((const("dispatch"), const("reassign"))))
                              .group_by(TicketEvent.ticket_id))
    return {ticket_id: at for ticket_id, at in rows}


def progress(item: IntakeItem, voided: dict[int, tuple[str, datetime]] | None = None) -> Progress:
    """What became of the item, in public words. `voided`: voids() of the tickets of many items read at once
    (an export); without it, a voided ticket's 作废 is read here."""
    if item.status == "pending":
        return Progress("已收到，等待审核")
    if item.status == "declined":
        return Progress("未受理", result=item.decline_reason, done=True, ended_at=item.decided_at)
    ticket = item.ticket
    if ticket is None:
        return Progress("已受理")
    if ticket.status == "cancelled":  # its reason is the answer, as a decline's is; nobody is handling it now
        reason, at = (voided if voided is not None else voids([ticket.id])).get(ticket.id, ("", None))
        state = Progress(TICKET_WORDS["cancelled"], result=reason, done=True, ended_at=at)
    else:
        state = Progress(TICKET_WORDS.get(ticket.status, "已受理"), unit=ticket.unit.name if ticket.unit else "",
                         assists=[p.unit.name for p in ticket.parts if p.role == "assist"],
                         done=ticket.status == "closed", ended_at=ticket.closed_at)
    # The lead's 整改说明 is the unit's account to the office: it goes out only once an inspector has verified it
    # on the spot (结案), as part of the result; until then the public reads that it is being verified.
    lead = next((p for p in ticket.parts if p.role == "lead"), None)
    if ticket.status == "closed":
        account = f"整改情况：{lead.note}" if lead is not None and lead.note else ""
        state.result = "已整改到位，经现场核查结案。" + account
    elif ticket.status == "rectified":
        state.note = VERIFYING
    if item.status == "merged":
        merged = f"此问题此前已有反映，已并入问题{ticket.number}合并办理。"
        if state.done:  # 办结: part of the result
            state.result = merged + (f"\n{state.result}" if state.result else "")
        else:  # a note beside the progress, which the hotline must not take for the result
            state.note = merged + (f"\n{state.note}" if state.note else "")
    return state


# ----------------------------------------------------------------------------- the moderation queue

def _ensure_office(user) -> None:
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以审核来件。")


def get_item(item_id) -> IntakeItem:
    item = get_row(IntakeItem, item_id)
    if item is None:
        raise NotFound("来件不存在。")
    return item


@dataclass
class QueueFilter:
    status: str = "pending"
    source: str | None = None
    sender: str | None = None  # "device:<hash>" or "address:<hash>": one sender's reports
    page: int = 1
    per_page: int = PER_PAGE


def queue(flt: QueueFilter) -> tuple[list[IntakeItem], int]:
    """A page of the queue, oldest first by when the source received it while pending (a 12345 case received
    days ago and imported today comes first, not last), newest first once decided: the index on
    (status, received_at) keeps it quick however many a flood left."""
    query = select(IntakeItem).where(IntakeItem.status == flt.status)
    if flt.source:
        query = query.where(IntakeItem.source == flt.source)
    if flt.sender:
        kind, _, value = flt.sender.partition(":")
        column = {"device": IntakeItem.device_hash, "address": IntakeItem.address_hash}.get(kind)
        if column is None or not value:
            raise BadRequest("来源参数不正确。", code="invalid_sender")
        query = query.where(column == value)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    order = (IntakeItem.received_at, IntakeItem.id) if flt.status == "pending" else \
        (IntakeItem.decided_at.desc(), IntakeItem.id.desc())
    query = query.options(selectinload(IntakeItem.photos), selectinload(IntakeItem.ticket)).order_by(*order)
    query = query.limit(flt.per_page).offset((max(flt.page, 1) - 1) * flt.per_page)
    return list(db.session.scalars(query).unique()), total


def pending_count() -> int:
    return db.session.scalar(PENDING) or 0


PENDING = select(func.count(IntakeItem.id)).where(IntakeItem.status == const("pending"))  # also the office's menu count


def located_segments(items: list[IntakeItem]) -> dict[int, tuple]:
    """For each located item, the segment "按位置匹配" dispatches it to (the nearest within the dispatch radius,
    as create_ticket finds it) and its distance in metres: item id -> (segment, metres). A located item with no
    segment that near is not in the result."""
    radius = current_app.config["DISPATCH_RADIUS_M"]
    found = {}
    for item in items:
        if valid_lat_lon(item.lat, item.lon):
            near = nearest_segments(item.lat, item.lon, radius_m=radius, limit=1)
            if near:
                found[item.id] = near[0]
    return found


def sender_counts(items: list[IntakeItem]) -> dict[str, int]:
    """Pending reports per device and per address among the senders of these items, in two grouped queries:
    "this phone sent 40 more" shows a flood at a glance."""
    counts: dict[str, int] = {}
    for kind, column in (("device", IntakeItem.device_hash), ("address", IntakeItem.address_hash)):
        values = {getattr(i, f"{kind}_hash") for i in items if getattr(i, f"{kind}_hash")}
        if not values:
            continue
        rows = db.session.execute(select(column, func.count()).where(IntakeItem.status == "pending",
                                                                     column.in_(values)).group_by(column))
        counts.update({f"{kind}:{value}": n for value, n in rows})
    return counts


def _ensure_pending(item: IntakeItem) -> None:
    """An item decided before (by anyone, at any time) says so; _claim settles two deciding it at once."""
    if item.status != "pending":
        raise Conflict(f"该来件已处理（{item.status_label}）。", code="already_decided")


def _claim(item: IntakeItem, user, now: datetime, status: str, reason: str = "") -> None:
    """Decide a pending item, once: two people deciding it at once cannot both (the second gets 409)."""
    taken = db.session.execute(
        update(IntakeItem).where(IntakeItem.id == item.id, IntakeItem.status == "pending")
        .values(status=status, decided_by=user.id, decided_at=now, decline_reason=reason, updated_at=now)
        .execution_options(synchronize_session="fetch")).rowcount
    if taken != 1:
        raise Conflict("该来件刚被其他人处理过，请刷新后查看。", code="already_decided")


def office_frontage(category_code: str, fields: Mapping) -> int | None:
    """The 门前四包 frontage the office names (frontage_id, or its register number as frontage_code), required for
    a category routed by frontage: a ticket without one goes to the 属地 street and never counts in the frontage's
    register (its repeat offences, its 整改通知书)."""
    named = frontage_id(fields)
    category = find_category(category_code)
    if named is None and category is not None and category.route == "frontage":
        raise Invalid(f"“{category.name}”问题须填写责任商户的门前四包责任书编号（见门前四包台账），"
                      "以便计入该商户的门前四包记录。", code="frontage_required")
    return named


def far_note(away_m: float) -> str:
    """The office told that a position was left out: 照片位置距所选路段约N公里，未采用."""
    km = away_m / 1000
    return f"约{km:.0f}公里" if km >= 10 else f"约{km:.1f}公里"


def accept(user, item: IntakeItem, fields: Mapping, now: datetime, notes: list[str] | None = None) -> Ticket:
    """The report becomes a ticket with the item's source, dispatched by the normal rules (or to the units the
    office names), with the report's photos. Fields: category (required unless the item has one), segment_id,
    unit_ids (lead first), description, address, and for a 门前四包 category the frontage (frontage_id or
    frontage_code). A report's position farther than FAR_FROM_SEGMENTS_M from the segment the office chose is
    left out (the segment's place stands), and `notes` is told so."""
    _ensure_office(user)
    _ensure_pending(item)
    category = text_value(fields.get("category"), "问题类别").strip() or (item.category.code if item.category else "")
    if not category:
        raise BadRequest("请选择问题类别。", code="category_required")
    segment_id = optional_id(fields.get("segment_id"), "责任路段参数不正确。", "invalid_segment")
    frontage = office_frontage(category, fields)
    # the office may reword the report; left empty, the ticket keeps the sender's words and place (emptied, a
    # ticket went to the unit saying nothing of the problem)
    description = clean_text(fields.get("description"), "问题描述", MAX_TEXT, multiline=True) or item.description
    address = clean_text(fields.get("address"), "地点", MAX_ADDRESS) or item.address
    lat, lon = item.lat, item.lon
    away = far_from_segment(segment_id, lat, lon)
    if away is not None:
        lat = lon = None
        if notes is not None:
            notes.append(f"来件位置距所选路段{far_note(away)}，未采用，按所选路段定位")
    if item.case_number and item.case_number not in description:
        note = f"上级测评反馈：{item.case_number}" if item.source == "superior" else f"12345热线工单 {item.case_number}"
        description = f"{description}\n（{note}）".strip()
    _claim(item, user, now, "accepted")
    report = NewReport(category=category, photos=[], stored_photos=list(item.photos), photos_required=False,
                       segment_id=segment_id, lat=lat, lon=lon, frontage_id=frontage,
                       address=address,
                       description=description, source=TICKET_SOURCES.get(item.source, item.source),
                       due_by=item.due_at, site_id=item.site_id,
                       unit_ids=parse_unit_ids(many(fields, "unit_ids")), units_named_by="文明办受理时指定的责任单位")
    ticket, _ = create_ticket(user, report, now)
    item.ticket = ticket
    db.session.flush()
    return ticket


def merge_note(item: IntakeItem, moved: datetime | None = None) -> str:
    """The line the ticket's history gets, and the unit's news (units read it: no phone number, no receipt code);
    with the case's own time limit, and the deadline it brought forward (`moved`) when it did."""
    if item.source == "hotline":
        note = f"并入12345热线工单 {item.case_number}" if item.case_number else "并入12345热线工单"
    elif item.source == "superior":
        note = f"并入上级测评反馈：{item.case_number}" if item.case_number else "并入上级测评反馈"
    else:
        note = f"并入{item.source_label}来件"
    if item.due_at is not None:
        limit = f"{item.due_label} {fmt(item.due_at, '%m-%d %H:%M')}"
        note += f"（{limit}，整改期限提前至该时限）" if moved else f"（{limit}）"
    return note


def merge(user, item: IntakeItem, fields: Mapping, now: datetime) -> Ticket:
    """并案: the report names a problem already being handled (the same 牛皮癣 an inspector filed yesterday), so it
    follows that ticket instead of making a second one against the unit. The citizen's receipt, the hotline's
    export and a feedback list then show that ticket's progress; the ticket's history records the merge. Fields:
    ticket (its number), ticket_version (optional: its version as the page showed it, the 疑似重复 list's 并入 buttons
    send it; changed since, 409 `ticket_changed` and nothing merged)."""
    ticket = merge_target(user, item, fields)
    lifecycle.ensure_unchanged(ticket, fields.get("ticket_version"))
    _claim(item, user, now, "merged")
    _follow(item, ticket, user, now)
    db.session.flush()
    return ticket


def merge_target(user, item: IntakeItem, fields: Mapping) -> Ticket:
    """The open problem `fields["ticket"]` names, checked as merge checks it, nothing written: the page's typed
    问题编号 shows it to be confirmed, with its version as drawn, before merging (as the 疑似重复 list's buttons)."""
    _ensure_office(user)
    _ensure_pending(item)
    return open_by_number(user, fields.get("ticket"))


def _follow(item: IntakeItem, ticket: Ticket, user, now: datetime) -> None:
    """The item follows the ticket; a time limit of its own earlier than the ticket's deadline binds the unit."""
    item.status, item.ticket, item.updated_at = "merged", ticket, now
    moved = bind_due_by(ticket, item.due_at, now)
    data = {"item_id": item.id, **({"deadline": moved.isoformat()} if moved else {})}
    lifecycle.record(ticket, "merge_report", user.id, now, note=merge_note(item, moved), from_status=ticket.status,
                     to_status=ticket.status, data=data)


FOLLOW_UP_KIND = re.compile(r"^【([^】]{1,8})】\s*")  # the hotline's own mark on what it appended: 【催办】, 【补充】


def follow_up_note(item: IntakeItem, old_description: str, changed: list[str], moved: datetime | None) -> str:
    """The ticket's history line and the unit's news for a case sent again with other content: 12345热线追加（催办）：
    the words added (the whole new wording when it does not extend the old), or the fields changed (never the
    caller's phone: units read it)."""
    new = item.description
    added = new[len(old_description):].strip() if new.startswith(old_description) else new
    kind = ""
    mark = FOLLOW_UP_KIND.match(added)
    if mark:
        kind, added = f"（{mark.group(1)}）", added[mark.end():].strip()
    if not added:
        added = f"{'、'.join(changed)}有更新"
    note = f"12345热线追加{kind}：{added}（工单 {item.case_number}）"
    if "办理时限" in changed and item.due_at is not None:
        limit = f"{item.due_label} {fmt(item.due_at, '%m-%d %H:%M')}"
        note += f"（{limit}，整改期限提前至该时限）" if moved else f"（{limit}）"
    return note


def hold(item: IntakeItem) -> None:
    """Queue behind anyone else taking this item's 12345 case (a post, an import) until this transaction ends, then
    read the item again as they left it. Two follow-ups of one case sent at once (the hotline resending a 催办 after
    a timeout, two of its workers, a post beside the office's import) each read the case, found it changed and
    followed it up: the problem's history and the unit's news had it twice, and a closed problem's case went back to
    the queue twice. Now the later one decides on what the first one wrote (unchanged, or a follow-up of its own
    words). The UPDATE changes nothing: on PostgreSQL it takes the row's lock (as SELECT ... FOR UPDATE would, and
    READ COMMITTED then reads the other's commit), on SQLite the write lock, which a SELECT ... FOR UPDATE would not
    (SQLite has none), as assessment.services.submit holds a round's site."""
    db.session.execute(update(IntakeItem).where(IntakeItem.id == item.id).values(updated_at=IntakeItem.updated_at)
                       .execution_options(synchronize_session=False))
    db.session.refresh(item)


def follow_up(user, item: IntakeItem, values: dict, received_at: datetime | None, changed: list[str],
              now: datetime) -> list[str]:
    """A 12345 case the office decided, sent again with other content (催办, 补充材料, 重办 after a 不满意 回访): the
    case takes the new content, and it reaches people instead of being dropped. Its problem still open: the
    ticket's history records it and the lead unit hears of it (its 消息 and group robot, while it owes the problem;
    an earlier 办理时限 binds it as on 并案). Its problem closed or voided, or the case declined: nobody owes it any
    more, so the case goes back to the office's queue (待审核) to be filed anew, merged or declined again with a
    reason the hotline hears; a closed problem's history says so too. The ticket is not reopened by itself: whether
    a 不满意 is founded is the office's call. Returns the messages the hotline's answer carries."""
    old_description = item.description
    for name, value in values.items():
        setattr(item, name, value)
    if received_at is not None:
        item.received_at = received_at
    item.updated_at = now
    ticket = item.ticket
    if ticket is not None and ticket.status not in ("closed", "cancelled"):
        moved = bind_due_by(ticket, item.due_at, now) if "办理时限" in changed else None
        note = follow_up_note(item, old_description, changed, moved)
        item.followed_up_at = now
        lifecycle.record(ticket, "hotline_followup", user.id, now, note=note, from_status=ticket.status,
                         to_status=ticket.status,
                         data={"item_id": item.id, **({"deadline": moved.isoformat()} if moved else {})})
        told = "，已告知责任单位" if ticket.unit_id is not None else ""
        return [f"追加内容已记入问题 {ticket.number} 的办理记录{told}"]
    before = hotline.taken_by(item)
    if ticket is not None:
        lifecycle.record(ticket, "hotline_followup", user.id, now,
                         note=follow_up_note(item, old_description, changed, None) + "；已退回文明办重新审核",
                         from_status=ticket.status, to_status=ticket.status, data={"item_id": item.id})
    item.status, item.decided_by, item.decided_at = "pending", None, None
    return [f"该热线工单此前已处理（{before}），追加内容已重新提交文明办审核"]


def carry_over(voided: Ticket, kept: Ticket, user, now: datetime) -> int:
    """A ticket voided as a repeat of `kept` (tickets/services.cancel with duplicate_of): the outside reports that
    made it or were merged into it follow `kept` from now on, so the citizen's receipt and the hotline's export say
    the problem is being handled rather than 已作废. Returns how many moved."""
    items = list(db.session.scalars(select(IntakeItem).where(IntakeItem.ticket_id == voided.id)
                                    .order_by(IntakeItem.id)))
    for item in items:
        _follow(item, kept, user, now)
    return len(items)


def decline(user, item: IntakeItem, reason, now: datetime) -> IntakeItem:
    _ensure_office(user)
    _ensure_pending(item)
    reason = clean_text(reason, "不予受理的理由", 500, multiline=True)
    if not reason:
        raise BadRequest(f"请填写不予受理的理由（{item.decline_readers}）。", code="reason_required")
    _claim(item, user, now, "declined", reason)
    return item


def decline_from_sender(user, item: IntakeItem, by: str, reason, now: datetime) -> int:
    """Decline every pending report from this item's device (or address) at once: a flood answered in one go,
    from an item still waiting (the page offers it there only)."""
    _ensure_office(user)
    _ensure_pending(item)
    reason = clean_text(reason, "不予受理的理由", 500, multiline=True)
    if not reason:
        raise BadRequest("请填写不予受理的理由。", code="reason_required")
    column, value = {"device": (IntakeItem.device_hash, item.device_hash),
                     "address": (IntakeItem.address_hash, item.address_hash)}.get(by, (None, None))
    if column is None or not value:
        raise BadRequest("该来件没有可识别的来源设备或网络地址。", code="invalid_sender")
    return db.session.execute(
        update(IntakeItem).where(column == value, IntakeItem.status == "pending")
        .values(status="declined", decided_by=user.id, decided_at=now, decline_reason=reason, updated_at=now)
        .execution_options(synchronize_session="fetch")).rowcount or 0


# ----------------------------------------------------------------------------- the office's own entries

ENTRY_SOURCES = {"media": "媒体曝光", "leader": "领导交办", "superior": "上级测评反馈"}
# The ticket's source for an item's where they differ: a ticket's `leader` is 领导督导 (a leader's own inspection)
TICKET_SOURCES = {"leader": "leader_assigned"}


def enter(user, fields: Mapping, files, now: datetime, notes: list[str] | None = None) -> Ticket:
    """媒体曝光, 领导交办 or 上级测评反馈, entered by the office: a ticket at once (photos optional), with the item
    kept for the record (outlet and title, who instructed what, or which feedback list and item). A 门前四包
    category needs its frontage (office_frontage). A photo's position farther than FAR_FROM_SEGMENTS_M from the
    segment chosen is left out (the segment's place stands), and `notes` is told so."""
    _ensure_office(user)
    source = (fields.get("source") or "").strip()
    if source not in ENTRY_SOURCES:
        raise BadRequest("请选择来源：媒体曝光、领导交办或上级测评反馈。", code="invalid_source")
    reference = clean_text(fields.get("reference"), "出处", 300)
    if not reference:
        raise BadRequest("请填写出处（媒体名称和报道标题、交办领导和批示要求，或上级反馈清单和条目）。",
                         code="reference_required")
    key = feedback.reference_key(reference) if source == feedback.SOURCE else None
    _ensure_key_free(key)
    category = (fields.get("category") or "").strip()
    if not category:
        raise BadRequest("请选择问题类别。", code="category_required")
    segment_id = optional_id(fields.get("segment_id"), "责任路段参数不正确。", "invalid_segment")
    address = clean_text(fields.get("address"), "地址", 200)
    description = clean_text(fields.get("description"), "问题描述", 2000, multiline=True)
    unit_ids = parse_unit_ids(many(fields, "unit_ids"))
    frontage = office_frontage(category, fields)
    photos = read_uploads(files.getlist("photos"), required=False, now=now, user=user) if files else []
    text = f"{description}\n（{ENTRY_SOURCES[source]}：{reference}）".strip()
    report = NewReport(category=category, photos=photos, photos_required=False, address=address,
                       segment_id=segment_id, description=text, source=TICKET_SOURCES.get(source, source),
                       unit_ids=unit_ids, frontage_id=frontage, units_named_by="文明办登记时指定的责任单位")
    away = far_from_segment(segment_id, *photo_position(report))
    if away is not None:  # a photo taken elsewhere (or a screenshot's stale EXIF): the segment's place stands
        report.photo_position = False
        if notes is not None:
            notes.append(f"照片位置距所选路段{far_note(away)}，未采用")
    ticket, _ = create_ticket(user, report, now)
    item = IntakeItem(source=source, status="accepted", case_number=key, category=ticket.category,
                      category_text=ticket.category.name, description=description, address=address,
                      reference=reference, received_at=now, created_at=now, updated_at=now,
                      decided_by=user.id, decided_at=now, ticket=ticket)
    db.session.add(item)
    try:
        db.session.flush()
    except IntegrityError:  # the same item entered or imported at this very moment (the key is unique)
        db.session.rollback()  # nothing of this entry stays (its ticket, its photos' files)
        _ensure_key_free(key)  # names what took it, when this transaction can see it
        raise Conflict(f"“{key}”刚被其他人登记或导入，请刷新后查看。", code="feedback_item_taken") from None
    return ticket


def _ensure_key_free(key: str | None) -> None:
    """A feedback list's item ("清单名称第N条") is taken once, imported or entered: a second entry is refused,
    naming what the first became."""
    if key is None:
        return
    taken = hotline.existing_case(key, feedback.SOURCE)
    if taken is not None:
        raise Conflict(f"“{key}”已登记（{hotline.taken_by(taken)}），同一反馈条目只登记一次。",
                       code="feedback_item_taken")
