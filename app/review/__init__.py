"""Quality managers and auditors: the complaint list, one complaint's path, the dashboard and the report."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

# Readers see everything; only the actors intervene (reassign, suspend, resume, cancel).
REVIEW_READERS = ("quality_manager", "admin", "auditor")
REVIEW_ACTORS = ("quality_manager", "admin")

from . import dashboard, insight, routes  # noqa: E402,F401


def init_review(app) -> None:
    """Register the blueprint and merge its own message catalog into the app's (Flask-Babel merges directories)."""
    from pathlib import Path

    app.register_blueprint(bp)
    app.extensions["babel"].translation_directories.append(str(Path(__file__).parent / "translations"))
