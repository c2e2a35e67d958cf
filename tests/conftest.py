"""Fixtures: one migrated database per session (SQLite file, or TEST_DATABASE_URL), emptied per test.

PostgreSQL is optional on a laptop (the run is skipped with the reason) and required in CI
(`COMPLAINTFLOW_REQUIRE_POSTGRES=1`, set by `.ci/run`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

# The suite never reads a developer's instance/complaintflow.env (tests that need one pass their own).
os.environ["COMPLAINTFLOW_SETTINGS_FILE"] = os.devnull

from app import create_app  # noqa: E402 - after the settings file is chosen
from app.config import PROJECT_ROOT, TestConfig
from app.extensions import db

from .api_fixtures import api  # noqa: F401 - fixture of the API tests
from .helpers import ist
from .imap_server import imap, imap_certificate, imap_without_move  # noqa: F401 - fixtures of the IMAP tests
from .mailbox import mail_dirs, smtp, smtp_down  # noqa: F401 - fixtures of the mail tests
from .staff_fixtures import as_user, live_server, staff  # noqa: F401 - fixtures of the staff web app


def _required(name: str) -> bool:
    return os.environ.get(name) == "1"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    if url.startswith("postgresql"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        # A schema of this run's own, so runs sharing one database never see each other's tables.
        schema = f"test_{os.getpid()}"
        try:
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any connection failure means "no PostgreSQL here"
            message = f"PostgreSQL at {url} is not reachable: {exc.__class__.__name__}"
            if _required("COMPLAINTFLOW_REQUIRE_POSTGRES"):
                pytest.fail(message + " (required: COMPLAINTFLOW_REQUIRE_POSTGRES=1)")
            pytest.skip(message)
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
        return
    yield url


# The instant every test runs at unless it moves the clock itself: the day after the default
# registration instant of `helpers.register`, so nothing a test does depends on today's date.
PINNED_NOW = ist(2026, 11, 25, 11, 0)


@pytest.fixture(autouse=True)
def desk_clock():
    """Pin the desk clock for the whole process (web requests in server threads included)."""
    from app import clock

    clock.pin(PINNED_NOW)
    yield clock
    clock.pin(None)


def _make_app(database_url: str):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    return create_app(Config)


def _drop_every_table() -> None:
    """Start from an empty database, whatever an earlier run (or an older schema) left in it."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
        for table in sa.inspect(conn).get_table_names():
            cascade = " CASCADE" if conn.dialect.name == "postgresql" else ""
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"{cascade}'))


@pytest.fixture(scope="session")
def _migrated(database_url):
    """Build the schema the way production does: by running the Alembic migrations."""
    from flask_migrate import upgrade

    app = _make_app(database_url)
    with app.app_context():
        _drop_every_table()
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="heads")  # parallel branches until merged
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(_migrated):
    app = _make_app(_migrated)
    with app.app_context():
        yield app
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(sa.text(f"DELETE FROM {table}"))
        db.engine.dispose()


@pytest.fixture
def make_app(_migrated):
    """A second app object over the same database (a restart)."""
    return lambda: _make_app(_migrated)


@pytest.fixture
def live_version(app):
    from app.services.procedure import versions

    bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
    forms = versions.load_forms_dir(PROJECT_ROOT / "forms")
    return versions.deploy_version(bpmn, forms, author="test", comment="test", at=ist(2026, 1, 1, 9, 0))


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def client(app):
    return app.test_client()


TESTS_DIR = Path(__file__).parent
