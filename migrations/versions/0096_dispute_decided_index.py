"""The office's decisions on a unit's 退单 (a reassignment out of disputed) indexed by time: a unit whose 退单 was
accepted has no part left to find the news by, and reading it through every ticket due since the clerk last looked
cost each of a unit's pages a scan of the city's recent tickets.

Revision ID: 0096
Revises: 0095
Create Date: 2026-12-03 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0096'
down_revision = '0095'
branch_labels = None
depends_on = None

DISPUTE_DECIDED = sa.text("action = 'reassign' AND from_status = 'disputed'")


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_dispute_decided', ['at'], unique=False,
                              sqlite_where=DISPUTE_DECIDED, postgresql_where=DISPUTE_DECIDED)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_dispute_decided', sqlite_where=DISPUTE_DECIDED,
                            postgresql_where=DISPUTE_DECIDED)
