"""reports: the (unit_id, finished_at) index also covers the on-time chart and late dossiers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 11:30:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# See service/models/dossiers.py: the dashboard's on-time chart of one unit and the handling
# report's late dossiers and their apology reasons read these columns from the index alone instead of every row.
OLD = ('ix_dossier_unit_finished', ['unit_id', 'finished_at'])
NEW = ('ix_dossier_unit_finished_cover',
       ['unit_id', 'finished_at', 'outcome', 'handler', 'status', 'due_at', 'received_at',
        'returned_at', 'stopped_at', 'is_open', 'updated_at', 'extension_reason', 'id'])

# The partial index the apology reasons were read through: the covering index above now
# gives them in the same pass as the late dossiers, and nothing else reads it.
APOLOGY = ('ix_dossier_apology_reason', ['handler', 'extension_reason'])
APOLOGY_WHERE = 'extension_reason IS NOT NULL'


def upgrade() -> None:
    op.create_index(NEW[0], 'dossier', NEW[1], unique=False)
    op.drop_index(OLD[0], table_name='dossier')
    op.drop_index(APOLOGY[0], table_name='dossier')


def downgrade() -> None:
    op.create_index(APOLOGY[0], 'dossier', APOLOGY[1], unique=False,
                    sqlite_where=sa.text(APOLOGY_WHERE), postgresql_where=sa.text(APOLOGY_WHERE))
    op.create_index(OLD[0], 'dossier', OLD[1], unique=False)
    op.drop_index(NEW[0], table_name='dossier')
