"""SQLite writers queue for the write lock in fine steps (common/sqlite.py) instead of SQLite's own long sleeps."""
import sqlite3
import threading
import time

import pytest

from inspect_app.common.sqlite import connection_class


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "w.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.commit()
    setup.close()
    return path


def _hold_write_lock(path, seconds: float) -> threading.Thread:
    """Another connection takes the write lock, keeps it `seconds`, then commits its row 1; returns once it
    holds the lock."""
    started = threading.Event()

    def run():
        other = sqlite3.connect(path, timeout=0, check_same_thread=False)
        other.execute("INSERT INTO t VALUES (1)")
        started.set()
        time.sleep(seconds)
        other.commit()
        other.close()
    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(5)
    return thread


def test_a_writer_waits_for_the_lock_and_then_writes(db_path):
    conn = sqlite3.connect(db_path, timeout=0, factory=connection_class(10))
    holder = _hold_write_lock(db_path, 0.3)
    began = time.monotonic()
    conn.execute("INSERT INTO t VALUES (2)")  # Connection.execute, not only cursors, goes through the wait
    waited = time.monotonic() - began
    conn.commit()
    holder.join()
    assert waited >= 0.2  # it did wait for the other writer
    assert [r[0] for r in conn.execute("SELECT x FROM t ORDER BY rowid")] == [1, 2]
    conn.close()


def test_without_the_fine_wait_the_same_write_fails_at_once(db_path):
    """The control: timeout=0 with the plain class is what the wait replaces; the test above would fail."""
    conn = sqlite3.connect(db_path, timeout=0)
    holder = _hold_write_lock(db_path, 0.3)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("INSERT INTO t VALUES (2)")
    conn.rollback()
    holder.join()
    conn.close()


def test_the_wait_ends_with_database_is_locked(db_path):
    conn = sqlite3.connect(db_path, timeout=0, factory=connection_class(0.2))
    holder = _hold_write_lock(db_path, 1.5)
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        conn.cursor().executemany("INSERT INTO t VALUES (?)", iter([(2,), (3,)]))
    assert 0.15 <= time.monotonic() - began < 1.4
    conn.rollback()
    holder.join()
    assert [r[0] for r in conn.execute("SELECT x FROM t")] == [1]
    conn.close()


def test_a_stale_snapshot_is_not_retried(db_path):
    """A transaction that read before another writer committed can never write (SQLITE_BUSY_SNAPSHOT): waiting
    would not help, so the error comes at once, as it did before."""
    conn = sqlite3.connect(db_path, timeout=0, isolation_level=None, factory=connection_class(10))
    conn.execute("BEGIN")
    conn.execute("SELECT COUNT(*) FROM t").fetchone()
    other = sqlite3.connect(db_path)
    other.execute("INSERT INTO t VALUES (1)")
    other.commit()
    began = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as caught:
        conn.execute("INSERT INTO t VALUES (2)")
    assert caught.value.sqlite_errorcode == 517  # SQLITE_BUSY_SNAPSHOT
    assert time.monotonic() - began < 5
    conn.execute("ROLLBACK")
    other.close()
    conn.close()


def test_the_app_connects_to_sqlite_with_the_fine_wait(app):
    from inspect_app.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    raw = db.engine.raw_connection()
    try:
        assert type(raw.driver_connection).__module__ == "inspect_app.common.sqlite"
    finally:
        raw.close()
