"""per-account lockout and session epochs, audit of changed fields, webhook replay cache

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))
    op.create_table(
        'webhook_replay',
        sa.Column('signature', sa.String(length=128), nullable=False),
        sa.Column('connector', sa.String(length=64), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('signature', name=op.f('pk_webhook_replay')),
    )
    with op.batch_alter_table('webhook_replay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_replay_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_replay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_replay_seen_at'))
    op.drop_table('webhook_replay')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('changes')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
