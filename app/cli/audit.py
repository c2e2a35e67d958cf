"""`complaintflow audit verify`: recompute the audit hash chains and report every break."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.option("--complaint", "number", help="only this registration number (e.g. SK-2026-000001)")
@with_appcontext
def audit_verify(number: str | None) -> None:
    """Recompute each complaint's hash chain; exit 1 when any event was altered, deleted or reordered."""
    from app.services.operations.audit_check import verify_chains

    report = verify_chains(number)
    if number and not report.complaints:
        click.secho(f"no complaint {number}", fg="red", err=True)
        sys.exit(1)
    for chain_break in report.breaks:
        click.secho(str(chain_break), fg="red")
    summary = f"{report.complaints} complaint(s), {report.events} event(s) checked, {len(report.breaks)} break(s)"
    if report.ok:
        click.echo(summary + ": the audit trail is intact")
        return
    click.secho(summary, fg="red", err=True)
    sys.exit(1)
