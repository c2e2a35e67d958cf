"""`complaintflow tasks complete`: complete a user task with form data given as JSON."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.cli.common import INSTANT, echo_open_tasks, fail


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
    from app.services.errors import ServiceError, ValidationFailed
    from app.services.workflow import tasks

    try:
        data = json.loads(data_json)
    except json.JSONDecodeError as exc:
        fail(f"--data is not JSON: {exc}")
    if (task_id is None) == (number is None):
        fail("give either TASK_ID or --complaint NUMBER")
    if task_id is None:
        task_id = _open_task_of(number, spec_name)
    try:
        task = tasks.complete_task(task_id, data, actor=actor, at=at)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.secho(f"- {field or '(form)'}: {message}", fg="red", err=True)
        fail("not completed")
    except ServiceError as exc:
        fail(str(exc))
    click.echo(f"completed: task {task.id} {task.name} ({task.complaint.registration_number})")
    echo_open_tasks(task.complaint)


def _open_task_of(number: str, spec_name: str | None) -> int:
    """The one open task of a complaint (narrowed by --task), or exit 1 listing the candidates."""
    from app.services.complaints import registration as complaints
    from app.services.errors import NotFound
    from app.services.workflow import tasks

    try:
        complaint = complaints.get_by_number(number)
    except NotFound as exc:
        fail(str(exc))
    candidates = [t for t in tasks.ready_tasks_for(complaint) if spec_name in (None, t.spec_name, t.form)]
    if len(candidates) == 1:
        return candidates[0].id
    listing = "; ".join(f"task {t.id}: {t.spec_name} ({t.name})" for t in candidates) or "none"
    hint = "choose one with --task or its id" if candidates else "nothing to complete"
    fail(f"{complaint.registration_number} has {len(candidates)} open task(s) matching: {listing} — {hint}")
