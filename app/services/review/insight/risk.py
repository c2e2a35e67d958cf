"""At risk before the deadline: recompute, for every open complaint, whether it will miss its deadline.

The estimate (run by the scheduler and `complaintflow review at-risk`, never per page view):
- the current step is the complaint's open main-path task with the earliest deadline;
- the steps that remain before that deadline is met are read from the diagram of the complaint's
  version (app.engine.paths): the user tasks after the current one that carry the same deadline;
- needed = what the current step usually still takes (its median minus the business time it has
  already been open, not below zero) + the median of every later step; a step on a branch that not
  every complaint takes (the phone call) counts with the share of history that took it;
- left = business hours from now to the deadline; at risk when needed > left.
Medians are per step and per priority (pooled before classification); a step with fewer than
AT_RISK_MIN_HISTORY completions makes the estimate 'unknown' instead of a guess (a branch step is
weighted by its share of history instead, which is zero when it was never taken).

Every estimate made before a deadline is also kept in `deadline_forecast`, and resolved when the
deadline is met or missed, so the dashboard can say how well the flags predicted the breaches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.engine import user_tasks
from app.engine.paths import remaining_steps
from app.extensions import db
from app.models import Complaint, DeadlineForecast, HumanTask, ProcessInstance, ProcessVersion
from app.services import context
from app.services.procedure import versions
from app.services.review.insight import history as step_history

STATUSES = ("at_risk", "on_track", "overdue", "unknown")


@dataclass
class Estimate:
    status: str
    needed_hours: float | None
    left_hours: float
    detail: dict = field(default_factory=dict)


@dataclass
class RecomputeReport:
    estimated: int = 0
    at_risk: int = 0
    unknown: int = 0
    cleared: int = 0
    resolved: int = 0

    def __str__(self) -> str:
        return (f"{self.estimated} estimated, {self.at_risk} at risk, {self.unknown} with too little history, "
                f"{self.cleared} without a running deadline, {self.resolved} forecasts resolved")


def estimate(*, step: str, step_name: str, started_at: datetime, due_at: datetime, priority: str | None,
             ahead: list, history: step_history.StepHistory, now: datetime) -> Estimate:
    """One complaint's estimate from its current step, the steps ahead (from the diagram) and history."""
    calendar = context.runtime().calendar
    minimum = current_app.config["AT_RISK_MIN_HISTORY"]
    left = calendar.business_hours_between(now, due_at)
    if now >= due_at:
        return Estimate("overdue", None, left, {"step": step})
    elapsed = calendar.business_hours_between(started_at, now)
    samples, median, current_n = history.summary(step, priority)
    steps = [{"id": step, "name": step_name, "samples": samples, "median": median, "weight": 1.0, "current": True}]
    for later in ahead:
        samples, median, count = history.summary(later.id, priority)
        weight = 1.0
        if later.optional:
            weight = min(1.0, count / current_n) if current_n else 0.0
        steps.append({"id": later.id, "name": later.name, "samples": samples, "median": median,
                      "weight": round(weight, 3), "optional": later.optional})
    # A branch step counts with its share of history, so it needs no minimum (never taken: share 0).
    short = [s["name"] for s in steps if s["samples"] < minimum and not s.get("optional")]
    detail = {"step": step, "pooled": priority is None, "min_samples": minimum, "steps": steps,
              "elapsed": round(elapsed, 2)}
    if short:
        detail["short"] = short
        return Estimate("unknown", None, left, detail)
    needed = max(0.0, steps[0]["median"] - elapsed)
    needed += sum(s["median"] * s["weight"] for s in steps[1:] if s["median"] is not None)
    return Estimate("at_risk" if needed > left else "on_track", needed, left, detail)


def _current_steps() -> dict[int, tuple]:
    """Per open complaint: its open main-path task with the earliest deadline, and its version."""
    rows = db.session.execute(
        sa.select(HumanTask.complaint_id, HumanTask.spec_name, HumanTask.name, HumanTask.created_at,
                  HumanTask.due_at, Complaint.priority, ProcessInstance.version_id)
        .join(Complaint, Complaint.id == HumanTask.complaint_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.state == "ready", HumanTask.escalation.is_(None), HumanTask.due_at.is_not(None),
               Complaint.status == "open", ProcessInstance.status == "running")
        .order_by(HumanTask.complaint_id, HumanTask.due_at, HumanTask.id)).all()
    current: dict[int, tuple] = {}
    for row in rows:
        current.setdefault(row.complaint_id, row)
    return current


def _due_variable(bundle, step: str) -> str:
    for task in user_tasks(bundle):
        if task["id"] == step:
            return task["properties"].get("due") or "due"
    return "due"


def recompute(now: datetime | None = None) -> RecomputeReport:
    """Estimate every open complaint as of `now`, store it, and resolve finished forecasts; one commit."""
    now = context.utc(now)
    report = RecomputeReport()
    history = step_history.load(now)
    current = _current_steps()
    bundles: dict[int, object] = {}
    ahead_cache: dict[tuple[int, str], tuple[list, str]] = {}
    stored = {row.id: row for row in db.session.execute(
        sa.select(Complaint.id, Complaint.risk_status, Complaint.risk_needed_hours, Complaint.risk_left_hours)
        .where(sa.or_(Complaint.risk_status.is_not(None), Complaint.status == "open")))}
    forecasts = {(f.complaint_id, f.due_at): f for f in db.session.scalars(
        sa.select(DeadlineForecast).where(DeadlineForecast.outcome.is_(None)))}
    updates = []
    for complaint_id, row in current.items():
        key = (row.version_id, row.spec_name)
        if key not in ahead_cache:
            if row.version_id not in bundles:
                bundles[row.version_id] = versions.bundle_for(db.session.get(ProcessVersion, row.version_id))
            bundle = bundles[row.version_id]
            ahead_cache[key] = (remaining_steps(bundle, row.spec_name), _due_variable(bundle, row.spec_name))
        ahead, due_var = ahead_cache[key]
        result = estimate(step=row.spec_name, step_name=row.name, started_at=row.created_at, due_at=row.due_at,
                          priority=row.priority, ahead=ahead, history=history, now=now)
        report.estimated += 1
        report.at_risk += result.status == "at_risk"
        report.unknown += result.status == "unknown"
        needed = None if result.needed_hours is None else round(result.needed_hours, 2)
        left = round(result.left_hours, 2)
        old = stored.get(complaint_id)
        new = (result.status, needed, left)
        if old is None or (old.risk_status, old.risk_needed_hours, old.risk_left_hours) != new:
            updates.append({"id": complaint_id, "risk_status": result.status, "risk_needed_hours": needed,
                            "risk_left_hours": left, "risk_computed_at": now,
                            "risk_detail_json": json.dumps(result.detail, ensure_ascii=False)})
        if result.status in ("at_risk", "on_track"):
            _note_forecast(forecasts, complaint_id, row, due_var, result.status, now)
    cleared = [cid for cid, old in stored.items() if cid not in current and old.risk_status is not None]
    report.cleared = len(cleared)
    updates += [{"id": cid, "risk_status": None, "risk_needed_hours": None, "risk_left_hours": None,
                 "risk_computed_at": now, "risk_detail_json": None} for cid in cleared]
    if updates:
        db.session.execute(sa.update(Complaint), updates)
    db.session.flush()
    report.resolved = _resolve_forecasts(now)
    db.session.commit()
    return report


def _note_forecast(forecasts: dict, complaint_id: int, row, due_var: str, status: str, now: datetime) -> None:
    forecast = forecasts.get((complaint_id, row.due_at))
    if forecast is None:
        forecast = DeadlineForecast(complaint_id=complaint_id, deadline=due_var, due_at=row.due_at,
                                    priority=row.priority, first_estimated_at=now)
        db.session.add(forecast)
        forecasts[(complaint_id, row.due_at)] = forecast
    forecast.priority = row.priority
    if status == "at_risk" and forecast.flagged_at is None:
        forecast.flagged_at = now


def _resolve_forecasts(now: datetime) -> int:
    """Met when the deadline's last step was completed by it; missed when it was later or is still open
    past it; void when the complaint was cancelled with the steps undone."""
    rows = db.session.execute(
        sa.select(DeadlineForecast, HumanTask.state, HumanTask.completed_at, Complaint.status)
        .join(Complaint, Complaint.id == DeadlineForecast.complaint_id)
        .outerjoin(HumanTask, sa.and_(HumanTask.complaint_id == DeadlineForecast.complaint_id,
                                      HumanTask.due_at == DeadlineForecast.due_at, HumanTask.escalation.is_(None)))
        .where(DeadlineForecast.outcome.is_(None))).all()
    by_forecast: dict[int, list] = {}
    forecasts = {}
    for forecast, state, completed_at, complaint_status in rows:
        forecasts[forecast.id] = (forecast, complaint_status)
        if state is not None:
            by_forecast.setdefault(forecast.id, []).append((state, completed_at))
    resolved = 0
    for forecast_id, (forecast, complaint_status) in forecasts.items():
        steps = by_forecast.get(forecast_id, [])
        still_open = any(state == "ready" for state, _ in steps)
        done = [at for state, at in steps if state == "completed" and at is not None]
        if still_open:
            if now <= forecast.due_at:
                continue
            forecast.outcome, forecast.resolved_at = "missed", forecast.due_at
        elif complaint_status == "cancelled" and not done:
            forecast.outcome, forecast.resolved_at = "void", now
        elif done:
            last = max(done)
            forecast.outcome = "missed" if last > forecast.due_at else "met"
            forecast.resolved_at = last
        elif now > forecast.due_at:
            forecast.outcome, forecast.resolved_at = "void", now
        else:
            continue
        resolved += 1
    return resolved


@dataclass
class FlagQuality:
    """How well the flags predicted the breaches of deadlines that fell due in a period."""

    resolved: int = 0
    flagged: int = 0
    missed: int = 0
    flagged_and_missed: int = 0

    @property
    def precision(self) -> float | None:
        return round(100.0 * self.flagged_and_missed / self.flagged, 1) if self.flagged else None

    @property
    def recall(self) -> float | None:
        return round(100.0 * self.flagged_and_missed / self.missed, 1) if self.missed else None


def flag_quality(start: datetime, end: datetime, priority: str = "") -> FlagQuality:
    """Over forecasts resolved met or missed whose deadline fell in [start, end); a flag counts only
    when it was raised before the deadline."""
    flagged = DeadlineForecast.flagged_at.is_not(None)
    missed = DeadlineForecast.outcome == "missed"

    def count(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    conds = [DeadlineForecast.outcome.in_(("met", "missed")), DeadlineForecast.due_at >= start,
             DeadlineForecast.due_at < end]
    if priority:
        conds.append(DeadlineForecast.priority == priority)
    row = db.session.execute(sa.select(sa.func.count(), count(flagged), count(missed), count(sa.and_(flagged, missed)))
                             .where(*conds)).one()
    return FlagQuality(*(int(v) for v in row))


def at_risk_by_priority() -> dict[str, dict[str, int]]:
    """Open complaints by priority ('' before classification) and estimate status, as last recomputed."""
    rows = db.session.execute(
        sa.select(Complaint.priority, Complaint.risk_status, sa.func.count())
        .where(Complaint.status == "open", Complaint.risk_status.is_not(None))
        .group_by(Complaint.priority, Complaint.risk_status)).all()
    table: dict[str, dict[str, int]] = {}
    for priority, status, n in rows:
        table.setdefault(priority or "", dict.fromkeys(STATUSES, 0))[status] = n
    return table


def last_recomputed_at() -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(Complaint.risk_computed_at)))
