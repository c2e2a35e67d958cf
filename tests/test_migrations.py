"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db
from app.models import ProcessInstance

from .helpers import register


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_the_process_state_is_stored_with_lz4_on_postgresql(app, live_version):
    """Every step rewrites a complaint's state; PostgreSQL's default compression (pglz) made that write
    about four times slower for a state reopened many times (`make bench` and the migration's note)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite stores the state uncompressed")
    methods = db.session.scalar(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
    if "lz4" not in (methods or []):
        pytest.skip("this PostgreSQL was built without lz4: the state keeps the default compression")
    complaint = register()
    assert len(db.session.get(ProcessInstance, complaint.instance_id).state_json) > 2000  # large enough to compress
    stored = db.session.scalar(sa.text("SELECT pg_column_compression(state_json) FROM process_instance WHERE id = :id"),
                               {"id": complaint.instance_id})
    assert stored == "lz4"
