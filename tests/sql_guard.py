"""Statements that make SQLite prepare them again on every run: a parameter compared with a column that a partial
index filters on (`ticket_units.role = ?` against uq_ticket_units_one_lead's `role = 'lead'`).

SQLite checks such a parameter's value against the index's WHERE while it prepares the statement, and marks the
statement to be prepared again whenever that parameter is bound; Python's sqlite3 binds on every run. The detail's
ticket row cost 74 µs instead of 17 that way (issue 17). common.sql.const writes the value into the SQL instead."""
from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import Column, event
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

_COMPARED = re.compile(r"\b([a-z_]+)\s*(?:=|<>|!=|\bIS\b|\bIN\b)", re.I)
_WHOLE = re.compile(r"\(.*\) IS TRUE", re.S)
_OPERATORS = (operators.eq, operators.ne, operators.in_op, operators.not_in_op)


def partial_index_columns(metadata) -> set[tuple[str, str]]:
    """(table, column) of every column that a partial index's WHERE compares. Not those of a WHERE written as one
    `(...) IS TRUE` term (rankings' ix_tickets_left_out): SQLite takes apart an index's WHERE only at its AND, OR and
    IS NOT NULL and compares a query's term with the rest whole, so `status = ?` never lines up with it."""
    found = set()
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"].get("where")
            if where is None or _WHOLE.fullmatch(str(where).strip()):
                continue
            for name in _COMPARED.findall(str(where)):
                if name in table.c:
                    found.add((table.name, name))
    return found


def _base_columns(element) -> list[Column]:
    return [c for c in getattr(element, "base_columns", ()) if isinstance(c, Column) and c.table is not None]


def bound_comparisons(statement, guarded: set[tuple[str, str]]) -> list[str]:
    """'ticket_units.role' for each comparison in `statement` of a guarded column with a bound parameter."""
    found = []
    for node in visitors.iterate(statement):
        if not isinstance(node, BinaryExpression) or node.operator not in _OPERATORS:
            continue
        for column, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(other, BindParameter) and not other.literal_execute:
                found += [f"{c.table.name}.{c.name}" for c in _base_columns(column)
                          if (c.table.name, c.name) in guarded]
    return found


@contextmanager
def watching(engine, metadata):
    """Collects (offending columns, SQL) for every statement run on `engine` meanwhile."""
    guarded = partial_index_columns(metadata)
    seen: list[tuple[list[str], str]] = []

    def check(_conn, clauseelement, *_args):
        if hasattr(clauseelement, "_generate_cache_key"):
            columns = bound_comparisons(clauseelement, guarded)
            if columns:
                seen.append((columns, str(clauseelement)))

    event.listen(engine, "before_execute", check)
    try:
        yield seen
    finally:
        event.remove(engine, "before_execute", check)
