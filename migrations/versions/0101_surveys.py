"""问卷调查: the office's questionnaires and the residents' answers (one per phone: the device digest is unique per
survey). The tally index covers the results' GROUP BY (district, answers) of one survey.

Revision ID: 0101
Revises: 0100
Create Date: 2026-12-04 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0101'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('intro', sa.Text(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('questions_json', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('responses_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_surveys_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
        sa.UniqueConstraint('code', name=op.f('uq_surveys_code')),
    )
    op.create_table(
        'survey_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=32), nullable=False),
        sa.Column('answers', sa.String(length=400), nullable=False),
        sa.Column('device', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_responses_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_responses')),
        sa.UniqueConstraint('survey_id', 'device', name='uq_survey_responses_device'),
    )
    op.create_index('ix_survey_responses_tally', 'survey_responses', ['survey_id', 'district', 'answers'],
                    unique=False)


def downgrade():
    op.drop_index('ix_survey_responses_tally', table_name='survey_responses')
    op.drop_table('survey_responses')
    op.drop_table('surveys')
