"""frontage_notices keep what they print: addressee (主送, the frontage's name), addressee_kind (你店 or 你单位),
address, frontage_code (责任书编号), signed_on (责任书签订日期, none when not signed), issuer_name (the street office's
name, banner and 落款), contact_person and contact_phone (the 附注). A numbered 整改通知书 was rebuilt from the register
each time it printed: a shop renamed, readdressed, its signing date corrected or moved to another street changed a
notice already handed over.

Notices given before this upgrade are filled from the records as they stand at the upgrade (the frontage's name, kind,
address, code and signing date now; the issuing street office's name and contact now): what they said on the day
was not kept, so a frontage edited or moved before the upgrade prints as it is now, as it did until then. From the
upgrade on, each notice keeps what it said when it was given.

Revision ID: 0135
Revises: 0134
Create Date: 2027-01-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0135'
down_revision = '0134'
branch_labels = None
depends_on = None

# (column, type, taken from: SQL on frontages f / units u of the notice's frontage and issuing street)
COLUMNS = (
    ('addressee', sa.String(length=100), "SELECT f.name FROM frontages f WHERE f.id = frontage_notices.frontage_id"),
    ('addressee_kind', sa.String(length=8), "SELECT f.kind FROM frontages f WHERE f.id = frontage_notices.frontage_id"),
    ('address', sa.String(length=200), "SELECT f.address FROM frontages f WHERE f.id = frontage_notices.frontage_id"),
    ('frontage_code', sa.String(length=32), "SELECT f.code FROM frontages f WHERE f.id = frontage_notices.frontage_id"),
    ('issuer_name', sa.String(length=100), "SELECT u.name FROM units u WHERE u.id = frontage_notices.street_unit_id"),
    ('contact_person', sa.String(length=64),
     "SELECT u.contact_person FROM units u WHERE u.id = frontage_notices.street_unit_id"),
    ('contact_phone', sa.String(length=32),
     "SELECT u.contact_phone FROM units u WHERE u.id = frontage_notices.street_unit_id"),
)


def upgrade():
    with op.batch_alter_table('frontage_notices') as batch:
        for name, type_, _ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))
        batch.add_column(sa.Column('signed_on', sa.Date(), nullable=True))
    sets = ", ".join(f"{name} = COALESCE(({source}), '')" for name, _, source in COLUMNS)
    op.execute(f"UPDATE frontage_notices SET {sets}, signed_on = "
               "(SELECT f.signed_on FROM frontages f WHERE f.id = frontage_notices.frontage_id)")


def downgrade():
    with op.batch_alter_table('frontage_notices') as batch:
        batch.drop_column('signed_on')
        for name, _, _ in reversed(COLUMNS):
            batch.drop_column(name)
