"""The OpenAPI document and the URL map agree, both ways; the human API page lists the endpoints."""

from __future__ import annotations

import re

from app.api.openapi import PREFIX


def _documented(client) -> set[tuple[str, str]]:
    doc = client.get(f"{PREFIX}/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    return {(PREFIX + path, method.upper()) for path, ops in doc["paths"].items() for method in ops}


def _routed(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    routed, documented = _routed(app), _documented(client)
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations without a route"


def test_every_operation_declares_its_roles_and_problem_responses(app, client):
    doc = client.get(f"{PREFIX}/openapi.json").json
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if op.get("security") == []:
                continue
            assert {"401", "403"} <= set(op["responses"]), (method, path)
            endpoint = next(r.endpoint for r in app.url_map.iter_rules()
                            if re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.rule) == PREFIX + path
                            and method.upper() in r.methods)
            assert app.view_functions[endpoint].required_roles, endpoint


def test_the_api_page_lists_every_endpoint(client):
    page = client.get("/api")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for path, method in _documented(client):
        assert path in html and method in html
    assert "Bearer" in html
