"""Every route the app registers: public ones are listed here; all others refuse anonymous users and wrong roles."""

from __future__ import annotations

import pytest
from werkzeug.routing.converters import NumberConverter

from app.access import ALL_STAFF

from .staff_fixtures import login_as

# Routes anyone may reach. A new route must either be listed here or carry @roles_required.
PUBLIC_ENDPOINTS = {"static", "ops.healthz", "ops.readyz", "ops.metrics",  # probes; /metrics has its own token
                    "favicon",
                    "auth.login", "auth.language", "portal.home",
                    "api.openapi_document", "api_docs.api_page",
                    # the customer portal (issue 4): complaint form, KVKK notice, status lookup, mail links
                    "portal.complaint_form", "portal.filed", "portal.kvkk", "portal.track", "portal.status",
                    "portal.status_answer", "portal.answer", "portal.answered", "portal.survey", "portal.surveyed"}
# Token-authenticated routes: anonymous callers get 401 here; the API's own tests walk roles with tokens.
TOKEN_PREFIX = "/api/"


def _all_guarded_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC_ENDPOINTS]


def _staff_rules(app):
    """Session-guarded rules; sign-out last, since it ends the session the other checks use."""
    rules = [r for r in _all_guarded_rules(app) if not r.rule.startswith(TOKEN_PREFIX)]
    return sorted(rules, key=lambda r: r.endpoint == "auth.logout")


def _request(client, rule):
    values = {arg: 1 if isinstance(rule._converters[arg], NumberConverter) else "SK-2026-000001"
              for arg in rule.arguments}
    url = rule.build(values)[1]
    method = "GET" if "GET" in rule.methods else "POST"
    return client.open(url, method=method)


def test_every_non_public_route_declares_its_roles(app):
    missing = [r.endpoint for r in _all_guarded_rules(app)
               if not getattr(app.view_functions[r.endpoint], "required_roles", None)]
    assert missing == [], f"routes without a role check (add @roles_required or list them as public): {missing}"


def test_every_staff_route_sends_anonymous_users_to_sign_in(app, client):
    rules = list(_staff_rules(app))
    assert len(rules) >= 14
    for rule in rules:
        response = _request(client, rule)
        assert response.status_code == 302, rule.rule
        assert "/login" in response.headers["Location"], rule.rule


def test_every_token_route_refuses_anonymous_callers(app, client):
    for rule in _all_guarded_rules(app):
        if rule.rule.startswith(TOKEN_PREFIX):
            assert _request(client, rule).status_code == 401, rule.rule


@pytest.mark.parametrize("role", ALL_STAFF)
def test_every_staff_route_refuses_wrong_roles_and_admits_right_ones(app, staff, role):
    client = app.test_client()
    login_as(client, staff[role])
    for rule in _staff_rules(app):
        allowed = app.view_functions[rule.endpoint].required_roles
        response = _request(client, rule)
        if role in allowed:
            assert response.status_code != 403, f"{role} refused at {rule.rule}"
            if rule.endpoint != "auth.logout":  # signing out does lead to the sign-in page
                assert "/login" not in response.headers.get("Location", ""), rule.rule
        else:
            assert response.status_code == 403, f"{role} admitted at {rule.rule} ({response.status_code})"


def test_public_routes_answer_without_sign_in(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/login").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/").status_code == 200  # customers land on the public complaint form


def test_forbidden_page_answers_json_when_asked(as_user):
    client = as_user("analyst")
    html = client.get("/inbox")
    assert html.status_code == 403 and b"<html" in html.data
    api = client.get("/inbox", headers={"Accept": "application/json"})
    assert api.status_code == 403 and api.json["error"] == 403


def test_unknown_page_is_404_html_or_json(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/nope", headers={"Accept": "application/json"}).json["error"] == 404


def test_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script" not in response.data
