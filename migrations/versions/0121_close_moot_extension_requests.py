"""A lead unit's request for more time left open when it reported the problem rectified: the office's 延期申请 listed
it for good (同意 and 不同意 both refused: the problem was no longer being rectified), its badge counted it, and
after a 返工 the unit read it as waiting and could not ask again. Reporting rectified now closes it
(tickets.services.rectify); the requests already left open on problems no longer with the unit close the same way.

Revision ID: 0121
Revises: 0120
Create Date: 2026-12-06 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0121'
down_revision = '0120'
branch_labels = None
depends_on = None

requests = sa.table("extension_requests", sa.column("ticket_id", sa.Integer), sa.column("status", sa.String),
                    sa.column("decision_note", sa.Text))
tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("status", sa.String))


def upgrade():
    # assigned: the office may decide it; disputed: returning the problem to a unit closes it (services.reassign)
    moot = sa.select(tickets.c.id).where(tickets.c.status.not_in(("assigned", "disputed")))
    op.get_bind().execute(requests.update().where(requests.c.status == "open", requests.c.ticket_id.in_(moot))
                          .values(status="rejected", decision_note="单位已报送整改，延期申请随之撤回"))


def downgrade():
    pass  # which were closed here is not known; closed, they are as the service closes them
