"""names per agency: sources stored as AGENCY:id, claim keys unique per agency, detached statements

A source declared by an agency is stored as `AGENCY:declared-id`, so two agencies may use the same
name and no write is refused (or succeeds) because of another agency's hidden source. Existing
sources are renamed here and every reference to them follows. Claim keys become unique per agency.
Statements get `detached`: written under an entity id that existed only in records its agency may
not see, shown to that agency alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_REFERENCING = ('statements', 'claims', 'seizures', 'ais_batches')
_COLUMNS = ('id', 'title', 'publisher', 'published', 'url', 'kind', 'reliability', 'notes', 'agency', 'tlp',
            'releasable_to', 'orcon', 'handling', 'created_at', 'updated_at', 'version', 'dataset')


def _rename_sources(to_new):
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT {', '.join(_COLUMNS)} FROM sources")).mappings().all()
    for row in rows:
        new = to_new(row['id'], row['agency'])
        if new is None or new == row['id']:
            continue
        bind.execute(sa.text(f"INSERT INTO sources ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})"),
                     {**row, 'id': new})
        for table in _REFERENCING:
            bind.execute(sa.text(f"UPDATE {table} SET source_id = :new WHERE source_id = :old"), {'new': new, 'old': row['id']})
        bind.execute(sa.text("DELETE FROM sources WHERE id = :old"), {'old': row['id']})


def upgrade() -> None:
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detached', sa.Boolean(), nullable=False, server_default=sa.text('false')))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint('uq_claims_key', type_='unique')
        batch_op.create_unique_constraint('uq_claims_agency_key', ['agency', 'key'])
    # a legacy id too long to carry its agency keeps its name
    _rename_sources(lambda old, agency: f"{agency}:{old}" if len(agency) + 1 + len(old) <= 128 else None)


def downgrade() -> None:
    _rename_sources(lambda old, agency: old[len(agency) + 1:] if old.startswith(agency + ':') else None)
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_constraint('uq_claims_agency_key', type_='unique')
        batch_op.create_unique_constraint('uq_claims_key', ['key'])
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_column('detached')
