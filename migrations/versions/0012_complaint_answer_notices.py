"""citizen notices of a complaint's answer: a notice belongs to a dossier or to a complaint

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:45:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('citizen_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.alter_column('dossier_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint(op.f('uq_citizen_notice_complaint_id_kind'),
                                          ['complaint_id', 'kind'])
        batch_op.create_foreign_key(op.f('fk_citizen_notice_complaint_id_complaint'),
                                    'complaint', ['complaint_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(op.f('ck_citizen_notice_dossier_or_complaint'),
                                         '(dossier_id IS NULL) <> (complaint_id IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM citizen_notice WHERE complaint_id IS NOT NULL")
    with op.batch_alter_table('citizen_notice', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_citizen_notice_dossier_or_complaint'), type_='check')
        batch_op.drop_constraint(op.f('fk_citizen_notice_complaint_id_complaint'),
                                 type_='foreignkey')
        batch_op.drop_constraint(op.f('uq_citizen_notice_complaint_id_kind'), type_='unique')
        batch_op.alter_column('dossier_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('complaint_id')
