"""Per-integration API tokens: created once (the secret is shown then and never again), revocable.

A token is 32 random bytes, so a plain SHA-256 of it is enough to store (no slow hash is needed
for high-entropy secrets); look-up is by that hash, which also makes the comparison constant-time
with respect to the secret.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, User
from app.services import context
from app.services.accounts.users import ROLES
from app.services.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "cf_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
# last_used_at is a hint for administrators, not an audit: write it at most once a minute per token.
_LAST_USED_GRANULARITY = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(name: str, roles: Iterable[str], *, created_by: str = "cli",
                 at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for integration NAME; returns the row and the secret (shown once)."""
    name = (name or "").strip().lower()
    if not _NAME.match(name):
        raise ValidationFailed({"name": "letters, digits, '.', '_' and '-' (at most 60)"})
    chosen = sorted({r.strip() for r in roles if r and r.strip()})
    unknown = [r for r in chosen if r not in ROLES]
    if not chosen or unknown:
        raise ValidationFailed({"roles": f"choose from {', '.join(ROLES)}"
                                + (f" (unknown: {', '.join(unknown)})" if unknown else "")})
    if db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise ValidationFailed({"name": f"a token named {name} exists (revoke it or pick another name)"})
    at = context.utc(at)
    # One service account per token, named after it exactly: two integrations never share lane rights,
    # and an existing (human) account is never taken over.
    username = f"api.{name}"
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed({"name": f"the account {username} already exists; pick another token name"})
    # "!" is no password hash at all: check_password_hash refuses it, and the account is inactive.
    account = User(username=username, full_name=f"API: {name}", password_hash="!", active=False, created_at=at,
                   roles=" ".join(chosen))
    db.session.add(account)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(secret), roles=" ".join(chosen), user=account,
                     created_by=created_by, created_at=at)
    db.session.add(token)
    db.session.commit()
    return token, secret


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).order_by(ApiToken.name)))


def revoke_token(name: str, *, at: datetime | None = None) -> ApiToken:
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == (name or "").strip().lower()))
    if token is None:
        raise NotFound(f"no token {name}")
    if token.revoked_at is None:
        token.revoked_at = context.utc(at)
        db.session.commit()
    return token


# Built once: every API request runs it. The user comes along, every caller needs it.
_BY_HASH = sa.select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == sa.bindparam("hash"))


def authenticate(secret: str | None, *, at: datetime | None = None) -> ApiToken | None:
    """The live token for this secret, or None (unknown and revoked look the same to the caller)."""
    if not secret or len(secret) > 200:
        return None
    token = db.session.scalar(_BY_HASH, {"hash": hash_token(secret)})
    if token is None or token.revoked_at is not None:
        return None
    at = context.utc(at)
    if token.last_used_at is None or at - token.last_used_at >= _LAST_USED_GRANULARITY:
        token.last_used_at = at
        try:
            db.session.commit()
        except OperationalError:  # a busy database must not refuse the request over a hint
            db.session.rollback()
    return token
