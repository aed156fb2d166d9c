"""回潮 (relapse): a problem that comes back where one was just closed.

A new ticket of the same category within RELAPSE_RADIUS_M metres of a ticket closed in the last RELAPSE_DAYS days
is flagged as a relapse of it (the nearest such, then the most recently closed). `flag` is called once when a
ticket is filed (tickets.services.create_ticket); a failed 回头看 (escalation) files its new ticket naming the
re-checked one (NewReport.relapse_of), which create_ticket then `link`s as found by the re-check instead of
searching. A ticket is the relapse of at most one earlier ticket.

Only tickets with coordinates can be compared; the (category_id, closed_at) index makes the search a range over
the category's recent closures, whatever the table's size.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ForeignKey, Index, Integer, String, bindparam, or_, select
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship

from ..common.geo import degree_box, distance_m, valid_lat_lon
from ..common.types import UTCDateTime
from ..extensions import db
from .models import Ticket

Index("ix_tickets_category_closed", Ticket.category_id, Ticket.closed_at)


class TicketRelapse(db.Model):
    """`ticket` came back at (or near) the place of `earlier`, closed `days` days before it was filed."""

    __tablename__ = "ticket_relapses"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    earlier_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # the earlier ticket's unit
    distance_m: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer, default=0)
    found_by: Mapped[str] = mapped_column(String(10), default="filing")  # filing | recheck
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    ticket = relationship("Ticket", foreign_keys=[ticket_id], lazy="joined")
    earlier = relationship("Ticket", foreign_keys=[earlier_id], lazy="joined")


def find_earlier(ticket: Ticket, now: datetime) -> tuple[Ticket, float] | None:
    """The closed ticket this one repeats, with the distance in metres, or None."""
    if not valid_lat_lon(ticket.lat, ticket.lon) or ticket.category_id is None and ticket.category is None:
        return None
    config = current_app.config
    radius = float(config["RELAPSE_RADIUS_M"])
    days = int(config["RELAPSE_DAYS"])
    if radius <= 0 or days <= 0:
        return None
    dlat, dlon = degree_box(ticket.lat, radius)
    category_id = ticket.category_id if ticket.category_id is not None else ticket.category.id
    rows = db.session.execute(
        select(Ticket.id, Ticket.lat, Ticket.lon, Ticket.closed_at)
        .where(Ticket.category_id == category_id, Ticket.status == "closed",
               Ticket.closed_at >= now - timedelta(days=days), Ticket.closed_at <= now,
               Ticket.lat.between(ticket.lat - dlat, ticket.lat + dlat),
               Ticket.lon.between(ticket.lon - dlon, ticket.lon + dlon))).all()
    best = None
    for row in rows:
        if row.id == ticket.id or row.lat is None:
            continue
        distance = distance_m(ticket.lat, ticket.lon, row.lat, row.lon)
        if distance <= radius:
            key = (round(distance), -row.closed_at.timestamp())
            if best is None or key < best[0]:
                best = (key, row.id, distance)
    if best is None:
        return None
    return db.session.get(Ticket, best[1]), best[2]


def link(ticket: Ticket, earlier: Ticket, now: datetime, *, distance: float | None = None,
         found_by: str = "filing") -> TicketRelapse | None:
    """Record that `ticket` is a relapse of `earlier` (once per ticket; a second link is ignored)."""
    if ticket.id is not None and db.session.scalar(select(TicketRelapse.id).where(TicketRelapse.ticket_id == ticket.id)):
        return None
    closed = earlier.closed_at or now
    row = TicketRelapse(ticket=ticket, earlier=earlier, unit_id=earlier.unit_id,
                        distance_m=None if distance is None else round(distance),
                        days=max(0, (now - closed).days), found_by=found_by, created_at=now)
    db.session.add(row)
    return row


def flag(ticket: Ticket, now: datetime) -> TicketRelapse | None:
    """On filing: link the ticket to the closed one it repeats, if any."""
    found = find_earlier(ticket, now)
    if found is None:
        return None
    earlier, distance = found
    return link(ticket, earlier, now, distance=distance)


# For one ticket's page: the tickets on either side are loaded only when there is a relapse to show. Joined, as
# the relationships load by default, each query carried two tickets with all their own joins, and building that
# statement cost a ticket's page a third of its time even when it found nothing.
_ONE_TICKETS = (lazyload(TicketRelapse.ticket), lazyload(TicketRelapse.earlier))


# Both sides in one statement, built once (a ticket is the later one of at most one relapse).
_LINKS = (select(TicketRelapse).options(*_ONE_TICKETS)
          .where(or_(TicketRelapse.ticket_id == bindparam("ticket_id"),
                     TicketRelapse.earlier_id == bindparam("ticket_id")))
          .order_by(TicketRelapse.id))


def links(ticket_id: int) -> tuple[TicketRelapse | None, list[TicketRelapse]]:
    """(the relapse this ticket is or None, the later relapses of it), in one statement."""
    found = list(db.session.scalars(_LINKS, {"ticket_id": ticket_id}))
    return (next((r for r in found if r.ticket_id == ticket_id), None),
            [r for r in found if r.earlier_id == ticket_id])


