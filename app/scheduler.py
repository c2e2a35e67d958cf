"""APScheduler jobs: the timer sweep (and, later, outbox delivery and retention).

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


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
    scheduler.add_job(
        sweep_timers, "interval", args=[app], seconds=app.config["TIMER_SWEEP_SECONDS"],
        id="timer-sweep", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC),
    )
    return scheduler
