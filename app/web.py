"""Wire the staff web app into the factory: sign-in, CSRF, languages, filters, blueprints, headers."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_babel import refresh as babel_refresh
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import durations, i18n, labels, numbers, problem_text
from .access import has_role
from .extensions import babel, csrf, db, login_manager
from .models import User
from .risk_text import risk_text

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def select_locale() -> str:
    """The language the reader chose (kept in the session); the default one where there is no reader:
    an app context without a request (the CLI, the scheduler), where the services' messages are Turkish."""
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in user, or nobody once the session's epoch is past or the account is deactivated.

    `session_id` is `User.get_id()`: "<user id>:<session epoch>". Sign-out, a password or role change
    and deactivation raise the epoch, so every session (and remember-me cookie) issued before is void.
    """
    user_id, _, epoch = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and epoch.isascii() and epoch.isdigit()
            and int(user_id) < 2**31):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def format_instant(value: datetime | None, with_time: bool = True) -> str:
    """Europe/Istanbul (the business time zone), Turkish style: 25.11.2026 10:00."""
    if value is None:
        return "–"
    local = value.astimezone(current_app.extensions["complaintflow"].calendar.tz)
    return local.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure or current_app.config.get("FORCE_HSTS"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _fresh_request_caches() -> None:
    """Forget the signed-in user, CSRF token and locale cached on the app context by an earlier request.

    Each request normally has its own app context; tests (and CLI-driven code) may run several requests
    inside one, and then must not see the previous request's user.
    """
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    babel_refresh()


def _forget_request_locale(_exc=None) -> None:
    """After a request, code that goes on in the same app context (tests, CLI-driven code) has no
    reader: it gets the default language again, not the last request's."""
    babel_refresh()


class _IdConverter(IntegerConverter):
    """`<int:...>` in a URL: a database id, so anything past 32 bits is simply not found."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def init_web(app: Flask) -> None:
    app.url_map.converters["int"] = _IdConverter
    if app.config.get("PROXY_FIX_HOPS"):
        # Behind the TLS proxy of the production layout: client address and scheme from its headers,
        # so rate limits and the view log see customers, not the proxy.
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Devam etmek için giriş yapın.")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_timezone=app.config["BUSINESS_TIMEZONE"])
    i18n.install(app)

    app.jinja_env.filters["instant"] = format_instant
    app.jinja_env.filters["due"] = durations.due_text
    app.jinja_env.filters["percent"] = numbers.percent
    app.jinja_env.filters["decimal"] = numbers.decimal
    app.jinja_env.filters["suffix"] = numbers.after_number
    app.jinja_env.filters["reason_text"] = problem_text.reason
    app.jinja_env.filters["time_left"] = durations.left_text
    app.jinja_env.filters["risk_text"] = risk_text
    app.before_request(_fresh_request_caches)
    app.teardown_request(_forget_request_locale)
    app.after_request(_security_headers)

    @app.context_processor
    def _labels():
        return {"labels": labels, "has_role": has_role, "current_lang": select_locale(),
                "request_path": request.full_path.rstrip("?")}

    from .auth import bp as auth_bp
    from .errors import bp as errors_bp
    from .inbox import bp as inbox_bp
    from .intake import bp as intake_bp

    for bp in (errors_bp, auth_bp, inbox_bp, intake_bp):
        app.register_blueprint(bp)

    from .api import bp as api_bp
    from .api import docs_bp as api_docs_bp
    from .kvkk_admin import bp as kvkk_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)

    from .portal import bp as portal_bp

    app.register_blueprint(portal_bp)
    app.register_blueprint(kvkk_bp)

    from .review import init_review

    init_review(app)

    from .modeler import bp as modeler_bp
    from .modeler import vendor_bp

    app.register_blueprint(modeler_bp)
    app.register_blueprint(vendor_bp)
