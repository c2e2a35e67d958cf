"""gettext for pages with many rows: Flask-Babel's translations, looked up once per locale per request.

Flask-Babel finds the request's domain, locale and catalog again on every call (several context
look-ups each time); an inbox page makes hundreds of calls for the same few labels. Here the catalog
is kept on the request's Babel context beside the locale it was found for, so a changed locale
(`force_locale` for a customer's e-mail, a language switch) is noticed and looked up afresh.
"""

from __future__ import annotations

from flask import g
from flask_babel import get_translations
from flask_babel.speaklater import LazyString


def translations():
    ctx = g.get("_flask_babel") if g else None
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
