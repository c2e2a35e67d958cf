"""The OpenAPI 3.1 document of /api/v1, written by hand; a test keeps it and the URL map in step."""

from __future__ import annotations

from flask import current_app

from ..services.complaints.api_queries import STATUSES
from ..services.complaints.channels import CHANNELS, CONTACT_CHANNELS
from ..services.complaints.idempotency import API_KEY_PATTERN
from ..services.complaints.registration import CUSTOMER_SEGMENTS, KINDS, SERVICE_IMPACTS

PREFIX = "/api/v1"
_TS = {"type": ["string", "null"], "format": "date-time"}
_TEXT = {"type": ["string", "null"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _problem(description: str, headers: dict | None = None) -> dict:
    response = {"description": description,
                "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    if headers:
        response["headers"] = headers
    return response


_RETRY = {"Retry-After": {"schema": {"type": "string"}, "description": "seconds to wait before retrying"}}
_AUTH_ERRORS = {"401": _problem("missing, unknown or revoked token"),
                "403": _problem("the token's roles do not allow this")}
_INPUT_ERRORS = {"400": _problem("the body is not a JSON object"),
                 "413": _problem("the body is too large"),
                 "415": _problem("the body is not application/json"),
                 "422": _problem("invalid fields; `errors` maps each field to a message")}
_NUMBER = {"name": "number", "in": "path", "required": True, "description": "registration number, e.g. SK-2026-000001",
           "schema": {"type": "string", "maxLength": 40}, "example": "SK-2026-000001"}
_TASK_ID = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
            "example": 1}


def _paging(maximum: int) -> list[dict]:
    return [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": maximum}},
            {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 10**9}}]


def _list_of(item: str) -> dict:
    return {"type": "object", "required": ["items", "total", "limit", "offset"],
            "properties": {"items": {"type": "array", "items": _ref(item)}, "total": {"type": "integer"},
                           "limit": {"type": "integer"}, "offset": {"type": "integer"}}}


def _schemas() -> dict:
    summary_props = {
        "registration_number": {"type": "string"}, "status": {"type": "string"}, "stage": {"type": "integer"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "channel": {"type": "string"}, "priority": _TEXT, "category": _TEXT, "customer_name": {"type": "string"},
        "subject": _TEXT, "received_at": {"type": "string", "format": "date-time"}, "solution_due_at": _TS,
        "closed_at": _TS, "reopen_count": {"type": "integer"},
    }
    detail_props = {
        **summary_props,
        "version": {"type": ["integer", "null"], "description": "pass as expected_version when completing"},
        "customer": {"type": "object", "properties": {
            "name": {"type": "string"}, "email": _TEXT, "phone": _TEXT, "subscription_number": _TEXT,
            "preferred_contact": {"type": "string"}}},
        "description": {"type": "string"}, "root_cause_category": _TEXT, "solution": _TEXT,
        "acknowledgement_due_at": _TS, "acknowledged_at": _TS, "decision_notified_at": _TS, "anonymised_at": _TS,
        "open_tasks": {"type": "array", "items": _ref("Task")},
        "timeline": {"type": "array", "items": {"type": "object", "required": ["at", "actor", "kind", "action"],
                                                "properties": {"at": {"type": "string"}, "actor": {"type": "string"},
                                                               "kind": {"type": "string"},
                                                               "action": {"type": "string"},
                                                               "data": {"type": "object"}}}},
    }
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
            "by": _TEXT, "at": _TS, "state": {"type": "string"},
            "expected_version": {"type": "integer"}, "current_version": {"type": "integer"}}},
        "NewComplaint": {
            "type": "object", "additionalProperties": False,
            "required": ["channel", "customer_name", "description"],
            "description": "customer_email or customer_phone is required (the preferred contact's one).",
            "properties": {
                "kind": {"type": ["string", "null"], "enum": [*KINDS, None],
                         "description": "complaint (default), request, opinion (or suggestion) or thanks"},
                "channel": {"type": "string", "enum": list(CHANNELS)},
                "customer_name": {"type": "string", "minLength": 1, "maxLength": 200},
                "customer_phone": {"type": ["string", "null"], "pattern": r"^\+?[0-9 ()\-]{7,20}$"},
                "customer_email": {"type": ["string", "null"], "format": "email", "maxLength": 254},
                "preferred_contact": {"type": ["string", "null"], "enum": [*CONTACT_CHANNELS, None]},
                "subscription_number": {"type": ["string", "null"], "maxLength": 50},
                "subject": {"type": ["string", "null"], "maxLength": 200},
                "description": {"type": "string", "minLength": 1, "maxLength": 10000},
                "category": {"type": ["string", "null"], "maxLength": 40,
                             "description": "a category the live classification form offers; with the customer "
                                            "it detects a repeat complaint"},
                "service_impact": {"type": ["string", "null"], "enum": [*SERVICE_IMPACTS, None],
                                   "description": "input of the priority decision table (default other)"},
                "customer_segment": {"type": ["string", "null"], "enum": [*CUSTOMER_SEGMENTS, None],
                                     "description": "input of the priority decision table (default individual)"}}},
        "ComplaintSummary": {"type": "object", "required": list(summary_props), "properties": summary_props},
        "Complaint": {"type": "object", "required": list(summary_props), "properties": detail_props},
        "ComplaintList": _list_of("ComplaintSummary"),
        "Task": {"type": "object", "required": ["id", "registration_number", "name", "state"], "properties": {
            "id": {"type": "integer"}, "registration_number": {"type": "string"}, "name": {"type": "string"},
            "spec_name": {"type": "string"}, "form": _TEXT, "lane": _TEXT, "iso_stage": {"type": ["integer", "null"]},
            "escalation": _TEXT, "state": {"type": "string"}, "due_at": _TS, "assignee": _TEXT, "claimed_at": _TS,
            "completed_at": _TS, "completed_by": _TEXT}},
        "TaskList": _list_of("Task"),
        "Completion": {"type": "object", "additionalProperties": False, "required": ["data"], "properties": {
            "data": {"type": "object", "description": "form answers, checked against the task's JSON Schema form"},
            "expected_version": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                                 "description": "the complaint's `version` when the form was read"}}},
        "NewNote": {"type": "object", "additionalProperties": False, "required": ["body"],
                    "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 10000}}},
        "Note": {"type": "object", "required": ["id", "author", "body", "created_at"], "properties": {
            "id": {"type": "integer"}, "author": {"type": "string"}, "body": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}}},
        "ProcessVersionList": {"type": "object", "required": ["items"], "properties": {"items": {
            "type": "array", "items": {"type": "object", "properties": {
                "number": {"type": "integer"}, "process_id": {"type": "string"}, "content_hash": {"type": "string"},
                "is_live": {"type": "boolean"}, "author": {"type": "string"}, "comment": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}, "deployed_at": _TS}}}}},
    }


def _body(schema: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _paths(maximum: int) -> dict:
    not_found = {"404": _problem("no such complaint or task")}
    conflict = _problem("already completed (with who and when), claimed by another, changed since read, or a "
                        "concurrent update (retry)", headers=_RETRY)
    unavailable = {"503": _problem("the database is busy or unreachable; nothing was saved", headers=_RETRY)}
    return {
        "/complaints": {
            "post": {"operationId": "createComplaint", "summary": "Register a complaint (stage 1)",
                     "tags": ["complaints"],
                     "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                     "description": "kept per token: retrying with the same key and body returns "
                                                    "the same complaint (200); the same key with another body "
                                                    "is refused (422)",
                                     "schema": {"type": "string", "pattern": API_KEY_PATTERN}}],
                     "requestBody": _body("NewComplaint"),
                     "responses": {"201": _json(_ref("ComplaintSummary"), "registered",
                                                {"Location": {"schema": {"type": "string"}}}),
                                   "200": _json(_ref("ComplaintSummary"), "the complaint this key registered before"),
                                   **_INPUT_ERRORS,
                                   "422": _problem("invalid fields (`errors` maps each field to a message, "
                                                   "control characters included), or an Idempotency-Key "
                                                   "already used with another body"),
                                   **_AUTH_ERRORS, **unavailable}},
            "get": {"operationId": "searchComplaints", "summary": "Search complaints", "tags": ["complaints"],
                    "parameters": [{"name": "q", "in": "query", "description": "number, name, e-mail, phone",
                                    "schema": {"type": "string", "maxLength": 100}},
                                   {"name": "status", "in": "query", "schema": {"type": "string",
                                                                              "enum": list(STATUSES)}},
                                   {"name": "kind", "in": "query", "schema": {"type": "string",
                                                                            "enum": list(KINDS)}},
                                   *_paging(maximum)],
                    "responses": {"200": _json(_ref("ComplaintList"), "one page of complaints, newest first"),
                                  "422": _INPUT_ERRORS["422"], **_AUTH_ERRORS, **unavailable}},
        },
        "/complaints/{number}": {
            "get": {"operationId": "getComplaint", "summary": "A complaint with its status, open tasks and timeline",
                    "tags": ["complaints"], "parameters": [_NUMBER],
                    "responses": {"200": _json(_ref("Complaint"), "the complaint"), **not_found, **_AUTH_ERRORS,
                                  **unavailable}},
        },
        "/complaints/{number}/notes": {
            "post": {"operationId": "addNote", "summary": "Add an internal note", "tags": ["complaints"],
                     "parameters": [_NUMBER], "requestBody": _body("NewNote"),
                     "responses": {"201": _json(_ref("Note"), "added"), **not_found, **_INPUT_ERRORS,
                                   **_AUTH_ERRORS, **unavailable}},
        },
        "/tasks": {
            "get": {"operationId": "listMyTasks", "summary": "Ready tasks in the lanes the token's roles cover",
                    "tags": ["tasks"], "parameters": _paging(maximum),
                    "responses": {"200": _json(_ref("TaskList"), "one page of tasks, earliest due first"),
                                  "422": _INPUT_ERRORS["422"], **_AUTH_ERRORS, **unavailable}},
        },
        "/tasks/{task_id}/claim": {
            "post": {"operationId": "claimTask", "summary": "Claim a task for this integration", "tags": ["tasks"],
                     "parameters": [_TASK_ID],
                     "responses": {"200": _json(_ref("Task"), "claimed"), **not_found, "409": conflict,
                                   **_AUTH_ERRORS, **unavailable}},
        },
        "/tasks/{task_id}/complete": {
            "post": {"operationId": "completeTask", "summary": "Complete a task with form data", "tags": ["tasks"],
                     "parameters": [_TASK_ID], "requestBody": _body("Completion"),
                     "responses": {"200": _json(_ref("Task"), "completed"), **not_found, "409": conflict,
                                   **_INPUT_ERRORS, **_AUTH_ERRORS, **unavailable}},
        },
        "/process-versions": {
            "get": {"operationId": "listProcessVersions", "summary": "Deployed versions of the procedure",
                    "tags": ["processes"],
                    "responses": {"200": _json(_ref("ProcessVersionList"), "every version, oldest first"),
                                  **_AUTH_ERRORS, **unavailable}},
        },
        "/openapi.json": {
            "get": {"operationId": "openapi", "summary": "This document", "tags": ["meta"], "security": [],
                    "responses": {"200": {"description": "the OpenAPI 3.1 document",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}}},
        },
    }


def document() -> dict:
    maximum = current_app.config["API_MAX_LIMIT"]
    return {
        "openapi": "3.1.0",
        "info": {"title": "complaintflow API", "version": "1",
                 "description": "TS ISO 10002 complaint desk for integrations. Errors are "
                                "application/problem+json (RFC 9457) with per-field `errors`."},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": _paths(maximum),
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "a token from `complaintflow tokens create`"}}},
    }
