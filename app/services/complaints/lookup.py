"""Staff look-ups: find a complaint for a customer who calls (stage 4) and read its history."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import KINDS, AuditEvent, Complaint, ComplaintNote, OutboxMessage, ProcessInstance
from app.services import context

STATUSES = ("open", "closed")  # offered in the staff search form
COMPLAINT_STATUSES = ("open", "closed", "cancelled")
# Audit actions shown elsewhere on the page (the note itself is in the timeline).
_HIDDEN_ACTIONS = {"note_added"}


@dataclass
class SearchResult:
    complaints: list[Complaint]
    total: int
    page: int
    pages: int


def matching_complaints(q: str = "", status: str = "", kind: str = "") -> sa.Select:
    """Complaints matching a free-text query (number, name, e-mail, subscription, phone digits), status, kind."""
    stmt = sa.select(Complaint)
    q = (q or "").strip()[:100]
    if q:
        pattern = f"%{q.lower()}%"
        conditions = [sa.func.lower(Complaint.registration_number).like(pattern),
                      sa.func.lower(Complaint.customer_name).like(pattern),
                      sa.func.lower(Complaint.customer_email).like(pattern),
                      sa.func.lower(Complaint.subscription_number).like(pattern)]
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 4:
            phone = Complaint.customer_phone
            for ch in " ()-+":
                phone = sa.func.replace(phone, ch, "")
            conditions.append(phone.like(f"%{digits[-10:]}%"))
        stmt = stmt.where(sa.or_(*conditions))
    if status in COMPLAINT_STATUSES:
        stmt = stmt.where(Complaint.status == status)
    if kind in KINDS:
        stmt = stmt.where(Complaint.kind == kind)
    return stmt


def within_dates(stmt: sa.Select, date_from: date | None, date_to: date | None) -> sa.Select:
    """Complaints received between the two dates (inclusive, in business time)."""
    tz = context.runtime().calendar.tz
    if date_from:
        stmt = stmt.where(Complaint.received_at >= datetime.combine(date_from, time(), tz))
    if date_to:
        stmt = stmt.where(Complaint.received_at < datetime.combine(date_to + timedelta(days=1), time(), tz))
    return stmt


def search_complaints(q: str = "", status: str = "", date_from: date | None = None, date_to: date | None = None,
                      page: int = 1, page_size: int = 25, kind: str = "") -> SearchResult:
    """By registration number, customer name, phone, e-mail; status; kind; received date (business time zone)."""
    stmt = within_dates(matching_complaints(q, status, kind), date_from, date_to)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = db.session.scalars(stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc())
                              .limit(page_size).offset((page - 1) * page_size)).all()
    return SearchResult(list(rows), total, page, pages)


# The status look-up's statements, built once: building a statement and its cache key each call cost
# SQLAlchemy more than running it.
_BY_NUMBER = sa.select(Complaint).where(Complaint.registration_number == sa.bindparam("number"))
_INSTANCE_VERSION = sa.select(ProcessInstance.lock_version).where(ProcessInstance.id == sa.bindparam("id"))
_EVENTS = sa.select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.data_json) \
    .where(AuditEvent.complaint_id == sa.bindparam("id")).order_by(AuditEvent.seq)  # one instant: chain order
_NOTES = sa.select(ComplaintNote.created_at, ComplaintNote.author, ComplaintNote.body) \
    .where(ComplaintNote.complaint_id == sa.bindparam("id")).order_by(ComplaintNote.id)
_MESSAGES = sa.select(OutboxMessage.created_at, OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.status,
                      OutboxMessage.sent_at).where(OutboxMessage.complaint_id == sa.bindparam("id")) \
    .order_by(OutboxMessage.id)


def complaint_by_number(number: str) -> Complaint | None:
    return db.session.scalar(_BY_NUMBER, {"number": (number or "").strip().upper()})


def instance_version(complaint: Complaint) -> int | None:
    """The workflow's optimistic-lock version (what a client sends back), without loading its state."""
    if complaint.instance_id is None:
        return None
    return db.session.scalar(_INSTANCE_VERSION, {"id": complaint.instance_id})


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    kind: str  # "event", "note" or "message"
    action: str
    data: dict


def timeline(complaint_id: int) -> list[TimelineEntry]:
    """Audit events, internal notes and messages to the customer, oldest first.

    Only the columns shown are read (no ORM objects): after twenty reopens a complaint has a few hundred
    audit events, and the status look-up reads them on every call."""
    key = {"id": complaint_id}
    entries = [TimelineEntry(at, actor, "event", action, json.loads(data_json or "{}"))
               for at, actor, action, data_json in db.session.execute(_EVENTS, key) if action not in _HIDDEN_ACTIONS]
    entries += [TimelineEntry(at, author, "note", "note", {"body": body})
                for at, author, body in db.session.execute(_NOTES, key)]
    entries += [TimelineEntry(at, "system", "message", kind, {"recipient": recipient, "status": status,
                                                              "sent_at": sent_at})
                for at, kind, recipient, status, sent_at in db.session.execute(_MESSAGES, key)]
    order = {"event": 0, "message": 1, "note": 2}
    return sorted(entries, key=lambda e: (e.at, order[e.kind]))
