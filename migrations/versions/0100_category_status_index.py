"""A category's tickets by status: the office's and the leaders' list of one category's open or overdue problems
(the dashboard's 在办 and 超期 by category link to it) counted them through ix_tickets_category_id, one table row per
ticket of the category, and read a page of a rare status (待派遣) by walking the whole category newest first: at 1 M
tickets 140-250 ms a page on SQLite, from this index about 20 ms.

Revision ID: 0100
Revises: 0099
Create Date: 2026-12-04 05:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0100'
down_revision = '0099'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_category_status', ['category_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_category_status')
