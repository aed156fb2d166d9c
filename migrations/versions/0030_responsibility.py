"""responsibility: 包抓 units on segments, whom each category goes to, the units' parts of a ticket (主办/协办),
门前四包 frontages. Each existing ticket's unit becomes its lead part (its state, deadline and after-photos with it);
categories with their own unit keep dispatching to it.

Revision ID: 0030
Revises: 0020
Create Date: 2026-11-30 08:15:34.911994

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('category_owner_choices',
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_category_owner_choices_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_category_owner_choices_unit_id_units')),
    sa.PrimaryKeyConstraint('category_id', 'unit_id', name=op.f('pk_category_owner_choices'))
    )
    op.create_table('frontages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('street_unit_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('contact_person', sa.String(length=64), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_frontages_segment_id_segments')),
    sa.ForeignKeyConstraint(['street_unit_id'], ['units.id'], name=op.f('fk_frontages_street_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frontages')),
    sa.UniqueConstraint('code', name=op.f('uq_frontages_code'))
    )
    with op.batch_alter_table('frontages', schema=None) as batch_op:
        batch_op.create_index('ix_frontages_street_name', ['street_unit_id', 'name'], unique=False)

    op.create_table('ticket_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=True),
    sa.Column('rectified_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_units_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_ticket_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_units')),
    sa.UniqueConstraint('ticket_id', 'unit_id', name=op.f('uq_ticket_units_ticket_id_unit_id'))
    )
    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_units_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index('ix_ticket_units_unit_assigned', ['unit_id', 'assigned_at'], unique=False)
        batch_op.create_index('ix_ticket_units_unit_status_deadline', ['unit_id', 'status', 'deadline'], unique=False)
        batch_op.create_index('ix_ticket_units_unit_ticket', ['unit_id', 'ticket_id'], unique=False)
        batch_op.create_index('uq_ticket_units_one_lead', ['ticket_id'], unique=True, sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route', sa.String(length=16), server_default='territorial', nullable=False))

    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_photos_part_id'), ['part_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_photos_part_id_ticket_units'), 'ticket_units', ['part_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adopting_unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_segments_adopting_unit_id'), ['adopting_unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_segments_adopting_unit_id_units'), 'units', ['adopting_unit_id'], ['id'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frontage_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_tickets_frontage_reported', ['frontage_id', 'reported_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_frontage_id_frontages'), 'frontages', ['frontage_id'], ['id'])


    # Data: the rule every existing category followed, and a lead part for every dispatched ticket.
    op.execute("UPDATE categories SET route = 'own' WHERE owner_unit_id IS NOT NULL")
    op.execute("""
        INSERT INTO ticket_units (ticket_id, unit_id, role, status, assigned_at, deadline, rectified_at, note)
        SELECT id, unit_id, 'lead',
               CASE status WHEN 'rectified' THEN 'rectified' WHEN 'closed' THEN 'closed'
                           WHEN 'cancelled' THEN 'cancelled' ELSE 'open' END,
               COALESCE(assigned_at, reported_at), deadline, rectified_at, ''
        FROM tickets WHERE unit_id IS NOT NULL""")
    op.execute("""
        UPDATE photos SET part_id = (SELECT ticket_units.id FROM ticket_units
                                     WHERE ticket_units.ticket_id = photos.ticket_id AND ticket_units.role = 'lead')
        WHERE kind = 'after'""")


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_frontage_id_frontages'), type_='foreignkey')
        batch_op.drop_index('ix_tickets_frontage_reported')
        batch_op.drop_column('frontage_id')

    with op.batch_alter_table('segments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_segments_adopting_unit_id_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_segments_adopting_unit_id'))
        batch_op.drop_column('adopting_unit_id')

    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_photos_part_id_ticket_units'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_photos_part_id'))
        batch_op.drop_column('part_id')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('route')

    with op.batch_alter_table('ticket_units', schema=None) as batch_op:
        batch_op.drop_index('uq_ticket_units_one_lead', sqlite_where=sa.text("role = 'lead'"), postgresql_where=sa.text("role = 'lead'"))
        batch_op.drop_index('ix_ticket_units_unit_ticket')
        batch_op.drop_index('ix_ticket_units_unit_status_deadline')
        batch_op.drop_index('ix_ticket_units_unit_assigned')
        batch_op.drop_index('ix_ticket_units_status_deadline')

    op.drop_table('ticket_units')
    with op.batch_alter_table('frontages', schema=None) as batch_op:
        batch_op.drop_index('ix_frontages_street_name')

    op.drop_table('frontages')
    op.drop_table('category_owner_choices')
