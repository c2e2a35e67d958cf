"""REST API for integrations (call centre, billing): JSON under /api/v1, bearer tokens, problem+json errors.

`bp` carries the JSON endpoints; `docs_bp` serves the human page at /api listing them from the
OpenAPI document.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__)

from . import docs, problems, routes  # noqa: E402,F401
