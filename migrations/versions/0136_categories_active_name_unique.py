"""One problem category in use (问题类别, active) of a name: a partial unique index on upper(name) over the active
categories (uq_categories_active_upper_name). The service checked for the name and then inserted, so two admins
saving the same new name at the same moment both passed its check and the filing page showed two buttons of one
name. Names are now stored as the form stores them (office/reference.py category_name): on one line, a run of
spaces one, full-width letters and digits as ASCII; existing names are folded the same way here. Letter case aside
(LED屏 is led屏), as codes are compared.

Categories in use that already share a name (made by that race, or a retired one restored beside its successor) are
not retired or renamed here: which of them inspectors keep filing under, with its deadline and its unit, is the
office's decision. The upgrade stops before changing anything and names them (with their ids and codes), so one of
each group can be retired (停用) or renamed on the 问题类别 page first. Retired categories may share a name; nothing
is undone on downgrade but the index (the folded text is the same text).

Revision ID: 0136
Revises: 0135
Create Date: 2027-01-20 09:00:00

"""
import re
import unicodedata

from alembic import op
import click
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0136'
down_revision = '0135'
branch_labels = None
depends_on = None

# common/text.py one_line and narrow_alnum as they are today (a migration does not follow later changes to the code)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
SPACES = re.compile(r"[\s\u3000]+")
FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)
        if chr(code - 0xFEE0).isalnum() or chr(code - 0xFEE0) in "-#/"} | {0x3000: 0x20}


def fold(name):
    text = CONTROL.sub(" ", unicodedata.normalize("NFC", name or ""))
    return SPACES.sub(" ", text).strip().translate(FOLD)


def shared_names(rows) -> list[str]:
    """One line per group of categories in use whose names are one name: '牛皮癣（id 3，编码 niupixuan）、…'."""
    groups: dict = {}
    for row in rows:
        if row["active"]:
            groups.setdefault(fold(row["name"]).upper(), []).append(row)
    return ["问题类别 " + "、".join(f"{r['name']}（id {r['id']}，编码 {r['code']}）" for r in group)
            for group in groups.values() if len(group) > 1]


def upgrade():
    connection = op.get_bind()
    categories = sa.table("categories", sa.column("id"), sa.column("code"), sa.column("name"), sa.column("active"))
    rows = connection.execute(sa.select(categories).order_by(categories.c.id)).mappings().all()
    duplicates = shared_names(rows)
    if duplicates:
        raise click.ClickException(
            "数据库未升级：以下在用的问题类别名称相同（不计英文字母大小写和全角半角），升级后同一名称只能有一个在用类别。"
            "请先在“问题类别”页把每组中多余的类别停用或改名（停用不影响已有问题），再运行 flask --app run init-db。\n"
            + "\n".join(duplicates))
    for row in rows:
        if fold(row["name"]) and fold(row["name"]) != row["name"]:
            connection.execute(categories.update().where(categories.c.id == row["id"]).values(name=fold(row["name"])))
    op.create_index("uq_categories_active_upper_name", "categories", [sa.text("upper(name)")], unique=True,
                    sqlite_where=sa.text("active = 1"), postgresql_where=sa.text("active"))


def downgrade():
    op.drop_index("uq_categories_active_upper_name", table_name="categories")
