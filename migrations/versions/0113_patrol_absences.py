"""patrol_absences: 请假外出登记, the days the office records an inspector was away from field work (巡查月历).

Revision ID: 0113
Revises: 0112
Create Date: 2026-12-05 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0113'
down_revision = '0112'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'patrol_absences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=100), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_absences_user_id_users')),
        sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_patrol_absences_recorded_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_absences')),
    )
    op.create_index('ix_patrol_absences_user_first', 'patrol_absences', ['user_id', 'first_day'])
    op.create_index('ix_patrol_absences_last', 'patrol_absences', ['last_day'])


def downgrade():
    op.drop_index('ix_patrol_absences_last', table_name='patrol_absences')
    op.drop_index('ix_patrol_absences_user_first', table_name='patrol_absences')
    op.drop_table('patrol_absences')
