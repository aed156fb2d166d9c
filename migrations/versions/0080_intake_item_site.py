"""A 上级测评反馈 item keeps the registered site (点位) its list names, and its ticket gets it when accepted.

Revision ID: 0080
Revises: 0070
Create Date: 2026-12-02 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0080'
down_revision = '0070'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_intake_items_site_id_sites'), 'sites', ['site_id'], ['id'])


def downgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_intake_items_site_id_sites'), type_='foreignkey')
        batch_op.drop_column('site_id')
