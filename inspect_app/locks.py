"""Cross-process locks for jobs that must run once however many processes or hosts are up.

    with exclusive("escalation-sweep") as acquired:
        if not acquired:
            return  # another process is doing it right now

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) on a connection of its own, held for
the whole job and independent of the job's transactions; it is released by pg_advisory_unlock, or by
the server when the process dies. Every host sharing the database shares the lock.

SQLite (and anything else): a file lock (filelock, fcntl/msvcrt) beside the database file, e.g.
instance/inspect.db.escalation-sweep.lock; the operating system drops it when the process dies. Only
processes on the same host share it, which is the only way to share a SQLite file anyway.

Never blocking: a job that finds the lock taken is skipped, not queued. The lock is a courtesy that
saves duplicate work; correctness comes from unique constraints in the job's own tables.
"""
from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

_KEY_NAMESPACE = 0x1F2E0000  # keeps our advisory keys apart from other users of the same database


def advisory_key(name: str) -> int:
    """A stable key for a lock name, within PostgreSQL's signed 64-bit range."""
    return _KEY_NAMESPACE << 32 | zlib.crc32(name.encode("utf-8"))


def lock_file_path(engine: Engine, name: str, fallback_dir: str | os.PathLike | None = None) -> Path:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        return Path(f"{database}.{name}.lock")
    folder = Path(fallback_dir) if fallback_dir else Path.cwd()
    return folder / f"{name}.lock"


@contextmanager
def exclusive(name: str, engine: Engine | None = None,
              fallback_dir: str | os.PathLike | None = None) -> Iterator[bool]:
    """Try to take the named lock without waiting; yields whether it was acquired."""
    if engine is None:
        from flask import current_app

        from .extensions import db
        engine = db.engine
        fallback_dir = fallback_dir or current_app.instance_path
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name) as acquired:
            yield acquired
    else:
        with _file_lock(lock_file_path(engine, name, fallback_dir)) as acquired:
            yield acquired


@contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[bool]:
    key = advisory_key(name)
    conn = engine.connect()
    acquired = False
    try:
        acquired = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        conn.commit()  # the lock belongs to the session, not to this transaction
        yield acquired
    finally:
        try:
            if acquired:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()
        except Exception:  # a broken connection: closing it ends the session and the lock with it
            log.warning("could not release advisory lock %s cleanly", name, exc_info=True)
            conn.invalidate()
        conn.close()


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
