"""APScheduler jobs: the timer sweep, outbox delivery, KVKK retention and the at-risk estimate.

APScheduler 3 cannot share a job store between processes, so exactly one scheduler runs: in-process
under `complaintflow run`, or as `complaintflow scheduler` beside the web workers. The sweep itself
is safe to run twice (see services.timers).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

log = logging.getLogger(__name__)


def sweep_timers(app: Flask) -> int:
    from .services import timers

    with app.app_context():
        fired = timers.fire_due_timers(limit=app.config["TIMER_SWEEP_BATCH"])
        if fired:
            log.info("timer sweep advanced %d complaint(s)", fired)
        return fired


def deliver_outbox(app: Flask) -> int:
    from .services import outbox

    with app.app_context():
        report = outbox.deliver_pending()
        if report.sent or report.failed or report.retrying:
            log.info("outbox delivery: %s", report)
        return report.sent


def apply_retention(app: Flask) -> int:
    from .services import retention

    with app.app_context():
        report = retention.run_retention()
        if report.anonymised or report.view_log_rows or report.quarantine_files:
            log.info("KVKK retention: %s", report)
        return len(report.anonymised)


def recompute_risk(app: Flask) -> int:
    from .services.insight import risk

    with app.app_context():
        report = risk.recompute()
        log.info("at-risk estimate: %s", report)
        return report.at_risk


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    scheduler.add_job(
        sweep_timers, "interval", args=[app], seconds=app.config["TIMER_SWEEP_SECONDS"],
        id="timer-sweep", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        deliver_outbox, "interval", args=[app], seconds=app.config["OUTBOX_SWEEP_SECONDS"],
        id="outbox-delivery", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        apply_retention, "interval", args=[app], hours=app.config["RETENTION_SWEEP_HOURS"],
        id="kvkk-retention", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        recompute_risk, "interval", args=[app], minutes=app.config["AT_RISK_SWEEP_MINUTES"],
        id="at-risk", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
    )
    return scheduler
