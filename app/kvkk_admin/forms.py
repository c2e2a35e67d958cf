"""Data-subject request form (POST with CSRF)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..formkit import DeskForm, options


class SubjectForm(DeskForm):
    email = StringField(_l("E-posta"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    action = SelectField(_l("İşlem"), validators=[DataRequired()], choices=options([
        ("find", _l("Kayıtları göster")), ("export", _l("Dışa aktar (JSON)")),
        ("forget", _l("Anonimleştir (kapanmış şikâyetler)"))]))
    confirm = StringField(_l("Anonimleştirmek için ONAY yazın"), validators=[Optional(), Length(max=10)])
    submit = SubmitField(_l("Uygula"))
