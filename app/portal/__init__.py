"""The customers' pages: the public complaint form, status lookup, answer links and the survey."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from . import routes  # noqa: E402,F401
