"""Append audit events to a complaint's hash chain (inside the caller's transaction)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import AuditEvent


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def event_hash(prev_hash: str | None, complaint_id: int, seq: int, at: datetime, actor: str, action: str,
               data_json: str) -> str:
    material = json.dumps([prev_hash, complaint_id, seq, at.isoformat(), actor, action, data_json],
                          ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# Built once: every write path reads a chain's tail.
_TAIL = (sa.select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.complaint_id == sa.bindparam("id"))
         .order_by(AuditEvent.seq.desc()).limit(1))


def start_chain(complaint_id: int) -> None:
    """A complaint created in this transaction has no events yet: spare the look-up of its chain tail."""
    db.session.info.setdefault("audit_chain_tail", {})[complaint_id] = (0, None)


def _tail(complaint_id: int) -> tuple[int, str | None]:
    chain = db.session.info.setdefault("audit_chain_tail", {})
    tail = chain.get(complaint_id)
    if tail is None:
        last = db.session.execute(_TAIL, {"id": complaint_id}).first()
        tail = (last.seq, last.hash) if last else (0, None)
    return tail


def _chained(complaint_id: int, events: list[tuple[str, dict | None]], actor: str, at: datetime) -> list[dict]:
    """Column values of `events` linked after the complaint's last event (the cached tail moves on)."""
    seq, prev_hash = _tail(complaint_id)
    at = at.astimezone(UTC)
    rows = []
    for action, data in events:
        seq += 1
        data_json = json.dumps(data or {}, ensure_ascii=False, sort_keys=True, default=_json_default)
        digest = event_hash(prev_hash, complaint_id, seq, at, actor, action, data_json)
        rows.append({"complaint_id": complaint_id, "seq": seq, "at": at, "actor": actor, "action": action,
                     "data_json": data_json, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    db.session.info["audit_chain_tail"][complaint_id] = (seq, prev_hash)
    return rows


def record(complaint_id: int, action: str, *, actor: str, at: datetime, data: dict | None = None) -> AuditEvent:
    """Add one event after the complaint's last; the (complaint, seq) key refuses a forked chain."""
    (row,) = _chained(complaint_id, [(action, data)], actor, at)
    event = AuditEvent(**row)
    db.session.add(event)
    return event


def record_many(complaint_id: int, events: list[tuple[str, dict | None]], *, actor: str, at: datetime) -> None:
    """Append several events of one step in one set-based INSERT (no ORM objects: nothing reads them back).

    Pending ORM events of the same complaint are flushed first, so the chain is written in order.
    """
    db.session.flush()
    if not events:
        return
    db.session.execute(AuditEvent.__table__.insert(), _chained(complaint_id, events, actor, at))


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_chain_tails(session) -> None:
    """The cached chain tails are only valid inside the transaction that wrote them."""
    session.info.pop("audit_chain_tail", None)
