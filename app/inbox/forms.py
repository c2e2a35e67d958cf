"""Forms of the staff pages; filters and search are GET forms without CSRF, every POST has it."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from .. import labels
from ..formkit import DeskForm, options, single_line


class InboxFilterForm(DeskForm):
    class Meta:
        csrf = False

    scope = SelectField(_l("Görevler"), default="visible", choices=options([
        ("visible", _l("Rollerim ve bana atananlar")), ("mine", _l("Bana atananlar")),
        ("unassigned", _l("Atanmamış")), ("roles", _l("Rollerimin görevleri")), ("all", _l("Tüm açık görevler"))]))
    due = SelectField(_l("Süre"), default="", choices=options([
        ("", _l("Tümü")), ("overdue", _l("Süresi geçmiş")), ("today", _l("Bugün bitenler")),
        ("at_risk", _l("Risk altında"))]))
    priority = SelectField(_l("Öncelik"), default="",
                           choices=options([("", _l("Tümü")), *labels.PRIORITY_LABELS.items()]))
    channel = SelectField(_l("Kanal"), default="", choices=options([("", _l("Tümü")), *labels.CHANNEL_LABELS.items()]))
    kind = SelectField(_l("Başvuru türü"), default="",
                       choices=options([("", _l("Tümü")), *labels.KIND_LABELS.items()]))
    q = StringField(_l("Kayıt no veya müşteri adı"), validators=[Optional(), Length(max=100), single_line])
    sort = SelectField(_l("Sıralama"), default="due", choices=options([
        ("due", _l("Bitiş zamanına göre")), ("age", _l("En eski önce"))]))
    page = IntegerField(default=1, validators=[Optional()])
    submit = SubmitField(_l("Listele"))


class AssignForm(DeskForm):
    assignee = SelectField(_l("Atanacak kişi"), choices=[], validators=[DataRequired()])
    submit = SubmitField(_l("Ata"))


class TaskForm(DeskForm):
    """The schema's fields are rendered by hand; this carries the CSRF token and the version seen."""

    expected_version = HiddenField()
    submit = SubmitField(_l("Görevi tamamla"))


class NoteForm(DeskForm):
    body = TextAreaField(_l("İç not"), validators=[DataRequired(_l("Not boş olamaz.")), Length(max=10000)])
    submit = SubmitField(_l("Notu ekle"))


class AttachmentForm(DeskForm):
    files = MultipleFileField(_l("Dosyalar"))
    submit = SubmitField(_l("Yükle"))


def _plausible_date(form, field) -> None:
    """Dates at the ends of the calendar overflow time-zone arithmetic; a complaint desk needs neither."""
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("2000 ile 2100 arasında bir tarih girin."))


class SearchForm(DeskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Kayıt no, müşteri adı, telefon veya e-posta"),
                    validators=[Optional(), Length(max=100), single_line])
    status = SelectField(_l("Durum"), default="",
                         choices=options([("", _l("Tümü")), *labels.STATUS_LABELS.items()]))
    kind = SelectField(_l("Başvuru türü"), default="",
                       choices=options([("", _l("Tümü")), *labels.KIND_LABELS.items()]))
    date_from = DateField(_l("Başlangıç tarihi"), validators=[Optional(), _plausible_date], id="from")
    date_to = DateField(_l("Bitiş tarihi"), validators=[Optional(), _plausible_date], id="to")
    page = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=100_000)])
    submit = SubmitField(_l("Ara"))


class KindForm(DeskForm):
    """Correct the kind of a registration; the service checks the kind and requires a reason."""

    kind = SelectField(_l("Doğru başvuru türü"), validate_choice=False, choices=options(labels.KIND_LABELS.items()))
    reason = TextAreaField(_l("Düzeltmenin nedeni"), validators=[Length(max=1000)], render_kw={"rows": 2})
    submit = SubmitField(_l("Türü düzelt"))


class ClaimForm(DeskForm):
    """Claim or release: only the CSRF token."""

    submit = SubmitField()



class IncidentOpenForm(DeskForm):
    title = StringField(_l("Başlık"), validators=[DataRequired(), Length(max=200), single_line])
    service = SelectField(_l("Hizmet / kategori"), default="", choices=[])
    districts = TextAreaField(_l("Bölge: ilçe / mahalle (her satıra bir tane)"), validators=[Length(max=5000)])
    service_numbers = TextAreaField(_l("veya hizmet (abone) numaraları (her satıra bir tane)"),
                                    validators=[Length(max=20000)])
    started_at = DateTimeLocalField(_l("Başlangıç zamanı"), format="%Y-%m-%dT%H:%M",
                                    validators=[DataRequired()])
    description = TextAreaField(_l("Açıklama"), validators=[DataRequired(), Length(max=10000)])
    submit = SubmitField(_l("Arıza kaydını aç"))


class IncidentResolveForm(DeskForm):
    root_cause_category = SelectField(_l("Kök neden"), choices=[], validators=[DataRequired()])
    root_cause = TextAreaField(_l("Kök neden analizi"), validators=[DataRequired(), Length(max=5000)])
    solution = TextAreaField(_l("Müşteriye iletilecek çözüm / karar"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Arızayı çözüldü olarak kapat ve kararı uygula"))


class IncidentLinkForm(DeskForm):
    """Link one complaint from its case file to an open incident."""

    incident = SelectField(_l("Arıza kaydı"), choices=[], validators=[DataRequired()])
    submit = SubmitField(_l("Arızaya bağla"))
