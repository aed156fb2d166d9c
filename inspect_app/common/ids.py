"""Row ids that come from outside: a form's field, a query string, a JSON body, a spreadsheet's cell.

One rule for all of them. Before it, each place had its own test (`raw.isdigit()`, `len(raw) > 12`, a bare
`int()`), and each let something through that then failed as a 500:
- a number past a database integer. PostgreSQL refuses it outright (`integer out of range`), and SQLite refuses
  one past 2**63 (OverflowError);
- '²' or '①', which `str.isdigit()` accepts and `int()` refuses;
- 5,000 nines, which `int()` refuses (Python limits the digits it converts).
"""
from __future__ import annotations

from ..extensions import db
from .errors import BadRequest

MAX_ID = 2**31 - 1  # ids are database integers (PostgreSQL `integer`)
_MAX_DIGITS = len(str(MAX_ID))


def row_id(value) -> int | None:
    """`value` as a row id: an int, or text of ASCII digits (spaces around allowed), from 1 to MAX_ID.
    Anything else (empty, a sign, a fraction, full-width or other digits, a bool, a number past MAX_ID) is None:
    it names no row."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not raw or len(raw) > _MAX_DIGITS or not raw.isascii() or not raw.isdigit():
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_ID else None


def optional_id(value, message: str, code: str) -> int | None:
    """An optional id field: None when empty; its id; 400 with `message` when it names no row (see row_id)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    ident = row_id(value)
    if ident is None:
        raise BadRequest(message, code=code)
    return ident


def get_row(model, value):
    """The `model` row `value` names (see row_id), or None when it names none."""
    ident = row_id(value)
    return db.session.get(model, ident) if ident is not None else None
