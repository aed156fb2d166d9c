"""frontage_notices.delivered_on, received_by: 送达, when a 整改通知书 was handed over and who signed for it.

Revision ID: 0117
Revises: 0116
Create Date: 2026-12-06 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0117'
down_revision = '0116'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('frontage_notices') as batch:
        batch.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('received_by', sa.String(length=40), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('frontage_notices') as batch:
        batch.drop_column('received_by')
        batch.drop_column('delivered_on')
