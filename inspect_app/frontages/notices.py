"""门前四包责任整改通知书: the street office hands a frontage (a shop, an institution) a notice of its 门前四包 problems
still open, with a date to put them right; numbered per street and year (门前四包〔2026〕3号) and kept, so the
frontage's page shows when it was told, and the notice prints again as it was given.

The notice is a 函 in 信函格式 (GB/T 9704-2012, inspect_app/pdf): the street office's name as the banner, the
shop as 主送, the problems in a table with their photos, the date and what follows if they are not put right
(通报曝光, as the 责任书 says), and the street office's 落款 with room for its seal. What it says of the shop (name,
address, 责任书 number and date), of the street office (name, contact) and of each problem (number, when found,
category, place, description, photo) is kept with the notice when it is given and printed from there: the register
edited later, the shop moved, a category or road renamed, does not rewrite a numbered notice handed over. A shop
that has signed no 责任书 (no signing date when it is given) is told of its 门前四包 duty under the city's
市容和环境卫生责任区 rules, not held to a 责任书 it never signed (the street office, told so on the form, is to
have it sign one). Callers commit.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..common.errors import BadRequest, Conflict, Invalid, NotFound
from ..common.ids import get_row
from ..common.models import lock_sequence, next_value
from ..common.text import one_line
from ..common.timeutil import fmt, fmt_cn_date, iso_day, isoformat, local
from ..extensions import db
from ..pdf.document import Column, DataTable, Form, OfficialDocument, Para, Photo
from ..pdf.drafts import render_pdf
from ..photos.storage import PhotoStore, is_valid_key
from ..policy import OFFICE, UNITS, has_role, own_unit, sees_citywide
from ..tickets.models import Ticket
from ..tickets.policy import ticket_scope, unit_tickets
from ..tickets.rules import OPEN_STATUSES
from . import services
from .models import DUTIES, Frontage, FrontageNotice

LONGEST_DAYS = 30  # the date to put things right: at most this far ahead
DEFAULT_WORKDAYS = 3  # the form's suggestion: three working days on (holidays and 调休 counted)
MAX_PROBLEMS = 50  # a notice names at most this many (the oldest first)
REPEAT_SECONDS = 120  # the same notice asked for again this soon (a double click, a resend) is the one given

# the description takes the width: at 52 mm (about 13 characters a line) seven ordinary problems ran to four
# pages, twelve long ones to fourteen; the number and the time it was found share a column
COLUMNS = (
    Column("序号", 9, "plain"),
    Column("问题编号\n发现时间", 24, "plain"),
    Column("类别", 17, "label"),
    Column("地点及情况", 85, "text"),
    Column("照片", 21, "photo"),
)
THUMB_MM = (20.0, 15.0)


def open_problems(user, frontage: Frontage) -> list[Ticket]:
    """The frontage's problems the units still owe action on (that this user may see, and its street follows up:
    not those found while it was with another street; not those reported put right and waiting to be checked), the
    oldest first."""
    return list(db.session.scalars(
        select(Ticket).where(Ticket.frontage_id == frontage.id, Ticket.status.in_(OPEN_STATUSES), ticket_scope(user),
                             unit_tickets(frontage.street_unit_id))
        .order_by(Ticket.reported_at, Ticket.id).limit(MAX_PROBLEMS)))


def _due(raw, now: datetime) -> date:
    text = str(raw or "").strip()
    if not text:
        raise BadRequest("请填写整改期限。", code="invalid_date")
    try:
        due = iso_day(text)
    except ValueError:
        raise BadRequest("整改期限格式不正确，应为 2026-12-08 这样的格式。", code="invalid_date") from None
    today = local(now).date()
    if not today <= due <= today + timedelta(days=LONGEST_DAYS):
        raise Invalid(f"整改期限应在今天至{LONGEST_DAYS}天以内。", code="invalid_range")
    return due


def issue(user, frontage: Frontage, fields, now: datetime) -> FrontageNotice:
    """A notice for the frontage's problems open now, due `due_on` (the same notice asked for again within
    REPEAT_SECONDS is the one given then, not a second number). 404 when the user may not keep the frontage (only
    its street office and the office give notices); 400/422 a missing, malformed or far date; 409 when nothing is
    open, the frontage is retired, or a notice its street gave it is still open (open_notice)."""
    if not services.may_edit(user, frontage):
        raise NotFound("门前四包责任商户不存在或无权查看。")
    due = _due(fields.get("due_on"), now)
    if not frontage.active:
        raise Conflict("该商户已停用（停业或搬迁），不再发整改通知书。", code="frontage_retired")
    problems = open_problems(user, frontage)
    if not problems:
        raise Conflict("该商户目前没有待整改的门前四包问题，无需发整改通知书。", code="no_open_problems")
    year, ids = local(now).year, [t.id for t in problems]
    sequence = f"frontage-notice:{frontage.street_unit_id}"
    lock_sequence(sequence, year)  # a double click queues here, and then finds the notice the first one gave
    given = db.session.scalar(select(FrontageNotice).where(
        FrontageNotice.frontage_id == frontage.id, FrontageNotice.due_on == due,
        FrontageNotice.issued_at >= now - timedelta(seconds=REPEAT_SECONDS))
        .order_by(FrontageNotice.id.desc()).limit(1))
    if given is not None and ticket_ids(given) == ids:
        return given
    if (pending := open_notice(frontage, local(now).date())) is not None:
        raise Conflict(f"该{'单位' if frontage.kind == '单位' else '商户'}的整改通知书{pending.number}"
                       f"（整改期限{fmt_cn_date(pending.due_on)}）尚未办结，不能再发新的通知书："
                       + ("请先送达并登记送达，" if pending.delivered_on is None else "")
                       + "督促其按期整改；期限过后仍未整改的，可再发整改通知书。", code="notice_open")
    notice = FrontageNotice(frontage=frontage, street_unit=frontage.street_unit, year=year,
                            seq=next_value(sequence, year), due_on=due, ticket_ids=json.dumps(ids), issued_by=user.id,
                            issued_at=now, problems=json.dumps([problem_row(t) for t in problems], ensure_ascii=False),
                            **as_printed(frontage))
    db.session.add(notice)
    db.session.flush()
    return notice


def open_notice(frontage: Frontage, today: date) -> FrontageNotice | None:
    """The notice the frontage's street has given it that is still open: its date not passed (whether delivered or
    not yet) and some of the problems it named still open (待整改 on its page). One at a time: a second would give
    the shop two numbers and two dates for the same problems. Once all are put right, or its date has passed (逾期:
    the next step is 通报曝光, or a notice never served in time), a new one may be given."""
    pending = db.session.scalars(select(FrontageNotice).where(
        FrontageNotice.frontage_id == frontage.id, FrontageNotice.street_unit_id == frontage.street_unit_id,
        FrontageNotice.due_on >= today).order_by(FrontageNotice.issued_at.desc(), FrontageNotice.id.desc())).all()
    left = still_open(list(pending))
    return next((notice for notice in pending if left.get(notice.id)), None)


def problem_row(ticket: Ticket) -> dict:
    """A problem as a notice given now names it (kept with it: FrontageNotice.problems): its number, when it was
    found, its category, place and description as they read today, and the photo its table shows."""
    from ..escalation.sweep import place_of

    return {"id": ticket.id, "number": ticket.number, "reported_at": isoformat(ticket.reported_at),
            "category": ticket.category.name if ticket.category else "", "place": place_of(ticket),
            "description": (ticket.description or "").strip(),
            "photo": next((p.key for p in ticket.photos if p.kind == "before"), None)}


def problems_of(notice: FrontageNotice) -> list[dict]:
    """The problems the notice named, in its order, as it named them (problem_row)."""
    return json.loads(notice.problems or "[]")


def as_printed(frontage: Frontage) -> dict:
    """What a notice given now says of the frontage and of its street office (kept with it: FrontageNotice)."""
    street = frontage.street_unit
    return {"addressee": frontage.name, "addressee_kind": frontage.kind, "address": frontage.address,
            "frontage_code": frontage.code, "signed_on": frontage.signed_here_on, "issuer_name": street.name,
            "contact_person": street.contact_person or "", "contact_phone": street.contact_phone or ""}


RECEIVER_MAX = 40


def may_deliver(user, notice: FrontageNotice) -> bool:
    """送达 is recorded by the street office that gave the notice (or the office), wherever the shop is now."""
    if has_role(user, OFFICE):
        return True
    return has_role(user, UNITS) and user.unit is not None and user.unit.kind == services.STREET_KIND \
        and own_unit(user, notice.street_unit_id)


def deliver(user, notice: FrontageNotice, fields, now: datetime) -> FrontageNotice:
    """送达: the day the notice was handed over (from its issue to today) and who signed for it (a name, or 拒收,
    留置送达). Recorded once: 409 when it is already. 404 a notice of a frontage the user may not keep; 400 a
    missing or malformed field; 422 a day before the notice or after today."""
    if not may_deliver(user, notice):
        raise NotFound("没有这份整改通知书或无权查看。")
    text = str(fields.get("delivered_on") or "").strip()
    try:
        day = iso_day(text) if text else None
    except ValueError:
        day = None
    if day is None:
        raise BadRequest("请填写送达日期，格式如 2026-12-08。", code="invalid_date")
    receiver = one_line(fields.get("received_by"))
    if not receiver:
        raise BadRequest("请填写签收人（拒收的写“拒收”，留置送达的写“留置送达”）。", code="invalid_form")
    if len(receiver) > RECEIVER_MAX:
        raise BadRequest(f"签收人不能超过{RECEIVER_MAX}字。", code="text_too_long")
    if not local(notice.issued_at).date() <= day <= local(now).date():
        raise Invalid("送达日期应在通知书发出之日至今天之间。", code="invalid_range")
    lock_sequence(f"frontage-notice:{notice.street_unit_id}", notice.year)  # two clerks at once: one record
    db.session.refresh(notice)
    if notice.delivered_on is not None:
        raise Conflict(f"这份通知书已登记送达（{notice.delivered_on.month}月{notice.delivered_on.day}日，"
                       f"{notice.received_by}）。", code="already_delivered")
    notice.delivered_on, notice.received_by = day, receiver
    db.session.flush()
    return notice


def ticket_ids(notice: FrontageNotice) -> list[int]:
    """The problems the notice named, in its order."""
    return json.loads(notice.ticket_ids)


def notices_of(user, frontage: Frontage) -> list[FrontageNotice]:
    """The frontage's notices this user may read, the latest first: every one to citywide readers, to a unit those
    its street gave (a notice is the issuing street's: the street a shop moved to does not see, or record 送达 of,
    the one the shop was given before)."""
    query = select(FrontageNotice).where(FrontageNotice.frontage_id == frontage.id)
    if not sees_citywide(user):  # a district the notices its streets gave (read only)
        query = query.where(FrontageNotice.street_unit_id.in_(
            sorted({user.unit_id or -1} | (services.overseen_streets(user) or set()))))
    return list(db.session.scalars(query.order_by(FrontageNotice.issued_at.desc(), FrontageNotice.id.desc())))


def still_open(notices: list[FrontageNotice]) -> dict[int, int]:
    """notice id -> how many of the problems it named the units still owe action on (a notice whose date has
    passed with some left is 逾期未整改: the next step is 通报曝光)."""
    named = {notice.id: ticket_ids(notice) for notice in notices}
    ids = {ticket_id for group in named.values() for ticket_id in group}
    if not ids:
        return {}
    open_ids = set(db.session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), Ticket.status.in_(OPEN_STATUSES))))
    return {notice_id: sum(1 for ticket_id in group if ticket_id in open_ids) for notice_id, group in named.items()}


Key = tuple[int, int]  # (frontage id, street id): a street's record of a frontage (services.Offender.key)


def _late(keys: list[Key], today: date) -> list[FrontageNotice]:
    """The notices the street of each (frontage, street) pair gave the frontage whose date has passed and some of
    whose problems are still open."""
    wanted = set(keys)
    if not wanted:
        return []
    late = [notice for notice in db.session.scalars(select(FrontageNotice).where(
        FrontageNotice.frontage_id.in_({frontage_id for frontage_id, _ in wanted}), FrontageNotice.due_on < today))
        if (notice.frontage_id, notice.street_unit_id) in wanted]
    left = still_open(late)
    return [notice for notice in late if left.get(notice.id)]


def _served(notice: FrontageNotice) -> bool:
    return notice.delivered_on is not None and notice.delivered_on <= notice.due_on


def past_due(keys: list[Key], today: date) -> tuple[set[Key], set[Key]]:
    """Of these (frontage, street) pairs, those with a notice that street gave the frontage whose date has passed
    and some of whose problems are still open (a notice another street gave before a move is that street's), as
    (served, unserved). Served: the notice recorded as delivered (送达) by its date, so the shop was told and is
    逾期未整改 — the next step is 通报曝光. Unserved: never recorded as delivered, or only after its date; nothing
    shows the shop was told in time, so the street office is to serve it first, not name the shop for 曝光."""
    late = _late(keys, today)
    served = {(n.frontage_id, n.street_unit_id) for n in late if _served(n)}
    return served, {(n.frontage_id, n.street_unit_id) for n in late} - served


def under_agreement(keys: list[Key], today: date) -> set[Key]:
    """Of these pairs, those past due and served (past_due) whose latest such notice held the shop to a signed
    责任书: what binds it when it is named for 曝光 is what it was told, the 责任书 as it stood when the notice was
    given (kept with the notice), not the register today: a shop that signed only after its notice was told under
    the city's rules; a shop moved to a street where it has signed none yet was held to its 责任书 at the old one."""
    latest: dict[Key, FrontageNotice] = {}
    for notice in sorted((n for n in _late(keys, today) if _served(n)), key=lambda n: (n.issued_at, n.id)):
        latest[(notice.frontage_id, notice.street_unit_id)] = notice
    return {key for key, notice in latest.items() if notice.signed_on is not None}


def counts(keys: list[Key]) -> dict[Key, int]:
    """How many notices each of these (frontage, street) pairs' street has given the frontage."""
    wanted = set(keys)
    if not wanted:
        return {}
    rows = db.session.execute(select(FrontageNotice.frontage_id, FrontageNotice.street_unit_id, func.count())
                              .where(FrontageNotice.frontage_id.in_({frontage_id for frontage_id, _ in wanted}))
                              .group_by(FrontageNotice.frontage_id, FrontageNotice.street_unit_id))
    return {(frontage_id, street_id): n for frontage_id, street_id, n in rows if (frontage_id, street_id) in wanted}


def get(user, notice_id) -> FrontageNotice:
    """A notice citywide readers, or the street office that gave it, may read; 404 otherwise (to the street the
    shop moved to as well: the notice is the issuing street's)."""
    notice = get_row(FrontageNotice, notice_id)
    if notice is None or not (sees_citywide(user) or own_unit(user, notice.street_unit_id)
                              or services.oversees_street(user, notice.street_unit_id)):
        raise NotFound("没有这份整改通知书或无权查看。")
    return notice


# ----------------------------------------------------------------------------- the PDF

def photo_cell(key: str | None, size: tuple[float, float]) -> Photo:
    """A table cell with the stamped copy of a stored photo (when, where, who); （无照片） without one."""
    if not key or not is_valid_key(key):
        return Photo(None, *size)
    return Photo(str(PhotoStore(current_app.config["UPLOAD_FOLDER"]).display_path(key)), *size)


def _place(problem: dict) -> str:
    place, description = problem["place"], problem["description"]
    return f"{place}：{description}" if description and description not in place else place


def document(notice: FrontageNotice) -> OfficialDocument:
    """The notice as it was given (the frontage and the street office as kept with it, the problems as it named
    them: problems_of)."""
    tickets = problems_of(notice)
    rows = []
    for n, problem in enumerate(tickets, 1):
        found = datetime.fromisoformat(problem["reported_at"])
        rows.append([str(n), f"{problem['number']}\n{fmt(found, '%Y-%m-%d')}\n{fmt(found, '%H:%M')}",
                     problem["category"], _place(problem), photo_cell(problem["photo"], THUMB_MM)])
    you = "你单位" if notice.addressee_kind == "单位" else "你店"
    found_here = f"经检查，{you}（{notice.address}）门前责任区内存在以下{len(tickets)}处问题，"
    due, signed = notice.due_on, notice.signed_on
    if signed:
        breach = (f"不符合{signed.year}年{signed.month}月{signed.day}日签订的门前四包责任书（编号{notice.frontage_code}）"
                  f"关于{DUTIES}的要求：")
        then = "将按照责任书的约定予以通报曝光，并依法依规处理。"
    else:  # no 责任书 signed: the duty itself, under the city's rules (no longer than the 责任书's wording: a
        # sentence more asking it to sign pushed the 落款 of a two-problem notice onto a page of its own)
        breach = f"未履行{DUTIES}的门前四包责任，不符合本市市容和环境卫生责任区管理的有关规定："
        then = "将予以通报曝光，并依法依规处理。"
    body = [Para(found_here + breach),
            DataTable(COLUMNS, rows=rows),
            Para(f"请于{due.year}年{due.month}月{due.day}日前整改完毕，整改后告知街道办事处，并长效保持门前整洁有序。"
                 "逾期未整改或整改后反复出现的，" + then)]
    contact = "，电话：".join(part for part in (notice.contact_person, notice.contact_phone) if part)
    return OfficialDocument(form=Form.LETTER, issuer_mark=notice.issuer_name, doc_number=notice.number,
                            title="门前四包责任整改通知书", recipients=[notice.addressee], body=body,
                            signatory=notice.issuer_name, date=local(notice.issued_at).date(),
                            note=f"联系人：{contact}" if contact else "")


def render(notice: FrontageNotice) -> bytes:
    return render_pdf(document(notice))
