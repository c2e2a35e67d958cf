"""Render a task's JSON Schema as HTML fields and turn the posted form back into task data.

Analysts own the schemas in forms/; this module only knows a few UI hints: `x-widget` (radio, select,
textarea), `oneOf` of {const, title} choices, booleans, `format: date-time`. Empty optional fields are
left out of the data, so `minLength` on optional text applies only to what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import has_request_context

from ..bilingual import node_text
from ..labels import form_text


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text, textarea, radio, select, checkbox, yesno, datetime, number
    required: bool
    description: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    error: str = ""
    max_length: int | None = None


def _choices(prop: dict) -> list[tuple[str, str]]:
    if "oneOf" in prop:
        return [(str(o["const"]), str(o.get("title", o["const"]))) for o in prop["oneOf"] if "const" in o]
    if "enum" in prop:
        return [(str(v), str(v)) for v in prop["enum"]]
    return []


def _kind(prop: dict, required: bool) -> str:
    widget = prop.get("x-widget")
    if prop.get("type") == "boolean":
        return "yesno" if required or widget == "radio" else "checkbox"
    if _choices(prop):
        return "radio" if widget == "radio" else "select"
    if prop.get("format") == "date-time":
        return "datetime"
    if prop.get("type") in ("integer", "number"):
        return "number"
    return "textarea" if widget == "textarea" else "text"


def _initial(prop: dict, kind: str) -> str:
    default = prop.get("default")
    if default is None:
        return ""
    if kind in ("checkbox", "yesno"):
        return "true" if default else "false"
    return str(default)


def _text(node: dict, key: str) -> str:
    """A title or description from the form in the reader's language (`x-i18n`, then the catalog)."""
    return form_text(node, key) if has_request_context() else node_text(node, key, None)


def _choice_titles(prop: dict) -> list[tuple[str, str]]:
    if "oneOf" in prop:
        return [(str(o["const"]), _text(o, "title") or str(o["const"])) for o in prop["oneOf"] if "const" in o]
    return _choices(prop)


def build_fields(schema: dict, values: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, defaults: dict[str, str] | None = None) -> list[Field]:
    """Fields in schema order; `values` are the raw strings to show again (what the user typed),
    `defaults` the starting values carried over from earlier steps (e.g. the proposed solution)."""
    required = set(schema.get("required", ()))
    errors = errors or {}
    defaults = defaults or {}
    fields = []
    for name, prop in schema.get("properties", {}).items():
        kind = _kind(prop, name in required)
        value = values.get(name, "") if values is not None else defaults.get(name) or _initial(prop, kind)
        fields.append(Field(name=name, label=_text(prop, "title") or name, kind=kind, required=name in required,
                            description=_text(prop, "description"),
                            choices=_choice_titles(prop), value=value,
                            error=errors.get(name, ""), max_length=prop.get("maxLength")))
    return fields


def raw_values(schema: dict, form) -> dict[str, str]:
    """What the user typed, per schema field (checkboxes as "true"/"false")."""
    values = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("type") == "boolean" and _kind(prop, name in schema.get("required", ())) == "checkbox":
            values[name] = "true" if form.get(name) else "false"
        else:
            values[name] = form.get(name, "")
    return values


def _local_to_iso(value: str, tz: ZoneInfo) -> str:
    """A datetime-local value ("2026-11-25T10:30") read in the business time zone, as ISO with offset."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.isoformat()


def to_data(schema: dict, values: dict[str, str], tz: ZoneInfo) -> dict:
    """Typed task data; empty fields are omitted, unparseable values are passed on for the schema to reject."""
    data: dict = {}
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        raw = (values.get(name) or "").strip()
        kind = _kind(prop, name in required)
        if kind == "checkbox":
            data[name] = raw == "true"
            continue
        if not raw:
            continue
        if kind == "yesno":
            data[name] = {"true": True, "false": False}.get(raw, raw)
        elif kind == "datetime":
            try:
                data[name] = _local_to_iso(raw, tz)
            except ValueError:
                data[name] = raw
        elif kind == "number":
            try:
                data[name] = int(raw) if prop.get("type") == "integer" else float(raw)
            except ValueError:
                data[name] = raw
        else:
            data[name] = raw if kind in ("radio", "select") else values.get(name, "").strip()
    return data
