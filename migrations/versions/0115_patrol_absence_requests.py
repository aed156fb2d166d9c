"""patrol_absence_requests: 请假外出申请, an inspector asks the office to record days away from field work.

Revision ID: 0115
Revises: 0114
Create Date: 2026-12-05 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0115'
down_revision = '0114'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'patrol_absence_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=100), nullable=False),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('reply', sa.String(length=100), nullable=False),
        sa.Column('absence_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_absence_requests_user_id_users')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'],
                                name=op.f('fk_patrol_absence_requests_decided_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_absence_requests')),
    )
    op.create_index('ix_patrol_absence_requests_state', 'patrol_absence_requests', ['state', 'asked_at'])
    op.create_index('ix_patrol_absence_requests_user', 'patrol_absence_requests', ['user_id', 'first_day'])


def downgrade():
    op.drop_index('ix_patrol_absence_requests_user', table_name='patrol_absence_requests')
    op.drop_index('ix_patrol_absence_requests_state', table_name='patrol_absence_requests')
    op.drop_table('patrol_absence_requests')
