"""Median business time between the ISO 10002 stages a complaint went through, over a period.

A complaint enters stage 1 when it is received and any later stage when the first main-path step of
that stage becomes ready (inbox rows carry the step's `iso10002_stage`). For each pair of stages
entered one after the other (1→2, 2→3, or 1→3 for a phone complaint acknowledged on the spot) the
business hours between the two entries are collected; the page shows their median and count.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Complaint, HumanTask
from app.services import context


@dataclass
class StageGap:
    source: int
    target: int
    median_hours: float
    count: int


def stage_gaps(start: datetime, end: datetime) -> list[StageGap]:
    calendar = context.runtime().calendar
    batch = current_app.config["EVENT_LOG_BATCH"]
    gaps: dict[tuple[int, int], list[float]] = {}
    after = 0
    while True:
        complaints = db.session.execute(
            sa.select(Complaint.id, Complaint.received_at)
            .where(Complaint.received_at >= start, Complaint.received_at < end, Complaint.id > after)
            .order_by(Complaint.id).limit(batch)).all()
        if not complaints:
            break
        entries: dict[int, dict[int, datetime]] = {cid: {1: received} for cid, received in complaints}
        rows = db.session.execute(
            sa.select(HumanTask.complaint_id, HumanTask.iso_stage, sa.func.min(HumanTask.created_at))
            .where(HumanTask.complaint_id.in_(list(entries)), HumanTask.escalation.is_(None),
                   HumanTask.iso_stage.is_not(None))
            .group_by(HumanTask.complaint_id, HumanTask.iso_stage)).all()
        for cid, stage, first in rows:
            entries[cid].setdefault(stage, first)
        for stages in entries.values():
            ordered = sorted(stages.items(), key=lambda item: (item[1], item[0]))
            for (a, at_a), (b, at_b) in zip(ordered, ordered[1:], strict=False):
                gaps.setdefault((a, b), []).append(calendar.business_hours_between(at_a, at_b))
        after = complaints[-1][0]
    return [StageGap(a, b, round(statistics.median(values), 2), len(values))
            for (a, b), values in sorted(gaps.items())]
