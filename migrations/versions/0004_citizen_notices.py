"""citizen notices: one row per dossier and event, every try, opt-outs, the Zalo OA tokens

The dossier gains a nullable notice_consent column: adding it writes no row (SQLite and
PostgreSQL both add a nullable column without rewriting the table).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:17:26.301456
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_token',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=True),
    sa.Column('refresh_token', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seed_hash', sa.String(length=64), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_notice_token'))
    )
    op.create_table('citizen_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=128), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_citizen_notice_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_notice')),
    sa.UniqueConstraint('dossier_id', 'kind', name=op.f('uq_citizen_notice_dossier_id_kind'))
    )
    with op.batch_alter_table('citizen_notice', schema=None) as batch_op:
        batch_op.create_index('ix_citizen_notice_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('citizen_notice_opt_out',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_citizen_notice_opt_out_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_citizen_notice_opt_out'))
    )
    op.create_table('citizen_notice_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider_id', sa.String(length=128), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['citizen_notice.id'], name=op.f('fk_citizen_notice_attempt_notice_id_citizen_notice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_citizen_notice_attempt'))
    )
    with op.batch_alter_table('citizen_notice_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_citizen_notice_attempt_notice_id'), ['notice_id'], unique=False)

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_consent', sa.Boolean(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_column('notice_consent')

    with op.batch_alter_table('citizen_notice_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_citizen_notice_attempt_notice_id'))

    op.drop_table('citizen_notice_attempt')
    op.drop_table('citizen_notice_opt_out')
    with op.batch_alter_table('citizen_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_citizen_notice_state_next')

    op.drop_table('citizen_notice')
    op.drop_table('notice_token')
