"""patrol_cycles: 巡查周期, how often a segment of each kind is to be walked (路段巡查's 超期未巡查).

Revision ID: 0110
Revises: 0109
Create Date: 2026-12-05 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0110'
down_revision = '0109'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'patrol_cycles',
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', name=op.f('pk_patrol_cycles')),
    )


def downgrade():
    op.drop_table('patrol_cycles')
