"""`complaintflow serve`: the production web server (gunicorn, several workers, no scheduler).

Run exactly one `complaintflow scheduler` beside it (a second one may run for failover: the sweep
and the outbox claim their rows, so two schedulers never fire a timer or send a message twice).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from gunicorn.app.base import BaseApplication

# The path without its query string: searches (?q=customer name) must not put personal data in logs.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


class _Gunicorn(BaseApplication):
    """Each worker builds its own app after the fork, so no database connection crosses processes."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app import create_app

        app = create_app({"SCHEDULER_IN_PROCESS": False})
        _before_serving(app, (_recover_stopped_runs, _load_live_procedure))
        freeze_startup_objects()
        return app


def _recover_stopped_runs() -> None:
    """A worker that replaces one the script watchdog ended flags that complaint before serving."""
    from app.services.workflow import stopped_runs

    stopped_runs.recover()


def _load_live_procedure() -> None:
    """Parse the live diagram before the first request needs it (and before the start-up objects are frozen)."""
    from app.services.errors import NoLiveVersion
    from app.services.procedure import versions

    with contextlib.suppress(NoLiveVersion):  # nothing deployed yet: nothing to parse
        versions.bundle_for(versions.live_version())


def _before_serving(app, steps) -> None:
    """Each step in the worker's app context; a failed one is logged (the sweep or the first request does
    it later) and the worker starts regardless."""
    from app.extensions import db

    with app.app_context():
        for step in steps:
            try:
                step()
            except Exception:  # noqa: BLE001 - a worker must start regardless
                logging.getLogger(__name__).exception("%s failed at start", step.__name__)
            finally:
                db.session.rollback()
                db.session.remove()


def freeze_startup_objects() -> None:
    """What a worker builds to start (modules, mappers, the app, the parsed diagram) lives as long as it does:
    frozen, a full garbage collection no longer walks it. Unfrozen, each full collection of a web worker
    walked some 170,000 objects, a pause of 80–100 ms every few hundred requests; frozen, 1–4 ms. What was
    frozen is never collected: a diagram parsed here and later evicted from the spec cache (after 32 other
    versions) stays in memory for the worker's life, once."""
    gc.collect()
    gc.freeze()


def _metrics_dir() -> tuple[Path, bool]:
    """prometheus_client's multiprocess directory: PROMETHEUS_MULTIPROC_DIR emptied (its docs ask for a clean
    directory at each start), or a fresh temporary one; set before any worker imports the library."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path, False
    path = Path(tempfile.mkdtemp(prefix="complaintflow-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path, True


def _worker_exited(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option("--workers", "-w", default=2, show_default=True, type=int, help="worker processes")
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
@click.option("--timeout", default=30, show_default=True, type=int, help="seconds before a stuck worker is restarted")
@with_appcontext
def serve_command(bind: str, workers: int, threads: int, timeout: int) -> None:
    """Serve the web app with gunicorn (timers and outbox run in `complaintflow scheduler`)."""
    from flask import current_app

    metrics_dir, temporary = _metrics_dir()
    options = {"bind": bind, "workers": workers, "threads": threads, "timeout": timeout,
               "worker_class": "gthread", "graceful_timeout": 20, "child_exit": _worker_exited}
    if current_app.config.get("LOG_FORMAT") != "json":  # JSON mode writes its own request lines, no addresses
        options.update(accesslog="-", access_log_format=ACCESS_LOG_FORMAT)
    try:
        _Gunicorn(options).run()
    finally:
        if temporary:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the app (single process) with the timer sweep running in-process."""
    app = current_app._get_current_object()
    scheduler = None
    if app.config["SCHEDULER_IN_PROCESS"]:
        from app.scheduler import build_scheduler

        scheduler = build_scheduler(app, blocking=False)
        scheduler.start()
        click.echo(f"timer sweep every {app.config['TIMER_SWEEP_SECONDS']} s (in-process)")
    from werkzeug.serving import run_simple

    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the one scheduler process (timer sweep) beside the web workers."""
    from app.scheduler import build_scheduler

    app = current_app._get_current_object()
    click.echo(f"scheduler: timer sweep every {app.config['TIMER_SWEEP_SECONDS']} s, "
               f"outbox delivery every {app.config['OUTBOX_SWEEP_SECONDS']} s")
    if (app.config.get("IMAP_HOST") or "").strip() and app.config["IMAP_POLL_SECONDS"] > 0:
        click.echo(f"scheduler: IMAP mailbox {app.config['IMAP_HOST']} every {app.config['IMAP_POLL_SECONDS']} s")
    build_scheduler(app, blocking=True).start()
