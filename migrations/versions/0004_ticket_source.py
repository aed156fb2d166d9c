"""ticket source: where each problem came from (日常督查 by default, 暗访, 模拟测评, 市民随手拍, 12345热线 ...)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 07:37:45.020656

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='daily', nullable=False))
        batch_op.create_index(batch_op.f('ix_tickets_source'), ['source'], unique=False)




def downgrade():

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_source'))
        batch_op.drop_column('source')


