"""ranking_groups.scheme_code: a comparison group scored under a scheme of its own instead of the one in force. Since
0142 a 区县 answers for every problem on its ground, a street's hundreds a month; under the shipped scheme's 0.5 a
problem, 扣完为止, every district scored 0 and the group was ordered by the tie-break alone.

The shipped scheme for such a group (区县按辖区综合评价, code `district`, rankings/schemes.py: light per-problem
deductions, 测评得分 and 按期整改率 three tenths each) is stored where the office has stored its schemes already (an
office that has not reads the shipped ones), unless it has a scheme of that code, and the groups counted over their
territory take it. Published lists keep their stored figures and rules.

Revision ID: 0143
Revises: 0142
Create Date: 2027-01-16 09:00:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0143'
down_revision = '0142'
branch_labels = None
depends_on = None

# as shipped today (frozen here: the shipped document may change later)
DISTRICT = {
    "code": "district", "name": "区县按辖区综合评价", "full_marks": 100,
    "found": {"daily": 0.05, "citizen": 0.05, "hotline": 0.05, "spot_check": 0.1, "leader": 0.1, "joint": 0.1,
              "undercover": 0.2, "mock_assessment": 0.2, "media": 1, "superior": 2},
    "per": {"relapse": 0.2, "supervised": 0.5, "listed": 2, "interview": 3, "referral": 5, "overdue": 0.2,
            "rework": 0.1, "task_lagging": 1, "task_unreported": 0.5},
    "charge": {"lead": 1, "assist": 0.5, "adopting": 1}, "assessment_weight": 0.3, "rates": {"on_time_rate": 0.3},
    "note": "用于按辖区汇总计分的区县：辖区问题多，每件从轻扣分；测评得分和按期整改率各占三成，比整改成效而非问题件数。",
}


def upgrade():
    with op.batch_alter_table('ranking_groups') as batch:
        batch.add_column(sa.Column('scheme_code', sa.String(length=32), nullable=True))
    bind = op.get_bind()
    codes = {code for (code,) in bind.execute(sa.text("SELECT code FROM ranking_schemes"))}
    if codes and DISTRICT["code"] not in codes:
        bind.execute(sa.text("INSERT INTO ranking_schemes (code, name, document_json, in_force) "
                             "VALUES (:code, :name, :document, :off)"),
                     {"code": DISTRICT["code"], "name": DISTRICT["name"],
                      "document": json.dumps(DISTRICT, ensure_ascii=False), "off": False})
    if not codes or DISTRICT["code"] not in codes:  # an office's own scheme of that code is not the shipped one
        bind.execute(sa.text("UPDATE ranking_groups SET scheme_code = :code WHERE territorial = :on"),
                     {"code": DISTRICT["code"], "on": True})


def downgrade():
    with op.batch_alter_table('ranking_groups') as batch:
        batch.drop_column('scheme_code')
