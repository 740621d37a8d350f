"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 05:04:06.390001
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('country', sa.String(length=3), nullable=False),
    sa.Column('law_enforcement', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_agencies'))
    )
    op.create_table('imports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('dataset', sa.String(length=128), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_imports_agency_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports'))
    )
    op.create_table('sources',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('publisher', sa.Text(), nullable=True),
    sa.Column('published', sa.String(length=10), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reliability', sa.String(length=1), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('tlp', sa.String(length=12), nullable=False),
    sa.Column('releasable_to', sa.Text(), nullable=False),
    sa.Column('orcon', sa.Boolean(), nullable=False),
    sa.Column('handling', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('dataset', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_sources_agency_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources'))
    )
    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('roles', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_users_agency_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('claims',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('tlp', sa.String(length=12), nullable=False),
    sa.Column('releasable_to', sa.Text(), nullable=False),
    sa.Column('orcon', sa.Boolean(), nullable=False),
    sa.Column('handling', sa.String(length=2), nullable=True),
    sa.Column('source_id', sa.String(length=128), nullable=True),
    sa.Column('reliability', sa.String(length=1), nullable=False),
    sa.Column('credibility', sa.String(length=1), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dataset', sa.String(length=128), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('entity_id', sa.String(length=128), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('quantity', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('low', sa.Float(), nullable=True),
    sa.Column('best', sa.Float(), nullable=True),
    sa.Column('high', sa.Float(), nullable=True),
    sa.Column('period_start', sa.String(length=10), nullable=True),
    sa.Column('period_end', sa.String(length=10), nullable=True),
    sa.Column('reading', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_claims_agency_agencies')),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_claims_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('key', name=op.f('uq_claims_key'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_entity_id'), ['entity_id'], unique=False)

    op.create_table('statements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('tlp', sa.String(length=12), nullable=False),
    sa.Column('releasable_to', sa.Text(), nullable=False),
    sa.Column('orcon', sa.Boolean(), nullable=False),
    sa.Column('handling', sa.String(length=2), nullable=True),
    sa.Column('source_id', sa.String(length=128), nullable=True),
    sa.Column('reliability', sa.String(length=1), nullable=False),
    sa.Column('credibility', sa.String(length=1), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dataset', sa.String(length=128), nullable=False),
    sa.Column('entity_id', sa.String(length=128), nullable=False),
    sa.Column('schema', sa.String(length=64), nullable=False),
    sa.Column('prop', sa.String(length=64), nullable=False),
    sa.Column('prop_type', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('original_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_statements_agency_agencies')),
    sa.ForeignKeyConstraint(['source_id'], ['sources.id'], name=op.f('fk_statements_source_id_sources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statements'))
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index('ix_statements_dataset', ['dataset'], unique=False)
        batch_op.create_index(batch_op.f('ix_statements_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index('ix_statements_entity_refs', ['value'], unique=False, postgresql_where=sa.text("prop_type = 'entity'"), sqlite_where=sa.text("prop_type = 'entity'"))



def downgrade() -> None:
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index('ix_statements_entity_refs', postgresql_where=sa.text("prop_type = 'entity'"), sqlite_where=sa.text("prop_type = 'entity'"))
        batch_op.drop_index(batch_op.f('ix_statements_entity_id'))
        batch_op.drop_index('ix_statements_dataset')

    op.drop_table('statements')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_entity_id'))

    op.drop_table('claims')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('sources')
    op.drop_table('imports')
    op.drop_table('agencies')
