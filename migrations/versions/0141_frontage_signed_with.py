"""A frontage records the street office its 责任书 was signed with (frontages.signed_with_unit_id). A shop moved to
another street (the form, the import) kept its signing date, so the new street's register counted it 已签订 and its
责任书 printed 已于…签订 with the new street as 甲方, which never signed it. A shop counts as signed only with the
street it is with now; the signing with the old street stays recorded. Existing signed rows take the street they are
with now (no earlier one was kept).

Revision ID: 0141
Revises: 0140
Create Date: 2027-01-14 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0141'
down_revision = '0140'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite adds a column with its reference in place, where batch mode would copy the table
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE frontages ADD COLUMN signed_with_unit_id INTEGER REFERENCES units (id)")
    else:
        op.add_column('frontages', sa.Column('signed_with_unit_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_frontages_signed_with_unit_id_units'), 'frontages', 'units',
                              ['signed_with_unit_id'], ['id'])
    op.execute("UPDATE frontages SET signed_with_unit_id = street_unit_id WHERE signed_on IS NOT NULL")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.drop_constraint(op.f('fk_frontages_signed_with_unit_id_units'), 'frontages', type_='foreignkey')
    with op.batch_alter_table('frontages', schema=None) as batch_op:
        batch_op.drop_column('signed_with_unit_id')
    if sqlite:  # the table was copied without 0131's expression index, which SQLite's reflection cannot read
        op.create_index('uq_frontages_upper_code', 'frontages', [sa.text("upper(code)")], unique=True)
