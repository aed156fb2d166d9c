"""The 门前四包 register: who sees which frontages, adding and editing them, their history and repeat offenders.

A street office sees and keeps the frontages of its own street; the office, inspectors and leaders see them all.
A frontage another unit asks for answers 404, like any record of another unit. Callers commit.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..common.codes import same_code
from ..common.errors import Forbidden, Invalid, NotFound
from ..common.ids import get_row
from ..common.sql import any_like, by_code_point, has_letters, like_pattern
from ..common.text import narrow_alnum, one_line
from ..common.timeutil import local
from ..common.unique import unique_write
from ..extensions import db
from ..http import choice_arg, flag_arg, int_arg
from ..policy import OFFICE, UNITS, has_role, own_unit, sees_citywide, unit_scope
from ..tickets.models import Ticket, TicketUnit
from ..tickets.policy import ticket_scope
from ..tickets.rules import ACTIVE_STATUSES
from ..tickets.territory import in_territory
from ..units.models import Segment, Unit
from ..units.territory import territory_ids
from .models import FRONTAGE_KINDS, Frontage, FrontageNotice

PER_PAGE = 50
# the register's 状态 filter: in business (the default), retired (停用: closed or moved away), or both
STATUSES = {"active": "在用", "retired": "已停用", "all": "全部"}


def overseen_streets(user) -> frozenset[int] | None:
    """The street offices under the user's unit (a 区县人民政府's 街道, units/territory.py), whose registers its clerks
    read, read only (辖区督导: the streets keep them); None for a unit with no street under it, and for anyone else.
    Asked once a request."""
    ids = territory_ids(user)
    if ids is None:
        return None
    cache = g.setdefault("_overseen_streets", {}) if has_request_context() else {}
    if ids not in cache:
        cache[ids] = frozenset(db.session.scalars(select(Unit.id).where(
            Unit.id.in_(sorted(ids - {user.unit_id})), Unit.kind == STREET_KIND))) or None
    return cache[ids]


def street_scope(user, column):
    """SQL condition on a street's id column: the streets whose register this user reads (a district its streets,
    a street office its own, citywide readers all)."""
    streets = overseen_streets(user)
    if streets is not None:
        return column.in_(sorted(streets | {user.unit_id}))
    return unit_scope(user, column)


def scope(user):
    """SQL condition: the frontages this user may see (a street office its own, a district its streets')."""
    return street_scope(user, Frontage.street_unit_id)


def oversees_street(user, street_id: int) -> bool:
    """The street is one under the user's unit (its register read only)."""
    return street_id in (overseen_streets(user) or ())


def may_see(user, frontage: Frontage) -> bool:
    """Citywide readers, the frontage's street office, the district over it (read only), and a unit that follows up
    its problems or a notice it gave (the street the shop was with before the import moved it: its tickets and
    numbered notices stay its own; a bureau assisting on one of its problems, whose ticket page links here). Only
    its street keeps it (may_edit)."""
    if sees_citywide(user) or own_unit(user, frontage.street_unit_id) or oversees_street(user, frontage.street_unit_id):
        return True
    return bool(has_role(user, UNITS) and user.unit_id and _follows(user.unit_id, frontage.id))


def _follows(unit_id: int, frontage_id: int) -> bool:
    """The unit has a part in one of the frontage's problems or gave it a notice."""
    return bool(db.session.scalar(select(
        exists().where(Ticket.frontage_id == frontage_id, TicketUnit.ticket_id == Ticket.id,
                       TicketUnit.unit_id == unit_id)
        | exists().where(FrontageNotice.frontage_id == frontage_id, FrontageNotice.street_unit_id == unit_id))))


def record_street(user, frontage: Frontage) -> int:
    """Whose record of the frontage the user reads: a street office its own (the street it was with before a move
    reads what it follows up), everyone else the frontage's street's. Problems count for the street that follows
    them up (has a part in them): a shop moved to another street brings none of its old problems or notices."""
    if has_role(user, UNITS) and user.unit_id and user.unit_id != frontage.street_unit_id \
            and not oversees_street(user, frontage.street_unit_id):
        return int(user.unit_id)
    return frontage.street_unit_id


@dataclass
class Former:
    """A shop read by a street office it was with before a move: that street, and the shop's address while it was
    that street's (address_there; "" when none is kept)."""
    street: Unit
    address: str


def former_record(user, frontage: Frontage) -> Former | None:
    """The record a street office reads of a shop that moved away from it (record_street is that street): the address
    it had there, as its offenders list shows it; None for the shop's street now, citywide readers and a unit that
    is not a street (a bureau assisting on one of its problems: the shop never was its)."""
    street_id = record_street(user, frontage)
    if street_id == frontage.street_unit_id:
        return None
    street = db.session.get(Unit, street_id)
    if street is None or street.kind != STREET_KIND:
        return None
    return Former(street, address_there(frontage.id, street_id))


def held_by_street(street_id=None):
    """SQL join condition for TicketUnit: the ticket's part of `street_id`, or of the frontage's street (the query
    joins Frontage) when None: the problems that street follows up."""
    return and_(TicketUnit.ticket_id == Ticket.id,
                TicketUnit.unit_id == (Frontage.street_unit_id if street_id is None else street_id))


STREET_KIND = "街道"  # the units that sign and enforce 门前四包 (units.models.UNIT_KINDS)


def has_register(user) -> bool:
    """Citywide readers and street offices (the units that enforce 门前四包) have a register to read, and a district
    its streets' (read only); another unit (a city bureau, a carrier) keeps none: it reads only the shops whose
    problems it has a part in."""
    if not has_role(user, UNITS):
        return True
    return bool(user.unit and user.unit.kind == STREET_KIND) or overseen_streets(user) is not None


def refuse_no_register(user) -> None:
    """404 `no_register` for a unit that keeps no register (has_register) asking for it as a whole (its export):
    the register is the street offices', and an empty sheet would read as a city without shops."""
    if not has_register(user):
        raise NotFound("门前四包责任商户由所在街道办事处登记和管理，本单位没有登记的商户，无名册可导出。",
                       code="no_register")


def may_edit(user, frontage: Frontage | None) -> bool:
    """The office edits any frontage; a street office those of its street (and adds to its street). Other units
    (a city bureau, a carrier) keep no register: their clerks read it."""
    if has_role(user, OFFICE):
        return True
    if not has_role(user, UNITS) or not user.unit_id or user.unit is None or user.unit.kind != STREET_KIND:
        return False
    return frontage is None or own_unit(user, frontage.street_unit_id)


def get(user, frontage_id) -> Frontage:
    frontage = get_row(Frontage, frontage_id)
    if frontage is None or not may_see(user, frontage):
        raise NotFound("门前四包责任商户不存在或无权查看。")
    return frontage


@dataclass
class RegisterFilter:
    """The register's filters, as the page, the API and the export read them (register_filter); they combine."""
    q: str = ""
    street_unit_id: int | None = None
    segment_id: int | None = None  # 责任路段: the road the shop fronts
    signing: str | None = None     # SIGNING: 未签订 (no 责任书 signed) or 已签订; None: both
    status: str = "active"         # STATUSES

    def any(self) -> bool:
        """Narrowed from the default (the register in use)."""
        return bool(self.q or self.street_unit_id or self.segment_id or self.signing or self.status != "active")


# the register's 责任书 filter: not signed (the street office's to-do: have them sign) or signed
SIGNING = {"unsigned": "未签订", "signed": "已签订"}


FILTER_ARGS = ("q", "street_unit_id", "segment_id", "signing", "status", "retired")  # what register_filter reads


def register_filter(user, args: Mapping) -> RegisterFilter:
    """The filters of a query string: 400 for a malformed one, 404 for a street or road this user may not see
    (another street's, as its shops answer; or none such)."""
    # ?retired=1, the old links' way, shows both
    status = choice_arg(args, "status", STATUSES, label="状态") or ("all" if flag_arg(args, "retired") else "active")
    found = RegisterFilter(q=one_line(args.get("q") or "")[:50], street_unit_id=int_arg(args, "street_unit_id"),
                           segment_id=int_arg(args, "segment_id"),
                           signing=choice_arg(args, "signing", SIGNING, label="责任书"), status=status)
    if found.street_unit_id is not None:
        street = db.session.get(Unit, found.street_unit_id)
        if street is None or not (sees_citywide(user) or own_unit(user, street.id) or oversees_street(user, street.id)):
            raise NotFound("所选街道不存在或无权查看。", code="unit_not_found")
    if found.segment_id is not None and not _may_filter_road(user, found.segment_id):
        raise NotFound("所选责任路段不存在或无权查看。", code="segment_not_found")
    return found


def _may_filter_road(user, segment_id: int) -> bool:
    """A road anyone citywide may pick; a street office one of its street (属地) or one its shops front."""
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        return False
    if sees_citywide(user) or own_unit(user, segment.unit_id):
        return True
    return bool(db.session.scalar(select(exists().where(Frontage.segment_id == segment_id, scope(user)))))


def road_menu(user) -> list:
    """The roads the register's filter offers: those the frontages this user may see front (id, name, district),
    by district and name."""
    return db.session.execute(
        select(Segment.id, Segment.name, Segment.district).where(
            Segment.id.in_(select(Frontage.segment_id).where(scope(user), Frontage.segment_id.is_not(None))))
        .order_by(by_code_point(Segment.district), by_code_point(Segment.name))).all()


def register_where(user, found: RegisterFilter) -> list:
    """SQL conditions on Frontage: the register this user may see (a street office its own street's) narrowed by
    `found`."""
    where = [scope(user)]
    if term := search_term(found.q):
        where.append(matches(term))
    if found.street_unit_id:
        where.append(Frontage.street_unit_id == found.street_unit_id)
    if found.segment_id:
        where.append(Frontage.segment_id == found.segment_id)
    if found.signing:
        # signed with the street it is with now: a shop moved since it signed has to sign with its new street
        signed = Frontage.signed_here()
        where.append(~signed if found.signing == "unsigned" else signed)
    if found.status != "all":
        where.append(Frontage.active.is_(found.status != "retired"))
    return where


def register_query(user, found: RegisterFilter):
    """The register this user may see (a street office its own street's) narrowed by `found` (unordered)."""
    return select(Frontage).where(*register_where(user, found))


def _ordered(query):
    """In the list's order: in use first, by street and name."""
    return query.order_by(Frontage.active.desc(), Frontage.street_unit_id, by_code_point(Frontage.name), Frontage.id)


def list_frontages(user, found: RegisterFilter, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[Frontage], int]:
    """A page of the register this user may see, narrowed by `found` (a retired shop is found again with status
    "retired" or "all")."""
    query = register_query(user, found)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(_ordered(query).limit(per_page).offset((max(page, 1) - 1) * per_page)).unique()
    return list(rows), total


def export_columns() -> list[str]:
    _, days = repeat_rule()
    return ["编号", "名称", "类型", "地址", "所属街道", "责任路段", "责任书", "签订日期", "联系人", "联系电话", "状态",
            f"近{days}天问题"]


EXPORT_LABEL = "门前四包责任商户名册"
EXPORT_WIDTHS = [12, 26, 8, 30, 22, 22, 9, 12, 10, 16, 8, 12]


def export_rows(user, found: RegisterFilter, now: datetime) -> list[list]:
    """The register as the page lists it with `found`, every page, one row a shop (export_columns): only what this
    user may see, a street office its own street's shops."""
    # each shop's count joined in, grouped over the same register: a list of tens of thousands of ids would pass
    # SQLite's bound-parameter limit (32766; 999 on old builds) and is slow on PostgreSQL
    counted = _recent(now).where(*register_where(user, found)).subquery()
    query = (_ordered(register_query(user, found)).add_columns(func.coalesce(counted.c.n, 0))
             .outerjoin(counted, counted.c.frontage_id == Frontage.id).options(selectinload(Frontage.segment)))
    return [[f.code, f.name, f.kind, f.address, f.street_unit.name,
             f"{f.segment.district}/{f.segment.name}" if f.segment else "",
             SIGNING["signed" if f.signed else "unsigned"], f.signed_here_on.isoformat() if f.signed else "",
             f.contact_person, f.contact_phone, STATUSES["active" if f.active else "retired"], count]
            for f, count in db.session.execute(query).unique()]


def search_term(q: str) -> str:
    """What a search looks for: full-width digits and letters as ASCII (names and addresses are stored so), and no
    spaces (老杨米粉 finds 老杨 米粉, 太平街 120号 finds 太平街120号)."""
    return narrow_alnum(one_line(q)[:50]).replace(" ", "")


def matches(term: str):
    """SQL condition: the frontage's name, address or number contains `term` (search_term's), spaces aside."""
    return any_like([func.replace(column, " ", "") for column in (Frontage.name, Frontage.address, Frontage.code)],
                    like_pattern(term), letters=has_letters(term))


def search(q: str, limit: int = 20) -> tuple[list[Frontage], int]:
    """Active frontages whose name, address or number contains `q` (the filing page's picker): at most `limit`,
    and how many there are (the picker shows a few and asks for more words when there are more)."""
    term = search_term(q)
    if not term:
        return [], 0
    found = select(Frontage).where(Frontage.active.is_(True), matches(term))
    rows = list(db.session.scalars(found.order_by(by_code_point(Frontage.name), Frontage.id).limit(limit)).unique())
    total = len(rows) if len(rows) < limit else db.session.scalar(select(func.count()).select_from(found.subquery()))
    return rows, total


def active_register(limit: int) -> list[Frontage]:
    """The frontages in use, by register number: at most `limit` (a form lists them to pick from)."""
    return list(db.session.scalars(select(Frontage).where(Frontage.active.is_(True))
                                   .order_by(Frontage.code).limit(limit)))


def filter_streets(user) -> list[Unit]:
    """The register's 所属街道 filter: every street for the office, a district's streets for its clerks, else none
    (a street office lists its own)."""
    if has_role(user, OFFICE):
        return streets(user)
    overseen = overseen_streets(user)
    if overseen is None:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(sorted(overseen))).order_by(Unit.code)))


def streets(user) -> list[Unit]:
    """The street offices a user may file frontages under: all active streets for the office, else its own."""
    if has_role(user, OFFICE):
        return list(db.session.scalars(select(Unit).where(Unit.active.is_(True), Unit.kind == STREET_KIND)
                                       .order_by(Unit.code)))
    unit = db.session.get(Unit, user.unit_id) if getattr(user, "unit_id", None) else None
    return [unit] if unit is not None and unit.kind == STREET_KIND else []


# ----------------------------------------------------------------------------- add and edit

def _text(value, label: str, limit: int, required: bool = False) -> str:
    text = one_line(value)
    if required and not text:
        raise Invalid(f"{label}不能为空。", code="required")
    if len(text) > limit:
        raise Invalid(f"{label}不能超过{limit}个字符。", code="text_too_long", status=400)
    return text


def parse_date(value, label: str = "责任书签订日期", latest: date | None = None) -> date | None:
    """A date as offices write it (2026-03-15, 2026/3/15, 2026年3月15日); none after `latest` when given (a 责任书
    is dated when it was signed)."""
    raw = one_line(value)
    if not raw:
        return None
    for separator in ("/", ".", "年"):
        raw = raw.replace(separator, "-")
    raw = raw.replace("月", "-").replace("日", "").strip("-")
    try:
        parts = [int(p) for p in raw.split("-")[:3]]
        day = date(*parts)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a year of forty digits
        raise Invalid(f"{label}“{value}”格式不正确，应为 2026-03-15。", code="invalid_date") from None
    if not 2000 <= day.year <= 2100:
        raise Invalid(f"{label}“{value}”超出范围。", code="invalid_date")
    if latest is not None and day > latest:
        raise Invalid(f"{label}“{value}”晚于今天：请填写已经签订的日期，尚未签订的留空。", code="invalid_date")
    return day


def _street(user, value, frontage: Frontage | None) -> Unit:
    raw = one_line(value)
    unit = get_row(Unit, raw)
    if unit is None or not unit.active:
        raise Invalid("请选择所属街道（在用的单位）。", code="invalid_unit")
    if not has_role(user, OFFICE) and not own_unit(user, unit.id):
        raise Forbidden("只能登记本街道的门前四包责任商户。")
    unchanged = frontage is not None and frontage.street_unit_id == unit.id  # a record kept from before the rule
    if unit.kind != STREET_KIND and not unchanged:
        raise Invalid(f"“{unit.name}”不是街道：门前四包责任商户由所在街道登记和管理，请选择街道。",
                      code="invalid_unit")
    return unit


def segment_menu(user, frontage: Frontage | None = None) -> list:
    """The 责任路段 the form offers (segment_choices rows): every active one to the office; to a street office those
    of its street (属地), where its frontages are, and the frontage's own segment when it lies elsewhere (kept from
    before the rule: editing the frontage does not drop it)."""
    from ..units.services import segment_choices

    if has_role(user, OFFICE):
        return segment_choices()
    return segment_choices(user.unit_id, also_id=frontage.segment_id if frontage is not None else None)


def _segment(user, value, frontage: Frontage | None) -> Segment | None:
    raw = one_line(value)
    if not raw:
        return None
    segment = get_row(Segment, raw)
    if segment is None or not segment.active:
        raise Invalid("所选责任路段不存在或已停用。", code="invalid_segment")
    # a street office registers the shops of its own street: a segment elsewhere would put its problems on another
    # district's road while they go to this street (the office registers anywhere)
    unchanged = frontage is not None and frontage.segment_id == segment.id  # a record kept from before the rule
    if not has_role(user, OFFICE) and segment.unit_id != user.unit_id and not unchanged:
        raise Invalid(f"责任路段“{segment.name}”不属于本街道：只能选择本街道属地的责任路段。",
                      code="invalid_segment")
    return segment


def save(user, data: Mapping, now: datetime, frontage: Frontage | None = None) -> Frontage:
    """Add (frontage=None) or edit: code, name, kind, address, street_unit_id, segment_id, signed_on,
    contact_person, contact_phone, note."""
    from ..office import fields

    if not may_edit(user, frontage):
        raise NotFound("门前四包责任商户不存在或无权查看。")
    code = fields.code(data.get("code"), "编号")
    # full-width digits and letters (太平街１２０号) stored as ASCII, so a search typed either way finds them
    name = narrow_alnum(_text(data.get("name"), "名称", 100, required=True))
    kind = fields.choice(data.get("kind") or "商户", "类型", FRONTAGE_KINDS)
    address = narrow_alnum(_text(data.get("address"), "地址", 200, required=True))
    street = _street(user, data.get("street_unit_id"), frontage)
    segment = _segment(user, data.get("segment_id"), frontage)
    signed_on, signed_with = signing_after(frontage, street.id,
                                           parse_date(data.get("signed_on"), latest=local(now).date()))
    contact_person = narrow_alnum(_text(data.get("contact_person"), "联系人", 64))
    contact_phone = fields.phone(data.get("contact_phone"))
    note = _text(data.get("note"), "备注", 500)
    own_id = frontage.id if frontage is not None else -1
    _refuse_code_taken(code, own_id)
    with unique_write(lambda: _refuse_code_taken(code, own_id)):
        if frontage is None:
            frontage = Frontage(created_at=now, active=True)
            db.session.add(frontage)
        frontage.code, frontage.name, frontage.kind, frontage.address = code, name, kind, address
        frontage.street_unit, frontage.segment = street, segment
        frontage.signed_on, frontage.signed_with_unit_id = signed_on, signed_with
        frontage.contact_person, frontage.contact_phone, frontage.note = contact_person, contact_phone, note
    return frontage


def signing_after(frontage: Frontage | None, street_id: int, given: date | None) -> tuple[date | None, int | None]:
    """(signed_on, signed_with_unit_id) once the form or the import gives the 责任书签订日期 `given` for a frontage
    that will be with street `street_id`. The date it has (the form shows it only while signed with its street now)
    keeps that signing with the street it was made with: a shop moved to another street has signed none with the new
    one, and its old signing stays recorded. Left blank, a signing with its street now is taken back (entered by
    mistake); one with a street it was with before stays on record. Another date is a signing with `street_id`."""
    if frontage is not None and given is not None and given == frontage.signed_on:
        return frontage.signed_on, frontage.signed_with_unit_id
    if given is None:
        if frontage is None or frontage.signed:
            return None, None
        return frontage.signed_on, frontage.signed_with_unit_id
    return given, street_id


def must_sign_again(kind: str, signed_on: date, old_street, street) -> str:
    """What the form and the import say when a shop signed with `old_street` moves to `street`: its 责任书 stays with
    the street it leaves, and it is to sign a new one with its new street."""
    return (f"该{'单位' if kind == '单位' else '商户'}已于{signed_on.isoformat()}与{old_street.name}签订门前四包责任书，"
            f"迁至{street.name}后需与{street.name}重新签订责任书（原签订记录保留），在此之前按未签订计")


def _refuse_code_taken(code: str, own_id: int) -> None:
    other = db.session.scalar(select(Frontage.code).where(same_code(Frontage.code, code), Frontage.id != own_id))
    if other:  # mq-01001 beside MQ-01001 would be one register number twice (common/codes.py)
        raise Invalid(f"编号“{code}”已被其他商户使用" + (f"（{other}，仅大小写不同）" if other != code else "") + "。",
                      code="duplicate_code")


def set_active(user, frontage: Frontage, active: bool) -> None:
    """停用 (closed or moved away) or 恢复. Retiring takes nothing back: its problems still open stay with its street
    to be put right (unfinished), it leaves the 通报 and no new problem or notice names it."""
    if not may_edit(user, frontage):
        raise NotFound("门前四包责任商户不存在或无权查看。")
    frontage.active = active


def unfinished(frontage: Frontage) -> int:
    """The frontage's problems its street follows up that are not yet closed (在办: open or waiting to be checked)."""
    return db.session.scalar(select(func.count()).select_from(Ticket).join(Frontage, Frontage.id == Ticket.frontage_id)
                             .join(TicketUnit, held_by_street())
                             .where(Ticket.frontage_id == frontage.id, Ticket.status.in_(ACTIVE_STATUSES))) or 0


# ----------------------------------------------------------------------------- history and repeat offenders

def repeat_rule() -> tuple[int, int]:
    """(problems, days): a frontage with at least this many problems within this many days is a repeat offender."""
    config = current_app.config
    return int(config["FRONTAGE_REPEAT_COUNT"]), int(config["FRONTAGE_REPEAT_DAYS"])


def history(user, frontage: Frontage, limit: int = 200) -> list[Ticket]:
    """The problems filed against the frontage that this user may see, newest first."""
    from ..tickets.queries import LIST_LOAD

    return list(db.session.scalars(
        select(Ticket).where(Ticket.frontage_id == frontage.id, _ticket_scope(user))
        .options(*LIST_LOAD, selectinload(Ticket.open_extensions))  # serialize.part_dict shows the lead's
        .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(limit)).unique())


def _ticket_scope(user):
    """The problems this user reads: a district over the shops' streets its territory's too (read only)."""
    if overseen_streets(user) is None:
        return ticket_scope(user)
    return or_(ticket_scope(user), in_territory(territory_ids(user)))


def _recent(now: datetime, street_id: int | None = None):
    """(frontage_id, n): problems (not voided) per frontage within the repeat window that its street follows up
    (or `street_id`: a street it was with before a move), grouped; the caller narrows it to the frontages wanted."""
    _, days = repeat_rule()
    return (select(Ticket.frontage_id, func.count().label("n")).join(Frontage, Frontage.id == Ticket.frontage_id)
            .join(TicketUnit, held_by_street(street_id))
            .where(Ticket.reported_at >= now - timedelta(days=days), Ticket.status != "cancelled")
            .group_by(Ticket.frontage_id))


def recent_counts(frontage_ids: list[int], now: datetime, street_id: int | None = None) -> dict[int, int]:
    """Problems (not voided) per frontage within the repeat window that its street follows up (or `street_id`:
    a street it was with before a move): a street's count, as its list and the offenders list have it. For a page
    of frontages (their ids go to the database one parameter each): the export joins _recent instead."""
    if not frontage_ids:
        return {}
    rows = db.session.execute(_recent(now, street_id).where(Ticket.frontage_id.in_(frontage_ids)))
    return {frontage_id: count for frontage_id, count in rows}


@dataclass
class Offender:
    frontage: Frontage
    problems: int          # within the window
    last_at: datetime      # the latest of them
    open: int              # of them still with the units
    street: Unit | None = None  # the street they count for (found while the shop was its); None: its street now
    address_there: str = ""  # a moved shop's address while it was that street's (addresses_there); "": none kept

    @property
    def street_unit(self) -> Unit:
        return self.street if self.street is not None else self.frontage.street_unit

    @property
    def key(self) -> tuple[int, int]:
        """(frontage, street): a shop that moved is a street's offender for the problems found while it was there."""
        return self.frontage.id, self.street_unit.id

    @property
    def address(self) -> str:
        """Its address under the street these problems count for: a moved shop's where it was then."""
        return self.address_there or self.frontage.address

    @property
    def signed(self) -> bool:
        """It has a 责任书 with the street these problems count for (a moved shop's with its old street, if it signed
        there and none since)."""
        return self.frontage.signed_by(self.street_unit.id)

    @property
    def moved(self) -> bool:
        """The shop has moved to another street since these problems were found."""
        return self.street_unit.id != self.frontage.street_unit_id


def repeat_offenders(user, now: datetime, street_unit_id: int | None = None) -> list[Offender]:
    """Frontages with at least FRONTAGE_REPEAT_COUNT problems (voided ones aside) in the last FRONTAGE_REPEAT_DAYS
    days that one street follows up, one row a (frontage, street), of the streets this user may see (a street office
    its own), most problems first: the list a street office follows up and names. Problems count for the street
    they were found in (that follows them up: its street then, or a street office with a part in them): a shop the
    import moved to another street stays the old street's offender for what was found there, and brings the new
    one none. Retired (停用) ones come last: their problems still open are followed up, but the 通报 leaves them
    out."""
    count, days = repeat_rule()
    since = now - timedelta(days=days)
    counted, street = aliased(Unit), aliased(Unit)
    open_case = func.sum(case((Ticket.status.in_(ACTIVE_STATUSES), 1), else_=0))
    grouped = (select(Ticket.frontage_id, TicketUnit.unit_id.label("street_id"), func.count().label("n"),
                      func.max(Ticket.reported_at).label("last"), open_case.label("open"))
               .join(Frontage, Frontage.id == Ticket.frontage_id)
               .join(TicketUnit, TicketUnit.ticket_id == Ticket.id).join(counted, counted.id == TicketUnit.unit_id)
               # its street's part (as held_by_street), or a street office's part: the street it was with before
               .where(Ticket.frontage_id.is_not(None), Ticket.reported_at >= since, Ticket.status != "cancelled",
                      or_(TicketUnit.unit_id == Frontage.street_unit_id, counted.kind == STREET_KIND))
               .group_by(Ticket.frontage_id, TicketUnit.unit_id).having(func.count() >= count).subquery())
    query = (select(Frontage, street, grouped.c.n, grouped.c.last, grouped.c.open)
             .join(grouped, grouped.c.frontage_id == Frontage.id).join(street, street.id == grouped.c.street_id)
             .where(street_scope(user, grouped.c.street_id))
             .order_by(Frontage.active.desc(), grouped.c.n.desc(), grouped.c.last.desc(),  # closed ones last
                       Frontage.id, street.id))
    if street_unit_id:
        query = query.where(grouped.c.street_id == street_unit_id)
    rows = [Offender(frontage, n, last, int(open_ or 0), unit)
            for frontage, unit, n, last, open_ in db.session.execute(query).unique()]
    for offender in rows:
        if offender.moved:
            offender.address_there = address_there(*offender.key)
    return rows


FRONTAGE_PLACE = re.compile(r"（[^（）]*门前）$")  # tickets.services._default_address's 建设路18号（老杨家米粉店门前）


def address_there(frontage_id: int, street_id: int) -> str:
    """The shop's address while it was street `street_id`'s (a shop moved since): the register's then, as the latest
    notice that street gave it printed it (FrontageNotice.address); with none given, where its latest problem that
    street follows up was found (the ticket's address, kept as filed: the shop's address then, 门前 aside, unless the
    reporter wrote another). "" when neither holds one."""
    given = db.session.scalar(
        select(FrontageNotice.address).where(FrontageNotice.frontage_id == frontage_id,
                                             FrontageNotice.street_unit_id == street_id, FrontageNotice.address != "")
        .order_by(FrontageNotice.issued_at.desc(), FrontageNotice.id.desc()).limit(1))
    if given:
        return given
    found = db.session.scalar(
        select(Ticket.address).join(TicketUnit, held_by_street(street_id))
        .where(Ticket.frontage_id == frontage_id, Ticket.status != "cancelled", Ticket.address != "")
        .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(1))
    return FRONTAGE_PLACE.sub("", one_line(found or "")) or one_line(found or "")
