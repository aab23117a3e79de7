"""alerts, portal sync, users, tokens, quarantine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:14:06.127265
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('alert_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_message'))
    )
    with op.batch_alter_table('alert_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_message_recipient'), ['recipient'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_message_started_at'), ['started_at'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('name', name=op.f('uq_api_token_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('handler', sa.String(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('portal_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=32), nullable=False),
    sa.Column('madonvi', sa.String(length=64), nullable=False),
    sa.Column('is_updating', sa.Boolean(), nullable=True),
    sa.Column('status', sa.SmallInteger(), nullable=True),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_outbox'))
    )
    with op.batch_alter_table('portal_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_outbox_dossier_code'), ['dossier_code'], unique=False)

    op.create_table('portal_sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('watermark', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rules_key', sa.String(length=32), nullable=True),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('attempted', sa.Integer(), nullable=False),
    sa.Column('acked', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('mismatched', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sync_run'))
    )
    with op.batch_alter_table('portal_sync_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_sync_run_kind'), ['kind'], unique=False)

    op.create_table('scan_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('scanned_through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scan_state'))
    )
    op.create_table('scheduler_lease',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease'))
    )
    op.create_table('alert_digest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['alert_message.id'], name=op.f('fk_alert_digest_message_id_alert_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_digest')),
    sa.UniqueConstraint('recipient', 'channel', 'day', name=op.f('uq_alert_digest_recipient_channel_day'))
    )
    with op.batch_alter_table('alert_digest', schema=None) as batch_op:
        batch_op.create_index('ix_alert_digest_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('connector_cursor',
    sa.Column('connector', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['connector_run.id'], name=op.f('fk_connector_cursor_run_id_connector_run')),
    sa.PrimaryKeyConstraint('connector', name=op.f('pk_connector_cursor'))
    )
    op.create_table('quarantined_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connector', sa.String(length=64), nullable=False),
    sa.Column('item_key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.String(length=128), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('original_payload', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('times_seen', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('fixed_by', sa.String(length=255), nullable=True),
    sa.Column('fixed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['connector_run.id'], name=op.f('fk_quarantined_record_run_id_connector_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_record')),
    sa.UniqueConstraint('connector', 'item_key', name='uq_quarantined_record_item')
    )
    with op.batch_alter_table('quarantined_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantined_record_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantined_record_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_quarantined_record_state_seen', ['state', 'last_seen_at'], unique=False)

    op.create_table('user_unit',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_user_unit_unit_id_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_unit_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'unit_id', name=op.f('pk_user_unit'))
    )
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('recipient_name', sa.String(length=255), nullable=False),
    sa.Column('recipient_role', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_alert_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('dossier_id', 'kind', 'level', 'recipient', 'due_at', name='uq_alert_dossier_kind_level_recipient_due')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index('ix_alert_recipient_created', ['recipient', 'created_at'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=255), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_audit_log_dossier_id_dossier'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_audit_log_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_dossier_at', ['dossier_id', 'at'], unique=False)

    op.create_table('citizen_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_citizen_rating_score_range')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_citizen_rating_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_rating')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_citizen_rating_dossier_id'))
    )
    with op.batch_alter_table('citizen_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_rating_created_at'), ['created_at'], unique=False)

    op.create_table('deadline_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.String(length=20), nullable=True),
    sa.Column('after', sa.String(length=20), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_deadline_transition_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_transition'))
    )
    with op.batch_alter_table('deadline_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_transition_at'), ['at'], unique=False)
        batch_op.create_index('ix_deadline_transition_dossier_at', ['dossier_id', 'at'], unique=False)

    op.create_table('portal_sync',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('seen_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_hash', sa.String(length=32), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_portal', sa.Boolean(), nullable=False),
    sa.Column('acked_hash', sa.String(length=32), nullable=True),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_status', sa.SmallInteger(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('permanent', sa.Boolean(), nullable=False),
    sa.Column('not_required_reason', sa.String(length=255), nullable=True),
    sa.Column('portal_status', sa.SmallInteger(), nullable=True),
    sa.Column('reconciled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requeued_by', sa.String(length=255), nullable=True),
    sa.Column('requeued_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_portal_sync_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sync')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_portal_sync_dossier_id'))
    )
    with op.batch_alter_table('portal_sync', schema=None) as batch_op:
        batch_op.create_index('ix_portal_sync_reconciled', ['state', 'reconciled_at'], unique=False)
        batch_op.create_index('ix_portal_sync_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('alert_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_delivery_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['alert_message.id'], name=op.f('fk_alert_delivery_message_id_alert_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_delivery')),
    sa.UniqueConstraint('alert_id', 'channel', name=op.f('uq_alert_delivery_alert_id_channel'))
    )
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_alert_delivery_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('portal_progress_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_portal_progress_line_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['event_id'], ['status_event.id'], name=op.f('fk_portal_progress_line_event_id_status_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_progress_line')),
    sa.UniqueConstraint('event_id', name=op.f('uq_portal_progress_line_event_id'))
    )
    with op.batch_alter_table('portal_progress_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_progress_line_dossier_id'), ['dossier_id'], unique=False)

    with op.batch_alter_table('connector_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('batches', sa.Integer(), nullable=False))

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_finished_outcome', ['finished_at', 'outcome', 'unit_id', 'handler'], unique=False)
        batch_op.create_index('ix_dossier_open_cover', ['is_open', 'procedure_id', 'handler', 'status', 'due_at', 'near_at', 'extension_due_at', 'unit_id'], unique=False, sqlite_where=sa.text('is_open = 1'), postgresql_where=sa.text('is_open'))
        batch_op.create_index('ix_dossier_received_at', ['received_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_received_at')
        batch_op.drop_index('ix_dossier_open_cover', sqlite_where=sa.text('is_open = 1'), postgresql_where=sa.text('is_open'))
        batch_op.drop_index('ix_dossier_finished_outcome')

    with op.batch_alter_table('connector_run', schema=None) as batch_op:
        batch_op.drop_column('batches')
        batch_op.drop_column('heartbeat_at')

    with op.batch_alter_table('portal_progress_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_progress_line_dossier_id'))

    op.drop_table('portal_progress_line')
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_delivery_state_next')

    op.drop_table('alert_delivery')
    with op.batch_alter_table('portal_sync', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_sync_state_next')
        batch_op.drop_index('ix_portal_sync_reconciled')

    op.drop_table('portal_sync')
    with op.batch_alter_table('deadline_transition', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_transition_dossier_at')
        batch_op.drop_index(batch_op.f('ix_deadline_transition_at'))

    op.drop_table('deadline_transition')
    with op.batch_alter_table('citizen_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_rating_created_at'))

    op.drop_table('citizen_rating')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_dossier_at')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_recipient_created')
        batch_op.drop_index(batch_op.f('ix_alert_dossier_id'))
        batch_op.drop_index(batch_op.f('ix_alert_created_at'))

    op.drop_table('alert')
    op.drop_table('user_unit')
    with op.batch_alter_table('quarantined_record', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantined_record_state_seen')
        batch_op.drop_index(batch_op.f('ix_quarantined_record_run_id'))
        batch_op.drop_index(batch_op.f('ix_quarantined_record_code'))

    op.drop_table('quarantined_record')
    op.drop_table('connector_cursor')
    with op.batch_alter_table('alert_digest', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_digest_state_next')

    op.drop_table('alert_digest')
    op.drop_table('scheduler_lease')
    op.drop_table('scan_state')
    with op.batch_alter_table('portal_sync_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_sync_run_kind'))

    op.drop_table('portal_sync_run')
    with op.batch_alter_table('portal_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_outbox_dossier_code'))

    op.drop_table('portal_outbox')
    op.drop_table('app_user')
    op.drop_table('api_token')
    with op.batch_alter_table('alert_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_message_started_at'))
        batch_op.drop_index(batch_op.f('ix_alert_message_recipient'))

    op.drop_table('alert_message')

