"""The backups' own record (backup_runs): each `flask --app run backup`, made or not, for the office's 待办事项.

Revision ID: 0102
Revises: 0101
Create Date: 2026-12-05 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0102'
down_revision = '0101'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backup_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('dest', sa.String(length=500), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.Column('tickets', sa.Integer(), nullable=True),
        sa.Column('files', sa.Integer(), nullable=True),
        sa.Column('bytes', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_runs')),
    )
    op.create_index(op.f('ix_backup_runs_finished_at'), 'backup_runs', ['finished_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_backup_runs_finished_at'), table_name='backup_runs')
    op.drop_table('backup_runs')
