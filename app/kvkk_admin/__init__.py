"""KVKK for administrators: the personal-data view log export and data-subject requests."""

from flask import Blueprint

bp = Blueprint("kvkk", __name__, url_prefix="/admin/kvkk")

from . import routes  # noqa: E402,F401
