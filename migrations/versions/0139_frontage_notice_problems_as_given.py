"""frontage_notices keep the problems they name as printed (problems: a JSON list of each problem's id, number, the
moment it was found, category, place, description and the photo shown). A numbered 整改通知书 kept its 主送 and 落款
(0135) but read its problem rows from the tickets each time it printed: a category or road renamed since changed a
notice already handed over.

Notices given before this upgrade are filled from the tickets as they stand at the upgrade (what their rows said on
the day was not kept), a problem since removed left out as the notice left it out; from the upgrade on, each notice
keeps its rows as it was given.

Revision ID: 0139
Revises: 0138
Create Date: 2027-01-12 09:00:00

"""
import json
from datetime import timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0139'
down_revision = '0138'
branch_labels = None
depends_on = None

PLACE_MAX = 200  # as escalation/sweep.place_of cuts a place today (frozen here: a migration does not follow the app)
SHANGHAI = timezone(timedelta(hours=8))


def _line(value) -> str:
    return " ".join(str(value or "").split())


def _place(address, segment) -> str:
    """escalation/sweep.place_of as it is today: the address with its road in brackets, cut to PLACE_MAX."""
    segment, address = _line(segment), _line(address)
    suffix = f"（{segment}）" if segment and segment not in address else ""
    if not address:
        return segment[:PLACE_MAX]
    if len(address) + len(suffix) > PLACE_MAX:
        address = address[:max(PLACE_MAX - len(suffix) - 1, 0)] + "…"
    return (address + suffix)[:PLACE_MAX]


def _moment(value) -> str:
    """A stored naive UTC moment (SQLite may answer text) as the API writes it: ISO 8601 in +08:00, to the second."""
    if isinstance(value, str):
        from datetime import datetime
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds")


def upgrade():
    with op.batch_alter_table('frontage_notices') as batch:
        batch.add_column(sa.Column('problems', sa.Text(), nullable=False, server_default='[]'))
    conn = op.get_bind()
    for notice_id, raw in conn.execute(sa.text("SELECT id, ticket_ids FROM frontage_notices")).all():
        ids = [int(i) for i in json.loads(raw or "[]")]
        if not ids:
            continue
        found = {}
        for row in conn.execute(sa.text(
                "SELECT t.id, t.number, t.reported_at, c.name, t.address, s.name, t.description FROM tickets t "
                "LEFT JOIN categories c ON c.id = t.category_id LEFT JOIN segments s ON s.id = t.segment_id "
                "WHERE t.id IN :ids").bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids}):
            photo = conn.execute(sa.text("SELECT key FROM photos WHERE ticket_id = :id AND kind = 'before' "
                                         "ORDER BY id LIMIT 1"), {"id": row[0]}).scalar()
            found[row[0]] = {"id": row[0], "number": row[1], "reported_at": _moment(row[2]), "category": row[3] or "",
                             "place": _place(row[4], row[5]), "description": (row[6] or "").strip(), "photo": photo}
        rows = [found[i] for i in ids if i in found]
        conn.execute(sa.text("UPDATE frontage_notices SET problems = :problems WHERE id = :id"),
                     {"problems": json.dumps(rows, ensure_ascii=False), "id": notice_id})


def downgrade():
    with op.batch_alter_table('frontage_notices') as batch:
        batch.drop_column('problems')
