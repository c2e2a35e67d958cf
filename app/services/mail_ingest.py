"""The e-mail channel: a new message opens a complaint, a reply joins its complaint's history.

A reply is recognised by a registration number in its Subject, In-Reply-To or References (our
Message-IDs carry the number). When the complaint waits for the customer's answer and the reply,
from the address on record, clearly opens with an accept or reject word, it is recorded as their
answer. Nothing is dropped: what cannot be processed is written to MAIL_QUARANTINE_DIR with a
`.reason` file beside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import AuditEvent, Complaint
from . import audit, casefile, complaints, context, customer, links
from .errors import ServiceError, ValidationFailed
from .mail_parse import InboundMail, MailPart, Unreadable, answer_in, parse, reply_text

log = logging.getLogger(__name__)
MAIL_ACTOR = "system:mail"
MAX_DESCRIPTION = 10000


@dataclass
class IngestResult:
    outcome: str  # created, duplicate, appended, answered, quarantined
    number: str | None = None
    reason: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        return " ".join(str(x) for x in (self.outcome, self.number, self.reason, self.path) if x)


def quarantine(raw: bytes, reason: str, *, source: str, at: datetime | None = None) -> Path:
    """Keep the message byte for byte, with why, where an operator can look and replay it."""
    at = context.utc(at)
    folder = Path(current_app.config["MAIL_QUARANTINE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{at:%Y%m%dT%H%M%S}-{hashlib.sha256(raw).hexdigest()[:16]}"
    target = folder / f"{stem}.eml"
    tmp = folder / f".{stem}.tmp"
    tmp.write_bytes(raw)
    os.replace(tmp, target)
    (folder / f"{stem}.reason").write_text(
        f"reason: {reason}\nsource: {source}\nat: {at.isoformat()}\nsize: {len(raw)}\n", encoding="utf-8")
    # The reason can list attachment names (customer data); the log gets its first clause only.
    log.warning("quarantined mail from %s: %s", source, reason.split(":")[0])
    return target


def _number_pattern() -> re.Pattern:
    prefix = re.escape(current_app.config["REGISTRATION_PREFIX"])
    return re.compile(rf"\b{prefix}-\d{{4}}-\d{{6}}\b", re.IGNORECASE)


def _existing_complaint(mail: InboundMail) -> Complaint | None:
    pattern = _number_pattern()
    for haystack in (mail.subject, mail.thread_headers):
        for number in pattern.findall(haystack):
            found = db.session.scalar(sa.select(Complaint).where(Complaint.registration_number == number.upper()))
            if found is not None:
                return found
    return None


def _idempotency_key(mail: InboundMail, raw: bytes) -> str:
    seed = mail.message_id or hashlib.sha256(raw).hexdigest()
    return "mail:" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:40]


def _keep_attachments(complaint: Complaint, parts: list[MailPart], raw: bytes, *, source: str,
                      at: datetime) -> list[str]:
    """Store what the attachment rules accept; note the rest and keep the whole message aside."""
    uploads, refused = [], []
    for part in parts:
        try:
            uploads.append(casefile.check_upload(part.filename, io.BytesIO(part.content)))
        except ValidationFailed as exc:
            refused.append({"filename": part.filename, "content_type": part.content_type,
                            "reason": exc.errors.get("attachments", str(exc))})
    if uploads:
        casefile.store_attachments(complaint.id, uploads, actor=MAIL_ACTOR, at=at)
    if refused:
        kept = quarantine(raw, f"attachments not accepted for {complaint.registration_number}: "
                          + "; ".join(r["filename"] for r in refused), source=source, at=at)
        for item in refused:
            audit.record(complaint.id, "attachment_rejected", actor=MAIL_ACTOR, at=at,
                         data={**item, "kept_as": kept.name})
        db.session.commit()
    return [r["filename"] for r in refused]


def _open_complaint(mail: InboundMail, raw: bytes, *, source: str, at: datetime) -> IngestResult:
    key = _idempotency_key(mail, raw)
    existing = db.session.scalar(sa.select(Complaint).where(Complaint.idempotency_key == key))
    if existing is not None:
        return IngestResult("duplicate", existing.registration_number)
    text = mail.text or mail.subject or "(boş ileti)"
    parts = list(mail.attachments)
    if len(text) > MAX_DESCRIPTION:
        parts.append(MailPart("ileti.txt", "text/plain", text.encode("utf-8")))
        text = text[: MAX_DESCRIPTION - 20].rstrip() + "\n… (kısaltıldı)"
    fields = {
        "channel": "eposta",
        "customer_name": (mail.from_name or mail.from_address.split("@")[0])[:200],
        "customer_email": mail.from_address,
        "preferred_contact": "eposta",
        "subject": mail.subject[:200] or None,
        "description": text,
    }
    try:
        complaint = complaints.register_complaint(fields, actor=MAIL_ACTOR, at=at, idempotency_key=key)
    except ValidationFailed as exc:
        return IngestResult("quarantined", reason=f"rejected: {exc}",
                            path=quarantine(raw, f"rejected: {exc}", source=source, at=at))
    complaint.language = mail.language
    complaint.source_message_id = (mail.message_id or "")[:255] or None
    db.session.commit()
    refused = _keep_attachments(complaint, parts, raw, source=source, at=at)
    return IngestResult("created", complaint.registration_number,
                        reason=f"attachments not accepted: {', '.join(refused)}" if refused else None)


def _already_recorded(complaint: Complaint, message_id: str | None) -> bool:
    if not message_id:
        return False
    return db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.complaint_id == complaint.id,
                                       AuditEvent.action == "customer_message",
                                       AuditEvent.data_json.contains(json.dumps(message_id))).limit(1)
    ) is not None


def sender_authenticated(mail: InboundMail) -> bool:
    """May a reply's From be believed? Only our own MTA's verdict counts (MAIL_TRUSTED_AUTHSERV_ID).

    A From header alone can be forged; with the setting, a reply decides a complaint only when our
    MTA's Authentication-Results says DMARC (or DKIM) passed. Without it every sender is believed.
    """
    trusted = current_app.config.get("MAIL_TRUSTED_AUTHSERV_ID")
    if not trusted:
        return True
    for header in mail.authentication_results:
        authserv_id, _, results = header.partition(";")
        if authserv_id.strip().casefold() == trusted.casefold() and re.search(r"\b(dmarc|dkim)=pass\b", results):
            return True
    return False


def _append_reply(complaint: Complaint, mail: InboundMail, raw: bytes, *, source: str,
                  at: datetime) -> IngestResult:
    number = complaint.registration_number
    if _already_recorded(complaint, mail.message_id):
        return IngestResult("duplicate", number)
    text = reply_text(mail.text)
    sender_matches = (complaint.customer_email or "").casefold() == mail.from_address.casefold()
    authenticated = sender_authenticated(mail)
    audit.record(complaint.id, "customer_message", actor=MAIL_ACTOR, at=at, data={
        "from": mail.from_address, "subject": mail.subject[:200], "message_id": mail.message_id,
        "text": text[:MAX_DESCRIPTION], "sender_matches": sender_matches, "sender_authenticated": authenticated,
    })
    db.session.commit()
    _keep_attachments(complaint, mail.attachments, raw, source=source, at=at)

    verdict = answer_in(text) if sender_matches and authenticated else None
    if verdict is None or links.ready_answer_task(complaint) is None:
        return IngestResult("appended", number)
    try:
        customer.record_customer_answer(complaint, accepted=verdict, reason=text[:customer.MAX_TEXT], at=at)
    except ServiceError as exc:
        log.warning("reply to %s could not be recorded as an answer: %s", number, exc)
        return IngestResult("appended", number, reason=f"not recorded as answer: {exc}")
    return IngestResult("answered", number, reason="accepted" if verdict else "rejected")


def ingest_bytes(raw: bytes, *, source: str = "stdin", at: datetime | None = None) -> IngestResult:
    """Process one message; returns what became of it (never raises for a bad message)."""
    at = context.utc(at)
    limit = current_app.config["MAIL_MAX_BYTES"]
    if len(raw) > limit:
        reason = f"oversized: {len(raw)} bytes > MAIL_MAX_BYTES {limit}"
        return IngestResult("quarantined", reason=reason, path=quarantine(raw, reason, source=source, at=at))
    try:
        mail = parse(raw)
    except Unreadable as exc:
        return IngestResult("quarantined", reason=str(exc), path=quarantine(raw, str(exc), source=source, at=at))
    complaint = _existing_complaint(mail)
    if complaint is not None:
        return _append_reply(complaint, mail, raw, source=source, at=at)
    return _open_complaint(mail, raw, source=source, at=at)


def ingest_maildir(path: Path, *, at: datetime | None = None) -> list[tuple[str, IngestResult | Exception]]:
    """Process every message in `path/new`, moving each to `path/cur` once it is handled.

    A message whose processing failed unexpectedly (database down, say) stays in new/ for next time.
    """
    new, cur = Path(path) / "new", Path(path) / "cur"
    if not new.is_dir():
        raise FileNotFoundError(f"{path} is not a Maildir (no new/ folder)")
    cur.mkdir(exist_ok=True)
    results: list[tuple[str, IngestResult | Exception]] = []
    for entry in sorted(p for p in new.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            result = ingest_bytes(entry.read_bytes(), source=f"maildir:{entry}", at=at)
        except Exception as exc:  # noqa: BLE001 - reported, the file stays in new/
            db.session.rollback()
            log.exception("could not ingest %s", entry)
            results.append((entry.name, exc))
            continue
        name = entry.name if ":2," in entry.name else f"{entry.name}:2,S"
        os.replace(entry, cur / name)
        results.append((entry.name, result))
    return results
