"""A 督办函's item whose unit left the problem since (a 退单 or 改派 gave it to another unit, its 协办 was taken off)
could never be cleared: 销号 waited for a report the unit could no longer make, so its part of the letter stayed
待销号 and turned 逾期未回复. Such an item is now settled as moved on when the unit leaves (`moved`, 已移出:
escalation.replies.follow_parts); those left open before are settled the same way, and a letter whose items are all
settled so is 办结.

Revision ID: 0125
Revises: 0124
Create Date: 2026-12-08 09:00:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0125'
down_revision = '0124'
branch_labels = None
depends_on = None

letters = sa.table("letters", sa.column("id", sa.Integer), sa.column("status", sa.String),
                   sa.column("done_at", sa.DateTime), sa.column("updated_at", sa.DateTime))
items = sa.table("letter_items", sa.column("id", sa.Integer), sa.column("letter_id", sa.Integer),
                 sa.column("ticket_id", sa.Integer), sa.column("unit_id", sa.Integer), sa.column("outcome", sa.String),
                 sa.column("cleared_at", sa.DateTime), sa.column("clear_note", sa.Text))
parts = sa.table("ticket_units", sa.column("ticket_id", sa.Integer), sa.column("unit_id", sa.Integer))
tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("unit_id", sa.Integer))
units = sa.table("units", sa.column("id", sa.Integer), sa.column("name", sa.String))


def upgrade():
    bind = op.get_bind()
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC
    unsettled = sa.or_(items.c.outcome.is_(None), items.c.outcome.not_in(("cleared", "moved")))
    on_ticket = sa.exists().where(parts.c.ticket_id == items.c.ticket_id, parts.c.unit_id == items.c.unit_id)
    left = bind.execute(
        sa.select(items.c.id, items.c.letter_id, units.c.name).join(letters, letters.c.id == items.c.letter_id)
        .join(tickets, tickets.c.id == items.c.ticket_id).outerjoin(units, units.c.id == tickets.c.unit_id)
        .where(letters.c.status == "issued", items.c.unit_id.is_not(None), unsettled, ~on_ticket)).all()
    for item_id, _letter_id, lead in left:
        note = f"该单位已不再负责本问题（现由{lead}主办）" if lead else "该单位已不再负责本问题"
        bind.execute(items.update().where(items.c.id == item_id)
                     .values(outcome="moved", cleared_at=now, clear_note=note))
    if left:
        open_item = sa.exists().where(items.c.letter_id == letters.c.id, unsettled)
        touched = {letter_id for _item_id, letter_id, _lead in left}
        bind.execute(letters.update().where(letters.c.id.in_(touched), letters.c.status == "issued", ~open_item)
                     .values(status="done", done_at=now, updated_at=now))


def downgrade():
    pass  # which items were settled here is not known; settled, they are as the service settles them
