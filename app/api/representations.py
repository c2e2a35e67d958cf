"""JSON shapes of API resources (the OpenAPI document's schemas describe exactly these)."""

from __future__ import annotations

from datetime import date, datetime

from ..models import Complaint, ComplaintNote, HumanTask, ProcessVersion


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _plain(value):
    """Timeline data as JSON: instants become ISO strings, everything else stays as stored."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def complaint_summary(c: Complaint) -> dict:
    return {
        "registration_number": c.registration_number, "status": c.status, "stage": c.stage,
        "kind": c.kind, "channel": c.channel, "priority": c.priority, "category": c.category,
        "customer_name": c.customer_name, "subject": c.subject,
        "received_at": _iso(c.received_at), "solution_due_at": _iso(c.solution_due_at),
        "closed_at": _iso(c.closed_at), "reopen_count": c.reopen_count,
    }


def complaint_detail(c: Complaint, timeline, open_tasks: list[HumanTask], version: int | None) -> dict:
    return {
        **complaint_summary(c),
        "version": version,
        "customer": {"name": c.customer_name, "email": c.customer_email, "phone": c.customer_phone,
                     "subscription_number": c.subscription_number, "preferred_contact": c.preferred_contact},
        "description": c.description, "root_cause_category": c.root_cause_category, "solution": c.solution,
        "acknowledgement_due_at": _iso(c.acknowledgement_due_at), "acknowledged_at": _iso(c.acknowledged_at),
        "decision_notified_at": _iso(c.decision_notified_at), "anonymised_at": _iso(c.anonymised_at),
        "open_tasks": [task_json(t) for t in open_tasks],
        # An audit event's data was parsed from its stored JSON and is plain already (after twenty
        # reopens a timeline has a few hundred events: walking each again was a third of the look-up).
        "timeline": [{"at": _iso(e.at), "actor": e.actor, "kind": e.kind, "action": e.action,
                      "data": e.data if e.kind == "event" else _plain(e.data)} for e in timeline],
    }


def task_json(t: HumanTask) -> dict:
    return {
        "id": t.id, "registration_number": t.complaint.registration_number, "name": t.name,
        "spec_name": t.spec_name, "form": t.form, "lane": t.lane, "iso_stage": t.iso_stage,
        "escalation": t.escalation, "state": t.state, "due_at": _iso(t.due_at),
        "assignee": t.assignee.username if t.assignee else None, "claimed_at": _iso(t.claimed_at),
        "completed_at": _iso(t.completed_at), "completed_by": t.completed_by,
    }


def note_json(n: ComplaintNote) -> dict:
    return {"id": n.id, "author": n.author, "body": n.body, "created_at": _iso(n.created_at)}


def version_json(v: ProcessVersion) -> dict:
    return {"number": v.number, "process_id": v.process_id, "content_hash": v.content_hash, "is_live": v.is_live,
            "author": v.author, "comment": v.comment, "created_at": _iso(v.created_at),
            "deployed_at": _iso(v.deployed_at)}
