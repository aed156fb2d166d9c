"""A category's tickets by when they were found: a 专项整治行动 counts the problems of its categories within its
dates, and through ix_tickets_category_id SQLite walked every ticket of those categories in three years (a
campaign of four categories over 12 weeks: 350,000 rows for its 30,000, 0.7 s a count at 1 M tickets; 31 ms from
this index). It replaces ix_tickets_category_id, its prefix, so filing maintains no more indexes than before.

Revision ID: 0118
Revises: 0117
Create Date: 2026-12-06 02:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0118'
down_revision = '0117'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_category_reported', ['category_id', 'reported_at'], unique=False)
        batch_op.drop_index('ix_tickets_category_id')


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_category_id', ['category_id'], unique=False)
        batch_op.drop_index('ix_tickets_category_reported')
