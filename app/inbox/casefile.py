"""Complaint look-up for staff, the complaint page, internal notes and attachments."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access import (
    CASE_READERS,
    CASE_WRITERS,
    INCIDENT_ROLES,
    KIND_CORRECTORS,
    get_complaint_or_404,
    has_role,
    roles_required,
    safe_next,
)
from ..formkit import options
from ..models import Complaint
from ..services.complaints import casefile, incidents, kinds, lookup
from ..services.errors import ConcurrentUpdate, NotFound, ProcedureFailed, ValidationFailed
from ..services.privacy.personal_data_log import record_personal_data_view, record_search_views
from ..services.workflow import tasks
from . import bp
from .case_text import case_context
from .forms import AttachmentForm, ClaimForm, IncidentLinkForm, KindForm, NoteForm, SearchForm

# Complaints the search page shows before anything is asked.
RECENT = 15


@bp.get("/complaints")
@roles_required(*CASE_READERS)
def complaints():
    """The search; with nothing asked yet, the most recent complaints (a desk starts from today's work)."""
    form = SearchForm(request.args)
    result = None
    recent = not request.args
    if recent:
        result = lookup.search_complaints(page_size=RECENT)
    elif form.validate():
        result = lookup.search_complaints(form.q.data or "", form.status.data or "", form.date_from.data,
                                          form.date_to.data, page=form.page.data or 1, kind=form.kind.data or "")
    if result is not None:
        record_search_views(current_user, result.complaints, "complaint_search", ip=request.remote_addr)
    args = {k: v for k, v in request.args.items() if k != "page"}
    open_ones = incidents.open_incidents() if result is not None and has_role(*INCIDENT_ROLES) else []
    return render_template("inbox/complaints.html", form=form, result=result, page_args=args, recent=recent,
                           open_incidents=open_ones, token_form=ClaimForm())


@bp.get("/complaints/<number>")
@roles_required(*CASE_READERS)
def complaint(number: str):
    complaint = get_complaint_or_404(number)
    record_personal_data_view(current_user, complaint, "complaint_page", ip=request.remote_addr)
    return render_template(
        "inbox/complaint.html", complaint=complaint, attachments=casefile.attachments_of(complaint.id),
        open_tasks=tasks.ready_tasks_for(complaint), note_form=NoteForm(), attachment_form=AttachmentForm(),
        claim_form=ClaimForm(), kind_form=KindForm(kind=complaint.kind),
        mail_messages=casefile.mail_messages_of(complaint.id), **case_context(complaint),
        **_incident_context(complaint))


def _incident_context(complaint: Complaint) -> dict:
    """The incident the complaint is linked to, or (for those who link) the form to link it to an open one."""
    link = incidents.link_of(complaint.id)
    form = None
    if link is None and has_role(*INCIDENT_ROLES):
        open_ones = incidents.open_incidents()
        if open_ones:
            form = IncidentLinkForm()
            form.incident.choices = options((str(i.id), i.title) for i in open_ones)
    return {"incident_link": link, "incident_form": form}


def _back(complaint: Complaint) -> str:
    return safe_next(request.form.get("next"), url_for("inbox.complaint", number=complaint.registration_number))


@bp.post("/complaints/<number>/notes")
@roles_required(*CASE_WRITERS)
def add_note(number: str):
    complaint = get_complaint_or_404(number)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            casefile.add_note(complaint.id, form.body.data, actor=current_user.username)
            flash(_("Not eklendi."), "success")
        except ValidationFailed as exc:
            flash(next(iter(exc.errors.values())), "error")
    else:
        flash(_("Not boş olamaz."), "error")
    return redirect(_back(complaint))


@bp.post("/complaints/<number>/kind")
@roles_required(*KIND_CORRECTORS)
def correct_kind(number: str):
    """A handler or the representative corrects the kind (with a reason); the history says so."""
    complaint = get_complaint_or_404(number)
    form = KindForm()
    if not form.validate_on_submit():
        flash(_("Form geçersiz veya eskimiş. Lütfen yeniden deneyin."), "error")
        return redirect(_back(complaint))
    try:
        kinds.correct_kind(complaint.id, form.kind.data, form.reason.data or "", actor=current_user.username)
    except ValidationFailed as exc:
        for message in exc.errors.values():  # in the reader's language
            flash(message, "error")
    except (ConcurrentUpdate, ProcedureFailed) as exc:
        flash(_("Başvuru türü düzeltilemedi: %(error)s", error=str(exc)), "error")
    else:
        flash(_("Başvuru türü düzeltildi."), "success")
    return redirect(_back(complaint))


@bp.post("/complaints/<number>/attachments")
@roles_required(*CASE_WRITERS)
def add_attachments(number: str):
    complaint = get_complaint_or_404(number)
    form = AttachmentForm()
    files = [f for f in request.files.getlist(form.files.name) if f and f.filename]
    if not form.validate_on_submit() or not files:
        flash(_("Yüklenecek bir dosya seçin."), "error")
        return redirect(_back(complaint))
    try:
        uploads = [casefile.check_upload(f.filename, f.stream) for f in files]
    except ValidationFailed as exc:
        flash(exc.errors["attachments"], "error")
        return redirect(_back(complaint))
    try:
        casefile.store_attachments(complaint.id, uploads, actor=current_user.username)
    except ValidationFailed as exc:  # the disk refused the file: nothing was recorded
        flash(exc.errors["attachments"], "error")
        return redirect(_back(complaint))
    flash(ngettext("%(num)d dosya eklendi.", "%(num)d dosya eklendi.", len(uploads)), "success")
    return redirect(_back(complaint))


@bp.get("/attachments/<int:attachment_id>")
@roles_required(*CASE_READERS)
def download(attachment_id: int):
    try:
        row, path = casefile.get_attachment(attachment_id)
    except NotFound:
        abort(404)
    record_personal_data_view(current_user, row.complaint_id, "attachment_download", ip=request.remote_addr)
    response = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.original_filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
