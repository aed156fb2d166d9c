"""patrols.photo_key, photo_taken_at: 打卡照片, a photo of the street sent with a check-in, and when the camera
says it was taken.

Revision ID: 0112
Revises: 0111
Create Date: 2026-12-05 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0112'
down_revision = '0111'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patrols') as batch:
        batch.add_column(sa.Column('photo_key', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('photo_taken_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('patrols') as batch:
        batch.drop_column('photo_taken_at')
        batch.drop_column('photo_key')
