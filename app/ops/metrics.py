"""Prometheus metrics: request counts and latencies measured here, the desk's state read at scrape time.

Under gunicorn (`complaintflow serve`) each worker counts its own requests; with PROMETHEUS_MULTIPROC_DIR
set (serve sets it) prometheus_client keeps those counts in files that any worker adds up on a scrape
(its multiprocess mode). prometheus_client is imported only when a worker measures its first request,
so the variable is in place before the library reads it. The desk's gauges (complaints, tasks, timers,
outbox, jobs) are not per process at all: they are counted from the database on each scrape.
"""

from __future__ import annotations

import os
import time

from flask import Flask, g, request

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _RequestMetrics:
    """One set of instruments per app, in the app's own registry (tests build many apps in one process)."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("complaintflow_http_requests", "HTTP requests answered, by route and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("complaintflow_http_request_duration_seconds", "Time to answer a request",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)


def _instruments(app: Flask) -> _RequestMetrics:
    state = app.extensions.get("complaintflow_metrics")
    if state is None:
        state = app.extensions["complaintflow_metrics"] = _RequestMetrics()
    return state


def route_label() -> str:
    """The URL rule, never the path: numbers and tokens in paths would make a series per complaint."""
    return request.url_rule.rule if request.url_rule is not None else "(unmatched)"


def init_metrics(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.get("request_started")
        if started is not None:
            metrics = _instruments(app)
            route = route_label()
            metrics.requests.labels(route, request.method, str(response.status_code)).inc()
            metrics.latency.labels(route, request.method).observe(time.perf_counter() - started)
        return response


class _DeskCollector:
    """The desk's gauges, counted from the database when Prometheus asks."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from ..services.operations import probes as operations

        gauges = operations.desk_gauges()
        families = {
            "complaints": GaugeMetricFamily("complaintflow_complaints", "Complaints by ISO 10002 stage and status",
                                            labels=["stage", "status"]),
            "open_tasks": GaugeMetricFamily("complaintflow_open_tasks", "Tasks waiting in the inbox, by lane",
                                            labels=["lane"]),
            "overdue_tasks": GaugeMetricFamily("complaintflow_overdue_tasks", "Open tasks past their due time, by lane",
                                               labels=["lane"]),
            "outbox": GaugeMetricFamily("complaintflow_outbox_messages", "Customer mail not yet sent, by status",
                                        labels=["status"]),
        }
        for name, family in families.items():
            for labels, value in getattr(gauges, name):
                family.add_metric(list(labels.values()), value)
            yield family
        yield GaugeMetricFamily("complaintflow_deadlines_breached",
                                "Complaints (not cancelled) that missed an acknowledgement or solution deadline",
                                value=gauges.deadlines_breached)
        yield GaugeMetricFamily("complaintflow_timers_due", "Running complaints whose next timer is due and not yet "
                                "fired (a growing number means the scheduler is behind or down)",
                                value=gauges.timers_due)
        last_run = GaugeMetricFamily("complaintflow_job_last_run_timestamp_seconds",
                                     "When each scheduler job last ran (Unix time)", labels=["job"])
        last_ok = GaugeMetricFamily("complaintflow_job_last_run_ok", "1 when the job's last run succeeded",
                                    labels=["job"])
        audit = GaugeMetricFamily("complaintflow_audit_chain_ok",
                                  "1 when the last audit-chain verification found every chain intact, 0 on a break")
        for run in gauges.jobs:
            last_run.add_metric([run.job], run.last_run_at.timestamp())
            last_ok.add_metric([run.job], 1 if run.ok else 0)
            if run.job == "audit-check":
                audit.add_metric([], 1 if run.ok else 0)
        yield last_run
        yield last_ok
        yield audit


def render_metrics(app: Flask) -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    instruments = _instruments(app)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(instruments.registry)
    desk = CollectorRegistry(auto_describe=False)
    desk.register(_DeskCollector(app))
    return body + generate_latest(desk), CONTENT_TYPE_LATEST
