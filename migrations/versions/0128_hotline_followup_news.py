"""A 12345 case sent again after the office decided it (催办, 补充材料) is recorded on its ticket (hotline_followup)
and is news for the lead unit, as a 并案 is: the partial index of the decisions a unit's inbox reads takes
'hotline_followup' too.

Revision ID: 0128
Revises: 0127
Create Date: 2027-01-08 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0128'
down_revision = '0127'
branch_labels = None
depends_on = None

BEFORE = sa.text("action IN ('reject', 'decide_extension', 'decide_part_extension', 'reassign', 'merge_report')")
AFTER = sa.text("action IN ('reject', 'decide_extension', 'decide_part_extension', 'reassign', 'merge_report', "
                "'hotline_followup')")


def _replace(old, new):
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_unit_decisions', sqlite_where=old, postgresql_where=old)
        batch_op.create_index('ix_ticket_events_unit_decisions', ['at'], unique=False,
                              sqlite_where=new, postgresql_where=new)


def upgrade():
    _replace(BEFORE, AFTER)


def downgrade():
    _replace(AFTER, BEFORE)
