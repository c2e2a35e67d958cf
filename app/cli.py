"""The `complaintflow` command: a Flask CLI group with the desk's own commands."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from .extensions import db


def _create_app():
    from . import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, add_default_commands=False,
                  help="complaintflow — TS ISO 10002 complaint desk.")


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


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the app (single process) with the timer sweep running in-process."""
    app = current_app._get_current_object()
    scheduler = None
    if app.config["SCHEDULER_IN_PROCESS"]:
        from .scheduler import build_scheduler

        scheduler = build_scheduler(app, blocking=False)
        scheduler.start()
        click.echo(f"timer sweep every {app.config['TIMER_SWEEP_SECONDS']} s (in-process)")
    from werkzeug.serving import run_simple

    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the one scheduler process (timer sweep) beside the web workers."""
    from .scheduler import build_scheduler

    app = current_app._get_current_object()
    click.echo(f"scheduler: timer sweep every {app.config['TIMER_SWEEP_SECONDS']} s, "
               f"outbox delivery every {app.config['OUTBOX_SWEEP_SECONDS']} s")
    if (app.config.get("IMAP_HOST") or "").strip() and app.config["IMAP_POLL_SECONDS"] > 0:
        click.echo(f"scheduler: IMAP mailbox {app.config['IMAP_HOST']} every {app.config['IMAP_POLL_SECONDS']} s")
    build_scheduler(app, blocking=True).start()


@click.group("timers")
def timers_group() -> None:
    """Business-day timers."""


@timers_group.command("fire")
@click.option("--now", "at", type=INSTANT, help="fire as of this instant (default: now)")
@with_appcontext
def timers_fire(at: datetime | None) -> None:
    """Fire every timer due at NOW."""
    from .services import timers

    fired = timers.fire_due_timers(at=at)
    click.echo(f"{fired} complaint(s) advanced")


@click.group("processes")
def processes_group() -> None:
    """Process versions (the BPMN diagram and its forms)."""


@processes_group.command("deploy")
@click.argument("bpmn_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--forms", "forms_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="forms directory (default: FORMS_DIR)")
@click.option("--decisions", "decisions_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="directory of the *.dmn decision tables (default: beside BPMN_FILE, else the shipped ones)")
@click.option("--comment", default="", help="what changed")
@click.option("--author", default="cli")
@click.option("--if-empty", is_flag=True, help="only deploy when no version exists yet")
@with_appcontext
def processes_deploy(bpmn_file: Path, forms_dir: Path | None, decisions_dir: Path | None, comment: str, author: str,
                     if_empty: bool) -> None:
    """Deploy BPMN_FILE with its forms and the decision tables (*.dmn) beside it as the live version."""
    from .cli_processes import read_diagram
    from .engine import ProcessDefinitionError
    from .models import ProcessVersion
    from .services import validation, versions

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)):
        click.echo("a process version is already deployed; nothing to do")
        return
    forms = versions.load_forms_dir(forms_dir or current_app.config["FORMS_DIR"])
    try:
        version = versions.deploy_version(read_diagram(bpmn_file), forms, author=author, comment=comment,
                                          decisions=validation.decisions_beside(bpmn_file, decisions_dir))
    except ProcessDefinitionError as exc:
        from .cli_processes import echo_problems

        echo_problems(exc.problems)
        _fail("not deployed")
    click.echo(f"version {version.number} is live ({version.content_hash[:12]}): process {version.process_id!r}")


@processes_group.command("list")
@with_appcontext
def processes_list() -> None:
    """List process versions."""
    from .models import ProcessVersion

    for v in db.session.scalars(sa.select(ProcessVersion).order_by(ProcessVersion.number)):
        live = "live" if v.is_live else ""
        click.echo(f"{v.number:>4}  {v.content_hash[:12]}  {v.author:<12} {v.created_at:%Y-%m-%d %H:%M}  {live}")


@click.group("complaints")
def complaints_group() -> None:
    """Register and look up complaints."""


@complaints_group.command("register")
@click.option("--channel", required=True, help="telefon, faks, eposta, posta_kargo, yuz_yuze, anket, web")
@click.option("--name", "customer_name", required=True)
@click.option("--phone", "customer_phone")
@click.option("--email", "customer_email")
@click.option("--preferred", "preferred_contact", type=click.Choice(["eposta", "telefon"]))
@click.option("--subscription", "subscription_number")
@click.option("--subject")
@click.option("--description", required=True)
@click.option("--now", "at", type=INSTANT)
@click.option("--actor", default="cli")
@with_appcontext
def complaints_register(at, actor, **fields) -> None:
    """Register a complaint received on CHANNEL; prints its registration number."""
    from .services import complaints
    from .services.errors import ServiceError, ValidationFailed

    try:
        complaint = complaints.register_complaint(fields, actor=actor, at=at)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.secho(f"- {field}: {message}", fg="red", err=True)
        _fail("not registered")
    except ServiceError as exc:
        _fail(str(exc))
    click.echo(complaint.registration_number)  # alone on stdout, so a shell can keep it: N=$(complaintflow ...)
    _echo_open_tasks(complaint, err=True)


def _echo_open_tasks(complaint, *, err: bool = False) -> None:
    from .services import tasks

    for t in tasks.ready_tasks_for(complaint):
        click.echo(f"  task {t.id}: {t.name} [{t.lane}] form={t.form} due={_iso(t.due_at)}", err=err)


@complaints_group.command("show")
@click.argument("number")
@with_appcontext
def complaints_show(number: str) -> None:
    """Show a complaint, its open tasks and history."""
    from .models import AuditEvent
    from .services import complaints
    from .services.errors import NotFound

    try:
        c = complaints.get_by_number(number)
    except NotFound as exc:
        _fail(str(exc))
    click.echo(f"{c.registration_number}  {c.status}  stage {c.stage}  priority {c.priority or '-'}  "
               f"channel {c.channel}  reopened {c.reopen_count}x")
    click.echo(f"received {c.received_at.isoformat()}  ack due {_iso(c.acknowledgement_due_at)}  "
               f"solution due {_iso(c.solution_due_at)}")
    _echo_open_tasks(c)
    for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.complaint_id == c.id)
                                .order_by(AuditEvent.seq)):
        click.echo(f"  {e.seq:>3} {e.at.isoformat()} {e.actor:<14} {e.action} {e.data_json[:100]}")


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else "-"


@click.group("tasks")
def tasks_group() -> None:
    """Work on user tasks."""


@tasks_group.command("complete")
@click.argument("task_id", type=int, required=False)
@click.option("--complaint", "number", help="instead of TASK_ID: the open task of this registration number")
@click.option("--task", "spec_name", help="with --complaint, when several tasks are open: the task's id in the "
              "diagram (e.g. task_classify) or its form")
@click.option("--data", "data_json", default="{}", help="form data as JSON")
@click.option("--now", "at", type=INSTANT)
@click.option("--actor", default="cli")
@with_appcontext
def tasks_complete(task_id: int | None, number: str | None, spec_name: str | None, data_json: str, at,
                   actor: str) -> None:
    """Complete TASK_ID (or the open task of --complaint N) with form data; prints the tasks that open next."""
    from .services import tasks
    from .services.errors import ServiceError, ValidationFailed

    try:
        data = json.loads(data_json)
    except json.JSONDecodeError as exc:
        _fail(f"--data is not JSON: {exc}")
    if (task_id is None) == (number is None):
        _fail("give either TASK_ID or --complaint NUMBER")
    if task_id is None:
        task_id = _open_task_of(number, spec_name)
    try:
        task = tasks.complete_task(task_id, data, actor=actor, at=at)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.secho(f"- {field or '(form)'}: {message}", fg="red", err=True)
        _fail("not completed")
    except ServiceError as exc:
        _fail(str(exc))
    click.echo(f"completed: task {task.id} {task.name} ({task.complaint.registration_number})")
    _echo_open_tasks(task.complaint)


def _open_task_of(number: str, spec_name: str | None) -> int:
    """The one open task of a complaint (narrowed by --task), or exit 1 listing the candidates."""
    from .services import complaints, tasks
    from .services.errors import NotFound

    try:
        complaint = complaints.get_by_number(number)
    except NotFound as exc:
        _fail(str(exc))
    candidates = [t for t in tasks.ready_tasks_for(complaint) if spec_name in (None, t.spec_name, t.form)]
    if len(candidates) == 1:
        return candidates[0].id
    listing = "; ".join(f"task {t.id}: {t.spec_name} ({t.name})" for t in candidates) or "none"
    hint = "choose one with --task or its id" if candidates else "nothing to complete"
    _fail(f"{complaint.registration_number} has {len(candidates)} open task(s) matching: {listing} — {hint}")


@click.group("calendar")
def calendar_group() -> None:
    """Extra days off (administrative leave, bridge days)."""


@calendar_group.command("add")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--reason", required=True)
@with_appcontext
def calendar_add(day: datetime, reason: str) -> None:
    """Mark DAY (YYYY-MM-DD) as a day off."""
    from .services import calendar_days

    calendar_days.add_day_off(day.date(), reason, actor="cli")
    click.echo(f"{day.date().isoformat()} is a day off")


@calendar_group.command("remove")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
def calendar_remove(day: datetime) -> None:
    """Make DAY a working day again."""
    from .services import calendar_days

    calendar_days.remove_day_off(day.date())
    click.echo(f"{day.date().isoformat()} removed")


@calendar_group.command("list")
@with_appcontext
def calendar_list() -> None:
    """List extra days off."""
    from .services import calendar_days

    for row in calendar_days.list_days_off():
        click.echo(f"{row.day.isoformat()}  {row.reason}")


def register_commands(app: Flask) -> None:
    from .cli_users import users_group

    for command in (users_group, run_command, scheduler_command, timers_group, processes_group, complaints_group,
                    tasks_group, calendar_group, shell_command, routes_command):
        app.cli.add_command(command)
    from .cli_processes import extend as extend_processes

    extend_processes(processes_group)
    from .cli_mail import mail_group, outbox_group

    app.cli.add_command(outbox_group)
    app.cli.add_command(mail_group)
    from .cli_audit import audit_group
    from .cli_serve import serve_command

    app.cli.add_command(audit_group)
    app.cli.add_command(serve_command)
    from .cli_kvkk import kvkk_group
    from .cli_tokens import tokens_group

    app.cli.add_command(tokens_group)
    app.cli.add_command(kvkk_group)
    from .cli_backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from .cli_insight import demo_group, review_group

    app.cli.add_command(review_group)
    app.cli.add_command(demo_group)


__all__ = ["main", "register_commands"]
