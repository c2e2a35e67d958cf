"""ISO 10002 monitoring figures for a period, from the complaint columns and the inbox rows.

Counts are SQL aggregates over indexed columns; medians (business hours, from the desk calendar)
are taken in Python over the few columns they need. The period is [start, end) by `received_at`,
in the business time zone. Cancelled complaints are counted but left out of every rate.

The figures are about complaints (the seed's "olumsuz geri bildirim"): requests, opinions and thanks run
through the same procedure but with their own deadlines, so by default every figure counts complaints
only (`Scope.kind` 'complaint'); another kind, or all kinds (''), can be chosen. `by_kind` counts every
kind of the period side by side.

Definitions (what a quality manager reads on the dashboard):
- acknowledged in time: of complaints whose acknowledgement is done or overdue, those acknowledged by
  `acknowledgement_due_at`; phone and face-to-face count as in time (number given on the spot).
- solution within 1/3/5 business days: of classified complaints whose first proposal is done or
  overdue, those whose FIRST decision notification came by the FIRST solution deadline.
- on time (all deadlines): of classified complaints that are closed or have missed a deadline, those
  closed without ever missing one (`deadline_breached`).
- reopen rate: complaints reopened at least once, of those that got a proposal; accepted at first
  proposal: closed without a reopen, of those the customer answered (accepted or reopened).
- incident complaints: complaints linked to an incident (outage) are counted per incident, and the
  1/3/5-day and all-deadlines rates are also given apart for incident and individual complaints.
- closed without an answer: closed by the diagram's timer because the customer never answered the
  proposal (`closure_outcome` 'no_answer'); counted apart from accepted closures and never as an answer.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import KINDS, Complaint, HumanTask, Incident, IncidentLink, OutboxMessage, SurveyResponse
from app.services import context
from app.services.complaints.channels import IMMEDIATE_CHANNELS
from app.services.mail import compose as mail_compose

PRIORITIES = ("high", "normal", "low")
AGE_BUCKETS = (("0-1", 1), ("1-3", 3), ("3-5", 5), ("5-10", 10), ("10+", None))  # business days


@dataclass
class Scope:
    """The period [start, end) as local dates and the dashboard filters."""

    start: date
    end: date
    priority: str = ""
    channel: str = ""
    kind: str = "complaint"  # '' = every kind

    def bounds(self) -> tuple[datetime, datetime]:
        tz = context.runtime().calendar.tz
        return (datetime.combine(self.start, time(), tzinfo=tz).astimezone(UTC),
                datetime.combine(self.end, time(), tzinfo=tz).astimezone(UTC))

    def conditions(self, *, period: bool = True) -> list:
        start, end = self.bounds()
        conds = [Complaint.received_at >= start] if period else []
        conds.append(Complaint.received_at < end)
        if self.priority:
            conds.append(Complaint.priority == self.priority)
        if self.channel:
            conds.append(Complaint.channel == self.channel)
        if self.kind:
            conds.append(Complaint.kind == self.kind)
        return conds


@dataclass
class Rate:
    numerator: int = 0
    denominator: int = 0

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.numerator / self.denominator, 1) if self.denominator else None


@dataclass
class Figures:
    scope: Scope
    now: datetime
    total: int = 0
    cancelled: int = 0
    closed_accepted: int = 0
    closed_without_answer: int = 0
    acknowledged_in_time: Rate = field(default_factory=Rate)
    solution_in_time: Rate = field(default_factory=Rate)
    solution_in_time_by_priority: dict[str, Rate] = field(default_factory=dict)
    on_time_by_priority: dict[str, Rate] = field(default_factory=dict)
    median_hours_to_proposal: float | None = None
    median_hours_to_closure: float | None = None
    backlog_by_age: dict[str, int] = field(default_factory=dict)
    reopen_rate: Rate = field(default_factory=Rate)
    accepted_first: Rate = field(default_factory=Rate)
    satisfaction: dict = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)  # every kind of the period, whatever `kind` says
    by_week: dict[str, int] = field(default_factory=dict)
    root_causes: list[dict] = field(default_factory=list)
    heatmap: dict[str, dict] = field(default_factory=dict)
    # 'incident' / 'individual' → rate: complaints linked to an incident and the others, apart.
    solution_in_time_by_origin: dict[str, Rate] = field(default_factory=dict)
    on_time_by_origin: dict[str, Rate] = field(default_factory=dict)
    per_incident: list[dict] = field(default_factory=list)
    # Classified complaints whose handler chose another priority than the decision table suggested.
    priority_overrides: Rate = field(default_factory=Rate)


def _count(cond) -> sa.ColumnElement:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def compute(scope: Scope, *, now: datetime | None = None) -> Figures:
    """Every dashboard figure for the scope, as of `now` (what is overdue depends on it)."""
    now = context.utc(now)
    figures = Figures(scope=scope, now=now)
    base = [*scope.conditions(), Complaint.status != "cancelled"]
    _counts(figures, scope, base, now)
    figures.priority_overrides = priority_overrides(base)
    _first_proposals(figures, base, now)
    _medians(figures, base)
    figures.backlog_by_age = backlog_by_age(scope, now)
    figures.satisfaction = satisfaction(base)
    figures.by_channel = dict(db.session.execute(
        sa.select(Complaint.channel, sa.func.count()).where(*base).group_by(Complaint.channel)
        .order_by(sa.func.count().desc(), Complaint.channel)).all())
    every_kind = Scope(scope.start, scope.end, scope.priority, scope.channel, kind="")
    figures.by_kind = dict.fromkeys(KINDS, 0) | dict(db.session.execute(
        sa.select(Complaint.kind, sa.func.count()).where(*every_kind.conditions(), Complaint.status != "cancelled")
        .group_by(Complaint.kind)).all())
    figures.by_week = by_week(scope, base)
    figures.root_causes = root_cause_pareto(base)
    figures.heatmap = activity_heatmap(base, now)
    _by_origin(figures, base, now)
    return figures


def _by_origin(figures: Figures, base: list, now: datetime) -> None:
    """The deadline rates for incident complaints and individual ones apart, and complaints per incident."""
    c = Complaint
    settled = sa.and_(c.first_solution_due_at.is_not(None),
                      sa.or_(c.first_decision_notified_at.is_not(None), c.first_solution_due_at < now))
    in_time = sa.and_(settled, c.first_decision_notified_at <= c.first_solution_due_at)
    finished = sa.and_(c.priority.is_not(None), sa.or_(c.status == "closed", c.deadline_breached))
    clean = sa.and_(finished, c.status == "closed", sa.not_(c.deadline_breached))
    linked = IncidentLink.id.is_not(None)
    rows = db.session.execute(
        sa.select(linked, _count(settled), _count(in_time), _count(finished), _count(clean))
        .select_from(c).outerjoin(IncidentLink, IncidentLink.complaint_id == c.id).where(*base).group_by(linked)).all()
    found = {bool(row[0]): row for row in rows}
    for origin, key in (("incident", True), ("individual", False)):
        row = found.get(key, (key, 0, 0, 0, 0))
        figures.solution_in_time_by_origin[origin] = Rate(row[2], row[1])
        figures.on_time_by_origin[origin] = Rate(row[4], row[3])
    per = db.session.execute(
        sa.select(Incident.id, Incident.title, Incident.status, sa.func.count(), _count(settled), _count(in_time))
        .select_from(c).join(IncidentLink, IncidentLink.complaint_id == c.id)
        .join(Incident, Incident.id == IncidentLink.incident_id).where(*base)
        .group_by(Incident.id, Incident.title, Incident.status).order_by(sa.func.count().desc(), Incident.id)).all()
    figures.per_incident = [{"id": i, "title": title, "status": status, "complaints": n,
                             "solution_in_time": Rate(ok, due)} for i, title, status, n, due, ok in per]


def _counts(figures: Figures, scope: Scope, base: list, now: datetime) -> None:
    c = Complaint
    ack_done = sa.or_(c.acknowledged_at.is_not(None), c.acknowledgement_due_at < now)
    ack_ok = sa.or_(c.channel.in_(IMMEDIATE_CHANNELS), c.acknowledged_at <= c.acknowledgement_due_at)
    unanswered = sa.and_(c.status == "closed", sa.func.coalesce(c.closure_outcome, "") == "no_answer")
    thanked = sa.func.coalesce(c.closure_outcome, "") == "thanked"  # a thank-you has no solution to accept
    accepted = sa.and_(c.status == "closed", sa.not_(unanswered), sa.not_(thanked))
    answered = sa.or_(c.reopen_count > 0, accepted)
    row = db.session.execute(sa.select(
        sa.func.count(), _count(ack_done), _count(sa.and_(ack_done, ack_ok)),
        _count(c.first_decision_notified_at.is_not(None)),
        _count(sa.and_(c.first_decision_notified_at.is_not(None), c.reopen_count > 0)),
        _count(answered), _count(sa.and_(accepted, c.reopen_count == 0)), _count(accepted), _count(unanswered),
    ).where(*base)).one()
    figures.total = row[0]
    figures.acknowledged_in_time = Rate(row[2], row[1])
    figures.reopen_rate = Rate(row[4], row[3])
    figures.accepted_first = Rate(row[6], row[5])
    figures.closed_accepted, figures.closed_without_answer = row[7], row[8]
    figures.cancelled = db.session.scalar(
        sa.select(sa.func.count()).where(*scope.conditions(), c.status == "cancelled")) or 0


def priority_overrides(base: list) -> Rate:
    """Overrides of the suggested priority, of the complaints that had a suggestion and were classified."""
    c = Complaint
    suggested = sa.and_(c.suggested_priority.is_not(None), c.priority.is_not(None))
    row = db.session.execute(sa.select(_count(sa.and_(suggested, c.priority_overridden)), _count(suggested))
                             .where(*base)).one()
    return Rate(row[0], row[1])


def _first_proposals(figures: Figures, base: list, now: datetime) -> None:
    c = Complaint
    settled = sa.and_(c.first_solution_due_at.is_not(None),
                      sa.or_(c.first_decision_notified_at.is_not(None), c.first_solution_due_at < now))
    in_time = sa.and_(settled, c.first_decision_notified_at <= c.first_solution_due_at)
    finished = sa.or_(c.status == "closed", c.deadline_breached)
    clean = sa.and_(c.status == "closed", sa.not_(c.deadline_breached))
    rows = db.session.execute(
        sa.select(c.priority, _count(settled), _count(in_time), _count(finished), _count(clean))
        .where(*base, c.priority.is_not(None)).group_by(c.priority)).all()
    by_priority = {row[0]: row for row in rows}
    for priority in PRIORITIES:
        row = by_priority.get(priority, (priority, 0, 0, 0, 0))
        figures.solution_in_time_by_priority[priority] = Rate(row[2], row[1])
        figures.on_time_by_priority[priority] = Rate(row[4], row[3])
    figures.solution_in_time = Rate(sum(r[2] for r in rows), sum(r[1] for r in rows))


def _medians(figures: Figures, base: list) -> None:
    calendar = context.runtime().calendar
    rows = db.session.execute(sa.select(Complaint.received_at, Complaint.first_decision_notified_at,
                                        Complaint.closed_at).where(*base)).all()
    figures.median_hours_to_proposal = _median(
        [max(0.0, calendar.business_hours_between(r[0], r[1])) for r in rows if r[1] is not None])
    figures.median_hours_to_closure = _median(
        [max(0.0, calendar.business_hours_between(r[0], r[2])) for r in rows if r[2] is not None])


def backlog_by_age(scope: Scope, now: datetime) -> dict[str, int]:
    """Complaints open now (received before the period's end), by business days since receipt."""
    calendar = context.runtime().calendar
    day_hours = calendar.day_length / timedelta(hours=1)
    buckets = dict.fromkeys((label for label, _ in AGE_BUCKETS), 0)
    received = db.session.scalars(sa.select(Complaint.received_at).where(
        *scope.conditions(period=False), Complaint.status == "open"))
    for at in received:
        age = calendar.business_hours_between(at, max(at, now)) / day_hours
        label = next(label for label, limit in AGE_BUCKETS if limit is None or age < limit)
        buckets[label] += 1
    return buckets


def satisfaction(base: list) -> dict:
    """Survey answers (ISO 10004) of the scope's complaints; response rate over surveys queued."""
    s = SurveyResponse
    count, average, solved = db.session.execute(
        sa.select(sa.func.count(), sa.func.avg(s.score), _count(s.solved))
        .join(Complaint, Complaint.id == s.complaint_id).where(*base)).one()
    sent = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(OutboxMessage.complaint_id)))
        .join(Complaint, Complaint.id == OutboxMessage.complaint_id)
        .where(*base, OutboxMessage.kind.in_(mail_compose.SURVEY_KINDS))) or 0
    distribution = dict.fromkeys(range(1, 6), 0)
    distribution.update(db.session.execute(
        sa.select(s.score, sa.func.count()).join(Complaint, Complaint.id == s.complaint_id)
        .where(*base).group_by(s.score)).all())
    return {
        "responses": count, "surveys_sent": sent,
        "average": round(float(average), 2) if count else None,
        "distribution": distribution,
        "response_rate": Rate(count, sent).percent,
        "solved": Rate(solved, count).percent,
    }


def by_week(scope: Scope, base: list) -> dict[str, int]:
    """Complaints per ISO week of receipt (local time), every week of the period present."""
    tz = context.runtime().calendar.tz
    weeks: Counter[str] = Counter()
    for at in db.session.scalars(sa.select(Complaint.received_at).where(*base)):
        year, week, _ = at.astimezone(tz).isocalendar()
        weeks[f"{year}-W{week:02d}"] += 1
    day, series = scope.start, {}
    while day < scope.end:
        year, week, _ = day.isocalendar()
        series.setdefault(f"{year}-W{week:02d}", 0)
        day += timedelta(days=1)
    series.update(weeks)
    return dict(sorted(series.items()))


def root_cause_pareto(base: list) -> list[dict]:
    """Root-cause categories by count, descending, with the cumulative share (a Pareto chart)."""
    rows = db.session.execute(
        sa.select(Complaint.root_cause_category, sa.func.count())
        .where(*base, Complaint.root_cause_category.is_not(None))
        .group_by(Complaint.root_cause_category)
        .order_by(sa.func.count().desc(), Complaint.root_cause_category)).all()
    total, running, pareto = sum(n for _, n in rows), 0, []
    for category, n in rows:
        running += n
        pareto.append({"category": category, "count": n, "cumulative_percent": round(100.0 * running / total, 1)})
    return pareto


def activity_heatmap(base: list, now: datetime | None = None) -> dict[str, dict]:
    """Per BPMN task id: tasks completed, median business hours from ready to done, still open, and
    breaches (done after its due time, or open past it) — the load and the trouble of each step.

    A task's time never counts below zero: a row completed "before" it was raised (a timer fired with
    a later simulated --now, then a person completed the task at the real time) counts as 0 hours.
    """
    now = context.utc(now)
    calendar = context.runtime().calendar
    t = HumanTask
    spent: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    late: Counter[str] = Counter()
    rows = db.session.execute(
        sa.select(t.spec_name, t.name, t.created_at, t.completed_at, t.due_at)
        .join(Complaint, Complaint.id == t.complaint_id).where(*base, t.state == "completed"))
    for spec, name, created, completed, due in rows:
        names.setdefault(spec, name)
        spent.setdefault(spec, []).append(max(0.0, calendar.business_hours_between(created, completed)))
        late[spec] += bool(due is not None and completed > due)
    active: Counter[str] = Counter()
    for spec, name, due in db.session.execute(
            sa.select(t.spec_name, t.name, t.due_at).join(Complaint, Complaint.id == t.complaint_id)
            .where(*base, t.state == "ready")):
        names.setdefault(spec, name)
        active[spec] += 1
        late[spec] += bool(due is not None and due < now)
    return {
        spec: {"name": names.get(spec, spec), "count": len(spent.get(spec, [])),
               "median_hours": _median(spent.get(spec, [])), "active": active[spec], "late": late[spec]}
        for spec in sorted(set(spent) | set(active))
    }


def breached_complaints(scope: Scope, limit: int = 50) -> list[Complaint]:
    """The scope's complaints that missed a deadline, oldest first (for the management review)."""
    return list(db.session.scalars(
        sa.select(Complaint).where(*scope.conditions(), Complaint.deadline_breached)
        .order_by(Complaint.received_at, Complaint.id).limit(limit)))


def survey_comments(scope: Scope, limit: int = 50) -> list[tuple[str, SurveyResponse]]:
    """Survey answers with a comment, newest first, with the complaint's registration number."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Complaint.registration_number, SurveyResponse)
        .join(Complaint, Complaint.id == SurveyResponse.complaint_id)
        .where(*scope.conditions(), SurveyResponse.comment.is_not(None))
        .order_by(SurveyResponse.answered_at.desc()).limit(limit))]
