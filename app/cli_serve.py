"""`complaintflow serve`: the production web server (gunicorn, several workers, no scheduler).

Run exactly one `complaintflow scheduler` beside it (a second one may run for failover: the sweep
and the outbox claim their rows, so two schedulers never fire a timer or send a message twice).
"""

from __future__ import annotations

import click
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
        from . import create_app

        return create_app({"SCHEDULER_IN_PROCESS": False})


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to listen on")
@click.option("--workers", "-w", default=2, show_default=True, type=int, help="worker processes")
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
@click.option("--timeout", default=30, show_default=True, type=int, help="seconds before a stuck worker is restarted")
def serve_command(bind: str, workers: int, threads: int, timeout: int) -> None:
    """Serve the web app with gunicorn (timers and outbox run in `complaintflow scheduler`)."""
    _Gunicorn({"bind": bind, "workers": workers, "threads": threads, "timeout": timeout,
               "worker_class": "gthread", "accesslog": "-", "graceful_timeout": 20,
               "access_log_format": ACCESS_LOG_FORMAT}).run()
