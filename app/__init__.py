"""complaintflow: TS ISO 10002 complaint handling on an executable BPMN procedure."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, send_from_directory

from .config import INSTANCE_DIR, PROJECT_ROOT, Config
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


def _development_secret_key(instance: Path) -> str:
    """A key made once in instance/ and kept, so sessions and customer links outlive a restart and
    every local process (server, scheduler, a shell's commands) signs with the same key."""
    path = instance / "secret_key"
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    instance.mkdir(parents=True, exist_ok=True)
    draft = instance / f".secret_key.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)  # atomic, and refuses to replace: two processes starting at once agree
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    key = path.read_text(encoding="ascii").strip()
    log.warning("SECRET_KEY is not set: created %s (development only; set SECRET_KEY in production)", path)
    return key


def _install_watchdog(app: Flask) -> None:
    """Every process of the desk (web worker, scheduler, CLI) bounds diagram code with the kernel's timer."""
    from .engine import watchdog

    seconds, directory = float(app.config["SCRIPT_WATCHDOG_SECONDS"]), app.config["SCRIPT_WATCHDOG_DIR"]
    if seconds <= 0 or not directory:
        return
    if seconds <= float(app.config["SCRIPT_TIME_LIMIT_SECONDS"]):
        raise RuntimeError("SCRIPT_WATCHDOG_SECONDS must be larger than SCRIPT_TIME_LIMIT_SECONDS: the watchdog "
                           "ends the whole process, the time limit only the script")
    try:
        watchdog.install(directory, seconds)
    except OSError as exc:  # a read-only instance directory: the tracer's bound still holds
        log.warning("the script watchdog is off: %s cannot be used (%s)", directory, exc)


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    production = app.config.get("ENV") == "production" and not (app.debug or app.testing)
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("SECRET_KEY must be set when COMPLAINTFLOW_ENV=production")
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))
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
    if not app.testing:
        _install_watchdog(app)

    from .cli import register_commands

    register_commands(app)

    from .web import init_web

    init_web(app)

    from .ops import init_ops

    init_ops(app)

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for it on every site, whatever the page links to."""
        return send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                   max_age=86400)

    return app
