"""screening matches and resolution judgements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entity_matches',
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
    sa.Column('statements', sa.Text(), nullable=False),
    sa.Column('batches', sa.Text(), nullable=False),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_matches'))
    )
    with op.batch_alter_table('entity_matches', schema=None) as batch_op:
        batch_op.create_index('ix_entity_matches_entity_id', ['entity_id'], unique=False)
        batch_op.create_index('ix_entity_matches_subject', ['subject'], unique=False)

    op.create_table('judgements',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('tlp', sa.String(length=12), nullable=False),
    sa.Column('releasable_to', sa.Text(), nullable=False),
    sa.Column('orcon', sa.Boolean(), nullable=False),
    sa.Column('handling', sa.String(length=2), nullable=True),
    sa.Column('left_id', sa.String(length=128), nullable=False),
    sa.Column('right_id', sa.String(length=128), nullable=False),
    sa.Column('judgement', sa.String(length=12), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retracted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retracted_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['agency'], ['agencies.code'], name=op.f('fk_judgements_agency_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgements'))
    )
    with op.batch_alter_table('judgements', schema=None) as batch_op:
        batch_op.create_index('ix_judgements_left_id', ['left_id'], unique=False)
        batch_op.create_index('ix_judgements_right_id', ['right_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('judgements', schema=None) as batch_op:
        batch_op.drop_index('ix_judgements_right_id')
        batch_op.drop_index('ix_judgements_left_id')
    op.drop_table('judgements')
    with op.batch_alter_table('entity_matches', schema=None) as batch_op:
        batch_op.drop_index('ix_entity_matches_subject')
        batch_op.drop_index('ix_entity_matches_entity_id')
    op.drop_table('entity_matches')
