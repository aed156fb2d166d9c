"""Reading letters and who may do what with one; shared by the web pages, the API and the action registry.

Who sees a letter: the office and leaders every letter, drafts included (the office writes them, leaders sign
them); inspectors every issued letter; a unit only the issued letters addressed to it (404 otherwise, like an
absent letter), and a unit with units under it (units/territory.py) the issued letters addressed to any unit of its
辖区 too, read only: of such a letter it reads what the territory's 主送 units read of theirs (their rows, items,
replies, 约谈), never a draft nor the office's own business. Who acts: the office edits drafts and clears items
(销号); a leader signs (签发), and the office's admins too where LETTER_ADMIN_MAY_SIGN says so; a 主送 unit signs for (签收) and replies to its letters.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, exists, false, func, select, true
from sqlalchemy.orm import selectinload

from ..common.errors import NotFound
from ..common.sql import const, on_days
from ..extensions import db
from ..http import choice_arg, date_range_args, flag_arg, int_arg
from ..policy import ADMIN, LEADER, LEADERSHIP, OFFICE, UNITS, has_role, sees_citywide
from ..tickets.policy import territory_scope
from ..units.territory import territory_ids
from .models import KIND_LABELS, LETTER_STATUSES, MAX_LEVEL, Letter, LetterUnit
from .settings import admin_may_sign

NOT_FOUND = "督办函不存在或无权查看。"
READ_ONLY = "仅可查看（辖区督导）：签收和书面回复由主送单位办理。"
SCOPES = ("own", "territory")  # a unit's list: 本单位 (the letters addressed to it), 辖区 (to any unit of its territory)


# ----------------------------------------------------------------------------- who

def reader_units(user, territory: bool = True) -> frozenset[int]:
    """The units whose letters a unit's clerk reads: its own, and with `territory` its 辖区's (the unit alone for
    a unit with nobody under it); empty for anyone else."""
    if not (has_role(user, UNITS) and user.unit_id):
        return frozenset()
    return (territory_ids(user) if territory else None) or frozenset({user.unit_id})


def _one_of(unit_ids: frozenset[int]):
    """SQL: the 主送 row's unit is one of these (a plain comparison for one unit, as before 辖区)."""
    if len(unit_ids) == 1:
        (unit_id,) = unit_ids
        return LetterUnit.unit_id == unit_id
    return LetterUnit.unit_id.in_(sorted(unit_ids))


def letter_scope(user, territory: bool = False):
    """SQL condition: the letters this user may see (a unit: with `territory`, those of its 辖区 too)."""
    if has_role(user, LEADERSHIP):
        return true()
    if sees_citywide(user):
        return Letter.status != "draft"
    if units := reader_units(user, territory):
        return (Letter.status != "draft") & exists(select(LetterUnit.id).where(LetterUnit.letter_id == Letter.id,
                                                                                _one_of(units)))
    return false()


def addressed_to(user, letter: Letter) -> bool:
    return has_role(user, UNITS) and user.unit_id is not None and user.unit_id in letter.unit_ids


def overseen(user, letter: Letter) -> bool:
    """An issued letter addressed to a unit of the user's 辖区 (its own unit included)."""
    return letter.status != "draft" and not reader_units(user).isdisjoint(letter.unit_ids)


def read_only(user, letter: Letter) -> bool:
    """A unit's clerk reads the letter for its 辖区 only: not addressed to its own unit (仅可查看（辖区督导）)."""
    return has_role(user, UNITS) and not addressed_to(user, letter)


def can_view_letter(user, letter: Letter) -> bool:
    if has_role(user, LEADERSHIP):
        return True
    if letter.status == "draft":
        return False
    return sees_citywide(user) or addressed_to(user, letter) or overseen(user, letter)


def can_edit(user, letter: Letter) -> bool:
    return has_role(user, OFFICE) and letter.status == "draft"


def signers() -> frozenset[str]:
    """Who may 签发 (the sign routes' guard): leaders, and the office's admins where the setting allows."""
    return frozenset({LEADER, ADMIN}) if admin_may_sign() else frozenset({LEADER})


def may_sign(user) -> bool:
    return has_role(user, signers())


def can_sign(user, letter: Letter) -> bool:
    """A draft with the signers: not one sent back to the office for changes until the office saves it again."""
    return letter.status == "draft" and letter.returned_at is None and may_sign(user)


def can_acknowledge(user, letter: Letter) -> bool:
    """签收: a 主送 unit, once, of an issued letter."""
    if letter.status == "draft" or not has_role(user, UNITS):
        return False
    row = letter.recipient(user.unit_id)
    return row is not None and row.acknowledged_at is None


def can_reply(user, letter: Letter) -> bool:
    return letter.status == "issued" and addressed_to(user, letter)


def can_clear(user, letter: Letter) -> bool:
    return has_role(user, OFFICE) and letter.status == "issued"


def visible_items(user, letter: Letter) -> list:
    """The items this user reads on the page: a unit its own (and its 辖区's), everyone else all of them."""
    if has_role(user, UNITS):
        units = reader_units(user)
        return [item for item in letter.items if item.unit_id in units]
    return list(letter.items)


def visible_recipients(user, letter: Letter, units: frozenset[int] | None = None) -> list[LetterUnit]:
    """The 主送 rows this user reads: a unit its own and its 辖区's, everyone else all; a list's `units`
    (listed_units: the scope, a 下属单位) narrows them to those."""
    if units is None and has_role(user, UNITS):
        units = reader_units(user)
    return [row for row in letter.recipients if units is None or row.unit_id in units]


def reply_overdue(recipient: LetterUnit, letter: Letter, now: datetime) -> bool:
    """逾期未回复: issued, not done, the reply-by date passed, and this unit has not replied in writing nor had its
    own items all 销号 (its part is settled then: Letter.settled_for). late_reply() is the same in SQL."""
    return recipient.reply_overdue(now)


def late_reply(now):
    """reply_overdue as a condition on Letter and LetterUnit rows (the lists' filter and the figures)."""
    return and_(Letter.status == "issued", Letter.reply_by < now, LetterUnit.replied_at.is_(None),
                ~LetterUnit.items_cleared)


# ----------------------------------------------------------------------------- lists

@dataclass
class LetterFilter:
    unit_id: int | None = None
    level: int | None = None
    status: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    unacknowledged: bool = False
    overdue: bool = False  # 逾期未回复
    scope: str = "own"  # a unit's: own 本单位, territory 辖区 (SCOPES)
    sub_unit: int | None = None  # in the territory scope: that unit of the 辖区 and those under it
    page: int = 1
    per_page: int = 50


def parse_filter(args) -> LetterFilter:
    """From query-string args; bad values answer 400. A sub_unit is of the territory scope (as the ticket list's)."""
    date_from, date_to = date_range_args(args)
    sub_unit = int_arg(args, "sub_unit")
    return LetterFilter(unit_id=int_arg(args, "unit_id"), level=int_arg(args, "level", 1, MAX_LEVEL),
                        status=choice_arg(args, "status", tuple(LETTER_STATUSES), label="状态"),
                        kind=choice_arg(args, "kind", tuple(KIND_LABELS), label="文书种类"),
                        date_from=date_from, date_to=date_to,
                        unacknowledged=flag_arg(args, "unacknowledged"), overdue=flag_arg(args, "overdue"),
                        scope=choice_arg(args, "scope", SCOPES, label="范围") or ("territory" if sub_unit else "own"),
                        sub_unit=sub_unit,
                        page=int_arg(args, "page", 1, 10**6, 1), per_page=int_arg(args, "per_page", 1, 200, 50))


def _recipient_condition(flt: LetterFilter, units: frozenset[int] | None, *conditions):
    """EXISTS a 主送 row of the letter matching, of the list's units (listed_units: for a unit its own row, its
    辖区's rows in the territory scope), else any (or the filter's unit)."""
    where = [LetterUnit.letter_id == Letter.id, *conditions]
    if units is not None:
        where.append(_one_of(units))
    if flt.unit_id:
        where.append(LetterUnit.unit_id == flt.unit_id)
    return exists(select(LetterUnit.id).where(*where))


def listed_units(user, flt: LetterFilter) -> frozenset[int] | None:
    """The 主送 units a list is about: a unit's own (its 辖区's in the territory scope); with sub_unit that unit of
    the 辖区 and those under it (tickets/policy.territory_scope: 404 outside the 辖区, 403 no_territory for a unit
    overseeing nobody, a citywide reader naming any unit); None: every unit."""
    if flt.sub_unit is not None:
        return territory_scope(user, flt.sub_unit)
    return reader_units(user, flt.scope == "territory") if has_role(user, UNITS) else None


def _query(user, flt: LetterFilter, now: datetime, units: frozenset[int] | None):
    query = select(Letter).where(letter_scope(user, flt.scope == "territory"))
    if flt.sub_unit is not None:
        query = query.where(_recipient_condition(flt, units))
    if flt.unit_id:
        query = query.where(exists(select(LetterUnit.id).where(LetterUnit.letter_id == Letter.id,
                                                                LetterUnit.unit_id == flt.unit_id)))
    if flt.level:
        query = query.where(Letter.level == flt.level)
    if flt.status:
        query = query.where(Letter.status == flt.status)
    if flt.kind:
        query = query.where(Letter.kind == flt.kind)
    query = query.where(*on_days(Letter.issued_at, flt.date_from, flt.date_to))
    if flt.unacknowledged:
        query = query.where(Letter.status != "draft",
                            _recipient_condition(flt, units, LetterUnit.acknowledged_at.is_(None)))
    if flt.overdue:
        query = query.where(_recipient_condition(flt, units, late_reply(now)))
    return query


def list_letters(user, flt: LetterFilter, now: datetime, *, paged: bool = True) -> tuple[list[Letter], int]:
    """Drafts first, then issued letters newest first; a unit's letters it has not signed for lead its list (in
    the territory scope, those a unit of its 辖区 has not; with sub_unit, of that 下属单位's)."""
    units = listed_units(user, flt)
    query = _query(user, flt, now, units)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    order = [(Letter.status == "draft").desc(), Letter.issued_at.desc(), Letter.id.desc()]
    if has_role(user, UNITS):
        pending = exists(select(LetterUnit.id).where(LetterUnit.letter_id == Letter.id,
                                                     _one_of(units),
                                                     LetterUnit.acknowledged_at.is_(None)))
        order.insert(0, pending.desc())
    query = query.options(selectinload(Letter.items)).order_by(*order)
    if paged:
        query = query.limit(flt.per_page).offset((flt.page - 1) * flt.per_page)
    return list(db.session.scalars(query).unique()), total


def get_letter(user, letter_id: int) -> Letter:
    """Absent and hidden look the same (404)."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_view_letter(user, letter):
        raise NotFound(NOT_FOUND)
    return letter


def get_by_number(user, number: str) -> Letter:
    letter = db.session.scalar(select(Letter).where(Letter.number == number))
    if letter is None or not can_view_letter(user, letter):
        raise NotFound(NOT_FOUND)
    return letter


@functools.cache
def _unacknowledged_statement():
    """count_unacknowledged's statement, built once and run with the unit bound: it runs on every page a unit
    opens, and building it cost more than running it."""
    return (select(func.count(LetterUnit.id)).join(Letter, Letter.id == LetterUnit.letter_id)
            .where(LetterUnit.unit_id == bindparam("unit_id"), LetterUnit.acknowledged_at.is_(None),
                   Letter.status != "draft"))


def count_unacknowledged(user) -> int:
    """A unit's letters it has not signed for yet (the menu's count)."""
    if not has_role(user, UNITS) or not user.unit_id:
        return 0
    return db.session.scalar(_unacknowledged_statement(), {"unit_id": user.unit_id}) or 0


def unacknowledged_count(user) -> tuple | None:
    """count_unacknowledged as (statement, parameters) for the menu; None for a user without a unit."""
    if not has_role(user, UNITS) or not user.unit_id:
        return None
    return _unacknowledged_statement(), {"unit_id": user.unit_id}


def returned_drafts() -> list[Letter]:
    """Drafts a leader sent back (退回修改) that the office has not revised since, oldest first."""
    return list(db.session.scalars(select(Letter).where(Letter.status == "draft", Letter.returned_at.is_not(None))
                                   .order_by(Letter.returned_at)))


def count_drafts() -> int:
    return db.session.scalar(DRAFTS) or 0


# the signers' menu count: drafts waiting for a signature (not those returned to the office for changes); the
# status written into the SQL, as the menu's other counts do (navigation: one generic plan on PostgreSQL)
DRAFTS = select(func.count(Letter.id)).where(Letter.status == const("draft"), Letter.returned_at.is_(None))
# the office's: drafts a leader returned (退回修改), waiting for the office to revise them (returned_drafts)
RETURNED = select(func.count(Letter.id)).where(Letter.status == const("draft"), Letter.returned_at.is_not(None))


def own_recipient(user, letter: Letter) -> LetterUnit | None:
    """The user's unit's 主送 row of the letter (None for anyone but a 主送 unit's clerk)."""
    return letter.recipient(user.unit_id) if has_role(user, UNITS) and user.unit_id else None
