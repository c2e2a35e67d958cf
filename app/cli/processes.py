"""`complaintflow processes check|export|diff|migrate`: the analysts' gate and versions from a shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from app.cli.common import fail
from app.extensions import db


@click.group("processes")
def processes_group() -> None:
    """Process versions (the BPMN diagram and its forms)."""


def _forms(forms_dir: Path | None) -> dict:
    from app.services.procedure import versions

    return versions.load_forms_dir(forms_dir or current_app.config["FORMS_DIR"])


def read_diagram(path: Path) -> str:
    """The file's text in the encoding it declares (ISO-8859-9, UTF-16 ...); exit 1 when it is not XML."""
    from app.engine import ProcessDefinitionError, decode_bpmn

    try:
        return decode_bpmn(path.read_bytes())
    except ProcessDefinitionError as exc:
        echo_problems(exc.problems)
        click.secho("not a readable BPMN file", fg="red", err=True)
        sys.exit(1)


def echo_problems(problems: list[dict]) -> None:
    from app.services.procedure.validation import format_problem

    for item in problems:
        click.secho(f"- {format_problem(item)}", fg="red", err=True)


@processes_group.command("check")
@click.argument("bpmn_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--forms", "forms_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="forms directory (default: FORMS_DIR)")
@click.option("--decisions", "decisions_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="directory of the *.dmn decision tables (default: beside BPMN_FILE, else the shipped ones)")
@with_appcontext
def processes_check(bpmn_file: Path, forms_dir: Path | None, decisions_dir: Path | None) -> None:
    """Run the deploy gate on BPMN_FILE (with the *.dmn decision tables beside it) without deploying;
    exit 1 when it has problems.

    Works before `db upgrade` too: the diagram is then checked without the desk's extra days off."""
    from app.services import context
    from app.services.procedure import validation

    missing = context.schema_missing()
    if missing:
        click.secho(f"note: {missing}; checking with public holidays only, without the desk's extra days off",
                    fg="yellow", err=True)
        current_app.extensions["complaintflow"].without_database()

    bundle, problems = validation.run_gate(read_diagram(bpmn_file), _forms(forms_dir),
                                           decisions=validation.decisions_beside(bpmn_file, decisions_dir))
    checked = f"process {bundle.process_id!r}" if bundle is not None else "the diagram"
    if problems:
        echo_problems(problems)
        click.secho(f"{len(problems)} problem(s) in {checked}: this diagram cannot be deployed", fg="red", err=True)
        sys.exit(1)
    for item in validation.language_warnings(read_diagram(bpmn_file), _forms(forms_dir)):
        click.secho(f"warning: {validation.format_problem(item)}", fg="yellow", err=True)
    click.echo(f"ok: {checked} passes the gate (parsing, structure, forms, lanes, expressions, ISO 10002 scenarios)")
    click.echo("scenarios registered at: " + "; ".join(f"{at.strftime('%Y-%m-%d %H:%M %z')} ({label})"
                                                      for label, at in validation.gate_instants()))


@processes_group.command("export")
@click.argument("number", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write the BPMN here (default: stdout)")
@click.option("--forms-out", type=click.Path(file_okay=False, path_type=Path),
              help="also write the version's forms, one JSON file each, into this directory")
@with_appcontext
def processes_export(number: int, out: Path | None, forms_out: Path | None) -> None:
    """Export version NUMBER's diagram (and optionally its forms); with --out, its decision tables
    (*.dmn) are written beside the diagram."""
    from app.services.errors import NotFound
    from app.services.procedure import versions

    try:
        version = versions.get_version(number)
    except NotFound as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(1)
    if out is None:
        click.echo(version.bpmn_xml, nl=False)
    else:
        out.write_text(version.bpmn_xml, encoding="utf-8")
        click.echo(f"version {number} written to {out}", err=True)
    if forms_out is not None:
        forms_out.mkdir(parents=True, exist_ok=True)
        for name, schema in versions.forms_for(version).items():
            (forms_out / f"{name}.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n",
                                                    encoding="utf-8")
    if out is not None:
        for name, xml in versions.decisions_for(version).items():
            (out.parent / name).write_text(xml, encoding="utf-8")
            click.echo(f"decision table {name} written to {out.parent / name}", err=True)


@processes_group.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@with_appcontext
def processes_diff(old: int, new: int) -> None:
    """Tasks and forms added, removed and changed from version OLD to NEW."""
    from app.services.procedure import versions

    result = versions.diff_versions(old, new)
    for key in ("added", "removed"):
        for element in result[key]:
            click.echo(f"{key:<8} {element}")
    for element, attributes in result["changed"].items():
        click.echo(f"changed  {element} ({', '.join(attributes)})")
    for key, names in result["forms"].items():
        for name in names:
            click.echo(f"form {key:<8} {name}")
    for key, names in result["decisions"].items():
        for name in names:
            click.echo(f"decision table {key:<8} {name}")


@processes_group.command("migrate")
@click.argument("number", type=int)
@click.option("--from", "from_number", type=int, help="only complaints on this version")
@click.option("--dry-run", is_flag=True, help="only say which complaints can move and why not")
@click.option("--actor", default="cli")
@with_appcontext
def processes_migrate(number: int, from_number: int | None, dry_run: bool, actor: str) -> None:
    """Move running complaints to version NUMBER where nothing they reached has changed."""
    from app.services.procedure import migration

    if dry_run:
        results = migration.dry_run(number, from_number)
    else:
        results = migration.migrate_complaints(number, actor=actor, from_number=from_number)
    for item in results:
        verdict = "moved" if item.moved else ("can move" if item.can_move else "stays")
        why = f": {'; '.join(item.reasons)}" if item.reasons else ""
        click.echo(f"{item.registration_number}  v{item.from_version} → v{number}  {verdict}{why}")
    if not results:
        click.echo("no running complaints on other versions")


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
    from app.engine import ProcessDefinitionError
    from app.models import ProcessVersion
    from app.services.procedure import validation, versions

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(ProcessVersion)):
        click.echo("a process version is already deployed; nothing to do")
        return
    forms = versions.load_forms_dir(forms_dir or current_app.config["FORMS_DIR"])
    try:
        version = versions.deploy_version(read_diagram(bpmn_file), forms, author=author, comment=comment,
                                          decisions=validation.decisions_beside(bpmn_file, decisions_dir))
    except ProcessDefinitionError as exc:
        echo_problems(exc.problems)
        fail("not deployed")
    click.echo(f"version {version.number} is live ({version.content_hash[:12]}): process {version.process_id!r}")


@processes_group.command("list")
@with_appcontext
def processes_list() -> None:
    """List process versions."""
    from app.models import ProcessVersion

    for v in db.session.scalars(sa.select(ProcessVersion).order_by(ProcessVersion.number)):
        live = "live" if v.is_live else ""
        click.echo(f"{v.number:>4}  {v.content_hash[:12]}  {v.author:<12} {v.created_at:%Y-%m-%d %H:%M}  {live}")

