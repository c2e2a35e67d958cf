"""The review list with CSV export, one complaint's path and audit trail, and the audited admin actions."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import labels
from ..access import get_complaint_or_404, has_role, roles_required
from ..formkit import options
from ..models import Complaint
from ..services.accounts import users
from ..services.errors import ConcurrentUpdate, NotFound, ValidationFailed
from ..services.privacy.personal_data_log import record_personal_data_view
from ..services.review import instance_view
from ..services.review import listing as review
from ..services.workflow import admin_actions, tasks
from ..services.workflow.inbox import NotAllowed, roles_for_lane
from . import REVIEW_ACTORS, REVIEW_READERS, audit_text, bp
from . import labels as rlabels
from .forms import ReasonForm, ReassignForm

TASK_WORKER_ROLES = ("intake", "handler", "representative")


@bp.context_processor
def _review_labels():
    return {"rlabels": rlabels}


@bp.app_template_global()
def vendor_url(path: str) -> str | None:
    """URL of an npm file under the shared `/vendor/<path>` route, or None while that route is absent."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith("/vendor/") and rule.arguments:
            return url_for(rule.endpoint, **{next(iter(rule.arguments)): path})
    return None



@bp.get("/")
@roles_required(*REVIEW_READERS)
def index():
    query = review.ReviewQuery.from_args(request.args)
    page = review.review_page(query)
    args = {k: v for k, v in request.args.items() if k != "page"}
    representatives = users.users_with_any_role(TASK_WORKER_ROLES)
    return render_template("review/list.html", page=page, query=query, page_args=args,
                           choices=review.filter_choices(), representatives=representatives)


@bp.get("/export.csv")
@roles_required(*REVIEW_READERS)
def export():
    query = review.ReviewQuery.from_args(request.args)
    # Streamed after the view returns: the generator needs the app context kept for it.
    headers = [str(h) for h in rlabels.CSV_HEADERS]
    response = Response(stream_with_context(review.export_csv(query, headers=headers, label=labels.code_label)),
                        mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=sikayetler.csv"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/complaints/<number>")
@roles_required(*REVIEW_READERS)
def complaint(number: str):
    complaint = get_complaint_or_404(number)
    record_personal_data_view(current_user, complaint, "review_complaint", ip=request.remote_addr)
    view = instance_view.instance_view(complaint)
    reassign_forms = {}
    if has_role(*REVIEW_ACTORS):
        for task in view.tasks:
            if task.state == "ready":
                form = ReassignForm(prefix=f"t{task.id}")
                form.assignee.choices = options(
                    [("", _("— Kimse (serbest bırak) —"))]
                    + [(u.username, u.full_name) for u in users.users_with_any_role(roles_for_lane(task.lane))])
                reassign_forms[task.id] = form
    return render_template("review/complaint.html", view=view, complaint=complaint, reason_form=ReasonForm(),
                           audit=audit_text.audit_days(complaint, view.events),
                           reassign_forms=reassign_forms, can_act=has_role(*REVIEW_ACTORS))


@bp.get("/versions/<int:number>/diagram.bpmn")
@roles_required(*REVIEW_READERS)
def diagram(number: int):
    xml = instance_view.version_xml(number, get_locale())
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "private, max-age=3600"})


def _act(complaint: Complaint, form: ReasonForm, action, done_message: str):
    """Run one admin action from a posted form; every refusal becomes a message on the same page."""
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0] if form.errors else _("Gerekçe zorunludur."), "error")
    else:
        try:
            action(form.reason.data)
        except ValidationFailed as exc:
            flash(next(iter(exc.errors.values())), "error")
        except admin_actions.InvalidState:
            flash(_("Şikâyetin şu anki durumunda bu işlem yapılamaz."), "error")
        except NotAllowed:
            abort(403)
        except ConcurrentUpdate:
            flash(_("Şikâyet aynı anda değişti; lütfen tekrar deneyin."), "error")
        except NotFound:
            abort(404)
        else:
            flash(done_message, "success")
    return redirect(url_for("review.complaint", number=complaint.registration_number))


@bp.post("/complaints/<number>/suspend")
@roles_required(*REVIEW_ACTORS)
def suspend(number: str):
    complaint = get_complaint_or_404(number)
    return _act(complaint, ReasonForm(), lambda reason: admin_actions.suspend(
        complaint, user=current_user, reason=reason), _("Şikâyet askıya alındı."))


@bp.post("/complaints/<number>/resume")
@roles_required(*REVIEW_ACTORS)
def resume(number: str):
    complaint = get_complaint_or_404(number)
    return _act(complaint, ReasonForm(), lambda reason: admin_actions.resume(
        complaint, user=current_user, reason=reason), _("Şikâyet yeniden başlatıldı."))


@bp.post("/complaints/<number>/cancel")
@roles_required(*REVIEW_ACTORS)
def cancel(number: str):
    complaint = get_complaint_or_404(number)
    return _act(complaint, ReasonForm(), lambda reason: admin_actions.cancel(
        complaint, user=current_user, reason=reason), _("Şikâyet iptal edildi."))


@bp.post("/complaints/<number>/tasks/<int:task_id>/reassign")
@roles_required(*REVIEW_ACTORS)
def reassign(number: str, task_id: int):
    complaint = get_complaint_or_404(number)
    form = ReassignForm(prefix=f"t{task_id}")
    try:
        if tasks.get_task(task_id).complaint_id != complaint.id:
            abort(404)
    except NotFound:
        abort(404)
    return _act(complaint, form, lambda reason: admin_actions.reassign_task(
        task_id, form.assignee.data, user=current_user, reason=reason), _("Görev yeniden atandı."))
