"""How a step reaches the database: each row written once, in one transaction, and diagram code still bounded
when the sandbox skips its tracer."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.engine import sandbox
from app.extensions import db
from app.models import AuditEvent, Complaint, HumanTask, ProcessInstance
from app.services.operations import audit_check
from app.services.workflow import timers

from .conftest import TESTS_DIR
from .helpers import ist, register


@contextmanager
def statements():
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def _writes(seen: list[str]) -> list[str]:
    """'INSERT complaint', 'UPDATE process_instance' ... for each statement that wrote."""
    found = []
    for statement in seen:
        match = re.match(r"(INSERT INTO|UPDATE|DELETE FROM) (\w+)", statement)
        if match:
            found.append(f"{match.group(1).split()[0]} {match.group(2)}")
    return found


def test_registration_inserts_each_row_once_and_updates_none(app, live_version):
    register("telefon")  # the year's first complaint also creates its number counter
    with statements() as seen:
        complaint = register("faks")
    writes = _writes(seen)
    # The number counter is bumped in a short transaction of its own (not on this connection).
    assert writes == ["INSERT process_instance", "INSERT complaint",
                                "INSERT audit_event", "INSERT human_task"], writes
    assert complaint.registration_number == "SK-2026-000002"
    (task,) = db.session.scalars(sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id))
    assert (task.spec_name, task.state) == ("task_acknowledge", "ready")
    assert task.task_guid in complaint.instance.state_json and complaint.instance.next_timer_at is not None
    assert [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.complaint_id == complaint.id).order_by(AuditEvent.seq))] == ["registered"]


def test_a_registration_answers_from_the_rows_it_wrote_and_keeps_tracking_them(app, live_version):
    """The complaint and its instance are inserted by plain statements, then kept as loaded: the answer to
    the registering client reads every column without a query, and a later change in the same session is
    still written (as one UPDATE, under the instance's lock version)."""
    complaint = register("eposta", subject=None)
    with statements() as seen:
        columns = {c.key: getattr(complaint, c.key) for c in Complaint.__table__.columns}
        instance = {c.key: getattr(complaint.instance, c.key) for c in ProcessInstance.__table__.columns}
    assert seen == []
    assert columns["subject"] is None and columns["priority"] is None and columns["deadline_breached"] is False
    # Stage 3: an e-mail complaint is acknowledged by the diagram at once.
    assert (columns["kind"], columns["language"], columns["stage"]) == ("complaint", "tr", 3)
    assert instance["lock_version"] == 1 and instance["id"] == columns["instance_id"]
    stored = db.session.execute(sa.select(Complaint.__table__).where(Complaint.id == complaint.id)).one()
    assert stored._asdict() == columns
    with statements() as seen:
        complaint.subject = "Fatura"
        db.session.commit()
    assert _writes(seen) == ["UPDATE complaint"]
    db.session.expire_all()
    assert db.session.get(Complaint, columns["id"]).subject == "Fatura"


def test_a_registration_that_fails_after_its_inserts_leaves_nothing_behind_in_the_session(app, live_version):
    """The complaint and its instance were written by plain statements: when the transaction rolls back they
    leave the session as unsaved objects, and the next registration in the same session (SQLite gives the
    same id again) is stored."""
    from app.services.complaints import registration

    held = []

    def refuse(complaint):
        held.append(complaint)
        raise RuntimeError("the caller's own rows could not be written")

    with pytest.raises(RuntimeError):
        registration.register({"channel": "faks", "customer_name": "Geri Çevrilen",
                               "customer_phone": "+90 312 555 0101", "description": "Bağlantı kopuyor."},
                              actor="test", at=ist(2026, 11, 25, 10, 0), before_commit=refuse)
    (failed,) = held
    assert sa.inspect(failed).transient and sa.inspect(failed.instance).transient
    assert failed not in db.session and failed.instance not in db.session
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
    stored = register("faks", at=ist(2026, 11, 25, 10, 5))
    db.session.expire_all()
    assert db.session.get(Complaint, stored.id).registration_number == stored.registration_number


def test_a_web_or_an_e_mail_complaint_is_stored_with_what_its_channel_knows_in_one_insert(app, live_version,
                                                                                          mail_dirs):
    """The customer's language and the opening mail's Message-ID go into the complaint's INSERT: neither
    channel updates the row it has just written."""
    from app.services.complaints import portal
    from app.services.mail import ingest

    with statements() as seen:
        web = portal.file_complaint({"customer_name": "Jane Doe", "customer_email": "jane@example.com",
                                     "description": "My line drops every evening."}, [], consent=True,
                                    language="en", idempotency_key=None, at=ist(2026, 11, 25, 10, 0))
    assert [w for w in _writes(seen) if w.endswith(" complaint")] == ["INSERT complaint"]
    raw = (TESTS_DIR / "data" / "mail" / "plain.eml").read_bytes()
    with statements() as seen:
        assert ingest.ingest_bytes(raw, at=ist(2026, 11, 25, 10, 5)).outcome == "created"
    assert [w for w in _writes(seen) if w.endswith(" complaint")] == ["INSERT complaint"]
    db.session.expire_all()
    assert db.session.get(Complaint, web.id).language == "en"
    mailed = db.session.scalar(sa.select(Complaint).where(Complaint.channel == "eposta"))
    assert (mailed.language, mailed.source_message_id) == ("tr", "<20261125094012.plain-1@mail.example.com.tr>")
    with pytest.raises(ValueError, match="not an origin column"):
        register("telefon", origin={"status": "closed"})


def test_a_fired_deadline_updates_the_complaint_once_and_keeps_the_audit_chain(app, live_version):
    complaint = register("faks", at=ist(2026, 11, 23, 10, 0))
    db.session.remove()
    with statements() as seen:
        fired = timers.fire_due_timers(at=ist(2026, 11, 24, 10, 0))
    assert fired == 1
    writes = _writes(seen)
    assert writes.count("UPDATE complaint") == 1 and writes.count("UPDATE process_instance") == 1, writes
    escalations = db.session.scalars(sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id,
                                                                HumanTask.escalation.isnot(None))).all()
    assert [t.spec_name for t in escalations] == ["task_ack_escalation"]
    assert not audit_check.verify_chains(complaint.registration_number).breaks


@pytest.mark.parametrize("source", [
    # Short and straight-line code runs untraced; code with a function or a loop keeps the tracer.
    "f = lambda n: n and f(n - 1) + f(n - 1)\nf(60)",
    "g = [x for x in range(10) for y in range(10**6)]",
])
def test_code_that_could_run_long_is_still_stopped(source):
    code = sandbox.compile_diagram_code(source, "exec")
    namespace = sandbox.restricted_globals({})
    with pytest.raises(sandbox.ScriptTimeout):
        sandbox.run_bounded(code, namespace, sandbox.Limits(seconds=0.3), evaluate=False)


def test_a_long_straight_line_script_is_still_checked():
    """A hundred statements with no loop reach the tracer's checks; the clock is looked at as before."""
    source = "\n".join(f"x{i} = {i} + 1" for i in range(100))
    code = sandbox.compile_diagram_code(source, "exec")
    namespace = sandbox.restricted_globals({})
    with pytest.raises(sandbox.ScriptTimeout):
        sandbox.run_bounded(code, namespace, sandbox.Limits(seconds=-1), evaluate=False)


def test_a_completion_with_a_priority_override_writes_nothing_before_the_run_is_saved(app, live_version):
    """The override's flag on the complaint is one of the step's changes: written once, with the others, after
    the run is serialized (an early write takes SQLite's one write lock for the serialization too)."""
    from .helpers import complete, refreshed

    complaint = register("telefon", service_impact="no_service", customer_segment="corporate")  # suggests high
    db.session.remove()
    with statements() as seen:
        complete(complaint, "task_classify", {"priority": "low", "category": "connection"}, ist(2026, 11, 25, 10, 20))
    writes = _writes(seen)
    assert writes == ["UPDATE process_instance", "UPDATE complaint", "UPDATE human_task", "INSERT audit_event",
                      "INSERT human_task"], writes
    actions = [e.action for e in db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.complaint_id == complaint.id).order_by(AuditEvent.seq))]
    assert actions == ["registered", "task_completed", "priority_overridden"]
    stored = refreshed(complaint)
    assert stored.priority_overridden and stored.priority == "low"
    assert not audit_check.verify_chains(complaint.registration_number).breaks
