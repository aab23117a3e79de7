"""spreadsheet uploads and discard reasons

Uploads wait in spreadsheet_upload between preview and confirm and carry the import job's
progress; a discarded quarantine item keeps the clerk's reason in a nullable column (added
without rewriting the table on SQLite and PostgreSQL).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:04:46.337457
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spreadsheet_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('connector', sa.String(length=64), nullable=False),
    sa.Column('sheet', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['connector_run.id'], name=op.f('fk_spreadsheet_upload_run_id_connector_run')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_spreadsheet_upload_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spreadsheet_upload')),
    sa.UniqueConstraint('token', name=op.f('uq_spreadsheet_upload_token'))
    )
    with op.batch_alter_table('spreadsheet_upload', schema=None) as batch_op:
        batch_op.create_index('ix_spreadsheet_upload_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_spreadsheet_upload_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('quarantined_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discard_reason', sa.Text(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('quarantined_record', schema=None) as batch_op:
        batch_op.drop_column('discard_reason')

    with op.batch_alter_table('spreadsheet_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spreadsheet_upload_user_id'))
        batch_op.drop_index('ix_spreadsheet_upload_state_created')

    op.drop_table('spreadsheet_upload')
