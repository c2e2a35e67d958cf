"""Deliver the outbox over SMTP after commit: claimed, retried with exponential backoff, sent once.

Status: pending → sending → sent, or back to pending (with `next_attempt_at` pushed out) after a
temporary failure, or → failed after OUTBOX_MAX_ATTEMPTS or a permanent (5xx) refusal.

Claiming is a compare-and-set UPDATE on (status, attempts) in a short transaction of its own,
committed before any SMTP traffic, so two sweeps at once never both send a message. On PostgreSQL
the candidates are also locked `FOR UPDATE SKIP LOCKED` so the sweeps do not wait on each other.
While a row is 'sending', `next_attempt_at` is its lease: if the sender dies mid-send, the row is
claimed again once the lease ends (the customer may then get a duplicate with the same Message-ID,
the one unavoidable case of at-least-once delivery).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Complaint, OutboxMessage
from app.services import audit, context
from app.services.errors import MailNotConfigured, NotFound
from app.services.mail import compose as mail_compose
from app.services.mail.transport import SmtpTransport

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)
MAX_BACKOFF = timedelta(hours=6)
OUTBOX_ACTOR = "system:outbox"


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # claimed by someone else after our lease ran out

    def add(self, outcome: str) -> None:
        name = {SENT: "sent", PENDING: "retrying", FAILED: "failed"}[outcome]
        setattr(self, name, getattr(self, name) + 1)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"


def backoff(attempts: int) -> timedelta:
    """Wait before attempt n+1: base, 2×base, 4×base, … capped at six hours."""
    base = current_app.config["OUTBOX_BACKOFF_SECONDS"]
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _cas(message_id: int, seen_status: str, seen_attempts: int, /, **values) -> bool:
    """Change a row only if it is still in the state we saw; True if we won."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == seen_status,
               OutboxMessage.attempts == seen_attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_due(at: datetime, limit: int = 50) -> list[tuple[int, int]]:
    """Claim up to `limit` due messages (pending, or sending with an expired lease): [(id, attempt)]."""
    at = context.utc(at)
    lease_until = at + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    query = (
        sa.select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
        .where(OutboxMessage.status.in_((PENDING, SENDING)), OutboxMessage.next_attempt_at <= at)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed = []
    try:
        for row in db.session.execute(query).all():
            if _cas(row.id, row.status, row.attempts, status=SENDING, attempts=row.attempts + 1,
                    next_attempt_at=lease_until):
                claimed.append((row.id, row.attempts + 1))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return claimed


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _send_one(message_id: int, attempt: int, transport: SmtpTransport, at: datetime, report: DeliveryReport):
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or (message.status, message.attempts) != (SENDING, attempt):
        db.session.rollback()
        report.lost += 1  # our lease ran out and another sweep has it now
        return
    complaint = db.session.get(Complaint, message.complaint_id)
    message_id_header = mail_compose.message_id_for(message, complaint)
    kind, complaint_id, recipient = message.kind, complaint.id, message.recipient
    error: Exception | None = None
    try:
        mail = mail_compose.compose(message, complaint, at)
        db.session.rollback()  # read-only so far; do not hold a transaction during SMTP
        transport.send(mail, mail_compose.sender_address(), recipient)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row and retried
        db.session.rollback()
        error = exc

    if error is None:
        won = _cas(message_id, SENDING, attempt, status=SENT, sent_at=at, last_error=None,
                   message_id=message_id_header)
        action, outcome = "message_sent", SENT
    else:
        permanent = _is_permanent(error) or attempt >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
        outcome = FAILED if permanent else PENDING
        won = _cas(message_id, SENDING, attempt, status=outcome, last_error=f"{type(error).__name__}: {error}"[:2000],
                   next_attempt_at=at if permanent else at + backoff(attempt), message_id=message_id_header)
        action = "message_failed" if permanent else None
        # The error text can name the recipient (SMTP refusals do): log its class only (KVKK).
        log.warning("outbox message %s attempt %s failed: %s", message_id, attempt, type(error).__name__)
    db.session.commit()
    if not won:
        report.lost += 1
        return
    report.add(outcome)
    if action:
        _note(complaint_id, action, at, {"kind": kind, "message_id": message_id_header, "attempts": attempt,
                                         **({"error": str(error)[:500]} if error else {})})


def _note(complaint_id: int, action: str, at: datetime, data: dict) -> None:
    """History entry for staff, after the fact: losing it must never cause a second send."""
    try:
        audit.record(complaint_id, action, actor=OUTBOX_ACTOR, at=at, data=data)
        db.session.commit()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("could not record %s for complaint %s", action, complaint_id)


def deliver_pending(at: datetime | None = None, limit: int = 50, transport: SmtpTransport | None = None
                    ) -> DeliveryReport:
    """Send every message due at `at` (default now); safe to run in several processes at once."""
    at = context.utc(at)
    report = DeliveryReport()
    if transport is None and not current_app.config.get("SMTP_HOST"):
        raise MailNotConfigured("SMTP_HOST is not set (environment or the settings file "
                                "instance/complaintflow.env): customer mail waits in the outbox")
    transport = transport or SmtpTransport()
    try:
        while claimed := claim_due(at, limit):
            for message_id, attempt in claimed:
                _send_one(message_id, attempt, transport, at, report)
    finally:
        transport.close()
    return report


def list_messages(status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


def requeue(message_id: int, *, actor: str, at: datetime | None = None) -> OutboxMessage:
    """Give a failed message a fresh set of attempts (after staff fixed the address, say)."""
    at = context.utc(at)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message {message_id}")
    if message.status == FAILED and _cas(message.id, FAILED, message.attempts, status=PENDING, attempts=0,
                                         next_attempt_at=at):
        audit.record(message.complaint_id, "message_requeued", actor=actor, at=at, data={"kind": message.kind})
    db.session.commit()
    db.session.refresh(message)
    return message
