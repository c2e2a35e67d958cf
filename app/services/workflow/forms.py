"""Validate submitted task data against the task's JSON Schema (the version's own copy).

Messages are in the reader's language (app.i18n), a field's title too (its `x-i18n` English, app.bilingual).
"""

from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator

from app.bilingual import node_text
from app.i18n import gettext, locale
from app.services.errors import ValidationFailed
from app.services.text_rules import multi_line_problem, nested_problem, normalise_newlines, single_line_problem

_FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=_FORMAT_CHECKER)


def field_errors(schema: dict, data: dict) -> dict[str, str]:
    """Messages per field ("" for errors about the form as a whole), first error per field."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            errors.setdefault(missing, gettext("Bu alan zorunludur."))
            continue
        if error.validator == "additionalProperties":
            errors.setdefault("", error.message)
            continue
        field = str(error.path[0]) if error.path else ""
        errors.setdefault(field, _message(error, schema))
    errors.update(text_errors(schema, data))
    return errors


def _multi_line(schema: dict, name: str) -> bool:
    return schema.get("properties", {}).get(name, {}).get("x-widget") == "textarea"


def text_errors(schema: dict, data: dict) -> dict[str, str]:
    """The shared text rule (services.text_rules): a textarea is multi-line, any other string field single-line."""
    errors = {}
    for name, value in data.items():
        if isinstance(value, str):
            problem = (multi_line_problem if _multi_line(schema, name) else single_line_problem)(value)
        else:
            problem = nested_problem(value)
        problem = problem or nested_problem(str(name))
        if problem:
            errors[str(name) if str(name) in schema.get("properties", {}) else ""] = problem
    return errors


def normalised(schema: dict, data: dict) -> dict:
    """Task data with a browser's CR LF in textarea fields read as LF (what the text rule expects)."""
    return {name: normalise_newlines(value) if isinstance(value, str) and _multi_line(schema, name) else value
            for name, value in data.items()}


def _message(error, schema: dict) -> str:
    prop = schema.get("properties", {}).get(str(error.path[0]) if error.path else "", {})
    title = node_text(prop, "title", locale()) if isinstance(prop, dict) else ""
    prefix = f"{title}: " if title else ""
    if error.validator in ("enum", "oneOf", "const"):
        return prefix + gettext("Geçerli bir seçenek seçin.")
    if error.validator == "minLength":
        return prefix + gettext("Bu alan boş bırakılamaz.")
    if error.validator == "maxLength":
        return prefix + gettext("En fazla %(n)d karakter girilebilir.", n=error.validator_value)
    if error.validator == "format":
        return prefix + gettext("Geçerli bir değer girin (%(format)s).", format=error.validator_value)
    if error.validator == "type":
        return prefix + gettext("Geçersiz değer türü.")
    return prefix + error.message


def validate(schema: dict, data: dict) -> None:
    errors = field_errors(schema, data) if schema is not None else text_errors({}, data)
    if errors:
        raise ValidationFailed(errors)
