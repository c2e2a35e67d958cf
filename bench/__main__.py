"""`make bench`: load a population of complaints into a fresh database and print one table of figures.

Every figure comes with the population it was measured on and, where it applies, the raw engine floor:
SpiffWorkflow alone running the same steps in memory (no database, no web), so each figure reads as a
ratio to the library's own cost. Nothing here asserts on time.

    python -m bench [--quick] [--size N]      BENCH_DATABASE_URL=postgresql+psycopg://... for PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

IST = ZoneInfo("Europe/Istanbul")
START = datetime(2026, 11, 2, 9, 30, tzinfo=IST)  # a Monday
ANALYSIS = {"analysis_findings": "Hat ölçümü yapıldı.", "proposed_solution": "Port değişimi."}
RESPONSE = {"root_cause_category": "network_infrastructure", "root_cause_analysis": "Arızalı port.",
            "solution": "Portunuz değiştirildi."}
REJECT = {"answer": "rejected", "rejection_reason": "Sorun sürüyor."}


def _fields(i: int) -> dict:
    return {"channel": "faks", "customer_name": f"Müşteri {i}", "customer_phone": "+90 312 555 0101",
            "customer_email": f"musteri{i}@example.com.tr", "description": "Bağlantı sık sık kopuyor."}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Bench:
    def __init__(self, size: int, url: str | None):
        from flask_migrate import upgrade

        from app import create_app
        from app.config import PROJECT_ROOT
        from app.extensions import db

        self.tmp = tempfile.mkdtemp(prefix="complaintflow-bench-")
        self.url = url or f"sqlite:///{self.tmp}/bench.db"
        self.size = size
        self.rows: list[tuple[str, str, str, str]] = []
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": self.url, "SCHEDULER_IN_PROCESS": False})
        self.ctx = self.app.app_context()
        self.ctx.push()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        from app.services import versions

        bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
        self.version = versions.deploy_version(bpmn, versions.load_forms_dir(PROJECT_ROOT / "forms"),
                                               author="bench")

    def add(self, figure: str, value: str, population: str, note: str = "") -> None:
        self.rows.append((figure, value, population, note))
        print(f"  {figure}: {value}", flush=True)

    def engine_floor(self, rounds: int = 200) -> tuple[float, float]:
        """SpiffWorkflow alone: register (start + run) and one task completion, in memory."""
        from app.services import versions
        from app.services.context import runtime

        engine, bundle = runtime().engine, versions.bundle_for(self.version)
        seed = {"registration_number": "SK-2026-000000", "channel": "faks",
                "received_at": START.isoformat(), "preferred_contact": "eposta"}
        started = time.perf_counter()
        runs = [engine.start(bundle, dict(seed), at=START) for _ in range(rounds)]
        start_cost = (time.perf_counter() - started) / rounds
        started = time.perf_counter()
        for run in runs:
            (task,) = run.ready_human_tasks()
            run.complete(task.guid, {"ack_method": "telefon"}, at=START)
            run.serialize()
        return start_cost, (time.perf_counter() - started) / rounds

    def run(self) -> None:
        from app.extensions import db
        from app.models import Complaint, HumanTask, ProcessInstance
        from app.services import api_tokens, complaints, timers, users

        from . import http

        floor_start, floor_complete = self.engine_floor()
        self.add("engine floor: register", _ms(floor_start), "in memory", "SpiffWorkflow start + engine steps")
        self.add("engine floor: complete task", _ms(floor_complete), "in memory", "complete + serialize")

        started = time.perf_counter()
        numbers = []
        for i in range(self.size):
            at = START + timedelta(seconds=i)
            numbers.append(complaints.register_complaint(_fields(i), actor="bench", at=at).registration_number)
        elapsed = time.perf_counter() - started
        per = elapsed / self.size
        self.add("register (service, committed)", f"{self.size / elapsed:.0f} /s", f"{self.size}",
                 f"{_ms(per)} each = {per / floor_start:.1f}x engine floor")
        _, token = api_tokens.create_token("bench", ["intake", "handler"])
        users.create_user("bench.uzman", "Bench Uzman", http.PASSWORD, ["handler"])
        db.session.remove()

        server = http.Server(self.url)
        try:
            count = min(1000, max(50, self.size // 3))
            rate = http.intake_over_rest(server, token, count)
            self.add("intake over HTTP: REST create", f"{rate:.0f} /s", f"{self.size + count}",
                     f"4 clients; {_ms(1 / rate)} a complaint = {1 / rate / floor_start:.1f}x engine floor")
            rate = http.intake_over_public_form(server, count)
            self.add("intake over HTTP: public form", f"{rate:.0f} /s", f"{self.size + 2 * count}",
                     f"4 clients; {_ms(1 / rate)} a complaint = {1 / rate / floor_start:.1f}x engine floor")

            sample = numbers[:: max(1, self.size // 200)][:200]
            task_ids = list(db.session.scalars(
                sa.select(HumanTask.id).join(Complaint, Complaint.id == HumanTask.complaint_id)
                .where(HumanTask.state == "ready", HumanTask.spec_name == "task_acknowledge",
                       Complaint.registration_number.in_(sample))))
            db.session.remove()
            p50, p95 = http.task_completion(server, token, task_ids, {"ack_method": "telefon"})
            self.add("complete task over HTTP p50 / p95", f"{_ms(p50)} / {_ms(p95)}", f"{self.size + 2 * count}",
                     f"p50 = {p50 / floor_complete:.1f}x engine floor")
            p50, p95 = http.status_lookup(server, token, sample)
            self.add("status lookup over HTTP p50 / p95", f"{_ms(p50)} / {_ms(p95)}", f"{self.size + 2 * count}")
            p50, p95 = http.inbox_page(server, "bench.uzman")
            open_tasks = db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                           .where(HumanTask.state == "ready"))
            self.add("inbox first page over HTTP p50 / p95", f"{_ms(p50)} / {_ms(p95)}", f"{open_tasks} open tasks",
                     "handler, my roles, sorted by due time (whole HTML page)")
            self.at_risk(server)
            rss = server.worker_peak_rss_mb()
        finally:
            server.stop()

        self.reopens(sample[0])

        none_due = []
        for _ in range(20):
            t0 = time.perf_counter()
            timers.fire_due_timers(at=START)
            none_due.append(time.perf_counter() - t0)
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)
                                    .where(ProcessInstance.next_timer_at.isnot(None)))
        self.add("timer sweep, none due", _ms(statistics.median(none_due)), f"{waiting} waiting timers")
        later = START + timedelta(days=30)
        due = timers.due_instance_ids(later, min(1000, self.size))
        db.session.remove()
        t0 = time.perf_counter()
        fired = sum(timers.fire_instance(instance_id, later) for instance_id in due)
        self.add("timer sweep, due ones fired", f"{time.perf_counter() - t0:.2f} s", f"{fired} due",
                 f"of {waiting} waiting")

        self.storage(sample[1:21])
        self.add("peak RSS of the web worker", f"{rss:.0f} MB", f"{self.size}+", "VmHWM after the HTTP figures")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.add("peak RSS of the bench process", f"{rss_mb:.0f} MB", f"{self.size}",
                 "loader + sweeps, not a web process")

    def at_risk(self, server) -> None:
        """The scheduler's at-risk recompute over every open complaint, and the representative's inbox
        with the at-risk filter and the at-risk-first order (one in 20 complaints marked at risk)."""
        from app.extensions import db
        from app.models import Complaint
        from app.services import users
        from app.services.insight import risk

        from . import http

        at = START + timedelta(hours=2)
        t0 = time.perf_counter()
        report = risk.recompute(now=at)
        self.add("at-risk recompute, first run", f"{time.perf_counter() - t0:.2f} s", f"{report.estimated} open",
                 "history + diagram walk + business time left per complaint, all rows written")
        t0 = time.perf_counter()
        risk.recompute(now=at)
        self.add("at-risk recompute, nothing changed", f"{time.perf_counter() - t0:.2f} s",
                 f"{report.estimated} open", "as at night: only changed rows are written")
        db.session.execute(sa.update(Complaint).where(Complaint.id % 20 == 0).values(risk_status="at_risk"))
        db.session.commit()
        users.create_user("bench.temsilci", "Bench Temsilci", http.PASSWORD, ["representative"])
        db.session.remove()
        p50, p95 = http.inbox_page(server, "bench.temsilci", path="/inbox?scope=all&due=at_risk")
        self.add("inbox at-risk filter over HTTP p50 / p95", f"{_ms(p50)} / {_ms(p95)}",
                 f"{report.estimated} open, 1 in 20 at risk", "representative, all open tasks, at-risk only")
        p50, p95 = http.inbox_page(server, "bench.temsilci", path="/inbox?scope=all")
        self.add("inbox at-risk first over HTTP p50 / p95", f"{_ms(p50)} / {_ms(p95)}",
                 f"{report.estimated} open", "representative, all open tasks, at-risk first then due")

    def _to_analysis(self, number: str, at: datetime) -> None:
        """Acknowledge and classify the complaint where that is still open."""
        from app.extensions import db
        from app.services import complaints, tasks

        steps = {"task_acknowledge": {"ack_method": "telefon"},
                 "task_classify": {"priority": "normal", "category": "connection"}}
        for spec_name, data in steps.items():
            ready = [t for t in tasks.ready_tasks_for(complaints.get_by_number(number)) if t.spec_name == spec_name]
            if ready:
                tasks.complete_task(ready[0].id, data, actor="bench", at=at)
                db.session.remove()

    def _solve(self, number: str, at: datetime) -> None:
        """Analysis and response (the decision e-mail goes out)."""
        from app.extensions import db
        from app.services import complaints, tasks

        self._to_analysis(number, at)
        for data in (ANALYSIS, RESPONSE):
            complaint = complaints.get_by_number(number)
            (task,) = [t for t in tasks.ready_tasks_for(complaint) if not t.escalation]
            tasks.complete_task(task.id, data, actor="bench", at=at)
            db.session.remove()

    def reopens(self, number: str) -> None:
        """Cost of a step on a fresh complaint vs. after 20 reopens (state must not grow per step)."""
        from app.extensions import db
        from app.services import complaints, tasks

        timings = []
        at = START + timedelta(hours=2)
        self._to_analysis(number, at)
        for _ in range(21):
            t0 = time.perf_counter()
            self._solve(number, at)
            timings.append((time.perf_counter() - t0) / 2)
            complaint = complaints.get_by_number(number)
            (task,) = [t for t in tasks.ready_tasks_for(complaint) if t.spec_name == "task_customer_answer"]
            tasks.complete_task(task.id, REJECT, actor="bench", at=at)
            db.session.remove()
            for escalation in [t for t in tasks.ready_tasks_for(complaints.get_by_number(number)) if t.escalation]:
                tasks.complete_task(escalation.id, {"action_taken": "Ele alındı."}, actor="bench", at=at)
                db.session.remove()
            at += timedelta(minutes=5)
        state = len(complaints.get_by_number(number).instance.state_json)
        self.add("step after 20 reopens / fresh", f"{timings[-1] / timings[0]:.2f}x",
                 "1 complaint", f"{_ms(timings[0])} → {_ms(timings[-1])}; state {state // 1024} KB")

    def storage(self, numbers: list[str]) -> None:
        from app.extensions import db
        from app.services import complaints, tasks

        at = START + timedelta(hours=3)
        for number in numbers:
            self._solve(number, at)
            complaint = complaints.get_by_number(number)
            (task,) = [t for t in tasks.ready_tasks_for(complaint) if t.spec_name == "task_customer_answer"]
            tasks.complete_task(task.id, {"answer": "accepted"}, actor="bench", at=at)
            db.session.remove()
        ids = [complaints.get_by_number(n).id for n in numbers]
        sizes = db.session.execute(sa.text(
            "SELECT (SELECT COALESCE(SUM(LENGTH(state_json)), 0) FROM process_instance pi "
            "  JOIN complaint c ON c.instance_id = pi.id WHERE c.id IN :ids) + "
            "(SELECT COALESCE(SUM(LENGTH(data_json) + 200), 0) FROM audit_event WHERE complaint_id IN :ids) + "
            "(SELECT COALESCE(SUM(LENGTH(name) + 200), 0) FROM human_task WHERE complaint_id IN :ids) + "
            "(SELECT COALESCE(SUM(LENGTH(description) + 400), 0) FROM complaint WHERE id IN :ids)"
        ).bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids}).scalar()
        self.add("storage per closed complaint", f"{sizes / len(ids) / 1024:.1f} KB", f"{len(ids)} closed",
                 "row payloads + fixed overhead estimate; spec stored once")

    def report(self) -> None:
        backend = self.url.split(":", 1)[0]
        print(f"\ncomplaintflow bench — {backend}, population {self.size}\n")
        widths = [max(len(r[i]) for r in self.rows + [("figure", "value", "population", "note")])
                  for i in range(4)]
        header = ("figure", "value", "population", "note")
        for row in [header, tuple("-" * w for w in widths), *self.rows]:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small population for CI")
    parser.add_argument("--size", type=int, help="number of complaints (default 100000, quick 300)")
    args = parser.parse_args()
    size = args.size or (300 if args.quick else 100_000)
    bench = Bench(size, os.environ.get("BENCH_DATABASE_URL"))
    bench.run()
    bench.report()


if __name__ == "__main__":
    main()
