"""assessment: site types (the 14 of the national assessment, office-editable), sites (点位) with their answering
units, the versioned checklist (测评体系), rounds, drawn sites and results; tickets.site_id (nullable, so existing
tickets keep their rows as they are)

Revision ID: 0010
Revises: 0040
Create Date: 2026-11-30 08:00:49.984191

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade():
    site_kinds = op.create_table('site_kinds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_kinds')),
    sa.UniqueConstraint('name', name=op.f('uq_site_kinds_name'))
    )
    kinds = ("主次干道", "商业大街", "背街小巷", "农贸市场", "公共厕所", "学校周边", "居民小区", "医院", "车站/公交站点",
             "广场/公园", "窗口单位", "文化场馆", "建筑工地", "城乡结合部")
    op.bulk_insert(site_kinds, [{"name": name, "sort_order": order * 10, "active": True}
                                for order, name in enumerate(kinds, start=1)])
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('street', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('area_json', sa.Text(), nullable=False),
    sa.Column('territorial_unit_id', sa.Integer(), nullable=False),
    sa.Column('sector_unit_id', sa.Integer(), nullable=True),
    sa.Column('operator_unit_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['kind_id'], ['site_kinds.id'], name=op.f('fk_sites_kind_id_site_kinds')),
    sa.ForeignKeyConstraint(['operator_unit_id'], ['units.id'], name=op.f('fk_sites_operator_unit_id_units')),
    sa.ForeignKeyConstraint(['sector_unit_id'], ['units.id'], name=op.f('fk_sites_sector_unit_id_units')),
    sa.ForeignKeyConstraint(['territorial_unit_id'], ['units.id'], name=op.f('fk_sites_territorial_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('code', name=op.f('uq_sites_code'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_district'), ['district'], unique=False)
        batch_op.create_index('ix_sites_kind_district', ['kind_id', 'district'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_operator_unit_id'), ['operator_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_sector_unit_id'), ['sector_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_territorial_unit_id'), ['territorial_unit_id'], unique=False)

    op.create_table('checklist_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('full_score', sa.Float(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_checklist_versions_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_checklist_versions_number'))
    )
    op.create_table('assessment_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('draw_json', sa.Text(), nullable=False),
    sa.Column('checklist_version_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('bulletin_year', sa.Integer(), nullable=True),
    sa.Column('bulletin_seq', sa.Integer(), nullable=True),
    sa.Column('bulletin_number', sa.String(length=60), nullable=True),
    sa.Column('bulletin_issued_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['checklist_version_id'], ['checklist_versions.id'], name=op.f('fk_assessment_rounds_checklist_version_id_checklist_versions')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_assessment_rounds_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_rounds')),
    sa.UniqueConstraint('bulletin_year', 'bulletin_seq', name=op.f('uq_assessment_rounds_bulletin_year_bulletin_seq'))
    )
    with op.batch_alter_table('assessment_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_rounds_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_rounds_kind'), ['kind'], unique=False)

    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('site_kind_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('answerable_by', sa.String(length=16), nullable=False),
    sa.Column('deadline_hours', sa.Integer(), nullable=True),
    sa.Column('deadline_workdays', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_checklist_items_category_id_categories')),
    sa.ForeignKeyConstraint(['site_kind_id'], ['site_kinds.id'], name=op.f('fk_checklist_items_site_kind_id_site_kinds')),
    sa.ForeignKeyConstraint(['version_id'], ['checklist_versions.id'], name=op.f('fk_checklist_items_version_id_checklist_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('version_id', 'code', name=op.f('uq_checklist_items_version_id_code'))
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_items_version_kind', ['version_id', 'site_kind_id'], unique=False)

    op.create_table('round_sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('deducted', sa.Float(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_round_sites_inspector_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_rounds.id'], name=op.f('fk_round_sites_round_id_assessment_rounds')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_round_sites_site_id_sites')),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_round_sites_submitted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_sites')),
    sa.UniqueConstraint('round_id', 'site_id', name=op.f('uq_round_sites_round_id_site_id'))
    )
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.create_index('ix_round_sites_inspector_status', ['inspector_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_sites_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_round_sites_site_id'), ['site_id'], unique=False)

    op.create_table('assessment_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_site_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('deducted', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_items.id'], name=op.f('fk_assessment_results_item_id_checklist_items')),
    sa.ForeignKeyConstraint(['round_site_id'], ['round_sites.id'], name=op.f('fk_assessment_results_round_site_id_round_sites')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_assessment_results_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_assessment_results_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_results')),
    sa.UniqueConstraint('round_site_id', 'item_id', name=op.f('uq_assessment_results_round_site_id_item_id'))
    )
    with op.batch_alter_table('assessment_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_results_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_results_round_site_id'), ['round_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_results_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_results_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_site_id'), ['site_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_site_id_sites'), 'sites', ['site_id'], ['id'])



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_site_id_sites'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_site_id'))
        batch_op.drop_column('site_id')

    with op.batch_alter_table('assessment_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_results_unit_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_results_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_results_round_site_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_results_item_id'))

    op.drop_table('assessment_results')
    with op.batch_alter_table('round_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_sites_site_id'))
        batch_op.drop_index(batch_op.f('ix_round_sites_round_id'))
        batch_op.drop_index('ix_round_sites_inspector_status')

    op.drop_table('round_sites')
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_index('ix_checklist_items_version_kind')

    op.drop_table('checklist_items')
    with op.batch_alter_table('assessment_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_rounds_kind'))
        batch_op.drop_index(batch_op.f('ix_assessment_rounds_created_at'))

    op.drop_table('assessment_rounds')
    op.drop_table('checklist_versions')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_territorial_unit_id'))
        batch_op.drop_index(batch_op.f('ix_sites_sector_unit_id'))
        batch_op.drop_index(batch_op.f('ix_sites_operator_unit_id'))
        batch_op.drop_index('ix_sites_kind_district')
        batch_op.drop_index(batch_op.f('ix_sites_district'))

    op.drop_table('sites')
    op.drop_table('site_kinds')
