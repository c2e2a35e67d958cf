"""Register a complaint for a customer on the phone, at the desk, or from a letter, fax or survey."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import INTAKE_ROLES, roles_required
from ..services import casefile, complaints, lookup, tasks
from ..services.errors import ValidationFailed
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
        try:
            uploads = [casefile.check_upload(f.filename, f.stream) for f in files]
            actor = current_user.username
            complaint = complaints.register_complaint(
                form.fields_dict(), actor=actor, idempotency_key=form.idempotency_key.data or None,
                before_commit=lambda c: casefile.add_attachments(c.id, uploads, actor=actor) if uploads else None)
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                field = getattr(form, name, None)
                if field is not None and hasattr(field, "errors"):
                    field.errors = [*field.errors, message]
                else:
                    flash(message, "error")
            status = 422
        else:
            return redirect(url_for("intake.done", number=complaint.registration_number))
    return render_template("intake/new.html", form=form), status


@bp.get("/intake/<number>")
@roles_required(*INTAKE_ROLES)
def done(number: str):
    complaint = lookup.complaint_by_number(number)
    if complaint is None:
        abort(404)
    immediate = complaint.channel in complaints.IMMEDIATE_CHANNELS
    # Stage 2 of the procedure is the acknowledgement (a property of the diagram, not a task id).
    ack_tasks = [t for t in tasks.ready_tasks_for(complaint) if t.iso_stage == 2]
    return render_template("intake/done.html", complaint=complaint, immediate=immediate, ack_tasks=ack_tasks)
