"""patrols: 巡查打卡, an inspector on a road segment at a moment, by the phone's position (路段巡查覆盖); the tickets'
index on segment_id takes reported_at too, so a segment's latest find before a moment is a seek.

Revision ID: 0109
Revises: 0108
Create Date: 2026-12-05 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0109'
down_revision = '0108'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'patrols',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('accuracy_m', sa.Float(), nullable=True),
        sa.Column('distance_m', sa.Float(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_patrols_segment_id_segments')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrols_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patrols')),
    )
    op.create_index('ix_patrols_at_segment', 'patrols', ['at', 'segment_id', 'user_id'], unique=False)
    op.create_index('ix_patrols_user_at', 'patrols', ['user_id', 'at'], unique=False)
    op.create_index('ix_patrols_segment_at', 'patrols', ['segment_id', 'at'], unique=False)
    op.create_index('ix_tickets_segment_reported', 'tickets', ['segment_id', 'reported_at'], unique=False)
    op.drop_index('ix_tickets_segment_id', table_name='tickets')


def downgrade():
    op.create_index('ix_tickets_segment_id', 'tickets', ['segment_id'], unique=False)
    op.drop_index('ix_tickets_segment_reported', table_name='tickets')
    op.drop_index('ix_patrols_segment_at', table_name='patrols')
    op.drop_index('ix_patrols_user_at', table_name='patrols')
    op.drop_index('ix_patrols_at_segment', table_name='patrols')
    op.drop_table('patrols')
