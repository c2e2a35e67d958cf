"""Public pages: no sign-in, CSRF on every POST, the services do the work and the checks."""

from __future__ import annotations

import time
from uuid import uuid4

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh as babel_refresh
from flask_login import current_user

from ..access import home_for
from ..services.complaints import case_status, casefile, customer, idempotency, links, lookup, portal
from ..services.errors import ValidationFailed
from ..services.mail import compose as mail_compose
from ..web import select_locale
from . import bp
from .forms import AnswerForm, ComplaintForm, LookupForm, SurveyForm
from .labels import NOW_TEXT, STAGE_LABELS

MAX_FILES = 5
CASE_SESSION_SECONDS = 30 * 60  # how long a successful lookup lets the browser see and answer the complaint


@bp.context_processor
def _stage_labels():
    return {"stage_labels": STAGE_LABELS, "now_text": NOW_TEXT}


def _attach_errors(form, exc: ValidationFailed) -> None:
    """The service's messages (already in the reader's language) at their fields, the rest flashed."""
    for name, message in exc.errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


@bp.route("/sikayet", methods=["GET", "POST"])
def complaint_form():
    form = ComplaintForm()
    status = 200
    if form.is_submitted():
        try:
            portal.count_form_post(request.remote_addr or "?")
        except portal.TooManyPosts:
            minutes = current_app.config["PORTAL_FORM_WINDOW_MINUTES"]
            return render_template("portal/too_many.html", minutes=minutes, what="form"), 429, \
                {"Retry-After": str(minutes * 60)}
        status = 422
        files = [f for f in request.files.getlist(form.attachments.name) if f and f.filename]
        if len(files) > MAX_FILES:
            form.attachments.errors = [_("En fazla %(n)d dosya ekleyebilirsiniz.", n=MAX_FILES)]
        elif form.validate():
            try:
                uploads = [casefile.check_upload(f.filename, f.stream) for f in files]
                complaint = portal.file_complaint(form.fields_dict(), uploads, consent=form.consent.data,
                                                  language=select_locale(),
                                                  idempotency_key=form.idempotency_key.data or None)
            except idempotency.KeyReused:
                _renew_key(form, _("Bu form daha önce farklı bilgilerle gönderildi; ilk gönderiminiz kayıtlıdır. "
                                   "Bu bilgilerle yeni bir şikâyet kaydetmek için formu yeniden gönderin."))
            except ValidationFailed as exc:
                if "idempotency_key" in exc.errors:
                    _renew_key(form, exc.errors.pop("idempotency_key"))
                _attach_errors(form, exc)
            else:
                session["portal_filed"] = complaint.registration_number
                return redirect(url_for("portal.filed"))
    return render_template("portal/form.html", form=form, max_files=MAX_FILES,
                           max_mb=max(1, current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024))), status


def _renew_key(form: ComplaintForm, message: str) -> None:
    """The posted key cannot be used (not one the form issued, or already used for other data): say so,
    and issue a new one so that sending the form again files what it now holds."""
    form.idempotency_key.data = str(uuid4())
    flash(message, "error")


@bp.get("/sikayet/alindi")
def filed():
    """The registration number and what happens next; kept in the session, never in the URL."""
    complaint = lookup.complaint_by_number(session.get("portal_filed", ""))
    if complaint is None:
        return redirect(url_for("portal.complaint_form"))
    return render_template("portal/filed.html", complaint=complaint, target_days=mail_compose.TARGET_DAYS)


@bp.get("/kvkk")
def kvkk():
    return render_template("portal/kvkk.html", version=portal.NOTICE_VERSION)


@bp.route("/takip", methods=["GET", "POST"])
def track():
    form = LookupForm()
    status, not_found = 200, False
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                complaint = case_status.find_complaint(form.number.data, form.contact.data,
                                                       ip=request.remote_addr or "?")
            except case_status.TooManyAttempts:
                minutes = current_app.config["PORTAL_LOOKUP_WINDOW_MINUTES"]
                return render_template("portal/too_many.html", minutes=minutes), 429
            if complaint is not None:
                session["portal_case"] = {"id": complaint.id, "until": time.time() + CASE_SESSION_SECONDS}
                return redirect(url_for("portal.status"))
            status, not_found = 404, True
    return render_template("portal/lookup.html", form=form, not_found=not_found), status


def _case_in_session():
    case = session.get("portal_case") or {}
    if not isinstance(case, dict) or case.get("until", 0) < time.time():
        return None
    return case_status.by_id(case.get("id"))


def _status_page(complaint, form: AnswerForm, status: int = 200):
    return render_template("portal/status.html", case=case_status.status_of(complaint), form=form), status


@bp.get("/takip/durum")
def status():
    complaint = _case_in_session()
    if complaint is None:
        return redirect(url_for("portal.track"))
    return _status_page(complaint, AnswerForm())


@bp.post("/takip/yanit")
def status_answer():
    complaint = _case_in_session()
    if complaint is None:
        return redirect(url_for("portal.track"))
    form = AnswerForm()
    if form.validate():
        try:
            customer.record_customer_answer(complaint, accepted=form.decision.data == "accept",
                                            reason=form.reason.data)
        except links.InvalidLink:
            flash(_("Bu şikâyet için yanıtınız zaten alınmış."), "info")
        except ValidationFailed as exc:
            _attach_errors(form, exc)
            return _status_page(complaint, form, 422)
        else:
            flash(_answered_message(form.decision.data), "success")
        return redirect(url_for("portal.status"))
    return _status_page(complaint, form, 422)


def _answered_message(decision: str) -> str:
    if decision == "accept":
        return _("Teşekkür ederiz. Çözümü kabul ettiğinizi kaydettik; şikâyetiniz kapatıldı.")
    if decision == "reject":
        return _("Teşekkür ederiz. Şikâyetiniz yeniden değerlendirmeye alındı; size en kısa sürede dönüş yapacağız.")
    return _("Teşekkür ederiz. Yanıtınız alındı.")


def _invalid_link(exc: links.InvalidLink, purpose: str):
    status = 400 if exc.kind == "tampered" else 410
    return render_template("portal/link_invalid.html", kind=exc.kind, purpose=purpose), status


def _customer_language(complaint) -> None:
    """A customer arriving from a mail link sees the pages in the mail's language unless they chose one."""
    if "lang" not in session and complaint.language in current_app.config["LANGUAGES"]:
        session["lang"] = complaint.language
        babel_refresh()


@bp.route("/yanit/<token>", methods=["GET", "POST"])
def answer(token: str):
    try:
        claim = links.verify_token(token, links.ANSWER)
    except links.InvalidLink as exc:
        return _invalid_link(exc, links.ANSWER)
    _customer_language(claim.complaint)
    form = AnswerForm()
    if request.method == "GET":
        form.decision.data = claim.action
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                customer.record_customer_answer(token, accepted=form.decision.data == "accept",
                                                reason=form.reason.data)
            except links.InvalidLink as exc:
                return _invalid_link(exc, links.ANSWER)
            except ValidationFailed as exc:
                _attach_errors(form, exc)
            else:
                return redirect(url_for("portal.answered", sonuc=form.decision.data))
    return render_template("portal/answer.html", complaint=claim.complaint, form=form, token=token), status


@bp.get("/yanit-alindi")
def answered():
    return render_template("portal/thanks.html", message=_answered_message(request.args.get("sonuc", "")))


@bp.route("/anket/<token>", methods=["GET", "POST"])
def survey(token: str):
    try:
        claim = links.verify_token(token, links.SURVEY)
    except links.InvalidLink as exc:
        return _invalid_link(exc, links.SURVEY)
    _customer_language(claim.complaint)
    form = SurveyForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                customer.record_survey(token, int(form.score.data), form.solved.data == "yes", form.comment.data)
            except links.InvalidLink as exc:
                return _invalid_link(exc, links.SURVEY)
            except ValidationFailed as exc:
                _attach_errors(form, exc)
            else:
                return redirect(url_for("portal.surveyed"))
    return render_template("portal/survey.html", complaint=claim.complaint, form=form, token=token), status


@bp.get("/anket-alindi")
def surveyed():
    return render_template("portal/thanks.html",
                           message=_("Anketimizi yanıtladığınız için teşekkür ederiz. Görüşleriniz hizmetimizi "
                                     "iyileştirmek için kullanılacaktır."))


@bp.get("/")
def home():
    """Customers land on the public complaint form; signed-in staff on their own start page."""
    if not current_user.is_authenticated:
        return complaint_form()
    return redirect(home_for(current_user))
