"""A unit's request for more time left open when it asked for a 退单, or when the office moved the problem to another
unit: the office's 延期申请 listed the first with buttons that always failed while the 退单 waited, and the second
showed the new unit a request it never made (同意 moved its deadline to the old unit's date). Both now close the
request (tickets.services.dispute, reassign); those already left open close the same way.

Revision ID: 0122
Revises: 0121
Create Date: 2026-12-06 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0122'
down_revision = '0121'
branch_labels = None
depends_on = None

requests = sa.table("extension_requests", sa.column("ticket_id", sa.Integer), sa.column("requested_by", sa.Integer),
                    sa.column("status", sa.String), sa.column("decision_note", sa.Text))
tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("status", sa.String),
                   sa.column("unit_id", sa.Integer))
users = sa.table("users", sa.column("id", sa.Integer), sa.column("unit_id", sa.Integer))


def upgrade():
    bind = op.get_bind()
    disputed = sa.select(tickets.c.id).where(tickets.c.status == "disputed")
    bind.execute(requests.update().where(requests.c.status == "open", requests.c.ticket_id.in_(disputed))
                 .values(status="rejected", decision_note="单位已申请退单，延期申请随之撤回"))
    # asked by a unit the problem is no longer with
    elsewhere = (sa.select(tickets.c.id).join(requests, requests.c.ticket_id == tickets.c.id)
                 .join(users, users.c.id == requests.c.requested_by)
                 .where(requests.c.status == "open", users.c.unit_id != tickets.c.unit_id))
    bind.execute(requests.update().where(requests.c.status == "open", requests.c.ticket_id.in_(elsewhere))
                 .values(status="rejected", decision_note="问题已改派其他单位，延期申请随之关闭"))


def downgrade():
    pass  # which were closed here is not known; closed, they are as the service closes them
