"""Admin pages: find, export or anonymise one customer's complaints; download the view log as CSV."""

from __future__ import annotations

import json

from flask import Response, flash, render_template, stream_with_context
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access import roles_required
from ..services.privacy import retention
from ..services.privacy.personal_data_log import export_csv
from . import bp
from .forms import SubjectForm


@bp.get("/")
@roles_required("admin")
def index():
    return render_template("kvkk/index.html", form=SubjectForm(), found=None)


@bp.post("/")
@roles_required("admin")
def subject():
    form = SubjectForm()
    if not form.validate_on_submit() or not (form.email.data or form.phone.data):
        flash(_("E-posta veya telefon girin."), "error")
        return render_template("kvkk/index.html", form=form, found=None), 422
    email, phone = form.email.data or None, form.phone.data or None
    if form.action.data == "export":
        body = json.dumps(retention.export_subject(email, phone), ensure_ascii=False, indent=2)
        return Response(body, mimetype="application/json", headers={
            "Content-Disposition": "attachment; filename=kvkk-export.json", "Cache-Control": "private, no-store"})
    if form.action.data == "forget":
        if (form.confirm.data or "").strip().upper() != "ONAY":
            flash(_("Anonimleştirme için ONAY yazın."), "error")
            return render_template("kvkk/index.html", form=form, found=retention.complaints_of(email, phone)), 422
        report = retention.forget_subject(email, phone, actor=current_user.username)
        flash(ngettext("%(num)d şikâyet anonimleştirildi.", "%(num)d şikâyet anonimleştirildi.",
                       len(report.anonymised)) + " "
              + ngettext("%(num)d açık şikâyet atlandı.", "%(num)d açık şikâyet atlandı.", len(report.still_open)),
              "success")
    return render_template("kvkk/index.html", form=form, found=retention.complaints_of(email, phone))


@bp.get("/views.csv")
@roles_required("admin")
def views_csv():
    response = Response(stream_with_context(export_csv()), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=personal-data-views.csv"
    response.headers["Cache-Control"] = "private, no-store"
    return response
