"""Staff work: the inbox, task pages, complaint look-up, notes and attachments."""

from flask import Blueprint

bp = Blueprint("inbox", __name__)

from . import casefile, routes, tasks  # noqa: E402,F401
