"""A round records each drawn site as it was when drawn (code, name, type, district), and the rounds whose sites its
draw left out. Changing a site's type rewrote past rounds: a 公共厕所 scored 98.5 and named in an issued 通报 was
listed under 农贸市场 with the market's items; and "排除最近N轮" was counted again from now, so the same seed drew
other sites.

Existing rows take the type their results were answered against (the checklist items' type) where submitted, else
the site's type now; code, name and district are the site's now. A round's excluded rounds are the N rounds
created before it, as the draw counted them then.

Revision ID: 0124
Revises: 0123
Create Date: 2026-12-07 12:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0124'
down_revision = '0123'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('site_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('site_kind_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('district', sa.String(length=32), nullable=True))

    op.execute("UPDATE round_sites SET site_code = (SELECT code FROM sites WHERE sites.id = round_sites.site_id), "
               "site_name = (SELECT name FROM sites WHERE sites.id = round_sites.site_id), "
               "district = (SELECT district FROM sites WHERE sites.id = round_sites.site_id), "
               "site_kind_id = COALESCE((SELECT MIN(checklist_items.site_kind_id) FROM assessment_results "
               "JOIN checklist_items ON checklist_items.id = assessment_results.item_id "
               "WHERE assessment_results.round_site_id = round_sites.id), "
               "(SELECT kind_id FROM sites WHERE sites.id = round_sites.site_id))")

    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.alter_column('site_code', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('site_name', existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column('site_kind_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('district', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_round_sites_site_kind_id_site_kinds'), 'site_kinds',
                                    ['site_kind_id'], ['id'])

    # The rounds each draw left out, as recent_round_ids counted them when it drew: the N latest rounds then.
    bind = op.get_bind()
    rounds = bind.execute(sa.text("SELECT id, created_at, draw_json FROM assessment_rounds ORDER BY id")).all()
    for index, (round_id, _, draw_json) in enumerate(rounds):
        spec = json.loads(draw_json or "{}")
        if "exclude_rounds" in spec:
            continue
        earlier = sorted(rounds[:index], key=lambda r: (r[1], r[0]), reverse=True)
        spec["exclude_rounds"] = [r[0] for r in earlier[:max(int(spec.get("exclude_recent") or 0), 0)]]
        bind.execute(sa.text("UPDATE assessment_rounds SET draw_json = :spec WHERE id = :id"),
                     {"spec": json.dumps(spec, ensure_ascii=False), "id": round_id})


def downgrade():
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_round_sites_site_kind_id_site_kinds'), type_='foreignkey')
        batch_op.drop_column('district')
        batch_op.drop_column('site_kind_id')
        batch_op.drop_column('site_name')
        batch_op.drop_column('site_code')
