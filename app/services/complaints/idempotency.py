"""Idempotency keys: each caller has its own key space, its own key format, and a key is bound to its request.

A key is stored with a scope in front (`portal:`, `staff:<user id>:`, `api:<token id>:`; e-mail uses
`mail:`), so a key sent on one path can never reach a complaint registered on another: an anonymous
visitor who sends an integration's key gets a complaint of their own, never the integration's
number and customer. Each path accepts only the format it issues (the forms issue a UUID). The
fingerprint of the request is kept with the complaint, so the same key with a different body is
refused instead of silently answering with the first complaint.
"""

from __future__ import annotations

import hashlib
import json
import re

from app.i18n import N_, gettext
from app.services.errors import ServiceError, ValidationFailed

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # str(uuid4()), exactly
API_KEY_PATTERN = r"^[\x21-\x7e]{1,80}$"
_API_KEY = re.compile(API_KEY_PATTERN)  # $ also matches before a final newline: use fullmatch
FORM_KEY_MESSAGE = N_("Form geçersiz veya eskimiş. Lütfen bilgilerinizi kontrol edip formu yeniden gönderin.")


class KeyReused(ServiceError):
    """The key already registered a complaint from a different request (other fields or files)."""

    def __init__(self, registration_number: str):
        self.registration_number = registration_number
        super().__init__("this idempotency key was already used with a different request")


def _form_key(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if not _UUID.fullmatch(raw):
        raise ValidationFailed({"idempotency_key": gettext(FORM_KEY_MESSAGE)})
    return raw


def portal_key(raw: str | None) -> str | None:
    """The public form's key (a UUID the form issued), in the portal's key space."""
    key = _form_key(raw)
    return f"portal:{key}" if key else None


def staff_key(user_id: int, raw: str | None) -> str | None:
    """The intake form's key (a UUID the form issued), in the signed-in user's key space."""
    key = _form_key(raw)
    return f"staff:{user_id}:{key}" if key else None


def api_key(token_id: int, raw: str | None) -> str | None:
    """An integration's Idempotency-Key header (1-80 visible ASCII characters), in its token's key space."""
    if raw is None:
        return None
    if not _API_KEY.fullmatch(raw):
        raise ValidationFailed({"Idempotency-Key": "1 to 80 visible ASCII characters"})
    return f"api:{token_id}:{raw}"


def fingerprint(fields: dict, *extra: str) -> str:
    """SHA-256 of the request as registered: the intake fields (trimmed) plus e.g. attachment hashes."""
    plain = {k: v.strip() if isinstance(v, str) else v for k, v in sorted(fields.items()) if v not in (None, "")}
    payload = json.dumps([plain, sorted(extra)], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
