"""Review forms: the list and dashboard filters are GET forms; every admin action carries CSRF and a reason."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..formkit import DeskForm

REASON_REQUIRED = _l("Gerekçe zorunludur.")


class ReasonForm(DeskForm):
    reason = TextAreaField(_l("Gerekçe"), validators=[DataRequired(REASON_REQUIRED), Length(max=1000)])
    submit = SubmitField(_l("Uygula"))


class ReassignForm(ReasonForm):
    assignee = SelectField(_l("Yeni sorumlu"), choices=[], validate_choice=False)
