"""Short writes committed on connections of their own, whose commits do not wait for the disk.

Two writes of a request must be visible to other requests before the request's own transaction ends, and
losing the last of them in a crash costs nothing: the year's registration number counter (a crash can
only lose numbers no stored complaint used, since the registration's durable commit comes later in the
same log and carries the bump) and a portal client's counted form posts (a crash forgets a few posts of
the rate limit's window). A durable commit of their own would cost each request a second disk flush.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app

from app.extensions import db


def in_memory(engine: sa.Engine) -> bool:
    """An in-memory SQLite database has no second connection to the same data: its side writes go in the
    caller's transaction."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory")


def _session_settings(dbapi_connection, _record) -> None:
    """Commits on these connections do not wait for the disk."""
    cursor = dbapi_connection.cursor()
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
    else:
        cursor.execute("SET synchronous_commit TO OFF")
    cursor.close()
    dbapi_connection.commit()  # a session setting, kept; leaves no transaction open before autocommit is set


@functools.lru_cache(maxsize=4)
def engine_for(engine: sa.Engine) -> sa.Engine:
    """A small pool of its own: a request holding its session's connection never waits for a side
    connection held by a request that waits for the session pool (16 threads would deadlock one pool).
    It takes the app's engine options (connect arguments, for one), with its own pool size; its
    connections autocommit, so a write is one statement and one round trip."""
    options = dict(current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if "poolclass" not in options:
        options.update(pool_size=2, max_overflow=14)
    side = sa.create_engine(engine.url, **{**options, "pool_pre_ping": True, "isolation_level": "AUTOCOMMIT"})
    sa.event.listen(side, "connect", _session_settings)
    owner = os.getpid()

    def with_the_apps_engine(_engine) -> None:
        # The app disposes its engine when no connection may stay open (a restore, the end of a test, before
        # forking bulk workers): these go too. In a forked child the parent's are left to the parent.
        side.dispose(close=os.getpid() == owner)

    sa.event.listen(engine, "engine_disposed", with_the_apps_engine)
    return side


@contextmanager
def connection() -> Iterator[sa.Connection]:
    """A connection whose each statement is committed at once, without waiting for the disk; on an
    in-memory database the session's own, committed when the block ends (rolled back if it fails)."""
    engine = db.session.get_bind()
    if not in_memory(engine):
        with engine_for(engine).connect() as conn:
            yield conn
        return
    try:
        yield db.session.connection()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
