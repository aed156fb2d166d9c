"""Check, then insert, for a value the database keeps unique (a unit's code and name, a username, a campaign's name,
a site's or a frontage's code): the service checks first and refuses a value taken with its own message, and
`unique_write` covers the moment between that check and the INSERT."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from ..extensions import db


@contextmanager
def unique_write(refuse_taken: Callable[[], None]) -> Iterator[None]:
    """The block makes or changes the row, which is flushed at its end. `refuse_taken` is the check the caller made
    before the block: it raises the form's message (duplicate_code, duplicate_name...) for a value another row
    holds. If the database refuses the row all the same (at the end, or at an autoflush inside the block), another
    request saved the same value between that check and the INSERT (a double click on 保存, two tabs, the API):
    the transaction is rolled back (the caller's request fails anyway) and `refuse_taken` runs again, now seeing
    the other one's row, so the second request gets the message it would get a moment later instead of a 500.
    A refusal the check does not explain (another constraint) is raised as it is.

    The INSERT fails only on a row committed: PostgreSQL has it wait for the other transaction, SQLite for the other's
    write lock. So the check run again sees the row. Not a savepoint: on SQLite one opened before the transaction's
    first write commits when it is released."""
    try:
        yield
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        refuse_taken()
        raise
