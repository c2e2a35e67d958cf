"""Fire due timers: only instances whose indexed `next_timer_at` has passed are loaded.

Safe to run in several processes at once: on PostgreSQL a due instance is claimed with
`FOR UPDATE SKIP LOCKED`; everywhere, the instance's version counter refuses a second write.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.engine import ProcedureFailure
from app.extensions import db
from app.models import Complaint, ProcessInstance
from app.services import context
from app.services.workflow import runtime, stopped_runs

log = logging.getLogger(__name__)
TIMER_ACTOR = "system:timer"
RETRY_DELAY = timedelta(minutes=5)


def due_instance_ids(at: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_at < at, ProcessInstance.status == "running")
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
        )
    )


def _claim(instance_id: int | None, at: datetime, skip: set[int] | None = None
           ) -> tuple[ProcessInstance, Complaint | None] | None:
    """The due instance, locked on PostgreSQL, with its complaint and version in the same query.

    `instance_id` None: the earliest due instance that no other sweeper holds (PostgreSQL), except `skip`.
    """
    query = (
        sa.select(ProcessInstance, Complaint)
        .outerjoin(Complaint, Complaint.instance_id == ProcessInstance.id)
        .options(joinedload(ProcessInstance.version, innerjoin=True))
        .where(ProcessInstance.next_timer_at < at, ProcessInstance.status == "running")
    )
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id)
    else:
        query = query.order_by(ProcessInstance.next_timer_at).limit(1)
        if skip:
            query = query.where(ProcessInstance.id.not_in(skip))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    row = db.session.execute(query.execution_options(populate_existing=True)).first()
    return (row[0], row[1]) if row is not None else None


def fire_instance(instance_id: int, at: datetime, claimed: tuple | None = None) -> bool:
    """Fire what is due on one instance, in its own transaction; False if someone else did.

    `claimed`: the instance and complaint already locked in this transaction by the caller."""
    try:
        claimed = claimed or _claim(instance_id, at)
        if claimed is None:
            db.session.rollback()
            return False
        instance, complaint = claimed
        run = runtime.load(instance)
        run.fire_due_timers(at=at)
        runtime.save_run(complaint, instance, run, at=at, actor=TIMER_ACTOR)
        db.session.commit()
        return True
    except (StaleDataError, IntegrityError, OperationalError):
        # Lost a race with another sweeper or a user's request on the same complaint: they did it.
        db.session.rollback()
        return False
    except ProcedureFailure as exc:
        db.session.rollback()
        log.warning("a timer of instance %s failed in the diagram: %s; retrying in %s", instance_id, exc, RETRY_DELAY)
        complaint_id = db.session.scalar(sa.select(Complaint.id).where(Complaint.instance_id == instance_id))
        if complaint_id is not None:
            runtime.flag_failure(complaint_id, exc, at=at, actor=TIMER_ACTOR)
        _defer(instance_id, at)
        return False
    except Exception:
        db.session.rollback()
        log.exception("firing timers of instance %s failed; retrying in %s", instance_id, RETRY_DELAY)
        _defer(instance_id, at)
        return False


def _defer(instance_id: int, at: datetime) -> None:
    """Move a failing instance out of the due set for a while, so it cannot starve the others.

    The workflow keeps its real deadline; the sweep tries again after RETRY_DELAY.
    """
    try:
        db.session.execute(
            sa.update(ProcessInstance)
            .where(ProcessInstance.id == instance_id, ProcessInstance.next_timer_at < at)
            .values(next_timer_at=at + RETRY_DELAY)
        )
        db.session.commit()
    except Exception:  # noqa: BLE001 - the database itself is failing; the next sweep will see
        db.session.rollback()


def _sweep_threads() -> int:
    """Instances fired at once by one sweep: on PostgreSQL firing waits mostly on the database, and
    each instance is locked `SKIP LOCKED` in its own transaction; SQLite has one writer, so one."""
    if db.engine.dialect.name != "postgresql":
        return 1
    return max(1, int(current_app.config.get("TIMER_SWEEP_THREADS", 1)))


def _fire_all(ids: list[int], at: datetime, threads: int) -> int:
    if threads <= 1 or len(ids) < 2:
        return sum(fire_instance(i, at) for i in ids)
    app = current_app._get_current_object()

    def fire_share(share: list[int]) -> int:
        with app.app_context():  # a session of its own: each instance still commits alone
            try:
                return sum(fire_instance(i, at) for i in share)
            finally:
                db.session.remove()

    shares = [ids[k::threads] for k in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(lambda share: contextvars.copy_context().run(fire_share, share), shares))


def _fire_claimed(at: datetime) -> int:
    """PostgreSQL: claim the next due instance and fire it, until none is left that nobody holds.

    Every sweeper (thread or process) takes a different row, so two schedulers share the work instead
    of walking the same list and skipping each other's rows one by one. An instance is fired at most
    once per sweep here; one that stays due after firing (a lost race) is skipped for the rest of it.
    """
    fired, seen, skip = 0, set(), set()
    while True:
        try:
            claimed = _claim(None, at, skip)
        except OperationalError:
            db.session.rollback()
            log.exception("the timer sweep could not claim a due instance; the next sweep tries again")
            return fired
        if claimed is None:
            db.session.rollback()
            return fired
        instance_id = claimed[0].id
        if instance_id in seen:
            db.session.rollback()
            skip.add(instance_id)
            continue
        seen.add(instance_id)
        fired += fire_instance(instance_id, at, claimed)  # the row stays locked until its commit


def _fire_claimed_in_threads(at: datetime, threads: int) -> int:
    if threads <= 1:
        return _fire_claimed(at)
    app = current_app._get_current_object()

    def sweeper() -> int:
        with app.app_context():  # a session of its own per thread
            try:
                return _fire_claimed(at)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(contextvars.copy_context().run, sweeper) for _ in range(threads)]
        return sum(f.result() for f in futures)


def fire_due_timers(at: datetime | None = None, limit: int = 500, threads: int | None = None) -> int:
    """Fire every timer due at `at` (default now); returns how many instances advanced.

    `threads` (default TIMER_SWEEP_THREADS on PostgreSQL, 1 on SQLite) instances are fired at once,
    each in its own transaction. On PostgreSQL each sweeper claims the next due row with SKIP LOCKED;
    on SQLite (one writer) due ids are read `limit` at a time.
    """
    at = context.utc(at)
    # First the complaints whose last run killed a process: flagged (and suspended) before the sweep
    # could pick the same one again and die the same way.
    stopped_runs.recover(at)
    threads = threads or _sweep_threads()
    if db.engine.dialect.name == "postgresql":
        db.session.rollback()
        return _fire_claimed_in_threads(at, threads)
    fired, seen = 0, set()
    while True:
        ids = [i for i in due_instance_ids(at, limit) if i not in seen]
        db.session.rollback()
        if not ids:
            return fired
        seen.update(ids)
        fired += _fire_all(ids, at, threads)
