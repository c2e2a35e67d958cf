"""The e-mail channel: a new message opens a complaint, a reply joins its complaint's history.

A reply is recognised by a registration number in its Subject, In-Reply-To or References (our
Message-IDs carry the number). Every message is filed as a `MailMessage` staff read on the complaint
page. Its sender is *verified* when it is the address on record and, with MAIL_TRUSTED_AUTHSERV_ID
set, our MTA authenticated it (`mail_auth`). Only a verified reply can be the customer's answer
(accept / reject) and have its attachments filed; an unverified reply is shown as such, and its
attachments are held aside in the mail quarantine. A reply to an anonymised complaint is not filed at
all (that would bring personal data back): it is quarantined. Nothing is dropped: the MTA delivering
the same message twice is recognised by Message-ID + sender + content, and what cannot be processed
is written to MAIL_QUARANTINE_DIR with a `.reason` file beside it (once per distinct message).
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
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from app.extensions import db
from app.i18n import desk_language
from app.models import Complaint, MailMessage
from app.services import audit, context
from app.services.complaints import casefile, customer, kinds, links
from app.services.complaints import registration as complaints
from app.services.errors import ServiceError, ValidationFailed
from app.services.mail import sender_check as mail_auth
from app.services.mail.parse import InboundMail, MailPart, Unreadable, answer_in, parse, reply_text

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
    digest = hashlib.sha256(raw).hexdigest()[:16]
    kept = next(folder.glob(f"*-{digest}.eml"), None)
    if kept is not None:  # the same bytes again (e.g. re-read after a lost IMAP connection): one copy is enough
        return kept
    stem = f"{at:%Y%m%dT%H%M%S}-{digest}"
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


def dedupe_key(mail: InboundMail) -> str:
    """Message-ID + sender + what was said: the same message delivered twice, and nothing else."""
    seed = "\0".join((mail.message_id or "", mail.from_address.casefold(), mail.content_hash()))
    return hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()


def check_enabled() -> bool:
    """Is our MTA's verdict required (MAIL_TRUSTED_AUTHSERV_ID set and not "off")?"""
    trusted = (current_app.config.get("MAIL_TRUSTED_AUTHSERV_ID") or "").strip()
    return bool(trusted) and trusted.casefold() != mail_auth.OFF


def sender_check(mail: InboundMail, address_on_record: str | None) -> tuple[str, mail_auth.Verdict]:
    """`verified`, `address_differs` or `not_authenticated`, with our MTA's verdict."""
    if check_enabled():
        verdict = mail_auth.verdict(mail.authentication_results, mail.from_address,
                                    current_app.config["MAIL_TRUSTED_AUTHSERV_ID"].strip())
    else:
        verdict = mail_auth.Verdict(True, "sender authentication check is off")
    if (address_on_record or "").casefold() != mail.from_address.casefold():
        return "address_differs", verdict
    return ("verified" if verdict.authenticated else "not_authenticated"), verdict


def _message_row(complaint: Complaint, mail: InboundMail, *, text: str, check: str, verdict: mail_auth.Verdict,
                 outcome: str, at: datetime, held: list[str] | None = None,
                 held_as: str | None = None) -> MailMessage:
    return MailMessage(
        complaint_id=complaint.id, dedupe_key=dedupe_key(mail), message_id=mail.message_id,
        sender=mail.from_address[:254], sender_name=mail.from_name[:200], subject=mail.subject[:255],
        text=text, sent_at=mail.sent_at, received_at=at, sender_check=check,
        authentication=verdict.reason[:200], outcome=outcome,
        held_attachments_json=json.dumps(held or [], ensure_ascii=False), held_as=held_as)


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
    text = mail.text or mail.subject or "(boş ileti)"
    parts = list(mail.attachments)
    if len(text) > MAX_DESCRIPTION:
        parts.append(MailPart("ileti.txt", "text/plain", text.encode("utf-8")))
        text = text[: MAX_DESCRIPTION - 20].rstrip() + "\n… (kısaltıldı)"
    fields = {
        "channel": "eposta",
        "kind": kinds.kind_from_subject(mail.subject),
        "customer_name": (mail.from_name or mail.from_address.split("@")[0])[:200],
        "customer_email": mail.from_address,
        "preferred_contact": "eposta",
        "subject": mail.subject[:200] or None,
        "description": text,
    }
    check, verdict = sender_check(mail, mail.from_address)
    filed = []

    def file_message(complaint: Complaint) -> None:
        db.session.add(_message_row(complaint, mail, text=mail.text[:MAX_DESCRIPTION * 5], check=check,
                                    verdict=verdict, outcome="created", at=at))
        filed.append(complaint)

    try:
        complaint = complaints.register_complaint(fields, actor=MAIL_ACTOR, at=at,
                                                  idempotency_key="mail:" + dedupe_key(mail)[:40],
                                                  origin={"language": mail.language,
                                                          "source_message_id": mail.message_id},
                                                  before_commit=file_message)
    except ValidationFailed as exc:
        return IngestResult("quarantined", reason=f"rejected: {exc}",
                            path=quarantine(raw, f"rejected: {exc}", source=source, at=at))
    if not filed:  # the same message, delivered twice at the same moment
        return IngestResult("duplicate", complaint.registration_number)
    refused = _keep_attachments(complaint, parts, raw, source=source, at=at)
    return IngestResult("created", complaint.registration_number,
                        reason=f"attachments not accepted: {', '.join(refused)}" if refused else None)


def _append_reply(complaint: Complaint, mail: InboundMail, raw: bytes, *, source: str,
                  at: datetime) -> IngestResult:
    number = complaint.registration_number
    if complaint.anonymised_at is not None:  # before anything is recorded: no personal data comes back
        reason = f"anonymised: {number} was anonymised, the reply is not filed"
        return IngestResult("quarantined", number, reason, quarantine(raw, reason, source=source, at=at))
    text = reply_text(mail.text)
    check, verdict = sender_check(mail, complaint.customer_email)
    to_file, held, held_as = list(mail.attachments), [], None
    if check != "verified" and to_file:
        held = [part.filename for part in to_file]
        held_as = quarantine(raw, f"held: attachments of an unverified reply ({check}) to {number}: "
                             + "; ".join(held), source=source, at=at).name
        to_file = []
    message = _message_row(complaint, mail, text=text[:MAX_DESCRIPTION * 5], check=check, verdict=verdict,
                           outcome="appended", at=at, held=held, held_as=held_as)
    db.session.add(message)
    audit.record(complaint.id, "customer_message", actor=MAIL_ACTOR, at=at, data={
        "from": mail.from_address, "subject": mail.subject[:200], "message_id": mail.message_id,
        "text": text[:MAX_DESCRIPTION], "sender_matches": check != "address_differs",
        "sender_authenticated": verdict.authenticated, "sender_verified": check == "verified",
        "held_attachments": held,
    })
    try:
        db.session.commit()
    except IntegrityError:  # the same message, delivered twice at the same moment
        db.session.rollback()
        return IngestResult("duplicate", number)
    _keep_attachments(complaint, to_file, raw, source=source, at=at)

    verdict_word = answer_in(text) if check == "verified" else None
    if verdict_word is None or links.ready_answer_task(complaint) is None:
        return IngestResult("appended", number, reason=None if check == "verified" else f"unverified: {check}")
    try:
        customer.record_customer_answer(complaint, accepted=verdict_word, reason=text[:customer.MAX_TEXT], at=at)
    except ServiceError as exc:
        log.warning("reply to %s could not be recorded as an answer: %s", number, exc)
        return IngestResult("appended", number, reason=f"not recorded as answer: {exc}")
    db.session.get(MailMessage, message.id).outcome = "answered"
    db.session.commit()
    return IngestResult("answered", number, reason="accepted" if verdict_word else "rejected")


def ingest_bytes(raw: bytes, *, source: str = "stdin", at: datetime | None = None) -> IngestResult:
    """Process one message; returns what became of it (never raises for a message we cannot read).

    The services' refusals it records (an attachment's, in the audit trail) are in Turkish, the desk's
    language, whoever runs it."""
    with desk_language():
        return _ingest(raw, source=source, at=at)


def _ingest(raw: bytes, *, source: str, at: datetime | None) -> IngestResult:
    at = context.utc(at)
    limit = current_app.config["MAIL_MAX_BYTES"]
    if len(raw) > limit:
        reason = f"oversized: {len(raw)} bytes > MAIL_MAX_BYTES {limit}"
        return IngestResult("quarantined", reason=reason, path=quarantine(raw, reason, source=source, at=at))
    try:
        mail = parse(raw)
    except Unreadable as exc:
        return IngestResult("quarantined", reason=str(exc), path=quarantine(raw, str(exc), source=source, at=at))
    known = db.session.scalar(sa.select(MailMessage).where(MailMessage.dedupe_key == dedupe_key(mail)))
    if known is not None:
        return IngestResult("duplicate", db.session.get(Complaint, known.complaint_id).registration_number)
    complaint = _existing_complaint(mail)
    if complaint is not None:
        return _append_reply(complaint, mail, raw, source=source, at=at)
    return _open_complaint(mail, raw, source=source, at=at)


# The database is away for a moment: the message is not ours yet, the MTA (or the next run) retries.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def ingest_safely(raw: bytes, *, source: str, at: datetime | None = None) -> IngestResult:
    """`ingest_bytes`, and any unexpected error quarantines the message instead of retrying it forever.

    Raises only TRANSIENT_ERRORS (the database is unavailable), after rolling back.
    """
    try:
        return ingest_bytes(raw, source=source, at=at)
    except TRANSIENT_ERRORS:
        db.session.rollback()
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must neither lose the message nor block the others
        db.session.rollback()
        reason = f"error: {type(exc).__name__}: {exc}"
        return IngestResult("quarantined", reason=reason, path=quarantine(raw, reason, source=source, at=at))


def ingest_maildir(path: Path, *, at: datetime | None = None) -> list[tuple[str, IngestResult | Exception]]:
    """Process every message in `path/new`, moving each to `path/cur` once it is handled.

    A message that cannot be processed is quarantined and moved on like any other; only one the
    database could not take (unavailable) stays in new/ for next time.
    """
    new, cur = Path(path) / "new", Path(path) / "cur"
    if not new.is_dir():
        raise FileNotFoundError(f"{path} is not a Maildir (no new/ folder)")
    cur.mkdir(exist_ok=True)
    results: list[tuple[str, IngestResult | Exception]] = []
    for entry in sorted(p for p in new.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            result = ingest_safely(entry.read_bytes(), source=f"maildir:{entry}", at=at)
        except TRANSIENT_ERRORS as exc:
            log.warning("could not ingest %s, left in new/: %s", entry, type(exc).__name__)
            results.append((entry.name, exc))
            continue
        name = entry.name if ":2," in entry.name else f"{entry.name}:2,S"
        os.replace(entry, cur / name)
        results.append((entry.name, result))
    return results
