"""The `complaintflow` command: a Flask CLI group; each command group lives in its own module here."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup, routes_command, shell_command


def _create_app():
    from app import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False,
                  help="complaintflow — TS ISO 10002 complaint desk.")


def register_commands(app: Flask) -> None:
    """Add every command group; imported late so `complaintflow --help` stays quick."""
    from app.cli.audit import audit_group
    from app.cli.backup import backup_command, restore_command
    from app.cli.complaints import complaints_group
    from app.cli.days_off import calendar_group
    from app.cli.insight import demo_group, review_group
    from app.cli.kvkk import kvkk_group
    from app.cli.mail import mail_group, outbox_group
    from app.cli.processes import processes_group
    from app.cli.serve import run_command, scheduler_command, serve_command
    from app.cli.tasks import tasks_group
    from app.cli.timers import timers_group
    from app.cli.tokens import tokens_group
    from app.cli.users import users_group

    for command in (users_group, run_command, scheduler_command, serve_command, timers_group, processes_group,
                    complaints_group, tasks_group, calendar_group, outbox_group, mail_group, audit_group,
                    tokens_group, kvkk_group, backup_command, restore_command, review_group, demo_group,
                    shell_command, routes_command):
        app.cli.add_command(command)
