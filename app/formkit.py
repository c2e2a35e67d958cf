"""WTForms helpers: select options (`SelectChoice` on 3.3+, tuples before) and the shared text rule."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from .services.text_rules import single_line_problem

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3
    SelectChoice = None


def options(pairs) -> list:
    pairs = list(pairs)
    if SelectChoice is None:
        return pairs
    return [SelectChoice(value, label) for value, label in pairs]


def single_line(form, field) -> None:
    """services.text_rules for a one-line field the page only reads (a search box): a message, not a 400."""
    if isinstance(field.data, str) and single_line_problem(field.data):
        raise ValidationError(gettext(single_line_problem(field.data)))


# Messages the services raise and pages show through gettext; written out here so pybabel extracts
# them (tests/test_text_rules.py checks they match the services' constants).
SERVICE_MESSAGES = (
    _l("Bu alanda satır sonu veya kontrol karakteri kullanılamaz."),
    _l("Bu alanda kullanılamayan bir kontrol karakteri var (ör. NUL)."),
    _l("Form geçersiz veya eskimiş. Lütfen bilgilerinizi kontrol edip formu yeniden gönderin."),
)
