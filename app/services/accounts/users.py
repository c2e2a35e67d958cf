"""Staff accounts: create, roles, passwords, deactivation, sessions, and sign-in with growing waits.

Guesses are counted in the database (table `login_throttle`) per account name, whatever the client
address, so the limit holds across workers, restarts and addresses. A change of password, roles or
active state ends every session of the account.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.i18n import gettext
from app.models import LoginThrottle, User
from app.services import context
from app.services.errors import NotFound, ServiceError, ValidationFailed
from app.services.workflow import inbox

ROLES = ("intake", "handler", "representative", "analyst", "quality_manager", "admin", "auditor")
MIN_PASSWORD_LENGTH = 10
# Checked when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# After a day without failures an account's waits start again from the shortest.
STRIKES_FORGOTTEN_AFTER = timedelta(days=1)

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
    """The account waits after repeated failures; `minutes` is what is left of the wait (at least 1)."""

    def __init__(self, until: datetime, at: datetime):
        self.until = until
        self.minutes = max(1, math.ceil((until - at).total_seconds() / 60))
        super().__init__(f"too many failed sign-ins; waiting until {until.isoformat()}")


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


def _roles_string(roles: Iterable[str]) -> str:
    chosen = [r.strip() for r in roles if r and r.strip()]
    unknown = sorted(set(chosen) - set(ROLES))
    if unknown:
        raise ValidationFailed({"roles": gettext("Bilinmeyen rol: %(roles)s", roles=", ".join(unknown))})
    return " ".join(r for r in ROLES if r in chosen)


def _check_password(password: str, username: str = "") -> None:
    """Policy: at least MIN_PASSWORD_LENGTH characters, not only digits, not the username."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed({"password": gettext("Parola en az %(n)d karakter olmalıdır.", n=MIN_PASSWORD_LENGTH)})
    if password.isdigit():
        raise ValidationFailed({"password": gettext("Parola yalnızca rakamlardan oluşamaz.")})
    if username and password.strip().lower() == username.strip().lower():
        raise ValidationFailed({"password": gettext("Parola kullanıcı adıyla aynı olamaz.")})


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
        raise ValidationFailed({"username": gettext("Kullanıcı adı harf, rakam, nokta ve alt çizgiden oluşmalıdır.")})
    _check_password(password, username)
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationFailed({"username": gettext("Bu kullanıcı adı zaten var.")})
    user = User(username=username, full_name=full_name.strip() or username, email=email,
                password_hash=generate_password_hash(password), roles=_roles_string(roles),
                created_at=context.utc(at))
    db.session.add(user)
    db.session.commit()
    return user


def end_sessions(user: User) -> None:
    """Void every session (and remember-me cookie) of `user`, inside the caller's transaction.

    Sessions carry the epoch they were issued in (`User.get_id`); the user loader refuses any other.
    """
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(session_epoch=User.session_epoch + 1)
                       .execution_options(synchronize_session=False))
    db.session.expire(user, ["session_epoch"])


def sign_out(user: User) -> None:
    """Sign-out ends the user's sessions everywhere, so a copied cookie is worth nothing afterwards."""
    end_sessions(user)
    db.session.commit()


def set_roles(username: str, roles: Iterable[str], *, actor: str = "cli", at: datetime | None = None) -> User:
    """New roles take effect at once: sessions end, tasks in lanes the roles no longer cover go back."""
    at = context.utc(at)
    user = get_user(username)
    user.roles = _roles_string(roles)
    end_sessions(user)
    inbox.release_tasks_outside_lanes(user, actor=actor, at=at, reason="roles_changed")
    db.session.commit()
    return user


def set_password(username: str, password: str) -> User:
    """An administrator sets a password (e.g. a forgotten one): the user's sessions end."""
    user = get_user(username)
    _check_password(password, user.username)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    db.session.commit()
    return user


def deactivate(username: str, *, actor: str = "cli", at: datetime | None = None) -> User:
    """The account can no longer sign in, its sessions end and its open tasks go back to their lanes."""
    at = context.utc(at)
    user = get_user(username)
    user.active = False
    end_sessions(user)
    inbox.release_tasks_outside_lanes(user, actor=actor, at=at, reason="deactivated")
    db.session.commit()
    return user


def activate(username: str) -> User:
    user = get_user(username)
    user.active = True
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


def _insert_if_missing(key: str, at: datetime):
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(LoginThrottle).values(username=key, failures=0, strikes=0, last_failure_at=at) \
        .on_conflict_do_nothing(index_elements=["username"])


def _wait(strikes: int) -> timedelta:
    """1, 2, 4 ... minutes (LOGIN_DELAY_MINUTES doubled per earlier wait), capped at LOGIN_DELAY_MAX_MINUTES."""
    config = current_app.config
    minutes = min(config["LOGIN_DELAY_MINUTES"] * 2 ** min(strikes, 16), config["LOGIN_DELAY_MAX_MINUTES"])
    return timedelta(minutes=minutes)


def _reserve_guess(key: str, at: datetime) -> None:
    """Count one guess at `key` before its password is checked, or raise LoginLocked.

    One UPDATE both tests and counts, so parallel requests cannot all read "below the limit": at most
    LOGIN_MAX_FAILURES guesses are checked before the account waits. The guess that reaches the limit
    arms the wait in the same transaction; a correct password then clears it (`_forget_guesses`).
    The client address plays no part, so guesses spread over many addresses count the same.
    """
    config = current_app.config
    throttle = LoginThrottle
    forgotten = throttle.last_failure_at < at - timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"])
    quiet = throttle.last_failure_at < at - STRIKES_FORGOTTEN_AFTER
    db.session.execute(_insert_if_missing(key, at))
    counted = db.session.execute(
        sa.update(throttle)
        .where(throttle.username == key, sa.or_(throttle.blocked_until.is_(None), throttle.blocked_until <= at))
        .values(failures=sa.case((forgotten, 1), else_=throttle.failures + 1),
                strikes=sa.case((quiet, 0), else_=throttle.strikes),
                last_failure_at=at)
        .returning(throttle.failures, throttle.strikes)
        .execution_options(synchronize_session=False)
    ).first()
    if counted is None:
        until = db.session.scalar(sa.select(throttle.blocked_until).where(throttle.username == key))
        db.session.rollback()
        raise LoginLocked(until or at, at)
    if counted.failures >= config["LOGIN_MAX_FAILURES"]:
        db.session.execute(
            sa.update(throttle).where(throttle.username == key)
            .values(failures=0, strikes=counted.strikes + 1, blocked_until=at + _wait(counted.strikes))
            .execution_options(synchronize_session=False))
    db.session.commit()


def _forget_guesses(key: str) -> None:
    """The right password: the account starts afresh (no count, no wait, no strikes)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.username == key)
                       .execution_options(synchronize_session=False))


def authenticate(username: str, password: str, *, at: datetime | None = None) -> User:
    """The user for these credentials; raises LoginLocked or LoginFailed (one message for both failures).

    While the account waits, no password is checked at all: the right one is refused like a wrong one.
    The limit is per account name, so the client's address plays no part.
    """
    at = context.utc(at)
    key = (username or "").strip().lower()[:64]
    _reserve_guess(key, at)
    user = db.session.scalar(sa.select(User).where(User.username == key))
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if user is not None and ok and user.active:
        _forget_guesses(key)
        db.session.commit()
        return user
    db.session.rollback()
    raise LoginFailed("invalid credentials")


def change_own_password(user: User, current: str, new: str, *, at: datetime | None = None) -> User:
    """A signed-in user replaces their password; the current one is checked under the sign-in limit.

    Every session of the user ends; the caller signs the current browser in again.
    """
    at = context.utc(at)
    _reserve_guess(user.username, at)
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed({"current_password": gettext("Mevcut parola hatalı.")})
    _forget_guesses(user.username)
    try:
        _check_password(new, user.username)
    except ValidationFailed as exc:
        db.session.commit()
        raise ValidationFailed({"new_password": exc.errors["password"]}) from exc
    user.password_hash = generate_password_hash(new)
    end_sessions(user)
    db.session.commit()
    return user


def users_with_any_role(roles: Iterable[str]) -> list[User]:
    """Active users holding at least one of `roles` (candidates to assign a task to)."""
    wanted = set(roles)
    return [u for u in list_active_users() if u.role_set & wanted]


def list_active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.username)))
