"""Fixtures for the REST API tests: tokens by role and a client that sends them."""

from __future__ import annotations

import pytest

from app.services.accounts import api_tokens


class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` (and JSON) on every request."""

    def __init__(self, client, secret: str | None):
        self.client, self.secret = client, secret

    def _headers(self, headers: dict | None) -> dict:
        merged = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        merged.update(headers or {})
        return merged

    def get(self, path: str, **kwargs):
        return self.client.get("/api/v1" + path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(kwargs.pop("headers", None)),
                                **kwargs)


@pytest.fixture
def api(app):
    """api("intake", "handler") -> an ApiClient with a fresh token holding those roles."""
    made = []

    def make(*roles: str, name: str | None = None) -> ApiClient:
        token, secret = api_tokens.create_token(name or f"t{len(made)}", roles)
        made.append(token)
        return ApiClient(app.test_client(), secret)

    return make
