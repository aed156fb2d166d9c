"""frontage_notices: 门前四包责任整改通知书, numbered per street and year.

Revision ID: 0116
Revises: 0115
Create Date: 2026-12-05 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0116'
down_revision = '0115'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'frontage_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('frontage_id', sa.Integer(), nullable=False),
        sa.Column('street_unit_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('ticket_ids', sa.Text(), nullable=False),
        sa.Column('issued_by', sa.Integer(), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['frontage_id'], ['frontages.id'],
                                name=op.f('fk_frontage_notices_frontage_id_frontages')),
        sa.ForeignKeyConstraint(['street_unit_id'], ['units.id'],
                                name=op.f('fk_frontage_notices_street_unit_id_units')),
        sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_frontage_notices_issued_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_frontage_notices')),
        sa.UniqueConstraint('street_unit_id', 'year', 'seq', name=op.f('uq_frontage_notices_street_unit_id_year_seq')),
    )
    op.create_index('ix_frontage_notices_frontage', 'frontage_notices', ['frontage_id', 'issued_at'])


def downgrade():
    op.drop_index('ix_frontage_notices_frontage', table_name='frontage_notices')
    op.drop_table('frontage_notices')
