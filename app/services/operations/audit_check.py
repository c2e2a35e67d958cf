"""Verify the per-complaint audit hash chains: altered, deleted or reordered events show up as breaks.

Each event's hash covers the previous event's hash, so recomputing the chain from the stored fields
finds any change made behind the app's back. A removed *last* event cannot be seen from the chain
alone (nothing points at it); every other removal leaves a gap in `seq` and a dangling `prev_hash`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Complaint
from app.services.audit import event_hash


@dataclass(frozen=True)
class ChainBreak:
    registration_number: str
    seq: int
    kind: str  # altered | missing | relinked | duplicate
    detail: str

    def __str__(self) -> str:
        return f"{self.registration_number} seq {self.seq}: {self.kind} — {self.detail}"


@dataclass
class VerifyReport:
    complaints: int = 0
    events: int = 0
    breaks: list[ChainBreak] | None = None

    @property
    def ok(self) -> bool:
        return not self.breaks


def _check_event(number: str, event: AuditEvent, expected_seq: int, prev_hash: str | None) -> list[ChainBreak]:
    found = []
    if event.seq < expected_seq:
        found.append(ChainBreak(number, event.seq, "duplicate", f"seq {event.seq} appears again"))
    elif event.seq > expected_seq:
        missing = f"{expected_seq}" if event.seq == expected_seq + 1 else f"{expected_seq}–{event.seq - 1}"
        found.append(ChainBreak(number, event.seq, "missing", f"event(s) {missing} deleted before this one"))
    if event.prev_hash != prev_hash:
        found.append(ChainBreak(number, event.seq, "relinked",
                                "prev_hash does not match the hash of the event before it"))
    recomputed = event_hash(event.prev_hash, event.complaint_id, event.seq, event.at, event.actor, event.action,
                            event.data_json)
    if recomputed != event.hash:
        found.append(ChainBreak(number, event.seq, "altered",
                                f"stored content does not match its hash ({event.action} at {event.at.isoformat()})"))
    return found


def verify_chains(registration_number: str | None = None, batch: int = 1000) -> VerifyReport:
    """Walk every chain (or one complaint's) in (complaint, seq) order, streaming the events."""
    numbers = sa.select(Complaint.id, Complaint.registration_number)
    if registration_number:
        numbers = numbers.where(Complaint.registration_number == registration_number.strip().upper())
    number_of = dict(db.session.execute(numbers).all())
    report = VerifyReport(complaints=len(number_of), breaks=[])
    if not number_of:
        return report
    query = sa.select(AuditEvent).order_by(AuditEvent.complaint_id, AuditEvent.seq, AuditEvent.id)
    if registration_number:
        query = query.where(AuditEvent.complaint_id.in_(list(number_of)))
    current, expected, prev_hash, seen = None, 1, None, set()
    for event in db.session.scalars(query.execution_options(yield_per=batch)):
        if event.complaint_id != current:
            current, expected, prev_hash = event.complaint_id, 1, None
            seen.add(current)
        number = number_of.get(event.complaint_id, f"#{event.complaint_id}")
        report.breaks.extend(_check_event(number, event, expected, prev_hash))
        report.events += 1
        expected, prev_hash = max(expected, event.seq + 1), event.hash
    # Registration always writes event 1, so a complaint without events lost its whole history.
    report.breaks.extend(ChainBreak(number, 1, "missing", "the complaint has no audit events")
                         for complaint_id, number in number_of.items() if complaint_id not in seen)
    return report
