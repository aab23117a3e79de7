"""complaints (phản ánh, kiến nghị) and alerts about them

A complaint has its own time limit and alerts; an alert is now about a dossier or a complaint,
with one unique key for each and a check that exactly one is set.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:54:51.846190
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('near_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('deadline_class', sa.String(length=20), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.String(length=255), nullable=True),
    sa.Column('handler', sa.String(length=255), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=255), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_complaint_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_complaint_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('code', name=op.f('uq_complaint_code'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_handler'), ['handler'], unique=False)
        batch_op.create_index('ix_complaint_open_due', ['is_open', 'due_at'], unique=False)
        batch_op.create_index('ix_complaint_open_near', ['is_open', 'near_at'], unique=False)
        batch_op.create_index('ix_complaint_unit_submitted', ['unit_id', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.alter_column('dossier_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_alert_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_unique_constraint('uq_alert_complaint_kind_level_recipient_due', ['complaint_id', 'kind', 'level', 'recipient', 'due_at'])
        batch_op.create_foreign_key(batch_op.f('fk_alert_complaint_id_complaint'), 'complaint', ['complaint_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_alert_one_subject'), '(dossier_id IS NULL) <> (complaint_id IS NULL)')



def downgrade() -> None:
    op.execute("DELETE FROM alert WHERE complaint_id IS NOT NULL")
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alert_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_alert_complaint_id_complaint'), type_='foreignkey')
        batch_op.drop_constraint('uq_alert_complaint_kind_level_recipient_due', type_='unique')
        batch_op.drop_index(batch_op.f('ix_alert_complaint_id'))
        batch_op.alter_column('dossier_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('complaint_id')

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_updated_at'))
        batch_op.drop_index('ix_complaint_unit_submitted')
        batch_op.drop_index('ix_complaint_open_near')
        batch_op.drop_index('ix_complaint_open_due')
        batch_op.drop_index(batch_op.f('ix_complaint_handler'))
        batch_op.drop_index(batch_op.f('ix_complaint_dossier_id'))

    op.drop_table('complaint')
