"""`complaintflow processes check|export|diff|migrate`: the analysts' gate and versions from a shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _forms(forms_dir: Path | None) -> dict:
    from .services import versions

    return versions.load_forms_dir(forms_dir or current_app.config["FORMS_DIR"])


def read_diagram(path: Path) -> str:
    """The file's text in the encoding it declares (ISO-8859-9, UTF-16 ...); exit 1 when it is not XML."""
    from .engine import ProcessDefinitionError, decode_bpmn

    try:
        return decode_bpmn(path.read_bytes())
    except ProcessDefinitionError as exc:
        echo_problems(exc.problems)
        click.secho("not a readable BPMN file", fg="red", err=True)
        sys.exit(1)


def echo_problems(problems: list[dict]) -> None:
    from .services.validation import format_problem

    for item in problems:
        click.secho(f"- {format_problem(item)}", fg="red", err=True)


@click.command("check")
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
    from .services import context, validation

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
    click.echo(f"ok: {checked} passes the gate (parsing, structure, forms, lanes, expressions, ISO 10002 scenarios)")


@click.command("export")
@click.argument("number", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write the BPMN here (default: stdout)")
@click.option("--forms-out", type=click.Path(file_okay=False, path_type=Path),
              help="also write the version's forms, one JSON file each, into this directory")
@with_appcontext
def processes_export(number: int, out: Path | None, forms_out: Path | None) -> None:
    """Export version NUMBER's diagram (and optionally its forms); with --out, its decision tables
    (*.dmn) are written beside the diagram."""
    from .services import versions
    from .services.errors import NotFound

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


@click.command("diff")
@click.argument("old", type=int)
@click.argument("new", type=int)
@with_appcontext
def processes_diff(old: int, new: int) -> None:
    """Tasks and forms added, removed and changed from version OLD to NEW."""
    from .services import versions

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


@click.command("migrate")
@click.argument("number", type=int)
@click.option("--from", "from_number", type=int, help="only complaints on this version")
@click.option("--dry-run", is_flag=True, help="only say which complaints can move and why not")
@click.option("--actor", default="cli")
@with_appcontext
def processes_migrate(number: int, from_number: int | None, dry_run: bool, actor: str) -> None:
    """Move running complaints to version NUMBER where nothing they reached has changed."""
    from .services import migration

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


def extend(group: click.Group) -> None:
    for command in (processes_check, processes_export, processes_diff, processes_migrate):
        group.add_command(command)
