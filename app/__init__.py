"""complaintflow: TS ISO 10002 complaint handling on an executable BPMN procedure."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, send_from_directory

from .config import PROJECT_ROOT, Config
from .extensions import db, migrate

log = logging.getLogger(__name__)


def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL + synchronous=FULL: durable commits at a fraction of the rollback journal's cost."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    production = app.config.get("ENV") == "production" and not (app.debug or app.testing)
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set when COMPLAINTFLOW_ENV=production")
        log.warning("SECRET_KEY is not set: using a random key, sessions end when the process stops")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if production and not (app.config.get("MAIL_TRUSTED_AUTHSERV_ID") or "").strip():
        raise RuntimeError(
            "MAIL_TRUSTED_AUTHSERV_ID must be set when COMPLAINTFLOW_ENV=production: the authserv-id your MTA "
            "writes first in Authentication-Results (e.g. mx.example.com.tr), so that a forged From cannot "
            "accept or reject a complaint; or MAIL_TRUSTED_AUTHSERV_ID=off to let an e-mail reply from the "
            "address on record decide without that check")

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _tune_sqlite)

    from .services.context import DeskRuntime

    app.extensions["complaintflow"] = DeskRuntime(app.config)

    from .cli import register_commands

    register_commands(app)

    from .web import init_web

    init_web(app)

    @app.get("/healthz")
    def healthz():
        db.session.execute(sa.text("SELECT 1"))
        return {"status": "ok"}

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for it on every site, whatever the page links to."""
        return send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                   max_age=86400)

    return app
