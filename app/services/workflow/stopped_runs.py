"""Runs of diagram code the watchdog cut off by ending their process: flag their complaints.

A killed process wrote nothing of its step (its transaction never committed) but left a marker
(`app.engine.watchdog`). The next web worker to start and every timer sweep look for markers of dead
processes and, for each, in one transaction: flag the complaint for the representative with the
sentence "<task> (<element>): the script did not finish in N s ...", record a `procedure_failed`
audit event, and, when the sweep was firing its timers, suspend the complaint, so that the sweep
does not run the same code again and die again; a manager resumes it after the diagram is fixed.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.engine import ProcedureFailure, watchdog
from app.extensions import db
from app.models import Complaint, ProcessInstance
from app.services import audit, context

log = logging.getLogger(__name__)
ACTOR = "system:watchdog"


def failure_of(run: watchdog.DeadRun) -> ProcedureFailure:
    limit = float(run.action.get("limit") or 0)
    return ProcedureFailure("timeout", run.element, run.name,
                            f"the script did not finish in {limit:g} s; the server process running it was "
                            "stopped and nothing of the step was saved")


def recover(at: datetime | None = None) -> int:
    """Flag the complaint of every run the watchdog stopped; returns how many runs were found.

    Only the run that stopped its process is flagged: the same process's other runs (another request of
    the worker, another timer of the sweep) were cut off with it, saved nothing, and are simply tried again.
    """
    directory = current_app.config.get("SCRIPT_WATCHDOG_DIR")
    if not directory:
        return 0
    at = context.utc(at)
    found = 0
    with watchdog.recovery(directory) as mine:
        if not mine:
            return 0
        runs = list(watchdog.dead_markers(directory))
        stopping = watchdog.stopping_runs(runs)
        for run in runs:
            if run.path not in stopping:
                log.warning("%s of instance %s was cut off when another action stopped process %s; nothing of "
                            "it was saved and it is tried again", run.action.get("action"),
                            run.action.get("instance_id") or run.action.get("registration_number"), run.process)
            else:
                try:
                    _flag(run, at)
                    db.session.commit()
                except Exception:  # noqa: BLE001 - the marker stays for the next sweep; the others go on
                    db.session.rollback()
                    log.exception("could not flag the run stopped by the watchdog (%s)", run.path)
                    run.release()
                    continue
            try:
                run.discard()
            except OSError:  # its descriptor is closed all the same; the next scan finds the marker blank
                log.exception("could not remove the watchdog marker %s", run.path)
            found += 1
    return found


def _flag(run: watchdog.DeadRun, at: datetime) -> None:
    failure = failure_of(run)
    action = run.action.get("action")
    instance_id = run.action.get("instance_id")
    if not isinstance(instance_id, int):
        log.error("%s, while registering a complaint (channel %s, number %s); nothing was stored",
                  failure, run.action.get("channel"), run.action.get("registration_number"))
        return
    row = db.session.execute(sa.select(Complaint, ProcessInstance).join(
        ProcessInstance, Complaint.instance_id == ProcessInstance.id).where(ProcessInstance.id == instance_id)).first()
    if row is None:
        log.error("%s (instance %s, which no longer exists)", failure, instance_id)
        return
    complaint, instance = row
    suspended = action in ("timers", "message") and instance.status == "running"
    if suspended:
        instance.status, instance.updated_at = "suspended", at
    complaint.attention_reason, complaint.attention_at = str(failure)[:500], at
    audit.record(complaint.id, "procedure_failed", actor=ACTOR, at=at,
                 data={"element": failure.element, "kind": failure.kind, "detail": failure.detail[:300],
                       "stopped_process": run.action.get("pid"), "suspended": suspended})
    log.error("complaint %s: %s%s", complaint.registration_number, failure,
              "; the complaint is suspended until a manager resumes it" if suspended else "")
