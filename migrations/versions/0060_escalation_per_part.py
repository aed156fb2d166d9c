"""Escalation per part: each assisting unit (协办) of a ticket has its own 督办 level (ticket_units.escalation_level)
counted in the assignment it was added in (ticket_units.assignment); letter items are unique per (ticket, unit,
assignment, level) and open proposals per (ticket, unit, level), so two units of one ticket can each have a level-1
letter. Existing parts start at level 0 in their ticket's current assignment; existing items keep their unit (a
missing one is filled from its letter's first 主送 unit, as 0020 did).

Downgrade: the old constraints allow one unit per ticket and level; it fails if per-part letters or proposals
exist (delete or keep them before going back).

Revision ID: 0060
Revises: 0050
Create Date: 2026-11-30 13:37:12.294959

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0060'
down_revision = '0050'
branch_labels = None
depends_on = None

OPEN = sa.text('closed_at IS NULL')


def upgrade():
    with op.batch_alter_table('escalation_proposals', schema=None) as batch_op:
        batch_op.drop_index('uq_escalation_proposals_open', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('uq_escalation_proposals_open', ['ticket_id', 'unit_id', 'level'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    op.execute("UPDATE letter_items SET unit_id = (SELECT letters.unit_id FROM letters "
               "WHERE letters.id = letter_items.letter_id) WHERE unit_id IS NULL")
    with op.batch_alter_table('letter_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_letter_items_ticket_id_assignment_level'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_letter_items_ticket_id_unit_id_assignment_level'),
                                          ['ticket_id', 'unit_id', 'assignment', 'level'])

    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('assignment', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE ticket_units SET assignment = (SELECT tickets.assignment FROM tickets "
               "WHERE tickets.id = ticket_units.ticket_id)")


def downgrade():
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.drop_column('assignment')
        batch_op.drop_column('escalation_level')

    with op.batch_alter_table('letter_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_letter_items_ticket_id_unit_id_assignment_level'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_letter_items_ticket_id_assignment_level'),
                                          ['ticket_id', 'assignment', 'level'])

    with op.batch_alter_table('escalation_proposals', schema=None) as batch_op:
        batch_op.drop_index('uq_escalation_proposals_open', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('uq_escalation_proposals_open', ['ticket_id', 'level'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
