"""Deploy process versions (diagram + forms) and find the live one."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from app.engine import (
    SPEC_CACHE,
    ProcessBundle,
    ProcessDefinitionError,
    bundle_to_json,
    content_hash,
    decode_bpmn,
    diff_bundles,
)
from app.extensions import db
from app.models import ProcessInstance, ProcessVersion
from app.services import context
from app.services.errors import NoLiveVersion, NotFound, ValidationFailed
from app.services.procedure import validation


def load_forms_dir(path: str | Path) -> dict[str, dict]:
    """Every `forms/<name>.json` as {name: schema}."""
    forms = {}
    for file in sorted(Path(path).glob("*.json")):
        try:
            forms[file.stem] = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValidationFailed({file.name: f"not valid JSON: {exc}"}) from exc
    return forms


load_decisions_dir = validation.load_decisions_dir


def check_definition(bpmn_xml: str, forms: dict[str, dict],
                     decisions: dict[str, str] | None = None) -> tuple[ProcessBundle | None, list[dict]]:
    """The whole deploy gate (see services/procedure/validation.py); returns the bundle and the problems."""
    return validation.run_gate(bpmn_xml, forms, decisions=decisions)


def deploy_version(bpmn_xml: str, forms: dict[str, dict], *, decisions: dict[str, str] | None = None,
                   author: str, comment: str = "", at: datetime | None = None) -> ProcessVersion:
    """Store a version once (by content hash) and make it live for new complaints.

    `decisions` are the version's DMN files (name → XML); None takes the desk's shipped ones."""
    try:
        version = store_version(bpmn_xml, forms, decisions=decisions, author=author, comment=comment, at=at)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version


def store_version(bpmn_xml: str, forms: dict[str, dict], *, decisions: dict[str, str] | None = None,
                  author: str, comment: str = "", at: datetime | None = None) -> ProcessVersion:
    """`deploy_version` without the commit, for use cases that change more in the same transaction."""
    at = context.utc(at)
    if isinstance(bpmn_xml, bytes):
        bpmn_xml = decode_bpmn(bpmn_xml)
    decisions = validation.shipped_decisions() if decisions is None else decisions
    bundle, problems = check_definition(bpmn_xml, forms, decisions)
    if problems:
        raise ProcessDefinitionError(problems)
    digest = content_hash(bpmn_xml, forms, decisions)
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if version is None:
        number = (db.session.scalar(sa.select(sa.func.max(ProcessVersion.number))) or 0) + 1
        version = ProcessVersion(
            number=number, process_id=bundle.process_id, content_hash=digest, bpmn_xml=bpmn_xml,
            forms_json=json.dumps(forms, ensure_ascii=False), spec_json=bundle_to_json(bundle),
            decisions_json=json.dumps(decisions, ensure_ascii=False),
            author=author, comment=comment, created_at=at,
        )
        db.session.add(version)
    db.session.execute(sa.update(ProcessVersion).where(ProcessVersion.is_live).values(is_live=False))
    version.is_live = True
    version.deployed_at = at
    return version


def deploy_existing(number: int, *, at: datetime | None = None) -> ProcessVersion:
    """Make an earlier version live again (a rollback); it passed the gate when it was stored."""
    version = get_version(number)
    db.session.execute(sa.update(ProcessVersion).where(ProcessVersion.is_live).values(is_live=False))
    version.is_live = True
    version.deployed_at = context.utc(at)
    db.session.commit()
    return version


def get_version(number: int) -> ProcessVersion:
    version = db.session.scalar(sa.select(ProcessVersion).where(ProcessVersion.number == number))
    if version is None:
        raise NotFound(f"no process version {number}")
    return version


def list_versions() -> list[tuple[ProcessVersion, int]]:
    """Every version, newest first, with how many complaints are still running on it."""
    running = (sa.select(ProcessInstance.version_id, sa.func.count().label("n"))
               .where(ProcessInstance.status == "running").group_by(ProcessInstance.version_id).subquery())
    rows = db.session.execute(
        sa.select(ProcessVersion, sa.func.coalesce(running.c.n, 0))
        .outerjoin(running, running.c.version_id == ProcessVersion.id)
        .order_by(ProcessVersion.number.desc())
    )
    return [(version, count) for version, count in rows]


def diff_versions(old_number: int, new_number: int) -> dict:
    """Tasks added, removed and changed (SpiffWorkflow's SpecDiff), and forms added/removed/changed."""
    old, new = get_version(old_number), get_version(new_number)
    result = diff_bundles(bundle_for(old), bundle_for(new))
    old_forms, new_forms = forms_for(old), forms_for(new)
    result["forms"] = {
        "added": sorted(set(new_forms) - set(old_forms)),
        "removed": sorted(set(old_forms) - set(new_forms)),
        "changed": sorted(n for n in set(old_forms) & set(new_forms) if old_forms[n] != new_forms[n]),
    }
    old_tables, new_tables = decisions_for(old), decisions_for(new)
    result["decisions"] = {
        "added": sorted(set(new_tables) - set(old_tables)),
        "removed": sorted(set(old_tables) - set(new_tables)),
        "changed": sorted(n for n in set(old_tables) & set(new_tables) if old_tables[n] != new_tables[n]),
    }
    return result


_LIVE = sa.select(ProcessVersion).where(ProcessVersion.is_live)  # built once: every registration reads it


def live_version() -> ProcessVersion:
    version = db.session.scalar(_LIVE)
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


def decisions_for(version: ProcessVersion) -> dict[str, str]:
    """The version's DMN files (name → XML); their tables also live inside its parsed spec."""
    return json.loads(version.decisions_json or "{}")
