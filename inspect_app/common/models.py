"""Shared tables: gap-free yearly counters (ticket numbers, letter numbers)."""
from __future__ import annotations

from sqlalchemy import String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Counter(db.Model):
    """One row per (name, year). Incremented inside the caller's transaction, so a rolled-back
    transaction gives its number back: numbers have no gaps and never repeat."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("name", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    value: Mapped[int] = mapped_column(default=0)


def next_value(name: str, year: int) -> int:
    """Next number in the (name, year) sequence. The UPDATE takes a row lock (PostgreSQL) or the
    write lock (SQLite), so concurrent callers queue rather than collide."""
    session = db.session
    for _ in range(3):
        value = session.execute(
            update(Counter)
            .where(Counter.name == name, Counter.year == year)
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        ).scalar()
        if value is not None:
            return value
        try:
            with session.begin_nested():
                session.add(Counter(name=name, year=year, value=1))
            return 1
        except IntegrityError:
            continue  # another transaction created the row first; increment it instead
    raise RuntimeError(f"could not advance counter {name}/{year}")


def current_value(name: str, year: int) -> int:
    value = db.session.scalar(select(Counter.value).where(Counter.name == name, Counter.year == year))
    return value or 0
