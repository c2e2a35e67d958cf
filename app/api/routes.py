"""The API endpoints: thin views over the same services the staff pages use."""

from __future__ import annotations

from flask import current_app, request

from ..access import ALL_STAFF, CASE_READERS, CASE_WRITERS, INTAKE_ROLES, TASK_WORKERS
from ..extensions import csrf
from ..models import Complaint, HumanTask
from ..services.complaints import api_queries, casefile, idempotency, lookup
from ..services.complaints import registration as complaints
from ..services.errors import NotFound
from ..services.privacy.personal_data_log import record_personal_data_view, record_search_views
from ..services.workflow import inbox, tasks
from . import bp
from .auth import current_token, token_required
from .problems import ApiProblem, checked_fields, invalid, json_body, query_int, query_text
from .representations import complaint_detail, complaint_summary, note_json, task_json, version_json

csrf.exempt(bp)  # bearer tokens, no cookies: there is no session to forge requests with

_MAX_ID = 2**31 - 1
INTAKE_FIELDS = {key: (str,) for key in ("kind", "channel", "customer_name", "customer_phone", "customer_email",
                                          "preferred_contact", "subscription_number", "subject", "description",
                                          "category", "service_impact", "customer_segment")}


def _plausible_number(number: str) -> bool:
    return len(number) <= 40 and "\x00" not in number


def _complaint(number: str) -> Complaint:
    complaint = lookup.complaint_by_number(number) if _plausible_number(number) else None
    if complaint is None:
        raise NotFound(f"no complaint {number}")
    return complaint


def _task(task_id: int, *, with_complaint: bool = False) -> HumanTask:
    if task_id > _MAX_ID:
        raise NotFound(f"no task {task_id}")
    return tasks.get_task(task_id, with_complaint=with_complaint)


def _limit() -> tuple[int, int]:
    maximum = current_app.config["API_MAX_LIMIT"]
    return query_int("limit", min(25, maximum), minimum=1, maximum=maximum), \
        query_int("offset", 0, minimum=0, maximum=10**9)


@bp.post("/complaints")
@token_required(*INTAKE_ROLES)
def create_complaint():
    """Register a complaint; a repeated Idempotency-Key returns the first request's complaint (200).

    Keys live in the token's own key space; the same key with a different body is a 422.
    """
    fields = checked_fields(json_body(), INTAKE_FIELDS, required=("channel", "customer_name", "description"))
    token = current_token()
    try:
        registration = complaints.register(
            fields, actor=token.user.username,
            idempotency_key=idempotency.api_key(token.id, request.headers.get("Idempotency-Key")),
            fingerprint=idempotency.fingerprint(fields))
    except idempotency.KeyReused as exc:
        raise invalid({"Idempotency-Key": "already used with a different request body"},
                      detail=f"this key registered {exc.registration_number} from a different body; "
                             "use a new key for a new complaint") from exc
    complaint = registration.complaint
    if not registration.created:
        return complaint_summary(complaint), 200
    return complaint_summary(complaint), 201, {"Location": f"{bp.url_prefix}/complaints/"
                                                          f"{complaint.registration_number}"}


@bp.get("/complaints/<number>")
@token_required(*CASE_READERS)
def get_complaint(number: str):
    complaint, version = lookup.complaint_and_version_by_number(number) if _plausible_number(number) else (None, None)
    if complaint is None:
        raise NotFound(f"no complaint {number}")
    token = current_token()
    # Built before the view is logged: the log's commit would expire what the answer reads. If the log
    # cannot be written, the request fails and nothing is shown.
    body = complaint_detail(complaint, lookup.timeline(complaint.id), tasks.ready_tasks_for(complaint),
                            version=version)
    record_personal_data_view(token.user, complaint.id, "api:get_complaint", ip=request.remote_addr,
                              actor=token.user.username)
    return body


@bp.get("/complaints")
@token_required(*CASE_READERS, query=("q", "status", "kind", "limit", "offset"))
def search_complaints():
    q = query_text("q", max_length=100)
    status = query_text("status", max_length=20, choices=api_queries.STATUSES)
    kind = query_text("kind", max_length=20, choices=complaints.KINDS)
    limit, offset = _limit()
    found = api_queries.search_complaints(q, status, limit=limit, offset=offset, kind=kind)
    token = current_token()
    record_search_views(token.user, found.items, "api:search_complaints", ip=request.remote_addr,
                        actor=token.user.username)
    return {"items": [complaint_summary(c) for c in found.items], "total": found.total,
            "limit": found.limit, "offset": found.offset}


@bp.post("/complaints/<number>/notes")
@token_required(*CASE_WRITERS)
def add_note(number: str):
    body = checked_fields(json_body(), {"body": (str,)}, required=("body",))
    complaint = _complaint(number)
    note = casefile.add_note(complaint.id, body["body"], actor=current_token().user.username)
    return note_json(note), 201


@bp.get("/tasks")
@token_required(*TASK_WORKERS, query=("limit", "offset"))
def my_tasks():
    limit, offset = _limit()
    found = api_queries.tasks_for(current_token().user, limit=limit, offset=offset)
    return {"items": [task_json(t) for t in found.items], "total": found.total,
            "limit": found.limit, "offset": found.offset}


@bp.post("/tasks/<int:task_id>/claim")
@token_required(*TASK_WORKERS)
def claim_task(task_id: int):
    _task(task_id)
    return task_json(inbox.claim(task_id, current_token().user))


@bp.post("/tasks/<int:task_id>/complete")
@token_required(*TASK_WORKERS)
def complete_task(task_id: int):
    body = checked_fields(json_body(), {"data": (dict,), "expected_version": (int,)}, required=("data",))
    task = _task(task_id, with_complaint=True)  # the service below finds it loaded: one query for both
    account = current_token().user
    if task.state == "ready" and not inbox.can_work(account, task):
        raise ApiProblem(403, "Forbidden", "this task's lane is not covered by the token's roles")
    expected = body.get("expected_version")
    if expected is not None and not 0 <= expected <= _MAX_ID:
        raise invalid({"expected_version": "out of range"})
    done = tasks.complete_task(task_id, body["data"], actor=account.username, user=account,
                               expected_version=expected)
    return task_json(done)


@bp.get("/process-versions")
@token_required(*ALL_STAFF)
def process_versions():
    return {"items": [version_json(v) for v in api_queries.process_versions()]}


@bp.get("/openapi.json")
def openapi_document():
    from .openapi import document

    return document()
