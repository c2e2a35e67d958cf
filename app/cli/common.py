"""What the command groups share: the instant option type, failing with a message, listing open tasks."""

from __future__ import annotations

import sys
from datetime import datetime

import click


class InstantType(click.ParamType):
    """An ISO 8601 instant with offset (e.g. 2026-11-25T10:00:00+03:00)."""

    name = "instant"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date-time", param, ctx)
        if parsed.tzinfo is None:
            self.fail(f"{value!r} needs a UTC offset, e.g. +03:00", param, ctx)
        return parsed


INSTANT = InstantType()


def fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def echo_open_tasks(complaint, *, err: bool = False) -> None:
    from app.services.workflow import tasks

    for t in tasks.ready_tasks_for(complaint):
        click.echo(f"  task {t.id}: {t.name} [{t.lane}] form={t.form} due={iso(t.due_at)}", err=err)



def iso(value: datetime | None) -> str:
    return value.isoformat() if value else "-"
