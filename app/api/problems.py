"""RFC 9457 problem documents for every API failure, and the strict JSON input checks behind them.

Every bad input is a 4xx with a field map; a domain error becomes the status the OpenAPI document
promises; a lost database is a 503 with Retry-After. The API never answers with HTML.
"""

from __future__ import annotations

import json

from flask import current_app, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from ..services.errors import (
    ConcurrentUpdate,
    NotFound,
    ProcedureFailed,
    StaleData,
    TaskAlreadyCompleted,
    TaskClaimedByOther,
    Unavailable,
    ValidationFailed,
)
from ..services.workflow.inbox import NotAllowed
from . import bp

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "2"


class ApiProblem(Exception):
    """Raised by views and input checks; rendered by `render`."""

    def __init__(self, status: int, title: str, detail: str = "", *, type_: str = "about:blank",
                 errors: dict[str, str] | None = None, extra: dict | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type = status, title, detail, type_
        self.errors, self.extra, self.headers = errors, extra or {}, headers or {}


def render(problem: ApiProblem):
    body = {"type": problem.type, "title": problem.title, "status": problem.status,
            "detail": problem.detail or problem.title}
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=problem.status,
                                          mimetype=PROBLEM_JSON)
    response.headers.update(problem.headers)
    return response


def invalid(errors: dict[str, str], detail: str = "the request has invalid fields") -> ApiProblem:
    return ApiProblem(422, "Unprocessable Content", detail, type_="/api#validation-failed", errors=errors)


def http_problem(error: HTTPException):
    """Routing and HTTP errors under /api/v1 (also used by the app-wide errors blueprint)."""
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="complaintflow"'
    return render(ApiProblem(error.code or 500, error.name, error.description or error.name, headers=headers))


def server_problem():
    db.session.rollback()
    return render(ApiProblem(500, "Internal Server Error", "an unexpected error occurred; nothing was saved"))


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@bp.errorhandler(ApiProblem)
def _api_problem(problem: ApiProblem):
    return render(problem)


@bp.errorhandler(HTTPException)
def _http(error: HTTPException):
    return http_problem(error)


@bp.errorhandler(ValidationFailed)
def _validation(exc: ValidationFailed):
    return render(invalid({k or "": v for k, v in exc.errors.items()}))


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return render(ApiProblem(404, "Not Found", str(exc)))


@bp.errorhandler(NotAllowed)
def _not_allowed(exc: NotAllowed):
    return render(ApiProblem(403, "Forbidden", str(exc)))


@bp.errorhandler(TaskAlreadyCompleted)
def _already_completed(exc: TaskAlreadyCompleted):
    return render(ApiProblem(409, "Task already completed", str(exc), type_="/api#task-already-completed",
                             extra={"state": exc.state, "by": exc.by, "at": _iso(exc.at)}))


@bp.errorhandler(TaskClaimedByOther)
def _claimed(exc: TaskClaimedByOther):
    return render(ApiProblem(409, "Task claimed by someone else", str(exc), type_="/api#task-claimed",
                             extra={"by": exc.by, "at": _iso(exc.at)}))


@bp.errorhandler(StaleData)
def _stale(exc: StaleData):
    return render(ApiProblem(409, "Complaint changed", str(exc), type_="/api#stale-data",
                             extra={"expected_version": exc.expected, "current_version": exc.current}))


@bp.errorhandler(ConcurrentUpdate)
def _concurrent(exc: ConcurrentUpdate):
    return render(ApiProblem(409, "Concurrent update", str(exc), type_="/api#concurrent-update",
                             headers={"Retry-After": RETRY_AFTER_SECONDS}))


@bp.errorhandler(Unavailable)
def _unavailable(exc: Unavailable):
    return render(ApiProblem(503, "Service Unavailable", str(exc), type_="/api#unavailable",
                             headers={"Retry-After": RETRY_AFTER_SECONDS}))


def procedure_problem(exc: ProcedureFailed):
    return render(ApiProblem(422, "Procedure failed", f"the step was not saved: {exc}", type_="/api#procedure-failed",
                             extra={"element": exc.element, "kind": exc.kind}))


@bp.errorhandler(ProcedureFailed)
def _procedure_failed(exc: ProcedureFailed):
    return procedure_problem(exc)


@bp.errorhandler(OperationalError)
def _database_down(exc: DBAPIError):
    """A busy or unreachable database outside a use case's own handling: retryable, nothing saved."""
    db.session.rollback()
    return _unavailable(Unavailable("the database is busy or unreachable; try again"))


# --- strict input -------------------------------------------------------------------------------

def _storable(value: str) -> bool:
    """PostgreSQL refuses NUL, and lone surrogates cannot be encoded: both are bad input, not a 500."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_strings(value, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [] if _storable(value) else [path]
    if isinstance(value, dict):
        found = [path or "(key)" for key in value if not _storable(str(key))]
        return found + [p for k, v in value.items() for p in _bad_strings(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _bad_strings(v, f"{path}[{i}]")]
    return []


def json_body() -> dict:
    """The request body as a JSON object; 415 for another media type, 400 when it is not JSON."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiProblem(415, "Unsupported Media Type", "send the body as application/json")
    try:
        body = json.loads(request.get_data(cache=True) or b"")
    except (ValueError, RecursionError) as exc:
        raise ApiProblem(400, "Bad Request", f"the body is not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(body, dict):
        raise ApiProblem(400, "Bad Request", "the body must be a JSON object")
    bad = _bad_strings(body)
    if bad:
        raise invalid({path.split(".")[0].split("[")[0] or "": "contains characters that cannot be stored"
                       for path in bad})
    return body


def checked_fields(body: dict, fields: dict[str, tuple], required: tuple[str, ...] = ()) -> dict:
    """Refuse unknown fields, missing required ones and wrong JSON types (per field)."""
    errors = {key: "unknown field" for key in body if key not in fields}
    for key, types in fields.items():
        value = body.get(key)
        if value is None:
            if key in required:
                errors[key] = "this field is required"
            continue
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            errors[key] = f"must be {' or '.join(_TYPE_NAMES[t] for t in types)}"
    if errors:
        raise invalid(errors)
    return body


_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", bool: "a boolean", list: "an array"}


def query_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise invalid({name: f"must be an integer from {minimum} to {maximum}"})
    return int(raw)


def query_text(name: str, *, max_length: int, choices: tuple[str, ...] | None = None) -> str:
    raw = request.args.get(name, "")
    if not _storable(raw) or len(raw) > max_length:
        raise invalid({name: f"at most {max_length} storable characters"})
    if choices is not None and name in request.args and raw not in choices:  # `status=` is not a status either
        raise invalid({name: f"one of {', '.join(choices)}"})
    return raw
