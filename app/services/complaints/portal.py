"""A complaint filed by the customer on the public form, with the KVKK consent given there.

The consent row (which notice text, its hash, when, in which language) is written in the same
transaction as the complaint, so there is never a web complaint without its consent on record.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.i18n import gettext
from app.models import Complaint, ConsentRecord, LookupAttempt
from app.services import audit, context, side_writes
from app.services.complaints import casefile, idempotency
from app.services.complaints import registration as complaints
from app.services.complaints.casefile import Upload
from app.services.errors import ServiceError, ValidationFailed

PORTAL_ACTOR = "portal"
# Raise the version whenever the text of app/templates/portal/kvkk_notice.*.html changes.
NOTICE_VERSION = "2026-11-v1"
LANGUAGES = ("tr", "en")
_NOTICE_DIR = Path(__file__).resolve().parents[2] / "templates" / "portal"
FORM_POST_SCOPE = "form_ip"


class TooManyPosts(ServiceError):
    """This client address sent more complaint forms within the window than PORTAL_FORM_MAX_POSTS."""


@cache
def notice_sha256(language: str) -> str:
    """SHA-256 of the notice text shown in `language`: proof of exactly what the customer agreed to."""
    return hashlib.sha256((_NOTICE_DIR / f"kvkk_notice.{language}.html").read_bytes()).hexdigest()


def file_complaint(fields: dict, uploads: list[Upload], *, consent: bool, language: str,
                   idempotency_key: str | None, at: datetime | None = None) -> Complaint:
    """Register a web complaint with its consent and attachments; a repeated key returns the first one.

    `idempotency_key` is the UUID the form issued (anything else is refused); the same key with
    other fields or files raises idempotency.KeyReused.
    """
    at = context.utc(at)
    key = idempotency.portal_key(idempotency_key)
    if consent is not True:
        raise ValidationFailed({"consent": gettext("Şikâyetinizi alabilmemiz için onayınız gereklidir.")})
    fields = {**fields, "channel": "web"}
    fingerprint = idempotency.fingerprint(fields, *(u.sha256 for u in uploads))
    language = language if language in LANGUAGES else "tr"

    def record_consent_and_files(complaint: Complaint) -> None:
        """Consent and attachments commit with the complaint, or none of them does."""
        db.session.execute(_ADD_CONSENT, {"complaint_id": complaint.id, "notice_version": NOTICE_VERSION,
                                          "notice_sha256": notice_sha256(language), "language": language,
                                          "source": PORTAL_ACTOR, "consented_at": at})
        audit.record_many(complaint.id, [("consent_given", {"notice_version": NOTICE_VERSION, "language": language})],
                          actor=PORTAL_ACTOR, at=at)
        if uploads:
            casefile.add_attachments(complaint.id, uploads, actor=PORTAL_ACTOR, at=at)

    return complaints.register_complaint(fields, actor=PORTAL_ACTOR, at=at, idempotency_key=key,
                                         fingerprint=fingerprint, origin={"language": language},
                                         before_commit=record_consent_and_files)


_ADD_CONSENT = ConsentRecord.__table__.insert()  # nothing reads the row back: no ORM object
_EXPIRED_POSTS = sa.delete(LookupAttempt.__table__).where(
    LookupAttempt.scope == FORM_POST_SCOPE, LookupAttempt.at <= sa.bindparam("since"))
_ADD_POST = LookupAttempt.__table__.insert()
# Counted up to one past the limit: a client that keeps posting keeps adding rows, and counting all of them
# would make each of its posts dearer than the last.
_RECENT_POSTS = sa.select(sa.func.count()).select_from(
    sa.select(LookupAttempt.id).where(LookupAttempt.scope == FORM_POST_SCOPE, LookupAttempt.key == sa.bindparam("key"),
                                      LookupAttempt.at > sa.bindparam("since"))
    .limit(sa.bindparam("cap")).subquery())


def count_form_post(ip: str, at: datetime | None = None) -> None:
    """Count one complaint-form post from `ip`; TooManyPosts past PORTAL_FORM_MAX_POSTS in the window.

    The post is recorded and committed before counting, so of any burst at most the limit get
    through, however many arrive at once. Refused posts count too: a client that keeps posting
    stays refused until it slows down. Rows older than the window are removed (the address is
    personal data). The rows are written on a side connection whose commits do not wait for the disk
    (`side_writes`): a crash forgets a few posts of the window, and a post costs no second disk flush.
    """
    at = context.utc(at)
    since = at - timedelta(minutes=current_app.config["PORTAL_FORM_WINDOW_MINUTES"])
    key = (ip or "?")[:64]
    limit = current_app.config["PORTAL_FORM_MAX_POSTS"]
    with side_writes.connection() as conn:
        conn.execute(_EXPIRED_POSTS, {"since": since})
        conn.execute(_ADD_POST, {"scope": FORM_POST_SCOPE, "key": key, "at": at})
        recent = conn.execute(_RECENT_POSTS, {"key": key, "since": since, "cap": limit + 1}).scalar()
    if (recent or 0) > limit:
        raise TooManyPosts()
