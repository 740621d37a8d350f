"""data versions: a change counter per table, which cached reads are keyed by (interdict.readcache)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 21:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the triggers that count into it are installed on every open (interdict.readcache.install_triggers)
    op.create_table('data_versions',
                    sa.Column('name', sa.String(length=64), nullable=False),
                    sa.Column('version', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('name'))


def downgrade() -> None:
    # the counting triggers go first: on SQLite a trigger naming a missing table breaks every later
    # table rebuild of an older migration
    from interdict.readcache import drop_triggers

    drop_triggers(op.get_bind())
    op.drop_table('data_versions')
