"""12345 case numbers (工单编号) stored before they were read in NFKC are folded as a post, the import and the look-up
now read them (common/text.py key_text): a case stored as ＳＨ２０２６１２０１０００３ (a hand-kept sheet typed on a
Chinese input method) was not found by a later post or import of SH202612010003, which became a second case beside
it. Only the hotline's numbers: a 上级测评反馈 item's key is its list's name and number as written.

One case already stored twice (its number once full-width and once half-width, the later post's; or written two
full-width ways) cannot have the number twice (intake_items' unique source + case_number), and neither row is
dropped or merged here: each has its own history, and perhaps its own problem. The row that already holds the
folded number keeps it, so later posts go on reaching the row they reach today; else the first stored (the lowest
id) takes it. The others keep their numbers as stored, and the upgrade names them (id and number, and which row holds
the case now), for the office to merge one into the other's problem (并案) or decline it as a repeat (不予受理) on the
queue. A number that folded would be longer than 64 characters is left as it is. Nothing is undone on downgrade
(the folded number is the same number).

Revision ID: 0140
Revises: 0139
Create Date: 2027-01-13 09:00:00

"""
import re
import unicodedata

from alembic import op
import click
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0140'
down_revision = '0139'
branch_labels = None
depends_on = None

# common/text.py key_text (one_line of NFKC) as it is today: a migration does not follow later changes to the code
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
SPACES = re.compile(r"[\s\u3000]+")
NUMBER_MAX = 64  # intake_items.case_number


def key_text(value):
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", value or ""))
    return SPACES.sub(" ", CONTROL.sub(" ", text)).strip()


def fold(rows) -> tuple[dict, list[str]]:
    """({row id: its folded number}, a line for each row left as it was beside the row that holds its case)."""
    held = {row["case_number"]: row["id"] for row in rows}
    changes, left = {}, []
    for row in rows:  # by id: the first stored of a case written several ways takes its number
        number = key_text(row["case_number"])
        if number == row["case_number"] or not number or len(number) > NUMBER_MAX:
            continue
        if number in held:
            left.append(f"来件 id {row['id']}（工单编号 {row['case_number']}）与来件 id {held[number]}（{number}）")
            continue
        changes[row["id"]] = number
        held[number] = row["id"]
    return changes, left


def upgrade():
    connection = op.get_bind()
    items = sa.table("intake_items", sa.column("id"), sa.column("source"), sa.column("case_number"))
    rows = connection.execute(sa.select(items.c.id, items.c.case_number)
                              .where(items.c.source == "hotline", items.c.case_number.is_not(None))
                              .order_by(items.c.id)).mappings().all()
    changes, left = fold(rows)
    for item_id, number in changes.items():
        connection.execute(items.update().where(items.c.id == item_id).values(case_number=number))
    if left:
        click.echo("以下12345工单各有两条来件（工单编号的全角、半角写法不同），升级未合并也未删除，该工单此后再次来件时"
                   "更新后一条。请在“市民来件”中处理前一条（并入同一问题，或作为重复不予受理）：\n"
                   + "\n".join(left), err=True)


def downgrade():
    pass
