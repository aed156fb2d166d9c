"""An outside report may be merged (并案) into a problem already open: several intake items may then name one
ticket, so intake_items.ticket_id is indexed instead of unique.

Revision ID: 0107
Revises: 0106
Create Date: 2026-12-05 12:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0107'
down_revision = '0106'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_intake_items_ticket_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_intake_items_ticket_id'), ['ticket_id'], unique=False)


def downgrade():
    # merged items would break the unique constraint: they go back to waiting for the office's decision
    op.execute("UPDATE intake_items SET status = 'pending', ticket_id = NULL, decided_by = NULL, decided_at = NULL "
               "WHERE status = 'merged'")
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_items_ticket_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_intake_items_ticket_id'), ['ticket_id'])
