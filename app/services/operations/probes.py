"""What operations teams ask of a running desk: is it ready, what does it hold, when did its jobs last run.

Readiness and the desk's gauges are read from the database at the moment they are asked for, so every
web worker answers the same, whichever one a load balancer or Prometheus happens to reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import Complaint, HumanTask, JobRun, OutboxMessage, ProcessInstance, ProcessVersion
from app.services import context

TIMER_SWEEP, OUTBOX_DELIVERY, RETENTION, AUDIT_CHECK = "timer-sweep", "outbox-delivery", "kvkk-retention", "audit-check"
JOBS = (TIMER_SWEEP, OUTBOX_DELIVERY, RETENTION, AUDIT_CHECK)


@dataclass
class Readiness:
    checks: dict[str, tuple[bool, str]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(ok for ok, _ in self.checks.values())

    def as_dict(self) -> dict:
        return {"status": "ready" if self.ready else "not ready",
                "checks": {name: {"ok": ok, "detail": detail} for name, (ok, detail) in self.checks.items()}}


@cache
def migration_heads(directory: Path = PROJECT_ROOT / "migrations") -> frozenset[str]:
    """The Alembic head revision(s) this code expects, read once from the migration scripts."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    config = AlembicConfig()
    config.set_main_option("script_location", str(directory))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def readiness(at: datetime | None = None) -> Readiness:
    """Database reachable, schema at the code's migration head, a live procedure version, and a
    scheduler whose timer sweep ran within SCHEDULER_MAX_SILENCE_SECONDS."""
    at = context.utc(at)
    report = Readiness()
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        report.checks["database"] = (False, f"unreachable ({type(exc).__name__})")
        return report
    report.checks["database"] = (True, "reachable")
    try:
        current = set(db.session.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        report.checks["migrations"] = (False, "no schema: run `complaintflow db upgrade`")
        return report
    expected = set(migration_heads())
    report.checks["migrations"] = (
        (True, "current") if current == expected else
        (False, f"database at {', '.join(sorted(current)) or 'nothing'}, code expects {', '.join(sorted(expected))}: "
                "run `complaintflow db upgrade`"))
    if not report.checks["migrations"][0]:
        return report
    live = db.session.scalar(sa.select(ProcessVersion.number).where(ProcessVersion.is_live))
    report.checks["procedure"] = (True, f"version {live} is live") if live is not None else (
        False, "no live procedure version: run `complaintflow processes deploy FILE`")
    report.checks["scheduler"] = _scheduler_check(at)
    return report


def _scheduler_check(at: datetime) -> tuple[bool, str]:
    last = db.session.get(JobRun, TIMER_SWEEP)
    limit = timedelta(seconds=current_app.config["SCHEDULER_MAX_SILENCE_SECONDS"])
    if last is None:
        return False, "the timer sweep has never run: start `complaintflow scheduler`"
    silence = at - last.last_run_at
    if silence > limit:
        return False, f"last timer sweep {int(silence.total_seconds())} s ago (limit {int(limit.total_seconds())} s)"
    return True, f"last timer sweep at {last.last_run_at.isoformat()}"


def record_job_run(job: str, *, ok: bool = True, detail: str = "", at: datetime | None = None) -> None:
    """Overwrite the job's row in a transaction of its own: the scheduler's heartbeat."""
    at = context.utc(at)
    row = db.session.get(JobRun, job)
    if row is None:
        db.session.add(JobRun(job=job, last_run_at=at, ok=ok, detail=detail[:500]))
    else:
        row.last_run_at, row.ok, row.detail = at, ok, detail[:500]
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # a second scheduler inserted the row first: update theirs
        db.session.rollback()
        db.session.execute(sa.update(JobRun).where(JobRun.job == job)
                           .values(last_run_at=at, ok=ok, detail=detail[:500]))
        db.session.commit()


def job_runs() -> list[JobRun]:
    return list(db.session.scalars(sa.select(JobRun).order_by(JobRun.job)))


@dataclass
class DeskGauges:
    """The desk's state as numbers, each a list of (labels, value)."""

    complaints: list[tuple[dict, int]]
    open_tasks: list[tuple[dict, int]]
    overdue_tasks: list[tuple[dict, int]]
    deadlines_breached: int
    timers_due: int
    outbox: list[tuple[dict, int]]
    jobs: list[JobRun]


def desk_gauges(at: datetime | None = None) -> DeskGauges:
    """Grouped counts, one query each, so a scrape costs a handful of indexed aggregates."""
    at = context.utc(at)
    complaints = [({"stage": str(stage), "status": status}, count) for stage, status, count in db.session.execute(
        sa.select(Complaint.stage, Complaint.status, sa.func.count()).group_by(Complaint.stage, Complaint.status)
        .order_by(Complaint.stage, Complaint.status))]
    ready = HumanTask.state == "ready"
    open_tasks = [({"lane": lane or ""}, count) for lane, count in db.session.execute(
        sa.select(HumanTask.lane, sa.func.count()).where(ready).group_by(HumanTask.lane).order_by(HumanTask.lane))]
    overdue = [({"lane": lane or ""}, count) for lane, count in db.session.execute(
        sa.select(HumanTask.lane, sa.func.count()).where(ready, HumanTask.due_at < at)
        .group_by(HumanTask.lane).order_by(HumanTask.lane))]
    breached = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint).where(
        Complaint.deadline_breached, Complaint.status != "cancelled"))
    timers_due = db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance).where(
        ProcessInstance.status == "running", ProcessInstance.next_timer_at <= at))
    by_status = dict(db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)).all())
    outbox = [({"status": status}, by_status.get(status, 0)) for status in ("pending", "sending", "failed")]
    return DeskGauges(complaints=complaints, open_tasks=open_tasks, overdue_tasks=overdue,
                      deadlines_breached=breached or 0, timers_due=timers_due or 0, outbox=outbox, jobs=job_runs())
