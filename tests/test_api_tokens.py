"""Tokens: created once, stored hashed, refused when missing, wrong, revoked or short of a role; the CLI."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ApiToken, User
from app.services.accounts import api_tokens

from .api_fixtures import ApiClient


@pytest.fixture
def token(app):
    return api_tokens.create_token("crm", ["handler"])


def test_only_the_hash_is_stored_and_the_service_account_cannot_sign_in(token, client):
    row, secret = token
    assert secret not in (row.token_hash, row.name)
    assert row.token_hash == api_tokens.hash_token(secret)
    account = db.session.get(User, row.user_id)
    assert (account.username, account.active, account.roles) == ("api.crm", False, "handler")
    r = client.post("/login", data={"username": "api.crm", "password": "!"})
    assert r.status_code != 302 or "/login" in r.headers.get("Location", "")


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer wrong-token", "bearer  "])
def test_missing_or_wrong_token_is_401_with_a_challenge(app, header):
    headers = {"Authorization": header} if header is not None else {}
    r = app.test_client().get("/api/v1/tasks", headers=headers)
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401_and_last_use_is_recorded(app, token):
    row, secret = token
    client = ApiClient(app.test_client(), secret)
    assert client.get("/tasks").status_code == 200
    assert db.session.get(ApiToken, row.id).last_used_at is not None
    api_tokens.revoke_token("crm")
    assert client.get("/tasks").status_code == 401


def test_insufficient_role_is_403(app):
    _, secret = api_tokens.create_token("reporting", ["quality_manager"])
    client = ApiClient(app.test_client(), secret)
    assert client.get("/tasks").status_code == 403
    assert client.post("/complaints", json={}).status_code == 403
    assert client.get("/process-versions").status_code == 200


def test_bad_names_and_roles_are_refused(app, token):
    from app.services.errors import ValidationFailed

    for name, roles in (("crm", ["handler"]), ("Bad Name!", ["handler"]), ("x", []), ("y", ["root"])):
        with pytest.raises(ValidationFailed):
            api_tokens.create_token(name, roles)


def test_each_token_has_its_own_account_and_never_takes_over_a_person(app):
    from app.services.accounts import users
    from app.services.errors import ValidationFailed

    intake_row, _ = api_tokens.create_token("call-centre", ["intake"])
    handler_row, _ = api_tokens.create_token("call_centre", ["handler", "representative"])
    accounts = {db.session.get(User, r.user_id).username: db.session.get(User, r.user_id).roles
                for r in (intake_row, handler_row)}
    assert accounts == {"api.call-centre": "intake", "api.call_centre": "handler representative"}

    users.create_user("api.billing", "Bir İnsan", "uzun-bir-parola-2026", ["admin"])
    with pytest.raises(ValidationFailed, match="already exists"):
        api_tokens.create_token("billing", ["intake"])
    assert db.session.scalar(sa.select(User.roles).where(User.username == "api.billing")) == "admin"


def test_cli_create_list_revoke(runner, app):
    created = runner.invoke(args=["tokens", "create", "--name", "billing", "--roles", "intake,handler"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert re.fullmatch(r"cf_[A-Za-z0-9_-]{43}", secret)
    assert secret not in runner.invoke(args=["tokens", "list"]).output
    assert "billing" in runner.invoke(args=["tokens", "list"]).output
    assert db.session.scalar(sa.select(ApiToken.roles).where(ApiToken.name == "billing")) == "handler intake"
    assert runner.invoke(args=["tokens", "revoke", "billing"]).exit_code == 0
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    assert runner.invoke(args=["tokens", "revoke", "nobody"]).exit_code == 1
    assert ApiClient(app.test_client(), secret).get("/tasks").status_code == 401
