"""Append audit events to a complaint's hash chain (inside the caller's transaction)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import AuditEvent


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def event_hash(prev_hash: str | None, complaint_id: int, seq: int, at: datetime, actor: str, action: str,
               data_json: str) -> str:
    material = json.dumps([prev_hash, complaint_id, seq, at.isoformat(), actor, action, data_json],
                          ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def start_chain(complaint_id: int) -> None:
    """A complaint created in this transaction has no events yet: spare the look-up of its chain tail."""
    db.session.info.setdefault("audit_chain_tail", {})[complaint_id] = (0, None)


def record(complaint_id: int, action: str, *, actor: str, at: datetime, data: dict | None = None) -> AuditEvent:
    """Add one event after the complaint's last; the (complaint, seq) key refuses a forked chain."""
    chain = db.session.info.setdefault("audit_chain_tail", {})
    tail = chain.get(complaint_id)
    if tail is None:
        last = db.session.execute(
            sa.select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.complaint_id == complaint_id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
        tail = (last.seq, last.hash) if last else (0, None)
    seq, prev_hash = tail[0] + 1, tail[1]
    data_json = json.dumps(data or {}, ensure_ascii=False, sort_keys=True, default=_json_default)
    at = at.astimezone(UTC)
    event = AuditEvent(
        complaint_id=complaint_id, seq=seq, at=at, actor=actor, action=action, data_json=data_json,
        prev_hash=prev_hash, hash=event_hash(prev_hash, complaint_id, seq, at, actor, action, data_json),
    )
    db.session.add(event)
    chain[complaint_id] = (seq, event.hash)
    return event


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_rollback")
def _forget_chain_tails(session) -> None:
    """The cached chain tails are only valid inside the transaction that wrote them."""
    session.info.pop("audit_chain_tail", None)
