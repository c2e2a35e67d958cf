"""Bearer-token checks for the API, in one decorator that also records the roles on the view."""

from __future__ import annotations

from functools import wraps

from flask import g, request

from ..models import ApiToken
from ..services.accounts import api_tokens
from .problems import ApiProblem, invalid

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="complaintflow"'}


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def token_required(*roles: str, query: tuple[str, ...] = ()):
    """No or bad token → 401 (the same answer for unknown and revoked); wrong roles → 403.

    `query` names the query parameters the view reads; any other one is refused (422), like an
    unknown field in a body.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            secret = _bearer()
            if secret is None:
                raise ApiProblem(401, "Unauthorized", "send Authorization: Bearer <token>", headers=_CHALLENGE)
            token = api_tokens.authenticate(secret)
            if token is None:
                raise ApiProblem(401, "Unauthorized", "the token is not valid (unknown or revoked)",
                                 headers=_CHALLENGE)
            if not token.role_set & set(roles):
                raise ApiProblem(403, "Forbidden", f"this token needs one of the roles: {', '.join(roles)}")
            unknown = sorted(set(request.args) - set(query))
            if unknown:
                raise invalid({name[:100]: "unknown query parameter" for name in unknown})
            g.api_token = token
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator


def current_token() -> ApiToken:
    return g.api_token
