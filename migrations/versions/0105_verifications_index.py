"""Verifications (核查: approve and reject events) indexed by time, for the inspectors' work page, which counts each
inspector's verifications in a period.

Revision ID: 0105
Revises: 0104
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0105'
down_revision = '0104'
branch_labels = None
depends_on = None

VERIFICATIONS = sa.text("action IN ('approve', 'reject')")


def upgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_verifications', ['at'], unique=False,
                              sqlite_where=VERIFICATIONS, postgresql_where=VERIFICATIONS)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_verifications', sqlite_where=VERIFICATIONS,
                            postgresql_where=VERIFICATIONS)
