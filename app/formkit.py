"""WTForms helpers: select options (`SelectChoice` on 3.3+, tuples before) and the shared text rule."""

from __future__ import annotations

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
    problem = single_line_problem(field.data) if isinstance(field.data, str) else None
    if problem:  # already in the reader's language
        raise ValidationError(problem)
