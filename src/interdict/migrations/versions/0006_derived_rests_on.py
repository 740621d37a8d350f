"""what derived records rest on, as a table (visibility of events and matches in SQL)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_rests = sa.table('derived_rests_on', sa.column('kind'), sa.column('derived_id'), sa.column('record_kind'),
                  sa.column('record_id'))


def _split(text):
    return [part for part in (text or '').split(',') if part]


def upgrade() -> None:
    op.create_table('derived_rests_on',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('derived_id', sa.String(length=40), nullable=False),
    sa.Column('record_kind', sa.String(length=9), nullable=False),
    sa.Column('record_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'derived_id', 'record_kind', 'record_id', name=op.f('pk_derived_rests_on'))
    )
    with op.batch_alter_table('derived_rests_on', schema=None) as batch_op:
        batch_op.create_index('ix_derived_rests_on_record', ['record_kind', 'record_id'], unique=False)

    # the comma-framed lists become rows
    bind = op.get_bind()
    rows = []
    for event_id, batches in bind.execute(sa.text('SELECT id, batches FROM ais_events')):
        rows += [{'kind': 'event', 'derived_id': event_id, 'record_kind': 'batch', 'record_id': b} for b in _split(batches)]
    for match_id, statements, batches in bind.execute(sa.text('SELECT id, statements, batches FROM entity_matches')):
        rows += [{'kind': 'match', 'derived_id': match_id, 'record_kind': 'statement', 'record_id': s} for s in _split(statements)]
        rows += [{'kind': 'match', 'derived_id': match_id, 'record_kind': 'batch', 'record_id': b} for b in _split(batches)]
    unique = {tuple(r.values()): r for r in rows}
    for start in range(0, len(unique), 5000):
        op.bulk_insert(_rests, list(unique.values())[start:start + 5000])

    with op.batch_alter_table('ais_events', schema=None) as batch_op:
        batch_op.drop_column('batches')
    with op.batch_alter_table('entity_matches', schema=None) as batch_op:
        batch_op.drop_column('statements')
        batch_op.drop_column('batches')


def downgrade() -> None:
    with op.batch_alter_table('entity_matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batches', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('statements', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('ais_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batches', sa.Text(), nullable=False, server_default=''))
    bind = op.get_bind()
    lists = {}
    for kind, derived_id, record_kind, record_id in bind.execute(sa.text(
            'SELECT kind, derived_id, record_kind, record_id FROM derived_rests_on')):
        lists.setdefault((kind, derived_id), {}).setdefault(record_kind, []).append(record_id)
    for (kind, derived_id), on in lists.items():
        frame = lambda ids: ',' + ','.join(sorted(ids)) + ',' if ids else ''  # noqa: E731
        if kind == 'event':
            bind.execute(sa.text('UPDATE ais_events SET batches = :b WHERE id = :i'), {'b': frame(on.get('batch')), 'i': derived_id})
        else:
            bind.execute(sa.text('UPDATE entity_matches SET statements = :s, batches = :b WHERE id = :i'),
                         {'s': frame(on.get('statement')), 'b': frame(on.get('batch')), 'i': derived_id})
    with op.batch_alter_table('derived_rests_on', schema=None) as batch_op:
        batch_op.drop_index('ix_derived_rests_on_record')
    op.drop_table('derived_rests_on')
