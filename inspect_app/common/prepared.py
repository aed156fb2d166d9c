"""Fixed reads compiled once and run on the DB-API cursor of the session's connection (issue 17).

A ticket's API detail is three small SELECTs whose SQL never changes. Through SQLAlchemy each run still costs
about 0.1 ms of Python around the driver's own work: the cache-key lookup, the execution context, parameter and
result processing set up anew, the Row objects. The three took 0.54 ms of CPU, a quarter of the whole request;
run this way they take 0.22 ms. A `PreparedSelect` compiles its statement once per dialect and then hands the SQL
string and the parameters to the driver's cursor, in the session's own connection and transaction.

What SQLAlchemy would do per value is still done: each parameter goes through its type's bind processor for the
dialect (SQLite's DATETIME text, say) and each column through its result processor (SQLite's 0/1 to a bool), both
taken from SQLAlchemy's public type API, the latter by the driver's column types of the first run, as SQLAlchemy
does. A statement whose SQL depends on the values (an expanding IN list, literal_execute) is refused, or with
`dynamic="sqlalchemy"` simply run through SQLAlchemy. Rows are named tuples with the statement's column names.

The connection's cursor events (before_cursor_execute, after_cursor_execute) are dispatched as SQLAlchemy does,
with no execution context (None), so whatever watches the SQL sent (tests counting statements, the benchmarks'
floors) sees these too. Left out, on purpose: the other events and echo. When the driver raises, the
statement is run once more through SQLAlchemy, so a failure is reported as any other (and a dropped connection
invalidated); on SQLite a read that failed for a passing reason (a lock) then simply succeeds, while on PostgreSQL
the failed statement has ended the transaction and SQLAlchemy's error says so.
"""
from __future__ import annotations

from collections import namedtuple

from sqlalchemy import bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

__all__ = ["ByIds", "PreparedSelect"]


class PreparedSelect:
    """A SELECT of fixed SQL: `first(connection, params)` and `all(connection, params)` give named tuples,
    `scalar` the first column of the first row (or None) and `scalars` the first column of every row.

    `dynamic`: what to do with a statement whose SQL depends on its values: "refuse" (ValueError) or "sqlalchemy"
    (run it as SQLAlchemy would; for statements built from parts, only some of which have such values)."""

    def __init__(self, statement: Select, dynamic: str = "refuse"):
        if dynamic not in ("refuse", "sqlalchemy"):
            raise ValueError(f"dynamic: {dynamic!r}")
        self.statement, self.dynamic = statement, dynamic
        self._compiled: dict[tuple, _Compiled | None] = {}

    def _for(self, connection: Connection) -> _Compiled | None:
        """The statement compiled for the connection's dialect; None: it is run through SQLAlchemy."""
        dialect = connection.dialect
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        try:
            return self._compiled[key]
        except KeyError:
            pass
        try:
            found = _Compiled(self.statement, dialect)
        except _Dynamic:
            if self.dynamic == "refuse":
                raise
            found = None
        self._compiled[key] = found
        return found

    def all(self, connection: Connection, params: dict) -> list:
        compiled = self._for(connection)
        if compiled is None:
            return connection.execute(self.statement, params).all()
        return compiled.run(connection, params, one=False)

    def tuples(self, connection: Connection, params: dict) -> list[tuple]:
        """Every row as a plain tuple, as the driver gives it where the dialect converts no column: for a read of
        100,000 rows (the 疑似重复 sweep's positions), making a named tuple of each cost more than the SQL's sort."""
        compiled = self._for(connection)
        if compiled is None:
            return [tuple(row) for row in connection.execute(self.statement, params)]
        return compiled.run(connection, params, one=False, plain=True)

    def first(self, connection: Connection, params: dict):
        """The first row, or None."""
        compiled = self._for(connection)
        if compiled is None:
            return connection.execute(self.statement, params).first()
        return compiled.run(connection, params, one=True)

    def scalar(self, connection: Connection, params: dict):
        row = self.first(connection, params)
        return None if row is None else row[0]

    def scalars(self, connection: Connection, params: dict) -> list:
        return [row[0] for row in self.all(connection, params)]


class ByIds:
    """The rows of a page's ids: `statement` narrowed to `id_column IN (the ids)` by one PreparedSelect of fixed
    SQL per size in SIZES, the smallest that holds them, the last id repeated to fill it (a repeated id matches
    its row once). An expanding IN of the ids would be rendered anew on every request."""

    SIZES = (1, 5, 10, 20, 50, 100)  # tickets.queries.parse_filter: per_page is at most 100 (more go by 100s)

    def __init__(self, statement: Select, id_column):
        self.statement, self.id_column = statement, id_column
        self._by_size: dict[int, PreparedSelect] = {}

    def all(self, connection: Connection, ids: list, params: dict | None = None) -> list:
        if not ids:
            return []
        largest = self.SIZES[-1]
        if len(ids) > largest:  # a list printed whole (tickets' 打印, up to 500): by the largest size
            return [row for start in range(0, len(ids), largest)
                    for row in self.all(connection, ids[start:start + largest], params)]
        size = next(size for size in self.SIZES if size >= len(ids))
        prepared = self._by_size.get(size)
        if prepared is None:
            names = [bindparam(f"id_{index}") for index in range(size)]
            prepared = self._by_size[size] = PreparedSelect(self.statement.where(self.id_column.in_(names)))
        padded = list(ids) + [ids[-1]] * (size - len(ids))
        return prepared.all(connection, (params or {}) | {f"id_{index}": id_ for index, id_ in enumerate(padded)})


class _Dynamic(ValueError):
    """The statement's SQL depends on its parameters' values."""


class _Compiled:
    def __init__(self, statement: Select, dialect):
        compiled = statement.compile(dialect=dialect)
        binds = compiled.binds
        if any(bind.expanding or bind.literal_execute for bind in binds.values()):
            raise _Dynamic("a PreparedSelect's SQL must not depend on its parameters (expanding IN, literal_execute)")
        self.statement, self.sql = statement, compiled.string
        self.order = tuple(compiled.positiontup) if compiled.positional else None
        self.bind_processors = {
            name: processor for name, bind in binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        self.dialect = dialect
        self.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self.result_processors: tuple | None = None  # from the first run's cursor.description, as SQLAlchemy does
        self.row = namedtuple("Row", [column.key for column in statement.selected_columns], rename=True)._make

    def parameters(self, params: dict):
        if self.bind_processors:
            params = {name: (self.bind_processors[name](value) if name in self.bind_processors else value)
                      for name, value in params.items()}
        return params if self.order is None else tuple(params[name] for name in self.order)

    def run(self, connection: Connection, params: dict, one: bool, plain: bool = False):
        sql, bound = self.sql, self.parameters(params)
        cursor = connection.connection.cursor()
        try:
            for listener in connection.dispatch.before_cursor_execute:
                sql, bound = listener(connection, cursor, sql, bound, None, False)
            cursor.execute(sql, bound)
            for listener in connection.dispatch.after_cursor_execute:
                listener(connection, cursor, sql, bound, None, False)
            raw = cursor.fetchone() if one else cursor.fetchall()
            description = cursor.description
        except self.dialect.loaded_dbapi.Error:
            # Once more through SQLAlchemy: its error (and its handling of a lost connection) is the one raised;
            # should the run succeed after all (a passing lock), its rows are the answer.
            result = connection.execute(self.statement, params)
            return result.first() if one else [tuple(row) for row in result] if plain else result.all()
        finally:
            cursor.close()
        if self.result_processors is None:
            self.result_processors = self._result_processors(description)
        if one:
            return None if raw is None else self._convert(raw)
        if plain:
            return [tuple(self._convert(values)) for values in raw] if self.result_processors else list(raw)
        return [self._convert(values) for values in raw]

    def _result_processors(self, description) -> tuple:
        """(index, processor) of the columns whose values the dialect converts; some (PostgreSQL's numbers) choose
        by the driver's type code of the column."""
        return tuple((index, processor) for index, (type_, column) in enumerate(zip(self.types, description))
                     if (processor := type_.result_processor(self.dialect, column[1])) is not None)

    def _convert(self, values):
        if self.result_processors:
            values = list(values)
            for index, processor in self.result_processors:
                values[index] = processor(values[index])
        return self.row(values)
