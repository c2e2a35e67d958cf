"""`complaintflow calendar add|remove|list`: the extra days off the business calendar counts."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext


@click.group("calendar")
def calendar_group() -> None:
    """Extra days off (administrative leave, bridge days)."""


@calendar_group.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--reason", required=True)
@with_appcontext
def calendar_add(day: datetime, reason: str) -> None:
    """Mark DAY (YYYY-MM-DD) as a day off."""
    from app.services.workflow import calendar_days

    calendar_days.add_day_off(day.date(), reason, actor="cli")
    click.echo(f"{day.date().isoformat()} is a day off")


@calendar_group.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
def calendar_remove(day: datetime) -> None:
    """Make DAY a working day again."""
    from app.services.workflow import calendar_days

    calendar_days.remove_day_off(day.date())
    click.echo(f"{day.date().isoformat()} removed")


@calendar_group.command("list")
@with_appcontext
def calendar_list() -> None:
    """List extra days off."""
    from app.services.workflow import calendar_days

    for row in calendar_days.list_days_off():
        click.echo(f"{row.day.isoformat()}  {row.reason}")
