"""Every text the application marks for translation has its English in the catalog.

The msgids are extracted from app/ the way babel.cfg does it (Python and Jinja templates, the default
keywords plus `_l`); each must have a non-empty, non-fuzzy English msgstr in
app/translations/en/LC_MESSAGES/messages.po, and the compiled .mo must say the same. A message without
one is shown to English readers in Turkish. The forms (forms/*.json) carry their own English in
`x-i18n` (tests/test_bilingual.py) and are not checked here.
"""

from __future__ import annotations

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
PO = APP / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def _extracted() -> dict[str, str]:
    """msgid (the singular for plurals) -> where it was first found."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(APP), METHODS, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"app/{filename}:{lineno}")
    return found


def _english(catalog, msgid: str) -> str:
    entry = catalog.get(msgid)
    if entry is None or entry.fuzzy:
        return ""
    text = entry.string
    return (text[0] if isinstance(text, tuple | list) else text) or ""


def test_every_msgid_in_the_application_has_english_in_the_catalog():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    found = _extracted()
    assert len(found) > 500  # the extraction saw the application, not an empty folder
    missing = {msgid: where for msgid, where in found.items() if not _english(catalog, msgid).strip()}
    if missing:
        print("msgids without English in messages.po:")
        for msgid, where in sorted(missing.items(), key=lambda item: item[1]):
            print(f"  {where}: {msgid!r}")
    assert missing == {}


def test_the_catalog_has_no_fuzzy_entry_and_the_compiled_catalog_matches_it():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    stale = [m.id for m in catalog if m.id and m.string and _english(compiled, m.id) != _english(catalog, m.id)]
    assert stale == [], "recompile: .venv/bin/pybabel compile -d app/translations -D messages"
