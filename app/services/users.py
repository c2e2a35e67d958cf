"""Staff accounts: create, roles, passwords, and sign-in with a lock-out after repeated failures.

Failed attempts are counted in the database (table `login_attempt`) per username and address, so
the lock-out holds across workers and restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import LoginAttempt, User
from . import context
from .errors import NotFound, ServiceError, ValidationFailed

ROLES = ("intake", "handler", "representative", "analyst", "quality_manager", "admin", "auditor")
MIN_PASSWORD_LENGTH = 10
# Checked when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")

# One demo account per role: fixed, printed by `complaintflow users seed-demo` (a demo, not a secret).
DEMO_USERS = (
    ("kabul", "Kabul Personeli", "intake"),
    ("uzman", "Şikâyet Uzmanı", "handler"),
    ("temsilci", "Yönetim Temsilcisi", "representative"),
    ("analist", "Süreç Analisti", "analyst"),
    ("kalite", "Kalite Yöneticisi", "quality_manager"),
    ("yonetici", "Sistem Yöneticisi", "admin"),
)


class LoginFailed(ServiceError):
    """Unknown user, wrong password or inactive account: one reason, never told apart."""


class LoginLocked(ServiceError):
    def __init__(self, until: datetime):
        self.until = until
        super().__init__(f"too many failed sign-ins; locked until {until.isoformat()}")


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


def _roles_string(roles: Iterable[str]) -> str:
    chosen = [r.strip() for r in roles if r and r.strip()]
    unknown = sorted(set(chosen) - set(ROLES))
    if unknown:
        raise ValidationFailed({"roles": f"Bilinmeyen rol: {', '.join(unknown)}"})
    return " ".join(r for r in ROLES if r in chosen)


def _check_password(password: str, username: str = "") -> None:
    """Policy: at least MIN_PASSWORD_LENGTH characters, not only digits, not the username."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed({"password": f"Parola en az {MIN_PASSWORD_LENGTH} karakter olmalıdır."})
    if password.isdigit():
        raise ValidationFailed({"password": "Parola yalnızca rakamlardan oluşamaz."})
    if username and password.strip().lower() == username.strip().lower():
        raise ValidationFailed({"password": "Parola kullanıcı adıyla aynı olamaz."})


def get_user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


def create_user(username: str, full_name: str, password: str, roles: Iterable[str], email: str | None = None,
                at: datetime | None = None) -> User:
    username = (username or "").strip().lower()
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").isalnum():
        raise ValidationFailed({"username": "Kullanıcı adı harf, rakam, nokta ve alt çizgiden oluşmalıdır."})
    _check_password(password, username)
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed({"username": "Bu kullanıcı adı zaten var."})
    user = User(username=username, full_name=full_name.strip() or username, email=email,
                password_hash=generate_password_hash(password), roles=_roles_string(roles),
                created_at=context.utc(at))
    db.session.add(user)
    db.session.commit()
    return user


def set_roles(username: str, roles: Iterable[str]) -> User:
    user = get_user(username)
    user.roles = _roles_string(roles)
    db.session.commit()
    return user


def set_password(username: str, password: str) -> User:
    user = get_user(username)
    _check_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    db.session.commit()
    return user


def seed_demo() -> list[tuple[User, str, bool]]:
    """Create the demo accounts that are missing; returns (user, demo password, created now)."""
    result = []
    for username, full_name, role in DEMO_USERS:
        existing = db.session.scalar(sa.select(User).where(User.username == username))
        if existing is not None:
            result.append((existing, demo_password(username), False))
            continue
        result.append((create_user(username, full_name, demo_password(username), [role]),
                       demo_password(username), True))
    return result


def authenticate(username: str, password: str, *, ip: str, at: datetime | None = None) -> User:
    """The user for these credentials; raises LoginLocked or LoginFailed (one message for both failures)."""
    at = context.utc(at)
    key = (username or "").strip().lower()[:64]
    ip = (ip or "?")[:45]
    window = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    recent = sa.and_(LoginAttempt.username == key, LoginAttempt.ip == ip, LoginAttempt.at > at - window)
    failures = db.session.scalars(sa.select(LoginAttempt.at).where(recent).order_by(LoginAttempt.at)).all()
    if len(failures) >= current_app.config["LOGIN_MAX_FAILURES"]:
        db.session.rollback()
        raise LoginLocked(failures[-1] + window)

    user = db.session.scalar(sa.select(User).where(User.username == key))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is not None and ok and user.active:
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.username == key, LoginAttempt.ip == ip))
        db.session.commit()
        return user
    db.session.execute(sa.delete(LoginAttempt).where(
        LoginAttempt.username == key, LoginAttempt.ip == ip, LoginAttempt.at <= at - window))
    db.session.add(LoginAttempt(username=key, ip=ip, at=at))
    db.session.commit()
    raise LoginFailed("invalid credentials")


def users_with_any_role(roles: Iterable[str]) -> list[User]:
    """Active users holding at least one of `roles` (candidates to assign a task to)."""
    wanted = set(roles)
    return [u for u in list_users() if u.active and u.role_set & wanted]
