"""`complaintflow kvkk ...`: retention anonymisation, data-subject export/forget, the view-log export."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext

from app.cli.common import INSTANT


@click.group("kvkk")
def kvkk_group() -> None:
    """KVKK: retention, data-subject requests, the personal-data view log."""


def _subject(email: str | None, phone: str | None) -> None:
    if not (email or phone):
        click.secho("give --email or --phone", fg="red", err=True)
        sys.exit(2)


@kvkk_group.command("anonymise")
@click.option("--now", "at", type=INSTANT, help="as of this instant (default: now)")
@with_appcontext
def kvkk_anonymise(at) -> None:
    """Anonymise complaints past their retention; prune the view log and quarantined mail."""
    from app.services.privacy import retention

    report = retention.run_retention(at=at)
    for number in report.anonymised:
        click.echo(f"anonymised {number}")
    click.echo(str(report))


@kvkk_group.command("export")
@click.option("--email")
@click.option("--phone")
@with_appcontext
def kvkk_export(email: str | None, phone: str | None) -> None:
    """Print, as JSON, everything held about the customer with this e-mail or phone."""
    from app.services.privacy import retention

    _subject(email, phone)
    click.echo(json.dumps(retention.export_subject(email, phone), ensure_ascii=False, indent=2))


@kvkk_group.command("forget")
@click.option("--email")
@click.option("--phone")
@click.option("--actor", default="cli", help="who handled the request (kept in the audit trail)")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@with_appcontext
def kvkk_forget(email: str | None, phone: str | None, actor: str, yes: bool) -> None:
    """Anonymise the finished complaints of the customer with this e-mail or phone."""
    from app.services.privacy import retention

    _subject(email, phone)
    found = retention.complaints_of(email, phone)
    if not found:
        click.echo("no complaints found")
        return
    numbers = ", ".join(c.registration_number for c in found)
    if not yes:
        click.confirm(f"anonymise {numbers}?", abort=True)
    report = retention.forget_subject(email, phone, actor=actor)
    for number in report.anonymised:
        click.echo(f"anonymised {number}")
    for number in report.already:
        click.echo(f"already anonymised {number}")
    for number in report.still_open:
        click.secho(f"still open, not anonymised (close it first): {number}", fg="yellow")


@kvkk_group.command("views")
@with_appcontext
def kvkk_views() -> None:
    """Print the personal-data view log as CSV."""
    from app.services.privacy import personal_data_log

    for line in personal_data_log.export_csv():
        click.echo(line, nl=False)
