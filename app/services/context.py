"""The app-wide engine and business calendar, with the admin's extra days off kept fresh."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import RelationshipDirection, Session, make_transient, make_transient_to_detached

from app import clock
from app.calendar import BusinessCalendar
from app.engine import Engine, ScriptLimits
from app.extensions import db
from app.models import DayOff

DAYS_OFF_REFRESH_SECONDS = 60.0


class DeskRuntime:
    """Per-app singleton: one engine, one calendar (shared by the script environment)."""

    def __init__(self, config):
        self.calendar = BusinessCalendar(
            tz=config["BUSINESS_TIMEZONE"],
            day_start=config["BUSINESS_DAY_START"],
            day_end=config["BUSINESS_DAY_END"],
            half_day_end=config["BUSINESS_HALF_DAY_END"],
        )
        self.engine = Engine(self.calendar, script_limits(config))
        self.registration_prefix = config["REGISTRATION_PREFIX"]
        self._days_off_loaded_at = 0.0

    def refresh_days_off(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._days_off_loaded_at < DAYS_OFF_REFRESH_SECONDS:
            return
        days = db.session.scalars(sa.select(DayOff.day)).all()
        self.calendar.set_extra_days_off(days)
        self._days_off_loaded_at = time.monotonic()

    def without_database(self) -> None:
        """Public holidays only, no admin days off: a diagram checked before the schema exists."""
        self.calendar.set_extra_days_off([])
        self._days_off_loaded_at = float("inf")


def schema_missing() -> str | None:
    """Why the database cannot be used yet (no schema, or unreachable), or None when it can."""
    try:
        with db.engine.connect() as connection:
            if not sa.inspect(connection).has_table(DayOff.__tablename__):
                return "the database has no schema yet (run `complaintflow db upgrade`)"
    except sa.exc.SQLAlchemyError as exc:
        return f"the database is not reachable ({type(exc).__name__})"
    return None


def script_limits(config) -> ScriptLimits:
    return ScriptLimits(seconds=float(config["SCRIPT_TIME_LIMIT_SECONDS"]),
                        memory_mb=int(config["SCRIPT_MEMORY_LIMIT_MB"]))


def runtime() -> DeskRuntime:
    desk = current_app.extensions["complaintflow"]
    desk.refresh_days_off()
    return desk


def utc(at: datetime | None) -> datetime:
    """The instant a use case runs at: given (tests, replays, `--now`) or the real clock."""
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return at.astimezone(UTC)


def commit_keeping_loaded() -> None:
    """Commit without expiring what this transaction just wrote: the caller answers from those rows at
    once, and reloading rows we wrote a moment ago would cost a query each for nothing."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def insert_whole(obj) -> None:
    """INSERT a new object built whole in this use case with one Core statement, and put it in the session
    as if it had been loaded: nothing is left for a flush to do.

    The unit of work (dependency sort, per-column history, post-fetch bookkeeping) cost more than the
    statement itself for the complaint and its instance, the two rows every registration writes. As the ORM
    does, an attribute left unset or None takes its column's default (a value or a plain function); with no
    default it is NULL, so every column is loaded and none costs a query when read. Only a column the
    database fills in (a server default, an SQL expression) is left out, expired. A many-to-one set on the
    object gives its foreign key: insert its target first. If the transaction rolls back, the object is
    taken out of the session again, as the ORM does with the rows it inserted (`_forget_rolled_back`).
    """
    mapper = sa.inspect(obj).mapper
    for relationship in mapper.relationships:
        if relationship.direction is RelationshipDirection.MANYTOONE and obj.__dict__.get(relationship.key):
            target = obj.__dict__[relationship.key]
            for local, remote in relationship.local_remote_pairs:
                setattr(obj, mapper.get_property_by_column(local).key, getattr(target, remote.key))
    values = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        value = obj.__dict__.get(prop.key)
        if value is None:
            default = column.default
            if column.primary_key:
                continue
            if default is not None and (default.is_scalar or default.is_callable):
                value = default.arg if default.is_scalar else default.arg(None)
            elif default is not None or column.server_default is not None:
                continue
            setattr(obj, prop.key, value)
        values[column.key] = value
    result = db.session.execute(_insert_statement(mapper.local_table), values)
    (key,) = result.inserted_primary_key
    setattr(obj, mapper.primary_key[0].key, key)
    make_transient_to_detached(obj)
    db.session.add(obj)
    db.session.info.setdefault(_INSERTED_WHOLE, []).append(obj)


_INSERTED_WHOLE = "inserted_whole"


@sa.event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    """Rows `insert_whole` wrote in a transaction that rolled back do not exist: their objects leave the
    session (transient again), or they would stay in its identity map as loaded rows, and on SQLite, which
    gives the same id again, the next registration in the session could not add its own."""
    for obj in session.info.pop(_INSERTED_WHOLE, ()):
        make_transient(obj)


@sa.event.listens_for(Session, "after_commit")
def _inserted_are_stored(session) -> None:
    session.info.pop(_INSERTED_WHOLE, None)


_INSERTS: dict = {}


def _insert_statement(table: sa.Table):
    """One statement per table, built once (building one and its cache key cost more than running it)."""
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = table.insert()
    return statement
