"""WTForms helpers: the desk's base form, select options (`SelectChoice` on 3.3+, tuples before) and the
shared text rule."""

from __future__ import annotations

import functools

from babel import support
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from .services.text_rules import single_line_problem

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3
    SelectChoice = None


class DeskForm(FlaskForm):
    """Every form of the desk. WTForms' own messages ("Bu alan zorunludur.") come in the reader's language
    from a catalogue parsed once per language: Flask-WTF parses the file again on every request that builds
    a form (0.3 ms each time)."""

    class Meta:
        def get_translations(self, form):
            locale = get_locale() if has_request_context() else None
            if locale is None or not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)  # Flask-WTF's own choice
            return _wtforms_catalogue(str(locale))


@functools.lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def options(pairs) -> list:
    pairs = list(pairs)
    if SelectChoice is None:
        return pairs
    return [SelectChoice(value, label) for value, label in pairs]


def single_line(form, field) -> None:
    """services.text_rules for a one-line field the page only reads (a search box): a message, not a 400."""
    problem = single_line_problem(field.data) if isinstance(field.data, str) else None
    if problem:  # already in the reader's language
        raise ValidationError(problem)
