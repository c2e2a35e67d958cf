"""Register a complaint for a customer on the phone, at the desk, or from a letter, fax or survey."""

from __future__ import annotations

from uuid import uuid4

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import INTAKE_ROLES, roles_required
from ..services.complaints import casefile, idempotency, lookup
from ..services.complaints import registration as complaints
from ..services.complaints.channels import IMMEDIATE_CHANNELS
from ..services.errors import ValidationFailed
from ..services.workflow import tasks
from . import bp
from .forms import IntakeForm


@bp.route("/intake", methods=["GET", "POST"])
@roles_required(*INTAKE_ROLES)
def new():
    form = IntakeForm()
    status = 200
    if form.is_submitted() and not form.validate():
        status = 422
    elif form.is_submitted():
        files = [f for f in request.files.getlist(form.attachments.name) if f and f.filename]
        status = 422
        try:
            uploads = [casefile.check_upload(f.filename, f.stream) for f in files]
            actor = current_user.username
            fields = form.fields_dict()
            complaint = complaints.register_complaint(
                fields, actor=actor, idempotency_key=idempotency.staff_key(current_user.id, form.idempotency_key.data),
                fingerprint=idempotency.fingerprint(fields, *(u.sha256 for u in uploads)),
                before_commit=lambda c: casefile.add_attachments(c.id, uploads, actor=actor) if uploads else None)
        except idempotency.KeyReused as exc:
            _renew_key(form, _("Bu form daha önce farklı bilgilerle gönderildi (%(number)s). Bu bilgilerle yeni "
                               "bir şikâyet kaydetmek için formu yeniden gönderin.", number=exc.registration_number))
        except ValidationFailed as exc:
            if "idempotency_key" in exc.errors:
                _renew_key(form, exc.errors.pop("idempotency_key"))
            for name, message in exc.errors.items():  # the service's messages, in the reader's language
                field = getattr(form, name, None)
                if field is not None and hasattr(field, "errors"):
                    field.errors = [*field.errors, message]
                else:
                    flash(message, "error")
        else:
            return redirect(url_for("intake.done", number=complaint.registration_number))
    return render_template("intake/new.html", form=form), status


def _renew_key(form: IntakeForm, message: str) -> None:
    """The posted key cannot be used: say why and issue a new one, so sending again registers this form."""
    form.idempotency_key.data = str(uuid4())
    flash(message, "error")


@bp.get("/intake/<number>")
@roles_required(*INTAKE_ROLES)
def done(number: str):
    complaint = lookup.complaint_by_number(number)
    if complaint is None:
        abort(404)
    immediate = complaint.channel in IMMEDIATE_CHANNELS
    # Stage 2 of the procedure is the acknowledgement (a property of the diagram, not a task id).
    ack_tasks = [t for t in tasks.ready_tasks_for(complaint) if t.iso_stage == 2]
    return render_template("intake/done.html", complaint=complaint, immediate=immediate, ack_tasks=ack_tasks)
