"""门前四包 names, addresses and contacts with full-width digits and letters folded to ASCII, as the form and the
import now store them (common/text.py narrow_alnum): a register typed on a Chinese input method held 太平街１２０号,
which a search for 太平街120号 did not find. The ideographic space becomes a space and runs of spaces one; the
Chinese punctuation （），：stays as written. Nothing is undone on downgrade (the folded text is the same text).

Revision ID: 0134
Revises: 0133
Create Date: 2027-01-10 09:00:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0134'
down_revision = '0133'
branch_labels = None
depends_on = None

# full-width digits, Latin letters and － ＃ ／ as ASCII, the ideographic space as a space (narrow_alnum's table, kept
# here as it is today: a migration does not follow later changes to the app's code)
FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)
        if chr(code - 0xFEE0).isalnum() or chr(code - 0xFEE0) in "-#/"} | {0x3000: 0x20}
SPACES = re.compile(r" {2,}")
COLUMNS = ("name", "address", "contact_person")


def fold(text):
    if text is None:
        return None
    return SPACES.sub(" ", text.translate(FOLD)).strip()


def upgrade():
    connection = op.get_bind()
    frontages = sa.table("frontages", sa.column("id"), *(sa.column(c) for c in COLUMNS))
    for row in connection.execute(sa.select(frontages)).mappings().all():
        changed = {c: fold(row[c]) for c in COLUMNS if fold(row[c]) != row[c]}
        if changed:
            connection.execute(frontages.update().where(frontages.c.id == row["id"]).values(**changed))


def downgrade():
    pass
