"""audit log: entries (leaves of an RFC 9162 Merkle tree) and the node's signed checkpoints, both
append-only (triggers refuse UPDATE and DELETE; verification does not rely on them)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 04:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ('audit_entries', 'audit_checkpoints')


def upgrade() -> None:
    op.create_table('audit_entries',
                    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('username', sa.String(length=128), nullable=True),
                    sa.Column('agency', sa.String(length=32), nullable=True),
                    sa.Column('action', sa.String(length=64), nullable=False),
                    sa.Column('objects', sa.Text(), nullable=False),
                    sa.Column('markings', sa.Text(), nullable=False),
                    sa.Column('path', sa.String(length=32), nullable=False),
                    sa.Column('request_id', sa.String(length=64), nullable=True),
                    sa.Column('leaf', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('seq'))
    op.create_index('ix_audit_entries_at', 'audit_entries', ['at'])
    op.create_table('audit_checkpoints',
                    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.Column('root', sa.String(length=64), nullable=False),
                    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('note', sa.Text(), nullable=False),
                    sa.PrimaryKeyConstraint('size'))
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        for table in TABLES:
            for action in ('UPDATE', 'DELETE'):
                conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                                     f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: {action} refused'); END")
    else:
        conn.exec_driver_sql("CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                             "RAISE EXCEPTION 'the audit log is append-only: %% refused', TG_OP; END $$")
        for table in TABLES:
            conn.exec_driver_sql(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                                 "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")


def downgrade() -> None:
    op.drop_table('audit_checkpoints')
    op.drop_index('ix_audit_entries_at', table_name='audit_entries')
    op.drop_table('audit_entries')
    if op.get_bind().dialect.name == 'postgresql':
        op.get_bind().exec_driver_sql("DROP FUNCTION IF EXISTS audit_append_only()")
