"""Babel extractor for the forms: their titles, descriptions and option titles enter the catalog.

The forms are written in Turkish by analysts with their English under `x-i18n` (app/bilingual.py);
the catalog is the fallback for a text with no `x-i18n` English (then Turkish is shown). Used by babel.cfg:
`pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot app forms`.
"""

from __future__ import annotations

import json

TEXT_KEYS = ("title", "description")


def _texts(node):
    if isinstance(node, dict):
        for key in TEXT_KEYS:
            if isinstance(node.get(key), str) and node[key].strip():
                yield node[key]
        for key, value in node.items():
            if key != "x-i18n":  # the form's own English is not a catalog entry
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def extract_form_texts(fileobj, keywords, comment_tags, options):
    """Yield (line, function, message, comments) for every user-facing text of one JSON Schema form."""
    source = fileobj.read().decode("utf-8")
    lines = source.splitlines()
    for text in dict.fromkeys(_texts(json.loads(source))):
        quoted = json.dumps(text, ensure_ascii=False)
        lineno = next((i for i, line in enumerate(lines, 1) if quoted in line), 1)
        yield lineno, "_", text, ["form text"]
