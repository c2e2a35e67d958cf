"""Deploy process versions (diagram + forms) and find the live one."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..engine import (
    SPEC_CACHE,
    ProcessBundle,
    ProcessDefinitionError,
    bundle_to_json,
    content_hash,
    parse_bpmn,
)
from ..extensions import db
from ..models import ProcessVersion
from . import context
from .errors import NoLiveVersion, ValidationFailed


def load_forms_dir(path: str | Path) -> dict[str, dict]:
    """Every `forms/<name>.json` as {name: schema}."""
    forms = {}
    for file in sorted(Path(path).glob("*.json")):
        try:
            forms[file.stem] = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValidationFailed({file.name: f"not valid JSON: {exc}"}) from exc
    return forms


def check_definition(bpmn_xml: str, forms: dict[str, dict]) -> tuple[ProcessBundle, list[dict]]:
    """Parse the diagram and check every user task's form; returns the bundle and the problems."""
    try:
        bundle = parse_bpmn(bpmn_xml)
    except ProcessDefinitionError as exc:
        return None, exc.problems
    problems = []
    for name, schema in forms.items():
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append({"element": None, "message": f"form {name!r} is not a valid JSON Schema: {exc.message}"})
    specs = [bundle.spec, *bundle.subprocess_specs.values()]
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            form = (task_spec.extensions or {}).get("properties", {}).get("form")
            if not form:
                problems.append({"element": task_spec.bpmn_id, "message": "user task has no form property"})
            elif form not in forms:
                problems.append({"element": task_spec.bpmn_id, "message": f"form {form!r} does not exist"})
    return bundle, problems


def deploy_version(bpmn_xml: str, forms: dict[str, dict], *, author: str, comment: str = "",
                   at: datetime | None = None) -> ProcessVersion:
    """Store a version once (by content hash) and make it live for new complaints."""
    at = context.utc(at)
    bundle, problems = check_definition(bpmn_xml, forms)
    if problems:
        raise ProcessDefinitionError(problems)
    digest = content_hash(bpmn_xml, forms)
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if version is None:
        number = (db.session.scalar(sa.select(sa.func.max(ProcessVersion.number))) or 0) + 1
        version = ProcessVersion(
            number=number, process_id=bundle.process_id, content_hash=digest, bpmn_xml=bpmn_xml,
            forms_json=json.dumps(forms, ensure_ascii=False), spec_json=bundle_to_json(bundle),
            author=author, comment=comment, created_at=at,
        )
        db.session.add(version)
    db.session.execute(sa.update(ProcessVersion).where(ProcessVersion.is_live).values(is_live=False))
    version.is_live = True
    version.deployed_at = at
    db.session.commit()
    return version


def live_version() -> ProcessVersion:
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.is_live))
    if version is None:
        raise NoLiveVersion()
    return version


def bundle_for(version: ProcessVersion) -> ProcessBundle:
    return SPEC_CACHE.get(version.content_hash, lambda: version.spec_json)


_forms_cache: dict[str, dict] = {}


def forms_for(version: ProcessVersion) -> dict[str, dict]:
    forms = _forms_cache.get(version.content_hash)
    if forms is None:
        forms = _forms_cache[version.content_hash] = json.loads(version.forms_json)
    return forms
