"""Back up and restore the SQLite desk with SQLite's online backup API (PostgreSQL: pg_dump, see README).

The backup API copies a consistent snapshot page by page while the desk keeps running; a restore
copies a checked backup over the live database the same way, in one step, so a reader sees either the
old database or the restored one. Restore with the web workers and the scheduler stopped.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from app.extensions import db
from app.services.errors import ServiceError


class BackupRefused(ServiceError):
    pass


@dataclass(frozen=True)
class BackupFacts:
    path: Path
    size: int
    complaints: int
    revision: str


def _require_sqlite() -> None:
    if db.engine.dialect.name != "sqlite":
        raise BackupRefused(
            f"`backup`/`restore` copy the SQLite database; this desk runs on {db.engine.dialect.name}: use "
            "pg_dump --format=custom and pg_restore --clean (README, \"Backups\")")


def _facts(path: Path) -> BackupFacts:
    """Open `path` read-only and check it is a whole complaintflow database; raise BackupRefused if not."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupRefused(f"{path} is damaged (SQLite integrity check failed)")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", "complaint", "audit_event"} <= tables:
                raise BackupRefused(f"{path} is an SQLite file but not a complaintflow database")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            complaints = conn.execute("SELECT count(*) FROM complaint").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{path} is not an SQLite database ({exc})") from exc
    return BackupFacts(path=path, size=path.stat().st_size, complaints=complaints,
                       revision=revision[0] if revision else "")


def backup_to(target: Path) -> BackupFacts:
    """Write a consistent copy of the live database to `target` (which must not exist yet)."""
    _require_sqlite()
    target = Path(target)
    if target.exists():
        raise BackupRefused(f"{target} already exists; choose a new file name")
    db.session.remove()
    draft = target.with_name(f".{target.name}.partial")
    live = db.engine.raw_connection()
    try:
        with closing(sqlite3.connect(draft)) as copy:
            live.driver_connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        os.replace(draft, target)
    finally:
        live.close()
        draft.unlink(missing_ok=True)
    return _facts(target)


def restore_from(source: Path) -> BackupFacts:
    """Check `source`, then copy it over the live database in one step."""
    _require_sqlite()
    facts = _facts(Path(source))
    db.session.remove()
    live = db.engine.raw_connection()
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup:
            backup.backup(live.driver_connection)
    finally:
        live.close()
    db.engine.dispose()  # pooled connections may hold pages of the database that was replaced
    return facts
