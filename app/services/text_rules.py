"""One rule for the characters free text may hold, used by every entry point (form, intake, API, tasks, notes).

A single-line field (a name, subject, e-mail address, phone or subscription number) can end up in a
mail header or a CSV cell: a CR or LF there breaks every e-mail to the customer, so no control
character is allowed at all (nor the Unicode line and paragraph separators). A multi-line field
(a description, note or reason) keeps line breaks and tabs; a browser's CR LF is read as one line
break. NUL is refused everywhere: PostgreSQL cannot store it and SQLite would, so refusing it here
gives both databases the same behaviour — a message on the field, never a 400 or a 500.
The message is in the reader's language (app.i18n); the constants hold its Turkish source text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from app.i18n import N_, gettext

SINGLE_LINE_MESSAGE = N_("Bu alanda satır sonu veya kontrol karakteri kullanılamaz.")
MULTI_LINE_MESSAGE = N_("Bu alanda kullanılamayan bir kontrol karakteri var (ör. NUL).")
_MULTI_LINE_ALLOWED = frozenset("\n\t")
_SEPARATORS = frozenset("\u2028\u2029")


def _unstorable(ch: str) -> bool:
    """A lone surrogate cannot be encoded as UTF-8 by either database."""
    return unicodedata.category(ch) == "Cs"


def single_line_problem(value: str) -> str | None:
    """The message for a single-line value holding a control character, or None when it is fine."""
    for ch in value:
        if unicodedata.category(ch) == "Cc" or ch in _SEPARATORS or _unstorable(ch):
            return gettext(SINGLE_LINE_MESSAGE)
    return None


def normalise_newlines(value: str) -> str:
    """CR LF (what browsers send from a textarea) and a lone CR become LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def multi_line_problem(value: str) -> str | None:
    """The message for multi-line text holding a control character other than LF and tab (CR is read as LF)."""
    for ch in normalise_newlines(value):
        if (unicodedata.category(ch) == "Cc" and ch not in _MULTI_LINE_ALLOWED) or _unstorable(ch):
            return gettext(MULTI_LINE_MESSAGE)
    return None


def text_errors(data: dict, *, single: Iterable[str] = (), multi: Iterable[str] = ()) -> dict[str, str]:
    """Messages per field for the string values of `data` named in `single` or `multi`."""
    errors = {}
    for names, check in ((single, single_line_problem), (multi, multi_line_problem)):
        for name in names:
            value = data.get(name)
            if isinstance(value, str):
                message = check(value)
                if message:
                    errors[name] = message
    return errors


def nested_problem(value) -> str | None:
    """The multi-line rule over every string in a JSON-like value (keys included): task data, API bodies."""
    if isinstance(value, str):
        return multi_line_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            problem = nested_problem(str(key)) or nested_problem(item)
            if problem:
                return problem
    if isinstance(value, list | tuple):
        for item in value:
            problem = nested_problem(item)
            if problem:
                return problem
    return None
