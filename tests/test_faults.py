"""Faults: a busy SQLite, a dropped PostgreSQL connection, a full disk, a scheduler killed mid-sweep.

SMTP down and back is covered by test_outbox.py
(`test_smtp_down_messages_wait_with_backoff_and_go_out_once_when_it_is_back`).
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Attachment, AuditEvent, HumanTask, ProcessInstance
from app.services.workflow import runtime, timers

from .helpers import ACK, ist, register, task_named

pytestmark = pytest.mark.usefixtures("live_version")


def _snapshot(complaint_id: int) -> tuple:
    db.session.expire_all()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.complaint_id == complaint_id)),
            db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                              .where(HumanTask.complaint_id == complaint_id, HumanTask.state == "ready")),
            db.session.scalar(sa.select(ProcessInstance.lock_version).join_from(
                ProcessInstance, HumanTask, HumanTask.instance_id == ProcessInstance.id)
                .where(HumanTask.complaint_id == complaint_id).limit(1)))


def test_sqlite_busy_during_a_completion_is_a_retryable_409_and_nothing_is_written(app, api):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    complaint = register("faks")
    complaint_id, task_id = complaint.id, task_named(complaint, "task_acknowledge").id
    client = api("intake")
    before = _snapshot(complaint_id)

    def short_busy_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    db.session.remove()
    db.engine.dispose()
    sa.event.listen(db.engine, "connect", short_busy_timeout)
    holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        r = client.post(f"/tasks/{task_id}/complete", json={"data": ACK})
        assert r.status_code == 409, r.json
        assert r.json["type"] == "/api#concurrent-update"
        assert r.headers["Retry-After"]
        holder.execute("ROLLBACK")
        assert _snapshot(complaint_id) == before
        assert client.post(f"/tasks/{task_id}/complete", json={"data": ACK}).status_code == 200
    finally:
        holder.close()
        sa.event.remove(db.engine, "connect", short_busy_timeout)
        db.session.remove()
        db.engine.dispose()


def test_postgresql_connection_dropped_mid_completion_is_a_retryable_503(app, api, monkeypatch):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL")
    complaint = register("faks")
    task = task_named(complaint, "task_acknowledge")
    client = api("intake")
    before = _snapshot(complaint.id)
    original = runtime.save_run
    killer = sa.create_engine(db.engine.url)

    def save_run_after_the_connection_dies(*args, **kwargs):
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return original(*args, **kwargs)

    monkeypatch.setattr(runtime, "save_run", save_run_after_the_connection_dies)
    try:
        r = client.post(f"/tasks/{task.id}/complete", json={"data": ACK})
    finally:
        killer.dispose()
    assert r.status_code == 503, r.json
    assert r.json["type"] == "/api#unavailable" and r.headers["Retry-After"]
    monkeypatch.setattr(runtime, "save_run", original)
    assert _snapshot(complaint.id) == before
    assert client.post(f"/tasks/{task.id}/complete", json={"data": ACK}).status_code == 200


@pytest.fixture
def tiny_disk(app, tmp_path):
    """ATTACHMENT_DIR on a 64 KiB tmpfs (needs root and mount; skipped with the reason otherwise)."""
    target = tmp_path / "tiny"
    target.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(target)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    app.config["ATTACHMENT_DIR"] = str(target)
    yield target
    subprocess.run(["umount", str(target)], check=False)


def test_disk_full_on_attachment_write_is_refused_cleanly(app, as_user, tiny_disk):
    complaint = register("faks")
    events_before = _snapshot(complaint.id)[0]
    big = b"x" * (200 * 1024)
    r = as_user("handler").post(f"/complaints/{complaint.registration_number}/attachments",
                                data={"files": (io.BytesIO(big), "buyuk.txt")}, content_type="multipart/form-data",
                                follow_redirects=True)
    assert r.status_code == 200
    assert "kaydedilemedi" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert _snapshot(complaint.id)[0] == events_before
    assert [p.name for p in tiny_disk.rglob("*") if p.is_file()] == []
    small = as_user("handler").post(f"/complaints/{complaint.registration_number}/attachments",
                                    data={"files": (io.BytesIO(b"merhaba"), "kucuk.txt")},
                                    content_type="multipart/form-data")
    assert small.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1


def test_a_sweep_killed_mid_batch_is_finished_by_the_next_without_duplicates(app, _migrated):
    count = 120
    for i in range(count):
        register("faks", at=ist(2026, 11, 25, 10, 0), customer_name=f"Müşteri {i}")
    due = "2026-11-26T10:00:00+03:00"
    env = {**os.environ, "DATABASE_URL": _migrated, "SCHEDULER_IN_PROCESS": "0"}
    sweeper = subprocess.Popen([str(Path(sys.executable).parent / "complaintflow"), "timers", "fire", "--now", due],
                               env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def escalations() -> int:
        db.session.rollback()
        return db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                 .where(HumanTask.escalation == "acknowledgement"))

    deadline = time.monotonic() + 60
    while escalations() < 5 and time.monotonic() < deadline and sweeper.poll() is None:
        time.sleep(0.01)
    sweeper.send_signal(signal.SIGKILL)
    sweeper.wait()
    done_by_first = escalations()
    assert 0 < done_by_first < count, "kill the sweep while it runs (make the batch larger if this fails)"

    timers.fire_due_timers(at=ist(2026, 11, 26, 10, 0))
    assert escalations() == count
    per_complaint = db.session.execute(sa.select(HumanTask.complaint_id, sa.func.count())
                                       .where(HumanTask.escalation == "acknowledgement")
                                       .group_by(HumanTask.complaint_id)).all()
    assert {n for _, n in per_complaint} == {1}
