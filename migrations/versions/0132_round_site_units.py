"""A round records the units answering for each drawn site (属地, 行业主管, 管理主体) when its scores are submitted, and
for a site never scored when its round closes (round_sites.territorial_unit_id, sector_unit_id, operator_unit_id).
The unit scores, a unit's view of the round (which sites it answers for), the comparison, the 通报 and the 红黑榜's
assessment score read the site's units as they are now, so moving a site to another 属地 street office rewrote
every past round: last round's deductions went to the new street office, the old one lost sight of its results and
the new one saw results charged to another unit. A site still waiting to be scored keeps the three columns NULL and
answers with the site's units now (a correction during the round applies); a withdrawn result clears them.

Existing rows that are fixed by now (submitted, or in a closed round) take the site's units as they are now: nothing
recorded which units they had when they were scored, so a site already moved before this upgrade stays with its new
units in its old rounds. Rows still waiting in an open round stay NULL.

Revision ID: 0132
Revises: 0131
Create Date: 2027-01-09 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0132'
down_revision = '0131'
branch_labels = None
depends_on = None

ROLES = ('territorial', 'sector', 'operator')


def upgrade():
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        for role in ROLES:
            batch_op.add_column(sa.Column(f'{role}_unit_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_round_sites_{role}_unit_id_units'), 'units',
                                        [f'{role}_unit_id'], ['id'])
            batch_op.create_index(batch_op.f(f'ix_round_sites_{role}_unit_id'), [f'{role}_unit_id'], unique=False)

    op.execute("UPDATE round_sites SET "
               + ", ".join(f"{role}_unit_id = (SELECT sites.{role}_unit_id FROM sites "
                           "WHERE sites.id = round_sites.site_id)" for role in ROLES)
               + " WHERE status = 'submitted' OR round_id IN "
                 "(SELECT id FROM assessment_rounds WHERE status = 'closed')")


def downgrade():
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        for role in reversed(ROLES):
            batch_op.drop_index(batch_op.f(f'ix_round_sites_{role}_unit_id'))
            batch_op.drop_constraint(batch_op.f(f'fk_round_sites_{role}_unit_id_units'), type_='foreignkey')
            batch_op.drop_column(f'{role}_unit_id')
