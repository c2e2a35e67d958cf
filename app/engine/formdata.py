"""Generate form data that satisfies a task's JSON Schema, for the deploy gate's simulated runs.

The gate cannot ask a person, so every user task is answered with the simplest valid data the
schema allows: the first option of a choice, a short string, `True`, an instant with an offset.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator

SAMPLE_INSTANT = "2026-11-25T10:00:00+03:00"
_FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER


def options(schema: dict) -> list:
    """The values a field may take when it is a choice (enum / const / oneOf of consts), else []."""
    if "const" in schema:
        return [schema["const"]]
    if "enum" in schema:
        return list(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and all(isinstance(s, dict) and "const" in s for s in schema[key]):
            return [s["const"] for s in schema[key]]
    return []


def sample_value(schema: dict):
    """One valid value for a field schema."""
    choices = options(schema)
    if choices:
        return choices[0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return sample_object(schema)
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
    if kind == "array":
        return [sample_value(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "null":
        return None
    fmt = schema.get("format")
    if fmt == "date-time":
        return SAMPLE_INSTANT
    if fmt == "date":
        return SAMPLE_INSTANT[:10]
    if fmt == "email":
        return "x@example.com"
    length = max(int(schema.get("minLength", 1)), 1)
    return "x" * min(length, int(schema.get("maxLength", length)))


def sample_object(schema: dict, overrides: dict | None = None) -> dict:
    """Every property filled (so conditional requirements hold), then the overrides applied."""
    data = {name: sample_value(sub) for name, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict)}
    data.update(overrides or {})
    return data


def variants(schema: dict, overrides: dict | None = None) -> list[dict]:
    """The sample, then the sample with each other option of each choice field (one field at a time)."""
    base = sample_object(schema, overrides)
    found = [base]
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict) or name in (overrides or {}):
            continue
        for option in options(sub)[1:]:
            found.append({**base, name: option})
    return found


def errors(schema: dict, data: dict) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.path)) or '(form)'}: {e.message}" for e in validator.iter_errors(data)]
