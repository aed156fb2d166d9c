"""领导交办 is a ticket source of its own (leader_assigned): the problems the office entered as 领导交办 were stored
as `leader` and read 领导督导 (a leader's own inspection) on their page, in the API and the lists. Those tickets —
made from a 领导交办 entry, whose description names it (（领导交办：…）) — take the new source; tickets filed from
the street as 领导督导 keep `leader`. The entries themselves (intake_items.source `leader`) are unchanged.

Revision ID: 0119
Revises: 0118
Create Date: 2026-12-06 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0119'
down_revision = '0118'
branch_labels = None
depends_on = None

tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("source", sa.String),
                   sa.column("description", sa.Text))
items = sa.table("intake_items", sa.column("ticket_id", sa.Integer), sa.column("source", sa.String))


def upgrade():
    entered = sa.select(items.c.ticket_id).where(items.c.source == "leader", items.c.ticket_id.is_not(None))
    op.get_bind().execute(tickets.update().where(
        tickets.c.source == "leader", tickets.c.id.in_(entered), tickets.c.description.like("%（领导交办：%"))
        .values(source="leader_assigned"))


def downgrade():
    op.get_bind().execute(tickets.update().where(tickets.c.source == "leader_assigned").values(source="leader"))
