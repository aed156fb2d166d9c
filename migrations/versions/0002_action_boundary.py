"""action boundary: stored dashboard figures, one open extension request per ticket, idempotency fingerprints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 06:37:25.667270

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dashboard_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('data_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_snapshots')),
    sa.UniqueConstraint('key', name=op.f('uq_dashboard_snapshots_key'))
    )
    # Races before this version could leave a ticket with two open requests: keep the first, close the others.
    op.execute("UPDATE extension_requests SET status = 'rejected', "
               "decision_note = '重复的延期申请（系统升级时关闭）' "
               "WHERE status = 'open' AND id NOT IN "
               "(SELECT min_id FROM (SELECT MIN(id) AS min_id FROM extension_requests "
               "WHERE status = 'open' GROUP BY ticket_id) AS firsts)")
    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.create_index('uq_extension_requests_one_open', ['ticket_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True))



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('idempotency_fingerprint')

    with op.batch_alter_table('extension_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_extension_requests_one_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.drop_table('dashboard_snapshots')
