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


def _default_database_url() -> str:
    instance = Path(os.environ.get("COMPLAINTFLOW_INSTANCE_DIR", PROJECT_ROOT / "instance"))
    return f"sqlite:///{instance / 'complaintflow.db'}"


def _json_env(name: str, default):
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"{name} must be JSON: {exc}") from exc


class Config:
    """Settings for a running desk; every value can be set by an environment variable."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _default_database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    BUSINESS_TIMEZONE = os.environ.get("BUSINESS_TIMEZONE", "Europe/Istanbul")
    BUSINESS_DAY_START = os.environ.get("BUSINESS_DAY_START", "09:00")
    BUSINESS_DAY_END = os.environ.get("BUSINESS_DAY_END", "18:00")
    BUSINESS_HALF_DAY_END = os.environ.get("BUSINESS_HALF_DAY_END", "13:00")

    PROCESS_FILE = os.environ.get("PROCESS_FILE", str(PROJECT_ROOT / "processes" / "complaint.bpmn"))
    FORMS_DIR = os.environ.get("FORMS_DIR", str(PROJECT_ROOT / "forms"))
    LANE_ROLES = _json_env("LANE_ROLES", DEFAULT_LANE_ROLES)

    TIMER_SWEEP_SECONDS = float(os.environ.get("TIMER_SWEEP_SECONDS", "5"))
    TIMER_SWEEP_BATCH = int(os.environ.get("TIMER_SWEEP_BATCH", "200"))
    SCHEDULER_IN_PROCESS = os.environ.get("SCHEDULER_IN_PROCESS", "1") == "1"

    # Diagram code (scripts, conditions, timer expressions): the bound of one run at run time, and of the
    # deploy gate's scenarios, which run in a separate process (app.engine.isolation).
    SCRIPT_TIME_LIMIT_SECONDS = float(os.environ.get("SCRIPT_TIME_LIMIT_SECONDS", "1"))
    SCRIPT_MEMORY_LIMIT_MB = int(os.environ.get("SCRIPT_MEMORY_LIMIT_MB", "256"))
    GATE_TIME_LIMIT_SECONDS = float(os.environ.get("GATE_TIME_LIMIT_SECONDS", "60"))
    GATE_MEMORY_LIMIT_MB = int(os.environ.get("GATE_MEMORY_LIMIT_MB", "512"))
    # A deadline further than this many business days from the step that arms it is refused by the gate.
    DEADLINE_HORIZON_BUSINESS_DAYS = int(os.environ.get("DEADLINE_HORIZON_BUSINESS_DAYS", "30"))

    REGISTRATION_PREFIX = os.environ.get("REGISTRATION_PREFIX", "SK")
    # Proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none, e.g. `make run`).
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))

    # Staff web app: cookies, sign-in lock-out, attachments, language.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Sign-in guesses per account (any address): after LOGIN_MAX_FAILURES within the window the account
    # waits LOGIN_DELAY_MINUTES, doubled at each further round, at most LOGIN_DELAY_MAX_MINUTES.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", "15"))
    LOGIN_DELAY_MINUTES = float(os.environ.get("LOGIN_DELAY_MINUTES", "1"))
    LOGIN_DELAY_MAX_MINUTES = float(os.environ.get("LOGIN_DELAY_MAX_MINUTES", "15"))
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", str(PROJECT_ROOT / "instance" / "attachments"))
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = 5 * MAX_ATTACHMENT_BYTES + 1024 * 1024
    INBOX_PAGE_SIZE = int(os.environ.get("INBOX_PAGE_SIZE", "25"))
    BABEL_DEFAULT_LOCALE = "tr"
    LANGUAGES = ("tr", "en")

    # Customer mail: SMTP delivery of the outbox, signed links, the e-mail channel.
    SMTP_HOST = os.environ.get("SMTP_HOST", "localhost")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"
    SMTP_SSL = os.environ.get("SMTP_SSL", "0") == "1"
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "30"))
    MAIL_FROM = os.environ.get("MAIL_FROM", "Key İnternet Şikâyet Masası <sikayet@example.com.tr>")
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO") or None
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "8"))
    OUTBOX_SWEEP_SECONDS = float(os.environ.get("OUTBOX_SWEEP_SECONDS", "30"))
    OUTBOX_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_SECONDS", "60"))
    OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "300"))
    LINK_MAX_AGE_DAYS = int(os.environ.get("LINK_MAX_AGE_DAYS", "30"))
    MAIL_MAX_BYTES = int(os.environ.get("MAIL_MAX_BYTES", str(20 * 1024 * 1024)))
    # authserv-id of our MTA's Authentication-Results: a reply decides only if DMARC or an aligned DKIM passed.
    # "off" turns the check off explicitly; production refuses to start while it is empty.
    MAIL_TRUSTED_AUTHSERV_ID = os.environ.get("MAIL_TRUSTED_AUTHSERV_ID", "")
    MAIL_QUARANTINE_DIR = os.environ.get("MAIL_QUARANTINE_DIR", str(PROJECT_ROOT / "instance" / "mail-quarantine"))

    # Customer portal: failed status lookups allowed per client address and per number within the window.
    PORTAL_LOOKUP_MAX_ATTEMPTS = int(os.environ.get("PORTAL_LOOKUP_MAX_ATTEMPTS", "10"))
    PORTAL_LOOKUP_WINDOW_MINUTES = int(os.environ.get("PORTAL_LOOKUP_WINDOW_MINUTES", "15"))
    # Complaint-form posts per client address within the window (generous: mobile carriers put many
    # customers behind one address).
    PORTAL_FORM_MAX_POSTS = int(os.environ.get("PORTAL_FORM_MAX_POSTS", "20"))
    PORTAL_FORM_WINDOW_MINUTES = int(os.environ.get("PORTAL_FORM_WINDOW_MINUTES", "15"))

    # At risk before the deadline (services.insight.risk): a step's history counts only with at least
    # AT_RISK_MIN_HISTORY completions (per priority), from the last AT_RISK_HISTORY_DAYS, at most
    # AT_RISK_SAMPLE_SIZE newest per step and priority; the scheduler recomputes every AT_RISK_SWEEP_MINUTES.
    AT_RISK_MIN_HISTORY = int(os.environ.get("AT_RISK_MIN_HISTORY", "10"))
    AT_RISK_HISTORY_DAYS = int(os.environ.get("AT_RISK_HISTORY_DAYS", "180"))
    AT_RISK_SAMPLE_SIZE = int(os.environ.get("AT_RISK_SAMPLE_SIZE", "200"))
    AT_RISK_SWEEP_MINUTES = float(os.environ.get("AT_RISK_SWEEP_MINUTES", "15"))
    # Complaints per batch of the XES event log (streamed: one batch in memory at a time).
    EVENT_LOG_BATCH = int(os.environ.get("EVENT_LOG_BATCH", "500"))

    # Integrations and KVKK: API page size, retention per record category, security headers.
    API_MAX_LIMIT = int(os.environ.get("API_MAX_LIMIT", "100"))
    RETENTION_YEARS_CLOSED = float(os.environ.get("RETENTION_YEARS_CLOSED", "2"))
    RETENTION_YEARS_CANCELLED = float(os.environ.get("RETENTION_YEARS_CANCELLED", "2"))
    RETENTION_YEARS_VIEW_LOG = float(os.environ.get("RETENTION_YEARS_VIEW_LOG", "2"))
    RETENTION_DAYS_MAIL_QUARANTINE = float(os.environ.get("RETENTION_DAYS_MAIL_QUARANTINE", "90"))
    RETENTION_SWEEP_HOURS = float(os.environ.get("RETENTION_SWEEP_HOURS", "24"))
    FORCE_HSTS = os.environ.get("FORCE_HSTS", "0") == "1"
    ENV = os.environ.get("COMPLAINTFLOW_ENV", "development")


class TestConfig(Config):
    """Settings for the test suite: database from TEST_DATABASE_URL, no background scheduler."""

    TESTING = True
    SECRET_KEY = "test-only-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SCHEDULER_IN_PROCESS = False
    WTF_CSRF_ENABLED = False
