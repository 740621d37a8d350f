"""ais track store

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 05:34:10.883775
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ais_batches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('tlp', sa.String(length=12), nullable=False),
    sa.Column('releasable_to', sa.Text(), nullable=False),
    sa.Column('orcon', sa.Boolean(), nullable=False),
    sa.Column('handling', sa.String(length=2), nullable=True),
    sa.Column('source_id', sa.String(length=128), nullable=True),
    sa.Column('reliability', sa.String(length=1), nullable=False),
    sa.Column('credibility', sa.String(length=1), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('ingested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('input_records', sa.Integer(), nullable=False),
    sa.Column('positions', sa.Integer(), nullable=False),
    sa.Column('static_reports', sa.Integer(), nullable=False),
    sa.Column('other_messages', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('time_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('time_end', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_ais_batches_agency_agencies')),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_ais_batches_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ais_batches'))
    )
    op.create_table('ais_identities',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('mmsi', sa.BigInteger(), nullable=False),
    sa.Column('first_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('imo', sa.BigInteger(), nullable=True),
    sa.Column('callsign', sa.String(length=16), nullable=True),
    sa.Column('ship_type', sa.Integer(), nullable=True),
    sa.Column('length', sa.Float(), nullable=True),
    sa.Column('width', sa.Float(), nullable=True),
    sa.Column('destination', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['ais_batches.id'], name=op.f('fk_ais_identities_batch_id_ais_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ais_identities'))
    )
    with op.batch_alter_table('ais_identities', schema=None) as batch_op:
        batch_op.create_index('ix_ais_identities_batch_id', ['batch_id'], unique=False)
        batch_op.create_index('ix_ais_identities_mmsi', ['mmsi'], unique=False)

    op.create_table('ais_tracks',
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('mmsi', sa.BigInteger(), nullable=False),
    sa.Column('positions', sa.Integer(), nullable=False),
    sa.Column('first_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lat_min', sa.Float(), nullable=False),
    sa.Column('lat_max', sa.Float(), nullable=False),
    sa.Column('lon_min', sa.Float(), nullable=False),
    sa.Column('lon_max', sa.Float(), nullable=False),
    sa.Column('flagged', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ais_batches.id'], name=op.f('fk_ais_tracks_batch_id_ais_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'mmsi', name=op.f('pk_ais_tracks'))
    )
    with op.batch_alter_table('ais_tracks', schema=None) as batch_op:
        batch_op.create_index('ix_ais_tracks_mmsi', ['mmsi'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ais_tracks', schema=None) as batch_op:
        batch_op.drop_index('ix_ais_tracks_mmsi')

    op.drop_table('ais_tracks')
    with op.batch_alter_table('ais_identities', schema=None) as batch_op:
        batch_op.drop_index('ix_ais_identities_mmsi')
        batch_op.drop_index('ix_ais_identities_batch_id')

    op.drop_table('ais_identities')
    op.drop_table('ais_batches')
