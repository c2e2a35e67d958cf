"""Analysts' drafts: save work in progress with the gate's verdict, deploy a draft that passes.

A draft may be broken (that is what drafts are for); only deploying demands a clean gate.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from app.engine import MAX_BPMN_BYTES, ProcessDefinitionError, content_hash
from app.extensions import db
from app.models import ProcessDraft
from app.services import context
from app.services.errors import NotFound
from app.services.procedure import validation, versions


def _too_large(bpmn_xml: str) -> list[dict]:
    if len(bpmn_xml.encode("utf-8")) > MAX_BPMN_BYTES:
        return [validation.problem(f"file is larger than {MAX_BPMN_BYTES // 1024} KB")]
    return []


def save_draft(bpmn_xml: str, forms: dict[str, dict], *, decisions: dict[str, str] | None = None,
               author: str, comment: str = "",
               draft_id: int | None = None, base_version: int | None = None,
               at: datetime | None = None) -> tuple[ProcessDraft, list[dict]]:
    """Check and store a draft (new, or an update of `draft_id`); returns it with the gate's problems.

    Raises ProcessDefinitionError (nothing stored) only for a file over the size limit. `decisions`
    (DMN file name → XML) default to the base version's tables, else the desk's shipped ones.
    """
    at = context.utc(at)
    if decisions is None:
        decisions = (versions.decisions_for(versions.get_version(base_version)) if base_version
                     else validation.shipped_decisions())
    oversized = _too_large(bpmn_xml) or [p for text in decisions.values() for p in _too_large(text)][:1]
    if oversized:
        raise ProcessDefinitionError(oversized)
    _, problems = validation.run_gate(bpmn_xml, forms, decisions=decisions)
    draft = get_draft(draft_id) if draft_id else ProcessDraft(author=author, created_at=at)
    if draft_id is None and base_version is not None:
        draft.base_version_id = versions.get_version(base_version).id
    draft.bpmn_xml = bpmn_xml
    draft.forms_json = json.dumps(forms, ensure_ascii=False)
    draft.decisions_json = json.dumps(decisions, ensure_ascii=False)
    draft.content_hash = content_hash(bpmn_xml, forms, decisions)
    draft.problems_json = json.dumps(problems, ensure_ascii=False)
    draft.comment = comment or draft.comment or ""
    draft.updated_at = at
    db.session.add(draft)
    db.session.commit()
    return draft, problems


def get_draft(draft_id: int) -> ProcessDraft:
    draft = db.session.get(ProcessDraft, draft_id)
    if draft is None:
        raise NotFound(f"no draft {draft_id}")
    return draft


def list_drafts(limit: int = 50) -> list[ProcessDraft]:
    return list(db.session.scalars(sa.select(ProcessDraft).order_by(ProcessDraft.updated_at.desc(),
                                                                     ProcessDraft.id.desc()).limit(limit)))


def draft_forms(draft: ProcessDraft) -> dict[str, dict]:
    return json.loads(draft.forms_json)


def draft_decisions(draft: ProcessDraft) -> dict[str, str]:
    return json.loads(draft.decisions_json or "{}")


def draft_problems(draft: ProcessDraft) -> list[dict]:
    return json.loads(draft.problems_json or "[]")


def deploy_draft(draft_id: int, *, author: str, comment: str | None = None,
                 at: datetime | None = None):
    """Gate, store and make live in one transaction; raises ProcessDefinitionError, nothing deployed."""
    draft = get_draft(draft_id)
    try:
        version = versions.store_version(draft.bpmn_xml, draft_forms(draft), decisions=draft_decisions(draft),
                                         author=author,
                                         comment=comment if comment is not None else draft.comment,
                                         at=at)
        db.session.flush()
        draft.deployed_version_id = version.id
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version
