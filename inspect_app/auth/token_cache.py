"""A short-lived, per-process cache of bearer-token lookups, so an API request does not pay a query (and an ORM load
of the token, its user and the user's unit) for its token every time (issue 17).

What is cached: for a token's sha256 (never the token), a detached copy of its user (with the unit) and the
token's expiry. Only valid tokens are cached: a wrong token always costs its query, so guessing fills no memory.
An entry is used only while all of these hold, else the token is looked up again:
- it is younger than API_TOKEN_CACHE_SECONDS (0 turns the cache off), and the token has not expired;
- nothing that decides whether a token is good has changed since it was cached, in this process or another: every
  commit that wrote a user, a unit or a token (a revocation, a logout, a password change, a disabled account, a
  role or unit change, a new token) — or ran a raw write statement — empties this process's cache and replaces
  a small stamp file (API_TOKEN_CACHE_STAMP, default instance/api-token-cache.stamp), and every lookup compares
  the stamp's identity (inode, mtime, size: one stat call) with the one its entries were made under.
So a revoked token stops working at the revoking commit in every process on the host; a change made behind the
app's back (psql) is seen within API_TOKEN_CACHE_SECONDS. Several hosts must share the stamp file's folder or set
API_TOKEN_CACHE_SECONDS=0.

On a hit the user is merged into the request's session without a query (`merge(load=False)`), so the request
works with a session object of its own exactly as after a lookup.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.elements import TextClause

from ..extensions import db
from .models import ApiToken, User

MAX_ENTRIES = 4096
_CHANGED = "token_cache.changed"  # session.info key: this transaction wrote something auth depends on
_WATCHED_TABLES = frozenset({"users", "api_tokens", "units"})


@dataclass
class _Entry:
    user: User  # detached copy
    expires_at: datetime
    cached_at: float  # time.monotonic()


class TokenCache:
    def __init__(self, seconds: float, stamp: Path):
        self.seconds = seconds
        self.stamp = stamp
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._seen: tuple | None = None
        self._lock = threading.Lock()

    # --- the cross-process generation
    def _stamp_identity(self) -> tuple | None:
        try:
            st = os.stat(self.stamp)
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _current(self) -> None:
        """Forget every entry if the stamp changed since they were made."""
        identity = self._stamp_identity()
        if identity != self._seen:
            with self._lock:
                self._entries.clear()
                self._seen = identity

    def bump(self) -> None:
        """Something auth depends on changed: forget everything here and tell the other processes."""
        with self._lock:
            self._entries.clear()
        try:
            self.stamp.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.stamp.with_name(f".{self.stamp.name}.{os.getpid()}.{secrets.token_hex(4)}")
            tmp.write_bytes(secrets.token_bytes(8))
            os.replace(tmp, self.stamp)  # a new inode: a different identity even within one mtime tick
        except OSError:
            # Cannot tell the others: they notice within API_TOKEN_CACHE_SECONDS at the latest.
            pass

    # --- lookups
    def get(self, token_hash: str, now: datetime) -> User | None:
        self._current()
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if time.monotonic() - entry.cached_at > self.seconds or entry.expires_at <= now:
            with self._lock:
                self._entries.pop(token_hash, None)
            return None
        return db.session.merge(entry.user, load=False)

    def put(self, token_hash: str, row: ApiToken, user: User, seen_before_query: tuple | None) -> None:
        """Cache a token found valid, unless the stamp moved while it was being looked up."""
        if seen_before_query != self._seen:
            return
        copy = _detached_copy(user)
        with self._lock:
            self._entries[token_hash] = _Entry(copy, row.expires_at, time.monotonic())
            self._entries.move_to_end(token_hash)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)


def _detached_copy(obj):
    """A detached instance holding `obj`'s loaded column values (and its unit, for a user), tied to no session."""
    if obj is None:
        return None
    mapper = inspect(obj).mapper
    state = inspect(obj)
    values = {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs if attr.key not in state.unloaded}
    copy = mapper.class_(**values)
    if isinstance(obj, User) and "unit" not in state.unloaded:
        copy.unit = _detached_copy(obj.unit)
    make_transient_to_detached(copy)
    return copy


def cache() -> TokenCache | None:
    """The app's cache, or None when API_TOKEN_CACHE_SECONDS is 0."""
    app = current_app
    found = app.extensions.get("api_token_cache")
    if found is None:
        seconds = float(app.config["API_TOKEN_CACHE_SECONDS"])
        if seconds <= 0:
            return None
        stamp = Path(app.config["API_TOKEN_CACHE_STAMP"] or Path(app.instance_path) / "api-token-cache.stamp")
        found = app.extensions["api_token_cache"] = TokenCache(seconds, stamp)
    return found


def stamp_seen() -> tuple | None:
    """The stamp identity as of now (call before the query whose result goes into put())."""
    tokens = cache()
    if tokens is None:
        return None
    tokens._current()
    return tokens._seen


# --- invalidation: every commit that touched users, units or tokens

def _touches(instances) -> bool:
    return any(isinstance(obj, User | ApiToken) or getattr(obj, "__tablename__", None) in _WATCHED_TABLES
               for obj in instances)


def _before_flush(session, _context, _instances) -> None:
    if _touches(session.new) or _touches(session.dirty) or _touches(session.deleted):
        session.info[_CHANGED] = True


def _on_execute(state) -> None:
    statement = state.statement
    if isinstance(statement, TextClause):
        if not str(statement).lstrip().lower().startswith(("select", "with", "pragma", "show", "set")):
            state.session.info[_CHANGED] = True
        return
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) in _WATCHED_TABLES:
            state.session.info[_CHANGED] = True


def _after_commit(session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        tokens = cache()
        if tokens is not None:
            tokens.bump()


def _after_soft_rollback(session, previous_transaction) -> None:
    # Only a whole transaction rolled back forgets; after a savepoint's rollback an extra bump is harmless.
    if not previous_transaction.nested:
        session.info.pop(_CHANGED, None)


def listen() -> None:
    for name, handler in (("before_flush", _before_flush), ("do_orm_execute", _on_execute),
                          ("after_commit", _after_commit), ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(db.session, name, handler):
            event.listen(db.session, name, handler)
