"""The moderation queue waits oldest first by when the source received a report, not when it reached us: a 12345 case
received days ago and imported today came last. Its index is (status, received_at), replacing (status, created_at),
which nothing else reads.

Revision ID: 0123
Revises: 0122
Create Date: 2026-12-07 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0123'
down_revision = '0122'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.create_index('ix_intake_items_status_received', ['status', 'received_at'], unique=False)
        batch_op.drop_index('ix_intake_items_status_created')


def downgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.create_index('ix_intake_items_status_created', ['status', 'created_at'], unique=False)
        batch_op.drop_index('ix_intake_items_status_received')
