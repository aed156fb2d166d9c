"""A unit's 协办 parts: 红黑榜 charges a problem to each assisting unit (rankings/counts.py) and its 发现问题 links
to the problems a unit answers for (the ticket list's answering_unit_id). Through ix_ticket_units_unit_ticket the
question "this unit's assisting parts" read every part the unit has, its lead parts too: 200,000 for the busiest
unit of the 1 M-ticket city, 581 ms a count on PostgreSQL; from this partial index 7 ms. Assisting parts are few,
so the index is small and filing (a lead part) does not maintain it.

Revision ID: 0120
Revises: 0119
Create Date: 2026-12-06 13:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0120'
down_revision = '0119'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_units_assist', ['unit_id', 'ticket_id'], unique=False,
                              sqlite_where=sa.text("role = 'assist'"), postgresql_where=sa.text("role = 'assist'"))


def downgrade():
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_units_assist')
