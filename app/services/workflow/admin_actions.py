"""Quality manager / admin interventions on a complaint: reassign, suspend, resume, cancel.

Each needs a written reason and leaves an audit event, in the same transaction as the change.
Suspension sets the instance status, which the timer sweep skips (it loads only 'running'
instances); resuming keeps `next_timer_at`, so a deadline that passed meanwhile fires at the next sweep.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.i18n import gettext
from app.models import Complaint, HumanTask, OutboxMessage, ProcessInstance, User
from app.services import audit, context
from app.services.errors import ConcurrentUpdate, NotFound, ServiceError, ValidationFailed
from app.services.text_rules import multi_line_problem, normalise_newlines
from app.services.workflow.inbox import NotAllowed, roles_for_lane

ACTING_ROLES = ("quality_manager", "admin")
MAX_REASON = 1000


class InvalidState(ServiceError):
    """The complaint is not in a state that allows this action (e.g. resuming a running one)."""


def _check(user: User, reason: str | None) -> str:
    if not (user.role_set & set(ACTING_ROLES)):
        raise NotAllowed("only a quality manager or an admin can intervene")
    reason = normalise_newlines((reason or "").strip())
    if not reason:
        raise ValidationFailed({"reason": gettext("Gerekçe zorunludur.")})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": gettext("Gerekçe en fazla %(n)d karakter olabilir.", n=MAX_REASON)})
    if multi_line_problem(reason):
        raise ValidationFailed({"reason": multi_line_problem(reason)})
    return reason


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise ConcurrentUpdate("the complaint was changed at the same moment; try again") from exc


def _instance(complaint: Complaint) -> ProcessInstance:
    if complaint.instance is None:
        raise InvalidState("the complaint has no process instance")
    return complaint.instance


def reassign_task(task_id: int, assignee_username: str | None, *, user: User, reason: str,
                  at: datetime | None = None) -> HumanTask:
    """Give a ready task to a colleague whose roles cover its lane (empty username: release it)."""
    reason, at = _check(user, reason), context.utc(at)
    task = db.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    if task.state != "ready":
        raise InvalidState(f"the task is {task.state}")
    assignee = None
    if (assignee_username or "").strip():
        assignee = db.session.scalar(sa.select(User).where(User.username == assignee_username.strip()))
        if assignee is None or not assignee.active or not (assignee.role_set & roles_for_lane(task.lane)):
            raise ValidationFailed({"assignee": gettext("Bu görevi yapabilecek bir çalışma arkadaşı seçin.")})
    previous = task.assignee.username if task.assignee else None
    task.assignee_id, task.claimed_at = (assignee.id, at) if assignee else (None, None)
    audit.record(task.complaint_id, "admin_reassigned", actor=user.username, at=at,
                 data={"task": task.name, "spec": task.spec_name, "from": previous,
                       "to": assignee.username if assignee else None, "reason": reason})
    _commit()
    return task


def suspend(complaint: Complaint, *, user: User, reason: str, at: datetime | None = None) -> Complaint:
    reason, at = _check(user, reason), context.utc(at)
    instance = _instance(complaint)
    if instance.status != "running":
        raise InvalidState(f"only a running complaint can be suspended (it is {instance.status})")
    instance.status, instance.updated_at = "suspended", at
    audit.record(complaint.id, "admin_suspended", actor=user.username, at=at, data={"reason": reason})
    _commit()
    return complaint


def resume(complaint: Complaint, *, user: User, reason: str, at: datetime | None = None) -> Complaint:
    reason, at = _check(user, reason), context.utc(at)
    instance = _instance(complaint)
    if instance.status != "suspended":
        raise InvalidState(f"only a suspended complaint can be resumed (it is {instance.status})")
    instance.status, instance.updated_at = "running", at
    audit.record(complaint.id, "admin_resumed", actor=user.username, at=at,
                 data={"reason": reason, "next_timer_at": instance.next_timer_at})
    _commit()
    return complaint


def cancel(complaint: Complaint, *, user: User, reason: str, at: datetime | None = None) -> Complaint:
    """Stop the procedure for good: open tasks are cancelled and no timer fires again."""
    reason, at = _check(user, reason), context.utc(at)
    instance = _instance(complaint)
    if instance.status not in ("running", "suspended"):
        raise InvalidState(f"a {instance.status} complaint cannot be cancelled")
    cancelled = []
    for task in db.session.scalars(sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id,
                                                              HumanTask.state == "ready")):
        task.state, task.completed_at, task.completed_by = "cancelled", at, user.username
        cancelled.append(task.name)
    instance.status, instance.updated_at, instance.completed_at, instance.next_timer_at = "cancelled", at, at, None
    complaint.status, complaint.updated_at = "cancelled", at
    # Mail not yet handed to the server would tell the customer about a procedure that no longer runs.
    withdrawn = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.complaint_id == complaint.id, OutboxMessage.status == "pending")
        .values(status="cancelled", last_error="complaint cancelled")
    ).rowcount or 0
    audit.record(complaint.id, "admin_cancelled", actor=user.username, at=at,
                 data={"reason": reason, "cancelled_tasks": cancelled, "withdrawn_messages": withdrawn})
    _commit()
    return complaint
