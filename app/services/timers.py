"""Fire due timers: only instances whose indexed `next_timer_at` has passed are loaded.

Safe to run in several processes at once: on PostgreSQL a due instance is claimed with
`FOR UPDATE SKIP LOCKED`; everywhere, the instance's version counter refuses a second write.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..engine import ProcedureFailure
from ..extensions import db
from ..models import Complaint, ProcessInstance
from . import context, runtime

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


def _claim(instance_id: int, at: datetime) -> tuple[ProcessInstance, Complaint | None] | None:
    """The due instance, locked on PostgreSQL, with its complaint and version in the same query."""
    query = (
        sa.select(ProcessInstance, Complaint)
        .outerjoin(Complaint, Complaint.instance_id == ProcessInstance.id)
        .options(joinedload(ProcessInstance.version, innerjoin=True))
        .where(ProcessInstance.id == instance_id, ProcessInstance.next_timer_at < at,
               ProcessInstance.status == "running")
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    row = db.session.execute(query.execution_options(populate_existing=True)).first()
    return (row[0], row[1]) if row is not None else None


def fire_instance(instance_id: int, at: datetime) -> bool:
    """Fire what is due on one instance, in its own transaction; False if someone else did."""
    try:
        claimed = _claim(instance_id, at)
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


def fire_due_timers(at: datetime | None = None, limit: int = 500) -> int:
    """Fire every timer due at `at` (default now); returns how many instances advanced."""
    at = context.utc(at)
    fired, seen = 0, set()
    while True:
        ids = [i for i in due_instance_ids(at, limit) if i not in seen]
        db.session.rollback()
        if not ids:
            return fired
        seen.update(ids)
        fired += sum(fire_instance(i, at) for i in ids)
