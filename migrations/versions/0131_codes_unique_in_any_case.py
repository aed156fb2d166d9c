"""Codes and usernames unique in any letter case: an expression unique index on upper(code) (units, categories, sites,
frontages; key tasks with their year) and lower(username) (users), as the services compare them (common/codes.py
same_code, auth/names.py). The indexes on the exact spelling only let two saves at the same moment both pass the
service's check: QR00 beside qr00, qbrace00 beside QBRACE00, after which the office's own export would not import.

Rows already differing only in case are not merged or renamed here: which of two units keeps its tickets, or which
of two people keeps a login name, is the office's decision. The upgrade stops before changing anything and names
them (with their ids), so they can be renamed first.

Revision ID: 0131
Revises: 0130
Create Date: 2027-01-08 09:00:00

"""
from alembic import op
import click
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0131'
down_revision = '0130'
branch_labels = None
depends_on = None

# (index, table, label, the key's columns as SQL, the value shown)
INDEXES = (
    ("uq_units_upper_code", "units", "单位编码", ("upper(code)",), "code"),
    ("uq_users_lower_username", "users", "用户名", ("lower(username)",), "username"),
    ("uq_categories_upper_code", "categories", "问题类别编码", ("upper(code)",), "code"),
    ("uq_sites_upper_code", "sites", "点位编码", ("upper(code)",), "code"),
    ("uq_frontages_upper_code", "frontages", "门前四包编号", ("upper(code)",), "code"),
    ("uq_key_tasks_year_upper_code", "key_tasks", "任务编号", ("year", "upper(code)"), "year || '年 ' || code"),
)


def case_duplicates(connection) -> list[str]:
    """One line per group of rows whose key differs only in letter case: '单位编码 QR00（id 146）、qr00（id 147）'."""
    lines = []
    for _, table, label, key, shown in INDEXES:
        key_sql = ", ".join(key)
        rows = connection.execute(sa.text(
            f"SELECT {key_sql}, id, {shown} FROM {table} WHERE ({key_sql}) IN "
            f"(SELECT {key_sql} FROM {table} GROUP BY {key_sql} HAVING count(*) > 1) ORDER BY {key_sql}, id")).all()
        groups: dict = {}
        for row in rows:
            groups.setdefault(tuple(row[:len(key)]), []).append(f"{row[-1]}（id {row[-2]}）")
        lines += [f"{label} " + "、".join(group) for group in groups.values()]
    return lines


def upgrade():
    duplicates = case_duplicates(op.get_bind())
    if duplicates:
        raise click.ClickException(
            "数据库未升级：以下编码或用户名仅大小写不同，系统把它们当作同一个，升级后不再允许并存。请先把每组中多余的一个"
            "改成别的编码（单位、问题类别、点位、门前四包、创建任务可在各自的编辑页修改；用户名请数据库管理员按 id 修改），"
            "再运行 flask --app run init-db。\n" + "\n".join(duplicates))
    for name, table, _, key, _ in INDEXES:
        op.create_index(name, table, [sa.text(column) for column in key], unique=True)


def downgrade():
    for name, table, *_ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
