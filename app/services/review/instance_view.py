"""Everything the review page shows about one complaint, read from rows (the workflow is not loaded).

The diagram markers come from the inbox rows: which BPMN tasks were done (and how often, for reopened
complaints), which are active, which finished after their due time, and which escalations were raised
(the page's script marks the boundary timer behind each escalation as a breached deadline).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from lxml import etree

from app.bilingual import english_drawing, is_english
from app.engine import ProcessDefinitionError, safe_tree
from app.extensions import db
from app.models import AuditEvent, Complaint, HumanTask, OutboxMessage, ProcessVersion, SurveyResponse
from app.services import context


@dataclass
class Deadline:
    label: str
    due: datetime | None
    done: datetime | None
    state: str  # met | missed | open | overdue


@dataclass
class InstanceView:
    complaint: Complaint
    version: ProcessVersion | None
    instance_status: str | None
    events: list[dict] = field(default_factory=list)
    tasks: list[HumanTask] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    messages: list[OutboxMessage] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)
    survey: SurveyResponse | None = None
    markers: dict = field(default_factory=dict)


def _deadline(label: str, due: datetime | None, done: datetime | None, now: datetime) -> Deadline:
    if done is not None:
        state = "met" if due is None or done <= due else "missed"
    else:
        state = "overdue" if due is not None and due < now else "open"
    return Deadline(label, due, done, state)


def instance_view(complaint: Complaint, *, now: datetime | None = None) -> InstanceView:
    now = context.utc(now)
    instance = complaint.instance
    view = InstanceView(complaint=complaint, version=instance.version if instance else None,
                        instance_status=instance.status if instance else None)
    for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id)
                                .order_by(AuditEvent.seq)):
        data = json.loads(e.data_json or "{}")
        view.events.append({"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "data": data,
                            "hash": e.hash[:12]})
        if e.action == "task_completed" and data.get("form") == "customer_answer":
            view.answers.append({"at": e.at, "actor": e.actor, **(data.get("data") or {})})
    view.tasks = list(db.session.scalars(sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id)
                                         .order_by(HumanTask.created_at, HumanTask.id)))
    view.messages = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id)
                                            .order_by(OutboxMessage.created_at, OutboxMessage.id)))
    view.survey = db.session.scalar(sa.select(SurveyResponse).where(SurveyResponse.complaint_id == complaint.id))
    reopened_at = max((e["at"] for e in view.events if e["action"] == "reopened"), default=None)
    view.deadlines = _deadlines(complaint, view.tasks, reopened_at, now)
    view.markers = _markers(view.tasks, now)
    return view


def _deadlines(c: Complaint, tasks: list[HumanTask], reopened_at: datetime | None, now: datetime) -> list[Deadline]:
    rows = [_deadline("acknowledgement", c.acknowledgement_due_at, c.acknowledged_at, now)]
    if c.first_solution_due_at:
        rows.append(_deadline("first_solution", c.first_solution_due_at, c.first_decision_notified_at, now))
    if reopened_at is not None and c.solution_due_at:
        notified = c.decision_notified_at
        current = notified if notified is not None and notified >= reopened_at else None
        rows.append(_deadline("current_solution", c.solution_due_at, current, now))
    rows += [_deadline(t.name, t.due_at, t.completed_at if t.state == "completed" else None, now)
             for t in tasks if t.due_at is not None and t.state != "cancelled"]
    return rows


def _markers(tasks: list[HumanTask], now: datetime) -> dict:
    done = Counter(t.spec_name for t in tasks if t.state == "completed")
    late = {t.spec_name for t in tasks if t.due_at is not None and (
        (t.state == "completed" and t.completed_at > t.due_at) or (t.state == "ready" and t.due_at < now))}
    return {
        "completed": dict(done),
        "active": sorted({t.spec_name for t in tasks if t.state == "ready"}),
        "late": sorted(late),
        "escalations": sorted({t.spec_name for t in tasks if t.escalation in ("acknowledgement", "solution_deadline")}),
    }


def version_xml(number: int, locale=None) -> str | None:
    """The BPMN of one process version (each complaint is drawn with the version it runs on); for an
    English reader its steps carry their English names (`name_en`) where the diagram has them."""
    xml = db.session.scalar(sa.select(ProcessVersion.bpmn_xml).where(ProcessVersion.number == number))
    if xml is None or not is_english(locale):
        return xml
    try:
        tree = safe_tree(xml)
    except ProcessDefinitionError:
        return xml
    english_drawing(tree)
    return etree.tostring(tree, encoding="unicode")


def live_version_number() -> int | None:
    return db.session.scalar(sa.select(ProcessVersion.number).where(ProcessVersion.is_live))
