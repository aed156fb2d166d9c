"""The escalation rule, as a pure function: no database, no clock."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .models import MAX_LEVEL


def target_level(deadline: datetime | None, current_level: int, reply_by: Mapping[int, datetime | None],
                 now: datetime) -> int:
    """The level a not-yet-rectified ticket should be at, as of `now`.

    Level 1 once the ticket's deadline has passed; level n+1 once the reply-by date of its level-n
    letter has passed too. One step at a time: every level gives the unit its letter and its time.
    A later deadline (an approved extension, a reassignment) holds escalation back until it passes.
    A level without its letter holds. The caller decides which tickets are still open; a rejected rectification keeps its deadline, so
    it keeps counting from there.
    """
    if deadline is None or current_level >= MAX_LEVEL:
        return current_level
    due = deadline
    if current_level > 0:
        letter_due = reply_by.get(current_level)
        if letter_due is None:
            return current_level  # no letter gave the unit this level's time: nothing to count from
        due = max(due, letter_due)
    return current_level + 1 if due < now else current_level
