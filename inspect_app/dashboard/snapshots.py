"""Figures kept in the database for a while (table dashboard_snapshots): every process reads the same ones, and
nothing lives in a process between requests. A stored value is JSON; `encode`/`decode` carry the dashboard's
rows and times through it."""
from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import select

from ..boundary import optional_write
from ..common.sql import insert_on_conflict
from ..extensions import db
from .models import DashboardSnapshot


def _default(value):
    if isinstance(value, datetime):
        return {"__dt__": value.isoformat()}
    if is_dataclass(value):
        return {"__dc__": type(value).__name__, "v": {f.name: getattr(value, f.name) for f in fields(value)}}
    raise TypeError(f"cannot store {type(value).__name__}")


# orjson hands datetimes and dataclasses to _default (so they read back as they were stored) and writes non-string
# dict keys as the json module does ("1", "null"); it encodes the dashboard (~0.7 MB, mostly SVG) ~10× faster.
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def encode(value) -> str:
    return orjson.dumps(value, default=_default, option=_ORJSON).decode()


def decode(text: str, types: dict[str, type] | None = None):
    """`types`: the dataclasses a stored value may hold, by name."""
    types = types or {}

    def hook(obj: dict):
        if "__dt__" in obj:
            return datetime.fromisoformat(obj["__dt__"])
        if "__dc__" in obj and obj["__dc__"] in types:
            return types[obj["__dc__"]](**obj["v"])
        return obj
    return json.loads(text, object_hook=hook)


_PRELOADED = "dashboard_snapshots.preloaded"  # db.session.info: {key: (computed_at, data_json) or None}


@contextmanager
def preloaded(keys: list[str]):
    """Read these stored values in one SELECT for the read()/kept() calls inside the block (each used once):
    a refresh asks for several, and on PostgreSQL each SELECT is a round trip."""
    rows = db.session.execute(select(DashboardSnapshot.key, DashboardSnapshot.computed_at, DashboardSnapshot.data_json)
                              .where(DashboardSnapshot.key.in_(keys))).all() if keys else []
    found = dict.fromkeys(keys)
    found.update((key, (computed_at, text)) for key, computed_at, text in rows)
    db.session.info[_PRELOADED] = found
    try:
        yield
    finally:
        db.session.info.pop(_PRELOADED, None)


def _stored(key: str) -> tuple[datetime, str] | None:
    kept = db.session.info.get(_PRELOADED)
    if kept is not None and key in kept:
        return kept.pop(key)  # once: a later read (after a write) asks the database
    row = db.session.execute(select(DashboardSnapshot.computed_at, DashboardSnapshot.data_json)
                             .where(DashboardSnapshot.key == key)).first()
    return tuple(row) if row is not None else None


def read_any(key: str, types: dict[str, type] | None = None):
    """The stored value whatever its age (for a value whose key names its content), else None."""
    stored = _stored(key)
    return None if stored is None else decode(stored[1], types)


def read(key: str, max_age: float, now: datetime, types: dict[str, type] | None = None):
    """The stored value if it is younger than `max_age` seconds, else None."""
    stored = _stored(key)
    if stored is None:
        return None
    computed_at, text = stored
    if computed_at + timedelta(seconds=max_age) <= now or computed_at > now:
        return None
    return decode(text, types)


def write(key: str, value, now: datetime) -> None:
    """Store (or replace) the value; two processes storing at once both succeed, the later one wins."""
    statement = insert_on_conflict(DashboardSnapshot).values(key=key, computed_at=now, data_json=encode(value))
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["key"], set_={"computed_at": statement.excluded.computed_at,
                                      "data_json": statement.excluded.data_json}))


def kept(key: str, max_age: float, now: datetime, compute: Callable[[], object],
         types: dict[str, type] | None = None):
    """The stored value while it is fresh, else computed now and stored; max_age <= 0 computes every time."""
    if max_age <= 0:
        return compute()
    value = read(key, max_age, now, types)
    if value is None:
        value = compute()
        with optional_write(f"dashboard figures {key!r}"):  # a read-only database: shown, not kept
            write(key, value, now)
        value = decode(encode(value), types)  # the same shape a reader of the stored value gets
    return value
