"""The task page: complaint summary, history, and the form rendered from the task's JSON Schema."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import labels, problem_text
from ..access import TASK_WORKERS, roles_required
from ..extensions import db
from ..models import HumanTask
from ..services.complaints import case_record, casefile
from ..services.errors import (
    ConcurrentUpdate,
    NotFound,
    ProcedureFailed,
    StaleData,
    TaskAlreadyCompleted,
    TaskClaimedByOther,
    ValidationFailed,
)
from ..services.privacy.personal_data_log import record_personal_data_view
from ..services.workflow import inbox, priority, tasks
from . import bp
from .case_text import case_context, step_context
from .forms import AttachmentForm, ClaimForm, NoteForm, TaskForm
from .routes import assign_form_for
from .schema_form import build_fields, raw_values, to_data


def get_task_or_404(task_id: int) -> HumanTask:
    try:
        return tasks.get_task(task_id)
    except NotFound:
        abort(404)


def _closed_page(task: HumanTask, status: int, *, by: str | None = None, at=None, claimed: bool = False):
    return render_template("inbox/task_closed.html", task=task, by=by or task.completed_by,
                           at=at or task.completed_at, state=task.state, claimed=claimed), status


def _render(task: HumanTask, *, values=None, errors=None, message: str | None = None, status: int = 200):
    """The task page; every showing of it (a refused form comes back too) shows personal data: logged."""
    schema = tasks.form_schema(task) or {"properties": {}}
    complaint = task.complaint
    record_personal_data_view(current_user, complaint, "task_page", ip=request.remote_addr)
    form = TaskForm()
    form.expected_version.data = str(complaint.instance.lock_version)
    case = case_context(complaint)
    return render_template(
        "inbox/task.html", task=task, complaint=complaint, schema=schema, form=form,
        fields=build_fields(schema, values, errors, defaults={**priority.form_defaults(schema, complaint),
                                                              **case_record.prefill(schema, case["case"])}),
        form_error=(errors or {}).get(""), message=message, attachments=casefile.attachments_of(complaint.id),
        mail_messages=casefile.mail_messages_of(complaint.id),
        note_form=NoteForm(), attachment_form=AttachmentForm(), claim_form=ClaimForm(),
        open_tasks=tasks.ready_tasks_for(complaint), **case, **step_context(task, case["case"]),
        assign_form=assign_form_for(task) if inbox.can_see_all(current_user) else None,
    ), status


@bp.get("/tasks/<int:task_id>")
@roles_required(*TASK_WORKERS)
def task(task_id: int):
    task = get_task_or_404(task_id)
    if task.state != "ready":
        return _closed_page(task, 200)
    if not inbox.can_open(current_user, task):
        abort(403)
    return _render(task)


@bp.post("/tasks/<int:task_id>")
@roles_required(*TASK_WORKERS)
def complete(task_id: int):
    task = get_task_or_404(task_id)
    form = TaskForm()
    if not form.validate_on_submit():
        abort(400)
    if task.state != "ready":
        return _closed_page(task, 409)
    if not inbox.can_work(current_user, task):
        abort(403)
    schema = tasks.form_schema(task) or {"properties": {}}
    values = raw_values(schema, request.form)
    data = to_data(schema, values, current_app.extensions["complaintflow"].calendar.tz)
    version = form.expected_version.data
    try:
        tasks.complete_task(task_id, data, actor=current_user.username, user=current_user._get_current_object(),
                            expected_version=int(version) if version and version.isdigit() else None)
    except ValidationFailed as exc:
        return _render(task, values=values, errors=exc.errors, status=422,
                       message=_("Formda düzeltilmesi gereken alanlar var."))
    except TaskAlreadyCompleted as exc:
        return _closed_page(task, 409, by=exc.by, at=exc.at)
    except ProcedureFailed as exc:
        db.session.expire_all()
        return _render(task, values=values, status=422, message=_(
            "Bu adım kaydedilmedi: süreç diyagramındaki “%(element)s” adımı hata verdi (%(detail)s). Girdiğiniz "
            "bilgiler aşağıda duruyor; şikâyet yönetim temsilcisine bildirildi.",
            element=labels.task_name(exc.name, exc.element) or exc.element or "?",
            detail=problem_text.reason(exc.detail)))
    except TaskClaimedByOther as exc:
        return _closed_page(task, 409, by=exc.by, at=exc.at, claimed=True)
    except inbox.NotAllowed:
        abort(403)  # the user's roles changed while the form was being sent
    except StaleData:
        db.session.expire_all()
        return _render(task, values=values, status=409, message=_(
            "Siz formu doldururken şikâyet güncellendi. Bilgileri kontrol edip yeniden gönderin."))
    except (ConcurrentUpdate, IntegrityError, OperationalError):
        # Someone changed the same complaint at the same moment: show who finished it, or ask to retry.
        db.session.rollback()
        task = db.session.get(HumanTask, task_id, populate_existing=True)
        if task.state != "ready":
            return _closed_page(task, 409)
        return _render(task, values=values, status=409, message=_(
            "Şikâyet aynı anda başka biri tarafından değiştirildi. Lütfen yeniden gönderin."))
    flash(_("“%(name)s” görevi tamamlandı (%(number)s).", name=labels.step_name(task),
            number=task.complaint.registration_number), "success")
    return redirect(url_for("inbox.index"))
