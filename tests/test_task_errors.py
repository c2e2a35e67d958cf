"""Refused completions change nothing: completed twice, stale version, data the form rejects."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, HumanTask, ProcessInstance
from app.services.errors import StaleData, TaskAlreadyCompleted, ValidationFailed
from app.services.workflow import tasks

from .helpers import ACK, ist, ready_names, refreshed, register, task_named

pytestmark = pytest.mark.usefixtures("live_version")


def _snapshot(complaint):
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, complaint.instance_id)
    return (
        instance.lock_version,
        instance.state_json,
        sorted((t.spec_name, t.state) for t in db.session.scalars(
            sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id))),
        db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                          .where(AuditEvent.complaint_id == complaint.id)),
    )


def test_a_task_completed_twice_says_who_completed_it_and_when():
    complaint = register("faks", at=ist(2026, 11, 25, 10, 0))
    task = task_named(complaint, "task_acknowledge")
    tasks.complete_task(task.id, ACK, actor="zeynep", at=ist(2026, 11, 25, 10, 30))
    before = _snapshot(complaint)

    with pytest.raises(TaskAlreadyCompleted) as refused:
        tasks.complete_task(task.id, ACK, actor="mehmet", at=ist(2026, 11, 25, 10, 31))

    assert refused.value.by == "zeynep"
    assert refused.value.at == ist(2026, 11, 25, 10, 30)
    assert "zeynep" in str(refused.value)
    assert _snapshot(complaint) == before


def test_a_stale_version_is_refused_and_nothing_changes():
    complaint = register("faks", at=ist(2026, 11, 25, 10, 0))
    opened_at_version = refreshed(complaint).instance.lock_version
    # The complaint moves on after the form was opened: the deadline passes, an escalation is raised.
    from .helpers import fire

    fire(ist(2026, 11, 25, 18, 30))
    before = _snapshot(complaint)
    task = task_named(complaint, "task_acknowledge")

    with pytest.raises(StaleData) as refused:
        tasks.complete_task(task.id, ACK, actor="zeynep", expected_version=opened_at_version,
                            at=ist(2026, 11, 25, 18, 31))
    assert refused.value.current > opened_at_version
    assert _snapshot(complaint) == before

    current = refreshed(complaint).instance.lock_version
    tasks.complete_task(task.id, ACK, actor="zeynep", expected_version=current, at=ist(2026, 11, 25, 18, 32))
    assert "task_classify" in ready_names(complaint)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "ack_method"),
        ({"ack_method": "guvercin"}, "ack_method"),
        ({"ack_method": "eposta", "ack_note": "x" * 5000}, "ack_note"),
        ({"ack_method": "eposta", "unexpected": 1}, ""),
    ],
)
def test_data_the_form_rejects_gives_field_messages_and_changes_nothing(data, field):
    complaint = register("faks", at=ist(2026, 11, 25, 10, 0))
    before = _snapshot(complaint)
    task = task_named(complaint, "task_acknowledge")

    with pytest.raises(ValidationFailed) as refused:
        tasks.complete_task(task.id, data, actor="zeynep", at=ist(2026, 11, 25, 10, 30))

    assert field in refused.value.errors
    assert refused.value.errors[field]
    assert _snapshot(complaint) == before


def test_a_rejection_needs_a_reason():
    from .helpers import classify, solve

    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    classify(complaint, "high", ist(2026, 11, 25, 11, 0))
    solve(complaint, ist(2026, 11, 25, 12, 0))
    task = task_named(complaint, "task_customer_answer")
    with pytest.raises(ValidationFailed) as refused:
        tasks.complete_task(task.id, {"answer": "rejected"}, actor="customer", at=ist(2026, 11, 25, 13, 0))
    assert "rejection_reason" in refused.value.errors


def test_intake_validation_names_each_bad_field():
    from app.services.complaints import registration as complaints

    with pytest.raises(ValidationFailed) as refused:
        complaints.register_complaint({"channel": "güvercin", "customer_email": "not-an-address"}, actor="t")
    assert set(refused.value.errors) >= {"channel", "customer_name", "description", "customer_email"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 0


def test_the_same_idempotency_key_registers_one_complaint():
    from app.services.complaints import registration as complaints

    fields = {"channel": "web", "customer_name": "Ali Veli", "customer_email": "ali@example.com",
              "description": "Fatura yanlış."}
    first = complaints.register_complaint(fields, actor="portal", idempotency_key="k-1")
    second = complaints.register_complaint(fields, actor="portal", idempotency_key="k-1")
    assert first.registration_number == second.registration_number
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)) == 1
