"""LOG_FORMAT=json: every log record as one JSON line, plus one line per request and per scheduler job.

A request line names the route rule (not the path with its query string), the method, the status, the
time taken and the registration number when the request was about one. Nothing else from the request
is written: no client address, no query string, no form field, no user name (KVKK).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime

from flask import Flask, g, request

log = logging.getLogger("complaintflow.requests")

# Record attributes every LogRecord has; anything else was passed as `extra=` and goes into the line.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonLines(logging.Formatter):
    """{"ts", "level", "logger", "message", ...extra fields}, one object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Route the root logger to one JSON-lines handler on stderr (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonLines) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root.handlers = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access lines carry the client address


def registration_number(prefix: str) -> str | None:
    """The complaint this request was about: a URL argument, or where a registration redirected to."""
    pattern = re.compile(rf"\b{re.escape(prefix)}-\d{{4}}-\d{{6}}\b")
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and pattern.fullmatch(value.strip().upper()):
            return value.strip().upper()
    return g.get("registration_number")


def init_logs(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") != "json":
        return
    configure_json_logging()
    prefix = app.config["REGISTRATION_PREFIX"]
    location_number = re.compile(rf"{re.escape(prefix)}-\d{{4}}-\d{{6}}")

    @app.after_request
    def _request_line(response):
        started = g.get("request_started")
        number = registration_number(prefix)
        if number is None and response.location:
            found = location_number.search(response.location)
            number = found.group(0) if found else None
        fields = {"event": "request", "method": request.method,
                  "route": request.url_rule.rule if request.url_rule is not None else "(unmatched)",
                  "status": response.status_code,
                  "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None}
        if number:
            fields["registration_number"] = number
        log.info("request", extra=fields)
        return response
