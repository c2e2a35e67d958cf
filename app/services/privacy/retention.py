"""KVKK retention and data-subject requests: which complaints to anonymise, and one customer's export.

Retention per record category (config): closed complaints after RETENTION_YEARS_CLOSED, cancelled
ones after RETENTION_YEARS_CANCELLED, the personal-data view log after RETENTION_YEARS_VIEW_LOG,
quarantined mail after RETENTION_DAYS_MAIL_QUARANTINE, sign-in throttles (account names) and
status-lookup attempts (addresses) after a day — they only serve rate limits of minutes. Each
complaint is anonymised in its own transaction, so a sweep that stops half-way leaves every
complaint either untouched or done and the next sweep carries on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    Attachment,
    Complaint,
    ComplaintNote,
    ConsentRecord,
    LoginThrottle,
    LookupAttempt,
    OutboxMessage,
    SurveyResponse,
)
from app.services import context
from app.services.complaints import lookup
from app.services.privacy import kvkk, personal_data_log

log = logging.getLogger(__name__)
OPEN_STATUSES = ("open",)


def _years(n: float) -> timedelta:
    return timedelta(days=round(365.2425 * n))


@dataclass
class RetentionReport:
    anonymised: list[str] = field(default_factory=list)
    view_log_rows: int = 0
    quarantine_files: int = 0
    attempt_rows: int = 0

    def __str__(self) -> str:
        return (f"{len(self.anonymised)} complaint(s) anonymised, {self.view_log_rows} view-log row(s), "
                f"{self.attempt_rows} sign-in/look-up attempt(s) and {self.quarantine_files} quarantined mail "
                f"file(s) removed")


def expired_complaint_ids(at: datetime, limit: int = 500) -> list[int]:
    cfg = current_app.config
    closed_before = at - _years(cfg["RETENTION_YEARS_CLOSED"])
    cancelled_before = at - _years(cfg["RETENTION_YEARS_CANCELLED"])
    due = sa.or_(sa.and_(Complaint.status == "closed", Complaint.closed_at < closed_before),
                 sa.and_(Complaint.status == "cancelled", Complaint.updated_at < cancelled_before))
    return list(db.session.scalars(sa.select(Complaint.id).where(Complaint.anonymised_at.is_(None), due)
                                   .order_by(Complaint.id).limit(limit)))


def run_retention(at: datetime | None = None, limit: int = 500) -> RetentionReport:
    """The scheduled job: anonymise what is past its retention, prune the view log and the quarantine."""
    at = context.utc(at)
    report = RetentionReport()
    while ids := expired_complaint_ids(at, limit):
        db.session.rollback()
        for complaint_id in ids:
            complaint = db.session.get(Complaint, complaint_id)
            kvkk.anonymise_complaint(complaint, reason="retention", at=at)
            report.anonymised.append(complaint.registration_number)
    report.view_log_rows = personal_data_log.purge_before(at - _years(current_app.config["RETENTION_YEARS_VIEW_LOG"]))
    report.quarantine_files = _prune_quarantine(at)
    report.attempt_rows = _prune_attempts(at - ATTEMPT_RETENTION)
    if report.anonymised:
        log.info("retention: %s", ", ".join(report.anonymised))  # registration numbers only
    return report


ATTEMPT_RETENTION = timedelta(days=1)


def _prune_attempts(before: datetime) -> int:
    removed = db.session.execute(sa.delete(LookupAttempt).where(LookupAttempt.at < before)).rowcount or 0
    # A sign-in throttle row also carries its account's wait: keep it while the wait lasts.
    idle = sa.and_(LoginThrottle.last_failure_at < before,
                   sa.or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < before))
    removed += db.session.execute(sa.delete(LoginThrottle).where(idle)).rowcount or 0
    db.session.commit()
    return removed


def _prune_quarantine(at: datetime) -> int:
    folder = Path(current_app.config["MAIL_QUARANTINE_DIR"])
    if not folder.is_dir():
        return 0
    cutoff = at.timestamp() - current_app.config["RETENTION_DAYS_MAIL_QUARANTINE"] * 86400
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- data-subject requests ------------------------------------------------------------------------

def complaints_of(email: str | None = None, phone: str | None = None) -> list[Complaint]:
    """A customer's complaints by e-mail (any case) or phone (the last ten digits)."""
    conditions = []
    if email and email.strip():
        conditions.append(sa.func.lower(Complaint.customer_email) == email.strip().lower())
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 7:
        column = Complaint.customer_phone
        for ch in " ()-+":
            column = sa.func.replace(column, ch, "")
        conditions.append(column.like(f"%{digits[-10:]}"))
    if not conditions:
        return []
    return list(db.session.scalars(sa.select(Complaint).where(sa.or_(*conditions)).order_by(Complaint.id)))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_subject(email: str | None = None, phone: str | None = None) -> dict:
    """Everything the desk holds about one customer (KVKK art. 11), as a JSON-ready dict."""
    result = []
    for c in complaints_of(email, phone):
        notes = db.session.scalars(sa.select(ComplaintNote).where(ComplaintNote.complaint_id == c.id)).all()
        files = db.session.scalars(sa.select(Attachment).where(Attachment.complaint_id == c.id)).all()
        messages = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.complaint_id == c.id)).all()
        survey = db.session.scalar(sa.select(SurveyResponse).where(SurveyResponse.complaint_id == c.id))
        consent = db.session.scalar(sa.select(ConsentRecord).where(ConsentRecord.complaint_id == c.id))
        result.append({
            "registration_number": c.registration_number, "status": c.status, "channel": c.channel,
            "received_at": _iso(c.received_at), "closed_at": _iso(c.closed_at),
            "customer": {"name": c.customer_name, "email": c.customer_email, "phone": c.customer_phone,
                         "subscription_number": c.subscription_number, "preferred_contact": c.preferred_contact},
            "subject": c.subject, "description": c.description, "priority": c.priority, "category": c.category,
            "root_cause_category": c.root_cause_category, "solution": c.solution,
            "anonymised_at": _iso(c.anonymised_at),
            "notes": [{"at": _iso(n.created_at), "author": n.author, "body": n.body} for n in notes],
            "attachments": [{"filename": a.original_filename, "content_type": a.content_type, "size": a.size,
                             "at": _iso(a.created_at)} for a in files],
            "messages": [{"kind": m.kind, "recipient": m.recipient, "status": m.status, "sent_at": _iso(m.sent_at)}
                         for m in messages],
            "consent": {"notice_version": consent.notice_version, "notice_sha256": consent.notice_sha256,
                        "language": consent.language, "source": consent.source,
                        "at": _iso(consent.consented_at)} if consent else None,
            "survey": {"score": survey.score, "solved": survey.solved, "comment": survey.comment,
                       "at": _iso(survey.answered_at)} if survey else None,
            "history": [{"at": _iso(e.at), "actor": e.actor, "action": e.action}
                        for e in lookup.timeline(c.id) if e.kind == "event"],
        })
    return {"query": {"email": email, "phone": phone}, "complaints": result}


@dataclass
class ForgetReport:
    anonymised: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    still_open: list[str] = field(default_factory=list)


def forget_subject(email: str | None = None, phone: str | None = None, *, actor: str,
                   at: datetime | None = None) -> ForgetReport:
    """Anonymise one customer's finished complaints; open ones are reported (close them first)."""
    at = context.utc(at)
    report = ForgetReport()
    for complaint in complaints_of(email, phone):
        number = complaint.registration_number
        if complaint.status in OPEN_STATUSES:
            report.still_open.append(number)
        elif kvkk.anonymise_complaint(complaint, reason=f"data subject request ({actor})", at=at):
            report.anonymised.append(number)
        else:
            report.already.append(number)
    return report
