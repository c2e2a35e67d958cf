"""How long each step of the procedure actually took, per priority, in business hours.

A step's duration is its inbox row's life: from the moment it became ready to the moment it was
completed (waiting in a queue is part of what the customer waits for). Only completed main-path
steps count (escalations and cancelled rows do not), from the last AT_RISK_HISTORY_DAYS, at most the
newest AT_RISK_SAMPLE_SIZE per step and priority, so one recompute costs the same at any size.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Complaint, HumanTask
from app.services import context


@dataclass
class StepHistory:
    """Durations (business hours) per (step, priority); `completions` counts the whole window."""

    durations: dict[tuple[str, str | None], list[float]] = field(default_factory=dict)
    completions: dict[tuple[str, str | None], int] = field(default_factory=dict)

    _medians: dict = field(default_factory=dict)

    def samples(self, step: str, priority: str | None) -> list[float]:
        """Durations of the step at this priority; before classification (no priority) all are pooled."""
        if priority is not None:
            return self.durations.get((step, priority), [])
        return [d for (name, _), values in self.durations.items() if name == step for d in values]

    def count(self, step: str, priority: str | None) -> int:
        if priority is not None:
            return self.completions.get((step, priority), 0)
        return sum(n for (name, _), n in self.completions.items() if name == step)

    def summary(self, step: str, priority: str | None) -> tuple[int, float | None, int]:
        """(samples, median, completions in the window), computed once per recompute."""
        key = (step, priority)
        if key not in self._medians:
            values = self.samples(step, priority)
            self._medians[key] = (len(values), statistics.median(values) if values else None,
                                  self.count(step, priority))
        return self._medians[key]

    def median(self, step: str, priority: str | None) -> float | None:
        return self.summary(step, priority)[1]


def _completed_since(since: datetime):
    return (HumanTask.state == "completed", HumanTask.escalation.is_(None), HumanTask.completed_at >= since)


def load(now: datetime) -> StepHistory:
    """The step history as of `now` (one windowed query and one count query)."""
    config = current_app.config
    since = now - timedelta(days=config["AT_RISK_HISTORY_DAYS"])
    calendar = context.runtime().calendar
    ranked = (
        sa.select(HumanTask.spec_name, Complaint.priority, HumanTask.created_at, HumanTask.completed_at,
                  sa.func.row_number().over(partition_by=(HumanTask.spec_name, Complaint.priority),
                                            order_by=(HumanTask.completed_at.desc(), HumanTask.id.desc()))
                  .label("rank"))
        .join(Complaint, Complaint.id == HumanTask.complaint_id)
        .where(*_completed_since(since), HumanTask.completed_at <= now)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ranked.c.spec_name, ranked.c.priority, ranked.c.created_at, ranked.c.completed_at)
        .where(ranked.c.rank <= config["AT_RISK_SAMPLE_SIZE"])).all()
    history = StepHistory()
    for spec_name, priority, created, completed in rows:
        hours = calendar.business_hours_between(created, completed)
        history.durations.setdefault((spec_name, priority), []).append(hours)
    counts = db.session.execute(
        sa.select(HumanTask.spec_name, Complaint.priority, sa.func.count())
        .join(Complaint, Complaint.id == HumanTask.complaint_id)
        .where(*_completed_since(since), HumanTask.completed_at <= now)
        .group_by(HumanTask.spec_name, Complaint.priority)).all()
    history.completions = {(spec, priority): n for spec, priority, n in counts}
    return history
