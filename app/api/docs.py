"""The API page for people: endpoints, roles and errors, listed from the OpenAPI document itself."""

from __future__ import annotations

from flask import current_app, render_template

from . import docs_bp
from .openapi import PREFIX, document


def _roles_of(path: str, method: str) -> list[str]:
    """The roles the view's decorator requires, so the page cannot drift from the code."""
    rule_path = PREFIX + path.replace("{", "<").replace("}", ">").replace("<task_id>", "<int:task_id>")
    for rule in current_app.url_map.iter_rules():
        if rule.rule == rule_path and method.upper() in (rule.methods or ()):
            view = current_app.view_functions[rule.endpoint]
            return sorted(getattr(view, "required_roles", ()))
    return []


@docs_bp.get("/api")
def api_page():
    doc = document()
    endpoints = [
        {"method": method.upper(), "path": PREFIX + path, "summary": op.get("summary", ""),
         "roles": _roles_of(path, method), "statuses": sorted(op["responses"])}
        for path, operations in doc["paths"].items() for method, op in operations.items()
    ]
    return render_template("api/index.html", endpoints=endpoints, info=doc["info"],
                           openapi_url=PREFIX + "/openapi.json")
