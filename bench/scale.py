"""Scheduler at scale: a month of waiting deadlines with a long weekend's worth due at once, fired by two
scheduler processes; and the outbox sending a thousand messages to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def seed_waiting_timers(template_number: str, waiting: int, due: int, due_at: datetime, sweep_at: datetime,
                        month_end: datetime) -> None:
    """Copy one registered complaint (acknowledgement task open, its deadline armed) `waiting` times.

    Set-based, on PostgreSQL: each copy gets its own complaint row and fresh ids for every task of
    its state (the inbox keys rows by them); the first `due` copies are due at `due_at`, the rest
    spread between `sweep_at` (the sweep that is measured) and `month_end`. Copies are what
    registering them would store, minus history and inbox rows.
    """
    from app.extensions import db
    from app.models import ProcessInstance
    from app.services.complaints import registration as complaints

    template = complaints.get_by_number(template_number)
    state = db.session.get(ProcessInstance, template.instance_id).state_json
    guids = sorted(set(_UUID.findall(state)))
    fresh_state = "pi.state_json"
    for i in range(len(guids)):
        fresh_state = f"replace({fresh_state}, :g{i}, gen_random_uuid()::text)"
    spread = max((month_end - sweep_at).total_seconds() / max(waiting - due, 1), 1)
    db.session.execute(sa.text(f"""
        WITH copies AS (
            INSERT INTO process_instance (version_id, status, state_json, lock_version, next_timer_at,
                                          created_at, updated_at)
            SELECT pi.version_id, 'running', {fresh_state}, 1,
                   CASE WHEN g <= :due THEN :due_at
                        ELSE :sweep_at + (g - :due) * make_interval(secs => :spread) END,
                   pi.created_at, pi.updated_at
            FROM process_instance pi, generate_series(1, :waiting) AS g
            WHERE pi.id = :instance_id
            RETURNING id
        )
        INSERT INTO complaint (registration_number, instance_id, channel, customer_name, customer_phone,
                               customer_email, preferred_contact, description, stage, status, received_at,
                               acknowledgement_due_at, reopen_count, created_by, created_at, updated_at,
                               language, deadline_breached)
        SELECT 'TB-' || lpad(copies.id::text, 9, '0'), copies.id, c.channel, c.customer_name, c.customer_phone,
               c.customer_email, c.preferred_contact, c.description, c.stage, c.status, c.received_at,
               c.acknowledgement_due_at, 0, 'bench', c.created_at, c.updated_at, c.language, false
        FROM copies, complaint c WHERE c.id = :complaint_id
    """), {"due": due, "due_at": due_at, "sweep_at": sweep_at, "spread": spread, "waiting": waiting,
           "instance_id": template.instance_id, "complaint_id": template.id,
           **{f"g{i}": guid for i, guid in enumerate(guids)}})
    db.session.commit()


def fire_with_schedulers(url: str, at: datetime, schedulers: int = 2) -> float:
    """Start `schedulers` processes of `complaintflow timers fire` at once; seconds until all have finished."""
    executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-only-secret", "SCHEDULER_IN_PROCESS": "0"}
    started = time.perf_counter()
    processes = [subprocess.Popen([executable, "timers", "fire", "--now", at.isoformat()], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(schedulers)]
    for process in processes:
        out, err = process.communicate(timeout=1800)
        if process.returncode != 0:
            raise RuntimeError(f"a scheduler failed: {err[-2000:]}")
    return time.perf_counter() - started


def escalations_per_instance(first_copy_id: int) -> tuple[int, int, int]:
    """(copies escalated, copies escalated more than once, escalation rows) among the seeded copies."""
    from app.extensions import db

    row = db.session.execute(sa.text("""
        SELECT count(*) AS escalated, count(*) FILTER (WHERE n > 1) AS doubled, COALESCE(sum(n), 0) AS total
        FROM (SELECT instance_id, count(*) AS n FROM human_task
              WHERE spec_name = 'task_ack_escalation' AND instance_id >= :first GROUP BY instance_id) per
    """), {"first": first_copy_id}).one()
    db.session.rollback()
    return row.escalated, row.doubled, row.total


class CountingCollector:
    """aiosmtpd handler that keeps each message's Message-ID and counts the connections it was sent on."""

    def __init__(self):
        self.message_ids: list[str] = []
        self.connections: set = set()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        from email import message_from_bytes
        from email.policy import default

        self.connections.add(session.peer)
        self.message_ids.append(message_from_bytes(envelope.original_content, policy=default)["Message-ID"])
        return "250 Message accepted for delivery"


def outbox_to_smtp(app, count: int, at: datetime) -> dict:
    """Queue `count` acknowledgement messages on registered complaints and deliver them to aiosmtpd."""
    from aiosmtpd.controller import Controller

    from app.extensions import db
    from app.models import Complaint, OutboxMessage
    from app.services.mail import outbox

    from .http import _free_port

    complaint_rows = db.session.execute(
        sa.select(Complaint.id, Complaint.customer_email).where(Complaint.customer_email.isnot(None))
        .order_by(Complaint.id).limit(count)).all()
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.status == "pending").values(status="failed"))
    db.session.execute(sa.insert(OutboxMessage), [
        {"complaint_id": row.id, "kind": "acknowledgement", "recipient": row.customer_email, "payload_json": "{}",
         "status": "pending", "attempts": 0, "next_attempt_at": at, "created_at": at} for row in complaint_rows])
    db.session.commit()

    collector = CountingCollector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_SSL", "SMTP_USER")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_SSL=False, SMTP_USER=None)
    try:
        started = time.perf_counter()
        report = outbox.deliver_pending(at=at, limit=100)
        elapsed = time.perf_counter() - started
    finally:
        app.config.update(saved)
        controller.stop()
    sent_rows = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.status == "sent", OutboxMessage.sent_at == at))
    db.session.rollback()
    return {"queued": len(complaint_rows), "sent": report.sent, "received": len(collector.message_ids),
            "distinct": len(set(collector.message_ids)), "connections": len(collector.connections),
            "sent_rows": sent_rows, "seconds": elapsed}


def long_weekend(start: datetime) -> tuple[datetime, datetime]:
    """(the Friday evening the deadlines fell due, the Tuesday morning the scheduler comes back)."""
    friday = start + timedelta(days=(4 - start.weekday()) % 7)
    due_at = friday.replace(hour=18, minute=0, second=0, microsecond=0)
    return due_at, due_at + timedelta(days=3, hours=15)


def incident_resolution(count: int, at: datetime) -> dict:
    """An outage: `count` complaints waiting in analysis, linked to one incident, resolved once (timed)."""
    from app.extensions import db
    from app.models import HumanTask
    from app.services.complaints import incidents
    from app.services.complaints import registration as complaints
    from app.services.workflow import tasks

    numbers = []
    for i in range(count):
        complaint = complaints.register_complaint(
            {"channel": "telefon", "customer_name": f"Arıza {i}", "customer_phone": "+90 312 555 0101",
             "customer_email": f"ariza{i}@example.com.tr", "preferred_contact": "telefon" if i % 4 == 0 else "eposta",
             "description": "Moda'da fiber internet kesintisi var."}, actor="bench", at=at)
        task_id = db.session.scalar(sa.select(HumanTask.id).where(
            HumanTask.complaint_id == complaint.id, HumanTask.state == "ready", HumanTask.spec_name == "task_classify"))
        numbers.append(complaint.registration_number)
        tasks.complete_task(task_id, {"priority": "normal", "category": "connection",
                                     "priority_override_reason": "bench"}, actor="bench", at=at)
        db.session.expunge_all()
    incident = incidents.open_incident(incidents.IncidentForm(
        "Moda fiber kesintisi", "connection", "Moda", "", at, "Moda fiber kesintisi"), actor="bench", at=at)
    linked = incidents.link(incident.id, numbers, how="bulk", actor="bench", at=at)
    started = time.perf_counter()
    outcome = incidents.resolve(incident.id, incidents.Resolution("network_infrastructure", "Kablo kesildi.",
                                                                  "Kablo onarıldı."), actor="bench", at=at)
    elapsed = time.perf_counter() - started
    return {"linked": len(linked.linked), "applied": len(outcome.applied), "failed": len(outcome.failed),
            "processes": outcome.processes, "seconds": elapsed}


def seed_open_tasks(count: int, at: datetime, user_id: int, lanes: dict[str, float], at_risk: float = 0.03,
                    assigned: float = 0.02, undated: float = 0.05) -> None:
    """`count` open complaints, each with one open inbox task, written set-based (no workflow run): the
    inbox population at scale. Lanes drawn by weight; a share at risk, assigned to `user_id`, or without a
    deadline; deadlines spread over the next three weeks."""
    import random
    import uuid

    from app.extensions import db
    from app.models import Complaint, HumanTask, ProcessInstance

    rng = random.Random(2026)
    instance_id = db.session.scalar(sa.select(ProcessInstance.id).order_by(ProcessInstance.id).limit(1))
    first = (db.session.scalar(sa.select(sa.func.max(Complaint.id))) or 0) + 1
    names, weights = list(lanes), list(lanes.values())
    for start in range(0, count, 10_000):
        ids = range(first + start, first + min(start + 10_000, count))
        db.session.execute(sa.insert(Complaint), [
            {"id": i, "registration_number": f"TI-{i:09d}", "channel": rng.choice(("faks", "telefon", "eposta")),
             "customer_name": f"Müşteri {i}", "customer_email": f"m{i}@example.com.tr", "preferred_contact": "eposta",
             "description": "Bağlantı kopuyor.", "stage": 2, "status": "open", "received_at": at,
             "priority": rng.choice(("high", "normal", "normal", "low")), "reopen_count": 0, "created_by": "bench",
             "created_at": at, "updated_at": at, "language": "tr", "deadline_breached": False,
             **({"risk_status": "at_risk", "risk_needed_hours": 12.0, "risk_left_hours": 4.0}
                if rng.random() < at_risk else {"risk_status": None, "risk_needed_hours": None,
                                                "risk_left_hours": None})} for i in ids])
        db.session.execute(sa.insert(HumanTask), [
            {"instance_id": instance_id, "complaint_id": i, "task_guid": str(uuid.uuid4()), "spec_name": "task_bench",
             "name": "Bench görevi", "lane": rng.choices(names, weights)[0], "state": "ready",
             "due_at": None if rng.random() < undated else at + timedelta(minutes=rng.randrange(30 * 24 * 21)),
             "assignee_id": user_id if rng.random() < assigned else None,
             "created_at": at + timedelta(seconds=i)} for i in ids])
    db.session.commit()
