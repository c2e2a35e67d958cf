"""The app-wide engine and business calendar, with the admin's extra days off kept fresh."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import RelationshipDirection, Session, make_transient, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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
    plan = _insert_plan(type(obj))
    state = obj.__dict__
    for relationship_key, pairs in plan.foreign_keys:
        target = state.get(relationship_key)
        if target is not None:
            for local_key, remote_key in pairs:
                set_committed_value(obj, local_key, getattr(target, remote_key))
    values = {}
    for key, column_key, default in plan.columns:
        value = state.get(key)
        if value is None:
            if default is _FILLED_BY_DATABASE:
                continue
            value = default() if callable(default) else default
            set_committed_value(obj, key, value)
        values[column_key] = value
    result = db.session.connection().execute(plan.statement, values)
    (key,) = result.inserted_primary_key
    set_committed_value(obj, plan.primary_key, key)
    make_transient_to_detached(obj)
    db.session.add(obj)
    db.session.info.setdefault(_INSERTED_WHOLE, []).append(obj)


_FILLED_BY_DATABASE = object()


class _InsertPlan:
    """What `insert_whole` needs of a mapped class, worked out once: its statement, its primary key, each
    column with the default the ORM would apply, and the many-to-one relationships that give foreign keys."""

    def __init__(self, cls):
        mapper = sa.inspect(cls)
        self.statement = mapper.local_table.insert()
        self.primary_key = mapper.primary_key[0].key
        self.foreign_keys = [
            (relationship.key, [(mapper.get_property_by_column(local).key, remote.key)
                                for local, remote in relationship.local_remote_pairs])
            for relationship in mapper.relationships if relationship.direction is RelationshipDirection.MANYTOONE]
        self.columns = []
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            default = column.default
            if column.primary_key:
                filled = _FILLED_BY_DATABASE  # given when set, else the database's next id
            elif default is not None and default.is_scalar:
                filled = default.arg
            elif default is not None and default.is_callable:
                filled = functools.partial(default.arg, None)  # SQLAlchemy's wrapper takes the context
            elif default is not None or column.server_default is not None:
                filled = _FILLED_BY_DATABASE
            else:
                filled = None
            self.columns.append((prop.key, column.key, filled))


@functools.cache
def _insert_plan(cls) -> _InsertPlan:
    return _InsertPlan(cls)


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
