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
_BY_NUMBER_WITH_VERSION = (sa.select(Complaint, ProcessInstance.lock_version)
                           .outerjoin(ProcessInstance, ProcessInstance.id == Complaint.instance_id)
                           .where(Complaint.registration_number == sa.bindparam("number")))


def _tag(text: str):
    return sa.literal_column(f"'{text}'", sa.String)


# Audit events, notes and messages in one statement (one round trip, not three; on PostgreSQL each is a
# good part of a look-up). Columns: kind, at, actor, action, text (event data, note body or recipient),
# message status, sent at, order within its kind. The first branch types the columns for all three.
_NO_TIME = sa.cast(sa.null(), OutboxMessage.sent_at.type)
_TIMELINE = sa.union_all(
    sa.select(_tag("event"), AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.data_json,
              sa.cast(sa.null(), OutboxMessage.status.type), _NO_TIME, AuditEvent.seq)
    .where(AuditEvent.complaint_id == sa.bindparam("id")),
    sa.select(_tag("note"), ComplaintNote.created_at, ComplaintNote.author, _tag("note"), ComplaintNote.body,
              sa.null(), sa.null(), ComplaintNote.id)
    .where(ComplaintNote.complaint_id == sa.bindparam("id")),
    sa.select(_tag("message"), OutboxMessage.created_at, _tag("system"), OutboxMessage.kind,
              OutboxMessage.recipient, OutboxMessage.status, OutboxMessage.sent_at, OutboxMessage.id)
    .where(OutboxMessage.complaint_id == sa.bindparam("id")),
)


def complaint_by_number(number: str) -> Complaint | None:
    return db.session.scalar(_BY_NUMBER, {"number": (number or "").strip().upper()})


def complaint_and_version_by_number(number: str) -> tuple[Complaint | None, int | None]:
    """The complaint and its workflow's optimistic-lock version (what a client sends back), in one query
    that leaves the workflow's state unread."""
    row = db.session.execute(_BY_NUMBER_WITH_VERSION, {"number": (number or "").strip().upper()}).first()
    return (row[0], row[1]) if row is not None else (None, None)


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    kind: str  # "event", "note" or "message"
    action: str
    data: dict


def timeline(complaint_id: int) -> list[TimelineEntry]:
    """Audit events, internal notes and messages to the customer, oldest first (at one instant: events in
    chain order, then messages, then notes).

    Only the columns shown are read (no ORM objects): after twenty reopens a complaint has a few hundred
    audit events, and the status look-up reads them on every call."""
    entries = []
    for kind, at, actor, action, text, status, sent_at, position in db.session.execute(_TIMELINE, {"id": complaint_id}):
        if kind == "event":
            if action not in _HIDDEN_ACTIONS:
                entries.append((at, 0, position, TimelineEntry(at, actor, kind, action, json.loads(text or "{}"))))
        elif kind == "note":
            entries.append((at, 2, position, TimelineEntry(at, actor, kind, "note", {"body": text})))
        else:
            entries.append((at, 1, position, TimelineEntry(at, actor, kind, action, {
                "recipient": text, "status": status, "sent_at": sent_at})))
    entries.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in entries]
