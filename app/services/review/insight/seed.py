"""A realistic history of complaints on a simulated clock, run through the real procedure (for demos and tests).

Nothing is written behind the engine's back: every complaint is registered, every step completed and
every timer fired by the same use cases staff and the scheduler use, each "as of" its simulated instant,
in time order. Arrivals follow business hours (fewer at night and at weekends); step durations are drawn
from log-normal distributions per step and priority, in business hours, so some deadlines are missed;
customers answer in calendar time and sometimes reject the proposal (the reopen loop). The at-risk
estimate is recomputed a few times a day, as the scheduler would, so its forecasts can be measured.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import clock
from app.extensions import db
from app.models import HumanTask
from app.services import context
from app.services.complaints import registration as complaints
from app.services.errors import ServiceError
from app.services.procedure import versions
from app.services.review.insight import risk
from app.services.workflow import tasks, timers

ACTOR = "demo"
CHANNELS = (("web", 30), ("eposta", 25), ("telefon", 25), ("faks", 5), ("posta_kargo", 3), ("yuz_yuze", 7),
            ("anket", 5))
PRIORITIES = (("high", 20), ("normal", 55), ("low", 25))
CATEGORIES = ("billing", "connection", "outage", "technical_support", "contract", "customer_service", "other")
ROOT_CAUSES = (("network_infrastructure", 30), ("equipment", 15), ("billing_system", 15), ("human_error", 10),
               ("process_gap", 10), ("third_party", 8), ("customer_side", 7), ("no_fault", 5))
# Median business hours of each step per priority (None: before classification); sigma of the log-normal.
STEP_HOURS = {
    "task_acknowledge": {None: 1.5},
    "task_classify": {None: 1.0},
    "task_analyse": {"high": 1.5, "normal": 5.0, "low": 9.0},
    "task_respond": {"high": 1.0, "normal": 3.0, "low": 6.0},
    "task_notify_phone": {"high": 0.5, "normal": 1.5, "low": 3.0},
}
ESCALATION_HOURS = 3.0
SIGMA = 0.8
RECOMPUTE_HOURS = (9, 13, 17)


@dataclass
class SeedReport:
    registered: int = 0
    steps: int = 0
    open: int = 0
    start: datetime | None = None
    end: datetime | None = None

    def __str__(self) -> str:
        return (f"{self.registered} complaints registered, {self.steps} steps completed, {self.open} still open "
                f"({self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d})")


def _weighted(rng: random.Random, choices) -> str:
    names, weights = zip(*choices, strict=True)
    return rng.choices(names, weights=weights)[0]


class _Simulation:
    def __init__(self, rng: random.Random, end: datetime):
        self.rng, self.end = rng, end
        self.calendar = context.runtime().calendar
        self.queue: list = []
        self.order = itertools.count()
        self.seen_task_id = db.session.scalar(sa.select(sa.func.max(HumanTask.id))) or 0
        self.report = SeedReport(end=end)
        self.customers = itertools.count(1)

    def at(self, when: datetime, kind: str, payload=None) -> None:
        if when <= self.end:
            heapq.heappush(self.queue, (when, next(self.order), kind, payload))

    def arrivals(self, start: datetime, per_day: float) -> None:
        day = start.astimezone(self.calendar.tz).date()
        last = self.end.astimezone(self.calendar.tz).date()
        while day <= last:
            working = self.calendar.working_hours(day) is not None
            mean = per_day if working else per_day * 0.2
            for _ in range(self._poisson(mean)):
                hour = self.rng.uniform(9, 18) if working and self.rng.random() < 0.85 else self.rng.uniform(7, 23)
                local = datetime.combine(day, datetime.min.time(), tzinfo=self.calendar.tz) + timedelta(hours=hour)
                if local >= start:
                    self.at(local.astimezone(start.tzinfo), "arrive")
            day += timedelta(days=1)
        for day_offset in range((last - start.astimezone(self.calendar.tz).date()).days + 1):
            local_day = start.astimezone(self.calendar.tz).date() + timedelta(days=day_offset)
            if self.calendar.working_hours(local_day) is None:
                continue
            for hour in RECOMPUTE_HOURS:
                self.at(datetime.combine(local_day, datetime.min.time(), tzinfo=self.calendar.tz)
                        + timedelta(hours=hour), "recompute")

    def _poisson(self, mean: float) -> int:
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def run(self) -> SeedReport:
        while self.queue:
            when, _, kind, payload = heapq.heappop(self.queue)
            with clock.frozen(when):
                timers.fire_due_timers(at=when)
                if kind == "arrive":
                    self._arrive(when)
                elif kind == "complete":
                    self._complete(payload, when)
                else:
                    risk.recompute(now=when)
                self._schedule_new_tasks(when)
                db.session.remove()
        with clock.frozen(self.end):
            timers.fire_due_timers(at=self.end)
            risk.recompute(now=self.end)
        return self.report

    def _arrive(self, when: datetime) -> None:
        n = next(self.customers)
        channel = _weighted(self.rng, CHANNELS)
        preferred = "telefon" if self.rng.random() < 0.35 else "eposta"
        fields = {"channel": channel, "customer_name": f"Demo Müşteri {n}", "customer_email": f"demo{n}@example.com.tr",
                  "customer_phone": f"+90 312 555 {n % 10000:04d}", "preferred_contact": preferred,
                  "description": "Demo: bağlantı sorunu / fatura itirazı (simülasyon)."}
        complaints.register_complaint(fields, actor=ACTOR, at=when)
        self.report.registered += 1

    def _duration(self, spec_name: str, priority: str | None) -> float:
        medians = STEP_HOURS.get(spec_name)
        median = ESCALATION_HOURS if medians is None else medians.get(priority, medians.get(None, 4.0))
        return self.rng.lognormvariate(math.log(median), SIGMA)

    def _schedule_new_tasks(self, when: datetime) -> None:
        rows = db.session.execute(
            sa.select(HumanTask.id, HumanTask.spec_name, HumanTask.form, HumanTask.complaint_id)
            .where(HumanTask.id > self.seen_task_id, HumanTask.state == "ready").order_by(HumanTask.id)).all()
        for task_id, spec_name, form, _ in rows:
            self.seen_task_id = max(self.seen_task_id, task_id)
            if form == "customer_answer":
                done = when + timedelta(hours=self.rng.uniform(2, 72))
            else:
                task = db.session.get(HumanTask, task_id)
                priority = task.complaint.priority
                days = self._duration(spec_name, priority) / (self.calendar.day_length / timedelta(hours=1))
                done = self.calendar.add_business_days(when, days)
            self.at(done.astimezone(when.tzinfo), "complete", task_id)

    def _form_data(self, task: HumanTask) -> dict:
        rng = self.rng
        form = task.form
        if form == "acknowledgement":
            return {"ack_method": rng.choice(("eposta", "telefon"))}
        if form == "classification":
            data = {"priority": _weighted(rng, PRIORITIES), "category": rng.choice(CATEGORIES)}
            suggested = task.complaint.suggested_priority
            if suggested and suggested != data["priority"]:
                data["priority_override_reason"] = "Simüle edilen geçmiş: uzman farklı bir öncelik seçti."
            return data
        if form == "analysis":
            return {"analysis_findings": "Hat ve kayıtlar incelendi.", "proposed_solution": "Arıza giderildi."}
        if form == "response":
            return {"root_cause_category": _weighted(rng, ROOT_CAUSES), "root_cause_analysis": "Kök neden bulundu.",
                    "solution": "Sorununuz giderildi."}
        if form == "phone_notification":
            return {"reached": True, "call_at": clock.now().isoformat(), "call_outcome": "Karar anlatıldı."}
        if form == "customer_answer":
            accept = rng.random() < (0.85 if task.complaint.reopen_count == 0 else 0.7)
            return {"answer": "accepted"} if accept else {"answer": "rejected", "rejection_reason": "Sorun sürüyor."}
        return {"action_taken": "Ele alındı."}

    def _complete(self, task_id: int, when: datetime) -> None:
        task = db.session.get(HumanTask, task_id)
        if task is None or task.state != "ready":
            return
        try:
            tasks.complete_task(task_id, self._form_data(task), actor=ACTOR, at=when)
        except ServiceError:
            db.session.rollback()
            return
        self.report.steps += 1


def seed_history(days: int, per_day: float, *, end: datetime | None = None, seed: int = 1) -> SeedReport:
    """Simulate `days` of complaints up to `end` (default now), about `per_day` a business day."""
    if days < 1 or per_day <= 0:
        raise ValueError("days must be at least 1 and per_day positive")
    versions.live_version()
    end = context.utc(end)
    start = end - timedelta(days=days)
    simulation = _Simulation(random.Random(seed), end)
    simulation.report.start = start
    simulation.arrivals(start, per_day)
    report = simulation.run()
    report.open = db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                    .where(HumanTask.state == "ready", HumanTask.escalation.is_(None))) or 0
    return report
