"""Sentences the gate and the migration check say to people, kept with their template and parameters.

The engine speaks English (CLI, logs, API) and never imports Flask; a `Text` is an ordinary `str` that
also remembers `template` and `params`, and a problem dict carries them as `message_id` and `params`.
The web layer says the same sentence in the reader's language through the Babel domain "engine"
(app/translations/tr/LC_MESSAGES/engine.po, msgid = the English template), so a new sentence falls
back to English until it is translated, and nothing is parsed back out of English text.
"""

from __future__ import annotations


class Text(str):
    """"Form {form} does not exist." with form="x" -> the string "Form 'x' does not exist." plus its parts."""

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        text = super().__new__(cls, template.format(**{k: str(v) if isinstance(v, Text) else v
                                                        for k, v in params.items()}))
        text.template = template
        text.params = {k: _param(v) for k, v in params.items()}
        return text

    def __reduce__(self):
        return _rebuild, (self.template, self.params)


def _param(value):
    """Numbers stay numbers, a nested Text ("User task x") stays translatable, anything else is text."""
    if isinstance(value, Text):
        return message_fields(value)
    return value if isinstance(value, (int, float)) else str(value)


def _plain(value):
    return value["message"] if isinstance(value, dict) else value


def _rebuild(template: str, params: dict) -> Text:
    text = str.__new__(Text, template.format(**{k: _plain(v) for k, v in params.items()}))
    text.template, text.params = template, params
    return text


def message_fields(message: str) -> dict:
    """The keys a problem dict carries for `message`: the sentence, and its template and parameters."""
    if isinstance(message, Text):
        return {"message": str(message), "message_id": message.template, "params": dict(message.params)}
    return {"message": str(message)}
