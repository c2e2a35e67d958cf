"""The audit trail is tamper-evident: `complaintflow audit verify` reports every altered, deleted or moved event."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.extensions import db

from .helpers import ACK, classify, complete, ist, register

pytestmark = pytest.mark.usefixtures("live_version")


def _walked_complaints():
    first = register("faks", at=ist(2026, 11, 25, 10, 0))
    complete(first, "task_acknowledge", ACK, ist(2026, 11, 25, 11, 0))
    classify(first, "high", ist(2026, 11, 25, 12, 0))
    second = register("telefon", at=ist(2026, 11, 25, 13, 0))
    return first.registration_number, second.registration_number


def _tamper(sql: str, **params) -> None:
    """Change the table behind the app's back (on PostgreSQL the append-only trigger is lifted for it)."""
    db.session.remove()
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        conn.execute(sa.text(sql), params)
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def _event_id(number: str, seq: int) -> int:
    return db.session.scalar(sa.text(
        "SELECT e.id FROM audit_event e JOIN complaint c ON c.id = e.complaint_id "
        "WHERE c.registration_number = :n AND e.seq = :s"), {"n": number, "s": seq})


def test_an_untouched_trail_verifies(runner):
    _walked_complaints()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "2 complaint(s)" in result.output and "0 break(s)" in result.output and "intact" in result.output


def test_altered_data_is_reported_with_number_and_seq(runner):
    first, _ = _walked_complaints()
    _tamper("UPDATE audit_event SET data_json = :d WHERE id = :id", d='{"channel": "telefon"}',
            id=_event_id(first, 1))

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{first} seq 1: altered" in result.output
    assert "1 break(s)" in result.output


def test_a_rehashed_alteration_still_breaks_the_next_link(runner):
    first, _ = _walked_complaints()
    _tamper("UPDATE audit_event SET actor = 'mallory', hash = :h WHERE id = :id", h="0" * 64,
            id=_event_id(first, 2))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{first} seq 2: altered" in result.output
    assert f"{first} seq 3: relinked" in result.output


def test_a_deleted_event_is_reported(runner):
    first, second = _walked_complaints()
    _tamper("DELETE FROM audit_event WHERE id = :id", id=_event_id(first, 2))

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{first} seq 3: missing" in result.output
    assert second not in result.output


def test_reordered_events_are_reported(runner):
    first, _ = _walked_complaints()
    a, b = _event_id(first, 2), _event_id(first, 3)
    _tamper("UPDATE audit_event SET seq = 999 WHERE id = :id", id=a)
    _tamper("UPDATE audit_event SET seq = 2 WHERE id = :id", id=b)
    _tamper("UPDATE audit_event SET seq = 3 WHERE id = :id", id=a)

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{first} seq 2: altered" in result.output


def test_one_complaint_can_be_checked_alone(runner):
    first, second = _walked_complaints()
    _tamper("DELETE FROM audit_event WHERE id = :id", id=_event_id(first, 2))

    assert runner.invoke(args=["audit", "verify", "--complaint", second]).exit_code == 0
    result = runner.invoke(args=["audit", "verify", "--complaint", first.lower()])
    assert result.exit_code == 1 and "1 complaint(s)" in result.output
    assert runner.invoke(args=["audit", "verify", "--complaint", "SK-1999-000001"]).exit_code == 1


def test_postgresql_refuses_to_change_or_delete_history():
    first, _ = _walked_complaints()
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    event_id = _event_id(first, 1)
    for statement in ("UPDATE audit_event SET actor = 'x' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(sa.text(statement), {"id": event_id})
        db.session.rollback()
