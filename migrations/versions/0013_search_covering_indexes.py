"""search: covering indexes for the name search (scope, name and list order in each)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:30:00.000000
"""
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# (old name, old columns) -> (new name, new columns); see service/models/dossiers.py.
CHANGES = (
    (('ix_dossier_name_key', ['name_key']),
     ('ix_dossier_name_key_cover', ['name_key', 'unit_id', 'handler', 'received_at', 'id'])),
    (('ix_dossier_received_at', ['received_at']),
     ('ix_dossier_received_cover',
      ['received_at', 'id', 'unit_id', 'handler', 'name_key', 'code'])),
    (('ix_dossier_unit_received', ['unit_id', 'received_at']),
     ('ix_dossier_unit_received_cover',
      ['unit_id', 'received_at', 'id', 'handler', 'name_key', 'code'])),
    (('ix_dossier_handler_received', ['handler', 'received_at']),
     ('ix_dossier_handler_received_cover',
      ['handler', 'received_at', 'id', 'unit_id', 'name_key', 'code'])),
)
ID_COVER = ('ix_dossier_id_cover', ['id', 'unit_id', 'handler', 'name_key', 'received_at'])


# PostgreSQL's default 100-bucket histogram of name words (several per dossier) guessed a
# range such as 'thu huong' (4 135 rows at 1 000 000 dossiers) at 1 row and looked each match
# up by id (0.3-0.8 s cold) instead of walking the list with the words beside it (0.1-0.2 s).
WORD_STATISTICS = 1000


def upgrade() -> None:
    for _, (name, columns) in CHANGES:
        op.create_index(name, 'dossier', columns, unique=False)
    op.create_index(ID_COVER[0], 'dossier', ID_COVER[1], unique=False)
    for (name, _), _ in CHANGES:
        op.drop_index(name, table_name='dossier')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE dossier_name_word ALTER COLUMN word '
                   f'SET STATISTICS {WORD_STATISTICS}')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE dossier_name_word ALTER COLUMN word SET STATISTICS -1')
    for (name, columns), _ in CHANGES:
        op.create_index(name, 'dossier', columns, unique=False)
    op.drop_index(ID_COVER[0], table_name='dossier')
    for _, (name, _) in CHANGES:
        op.drop_index(name, table_name='dossier')
