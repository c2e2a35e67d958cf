"""`complaintflow timers fire`: advance every complaint whose timer is due."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from app.cli.common import INSTANT


@click.group("timers")
def timers_group() -> None:
    """Business-day timers."""


@timers_group.command("fire")
@click.option("--now", "at", type=INSTANT, help="fire as of this instant (default: now)")
@with_appcontext
def timers_fire(at: datetime | None) -> None:
    """Fire every timer due at NOW."""
    from app.services.workflow import timers

    fired = timers.fire_due_timers(at=at)
    click.echo(f"{fired} complaint(s) advanced")
