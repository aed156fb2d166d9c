"""Small SQL building blocks: a timestamp within Shanghai days, conditional counts for the aggregate queries
(dashboard, rankings, campaigns), times formatted by the database for the API's reads, the hours between two
times, and an integer member of JSON text and a substring test (the inbox reads ticket events' data), the
searches' LIKE of what the user typed, names sorted the same on every database, and INSERT ... ON CONFLICT in the
session's dialect."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import Float, Integer, String, case, func, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .timeutil import local_midnight


def const(value):
    """A fixed value written into the SQL text rather than sent as a parameter.

    For a column that a partial index filters on (ticket_units.role: uq_ticket_units_one_lead, extension_requests.
    status): SQLite checks a parameter compared with such a column against the index's WHERE when it prepares the
    statement, and so prepares the statement again whenever the parameter is bound: on every run. The detail's
    ticket row took 74 µs instead of about 15 that way (issue 17). Also for a fixed IN list, which SQLAlchemy would
    otherwise expand into the SQL on every run. Only plain words (status and role codes) are accepted."""
    if not _WORD.fullmatch(value):
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'", String())


def consts(values) -> list:
    """const() of each value: a fixed IN list (the open statuses) written into the SQL once, where a list of plain
    values would be a parameter that SQLAlchemy expands into the statement's text again on every run."""
    return [const(value) for value in values]


_WORD = re.compile(r"[a-z_]+")


def insert_on_conflict(target):
    """INSERT INTO target in the session's own dialect, which has ON CONFLICT: `.on_conflict_do_nothing()` for a
    row that must exist whoever made it, `.on_conflict_do_update()` for one that two requests may write at once."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ..extensions import db

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(target)


def like_pattern(text: str) -> str:
    """'%text%' for any_like: what the user typed found anywhere, its %, _ and
    backslash as themselves (a lone % or _ would otherwise match every row)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def any_like(columns, pattern, letters: bool = True):
    """Any of the columns matches `pattern` (like_pattern's, or a bound parameter holding one), in any letter case:
    the searches' condition. zg-01 finds ZG-01 and sz03 the unit SZ03 on both databases. `letters=False` says the
    text typed has no ASCII letter (has_letters): case cannot matter then, and plain LIKE is kept, which PostgreSQL
    runs several times faster than ILIKE (the ticket list's search of Chinese text, issue 17)."""
    return or_(*[(like_any_case(column, pattern) if letters else column.like(pattern, escape="\\"))
                 for column in columns])


def has_letters(text: str) -> bool:
    """Whether letter case can matter to a search for `text`: it holds an ASCII letter (codes are ASCII; Chinese
    has no case; neither database folds other letters here)."""
    return any("a" <= c <= "z" or "A" <= c <= "Z" for c in text)


class like_any_case(FunctionElement):
    """column LIKE pattern (escape: backslash), ASCII letters in any case, the same on both databases. PostgreSQL:
    ILIKE under the "C" collation, which folds A-Z alone, as SQLite does, and costs about a third less than ILIKE
    under the database's own (C.UTF-8, zh_CN) collation. SQLite: its own LIKE, which already ignores ASCII case
    (its ILIKE would be lower(column) LIKE lower(pattern), a function call on every row for nothing)."""

    name = "like_any_case"
    inherit_cache = True


@compiles(like_any_case)  # PostgreSQL and str(statement)
def _like_any_case_default(element, compiler, **kw):
    column, pattern = element.clauses
    return compiler.process(column.collate("C").ilike(pattern, escape="\\"), **kw)


@compiles(like_any_case, "sqlite")
def _like_any_case_sqlite(element, compiler, **kw):
    column, pattern = element.clauses
    return compiler.process(column.like(pattern, escape="\\"), **kw)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_letters(text: str) -> str:
    """`text` with its ASCII letters in lower case, nothing else changed: a pattern for like_folded."""
    return text.translate(_ASCII_LOWER)


class like_folded(FunctionElement):
    """like_any_case for a pattern already folded (fold_letters): the same rows found. PostgreSQL: lower() of the
    column under "C" (which folds A-Z alone, as ILIKE under "C" does) and a plain LIKE, where ILIKE lowers the
    pattern too on every row (tickets/queries.py's search of text with a letter). SQLite: its own LIKE, as
    like_any_case."""

    name = "like_folded"
    inherit_cache = True


@compiles(like_folded)  # PostgreSQL and str(statement)
def _like_folded_default(element, compiler, **kw):
    column, pattern = element.clauses
    return compiler.process(func.lower(column.collate("C")).like(pattern, escape="\\"), **kw)


@compiles(like_folded, "sqlite")
def _like_folded_sqlite(element, compiler, **kw):
    column, pattern = element.clauses
    return compiler.process(column.like(pattern, escape="\\"), **kw)


def on_days(column, first, last) -> list:
    """Conditions: a UTC timestamp column falls on the Shanghai days `first` to `last`, both included (a filter's
    `from` and `to`); a day not given leaves that end open."""
    conditions = []
    if first:
        conditions.append(column >= local_midnight(first))
    if last:
        conditions.append(column < local_midnight(last + timedelta(days=1)))
    return conditions


def count_where(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 when no row: a conditional count in one GROUP BY pass."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class shanghai_iso(FunctionElement):
    """A UTC timestamp column as the API writes it, ISO 8601 at +08:00 to the second ('2026-11-30T20:57:12+08:00',
    timeutil.isoformat's text), formatted by the database: a 100-ticket page has 500 times, and parsing each into a
    datetime only to format it again was a fifth of the API list's CPU (issue 17). Shanghai has kept +08:00 all year
    since 1991, so a fixed offset is exact; an earlier time would still name the same instant."""

    type = String()
    name = "shanghai_iso"
    inherit_cache = True


@compiles(shanghai_iso, "sqlite")
def _shanghai_iso_sqlite(element, compiler, **kw):
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff'; cut to the second first, since strftime would round it.
    value = compiler.process(element.clauses, **kw)
    return f"strftime('%Y-%m-%dT%H:%M:%S+08:00', substr({value}, 1, 19), '+8 hours')"


@compiles(shanghai_iso, "postgresql")
def _shanghai_iso_postgresql(element, compiler, **kw):
    # Percent signs would be read as parameters by psycopg's format style; this pattern has none.
    value = compiler.process(element.clauses, **kw)
    return f"to_char({value} + interval '8 hours', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"


class hours_between(FunctionElement):
    """Hours from one UTC timestamp column to another, as a number (end − start; NULL if either is)."""

    type = Float()
    name = "hours_between"
    inherit_cache = True


@compiles(hours_between, "sqlite")
def _hours_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(extract(epoch from ({end} - {start})) / 3600.0)"


class json_int(FunctionElement):
    """An integer member of a JSON text column (a ticket event's data: `from_unit_id`, `unit_id`), NULL when
    absent. The key is written into the SQL (const), so each key is its own cached statement."""

    type = Integer()
    name = "json_int"
    inherit_cache = True

    def __init__(self, column, key: str):
        super().__init__(column, const(key))


@compiles(json_int, "sqlite")
def _json_int_sqlite(element, compiler, **kw):
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"json_extract({column}, '$.{key[1:-1]}')"


@compiles(json_int, "postgresql")
def _json_int_postgresql(element, compiler, **kw):
    column, key = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(CAST({column} AS JSON) ->> {key} AS INTEGER)"


class position_in(FunctionElement):
    """Where the second text occurs in the first (1-based; 0 when it does not): a substring test with no wildcards.
    Not LIKE with a bound pattern, which SQLite prepares again on every run (as with common/sql.const)."""

    type = Integer()
    name = "position_in"
    inherit_cache = True


@compiles(position_in, "sqlite")
def _position_in_sqlite(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(position_in, "postgresql")
def _position_in_postgresql(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"


class not_indexed(FunctionElement):
    """A column whose indexes the planner should not start from here: SQLite's unary `+` (the value unchanged),
    for a join SQLite would otherwise begin at the wrong end, having no statistics to go by; PostgreSQL, which
    has them, gets the column as it is."""

    name = "not_indexed"
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(not_indexed)
def _not_indexed_default(element, compiler, **kw):  # PostgreSQL and str(statement): the column as it is
    return compiler.process(element.clauses, **kw)


@compiles(not_indexed, "sqlite")
def _not_indexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


class by_code_point(FunctionElement):
    """A text column for ORDER BY (or a DISTINCT list sorted by it): by Unicode code point, as Python's sorted() and
    SQLite (BINARY) sort, on PostgreSQL too whatever locale its database was created with. A database made with a
    Chinese locale (zh_CN, ICU zh-Hans) sorts names in pinyin: the 区县 menu of /tickets read 东湖区, 高新区, 江城区,
    临江区, 新港区 while /sites/, sorted in Python, read 东湖区, 临江区, 新港区, 江城区, 高新区. PostgreSQL: COLLATE
    "C"."""

    name = "by_code_point"
    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(by_code_point)  # PostgreSQL and str(statement)
def _by_code_point_default(element, compiler, **kw):
    (column,) = element.clauses
    return compiler.process(column.collate("C"), **kw)


@compiles(by_code_point, "sqlite")
def _by_code_point_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


def untyped_rows(statement) -> list[tuple]:
    """All rows as the DBAPI gives them, no type processing: for counting many rows in Python (the dashboard's
    breakdowns, a campaign's problems). A time comes back as stored: compare it with stored_moment()."""
    from ..extensions import db

    result = db.session.connection().execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def stored_moment(moment: datetime):
    """An aware `moment` as untyped_rows hands a UTC column back: SQLite's text ('2026-11-25 02:00:00.000000', which
    sorts as the times do), PostgreSQL's naive datetime."""
    from ..extensions import db

    naive = moment.astimezone(timezone.utc).replace(tzinfo=None)
    if db.session.get_bind().dialect.name == "sqlite":
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f")
    return naive
