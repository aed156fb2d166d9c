"""An assisting unit (协办) may ask for more time on its own part (协办申请延期) with a new deadline and a reason; the
office grants it (the part's deadline becomes the one asked for) or refuses it with a note (the deadline stands).
The last request lives on its part: ticket_units.extension_until, extension_reason, extension_requested_at,
extension_decided_at, extension_approved and extension_note, the open ones indexed for the office's work page.
(The lead's requests stay in extension_requests, one open per ticket.)

Revision ID: 0095
Revises: 0094
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0095'
down_revision = '0094'
branch_labels = None
depends_on = None

EXTENSION_OPEN = sa.text('extension_requested_at IS NOT NULL AND extension_decided_at IS NULL')


def upgrade():
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('extension_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('extension_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('extension_decided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('extension_approved', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('extension_note', sa.Text(), nullable=True))
        batch_op.create_index('ix_ticket_units_extension_open', ['extension_requested_at'], unique=False,
                              sqlite_where=EXTENSION_OPEN, postgresql_where=EXTENSION_OPEN)


def downgrade():
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_units_extension_open', sqlite_where=EXTENSION_OPEN,
                            postgresql_where=EXTENSION_OPEN)
        batch_op.drop_column('extension_note')
        batch_op.drop_column('extension_approved')
        batch_op.drop_column('extension_decided_at')
        batch_op.drop_column('extension_requested_at')
        batch_op.drop_column('extension_reason')
        batch_op.drop_column('extension_until')
