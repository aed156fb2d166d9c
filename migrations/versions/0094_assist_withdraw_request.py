"""An assisting unit (协办) may ask to be taken off a ticket (申请退出协办) with a reason; the office approves (the
part goes, as when it removes the unit) or refuses with a note (the part stays, and the unit cannot ask again).
The request lives on its part: ticket_units.withdraw_reason, withdraw_requested_at, withdraw_decided_at and
withdraw_note (the office's note on a refusal), the open ones indexed for the office's work page. The office's
decisions are found for the unit's inbox by a small partial index on ticket_events (action = 'decide_withdraw').

Revision ID: 0094
Revises: 0093
Create Date: 2026-12-03 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0094'
down_revision = '0093'
branch_labels = None
depends_on = None

WITHDRAW_DECIDED = sa.text("action = 'decide_withdraw'")
WITHDRAW_OPEN = sa.text('withdraw_requested_at IS NOT NULL AND withdraw_decided_at IS NULL')


def upgrade():
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdraw_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('withdraw_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdraw_decided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdraw_note', sa.Text(), nullable=True))
        batch_op.create_index('ix_ticket_units_withdraw_open', ['withdraw_requested_at'], unique=False,
                              sqlite_where=WITHDRAW_OPEN, postgresql_where=WITHDRAW_OPEN)
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_withdraw_decided', ['at'], unique=False,
                              sqlite_where=WITHDRAW_DECIDED, postgresql_where=WITHDRAW_DECIDED)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_withdraw_decided', sqlite_where=WITHDRAW_DECIDED,
                            postgresql_where=WITHDRAW_DECIDED)
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_units_withdraw_open', sqlite_where=WITHDRAW_OPEN,
                            postgresql_where=WITHDRAW_OPEN)
        batch_op.drop_column('withdraw_note')
        batch_op.drop_column('withdraw_decided_at')
        batch_op.drop_column('withdraw_requested_at')
        batch_op.drop_column('withdraw_reason')
