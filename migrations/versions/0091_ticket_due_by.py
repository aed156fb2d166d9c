"""A ticket keeps its outside source's own time limit (12345 办理时限, a superior's 整改时限), so a reassignment keeps
within it as the first dispatch did. Existing tickets take it from their accepted intake item.

Revision ID: 0091
Revises: 0090
Create Date: 2026-12-02 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0091'
down_revision = '0090'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_by', sa.DateTime(), nullable=True))
    op.execute("UPDATE tickets SET due_by = (SELECT intake_items.due_at FROM intake_items "
               "WHERE intake_items.ticket_id = tickets.id AND intake_items.due_at IS NOT NULL) "
               "WHERE EXISTS (SELECT 1 FROM intake_items WHERE intake_items.ticket_id = tickets.id "
               "AND intake_items.due_at IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('due_by')
