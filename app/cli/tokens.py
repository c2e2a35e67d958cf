"""`complaintflow tokens ...`: API tokens for integrations (the secret is printed once, stored hashed)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("tokens")
def tokens_group() -> None:
    """API tokens (Authorization: Bearer) for integrations such as the call centre or billing."""


@tokens_group.command("create")
@click.option("--name", required=True, help="the integration, e.g. callcentre")
@click.option("--roles", required=True, help="comma- or space-separated roles, e.g. intake,handler")
@click.option("--by", "created_by", default="cli", help="who created it (kept with the token)")
@with_appcontext
def tokens_create(name: str, roles: str, created_by: str) -> None:
    """Create a token and print it once; only its SHA-256 is kept."""
    from app.services.accounts import api_tokens
    from app.services.errors import ValidationFailed

    try:
        token, secret = api_tokens.create_token(name, roles.replace(",", " ").split(), created_by=created_by)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.secho(f"- {field}: {message}", fg="red", err=True)
        sys.exit(1)
    click.echo(secret)
    click.echo(f"token {token.name} [{token.roles}] created; store it now, it is not shown again", err=True)


@tokens_group.command("list")
@with_appcontext
def tokens_list() -> None:
    """List tokens (never their secrets)."""
    from app.services.accounts import api_tokens

    for t in api_tokens.list_tokens():
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never used"
        state = f"revoked {t.revoked_at.isoformat(timespec='seconds')}" if t.revoked_at else "active"
        click.echo(f"{t.name:<20} {t.roles:<32} created {t.created_at.isoformat(timespec='seconds')}  "
                   f"{used}  {state}")


@tokens_group.command("revoke")
@click.argument("name")
@with_appcontext
def tokens_revoke(name: str) -> None:
    """Revoke token NAME: it stops working at once."""
    from app.services.accounts import api_tokens
    from app.services.errors import NotFound

    try:
        token = api_tokens.revoke_token(name)
    except NotFound as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(1)
    click.echo(f"token {token.name} revoked")
