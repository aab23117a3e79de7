"""late apologies, and handling time in working time

A late apology (recorded on or after the day of the due date it moves) is flagged so it
moves no verdict; the reasons apology letters gave get a small partial index; the handling time of a finished dossier is stored in office minutes and
calendar minutes so the handling-time report ranks integers instead of doing calendar
arithmetic per row. Values for rows stored before this revision are filled by
`tthc-monitor db upgrade` with the configured calendar (service.dossiers.backfill): the
migration cannot know the office hours and days off of the deployment.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_late', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('handling_working_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handling_elapsed_min', sa.Integer(), nullable=True))
    for name in ('handling_working_min', 'handling_elapsed_min'):
        op.create_index(f'ix_dossier_{name}', 'dossier',
                        ['procedure_id', name, 'finished_at', 'returned_at', 'stopped_at',
                         'unit_id', 'status'], unique=False,
                        sqlite_where=sa.text(f'{name} IS NOT NULL'),
                        postgresql_where=sa.text(f'{name} IS NOT NULL'))
    op.create_index('ix_dossier_apology_reason', 'dossier', ['handler', 'extension_reason'],
                    unique=False, sqlite_where=sa.text('extension_reason IS NOT NULL'),
                    postgresql_where=sa.text('extension_reason IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_dossier_apology_reason', table_name='dossier')
    for name in ('handling_working_min', 'handling_elapsed_min'):
        op.drop_index(f'ix_dossier_{name}', table_name='dossier')
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_column('handling_elapsed_min')
        batch_op.drop_column('handling_working_min')
        batch_op.drop_column('extension_late')
