"""A ticket records its segment's 包抓 unit when it is filed (tickets.adopting_unit_id). The 红黑榜, the lists'
answering_unit_id and the exports read the segment's current 包抓 unit instead, so giving a segment to another unit
mid-year moved every problem already found on it to the new unit, and republishing a month stored that. Existing
tickets take the unit their segment has now (no earlier one was kept). The list's found GROUP BYs read the column from
ix_tickets_reported_unit_source, rebuilt with it; the 负责单位 filter's 包抓 branch from a partial index of the
tickets on adopted segments.

Revision ID: 0126
Revises: 0125
Create Date: 2026-12-08 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0126'
down_revision = '0125'
branch_labels = None
depends_on = None

ADOPTED = sa.text("adopting_unit_id IS NOT NULL")
FOUND = ['reported_at', 'unit_id', 'source', 'status', 'segment_id']


def upgrade():
    # SQLite adds a column with its reference in place (ALTER TABLE ... ADD COLUMN ... REFERENCES), where batch mode
    # would copy the whole tickets table to add the constraint
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets ADD COLUMN adopting_unit_id INTEGER REFERENCES units (id)")
    else:
        op.add_column('tickets', sa.Column('adopting_unit_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_tickets_adopting_unit_id_units'), 'tickets', 'units',
                              ['adopting_unit_id'], ['id'])
    op.execute("UPDATE tickets SET adopting_unit_id = (SELECT segments.adopting_unit_id FROM segments "
               "WHERE segments.id = tickets.segment_id) "
               "WHERE segment_id IN (SELECT id FROM segments WHERE adopting_unit_id IS NOT NULL)")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_adopting_reported', ['adopting_unit_id', 'reported_at'], unique=False,
                              sqlite_where=ADOPTED, postgresql_where=ADOPTED)
        # the 红黑榜's found GROUP BYs read the ticket's 包抓 unit from the index, as they read its segment
        batch_op.drop_index('ix_tickets_reported_unit_source')
        batch_op.create_index('ix_tickets_reported_unit_source', FOUND + ['adopting_unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_reported_unit_source')
        batch_op.create_index('ix_tickets_reported_unit_source', FOUND, unique=False)
        batch_op.drop_index('ix_tickets_adopting_reported', sqlite_where=ADOPTED, postgresql_where=ADOPTED)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('fk_tickets_adopting_unit_id_units'), 'tickets', type_='foreignkey')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('adopting_unit_id')
