"""Racing requests and sweepers: no lost update, no duplicate escalation, every loser told why."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Complaint, HumanTask
from app.services.errors import ConcurrentUpdate, TaskAlreadyCompleted
from app.services.workflow import tasks

from .helpers import ACK, ESCALATION, fire, ist, ready, register

pytestmark = pytest.mark.usefixtures("live_version")


def _race(app, calls):
    """Run the calls at the same moment in threads; returns each call's result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = call()
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_eight_threads_racing_on_one_complaint_lose_no_update(app):
    complaint = register("faks", at=ist(2026, 11, 25, 10, 0))
    fire(ist(2026, 11, 25, 18, 30))  # acknowledgement missed: two tasks are now ready at once
    ack, escalation = sorted(ready(complaint), key=lambda t: t.spec_name != "task_acknowledge")
    assert (ack.spec_name, escalation.spec_name) == ("task_acknowledge", "task_ack_escalation")
    db.session.remove()

    def completing(task_id, data, actor):
        return lambda: tasks.complete_task(task_id, data, actor=actor, at=ist(2026, 11, 25, 18, 40)).id

    calls = [completing(ack.id, ACK, f"clerk{i}") for i in range(4)]
    calls += [completing(escalation.id, ESCALATION, f"rep{i}") for i in range(4)]
    outcomes = _race(app, calls)

    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if not isinstance(o, int)]
    assert all(isinstance(o, ConcurrentUpdate | TaskAlreadyCompleted) for o in losers), losers
    assert 1 <= len(winners) <= 2

    # Retry what lost, as a user told "try again" would: everything ends completed exactly once.
    for task in ready(complaint):
        if task.spec_name in ("task_acknowledge", "task_ack_escalation"):
            data = ACK if task.spec_name == "task_acknowledge" else ESCALATION
            tasks.complete_task(task.id, data, actor="retry", at=ist(2026, 11, 25, 18, 45))
    rows = db.session.scalars(sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id)).all()
    completed = sorted(r.spec_name for r in rows if r.state == "completed")
    assert completed == ["task_ack_escalation", "task_acknowledge"]
    assert [r.spec_name for r in rows if r.state == "ready"] == ["task_classify"]
    seqs = db.session.scalars(sa.select(AuditEvent.seq).where(AuditEvent.complaint_id == complaint.id)
                              .order_by(AuditEvent.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))
    assert sum(1 for r in rows if r.state == "completed") == 2


def test_two_sweeper_processes_fire_each_due_timer_exactly_once(app, _migrated):
    count = 1000 if db.engine.dialect.name == "postgresql" else 200
    for i in range(count):
        register("faks", at=ist(2026, 11, 25, 9, 0).replace(second=i % 60, minute=i // 60 % 60))
    db.session.remove()
    url = str(db.engine.url.render_as_string(hide_password=False))
    env = {**os.environ, "DATABASE_URL": url, "SCHEDULER_IN_PROCESS": "0"}
    executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
    command = [executable, "timers", "fire", "--now", "2026-11-25T18:30:00+03:00"]
    sweepers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    outputs = [s.communicate(timeout=600) for s in sweepers]
    assert all(s.returncode == 0 for s in sweepers), outputs

    advanced = sum(int(out.split()[0]) for out, _ in outputs)
    escalations = db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                    .where(HumanTask.spec_name == "task_ack_escalation"))
    assert escalations == count
    assert advanced == count
    per_complaint = db.session.execute(
        sa.select(HumanTask.complaint_id, sa.func.count()).where(HumanTask.spec_name == "task_ack_escalation")
        .group_by(HumanTask.complaint_id).having(sa.func.count() > 1)).all()
    assert per_complaint == []


def test_completing_a_task_while_its_timer_fires_loses_neither(app):
    from app.services.workflow import timers

    complaint = register("faks", at=ist(2026, 11, 25, 10, 0))
    (ack,) = ready(complaint)
    db.session.remove()
    at = ist(2026, 11, 25, 18, 5)  # just past the acknowledgement deadline
    outcomes = _race(app, [
        lambda: tasks.complete_task(ack.id, ACK, actor="clerk", at=at).id,
        lambda: timers.fire_due_timers(at=at),
    ])
    completion, _ = outcomes
    assert isinstance(completion, int | ConcurrentUpdate), completion
    sweep_won = isinstance(completion, ConcurrentUpdate)
    if sweep_won:  # the clerk is told to retry, and does
        tasks.complete_task(ack.id, ACK, actor="clerk", at=ist(2026, 11, 25, 18, 6))
    assert timers.fire_due_timers(at=ist(2026, 11, 25, 18, 7)) == 0

    db.session.expire_all()
    rows = db.session.scalars(sa.select(HumanTask).where(HumanTask.complaint_id == complaint.id)).all()
    states = {r.spec_name: r.state for r in rows}
    assert states["task_acknowledge"] == "completed"
    assert states["task_classify"] == "ready"
    # If the sweep committed first, the representative got the escalation (and the clerk, told to retry
    # or arriving after it, completed the still-open acknowledgement); if the clerk committed first, the
    # acknowledgement was done and there was nothing left to escalate. Either way the breach is on record, once.
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.complaint_id == complaint.id)
                                      .order_by(AuditEvent.seq)))
    sweep_first = "escalation_raised" in actions and \
        actions.index("escalation_raised") < actions.index("task_completed")
    assert sweep_first or not sweep_won
    assert [r.spec_name for r in rows].count("task_ack_escalation") == (1 if sweep_first else 0)
    assert db.session.get(Complaint, complaint.id).deadline_breached


def test_the_procedure_runs_of_a_registration_leave_the_sqlite_write_lock_free(app, monkeypatch):
    """SQLite has one writer at a time. The number is taken before the procedure runs and committed at
    once, so the engine run (most of a registration's time) holds no write lock: another web worker can
    write meanwhile, and two workers register side by side instead of one after the other."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    import sqlite3

    from app.services import context

    engine = context.runtime().engine
    start, seen = engine.start, {}

    def start_while_another_writes(*args, **kwargs):
        other = sqlite3.connect(db.engine.url.database, timeout=0)  # no busy wait: a held lock fails at once
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE registration_counter SET last_number = last_number WHERE 0")
            other.rollback()
            seen["free"] = True
        except sqlite3.OperationalError as exc:
            seen["free"] = str(exc)
        finally:
            other.close()
        return start(*args, **kwargs)

    monkeypatch.setattr(engine, "start", start_while_another_writes)
    complaint = register("telefon")
    assert seen["free"] is True, seen
    assert complaint.registration_number == "SK-2026-000001"


def test_a_registration_in_progress_does_not_hold_up_the_next_one_on_postgresql(app):
    """The number counter is locked for one statement, not through a registration's whole transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: registrations queue behind its write lock by design")
    from app.services.complaints import registration

    inside, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def hold(complaint):
        inside.set()
        outcome["held_until_released"] = release.wait(30)  # False: the other registration waited for this one

    def slow():
        with app.app_context():
            try:
                outcome["slow"] = registration.register_complaint(
                    {"channel": "faks", "customer_name": "Yavaş", "customer_phone": "+90 312 555 0101",
                     "description": "Hat kopuyor."}, actor="test", at=ist(2026, 11, 25, 10, 0),
                    before_commit=hold).registration_number
            finally:
                db.session.remove()

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        assert inside.wait(60), "the first registration did not reach its commit"
        quick = register("telefon", customer_name="Hızlı")  # would wait for the slow one's lock before
        assert quick.registration_number == "SK-2026-000002"
    finally:
        release.set()
        thread.join(60)
    assert outcome["held_until_released"] and outcome["slow"] == "SK-2026-000001"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 2


def _numbers() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Complaint.registration_number).order_by(Complaint.registration_number)))


def test_sixteen_registrations_at_once_get_sixteen_different_numbers(app):
    """More threads than the session pool's 5 + 10 connections, on a year without a counter row yet: every
    one is registered, none waits for ever, no number is given twice (no failure here, so no gap either)."""
    db.session.remove()

    def registering(i):
        return lambda: register("telefon", customer_name=f"Eş Zamanlı {i}", at=ist(2026, 11, 25, 10, i)
                                ).registration_number

    outcomes = _race(app, [registering(i) for i in range(16)])
    assert all(isinstance(o, str) for o in outcomes), outcomes
    assert sorted(outcomes) == [f"SK-2026-{n:06d}" for n in range(1, 17)]
    assert _numbers() == sorted(outcomes)
    assert register("faks").registration_number == "SK-2026-000017"


def test_a_registration_refused_after_its_number_was_taken_leaves_at_most_a_gap(app):
    """A check in before_commit (the portal's consent rows are written there) fails after the number was
    allocated: nothing of it is stored, and the next registration gets a fresh number, never the same
    one twice. The number was taken in a short transaction of its own, so the refused one leaves a gap."""
    from app.services.complaints import registration
    from app.services.errors import ValidationFailed

    first = register("telefon").registration_number

    def refuse(complaint):
        raise ValidationFailed({"consent": "refused at the last moment"})

    with pytest.raises(ValidationFailed):
        registration.register_complaint({"channel": "faks", "customer_name": "Geri Çevrilen",
                                         "customer_phone": "+90 312 555 0101", "description": "Hat kopuyor."},
                                        actor="test", at=ist(2026, 11, 25, 10, 5), before_commit=refuse)
    after = register("telefon").registration_number
    assert (first, after) == ("SK-2026-000001", "SK-2026-000003")
    assert _numbers() == [first, after]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.actor == "test", AuditEvent.action == "registered")) == 2


def test_the_number_counter_connects_with_the_apps_engine_options(app, monkeypatch):
    """Options an operator gives the engine (here the name PostgreSQL shows for each connection) reach
    the counter's own connections too."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("application_name is PostgreSQL's")
    from app.services import side_writes

    monkeypatch.setitem(app.config, "SQLALCHEMY_ENGINE_OPTIONS",
                        {"connect_args": {"application_name": "complaintflow-counter-test"}})
    side_writes.engine_for.cache_clear()
    try:
        with side_writes.engine_for(db.engine).connect() as conn:
            assert conn.execute(sa.text("SHOW application_name")).scalar() == "complaintflow-counter-test"
    finally:
        side_writes.engine_for(db.engine).dispose()
        side_writes.engine_for.cache_clear()


def _closed(driver_connection) -> bool:
    import sqlite3

    if isinstance(driver_connection, sqlite3.Connection):
        try:
            driver_connection.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return True
        return False
    return driver_connection.closed


def _counter_connection():
    from app.services import side_writes

    with side_writes.engine_for(db.engine).connect() as conn:
        return conn.connection.driver_connection  # back in the counter's pool, open


def test_disposing_the_apps_engine_closes_the_number_counters_connections(app, monkeypatch):
    """The app disposes its engine when no connection may stay open: after a restore, at the end of a test,
    before it forks bulk workers (parallel.run_shares). The number counter's own pool goes with it, so no
    counter connection outlives the app's or crosses the fork; a forked child leaves the parent's alone."""
    from app.services import side_writes

    if side_writes.in_memory(db.engine):
        pytest.skip("an in-memory database takes its numbers on the session's connection")
    assert register("telefon").registration_number == "SK-2026-000001"
    kept = _counter_connection()
    db.session.remove()
    db.engine.dispose()
    assert _closed(kept), "the counter's connection stayed open after the app's engine was disposed"
    assert register("telefon").registration_number == "SK-2026-000002"  # a fresh pool takes over

    parents = _counter_connection()
    db.session.remove()
    with monkeypatch.context() as child:
        child.setattr(side_writes.os, "getpid", lambda: -1)  # as in a child forked from this process
        db.engine.dispose()
    assert not _closed(parents)
    parents.close()


def test_an_in_memory_database_numbers_its_registrations_inside_their_own_transaction():
    """An in-memory SQLite database has no second connection to the same data: the counter is bumped on the
    registration's own connection there (a counter connection would see an empty database and fail)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import PROJECT_ROOT, TestConfig
    from app.services.complaints import portal
    from app.services.procedure import versions

    class InMemory(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    memory_app = create_app(InMemory)
    with memory_app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        versions.deploy_version((PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8"),
                                versions.load_forms_dir(PROJECT_ROOT / "forms"), author="test")
        numbers = [register(channel).registration_number for channel in ("telefon", "faks")]
        # The portal's form posts are counted on the session's connection there too, and still limited.
        memory_app.config["PORTAL_FORM_MAX_POSTS"] = 1
        portal.count_form_post("198.51.100.7")
        with pytest.raises(portal.TooManyPosts):
            portal.count_form_post("198.51.100.7")
        db.session.remove()
        db.engine.dispose()
    assert numbers == ["SK-2026-000001", "SK-2026-000002"]
