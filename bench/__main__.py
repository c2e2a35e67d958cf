"""`make bench`: load a population of complaints into a fresh database and print one table of figures.

Every figure comes with its target and, where it applies, the raw engine floor: SpiffWorkflow alone
running the same steps in memory (no database, no web), so each figure also reads as a ratio to the
library's own cost. SQLite first (WAL, synchronous FULL), then PostgreSQL with 1, 2 and 4 web workers
when it is reachable, then the scheduler and the outbox at scale. Nothing here asserts on time.

    python -m bench [--quick] [--size N] [--pg URL] [--out bench/results.json] [--compare OLD.json]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from . import http, scale
from .report import Figure, Report, at_least, at_most, compare

IST = ZoneInfo("Europe/Istanbul")
START = datetime(2026, 11, 2, 9, 30, tzinfo=IST)  # a Monday
ANALYSIS = {"analysis_findings": "Hat ölçümü yapıldı.", "proposed_solution": "Port değişimi."}
RESPONSE = {"root_cause_category": "network_infrastructure", "root_cause_analysis": "Arızalı port.",
            "solution": "Portunuz değiştirildi."}
REJECT = {"answer": "rejected", "rejection_reason": "Sorun sürüyor."}
ESCALATION = {"action_taken": "Ele alındı."}
STEP_DATA = {"task_acknowledge": {"ack_method": "telefon"},
             "task_classify": {"priority": "normal", "category": "connection", "priority_override_reason": "bench"},
             "task_analyse": ANALYSIS, "task_respond": RESPONSE, "task_customer_answer": REJECT}
RESULTS = Path(__file__).resolve().parent / "results.json"
# The channels the HTTP intake registers through (bench.http), each with its own engine floor.
INTAKE_CHANNELS = {http.REST_CHANNEL: "e-mail complaint (REST intake's input)",
                   http.FORM_CHANNEL: "web form complaint (public form's)"}
# Each view of the inbox, first page over HTTP: (user, URL, what the row says).
INBOX_VIEWS = {
    "intake_lane": ("bench.kabul", "/inbox?scope=roles", "intake's lane (every acknowledgement)"),
    "intake_age": ("bench.kabul", "/inbox?scope=roles&sort=age", "intake's lane, oldest first"),
    "handler_visible": ("bench.uzman", "/inbox", "handler, own and lanes' tasks"),
    "rep_all": ("bench.temsil", "/inbox?scope=all", "representative, all, at risk first"),
    "rep_at_risk": ("bench.temsil", "/inbox?scope=all&due=at_risk", "representative, at-risk filter"),
    "rep_overdue_faks": ("bench.temsil", "/inbox?scope=all&due=overdue&channel=faks",
                         "representative, overdue fax complaints"),
    "intake_page2": ("bench.kabul", None, "intake's lane, next page (keyset)"),
}


def _fields(i: int) -> dict:
    return {"channel": "faks", "customer_name": f"Müşteri {i}", "customer_phone": "+90 312 555 0101",
            "customer_email": f"musteri{i}@example.com.tr", "description": "Bağlantı sık sık kopuyor."}


def _ms(seconds: float) -> float:
    return seconds * 1000


class Backend:
    """One fresh database (a temporary SQLite file, or a schema of its own on PostgreSQL) with the app on it."""

    def __init__(self, label: str, url: str | None):
        from app import create_app

        self.label = label
        self.schema = None
        if url and url.startswith("postgresql"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1) if "+" not in url.split(":")[0] else url
            self.base_url = url
            self.schema = f"bench_{os.getpid()}_{label.replace(' ', '_')}"
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
                conn.execute(sa.text(f"CREATE SCHEMA {self.schema}"))
            engine.dispose()
            url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{self.schema}"
        self.url = url or f"sqlite:///{tempfile.mkdtemp(prefix='complaintflow-bench-')}/bench.db"
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": self.url, "SCHEDULER_IN_PROCESS": False})
        self.ctx = self.app.app_context()
        self.ctx.push()
        self._migrate()

    def _migrate(self) -> None:
        from flask_migrate import upgrade

        from app.config import PROJECT_ROOT
        from app.services.procedure import versions

        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        bpmn = (PROJECT_ROOT / "processes" / "complaint.bpmn").read_text(encoding="utf-8")
        self.version = versions.deploy_version(bpmn, versions.load_forms_dir(PROJECT_ROOT / "forms"),
                                               author="bench")

    def close(self) -> None:
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()
        if self.schema:
            engine = sa.create_engine(self.base_url)
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            engine.dispose()


class Bench:
    def __init__(self, report: Report, size: int, quick: bool):
        self.report, self.size, self.quick = report, size, quick
        self.floor_register = self.floor_complete = 0.0
        # The engine floor of each HTTP intake's own input (channel → seconds): an e-mail or web complaint is
        # acknowledged by the diagram at once (more steps than the fax the service load registers).
        self.floor_intake: dict[str, float] = {}

    # --- helpers ---------------------------------------------------------------------------------
    def add(self, key: str, name: str, value: float | None, unit: str, *, floor: float | None = None,
            ratio: float | None = None, target=None, population: str = "", note: str = "") -> None:
        if ratio is None and floor and value is not None and unit == "ms":
            ratio = value / floor
        text, ok = ("", None)
        if target is not None and value is not None:
            text, ok = target(value)
        self.report.add(Figure(key, name, value, unit, floor, ratio, text, ok, population, note))

    # --- the engine alone ------------------------------------------------------------------------
    def engine_floor(self, backend: Backend, rounds: int = 300) -> None:
        """SpiffWorkflow alone: register (start + run) and one task completion, in memory; and the same
        start with the diagram code outside the sandbox, to show what the sandbox costs. CPU time of this
        process, so other load on the machine does not inflate the floor."""
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

        from app.services.context import runtime
        from app.services.procedure import versions

        engine, bundle = runtime().engine, versions.bundle_for(backend.version)
        # The start variables the app passes at registration (the diagram's kind gateway and decision tables read them).
        seed = {"registration_number": "SK-2026-000000", "channel": "faks",
                "received_at": START.isoformat(), "preferred_contact": "eposta", "customer_has_email": True,
                "kind": "complaint", "category": None, "service_impact": "other", "customer_segment": "individual",
                "repeat_complaint": False}

        def starts(script_engine=None, **changes) -> tuple[float, list]:
            saved = engine.script_engine
            engine.script_engine = script_engine or saved
            try:
                engine.start(bundle, {**seed, **changes}, at=START)
                started = time.process_time()
                runs = [engine.start(bundle, {**seed, **changes}, at=START) for _ in range(rounds)]
                return (time.process_time() - started) / rounds, runs
            finally:
                engine.script_engine = saved

        self.floor_register, runs = starts()
        for channel, label in INTAKE_CHANNELS.items():
            self.floor_intake[channel], _ = starts(channel=channel)
            self.add(f"floor.register_{channel}", f"engine floor: register, {label}",
                     _ms(self.floor_intake[channel]), "ms", population="in memory",
                     note=f"channel {channel}, e-mail address given: acknowledged by the diagram at once")
        started = time.process_time()
        for run in runs:
            (task,) = run.ready_human_tasks()
            run.complete(task.guid, {"ack_method": "telefon"}, at=START)
            run.serialize()
        self.floor_complete = (time.process_time() - started) / rounds
        plain = PythonScriptEngine(environment=TaskDataEnvironment(dict(engine.script_engine.environment.globals)))
        unsandboxed, _ = starts(plain)
        self.add("floor.register", "engine floor: register", _ms(self.floor_register), "ms", population="in memory",
                 note="SpiffWorkflow start + engine steps, diagram code sandboxed")
        self.add("floor.complete", "engine floor: complete task", _ms(self.floor_complete), "ms",
                 population="in memory", note="complete + serialize")
        self.add("floor.sandbox", "sandbox cost per registration", _ms(self.floor_register - unsandboxed), "ms",
                 population="in memory", note=f"RestrictedPython + tracer; unsandboxed start {_ms(unsandboxed):.2f} ms")

    def commit_floor(self, backend: Backend, key: str, rounds: int = 200) -> None:
        """One durable commit of one small row on this database, without the app: the most a single
        writer can do per second (SQLite holds its write lock through the fsync)."""
        from app.extensions import db

        with db.engine.connect() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS bench_commit (x INTEGER)"))
            conn.commit()
            started = time.perf_counter()
            for i in range(rounds):
                conn.execute(sa.text("INSERT INTO bench_commit VALUES (:x)"), {"x": i})
                conn.commit()
            per = (time.perf_counter() - started) / rounds
        self.add(f"{key}.commit_floor", f"{backend.label}: one durable commit (no app)", _ms(per), "ms",
                 population="1 row", note=f"at most {1 / per:.0f} commits/s from one writer")

    # --- population ------------------------------------------------------------------------------
    def load(self, backend: Backend, size: int, key: str) -> list[str]:
        from app.extensions import db
        from app.services.complaints import registration as complaints

        started = time.perf_counter()
        numbers = []
        for i in range(size):
            numbers.append(complaints.register_complaint(_fields(i), actor="bench",
                                                         at=START + timedelta(seconds=i)).registration_number)
            db.session.expunge_all()
        per = (time.perf_counter() - started) / size
        self.add(f"{key}.register_service", f"{backend.label}: register (service, committed)", _ms(per), "ms",
                 floor=_ms(self.floor_register), population=f"{size}", note=f"{1 / per:.0f} /s, one process")
        return numbers

    def reopened(self, numbers: list[str], rounds: int = 21, answer: dict = REJECT) -> tuple[float, float]:
        """Take each complaint through `rounds` rounds, each ending with the customer's `answer`, through the
        services; returns the cost of a step in the first and in the last round."""
        from app.extensions import db
        from app.services.complaints import registration as complaints
        from app.services.workflow import tasks

        first = last = 0.0
        at = START + timedelta(hours=2)
        for number in numbers:
            for _ in range(rounds):
                t0, steps = time.perf_counter(), 0
                while True:
                    ready = tasks.ready_tasks_for(complaints.get_by_number(number))
                    todo = [t for t in ready if t.escalation] or [t for t in ready if t.spec_name in STEP_DATA]
                    if not todo:
                        break
                    task_id, spec_name, escalation = todo[0].id, todo[0].spec_name, todo[0].escalation
                    data = ESCALATION if escalation else STEP_DATA[spec_name]
                    if spec_name == "task_customer_answer":
                        data = answer
                    tasks.complete_task(task_id, data, actor="bench", at=at)
                    db.session.remove()
                    steps += 1
                    if spec_name == "task_customer_answer":
                        break
                cost = (time.perf_counter() - t0) / max(steps, 1)
                first = first or cost
                last = cost
                at += timedelta(minutes=5)
        return first, last

    # --- HTTP ------------------------------------------------------------------------------------
    def intake(self, backend: Backend, workers: int, count: int, token: str, key: str, note: str = "") -> float:
        clients = max(4, 3 * workers)
        server = http.Server(backend.url, workers=workers)
        try:
            rest = http.intake_over_rest(server, token, count, clients)
            form = http.intake_over_public_form(server, count, clients)
        finally:
            server.stop()
        one = workers == 1
        for kind, rate, channel in (("rest", rest, http.REST_CHANNEL), ("form", form, http.FORM_CHANNEL)):
            label = "REST create" if kind == "rest" else "public form"
            per_ms, floor = 1000 / rate, _ms(self.floor_intake[channel])
            self.add(f"{key}.intake_{kind}.w{workers}", f"{backend.label}: intake {label}, {workers} worker(s)",
                     rate, "/s", floor=floor if one else None, ratio=per_ms / floor if one else None,
                     target=(lambda v, p=per_ms, f=floor: at_most(p / f, 3, "x floor")) if one
                     else (lambda v: at_least(v, 500, "/s")),
                     population=f"{clients} clients",
                     note=f"{per_ms:.2f} ms a complaint" + (f"; {per_ms / _ms(self.floor_register):.1f}x the fax "
                                                          "complaint's floor, as older results divided"
                                                          if one else "") + note)
        return rest

    def latencies(self, backend: Backend, key: str, numbers: list[str], reopened: list[str], token: str,
                  workers: int) -> None:
        from app.extensions import db
        from app.models import Complaint, HumanTask

        population = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
        sample = numbers[:: max(1, len(numbers) // 200)][:200]
        task_ids = list(db.session.scalars(
            sa.select(HumanTask.id).join(Complaint, Complaint.id == HumanTask.complaint_id)
            .where(HumanTask.state == "ready", HumanTask.spec_name == "task_acknowledge",
                   Complaint.registration_number.in_(sample))))
        open_tasks = db.session.scalar(sa.select(sa.func.count()).select_from(HumanTask)
                                       .where(HumanTask.state == "ready"))
        db.session.remove()
        server = http.Server(backend.url, workers=workers)
        try:
            p50, p95, slowest = http.percentiles(http.task_completion(server, token, task_ids,
                                                                      {"ack_method": "telefon"}))
            self.add(f"{key}.complete_p95", f"{backend.label}: complete task over HTTP p95", _ms(p95), "ms",
                     floor=_ms(self.floor_complete), target=lambda v: at_most(v, 10, "ms"),
                     population=f"{population}", note=f"p50 {_ms(p50):.2f} ms, slowest {_ms(slowest):.1f} ms")
            p50, p95, slowest = http.percentiles(http.status_lookup(server, token, sample))
            self.add(f"{key}.status_p95", f"{backend.label}: status lookup over HTTP p95", _ms(p95), "ms",
                     target=lambda v: at_most(v, 5, "ms"), population=f"{population}",
                     note=f"p50 {_ms(p50):.2f} ms, slowest {_ms(slowest):.1f} ms")
            p50, p95, slowest = http.percentiles(http.inbox_page(server, "bench.uzman"))
            self.add(f"{key}.inbox_p95", f"{backend.label}: inbox first page over HTTP p95", _ms(p95), "ms",
                     target=lambda v: at_most(v, 20, "ms"), population=f"{open_tasks} open tasks",
                     note=f"p50 {_ms(p50):.2f} ms, slowest {_ms(slowest):.1f} ms; whole HTML page, sorted by due")
            for view, (username, path, what) in INBOX_VIEWS.items():
                path = path or http.next_page_path(server, username, "/inbox?scope=roles")
                p50, p95, slowest = http.percentiles(http.inbox_page(server, username, rounds=30, path=path))
                self.add(f"{key}.inbox_{view}_p95", f"{backend.label}: inbox {what} p95", _ms(p95), "ms",
                         target=lambda v: at_most(v, 20, "ms"), population=f"{open_tasks} open tasks",
                         note=f"p50 {_ms(p50):.2f} ms, slowest {_ms(slowest):.1f} ms; {path}")
            if reopened:
                complete, lookup = self.after_reopens(server, token, reopened)
                self.add(f"{key}.reopened_complete_p95", f"{backend.label}: complete task after 20 reopens p95",
                         _ms(http.percentiles(complete)[1]), "ms", floor=_ms(self.floor_complete),
                         target=lambda v: at_most(v, 10, "ms"), population=f"{len(reopened)} complaints",
                         note=f"{len(complete)} steps of the 21st round over HTTP")
                self.add(f"{key}.reopened_status_p95", f"{backend.label}: status lookup after 20 reopens p95",
                         _ms(http.percentiles(lookup)[1]), "ms", target=lambda v: at_most(v, 5, "ms"),
                         population=f"{len(reopened)} complaints")
            self.rss = server.worker_peak_rss_mb()
        finally:
            server.stop()

    def after_reopens(self, server: http.Server, token: str, numbers: list[str]) -> tuple[list, list]:
        """Over HTTP, on complaints reopened 20 times: every step of one more round, and status look-ups."""
        from app.extensions import db
        from app.services.complaints import registration as complaints
        from app.services.workflow import tasks

        client = http.Client(server, {"Authorization": f"Bearer {token}"})
        complete, lookup = [], []
        for number in numbers:
            for _ in range(6):
                ready = tasks.ready_tasks_for(complaints.get_by_number(number))
                todo = [t for t in ready if t.escalation] or [t for t in ready if t.spec_name in STEP_DATA]
                if not todo:
                    db.session.remove()
                    break
                task_id, spec_name, escalation = todo[0].id, todo[0].spec_name, todo[0].escalation
                data = ESCALATION if escalation else STEP_DATA[spec_name]
                if spec_name == "task_customer_answer":
                    data = {"answer": "accepted"}
                t0 = time.perf_counter()
                db.session.remove()
                http.complete_task(client, task_id, data)
                complete.append(time.perf_counter() - t0)
            for _ in range(5):
                t0 = time.perf_counter()
                status, _text = client.call("GET", f"/api/v1/complaints/{number}")
                assert status == 200
                lookup.append(time.perf_counter() - t0)
        return complete, lookup

    # --- one backend -----------------------------------------------------------------------------
    def backend(self, label: str, url: str | None, size: int, workers: list[int], key: str) -> None:
        from app.extensions import db
        from app.models import Complaint
        from app.services.accounts import api_tokens, users

        backend = Backend(label, url)
        try:
            if not self.floor_register:
                self.engine_floor(backend)
            self.commit_floor(backend, key)
            numbers = self.load(backend, size, key)
            reopened = numbers[1:3] if self.quick else numbers[1:11]
            first, last = self.reopened(reopened)
            self.add(f"{key}.reopen_ratio", f"{label}: a step after 20 reopens / in the first round", last / first,
                     "x",
                     target=lambda v: at_most(v, 1.5, "x"), population=f"{len(reopened)} complaints",
                     note=f"{_ms(first):.2f} ms → {_ms(last):.2f} ms, through the services")
            _, token = api_tokens.create_token("bench", ["intake", "handler", "representative"])
            users.create_user("bench.uzman", "Bench Uzman", http.PASSWORD, ["handler"])
            users.create_user("bench.kabul", "Bench Kabul", http.PASSWORD, ["intake"])
            users.create_user("bench.temsil", "Bench Temsilci", http.PASSWORD, ["representative"])
            # The scheduler's risk estimate flags a share of open complaints; here one in thirty.
            db.session.execute(sa.update(Complaint).where(Complaint.status == "open", Complaint.id % 30 == 0)
                               .values(risk_status="at_risk", risk_needed_hours=12.0, risk_left_hours=4.0))
            db.session.commit()
            db.session.remove()
            count = 100 if self.quick else 1000
            rates = {w: self.intake(backend, w, count, token, key) for w in workers}
            if len(workers) > 1:
                most = max(workers)
                self.add(f"{key}.scaling", f"{label}: REST intake, {most} workers / 1 worker",
                         rates[most] / rates[1], "x", population=f"{os.cpu_count()} cores",
                         note=", ".join(f"{w}: {r:.0f}/s" for w, r in rates.items()))
            self.latencies(backend, key, numbers, reopened, token, workers=1)
            if key == "sqlite":
                self.sweeps(backend)
                self.outbox(backend)
                self.incident(backend)
                self.storage(numbers[20:40])
                self.add("sqlite.rss", "peak RSS of the web worker", self.rss, "MB",
                         target=lambda v: at_most(v, 300, "MB"), population=f"{size}+")
        finally:
            backend.close()

    def sweeps(self, backend: Backend) -> None:
        from app.extensions import db
        from app.models import ProcessInstance
        from app.services.workflow import timers

        none_due = []
        for _ in range(20):
            t0 = time.perf_counter()
            timers.fire_due_timers(at=START)
            none_due.append(time.perf_counter() - t0)
        waiting = db.session.scalar(sa.select(sa.func.count()).select_from(ProcessInstance)
                                    .where(ProcessInstance.next_timer_at.isnot(None)))
        self.add("sqlite.sweep_idle", "timer sweep, none due", _ms(statistics.median(none_due)), "ms",
                 target=lambda v: at_most(v, 5, "ms"), population=f"{waiting} waiting")

    def outbox(self, backend: Backend) -> None:
        count = 100 if self.quick else 1000
        result = scale.outbox_to_smtp(backend.app, count, START + timedelta(days=1))
        once = result["received"] == result["distinct"] == result["sent_rows"] == result["queued"]
        self.add("outbox.seconds", f"outbox: {result['queued']} messages to aiosmtpd", result["seconds"], "s",
                 target=lambda v: (at_most(v, 60, "s")[0], v <= 60 and once and result["connections"] == 1),
                 population=f"{result['queued']} queued",
                 note=f"{result['received']} received, {result['distinct']} distinct Message-IDs, "
                      f"{result['connections']} SMTP connection(s)")

    def incident(self, backend: Backend) -> None:
        count = 100 if self.quick else 1000
        result = scale.incident_resolution(count, START + timedelta(days=2))
        self.add("sqlite.incident_resolve", f"incident resolved once for {result['linked']} linked complaints",
                 result["seconds"], "s", target=lambda v: at_most(v, 10, "s"),
                 population=f"{result['linked']} linked",
                 note=f"{result['applied']} applied, {result['failed']} failed, {result['processes']} process(es), "
                      f"{result['seconds'] / max(result['applied'], 1) * 1000:.1f} ms each (own transaction + audit)")

    def storage(self, numbers: list[str]) -> None:
        from app.extensions import db
        from app.services.complaints import registration as complaints

        self.reopened(numbers, rounds=1, answer={"answer": "accepted"})
        ids = [complaints.get_by_number(n).id for n in numbers]
        sizes = db.session.execute(sa.text(
            "SELECT (SELECT COALESCE(SUM(LENGTH(state_json)), 0) FROM process_instance pi "
            "  JOIN complaint c ON c.instance_id = pi.id WHERE c.id IN :ids) + "
            "(SELECT COALESCE(SUM(LENGTH(data_json) + 200), 0) FROM audit_event WHERE complaint_id IN :ids) + "
            "(SELECT COALESCE(SUM(LENGTH(name) + 200), 0) FROM human_task WHERE complaint_id IN :ids) + "
            "(SELECT COALESCE(SUM(LENGTH(description) + 400), 0) FROM complaint WHERE id IN :ids)"
        ).bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids}).scalar()
        self.add("sqlite.storage", "storage per closed complaint", sizes / len(ids) / 1024, "KB",
                 target=lambda v: at_most(v, 20, "KB"), population=f"{len(ids)} complaints",
                 note="row payloads + fixed overhead estimate; spec stored once")

    # --- scheduler at scale (PostgreSQL) ---------------------------------------------------------
    def scheduler(self, url: str) -> None:
        from app.services.complaints import registration as complaints

        waiting, due = (10_000, 300) if self.quick else (100_000, 5_000)
        backend = Backend("timers", url)
        try:
            template = complaints.register_complaint(_fields(0), actor="bench", at=START)
            number, first_copy = template.registration_number, template.instance_id + 1
            due_at, tuesday = scale.long_weekend(START)
            t0 = time.perf_counter()
            scale.seed_waiting_timers(number, waiting, due, due_at, tuesday, tuesday + timedelta(days=30))
            seeded = time.perf_counter() - t0
            elapsed = scale.fire_with_schedulers(backend.url, tuesday, schedulers=2)
            escalated, doubled, total = scale.escalations_per_instance(first_copy)
            once = escalated == due and doubled == 0 and total == due
            self.add("pg.timers_due", f"PostgreSQL: {due:,} due of {waiting:,} waiting timers, 2 schedulers",
                     elapsed, "s", target=lambda v: (at_most(v, 60, "s")[0], v <= 60 and once),
                     population=f"{waiting:,} waiting",
                     note=f"{escalated} escalated, {doubled} twice; {due / elapsed:.0f} timers/s; "
                          f"seeded by SQL in {seeded:.1f} s; includes process start-up")
        finally:
            backend.close()


def _postgres_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                                  connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - no PostgreSQL here: its rows are skipped
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small populations for CI")
    parser.add_argument("--size", type=int, help="complaints on SQLite (default 100000, quick 300)")
    parser.add_argument("--pg-size", type=int, help="complaints on PostgreSQL (default 20000, quick 300)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", ""), help="PostgreSQL URL ('' to skip)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (JSON)")
    parser.add_argument("--compare", type=Path,
                        help="an earlier results file to compare with (default: the one this run replaces)")
    args = parser.parse_args()
    size = args.size or (300 if args.quick else 100_000)
    pg_size = args.pg_size or (200 if args.quick else 20_000)
    cores = os.cpu_count() or 1
    report = Report(f"complaintflow bench — {cores} cores, SQLite population {size}, PostgreSQL {pg_size}"
                    f"{' (quick)' if args.quick else ''}",
                    meta={"size": size, "pg_size": pg_size, "quick": args.quick, "cores": cores,
                          "at": time.strftime("%Y-%m-%dT%H:%M:%S")})
    bench = Bench(report, size, args.quick)
    started = time.perf_counter()
    bench.backend("SQLite", os.environ.get("BENCH_DATABASE_URL"), size, sorted({1, cores}), "sqlite")
    if args.pg and _postgres_reachable(args.pg):
        bench.backend("PostgreSQL", args.pg, pg_size, [1, 2, 4], "pg")
        bench.scheduler(args.pg)
    else:
        print("PostgreSQL not reachable (--pg / BENCH_PG_URL): its rows are skipped")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.meta.update(seconds=round(time.perf_counter() - started), bench_rss_mb=round(rss_mb))
    report.print()
    previous = args.compare or args.out
    previous_text = previous.read_text(encoding="utf-8") if previous.exists() else None
    report.write(args.out)
    print(f"\nwritten to {args.out} ({report.meta['seconds']} s)")
    if previous_text:
        compare(previous, previous_text, report)


if __name__ == "__main__":
    main()
