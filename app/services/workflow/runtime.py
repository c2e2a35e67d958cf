"""Load a complaint's workflow and save everything one step changed, in the caller's transaction.

`save_run` is where the workflow meets the database: instance state, the inbox rows, the complaint's
columns, audit events and outbox messages are all written here, and committed by the use case.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

import sqlalchemy as sa
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.engine import ProcedureFailure, WorkflowRun
from app.extensions import db
from app.models import Complaint, HumanTask, OutboxMessage, ProcessInstance
from app.services import audit, context
from app.services.errors import ProcedureFailed
from app.services.procedure import versions

# Process variables the app mirrors into complaint columns (the contract with the diagram).
_TEXT_FIELDS = {"priority": "priority", "category": "category", "suggested_priority": "suggested_priority",
                "root_cause_category": "root_cause_category", "solution": "solution",
                "closure_outcome": "closure_outcome"}
_TIME_FIELDS = {"ack_due": "acknowledgement_due_at", "acknowledged_at": "acknowledged_at",
                "solution_due": "solution_due_at", "decision_notified_at": "decision_notified_at",
                "closed_at": "closed_at"}
# Escalations that mean a deadline was missed (the reopen-limit one is not a deadline).
_BREACH_ESCALATIONS = ("acknowledgement", "solution_deadline")
# Task data a queued message carries to its template (the reminder names the closing date;
# `request_days` / `opinion_days` let the acknowledgement of a request or an opinion name its answer time).
_PAYLOAD_KEYS = ("solution", "root_cause_category", "reopen_count", "solution_due", "priority", "answer_close_due",
                 "request_days", "opinion_days")
# Instructions are written by analysts: rendered in Jinja's sandbox, as plain text (escaped on output).
_INSTRUCTIONS = SandboxedEnvironment(autoescape=False)
MAX_INSTRUCTIONS = 10000


def load(instance: ProcessInstance) -> WorkflowRun:
    bundle = versions.bundle_for(instance.version)
    return context.runtime().engine.restore_instance(bundle, instance.state_json, instance.id)


def _instant(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return context.utc(parsed) if parsed.tzinfo else None


def save_run(complaint: Complaint, instance: ProcessInstance, run: WorkflowRun, *, at: datetime, actor: str,
             completed_guid: str | None = None, new: bool = False,
             opening: tuple[str, dict] | list[tuple[str, dict]] | None = None) -> None:
    """Write the run's results.

    `new`: the complaint and its instance were built in this transaction and are not in the database
    yet: they are inserted here once, with their final values (no insert-then-update), each by one Core
    statement (`context.insert_whole`). `opening` is the step's first audit event, or events (the
    registration, an incident's resolution, a completed task), written with the others: nothing is written
    before the run is serialized, so on SQLite the one write lock is taken only for the writes themselves.
    The task tree is walked once for the inbox, the data and compaction; audit events and new inbox
    rows go in set-based INSERTs.
    """
    open_rows = {} if new else _open_rows(instance)  # read before anything changes: no early flush
    survey = run.survey()
    views = run.ready_human_tasks(survey)
    complaint.attention_reason = complaint.attention_at = None
    events: list[tuple[str, dict]] = list(opening) if isinstance(opening, list) else [opening] if opening else []
    _mirror_process_data(complaint, run.data_snapshot(survey), views, events, at=at)
    instance.state_json = run.serialize(survey)  # last: serializing compacts finished history away
    instance.updated_at = at
    if run.is_completed:
        instance.status, instance.completed_at, instance.next_timer_at = "completed", at, None
    else:
        instance.next_timer_at = run.next_timer_at()
    messages = [_message(complaint, effect, events, at=at) for effect in run.effects]
    if new:
        context.insert_whole(instance)
        context.insert_whole(complaint)
        audit.start_chain(complaint.id)
    new_views = _sync_inbox(views, open_rows, at=at, actor=actor, completed_guid=completed_guid)
    for view in new_views:
        if view.escalation:
            events.append(("escalation_raised", {"task": view.name, "escalation": view.escalation}))
            if view.escalation in _BREACH_ESCALATIONS:
                complaint.deadline_breached = True
    audit.record_many(complaint.id, events, actor=actor, at=at)  # flushes the changed rows first
    if new_views:
        db.session.execute(HumanTask.__table__.insert(), [
            {"instance_id": instance.id, "complaint_id": complaint.id, "task_guid": view.guid,
             "spec_name": view.spec_name, "name": view.name, "form": view.form, "lane": view.lane,
             "iso_stage": view.iso_stage, "escalation": view.escalation, "state": "ready", "due_at": view.due,
             "instructions": render_instructions(run, view), "created_at": at} for view in new_views])
    rows = [dict(message, complaint_id=complaint.id) for message in messages if message]
    if rows:
        db.session.execute(OutboxMessage.__table__.insert(), rows)


_OPEN_ROWS = sa.select(HumanTask).where(HumanTask.instance_id == sa.bindparam("id"), HumanTask.state == "ready")


def _open_rows(instance: ProcessInstance) -> dict[str, HumanTask]:
    """The instance's open inbox rows, read without flushing: what the caller changed before the run was
    saved (a completion's override flag on the complaint, a correction's audit event) is written with the
    step's other rows, not ahead of the serialization. Only save_run changes inbox rows' states."""
    with db.session.no_autoflush:
        return {row.task_guid: row for row in db.session.scalars(_OPEN_ROWS, {"id": instance.id})}


def _sync_inbox(views, open_rows, *, at, actor, completed_guid) -> list:
    """Close the open rows whose task is gone; returns the views of tasks that need a new row."""
    ready = {view.guid: view for view in views}
    for guid, row in open_rows.items():
        if guid in ready:
            continue
        row.state = "completed" if guid == completed_guid else "cancelled"
        row.completed_at, row.completed_by = at, actor
    new_views = []
    for guid, view in ready.items():
        if guid in open_rows:
            open_rows[guid].due_at = view.due
            continue
        new_views.append(view)
    return new_views


@functools.lru_cache(maxsize=256)
def _instructions_template(source: str):
    """Compiled once per text: compiling a Jinja template costs more than the rest of a timer's firing."""
    return _INSTRUCTIONS.from_string(source)


def render_instructions(run: WorkflowRun, view) -> str | None:
    """The task's instructions with its data filled in; the raw text if the template does not render."""
    if not view.instructions:
        return None
    try:
        text = _instructions_template(view.instructions).render(run.task_data(view.guid))
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        text = view.instructions
    return text.strip()[:MAX_INSTRUCTIONS] or None


def _mirror_process_data(complaint: Complaint, data: dict, views, events: list, *, at) -> None:
    for var, column in _TEXT_FIELDS.items():
        if data.get(var) is not None:
            setattr(complaint, column, str(data[var]))
    for var, column in _TIME_FIELDS.items():
        value = _instant(data.get(var))
        if value is not None:
            setattr(complaint, column, value)
    _track_deadlines(complaint)
    reopen_count = data.get("reopen_count")
    if isinstance(reopen_count, int) and reopen_count > (complaint.reopen_count or 0):
        events.append(("reopened", {"reopen_count": reopen_count}))
        complaint.reopen_count = reopen_count
        complaint.closed_at = None

    main_stages = [v.iso_stage for v in views if v.iso_stage and not v.escalation]
    closed = data.get("closed_at") is not None and not main_stages
    if closed and complaint.status != "closed":
        complaint.status, complaint.stage = "closed", 8
        outcome = data.get("closure_outcome")
        events.append(("closed", {"outcome": outcome} if outcome else {}))
    elif main_stages:
        complaint.stage = min(main_stages)
        complaint.status = "open"
    complaint.updated_at = at


def _track_deadlines(complaint: Complaint) -> None:
    """Keep the first round's due and notification (a reopen overwrites both) and any missed deadline."""
    if complaint.first_solution_due_at is None:
        complaint.first_solution_due_at = complaint.solution_due_at
    if complaint.first_decision_notified_at is None:
        complaint.first_decision_notified_at = complaint.decision_notified_at
    c = complaint
    late_ack = c.acknowledged_at and c.acknowledgement_due_at and c.acknowledged_at > c.acknowledgement_due_at
    late_decision = c.decision_notified_at and c.solution_due_at and c.decision_notified_at > c.solution_due_at
    if late_ack or late_decision:
        complaint.deadline_breached = True


def _message(complaint: Complaint, effect: dict, events: list, *, at) -> dict | None:
    """The outbox row for one `send_message` of the diagram (its audit event goes to `events`)."""
    kind = effect["kind"]
    payload = {key: effect["data"].get(key) for key in _PAYLOAD_KEYS if effect["data"].get(key) is not None}
    if not complaint.customer_email:
        events.append(("message_skipped", {"kind": kind, "reason": "no e-mail address on record"}))
        return None
    events.append(("message_queued", {"kind": kind}))
    return {"kind": kind, "recipient": complaint.customer_email,
            "payload_json": json.dumps(payload, ensure_ascii=False), "status": "pending", "attempts": 0,
            "next_attempt_at": at, "created_at": at}


def flag_failure(complaint_id: int, failure: ProcedureFailure, *, at: datetime, actor: str) -> ProcedureFailed:
    """After the failed step was rolled back: flag the complaint for the representative, in its own
    transaction, and return the error for the caller to raise."""
    reason = str(failure)[:500]
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is not None:
        complaint.attention_reason, complaint.attention_at = reason, at
        audit.record(complaint.id, "procedure_failed", actor=actor, at=at,
                     data={"element": failure.element, "kind": failure.kind, "detail": failure.detail[:300]})
        db.session.commit()
    return ProcedureFailed(failure.kind, failure.element, failure.name, failure.detail)
