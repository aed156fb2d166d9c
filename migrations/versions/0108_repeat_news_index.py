"""A unit's inbox also tells it when the office merged another outside report into its ticket (并案: the same
problem reported again): the partial index of the decisions its inbox reads takes 'merge_report' too.

Revision ID: 0108
Revises: 0107
Create Date: 2026-12-05 13:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0108'
down_revision = '0107'
branch_labels = None
depends_on = None

BEFORE = sa.text("action IN ('reject', 'decide_extension', 'decide_part_extension', 'reassign')")
AFTER = sa.text("action IN ('reject', 'decide_extension', 'decide_part_extension', 'reassign', 'merge_report')")


def _replace(old, new):
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_unit_decisions', sqlite_where=old, postgresql_where=old)
        batch_op.create_index('ix_ticket_events_unit_decisions', ['at'], unique=False,
                              sqlite_where=new, postgresql_where=new)


def upgrade():
    _replace(BEFORE, AFTER)


def downgrade():
    _replace(AFTER, BEFORE)
