"""The decisions a unit's inbox tells it of (返工, extension requests decided, 退单 refused) indexed by time: the unread
badge on every page a unit opens read them from the unit's parts, every open or recently due one and every event of
each, 12 ms for a busy unit at 1 M tickets; from the decisions since the clerk last looked it is a few hundred rows.

Revision ID: 0097
Revises: 0096
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0097'
down_revision = '0096'
branch_labels = None
depends_on = None

UNIT_DECISIONS = sa.text("action IN ('reject', 'decide_extension', 'decide_part_extension', 'reassign')")


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_unit_decisions', ['at'], unique=False,
                              sqlite_where=UNIT_DECISIONS, postgresql_where=UNIT_DECISIONS)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_unit_decisions', sqlite_where=UNIT_DECISIONS,
                            postgresql_where=UNIT_DECISIONS)
