"""KVKK anonymisation: remove a complaint's personal data and free text, keep its figures and a valid audit chain.

What goes: the customer's name, phone, e-mail, subscription number, subject, description, the
solution text, notes, e-mails received, survey comments, message recipients and payloads, attachment files (and
their names), the quarantined source mail reference, and every free-text value inside the workflow
state and the audit data. Which workflow values are free text is read from the version's forms: a
string field without `enum`/`const`/`oneOf`/`format` is free text; an enumerated or dated one
(priority, category, root cause, answer, deadlines) is a figure and stays. Dates, stages, priorities,
channels and counters stay, so the ISO 10002 figures do not change.

The audit chain. Each event's hash covers its data, so replacing personal values would break
`audit verify`. We re-chain: the redacted events keep their identity, time, actor and action; their
hashes are recomputed in order, and an `anonymised` event is appended whose data records the previous
head hash and sequence, how many events were redacted, and why. The chain verifies afterwards, and
the marker says exactly when and why the history was rewritten. On PostgreSQL the append-only
trigger allows this one kind of UPDATE in a transaction that sets `complaintflow.kvkk_redaction`.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    Attachment,
    AuditEvent,
    Complaint,
    ComplaintNote,
    MailMessage,
    OutboxMessage,
    ProcessVersion,
    SurveyResponse,
)
from app.services import audit, context
from app.services.procedure import versions

REDACTED = "[anonimleştirildi]"
ACTOR = "system:kvkk"
# Values inside the workflow state that are personal whatever the forms say.
PERSONAL_KEYS = frozenset({"customer_name", "customer_email", "customer_phone", "subscription_number",
                           "description", "subject", "recipient", "body", "comment", "text", "filename"})
# Keys the engine uses for structure: never treated as free text even if a form reuses the name.
_STRUCTURAL = frozenset({"typename", "task_spec", "state", "id", "parent", "children", "name"})
# Audit data keys whose string values are identifiers or codes, not free text.
_AUDIT_KEEP = frozenset({"task", "spec", "form", "kind", "channel", "escalation", "process_version", "sha256",
                         "content_type", "to", "from", "message_id", "next_timer_at", "cancelled_tasks",
                         "from_version", "to_version"})
# Audit actions whose data came from the customer: every string in them goes.
_CUSTOMER_ACTIONS = frozenset({"customer_message", "attachment_rejected"})


def free_text_keys(forms: dict[str, dict]) -> set[str]:
    """Form fields holding free text: strings that are neither enumerated nor formatted."""
    keys = set(PERSONAL_KEYS)
    for schema in forms.values():
        for name, prop in (schema.get("properties") or {}).items():
            types = prop.get("type")
            is_string = types == "string" or (isinstance(types, list) and "string" in types)
            enumerated = any(k in prop for k in ("enum", "const", "oneOf", "anyOf", "format"))
            if is_string and not enumerated:
                keys.add(name)
    return keys - _STRUCTURAL


def all_free_text_keys() -> set[str]:
    """Over every version's forms: an instance may have been migrated between versions."""
    keys = set(PERSONAL_KEYS)
    for version in db.session.scalars(sa.select(ProcessVersion)):
        keys |= free_text_keys(versions.forms_for(version))
    return keys


def redact_values(value, keys: set[str]):
    """Replace string values stored under `keys` anywhere in a JSON value; structure is kept."""
    if isinstance(value, dict):
        return {k: (REDACTED if k in keys and isinstance(v, str) and v else redact_values(v, keys))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact_values(v, keys) for v in value]
    return value


def _redact_audit_data(action: str, data: dict, keys: set[str]) -> dict:
    keep = frozenset() if action in _CUSTOMER_ACTIONS else _AUDIT_KEEP

    def walk(v, key: str | None):
        if isinstance(v, dict):
            if key == "data":  # a task's form answers: the forms say what is free text
                return redact_values(v, keys)
            return {k: walk(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x, key) for x in v]
        if isinstance(v, str) and v and key not in keep:
            return REDACTED
        return v

    return walk(data, None)


def _dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _allow_audit_redaction() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT set_config('complaintflow.kvkk_redaction', 'on', true)"))


def _rechain_audit(complaint_id: int, keys: set[str], *, reason: str, at: datetime) -> None:
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == complaint_id)
                                     .order_by(AuditEvent.seq)))
    head_seq, head_hash = (events[-1].seq, events[-1].hash) if events else (0, None)
    redacted, prev_hash = 0, None
    _allow_audit_redaction()
    for event in events:
        new_json = _dump(_redact_audit_data(event.action, json.loads(event.data_json or "{}"), keys))
        if new_json != event.data_json:
            redacted += 1
            event.data_json = new_json
        event.prev_hash = prev_hash
        event.hash = audit.event_hash(prev_hash, complaint_id, event.seq, event.at, event.actor, event.action,
                                      event.data_json)
        prev_hash = event.hash
    db.session.flush()
    db.session.info.setdefault("audit_chain_tail", {})[complaint_id] = (head_seq, prev_hash)
    audit.record(complaint_id, "anonymised", actor=ACTOR, at=at, data={
        "reason": reason, "rechained_events": len(events), "redacted_events": redacted,
        "previous_head_seq": head_seq or None, "previous_head_hash": head_hash})


def _attachment_dir(complaint_id: int) -> Path:
    return Path(current_app.config["ATTACHMENT_DIR"]).resolve() / str(complaint_id)


def anonymise_complaint(complaint: Complaint, *, reason: str, at: datetime | None = None) -> bool:
    """Anonymise one complaint in one transaction; False if it already was (its files are re-checked)."""
    at = context.utc(at)
    folder = _attachment_dir(complaint.id)
    if complaint.anonymised_at is not None:
        shutil.rmtree(folder, ignore_errors=True)
        return False
    try:
        keys = all_free_text_keys()
        _clear_complaint(complaint, at)
        if complaint.instance is not None:
            state = json.loads(complaint.instance.state_json or "{}")
            complaint.instance.state_json = json.dumps(redact_values(state, keys))
        _clear_related(complaint.id, keys)
        _rechain_audit(complaint.id, keys, reason=reason, at=at)
        db.session.flush()
        # Files go before the commit: if the commit then fails the job retries; personal data never stays.
        shutil.rmtree(folder, ignore_errors=True)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def _clear_complaint(c: Complaint, at: datetime) -> None:
    c.customer_name, c.description = REDACTED, REDACTED
    c.customer_email = c.customer_phone = c.subscription_number = c.subject = None
    c.source_message_id = None
    c.idempotency_fingerprint = None  # a hash of the personal data the request carried
    if c.solution:
        c.solution = REDACTED
    c.anonymised_at = at


def _clear_related(complaint_id: int, keys: set[str]) -> None:
    db.session.execute(sa.update(ComplaintNote).where(ComplaintNote.complaint_id == complaint_id)
                       .values(body=REDACTED))
    db.session.execute(sa.update(Attachment).where(Attachment.complaint_id == complaint_id)
                       .values(original_filename=REDACTED))
    quarantine = Path(current_app.config["MAIL_QUARANTINE_DIR"])
    for held_as in db.session.scalars(sa.select(MailMessage.held_as).where(
            MailMessage.complaint_id == complaint_id, MailMessage.held_as.is_not(None))):
        for path in (quarantine / held_as, (quarantine / held_as).with_suffix(".reason")):
            path.unlink(missing_ok=True)
    db.session.execute(sa.update(MailMessage).where(MailMessage.complaint_id == complaint_id)
                       .values(sender=REDACTED, sender_name=REDACTED, subject=REDACTED, text=REDACTED,
                               message_id=None, held_attachments_json="[]", held_as=None))
    db.session.execute(sa.update(SurveyResponse).where(SurveyResponse.complaint_id == complaint_id)
                       .values(comment=None))
    for message in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.complaint_id == complaint_id)):
        message.recipient = REDACTED
        if message.status == "pending":  # nobody to send it to any more
            message.status = "cancelled"
        message.last_error = None
        message.payload_json = json.dumps(redact_values(json.loads(message.payload_json or "{}"),
                                                        keys | {"solution"}), ensure_ascii=False)
