"""Shared tables: gap-free yearly counters (ticket numbers, letter numbers)."""
from __future__ import annotations

from sqlalchemy import String, UniqueConstraint, bindparam, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .sql import insert_on_conflict


class Counter(db.Model):
    """One row per (name, year). Incremented inside the caller's transaction, so a rolled-back
    transaction gives its number back: numbers have no gaps and never repeat."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("name", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    value: Mapped[int] = mapped_column(default=0)


def _ensure_row(name: str, year: int) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: the row exists afterwards, whoever created it."""
    db.session.execute(insert_on_conflict(Counter).values(name=name, year=year, value=0)
                       .on_conflict_do_nothing(index_elements=["name", "year"]))


_table = Counter.__table__
# Built once (a statement built per call costs its construction and cache key, 0.08 ms, where filings wait).
_BUMP = (update(_table).where(_table.c.name == bindparam("counter_name"), _table.c.year == bindparam("counter_year"))
         .values(value=_table.c.value + bindparam("step")).returning(_table.c.value))


def _bump(name: str, year: int, by: int):
    """UPDATE the (name, year) row by `by` (0 only locks it), RETURNING its value: None when there is no row.
    On the table, not the mapped class: no Counter object is ever loaded, so the ORM's bulk UPDATE has nothing to
    synchronise, and skipping it halves the statement's cost (it runs where other filings wait for the lock)."""
    return db.session.execute(_BUMP, {"counter_name": name, "counter_year": year, "step": by}).scalar_one_or_none()


def _bump_or_create(name: str, year: int, by: int) -> int:
    """_bump, making the row first in the rare case of a new (name, year): one statement on every later call."""
    value = _bump(name, year, by)
    if value is None:
        _ensure_row(name, year)
        value = _bump(name, year, by)
    return value


def lock_sequence(name: str, year: int) -> None:
    """Queue behind anyone else numbering in (name, year) until this transaction ends, without taking a number:
    the UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite). What is read afterwards includes what
    the transaction before us committed, so "check, then create" cannot race."""
    _bump_or_create(name, year, 0)


def lock_setting(name: str) -> None:
    """Queue behind anyone else saving the office's setting `name` (one a page replaces whole) until this
    transaction ends. Two saves at once (two tabs, a double click) then run one after the other, the later one
    winning, instead of both inserting the same new rows (a unique violation: a 500)."""
    _bump_or_create(f"setting:{name}", 0, 0)


def next_value(name: str, year: int) -> int:
    """Next number in the (name, year) sequence, taken in the caller's transaction (locks as lock_sequence)."""
    return _bump_or_create(name, year, 1)


def current_value(name: str, year: int) -> int:
    value = db.session.scalar(select(Counter.value).where(Counter.name == name, Counter.year == year))
    return value or 0
