"""gettext for pages with many rows: Flask-Babel's translations, looked up once per locale per request.

Flask-Babel finds the request's domain, locale and catalog again on every call (several context
look-ups each time); an inbox page makes hundreds of calls for the same few labels. Here the catalog
is kept on the request's Babel context beside the locale it was found for, so a changed locale
(`force_locale` for a customer's e-mail, a language switch) is noticed and looked up afresh.

The services build their messages with `gettext` when they raise them, so every caller gets the
reader's language: a request's locale, the default locale (Turkish) in an app context without a
request (the CLI, the scheduler), and the msgid itself (Turkish) outside any app context. A message
kept in a module constant is marked with `N_` (extracted by pybabel) and translated where it is used.
"""

from __future__ import annotations

import functools

from babel import dates, numbers
from flask import g
from flask.globals import _cv_app
from flask_babel import force_locale, get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString

DESK_LOCALE = "tr"  # the language the desk records in (audit trail), whatever the reader's


def _babel_context():
    # The app context straight from its context variable: `g` is a proxy, and an inbox page asks ~300 times.
    app_ctx = _cv_app.get(None)
    return app_ctx.g.get("_flask_babel") if app_ctx is not None else None


def translations():
    ctx = _babel_context()
    if ctx is not None:
        cached = getattr(ctx, "cf_translations", None)
        if cached is not None and cached[0] is getattr(ctx, "babel_locale", None) \
                and cached[1] is getattr(ctx, "babel_domain", None):
            return cached[2]
    found = get_translations()
    ctx = g.get("_flask_babel") if g else None
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.cf_translations = (ctx.babel_locale, getattr(ctx, "babel_domain", None), found)
    return found


def format_datetime(value, pattern: str) -> str:
    """Flask-Babel's `format_datetime` (the reader's locale, the desk's time zone) with the locale and zone
    it found for this request read back directly: a page of rows formats one instant per row."""
    ctx = _babel_context()
    locale = getattr(ctx, "babel_locale", None) or get_locale()
    zone = getattr(ctx, "babel_tzinfo", None) or get_timezone()
    return _formatted_datetime(value, pattern, zone, locale)


def format_decimal(number, pattern: str) -> str:
    """Flask-Babel's `format_decimal`, the same way as `format_datetime`."""
    ctx = _babel_context()
    if isinstance(number, float):
        number += 0.0  # -0.0 becomes 0.0: equal keys of the cache below must give the same text
    return _formatted_decimal(number, pattern, getattr(ctx, "babel_locale", None) or get_locale())


# Babel works a pattern out anew on every call (a tenth of an inbox page: a due date and an at-risk figure
# per row). The same instants and figures come back on every page of the same tasks, so each text is kept.
@functools.lru_cache(maxsize=4096)
def _formatted_datetime(value, pattern, zone, locale) -> str:
    return dates.format_datetime(value, pattern, tzinfo=zone, locale=locale)


@functools.lru_cache(maxsize=1024)
def _formatted_decimal(number, pattern, locale) -> str:
    return numbers.format_decimal(number, format=pattern, locale=locale)


def N_(string: str) -> str:  # noqa: N802 - Babel's marker: extract this text, translate it where it is used
    return string


def desk_language():
    """`force_locale` of the desk's own language (Turkish): for what a service records, such as a refusal
    kept in the audit trail, whoever (and in whatever language) runs it."""
    return force_locale(DESK_LOCALE)


def locale():
    """The reader's Babel locale (see the module docstring), or None outside any app context."""
    return get_locale()


def gettext(string: str, **variables) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


def install(app) -> None:
    """Jinja's `_`, `gettext` and `ngettext` use the cached catalog (after Flask-Babel's own set-up)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
