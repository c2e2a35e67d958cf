"""Customer forms; the services check every field again (contact rules, lengths, consent)."""

from uuid import uuid4

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField, SubmitField, TelField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from .. import labels
from ..formkit import DeskForm, options
from ..services.complaints.registration import CUSTOMER_SEGMENTS, SERVICE_IMPACTS

REQUIRED = _l("Bu alan zorunludur.")
# Inputs of the priority suggestion (processes/priority_suggestion.dmn) in the customer's words; the staff
# form offers the same codes with desk wording (labels.SERVICE_IMPACT_LABELS).
IMPACT_CHOICES = {"no_service": _l("Hizmet tamamen kesildi"), "degraded": _l("Hizmet yavaş veya kesintili"),
                  "billing": _l("Fatura ile ilgili"), "other": _l("Diğer")}
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PHONE_PATTERN = r"^\+?[0-9 ()\-]{7,20}$"


class ComplaintForm(DeskForm):
    # The choice is checked in validate(), with a message in the reader's language (not WTForms' own);
    # a post without it (an older page, a script) is a complaint, as before kinds existed.
    kind = RadioField(_l("Bize ne iletmek istiyorsunuz?"), default="complaint", validate_choice=False,
                      choices=options(labels.KIND_LABELS.items()))
    customer_name = StringField(_l("Adınız soyadınız"), validators=[DataRequired(REQUIRED), Length(max=200)],
                                render_kw={"autocomplete": "name"})
    customer_email = EmailField(_l("E-posta adresiniz"), validators=[
        Optional(), Length(max=254), Regexp(EMAIL_PATTERN, message=_l("Geçerli bir e-posta adresi girin."))],
        render_kw={"autocomplete": "email"})
    customer_phone = TelField(_l("Telefon numaranız"), validators=[
        Optional(), Length(max=40), Regexp(PHONE_PATTERN, message=_l("Geçerli bir telefon numarası girin."))],
        render_kw={"autocomplete": "tel"})
    subscription_number = StringField(_l("Abone / hizmet numaranız"), validators=[Optional(), Length(max=50)])
    preferred_contact = RadioField(_l("Size nasıl ulaşalım?"), default="eposta",
                                   choices=options(labels.CONTACT_LABELS.items()),
                                   validators=[InputRequired(_l("Bir iletişim kanalı seçin."))])
    # Optional: a post without them (an older page, a script) gets the staff form's defaults. Checked in
    # validate() against the service's codes exactly, so a code with anything appended is refused.
    service_impact = RadioField(_l("Sorun hizmetinizi nasıl etkiliyor?"), default="other", validate_choice=False,
                                choices=options(IMPACT_CHOICES.items()))
    customer_segment = RadioField(_l("Müşteri türünüz"), default="individual", validate_choice=False,
                                  choices=options(labels.SEGMENT_LABELS.items()))
    subject = StringField(_l("Konu"), validators=[DataRequired(REQUIRED), Length(max=200)])
    description = TextAreaField(_l("Şikâyetiniz"), validators=[DataRequired(REQUIRED), Length(max=10000)],
                                render_kw={"rows": 8})
    attachments = MultipleFileField(_l("Ekler (isteğe bağlı)"))
    consent = BooleanField(_l("Aydınlatma metnini okudum; kişisel verilerimin şikâyetimin ele alınması için "
                              "işlenmesine açık rızam ile onay veriyorum."),
                           validators=[DataRequired(_l("Şikâyetinizi alabilmemiz için onayınız gereklidir."))])
    idempotency_key = HiddenField(default=lambda: str(uuid4()))
    submit = SubmitField(_l("Şikâyetimi gönder"))

    FIELDS = ("kind", "customer_name", "customer_phone", "customer_email", "preferred_contact", "subscription_number",
              "subject", "description", "service_impact", "customer_segment")

    def validate(self, extra_validators=None) -> bool:
        """The contact rules span two fields (and Optional() stops a field's own chain when it is empty)."""
        valid = super().validate(extra_validators)
        if self.kind.data and self.kind.data not in labels.KIND_LABELS:
            self.kind.errors = [*self.kind.errors, _l("Listedeki başvuru türlerinden birini seçin.")]
            valid = False
        for field, codes in ((self.service_impact, SERVICE_IMPACTS), (self.customer_segment, CUSTOMER_SEGMENTS)):
            if field.data and field.data not in codes:
                field.errors = [*field.errors, _l("Listedeki seçeneklerden birini seçin.")]
                valid = False
        email, phone, preferred = self.customer_email, self.customer_phone, self.preferred_contact.data
        if not email.data and not phone.data:
            email.errors = [*email.errors, _l("E-posta adresi veya telefon numarasından en az birini yazın.")]
        elif not email.data and preferred == "eposta":
            email.errors = [*email.errors, _l("E-posta ile ulaşmamızı istiyorsanız e-posta adresinizi yazın.")]
        elif not phone.data and preferred == "telefon":
            phone.errors = [*phone.errors, _l("Telefonla ulaşmamızı istiyorsanız telefon numaranızı yazın.")]
        else:
            return valid
        return False

    def fields_dict(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class LookupForm(DeskForm):
    number = StringField(_l("Kayıt numarası"), validators=[DataRequired(REQUIRED), Length(max=30)],
                         render_kw={"placeholder": "SK-2026-000001", "autocomplete": "off"})
    contact = StringField(_l("Kayıtlı e-posta adresiniz veya telefon numaranız"),
                          validators=[DataRequired(REQUIRED), Length(max=254)])
    submit = SubmitField(_l("Sorgula"))


class AnswerForm(DeskForm):
    """Accept the proposed solution, or say why it is not enough (the reason is required then)."""

    decision = RadioField(_l("Yanıtınız"), choices=options([("accept", _l("Çözümü kabul ediyorum")),
                                                            ("reject", _l("Çözümü yeterli bulmuyorum"))]),
                          validators=[InputRequired(_l("Lütfen bir seçenek işaretleyin."))])
    reason = TextAreaField(_l("Neden yeterli bulmuyorsunuz?"), validators=[Optional(), Length(max=5000)],
                           render_kw={"rows": 5})
    submit = SubmitField(_l("Yanıtımı gönder"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "reject" and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, _l("Lütfen çözümü neden yeterli bulmadığınızı yazın.")]
            return False
        return valid


class SurveyForm(DeskForm):
    score = RadioField(_l("Şikâyetinizin ele alınmasından ne kadar memnun kaldınız?"),
                       choices=options([("5", _l("5 — Çok memnun")), ("4", _l("4 — Memnun")),
                                        ("3", _l("3 — Kararsız")), ("2", _l("2 — Memnun değil")),
                                        ("1", _l("1 — Hiç memnun değil"))]),
                       validators=[InputRequired(_l("Lütfen 1 ile 5 arasında bir puan seçin."))])
    solved = RadioField(_l("Sorununuz çözüldü mü?"),
                        choices=options([("yes", _l("Evet")), ("no", _l("Hayır"))]),
                        validators=[InputRequired(_l("Lütfen sorununuzun çözülüp çözülmediğini belirtin."))])
    comment = TextAreaField(_l("Eklemek istedikleriniz (isteğe bağlı)"), validators=[Optional(), Length(max=5000)],
                            render_kw={"rows": 4})
    submit = SubmitField(_l("Anketi gönder"))
