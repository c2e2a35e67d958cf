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

    REGISTRATION_PREFIX = os.environ.get("REGISTRATION_PREFIX", "SK")


class TestConfig(Config):
    """Settings for the test suite: database from TEST_DATABASE_URL, no background scheduler."""

    TESTING = True
    SECRET_KEY = "test-only-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SCHEDULER_IN_PROCESS = False
    WTF_CSRF_ENABLED = False
