"""patrols.sent_at: 离线打卡, when a check-in kept on the phone without a connection reached the server (its `at`
is when it was made).

Revision ID: 0114
Revises: 0113
Create Date: 2026-12-05 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0114'
down_revision = '0113'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patrols') as batch:
        batch.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('patrols') as batch:
        batch.drop_column('sent_at')
