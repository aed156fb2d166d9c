"""last_sign_ins: when each account last signed in (a page or an API token), for the accounts page, which names
accounts unused for long (等级保护: unused accounts are to be disabled).

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
    op.create_table(
        'last_sign_ins',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_last_sign_ins_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_last_sign_ins')),
    )


def downgrade():
    op.drop_table('last_sign_ins')
