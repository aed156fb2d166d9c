"""intake from outside and telling units: citizens' 随手拍 and 12345 cases waiting for moderation, their photos,
the rate counters that keep floods out; the robot outbox shared by every feature (escalation's messages move in),
each unit's own robot, and when each clerk last read their inbox.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-30 08:15:34.911994

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_counters',
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', 'window_start', name=op.f('pk_rate_counters'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_outbox_messages_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['sent_at', 'failed_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_unit_id'), ['unit_id'], unique=False)

    op.create_table('inbox_seen',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbox_seen_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_inbox_seen'))
    )
    op.create_table('unit_robots',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('pushed_until', sa.DateTime(), nullable=True),
    sa.Column('digest_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_robots_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_unit_robots_updated_by_users')),
    sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_robots'))
    )
    op.create_table('intake_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('receipt', sa.String(length=16), nullable=True),
    sa.Column('case_number', sa.String(length=64), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('category_text', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=300), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('device_hash', sa.String(length=64), nullable=True),
    sa.Column('address_hash', sa.String(length=64), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_intake_items_category_id_categories')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_intake_items_decided_by_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_intake_items_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_items')),
    sa.UniqueConstraint('receipt', name=op.f('uq_intake_items_receipt')),
    sa.UniqueConstraint('source', 'case_number', name=op.f('uq_intake_items_source_case_number')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_intake_items_ticket_id'))
    )
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.create_index('ix_intake_items_address_created', ['address_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_intake_items_device_created', ['device_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_intake_items_status_created', ['status', 'created_at'], unique=False)

    op.create_table('intake_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['intake_items.id'], name=op.f('fk_intake_photos_item_id_intake_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_photos')),
    sa.UniqueConstraint('key', name=op.f('uq_intake_photos_key'))
    )
    with op.batch_alter_table('intake_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_photos_item_id'), ['item_id'], unique=False)


    # escalation's outbox rows (messages for the office's robot) move into the shared outbox, sent or not.
    op.execute("""
        INSERT INTO outbox_messages (created_at, unit_id, kind, payload_json, attempts, next_attempt_at, sent_at,
                                     failed_at, last_error)
        SELECT created_at, NULL, 'letters', payload_json, attempts, next_attempt_at, sent_at, failed_at, last_error
        FROM escalation_notifications ORDER BY id""")
    with op.batch_alter_table('escalation_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_notifications_due'))

    op.drop_table('escalation_notifications')


def downgrade():
    op.create_table('escalation_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_notifications'))
    )
    with op.batch_alter_table('escalation_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_notifications_due'), ['sent_at', 'next_attempt_at'], unique=False)


    op.execute("""
        INSERT INTO escalation_notifications (created_at, payload_json, attempts, next_attempt_at, sent_at,
                                              failed_at, last_error)
        SELECT created_at, payload_json, attempts, next_attempt_at, sent_at, failed_at, last_error
        FROM outbox_messages WHERE unit_id IS NULL ORDER BY id""")
    with op.batch_alter_table('intake_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_photos_item_id'))

    op.drop_table('intake_photos')
    with op.batch_alter_table('intake_items', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_items_status_created')
        batch_op.drop_index('ix_intake_items_device_created')
        batch_op.drop_index('ix_intake_items_address_created')

    op.drop_table('intake_items')
    op.drop_table('unit_robots')
    op.drop_table('inbox_seen')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_unit_id'))
        batch_op.drop_index('ix_outbox_messages_due')

    op.drop_table('outbox_messages')
    op.drop_table('rate_counters')
