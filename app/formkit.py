"""Select options for WTForms: `SelectChoice` where available (3.3+ deprecates tuples), tuples before."""

from __future__ import annotations

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3
    SelectChoice = None


def options(pairs) -> list:
    pairs = list(pairs)
    if SelectChoice is None:
        return pairs
    return [SelectChoice(value, label) for value, label in pairs]
