"""process state compressed with lz4 on PostgreSQL: every step rewrites it, and the default (pglz) made
that write four times slower for a complaint reopened many times

Revision ID: 3b7e0c9d5a14
Revises: 8c1d5e7f2a90
Create Date: 2026-11-30 21:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3b7e0c9d5a14'
down_revision = '8c1d5e7f2a90'
branch_labels = None
depends_on = None


def _lz4_available(bind) -> bool:
    """PostgreSQL 14 or later, built with lz4 (Debian's is); elsewhere the state keeps the default."""
    if bind.dialect.name != 'postgresql' or bind.dialect.server_version_info < (14,):
        return False
    methods = bind.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return bool(methods) and 'lz4' in methods


def upgrade():
    # Values already stored keep their compression until their complaint's next step rewrites them.
    if _lz4_available(op.get_bind()):
        op.execute("ALTER TABLE process_instance ALTER COLUMN state_json SET COMPRESSION lz4")


def downgrade():
    if _lz4_available(op.get_bind()):
        op.execute("ALTER TABLE process_instance ALTER COLUMN state_json SET COMPRESSION default")
