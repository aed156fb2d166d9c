"""A reassignment to another unit starts a new assignment (level 0; letters keep the assignment they were for);
per-category rework (返工) time. Existing rows are assignment 1, categories keep the default rework time.

Revision ID: 0040
Revises: 0005
Create Date: 2026-11-30 07:53:59.701482

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rework_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rework_workdays', sa.Integer(), nullable=True))

    with op.batch_alter_table('letter_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_letter_items_ticket_id_level'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_letter_items_ticket_id_assignment_level'), ['ticket_id', 'assignment', 'level'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignment', sa.Integer(), server_default='1', nullable=False))



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('assignment')

    with op.batch_alter_table('letter_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_letter_items_ticket_id_assignment_level'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_letter_items_ticket_id_level'), ['ticket_id', 'level'])
        batch_op.drop_column('assignment')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('rework_workdays')
        batch_op.drop_column('rework_hours')

