"""search keys of dossiers: normalised name, phone, ID number, receiving clerk, name words

The handler index gains received_at, so a head's list and searches walk its body's dossiers
newest first instead of sorting them all.

Clerks search names without diacritics and in any case, and phones and ID numbers as citizens
give them; the keys hold those values normalised, and `dossier_name_word` the name from each
later word on. Stored dossiers get their keys here, a batch at a time, before the indexes are
built (building an index once is cheaper than maintaining it through a million updates).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:34:01.037959
"""
from alembic import op
import sqlalchemy as sa

from service.dossiers.search.keys import name_words, search_columns


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 5000
SEARCH_KEY = sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql')
KEYS = ('name_key', 'phone_key', 'id_no_key', 'receiver_key')
SOURCES = ('applicant_name', 'applicant_phone', 'applicant_id_no', 'received_by')


def upgrade() -> None:
    op.create_table('dossier_name_word',
    sa.Column('word', SEARCH_KEY, nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_dossier_name_word_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('word', 'dossier_id', name=op.f('pk_dossier_name_word')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', SEARCH_KEY, nullable=True))
        batch_op.add_column(sa.Column('phone_key', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('id_no_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('receiver_key', sa.String(length=255), nullable=True))

    _backfill(op.get_bind())

    with op.batch_alter_table('dossier_name_word', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_name_word_dossier_id', ['dossier_id'], unique=False)
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index('ix_dossier_id_no_key_received', ['id_no_key', 'received_at'], unique=False)
        batch_op.create_index('ix_dossier_name_key', ['name_key'], unique=False)
        batch_op.create_index('ix_dossier_phone_key_received', ['phone_key', 'received_at'], unique=False)
        batch_op.create_index('ix_dossier_receiver_key_received', ['receiver_key', 'received_at'], unique=False)
        batch_op.drop_index('ix_dossier_handler')
        batch_op.create_index('ix_dossier_handler_received', ['handler', 'received_at'], unique=False)


def _backfill(bind: sa.Connection) -> None:
    """Compute the keys and name words of every stored dossier, in batches of ids."""
    dossier = sa.table('dossier', *(sa.column(name) for name in ('id', *SOURCES, *KEYS)))
    words = sa.table('dossier_name_word', sa.column('word'), sa.column('dossier_id'))
    update = dossier.update().where(dossier.c.id == sa.bindparam('row_id')).values(
        {name: sa.bindparam(name) for name in KEYS})
    last = 0
    while True:
        rows = bind.execute(sa.select(dossier.c.id, *(dossier.c[name] for name in SOURCES))
                            .where(dossier.c.id > last).order_by(dossier.c.id).limit(BATCH)).all()
        if not rows:
            return
        keys = [{'row_id': row.id, **search_columns(row._asdict())} for row in rows]
        bind.execute(update, keys)
        found = [{'word': word, 'dossier_id': item['row_id']}
                 for item in keys for word in name_words(item['name_key'])]
        if found:
            bind.execute(words.insert(), found)
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_handler_received')
        batch_op.create_index('ix_dossier_handler', ['handler'], unique=False)
        batch_op.drop_index('ix_dossier_receiver_key_received')
        batch_op.drop_index('ix_dossier_phone_key_received')
        batch_op.drop_index('ix_dossier_name_key')
        batch_op.drop_index('ix_dossier_id_no_key_received')
        batch_op.drop_column('receiver_key')
        batch_op.drop_column('id_no_key')
        batch_op.drop_column('phone_key')
        batch_op.drop_column('name_key')

    with op.batch_alter_table('dossier_name_word', schema=None) as batch_op:
        batch_op.drop_index('ix_dossier_name_word_dossier_id')

    op.drop_table('dossier_name_word')
