"""duplicate_dismissals: pairs of problems named as likely repeats (疑似重复) that the office found to be two
problems (不是重复), so neither is named as the other's again.

Revision ID: 0106
Revises: 0105
Create Date: 2026-12-05 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0106'
down_revision = '0105'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'duplicate_dismissals',
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('second_id', sa.Integer(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['first_id'], ['tickets.id'], name=op.f('fk_duplicate_dismissals_first_id_tickets')),
        sa.ForeignKeyConstraint(['second_id'], ['tickets.id'],
                                name=op.f('fk_duplicate_dismissals_second_id_tickets')),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_duplicate_dismissals_decided_by_users')),
        sa.PrimaryKeyConstraint('first_id', 'second_id', name=op.f('pk_duplicate_dismissals')),
    )
    op.create_index(op.f('ix_duplicate_dismissals_second_id'), 'duplicate_dismissals', ['second_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_duplicate_dismissals_second_id'), table_name='duplicate_dismissals')
    op.drop_table('duplicate_dismissals')
