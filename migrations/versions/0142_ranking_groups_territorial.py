"""ranking_groups.territorial (按辖区（属地）汇总): a group whose units are each counted over their territory — the
unit, every unit under it, and the problems on its ground (rankings/counts.py). The 红黑榜 charged a 区县人民政府
only for the problems it led or assisted itself: 新港区 scored 99.0 while its streets had 11 problems overdue.
Turned on for the 区县 group: a group named 区县, or one whose unit kinds (unit_kinds, "、"-separated) include 区县.
Published lists keep their stored figures.

Revision ID: 0142
Revises: 0141
Create Date: 2027-01-15 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0142'
down_revision = '0141'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ranking_groups') as batch:
        batch.add_column(sa.Column('territorial', sa.Boolean(), nullable=False, server_default=sa.false()))
    bind = op.get_bind()
    district = [gid for gid, name, kinds in bind.execute(sa.text("SELECT id, name, unit_kinds FROM ranking_groups"))
                if name == "区县" or "区县" in (kinds or "").split("、")]
    for gid in district:
        bind.execute(sa.text("UPDATE ranking_groups SET territorial = :on WHERE id = :id"), {"on": True, "id": gid})


def downgrade():
    with op.batch_alter_table('ranking_groups') as batch:
        batch.drop_column('territorial')
