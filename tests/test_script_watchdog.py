"""One C-level operation the tracer cannot interrupt: the watchdog ends the process, the complaint is flagged.

`b == c` over a million references to million-item lists is one bytecode instruction that holds the
GIL for minutes. These tests run it in a real `complaintflow timers fire` process (the timer sweep) and
check that the process is released at the watchdog's limit, that nothing of the step was written, that
the next sweep flags and suspends that complaint instead of running it again, and that the others go on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Complaint
from app.services.procedure import versions

from . import procedure_edits as edits
from .helpers import complete, ist, ready_names, register

WATCHDOG_SECONDS = 2
# Only the second complaint of the year sets it off: the gate's scenarios register SK-…-000001.
C_LEVEL_BOMB = ("if registration_number.endswith('0002'):\n    a = [1] * 1000000\n    b = [a] * 1000000\n"
                "    c = [list(a)] * 1000000\n    same = b == c")
_ESCALATION_PROPERTIES = ('<spiffworkflow:property name="escalation" value="acknowledgement" />'
                          "</spiffworkflow:properties>")


def with_bomb_in_ack_escalation(bpmn: str, forms: dict) -> tuple[str, dict]:
    """The late-acknowledgement follow-up (raised by the sweep) runs the bomb in its preScript."""
    script = f"<spiffworkflow:preScript>{C_LEVEL_BOMB}</spiffworkflow:preScript>"
    return edits.replace_once(bpmn, _ESCALATION_PROPERTIES, _ESCALATION_PROPERTIES + script), forms


def _complaintflow(args: list[str], tmp_path, limit: float = 120.0) -> tuple[int, float, str]:
    """Run a real `complaintflow` process on the test's database; (exit status, seconds, stderr).

    Waits by polling (never a timed thread wait: under faketime it would wait a year)."""
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    db.engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "COMPLAINTFLOW_INSTANCE_DIR": str(tmp_path),
           "SCRIPT_WATCHDOG_SECONDS": str(WATCHDOG_SECONDS), "SCRIPT_WATCHDOG_DIR": str(tmp_path / "running"),
           "SCHEDULER_IN_PROCESS": "0"}
    env.pop("TEST_DATABASE_URL", None)
    executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
    errors = tmp_path / f"stderr-{time.monotonic_ns()}.txt"
    with open(errors, "wb") as stderr:
        process = subprocess.Popen([executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True)
        started = time.monotonic()
        while process.poll() is None and time.monotonic() - started < limit:
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            pytest.fail(f"complaintflow {' '.join(args)} was still running after {limit:g} s")
    return process.returncode, elapsed, errors.read_text(encoding="utf-8", errors="replace")


def _actions(complaint_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.complaint_id == complaint_id)
                                   .order_by(AuditEvent.id)))


def _complaint(complaint_id: int) -> Complaint:
    db.session.expire_all()
    return db.session.get(Complaint, complaint_id)


@pytest.fixture
def bomb_version(app):
    bpmn, forms = with_bomb_in_ack_escalation(*edits.shipped())
    return versions.deploy_version(bpmn, forms, author="analyst", comment="C-level bomb", at=ist(2026, 1, 1, 9, 0))


def test_a_c_level_operation_in_the_sweep_ends_the_process_and_flags_only_that_complaint(app, bomb_version,
                                                                                           tmp_path):
    calm = register("faks", at=ist(2026, 11, 25, 10, 0))
    hostile = register("faks", at=ist(2026, 11, 25, 10, 0))
    assert hostile.registration_number.endswith("0002")
    lock_before, instance_id = hostile.instance.lock_version, hostile.instance_id
    hostile_id, calm_id = hostile.id, calm.id
    actions_before = _actions(hostile_id)

    status, seconds, stderr = _complaintflow(["timers", "fire", "--now", "2026-11-26T10:00:00+03:00"], tmp_path)
    assert status == -signal.SIGALRM, (status, stderr)  # the kernel's timer, not the test, ended it
    assert seconds < 60  # the comparison alone would take many minutes
    # One marker per sweep thread (PostgreSQL fires with several). The killed step's is not blank; another
    # thread's may not be either, when the kill came in the middle of its step (CI saw it under load).
    markers = [m for m in (tmp_path / "running").glob("*.run") if m.read_bytes().strip()]
    actions = [json.loads(m.read_bytes()[:2048].strip()) for m in markers]
    assert {"instance_id": instance_id, "action": "timers"}.items() <= next(
        a for a in actions if a.get("instance_id") == instance_id).items()

    hostile = _complaint(hostile_id)  # nothing of the killed step was written
    assert hostile.instance.lock_version == lock_before and hostile.attention_reason is None
    assert _actions(hostile_id) == actions_before and ready_names(hostile) == ["task_acknowledge"]

    # The next sweep flags it (once, and suspended, so it does not run the bomb again) and fires the rest.
    status, _, stderr = _complaintflow(["timers", "fire", "--now", "2026-11-26T10:00:00+03:00"], tmp_path)
    assert status == 0, stderr
    hostile = _complaint(hostile_id)
    assert hostile.attention_reason.startswith("Geciken alındı bildirimini takip et (task_ack_escalation): "
                                               f"the script did not finish in {WATCHDOG_SECONDS} s")
    assert hostile.instance.status == "suspended" and hostile.instance.lock_version == lock_before + 1
    assert _actions(hostile_id) == [*actions_before, "procedure_failed"]
    assert ready_names(hostile) == ["task_acknowledge"]
    assert [m for m in (tmp_path / "running").glob("*.run") if m.read_bytes().strip()] == []

    calm = _complaint(calm_id)
    assert ready_names(calm) == ["task_ack_escalation", "task_acknowledge"]
    complete(calm, "task_ack_escalation", {"action_taken": "Müşteri arandı."}, ist(2026, 11, 26, 11, 0))
    assert ready_names(_complaint(calm_id)) == ["task_acknowledge"]

    status, _, stderr = _complaintflow(["timers", "fire", "--now", "2026-11-26T10:05:00+03:00"], tmp_path)
    assert status == 0, stderr  # the suspended complaint is left alone
    assert _actions(hostile_id) == [*actions_before, "procedure_failed"]


def _with_bomb_after_analysis(bpmn: str, forms: dict) -> tuple[str, dict]:
    """The analysis step's postScript runs the bomb when the findings say 'sonsuz' (no gate answer does)."""
    script = ("<spiffworkflow:postScript>if 'sonsuz' in analysis_findings:\n    a = [1] * 1000000\n"
              "    b = [a] * 1000000\n    c = [list(a)] * 1000000\n    same = b == c</spiffworkflow:postScript>")
    properties = ('<spiffworkflow:property name="form" value="analysis" /><spiffworkflow:property name="due" '
                  'value="solution_due" /></spiffworkflow:properties>')
    return edits.replace_once(bpmn, properties, properties + script), forms


def test_a_c_level_operation_in_a_web_request_ends_that_worker_and_its_successor_flags_the_complaint(app, tmp_path):
    import requests

    from app.services.accounts import api_tokens

    from .helpers import ANALYSIS, task_named
    from .test_crash import _free_port

    versions.deploy_version(*_with_bomb_after_analysis(*edits.shipped()), author="analyst", comment="bomb",
                            at=ist(2026, 1, 1, 9, 0))
    complaint = register("telefon", at=ist(2026, 11, 25, 10, 0))
    complete(complaint, "task_classify", {"priority": "normal", "category": "connection"}, ist(2026, 11, 25, 10, 5))
    task_id, complaint_id = task_named(complaint, "task_analyse").id, complaint.id
    _, token = api_tokens.create_token("watchdog", ["handler"])
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "COMPLAINTFLOW_INSTANCE_DIR": str(tmp_path),
           "SCRIPT_WATCHDOG_SECONDS": str(WATCHDOG_SECONDS), "SCRIPT_WATCHDOG_DIR": str(tmp_path / "running")}
    env.pop("TEST_DATABASE_URL", None)
    executable = os.path.join(os.path.dirname(sys.executable), "complaintflow")
    server = subprocess.Popen([executable, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}

    def wait_for(check, seconds: float = 90.0):
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            try:
                if check():
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        pytest.fail(f"{check.__doc__} within {seconds:g} s")

    def up() -> bool:
        """the server answers"""
        return requests.get(f"{base}/healthz", timeout=5).ok

    def flagged() -> bool:
        """the new worker flags the complaint"""
        db.session.expire_all()
        return db.session.get(Complaint, complaint_id).attention_reason is not None

    try:
        wait_for(up)
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError):  # the worker is gone mid-request
            requests.post(f"{base}/api/v1/tasks/{task_id}/complete", headers=headers, timeout=60,
                          json={"data": {**ANALYSIS, "analysis_findings": "sonsuz döngü"}})
        assert time.monotonic() - started < 30  # released at the watchdog's limit, not after minutes
        wait_for(up)
        wait_for(flagged)
        reason = db.session.get(Complaint, complaint_id).attention_reason
        assert "(task_analyse): " in reason
        assert f"did not finish in {WATCHDOG_SECONDS} s" in reason
        db.session.remove()
        # The same task with other findings goes through on the new worker, and the flag is lifted.
        done = requests.post(f"{base}/api/v1/tasks/{task_id}/complete", headers=headers, timeout=60,
                             json={"data": ANALYSIS})
        assert done.status_code == 200, done.text
        db.session.expire_all()
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.attention_reason is None and complaint.instance.status == "running"
        assert _actions(complaint_id).count("procedure_failed") == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        for _ in range(100):
            if server.poll() is not None:
                break
            time.sleep(0.1)
        else:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _dead_process_with_markers(directory, steps) -> None:
    """A process that ran `steps` (action info, and whether its diagram code was still running) and died:
    a forked child writes the markers as the runner does, then exits without ending any action."""
    from types import SimpleNamespace

    from app.engine import watchdog

    pid = os.fork()
    if pid == 0:  # the child: markers only, no database, no cleanup
        try:
            watchdog.install(directory, 60)
            for info, in_code in steps:
                watchdog.start_action(info)
                watchdog.begin_run(SimpleNamespace(bpmn_id=f"script_{info['instance_id']}", bpmn_name=None))
                if not in_code:
                    watchdog.end_run()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.mark.parametrize("frozen_by_the_later_step", [True, False])
def test_only_the_step_that_stopped_its_process_is_flagged_the_others_are_tried_again(app, live_version, tmp_path,
                                                                                       frozen_by_the_later_step):
    """A web worker's or a sweep's other steps die with the one that froze the process. The timer went off
    for the earliest step, which a C-level operation of a later step may only have starved of the GIL; the
    step still inside diagram code is the one. With none inside diagram code, the earliest step's time ran out."""
    from app.services.workflow import stopped_runs

    first, later = register("faks", at=ist(2026, 11, 25, 10, 0)), register("faks", at=ist(2026, 11, 25, 10, 0))
    directory = tmp_path / "running"
    app.config["SCRIPT_WATCHDOG_DIR"] = str(directory)
    _dead_process_with_markers(directory, [({"action": "timers", "instance_id": first.instance_id}, False),
                                           ({"action": "timers", "instance_id": later.instance_id},
                                            frozen_by_the_later_step)])
    assert stopped_runs.recover(at=ist(2026, 11, 25, 10, 5)) == 2
    culprit, innocent = (later, first) if frozen_by_the_later_step else (first, later)
    culprit, innocent = _complaint(culprit.id), _complaint(innocent.id)
    assert culprit.instance.status == "suspended"
    assert culprit.attention_reason.startswith(f"script_{culprit.instance_id}: the script did not finish")
    assert innocent.instance.status == "running" and innocent.attention_reason is None
    assert _actions(innocent.id).count("procedure_failed") == 0
    assert list(directory.glob("*.run")) == []  # both dealt with
    assert stopped_runs.recover(at=ist(2026, 11, 25, 10, 6)) == 0


def _run(name: str, life: str, started: float, in_code_since: float | None = None):
    from pathlib import Path

    from app.engine import watchdog

    return watchdog.DeadRun(Path(f"/markers/{name}.run"), -1, {"life": life, "started": started, "limit": 5},
                            None, None, in_code_since)


@pytest.mark.parametrize(("runs", "stopping"), [
    # The earlier step's time ran out while a later one sat in one C-level operation since long before.
    ([("a", "p1", 100.0, None), ("b", "p1", 101.0, 101.1)], {"b"}),
    # Nobody inside diagram code (stuck on the database, say): the step whose time ran out.
    ([("a", "p1", 100.0, None), ("b", "p1", 101.0, None)], {"a"}),
    # A step caught in a short condition just before the deadline is a bystander: the slow step is it.
    ([("a", "p1", 100.0, None), ("b", "p1", 104.0, 104.99)], {"a"}),
    # Several starved inside their code: the last to enter froze the others.
    ([("a", "p1", 100.0, 100.5), ("b", "p1", 100.2, 101.0), ("c", "p1", 100.3, 100.9)], {"b"}),
    # Two dead processes, or two lives of one pid in a container: one each.
    ([("a", "p1", 100.0, None), ("b", "p2", 101.0, None), ("c", "p2", 102.0, None)], {"a", "b"}),
])
def test_the_step_that_stopped_a_process_is_told_from_its_bystanders(runs, stopping):
    from app.engine import watchdog

    found = watchdog.stopping_runs([_run(*r) for r in runs])
    assert {path.stem for path in found} == stopping
