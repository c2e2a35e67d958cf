"""The analysts' modeler: edit the procedure (BPMN + forms), check it, deploy and migrate versions."""

from flask import Blueprint

bp = Blueprint("modeler", __name__, url_prefix="/modeler")
vendor_bp = Blueprint("vendor", __name__)

from . import routes, vendor  # noqa: E402,F401
