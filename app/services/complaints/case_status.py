"""What a customer may see of their complaint (stage 4: "ask the status at any time"), and who may see it.

The lookup needs the registration number and the e-mail or phone on record. A wrong pair and an
unknown number take the same path and give the same answer. Failed attempts are counted in the
database per client address and per number, so guessing is slow whichever one an attacker varies.
Only customer-facing facts leave this module: stage dates, the proposed solution once notified,
whether their answer is awaited — never notes, staff names or task names.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Complaint, HumanTask, LookupAttempt
from app.services import context
from app.services.complaints import links
from app.services.errors import ServiceError

STAGES = range(1, 9)
_DUMMY = "\0no-such-contact\0"


class TooManyAttempts(ServiceError):
    """Too many failed lookups from this address or for this number within the window."""


@dataclass(frozen=True)
class Stage:
    number: int
    state: str  # "done", "current" or "todo"
    at: datetime | None


@dataclass(frozen=True)
class CaseStatus:
    registration_number: str
    status: str
    current_stage: int
    stages: list[Stage]
    received_at: datetime
    solution_due_at: datetime | None
    solution: str | None
    awaiting_answer: bool
    reopen_count: int
    closure_outcome: str | None = None
    kind: str = "complaint"


def normalise_number(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()[:30]


def normalise_phone(value: str | None) -> str:
    """The national part of a Turkish number: '+90 (532) 123-45-67', '0532 123 45 67' → '5321234567'."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("90") and len(digits) == 12:
        digits = digits[2:]
    return digits.lstrip("0")


def _contact_matches(complaint: Complaint | None, contact: str) -> bool:
    """Constant-time comparison with the e-mail or phone on record (a dummy when the number is unknown)."""
    contact = (contact or "").strip()
    if "@" in contact:
        given, known = contact.lower(), (complaint.customer_email or "").lower() if complaint else ""
    else:
        given, known = normalise_phone(contact), normalise_phone(complaint.customer_phone) if complaint else ""
        if len(given) < 7:
            given = _DUMMY
    return hmac.compare_digest(given.encode(), (known or _DUMMY).encode()) and bool(known)


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["PORTAL_LOOKUP_WINDOW_MINUTES"])


def _failures(scope: str, key: str, since: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LookupAttempt).where(
        LookupAttempt.scope == scope, LookupAttempt.key == key, LookupAttempt.at > since)) or 0


_SCOPES = ("ip", "number")


def _keys(ip: str, number: str) -> list[tuple[str, str]]:
    return [("ip", (ip or "?")[:64]), ("number", number[:64] or "?")]


def find_complaint(number: str, contact: str, *, ip: str, at: datetime | None = None) -> Complaint | None:
    """The complaint if the pair matches, else None; raises TooManyAttempts once the limit is reached."""
    at = context.utc(at)
    number = normalise_number(number)
    limit, since = current_app.config["PORTAL_LOOKUP_MAX_ATTEMPTS"], at - _window()
    if any(_failures(scope, key, since) >= limit for scope, key in _keys(ip, number)):
        raise TooManyAttempts()
    complaint = db.session.scalar(sa.select(Complaint).where(Complaint.registration_number == number))
    if _contact_matches(complaint, contact) and complaint.anonymised_at is None:
        return complaint
    try:
        db.session.execute(sa.delete(LookupAttempt).where(LookupAttempt.scope.in_(_SCOPES),
                                                          LookupAttempt.at <= since))
        db.session.add_all([LookupAttempt(scope=scope, key=key, at=at) for scope, key in _keys(ip, number)])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return None


def by_id(complaint_id) -> Complaint | None:
    """The complaint a browser looked up earlier (its id kept in the signed session)."""
    complaint = db.session.get(Complaint, complaint_id) if isinstance(complaint_id, int) else None
    return complaint if complaint is not None and complaint.anonymised_at is None else None


def _completion(complaint: Complaint, spec_name: str, last: bool = False) -> datetime | None:
    agg = sa.func.max if last else sa.func.min
    return db.session.scalar(sa.select(agg(HumanTask.completed_at)).where(
        HumanTask.complaint_id == complaint.id, HumanTask.spec_name == spec_name, HumanTask.state == "completed"))


def status_of(complaint: Complaint) -> CaseStatus:
    """The eight ISO 10002 stages with the date each was reached, as far as the customer is concerned."""
    closed = complaint.status == "closed"
    current = 9 if closed else complaint.stage or 1
    dates = {
        1: complaint.received_at,
        2: complaint.acknowledged_at,
        3: _completion(complaint, "task_classify"),
        4: None,  # tracking runs from receipt to satisfaction: a span, not a moment
        5: _completion(complaint, "task_analyse", last=True),
        6: _completion(complaint, "task_respond", last=True),
        7: complaint.decision_notified_at,
        8: complaint.closed_at,
    }
    stages = [Stage(n, "done" if n < current else "current" if n == current else "todo",
                    dates[n] if n <= current else None) for n in STAGES]
    notified = complaint.decision_notified_at is not None and (closed or complaint.stage >= 7)
    return CaseStatus(
        registration_number=complaint.registration_number, status=complaint.status,
        current_stage=min(current, 8), stages=stages, received_at=complaint.received_at,
        solution_due_at=complaint.solution_due_at if not notified and not closed else None,
        solution=complaint.solution if notified else None,
        awaiting_answer=not closed and links.ready_answer_task(complaint) is not None,
        reopen_count=complaint.reopen_count,
        closure_outcome=complaint.closure_outcome if closed else None,
        kind=complaint.kind,
    )
