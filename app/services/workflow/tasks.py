"""Complete a user task: validate against its form, advance the workflow, save — one transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.engine import ProcedureFailure, TaskNotReady
from app.extensions import db
from app.models import Complaint, HumanTask, ProcessInstance, User
from app.services import context
from app.services.errors import (
    ComplaintNotActive,
    ConcurrentUpdate,
    NotFound,
    StaleData,
    TaskAlreadyCompleted,
    TaskClaimedByOther,
    Unavailable,
)
from app.services.procedure import versions
from app.services.workflow import forms, inbox, priority, runtime

# Built once: every completion, claim and task page runs it.
_TASK_WITH_COMPLAINT = sa.select(HumanTask).where(HumanTask.id == sa.bindparam("id")).options(
    joinedload(HumanTask.complaint, innerjoin=True).joinedload(Complaint.instance).joinedload(ProcessInstance.version))


def get_task(task_id: int, *, with_complaint: bool = False) -> HumanTask:
    """The task; `with_complaint` loads its complaint, instance and version in the same query."""
    task = db.session.get(HumanTask, task_id) if not with_complaint else _loaded_with_complaint(task_id)
    if with_complaint and task is None:
        # A query, not session.get: a task already in the session without its complaint would come
        # back as it is, and complaint, instance and version would each be a lazy load of its own.
        task = db.session.scalar(_TASK_WITH_COMPLAINT, {"id": task_id})
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


def _loaded_with_complaint(task_id: int) -> HumanTask | None:
    """The task from the session's identity map when its complaint, instance and version are loaded."""
    task = db.session.identity_map.get(sa.inspect(HumanTask).identity_key_from_primary_key((task_id,)))
    if task is None or "complaint" in sa.inspect(task).unloaded:
        return None
    complaint = task.complaint
    if "instance" in sa.inspect(complaint).unloaded or complaint.instance is None:
        return None
    return task if "version" not in sa.inspect(complaint.instance).unloaded else None


def form_schema(task: HumanTask) -> dict | None:
    if not task.form:
        return None
    return versions.forms_for(task.complaint.instance.version).get(task.form)


def complete_task(task_id: int, data: dict, *, actor: str, user: User | None = None,
                  expected_version: int | None = None, at: datetime | None = None) -> HumanTask:
    """Complete a ready task with form data; nothing changes if any check fails.

    Raises TaskAlreadyCompleted (with who and when), TaskClaimedByOther, StaleData (the complaint
    moved on since `expected_version`), ValidationFailed (per-field messages) or ConcurrentUpdate.
    The task, complaint and instance keep what this transaction wrote (not reloaded after the commit);
    a caller that keeps its session for more work and needs other processes' changes calls
    `db.session.expire_all()`.
    """
    at = context.utc(at)
    task = get_task(task_id, with_complaint=True)
    if task.state != "ready":
        raise TaskAlreadyCompleted(task.completed_by, task.completed_at, task.state)
    # A step ends no earlier than it began: when the timer sweep ran with a later simulated --now
    # than this completion, the task was raised "after" it is done and its time would be negative.
    if task.created_at is not None and at < task.created_at:
        at = task.created_at
    if user is not None and not inbox.can_work(user, task):
        raise inbox.NotAllowed("this task's lane is not covered by your roles")
    if task.assignee_id is not None and user is not None and task.assignee_id != user.id:
        raise TaskClaimedByOther(task.assignee.full_name, task.claimed_at)
    complaint: Complaint = task.complaint
    instance = complaint.instance
    if instance.status in ("suspended", "cancelled"):
        raise ComplaintNotActive(instance.status, instance.updated_at)
    if expected_version is not None and expected_version != instance.lock_version:
        raise StaleData(expected_version, instance.lock_version)
    schema = form_schema(task)
    if schema is not None:
        data = forms.normalised(schema, data)
    forms.validate(schema, data)
    overridden = priority.override(complaint, data)

    try:
        run = runtime.load(instance)
        run.complete(task.task_guid, data, at=at)
        opening = [("task_completed", {"task": task.name, "spec": task.spec_name, "form": task.form, "data": data})]
        if overridden is not None:
            opening.append(("priority_overridden", overridden))
            complaint.priority_overridden = True
        runtime.save_run(complaint, instance, run, at=at, actor=actor, completed_guid=task.task_guid,
                         opening=opening)
        context.commit_keeping_loaded()
    except TaskNotReady as exc:
        db.session.rollback()
        raise TaskAlreadyCompleted(None, None, "closed") from exc
    except ProcedureFailure as exc:
        db.session.rollback()
        raise runtime.flag_failure(complaint.id, exc, at=at, actor=actor) from exc
    except (StaleDataError, IntegrityError, OperationalError) as exc:
        # Another request committed a change to this complaint first: its version, its next audit
        # sequence number or (SQLite) the write lock. Nothing of ours was written.
        db.session.rollback()
        if isinstance(exc, OperationalError) and not _is_lock_conflict(exc):
            if exc.connection_invalidated:
                raise Unavailable("the database connection was lost; nothing was saved, try again") from exc
            raise
        raise ConcurrentUpdate("the complaint was changed by another request; try again") from exc
    except Exception:
        db.session.rollback()
        raise
    return task


def _is_lock_conflict(exc: OperationalError) -> bool:
    message = str(exc.orig).lower()
    return "locked" in message or "could not serialize" in message or "deadlock" in message


# Built once: every case page reads it.
_READY_OF_COMPLAINT = (sa.select(HumanTask)
                       .where(HumanTask.complaint_id == sa.bindparam("id"), HumanTask.state == "ready")
                       .order_by(HumanTask.created_at, HumanTask.id))


def ready_tasks_for(complaint: Complaint) -> list[HumanTask]:
    return list(db.session.scalars(_READY_OF_COMPLAINT, {"id": complaint.id}))
