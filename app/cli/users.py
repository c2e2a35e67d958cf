"""`complaintflow users ...`: staff accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


def _roles(value: str) -> list[str]:
    return [r for r in value.replace(",", " ").split() if r]


def _run(action):
    from app.services.errors import NotFound, ValidationFailed

    try:
        return action()
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.secho(f"- {field}: {message}", fg="red", err=True)
    except NotFound as exc:
        click.secho(str(exc), fg="red", err=True)
    sys.exit(1)


@click.group("users")
def users_group() -> None:
    """Staff accounts and roles (intake, handler, representative, analyst, quality_manager, admin, auditor).

    Changing a password or roles, and deactivating, ends every session of the account at once.
    """


@users_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="full name shown to colleagues")
@click.option("--roles", default="", help="space- or comma-separated role codes (see `users --help`)")
@click.option("--email")
@click.password_option(prompt="Parola / password")
@with_appcontext
def users_create(username: str, full_name: str, roles: str, email: str | None, password: str) -> None:
    """Create a staff account."""
    from app.services.accounts import users

    user = _run(lambda: users.create_user(username, full_name, password, _roles(roles), email=email))
    click.echo(f"created {user.username} [{user.roles}]")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List staff accounts."""
    from app.services.accounts import users

    for user in users.list_users():
        state = "" if user.active else "  (inactive)"
        click.echo(f"{user.username:<16} {user.full_name:<28} {user.roles}{state}")


@users_group.command("set-roles")
@click.argument("username")
@click.argument("roles", nargs=-1)
@with_appcontext
def users_set_roles(username: str, roles: tuple[str, ...]) -> None:
    """Replace USERNAME's roles with ROLES; ends their sessions, and open tasks they were assigned in
    lanes the new roles do not cover go back to their lane."""
    from app.services.accounts import users

    user = _run(lambda: users.set_roles(username, _roles(" ".join(roles))))
    click.echo(f"{user.username} [{user.roles}]; signed out everywhere")


@users_group.command("set-password")
@click.argument("username")
@click.password_option(prompt="Yeni parola / new password")
@with_appcontext
def users_set_password(username: str, password: str) -> None:
    """Set USERNAME's password; ends their sessions."""
    from app.services.accounts import users

    user = _run(lambda: users.set_password(username, password))
    click.echo(f"password of {user.username} changed; signed out everywhere")


@users_group.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username: str) -> None:
    """Stop USERNAME from signing in: ends their sessions and returns their open tasks to their lanes."""
    from app.services.accounts import users

    user = _run(lambda: users.deactivate(username))
    click.echo(f"{user.username} deactivated; signed out everywhere")


@users_group.command("activate")
@click.argument("username")
@with_appcontext
def users_activate(username: str) -> None:
    """Let a deactivated USERNAME sign in again."""
    from app.services.accounts import users

    user = _run(lambda: users.activate(username))
    click.echo(f"{user.username} active")


@users_group.command("seed-demo")
@with_appcontext
def users_seed_demo() -> None:
    """Create the demo accounts that are missing (one per role) and print the passwords of those just created."""
    from app.services.accounts import users

    seeded = users.seed_demo()
    created = [(user, password) for user, password, new in seeded if new]
    if created:
        click.echo("demo accounts created (change or remove them outside a demo):")
        for user, password in created:
            click.echo(f"  {user.username:<10} {password:<20} {user.roles}")
    kept = [user.username for user, _, new in seeded if not new]
    if kept:
        click.echo(f"demo accounts already there (passwords not shown): {', '.join(kept)}")
