"""Key tasks (创建任务清单): the task breakdown with lead and assisting units (and the site type the assessors check a
task at), the units' progress reports and the files they attach (escalation_files.key_task_report_id).

Revision ID: 0090
Revises: 0080
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0090'
down_revision = '0080'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'key_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('indicator', sa.String(length=100), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('standard', sa.Text(), nullable=False),
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('site_kind_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_key_tasks_lead_unit_id_units')),
        sa.ForeignKeyConstraint(['site_kind_id'], ['site_kinds.id'],
                                name=op.f('fk_key_tasks_site_kind_id_site_kinds')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_key_tasks')),
        sa.UniqueConstraint('year', 'code', name='uq_key_tasks_year_code'),
    )
    op.create_index('ix_key_tasks_lead_status', 'key_tasks', ['lead_unit_id', 'status'], unique=False)
    op.create_index(op.f('ix_key_tasks_year'), 'key_tasks', ['year'], unique=False)
    op.create_table(
        'key_task_assists',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['key_tasks.id'], name=op.f('fk_key_task_assists_task_id_key_tasks'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_key_task_assists_unit_id_units')),
        sa.PrimaryKeyConstraint('task_id', 'unit_id', name=op.f('pk_key_task_assists')),
    )
    op.create_index(op.f('ix_key_task_assists_unit_id'), 'key_task_assists', ['unit_id'], unique=False)
    op.create_table(
        'key_task_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=True),
        sa.Column('claims_done', sa.Boolean(), nullable=False),
        sa.Column('verdict', sa.String(length=10), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_key_task_reports_created_by_id_users')),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                                name=op.f('fk_key_task_reports_reviewed_by_id_users')),
        sa.ForeignKeyConstraint(['task_id'], ['key_tasks.id'], name=op.f('fk_key_task_reports_task_id_key_tasks')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_key_task_reports_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_key_task_reports')),
    )
    op.create_index('ix_key_task_reports_task_created', 'key_task_reports', ['task_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_key_task_reports_unit_id'), 'key_task_reports', ['unit_id'], unique=False)
    with op.batch_alter_table('escalation_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_task_report_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_escalation_files_key_task_report_id'), ['key_task_report_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_escalation_files_key_task_report_id_key_task_reports'),
                                    'key_task_reports', ['key_task_report_id'], ['id'])


def downgrade():
    with op.batch_alter_table('escalation_files', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_escalation_files_key_task_report_id_key_task_reports'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_escalation_files_key_task_report_id'))
        batch_op.drop_column('key_task_report_id')
    op.drop_index(op.f('ix_key_task_reports_unit_id'), table_name='key_task_reports')
    op.drop_index('ix_key_task_reports_task_created', table_name='key_task_reports')
    op.drop_table('key_task_reports')
    op.drop_index(op.f('ix_key_task_assists_unit_id'), table_name='key_task_assists')
    op.drop_table('key_task_assists')
    op.drop_index(op.f('ix_key_tasks_year'), table_name='key_tasks')
    op.drop_index('ix_key_tasks_lead_status', table_name='key_tasks')
    op.drop_table('key_tasks')
