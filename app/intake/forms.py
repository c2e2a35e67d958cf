"""The intake form; the service re-checks every field (channel, contact rules, lengths)."""

from uuid import uuid4

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateTimeLocalField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from .. import labels
from ..formkit import DeskForm, options
from ..services.complaints import registration as complaints
from ..services.errors import ValidationFailed

REQUIRED = _l("Bu alan zorunludur.")


class IntakeForm(DeskForm):
    # validate_choice off: the service's message names the kinds, in the reader's language.
    kind = SelectField(_l("Başvuru türü"), default="complaint", validate_choice=False,
                       choices=options(labels.KIND_LABELS.items()))
    channel = SelectField(_l("Başvuru kanalı"), validators=[DataRequired(REQUIRED)],
                          choices=options([("", _l("Seçin")),
                                           *((c, labels.CHANNEL_LABELS[c]) for c in labels.STAFF_CHANNELS)]))
    customer_name = StringField(_l("Müşteri adı soyadı"), validators=[DataRequired(REQUIRED), Length(max=200)],
                                render_kw={"autocomplete": "off"})
    customer_phone = TelField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    customer_email = EmailField(_l("E-posta"), validators=[Optional(), Length(max=254)])  # format: the service
    preferred_contact = SelectField(_l("Tercih edilen iletişim kanalı"), default="",
                                    choices=options([("", _l("Otomatik")), *labels.CONTACT_LABELS.items()]))
    subscription_number = StringField(_l("Hizmet / abone numarası"), validators=[Optional(), Length(max=50)])
    customer_segment = SelectField(_l("Müşteri segmenti"), default="individual",
                                   choices=options(list(labels.SEGMENT_LABELS.items())))
    service_impact = SelectField(_l("Hizmet etkisi"), default="other",
                                 choices=options(list(labels.SERVICE_IMPACT_LABELS.items())))
    category = SelectField(_l("Kategori (ön)"), default="", validate_choice=False)
    subject = StringField(_l("Konu"), validators=[Optional(), Length(max=200)])
    received_at = DateTimeLocalField(_l("Alınma zamanı (faks / mektup)"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    description = TextAreaField(_l("Şikâyet açıklaması"), validators=[DataRequired(REQUIRED), Length(max=10000)])
    attachments = MultipleFileField(_l("Ekler (taranmış mektup, faks…)"))
    idempotency_key = HiddenField(default=lambda: str(uuid4()))
    submit = SubmitField(_l("Şikâyeti kaydet"))

    FIELDS = ("kind", "channel", "customer_name", "customer_phone", "customer_email", "preferred_contact",
              "subscription_number", "subject", "description", "customer_segment", "service_impact", "category")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The categories the live version's classification offers; the handler may still change it.
        self.category.choices = [("", gettext("Belirtilmedi")),
                                 *((code, gettext(title)) for code, title in complaints.intake_categories().items())]

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks and the service's rules together (the contact rule spans two fields),
        so one submission shows every problem at once, not the contact rule only after the rest is fixed."""
        valid = super().validate(extra_validators)
        try:
            complaints.validate_intake(self.fields_dict())
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                field = getattr(self, name, None)
                if field is not None and hasattr(field, "errors") and not field.errors:
                    field.errors = [*field.errors, message]  # already in the reader's language
            return False
        return valid

    def fields_dict(self) -> dict:
        """The fields for the service; the receipt time is read in business time (the service checks it)."""
        fields = {name: getattr(self, name).data for name in self.FIELDS}
        received = self.received_at.data
        if received is not None:
            fields["received_at"] = received.replace(tzinfo=current_app.extensions["complaintflow"].calendar.tz)
        return fields
