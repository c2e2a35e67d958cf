"""/healthz, /readyz and /metrics: for load balancers, Kubernetes-style probes and Prometheus."""

from __future__ import annotations

import hmac

from flask import abort, current_app, request

from ..services.operations import probes as operations
from . import bp
from .metrics import render_metrics


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """The process is up and answers; it does not touch the database (that is /readyz)."""
    return _no_store(current_app.response_class('{"status": "ok"}\n', mimetype="application/json"))


@bp.get("/readyz")
def readyz():
    """200 when this desk can take work, else 503 with the check that failed and what to do."""
    report = operations.readiness()
    response = current_app.json.response(report.as_dict())
    response.status_code = 200 if report.ready else 503
    return _no_store(response)


def _token_matches(config_token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), config_token.encode())


@bp.get("/metrics")
def metrics():
    """Prometheus text format, for a scraper holding METRICS_TOKEN; 404 while no token is configured."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        abort(404)
    if not _token_matches(token):
        response = current_app.response_class("unauthorized\n", status=401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = render_metrics(current_app)
    return _no_store(current_app.response_class(body, mimetype=None, content_type=content_type))
