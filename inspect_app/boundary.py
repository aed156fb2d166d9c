"""The action boundary: the edge owns the transaction.

Operations (services) check their rules, change rows and `flush()`; they never commit, so several operations can
share one transaction. The edge commits once:
- a request: after its view returns a success (status below 400) having written something, else it rolls back
  (`register` below);
- a CLI command or a scheduled job: `with transaction():` around its work (the scheduler does this for every job;
  a job with several steps, such as the escalation sweep, uses one `transaction()` per step).

Files written during a transaction (photos, PDFs) are registered with `delete_on_rollback(path)`: if the transaction
rolls back they are removed, so a failed action leaves no orphan file and no caller has to clean up. A savepoint
(`begin_nested`) that rolls back removes the files written inside it. Work a transaction hands to a helper thread
(the fsync of the photos it wrote) is registered with `commit_waits_for(future)`: the commit waits for it and fails
if it failed, and a rollback waits for it before removing the files.

A write a page can do without (the dashboard's kept figures, a unit's inbox marked seen) goes in
`with optional_write(what):`. When the database will not write (read-only: a standby after a fail-over,
maintenance; or its disk full) it is let go with a warning and the page is shown; a request whose writes were all
optional is answered even if its commit then fails that way.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from .common.errors import (DATABASE_CONFLICT, DATABASE_REFUSALS, DATABASE_UNAVAILABLE, STORAGE_FAILED, database_answer,
                            is_conflict, will_not_write)
from .extensions import db

log = logging.getLogger(__name__)

_FILES = "boundary.files"  # session.info key: [(transaction ids, path), ...]
_WROTE = "boundary.wrote"  # session.info key: this transaction changed something
_NEEDED = "boundary.needed"  # session.info key: ... and something of it outside optional_write
_OPTIONAL = "boundary.optional"  # session.info key: how many optional_write blocks are open
_WAITS = "boundary.waits"  # session.info key: [(transaction ids, future), ...] the commit waits for
_AFTER = "boundary.after"  # session.info key: [(transaction ids, callback), ...] run once the transaction committed


@contextmanager
def transaction() -> Iterator[None]:
    """One unit of work for a command or a job: commit at the end, roll back on any error."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def optional_write(what: str) -> Iterator[None]:
    """A write a page can do without, in a savepoint: if the database will not write it (read-only, its disk full),
    the savepoint is rolled back, `what` is logged as not saved, and the caller goes on after the block."""
    session = db.session()
    session.flush()  # what the caller changed before is not this optional write's
    session.info[_OPTIONAL] = session.info.get(_OPTIONAL, 0) + 1
    try:
        with session.begin_nested():
            yield
    except DATABASE_REFUSALS as error:
        if not will_not_write(error):
            raise
        log.warning("%s not saved: %s", what, error)
    finally:
        session.info[_OPTIONAL] -= 1


def fail_request() -> None:
    """This request's changes must not be kept, whatever its status (an error page shown as a redirect)."""
    g.boundary_failed = True


# ----------------------------------------------------------------------------- files written in a transaction

def _open_transactions(session) -> list[int]:
    chain, transaction = [], session.get_nested_transaction() or session.get_transaction()
    while transaction is not None:
        chain.append(id(transaction))
        transaction = transaction.parent
    return chain


def _register(key: str, items) -> None:
    """Keep `items` under session.info[key], each with the transactions open now (see _rolled_back)."""
    session = db.session()
    if not session.in_transaction():
        session.connection()  # begin now, so the items belong to the transaction that follows
    chain = _open_transactions(session)
    session.info.setdefault(key, []).extend((chain, item) for item in items)


def delete_on_rollback(*paths: str | Path) -> None:
    """Remove these files if the current transaction (or the savepoint they were written in) rolls back."""
    _register(_FILES, [Path(p) for p in paths])


def commit_waits_for(future: Future) -> None:
    """The current transaction commits only once `future` is done, and not at all if it failed (the error is
    raised by the commit, and the rollback that follows removes the transaction's files)."""
    _register(_WAITS, [future])


def after_commit(callback) -> None:
    """Call `callback()` once the current transaction has committed (work that must see what it wrote, such as a
    document built from it in a helper thread); never if it (or the savepoint it was registered in) rolls back.
    A callback that fails is logged: the commit stands."""
    _register(_AFTER, [callback])


def _finish_waits(entries) -> BaseException | None:
    """Wait for every future (a failed one does not stop the wait for the others); the first error."""
    futures = [future for _chain, future in entries]
    wait(futures)
    return next((f.exception() for f in futures if f.exception() is not None), None)


def _before_commit(session) -> None:
    if session.in_nested_transaction():  # SQLAlchemy also calls this (and after_commit) when a savepoint is released:
        return                           # the transaction goes on, and so do its files, waits and writes
    error = _finish_waits(session.info.pop(_WAITS, ()))
    if error is not None:
        raise error


def _after_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint released (_before_commit)
        return
    session.info.pop(_FILES, None)
    session.info.pop(_WROTE, None)
    session.info.pop(_NEEDED, None)
    for _chain, callback in session.info.pop(_AFTER, ()):
        try:
            callback()
        except Exception:  # noqa: BLE001 - committed is committed
            log.exception("a callback after the commit failed")


def _wrote(session) -> None:
    session.info[_WROTE] = True
    if not session.info.get(_OPTIONAL):
        session.info[_NEEDED] = True


def _after_flush(session, _context) -> None:
    _wrote(session)


def _on_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _wrote(state.session)


def wrote(session=None) -> bool:
    """Whether the current transaction has written anything (a flush, an INSERT/UPDATE/DELETE statement) or holds
    changes not flushed yet."""
    session = session or db.session()
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


def _rolled_back(session, key: str, transaction) -> list:
    """Take the entries under session.info[key] registered inside `transaction` (all of them for the outermost
    one; a savepoint's own for a nested one); the others stay."""
    entries = session.info.get(key)
    if not entries:
        return []
    if not transaction.nested:
        return session.info.pop(key)
    session.info[key] = [e for e in entries if id(transaction) not in e[0]]
    return [e for e in entries if id(transaction) in e[0]]


def _after_soft_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_WROTE, None)
        session.info.pop(_NEEDED, None)
    _finish_waits(_rolled_back(session, _WAITS, previous_transaction))  # the helper threads are done with the files
    _rolled_back(session, _AFTER, previous_transaction)  # what was to follow the commit does not
    for _chain, path in _rolled_back(session, _FILES, previous_transaction):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # the cleanup sweep (ops) finds what could not be removed now
            log.warning("could not remove %s after a rollback", path)


def _listen() -> None:
    for name, handler in (("before_commit", _before_commit), ("after_commit", _after_commit),
                          ("after_soft_rollback", _after_soft_rollback),
                          ("after_flush", _after_flush), ("do_orm_execute", _on_execute)):
        if not event.contains(db.session, name, handler):
            event.listen(db.session, name, handler)


# ----------------------------------------------------------------------------- requests

def register(app: Flask) -> None:
    """Commit each successful request that wrote something, once; roll back everything else. A request that only
    read ends its transaction at teardown (its objects stay readable for a streamed body): on PostgreSQL with a
    COMMIT that keeps the connection's prepared statements (_end_read), elsewhere with the session's close when
    the app context ends. Register
    after the other after_request hooks, so this one runs first and they see the final response (Flask runs them
    in reverse order)."""
    _listen()

    @app.after_request
    def _finish(response):
        if response.status_code >= 400 or g.get("boundary_failed"):
            db.session.rollback()
            return response
        if not wrote():
            return response
        try:
            db.session.commit()
        except (StaleDataError, IntegrityError) as error:
            db.session.rollback()
            log.info("commit refused at the end of the request: %s", error)
            return _refused(409, "concurrent_update", "数据刚被其他人修改过，请刷新后再试。")
        except (OperationalError, InternalError) as error:
            needed = db.session.info.get(_NEEDED)
            db.session.rollback()
            if is_conflict(error):  # a deadlock at the commit's flush: another person's change won
                log.warning("commit lost to a concurrent transaction at the end of the request: %s", error)
                return _refused(409, *DATABASE_CONFLICT)
            answer = database_answer(error)
            if answer is None:  # an InternalError that is not the server's state: a bug
                raise
            if answer != DATABASE_UNAVAILABLE:  # its disk is full, or it is read-only
                if not needed:  # only optional writes: the page as it is
                    log.warning("optional writes not saved at the end of the request: %s", error)
                    return response
                log.error("commit failed at the end of the request: %s", error)
                return _refused(503, *answer, retry_later=True)
            log.exception("commit failed at the end of the request")
            return _refused(503, "database_busy", "数据库繁忙，请稍后重试。")
        except OSError:  # a file the transaction wrote could not be made durable (commit_waits_for)
            db.session.rollback()
            log.exception("files not saved at the end of the request")
            return _refused(503, *STORAGE_FAILED)
        return response

    @app.teardown_request
    def _end(error):
        session = db.session()
        if error is not None or g.get("boundary_failed") or wrote(session):
            session.rollback()
        elif session.in_transaction():
            _end_read(session)


def _refused(status: int, code: str, message: str, retry_later: bool = False):
    """The error answer in place of a response whose transaction could not commit: a Response object, as the
    after_request hooks that run after this one expect. `retry_later`: with Retry-After, as http's 503s."""
    from .http import RETRY_AFTER_SECONDS, error_response
    response = current_app.make_response(error_response(status, code, message))
    if retry_later:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _end_read(session) -> None:
    """End a transaction that only read. PostgreSQL: with COMMIT, for reads the same as ROLLBACK, but psycopg
    forgets every prepared statement of the connection on a rollback and keeps them over a commit, so the server
    plans the hot statements once per connection instead of on every request (a ticket row joins 8 tables: about
    10 ms of planning at 1 M tickets, 1.5 ms to run; issue 17). Other databases keep nothing over a commit: their
    read ends with the session's close (a rollback) at the app context's teardown, which skips the commit's
    bookkeeping. (Closing here instead would detach the objects of an app context that encloses the request, as a
    test's or a script's does.)"""
    if db.engine.dialect.name != "postgresql":
        return
    expire, session.expire_on_commit = session.expire_on_commit, False  # what was loaded stays readable, as
    try:                                    # after a close(): a streamed body runs after teardown with its objects
        session.commit()
    except Exception:  # noqa: BLE001 - nothing was written; whatever went wrong, the transaction just ends
        log.exception("ending a read-only request's transaction failed")
        session.rollback()
    finally:
        session.expire_on_commit = expire
