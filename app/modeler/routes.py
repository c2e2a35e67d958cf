"""Modeler pages and the small JSON API its script talks to; analysts only, every change a CSRF POST."""

from __future__ import annotations

import json
import re

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import problem_text
from ..access import roles_required
from ..engine import ProcessDefinitionError
from ..services.errors import NoLiveVersion, NotFound
from ..services.procedure import diagram_lint, drafts, migration, validation, versions
from . import bp, messages
from .forms import DeployForm, EmptyForm, MigrateForm

ANALYSTS = ("analyst",)
DECISION_FILE = re.compile(r"^[a-z0-9_]{1,60}\.dmn$")
# bpmn-js writes inline styles on the SVG and its icon font is a data: URL; scripts stay 'self' only.
MODELER_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
               "base-uri 'self'")


def _page(template: str, **context) -> Response:
    response = Response(render_template(template, **context))
    response.headers["Content-Security-Policy"] = MODELER_CSP
    return response


def _ordered_json(**data) -> Response:
    """JSON that keeps key order: a form's fields are shown in the order its schema lists them."""
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")


def _version_or_404(number: int):
    try:
        return versions.get_version(number)
    except NotFound:
        abort(404)


def _draft_or_404(draft_id: int):
    try:
        return drafts.get_draft(draft_id)
    except NotFound:
        abort(404)


@bp.get("/")
@roles_required(*ANALYSTS)
def index():
    return _page("modeler/index.html", version=request.args.get("version", type=int),
                 draft=request.args.get("draft", type=int), all_versions=versions.list_versions(),
                 lanes=sorted(current_app.config["LANE_ROLES"]), js_messages=messages.catalog(),
                 modeler_locale=_modeler_locale())


def _modeler_locale() -> str:
    """The bpmn-js translate catalog the page loads (static/modeler/i18n/<locale>.json): the library's and the
    panel's English strings; our own Turkish sentences go through Babel (messages.catalog())."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "tr"


@bp.get("/source")
@roles_required(*ANALYSTS)
def source():
    """The diagram and forms to open: a draft, a version, or the live version."""
    draft_id, number = request.args.get("draft", type=int), request.args.get("version", type=int)
    if draft_id:
        draft = _draft_or_404(draft_id)
        return _ordered_json(bpmn=draft.bpmn_xml, forms=drafts.draft_forms(draft),
                             decisions=drafts.draft_decisions(draft), draft_id=draft.id,
                             version=draft.base_version.number if draft.base_version else None,
                             problems=problem_text.problems(drafts.draft_problems(draft)))
    try:
        version = _version_or_404(number) if number else versions.live_version()
    except NoLiveVersion:
        abort(404)
    return _ordered_json(bpmn=version.bpmn_xml, forms=versions.forms_for(version),
                         decisions=versions.decisions_for(version), draft_id=None,
                         version=version.number, problems=[])


@bp.post("/drafts")
@roles_required(*ANALYSTS)
def save_draft():
    """Save as draft; the gate runs and its problems come back tied to diagram elements.

    `decisions` ({file name: DMN XML}, the tables edited beside the diagram) is optional: without it
    the draft keeps the tables of the version it started from."""
    payload = request.get_json(silent=True) or {}
    bpmn, forms, decisions = payload.get("bpmn"), payload.get("forms"), payload.get("decisions")
    if not isinstance(bpmn, str) or not isinstance(forms, dict):
        return jsonify(error="send {bpmn: string, forms: {name: schema}}"), 400
    if decisions is not None and not (isinstance(decisions, dict) and all(
            isinstance(k, str) and DECISION_FILE.match(k) and isinstance(v, str) for k, v in decisions.items())):
        return jsonify(error="send decisions as {name.dmn: DMN XML string}"), 400
    try:
        draft, problems = drafts.save_draft(
            bpmn, forms, decisions=decisions, author=current_user.username,
            comment=str(payload.get("comment") or "")[:500],
            draft_id=payload.get("draft_id") or None, base_version=payload.get("version") or None)
    except ProcessDefinitionError as exc:
        return jsonify(draft_id=None, problems=problem_text.problems(exc.problems), saved=False), 422
    except NotFound:
        abort(404)
    return jsonify(draft_id=draft.id, problems=problem_text.problems(problems), saved=True,
                   deploy_url=url_for("modeler.deploy_draft", draft_id=draft.id),
                   simulated=[{"label": label, "registered_at": at.isoformat()}
                              for label, at in validation.gate_instants()])


@bp.post("/lint")
@roles_required(*ANALYSTS)
def lint():
    """The live check the modeler runs after every change: structural rules only, nothing is executed."""
    payload = request.get_json(silent=True) or {}
    if not isinstance(payload.get("bpmn"), str):
        return jsonify(error="send {bpmn: string}"), 400
    return jsonify(findings=problem_text.problems(diagram_lint.lint_diagram(payload["bpmn"])))


@bp.post("/forms/check")
@roles_required(*ANALYSTS)
def check_form():
    payload = request.get_json(silent=True) or {}
    forms = {str(payload.get("name") or "form"): payload.get("schema")}
    problems = validation.check_forms(forms)
    warnings = [] if problems else validation.english_gaps(forms)
    return jsonify(problems=problem_text.problems(problems), warnings=problem_text.problems(warnings))


@bp.post("/drafts/<int:draft_id>/deploy")
@roles_required(*ANALYSTS)
def deploy_draft(draft_id: int):
    form = DeployForm()
    wants_json = request.is_json or request.accept_mimetypes.best == "application/json"
    if not wants_json and not form.validate_on_submit():
        abort(400)
    _draft_or_404(draft_id)
    try:
        version = drafts.deploy_draft(draft_id, author=current_user.username,
                                      comment=form.comment.data or None)
    except ProcessDefinitionError as exc:
        if wants_json:
            return jsonify(deployed=False, problems=problem_text.problems(exc.problems)), 422
        for item in exc.problems[:10]:
            flash(problem_text.line(item), "error")
        return redirect(url_for("modeler.index", draft=draft_id))
    if wants_json:
        return jsonify(deployed=True, version=version.number)
    flash(_("Sürüm %(n)s yayında: yeni şikâyetler bu sürümle başlar.", n=version.number), "success")
    return redirect(url_for("modeler.version_list"))


@bp.get("/versions")
@roles_required(*ANALYSTS)
def version_list():
    return _page("modeler/versions.html", rows=versions.list_versions(), drafts=drafts.list_drafts(),
                 draft_problems=drafts.draft_problems, empty=EmptyForm(), deploy_form=DeployForm(),
                 migrate_form=MigrateForm())


@bp.get("/versions/diff")
@roles_required(*ANALYSTS)
def diff():
    old, new = request.args.get("old", type=int), request.args.get("new", type=int)
    if not old or not new:
        return redirect(url_for("modeler.version_list"))
    _version_or_404(old), _version_or_404(new)
    return _page("modeler/diff.html", old=old, new=new, result=versions.diff_versions(old, new),
                 source_url=url_for("modeler.source", version=new),
                 old_source_url=url_for("modeler.source", version=old))


@bp.get("/versions/<int:number>/export")
@roles_required(*ANALYSTS)
def export(number: int):
    version = _version_or_404(number)
    return Response(version.bpmn_xml, mimetype="application/xml", headers={
        "Content-Disposition": f"attachment; filename=complaint-v{number}.bpmn"})


@bp.post("/versions/<int:number>/deploy")
@roles_required(*ANALYSTS)
def deploy_version(number: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    _version_or_404(number)
    versions.deploy_existing(number)
    flash(_("Sürüm %(n)s yeniden yayında.", n=number), "success")
    return redirect(url_for("modeler.version_list"))


@bp.post("/versions/<int:number>/migrate")
@roles_required(*ANALYSTS)
def migrate(number: int):
    """Dry run (the default) or move every complaint that can move; one transaction per complaint."""
    form = MigrateForm()
    if not form.validate_on_submit():
        abort(400)
    _version_or_404(number)
    dry_run = form.dry_run.data != "0"
    results = migration.dry_run(number) if dry_run else \
        migration.migrate_complaints(number, actor=current_user.username)
    return _page("modeler/migrate.html", number=number, results=results, dry_run=dry_run,
                 migrate_form=MigrateForm(dry_run="0"))
