"""Operations: health and readiness probes, Prometheus metrics, JSON request logs."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("ops", __name__)


def init_ops(app: Flask) -> None:
    from . import logs, metrics, routes  # noqa: F401 - routes registers the views on bp

    logs.init_logs(app)
    metrics.init_metrics(app)
    app.register_blueprint(bp)
