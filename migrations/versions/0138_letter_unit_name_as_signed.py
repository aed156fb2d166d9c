"""letter_units.unit_name: the 主送 unit's name as the letter was issued (签发, or the automatic sweep). An issued
letter's PDF printed its 主送 from the units' names of the day it was built, so it had to be built inside the 签发
request (a unit renamed after 签发 changed a signed letter's 主送); kept with the letter, the name lets the PDF be
built after the commit, the same whenever it is built.

Letters issued before this upgrade are filled with the units' names at the upgrade (drafts stay empty: a draft
prints its units as they are).

Revision ID: 0138
Revises: 0137
Create Date: 2027-01-12 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0138'
down_revision = '0137'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter_units') as batch:
        batch.add_column(sa.Column('unit_name', sa.String(length=100), nullable=True))
    op.execute("UPDATE letter_units SET unit_name = (SELECT u.name FROM units u WHERE u.id = letter_units.unit_id) "
               "WHERE letter_id IN (SELECT l.id FROM letters l WHERE l.status <> 'draft')")


def downgrade():
    with op.batch_alter_table('letter_units') as batch:
        batch.drop_column('unit_name')
