"""backup_runs.kind: "run" for each `flask --app run backup` (made or not), "start" where the record begins on a
database that came from a release keeping none (before 0102). The backups that release made (the one taken before
the upgrade, as the deployment docs' Upgrading asks, and the nightly ones) are not known, so right after the upgrade
待办事项 said in red 系统还没有做过数据备份, counting from the first report. A database holding reports and no backup on
record gets a "start" row at the upgrade; 待办事项 then counts from it and says what it knows: no backup since.

Revision ID: 0130
Revises: 0129
Create Date: 2027-01-08 09:30:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0130'
down_revision = '0129'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('backup_runs') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='run'))
    bind = op.get_bind()
    if (bind.execute(sa.text("SELECT 1 FROM tickets")).first() is not None
            and bind.execute(sa.text("SELECT 1 FROM backup_runs")).first() is None):
        runs = sa.table('backup_runs', sa.column('finished_at', sa.DateTime()), sa.column('ok', sa.Boolean()),
                        sa.column('dest', sa.String()), sa.column('detail', sa.String()), sa.column('kind', sa.String()))
        op.execute(runs.insert().values(
            finished_at=datetime.now(timezone.utc).replace(tzinfo=None),  # stored as naive UTC
            ok=False, dest='', detail='升级自不记录备份的程序版本，此前的备份没有记录', kind='start'))


def downgrade():
    op.execute("DELETE FROM backup_runs WHERE kind = 'start'")
    with op.batch_alter_table('backup_runs') as batch:
        batch.drop_column('kind')
