"""A leader may send a draft letter back to the office with comments (退回修改) instead of signing it: the draft
keeps the comment, who returned it and when, until the office revises it.

Revision ID: 0093
Revises: 0092
Create Date: 2026-12-02 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0093'
down_revision = '0092'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('returned_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('return_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_letters_returned_by_id_users'), 'users', ['returned_by_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_letters_returned_by_id_users'), type_='foreignkey')
        batch_op.drop_column('return_note')
        batch_op.drop_column('returned_by_id')
        batch_op.drop_column('returned_at')
