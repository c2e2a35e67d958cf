"""Gate and migration sentences in the reader's language.

The engine says them in English and keeps each sentence's template and parameters
(app/engine/messages.py); here the template is looked up in the Babel domain "engine", whose Turkish
catalog (translations/tr/LC_MESSAGES/engine.po) has the English templates as msgids. English readers
get the engine's own sentence; a sentence not yet translated stays English rather than half-Turkish.
"""

from __future__ import annotations

from flask_babel import Domain, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ENGINE = Domain(domain="engine")

# Step attributes a migration check names as changed ("bpmn_name"), in words.
ATTRIBUTES = {
    "bpmn_name": _l("adı"), "documentation": _l("açıklaması"), "extensions": _l("özellikleri (form, kulvar…)"),
    "lane": _l("kulvarı"), "script": _l("betiği"), "prescript": _l("ön betiği"), "postscript": _l("son betiği"),
    "cond_task_specs": _l("koşulları"), "default_task_spec": _l("varsayılan akışı"),
    "event_definition": _l("olay tanımı"), "inputs": _l("gelen akışları"), "outputs": _l("giden akışları"),
}


def _turkish() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "tr"


def say(message: str, message_id: str | None = None, params: dict | None = None) -> str:
    """`message` as the reader's language has it: the translated template filled with `params`."""
    if not message_id or not _turkish():
        return str(message)
    catalog = getattr(ENGINE.get_translations(), "_catalog", {})
    if message_id not in catalog:  # not translated yet: the whole sentence stays as the engine said it
        return str(message)
    template = catalog[message_id]
    params = {k: say(v.get("message", ""), v.get("message_id"), v.get("params")) if isinstance(v, dict) else v
              for k, v in (params or {}).items()}
    if "attributes" in params:
        params["attributes"] = ", ".join(str(ATTRIBUTES.get(a.strip(), a.strip()))
                                         for a in str(params["attributes"]).split(","))
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(message)


def finding(item: dict) -> dict:
    """A live-lint finding (rule, element, message, severity) in the reader's language."""
    return problem(item)


def problem(item: dict) -> dict:
    """A gate problem with its message in the reader's language."""
    return {**item, "message": say(item.get("message", ""), item.get("message_id"), item.get("params"))}


def problems(items: list[dict]) -> list[dict]:
    return [problem(item) for item in items]


def line(item: dict) -> str:
    """One problem as a line for a flash message: element, stage and scenario in front of the sentence."""
    where = [item["element"]] if item.get("element") else []
    if item.get("stage"):
        where.append(_("aşama %(n)s", n=item["stage"]))
    if item.get("path"):
        where.append(item["path"])
    text = problem(item)["message"]
    return f"{' | '.join(where)}: {text}" if where else text


def reason(text) -> str:
    """A migration blocker (an engine `Text`, or a plain string) in the reader's language."""
    return say(str(text), getattr(text, "template", None), getattr(text, "params", None))
