"""letters.reply_by_default: a draft whose reply-by date (整改时限) was left at its default remembers it, and 签发
counts the level's working days from the signing, not from the draft: a draft made before a holiday and signed
days later went out with hours to reply. Drafts saved before keep the date they hold (签发 refuses one that leaves
less than a working day).

Revision ID: 0127
Revises: 0126
Create Date: 2027-01-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0127'
down_revision = '0126'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letters') as batch:
        batch.add_column(sa.Column('reply_by_default', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('letters') as batch:
        batch.drop_column('reply_by_default')
