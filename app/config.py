"""Configuration, read once from the environment (one class, a test subclass beside it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_LANE_ROLES = {
    "Şikâyet Kabul": ["intake"],
    "Şikâyet Uzmanı": ["handler"],
    "Şikâyetleri Ele Alma Yönetim Temsilcisi": ["representative"],
    "Müşteri": ["representative", "handler"],
}


INSTANCE_DIR = Path(os.environ.get("COMPLAINTFLOW_INSTANCE_DIR", PROJECT_ROOT / "instance"))
# The desk's settings file: the same KEY=value lines as the environment, read by every process (web,
# scheduler, a shell's `complaintflow outbox deliver`), so all of them agree. The environment wins.
SETTINGS_FILE = Path(os.environ.get("COMPLAINTFLOW_SETTINGS_FILE", INSTANCE_DIR / "complaintflow.env"))


def read_settings_file(path: Path) -> dict[str, str]:
    """KEY=value lines; blank lines and `#` comments skipped, one pair of surrounding quotes removed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    settings = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip().isidentifier():
            raise RuntimeError(f"{path}:{number}: expected KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        settings[key.strip()] = value
    return settings


_FILE_SETTINGS = read_settings_file(SETTINGS_FILE)


def setting(name: str, default=None):
    """The environment variable, else the settings file's line, else the default."""
    return os.environ.get(name, _FILE_SETTINGS.get(name, default))


def setting_source(name: str) -> str:
    """Where a setting comes from, for messages such as `outbox deliver`'s."""
    if name in os.environ:
        return "environment"
    if name in _FILE_SETTINGS:
        return str(SETTINGS_FILE)
    return "default"


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'complaintflow.db'}"


def _json_env(name: str, default):
    raw = setting(name)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"{name} must be JSON: {exc}") from exc


class Config:
    """Settings for a running desk; every value can be set by an environment variable."""

    SECRET_KEY = setting("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = setting("DATABASE_URL") or _default_database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    BUSINESS_TIMEZONE = setting("BUSINESS_TIMEZONE", "Europe/Istanbul")
    BUSINESS_DAY_START = setting("BUSINESS_DAY_START", "09:00")
    BUSINESS_DAY_END = setting("BUSINESS_DAY_END", "18:00")
    BUSINESS_HALF_DAY_END = setting("BUSINESS_HALF_DAY_END", "13:00")

    PROCESS_FILE = setting("PROCESS_FILE", str(PROJECT_ROOT / "processes" / "complaint.bpmn"))
    FORMS_DIR = setting("FORMS_DIR", str(PROJECT_ROOT / "forms"))
    LANE_ROLES = _json_env("LANE_ROLES", DEFAULT_LANE_ROLES)

    TIMER_SWEEP_SECONDS = float(setting("TIMER_SWEEP_SECONDS", "5"))
    TIMER_SWEEP_BATCH = int(setting("TIMER_SWEEP_BATCH", "200"))
    # Due instances one sweep fires at once on PostgreSQL (each in its own transaction); SQLite: one.
    TIMER_SWEEP_THREADS = int(setting("TIMER_SWEEP_THREADS", "4"))
    SCHEDULER_IN_PROCESS = setting("SCHEDULER_IN_PROCESS", "1") == "1"
    # Processes an outage's resolution is shared among (0: one per core; 1: in the scheduler job's own process).
    INCIDENT_WORKERS = int(setting("INCIDENT_WORKERS", "0"))
    # How often the scheduler looks for incident decisions to apply (the in-process one starts at once).
    INCIDENT_SWEEP_SECONDS = float(setting("INCIDENT_SWEEP_SECONDS", "5"))
    # /readyz: the scheduler counts as alive while its last timer sweep is at most this old.
    SCHEDULER_MAX_SILENCE_SECONDS = float(setting("SCHEDULER_MAX_SILENCE_SECONDS", "120"))
    AUDIT_CHECK_HOURS = float(setting("AUDIT_CHECK_HOURS", "24"))

    # Operations: /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (unset: /metrics is off);
    # LOG_FORMAT=json writes one JSON line per request and per scheduler job.
    METRICS_TOKEN = setting("METRICS_TOKEN", "")
    LOG_FORMAT = setting("LOG_FORMAT", "text")

    # Diagram code (scripts, conditions, timer expressions): the bound of one run at run time, and of the
    # deploy gate's scenarios, which run in a separate process (app.engine.isolation).
    SCRIPT_TIME_LIMIT_SECONDS = float(setting("SCRIPT_TIME_LIMIT_SECONDS", "1"))
    SCRIPT_MEMORY_LIMIT_MB = int(setting("SCRIPT_MEMORY_LIMIT_MB", "256"))
    # The hard bound of one run at run time, for what the tracer cannot interrupt (one long C-level
    # operation): past it the kernel ends the whole process (app.engine.watchdog) and the complaint is
    # flagged from the marker left in SCRIPT_WATCHDOG_DIR. 0 turns it off; it must exceed the limit above.
    SCRIPT_WATCHDOG_SECONDS = float(setting("SCRIPT_WATCHDOG_SECONDS", "5"))
    SCRIPT_WATCHDOG_DIR = setting("SCRIPT_WATCHDOG_DIR", str(INSTANCE_DIR / "running"))
    GATE_TIME_LIMIT_SECONDS = float(setting("GATE_TIME_LIMIT_SECONDS", "60"))
    GATE_MEMORY_LIMIT_MB = int(setting("GATE_MEMORY_LIMIT_MB", "512"))
    # A deadline further than this many business days from the step that arms it is refused by the gate.
    DEADLINE_HORIZON_BUSINESS_DAYS = int(setting("DEADLINE_HORIZON_BUSINESS_DAYS", "30"))

    REGISTRATION_PREFIX = setting("REGISTRATION_PREFIX", "SK")
    # Proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none, e.g. `make run`).
    PROXY_FIX_HOPS = int(setting("PROXY_FIX_HOPS", "0"))

    # Staff web app: cookies, sign-in lock-out, attachments, language.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = setting("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Sign-in guesses per account (any address): after LOGIN_MAX_FAILURES within the window the account
    # waits LOGIN_DELAY_MINUTES, doubled at each further round, at most LOGIN_DELAY_MAX_MINUTES.
    LOGIN_MAX_FAILURES = int(setting("LOGIN_MAX_FAILURES", "5"))
    LOGIN_FAILURE_WINDOW_MINUTES = int(setting("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
    LOGIN_DELAY_MINUTES = float(setting("LOGIN_DELAY_MINUTES", "1"))
    LOGIN_DELAY_MAX_MINUTES = float(setting("LOGIN_DELAY_MAX_MINUTES", "15"))
    ATTACHMENT_DIR = setting("ATTACHMENT_DIR", str(INSTANCE_DIR / "attachments"))
    MAX_ATTACHMENT_BYTES = int(setting("MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = 5 * MAX_ATTACHMENT_BYTES + 1024 * 1024
    INBOX_PAGE_SIZE = int(setting("INBOX_PAGE_SIZE", "25"))
    BABEL_DEFAULT_LOCALE = "tr"
    LANGUAGES = ("tr", "en")

    # Customer mail: SMTP delivery of the outbox, signed links, the e-mail channel.
    # No default server: an unset SMTP_HOST means "not configured", never a silent try of localhost:25.
    SMTP_HOST = setting("SMTP_HOST", "")
    SMTP_PORT = int(setting("SMTP_PORT", "25"))
    SMTP_USER = setting("SMTP_USER") or None
    SMTP_PASSWORD = setting("SMTP_PASSWORD") or None
    SMTP_STARTTLS = setting("SMTP_STARTTLS", "0") == "1"
    SMTP_SSL = setting("SMTP_SSL", "0") == "1"
    SMTP_TIMEOUT = float(setting("SMTP_TIMEOUT", "30"))
    MAIL_FROM = setting("MAIL_FROM", "Key İnternet Şikâyet Masası <sikayet@example.com.tr>")
    MAIL_REPLY_TO = setting("MAIL_REPLY_TO") or None
    PUBLIC_BASE_URL = setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    OUTBOX_MAX_ATTEMPTS = int(setting("OUTBOX_MAX_ATTEMPTS", "8"))
    OUTBOX_SWEEP_SECONDS = float(setting("OUTBOX_SWEEP_SECONDS", "30"))
    OUTBOX_BACKOFF_SECONDS = float(setting("OUTBOX_BACKOFF_SECONDS", "60"))
    OUTBOX_LEASE_SECONDS = float(setting("OUTBOX_LEASE_SECONDS", "300"))
    LINK_MAX_AGE_DAYS = int(setting("LINK_MAX_AGE_DAYS", "30"))
    MAIL_MAX_BYTES = int(setting("MAIL_MAX_BYTES", str(20 * 1024 * 1024)))
    # authserv-id of our MTA's Authentication-Results: a reply decides only if DMARC or an aligned DKIM passed.
    # "off" turns the check off explicitly; production refuses to start while it is empty.
    MAIL_TRUSTED_AUTHSERV_ID = setting("MAIL_TRUSTED_AUTHSERV_ID", "")
    MAIL_QUARANTINE_DIR = setting("MAIL_QUARANTINE_DIR", str(INSTANCE_DIR / "mail-quarantine"))
    # A hosted mailbox polled over IMAP with implicit TLS (`mail poll`, and the scheduler when IMAP_HOST is set).
    IMAP_HOST = setting("IMAP_HOST", "")
    IMAP_PORT = int(setting("IMAP_PORT", "993"))
    IMAP_USER = setting("IMAP_USER", "")
    IMAP_PASSWORD = setting("IMAP_PASSWORD") or None
    # A command printing an OAuth2 access token (XOAUTH2 sign-in instead of the password), run at each poll.
    IMAP_OAUTH2_COMMAND = setting("IMAP_OAUTH2_COMMAND") or None
    IMAP_CA_FILE = setting("IMAP_CA_FILE") or None
    IMAP_FOLDER = setting("IMAP_FOLDER", "INBOX")
    IMAP_PROCESSED_FOLDER = setting("IMAP_PROCESSED_FOLDER", "Complaintflow-Processed")
    IMAP_QUARANTINE_FOLDER = setting("IMAP_QUARANTINE_FOLDER", "Complaintflow-Quarantine")
    IMAP_POLL_SECONDS = float(setting("IMAP_POLL_SECONDS", "60"))
    IMAP_BATCH = int(setting("IMAP_BATCH", "100"))
    IMAP_TIMEOUT = float(setting("IMAP_TIMEOUT", "30"))

    # Customer portal: failed status lookups allowed per client address and per number within the window.
    PORTAL_LOOKUP_MAX_ATTEMPTS = int(setting("PORTAL_LOOKUP_MAX_ATTEMPTS", "10"))
    PORTAL_LOOKUP_WINDOW_MINUTES = int(setting("PORTAL_LOOKUP_WINDOW_MINUTES", "15"))
    # Complaint-form posts per client address within the window (generous: mobile carriers put many
    # customers behind one address).
    PORTAL_FORM_MAX_POSTS = int(setting("PORTAL_FORM_MAX_POSTS", "20"))
    PORTAL_FORM_WINDOW_MINUTES = int(setting("PORTAL_FORM_WINDOW_MINUTES", "15"))

    # At risk before the deadline (services.insight.risk): a step's history counts only with at least
    # AT_RISK_MIN_HISTORY completions (per priority), from the last AT_RISK_HISTORY_DAYS, at most
    # AT_RISK_SAMPLE_SIZE newest per step and priority; the scheduler recomputes every AT_RISK_SWEEP_MINUTES.
    AT_RISK_MIN_HISTORY = int(os.environ.get("AT_RISK_MIN_HISTORY", "10"))
    AT_RISK_HISTORY_DAYS = int(os.environ.get("AT_RISK_HISTORY_DAYS", "180"))
    AT_RISK_SAMPLE_SIZE = int(os.environ.get("AT_RISK_SAMPLE_SIZE", "200"))
    AT_RISK_SWEEP_MINUTES = float(os.environ.get("AT_RISK_SWEEP_MINUTES", "15"))
    # Complaints per batch of the XES event log (streamed: one batch in memory at a time).
    EVENT_LOG_BATCH = int(os.environ.get("EVENT_LOG_BATCH", "500"))

    # A complaint of the same customer and category within this many days before is a repeat complaint
    # (an input of the priority decision table, shown in the case file).
    REPEAT_COMPLAINT_DAYS = int(setting("REPEAT_COMPLAINT_DAYS", "30"))

    # Integrations and KVKK: API page size, retention per record category, security headers.
    API_MAX_LIMIT = int(setting("API_MAX_LIMIT", "100"))
    RETENTION_YEARS_CLOSED = float(setting("RETENTION_YEARS_CLOSED", "2"))
    RETENTION_YEARS_CANCELLED = float(setting("RETENTION_YEARS_CANCELLED", "2"))
    RETENTION_YEARS_VIEW_LOG = float(setting("RETENTION_YEARS_VIEW_LOG", "2"))
    RETENTION_DAYS_MAIL_QUARANTINE = float(setting("RETENTION_DAYS_MAIL_QUARANTINE", "90"))
    RETENTION_SWEEP_HOURS = float(setting("RETENTION_SWEEP_HOURS", "24"))
    FORCE_HSTS = setting("FORCE_HSTS", "0") == "1"
    ENV = setting("COMPLAINTFLOW_ENV", "development")


class TestConfig(Config):
    """Settings for the test suite: database from TEST_DATABASE_URL, no background scheduler."""

    TESTING = True
    SECRET_KEY = "test-only-secret"
    SQLALCHEMY_DATABASE_URI = setting("TEST_DATABASE_URL", "sqlite://")
    SCHEDULER_IN_PROCESS = False
    WTF_CSRF_ENABLED = False
    SCRIPT_WATCHDOG_DIR = ""  # the suite's own process is never killed; tests start real processes for it
