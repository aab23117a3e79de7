"""drop the dossier_id indexes the unique keys already cover

The unique keys (dossier_id, at, status) and (dossier_id, requested_at) lead with dossier_id,
so the single-column indexes only cost every history insert a third B-tree to maintain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:38:35.786648
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_event_dossier_id'))

    with op.batch_alter_table('supplement_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplement_round_dossier_id'))


def downgrade() -> None:
    with op.batch_alter_table('supplement_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplement_round_dossier_id'), ['dossier_id'], unique=False)

    with op.batch_alter_table('status_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_status_event_dossier_id'), ['dossier_id'], unique=False)
