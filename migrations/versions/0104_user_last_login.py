"""users.last_login_at: when an account last signed in (a page or an API token), for the accounts page, which
names accounts unused for long (等级保护: unused accounts are to be disabled).

Revision ID: 0104
Revises: 0103
Create Date: 2026-12-05 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0104'
down_revision = '0103'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('last_login_at')
