"""The procedure's own words in two languages: the diagram's English names and the forms' English texts.

Analysts write the procedure in Turkish (the customer's language) and add English beside it:

- Diagram: a flow node's English name is the `spiffworkflow:property` named `name_en` in its
  `spiffworkflow:properties` (SpiffWorkflow's spiff parser reads it into
  `task_spec.extensions["properties"]` for tasks and events).
- Forms: any schema node that has a `title` or `description` (the form itself, each field, each
  `oneOf` option) may carry `"x-i18n": {"en": {"title": ..., "description": ...}}`.

Where English is missing the Turkish text is shown, and the lint warns (a warning, never a refusal).
No Flask here: callers pass the locale.
"""

from __future__ import annotations

import copy

NAME_EN = "name_en"
I18N = "x-i18n"
TEXT_KEYS = ("title", "description")
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


def is_english(locale) -> bool:
    """True for an English locale (a Babel Locale, a string such as "en_GB", or None for Turkish)."""
    language = getattr(locale, "language", None) or str(locale or "tr")
    return language.lower().startswith("en")


def english_name(element) -> str | None:
    """The `name_en` property of one lxml BPMN element, or None."""
    for prop in element.iterfind(f"*/{SPIFF}properties/{SPIFF}property"):
        if prop.get("name") == NAME_EN and (prop.get("value") or "").strip():
            return prop.get("value").strip()
    return None


def english_text(node: dict, key: str) -> str | None:
    """`node["x-i18n"]["en"][key]` when it is a non-blank string, else None."""
    i18n = node.get(I18N)
    english = i18n.get("en") if isinstance(i18n, dict) else None
    value = english.get(key) if isinstance(english, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def node_text(node: dict, key: str, locale) -> str:
    """`node[key]` in the reader's language: its English translation for English readers, when it has one."""
    if is_english(locale) and english_text(node, key):
        return english_text(node, key)
    value = node.get(key)
    return value if isinstance(value, str) else ""


def localize_schema(schema: dict, locale) -> dict:
    """A copy of a form whose titles and descriptions are in the reader's language (Turkish as fallback)."""
    if not is_english(locale):
        return schema

    def walk(node):
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if k != I18N}
            for key in TEXT_KEYS:
                if isinstance(node.get(key), str):
                    out[key] = node_text(node, key, locale)
            if I18N in node:
                out[I18N] = copy.deepcopy(node[I18N])
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)


def form_gaps(schema) -> list[str]:
    """Where a form shows a person Turkish with no English beside it: JSON pointers such as
    "/properties/answer/title"."""
    gaps: list[str] = []

    def walk(node, path: str):
        if isinstance(node, dict):
            gaps.extend(f"{path}/{key}" for key in TEXT_KEYS
                        if isinstance(node.get(key), str) and node[key].strip() and not english_text(node, key))
            for key, value in node.items():
                if key not in (I18N, "if", "then", "else", "not", "$defs", "examples", "default", "const"):
                    walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}/{index}")

    walk(schema, "")
    return gaps


def diagram_names(tree) -> dict[str, tuple[str, str | None]]:
    """Every named element of a parsed BPMN tree (lxml) by id: (Turkish name, English name or None)."""
    names: dict[str, tuple[str, str | None]] = {}
    for element in tree.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}*"):
        element_id, name = element.get("id"), (element.get("name") or "").strip()
        if element_id and name:
            names[element_id] = (name, english_name(element))
    return names


def english_drawing(tree) -> None:
    """Rename, in place, every element that has a `name_en` to it: the diagram as English readers see it
    on the review pages (the stored diagram keeps its Turkish names)."""
    for element in tree.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}*"):
        english = english_name(element)
        if english and element.get("name"):
            element.set("name", english)
