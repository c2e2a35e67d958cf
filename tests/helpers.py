"""Walk complaints through the procedure via the services, with a controlled clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Complaint, HumanTask, OutboxMessage
from app.services.complaints import registration as complaints
from app.services.workflow import tasks, timers

IST = ZoneInfo("Europe/Istanbul")


def ist(*args) -> datetime:
    """An instant in Istanbul business time, e.g. ist(2026, 11, 25, 10, 0)."""
    return datetime(*args, tzinfo=IST)


def register(channel: str = "faks", at: datetime | None = None, origin: dict | None = None, **fields) -> Complaint:
    data = {
        "channel": channel,
        "customer_name": "Ayşe Yılmaz",
        "customer_phone": "+90 312 555 0101",
        "customer_email": "ayse@example.com.tr",
        "description": "İnternet bağlantım üç gündür sık sık kopuyor.",
    }
    data.update(fields)
    return complaints.register_complaint(data, actor="test", at=at or ist(2026, 11, 25, 10, 0), origin=origin)


def ready(complaint: Complaint) -> list[HumanTask]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id, HumanTask.state == "ready")
        .order_by(HumanTask.id)))


def ready_names(complaint: Complaint) -> list[str]:
    return sorted(t.spec_name for t in ready(complaint))


def task_named(complaint: Complaint, spec_name: str) -> HumanTask:
    matches = [t for t in ready(complaint) if t.spec_name == spec_name]
    assert matches, f"{spec_name} not ready; ready: {ready_names(complaint)}"
    assert len(matches) == 1, f"{spec_name} ready {len(matches)} times"
    return matches[0]


OVERRIDE_REASON = "Test: öncelik senaryo gereği seçildi."


def complete(complaint: Complaint, spec_name: str, data: dict, at: datetime, actor: str = "test") -> HumanTask:
    """Complete the ready task; a priority other than the decision table's suggestion gets a reason
    (the desk refuses an override without one; tests/test_decisions.py checks that)."""
    task = task_named(complaint, spec_name)
    return tasks.complete_task(task.id, with_override_reason(complaint, data), actor=actor, at=at)


def with_override_reason(complaint: Complaint, data: dict) -> dict:
    suggested = db.session.get(Complaint, complaint.id).suggested_priority
    if "priority" in data and suggested and data["priority"] != suggested and "priority_override_reason" not in data:
        return {**data, "priority_override_reason": OVERRIDE_REASON}
    return data


def fire(at: datetime) -> int:
    return timers.fire_due_timers(at=at)


def refreshed(complaint: Complaint) -> Complaint:
    db.session.expire_all()
    return db.session.get(Complaint, complaint.id)


def all_tasks(complaint: Complaint, spec_name: str) -> list[HumanTask]:
    db.session.expire_all()
    return list(db.session.scalars(
        sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id, HumanTask.spec_name == spec_name)))


def outbox_kinds(complaint: Complaint) -> list[str]:
    return [m.kind for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint.id).order_by(OutboxMessage.id))]


def audit_actions(complaint: Complaint) -> list[str]:
    return [e.action for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint.id).order_by(AuditEvent.seq))]


ACK = {"ack_method": "eposta"}
ANALYSIS = {"analysis_findings": "Hatta gürültü tespit edildi.", "proposed_solution": "Hat değişimi yapılacak."}
RESPONSE = {"root_cause_category": "network_infrastructure", "root_cause_analysis": "Santral kartı arızalı.",
            "solution": "Santral kartı değiştirildi, hattınız yeniden yapılandırıldı."}
ESCALATION = {"action_taken": "Ekip lideri bilgilendirildi, öncelik verildi."}


def classify(complaint: Complaint, priority: str, at: datetime) -> None:
    complete(complaint, "task_classify", {"priority": priority, "category": "connection"}, at)


def solve(complaint: Complaint, at: datetime) -> None:
    """Analysis, response and (e-mail) decision notification."""
    complete(complaint, "task_analyse", ANALYSIS, at)
    complete(complaint, "task_respond", RESPONSE, at)


def answer(complaint: Complaint, accepted: bool, at: datetime) -> None:
    data = {"answer": "accepted"} if accepted else {"answer": "rejected",
                                                     "rejection_reason": "Sorun devam ediyor."}
    complete(complaint, "task_customer_answer", data, at)
