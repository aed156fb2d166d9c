"""A 12345 case sent again with more (催办, 补充材料) while its problem is open makes the problem 群众再次反映, as a
并案 does: intake_items.followed_up_at records when (intake/services.follow_up), and the ticket list's repeated
filter reads it beside the merged items.

Existing rows: a hotline case whose problem's history already has a 热线追加 (hotline_followup) since migration 0128
takes that event's time (the latest, when there were several).

Revision ID: 0133
Revises: 0132
Create Date: 2027-01-15 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0133'
down_revision = '0132'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(), nullable=True))
    op.execute(sa.text(
        "UPDATE intake_items SET followed_up_at = (SELECT max(e.at) FROM ticket_events e "
        "WHERE e.ticket_id = intake_items.ticket_id AND e.action = 'hotline_followup') "
        "WHERE source = 'hotline' AND status IN ('accepted', 'merged') AND ticket_id IS NOT NULL"))


def downgrade():
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.drop_column('followed_up_at')
