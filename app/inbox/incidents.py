"""Incidents (arıza kayıtları): the list, the page, opening one, linking complaints and resolving it."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from .. import scheduler
from ..access import INCIDENT_ROLES, get_complaint_or_404, roles_required
from ..formkit import options
from ..services import context
from ..services.complaints import incidents, lookup
from ..services.complaints.case_record import choice_titles
from ..services.errors import NotFound, ValidationFailed
from . import bp
from .forms import ClaimForm, IncidentLinkForm, IncidentOpenForm, IncidentResolveForm, SearchForm


def _choices(field: str, blank: str | None = None) -> list:
    pairs = [(code, _(title)) for code, title in choice_titles(field).items()]
    return options(([("", blank)] if blank is not None else []) + pairs)


def _incident_or_404(incident_id: int):
    try:
        return incidents.get_incident(incident_id)
    except NotFound:
        abort(404)


@bp.get("/incidents")
@roles_required(*INCIDENT_ROLES)
def incident_list():
    return render_template("inbox/incidents.html", rows=incidents.list_incidents())


@bp.route("/incidents/new", methods=["GET", "POST"])
@roles_required(*INCIDENT_ROLES)
def incident_new():
    form = IncidentOpenForm()
    form.service.choices = _choices("category", _("Tümü"))
    if request.method == "GET" and form.started_at.data is None:
        form.started_at.data = context.utc(None).astimezone(context.runtime().calendar.tz).replace(
            second=0, microsecond=0, tzinfo=None)
    if form.validate_on_submit():
        tz = context.runtime().calendar.tz
        started = form.started_at.data.replace(tzinfo=tz)
        try:
            incident = incidents.open_incident(incidents.IncidentForm(
                form.title.data, form.service.data or None, form.districts.data or "", form.service_numbers.data or "",
                started, form.description.data), actor=current_user.username)
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                getattr(form, name, form.title).errors = [str(_MESSAGES.get(message, message))]
        else:
            flash(_("Arıza kaydı açıldı."), "success")
            return redirect(url_for("inbox.incident_page", incident_id=incident.id))
    return render_template("inbox/incident_new.html", form=form)


# The incident service's refusals are English codes (the API shows them as they are); a page shows them in
# the reader's language through this table. The text rule's messages come in the reader's language already.
_MESSAGES = {
    "required": _l("Bu alan zorunludur."),
    "the start lies in the future": _l("Başlangıç zamanı ileride olamaz."),
    "a region (districts / neighbourhoods) or service numbers are required":
        _l("Bir bölge (ilçe / mahalle) veya hizmet numaraları girin."),
}


@bp.get("/incidents/<int:incident_id>")
@roles_required(*INCIDENT_ROLES)
def incident_page(incident_id: int):
    return _incident_page(_incident_or_404(incident_id), _resolve_form())


def _resolve_form() -> IncidentResolveForm:
    form = IncidentResolveForm()
    form.root_cause_category.choices = _choices("root_cause_category")
    return form


def _incident_page(incident, resolve_form: IncidentResolveForm):
    suggestions = incidents.suggestions(incident) if incident.status == "open" else []
    return render_template("inbox/incident.html", incident=incident, linked=incidents.linked_complaints(incident.id),
                           progress=incidents.application_progress(incident.id), suggestions=suggestions,
                           resolve_form=resolve_form, token_form=ClaimForm())


@bp.get("/incidents/<int:incident_id>/application")
@roles_required(*INCIDENT_ROLES)
def incident_application(incident_id: int):
    """The progress line of the decision's application, fetched again by the incident page while it runs."""
    incident = _incident_or_404(incident_id)
    return render_template("inbox/_incident_application.html", incident=incident,
                           progress=incidents.application_progress(incident.id), refreshed=True)


def _report_links(outcome: incidents.LinkOutcome) -> None:
    if outcome.linked:
        flash(ngettext("%(num)d şikâyet arızaya bağlandı.", "%(num)d şikâyet arızaya bağlandı.",
                       len(outcome.linked)), "success")
    if outcome.skipped:
        flash(ngettext("%(num)d şikâyet bağlanmadı (açık değil ya da zaten bir arızaya bağlı).",
                       "%(num)d şikâyet bağlanmadı (açık değil ya da zaten bir arızaya bağlı).",
                       len(outcome.skipped)), "error")
    if not outcome.linked and not outcome.skipped:
        flash(_("Bağlanacak şikâyet seçilmedi."), "error")


def _link(incident_id: int, numbers: list[str], how: str) -> bool:
    try:
        _report_links(incidents.link(incident_id, numbers, how=how, actor=current_user.username))
    except NotFound:
        abort(404)
    except ValidationFailed:
        flash(_("Bu arıza kaydı çözülmüş; yeni şikâyet bağlanamaz."), "error")
        return False
    return True


@bp.post("/incidents/<int:incident_id>/link")
@roles_required(*INCIDENT_ROLES)
def incident_link(incident_id: int):
    """Link the suggestions the person ticked (never one they did not)."""
    if not ClaimForm().validate_on_submit():
        abort(400)
    _link(incident_id, request.form.getlist("numbers"), "suggestion")
    return redirect(url_for("inbox.incident_page", incident_id=incident_id))


@bp.post("/incidents/bulk-link")
@roles_required(*INCIDENT_ROLES)
def incident_bulk_link():
    """Link complaints from a search result: the ticked rows, or every complaint the search matches."""
    if not ClaimForm().validate_on_submit():
        abort(400)
    incident_id = request.form.get("incident", type=int)
    if incident_id is None:
        flash(_("Bir arıza kaydı seçin."), "error")
        return redirect(url_for("inbox.complaints"))
    if request.form.get("all_matching") == "1":
        search = SearchForm(request.form)
        if not search.validate():
            abort(400)
        stmt = lookup.matching_complaints(search.q.data or "", search.status.data or "", search.kind.data or "")
        stmt = lookup.within_dates(stmt, search.date_from.data, search.date_to.data)
        numbers = incidents.matching_numbers(stmt)
    else:
        numbers = request.form.getlist("numbers")
    _link(incident_id, numbers, "bulk")
    return redirect(url_for("inbox.incident_page", incident_id=incident_id))


@bp.post("/complaints/<number>/incident")
@roles_required(*INCIDENT_ROLES)
def complaint_incident(number: str):
    complaint = get_complaint_or_404(number)
    form = IncidentLinkForm()
    form.incident.choices = options((str(i.id), i.title) for i in incidents.open_incidents())
    if form.validate_on_submit():
        _link(int(form.incident.data), [complaint.registration_number], "case_file")
    else:
        flash(_("Bir arıza kaydı seçin."), "error")
    return redirect(url_for("inbox.complaint", number=complaint.registration_number))


@bp.post("/incidents/<int:incident_id>/resolve")
@roles_required(*INCIDENT_ROLES)
def incident_resolve(incident_id: int):
    """Give the decision once; on a resolved incident the same button finishes what is left. Both ask the
    scheduler's incident job to apply it (a large outage takes longer than a request should)."""
    incident = _incident_or_404(incident_id)
    decision = None
    # The decision form (also when posted from a page opened before someone else resolved the incident);
    # the "apply again" button of a resolved incident sends no decision.
    if incident.status == "open" or "solution" in request.form:
        form = _resolve_form()
        if not form.validate_on_submit():
            if incident.status != "open":
                return _resolved_meanwhile(incident)
            # The page again with what was typed and a message at each field (a redirect would lose the text).
            flash(_("Kök neden, kök neden analizi ve çözüm zorunludur."), "error")
            return _incident_page(incident, form)
        decision = incidents.Resolution(form.root_cause_category.data, form.root_cause.data, form.solution.data)
    elif not ClaimForm().validate_on_submit():
        abort(400)
    try:
        incidents.request_application(incident_id, decision, actor=current_user.username)
    except incidents.ResolvedMeanwhile:
        return _resolved_meanwhile(incident)
    except ValidationFailed as exc:
        for name, message in exc.errors.items():
            getattr(form, name, form.solution).errors = [str(_MESSAGES.get(message, message))]
        flash(_("Karar kaydedilmedi; işaretli alanları düzeltin."), "error")
        return _incident_page(incidents.get_incident(incident_id), form)
    scheduler.wake(current_app, scheduler.INCIDENT_RESOLUTIONS)
    # Its own category: the page takes this message away once the application has finished.
    flash(_("Karar kayıtta; analizde bekleyen bağlı şikâyetlere arka planda uygulanıyor. İlerleme bu sayfada."),
          "applying")
    return redirect(url_for("inbox.incident_page", incident_id=incident_id))


def _resolved_meanwhile(incident):
    """Someone resolved the incident after this page was opened: their decision stands, this one was not kept."""
    incident = incidents.get_incident(incident.id)
    flash(_("Bu arızayı %(who)s sizden önce başka bir kararla çözdü; geçerli karar aşağıda. Girdiğiniz karar "
            "kaydedilmedi.", who=incident.resolved_by), "error")
    return redirect(url_for("inbox.incident_page", incident_id=incident.id))
