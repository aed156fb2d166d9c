"""No tables of its own: the index the dashboard's "closed this month/week" counts need.

COUNT(*) over a closed_at range is then answered from the index alone. Created with the tickets table's
metadata, like the indexes escalation and rankings declare for their own queries.
"""
from sqlalchemy import Index

from ..tickets.models import Ticket

Index("ix_tickets_closed_at", Ticket.closed_at)
