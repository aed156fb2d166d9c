"""The two shipped ranking schemes, where the office has not changed them, take the terms added since migration
0050 seeded them: 上级测评反馈 (found.superior) and the key tasks a unit leads (per.task_lagging,
per.task_unreported). A scheme the office edited or added is left as it is.

Revision ID: 0092
Revises: 0091
Create Date: 2026-12-02 18:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0092'
down_revision = '0091'
branch_labels = None
depends_on = None

# As migration 0050 seeded them, and as they are shipped now (frozen here: inspect_app/rankings/schemes.py may change
# later; a migration must not).
SEEDED = {
    "default": {"code": "default", "name": "问题扣分制（默认方案）", "full_marks": 100,
                "found": {"daily": 0.5, "citizen": 0.5, "hotline": 0.5, "spot_check": 1, "leader": 1, "joint": 1,
                          "undercover": 1, "mock_assessment": 1, "media": 2},
                "per": {"relapse": 1, "supervised": 1, "listed": 3, "interview": 5, "referral": 10, "overdue": 1,
                        "rework": 0.5},
                "charge": {"lead": 1, "assist": 0.5, "adopting": 1}, "assessment_weight": 0.2, "rates": {},
                "note": "问题多少、发现途径和整改表现共同决定得分；测评得分占两成。"},
    "city_b": {"code": "city_b", "name": "扣分与按期整改并重（乙市方案）", "full_marks": 100,
               "found": {"daily": 0.3, "citizen": 0.3, "hotline": 0.3, "spot_check": 0.5, "leader": 1, "joint": 0.5,
                         "undercover": 1.5, "mock_assessment": 1.5, "media": 3},
               "per": {"relapse": 2, "supervised": 2, "listed": 4, "interview": 6, "referral": 15, "overdue": 2,
                       "rework": 1},
               "charge": {"lead": 1, "assist": 0.3, "adopting": 0.5}, "assessment_weight": 0,
               "rates": {"on_time_rate": 0.3},
               "note": "参照乙市做法：按期整改率占三成，媒体曝光和问责从重扣分，不计测评得分。"},
}
ADDED = {
    "default": {"found": {"superior": 3}, "per": {"task_lagging": 1, "task_unreported": 0.5}},
    "city_b": {"found": {"superior": 4}, "per": {"task_lagging": 2, "task_unreported": 1}},
}


def _current(code: str) -> dict:
    seeded = SEEDED[code]
    return {**seeded, "found": {**seeded["found"], **ADDED[code]["found"]},
            "per": {**seeded["per"], **ADDED[code]["per"]}}


def _replace(old_of, new_of) -> None:
    conn = op.get_bind()
    schemes = sa.table("ranking_schemes", sa.column("id", sa.Integer), sa.column("code", sa.String),
                       sa.column("document_json", sa.Text))
    for row_id, code, document in conn.execute(sa.select(schemes.c.id, schemes.c.code, schemes.c.document_json)
                                               .where(schemes.c.code.in_(tuple(SEEDED)))).all():
        try:
            unchanged = json.loads(document) == old_of(code)
        except ValueError:
            unchanged = False
        if unchanged:
            conn.execute(schemes.update().where(schemes.c.id == row_id)
                         .values(document_json=json.dumps(new_of(code), ensure_ascii=False)))


def upgrade():
    _replace(SEEDED.__getitem__, _current)


def downgrade():
    _replace(_current, SEEDED.__getitem__)
