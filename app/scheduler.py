"""APScheduler jobs: the timer sweep, outbox delivery, KVKK retention, the audit-chain check, the at-risk
estimate, the incident decisions waiting to be applied and the IMAP mailbox (when one is set).

APScheduler 3 cannot share a job store between processes, so exactly one scheduler runs: in-process
under `complaintflow run`, or as `complaintflow scheduler` beside the web workers. The sweep itself
is safe to run twice (see services.timers).

Each run is written to the `job_run` table (the scheduler's heartbeat, read by /readyz and /metrics)
and logged as one line (a JSON line with LOG_FORMAT=json).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger(__name__)


def _run_job(app: Flask, job: str, work: Callable[[], tuple[bool, str, dict]]) -> dict:
    """Run one job in an app context, record it in job_run and log one line; never raises."""
    from .extensions import db
    from .services.operations import probes as operations

    with app.app_context():
        started = time.perf_counter()
        try:
            ok, detail, counts = work()
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded and logged; the next one tries again
            db.session.rollback()
            ok, detail, counts = False, f"{type(exc).__name__}: {exc}", {}
            log.exception("job %s failed", job, extra={"event": "job", "job": job, "ok": False})
        fields = {"event": "job", "job": job, "ok": ok, **counts,
                  "duration_ms": round((time.perf_counter() - started) * 1000, 2)}
        (log.info if ok else log.warning)("job %s: %s", job, detail, extra=fields)
        try:
            operations.record_job_run(job, ok=ok, detail=detail)
        except Exception:  # noqa: BLE001 - the heartbeat is best effort; readiness shows the silence
            db.session.rollback()
            log.exception("could not record the run of %s", job)
        return fields


def sweep_timers(app: Flask) -> int:
    from .services.workflow import timers

    def work():
        fired = timers.fire_due_timers(limit=app.config["TIMER_SWEEP_BATCH"])
        return True, f"{fired} complaint(s) advanced", {"advanced": fired}

    return _run_job(app, "timer-sweep", work).get("advanced", 0)


def deliver_outbox(app: Flask) -> int:
    from .services.errors import MailNotConfigured
    from .services.mail import outbox

    def work():
        try:
            report = outbox.deliver_pending()
        except MailNotConfigured as exc:
            return False, str(exc), {}
        return True, str(report), {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}

    return _run_job(app, "outbox-delivery", work).get("sent", 0)


def apply_retention(app: Flask) -> int:
    from .services.privacy import retention

    def work():
        report = retention.run_retention()
        return True, str(report), {"anonymised": len(report.anonymised), "view_log_rows": report.view_log_rows,
                                   "quarantine_files": report.quarantine_files}

    return _run_job(app, "kvkk-retention", work).get("anonymised", 0)


def check_audit_chains(app: Flask) -> bool:
    from .services.operations.audit_check import verify_chains

    def work():
        report = verify_chains()
        return report.ok, f"{report.complaints} complaint(s), {len(report.breaks)} break(s)", {
            "breaks": len(report.breaks)}

    return _run_job(app, "audit-check", work)["ok"]


def poll_mailbox(app: Flask) -> int:
    """One IMAP poll; a failure is logged and the next interval tries again (nothing unmoved is lost)."""
    from .services.mail import imap as mail_imap

    def work():
        try:
            report = mail_imap.poll()
        except (mail_imap.MailboxError, mail_imap.MailboxUnavailable) as exc:
            return False, f"IMAP poll failed: {exc}", {}
        return True, f"IMAP poll: {report}", {"filed": len(report.filed)}

    return _run_job(app, "imap-poll", work).get("filed", 0)


def recompute_risk(app: Flask) -> int:
    from .services.review.insight import risk

    def work():
        report = risk.recompute()
        return True, f"at-risk estimate: {report}", {"at_risk": report.at_risk}

    return _run_job(app, "at-risk", work).get("at_risk", 0)


def apply_incident_resolutions(app: Flask) -> int:
    """The decisions handlers asked to apply to their outage's complaints (each complaint its own transaction)."""
    from .services.complaints import incidents

    def work():
        reports = incidents.apply_requested()
        applied = sum(len(outcome.applied) for _, outcome in reports)
        failed = sum(len(outcome.failed) for _, outcome in reports)
        return True, f"{len(reports)} incident decision(s) applied to {applied} complaint(s)", {
            "applied": applied, "failed": failed}

    return _run_job(app, INCIDENT_RESOLUTIONS, work).get("applied", 0)


INCIDENT_RESOLUTIONS = "incident-resolutions"
_EXTENSION = "complaintflow.scheduler"


def wake(app: Flask, job: str) -> bool:
    """Run an interval job now when this process holds the scheduler (`complaintflow run`); False when the
    scheduler is another process, which takes the work at the job's next interval."""
    scheduler = app.extensions.get(_EXTENSION)
    if scheduler is None or not scheduler.running or scheduler.get_job(job) is None:
        return False
    scheduler.modify_job(job, next_run_time=datetime.now(UTC))
    return True


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    start = datetime.now(UTC)  # APScheduler's own timing, not the desk clock: when to run, not what is due
    for job, function, every in (
            ("timer-sweep", sweep_timers, {"seconds": app.config["TIMER_SWEEP_SECONDS"]}),
            ("outbox-delivery", deliver_outbox, {"seconds": app.config["OUTBOX_SWEEP_SECONDS"]}),
            ("kvkk-retention", apply_retention, {"hours": app.config["RETENTION_SWEEP_HOURS"]}),
            ("audit-check", check_audit_chains, {"hours": app.config["AUDIT_CHECK_HOURS"]}),
            ("at-risk", recompute_risk, {"minutes": app.config["AT_RISK_SWEEP_MINUTES"]}),
            (INCIDENT_RESOLUTIONS, apply_incident_resolutions, {"seconds": app.config["INCIDENT_SWEEP_SECONDS"]})):
        scheduler.add_job(function, "interval", args=[app], id=job, max_instances=1, coalesce=True,
                          next_run_time=start, **every)
    if (app.config.get("IMAP_HOST") or "").strip() and app.config["IMAP_POLL_SECONDS"] > 0:
        scheduler.add_job(poll_mailbox, "interval", args=[app], id="imap-poll", max_instances=1, coalesce=True,
                          next_run_time=start, seconds=app.config["IMAP_POLL_SECONDS"])
    if not blocking:
        app.extensions[_EXTENSION] = scheduler  # the web requests of this process may `wake` a job
    return scheduler
