"""Staff intake of complaints received by phone, fax, e-mail, post, face to face or survey."""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from . import routes  # noqa: E402,F401
