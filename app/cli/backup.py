"""`complaintflow backup FILE` / `restore FILE`: the SQLite desk, copied while it runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


def _refused(exc) -> None:
    click.secho(str(exc), fg="red", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent copy of the SQLite database to TARGET while the desk keeps running."""
    from app.services.operations import backup

    try:
        facts = backup.backup_to(target)
    except backup.BackupRefused as exc:
        _refused(exc)
    click.echo(f"backup written to {facts.path}: {facts.size} bytes, {facts.complaints} complaint(s), "
               f"schema {facts.revision}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask before replacing the live database")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the live SQLite database with the backup SOURCE (stop `serve` and `scheduler` first)."""
    from app.services.operations import backup

    if not yes:
        click.confirm(f"Replace every complaint in the live database with the contents of {source}?", abort=True)
    try:
        facts = backup.restore_from(source)
    except backup.BackupRefused as exc:
        _refused(exc)
    click.echo(f"restored {facts.complaints} complaint(s) from {facts.path} (schema {facts.revision}); "
               "run `complaintflow db upgrade` if this code is newer, then `complaintflow audit verify`")
