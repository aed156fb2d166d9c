"""Reading and acknowledging letters; shared by the web pages and the API. Callers pass `now`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..common.errors import Forbidden, NotFound
from ..common.timeutil import local_midnight
from ..extensions import db
from ..http import date_arg, flag_arg, int_arg
from ..policy import UNITS, has_role, may_see_unit_record, own_unit, unit_scope
from .models import MAX_LEVEL, Letter


def letter_scope(user):
    """SQL condition: the letters this user may see (a unit only its own)."""
    return unit_scope(user, Letter.unit_id)


def can_view_letter(user, letter: Letter) -> bool:
    return may_see_unit_record(user, letter.unit_id)


def can_acknowledge(user, letter: Letter) -> bool:
    """签收: the unit the letter is addressed to, once."""
    return own_unit(user, letter.unit_id) and letter.acknowledged_at is None


@dataclass
class LetterFilter:
    unit_id: int | None = None
    level: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    unacknowledged: bool = False
    page: int = 1
    per_page: int = 50


def parse_filter(args) -> LetterFilter:
    """From query-string args; bad values answer 400."""
    return LetterFilter(unit_id=int_arg(args, "unit_id"), level=int_arg(args, "level", 1, MAX_LEVEL),
                        date_from=date_arg(args, "from"), date_to=date_arg(args, "to"),
                        unacknowledged=flag_arg(args, "unacknowledged"),
                        page=int_arg(args, "page", 1, 10**6, 1), per_page=int_arg(args, "per_page", 1, 200, 50))


def _query(user, flt: LetterFilter):
    query = select(Letter).where(letter_scope(user))
    if flt.unit_id:
        query = query.where(Letter.unit_id == flt.unit_id)
    if flt.level:
        query = query.where(Letter.level == flt.level)
    if flt.date_from:
        query = query.where(Letter.issued_at >= local_midnight(flt.date_from))
    if flt.date_to:
        query = query.where(Letter.issued_at < local_midnight(flt.date_to + timedelta(days=1)))
    if flt.unacknowledged:
        query = query.where(Letter.acknowledged_at.is_(None))
    return query


def list_letters(user, flt: LetterFilter, *, paged: bool = True) -> tuple[list[Letter], int]:
    """Newest first; a unit's unacknowledged letters first of all."""
    query = _query(user, flt)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    order = [Letter.issued_at.desc(), Letter.id.desc()]
    if has_role(user, UNITS):
        order.insert(0, Letter.acknowledged_at.is_(None).desc())
    query = query.options(selectinload(Letter.items)).order_by(*order)
    if paged:
        query = query.limit(flt.per_page).offset((flt.page - 1) * flt.per_page)
    return list(db.session.scalars(query).unique()), total


def get_letter(user, letter_id: int) -> Letter:
    """Absent and hidden look the same (404)."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not can_view_letter(user, letter):
        raise NotFound("督办函不存在或无权查看。")
    return letter


def get_by_number(user, number: str) -> Letter:
    letter = db.session.scalar(select(Letter).where(Letter.number == number))
    if letter is None or not can_view_letter(user, letter):
        raise NotFound("督办函不存在或无权查看。")
    return letter


def acknowledge(user, letter: Letter, now: datetime) -> Letter:
    """签收: the unit confirms receipt. Again is harmless (the first time stands)."""
    if not can_view_letter(user, letter):
        raise NotFound("督办函不存在或无权查看。")
    if not own_unit(user, letter.unit_id):
        raise Forbidden("只有主送单位可以签收督办函。")
    if letter.acknowledged_at is None:
        letter.acknowledged_at = now
        letter.acknowledged_by = user.id
        db.session.flush()
    return letter
