"""SQLite connections whose writers queue for the write lock in fine steps.

SQLite lets one writer at a time hold its write lock. A connection that wants it while another holds it gets
SQLITE_BUSY, and its busy timeout retries after sleeping 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms at
a time, never woken when the lock frees. Two gunicorn workers filing reports at once (a filing holds the lock from
its ticket number to its commit, 10-15 ms) thus left the waiting worker asleep for up to 10-25 ms after the lock
was free: up to a third of the CPU stood idle, and phone-page filings topped out well below what the CPU allowed.

`connection_class(wait_s)` is a sqlite3.Connection for `connect_args={"factory": ..., "timeout": 0}`: SQLite's own
busy handler is off, and a statement (or COMMIT) that meets SQLITE_BUSY is run again after 0.2 ms, the pause
doubling up to 2 ms, until `wait_s` has passed; then the "database is locked" error goes up as before. Only plain
SQLITE_BUSY from a statement that changed nothing is retried: the lock it asked for was not granted, which is the
case SQLite's own busy handler retries. SQLITE_BUSY_SNAPSHOT (a transaction that read an older snapshot can no
longer write) is raised at once, as before.
"""
from __future__ import annotations

import sqlite3
import time

__all__ = ["connection_class"]

SQLITE_BUSY = 5  # the plain code; extended ones (BUSY_SNAPSHOT 517, BUSY_TIMEOUT 773, ...) are not retried
FIRST_PAUSE_S = 0.0002
LONGEST_PAUSE_S = 0.002


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) == SQLITE_BUSY


def _retry(connection: sqlite3.Connection, wait_s: float, call, *args):
    """call(*args), again while it fails with plain SQLITE_BUSY having changed nothing, for up to wait_s."""
    deadline = pause = None
    while True:
        changes = connection.total_changes
        try:
            return call(*args)
        except sqlite3.OperationalError as error:
            if not _busy(error) or connection.total_changes != changes:
                raise
            now = time.monotonic()
            if deadline is None:
                deadline, pause = now + wait_s, FIRST_PAUSE_S
            if now >= deadline:
                raise
            time.sleep(min(pause, deadline - now))
            pause = min(pause * 2, LONGEST_PAUSE_S)


def connection_class(wait_s: float) -> type[sqlite3.Connection]:
    """A Connection subclass waiting up to `wait_s` seconds for a busy database (connect with timeout=0)."""

    class Cursor(sqlite3.Cursor):
        def execute(self, sql, parameters=(), /):
            return _retry(self.connection, wait_s, super().execute, sql, parameters)

        def executemany(self, sql, parameters, /):
            rows = parameters if isinstance(parameters, (list, tuple)) else list(parameters)  # a retry needs them all
            return _retry(self.connection, wait_s, super().executemany, sql, rows)

    class Connection(sqlite3.Connection):
        def cursor(self, factory=Cursor):
            return super().cursor(factory)

        # sqlite3.Connection.execute makes its cursor without calling cursor(): route it through ours
        def execute(self, sql, parameters=(), /):
            return self.cursor().execute(sql, parameters)

        def executemany(self, sql, parameters, /):
            return self.cursor().executemany(sql, parameters)

        def commit(self):
            return _retry(self, wait_s, super().commit)

    return Connection
