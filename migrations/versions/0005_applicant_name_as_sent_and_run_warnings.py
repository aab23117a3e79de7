"""applicant name as the source sent it, and run warnings

OpenCPS upper-cases applicant names in its list; the dossier shows a readable spelling and
keeps the source's own in `source_applicant_name`. A connector run can end without error yet
with something an administrator should see (an empty list where there were dossiers), kept
in `connector_run.warning`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_applicant_name', sa.String(length=255),
                                      nullable=True))

    with op.batch_alter_table('connector_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('warning', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('connector_run', schema=None) as batch_op:
        batch_op.drop_column('warning')

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_column('source_applicant_name')
