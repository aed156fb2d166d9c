"""What waits for the office (文明办), counted: the sections of its 待办事项 page (待派遣, 退单待审, 延期申请, 协办延期,
退出协办), whose total is that page's menu count, and the 待核查 queue's count and the open problems reported again
(群众再次反映), each the same filter its list reads.

Each is a statement built once (the values in its SQL: common.sql.const), sent by the menu with its other counts in
one statement (navigation.Count)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..common.sql import const, not_indexed
from ..navigation import Count
from .models import ExtensionRequest, Ticket, TicketUnit
from .queries import (OPEN_PART_EXTENSION, OPEN_WITHDRAWAL, TicketFilter, count_statement, filter_shape,
                      part_owed_ticket)


def _tickets(status: str):
    """count(*), not count(id): PostgreSQL then answers from the (status, deadline) index alone, without reading the
    table's rows (the 400 disputed tickets of a 1 M-ticket city took 2.3 ms)."""
    return select(func.count()).select_from(Ticket).where(Ticket.status == const(status)).scalar_subquery()


def _open_parts(request: tuple):
    """The assisting units' open requests on parts still owed, as queries.pending_withdrawals and
    pending_part_extensions list them. Read through the request's partial index (a handful of rows): the part's
    and the ticket's status are compared not_indexed, so that SQLite does not walk every open part through the
    (status, deadline) index, or every open ticket, instead."""
    return (select(func.count(TicketUnit.id)).join(Ticket, Ticket.id == TicketUnit.ticket_id)
            .where(*request, part_owed_ticket(), not_indexed(TicketUnit.status) == const("open"))
            .scalar_subquery())


# 待派遣 + 退单待审 + 延期申请 + 协办延期 + 退出协办 (tickets.office_work: each section lists every row it counts)
OFFICE_WORK = select(_tickets("pending") + _tickets("disputed")
                     + select(func.count(ExtensionRequest.id)).where(ExtensionRequest.status == const("open"))
                     .scalar_subquery()
                     + _open_parts(OPEN_PART_EXTENSION) + _open_parts(OPEN_WITHDRAWAL))


def office_work() -> Count:
    return Count(OFFICE_WORK)


def to_verify(user, now) -> Count:
    """待核查: the tickets rectified, as the verify queue lists them for this user (its filter, counted)."""
    shape, params = filter_shape(user, TicketFilter(status="rectified"), now)
    return Count(count_statement(shape), params)


def repeated_open(user, now) -> Count:
    """群众再次反映: the open problems an outside report was merged into, as the list the 待办事项 links to reads
    them (status=open&repeated=1, counted)."""
    shape, params = filter_shape(user, TicketFilter(status="open", repeated=True), now)
    return Count(count_statement(shape), params)
