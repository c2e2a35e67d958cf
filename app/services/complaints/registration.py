"""Register a complaint (stage 1) and look one up by its registration number (stage 4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.engine import ProcedureFailure
from app.extensions import db
from app.i18n import gettext
from app.models import KINDS, Complaint, ProcessInstance, RegistrationCounter
from app.services import context, side_writes
from app.services.complaints.channels import (
    CHANNELS,
    CONTACT_CHANNELS,
    RECEIVED_EARLIER_CHANNELS,
)
from app.services.complaints.idempotency import KeyReused
from app.services.errors import NoLiveVersion, NotFound, ProcedureFailed, ValidationFailed
from app.services.procedure import versions
from app.services.text_rules import normalise_newlines, text_errors
from app.services.workflow import runtime

DEFAULT_KIND = "complaint"
MAX_RECEIPT_AGE = timedelta(days=30)

# Inputs of the priority decision table (processes/priority_suggestion.dmn) given at intake.
SERVICE_IMPACTS = ("no_service", "degraded", "billing", "other")
CUSTOMER_SEGMENTS = ("individual", "corporate")
_CATEGORY = re.compile(r"^[a-z_]{1,40}$")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{7,20}$")

SINGLE_LINE_FIELDS = ("kind", "channel", "customer_name", "customer_phone", "customer_email", "preferred_contact",
                      "subscription_number", "subject")
MULTI_LINE_FIELDS = ("description",)
# Complaint columns a channel fills from what it knows, not from intake fields (see `register`).
ORIGIN_COLUMNS = ("language", "source_message_id")
_LIMITS = {"customer_name": 200, "customer_phone": 40, "customer_email": 254, "subscription_number": 50,
           "subject": 200, "description": 10000}


def _clean(fields: dict) -> dict:
    cleaned = {}
    for key in ("kind", "channel", "customer_name", "customer_phone", "customer_email", "preferred_contact",
                "subscription_number", "subject", "description"):
        value = fields.get(key)
        cleaned[key] = value.strip() if isinstance(value, str) and value.strip() else None
    if cleaned["description"]:
        cleaned["description"] = normalise_newlines(cleaned["description"])
    for key in ("category", "service_impact", "customer_segment"):
        value = fields.get(key)
        cleaned[key] = value.strip() if isinstance(value, str) and value.strip() else None
    return cleaned


def _check_received_at(value, channel: str | None, at: datetime, errors: dict) -> datetime | None:
    """When a letter or fax was received: aware, not after `at`, not older than MAX_RECEIPT_AGE."""
    if value is None or value == "":
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        errors["received_at"] = gettext("Geçerli bir tarih ve saat girin.")
    elif channel not in RECEIVED_EARLIER_CHANNELS:
        errors["received_at"] = gettext("Alınma zamanı yalnızca faks ve posta ile gelen şikâyetler için girilir.")
    elif value > at:
        errors["received_at"] = gettext("Alınma zamanı gelecekte olamaz.")
    elif at - value > MAX_RECEIPT_AGE:
        errors["received_at"] = gettext("Alınma zamanı %(days)d günden eski olamaz.", days=MAX_RECEIPT_AGE.days)
    else:
        return context.utc(value)
    return None


def validate_intake(fields: dict, at: datetime | None = None) -> dict:
    """Checked, trimmed intake fields; raises ValidationFailed with messages per field,
    in the reader's language (Turkish outside a request).

    `received_at` (optional, faks and posta_kargo only) is when the complaint reached the desk, checked
    against `at`, the instant it is keyed in.
    """
    data = _clean(fields)
    errors: dict[str, str] = {}
    data["received_at"] = _check_received_at(fields.get("received_at"), data["channel"], context.utc(at), errors)
    if data["channel"] not in CHANNELS:
        errors["channel"] = gettext("Geçerli bir başvuru kanalı seçin.")
    data["kind"] = data["kind"] or DEFAULT_KIND
    if data["kind"] not in KINDS:
        errors["kind"] = gettext("Geçerli bir başvuru türü seçin (şikâyet, istek, görüş/öneri veya teşekkür).")
    if not data["customer_name"]:
        errors["customer_name"] = gettext("Müşteri adı zorunludur.")
    if not data["description"]:
        errors["description"] = gettext("Şikâyet açıklaması zorunludur.")
    if not data["customer_email"] and not data["customer_phone"]:
        errors["customer_email"] = gettext("E-posta adresi veya telefon numarasından en az biri gereklidir.")
    if data["customer_email"] and not _EMAIL.match(data["customer_email"]):
        errors["customer_email"] = gettext("Geçerli bir e-posta adresi girin.")
    if data["customer_phone"] and not _PHONE.match(data["customer_phone"]):
        errors["customer_phone"] = gettext("Geçerli bir telefon numarası girin.")
    for key, limit in _LIMITS.items():
        if data[key] and len(data[key]) > limit:
            errors[key] = gettext("En fazla %(n)d karakter girilebilir.", n=limit)
    preferred = data["preferred_contact"] or ("eposta" if data["customer_email"] else "telefon")
    if preferred not in CONTACT_CHANNELS:
        errors["preferred_contact"] = gettext("Geçerli bir iletişim tercihi seçin.")
    elif preferred == "eposta" and not data["customer_email"] and "customer_email" not in errors:
        errors["customer_email"] = gettext("E-posta ile iletişim için e-posta adresi gereklidir.")
    elif preferred == "telefon" and not data["customer_phone"] and "customer_phone" not in errors:
        errors["customer_phone"] = gettext("Telefonla iletişim için telefon numarası gereklidir.")
    data["preferred_contact"] = preferred
    data["service_impact"] = data["service_impact"] or "other"
    data["customer_segment"] = data["customer_segment"] or "individual"
    if data["service_impact"] not in SERVICE_IMPACTS:
        errors["service_impact"] = gettext("Geçerli bir hizmet etkisi seçin.")
    if data["customer_segment"] not in CUSTOMER_SEGMENTS:
        errors["customer_segment"] = gettext("Geçerli bir müşteri segmenti seçin.")
    if data["category"] is not None and (not _CATEGORY.match(data["category"])
                                        or data["category"] not in (intake_categories() or {data["category"]})):
        errors["category"] = gettext("Geçerli bir kategori seçin.")
    # Last, so it replaces a vaguer message: a CR/LF in a name would break every e-mail to the customer.
    errors.update(text_errors(data, single=SINGLE_LINE_FIELDS, multi=MULTI_LINE_FIELDS))
    if errors:
        raise ValidationFailed(errors)
    return data


def intake_categories() -> dict[str, str]:
    """The categories the live version's forms offer (code → title in the forms' language)."""
    try:
        forms = versions.forms_for(versions.live_version())
    except NoLiveVersion:
        return {}
    found = {}
    for schema in forms.values():
        for option in ((schema.get("properties") or {}).get("category") or {}).get("oneOf", ()):
            if isinstance(option, dict) and "const" in option:
                found[str(option["const"])] = str(option.get("title") or option["const"])
    return found


def _customer_key(data: dict) -> tuple | None:
    """Who the customer is for repeat detection: the subscription number, else the e-mail, else the phone."""
    for column in ("subscription_number", "customer_email", "customer_phone"):
        if data.get(column):
            return column, data[column]
    return None


def find_repeat(data: dict, received: datetime) -> Complaint | None:
    """The latest complaint of the same customer and category received within REPEAT_COMPLAINT_DAYS
    before this one (anonymised complaints no longer identify anyone)."""
    key = _customer_key(data)
    if key is None or not data.get("category"):
        return None
    days = current_app.config["REPEAT_COMPLAINT_DAYS"]
    column = getattr(Complaint, key[0])
    match = sa.func.lower(column) == key[1].lower() if key[0] == "customer_email" else column == key[1]
    return db.session.scalar(
        sa.select(Complaint).where(match, Complaint.category == data["category"],
                                   Complaint.anonymised_at.is_(None),
                                   Complaint.received_at >= received - timedelta(days=days),
                                   Complaint.received_at <= received)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(1))


def _counter_bump(year: int):
    counter = RegistrationCounter.__table__
    return (sa.update(counter).where(counter.c.year == year).values(last_number=counter.c.last_number + 1)
            .returning(counter.c.last_number))


def _next_registration_number(year: int, prefix: str) -> str:
    """Allocate the next number of the year, in a short transaction of its own.

    The counter row is locked for one statement, not through the engine run and the inserts of a
    registration: on PostgreSQL that lock kept more web workers from registering more complaints, and on
    SQLite the bump was the registration's first write, so the database's one write lock was held
    through the whole engine run (80% of a registration) and a second web worker only queued. A
    registration that fails after this leaves a gap; a number is never given twice. The counter's
    commit does not wait for the disk (`side_writes`): the registration's own durable commit comes later
    in the same log (PostgreSQL's WAL, SQLite's -wal file) and carries it, so a crash can only lose
    numbers that no stored complaint used. An in-memory SQLite database has no second connection to the
    same data and bumps the counter inside the registration's transaction.
    """
    engine = db.session.get_bind()
    if side_writes.in_memory(engine):
        return f"{prefix}-{year}-{_number_inside_transaction(year):06d}"
    return f"{prefix}-{year}-{_number_outside_transaction(engine, year):06d}"


def _number_inside_transaction(year: int) -> int:
    bump = _counter_bump(year)
    number = db.session.execute(bump).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.add(RegistrationCounter(year=year, last_number=0))
        except IntegrityError:
            pass
        number = db.session.execute(bump).scalar_one()
    return number


def _number_outside_transaction(engine: sa.Engine, year: int) -> int:
    with side_writes.engine_for(engine).connect() as conn:
        number = conn.execute(_counter_bump(year)).scalar()
        if number is None:
            table = RegistrationCounter.__table__
            dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
            conn.execute(dialect_insert(table).values(year=year, last_number=0).on_conflict_do_nothing())
            number = conn.execute(_counter_bump(year)).scalar_one()
    return number


@dataclass(frozen=True)
class Registration:
    """A registered complaint, and whether this call created it (False: its idempotency key did earlier)."""

    complaint: Complaint
    created: bool


# Built once. The id alone first: almost every key is new, and a plain look-up that finds nothing costs a
# third of an ORM one.
_ID_BY_IDEMPOTENCY_KEY = sa.select(Complaint.__table__.c.id).where(
    Complaint.__table__.c.idempotency_key == sa.bindparam("key"))


def _registered_with(idempotency_key: str, fingerprint: str | None) -> Complaint | None:
    """The complaint this key registered, if any; KeyReused when it came from a different request."""
    found = db.session.connection().execute(_ID_BY_IDEMPOTENCY_KEY, {"key": idempotency_key}).scalar()
    existing = db.session.get(Complaint, found) if found is not None else None
    if existing is not None and fingerprint and existing.idempotency_fingerprint \
            and existing.idempotency_fingerprint != fingerprint:
        raise KeyReused(existing.registration_number)
    return existing


def register(fields: dict, *, actor: str, at: datetime | None = None, idempotency_key: str | None = None,
             fingerprint: str | None = None, origin: dict | None = None,
             before_commit: Callable[[Complaint], None] | None = None) -> Registration:
    """Record a complaint and start its procedure, in one transaction.

    `idempotency_key` is already scoped to its caller (services.idempotency); a repeated key returns
    the complaint the first request created, or raises KeyReused when `fingerprint` (the request's)
    differs from the one stored with it. Concurrent requests with one key store one complaint: the
    unique key makes every loser roll back and return the winner's. `before_commit` lets a caller add
    its own rows (the portal's KVKK consent) inside that same transaction. `origin` holds what the channel
    knows beyond the intake fields (ORIGIN_COLUMNS: the customer's language, the Message-ID of the e-mail
    that opened the complaint), stored with the complaint's row rather than updated after it.
    """
    unknown = set(origin or ()) - set(ORIGIN_COLUMNS)
    if unknown:
        raise ValueError(f"not an origin column: {', '.join(sorted(unknown))}")
    at = context.utc(at)
    if idempotency_key:
        existing = _registered_with(idempotency_key, fingerprint)
        if existing is not None:
            return Registration(existing, False)
    data = validate_intake(fields, at)
    received = data.pop("received_at") or at
    desk = context.runtime()
    version = versions.live_version()
    bundle = versions.bundle_for(version)
    received_local = received.astimezone(desk.calendar.tz)
    repeat_of = find_repeat(data, received)

    try:
        number = _next_registration_number(at.astimezone(desk.calendar.tz).year, desk.registration_prefix)
        complaint = Complaint(
            registration_number=number, idempotency_key=idempotency_key,
            idempotency_fingerprint=fingerprint if idempotency_key else None, received_at=received,
            created_by=actor,
            created_at=at, updated_at=at, stage=1, status="open", repeat_of_id=repeat_of.id if repeat_of else None,
            **data, **(origin or {}),
        )
        seed = {
            "registration_number": number,
            "channel": data["channel"],
            "kind": data["kind"],
            "received_at": received_local.isoformat(),
            "preferred_contact": data["preferred_contact"],
            "customer_has_email": bool(data["customer_email"]),
            "category": data["category"],
            "service_impact": data["service_impact"],
            "customer_segment": data["customer_segment"],
            "repeat_complaint": repeat_of is not None,
        }
        run = desk.engine.start(bundle, seed, at=at)
        instance = ProcessInstance(version=version, status="running", created_at=at, updated_at=at)
        complaint.instance = instance
        runtime.save_run(complaint, instance, run, at=at, actor=actor, new=True, opening=(
            "registered", {"channel": data["channel"], "kind": data["kind"], "process_version": version.number,
                           **({"repeat_of": repeat_of.registration_number} if repeat_of else {}),
                           **({"received_at": received_local.isoformat()} if received != at else {})}))
        if before_commit is not None:
            before_commit(complaint)
        context.commit_keeping_loaded()
    except ProcedureFailure as exc:
        db.session.rollback()
        raise ProcedureFailed(exc.kind, exc.element, exc.name, exc.detail) from exc
    except IntegrityError:
        db.session.rollback()
        if idempotency_key:
            existing = _registered_with(idempotency_key, fingerprint)
            if existing is not None:
                return Registration(existing, False)
        raise
    except Exception:
        db.session.rollback()
        raise
    return Registration(complaint, True)


def register_complaint(fields: dict, *, actor: str, at: datetime | None = None,
                       idempotency_key: str | None = None, fingerprint: str | None = None,
                       origin: dict | None = None,
                       before_commit: Callable[[Complaint], None] | None = None) -> Complaint:
    """`register`, for callers that do not need to know whether the complaint is new."""
    return register(fields, actor=actor, at=at, idempotency_key=idempotency_key, fingerprint=fingerprint,
                    origin=origin, before_commit=before_commit).complaint


def get_by_number(registration_number: str) -> Complaint:
    complaint = db.session.scalar(
        sa.select(Complaint).where(Complaint.registration_number == registration_number.strip().upper())
    )
    if complaint is None:
        raise NotFound(f"no complaint {registration_number}")
    return complaint
