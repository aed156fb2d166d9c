"""patrol_areas: 督查片区, which inspectors answer for walking which district (路段巡查, 分片包干).

Revision ID: 0111
Revises: 0110
Create Date: 2026-12-05 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0111'
down_revision = '0110'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'patrol_areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_areas_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_areas')),
        sa.UniqueConstraint('user_id', 'district', name=op.f('uq_patrol_areas_user_id_district')),
    )


def downgrade():
    op.drop_table('patrol_areas')
