"""A round records each drawn site's street and address as drawn (round_sites.site_street, site_address), like its
name and district: the 曝光版 named the place from the site as it is now, so a site moved to another street (or
given another address) after the round was printed in the round's 曝光版 at its new place.

Existing rows take the site's street and address as they are now: nothing recorded them when they were drawn.

Revision ID: 0137
Revises: 0136
Create Date: 2027-01-16 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0137'
down_revision = '0136'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_street', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('site_address', sa.String(length=200), server_default='', nullable=False))
    op.execute("UPDATE round_sites SET "
               "site_street = COALESCE((SELECT sites.street FROM sites WHERE sites.id = round_sites.site_id), ''), "
               "site_address = COALESCE((SELECT sites.address FROM sites WHERE sites.id = round_sites.site_id), '')")


def downgrade():
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.drop_column('site_address')
        batch_op.drop_column('site_street')
