"""A complaint filed by the customer on the public form, with the KVKK consent given there.

The consent row (which notice text, its hash, when, in which language) is written in the same
transaction as the complaint, so there is never a web complaint without its consent on record.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path

from ..extensions import db
from ..models import Complaint, ConsentRecord
from . import audit, casefile, complaints, context
from .casefile import Upload
from .errors import ValidationFailed

PORTAL_ACTOR = "portal"
# Raise the version whenever the text of app/templates/portal/kvkk_notice.*.html changes.
NOTICE_VERSION = "2026-11-v1"
LANGUAGES = ("tr", "en")
_NOTICE_DIR = Path(__file__).resolve().parent.parent / "templates" / "portal"


@cache
def notice_sha256(language: str) -> str:
    """SHA-256 of the notice text shown in `language`: proof of exactly what the customer agreed to."""
    return hashlib.sha256((_NOTICE_DIR / f"kvkk_notice.{language}.html").read_bytes()).hexdigest()


def file_complaint(fields: dict, uploads: list[Upload], *, consent: bool, language: str,
                   idempotency_key: str | None, at: datetime | None = None) -> Complaint:
    """Register a web complaint with its consent and attachments; a repeated key returns the first one."""
    at = context.utc(at)
    if consent is not True:
        raise ValidationFailed({"consent": "Şikâyetinizi alabilmemiz için onayınız gereklidir."})
    language = language if language in LANGUAGES else "tr"

    def record_consent_and_files(complaint: Complaint) -> None:
        """Consent and attachments commit with the complaint, or none of them does."""
        complaint.language = language
        db.session.add(ConsentRecord(complaint_id=complaint.id, notice_version=NOTICE_VERSION,
                                     notice_sha256=notice_sha256(language), language=language,
                                     source=PORTAL_ACTOR, consented_at=at))
        audit.record(complaint.id, "consent_given", actor=PORTAL_ACTOR, at=at,
                     data={"notice_version": NOTICE_VERSION, "language": language})
        if uploads:
            casefile.add_attachments(complaint.id, uploads, actor=PORTAL_ACTOR, at=at)

    return complaints.register_complaint({**fields, "channel": "web"}, actor=PORTAL_ACTOR, at=at,
                                         idempotency_key=idempotency_key, before_commit=record_consent_and_files)
