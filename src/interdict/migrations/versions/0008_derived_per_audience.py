"""derived records per audience: events, matches and what they rest on carry an audience key

Events and matches stored before this revision were computed from the whole node and then
filtered, so hidden evidence could shape what a viewer was shown. They are dropped here, not
converted: run `interdict detect` and `interdict watchlist --rescreen -u USER` after upgrading to
compute them again, per audience.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _events(with_audience):
    op.create_table('ais_events',
    *([sa.Column('audience', sa.String(length=16), nullable=False)] if with_audience else []),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('mmsi', sa.BigInteger(), nullable=False),
    sa.Column('other_mmsi', sa.BigInteger(), nullable=True),
    sa.Column('start_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('thresholds', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint(*(['audience'] if with_audience else []), 'id', name=op.f('pk_ais_events'))
    )
    with op.batch_alter_table('ais_events', schema=None) as batch_op:
        batch_op.create_index('ix_ais_events_mmsi', ['mmsi'], unique=False)
        batch_op.create_index('ix_ais_events_start_ts', ['start_ts'], unique=False)
        batch_op.create_index('ix_ais_events_type', ['type'], unique=False)


def _matches(with_audience):
    op.create_table('entity_matches',
    *([sa.Column('audience', sa.String(length=16), nullable=False)] if with_audience else []),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_kind', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=False),
    sa.Column('entity_id', sa.String(length=128), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('matched', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint(*(['audience'] if with_audience else []), 'id', name=op.f('pk_entity_matches'))
    )
    with op.batch_alter_table('entity_matches', schema=None) as batch_op:
        batch_op.create_index('ix_entity_matches_entity_id', ['entity_id'], unique=False)
        batch_op.create_index('ix_entity_matches_subject', ['subject'], unique=False)


def _rests(with_audience):
    op.create_table('derived_rests_on',
    sa.Column('kind', sa.String(length=8), nullable=False),
    *([sa.Column('audience', sa.String(length=16), nullable=False)] if with_audience else []),
    sa.Column('derived_id', sa.String(length=40), nullable=False),
    sa.Column('record_kind', sa.String(length=9), nullable=False),
    sa.Column('record_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('kind', *(['audience'] if with_audience else []), 'derived_id', 'record_kind', 'record_id',
                            name=op.f('pk_derived_rests_on'))
    )
    with op.batch_alter_table('derived_rests_on', schema=None) as batch_op:
        batch_op.create_index('ix_derived_rests_on_record', ['record_kind', 'record_id'], unique=False)


def _drop_derived():
    with op.batch_alter_table('derived_rests_on', schema=None) as batch_op:
        batch_op.drop_index('ix_derived_rests_on_record')
    op.drop_table('derived_rests_on')
    with op.batch_alter_table('entity_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_entity_matches_subject')
        batch_op.drop_index('ix_entity_matches_entity_id')
    op.drop_table('entity_matches')
    with op.batch_alter_table('ais_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ais_events_type')
        batch_op.drop_index('ix_ais_events_start_ts')
        batch_op.drop_index('ix_ais_events_mmsi')
    op.drop_table('ais_events')


def upgrade() -> None:
    _drop_derived()
    _events(True)
    _matches(True)
    _rests(True)
    op.create_table('derived_audiences',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_derived_audiences_agency_agencies')),
    sa.PrimaryKeyConstraint('kind', 'audience', 'agency', name=op.f('pk_derived_audiences'))
    )


def downgrade() -> None:
    op.drop_table('derived_audiences')
    _drop_derived()
    _events(False)
    _matches(False)
    _rests(False)
