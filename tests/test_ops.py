"""Operations: probes for a load balancer, Prometheus metrics, JSON log lines, the scheduler's heartbeat."""

from __future__ import annotations

import json
import logging
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.config import TestConfig
from app.services.operations import probes as operations

from .helpers import fire, ist, register

TOKEN = "scrape-me-3f9c2a"


def _metrics(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.data
    values = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def _value(values, name, **labels) -> float:
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def metrics_client(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    return client


def test_healthz_answers_without_the_database_and_readyz_says_what_is_missing(client):
    assert client.get("/healthz").json == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert not checks["procedure"]["ok"] and "processes deploy" in checks["procedure"]["detail"]
    assert not checks["scheduler"]["ok"] and "complaintflow scheduler" in checks["scheduler"]["detail"]


@pytest.mark.usefixtures("live_version")
def test_readyz_is_ready_with_a_live_version_and_a_recent_sweep_and_not_once_the_scheduler_falls_silent(
        app, client, desk_clock):
    from app.scheduler import sweep_timers

    sweep_timers(app)  # the scheduler's job writes its heartbeat
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ready"

    desk_clock.pin(ist(2026, 11, 25, 11, 3))  # three minutes without a sweep (limit: 120 s)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "last timer sweep 180 s ago" in response.json["checks"]["scheduler"]["detail"]


def test_readyz_answers_503_when_the_database_is_gone_while_healthz_stays_up():
    class Gone(TestConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://nobody@127.0.0.1:9/gone?connect_timeout=2"

    gone = create_app(Gone)
    client = gone.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": {"ok": False, "detail": "unreachable (OperationalError)"}}


def test_readyz_sees_a_database_behind_the_code(tmp_path):
    from flask_migrate import upgrade

    from app.config import PROJECT_ROOT

    class Behind(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"

    old = create_app(Behind)
    with old.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision="c4e8a1f09d27")
    response = old.test_client().get("/readyz")
    assert response.status_code == 503
    detail = response.json["checks"]["migrations"]["detail"]
    assert "c4e8a1f09d27" in detail and "complaintflow db upgrade" in detail


def test_metrics_is_off_without_a_token_and_refuses_a_missing_or_wrong_one(app, client):
    assert client.get("/metrics").status_code == 404  # METRICS_TOKEN unset: nothing to scrape
    app.config["METRICS_TOKEN"] = TOKEN
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"},
                    {"Authorization": "Bearer \u00e7\u00e7"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert b"complaintflow" not in response.data


@pytest.mark.usefixtures("live_version")
def test_metrics_move_when_a_complaint_is_registered_and_when_a_deadline_is_breached(metrics_client, desk_clock):
    before = _metrics(metrics_client)
    assert _value(before, "complaintflow_complaints", stage="1", status="open") == 0

    complaint = register("posta_kargo", at=ist(2026, 11, 27, 17, 0))  # acknowledgement due that day, 18:00
    desk_clock.pin(ist(2026, 11, 27, 17, 30))
    after = _metrics(metrics_client)
    assert _value(after, "complaintflow_complaints", stage=str(complaint.stage), status="open") == 1
    lane = "Şikâyet Kabul"
    assert _value(after, "complaintflow_open_tasks", lane=lane) == 1
    assert _value(after, "complaintflow_deadlines_breached") == 0
    assert _value(after, "complaintflow_timers_due") == 0

    desk_clock.pin(ist(2026, 11, 27, 18, 30))  # the deadline passes; the sweep has not run yet
    waiting = _metrics(metrics_client)
    assert _value(waiting, "complaintflow_timers_due") == 1
    assert _value(waiting, "complaintflow_overdue_tasks", lane=lane) == 1

    assert fire(ist(2026, 11, 27, 18, 30)) == 1  # the escalation: the deadline is breached
    breached = _metrics(metrics_client)
    assert _value(breached, "complaintflow_deadlines_breached") == 1
    assert _value(breached, "complaintflow_timers_due") == 0
    requests = _value(breached, "complaintflow_http_requests_total", route="/metrics", method="GET", status="200")
    assert requests == 3  # the earlier scrapes, counted by route rule
    assert _value(breached, "complaintflow_http_request_duration_seconds_count", route="/metrics", method="GET") == 3


@pytest.mark.usefixtures("live_version")
def test_metrics_show_the_scheduler_jobs_and_the_audit_check(app, metrics_client):
    from app.scheduler import check_audit_chains, sweep_timers

    register()
    sweep_timers(app)
    assert check_audit_chains(app) is True
    values = _metrics(metrics_client)
    assert _value(values, "complaintflow_audit_chain_ok") == 1
    assert _value(values, "complaintflow_job_last_run_ok", job="timer-sweep") == 1
    swept = _value(values, "complaintflow_job_last_run_timestamp_seconds", job="timer-sweep")
    assert swept == ist(2026, 11, 25, 11, 0).timestamp()  # the desk clock the tests pin

    from .test_audit_chain import _tamper

    _tamper("UPDATE audit_event SET actor = 'someone else'")
    assert check_audit_chains(app) is False
    assert _value(_metrics(metrics_client), "complaintflow_audit_chain_ok") == 0


def test_metrics_label_routes_by_rule_not_by_path(metrics_client):
    metrics_client.get("/takip/SK-2026-000123-ayse@example.com.tr")
    metrics_client.get("/complaints/SK-2026-000001")
    text = metrics_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    assert "SK-2026-000001" not in text and "ayse" not in text
    assert 'route="/complaints/<number>"' in text
    assert 'route="(unmatched)"' in text


@pytest.mark.usefixtures("live_version")
def test_json_logs_have_one_line_per_request_with_the_number_and_no_personal_data(app, capsys):
    complaint = register(customer_name="Ayşe Yılmaz", customer_email="ayse@example.com.tr")
    json_app = create_app(type("JsonConfig", (TestConfig,), {
        "LOG_FORMAT": "json", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}))
    root = logging.getLogger()
    try:
        client = json_app.test_client()
        assert client.get(f"/complaints/{complaint.registration_number}?q=Ay%C5%9Fe").status_code == 302
        assert client.get("/healthz").status_code == 200
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finally:
        root.handlers = [h for h in root.handlers if type(h.formatter).__name__ != "JsonLines"]
    requests = [line for line in lines if line.get("event") == "request"]
    assert [(r["route"], r["status"]) for r in requests] == [("/complaints/<number>", 302), ("/healthz", 200)]
    assert requests[0]["registration_number"] == complaint.registration_number
    assert "registration_number" not in requests[1]
    text = json.dumps(lines, ensure_ascii=False)
    assert "Ayşe" not in text and "ayse@" not in text and "Ay%C5%9Fe" not in text and "127.0.0.1" not in text


def test_json_logs_have_one_line_per_scheduler_job(app, capsys):
    from app.ops.logs import configure_json_logging
    from app.scheduler import sweep_timers

    root = logging.getLogger()
    configure_json_logging()
    try:
        sweep_timers(app)
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    finally:
        root.handlers = [h for h in root.handlers if type(h.formatter).__name__ != "JsonLines"]
    jobs = [line for line in lines if line.get("event") == "job"]
    assert len(jobs) == 1 and jobs[0]["job"] == "timer-sweep" and jobs[0]["ok"] is True
    assert jobs[0]["advanced"] == 0 and re.fullmatch(r"\d{4}-.*", jobs[0]["ts"])


def test_job_runs_are_one_row_per_job(app):
    operations.record_job_run("timer-sweep", detail="first")
    operations.record_job_run("timer-sweep", ok=False, detail="second")
    runs = operations.job_runs()
    assert [(r.job, r.ok, r.detail) for r in runs] == [("timer-sweep", False, "second")]
