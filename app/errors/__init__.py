"""Error pages: HTML for browsers, JSON for clients that ask for it."""

from flask import Blueprint

bp = Blueprint("errors", __name__)

from . import handlers  # noqa: E402,F401
